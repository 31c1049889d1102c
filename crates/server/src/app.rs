//! The shared state, the router and the middleware every request goes through.

use crate::error::{ApiError, JsonLimit};
use crate::message::{Analyzer, Submission};
use crate::metrics::Metrics;
use crate::ratelimit::Limiter;
use crate::store::{NewReport, ReportStore, StoreError};
use crate::web::WebTexts;
use crate::{api, ids, triage_api, web, ServeConfig};
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use healthguard_core::{Analysis, Catalog, Checker};
use healthguard_registry::Lang;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Inputs up to this size are checked on the request's own thread; larger ones on the
/// blocking pool so one big e-mail cannot stall other requests.
const INLINE_CHECK_BYTES: usize = 16 * 1024;

/// The strict policy of every answer: nothing but this server's own files, no inline script
/// or style, no framing, forms only to this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Everything a request handler needs, shared by all requests.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    /// What depends on the registry; swapped whole when a new registry arrives.
    live: std::sync::RwLock<Arc<Live>>,
    /// What a new checker is built with, beside the registry.
    parts: Parts,
    pub catalog: Catalog,
    pub web: WebTexts,
    pub store: Arc<dyn ReportStore>,
    pub metrics: Metrics,
    pub check_limiter: Option<Limiter>,
    pub report_limiter: Option<Limiter>,
    pub max_json_bytes: usize,
    pub max_upload_bytes: usize,
    pub request_timeout: Duration,
    /// Analysts' web sessions.
    pub sessions: crate::triage_web::Sessions,
    /// The triage UI's texts.
    pub triage_texts: crate::web::Texts,
    /// Whether the session cookie is `Secure`.
    pub secure_cookies: bool,
    /// Whether `/feeds/confirmed/` answers (see `ServeConfig::publish_feed`).
    pub publish_feed: bool,
}

/// The checker and the registry's serialised views, built from one registry.
pub(crate) struct Live {
    pub analyzer: Analyzer,
    pub registry: api::RegistryDocs,
    /// Official channels, never campaign indicators nor blocklisted.
    pub official: Arc<healthguard_triage::Official>,
}

struct Parts {
    model: Option<healthguard_core::bayes::Model>,
    listings: Option<Arc<dyn healthguard_core::Listings>>,
    mail_auth: crate::MailAuth,
    max_upload_bytes: usize,
}

impl Parts {
    fn live(&self, registry: healthguard_registry::Registry) -> Live {
        let checker = Checker::new(registry);
        let checker = match &self.model {
            Some(model) => checker.with_model(model.clone()),
            None => checker,
        };
        let checker = match &self.listings {
            Some(listings) => checker.with_listings(listings.clone()),
            None => checker,
        };
        let registry = api::RegistryDocs::new(checker.registry());
        let official = Arc::new(healthguard_triage::Official::from_registry(checker.registry()));
        Live {
            analyzer: Analyzer::new(checker, &self.mail_auth, self.max_upload_bytes),
            registry,
            official,
        }
    }
}

/// The checker in use when it was asked for (a new registry swaps in a new one; this one
/// stays valid while held).
pub struct CheckerRef(Arc<Live>);

impl std::ops::Deref for CheckerRef {
    type Target = Checker;
    fn deref(&self) -> &Checker {
        &self.0.analyzer.checker
    }
}

impl AppState {
    /// Builds the state from a configuration and an opened store.
    pub fn new(config: &ServeConfig, store: Arc<dyn ReportStore>) -> AppState {
        let parts = Parts {
            model: config.model.clone(),
            listings: config.listings.clone(),
            mail_auth: config.mail_auth.clone(),
            max_upload_bytes: config.limits.max_upload_bytes,
        };
        let live = parts.live(config.registry.clone());
        AppState(Arc::new(Inner {
            live: std::sync::RwLock::new(Arc::new(live)),
            parts,
            catalog: Catalog::builtin(),
            web: WebTexts::builtin(),
            store,
            metrics: Metrics::default(),
            check_limiter: config.limits.check_rate.map(Limiter::new),
            report_limiter: config.limits.report_rate.map(Limiter::new),
            max_json_bytes: config.limits.max_json_bytes,
            max_upload_bytes: config.limits.max_upload_bytes,
            request_timeout: config.limits.request_timeout,
            sessions: crate::triage_web::Sessions::default(),
            triage_texts: crate::triage_web::texts(),
            secure_cookies: config.secure_cookies,
            publish_feed: config.publish_feed,
        }))
    }

    /// The report store.
    pub fn store(&self) -> &Arc<dyn ReportStore> {
        &self.0.store
    }

    /// The checker in use.
    pub fn checker(&self) -> CheckerRef {
        CheckerRef(self.live())
    }

    pub(crate) fn live(&self) -> Arc<Live> {
        match self.0.live.read() {
            Ok(guard) => Arc::clone(&guard),
            // A writer only assigns an Arc and cannot panic half-way; take the value.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Builds a checker on `registry` (with the same model, feeds and e-mail
    /// authentication) and swaps it in: requests under way finish on the old one.
    pub fn replace_registry(&self, registry: healthguard_registry::Registry) {
        let live = Arc::new(self.0.parts.live(registry));
        match self.0.live.write() {
            Ok(mut guard) => *guard = live,
            Err(poisoned) => *poisoned.into_inner() = live,
        }
    }

    /// Analyses a submission: small ones inline, large ones on the blocking pool.
    pub(crate) async fn analyze(&self, sub: Submission) -> Result<(Submission, Analysis), ApiError> {
        let live = self.live();
        // Live DNS blocks (and must not run on an async worker): e-mails go to the blocking pool.
        let waits = live.analyzer.waits_on_network && matches!(sub, Submission::Email { .. });
        let (sub, analysis) = if sub.len() <= INLINE_CHECK_BYTES && !waits {
            let analysis = live.analyzer.analyze(&sub);
            (sub, analysis)
        } else {
            tokio::task::spawn_blocking(move || {
                let analysis = live.analyzer.analyze(&sub);
                (sub, analysis)
            })
            .await
            .map_err(|_| ApiError::internal())?
        };
        self.0.metrics.verdict(analysis.kind, analysis.verdict);
        Ok((sub, analysis))
    }

    /// Stores a report and answers `(id, token)` once it is durable.
    pub(crate) async fn file_report(
        &self,
        sub: &Submission,
        analysis: &Analysis,
        contact: Option<String>,
        lang: Option<Lang>,
    ) -> Result<(String, String), StoreError> {
        let id = ids::new_report_id();
        let (token, token_hash) = ids::new_token();
        let report = NewReport {
            id: id.clone(),
            token_hash,
            created_at_ms: ids::now_ms(),
            kind: kind_name(analysis.kind).to_string(),
            verdict: analysis.verdict.name().to_string(),
            score: f64::from(analysis.score),
            institution: analysis.institution.clone(),
            findings_json: serde_json::to_string(&analysis.findings).unwrap_or_else(|_| "[]".into()),
            sender: sub.sender().map(str::to_string),
            message: sub.content().to_vec(),
            contact,
            lang: lang.map(|l| l.code().to_string()),
        };
        let result = self.0.store.insert(report).await;
        self.0.metrics.report(result.is_ok());
        result.map(|()| (id, token))
    }
}

/// The lower-case name of an input kind.
pub fn kind_name(kind: healthguard_core::InputKind) -> &'static str {
    use healthguard_core::InputKind;
    match kind {
        InputKind::Sms => "sms",
        InputKind::Email => "email",
        InputKind::Url => "url",
        InputKind::Phone => "phone",
        InputKind::Text => "text",
        InputKind::Call => "call",
    }
}

/// Which rate limit a route is under.
#[derive(Clone, Copy)]
enum Bucket {
    Check,
    Report,
}

/// The whole application: API, web page, assets, health and metrics.
pub fn router(state: AppState) -> Router {
    let json = Extension(JsonLimit(state.0.max_json_bytes));
    let upload_limit = DefaultBodyLimit::max(state.0.max_upload_bytes);
    let check_routes = Router::new()
        .route(
            "/v1/check",
            post(api::check).layer(DefaultBodyLimit::max(state.0.max_json_bytes)),
        )
        .route("/v1/check/email", post(api::check_email).layer(upload_limit))
        .route("/v1/institutions", get(api::institutions))
        .route("/v1/institutions/{id}", get(api::institution))
        .route("/v1/advisories", get(api::advisories))
        .route("/v1/reports/{id}", get(api::report_status))
        .route("/check", post(web::check_form).layer(upload_limit))
        .route("/reports/{id}", get(web::report_status_page))
        .route("/feeds/confirmed/{file}", get(triage_api::published_feed))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_checks));
    let report_routes = Router::new()
        .route(
            "/v1/reports",
            post(api::create_report).layer(DefaultBodyLimit::max(state.0.max_json_bytes)),
        )
        .route("/report", post(web::report_form).layer(upload_limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_reports));
    let json_limit = DefaultBodyLimit::max(state.0.max_json_bytes);
    let triage_routes = Router::new()
        .route("/v1/triage/reports", get(triage_api::list_reports))
        .route(
            "/v1/triage/reports/{id}",
            get(triage_api::get_report).post(triage_api::change_report),
        )
        .route("/v1/triage/campaigns", get(triage_api::list_campaigns))
        .route("/v1/triage/campaigns/{id}", get(triage_api::get_campaign))
        .route("/v1/triage/campaigns/{id}/merge", post(triage_api::merge_campaigns))
        .route("/v1/triage/campaigns/{id}/split", post(triage_api::split_campaign))
        .route("/v1/triage/campaigns/{id}/export", get(triage_api::export_campaign))
        .route("/v1/triage/export", get(triage_api::export_confirmed))
        .route("/v1/triage/audit", get(triage_api::audit_log))
        .layer(json_limit);
    Router::new()
        .route("/", get(web::index))
        .route("/about", get(web::about))
        .route("/assets/{file}", get(web::asset))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .route("/openapi.json", get(api::openapi))
        .merge(check_routes)
        .merge(report_routes)
        .merge(triage_routes)
        .merge(crate::triage_web::routes(state.0.max_json_bytes))
        .fallback(fallback)
        .layer(json)
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            let mut res = ApiError::internal().into_response();
            security_headers(res.headers_mut(), false);
            res
        }))
        .with_state(state)
}

async fn fallback(method: Method) -> ApiError {
    if method == Method::GET || method == Method::HEAD {
        ApiError::not_found("no such page or API endpoint; the API is described at /openapi.json")
    } else {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed here; the API is described at /openapi.json",
        )
    }
}

fn security_headers(h: &mut axum::http::HeaderMap, cacheable: bool) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if !cacheable && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Timing, metrics, the request timeout and the security headers of every answer.
async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route_name = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = req.method().clone();
    let cacheable = route_name == "/assets/{file}";
    let timeout = state.0.request_timeout;
    let run = async {
        if cross_site_write(&method, req.headers()) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site",
                "a form or request sent from another site is refused; use this site's own page",
            )
            .into_response();
        }
        next.run(req).await
    };
    let mut res = match tokio::time::timeout(timeout, run).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s (a slow upload or an overloaded server); try again",
                timeout.as_secs_f32()
            ),
        )
        .into_response(),
    };
    security_headers(res.headers_mut(), cacheable);
    state
        .0
        .metrics
        .request(route_name, method.as_str(), res.status().as_u16(), start.elapsed());
    res
}

/// Whether a request that may change state (anything but GET, HEAD, OPTIONS) was sent by a
/// page of another site: the CSRF guard of the anonymous forms and the API. A browser says so
/// in `Sec-Fetch-Site` (only `same-origin` and `none`, typed by the user, pass), or else in
/// `Origin`, which must name this host. Requests with neither (curl, API clients, old
/// browsers) carry no one's ambient authority and pass: nothing here rests on cookies.
pub(crate) fn cross_site_write(method: &Method, headers: &axum::http::HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).map(HeaderValue::as_bytes);
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")));
    match (authority, host) {
        (Some(a), Some(h)) => !a.as_bytes().eq_ignore_ascii_case(h),
        _ => true,
    }
}

async fn limit_checks(State(state): State<AppState>, req: Request, next: Next) -> Response {
    rate_limit(state, req, next, Bucket::Check).await
}

async fn limit_reports(State(state): State<AppState>, req: Request, next: Next) -> Response {
    rate_limit(state, req, next, Bucket::Report).await
}

/// Per-client rate limiting of public endpoints (429 with `Retry-After`).
async fn rate_limit(state: AppState, req: Request, next: Next, bucket: Bucket) -> Response {
    let limiter = match bucket {
        Bucket::Check => state.0.check_limiter.as_ref(),
        Bucket::Report => state.0.report_limiter.as_ref(),
    };
    if let (Some(limiter), Some(ConnectInfo(addr))) = (limiter, req.extensions().get::<ConnectInfo<SocketAddr>>()) {
        if let Err(wait) = limiter.check(addr.ip(), Instant::now()) {
            state.0.metrics.rate_limited();
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests from your address; try again in {wait} s"),
            );
            e.retry_after = Some(wait);
            if !req.uri().path().starts_with("/v1/") {
                let lang = web::request_lang(&req);
                return web::error_page(&state, lang, e);
            }
            return e.into_response();
        }
    }
    next.run(req).await
}
