//! `healthguard feeds update|status` and loading the stored feeds for `--feeds`.

use crate::args::{FeedsCommand, Format};
use crate::registry_cmd;
use anyhow::{bail, Context, Result};
use healthguard_feeds::{store, time, update, Config, FeedIndex, Official, SharedIndex};
use healthguard_registry::Registry;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs a feeds subcommand.
pub fn run(cmd: FeedsCommand) -> Result<u8> {
    match cmd {
        FeedsCommand::Update { config, data, registry } => {
            let config = read_config(config.as_deref())?;
            let official = Official::from_registry(&registry_cmd::select(&registry)?);
            update_all(&config, &data.join("feeds"), &official)
        }
        FeedsCommand::Status { data, format } => status(&feeds_dir(&data), format),
    }
}

/// The feeds configuration at `path`, or the built-in one.
pub fn read_config(path: Option<&Path>) -> Result<Config> {
    let Some(path) = path else {
        return Ok(Config::builtin());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Config::parse(&text).with_context(|| format!("feeds configuration {}", path.display()))
}

/// Starts a thread that, every `hours`, downloads the feeds of `config` into `dir` (as
/// `--feeds DIR` reads it) and swaps the reloaded index into `shared`. Failures are logged
/// and the feeds in use stay.
pub fn refresh_every(hours: u32, config: Config, dir: PathBuf, registry: Registry, shared: Arc<SharedIndex>) {
    let official = Official::from_registry(&registry);
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(u64::from(hours) * 3600));
        for line in refresh(&config, &feeds_dir(&dir), &official, &shared, &update::fetch_https) {
            eprintln!("healthguard: {line}");
        }
    });
}

/// One refresh: update every feed of `config` in `folder`, reload, swap into `shared`.
/// Returns what to log.
fn refresh(
    config: &Config,
    folder: &Path,
    official: &Official,
    shared: &SharedIndex,
    fetch: &dyn Fn(&healthguard_feeds::FeedSpec) -> Result<Vec<u8>, String>,
) -> Vec<String> {
    let mut log = Vec::new();
    for o in update::update(config, folder, official, time::now(), fetch) {
        if let Err(e) = o.result {
            log.push(format!("feed {} kept its last good copy: {e}", o.name));
        }
    }
    match healthguard_feeds::load_dir(folder, official.clone()) {
        Ok(loaded) => {
            log.extend(loaded.problems.iter().map(|p| format!("feed skipped: {p}")));
            log.push(format!("feeds reloaded, {} hosts", loaded.index.len()));
            shared.replace(loaded.index);
        }
        Err(e) => log.push(format!("feeds not reloaded: {e}")),
    }
    log
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

#[cfg(test)]
mod tests {
    use super::*;
    use healthguard_core::Listings;

    #[test]
    fn a_refresh_swaps_new_feeds_in_and_keeps_good_copies_of_failed_ones() {
        let folder = std::env::temp_dir().join(format!("healthguard-cli-refresh-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let config = Config::parse(
            "[[feed]]\nname = \"a\"\ntitle = \"List A\"\nurl = \"https://a.example/l.txt\"\nformat = \"domains\"\n\n\
             [[feed]]\nname = \"b\"\ntitle = \"List B\"\nurl = \"https://b.example/l.txt\"\nformat = \"domains\"\n",
        )
        .unwrap();
        let official = Official::new(["nfz.gov.pl"]);
        let shared = SharedIndex::default();
        let first = |spec: &healthguard_feeds::FeedSpec| -> Result<Vec<u8>, String> {
            Ok(format!("old-{}.example\nnfz.gov.pl\n", spec.name).into_bytes())
        };
        let log = refresh(&config, &folder, &official, &shared, &first);
        assert_eq!(log, ["feeds reloaded, 2 hosts"]);
        assert_eq!(shared.listed("x.old-a.example").unwrap().feed, "List A");
        assert_eq!(shared.listed("nfz.gov.pl"), None);
        let second = |spec: &healthguard_feeds::FeedSpec| -> Result<Vec<u8>, String> {
            match spec.name.as_str() {
                "a" => Ok(b"new-a.example\n".to_vec()),
                _ => Err("connection refused".to_string()),
            }
        };
        let log = refresh(&config, &folder, &official, &shared, &second);
        assert!(
            log[0].contains("feed b kept its last good copy: connection refused"),
            "{log:?}"
        );
        assert!(shared.listed("new-a.example").is_some());
        assert_eq!(shared.listed("old-a.example"), None);
        assert_eq!(shared.listed("old-b.example").unwrap().feed, "List B");
        let _ = std::fs::remove_dir_all(&folder);
    }
}
