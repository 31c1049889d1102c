//! `healthguard serve`: HealthGuard over HTTP.
//!
//! - A JSON API under `/v1` (described by `/openapi.json`): `POST /v1/check` answers the same
//!   verdict JSON as `healthguard check --format json`; `POST /v1/check/email` takes a raw
//!   e-mail upload; `POST /v1/reports` files a report and answers `{id, token}` only once it
//!   is durable; `GET /v1/reports/{id}?token=…` shows its status; `/v1/institutions` and
//!   `/v1/advisories` expose the registry.
//! - A web page at `/` for patients: paste or upload, read the verdict, report it; works
//!   with JavaScript off, escapes everything, and sends a strict Content-Security-Policy.
//! - `/healthz` and `/metrics` (Prometheus text format).
//! - Reports in SQLite (WAL, `synchronous=FULL`, group commit) in the data directory, or in
//!   PostgreSQL (`--database`, shareable by several nodes), behind the [`store::ReportStore`]
//!   trait.
//!
//! This crate is an edge: the analysis is `healthguard-core` (and `healthguard-mail` for
//! e-mail), called with no I/O of its own.
//!
//! ```no_run
//! use healthguard_server::{serve, ServeConfig};
//! let config = ServeConfig::new(
//!     "127.0.0.1:8080".parse().unwrap(),
//!     "./healthguard-data".into(),
//!     healthguard_registry::builtin().clone(),
//! );
//! serve(config).unwrap(); // blocks until Ctrl-C or SIGTERM
//! ```
#![deny(missing_docs)]

pub mod access;
mod api;
mod app;
mod docs;
pub mod error;
mod ids;
pub mod message;
pub mod metrics;
pub mod ratelimit;
mod smtp_intake;
pub mod store;
mod triage_api;
mod triage_web;
mod web;

pub use app::{router, AppState, CheckerRef, CONTENT_SECURITY_POLICY};
pub use message::{MailAuth, Submission};
pub use ratelimit::RateLimit;

use anyhow::Context;
use healthguard_registry::Registry;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::ReportStore;

/// Bounds on what one request may cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest JSON body (`/v1/check`, `/v1/reports`); larger ones get 413. Default 1 MiB.
    pub max_json_bytes: usize,
    /// Largest upload (`/v1/check/email`, the web form with an .eml); default 10 MiB.
    pub max_upload_bytes: usize,
    /// Longest time to read a request and answer it (slow uploads included); default 30 s.
    pub request_timeout: Duration,
    /// Longest time to receive a request's headers, and to wait idle on a kept-alive
    /// connection for the next request; the connection is closed after it. Default 10 s.
    pub header_timeout: Duration,
    /// Per-client limit of checks and look-ups (default 20/s, bursts of 60); `None` = off.
    pub check_rate: Option<RateLimit>,
    /// Per-client limit of reports (default 1/s, bursts of 20); `None` = off.
    pub report_rate: Option<RateLimit>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_json_bytes: 1024 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            check_rate: Some(RateLimit {
                per_second: 20.0,
                burst: 60.0,
            }),
            report_rate: Some(RateLimit {
                per_second: 1.0,
                burst: 20.0,
            }),
        }
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Directory of the SQLite database (created when missing).
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://…`) to keep reports in instead of `data_dir`.
    pub database: Option<String>,
    /// The registry of official channels the checker uses.
    pub registry: Registry,
    /// Request limits and rate limits.
    pub limits: Limits,
    /// How e-mail authentication is judged (never with DNS; by default nothing is trusted).
    pub mail_auth: MailAuth,
    /// Worker threads of the runtime; `None` = one per core.
    pub workers: Option<usize>,
    /// This site's statistical model (`healthguard learn`), used for uploaded e-mails.
    pub model: Option<healthguard_core::bayes::Model>,
    /// Threat feeds (`healthguard feeds update`); may refresh themselves while serving.
    pub listings: Option<std::sync::Arc<dyn healthguard_core::Listings>>,
    /// Mark the analysts' session cookie `Secure`: set it when the site is reached over TLS
    /// (a TLS-terminating proxy in front of `serve`).
    pub secure_cookies: bool,
    /// Publish the blocklists of confirmed campaigns without credentials under
    /// `/feeds/confirmed/` (for other resolvers and HealthGuard nodes to subscribe to).
    pub publish_feed: bool,
    /// Also accept reports by e-mail over SMTP on this address (`serve --smtp-intake`): each
    /// forwarded original is filed as a report, answered 250 once durable.
    pub smtp_intake: Option<SocketAddr>,
    /// Where a new registry comes from while serving (`healthguard registry update`).
    pub reload: Option<Reload>,
}

/// A source of new registries while serving: asked every `every` and on SIGHUP, on a
/// blocking thread; a registry it returns is swapped in for new requests (requests under
/// way finish on the old one).
#[derive(Clone)]
pub struct Reload {
    /// How often to ask; `None`: on SIGHUP only.
    pub every: Option<Duration>,
    /// The source: `true` on SIGHUP (read again even if nothing seems changed). `None`: keep
    /// the registry in use (the source logs why, when something failed).
    pub registry: Arc<dyn Fn(bool) -> Option<Registry> + Send + Sync>,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

/// Asks `reload` on its schedule and on SIGHUP; swaps what it returns into `state`.
async fn watch_registry(reload: Reload, state: AppState) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = reload.every.map(|every| {
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    loop {
        let hup_recv = async {
            #[cfg(unix)]
            if let Some(h) = hup.as_mut() {
                return h.recv().await.is_some();
            }
            std::future::pending::<bool>().await
        };
        let ticked = async {
            match tick.as_mut() {
                Some(t) => {
                    t.tick().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let force = tokio::select! {
            got = hup_recv => {
                if !got {
                    return;
                }
                true
            }
            () = ticked => false,
        };
        let source = Arc::clone(&reload.registry);
        if let Ok(Some(registry)) = tokio::task::spawn_blocking(move || source(force)).await {
            let old = state.checker().registry().version.clone();
            let new = registry.version.clone();
            state.replace_registry(registry);
            eprintln!("HealthGuard: registry {new} in use (was {old})");
        }
    }
}

impl ServeConfig {
    /// A configuration with default limits and no trusted mail headers.
    pub fn new(listen: SocketAddr, data_dir: PathBuf, registry: Registry) -> ServeConfig {
        ServeConfig {
            listen,
            data_dir,
            database: None,
            registry,
            limits: Limits::default(),
            mail_auth: MailAuth::default(),
            workers: None,
            model: None,
            listings: None,
            secure_cookies: false,
            publish_feed: false,
            smtp_intake: None,
            reload: None,
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM, then stops accepting, finishes requests in
/// flight, commits queued reports and closes the database. Builds its own tokio runtime.
pub fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = config.workers {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.build().context("cannot start the async runtime")?;
    let db = store::Database::new(&config.data_dir, config.database.as_deref());
    let senders = match config.mail_auth {
        MailAuth::Untrusted => "e-mail senders not verified (no DNS)",
        MailAuth::TrustedHeaders { .. } => "e-mail senders from your MTA's Authentication-Results",
        MailAuth::LiveDns { .. } => "e-mail senders verified with live DNS",
    };
    runtime.block_on(async move {
        let server = Server::start(config).await?;
        eprintln!(
            "HealthGuard: reports stored in {}; {senders}; listening on http://{}",
            db.describe(),
            server.addr()
        );
        if let Some(smtp) = server.smtp_addr() {
            eprintln!("HealthGuard: reports by e-mail over SMTP on {smtp}");
        }
        shutdown_signal().await;
        eprintln!("HealthGuard: shutting down");
        server.stop().await
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// A server running on the current tokio runtime (tests start one per case).
pub struct Server {
    addr: SocketAddr,
    state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    watcher: Option<tokio::task::JoinHandle<()>>,
    smtp: Option<(SocketAddr, tokio::task::JoinHandle<()>)>,
}

impl Server {
    /// Opens the store in `config.data_dir`, or the `config.database` (running migrations),
    /// binds `config.listen` (port 0 picks a free port) and starts answering.
    pub async fn start(config: ServeConfig) -> anyhow::Result<Server> {
        let official = healthguard_triage::Official::from_registry(&config.registry);
        let db = store::Database::new(&config.data_dir, config.database.as_deref());
        let store = db
            .open(official)
            .await
            .with_context(|| format!("cannot open the report store {}", db.describe()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        Server::start_with(config, store, listener).await
    }

    /// Starts on an opened store and a bound listener.
    pub async fn start_with(
        config: ServeConfig,
        store: Arc<dyn ReportStore>,
        listener: tokio::net::TcpListener,
    ) -> anyhow::Result<Server> {
        let addr = listener.local_addr()?;
        let state = AppState::new(&config, store);
        let app = router(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let header_timeout = config.limits.header_timeout;
        let watcher = config
            .reload
            .clone()
            .map(|reload| tokio::spawn(watch_registry(reload, state.clone())));
        let smtp = match config.smtp_intake {
            Some(at) => {
                let smtp_listener = tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen for SMTP on {at}"))?;
                let smtp_addr = smtp_listener.local_addr()?;
                let task = tokio::spawn(smtp_intake::run(
                    smtp_listener,
                    state.clone(),
                    config.limits.max_upload_bytes,
                ));
                Some((smtp_addr, task))
            }
            None => None,
        };
        let task = tokio::spawn(serve_until(listener, app, header_timeout, async {
            let _ = rx.await;
        }));
        Ok(Server {
            addr,
            state,
            shutdown: Some(tx),
            task,
            watcher,
            smtp,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the SMTP report intake, when it runs.
    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.smtp.as_ref().map(|(addr, _)| *addr)
    }

    /// The shared state (store, checker).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops gracefully: no new connections, requests in flight finish (at most 10 s),
    /// queued reports are committed, the database is closed.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(w) = self.watcher.take() {
            w.abort();
        }
        // A message not yet answered 250 may be cut: its sender's MTA keeps it and retries.
        if let Some((_, smtp)) = self.smtp.take() {
            smtp.abort();
        }
        match tokio::time::timeout(Duration::from_secs(10), &mut self.task).await {
            Ok(Ok(result)) => result.context("the server failed")?,
            Ok(Err(e)) => return Err(anyhow::anyhow!("the server task failed: {e}")),
            Err(_) => self.task.abort(),
        }
        self.state.store().close().await;
        Ok(())
    }
}

/// The accept loop: HTTP/1.1 connections with a header-read timeout (against slow-header
/// clients), each request tagged with its peer address (for rate limiting), and a graceful
/// shutdown that lets requests in flight finish.
async fn serve_until(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    eprintln!("healthguard: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            // A router is always ready: `call` without `poll_ready` is allowed.
            app.clone().call(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
