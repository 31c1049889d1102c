//! Every loaded feed in one hash table: O(1) per label of the host looked up.

use crate::host::with_parents;
use crate::official::Official;
use healthguard_core::{Listed, Listings};
use rustc_hash::FxHashMap;
use std::sync::{Arc, RwLock};

/// A host found on a feed (borrowed from the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The feed's title.
    pub feed: &'a str,
    /// The entry that matched: the host or one of its parents.
    pub entry: &'a str,
}

/// Loaded feeds, merged: host → the first feed (in load order) that lists it.
#[derive(Debug, Default)]
pub struct FeedIndex {
    hosts: FxHashMap<Box<str>, u16>,
    titles: Vec<String>,
    official: Official,
}

impl FeedIndex {
    /// An empty index that will never list what `official` protects.
    pub fn new(official: Official) -> FeedIndex {
        FeedIndex {
            official,
            ..FeedIndex::default()
        }
    }

    /// Adds a feed titled `title` (as people read it). Hosts must be in normal form
    /// ([`crate::normalize`]); protected ones are skipped. Returns how many were added
    /// (new to the index). At most 65,536 feeds: later ones are ignored.
    pub fn add<'a>(&mut self, title: &str, hosts: impl IntoIterator<Item = &'a str>) -> usize {
        let Ok(feed) = u16::try_from(self.titles.len()) else {
            return 0;
        };
        self.titles.push(title.to_string());
        let mut added = 0;
        for host in hosts {
            if self.official.protects(host).is_some() || self.hosts.contains_key(host) {
                continue;
            }
            self.hosts.insert(host.into(), feed);
            added += 1;
        }
        added
    }

    /// The first feed listing `host` or one of its parents. Any case, Unicode or punycode
    /// form is accepted; lower-case ASCII needs no allocation.
    pub fn lookup(&self, host: &str) -> Option<Hit<'_>> {
        let plain = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_')
            && !host.ends_with('.');
        if plain {
            return self.find(host);
        }
        let normal = crate::normalize(host)?;
        self.find(&normal)
    }

    fn find(&self, host: &str) -> Option<Hit<'_>> {
        with_parents(host).find_map(|h| {
            let (entry, &feed) = self.hosts.get_key_value(h)?;
            Some(Hit {
                feed: &self.titles[usize::from(feed)],
                entry,
            })
        })
    }

    /// Distinct hosts listed.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}

impl Listings for FeedIndex {
    fn listed(&self, host: &str) -> Option<Listed> {
        self.lookup(host).map(|h| Listed {
            feed: h.feed.to_string(),
            entry: h.entry.to_string(),
        })
    }
}

/// An index that can be replaced while checks run (`serve` and `milter` refreshing their
/// feeds): lookups read the current index, [`SharedIndex::replace`] swaps in a new one.
#[derive(Debug, Default)]
pub struct SharedIndex(RwLock<Arc<FeedIndex>>);

impl SharedIndex {
    /// Starts with `index`.
    pub fn new(index: FeedIndex) -> SharedIndex {
        SharedIndex(RwLock::new(Arc::new(index)))
    }

    /// The current index.
    pub fn current(&self) -> Arc<FeedIndex> {
        match self.0.read() {
            Ok(guard) => Arc::clone(&guard),
            // A writer never panics while holding the lock (it only assigns an Arc); take
            // the value regardless.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Swaps in a new index; checks under way finish on the old one.
    pub fn replace(&self, index: FeedIndex) {
        let index = Arc::new(index);
        match self.0.write() {
            Ok(mut guard) => *guard = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
    }
}

impl Listings for SharedIndex {
    fn listed(&self, host: &str) -> Option<Listed> {
        self.current().listed(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> FeedIndex {
        let mut ix = FeedIndex::new(Official::new(["nfz.gov.pl"]));
        assert_eq!(
            ix.add(
                "Feed A",
                ["evil.example", "nfz.gov.pl", "login.nfz.gov.pl", "gov.pl", "github.io"]
            ),
            1
        );
        assert_eq!(
            ix.add("Feed B", ["evil.example", "xn--za-6ja4f8n1l.pl", "192.0.2.9"]),
            2
        );
        ix
    }

    #[test]
    fn host_and_parents_any_case_and_form() {
        let ix = index();
        let hit = ix.lookup("a.b.evil.example").unwrap();
        assert_eq!((hit.feed, hit.entry), ("Feed A", "evil.example"));
        assert_eq!(ix.lookup("WWW.Evil.Example.").unwrap().entry, "evil.example");
        assert_eq!(ix.lookup("zażółć.pl").unwrap().feed, "Feed B");
        assert_eq!(ix.lookup("sklep.ZAŻÓŁĆ.pl").unwrap().entry, "xn--za-6ja4f8n1l.pl");
        assert_eq!(ix.lookup("192.0.2.9").unwrap().feed, "Feed B");
        for h in [
            "example",
            "notevil.example",
            "evil.example.com",
            "2.9",
            "",
            "...",
            "nfz.gov.pl",
            "login.nfz.gov.pl",
        ] {
            assert_eq!(ix.lookup(h), None, "{h}");
        }
        assert_eq!(ix.len(), 3);
    }

    #[test]
    fn shared_index_is_replaced_in_place() {
        let shared = SharedIndex::new(index());
        assert_eq!(shared.listed("x.evil.example").unwrap().feed, "Feed A");
        let mut next = FeedIndex::new(Official::default());
        next.add("Feed C", ["other.example"]);
        shared.replace(next);
        assert_eq!(shared.listed("x.evil.example"), None);
        assert_eq!(shared.listed("other.example").unwrap().feed, "Feed C");
    }
}
