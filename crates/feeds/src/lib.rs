//! Threat feeds as signals: CERT Polska's warning list, OpenPhish's community feed, and any
//! list of URLs, domains, hosts-file lines or adblock rules published by URL.
//!
//! - [`format`]: the formats and their parsers (bad lines are counted, never fatal alone);
//! - [`feed`]: the configuration (`feeds.toml`) and validation of a body (size, minimum and
//!   maximum entries, "is it this format at all"), dropping and reporting registry domains;
//! - [`official`]: what may never be listed (registry domains, their subdomains and parents,
//!   public suffixes, shared platforms themselves);
//! - [`index`]: every loaded feed in one hash table, a host and its parents looked up in
//!   O(labels), case- and IDN-insensitive; it implements the core's
//!   [`healthguard_core::Listings`];
//! - [`store`]: one file per feed in the data directory, written atomically with its source,
//!   time and counts, so a failed update keeps the last good copy;
//! - [`fetch`] and [`update`]: HTTPS downloads (ureq, rustls) and `feeds update`.

pub mod feed;
pub mod fetch;
pub mod format;
mod host;
pub mod index;
pub mod official;
pub mod store;
pub mod time;
pub mod update;

pub use feed::{Checked, Config, FeedError, FeedSpec};
pub use format::Format;
pub use host::normalize;
pub use index::{FeedIndex, Hit, SharedIndex};
pub use official::{Official, Protected};
pub use store::{load_dir, Loaded, Meta};
