//! `/v1/triage`: the analysts' JSON API, `Authorization: Bearer TOKEN` (from `healthguard
//! tokens create`). 401 without a known token, 403 below the route's role. Every view,
//! change and export is written to the audit log before it is answered; personal data is
//! redacted unless an admin asks `reveal=true` (audited as `reveal`).
//!
//! The functions that gather a view (`report_view`, `campaign_json`, `export_body`) are
//! shared with the web UI (`triage_web.rs`).

use crate::access::{Principal, Role, Status};
use crate::app::AppState;
use crate::error::{parse_json, ApiError};
use crate::ids;
use crate::store::{AuditEntry, Change, ReportQuery, StoreError, TriageDetail, TriageRow};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use healthguard_triage::export::arf::{self, Sample};
use healthguard_triage::export::{blocklist, misp, rfc3339, stix, Context};
use healthguard_triage::{Campaign, Report};
use serde::Deserialize;
use serde_json::{json, Value};

/// A store failure as the API shows it.
pub(crate) fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Refused(m) => ApiError::new(StatusCode::CONFLICT, "refused", m),
        e => ApiError::storage(e),
    }
}

/// 401: no credentials or unknown ones.
pub(crate) fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "this needs an analyst's credentials: send Authorization: Bearer TOKEN (healthguard tokens create)",
    )
}

/// 403: known, but the role is too low.
pub(crate) fn forbidden(need: Role) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("this needs the {} role or higher", need.name()),
    )
}

/// The holder of the request's bearer token, with at least `need`.
async fn bearer(state: &AppState, headers: &HeaderMap, need: Role) -> Result<Principal, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(unauthorized)?;
    let who = state
        .store()
        .token(crate::access::hash_token(token))
        .await
        .map_err(store_error)?
        .ok_or_else(unauthorized)?;
    if who.role < need {
        return Err(forbidden(need));
    }
    Ok(who)
}

/// Appends to the audit log; a failure refuses the request (nothing unaudited is shown).
pub(crate) async fn audit(
    state: &AppState,
    who: &Principal,
    action: &str,
    object: &str,
    detail: impl Into<String>,
) -> Result<(), ApiError> {
    state
        .store()
        .audit(AuditEntry {
            at_ms: ids::now_ms(),
            actor: who.name.clone(),
            action: action.to_string(),
            object: object.to_string(),
            detail: detail.into(),
        })
        .await
        .map_err(store_error)
}

/// Query of `GET /v1/triage/reports` (and the UI's list).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub institution: Option<String>,
    pub campaign: Option<String>,
    pub q: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub since: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub until: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Days since the epoch of a `YYYY-MM-DD` date.
fn day_ms(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let (y, m, d): (i64, i64, i64) = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    if it.next().is_some() || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // H. Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

impl ListParams {
    /// The store query; a bad value is a 400.
    pub(crate) fn query(&self) -> Result<ReportQuery, ApiError> {
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let status = match nonempty(&self.status) {
            Some(s) => Some(Status::parse(&s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown status {s:?}: one of new, triaged, confirmed_phishing, benign, duplicate, closed"
                ))
            })?),
            None => None,
        };
        let date = |v: &Option<String>, add: i64| -> Result<Option<i64>, ApiError> {
            match nonempty(v) {
                Some(s) => day_ms(&s)
                    .map(|ms| Some(ms + add))
                    .ok_or_else(|| ApiError::bad_request(format!("{s:?} is not a date (YYYY-MM-DD)"))),
                None => Ok(None),
            }
        };
        let q = nonempty(&self.q);
        if q.as_ref().is_some_and(|q| q.len() > 200) {
            return Err(ApiError::bad_request("the search text is longer than 200 bytes"));
        }
        Ok(ReportQuery {
            status,
            channel: nonempty(&self.channel),
            institution: nonempty(&self.institution),
            campaign: nonempty(&self.campaign),
            q,
            since_ms: date(&self.since, 0)?,
            until_ms: date(&self.until, 86_400_000)?,
            page: self.page.unwrap_or(1).clamp(1, 1_000_000),
            per_page: self.per_page.unwrap_or(50).clamp(1, 500),
        })
    }
}

fn row_json(r: &TriageRow) -> Value {
    json!({
        "id": r.id,
        "created_at": rfc3339(r.created_at_ms),
        "channel": r.kind,
        "verdict": r.verdict,
        "score": r.score,
        "institution": r.institution,
        "status": r.status.name(),
        "assignee": r.assignee,
        "campaign": r.campaign,
        "sender": r.sender,
    })
}

/// `GET /v1/triage/reports`.
pub(crate) async fn list_reports(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Viewer).await?;
    let query = params.query()?;
    audit(&state, &who, "list", "reports", format!("{query:?}")).await?;
    let page = state.store().list_reports(&query).await.map_err(store_error)?;
    Ok(Json(json!({
        "items": page.items.iter().map(row_json).collect::<Vec<_>>(),
        "total": page.total,
        "page": query.page,
        "per_page": query.per_page,
    })))
}

/// A report as an analyst sees it: redacted unless revealed.
pub(crate) struct ReportView {
    pub detail: TriageDetail,
    pub sample: Sample,
    /// The raw message and contact, only when revealed.
    pub revealed: Option<(String, Option<String>)>,
}

/// Loads a report and audits the view (`view` or `reveal`); revealing needs admin.
pub(crate) async fn report_view(
    state: &AppState,
    who: &Principal,
    id: &str,
    reveal: bool,
) -> Result<ReportView, ApiError> {
    if reveal && who.role < Role::Admin {
        return Err(forbidden(Role::Admin));
    }
    let detail = state
        .store()
        .report(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found(format!("no report {id:?}")))?;
    audit(state, who, if reveal { "reveal" } else { "view" }, id, "").await?;
    let report = Report {
        id: detail.row.id.clone(),
        created_at_ms: detail.row.created_at_ms,
        kind: detail.row.kind.clone(),
        institution: detail.row.institution.clone(),
        sender: detail.row.sender.clone(),
        message: detail.message.clone(),
        contact: detail.contact.clone(),
    };
    let official = std::sync::Arc::clone(&state.live().official);
    let sample = tokio::task::spawn_blocking(move || Sample::of(&report, &official))
        .await
        .map_err(|_| ApiError::internal())?;
    let revealed = reveal.then(|| {
        (
            String::from_utf8_lossy(&detail.message).into_owned(),
            detail.contact.clone(),
        )
    });
    Ok(ReportView {
        detail,
        sample,
        revealed,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevealParam {
    reveal: Option<bool>,
}

/// `GET /v1/triage/reports/{id}`.
pub(crate) async fn get_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<RevealParam>,
) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Viewer).await?;
    let v = report_view(&state, &who, &id, p.reveal.unwrap_or(false)).await?;
    let mut out = row_json(&v.detail.row);
    let o = out.as_object_mut().ok_or_else(ApiError::internal)?;
    o.insert(
        "message".into(),
        json!({
            "sender_name": v.sample.sender_name,
            "sender_address": v.sample.sender_address,
            "subject": v.sample.subject,
            "text": v.sample.body,
            "redacted": v.revealed.is_none(),
        }),
    );
    if let Some((raw, contact)) = &v.revealed {
        o.insert("raw".into(), json!(raw));
        o.insert("contact".into(), json!(contact));
    }
    o.insert(
        "findings".into(),
        serde_json::from_str(&v.detail.findings_json).unwrap_or(Value::Null),
    );
    o.insert(
        "notes".into(),
        v.detail
            .notes
            .iter()
            .map(|n| json!({"author": n.author, "at": rfc3339(n.at_ms), "text": n.text}))
            .collect(),
    );
    Ok(Json(out))
}

/// Body of `POST /v1/triage/reports/{id}`: any of the three.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    pub status: Option<String>,
    /// A user name; `""` clears it.
    pub assignee: Option<String>,
    pub note: Option<String>,
}

/// Applies a change body: each part audited, then applied.
pub(crate) async fn apply_changes(
    state: &AppState,
    who: &Principal,
    id: &str,
    body: ChangeBody,
) -> Result<(), ApiError> {
    let mut changes = Vec::new();
    if let Some(s) = body.status.as_deref().filter(|s| !s.is_empty()) {
        let st = Status::parse(s).ok_or_else(|| ApiError::bad_request(format!("unknown status {s:?}")))?;
        changes.push((Change::Status(st), "status", st.name().to_string()));
    }
    if let Some(a) = body.assignee {
        let a = a.trim().to_string();
        let detail = a.clone();
        changes.push((Change::Assignee((!a.is_empty()).then_some(a)), "assign", detail));
    }
    if let Some(n) = body.note.filter(|n| !n.trim().is_empty()) {
        changes.push((Change::Note(n), "note", String::new()));
    }
    if changes.is_empty() {
        return Err(ApiError::bad_request(
            "nothing to change: give status, assignee or note",
        ));
    }
    for (change, action, detail) in changes {
        audit(state, who, action, id, detail).await?;
        if !state
            .store()
            .change_report(id, change, &who.name)
            .await
            .map_err(store_error)?
        {
            return Err(ApiError::not_found(format!("no report {id:?}")));
        }
    }
    Ok(())
}

/// `POST /v1/triage/reports/{id}`: `{"status": …, "assignee": …, "note": …}` (analyst).
pub(crate) async fn change_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let who = bearer(&state, &headers, Role::Analyst).await?;
    let body: ChangeBody = parse_json(&body)?;
    apply_changes(&state, &who, &id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A campaign as JSON, with its reports' statuses when known.
pub(crate) fn campaign_json(
    c: &Campaign,
    statuses: Option<&std::collections::BTreeMap<Status, u64>>,
    reports: bool,
) -> Value {
    let mut v = json!({
        "id": c.id,
        "reports": c.reports.len(),
        "institution": c.institution(),
        "institutions": c.institutions,
        "first_seen": rfc3339(c.first_seen_ms),
        "last_seen": rfc3339(c.last_seen_ms),
        "channels": c.channels,
        "indicators": top_indicators(c).iter().map(|(i, n)| json!({"kind": i.kind.name(), "value": i.value, "count": n})).collect::<Vec<_>>(),
        "official_mentioned": c.official,
        "statuses": statuses.map(|s| s.iter().map(|(k, v)| (k.name().to_string(), json!(v))).collect::<serde_json::Map<_, _>>()),
    });
    if reports {
        v["report_ids"] = json!(c.reports);
    }
    v
}

/// Indicators, the most reported first.
pub(crate) fn top_indicators(c: &Campaign) -> Vec<(&healthguard_triage::Indicator, u64)> {
    let mut v: Vec<_> = c.indicators.iter().map(|(i, &n)| (i, n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v
}

/// `GET /v1/triage/campaigns`.
pub(crate) async fn list_campaigns(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Viewer).await?;
    audit(&state, &who, "list", "campaigns", "").await?;
    let campaigns = state.store().campaigns().await.map_err(store_error)?;
    let statuses = state.store().campaign_statuses().await.map_err(store_error)?;
    Ok(Json(json!({
        "items": campaigns.iter().map(|c| campaign_json(c, statuses.get(&c.id), false)).collect::<Vec<_>>()
    })))
}

/// `GET /v1/triage/campaigns/{id}`.
pub(crate) async fn get_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Viewer).await?;
    let c = state
        .store()
        .campaign(&id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found(format!("no campaign {id:?}")))?;
    audit(&state, &who, "view", &id, "").await?;
    let statuses = state.store().campaign_statuses().await.map_err(store_error)?;
    Ok(Json(campaign_json(&c, statuses.get(&c.id), true)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    with: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    reports: Vec<String>,
}

/// Merges `id` with `other`, audited; the surviving id.
pub(crate) async fn merge(state: &AppState, who: &Principal, id: &str, other: &str) -> Result<String, ApiError> {
    audit(state, who, "merge", id, other).await?;
    state
        .store()
        .merge_campaigns(id, other, &who.name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("both campaigns must exist and differ"))
}

/// Splits reports off `id`, audited; the new id.
pub(crate) async fn split(state: &AppState, who: &Principal, id: &str, reports: &[String]) -> Result<String, ApiError> {
    audit(state, who, "split", id, reports.join(",")).await?;
    state
        .store()
        .split_campaign(id, reports, &who.name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            ApiError::not_found("the campaign must exist and the reports must be some, not all, of its reports")
        })
}

/// `POST /v1/triage/campaigns/{id}/merge` `{"with": ID}` (analyst).
pub(crate) async fn merge_campaigns(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Analyst).await?;
    let body: MergeBody = parse_json(&body)?;
    let kept = merge(&state, &who, &id, &body.with).await?;
    Ok(Json(json!({ "id": kept })))
}

/// `POST /v1/triage/campaigns/{id}/split` `{"reports": [IDS]}` (analyst).
pub(crate) async fn split_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Analyst).await?;
    let body: SplitBody = parse_json(&body)?;
    let new_id = split(&state, &who, &id, &body.reports).await?;
    Ok(Json(json!({ "id": new_id })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FormatParam {
    pub format: Option<String>,
}

/// An export's body and content type; campaigns `None` = everything confirmed. Audited.
pub(crate) async fn export_body(
    state: &AppState,
    who: &Principal,
    campaign: Option<&str>,
    format: &str,
) -> Result<(String, &'static str, String), ApiError> {
    const FORMATS: &str = "stix, misp, arf, domains, hosts, rpz or adblock";
    if !["stix", "misp", "arf", "domains", "hosts", "rpz", "adblock"].contains(&format) {
        return Err(ApiError::bad_request(format!("format must be {FORMATS}")));
    }
    let chosen: Vec<Campaign> = match campaign {
        Some(id) => vec![state
            .store()
            .campaign(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ApiError::not_found(format!("no campaign {id:?}")))?],
        None => confirmed_campaigns(state).await?,
    };
    audit(state, who, "export", campaign.unwrap_or("confirmed"), format).await?;
    let refs: Vec<&Campaign> = chosen.iter().collect();
    let live = state.live();
    let official = &live.official;
    let ctx = Context {
        generated_at_ms: ids::now_ms(),
        registry: live.analyzer.checker.registry(),
        official,
    };
    let name = campaign.unwrap_or("confirmed");
    let (body, ctype, ext) = match format {
        "domains" | "hosts" | "rpz" | "adblock" => blocklist_body(format, &refs, &ctx).unwrap_or_default(),
        "stix" => (
            stix::bundle(&refs, &ctx) + "\n",
            "application/stix+json;version=2.1",
            "json",
        ),
        "misp" => (misp::event(&refs, &ctx) + "\n", "application/json", "json"),
        _ => {
            let mut reports = Vec::new();
            for c in &refs {
                let first = c.reports.first().cloned().unwrap_or_default();
                let sample = match state.store().report(&first).await.map_err(store_error)? {
                    Some(d) => {
                        let r = Report {
                            id: d.row.id,
                            created_at_ms: d.row.created_at_ms,
                            kind: d.row.kind,
                            institution: d.row.institution,
                            sender: d.row.sender,
                            message: d.message,
                            contact: d.contact,
                        };
                        Some(Sample::of(&r, official))
                    }
                    None => None,
                };
                reports.push(arf::report(c, sample.as_ref(), &ctx, "healthguard@localhost"));
            }
            let body = match reports.as_slice() {
                [one] => one.clone(),
                _ => arf::mbox(&reports, &ctx),
            };
            let ctype = if reports.len() == 1 {
                "message/rfc822"
            } else {
                "application/mbox"
            };
            (body, ctype, if reports.len() == 1 { "eml" } else { "mbox" })
        }
    };
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Ok((body, ctype, format!("healthguard-{safe}-{format}.{ext}")))
}

/// An export as a download.
pub(crate) fn download(body: String, ctype: &'static str, filename: &str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `GET /v1/triage/campaigns/{id}/export?format=…`.
pub(crate) async fn export_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<FormatParam>,
) -> Result<Response, ApiError> {
    let who = bearer(&state, &headers, Role::Viewer).await?;
    let (body, ctype, name) = export_body(&state, &who, Some(&id), p.format.as_deref().unwrap_or("")).await?;
    Ok(download(body, ctype, &name))
}

/// `GET /v1/triage/export?format=…`: every campaign with a report confirmed as phishing.
pub(crate) async fn export_confirmed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<FormatParam>,
) -> Result<Response, ApiError> {
    let who = bearer(&state, &headers, Role::Viewer).await?;
    let (body, ctype, name) = export_body(&state, &who, None, p.format.as_deref().unwrap_or("")).await?;
    Ok(download(body, ctype, &name))
}

#[derive(Debug, Deserialize)]
pub(crate) struct LimitParam {
    limit: Option<u32>,
}

/// `GET /v1/triage/audit?limit=N` (admin): the latest audit entries.
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<LimitParam>,
) -> Result<Json<Value>, ApiError> {
    let who = bearer(&state, &headers, Role::Admin).await?;
    audit(&state, &who, "view", "audit", "").await?;
    let entries = state
        .store()
        .audit_log(p.limit.unwrap_or(100).clamp(1, 10_000))
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "items": entries.iter().map(|e| json!({
            "at": rfc3339(e.at_ms), "actor": e.actor, "action": e.action, "object": e.object, "detail": e.detail
        })).collect::<Vec<_>>()
    })))
}

/// Every campaign with a report confirmed as phishing.
async fn confirmed_campaigns(state: &AppState) -> Result<Vec<Campaign>, ApiError> {
    let statuses = state.store().campaign_statuses().await.map_err(store_error)?;
    let all = state.store().campaigns().await.map_err(store_error)?;
    Ok(all
        .into_iter()
        .filter(|c| {
            statuses
                .get(&c.id)
                .and_then(|s| s.get(&Status::ConfirmedPhishing))
                .is_some_and(|&n| n > 0)
        })
        .collect())
}

/// A blocklist format's body, content type and file extension; `None` for other formats.
/// Blocklists hold only the criminals' hosts (never a registry domain, no personal data).
fn blocklist_body(format: &str, refs: &[&Campaign], ctx: &Context) -> Option<(String, &'static str, &'static str)> {
    const TEXT: &str = "text/plain; charset=utf-8";
    Some(match format {
        "domains" => (blocklist::plain(refs, ctx), TEXT, "txt"),
        "hosts" => (blocklist::hosts(refs, ctx), TEXT, "hosts"),
        "rpz" => (blocklist::rpz(refs, ctx), "text/dns; charset=utf-8", "zone"),
        "adblock" => (blocklist::adblock(refs, ctx), TEXT, "txt"),
        _ => return None,
    })
}

/// `GET /feeds/confirmed/{domains.txt|hosts.txt|rpz.zone|adblock.txt}`: the confirmed
/// campaigns' blocklists without credentials, when the operator publishes them
/// (`serve --publish-feed`; 404 otherwise). They carry no personal data, so reading them is
/// not audited.
pub(crate) async fn published_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let format = match file.as_str() {
        "domains.txt" => "domains",
        "hosts.txt" => "hosts",
        "rpz.zone" => "rpz",
        "adblock.txt" => "adblock",
        _ => "",
    };
    if !state.0.publish_feed || format.is_empty() {
        return Err(ApiError::not_found("no such feed"));
    }
    let chosen = confirmed_campaigns(&state).await?;
    let refs: Vec<&Campaign> = chosen.iter().collect();
    let live = state.live();
    let ctx = Context {
        generated_at_ms: ids::now_ms(),
        registry: live.analyzer.checker.registry(),
        official: &live.official,
    };
    let Some((body, ctype, _)) = blocklist_body(format, &refs, &ctx) else {
        return Err(ApiError::not_found("no such feed"));
    };
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::day_ms("1970-01-01"), Some(0));
        assert_eq!(super::day_ms("2026-12-03"), Some(1_796_256_000_000));
        assert_eq!(super::day_ms("2026-13-01"), None);
        assert_eq!(super::day_ms("x"), None);
    }
}
