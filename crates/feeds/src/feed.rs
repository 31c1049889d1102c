//! A feed's configuration and the validation of a downloaded body.

use crate::format::{self, Format, Parsed};
use crate::official::{Official, Protected};
use serde::Deserialize;
use std::collections::BTreeSet;

/// Largest body accepted unless a feed says otherwise (CERT Polska's JSON form is about
/// 25 MB).
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Most entries accepted unless a feed says otherwise.
pub const DEFAULT_MAX_ENTRIES: usize = 2_000_000;

/// The feeds to fetch (`feeds.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Each feed, in the order they are consulted (the first listing names the feed).
    #[serde(rename = "feed", default)]
    pub feeds: Vec<FeedSpec>,
}

/// One configured feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// File name in the data directory: `a-z`, `0-9` and `-`, 1 to 64 characters.
    pub name: String,
    /// As people read it in explanations, e.g. "CERT Polska's warning list".
    pub title: String,
    /// Where it is published (`https://`; `http://` only for a loopback host).
    pub url: String,
    /// Its format.
    pub format: Format,
    /// Fewest entries a good copy has (fewer: the download is refused).
    #[serde(default = "one")]
    pub min_entries: usize,
    /// Most entries a good copy has.
    #[serde(default = "max_entries")]
    pub max_entries: usize,
    /// Largest body accepted, in bytes.
    #[serde(default = "max_bytes")]
    pub max_bytes: u64,
}

fn one() -> usize {
    1
}
fn max_entries() -> usize {
    DEFAULT_MAX_ENTRIES
}
fn max_bytes() -> u64 {
    DEFAULT_MAX_BYTES
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML of the expected shape.
    #[error("{0}")]
    Toml(String),
    /// A feed with a bad field.
    #[error("feed {name:?}: {problem}")]
    Feed {
        /// The feed's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
}

impl Config {
    /// The built-in configuration: CERT Polska's warning list and OpenPhish's community feed.
    pub fn builtin() -> Config {
        Config::parse(include_str!("../../../data/feeds.toml")).unwrap_or(Config { feeds: Vec::new() })
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let mut names = BTreeSet::new();
        for f in &config.feeds {
            let problem = if !valid_name(&f.name) {
                Some("name must be 1 to 64 of a-z, 0-9 and -".to_string())
            } else if !names.insert(f.name.as_str()) {
                Some("configured twice".to_string())
            } else if f.title.trim().is_empty() {
                Some("title is empty".to_string())
            } else if let Err(e) = crate::fetch::check_url(&f.url) {
                Some(e.to_string())
            } else if f.min_entries > f.max_entries {
                Some("min_entries is above max_entries".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(ConfigError::Feed {
                    name: f.name.clone(),
                    problem,
                });
            }
        }
        Ok(config)
    }
}

/// Whether a feed name is safe as a file name.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A body that failed validation: the last good copy stays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// Larger than `max_bytes`.
    #[error("{bytes} bytes, more than the {max} allowed")]
    TooLarge {
        /// Size of the body.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Unreadable as its format.
    #[error(transparent)]
    Parse(#[from] format::ParseError),
    /// More entries rejected than accepted: not a list of this format (an error page, a
    /// changed format).
    #[error("{rejected} of {entries} entries are not hosts: not a {format} list (e.g. {sample:?})")]
    NotThisFormat {
        /// Entries read.
        entries: usize,
        /// Entries rejected.
        rejected: usize,
        /// The format expected.
        format: &'static str,
        /// The first rejected entry.
        sample: String,
    },
    /// Fewer hosts than `min_entries`.
    #[error("{hosts} hosts, fewer than the {min} expected")]
    TooFew {
        /// Hosts kept.
        hosts: usize,
        /// The minimum.
        min: usize,
    },
    /// More hosts than `max_entries`.
    #[error("{hosts} hosts, more than the {max} allowed")]
    TooMany {
        /// Hosts kept.
        hosts: usize,
        /// The maximum.
        max: usize,
    },
}

/// A validated feed body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Distinct hosts to list, in file order.
    pub hosts: Vec<String>,
    /// Entries read.
    pub entries: usize,
    /// Entries that were not hosts, and the first few of them.
    pub rejected: usize,
    /// Samples of rejected entries.
    pub rejected_samples: Vec<String>,
    /// Registry domains (or their subdomains or parents) the feed listed: dropped.
    pub dropped_registry: Vec<String>,
    /// Public suffixes and shared platforms themselves the feed listed: dropped.
    pub dropped_suffixes: Vec<String>,
    /// Repeated hosts.
    pub duplicates: usize,
}

/// Parses and validates a body of `spec`'s feed; registry domains and public suffixes are
/// dropped and reported.
pub fn check(spec: &FeedSpec, body: &[u8], official: &Official) -> Result<Checked, FeedError> {
    let bytes = body.len() as u64;
    if bytes > spec.max_bytes {
        return Err(FeedError::TooLarge {
            bytes,
            max: spec.max_bytes,
        });
    }
    let Parsed {
        hosts,
        entries,
        rejected,
        samples,
    } = format::parse(spec.format, body)?;
    if rejected > 0 && rejected >= hosts.len() {
        return Err(FeedError::NotThisFormat {
            entries,
            rejected,
            format: spec.format.name(),
            sample: samples.first().cloned().unwrap_or_default(),
        });
    }
    let mut out = Checked {
        entries,
        rejected,
        rejected_samples: samples,
        ..Checked::default()
    };
    let mut seen = rustc_hash::FxHashSet::default();
    for host in hosts {
        match official.protects(&host) {
            Some(Protected::Registry) => out.dropped_registry.push(host),
            Some(Protected::PublicSuffix | Protected::SharedPlatform) => out.dropped_suffixes.push(host),
            None if seen.contains(&host) => out.duplicates += 1,
            None => {
                seen.insert(host.clone());
                out.hosts.push(host);
            }
        }
    }
    for list in [&mut out.dropped_registry, &mut out.dropped_suffixes] {
        list.sort();
        list.dedup();
    }
    if out.hosts.len() < spec.min_entries {
        return Err(FeedError::TooFew {
            hosts: out.hosts.len(),
            min: spec.min_entries,
        });
    }
    if out.hosts.len() > spec.max_entries {
        return Err(FeedError::TooMany {
            hosts: out.hosts.len(),
            max: spec.max_entries,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: Format) -> FeedSpec {
        FeedSpec {
            name: "test".into(),
            title: "Test list".into(),
            url: "https://feeds.example/list.txt".into(),
            format,
            min_entries: 2,
            max_entries: 5,
            max_bytes: 1000,
        }
    }

    #[test]
    fn drops_registry_domains_and_reports_them() {
        let official = Official::new(["nfz.gov.pl"]);
        let body =
            "evil.example\nNFZ.gov.pl\nlogin.nfz.gov.pl\ngov.pl\ngithub.io\nother.example\nevil.example\nbad line\n";
        let c = check(&spec(Format::Domains), body.as_bytes(), &official).unwrap();
        assert_eq!(c.hosts, ["evil.example", "other.example"]);
        assert_eq!(c.dropped_registry, ["gov.pl", "login.nfz.gov.pl", "nfz.gov.pl"]);
        assert_eq!(c.dropped_suffixes, ["github.io"]);
        assert_eq!((c.entries, c.rejected, c.duplicates), (8, 1, 1));
    }

    #[test]
    fn refuses_bodies_that_are_not_good_copies() {
        let o = Official::default();
        let s = spec(Format::Domains);
        assert!(matches!(check(&s, &[b'a'; 1001], &o), Err(FeedError::TooLarge { .. })));
        assert!(matches!(
            check(&s, b"one.example\n", &o),
            Err(FeedError::TooFew { hosts: 1, min: 2 })
        ));
        let many = "a.example\nb.example\nc.example\nd.example\ne.example\nf.example\n";
        assert!(matches!(
            check(&s, many.as_bytes(), &o),
            Err(FeedError::TooMany { hosts: 6, max: 5 })
        ));
        let page = "<html>\n<body>Service unavailable</body>\n</html>\na.example\n";
        assert!(matches!(
            check(&s, page.as_bytes(), &o),
            Err(FeedError::NotThisFormat { rejected: 3, .. })
        ));
        assert!(matches!(
            check(&spec(Format::CertPlJson), b"<html>", &o),
            Err(FeedError::Parse(_))
        ));
    }

    #[test]
    fn config_is_checked() {
        let good = r#"
            [[feed]]
            name = "cert-pl"
            title = "CERT Polska's warning list"
            url = "https://hole.example/domains.json"
            format = "cert-pl-json"
            min_entries = 10
        "#;
        let c = Config::parse(good).unwrap();
        assert_eq!(c.feeds[0].format, Format::CertPlJson);
        assert_eq!(c.feeds[0].max_bytes, DEFAULT_MAX_BYTES);
        for (bad, why) in [
            (good.replace("cert-pl\"", "../etc\""), "name"),
            (good.replace("https://hole", "http://hole"), "https"),
            (
                good.replace("min_entries = 10", "min_entries = 10\nmax_entries = 5"),
                "min_entries",
            ),
            (good.replace("cert-pl-json", "xml"), "unknown variant"),
        ] {
            let e = Config::parse(&bad).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        let twice = format!("{good}\n{good}");
        assert!(Config::parse(&twice).unwrap_err().to_string().contains("twice"));
        assert_eq!(Config::builtin().feeds.len(), 2);
    }
}
