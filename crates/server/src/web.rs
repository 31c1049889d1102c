//! The web page: a form to paste a message or upload an .eml, a server-rendered verdict,
//! a report button, and the report's status. Works with JavaScript off (plain form posts);
//! `app.js` only adds comfort. Every value from a message is escaped by the templates, and
//! nothing from a message becomes a link.

use crate::api::{lookup_report, multipart_error, reporter_contact};
use crate::app::{kind_name, AppState};
use crate::error::ApiError;
use crate::message::{from_accept_language, Submission};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use base64::Engine;
use healthguard_core::{Report, Verdict};
use healthguard_registry::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Texts of the web page per language, from `data/web/i18n/<lang>.toml`.
pub struct WebTexts {
    texts: BTreeMap<Lang, Texts>,
}

/// The web page's texts in one language.
pub struct Texts(BTreeMap<String, String>);

impl Texts {
    /// Texts from a TOML table of strings (a built-in data file; invalid is a bug).
    pub(crate) fn from_toml(name: &str, text: &str) -> Texts {
        Texts(toml::from_str(text).unwrap_or_else(|e| panic!("built-in {name} is invalid: {e}")))
    }

    /// The text for `key`, or the key itself when missing (a test keeps them complete).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.0.get(key).map(String::as_str).unwrap_or(key)
    }

    /// Every key.
    #[cfg(test)]
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl WebTexts {
    /// The built-in texts.
    pub fn builtin() -> WebTexts {
        let sources = [
            (Lang::Pl, include_str!("../../../data/web/i18n/pl.toml")),
            (Lang::Ro, include_str!("../../../data/web/i18n/ro.toml")),
            (Lang::En, include_str!("../../../data/web/i18n/en.toml")),
            (Lang::Uk, include_str!("../../../data/web/i18n/uk.toml")),
            (Lang::Fr, include_str!("../../../data/web/i18n/fr.toml")),
            (Lang::De, include_str!("../../../data/web/i18n/de.toml")),
            (Lang::Es, include_str!("../../../data/web/i18n/es.toml")),
            (Lang::It, include_str!("../../../data/web/i18n/it.toml")),
            (Lang::Cs, include_str!("../../../data/web/i18n/cs.toml")),
        ];
        let texts = sources
            .into_iter()
            .map(|(lang, text)| {
                let map: BTreeMap<String, String> = toml::from_str(text)
                    .unwrap_or_else(|e| panic!("built-in data/web/i18n/{}.toml is invalid: {e}", lang.code()));
                (lang, Texts(map))
            })
            .collect();
        WebTexts { texts }
    }

    /// The texts of a language.
    pub fn texts(&self, lang: Lang) -> &Texts {
        &self.texts[&lang]
    }
}

/// A link of the language switch.
pub struct LangLink {
    code: &'static str,
    name: String,
    current: bool,
}

fn lang_links(state: &AppState, lang: Lang) -> Vec<LangLink> {
    Lang::ALL
        .iter()
        .map(|&l| LangLink {
            code: l.code(),
            name: state.0.web.texts(l).get("lang_name").to_string(),
            current: l == lang,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    lang: &'static str,
    t: &'a Texts,
    langs: Vec<LangLink>,
    error: Option<String>,
    kind: &'a str,
    sender: &'a str,
    text: &'a str,
}

/// The message carried in hidden fields, so the result can be re-shown in another language
/// or reported without the server keeping anything.
struct Hidden {
    kind: &'static str,
    sender: String,
    text: String,
    raw_b64: String,
}

/// A contact as shown: its text, with the number or address in it as a tappable link.
struct ContactView {
    /// Text before the link (all of it when there is no link).
    before: String,
    /// The linked number or address, empty for none.
    shown: String,
    /// `tel:`, `sms:` or `mailto:` link.
    href: String,
    /// Text after the link.
    after: String,
    /// Marked "(unconfirmed)", as in the CLI.
    unconfirmed: bool,
}

impl ContactView {
    fn of(c: &healthguard_core::Contact) -> ContactView {
        // Official websites stay plain text: the advice is to type the address.
        let at = if c.kind == "web" { None } else { c.text.find(&c.display) };
        let (before, shown, after) = match at {
            Some(i) if !c.display.is_empty() => (
                c.text[..i].to_string(),
                c.display.clone(),
                c.text[i + c.display.len()..].to_string(),
            ),
            _ => (c.text.clone(), String::new(), String::new()),
        };
        ContactView {
            before,
            shown,
            href: c.href.clone(),
            after,
            unconfirmed: c.unconfirmed,
        }
    }
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage<'a> {
    lang: &'static str,
    t: &'a Texts,
    ui: &'a healthguard_core::Texts,
    langs: Vec<LangLink>,
    verdict: &'static str,
    mark: &'static str,
    headline: String,
    summary: String,
    institution_name: Option<String>,
    groups: Vec<healthguard_core::FindingGroup>,
    steps: Vec<String>,
    official: Vec<ContactView>,
    report_to: Vec<ContactView>,
    report_also: Vec<ContactView>,
    hidden: Hidden,
    preview: Option<String>,
    preview_sender: Option<String>,
    report_error: Option<String>,
    contact: String,
    consent: bool,
}

#[derive(Template)]
#[template(path = "report_done.html")]
struct ReportDonePage<'a> {
    lang: &'static str,
    t: &'a Texts,
    id: String,
    token: String,
    status_url: String,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    lang: &'static str,
    t: &'a Texts,
    id: String,
    status: String,
    status_text: String,
    created_at: String,
    created_label: String,
    verdict: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'static str,
    t: &'a Texts,
    langs: Vec<LangLink>,
    message: String,
}

fn html(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            eprintln!("healthguard: page could not be rendered: {e}");
            ApiError::internal().into_response()
        }
    }
}

/// The language of a page: `lang` asked for, else `Accept-Language`, else English.
pub fn page_lang(asked: Option<&str>, headers: &HeaderMap) -> Lang {
    asked
        .and_then(Lang::from_code)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(from_accept_language)
        })
        .unwrap_or(Lang::En)
}

/// The page language of a request, from its query string or `Accept-Language`.
pub fn request_lang(req: &Request) -> Lang {
    let asked = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .map(|v| v.chars().take(8).collect::<String>())
    });
    page_lang(asked.as_deref(), req.headers())
}

/// An error as a page: the message in the page's language for the usual failures.
pub fn error_page(state: &AppState, lang: Lang, e: ApiError) -> Response {
    let t = state.0.web.texts(lang);
    let key = match e.code {
        "payload_too_large" => "error_too_large",
        "rate_limited" => "error_rate",
        "timeout" => "error_timeout",
        "storage_unavailable" => "error_storage",
        "not_found" => "error_not_found",
        "consent_required" => "error_consent",
        _ => "error_generic",
    };
    let page = ErrorPage {
        lang: lang.code(),
        t,
        langs: lang_links(state, lang),
        message: t.get(key).to_string(),
    };
    let mut res = html(e.status, page.render());
    if let Some(secs) = e.retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// A page with one message (a text key) and a way back.
fn message_page(state: &AppState, lang: Lang, status: StatusCode, key: &str) -> Response {
    let t = state.0.web.texts(lang);
    let page = ErrorPage {
        lang: lang.code(),
        t,
        langs: lang_links(state, lang),
        message: t.get(key).to_string(),
    };
    html(status, page.render())
}

/// Query parameter `lang` of the pages.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

/// `GET /`: the form.
pub async fn index(State(state): State<AppState>, Query(q): Query<PageQuery>, headers: HeaderMap) -> Response {
    let lang = page_lang(q.lang.as_deref(), &headers);
    let page = IndexPage {
        lang: lang.code(),
        t: state.0.web.texts(lang),
        langs: lang_links(&state, lang),
        error: None,
        kind: "sms",
        sender: "",
        text: "",
    };
    html(StatusCode::OK, page.render())
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutPage<'a> {
    lang: &'static str,
    t: &'a Texts,
    langs: Vec<LangLink>,
}

/// `GET /about`: who runs the page and what happens to checked and reported messages.
pub async fn about(State(state): State<AppState>, Query(q): Query<PageQuery>, headers: HeaderMap) -> Response {
    let lang = page_lang(q.lang.as_deref(), &headers);
    let page = AboutPage {
        lang: lang.code(),
        t: state.0.web.texts(lang),
        langs: lang_links(&state, lang),
    };
    html(StatusCode::OK, page.render())
}

/// Fields of the check and report forms.
#[derive(Default)]
struct Fields {
    values: BTreeMap<String, String>,
    file: Option<Vec<u8>>,
}

impl Fields {
    fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
}

/// Reads a form sent as multipart/form-data (with the optional .eml) or url-encoded.
async fn read_form(req: Request, limit: usize) -> Result<Fields, ApiError> {
    if let Some(e) = crate::error::declared_too_large(req.headers(), limit) {
        return Err(e);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut fields = Fields::default();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::bad_request(format!("the form could not be read: {}", e.body_text())))?;
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or("").to_string();
                    let is_file = field.file_name().is_some();
                    let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
                    if is_file || name == "eml" {
                        if name == "eml" && !bytes.is_empty() && fields.file.is_none() {
                            fields.file = Some(bytes.to_vec());
                        }
                    } else if fields.values.len() < 32 {
                        fields
                            .values
                            .entry(name)
                            .or_insert_with(|| String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(multipart_error(e, limit)),
            }
        }
    } else {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, &())
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large(limit)
                } else {
                    ApiError::bad_request(format!("the form could not be read: {}", e.body_text()))
                }
            })?;
        for (k, v) in pairs.into_iter().take(32) {
            fields.values.entry(k).or_insert(v);
        }
    }
    Ok(fields)
}

/// Whether pasted text is a whole e-mail with headers rather than its body.
fn looks_like_raw_email(text: &str) -> bool {
    let head = text.trim_start();
    let header_lines = head
        .lines()
        .take(40)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| {
            l.split_once(':').is_some_and(|(name, _)| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        })
        .count();
    header_lines >= 2
        && head
            .lines()
            .take(40)
            .any(|l| l.to_ascii_lowercase().starts_with("from:"))
}

/// The submission a form describes; `Err(text key)` when there is nothing to check.
fn submission(fields: &Fields) -> Result<Submission, &'static str> {
    if let Some(raw) = fields.file.as_ref().filter(|f| !f.iter().all(u8::is_ascii_whitespace)) {
        return Ok(Submission::Email { raw: raw.clone() });
    }
    let b64 = fields.get("raw_b64").trim();
    if !b64.is_empty() {
        return base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .filter(|raw| !raw.is_empty())
            .map(|raw| Submission::Email { raw })
            .ok_or("error_generic");
    }
    let text = fields.get("text").to_string();
    let sender = fields.get("sender").trim();
    if text.trim().is_empty() && (fields.get("kind") != "sms" || sender.is_empty()) {
        return Err("error_empty");
    }
    Ok(match fields.get("kind") {
        "email" if looks_like_raw_email(&text) => Submission::Email { raw: text.into_bytes() },
        "text" | "email" => Submission::Text(text),
        "url" => Submission::Url(text),
        "phone" => Submission::Phone(text),
        "call" => Submission::Call {
            number: Some(sender.to_string()).filter(|s| !s.is_empty()),
            text,
        },
        _ => Submission::Sms {
            sender: Some(sender.to_string()).filter(|s| !s.is_empty()),
            text,
        },
    })
}

fn hidden(sub: &Submission) -> Hidden {
    let (sender, text, raw_b64) = match sub {
        Submission::Sms { sender, text } => (sender.clone().unwrap_or_default(), text.clone(), String::new()),
        Submission::Call { number, text } => (number.clone().unwrap_or_default(), text.clone(), String::new()),
        Submission::Email { raw } => (
            String::new(),
            String::new(),
            base64::engine::general_purpose::STANDARD.encode(raw),
        ),
        Submission::Url(s) | Submission::Phone(s) | Submission::Text(s) => (String::new(), s.clone(), String::new()),
    };
    Hidden {
        kind: kind_name(sub.kind()),
        sender,
        text,
        raw_b64,
    }
}

fn verdict_mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Official => "✔",
        Verdict::Unverified => "?",
        Verdict::Suspicious => "⚠",
        Verdict::Phishing => "✖",
    }
}

/// What the report form sent back, to show again with an error.
struct ReportInput {
    error: Option<String>,
    contact: String,
    consent: bool,
}

fn result_page<'a>(
    state: &'a AppState,
    lang: Lang,
    sub: &Submission,
    report: Report,
    input: ReportInput,
) -> ResultPage<'a> {
    let t = state.0.web.texts(lang);
    let (preview, preview_sender) = match sub {
        Submission::Email { raw } => (
            Some(t.get("email_checked").replace("{size}", &raw.len().to_string())),
            None,
        ),
        other => (
            Some(String::from_utf8_lossy(other.content()).chars().take(4000).collect()),
            other.sender().map(str::to_string),
        ),
    };
    ResultPage {
        lang: lang.code(),
        t,
        ui: state.0.catalog.texts(lang),
        langs: lang_links(state, lang),
        verdict: report.verdict.name(),
        mark: verdict_mark(report.verdict),
        headline: report.headline,
        summary: report.summary,
        institution_name: report.institution_name,
        groups: healthguard_core::group_findings(
            &report.findings,
            state.checker().catalogue(),
            state.0.catalog.texts(lang),
        ),
        steps: report.advice.steps,
        official: report.advice.official_contacts.iter().map(ContactView::of).collect(),
        report_to: report
            .advice
            .report_to
            .iter()
            .filter(|c| c.primary)
            .map(ContactView::of)
            .collect(),
        report_also: report
            .advice
            .report_to
            .iter()
            .filter(|c| !c.primary)
            .map(ContactView::of)
            .collect(),
        hidden: hidden(sub),
        preview,
        preview_sender,
        report_error: input.error,
        contact: input.contact,
        consent: input.consent,
    }
}

/// `POST /check`: the form's check, answered with the verdict page.
pub async fn check_form(State(state): State<AppState>, req: Request) -> Response {
    let query_lang = request_lang(&req);
    let fields = match read_form(req, state.0.max_upload_bytes).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, query_lang, e),
    };
    let lang = Lang::from_code(fields.get("lang")).unwrap_or(query_lang);
    let sub = match submission(&fields) {
        Ok(s) => s,
        Err(key) => {
            let t = state.0.web.texts(lang);
            let kind = match fields.get("kind") {
                "email" => "email",
                "text" => "text",
                "call" => "call",
                _ => "sms",
            };
            let page = IndexPage {
                lang: lang.code(),
                t,
                langs: lang_links(&state, lang),
                error: Some(t.get(key).to_string()),
                kind,
                sender: fields.get("sender"),
                text: fields.get("text"),
            };
            return html(StatusCode::BAD_REQUEST, page.render());
        }
    };
    let (sub, analysis) = match state.analyze(sub).await {
        Ok(x) => x,
        Err(e) => return error_page(&state, lang, e),
    };
    let report = state.checker().report(&analysis, &state.0.catalog, Some(lang));
    let input = ReportInput {
        error: None,
        contact: String::new(),
        consent: false,
    };
    html(StatusCode::OK, result_page(&state, lang, &sub, report, input).render())
}

/// `POST /report`: files the report shown on the verdict page.
pub async fn report_form(State(state): State<AppState>, req: Request) -> Response {
    let query_lang = request_lang(&req);
    let fields = match read_form(req, state.0.max_upload_bytes).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, query_lang, e),
    };
    let lang = Lang::from_code(fields.get("lang")).unwrap_or(query_lang);
    let sub = match submission(&fields) {
        Ok(s) => s,
        Err(key) => return message_page(&state, lang, StatusCode::BAD_REQUEST, key),
    };
    let consent = !fields.get("consent").is_empty();
    let contact_field = fields.get("contact").to_string();
    let (sub, analysis) = match state.analyze(sub).await {
        Ok(x) => x,
        Err(e) => return error_page(&state, lang, e),
    };
    let again = |state: &AppState, status: StatusCode, key: &str| {
        let t = state.0.web.texts(lang);
        let report = state.checker().report(&analysis, &state.0.catalog, Some(lang));
        let input = ReportInput {
            error: Some(t.get(key).to_string()),
            contact: contact_field.clone(),
            consent,
        };
        html(status, result_page(state, lang, &sub, report, input).render())
    };
    let contact = match reporter_contact(Some(&contact_field), consent) {
        Ok(c) => c,
        Err(e) if e.code == "consent_required" => return again(&state, StatusCode::BAD_REQUEST, "error_consent"),
        Err(_) => return again(&state, StatusCode::BAD_REQUEST, "error_contact"),
    };
    match state.file_report(&sub, &analysis, contact, Some(lang)).await {
        Ok((id, token)) => {
            let page = ReportDonePage {
                lang: lang.code(),
                t: state.0.web.texts(lang),
                status_url: format!("/reports/{id}?token={token}&lang={}", lang.code()),
                id,
                token,
            };
            html(StatusCode::OK, page.render())
        }
        Err(_) => again(&state, StatusCode::SERVICE_UNAVAILABLE, "error_storage"),
    }
}

/// Query of the status page.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    token: Option<String>,
    lang: Option<String>,
}

/// `GET /reports/{id}?token=…`: the status of a report, for its reporter.
pub async fn report_status_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(q.lang.as_deref(), &headers);
    match lookup_report(&state, &id, q.token.as_deref()).await {
        Ok(r) => {
            let t = state.0.web.texts(lang);
            // Every status in the reader's words (`status_received`, `status_triaged`, …).
            let key = format!("status_{}", r.status);
            let status_text = match t.get(&key) {
                text if !text.is_empty() && text != key => text.to_string(),
                _ => r.status.clone(),
            };
            let verdict = state
                .0
                .catalog
                .texts(lang)
                .verdict
                .get(&r.verdict)
                .cloned()
                .unwrap_or(r.verdict);
            let page = StatusPage {
                lang: lang.code(),
                t,
                id: r.id,
                status: r.status,
                status_text,
                created_label: crate::ids::human_utc(&r.created_at),
                created_at: r.created_at,
                verdict,
            };
            html(StatusCode::OK, page.render())
        }
        Err(mut e) => {
            if e.status == StatusCode::BAD_REQUEST {
                e.status = StatusCode::NOT_FOUND;
                e.code = "not_found";
            }
            error_page(&state, lang, e)
        }
    }
}

const STYLE: &str = include_str!("../assets/style.css");
const SCRIPT: &str = include_str!("../assets/app.js");

/// `GET /assets/{file}`: the stylesheet and the script, served by the binary.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return ApiError::not_found("no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        Bytes::from_static(body.as_bytes()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text() {
        let web = WebTexts::builtin();
        let en: Vec<&str> = web.texts(Lang::En).keys().collect();
        for lang in Lang::ALL {
            let keys: Vec<&str> = web.texts(lang).keys().collect();
            assert_eq!(keys, en, "data/web/i18n/{}.toml keys differ from en.toml", lang.code());
        }
        // Every key used by a template or the code exists.
        let sources = [
            include_str!("../templates/base.html"),
            include_str!("../templates/index.html"),
            include_str!("../templates/result.html"),
            include_str!("../templates/report_done.html"),
            include_str!("../templates/status.html"),
            include_str!("../templates/error.html"),
            include_str!("web.rs"),
        ];
        for src in sources {
            for piece in src.split("t.get(\"").skip(1) {
                let key = &piece[..piece.find('"').unwrap()];
                assert!(en.contains(&key), "text key {key:?} missing from data/web/i18n");
            }
        }
    }

    #[test]
    fn raw_email_detection() {
        assert!(looks_like_raw_email("From: NFZ <a@b.pl>\nSubject: x\n\nbody"));
        assert!(!looks_like_raw_email("Dear patient,\nplease pay: now"));
    }

    #[test]
    fn form_submissions() {
        let mut f = Fields::default();
        assert_eq!(submission(&f), Err("error_empty"));
        f.values.insert("kind".into(), "sms".into());
        f.values.insert("sender".into(), "NFZ".into());
        assert!(matches!(submission(&f), Ok(Submission::Sms { .. })));
        f.values.insert("raw_b64".into(), "RnJvbTogYQ==".into());
        assert_eq!(
            submission(&f),
            Ok(Submission::Email {
                raw: b"From: a".to_vec()
            })
        );
        f.values.insert("raw_b64".into(), "!!".into());
        assert_eq!(submission(&f), Err("error_generic"));
    }
}
