//! The JSON API under `/v1`, plus `/healthz`, `/metrics` and `/openapi.json`.

use crate::app::AppState;
use crate::error::{body_rejection, ApiError, ErrorBody, JsonBody};
use crate::message::{parse_lang, CheckRequest, ReportRequest, Submission};
use crate::{docs, ids};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use healthguard_registry::{Lang, Registry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest reporter contact kept (characters).
pub const MAX_CONTACT_CHARS: usize = 256;

/// Registry answers, serialised once at start.
pub struct RegistryDocs {
    version: String,
    /// Institution list per language.
    lists: Vec<(Lang, Bytes)>,
    /// id → institution JSON.
    one: std::collections::HashMap<String, Bytes>,
    advisories: Bytes,
}

/// One institution in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionSummary {
    /// Stable id, e.g. `pl.nfz`.
    pub id: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// What the institution is (`payer`, `agency`, `csirt`, `service`, …).
    #[schema(value_type = String)]
    pub kind: serde_json::Value,
    /// Full name in the asked language.
    pub name: String,
    /// Abbreviations.
    pub abbreviations: Vec<String>,
    /// Parent institution id.
    pub parent: Option<String>,
    /// Official web domains.
    pub domains: Vec<String>,
}

/// `GET /v1/institutions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionList {
    /// Registry version.
    pub version: String,
    /// Institutions, sorted by id.
    pub institutions: Vec<InstitutionSummary>,
}

impl RegistryDocs {
    /// Serialises the registry's public views.
    pub fn new(registry: &Registry) -> RegistryDocs {
        let lists = Lang::ALL
            .iter()
            .map(|&lang| {
                let list = InstitutionList {
                    version: registry.version.clone(),
                    institutions: registry
                        .institutions
                        .iter()
                        .map(|i| InstitutionSummary {
                            id: i.id.clone(),
                            country: i.country.clone(),
                            kind: serde_json::to_value(i.kind).unwrap_or_default(),
                            name: i.display_name(lang).to_string(),
                            abbreviations: i.abbreviations.clone(),
                            parent: i.parent.clone(),
                            domains: i.domains.iter().filter(|d| d.web).map(|d| d.name.clone()).collect(),
                        })
                        .collect(),
                };
                (lang, Bytes::from(serde_json::to_vec(&list).unwrap_or_default()))
            })
            .collect();
        let one = registry
            .institutions
            .iter()
            .map(|i| (i.id.clone(), Bytes::from(serde_json::to_vec(i).unwrap_or_default())))
            .collect();
        let advisories: Vec<serde_json::Value> = registry
            .institutions
            .iter()
            .flat_map(|i| {
                i.advisories.iter().map(move |a| {
                    let mut v = serde_json::to_value(a).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        o.insert("institution".into(), serde_json::Value::String(i.id.clone()));
                    }
                    v
                })
            })
            .collect();
        RegistryDocs {
            version: registry.version.clone(),
            lists,
            one,
            advisories: Bytes::from(
                serde_json::to_vec(&serde_json::json!({"version": registry.version, "advisories": advisories}))
                    .unwrap_or_default(),
            ),
        }
    }
}

/// Serialises into one buffer sized for a verdict (axum's `Json` starts small and grows).
pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut buf = Vec::with_capacity(8 * 1024);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => {
            let mut res = json_bytes(Bytes::from(buf));
            *res.status_mut() = status;
            res
        }
        Err(_) => ApiError::internal().into_response(),
    }
}

fn json_bytes(bytes: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        bytes,
    )
        .into_response()
}

/// Query parameter `lang`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LangQuery {
    /// `pl`, `ro`, `en` or `uk`.
    pub lang: Option<String>,
}

/// Checks a message.
#[utoipa::path(
    post, path = "/v1/check", tag = "check",
    request_body(content = CheckRequest, description = "The message; `kind` is one of sms, email, url, phone, text."),
    responses(
        (status = 200, description = "The verdict (same JSON as `healthguard check --format json`)", body = docs::ReportDoc),
        (status = 400, description = "Invalid JSON, UTF-8, fields or language", body = ErrorBody),
        (status = 413, description = "Body larger than the limit", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
    )
)]
pub async fn check(State(state): State<AppState>, JsonBody(req): JsonBody<CheckRequest>) -> Result<Response, ApiError> {
    let lang = parse_lang(req.lang.as_deref())?;
    let submission = Submission::from(req.message);
    if let Some(problem) = submission.problem() {
        return Err(ApiError::bad_request(problem));
    }
    let (_, analysis) = state.analyze(submission).await?;
    Ok(verdict_response(&state, &analysis, lang))
}

/// Reads an uploaded e-mail: the raw body, or the first file of a multipart form.
async fn read_upload(req: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    if let Some(e) = crate::error::declared_too_large(req.headers(), limit) {
        return Err(e);
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    let raw = if is_multipart {
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad_request(format!("the upload could not be read: {}", e.body_text())))?;
        let mut found = None;
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let is_file = field.file_name().is_some() || field.name() == Some("file");
                    let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
                    if is_file && found.is_none() {
                        found = Some(bytes.to_vec());
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(multipart_error(e, limit)),
            }
        }
        found.ok_or_else(|| ApiError::bad_request("the form has no file: send the e-mail in a field named `file`"))?
    } else {
        Bytes::from_request(req, &())
            .await
            .map_err(|r| body_rejection(r, limit))?
            .to_vec()
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the uploaded e-mail is empty"));
    }
    Ok(raw)
}

/// Maps a multipart failure; 413 past the limit.
pub fn multipart_error(e: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(limit)
    } else {
        ApiError::bad_request(format!("the upload could not be read: {}", e.body_text()))
    }
}

/// Checks an uploaded raw e-mail (.eml).
#[utoipa::path(
    post, path = "/v1/check/email", tag = "check",
    params(LangQuery),
    request_body(content = String, description = "The raw message (message/rfc822 or application/octet-stream), or multipart/form-data with the file in field `file`.", content_type = "message/rfc822"),
    responses(
        (status = 200, description = "The verdict", body = docs::ReportDoc),
        (status = 400, description = "Empty or unreadable upload, unknown language", body = ErrorBody),
        (status = 413, description = "Upload larger than the limit", body = ErrorBody),
        (status = 429, description = "Too many requests from this client", body = ErrorBody),
    )
)]
pub async fn check_email(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let lang = parse_lang(q.lang.as_deref())?;
    let raw = read_upload(req, state.0.max_upload_bytes).await?;
    let (_, analysis) = state.analyze(Submission::Email { raw }).await?;
    Ok(verdict_response(&state, &analysis, lang))
}

/// Header naming the registry version a verdict was explained with.
pub const REGISTRY_HEADER: &str = "healthguard-registry";

/// A verdict's JSON, with the registry version in [`REGISTRY_HEADER`].
fn verdict_response(state: &AppState, analysis: &healthguard_core::Analysis, lang: Option<Lang>) -> Response {
    let checker = state.checker();
    let report = checker.report(analysis, &state.0.catalog, lang);
    let mut res = json_response(StatusCode::OK, &report);
    if let Ok(v) = axum::http::HeaderValue::from_str(&checker.registry().version) {
        res.headers_mut().insert(REGISTRY_HEADER, v);
    }
    res
}

/// `POST /v1/reports` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportCreated {
    /// The report's id.
    pub id: String,
    /// The reporter's secret key to the report; shown once, stored only as a hash.
    pub token: String,
    /// `received`.
    pub status: String,
    /// Verdict at intake.
    pub verdict: String,
    /// Where to read the status (keep it private: it holds the token).
    pub status_url: String,
}

/// Validates the reporter's contact: kept only with consent.
pub fn reporter_contact(contact: Option<&str>, consent: bool) -> Result<Option<String>, ApiError> {
    let contact = contact.map(str::trim).filter(|c| !c.is_empty());
    match contact {
        None => Ok(None),
        Some(_) if !consent => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "consent_required",
            "a contact was given without consent: set consent to true to store it, or leave the contact out",
        )),
        Some(c) if c.chars().count() > MAX_CONTACT_CHARS || c.chars().any(char::is_control) => {
            Err(ApiError::bad_request(format!(
                "the contact must be one line of at most {MAX_CONTACT_CHARS} characters"
            )))
        }
        Some(c) => Ok(Some(c.to_string())),
    }
}

/// Files a report; answers only once it is durable.
#[utoipa::path(
    post, path = "/v1/reports", tag = "reports",
    request_body = ReportRequest,
    responses(
        (status = 201, description = "Stored durably", body = ReportCreated),
        (status = 400, description = "Invalid request, empty message, contact without consent", body = ErrorBody),
        (status = 413, description = "Body larger than the limit", body = ErrorBody),
        (status = 429, description = "Too many reports from this client", body = ErrorBody),
        (status = 503, description = "Storage unavailable: the report was NOT stored", body = ErrorBody),
    )
)]
pub async fn create_report(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<ReportRequest>,
) -> Result<Response, ApiError> {
    let lang = parse_lang(req.lang.as_deref())?;
    let contact = reporter_contact(req.contact.as_deref(), req.consent)?;
    let sub = Submission::from(req.message);
    if sub.is_empty() {
        return Err(ApiError::bad_request(
            "the message is empty: send the message you want to report",
        ));
    }
    let (sub, analysis) = state.analyze(sub).await?;
    let (id, token) = state
        .file_report(&sub, &analysis, contact, lang)
        .await
        .map_err(ApiError::storage)?;
    let body = ReportCreated {
        status_url: format!("/v1/reports/{id}?token={token}"),
        id,
        token,
        status: "received".into(),
        verdict: analysis.verdict.name().into(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Query parameter `token`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TokenQuery {
    /// The token answered when the report was filed.
    pub token: Option<String>,
}

/// `GET /v1/reports/{id}` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportState {
    /// The report's id.
    pub id: String,
    /// `received`, later set by triage.
    pub status: String,
    /// When it was filed (RFC 3339, UTC).
    pub created_at: String,
    /// Kind of message.
    pub kind: String,
    /// Verdict at intake.
    pub verdict: String,
    /// Score at intake.
    pub score: f64,
    /// Claimed institution id.
    pub institution: Option<String>,
}

/// Looks a report up for its reporter (id + token).
pub(crate) async fn lookup_report(state: &AppState, id: &str, token: Option<&str>) -> Result<ReportState, ApiError> {
    let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::bad_request("the token is missing: add ?token=… as answered when the report was filed")
    })?;
    let not_found = || ApiError::not_found("no report with this id and token");
    if !ids::is_report_id(id) || token.len() > 128 {
        return Err(not_found());
    }
    let stored = state
        .store()
        .get(id)
        .await
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", e.to_string()))?
        .ok_or_else(not_found)?;
    if !ids::token_matches(token, &stored.token_hash) {
        return Err(not_found());
    }
    Ok(ReportState {
        id: stored.id,
        status: stored.status,
        created_at: ids::rfc3339(stored.created_at_ms),
        kind: stored.kind,
        verdict: stored.verdict,
        score: stored.score,
        institution: stored.institution,
    })
}

/// The status of a report, for its reporter.
#[utoipa::path(
    get, path = "/v1/reports/{id}", tag = "reports",
    params(("id" = String, Path, description = "Report id"), TokenQuery),
    responses(
        (status = 200, description = "The report's status", body = ReportState),
        (status = 400, description = "Token missing", body = ErrorBody),
        (status = 404, description = "No report with this id and token", body = ErrorBody),
    )
)]
pub async fn report_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Result<Json<ReportState>, ApiError> {
    lookup_report(&state, &id, q.token.as_deref()).await.map(Json)
}

/// Lists the registry's institutions.
#[utoipa::path(
    get, path = "/v1/institutions", tag = "registry",
    params(LangQuery),
    responses((status = 200, description = "Institutions", body = InstitutionList))
)]
pub async fn institutions(State(state): State<AppState>, Query(q): Query<LangQuery>) -> Result<Response, ApiError> {
    let lang = parse_lang(q.lang.as_deref())?.unwrap_or(Lang::En);
    let live = state.live();
    let docs = &live.registry;
    let bytes = docs
        .lists
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, b)| b.clone())
        .unwrap_or_default();
    Ok(json_bytes(bytes))
}

/// One institution: names, official domains, e-mail addresses, phones, SMS senders, apps,
/// reporting channels, declared policies and advisories, each with its source.
#[utoipa::path(
    get, path = "/v1/institutions/{id}", tag = "registry",
    params(("id" = String, Path, description = "Institution id, e.g. pl.nfz")),
    responses(
        (status = 200, description = "The institution as in the signed registry", body = Object),
        (status = 404, description = "Unknown id", body = ErrorBody),
    )
)]
pub async fn institution(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    state
        .live()
        .registry
        .one
        .get(&id)
        .cloned()
        .map(json_bytes)
        .ok_or_else(|| ApiError::not_found("no institution with this id; see /v1/institutions"))
}

/// Every published advisory, with the institution it concerns.
#[utoipa::path(
    get, path = "/v1/advisories", tag = "registry",
    responses((status = 200, description = "`{version, advisories: [{institution, id, date, title, channels, indicators, …}]}`", body = Object))
)]
pub async fn advisories(State(state): State<AppState>) -> Response {
    json_bytes(state.live().registry.advisories.clone())
}

/// `GET /healthz` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// Whether the report store answers.
    pub storage: bool,
    /// Registry version.
    pub registry: String,
}

/// Liveness and storage health.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Healthy", body = Health), (status = 503, description = "Storage down", body = Health))
)]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let storage = state.store().ping().await.is_ok();
    let body = Health {
        status: if storage { "ok" } else { "degraded" }.into(),
        storage,
        registry: state.live().registry.version.clone(),
    };
    let status = if storage {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.0.metrics.render(),
    )
        .into_response()
}

/// The OpenAPI document of this API.
pub async fn openapi() -> Response {
    static DOC: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    json_bytes(DOC.get_or_init(|| Bytes::from(docs::openapi_json())).clone())
}
