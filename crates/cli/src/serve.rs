//! `healthguard serve`: the HTTP API and web page of `healthguard-server`.

use crate::args::ServeArgs;
use crate::registry_cmd;
use anyhow::Result;
use healthguard_feeds::SharedIndex;
use healthguard_server::{serve, MailAuth, ServeConfig};
use std::sync::Arc;

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<u8> {
    let (registry, watch) = registry_cmd::select_live(&args.registry, Some(&args.data))?;
    let mut config = ServeConfig::new(args.listen, args.data, registry);
    config.database = args.database;
    config.reload = watch.map(|w| w.into_reload(args.refresh.registry_poll));
    if args.no_rate_limit {
        config.limits.check_rate = None;
        config.limits.report_rate = None;
    }
    config.workers = args.workers;
    config.secure_cookies = args.secure_cookies;
    config.publish_feed = args.publish_feed;
    if let Some(path) = &args.registry.model {
        config.model = Some(crate::learn::read_model(path)?);
    }
    if let Some(dir) = &args.registry.feeds {
        let feeds = Arc::new(SharedIndex::new(crate::feeds::load(dir, &config.registry)?));
        if let Some(hours) = args.refresh.feeds_refresh {
            let feeds_config = crate::feeds::read_config(args.refresh.feeds_config.as_deref())?;
            crate::feeds::refresh_every(hours, feeds_config, dir.clone(), config.registry.clone(), feeds.clone());
        }
        config.listings = Some(feeds);
    }
    if let Some(authserv_id) = args.trust_authres {
        config.mail_auth = MailAuth::TrustedHeaders {
            authserv_id,
            trusted_arc_sealers: args.trusted_arc_sealers,
        };
    }
    serve(config)?;
    Ok(0)
}
