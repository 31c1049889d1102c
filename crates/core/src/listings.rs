//! Threat feeds as the checker sees them: a host is listed or not.
//!
//! The core does no I/O: the lists are downloaded, validated and loaded at the edge (the
//! `healthguard-feeds` crate, used by the command line and the server) and handed to the
//! checker behind this trait ([`crate::Checker::with_listings`]). A listing is returned by
//! value so that an implementation may swap its lists while checks run (a refresh).

/// A listing of a host on a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The feed's title as people read it, e.g. "CERT Polska's warning list".
    pub feed: String,
    /// The entry that matched: the host itself or one of its parents.
    pub entry: String,
}

/// Loaded threat feeds.
pub trait Listings: Send + Sync {
    /// The first feed that lists `host` (lower-case ASCII, punycode) or one of its parents.
    /// Registry domains are never listed.
    fn listed(&self, host: &str) -> Option<Listed>;
}

impl std::fmt::Debug for dyn Listings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listings")
    }
}
