//! Feeds in the data directory: one file per feed, `<dir>/<name>.feed`, written atomically.
//!
//! A file is a header of `# key: value` lines (what [`Meta`] holds) followed by the listed
//! hosts, one per line, in normal form. It is written to a temporary file in the same
//! directory, synced and renamed over the old one, so readers see the old copy or the new
//! one and never half of either; a failed update leaves the last good copy in place.

use crate::feed::{valid_name, Checked, FeedSpec};
use crate::index::FeedIndex;
use crate::official::Official;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name extension of stored feeds.
pub const EXTENSION: &str = "feed";
/// First line of every stored feed.
const MAGIC: &str = "# healthguard feed 1";
/// Most dropped registry domains named in the header (the count is always there).
const NAMED_DROPS: usize = 50;

/// What is known of a stored feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// The feed's name (its file name).
    pub name: String,
    /// As people read it.
    pub title: String,
    /// Where it was downloaded from.
    pub source: String,
    /// Its format's name.
    pub format: String,
    /// When it was downloaded (Unix seconds).
    pub fetched: u64,
    /// Hosts listed.
    pub hosts: usize,
    /// Entries read from the source.
    pub entries: usize,
    /// Entries that were not hosts.
    pub rejected: usize,
    /// Registry domains the source listed (dropped), how many.
    pub dropped_registry: usize,
    /// The first of them.
    pub dropped_registry_names: Vec<String>,
    /// Public suffixes and shared platforms the source listed (dropped).
    pub dropped_other: usize,
}

/// A stored feed that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not a stored feed.
    #[error("{path}: {problem}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file of feed `name` in `dir`.
pub fn path_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.{EXTENSION}"))
}

/// Writes a validated feed atomically (temporary file, sync, rename); returns its metadata.
pub fn write(dir: &Path, spec: &FeedSpec, checked: &Checked, fetched: u64) -> Result<Meta, StoreError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let meta = Meta {
        name: spec.name.clone(),
        title: spec.title.trim().to_string(),
        source: spec.url.clone(),
        format: spec.format.name().to_string(),
        fetched,
        hosts: checked.hosts.len(),
        entries: checked.entries,
        rejected: checked.rejected,
        dropped_registry: checked.dropped_registry.len(),
        dropped_registry_names: checked.dropped_registry.iter().take(NAMED_DROPS).cloned().collect(),
        dropped_other: checked.dropped_suffixes.len(),
    };
    let path = path_of(dir, &spec.name);
    let tmp = dir.join(format!(".{}.{}.tmp", spec.name, std::process::id()));
    let result = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        out.write_all(header(&meta).as_bytes())?;
        for h in &checked.hosts {
            out.write_all(h.as_bytes())?;
            out.write_all(b"\n")?;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&path)(e));
    }
    Ok(meta)
}

fn header(m: &Meta) -> String {
    // Titles and sources are one line each: line breaks would end the header.
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    format!(
        "{MAGIC}\n# name: {}\n# title: {}\n# source: {}\n# format: {}\n# fetched: {}\n# fetched-at: {}\n# hosts: {}\n# entries: {}\n# rejected: {}\n# dropped-registry: {}\n# dropped-registry-names: {}\n# dropped-other: {}\n",
        m.name,
        one_line(&m.title),
        one_line(&m.source),
        m.format,
        m.fetched,
        crate::time::rfc3339(m.fetched),
        m.hosts,
        m.entries,
        m.rejected,
        m.dropped_registry,
        m.dropped_registry_names.join(" "),
        m.dropped_other,
    )
}

/// Reads a stored feed's header and hosts.
pub fn read(path: &Path) -> Result<(Meta, Vec<String>), StoreError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let bad = |problem: &str| StoreError::Format {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    };
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(bad("not a stored feed (first line)"));
    }
    let mut meta = Meta::default();
    let mut hosts = Vec::new();
    for line in lines {
        if let Some(field) = line.strip_prefix("# ") {
            let (key, value) = field.split_once(": ").unwrap_or((field.trim_end_matches(':'), ""));
            let number = || value.parse::<u64>().map_err(|_| bad(&format!("{key} is not a number")));
            match key {
                "name" => meta.name = value.to_string(),
                "title" => meta.title = value.to_string(),
                "source" => meta.source = value.to_string(),
                "format" => meta.format = value.to_string(),
                "fetched" => meta.fetched = number()?,
                "hosts" => meta.hosts = number()? as usize,
                "entries" => meta.entries = number()? as usize,
                "rejected" => meta.rejected = number()? as usize,
                "dropped-registry" => meta.dropped_registry = number()? as usize,
                "dropped-registry-names" => {
                    meta.dropped_registry_names = value.split_whitespace().map(str::to_string).collect()
                }
                "dropped-other" => meta.dropped_other = number()? as usize,
                _ => {}
            }
        } else if let Some(h) = crate::normalize(line) {
            hosts.push(h);
        } else if !line.trim().is_empty() {
            return Err(bad(&format!(
                "not a host: {:?}",
                line.chars().take(100).collect::<String>()
            )));
        }
    }
    if !valid_name(&meta.name) || meta.title.is_empty() {
        return Err(bad("no valid name or title in the header"));
    }
    if hosts.len() != meta.hosts {
        return Err(bad(&format!("{} hosts, the header says {}", hosts.len(), meta.hosts)));
    }
    Ok((meta, hosts))
}

/// Reads only the header of a stored feed (for `feeds status`).
pub fn read_meta(path: &Path) -> Result<Meta, StoreError> {
    read(path).map(|(m, _)| m)
}

/// The stored feeds of a directory, in name order (missing directory: none).
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXTENSION))
        .collect();
    out.sort();
    Ok(out)
}

/// Every stored feed of `dir` loaded into one index, in name order (the first feed that
/// lists a host names it). Registry domains are dropped again here, so a registry that
/// gained a domain since the download is honoured.
#[derive(Debug)]
pub struct Loaded {
    /// The index.
    pub index: FeedIndex,
    /// Each feed loaded.
    pub feeds: Vec<Meta>,
    /// Files that could not be read (skipped; the others load).
    pub problems: Vec<StoreError>,
}

/// Loads every stored feed of `dir`.
pub fn load_dir(dir: &Path, official: Official) -> Result<Loaded, StoreError> {
    let mut loaded = Loaded {
        index: FeedIndex::new(official),
        feeds: Vec::new(),
        problems: Vec::new(),
    };
    for path in list(dir)? {
        match read(&path) {
            Ok((meta, hosts)) => {
                loaded.index.add(&meta.title, hosts.iter().map(String::as_str));
                loaded.feeds.push(meta);
            }
            Err(e) => loaded.problems.push(e),
        }
    }
    Ok(loaded)
}
