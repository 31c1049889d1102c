//! HealthGuard in the mail flow: a Sendmail/Postfix **milter**. Each message the MTA
//! receives is checked with one shared [`Checker`](healthguard_core::Checker) and gets the
//! policy of its verdict: `X-HealthGuard-*` headers, a subject tag, a quarantine (Postfix's
//! hold queue), a rejection with an SMTP reply that says why, or nothing.
//!
//! - [`config`]: the TOML file (listen address, trusted authserv-id, bounds, actions per
//!   verdict, tags per language, per-recipient-domain overrides).
//! - [`policy`] (pure): outcome + headers + recipients + configuration → [`policy::Decision`].
//! - [`banner`] (pure): a body and a worded warning → the same MIME structure with the
//!   warning at the top of its text and HTML parts (action `banner`).
//! - [`session`]: one connection over the milter protocol (the `miltr-server` crate); the
//!   check runs on a blocking worker within `timeout_ms`.
//! - [`MilterServer`]: the listener (`inet:` or `unix:`), one task per connection;
//!   [`metrics`]: Prometheus counters on `metrics_listen`.
//!
//! **Fail-open**: a message that cannot be checked (timeout, internal error, larger than
//! `max_message_bytes`) is delivered unchecked, or tempfailed when `on_failure = "tempfail"`;
//! either way it is logged and counted ([`stats::Stats`]).
#![deny(missing_docs)]

pub mod banner;
pub mod config;
pub mod metrics;
pub mod policy;
pub mod session;
pub mod stats;

pub use config::{Action, Config, ConfigError, DnsMode, OnFailure};
pub use session::{Shared, State};

use healthguard_core::Checker;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// Largest milter packet accepted from the MTA (a body chunk is at most 64 KiB; a header can
/// be long).
const MAX_PACKET: usize = 1024 * 1024;

/// Where the milter listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `inet:HOST:PORT` (port 0 picks a free one).
    Inet(String),
    /// `unix:/path.sock`.
    Unix(PathBuf),
}

impl Listen {
    /// Parses `inet:HOST:PORT` (HOST may be `[::1]`) or `unix:/path`.
    pub fn parse(text: &str) -> Result<Listen, String> {
        if let Some(rest) = text.strip_prefix("inet:") {
            let valid = rest
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid {
                return Err(format!("listen {text:?}: expected inet:HOST:PORT"));
            }
            Ok(Listen::Inet(rest.to_string()))
        } else if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(format!("listen {text:?}: expected unix:/path.sock"));
            }
            Ok(Listen::Unix(PathBuf::from(path)))
        } else {
            Err(format!("listen {text:?}: expected inet:HOST:PORT or unix:/path.sock"))
        }
    }
}

enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener, PathBuf),
}

/// A bound milter, ready to [`run`](MilterServer::run).
pub struct MilterServer {
    listener: Listener,
    shared: Arc<Shared>,
}

impl MilterServer {
    /// Binds the address; a stale unix socket file is replaced. The socket is made
    /// connectable by every local user (the MTA's): restrict the directory holding it.
    pub async fn bind(listen: &Listen, shared: Shared) -> std::io::Result<MilterServer> {
        let listener = match listen {
            Listen::Inet(addr) => Listener::Tcp(tokio::net::TcpListener::bind(addr.replace(['[', ']'], "")).await?),
            Listen::Unix(path) => {
                match std::fs::remove_file(path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                let listener = tokio::net::UnixListener::bind(path)?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
                Listener::Unix(listener, path.clone())
            }
        };
        Ok(MilterServer {
            listener,
            shared: Arc::new(shared),
        })
    }

    /// The bound address as `inet:HOST:PORT` or `unix:/path`.
    pub fn local_addr(&self) -> String {
        match &self.listener {
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| format!("inet:{a}"))
                .unwrap_or_else(|_| "inet:?".into()),
            Listener::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }

    /// What every connection shares (its counters, for instance).
    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Serves connections, one task each, until `shutdown` completes. Connections still open
    /// when the caller's runtime stops are closed; the MTA applies its
    /// `milter_default_action` to their messages.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = accept(&self.listener) => match accepted {
                    Ok(stream) => {
                        let shared = Arc::clone(&self.shared);
                        tokio::spawn(serve_connection(stream, shared));
                    }
                    // A failed accept (out of descriptors, a client gone) ends nothing but itself.
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
        if let Listener::Unix(_, path) = &self.listener {
            let _ = std::fs::remove_file(path);
        }
        Ok(())
    }
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept(listener: &Listener) -> std::io::Result<Stream> {
    match listener {
        Listener::Tcp(l) => {
            let (stream, _) = l.accept().await?;
            // Replies of several small packets (header edits, then the verdict) must not wait
            // for the MTA's delayed ACK (Nagle): that costs ~40 ms per message.
            stream.set_nodelay(true)?;
            Ok(Stream::Tcp(stream))
        }
        Listener::Unix(l, _) => Ok(Stream::Unix(l.accept().await?.0)),
    }
}

/// Serves one milter conversation over any byte stream: a socket, or bytes in memory (the
/// fuzz target and the hostile-input tests use this, with no network). Returns the protocol
/// or I/O error that ended the conversation early, if any.
pub async fn serve_io<RW>(io: RW, shared: Arc<Shared>) -> Result<(), miltr_server::Error<session::Error>>
where
    RW: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    let mut session = session::Session::new(shared);
    let mut server = miltr_server::Server::new(&mut session, false, MAX_PACKET);
    server.handle_connection(io.compat()).await
}

async fn serve_connection(stream: Stream, shared: Arc<Shared>) {
    let result = match stream {
        Stream::Tcp(s) => serve_io(s, shared).await,
        Stream::Unix(s) => serve_io(s, shared).await,
    };
    if let Err(e) = result {
        // The MTA hung up mid-conversation or spoke something else: its milter timeout and
        // default action decide for the message; nothing is lost here.
        tracing::debug!(error = %e, "milter connection ended");
    }
}

/// Binds `listen` and serves until SIGINT or SIGTERM, on a multi-threaded runtime of its
/// own; logs the bound address once connections are accepted. On SIGHUP `reload(true)`
/// builds a new [`State`] (the configuration file and registry read again) on a blocking
/// thread, and every `every` (when given) `reload(false)` may build one (a new active
/// registry, say; `Ok(None)`: nothing changed): it replaces the old one for new
/// transactions without closing any connection; when it fails the old state stays and the
/// error is logged. The listen address needs a restart.
pub fn run_until_signal(
    listen: &Listen,
    shared: Shared,
    every: Option<std::time::Duration>,
    reload: impl Fn(bool) -> Result<Option<State>, String> + Send + Sync + 'static,
) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        // Handlers first: a signal sent as soon as "ready" is logged must find them.
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        let server = MilterServer::bind(listen, shared).await?;
        let shared = server.shared();
        if let Some(addr) = shared.current().config.metrics_listen.clone() {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            tracing::info!(metrics = %addr, "Prometheus metrics on /metrics");
            tokio::spawn(metrics::serve(listener, Arc::clone(&shared)));
        }
        let reloader = tokio::spawn({
            let shared = Arc::clone(&shared);
            let reload = Arc::new(reload);
            let mut tick = every.map(|every| {
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            async move {
                loop {
                    let ticked = async {
                        match tick.as_mut() {
                            Some(t) => {
                                t.tick().await;
                            }
                            None => std::future::pending::<()>().await,
                        }
                    };
                    let force = tokio::select! {
                        got = hup.recv() => {
                            if got.is_none() {
                                return;
                            }
                            true
                        }
                        () = ticked => false,
                    };
                    let reload = Arc::clone(&reload);
                    match tokio::task::spawn_blocking(move || reload(force)).await {
                        Ok(Ok(Some(state))) => {
                            let old = shared.current();
                            if state.config.listen != old.config.listen {
                                tracing::warn!(listen = %old.config.listen, "reload: a new listen address needs a restart");
                            }
                            let registry = state.checker.registry().version.clone();
                            shared.replace(state);
                            tracing::info!(registry = %registry, "reloaded the configuration and the registry");
                        }
                        Ok(Ok(None)) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "reload failed, the previous configuration stays"),
                        Err(e) => tracing::error!(error = %e, "reload failed, the previous configuration stays"),
                    }
                }
            }
        });
        tracing::info!(listen = %server.local_addr(), "healthguard milter ready");
        server
            .run(async move {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            })
            .await?;
        reloader.abort();
        let s = shared.stats.snapshot();
        tracing::info!(
            connections = s.connections,
            messages = s.messages,
            timeouts = s.failures[0],
            internal_errors = s.failures[1],
            oversized = s.failures[2],
            "milter stopped"
        );
        Ok(())
    })
}

/// Builds the shared state for `config` with as many check workers as cores.
pub fn shared(checker: Arc<Checker>, config: Config) -> Result<Shared, String> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(Shared::new(State::new(checker, config)?, workers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_parse() {
        assert_eq!(
            Listen::parse("inet:127.0.0.1:8891"),
            Ok(Listen::Inet("127.0.0.1:8891".into()))
        );
        assert_eq!(Listen::parse("inet:[::1]:8891"), Ok(Listen::Inet("[::1]:8891".into())));
        assert_eq!(
            Listen::parse("unix:/run/hg.sock"),
            Ok(Listen::Unix("/run/hg.sock".into()))
        );
        for bad in ["inet:8891", "inet:host:port", "unix:", "tcp:1:2", "127.0.0.1:8891"] {
            assert!(Listen::parse(bad).is_err(), "{bad}");
        }
    }
}
