//! `healthguard milter`: flags and the configuration file → `healthguard-milter`.

use crate::args::{LogFormat, MilterArgs};
use crate::registry_cmd;
use anyhow::{Context, Result};
use healthguard_feeds::SharedIndex;
use healthguard_milter::{Config, Listen, State};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where the configuration file is looked for when `--config` is not given.
const DEFAULT_CONFIG: &str = "/etc/healthguard/healthguard.toml";

/// Runs the milter until SIGINT or SIGTERM; SIGHUP reads the configuration file, the
/// registry and the model again without closing connections.
pub fn run(args: MilterArgs) -> Result<u8> {
    let (config, from) = config(&args)?;
    let listen = Listen::parse(&config.listen).map_err(crate::UsageError)?;
    if args.check_config {
        let source = from.map_or("built-in defaults".to_string(), |p| p.display().to_string());
        crate::write_stdout(&format!("configuration from {source}:\n{config:#?}\n"))?;
        return Ok(0);
    }
    let (registry, watch) = registry_cmd::select_live(&args.registry, args.data.as_deref())?;
    // Feeds in one shared index: refreshed on the schedule of --feeds-refresh (as `serve`
    // does) and read again on SIGHUP, without rebuilding anything else.
    let feeds = match &args.registry.feeds {
        Some(dir) => {
            let shared = Arc::new(SharedIndex::new(crate::feeds::load(dir, &registry)?));
            if let Some(hours) = args.refresh.feeds_refresh {
                let feeds_config = crate::feeds::read_config(args.refresh.feeds_config.as_deref())?;
                crate::feeds::refresh_every(hours, feeds_config, dir.clone(), registry.clone(), shared.clone());
            }
            Some(shared)
        }
        None => None,
    };
    let listings = || feeds.clone().map(|f| f as Arc<dyn healthguard_core::Listings>);
    let checker = Arc::new(registry_cmd::checker_on(registry.clone(), &args.registry, listings())?);
    init_logs(args.log_format, args.log_level.clone());
    let shared = healthguard_milter::shared(checker, config).map_err(|e| anyhow::anyhow!("milter: {e}"))?;
    let described = describe(&listen);
    let every = (watch.is_some() && args.refresh.registry_poll > 0)
        .then(|| std::time::Duration::from_secs(args.refresh.registry_poll));
    let current = Mutex::new((registry, watch));
    // SIGHUP (`force`): the same file and flags, the registry, the model and the feeds read
    // again. On the schedule: a new state only when a newer active registry was installed.
    let reload = move |force: bool| -> std::result::Result<Option<State>, String> {
        let mut guard = current.lock().unwrap_or_else(|p| p.into_inner());
        let (registry, watch) = &mut *guard;
        let newer = match watch {
            Some(w) => w.poll(force),
            None if force => registry_cmd::select(&args.registry)
                .map(Some)
                .map_err(|e| format!("{e:#}")),
            None => Ok(None),
        };
        match newer {
            Ok(Some(r)) => *registry = r,
            Ok(None) if !force => return Ok(None),
            Ok(None) => {}
            Err(e) => return Err(e),
        }
        let (config, _) = self::config(&args).map_err(|e| format!("{e:#}"))?;
        if force {
            if let (Some(dir), Some(shared)) = (&args.registry.feeds, &feeds) {
                let index = crate::feeds::load(dir, registry).map_err(|e| format!("{e:#}"))?;
                shared.replace(index);
            }
        }
        let listings = feeds.clone().map(|f| f as Arc<dyn healthguard_core::Listings>);
        let checker =
            registry_cmd::checker_on(registry.clone(), &args.registry, listings).map_err(|e| format!("{e:#}"))?;
        State::new(Arc::new(checker), config).map(Some)
    };
    healthguard_milter::run_until_signal(&listen, shared, every, reload)
        .with_context(|| format!("milter on {described}"))?;
    Ok(0)
}

/// Log lines on standard error, the ones `filter` lets through; colours only on a terminal.
fn init_logs(format: LogFormat, filter: tracing_subscriber::filter::Targets) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Human => registry.with(lines.with_ansi(std::io::stderr().is_terminal())).init(),
        LogFormat::Json => registry.with(lines.json().flatten_event(true)).init(),
    }
}

/// The configuration: the file (`--config`, else the default path when it exists, else
/// built-in defaults), then the flags over it.
fn config(args: &MilterArgs) -> Result<(Config, Option<PathBuf>)> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
    };
    let mut config = match &path {
        Some(p) => read(p)?,
        None => Config::default(),
    };
    if let Some(listen) = &args.listen {
        config.listen = listen.clone();
    }
    if let Some(id) = &args.trust_authres {
        config.trust_authres = Some(id.clone());
    }
    Ok((config, path))
}

fn read(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Config::from_file(&text).map_err(|e| crate::UsageError(format!("{}: {e}", path.display())).into())
}

fn describe(listen: &Listen) -> String {
    match listen {
        Listen::Inet(a) => format!("inet:{a}"),
        Listen::Unix(p) => format!("unix:{}", p.display()),
    }
}
