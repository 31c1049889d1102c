//! `feeds update`: download, validate and store each configured feed.

use crate::feed::{check, Config, FeedSpec};
use crate::official::Official;
use crate::store::{self, Meta};
use std::path::Path;

/// What became of one feed.
#[derive(Debug)]
pub struct Outcome {
    /// The feed's name.
    pub name: String,
    /// The stored copy's metadata, or why the last good copy was kept.
    pub result: Result<Updated, String>,
}

/// A feed that was stored.
#[derive(Debug)]
pub struct Updated {
    /// What was stored.
    pub meta: Meta,
    /// The first entries that were not hosts.
    pub rejected_samples: Vec<String>,
}

/// Downloads and stores every feed of `config` in `dir`; a feed that fails keeps its last
/// good copy. `fetch` gives the body of a feed (the network, or a test's stand-in).
pub fn update(
    config: &Config,
    dir: &Path,
    official: &Official,
    now: u64,
    fetch: &dyn Fn(&FeedSpec) -> Result<Vec<u8>, String>,
) -> Vec<Outcome> {
    config
        .feeds
        .iter()
        .map(|spec| Outcome {
            name: spec.name.clone(),
            result: one(spec, dir, official, now, fetch),
        })
        .collect()
}

fn one(
    spec: &FeedSpec,
    dir: &Path,
    official: &Official,
    now: u64,
    fetch: &dyn Fn(&FeedSpec) -> Result<Vec<u8>, String>,
) -> Result<Updated, String> {
    let body = fetch(spec)?;
    let checked = check(spec, &body, official).map_err(|e| e.to_string())?;
    let meta = store::write(dir, spec, &checked, now).map_err(|e| e.to_string())?;
    Ok(Updated {
        meta,
        rejected_samples: checked.rejected_samples,
    })
}

/// The network fetch: HTTPS download with the feed's size limit.
pub fn fetch_https(spec: &FeedSpec) -> Result<Vec<u8>, String> {
    crate::fetch::download(&spec.url, spec.max_bytes, crate::fetch::TIMEOUT).map_err(|e| e.to_string())
}
