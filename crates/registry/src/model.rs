//! The loaded, validated registry: what the checker reads.
//!
//! These types are built only by [`crate::load`] after a pack passed lint, so every value
//! here is already normalised (lower-case domains, E.164 phones) and carries its source.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A language the registry and the checker speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Polish.
    Pl,
    /// Romanian.
    Ro,
    /// English.
    En,
    /// Ukrainian.
    Uk,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// Italian.
    It,
    /// Czech.
    Cs,
}

impl Lang {
    /// Every supported language, in a stable order.
    pub const ALL: [Lang; 9] = [
        Lang::Pl,
        Lang::Ro,
        Lang::En,
        Lang::Uk,
        Lang::Fr,
        Lang::De,
        Lang::Es,
        Lang::It,
        Lang::Cs,
    ];

    /// The languages every registry text (policy, advisory title) must be given in, whatever
    /// the country; a country's own languages are required too. Other languages fall back to
    /// English when shown.
    pub const REGISTRY_REQUIRED: [Lang; 4] = [Lang::Pl, Lang::Ro, Lang::En, Lang::Uk];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::Ro => "ro",
            Lang::En => "en",
            Lang::Uk => "uk",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Cs => "cs",
        }
    }

    /// The supported codes for an error message: `pl, ro, en, uk, fr, de, es, it or cs`.
    pub fn supported_list() -> String {
        let codes: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        match codes.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// Parses an ISO 639-1 code (case-insensitive); `None` for unsupported languages.
    /// The country codes people often type instead (`ua`, `cz`) are accepted too.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "pl" => Some(Lang::Pl),
            "ro" => Some(Lang::Ro),
            "en" => Some(Lang::En),
            "uk" | "ua" => Some(Lang::Uk),
            "fr" => Some(Lang::Fr),
            "de" => Some(Lang::De),
            "es" => Some(Lang::Es),
            "it" => Some(Lang::It),
            "cs" | "cz" => Some(Lang::Cs),
            _ => None,
        }
    }
}

/// A text given in every supported language.
pub type Localized = BTreeMap<Lang, String>;

/// How far a fact can be trusted, as graded by its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A single non-official source, a code repository, or an inference.
    Low,
    /// Reputable press, or a copy of an official page hosted elsewhere.
    Medium,
    /// The institution's own site, an official notice, or a law.
    High,
}

impl Confidence {
    /// Whether a fact of this confidence may make a message `official`.
    pub fn can_authenticate(self) -> bool {
        self >= Confidence::Medium
    }
}

/// A channel a message or a contact travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Text message.
    Sms,
    /// E-mail.
    Email,
    /// Voice call.
    Phone,
    /// Web page or link.
    Web,
    /// Messenger apps (WhatsApp, Telegram, …).
    Messenger,
}

impl Channel {
    /// The lower-case name used in data files and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::Messenger => "messenger",
        }
    }
}

/// What a message asks of its reader: the shared vocabulary of lexicons and policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LureKind {
    /// Logins, passwords, PINs, one-time codes.
    Credentials,
    /// Activation keys, certificates, tokens for professional systems (PIAS, SIUI, gabinet).
    ActivationKey,
    /// National identifiers and identity documents: PESEL, CNP, ID card, passport.
    PersonalId,
    /// Payment-card number, expiry date, CVV.
    CardData,
    /// Online-banking login or a "log in with your bank" step.
    BankLogin,
    /// A payment, fee, surcharge or small "confirmation" charge.
    Payment,
    /// A refund, reimbursement, money or prize waiting for the reader.
    Refund,
    /// Installing an app, an update or remote-access software.
    SoftwareInstall,
    /// Sending documents, scans, contracts or medical records.
    Documents,
    /// Pressure of time: "today", "within 24 hours", "last reminder".
    Urgency,
    /// Threats: blocked account, loss of insurance, fines, legal action.
    Threat,
    /// A request to verify, confirm, update or unlock an account or data.
    Verification,
    /// Any link that is not an official one.
    Link,
    /// A request to call back or to reply to a number or address given in the message.
    Callback,
    /// A health pretext that calls for action: a test result or referral waiting, contact
    /// with an infected person, quarantine, eligibility for a vaccine, a card to renew.
    HealthNotice,
    /// A relative or patient in an emergency (an accident, a hospital, an arrest) and money
    /// needed at once for treatment, a lawyer or bail: the caller script of "the accident".
    Emergency,
    /// Someone sent to collect cash, a card or valuables at the door.
    CashCollection,
}

impl LureKind {
    /// Every lure kind, in a stable order.
    pub const ALL: [LureKind; 17] = [
        LureKind::Credentials,
        LureKind::ActivationKey,
        LureKind::PersonalId,
        LureKind::CardData,
        LureKind::BankLogin,
        LureKind::Payment,
        LureKind::Refund,
        LureKind::SoftwareInstall,
        LureKind::Documents,
        LureKind::Urgency,
        LureKind::Threat,
        LureKind::Verification,
        LureKind::Link,
        LureKind::Callback,
        LureKind::HealthNotice,
        LureKind::Emergency,
        LureKind::CashCollection,
    ];

    /// The snake_case name used in data files and JSON.
    pub fn name(self) -> &'static str {
        match self {
            LureKind::Credentials => "credentials",
            LureKind::ActivationKey => "activation_key",
            LureKind::PersonalId => "personal_id",
            LureKind::CardData => "card_data",
            LureKind::BankLogin => "bank_login",
            LureKind::Payment => "payment",
            LureKind::Refund => "refund",
            LureKind::SoftwareInstall => "software_install",
            LureKind::Documents => "documents",
            LureKind::Urgency => "urgency",
            LureKind::Threat => "threat",
            LureKind::Verification => "verification",
            LureKind::Link => "link",
            LureKind::Callback => "callback",
            LureKind::HealthNotice => "health_notice",
            LureKind::Emergency => "emergency",
            LureKind::CashCollection => "cash_collection",
        }
    }
}

/// Where a fact comes from and how far to trust it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The page, document or law the fact was read from.
    pub source: String,
    /// How far the source can be trusted.
    pub confidence: Confidence,
}

/// What an institution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// A public health insurer or payer (NFZ, CNAS).
    Payer,
    /// A regional branch or county house of a payer.
    Branch,
    /// A ministry.
    Ministry,
    /// A state agency or e-health operator (Centrum e-Zdrowia).
    Agency,
    /// A public e-health service or platform (IKP, e-recepta, PIAS).
    Service,
    /// A CSIRT or incident-reporting body (CSIRT CeZ, CERT Polska, DNSC).
    Csirt,
    /// An ombudsman or patient-rights office.
    Ombudsman,
    /// A pharmacy chain or online pharmacy (a private business whose shop fakes copy).
    Pharmacy,
}

/// An official web or e-mail domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// Lower-case ASCII (punycode) domain name.
    pub name: String,
    /// Serves web pages.
    pub web: bool,
    /// Sends e-mail.
    pub email: bool,
    /// Whether subdomains are official too.
    pub subdomains: bool,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// An official e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress {
    /// Lower-case address.
    pub address: String,
    /// What the address is for.
    pub label: Option<String>,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// An official phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// E.164 form, e.g. `+48800190590`.
    pub e164: String,
    /// The number as the pack writes it when written in groups (`+48 800 190 590`): shown to
    /// people as it is, without loading a numbering plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// What the number is for.
    pub label: Option<String>,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// An official SMS sender name (alphanumeric sender id) or short code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsSender {
    /// The sender as shown on the phone.
    pub name: String,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// An official mobile app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// `android` or `ios`.
    pub platform: String,
    /// Package name or store id.
    pub id: String,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// How a report reaches a reporting channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportingKind {
    /// Send an e-mail to this address.
    Email,
    /// Call this number.
    Phone,
    /// Forward the SMS to this number.
    Sms,
    /// Use this web form or page.
    Web,
}

/// A way to report a suspicious message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporting {
    /// How to reach it.
    pub kind: ReportingKind,
    /// Address, number (E.164 or a short code, as the loader normalises it) or URL.
    pub value: String,
    /// A number as the pack writes it, in groups (see [`Phone::written`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// A declared policy: "the institution never asks for X on channel Y".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Stable id, e.g. `pl.nfz.no-card-data`.
    pub id: String,
    /// What the institution never asks for.
    pub never: Vec<LureKind>,
    /// On which channels the policy holds (empty: all).
    pub channels: Vec<Channel>,
    /// Whether branches and services under the institution are bound by it too.
    pub children: bool,
    /// The policy in plain words, in every language.
    pub text: Localized,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// Indicators of a published advisory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    /// Domains used by the campaign (lower-case).
    pub domains: Vec<String>,
    /// Sender addresses or names used by the campaign.
    pub senders: Vec<String>,
    /// Phrases typical of the campaign (matched after text folding).
    pub phrases: Vec<String>,
}

/// A published warning about a running or past campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// Stable id, e.g. `ro.cnas.2025-02-pias`.
    pub id: String,
    /// Publication date, `YYYY-MM-DD` (or `YYYY-MM`).
    pub date: String,
    /// Title in every language.
    pub title: Localized,
    /// Channels the campaign used.
    pub channels: Vec<Channel>,
    /// What identifies the campaign.
    pub indicators: Indicators,
    /// How many phrase indicators must match (default 1).
    pub min_phrases: usize,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// One institution and all it declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    /// Stable id, `<country>.<short-name>`, e.g. `pl.nfz`.
    pub id: String,
    /// ISO 3166-1 alpha-2 country code, upper-case.
    pub country: String,
    /// What the institution is.
    pub kind: InstitutionKind,
    /// Parent institution for branches and services.
    pub parent: Option<String>,
    /// Full names per language.
    pub names: BTreeMap<Lang, Vec<String>>,
    /// Abbreviations (NFZ, CNAS, CeZ).
    pub abbreviations: Vec<String>,
    /// Those of [`Institution::abbreviations`] that are ordinary words or acronyms elsewhere
    /// ("CAS"): in a message's text they claim the institution only when the text is in one
    /// of the country's languages (or its language cannot be told).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_abbreviations: Vec<String>,
    /// Inflected and colloquial forms in any language (NFZ-u, Casei Naționale).
    pub forms: Vec<String>,
    /// Ids of institutions whose reporting channels apply to this one.
    pub report_to: Vec<String>,
    /// Official domains.
    pub domains: Vec<Domain>,
    /// Official e-mail addresses.
    pub emails: Vec<EmailAddress>,
    /// Official phone numbers.
    pub phones: Vec<Phone>,
    /// Official SMS senders.
    pub sms_senders: Vec<SmsSender>,
    /// Official apps.
    pub apps: Vec<App>,
    /// Own reporting channels.
    pub reporting: Vec<Reporting>,
    /// Declared policies.
    pub policies: Vec<Policy>,
    /// Published advisories.
    pub advisories: Vec<Advisory>,
    /// Where the institution's description comes from.
    pub source: String,
}

impl Institution {
    /// The first full name in `lang`, else in the country's or any language, else the id.
    pub fn display_name(&self, lang: Lang) -> &str {
        self.names
            .get(&lang)
            .or_else(|| self.names.get(&Lang::En))
            .or_else(|| self.names.values().next())
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or(&self.id)
    }

    /// The first abbreviation, else the display name.
    pub fn short_name(&self, lang: Lang) -> &str {
        self.abbreviations
            .first()
            .map(String::as_str)
            .unwrap_or_else(|| self.display_name(lang))
    }
}

/// A restricted public suffix: only public bodies can register names under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictedSuffix {
    /// The suffix, e.g. `gov.pl`.
    pub suffix: String,
    /// Source and confidence.
    pub provenance: Provenance,
}

/// Country-wide facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2 code, upper-case.
    pub code: String,
    /// Languages spoken to patients.
    pub languages: Vec<Lang>,
    /// Suffixes only public bodies can register.
    pub restricted_suffixes: Vec<RestrictedSuffix>,
    /// Ids of national reporting bodies (CERT Polska, DNSC).
    pub national_reporting: Vec<String>,
}

/// The whole registry: every country pack, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// Version of the data set, e.g. `2026.11.22`.
    pub version: String,
    /// Country packs, sorted by code.
    pub countries: Vec<Country>,
    /// Institutions, sorted by id.
    pub institutions: Vec<Institution>,
}

impl Registry {
    /// The institution with this id.
    pub fn institution(&self, id: &str) -> Option<&Institution> {
        self.institutions
            .binary_search_by(|i| i.id.as_str().cmp(id))
            .ok()
            .map(|ix| &self.institutions[ix])
    }

    /// The country pack with this code.
    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.iter().find(|c| c.code == code)
    }

    /// The canonical byte form that signatures cover: compact JSON of the whole registry.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("registry types always serialise")
    }
}
