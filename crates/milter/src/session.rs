//! One milter connection: collects the message the MTA streams (envelope, headers, body
//! chunks), checks it on a blocking worker within the time bound, and answers with the
//! [`policy`](crate::policy) decision as milter modifications.

use crate::banner::{self, Banner, Skip};
use crate::config::{Config, DnsMode};
use crate::policy::{self, Decision, Disposition, HeaderEdit, Outcome};
use crate::stats::{BannerResult, Failure, Stats};
use async_trait::async_trait;
use healthguard_core::{Analysis, Catalog, Checker};
use healthguard_mail::{AuthOutcome, Authenticator, Envelope, Limits, ParsedMail};
use miltr_common::actions::{Action, Continue, Replycode};
use miltr_common::commands::{Body, Connect, Header, Helo, Macro, Mail, Recipient};
use miltr_common::modifications::body::ReplaceBody;
use miltr_common::modifications::headers::{AddHeader, ChangeHeader};
use miltr_common::modifications::quarantine::Quarantine;
use miltr_common::modifications::ModificationResponse;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How senders are authenticated.
enum Auth {
    /// From the message alone: trusted `Authentication-Results`, or nothing.
    Headers(Box<dyn Authenticator + Send + Sync>),
    /// SPF, DKIM, DMARC and ARC verified here, SPF with the envelope the MTA gave.
    Dns(Box<healthguard_mail::dns::DnsAuthenticator>),
}

impl Auth {
    fn authenticate(&self, raw: &[u8], mail: &ParsedMail, envelope: &Envelope) -> AuthOutcome {
        match self {
            Auth::Headers(a) => a.authenticate(raw, mail),
            Auth::Dns(d) => d.verify(raw, mail, envelope),
        }
    }
}

/// What a reload replaces: the checker and everything taken from the configuration.
pub struct State {
    /// The checker (the registry and the site's model).
    pub checker: Arc<Checker>,
    /// The configuration.
    pub config: Config,
    auth: Auth,
    /// Bounds of the parser.
    limits: Limits,
    /// The texts of banners.
    catalog: Catalog,
}

impl State {
    /// The state for `checker` and `config`; fails when DNS verification cannot be set up
    /// (an unreadable DNS fixture, no resolver configuration).
    pub fn new(checker: Arc<Checker>, config: Config) -> Result<State, String> {
        let sealers = config.trusted_arc_sealers.clone();
        let auth = if let Some(path) = &config.dns_fixture {
            let fixture = healthguard_mail::dns::Fixture::load(path).map_err(|e| format!("dns_fixture: {e}"))?;
            // Answers from the file only: no query waits on the network.
            let dns = healthguard_mail::dns::DnsAuthenticator::with_fixture(fixture, sealers)
                .map_err(|e| format!("dns_fixture: {e}"))?;
            Auth::Dns(Box::new(dns))
        } else if config.dns == DnsMode::Online {
            // A verification must end within the check's bound: 80% of it for all queries.
            let total = config.timeout().mul_f64(0.8);
            let per_query = total.min(Duration::from_secs(3));
            let dns = healthguard_mail::dns::DnsAuthenticator::online(per_query, total, sealers)
                .map_err(|e| format!("dns = \"online\": {e}"))?;
            Auth::Dns(Box::new(dns))
        } else {
            Auth::Headers(match &config.trust_authres {
                Some(id) => Box::new(healthguard_mail::TrustedHeaders {
                    authserv_id: id.clone(),
                    trusted_arc_sealers: sealers,
                }),
                None => Box::new(healthguard_mail::NoAuth),
            })
        };
        let limits = Limits {
            max_message_bytes: config.max_message_bytes,
            ..Limits::default()
        };
        Ok(State {
            checker,
            config,
            auth,
            limits,
            catalog: Catalog::builtin(),
        })
    }
}

/// What every connection shares: the current [`State`], the counters, and the permits that
/// bound how many checks run at once.
pub struct Shared {
    state: RwLock<Arc<State>>,
    /// Counters (kept across reloads).
    pub stats: Stats,
    /// One permit per check running (as many as cores): a burst queues here, within the
    /// time bound, instead of starving the machine.
    pub permits: Arc<Semaphore>,
}

impl Shared {
    /// Everything shared, from the first state; checks run at most `workers` at a time.
    pub fn new(state: State, workers: usize) -> Shared {
        Shared {
            state: RwLock::new(Arc::new(state)),
            stats: Stats::default(),
            permits: Arc::new(Semaphore::new(workers.max(1))),
        }
    }

    /// The state new transactions start with.
    pub fn current(&self) -> Arc<State> {
        Arc::clone(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Replaces the state (a reload): transactions that start from now on use `state`;
    /// messages being received finish with the state they started with. Connections stay.
    pub fn replace(&self, state: State) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(state);
    }
}

/// The message being received.
#[derive(Default)]
struct Message {
    /// The state at the start of the transaction (its MAIL command).
    state: Option<Arc<State>>,
    queue_id: Option<String>,
    recipients: Vec<String>,
    headers: Vec<(String, String)>,
    raw: Vec<u8>,
    /// Where the body starts in `raw` (after the header block).
    body_start: usize,
    oversized: bool,
}

impl Message {
    fn append(&mut self, bytes: &[u8], max: usize) {
        if self.oversized {
            return;
        }
        if self.raw.len() + bytes.len() > max {
            self.oversized = true;
            self.raw = Vec::new();
            return;
        }
        self.raw.extend_from_slice(bytes);
    }
}

/// The state of one milter connection.
pub struct Session {
    shared: Arc<Shared>,
    /// The client's address and HELO name (the MAIL FROM is set per transaction).
    envelope: Envelope,
    message: Message,
}

impl Session {
    /// A new connection.
    pub fn new(shared: Arc<Shared>) -> Session {
        Session {
            shared,
            envelope: Envelope::default(),
            message: Message::default(),
        }
    }

    /// The size bound of the message being received.
    fn max_bytes(&self) -> usize {
        match &self.message.state {
            Some(state) => state.config.max_message_bytes,
            None => self.shared.current().config.max_message_bytes,
        }
    }

    /// Checks the collected message and decides; counts and logs one line.
    async fn conclude(&mut self) -> (Decision, Option<Vec<u8>>) {
        let started = Instant::now();
        let message = std::mem::take(&mut self.message);
        let shared = &self.shared;
        let state = message.state.clone().unwrap_or_else(|| shared.current());
        shared.stats.messages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let queue_id = message.queue_id.clone().unwrap_or_else(|| "-".into());
        let result = if message.oversized {
            Err(Failure::Oversized)
        } else {
            check(shared, &state, &message, self.envelope.clone()).await
        };
        let took = started.elapsed();
        let ms = took.as_secs_f64() * 1000.0;
        match result {
            Ok(checked) => {
                let Checked {
                    outcome,
                    decision,
                    banner,
                } = checked;
                let action = decision.action.unwrap_or(crate::config::Action::Accept);
                shared.stats.checked(outcome.verdict, action, took);
                let (banner_result, body) = match banner {
                    Some(b) => {
                        shared.stats.banner(b.result);
                        for skip in &b.skipped {
                            tracing::info!(queue_id = %queue_id, reason = %skip.name(), "banner: a text part left without one");
                        }
                        (Some(b.result.name()), b.body)
                    }
                    None => (None, None),
                };
                tracing::info!(
                    queue_id = %queue_id,
                    verdict = %outcome.verdict.name(),
                    score = format_args!("{:.1}", outcome.score),
                    action = %action.name(),
                    banner = banner_result,
                    ms = format_args!("{ms:.2}"),
                    "checked"
                );
                (decision, body)
            }
            Err(failure) => {
                let count = shared.stats.failed(failure);
                let decision = policy::failure(&state.config, &message.headers);
                tracing::warn!(
                    queue_id = %queue_id,
                    failure = %failure.name(),
                    count,
                    on_failure = %state.config.on_failure.name(),
                    ms = format_args!("{ms:.2}"),
                    "not checked"
                );
                (decision, None)
            }
        }
    }
}

/// A checked message: the verdict, the decision, and its banner when it has one.
struct Checked {
    outcome: Outcome,
    decision: Decision,
    banner: Option<BannerDone>,
}

/// What became of a banner.
struct BannerDone {
    result: BannerResult,
    /// The new body, when a part took the banner.
    body: Option<Vec<u8>>,
    skipped: Vec<Skip>,
}

/// Checks `message` on a blocking worker and decides, banner included, within the
/// configured time (waiting for a permit included). A check that outlives the bound keeps
/// its permit until it ends, so timeouts never pile up more work than there are workers.
async fn check(shared: &Shared, state: &Arc<State>, message: &Message, envelope: Envelope) -> Result<Checked, Failure> {
    let run = async {
        let permit = shared
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Failure::Internal)?;
        let worker = Arc::clone(state);
        let raw = message.raw.clone();
        let headers = message.headers.clone();
        let recipients = message.recipients.clone();
        let body_start = message.body_start.min(raw.len());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mail = healthguard_mail::parse(&raw, &worker.limits);
            let auth = worker.auth.authenticate(&raw, &mail, &envelope);
            let analysis = healthguard_mail::analyze(&worker.checker, &mail, &auth);
            let outcome = Outcome::from(&analysis);
            let decision = policy::decide(&worker.config, &outcome, &headers, &recipients);
            let banner = decision
                .banner
                .map(|lang| with_banner(&worker, &analysis, lang, &headers, &raw[body_start..], raw.len()));
            Checked {
                outcome,
                decision,
                banner,
            }
        })
        .await
        .map_err(|_| Failure::Internal)
    };
    match tokio::time::timeout(state.config.timeout(), run).await {
        Ok(result) => result,
        Err(_) => Err(Failure::Timeout),
    }
}

/// The body with the banner for `analysis` in `lang`, unless the message (`size` bytes) is
/// larger than `banner_max_bytes`.
fn with_banner(
    state: &State,
    analysis: &Analysis,
    lang: healthguard_registry::Lang,
    headers: &[(String, String)],
    body: &[u8],
    size: usize,
) -> BannerDone {
    if size > state.config.banner_max_bytes {
        return BannerDone {
            result: BannerResult::TooLarge,
            body: None,
            skipped: Vec::new(),
        };
    }
    // The strongest finding that counts (the first ones may only name the institution).
    let reason = |lang| {
        let report = state.checker.report(analysis, &state.catalog, Some(lang));
        let top = report
            .findings
            .iter()
            .find(|f| f.weight > 0.0)
            .or(report.findings.first());
        top.map(|f| f.message.clone())
    };
    let worded = Banner::worded(&state.catalog, lang, analysis.verdict, &reason);
    let applied = banner::apply(headers, body, &worded);
    BannerDone {
        result: if applied.body.is_some() {
            BannerResult::Added
        } else {
            BannerResult::NoPart
        },
        body: applied.body,
        skipped: applied.skipped,
    }
}

/// Largest body piece in one `SMFIR_REPLBODY` packet (libmilter's chunk size).
const BODY_CHUNK: usize = 65_535;

/// The milter replies for `decision`, and the new body when there is one.
pub fn response(decision: &Decision, body: Option<&[u8]>) -> ModificationResponse {
    let mut builder = ModificationResponse::builder();
    for chunk in body.unwrap_or_default().chunks(BODY_CHUNK) {
        builder.push(ReplaceBody::new(chunk));
    }
    for edit in &decision.edits {
        match edit {
            HeaderEdit::Change { name, index, value } => {
                builder.push(ChangeHeader::new(*index, name.as_bytes(), value.as_bytes()));
            }
            HeaderEdit::Add { name, value } => builder.push(AddHeader::new(name.as_bytes(), value.as_bytes())),
        }
    }
    match &decision.disposition {
        Disposition::Accept => builder.contin(),
        Disposition::Quarantine(reason) => {
            builder.push(Quarantine::new(reason.as_bytes()));
            builder.contin()
        }
        Disposition::Reject(text) => builder.build(Replycode::new([5, 5, 0], [5, 7, 1], text)),
        Disposition::Tempfail(text) => builder.build(Replycode::new([4, 5, 1], [4, 7, 1], text)),
    }
}

fn cont() -> Result<Action, Error> {
    Ok(Continue.into())
}

/// A session never fails on its own: every problem is a [`Failure`] decided by policy.
#[derive(Debug)]
pub enum Error {}

impl std::fmt::Display for Error {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Error {}

#[async_trait]
impl miltr_server::Milter for Session {
    type Error = Error;

    async fn macro_(&mut self, macro_: Macro) -> Result<(), Error> {
        for (name, value) in macro_.macros() {
            if name == b"i" || name == b"{i}" {
                self.message.queue_id = Some(String::from_utf8_lossy(value).into_owned());
            }
        }
        Ok(())
    }

    async fn connect(&mut self, connect: Connect) -> Result<Action, Error> {
        // An address only for IPv4/IPv6 clients (a unix socket or "unknown" is none);
        // Postfix writes IPv6 as "IPv6:2001:db8::1".
        let address = connect.address();
        self.envelope.client_ip = address.trim_start_matches("IPv6:").parse().ok();
        self.shared
            .stats
            .connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        cont()
    }

    async fn helo(&mut self, helo: Helo) -> Result<Action, Error> {
        let name = helo.helo().trim().to_string();
        self.envelope.helo = (!name.is_empty()).then_some(name);
        cont()
    }

    async fn mail(&mut self, mail: Mail) -> Result<Action, Error> {
        let sender = mail.sender();
        self.envelope.mail_from = Some(sender.trim().trim_start_matches('<').trim_end_matches('>').to_string());
        // A new transaction: nothing of the previous one is kept but the queue id, whose
        // macro the MTA sends just before MAIL.
        let queue_id = self.message.queue_id.take();
        self.message = Message {
            state: Some(self.shared.current()),
            queue_id,
            ..Message::default()
        };
        cont()
    }

    async fn rcpt(&mut self, recipient: Recipient) -> Result<Action, Error> {
        self.message.recipients.push(recipient.recipient().into_owned());
        cont()
    }

    async fn header(&mut self, header: Header) -> Result<Action, Error> {
        let (name, value) = (header.name().into_owned(), header.value().into_owned());
        let max = self.max_bytes();
        self.message.append(format!("{name}: {value}\r\n").as_bytes(), max);
        self.message.headers.push((name, value));
        cont()
    }

    async fn end_of_header(&mut self) -> Result<Action, Error> {
        let max = self.max_bytes();
        self.message.append(b"\r\n", max);
        self.message.body_start = self.message.raw.len();
        cont()
    }

    async fn body(&mut self, body: Body) -> Result<Action, Error> {
        let max = self.max_bytes();
        self.message.append(body.as_bytes(), max);
        cont()
    }

    async fn end_of_body(&mut self) -> Result<ModificationResponse, Error> {
        let (decision, body) = self.conclude().await;
        Ok(response(&decision, body.as_deref()))
    }

    async fn abort(&mut self) -> Result<(), Error> {
        self.message = Message::default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_past_the_limit_is_dropped_and_marked() {
        let mut m = Message::default();
        m.append(b"12345", 8);
        assert_eq!(m.raw, b"12345");
        m.append(b"6789", 8);
        assert!(m.oversized);
        assert!(m.raw.is_empty());
        m.append(b"1", 8);
        assert!(m.raw.is_empty());
    }

    #[test]
    fn a_rejection_is_a_550_reply_and_a_quarantine_a_hold() {
        let reject = response(
            &Decision {
                action: None,
                edits: vec![],
                disposition: Disposition::Reject("why".into()),
                banner: None,
            },
            None,
        );
        match reject.final_action() {
            Action::Replycode(r) => {
                assert_eq!(r.rcode().code(), [5, 5, 0]);
                assert_eq!(r.message(), "why");
            }
            other => panic!("{other:?}"),
        }
        let hold = response(
            &Decision {
                action: None,
                edits: vec![HeaderEdit::Add {
                    name: "X-HealthGuard-Verdict".into(),
                    value: "phishing".into(),
                }],
                disposition: Disposition::Quarantine("HealthGuard: phishing".into()),
                banner: None,
            },
            None,
        );
        assert!(matches!(hold.final_action(), Action::Continue(_)));
        assert_eq!(hold.modifications().len(), 2);
    }

    #[test]
    fn a_new_body_goes_back_in_chunks_of_at_most_64_kib() {
        let body = vec![b'x'; 150_000];
        let decision = Decision {
            action: None,
            edits: vec![],
            disposition: Disposition::Accept,
            banner: None,
        };
        let r = response(&decision, Some(&body));
        assert_eq!(r.modifications().len(), 3);
        assert!(matches!(r.final_action(), Action::Continue(_)));
    }
}
