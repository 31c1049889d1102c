//! CSIRT triage: what a stored report points at, and which reports belong together.
//!
//! Pure, no I/O, never fails on input (reported content is hostile):
//!
//! - [`indicators`]: a [`Report`]'s indicators (registrable domains, URLs, sender names and
//!   addresses, phone numbers, attachment hashes) and the near-duplicate [`Fingerprint`] of
//!   its text. Official channels of the registry are set apart ([`Official`]): they never link
//!   reports and never enter a blocklist.
//! - [`campaign`]: incremental grouping ([`Grouper::add`]): a report joins the campaign it
//!   shares a strong indicator or a near-identical text with; a report that bridges two
//!   campaigns merges them. No re-clustering.
//!
//! ```
//! use healthguard_triage::{Grouper, Official, Report};
//! let official = Official::from_registry(healthguard_registry::builtin());
//! let mut grouper = Grouper::new(official);
//! let sms = |id: &str, text: &str| Report {
//!     id: id.into(), created_at_ms: 0, kind: "sms".into(), institution: Some("pl.nfz".into()),
//!     sender: Some("NFZ".into()), message: text.as_bytes().to_vec(), contact: None,
//! };
//! let a = grouper.add(&sms("r1", "NFZ: zwrot 312 zl, potwierdz na nfz-zwrot.pl"));
//! let b = grouper.add(&sms("r2", "Masz nadplate 97 zl: nfz-zwrot.pl/x (zobacz tez nfz.gov.pl)"));
//! assert_eq!(a, b);
//! ```
#![deny(missing_docs)]

pub mod campaign;
pub mod export;
pub mod fingerprint;
pub mod indicators;
pub mod official;
pub mod redact;
pub mod synth;

pub use campaign::{Campaign, CampaignId, Grouper};
pub use fingerprint::Fingerprint;
pub use indicators::{extract, Extracted, Indicator, IndicatorKind};
pub use official::Official;

/// A stored report as triage reads it (the server's `reports` row, without its token).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Public id.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// `sms`, `email`, `url`, `phone` or `text`.
    pub kind: String,
    /// The institution the message claims, as judged at intake.
    pub institution: Option<String>,
    /// SMS sender, when given.
    pub sender: Option<String>,
    /// The message as received.
    pub message: Vec<u8>,
    /// The reporter's contact (personal data: never an indicator, always redacted).
    pub contact: Option<String>,
}
