//! `/triage`: the analysts' web UI, server-rendered (askama, escaped), no JavaScript.
//!
//! Sign-in sets a session cookie (`HttpOnly; SameSite=Strict; Path=/triage`, `Secure` with
//! `ServeConfig::secure_cookies`); sessions live in server memory under the SHA-256 of
//! their id, so a restart signs everyone out. The id is new at every sign-in (the
//! pre-sign-in session that carried the login form's CSRF token is dropped: no fixation).
//! Every form carries the session's CSRF token and every POST checks it. Reported content
//! is hostile: shown escaped, redacted unless an admin reveals it, and with its links
//! defanged (`hxxps://example[.]com`). Pages answer 401 without a session and 403 below
//! the role, like the API, and every view, change and export is audited.

use crate::access::{self, Principal, Role, Status};
use crate::app::AppState;
use crate::error::ApiError;
use crate::ids;
use crate::store::{ReportQuery, TriageRow};
use crate::triage_api::{self, ChangeBody, ListParams};
use crate::web::Texts;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use healthguard_core::links::{defang, defang_one};
use healthguard_triage::export::rfc3339;
use healthguard_triage::IndicatorKind;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// The session cookie's name.
const COOKIE: &str = "hg_triage";
/// A signed-in session lasts this long (ms).
const SESSION_MS: i64 = 8 * 3600 * 1000;
/// A sign-in form stays valid this long (ms).
const LOGIN_MS: i64 = 30 * 60 * 1000;
/// Sessions kept before expired ones are swept on insert.
const SWEEP_AT: usize = 10_000;
/// Most sessions (signed in or not) at once: past it, new sign-in forms are refused.
const MAX_SESSIONS: usize = 100_000;

/// The triage UI's texts (English for now, `data/web/triage/en.toml`).
pub(crate) fn texts() -> Texts {
    Texts::from_toml(
        "data/web/triage/en.toml",
        include_str!("../../../data/web/triage/en.toml"),
    )
}

/// One session: signed in (`user` set) or only holding a sign-in form's CSRF token.
#[derive(Debug, Clone)]
struct Session {
    user: Option<Principal>,
    csrf: String,
    expires_ms: i64,
}

/// Sessions by the SHA-256 of their id.
#[derive(Default)]
pub(crate) struct Sessions(Mutex<HashMap<[u8; 32], Session>>);

impl Sessions {
    fn insert(&self, session: Session) -> Option<String> {
        let (id, hash) = ids::new_token();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            let now = ids::now_ms();
            map.retain(|_, s| s.expires_ms > now);
        }
        if map.len() >= MAX_SESSIONS {
            return None;
        }
        map.insert(hash, session);
        Some(id)
    }

    fn get(&self, id: &str) -> Option<Session> {
        let hash = ids::hash_token(id);
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&hash) {
            Some(s) if s.expires_ms > ids::now_ms() => Some(s.clone()),
            Some(_) => {
                map.remove(&hash);
                None
            }
            None => None,
        }
    }

    fn remove(&self, id: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&ids::hash_token(id));
    }
}

fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 100)
}

fn set_cookie(state: &AppState, res: &mut Response, id: &str, max_age_s: i64) {
    let secure = if state.0.secure_cookies { "; Secure" } else { "" };
    let value = format!("{COOKIE}={id}; Path=/triage; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn csrf_ok(session: &Session, form: &BTreeMap<String, String>) -> bool {
    form.get("csrf")
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(session.csrf.as_bytes())))
}

fn new_csrf() -> String {
    ids::new_token().0
}

/// The page frame: who is signed in and their CSRF token (empty before sign-in).
struct Frame<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
}

#[derive(Template)]
#[template(path = "triage_message.html")]
struct MessagePage<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
    heading: String,
    message: String,
    back: String,
    back_text: String,
}

fn render(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            eprintln!("healthguard: triage page could not be rendered: {e}");
            ApiError::internal().into_response()
        }
    }
}

fn message(frame: Frame, status: StatusCode, heading: &str, text: &str, back: &str, back_text: &str) -> Response {
    render(
        status,
        MessagePage {
            t: frame.t,
            user: frame.user,
            role: frame.role,
            csrf: frame.csrf,
            heading: heading.to_string(),
            message: text.to_string(),
            back: back.to_string(),
            back_text: back_text.to_string(),
        }
        .render(),
    )
}

fn empty_frame(state: &AppState) -> Frame<'_> {
    Frame {
        t: &state.0.triage_texts,
        user: String::new(),
        role: "",
        csrf: String::new(),
    }
}

/// The signed-in analyst with at least `need`, or the 401/403 page.
#[allow(clippy::result_large_err)]
fn signed_in(state: &AppState, headers: &HeaderMap, need: Role) -> Result<(Principal, Session), Response> {
    let t = &state.0.triage_texts;
    let session = cookie_id(headers).and_then(|id| state.0.sessions.get(&id));
    let Some((who, session)) = session.and_then(|s| s.user.clone().map(|u| (u, s))) else {
        return Err(message(
            empty_frame(state),
            StatusCode::UNAUTHORIZED,
            t.get("login_title"),
            t.get("login_needed"),
            "/triage/login",
            t.get("login_title"),
        ));
    };
    if who.role < need {
        let frame = frame_of(state, &who, &session);
        return Err(message(
            frame,
            StatusCode::FORBIDDEN,
            t.get("forbidden"),
            &format!("{} ({})", t.get("forbidden"), need.name()),
            "/triage/reports",
            t.get("nav_reports"),
        ));
    }
    Ok((who, session))
}

fn frame_of<'a>(state: &'a AppState, who: &Principal, session: &Session) -> Frame<'a> {
    Frame {
        t: &state.0.triage_texts,
        user: who.name.clone(),
        role: who.role.name(),
        csrf: session.csrf.clone(),
    }
}

fn api_error_page(state: &AppState, who: &Principal, session: &Session, e: ApiError, back: &str) -> Response {
    let t = &state.0.triage_texts;
    message(
        frame_of(state, who, session),
        e.status,
        t.get("title"),
        &e.message,
        back,
        t.get("nav_reports"),
    )
}

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Filter values as the form shows them.
#[derive(Default)]
struct Filters {
    status: String,
    channel: String,
    institution: String,
    campaign: String,
    since: String,
    until: String,
    q: String,
}

/// A report row for a template.
struct Row {
    id: String,
    created: String,
    channel: String,
    verdict: String,
    institution: String,
    status: &'static str,
    assignee: String,
    campaign: String,
}

fn row(r: &TriageRow) -> Row {
    Row {
        id: r.id.clone(),
        created: rfc3339(r.created_at_ms)[..19].replace('T', " "),
        channel: r.kind.clone(),
        verdict: r.verdict.clone(),
        institution: r.institution.clone().unwrap_or_default(),
        status: r.status.name(),
        assignee: r.assignee.clone().unwrap_or_default(),
        campaign: r.campaign.clone().unwrap_or_default(),
    }
}

const STATUSES: [&str; 6] = ["new", "triaged", "confirmed_phishing", "benign", "duplicate", "closed"];
const CHANNELS: [&str; 6] = ["sms", "email", "url", "phone", "text", "call"];
const FORMATS: [&str; 7] = ["stix", "misp", "arf", "domains", "hosts", "rpz", "adblock"];

#[derive(Template)]
#[template(path = "triage_login.html")]
struct LoginPage<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
    login_csrf: String,
    error: String,
}

/// `GET /triage`.
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&state, &headers, Role::Viewer) {
        Ok(_) => see_other("/triage/reports"),
        Err(_) => see_other("/triage/login"),
    }
}

fn login_page(state: &AppState, status: StatusCode, error: &str) -> Response {
    let csrf = new_csrf();
    let Some(id) = state.0.sessions.insert(Session {
        user: None,
        csrf: csrf.clone(),
        expires_ms: ids::now_ms() + LOGIN_MS,
    }) else {
        return ApiError::storage("too many open sessions").into_response();
    };
    let mut res = render(
        status,
        LoginPage {
            t: &state.0.triage_texts,
            user: String::new(),
            role: "",
            csrf: String::new(),
            login_csrf: csrf,
            error: error.to_string(),
        }
        .render(),
    );
    set_cookie(state, &mut res, &id, LOGIN_MS / 1000);
    res
}

/// `GET /triage/login`: a sign-in form with its own CSRF token.
async fn login_form(State(state): State<AppState>) -> Response {
    login_page(&state, StatusCode::OK, "")
}

/// A fixed Argon2id hash checked when the user is unknown, so both cases cost the same.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| access::hash_password("not a password of anyone").unwrap_or_default())
}

/// `POST /triage/login`.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let t = &state.0.triage_texts;
    let pre_id = cookie_id(&headers);
    let pre = pre_id.as_deref().and_then(|id| state.0.sessions.get(id));
    let Some(pre) = pre.filter(|s| csrf_ok(s, &form)) else {
        return login_page(&state, StatusCode::FORBIDDEN, t.get("login_failed"));
    };
    if let Some(id) = &pre_id {
        state.0.sessions.remove(id);
    }
    drop(pre);
    let name = form.get("user").map(|s| s.trim().to_string()).unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let user = if access::valid_name(&name) && password.len() <= 1024 {
        match state.store().user(&name).await {
            Ok(u) => u,
            Err(e) => return ApiError::storage(e).into_response(),
        }
    } else {
        None
    };
    let phc = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || access::verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let (Some(user), true) = (user, ok) else {
        let who = Principal {
            name: if access::valid_name(&name) { name } else { "?".into() },
            role: Role::Viewer,
        };
        let _ = triage_api::audit(&state, &who, "login_failed", "triage", "").await;
        return login_page(&state, StatusCode::UNAUTHORIZED, t.get("login_failed"));
    };
    let who = Principal {
        name: user.name,
        role: user.role,
    };
    if let Err(e) = triage_api::audit(&state, &who, "login", "triage", "").await {
        return e.into_response();
    }
    // A new id at sign-in: whatever id the browser had before is worthless now.
    let Some(id) = state.0.sessions.insert(Session {
        user: Some(who),
        csrf: new_csrf(),
        expires_ms: ids::now_ms() + SESSION_MS,
    }) else {
        return ApiError::storage("too many open sessions").into_response();
    };
    let mut res = see_other("/triage/reports");
    set_cookie(&state, &mut res, &id, SESSION_MS / 1000);
    res
}

/// `POST /triage/logout`.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let (who, _) = match signed_in_form(&state, &headers, Role::Viewer, &form) {
        Ok(s) => s,
        Err(res) => return res,
    };
    if let Some(id) = cookie_id(&headers) {
        state.0.sessions.remove(&id);
    }
    let _ = triage_api::audit(&state, &who, "logout", "triage", "").await;
    let mut res = see_other("/triage/login");
    set_cookie(&state, &mut res, "", 0);
    res
}

/// [`signed_in`] for a form post: the form must also carry the session's CSRF token.
#[allow(clippy::result_large_err)]
fn signed_in_form(
    state: &AppState,
    headers: &HeaderMap,
    need: Role,
    form: &BTreeMap<String, String>,
) -> Result<(Principal, Session), Response> {
    let (who, session) = signed_in(state, headers, need)?;
    if !csrf_ok(&session, form) {
        return Err(bad_csrf(state, &who, &session));
    }
    Ok((who, session))
}

fn bad_csrf(state: &AppState, who: &Principal, session: &Session) -> Response {
    api_error_page(
        state,
        who,
        session,
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the form was not from this session (reload the page and try again)",
        ),
        "/triage/reports",
    )
}

#[derive(Template)]
#[template(path = "triage_reports.html")]
struct ReportsPage<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
    f: Filters,
    statuses: Vec<&'static str>,
    channels: Vec<&'static str>,
    rows: Vec<Row>,
    total: u64,
    page: u32,
    prev: String,
    next: String,
}

/// `GET /triage/reports`.
async fn reports(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<ListParams>) -> Response {
    let (who, session) = match signed_in(&state, &headers, Role::Viewer) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let query = match p.query() {
        Ok(q) => q,
        Err(e) => return api_error_page(&state, &who, &session, e, "/triage/reports"),
    };
    if let Err(e) = triage_api::audit(&state, &who, "list", "reports", format!("{query:?}")).await {
        return e.into_response();
    }
    let page = match state.store().list_reports(&query).await {
        Ok(p) => p,
        Err(e) => return triage_api::store_error(e).into_response(),
    };
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let f = Filters {
        status: v(&p.status),
        channel: v(&p.channel),
        institution: v(&p.institution),
        campaign: v(&p.campaign),
        since: v(&p.since),
        until: v(&p.until),
        q: v(&p.q),
    };
    let link = |page: u32| {
        format!(
            "/triage/reports?status={}&channel={}&institution={}&campaign={}&since={}&until={}&q={}&per_page={}&page={page}",
            enc(&f.status),
            enc(&f.channel),
            enc(&f.institution),
            enc(&f.campaign),
            enc(&f.since),
            enc(&f.until),
            enc(&f.q),
            query.per_page
        )
    };
    let pages = page.total.div_ceil(u64::from(query.per_page)).max(1);
    let prev = if query.page > 1 {
        link(query.page - 1)
    } else {
        String::new()
    };
    let next = if u64::from(query.page) < pages {
        link(query.page + 1)
    } else {
        String::new()
    };
    let frame = frame_of(&state, &who, &session);
    render(
        StatusCode::OK,
        ReportsPage {
            t: frame.t,
            user: frame.user,
            role: frame.role,
            csrf: frame.csrf,
            statuses: STATUSES.to_vec(),
            channels: CHANNELS.to_vec(),
            rows: page.items.iter().map(row).collect(),
            total: page.total,
            page: query.page,
            prev,
            next,
            f,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "triage_report.html")]
struct ReportPage<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
    r: Row,
    notice: String,
    sender: String,
    subject: String,
    text: String,
    revealed: bool,
    contact: String,
    can_reveal: bool,
    can_change: bool,
    statuses: Vec<&'static str>,
    notes: Vec<(String, String, String)>,
}

#[derive(Deserialize)]
struct ReportParams {
    reveal: Option<String>,
    saved: Option<String>,
}

/// `GET /triage/reports/{id}`.
async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<ReportParams>,
) -> Response {
    let reveal = p.reveal.is_some_and(|v| v == "1" || v == "true");
    let need = if reveal { Role::Admin } else { Role::Viewer };
    let (who, session) = match signed_in(&state, &headers, need) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let v = match triage_api::report_view(&state, &who, &id, reveal).await {
        Ok(v) => v,
        Err(e) => return api_error_page(&state, &who, &session, e, "/triage/reports"),
    };
    let (text, contact) = match &v.revealed {
        Some((raw, contact)) => (defang(raw), contact.clone().unwrap_or_default()),
        None => (defang(&v.sample.body), String::new()),
    };
    let sender = [v.sample.sender_name.clone(), v.sample.sender_address.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let frame = frame_of(&state, &who, &session);
    let t = frame.t;
    render(
        StatusCode::OK,
        ReportPage {
            t,
            user: frame.user,
            role: frame.role,
            csrf: frame.csrf,
            r: row(&v.detail.row),
            notice: if p.saved.is_some() {
                t.get("done").to_string()
            } else {
                String::new()
            },
            sender: defang(&sender),
            subject: defang(v.sample.subject.as_deref().unwrap_or_default()),
            text,
            revealed: v.revealed.is_some(),
            contact,
            can_reveal: who.role >= Role::Admin,
            can_change: who.role >= Role::Analyst,
            statuses: STATUSES.to_vec(),
            notes: v
                .detail
                .notes
                .iter()
                .map(|n| {
                    (
                        n.author.clone(),
                        rfc3339(n.at_ms)[..16].replace('T', " "),
                        n.text.clone(),
                    )
                })
                .collect(),
        }
        .render(),
    )
}

/// `POST /triage/reports/{id}`: status, assignee, note.
async fn change_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let (who, session) = match signed_in_form(&state, &headers, Role::Analyst, &form) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let detail = state.store().report(&id).await.ok().flatten();
    let current = detail.as_ref().and_then(|d| d.row.assignee.clone()).unwrap_or_default();
    let body = ChangeBody {
        status: form.get("status").cloned().filter(|s| !s.is_empty()),
        // An unchanged assignee field is no change.
        assignee: form
            .get("assignee")
            .map(|a| a.trim().to_string())
            .filter(|a| *a != current),
        note: form.get("note").cloned(),
    };
    let back = format!("/triage/reports/{}", enc(&id));
    if body.status.is_none() && body.assignee.is_none() && body.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return see_other(&back);
    }
    match triage_api::apply_changes(&state, &who, &id, body).await {
        Ok(()) => see_other(&format!("{back}?saved=1")),
        Err(e) => api_error_page(&state, &who, &session, e, &back),
    }
}

/// A campaign for a template.
struct CampaignRow {
    id: String,
    reports: usize,
    institution: String,
    channels: String,
    first_seen: String,
    last_seen: String,
    top: String,
}

fn campaign_row(c: &healthguard_triage::Campaign) -> CampaignRow {
    let top = triage_api::top_indicators(c)
        .iter()
        .filter(|(i, _)| i.kind != IndicatorKind::SenderName)
        .take(3)
        .map(|(i, n)| format!("{} ({n})", shown(i)))
        .collect::<Vec<_>>()
        .join(", ");
    CampaignRow {
        id: c.id.clone(),
        reports: c.reports.len(),
        institution: c.institution().unwrap_or_default().to_string(),
        channels: c
            .channels
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        first_seen: rfc3339(c.first_seen_ms)[..16].replace('T', " "),
        last_seen: rfc3339(c.last_seen_ms)[..16].replace('T', " "),
        top,
    }
}

/// An indicator's value as shown: links, hosts and addresses defanged.
fn shown(i: &healthguard_triage::Indicator) -> String {
    match i.kind {
        IndicatorKind::Domain | IndicatorKind::Url | IndicatorKind::Email => defang_one(&i.value),
        _ => i.value.clone(),
    }
}

#[derive(Template)]
#[template(path = "triage_campaigns.html")]
struct CampaignsPage<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
    rows: Vec<CampaignRow>,
    more: usize,
}

/// Campaigns shown on the list page, the largest first.
const CAMPAIGNS_SHOWN: usize = 500;

/// `GET /triage/campaigns`.
async fn campaigns(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (who, session) = match signed_in(&state, &headers, Role::Viewer) {
        Ok(s) => s,
        Err(res) => return res,
    };
    if let Err(e) = triage_api::audit(&state, &who, "list", "campaigns", "").await {
        return e.into_response();
    }
    let all = match state.store().campaigns().await {
        Ok(c) => c,
        Err(e) => return triage_api::store_error(e).into_response(),
    };
    let frame = frame_of(&state, &who, &session);
    render(
        StatusCode::OK,
        CampaignsPage {
            t: frame.t,
            user: frame.user,
            role: frame.role,
            csrf: frame.csrf,
            rows: all.iter().take(CAMPAIGNS_SHOWN).map(campaign_row).collect(),
            more: all.len().saturating_sub(CAMPAIGNS_SHOWN),
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "triage_campaign.html")]
struct CampaignPage<'a> {
    t: &'a Texts,
    user: String,
    role: &'static str,
    csrf: String,
    c: CampaignRow,
    notice: String,
    statuses_text: String,
    official: String,
    indicators: Vec<(&'static str, String, u64)>,
    timeline: Vec<Row>,
    formats: Vec<&'static str>,
    can_change: bool,
    statuses: Vec<&'static str>,
}

#[derive(Deserialize)]
struct SavedParam {
    saved: Option<String>,
}

/// `GET /triage/campaigns/{id}`.
async fn campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<SavedParam>,
) -> Response {
    let (who, session) = match signed_in(&state, &headers, Role::Viewer) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let c = match state.store().campaign(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return api_error_page(
                &state,
                &who,
                &session,
                ApiError::not_found(format!("no campaign {id:?}")),
                "/triage/campaigns",
            )
        }
        Err(e) => return triage_api::store_error(e).into_response(),
    };
    if let Err(e) = triage_api::audit(&state, &who, "view", &id, "").await {
        return e.into_response();
    }
    let statuses = state.store().campaign_statuses().await.unwrap_or_default();
    let statuses_text = statuses
        .get(&c.id)
        .map(|s| {
            s.iter()
                .map(|(k, v)| format!("{} {v}", k.name()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let timeline = state
        .store()
        .list_reports(&ReportQuery {
            campaign: Some(c.id.clone()),
            page: 1,
            per_page: 500,
            ..ReportQuery::default()
        })
        .await
        .map(|p| p.items.iter().rev().map(row).collect())
        .unwrap_or_default();
    let frame = frame_of(&state, &who, &session);
    let t = frame.t;
    render(
        StatusCode::OK,
        CampaignPage {
            t,
            user: frame.user,
            role: frame.role,
            csrf: frame.csrf,
            notice: if p.saved.is_some() {
                t.get("done").to_string()
            } else {
                String::new()
            },
            statuses_text,
            official: c.official.iter().map(|o| defang_one(o)).collect::<Vec<_>>().join(", "),
            indicators: triage_api::top_indicators(&c)
                .iter()
                .map(|(i, n)| (i.kind.name(), shown(i), *n))
                .collect(),
            timeline,
            formats: FORMATS.to_vec(),
            can_change: who.role >= Role::Analyst,
            statuses: STATUSES[1..].to_vec(),
            c: campaign_row(&c),
        }
        .render(),
    )
}

/// `POST /triage/campaigns/{id}/status`: every report of the campaign that may take the
/// status gets it (each change audited).
async fn campaign_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let (who, session) = match signed_in_form(&state, &headers, Role::Analyst, &form) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let back = format!("/triage/campaigns/{}", enc(&id));
    let Some(to) = form.get("status").and_then(|s| Status::parse(s)) else {
        return api_error_page(&state, &who, &session, ApiError::bad_request("choose a status"), &back);
    };
    let Ok(Some(c)) = state.store().campaign(&id).await else {
        return api_error_page(&state, &who, &session, ApiError::not_found("no such campaign"), &back);
    };
    for r in &c.reports {
        let Ok(Some(d)) = state.store().report(r).await else {
            continue;
        };
        if !d.row.status.may_become(to) {
            continue;
        }
        let body = ChangeBody {
            status: Some(to.name().to_string()),
            ..ChangeBody::default()
        };
        if let Err(e) = triage_api::apply_changes(&state, &who, r, body).await {
            return api_error_page(&state, &who, &session, e, &back);
        }
    }
    see_other(&format!("{back}?saved=1"))
}

/// `POST /triage/campaigns/{id}/merge`.
async fn merge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let (who, session) = match signed_in_form(&state, &headers, Role::Analyst, &form) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let other = form.get("with").map(|s| s.trim().to_string()).unwrap_or_default();
    match triage_api::merge(&state, &who, &id, &other).await {
        Ok(kept) => see_other(&format!("/triage/campaigns/{}?saved=1", enc(&kept))),
        Err(e) => api_error_page(&state, &who, &session, e, &format!("/triage/campaigns/{}", enc(&id))),
    }
}

/// `POST /triage/campaigns/{id}/split`.
async fn split(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let (who, session) = match signed_in_form(&state, &headers, Role::Analyst, &form) {
        Ok(s) => s,
        Err(res) => return res,
    };
    let reports: Vec<String> = form
        .get("reports")
        .map(|s| {
            s.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    match triage_api::split(&state, &who, &id, &reports).await {
        Ok(new_id) => see_other(&format!("/triage/campaigns/{}?saved=1", enc(&new_id))),
        Err(e) => api_error_page(&state, &who, &session, e, &format!("/triage/campaigns/{}", enc(&id))),
    }
}

/// `GET /triage/campaigns/{id}/export?format=…`.
async fn export_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<triage_api::FormatParam>,
) -> Response {
    export(state, headers, Some(id), p).await
}

/// `GET /triage/export?format=…`: everything confirmed.
async fn export_confirmed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<triage_api::FormatParam>,
) -> Response {
    export(state, headers, None, p).await
}

async fn export(state: AppState, headers: HeaderMap, id: Option<String>, p: triage_api::FormatParam) -> Response {
    let (who, session) = match signed_in(&state, &headers, Role::Viewer) {
        Ok(s) => s,
        Err(res) => return res,
    };
    match triage_api::export_body(&state, &who, id.as_deref(), p.format.as_deref().unwrap_or("")).await {
        Ok((body, ctype, name)) => triage_api::download(body, ctype, &name),
        Err(e) => api_error_page(&state, &who, &session, e, "/triage/campaigns"),
    }
}

/// The UI's routes.
pub(crate) fn routes(max_form_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/triage", get(home))
        .route("/triage/", get(home))
        .route("/triage/login", get(login_form).post(login))
        .route("/triage/logout", post(logout))
        .route("/triage/reports", get(reports))
        .route("/triage/reports/{id}", get(report).post(change_report))
        .route("/triage/campaigns", get(campaigns))
        .route("/triage/campaigns/{id}", get(campaign))
        .route("/triage/campaigns/{id}/status", post(campaign_status))
        .route("/triage/campaigns/{id}/merge", post(merge))
        .route("/triage/campaigns/{id}/split", post(split))
        .route("/triage/campaigns/{id}/export", get(export_campaign))
        .route("/triage/export", get(export_confirmed))
        .layer(DefaultBodyLimit::max(max_form_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(enc("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
