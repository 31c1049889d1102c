//! `healthguard milter`: flags and the configuration file → `healthguard-milter`.

use crate::args::{LogFormat, MilterArgs};
use crate::registry_cmd;
use anyhow::{Context, Result};
use healthguard_milter::{Config, Listen, State};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    let checker = Arc::new(registry_cmd::checker(&args.registry)?);
    init_logs(args.log_format);
    let shared = healthguard_milter::shared(checker, config).map_err(|e| anyhow::anyhow!("milter: {e}"))?;
    let described = describe(&listen);
    // SIGHUP: the same file and flags, the registry and the model read again.
    let reload = move || -> std::result::Result<State, String> {
        let (config, _) = self::config(&args).map_err(|e| format!("{e:#}"))?;
        let checker = registry_cmd::checker(&args.registry).map_err(|e| format!("{e:#}"))?;
        State::new(Arc::new(checker), config)
    };
    healthguard_milter::run_until_signal(&listen, shared, reload).with_context(|| format!("milter on {described}"))?;
    Ok(0)
}

/// Log lines on standard error; colours only on a terminal.
fn init_logs(format: LogFormat) {
    use std::io::IsTerminal;
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Human => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
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
