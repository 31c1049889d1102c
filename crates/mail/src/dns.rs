//! The edge that verifies SPF, DKIM, DMARC and ARC itself, with `mail-auth`: against live
//! DNS (`--dns online`) or against a DNS fixture file (`--dns-fixture FILE`: tests and
//! offline use, real cryptography, no network). `mail-auth` is async; the async part
//! stays in this module and [`DnsAuthenticator::verify`] blocks.
//!
//! # Fixture format
//!
//! Zone-file-like lines, one record a line; `;` or `#` starts a comment:
//!
//! ```text
//! ; name                          [ttl] [IN] type  data
//! s1._domainkey.nfz.gov.pl.             IN  TXT   "v=DKIM1; k=ed25519; " "p=11qY…"
//! _dmarc.nfz.gov.pl                         TXT   "v=DMARC1; p=reject"
//! nfz.gov.pl                                TXT   "v=spf1 ip4:192.0.2.0/24 -all"
//! nfz.gov.pl                                MX    10 mx.nfz.gov.pl
//! mx.nfz.gov.pl                             A     192.0.2.25
//! mx.nfz.gov.pl                             AAAA  2001:db8::25
//! 192.0.2.25                                PTR   mx.nfz.gov.pl
//! ```
//!
//! TXT data is one or more quoted strings (joined, as DNS does) or one bare word. Names are
//! case-insensitive; the trailing dot is optional. `PTR` takes the IP address itself as
//! its name. Every name not in the file does not exist (NXDOMAIN) — nothing is ever asked
//! of the network. One approximation: an existence test (SPF `exists:`, DMARC's check for
//! a non-existent subdomain) finds every name.

use crate::auth::{from_domain, AuthMethod, AuthOutcome, AuthResult, Envelope};
use crate::parse::ParsedMail;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::DomainKeyReport;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::dmarc::Dmarc;
use mail_auth::hickory_resolver::config::ResolverConfig;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::spf::Spf;
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, DnsError, DnssecStatus, Error, MessageAuthenticator, Parameters,
    RecordSet, ResolverCache, SpfResult, Txt, MX,
};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A problem in a DNS fixture file or in setting up DNS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsSetupError {
    /// A fixture line could not be read.
    #[error("DNS fixture line {line}: {message}")]
    Fixture {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The fixture file could not be read.
    #[error("cannot read DNS fixture {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The system resolver configuration could not be used.
    #[error("cannot set up DNS: {0}")]
    Resolver(String),
}

/// DNS records from a fixture file, ready to answer `mail-auth`'s lookups.
#[derive(Clone, Default)]
pub struct Fixture {
    txt: HashMap<Box<str>, Txt>,
    mx: HashMap<Box<str>, RecordSet<MX>>,
    a: HashMap<Box<str>, RecordSet<Ipv4Addr>>,
    aaaa: HashMap<Box<str>, RecordSet<Ipv6Addr>>,
    ptr: HashMap<IpAddr, RecordSet<Box<str>>>,
    records: usize,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").field("records", &self.records).finish()
    }
}

fn fqdn(name: &str) -> Box<str> {
    let mut n = name.trim().to_ascii_lowercase();
    if !n.ends_with('.') {
        n.push('.');
    }
    n.into_boxed_str()
}

fn rrset<T>(v: Vec<T>) -> RecordSet<T> {
    RecordSet {
        rrset: v.into(),
        dnssec_status: DnssecStatus::Indeterminate,
    }
}

/// Splits TXT data into its strings: quoted ones (with `\"` and `\\` escapes) or one bare word.
fn txt_strings(data: &str) -> Result<Vec<u8>, String> {
    let data = data.trim();
    if !data.starts_with('"') {
        return Ok(data.as_bytes().to_vec());
    }
    let mut out = Vec::new();
    let mut chars = data.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Ok(out),
            Some('"') => {}
            Some(c) => return Err(format!("unexpected {c:?} between quoted strings")),
        }
        loop {
            match chars.next() {
                None => return Err("unterminated quoted string".into()),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some(c) => out.extend_from_slice(c.to_string().as_bytes()),
                    None => return Err("dangling escape".into()),
                },
                Some(c) => out.extend_from_slice(c.to_string().as_bytes()),
            }
        }
    }
}

/// Parses TXT data into the record `mail-auth` expects for `name`.
fn txt_record(name: &str, data: &[u8]) -> Txt {
    let parsed: mail_auth::Result<Txt> = if name.starts_with("_dmarc.") {
        Dmarc::parse(data).map(Txt::from)
    } else if name.contains("._report._domainkey.") {
        DomainKeyReport::parse(data).map(Txt::from)
    } else if name.contains("._domainkey.") {
        DomainKey::parse(data).map(Txt::from)
    } else if data.len() >= 6 && data[..6].eq_ignore_ascii_case(b"v=spf1") {
        Spf::parse(data).map(Txt::from)
    } else {
        Err(Error::Dns(DnsError::InvalidRecordType))
    };
    parsed.unwrap_or_else(Txt::Error)
}

impl Fixture {
    /// Parses fixture text (see the module documentation for the format).
    pub fn parse(text: &str) -> Result<Fixture, DnsSetupError> {
        let mut f = Fixture::default();
        let mut mx: HashMap<Box<str>, Vec<(u16, Box<str>)>> = HashMap::new();
        let mut a: HashMap<Box<str>, Vec<Ipv4Addr>> = HashMap::new();
        let mut aaaa: HashMap<Box<str>, Vec<Ipv6Addr>> = HashMap::new();
        let mut ptr: HashMap<IpAddr, Vec<Box<str>>> = HashMap::new();
        for (ix, line) in text.lines().enumerate() {
            let err = |message: String| DnsSetupError::Fixture { line: ix + 1, message };
            // Comments start outside quoted strings.
            let mut quoted = false;
            let cut = line.char_indices().find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                !quoted && (c == ';' || c == '#')
            });
            let line = cut.map_or(line, |(p, _)| &line[..p]).trim();
            if line.is_empty() {
                continue;
            }
            let mut rest = line;
            let mut next = || -> Option<&str> {
                let t = rest.trim_start();
                if t.is_empty() {
                    return None;
                }
                let end = t.find(char::is_whitespace).unwrap_or(t.len());
                rest = &t[end..];
                Some(&t[..end])
            };
            let name = next().ok_or_else(|| err("no name".into()))?.to_string();
            let mut kind = next().ok_or_else(|| err("no record type".into()))?.to_ascii_uppercase();
            if kind.chars().all(|c| c.is_ascii_digit()) {
                kind = next().ok_or_else(|| err("no record type".into()))?.to_ascii_uppercase();
            }
            if kind == "IN" {
                kind = next().ok_or_else(|| err("no record type".into()))?.to_ascii_uppercase();
            }
            let data = rest.trim();
            if data.is_empty() {
                return Err(err(format!("{kind} record without data")));
            }
            match kind.as_str() {
                "TXT" => {
                    let bytes = txt_strings(data).map_err(err)?;
                    let key = fqdn(&name);
                    let record = txt_record(&key, &bytes);
                    // Several TXT records for a name: keep the first that parses.
                    let keep = match f.txt.get(&key) {
                        None => true,
                        Some(Txt::Error(_)) => !matches!(record, Txt::Error(_)),
                        Some(_) => false,
                    };
                    if keep {
                        f.txt.insert(key, record);
                    }
                }
                "MX" => {
                    let mut parts = data.split_whitespace();
                    let pref = parts
                        .next()
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| err("MX needs a preference".into()))?;
                    let host = parts.next().ok_or_else(|| err("MX needs a host".into()))?;
                    mx.entry(fqdn(&name)).or_default().push((pref, fqdn(host)));
                }
                "A" => a
                    .entry(fqdn(&name))
                    .or_default()
                    .push(data.parse().map_err(|e| err(format!("bad IPv4 address: {e}")))?),
                "AAAA" => aaaa
                    .entry(fqdn(&name))
                    .or_default()
                    .push(data.parse().map_err(|e| err(format!("bad IPv6 address: {e}")))?),
                "PTR" => {
                    let ip: IpAddr = name
                        .parse()
                        .map_err(|e| err(format!("PTR name must be an IP address: {e}")))?;
                    ptr.entry(ip).or_default().push(fqdn(data));
                }
                other => return Err(err(format!("unsupported record type {other}"))),
            }
            f.records += 1;
        }
        for (name, mut list) in mx {
            list.sort_by_key(|(p, _)| *p);
            let mut grouped: Vec<MX> = Vec::new();
            for (preference, host) in list {
                match grouped.iter_mut().find(|m| m.preference == preference) {
                    Some(m) => {
                        let mut v = m.exchanges.to_vec();
                        v.push(host);
                        m.exchanges = v.into_boxed_slice();
                    }
                    None => grouped.push(MX {
                        exchanges: vec![host].into_boxed_slice(),
                        preference,
                    }),
                }
            }
            f.mx.insert(name, rrset(grouped));
        }
        f.a = a.into_iter().map(|(k, v)| (k, rrset(v))).collect();
        f.aaaa = aaaa.into_iter().map(|(k, v)| (k, rrset(v))).collect();
        f.ptr = ptr.into_iter().map(|(k, v)| (k, rrset(v))).collect();
        Ok(f)
    }

    /// Reads and parses a fixture file.
    pub fn load(path: &std::path::Path) -> Result<Fixture, DnsSetupError> {
        let text = std::fs::read_to_string(path).map_err(|e| DnsSetupError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Fixture::parse(&text)
    }

    /// Number of records read.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether the fixture holds no record.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }
}

/// Answers from a map; every other name does not exist.
struct Fixed<'a, K, V> {
    map: &'a HashMap<K, V>,
    missing: V,
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Fixed<'_, K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Some(self.map.get(name).cloned().unwrap_or_else(|| self.missing.clone()))
    }

    fn remove<Q>(&self, _: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: K, _: V, _: Instant) {}
}

/// A bounded in-memory cache for live lookups (shared across messages).
struct Memory<K, V> {
    map: Mutex<HashMap<K, (V, Instant)>>,
}

const MEMORY_ENTRIES: usize = 10_000;

impl<K, V> Default for Memory<K, V> {
    fn default() -> Self {
        Memory {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Memory<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.lock().ok()?;
        map.get(name)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(v, _)| v.clone())
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.lock().ok()?.remove(name).map(|(v, _)| v)
    }

    fn insert(&self, key: K, value: V, valid_until: Instant) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MEMORY_ENTRIES {
                map.clear();
            }
            map.insert(key, (value, valid_until));
        }
    }
}

#[derive(Default)]
struct MemoryCaches {
    txt: Memory<Box<str>, Txt>,
    mx: Memory<Box<str>, RecordSet<MX>>,
    a: Memory<Box<str>, RecordSet<Ipv4Addr>>,
    aaaa: Memory<Box<str>, RecordSet<Ipv6Addr>>,
    ptr: Memory<IpAddr, RecordSet<Box<str>>>,
}

enum Source {
    Fixture(Arc<Fixture>),
    Online(Box<MemoryCaches>),
}

/// Verifies SPF, DKIM, DMARC and ARC with `mail-auth`, against a fixture or live DNS.
/// Build once and reuse (it owns a small single-threaded runtime and, online, a cache).
/// Do not call [`DnsAuthenticator::verify`] from inside an async runtime: use
/// [`DnsAuthenticator::verify_async`] there.
pub struct DnsAuthenticator {
    authenticator: MessageAuthenticator,
    runtime: tokio::runtime::Runtime,
    source: Source,
    timeout: Duration,
    trusted_arc_sealers: Vec<String>,
}

impl std::fmt::Debug for DnsAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Fixture(fx) => format!("fixture ({} records)", fx.len()),
            Source::Online(_) => "online".to_string(),
        };
        f.debug_struct("DnsAuthenticator")
            .field("source", &source)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, DnsSetupError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DnsSetupError::Resolver(e.to_string()))
}

/// Whether this machine has a DNS resolver configured (`/etc/resolv.conf` names a server):
/// then front ends verify senders with live DNS by default.
pub fn resolver_configured() -> bool {
    mail_auth::hickory_resolver::system_conf::read_system_conf()
        .is_ok_and(|(config, _)| !config.name_servers().is_empty())
}

impl DnsAuthenticator {
    /// Answers from `fixture` only; nothing is asked of the network.
    pub fn with_fixture(fixture: Fixture, trusted_arc_sealers: Vec<String>) -> Result<DnsAuthenticator, DnsSetupError> {
        let runtime = runtime()?;
        let _guard = runtime.enter();
        // No name servers: a lookup the fixture does not answer fails at once.
        let config = ResolverConfig::from_parts(None, vec![], vec![]);
        let authenticator = MessageAuthenticator::new(config, Default::default())
            .map_err(|e| DnsSetupError::Resolver(e.to_string()))?;
        drop(_guard);
        Ok(DnsAuthenticator {
            authenticator,
            runtime,
            source: Source::Fixture(Arc::new(fixture)),
            timeout: Duration::from_secs(10),
            trusted_arc_sealers,
        })
    }

    /// Uses the system's resolver configuration (`/etc/resolv.conf`), each query bounded by
    /// `per_query` and the whole verification of one message by `total`.
    pub fn online(
        per_query: Duration,
        total: Duration,
        trusted_arc_sealers: Vec<String>,
    ) -> Result<DnsAuthenticator, DnsSetupError> {
        let runtime = runtime()?;
        let _guard = runtime.enter();
        let (config, mut options) = mail_auth::hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| DnsSetupError::Resolver(e.to_string()))?;
        options.timeout = per_query;
        options.attempts = 1;
        let authenticator =
            MessageAuthenticator::new(config, options).map_err(|e| DnsSetupError::Resolver(e.to_string()))?;
        drop(_guard);
        Ok(DnsAuthenticator {
            authenticator,
            runtime,
            source: Source::Online(Box::default()),
            timeout: total,
            trusted_arc_sealers,
        })
    }

    /// Verifies one message (blocking).
    pub fn verify(&self, raw: &[u8], mail: &ParsedMail, envelope: &Envelope) -> AuthOutcome {
        self.runtime.block_on(self.verify_async(raw, mail, envelope))
    }

    /// Verifies one message (async; bounded by the total timeout).
    pub async fn verify_async(&self, raw: &[u8], mail: &ParsedMail, envelope: &Envelope) -> AuthOutcome {
        let method = match self.source {
            Source::Fixture(_) => AuthMethod::DnsFixture,
            Source::Online(_) => AuthMethod::DnsOnline,
        };
        let work = async {
            match &self.source {
                Source::Fixture(fx) => {
                    let nx = || Error::Dns(DnsError::RecordNotFound(ResponseCode::NXDomain));
                    let txt = Fixed {
                        map: &fx.txt,
                        missing: Txt::Error(nx()),
                    };
                    let mx = Fixed {
                        map: &fx.mx,
                        missing: rrset(vec![]),
                    };
                    let a = Fixed {
                        map: &fx.a,
                        missing: rrset(vec![]),
                    };
                    let aaaa = Fixed {
                        map: &fx.aaaa,
                        missing: rrset(vec![]),
                    };
                    let ptr = Fixed {
                        map: &fx.ptr,
                        missing: rrset(vec![]),
                    };
                    run(
                        &self.authenticator,
                        Caches {
                            txt: &txt,
                            mx: &mx,
                            a: &a,
                            aaaa: &aaaa,
                            ptr: &ptr,
                        },
                        raw,
                        mail,
                        envelope,
                    )
                    .await
                }
                Source::Online(c) => {
                    run(
                        &self.authenticator,
                        Caches {
                            txt: &c.txt,
                            mx: &c.mx,
                            a: &c.a,
                            aaaa: &c.aaaa,
                            ptr: &c.ptr,
                        },
                        raw,
                        mail,
                        envelope,
                    )
                    .await
                }
            }
        };
        let mut out = match tokio::time::timeout(self.timeout, work).await {
            Ok(out) => out,
            Err(_) => AuthOutcome {
                from_domain: from_domain(mail),
                spf: AuthResult::TempError,
                dkim: AuthResult::TempError,
                dmarc: AuthResult::TempError,
                notes: vec![format!("authentication timed out after {} s", self.timeout.as_secs())],
                ..AuthOutcome::default()
            },
        };
        out.method = method;
        crate::authres::apply_arc(&mut out, mail, &self.trusted_arc_sealers);
        out
    }
}

impl crate::Authenticator for DnsAuthenticator {
    fn authenticate(&self, raw: &[u8], mail: &ParsedMail) -> AuthOutcome {
        self.verify(raw, mail, &Envelope::from_headers(mail))
    }
}

struct Caches<'c, T, M, A, B, P> {
    txt: &'c T,
    mx: &'c M,
    a: &'c A,
    aaaa: &'c B,
    ptr: &'c P,
}

fn dkim_word(r: &DkimResult) -> AuthResult {
    match r {
        DkimResult::Pass => AuthResult::Pass,
        DkimResult::Neutral(_) => AuthResult::Neutral,
        DkimResult::Fail(_) => AuthResult::Fail,
        DkimResult::PermError(_) => AuthResult::PermError,
        DkimResult::TempError(_) => AuthResult::TempError,
        DkimResult::None => AuthResult::None,
    }
}

fn dmarc_word(r: &DmarcResult) -> AuthResult {
    match r {
        DmarcResult::Pass => AuthResult::Pass,
        DmarcResult::Fail(_) => AuthResult::Fail,
        DmarcResult::TempError(_) => AuthResult::TempError,
        DmarcResult::PermError(_) => AuthResult::PermError,
        DmarcResult::None => AuthResult::None,
    }
}

async fn run<T, M, A, B, P>(
    auth: &MessageAuthenticator,
    c: Caches<'_, T, M, A, B, P>,
    raw: &[u8],
    mail: &ParsedMail,
    env: &Envelope,
) -> AuthOutcome
where
    T: ResolverCache<Box<str>, Txt>,
    M: ResolverCache<Box<str>, RecordSet<MX>>,
    A: ResolverCache<Box<str>, RecordSet<Ipv4Addr>>,
    B: ResolverCache<Box<str>, RecordSet<Ipv6Addr>>,
    P: ResolverCache<IpAddr, RecordSet<Box<str>>>,
{
    let mut out = AuthOutcome {
        from_domain: from_domain(mail),
        ..AuthOutcome::default()
    };
    let Some(message) = AuthenticatedMessage::parse(raw) else {
        out.notes
            .push("the message could not be read for authentication".into());
        return out;
    };
    macro_rules! params {
        ($p:expr) => {
            Parameters::new($p)
                .with_txt_cache(c.txt)
                .with_mx_cache(c.mx)
                .with_ipv4_cache(c.a)
                .with_ipv6_cache(c.aaaa)
                .with_ptr_cache(c.ptr)
        };
    }

    // DKIM: the best result over all signatures; the domains that passed.
    let dkim = auth.verify_dkim(params!(&message)).await;
    let rank = |r: AuthResult| match r {
        AuthResult::Pass => 0,
        AuthResult::Fail => 1,
        AuthResult::PermError => 2,
        AuthResult::TempError => 3,
        _ => 4,
    };
    for d in &dkim {
        let r = dkim_word(d.result());
        if out.dkim == AuthResult::None || rank(r) < rank(out.dkim) {
            out.dkim = r;
        }
        if r == AuthResult::Pass {
            if let Some(sig) = d.signature() {
                let domain = sig.d.to_ascii_lowercase();
                if !out.dkim_domains.contains(&domain) {
                    out.dkim_domains.push(domain);
                }
            }
        }
    }

    // SPF: only with the client's address.
    let helo = env.helo.clone().unwrap_or_else(|| "unknown".to_string());
    let mail_from = env.mail_from.clone().unwrap_or_default();
    let spf = match env.client_ip {
        Some(ip) => {
            let s = auth
                .verify_spf(params!(SpfParameters::verify(ip, &helo, "localhost", &mail_from)))
                .await;
            out.spf = match s.result() {
                SpfResult::Pass => AuthResult::Pass,
                SpfResult::Fail => AuthResult::Fail,
                SpfResult::SoftFail => AuthResult::SoftFail,
                SpfResult::Neutral => AuthResult::Neutral,
                SpfResult::TempError => AuthResult::TempError,
                SpfResult::PermError => AuthResult::PermError,
                SpfResult::None => AuthResult::None,
            };
            out.spf_domain = Some(s.domain().to_ascii_lowercase());
            s
        }
        None => {
            out.notes
                .push("SPF not checked: the client's address is unknown".into());
            Default::default()
        }
    };
    let mail_from_domain = mail_from.rsplit_once('@').map_or(helo.as_str(), |(_, d)| d).to_string();

    // DMARC.
    let dmarc = auth
        .verify_dmarc(params!(DmarcParameters::new(&message, &dkim, &mail_from_domain, &spf)))
        .await;
    out.dmarc = dmarc_word(&dmarc.result());
    if dmarc.dmarc_record().is_some() {
        out.dmarc_policy = Some(
            match dmarc.policy() {
                mail_auth::dmarc::Policy::Reject => "reject",
                mail_auth::dmarc::Policy::Quarantine => "quarantine",
                mail_auth::dmarc::Policy::None | mail_auth::dmarc::Policy::Unspecified => "none",
            }
            .to_string(),
        );
    }

    // ARC: the chain result; a trusted sealer is applied by the caller.
    let arc = auth.verify_arc(params!(&message)).await;
    out.arc = dkim_word(arc.result());
    if arc.result() == &DkimResult::Pass {
        if let Some(set) = arc.sets().last() {
            out.arc_sealer = Some(set.seal.header.d.to_ascii_lowercase());
        }
    }

    if let Some(from) = out.from_domain.clone() {
        let by = if out.dmarc == AuthResult::Pass {
            Some("dmarc")
        } else if dmarc.dmarc_record().is_some() {
            None
        } else {
            out.aligned_without_dmarc(&from)
        };
        out.set_alignment(from, by);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_setup_needs_no_network() {
        // Reading the system configuration and building the resolver sends nothing.
        if std::path::Path::new("/etc/resolv.conf").exists() {
            let a = DnsAuthenticator::online(Duration::from_secs(2), Duration::from_secs(5), vec![]);
            assert!(a.is_ok(), "{a:?}");
        }
    }

    #[test]
    fn fixture_lines() {
        let f = Fixture::parse(
            "; comment\n\
             s1._domainkey.Example.ORG. 300 IN TXT \"v=DKIM1; k=rsa; \" \"p=\" ; split strings\n\
             _dmarc.example.org TXT \"v=DMARC1; p=reject; rua=mailto:a@example.org\"\n\
             example.org TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
             example.org TXT \"google-site-verification=abc\"\n\
             example.org MX 10 mx.example.org\n\
             mx.example.org A 192.0.2.25\n\
             mx.example.org AAAA 2001:db8::25\n\
             192.0.2.25 PTR mx.example.org\n",
        )
        .unwrap();
        assert_eq!(f.len(), 8);
        assert!(matches!(f.txt.get("example.org."), Some(Txt::Spf(_))));
        assert!(matches!(f.txt.get("_dmarc.example.org."), Some(Txt::Dmarc(_))));
        assert!(f.txt.contains_key("s1._domainkey.example.org."));
        assert_eq!(f.mx["example.org."].rrset[0].exchanges[0].as_ref(), "mx.example.org.");
        for bad in [
            "x TXT \"unterminated",
            "x",
            "x A",
            "x A not-an-ip",
            "x SRV 1 2 3",
            "host PTR y",
        ] {
            assert!(Fixture::parse(bad).is_err(), "{bad}");
        }
    }
}
