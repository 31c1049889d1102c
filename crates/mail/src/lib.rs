//! HealthGuard's e-mail front end: reads a raw RFC 5322 message and feeds the same
//! [`Signals`](healthguard_core::Signals) as the SMS and text checks, so an e-mail gets the
//! same verdict, findings and advice.
//!
//! Three steps, each usable alone:
//!
//! 1. [`parse`] (pure, never fails): MIME tree, transfer encodings, RFC 2047 words,
//!    charsets, HTML to text, links with their visible text, forms, images, attachments
//!    typed by content (archives listed, never extracted past [`Limits`]).
//! 2. Authentication, behind the [`Authenticator`] trait: [`NoAuth`] (nothing known),
//!    [`TrustedHeaders`] (the `Authentication-Results` header added by your own MTA, see
//!    [`authres`]) or [`dns::DnsAuthenticator`] (SPF, DKIM, DMARC and ARC verified with
//!    `mail-auth`, against real DNS or a DNS fixture file). The result is an
//!    [`AuthOutcome`].
//! 3. [`analyze`] (pure): sender, display name, Reply-To, authentication, links, forms and
//!    attachments become findings; the core concludes.
//!
//! ```
//! use healthguard_core::{Checker, Verdict};
//! use healthguard_mail::{analyze, authres, parse, Limits};
//!
//! let checker = Checker::new(healthguard_registry::builtin().clone());
//! let raw = b"From: NFZ <zwroty@tehrad.io>\r\nSubject: Zwrot\r\n\r\nPotwierdz dane: https://nfz-zwrot.pl/x\r\n";
//! let mail = parse(raw, &Limits::default());
//! let auth = authres::from_trusted_headers(&mail, "mx.example.pl", &[]);
//! let analysis = analyze(&checker, &mail, &auth);
//! assert_eq!(analysis.verdict, Verdict::Phishing);
//! assert!(analysis.has("DISPLAY_NAME_IMPERSONATION"));
//! ```
#![deny(missing_docs)]

mod analyze;
mod attach;
mod auth;
pub mod authres;
mod content;
pub mod dns;
mod envelope;
mod generic;
mod html;
mod html_links;
mod identity;
mod listed;
mod lists;
mod parse;
mod payload;
mod sender;
pub mod statistics;
mod zipdir;

pub use analyze::{analyze, check};
pub use attach::{ArchiveInfo, Attachment, Class, Sniffed};
pub use auth::{AuthMethod, AuthOutcome, AuthResult, Authenticator, Envelope, NoAuth, TopmostHeader, TrustedHeaders};
pub use html::{scan as scan_html, HtmlLink, HtmlScan};
pub use lists::{is_freemail, unwrap_redirector, Redirect};
pub use parse::{parse, Hop, Mailbox, ParsedMail, Problem, RawHeader};

/// Types one attachment as the parser does (magic bytes, archive listing and nested
/// archives within `limits`), with a fresh decompression budget of
/// `limits.max_decompressed_bytes`. For the archive fuzz target and hostile-input tests.
pub fn classify_attachment(name: Option<&str>, declared_type: &str, data: &[u8], limits: &Limits) -> Attachment {
    let mut budget = limits.max_decompressed_bytes;
    attach::classify(name, declared_type, data, false, limits, &mut budget)
}

use std::path::PathBuf;
use std::time::Duration;

/// Where authentication results come from (the CLI's `--dns online`, `--dns-fixture FILE`
/// `--trust-authres ID` and `--trust-authres-topmost`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthSource {
    /// Nothing is checked: every claim of an institution stays unconfirmed.
    #[default]
    None,
    /// Trust the topmost `Authentication-Results` header with this authserv-id.
    TrustedHeaders(String),
    /// Trust the topmost `Authentication-Results` header, whoever wrote it: stored mail
    /// measured as deployed, never live traffic.
    TopmostHeader,
    /// Verify here against records from a DNS fixture file (no network).
    DnsFixture(PathBuf),
    /// Verify here against live DNS (system resolver).
    DnsOnline {
        /// Bound on each DNS query.
        per_query: Duration,
        /// Bound on the whole verification of one message.
        total: Duration,
    },
}

/// Builds the [`Authenticator`] for `source`; `trusted_arc_sealers` are domains (a sealer
/// matches its domain and subdomains) whose ARC seal may vouch for results broken by
/// forwarding.
pub fn authenticator(
    source: &AuthSource,
    trusted_arc_sealers: &[String],
) -> Result<Box<dyn Authenticator>, dns::DnsSetupError> {
    let sealers = trusted_arc_sealers.to_vec();
    Ok(match source {
        AuthSource::None => Box::new(NoAuth),
        AuthSource::TrustedHeaders(id) => Box::new(TrustedHeaders {
            authserv_id: id.clone(),
            trusted_arc_sealers: sealers,
        }),
        AuthSource::TopmostHeader => Box::new(TopmostHeader {
            trusted_arc_sealers: sealers,
        }),
        AuthSource::DnsFixture(path) => {
            Box::new(dns::DnsAuthenticator::with_fixture(dns::Fixture::load(path)?, sealers)?)
        }
        AuthSource::DnsOnline { per_query, total } => {
            Box::new(dns::DnsAuthenticator::online(*per_query, *total, sealers)?)
        }
    })
}

/// Bounds on the work done for one message. Past a bound the message gets a
/// `MESSAGE_LIMIT_EXCEEDED` (or `INPUT_TRUNCATED`) finding and is judged on what was read:
/// never a crash or a hang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message read; the rest is cut (default 50 MiB).
    pub max_message_bytes: usize,
    /// Deepest MIME nesting walked (multiparts and attached messages, default 20).
    pub max_mime_depth: usize,
    /// Most MIME parts walked (default 500).
    pub max_parts: usize,
    /// Most links taken from HTML (default 200, as the core).
    pub max_links: usize,
    /// Most archive entries listed per archive (default 1,000).
    pub max_archive_entries: usize,
    /// Most bytes decompressed for the whole message, to type archive entries by content and
    /// to list nested archives (default 4 MiB).
    pub max_decompressed_bytes: usize,
    /// Most HTML bytes scanned per message (default 4 MiB).
    pub max_html_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_bytes: 50 * 1024 * 1024,
            max_mime_depth: 20,
            max_parts: 500,
            max_links: healthguard_core::MAX_LINKS,
            max_archive_entries: 1000,
            max_decompressed_bytes: 4 * 1024 * 1024,
            max_html_bytes: 4 * 1024 * 1024,
        }
    }
}
