//! HealthGuard's analysis core: parse → extract signals → score → explain, with no I/O,
//! no async and no global mutable state.
//!
//! Build a [`Checker`] once from a registry, then check inputs; put the [`Analysis`] into
//! words with [`Checker::report`].
//!
//! ```
//! use healthguard_core::{Catalog, Checker, Input, Verdict};
//! let checker = Checker::new(healthguard_registry::builtin().clone());
//! let analysis = checker.check(Input::Sms {
//!     sender: Some("NFZ"),
//!     text: "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com",
//! });
//! assert_eq!(analysis.verdict, Verdict::Phishing);
//! assert_eq!(analysis.institution.as_deref(), Some("pl.nfz"));
//! let report = checker.report(&analysis, &Catalog::builtin(), None);
//! assert_eq!(report.language.code(), "pl");
//! ```
#![deny(missing_docs)]

mod analysis;
pub mod bayes;
mod catalogue;
mod checker;
pub mod fold;
mod i18n;
mod lang;
mod lexicon;
pub mod links;
pub mod listings;
pub mod phones;
mod phrases;
mod report;
mod score;
mod sms;

pub use analysis::{Analysis, Finding, InputKind, Verdict};
pub use catalogue::{About, Catalogue, Composite, Entry};
pub use checker::{Checker, Input, Signals, TextRead, MAX_EVIDENCE_BYTES, MAX_LINKS, MAX_TEXT_BYTES};
pub use i18n::{render, Catalog, Texts};
pub use lang::detect as detect_language;
pub use lexicon::{LexLang, Lexicon, LureHit, LEXICON_LANGS};
pub use listings::{Listed, Listings};
pub use phrases::{PhraseMatch, PhraseSet};
pub use report::{group_findings, Advice, Basis, Contact, FindingGroup, GroupLine, Report, ReportFinding};
