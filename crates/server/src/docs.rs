//! The OpenAPI document (`/openapi.json`), generated from the handlers' annotations.
//!
//! The verdict JSON is `healthguard_core::Report`; the core stays free of HTTP concerns, so
//! its schema is described here by mirror types. A test checks that the mirror and the real
//! JSON have the same fields.

#![allow(dead_code)]

use crate::api;
use crate::error::ErrorBody;
use crate::message::{CheckRequest, ReportRequest, WireMessage};
use utoipa::{OpenApi, ToSchema};

/// The verdict: the JSON contract shared with `healthguard check --format json`.
#[derive(ToSchema)]
#[schema(as = Report)]
pub struct ReportDoc {
    /// `official` | `unverified` | `suspicious` | `phishing`.
    #[schema(example = "phishing")]
    verdict: String,
    /// Score after group caps.
    score: f32,
    /// Claimed institution id, or null.
    institution: Option<String>,
    /// Claimed institution's name in the reader's language.
    institution_name: Option<String>,
    /// `sms` | `email` | `url` | `phone` | `text`.
    kind: String,
    /// Language of the explanations (`pl`, `ro`, `en`, `uk`).
    language: String,
    /// Language the message is written in, when detected.
    message_language: Option<String>,
    /// What the verdict rests on: `nothing` | `sender_unconfirmed` (only the sender could not
    /// be authenticated) | `one_sign` | `signs`. Headline and summary are worded after it.
    #[schema(example = "signs")]
    basis: String,
    /// Short headline for the verdict, worded after its basis.
    headline: String,
    /// One sentence on what the verdict means, worded after its basis.
    summary: String,
    /// Findings, strongest first.
    findings: Vec<FindingDoc>,
    /// What to do; contacts come only from the registry, never from the message.
    advice: AdviceDoc,
}

/// One finding with its evidence and explanation.
#[derive(ToSchema)]
#[schema(as = Finding)]
pub struct FindingDoc {
    /// Stable code (see `data/scores.toml`).
    code: String,
    /// Weight in the score.
    weight: f32,
    /// Exact evidence from the message.
    evidence: String,
    /// Explanation in the reader's language.
    message: String,
    /// Institution concerned.
    institution: Option<String>,
    /// `[key, value]` pairs: policy id, advisory id, imitated domain, technique…
    params: Option<Vec<Vec<String>>>,
    /// What it is about, the heading it is shown under: `sender`, `link`, `request`, `money`,
    /// `content` or `other`.
    about: String,
}

/// Advice.
#[derive(ToSchema)]
#[schema(as = Advice)]
pub struct AdviceDoc {
    /// Plain steps in the reader's language.
    steps: Vec<String>,
    /// Official contacts of the claimed institution.
    official_contacts: Vec<ContactDoc>,
    /// Where to report, best route first (`primary`); empty for official and unverified
    /// results, which have nothing to report.
    report_to: Vec<ContactDoc>,
}

/// A contact from the registry.
#[derive(ToSchema)]
#[schema(as = Contact)]
pub struct ContactDoc {
    /// `web`, `phone`, `email` or `sms`.
    kind: String,
    /// URL, number or address, as in the registry.
    value: String,
    /// The value as people read it: a phone number grouped (`+48 800 190 590`).
    #[schema(example = "+48 800 190 590")]
    display: String,
    /// A link that opens it: `tel:`, `sms:`, `mailto:` or the web address.
    #[schema(example = "tel:+48800190590")]
    href: String,
    /// Institution id.
    institution: String,
    /// Institution name in the reader's language.
    name: String,
    /// `low` | `medium` | `high`.
    confidence: String,
    /// True below `high` confidence: shown marked "(unconfirmed)".
    unconfirmed: bool,
    /// The one best reporting route for this message (shown first, the others folded).
    primary: bool,
    /// The step in plain words.
    text: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HealthGuard",
        description = "Does this message really come from the health institution it claims? Check SMS, e-mails, links, phone numbers and text against a signed registry of official channels; read the registry; report messages.",
        license(name = "Apache-2.0")
    ),
    paths(
        api::check,
        api::check_email,
        api::create_report,
        api::report_status,
        api::institutions,
        api::institution,
        api::advisories,
        api::healthz,
        api::metrics,
    ),
    components(schemas(
        CheckRequest,
        ReportRequest,
        WireMessage,
        ReportDoc,
        FindingDoc,
        AdviceDoc,
        ContactDoc,
        ErrorBody,
        api::ReportCreated,
        api::ReportState,
        api::InstitutionList,
        api::InstitutionSummary,
        api::Health,
    )),
    tags(
        (name = "check", description = "Verdicts"),
        (name = "reports", description = "Report intake and status"),
        (name = "registry", description = "Official channels, policies and advisories"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// The OpenAPI document as JSON.
pub fn openapi_json() -> Vec<u8> {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default().into_bytes()
}
