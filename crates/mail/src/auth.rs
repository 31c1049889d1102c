//! What is known about the sender's authentication, however it was learnt.

use crate::parse::ParsedMail;
use serde::Serialize;
use std::net::IpAddr;

/// The result of one method, in the words of RFC 8601.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthResult {
    /// Not checked, or nothing to check.
    #[default]
    None,
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// SPF soft fail.
    SoftFail,
    /// Neither pass nor fail.
    Neutral,
    /// A transient error (DNS timeout).
    TempError,
    /// A permanent error (broken record or signature).
    PermError,
    /// DMARC or ARC policy applied by the receiver (`policy`).
    Policy,
}

impl AuthResult {
    /// Parses a result word (`pass`, `fail`, `softfail`, `temperror` …); unknown words are
    /// `None`.
    pub fn from_word(word: &str) -> AuthResult {
        match word.trim().to_ascii_lowercase().as_str() {
            "pass" => AuthResult::Pass,
            "fail" | "hardfail" => AuthResult::Fail,
            "softfail" => AuthResult::SoftFail,
            "neutral" => AuthResult::Neutral,
            "temperror" => AuthResult::TempError,
            "permerror" => AuthResult::PermError,
            "policy" => AuthResult::Policy,
            _ => AuthResult::None,
        }
    }

    /// The lower-case word.
    pub fn word(self) -> &'static str {
        match self {
            AuthResult::None => "none",
            AuthResult::Pass => "pass",
            AuthResult::Fail => "fail",
            AuthResult::SoftFail => "softfail",
            AuthResult::Neutral => "neutral",
            AuthResult::TempError => "temperror",
            AuthResult::PermError => "permerror",
            AuthResult::Policy => "policy",
        }
    }
}

/// Where an [`AuthOutcome`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Nothing was checked.
    #[default]
    None,
    /// `Authentication-Results` added by the receiving MTA we trust.
    TrustedHeaders,
    /// Verified here against a DNS fixture file.
    DnsFixture,
    /// Verified here against live DNS.
    DnsOnline,
}

/// Sender authentication, summarised for the analysis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthOutcome {
    /// How it was learnt.
    pub method: AuthMethod,
    /// SPF result.
    pub spf: AuthResult,
    /// The domain SPF checked (MAIL FROM, else HELO).
    pub spf_domain: Option<String>,
    /// Best DKIM result over all signatures.
    pub dkim: AuthResult,
    /// Domains (`d=`) of the signatures that passed.
    pub dkim_domains: Vec<String>,
    /// DMARC result for the From domain.
    pub dmarc: AuthResult,
    /// The From domain's DMARC policy (`none`, `quarantine`, `reject`), when known.
    pub dmarc_policy: Option<String>,
    /// ARC chain result.
    pub arc: AuthResult,
    /// The domain of the last ARC sealer, when the chain passed.
    pub arc_sealer: Option<String>,
    /// The RFC 5322 From domain the results speak of.
    pub from_domain: Option<String>,
    /// The From domain when it has a DMARC-aligned pass (DMARC pass, or a DKIM or SPF pass
    /// aligned with it, or such a result vouched for by a trusted ARC sealer).
    pub aligned_domain: Option<String>,
    /// How alignment was reached: `dmarc`, `dkim`, `spf` or `arc:<sealer>`.
    pub aligned_by: Option<String>,
    /// Whether a failing DMARC result was vouched for by a trusted ARC sealer (mailing lists
    /// and forwarders break DMARC; their seal carries the result they saw).
    pub arc_override: bool,
    /// Notes for people: which header was trusted, DNS errors, timeouts.
    pub notes: Vec<String>,
}

impl AuthOutcome {
    /// Nothing known: no trusted header, no DNS.
    pub fn none(mail: &ParsedMail) -> AuthOutcome {
        AuthOutcome {
            from_domain: from_domain(mail),
            ..AuthOutcome::default()
        }
    }

    /// How `from` is aligned when DMARC gives no answer: a passing DKIM signature of the same
    /// organisational domain, else an SPF pass for it (relaxed alignment).
    pub(crate) fn aligned_without_dmarc(&self, from: &str) -> Option<&'static str> {
        if self.dkim_domains.iter().any(|d| aligned(d, from)) {
            Some("dkim")
        } else if self.spf == AuthResult::Pass && self.spf_domain.as_deref().is_some_and(|d| aligned(d, from)) {
            Some("spf")
        } else {
            None
        }
    }

    /// Records that `from` is aligned, and by which method, when `by` says so.
    pub(crate) fn set_alignment(&mut self, from: String, by: Option<&str>) {
        if let Some(by) = by {
            self.aligned_domain = Some(from);
            self.aligned_by = Some(by.to_string());
        }
    }

    /// A short line for evidence: `spf=pass dkim=pass dmarc=pass`.
    pub fn summary(&self) -> String {
        if self.method == AuthMethod::None {
            return "no authentication results".into();
        }
        let mut s = format!(
            "spf={} dkim={} dmarc={}",
            self.spf.word(),
            self.dkim.word(),
            self.dmarc.word()
        );
        if self.arc != AuthResult::None {
            s.push_str(&format!(" arc={}", self.arc.word()));
        }
        s
    }
}

/// The single From domain (lower-case ASCII), `None` when missing or when several From
/// addresses disagree (DMARC does not apply then).
pub(crate) fn from_domain(mail: &ParsedMail) -> Option<String> {
    let mut domains = mail.from.iter().filter_map(|m| m.domain());
    let first = domains.next()?;
    if domains.any(|d| d != first) {
        return None;
    }
    Some(first)
}

/// The organisational domain (registrable domain under the public suffix list).
pub(crate) fn org_domain(domain: &str) -> String {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&d).map(str::to_string).unwrap_or(d)
}

/// Relaxed DMARC identifier alignment: same organisational domain.
pub(crate) fn aligned(a: &str, b: &str) -> bool {
    let (a, b) = (
        a.trim_end_matches('.').to_ascii_lowercase(),
        b.trim_end_matches('.').to_ascii_lowercase(),
    );
    a == b || org_domain(&a) == org_domain(&b)
}

/// The SMTP envelope SPF needs. A milter knows it; for a stored message
/// [`Envelope::from_headers`] takes it from the newest `Received` hop with a public
/// address and from `Return-Path` (best effort: give the real values when you have them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The connecting client's address.
    pub client_ip: Option<IpAddr>,
    /// The HELO/EHLO name.
    pub helo: Option<String>,
    /// The MAIL FROM address (empty for the null reverse path).
    pub mail_from: Option<String>,
}

impl Envelope {
    /// The envelope as recorded in the headers.
    pub fn from_headers(mail: &ParsedMail) -> Envelope {
        let hop = mail.received.iter().find(|h| h.ip.is_some_and(is_public));
        Envelope {
            client_ip: hop.and_then(|h| h.ip),
            helo: hop.and_then(|h| h.helo.clone().or_else(|| h.from.clone())),
            mail_from: mail.return_path.clone(),
        }
    }
}

/// Whether an address can be a sending client on the internet. Documentation ranges
/// (192.0.2.0/24 …) count as public so that the project's own fixtures can use them.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let shared = v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]);
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || shared)
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Anything that can tell how a message was authenticated.
pub trait Authenticator {
    /// Authenticates `raw`, already parsed as `mail`.
    fn authenticate(&self, raw: &[u8], mail: &ParsedMail) -> AuthOutcome;
}

/// Knows nothing: every message is unauthenticated.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl Authenticator for NoAuth {
    fn authenticate(&self, _raw: &[u8], mail: &ParsedMail) -> AuthOutcome {
        AuthOutcome::none(mail)
    }
}

/// Trusts the `Authentication-Results` header added by your own MTA (identified by its
/// authserv-id) and nothing else; see [`crate::authres`].
#[derive(Debug, Clone, Default)]
pub struct TrustedHeaders {
    /// Your MTA's authserv-id, e.g. `mx.clinic.example`.
    pub authserv_id: String,
    /// ARC sealers (domains) whose seal may vouch for a result broken by forwarding.
    pub trusted_arc_sealers: Vec<String>,
}

impl Authenticator for TrustedHeaders {
    fn authenticate(&self, _raw: &[u8], mail: &ParsedMail) -> AuthOutcome {
        crate::authres::from_trusted_headers(mail, &self.authserv_id, &self.trusted_arc_sealers)
    }
}

/// Trusts the topmost `Authentication-Results` header whoever wrote it: for stored mail
/// measured "as deployed" (its receiving MTA wrote that header), never for live traffic.
#[derive(Debug, Clone, Default)]
pub struct TopmostHeader {
    /// ARC sealers (domains) whose seal may vouch for a result broken by forwarding.
    pub trusted_arc_sealers: Vec<String>,
}

impl Authenticator for TopmostHeader {
    fn authenticate(&self, _raw: &[u8], mail: &ParsedMail) -> AuthOutcome {
        crate::authres::from_topmost_header(mail, &self.trusted_arc_sealers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_is_relaxed() {
        assert!(aligned("mail.nfz.gov.pl", "nfz.gov.pl"));
        assert!(aligned("NFZ.gov.pl.", "nfz.gov.pl"));
        assert!(!aligned("nfz.gov.pl", "cez.gov.pl"));
        assert!(!aligned("nfz-zwrot.pl", "nfz.gov.pl"));
        assert!(aligned("news.example.co.uk", "example.co.uk"));
        assert!(!aligned("a.co.uk", "b.co.uk"));
    }

    #[test]
    fn public_addresses() {
        assert!(is_public("203.0.113.5".parse().unwrap()));
        assert!(!is_public("10.1.2.3".parse().unwrap()));
        assert!(!is_public("127.0.0.1".parse().unwrap()));
        assert!(!is_public("::1".parse().unwrap()));
        assert!(is_public("8.8.8.8".parse().unwrap()));
    }
}
