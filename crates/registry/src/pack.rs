//! The on-disk format of registry packs (TOML), as written by maintainers.
//!
//! Values that lint may reject keep their byte span so errors can name `file:line`.
//! The format is documented in `data/registry/SCHEMA.md`.

use crate::model::{Channel, Confidence, InstitutionKind, Lang, LureKind, ReportingKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The only schema version this build reads.
pub const SCHEMA_VERSION: u32 = 1;

/// `registry.toml` at the root of a registry directory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootFile {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema: Spanned<u32>,
    /// Data version, e.g. `2026.11.22`.
    pub version: String,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
}

/// `<cc>/country.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryFile {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema: Spanned<u32>,
    /// The country itself.
    pub country: CountrySection,
}

/// The `[country]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountrySection {
    /// ISO 3166-1 alpha-2 code.
    pub code: Spanned<String>,
    /// Languages spoken to patients.
    pub languages: Vec<Lang>,
    /// Ids of national reporting bodies.
    #[serde(default)]
    pub national_reporting: Vec<Spanned<String>>,
    /// Suffixes only public bodies can register.
    #[serde(default)]
    pub restricted_suffix: Vec<SuffixEntry>,
}

/// One `[[country.restricted_suffix]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuffixEntry {
    /// The suffix, e.g. `gov.pl`.
    pub value: Spanned<String>,
    /// Where the rule is stated.
    pub source: Spanned<String>,
    /// How far to trust it.
    pub confidence: Confidence,
}

/// `<cc>/<institution>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionFile {
    /// Must equal [`SCHEMA_VERSION`].
    pub schema: Spanned<u32>,
    /// Identity of the institution.
    pub institution: InstitutionSection,
    /// Official domains.
    #[serde(default)]
    pub domain: Vec<DomainEntry>,
    /// Official e-mail addresses.
    #[serde(default)]
    pub email: Vec<ValueEntry>,
    /// Official phone numbers.
    #[serde(default)]
    pub phone: Vec<ValueEntry>,
    /// Official SMS senders.
    #[serde(default)]
    pub sms_sender: Vec<ValueEntry>,
    /// Official apps.
    #[serde(default)]
    pub app: Vec<AppEntry>,
    /// Reporting channels.
    #[serde(default)]
    pub reporting: Vec<ReportingEntry>,
    /// Declared policies.
    #[serde(default)]
    pub policy: Vec<PolicyEntry>,
    /// Advisories.
    #[serde(default)]
    pub advisory: Vec<AdvisoryEntry>,
}

/// The `[institution]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionSection {
    /// Stable id, `<cc>.<name>`.
    pub id: Spanned<String>,
    /// Country code.
    pub country: Spanned<String>,
    /// What it is.
    pub kind: InstitutionKind,
    /// Parent institution id.
    #[serde(default)]
    pub parent: Option<Spanned<String>>,
    /// Full names per language.
    pub names: BTreeMap<Lang, Vec<String>>,
    /// Abbreviations.
    #[serde(default)]
    pub abbreviations: Vec<String>,
    /// Abbreviations that are ordinary words or acronyms elsewhere.
    #[serde(default)]
    pub local_abbreviations: Vec<String>,
    /// Inflected and colloquial forms.
    #[serde(default)]
    pub forms: Vec<String>,
    /// Ids whose reporting channels apply.
    #[serde(default)]
    pub report_to: Vec<Spanned<String>>,
    /// Source of the description.
    pub source: Spanned<String>,
}

/// A `[[domain]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainEntry {
    /// The domain.
    pub value: Spanned<String>,
    /// `web`, `email` or both.
    pub uses: Vec<DomainUse>,
    /// Whether subdomains are official too (default true).
    #[serde(default = "default_true")]
    pub subdomains: bool,
    /// Source.
    pub source: Spanned<String>,
    /// Confidence.
    pub confidence: Confidence,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a domain is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainUse {
    /// Web pages.
    Web,
    /// E-mail.
    Email,
}

fn default_true() -> bool {
    true
}

/// An `[[email]]`, `[[phone]]` or `[[sms_sender]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueEntry {
    /// The address, number or sender name.
    pub value: Spanned<String>,
    /// What it is for.
    #[serde(default)]
    pub label: Option<String>,
    /// Source.
    pub source: Spanned<String>,
    /// Confidence.
    pub confidence: Confidence,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// An `[[app]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    /// `android` or `ios`.
    pub platform: Spanned<String>,
    /// Package name or store id.
    pub value: Spanned<String>,
    /// Source.
    pub source: Spanned<String>,
    /// Confidence.
    pub confidence: Confidence,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A `[[reporting]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingEntry {
    /// How to reach it.
    pub kind: ReportingKind,
    /// Address, number or URL.
    pub value: Spanned<String>,
    /// Source.
    pub source: Spanned<String>,
    /// Confidence.
    pub confidence: Confidence,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A `[[policy]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyEntry {
    /// Stable id.
    pub id: Spanned<String>,
    /// What is never asked for.
    pub never: Vec<LureKind>,
    /// Channels (empty: all).
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Whether the policy also holds for branches and services under this institution
    /// (default true).
    #[serde(default = "default_true")]
    pub children: bool,
    /// The policy in every language.
    pub text: Spanned<BTreeMap<Lang, String>>,
    /// Source.
    pub source: Spanned<String>,
    /// Confidence.
    pub confidence: Confidence,
}

/// An `[[advisory]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryEntry {
    /// Stable id.
    pub id: Spanned<String>,
    /// `YYYY-MM-DD` or `YYYY-MM`.
    pub date: Spanned<String>,
    /// Title in every language.
    pub title: Spanned<BTreeMap<Lang, String>>,
    /// Channels used.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Indicator domains.
    #[serde(default)]
    pub domains: Vec<Spanned<String>>,
    /// Indicator senders.
    #[serde(default)]
    pub senders: Vec<String>,
    /// Indicator phrases.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// How many phrases must match (default 1).
    #[serde(default)]
    pub min_phrases: Option<usize>,
    /// Source.
    pub source: Spanned<String>,
    /// Confidence.
    pub confidence: Confidence,
}
