//! `healthguard serve`: the HTTP API and web page of `healthguard-server`.

use crate::args::{DnsMode, ServeArgs};
use crate::registry_cmd;
use anyhow::Result;
use healthguard_feeds::SharedIndex;
use healthguard_server::{serve, MailAuth, ServeConfig};
use std::sync::Arc;

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<u8> {
    let (registry, watch) = registry_cmd::select_live(&args.registry, Some(&args.data))?;
    let mail_auth = mail_auth(&args, healthguard_mail::dns::resolver_configured());
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
    config.smtp_intake = args.smtp_intake;
    config.mail_auth = mail_auth;
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
    serve(config)?;
    Ok(0)
}

/// How uploaded e-mails' senders are authenticated: trusted headers when asked, else live DNS
/// unless `--dns off` or the machine has no resolver (`has_resolver`).
fn mail_auth(args: &ServeArgs, has_resolver: bool) -> MailAuth {
    if let Some(authserv_id) = &args.trust_authres {
        return MailAuth::TrustedHeaders {
            authserv_id: authserv_id.clone(),
            trusted_arc_sealers: args.trusted_arc_sealers.clone(),
        };
    }
    match args.dns {
        Some(DnsMode::Off) => MailAuth::Untrusted,
        Some(DnsMode::Online) => live(args),
        None if has_resolver => live(args),
        None => MailAuth::Untrusted,
    }
}

fn live(args: &ServeArgs) -> MailAuth {
    MailAuth::LiveDns {
        per_query: crate::check::DNS_PER_QUERY,
        total: crate::check::DNS_TOTAL,
        trusted_arc_sealers: args.trusted_arc_sealers.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn serve_args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["healthguard", "serve", "--data", "d"];
        argv.extend(extra);
        match crate::args::Cli::parse_from(argv).command {
            crate::args::Command::Serve(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn live_dns_by_default_where_there_is_a_resolver() {
        assert!(matches!(mail_auth(&serve_args(&[]), true), MailAuth::LiveDns { .. }));
        assert_eq!(mail_auth(&serve_args(&[]), false), MailAuth::Untrusted);
        assert_eq!(mail_auth(&serve_args(&["--dns", "off"]), true), MailAuth::Untrusted);
        assert!(matches!(
            mail_auth(&serve_args(&["--trust-authres", "mx.example"]), true),
            MailAuth::TrustedHeaders { .. }
        ));
    }
}
