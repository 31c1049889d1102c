//! `healthguard feeds update|status` and loading the stored feeds for `--feeds`.

use crate::args::{FeedsCommand, Format};
use crate::registry_cmd;
use anyhow::{bail, Context, Result};
use healthguard_feeds::{store, time, update, Config, FeedIndex, Official};
use healthguard_registry::Registry;
use std::path::{Path, PathBuf};

/// Runs a feeds subcommand.
pub fn run(cmd: FeedsCommand) -> Result<u8> {
    match cmd {
        FeedsCommand::Update { config, data, registry } => {
            let config = match &config {
                Some(path) => {
                    let text =
                        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                    Config::parse(&text).with_context(|| format!("feeds configuration {}", path.display()))?
                }
                None => Config::builtin(),
            };
            let official = Official::from_registry(&registry_cmd::select(&registry)?);
            update_all(&config, &data.join("feeds"), &official)
        }
        FeedsCommand::Status { data, format } => status(&feeds_dir(&data), format),
    }
}

/// The folder of stored feeds: `DIR/feeds` when it exists, else `DIR` itself.
fn feeds_dir(dir: &Path) -> PathBuf {
    let nested = dir.join("feeds");
    if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    }
}

fn update_all(config: &Config, dir: &Path, official: &Official) -> Result<u8> {
    if config.feeds.is_empty() {
        bail!("no feeds configured");
    }
    let outcomes = update::update(config, dir, official, time::now(), &update::fetch_https);
    let mut out = String::new();
    let mut failed = 0;
    for o in &outcomes {
        match &o.result {
            Ok(u) => {
                let m = &u.meta;
                out += &format!(
                    "{}: {} hosts stored ({} entries read, {} not hosts, {} registry domains dropped, {} public suffixes or shared platforms dropped)\n",
                    m.name, m.hosts, m.entries, m.rejected, m.dropped_registry, m.dropped_other
                );
                if !m.dropped_registry_names.is_empty() {
                    out += &format!("  registry domains dropped: {}\n", m.dropped_registry_names.join(", "));
                }
                if !u.rejected_samples.is_empty() {
                    out += &format!("  not hosts, e.g.: {}\n", u.rejected_samples.join(" | "));
                }
            }
            Err(e) => {
                failed += 1;
                let kept = match store::read_meta(&store::path_of(dir, &o.name)) {
                    Ok(m) => format!("kept the copy of {} ({} hosts)", time::rfc3339(m.fetched), m.hosts),
                    Err(_) => "no earlier copy".to_string(),
                };
                out += &format!("{}: FAILED, {kept}: {e}\n", o.name);
            }
        }
    }
    out += &format!("feeds in {}\n", dir.display());
    crate::write_stdout(&out)?;
    Ok(if failed > 0 { crate::EXIT_INPUT_ERROR } else { 0 })
}

fn status(dir: &Path, format: Format) -> Result<u8> {
    let now = time::now();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for path in store::list(dir)? {
        match store::read_meta(&path) {
            Ok(m) => rows.push(m),
            Err(e) => problems.push(e.to_string()),
        }
    }
    let text = match format {
        Format::Json => {
            let feeds: Vec<serde_json::Value> = rows
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "name": m.name,
                        "title": m.title,
                        "source": m.source,
                        "format": m.format,
                        "fetched": time::rfc3339(m.fetched),
                        "age_seconds": now.saturating_sub(m.fetched),
                        "hosts": m.hosts,
                        "entries": m.entries,
                        "rejected": m.rejected,
                        "dropped_registry": m.dropped_registry,
                        "dropped_other": m.dropped_other,
                    })
                })
                .collect();
            let v = serde_json::json!({ "dir": dir.display().to_string(), "feeds": feeds, "problems": problems });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Human => {
            let mut out = String::new();
            if rows.is_empty() {
                out += &format!(
                    "no feeds stored in {} (run `healthguard feeds update`)\n",
                    dir.display()
                );
            }
            for m in &rows {
                out += &format!(
                    "{} ({}): {} hosts, fetched {} ({} ago) from {}\n",
                    m.name,
                    m.title,
                    m.hosts,
                    time::rfc3339(m.fetched),
                    age(now.saturating_sub(m.fetched)),
                    m.source
                );
            }
            for p in &problems {
                out += &format!("unreadable: {p}\n");
            }
            out
        }
    };
    crate::write_stdout(&text)?;
    Ok(if problems.is_empty() {
        0
    } else {
        crate::EXIT_INPUT_ERROR
    })
}

/// `3 d 4 h`, `5 h 2 min`, `42 s`.
fn age(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The stored feeds of `dir` (a data directory or its feeds/ folder) as one index; the
/// registry's domains are never listed. Unreadable files are skipped with a warning.
pub fn load(dir: &Path, registry: &Registry) -> Result<FeedIndex> {
    if !dir.is_dir() {
        bail!(
            "feeds directory {} does not exist (run `healthguard feeds update --data DIR`)",
            dir.display()
        );
    }
    let loaded = healthguard_feeds::load_dir(&feeds_dir(dir), Official::from_registry(registry))?;
    for p in &loaded.problems {
        eprintln!("healthguard: feed skipped: {p}");
    }
    Ok(loaded.index)
}
