//! The domains no feed may list: the registry's official domains, their subdomains and
//! their parents (listing `gov.pl` would list every ministry), and public suffixes
//! (listing `github.io` would list every site there) and the shared platforms of
//! `data/lists/` themselves (a URL feed's `https://bit.ly/x` or
//! `https://docs.google.com/forms/…` names a path there, not the whole platform).

use crate::host::with_parents;
use healthguard_registry::Registry;
use rustc_hash::FxHashSet;

/// Why an entry may not be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protected {
    /// A registry domain, a subdomain of one or a parent of one.
    Registry,
    /// A public suffix (ICANN or private section of the Public Suffix List).
    PublicSuffix,
    /// A shortener, file host or free site host itself (`bit.ly`, `s3.amazonaws.com`),
    /// not a site on it (`evil.github.io` may be listed).
    SharedPlatform,
}

/// The registry's official domains, for dropping them from feeds.
#[derive(Debug, Clone, Default)]
pub struct Official {
    /// Official domains (lower-case ASCII).
    domains: FxHashSet<String>,
    /// Every proper parent of an official domain (`gov.pl` for `nfz.gov.pl`).
    parents: FxHashSet<String>,
}

impl Official {
    /// The official domains of every institution of `registry`.
    pub fn from_registry(registry: &Registry) -> Official {
        Official::new(
            registry
                .institutions
                .iter()
                .flat_map(|inst| inst.domains.iter().map(|d| d.name.as_str())),
        )
    }

    /// A set of official domains (normalised here; invalid names are ignored).
    pub fn new<'a>(domains: impl IntoIterator<Item = &'a str>) -> Official {
        let mut out = Official::default();
        for d in domains.into_iter().filter_map(crate::normalize) {
            for parent in with_parents(&d).skip(1) {
                out.parents.insert(parent.to_string());
            }
            out.domains.insert(d);
        }
        out
    }

    /// Why `host` (normal form) may not be listed, if it may not.
    pub fn protects(&self, host: &str) -> Option<Protected> {
        if self.parents.contains(host) || with_parents(host).any(|h| self.domains.contains(h)) {
            return Some(Protected::Registry);
        }
        if psl::suffix_str(host) == Some(host) {
            return Some(Protected::PublicSuffix);
        }
        if shared_platform(host) {
            return Some(Protected::SharedPlatform);
        }
        None
    }

    /// Number of official domains.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

/// Whether `host` is itself an entry of the shortener, file or free hosting lists: it is
/// classified so and its parent is not.
fn shared_platform(host: &str) -> bool {
    use healthguard_domains::{classify_host, HostKind};
    let shared = |h: &str| {
        matches!(
            classify_host(h),
            HostKind::Shortener | HostKind::FileHosting | HostKind::FreeHosting
        )
    };
    shared(host) && host.split_once('.').is_none_or(|(_, parent)| !shared(parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protects_registry_domains_their_family_and_suffixes() {
        let o = Official::new(["nfz.gov.pl", "Pacjent.GOV.pl."]);
        assert_eq!(o.len(), 2);
        for h in ["nfz.gov.pl", "www.nfz.gov.pl", "pacjent.gov.pl", "gov.pl"] {
            assert_eq!(o.protects(h), Some(Protected::Registry), "{h}");
        }
        for h in ["github.io", "com.pl", "pl"] {
            assert_eq!(o.protects(h), Some(Protected::PublicSuffix), "{h}");
        }
        for h in ["bit.ly", "docs.google.com", "drive.google.com"] {
            assert_eq!(o.protects(h), Some(Protected::SharedPlatform), "{h}");
        }
        for h in [
            "nfz-gov.pl",
            "nfz.gov.pl.evil.example",
            "evil.github.io",
            "evil.wixsite.com",
            "b.s3.amazonaws.com",
            "s3.amazonaws.com.evil.example",
        ] {
            assert_eq!(o.protects(h), None, "{h}");
        }
    }

    #[test]
    fn builtin_registry_domains_are_protected() {
        let reg = healthguard_registry::builtin();
        let o = Official::from_registry(reg);
        assert!(!o.is_empty());
        for inst in &reg.institutions {
            for d in &inst.domains {
                assert_eq!(o.protects(&d.name), Some(Protected::Registry), "{}", d.name);
            }
        }
    }
}
