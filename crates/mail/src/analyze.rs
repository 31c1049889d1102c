//! [`ParsedMail`] + [`AuthOutcome`] → findings → the core's verdict.
//!
//! Claims first: the institution the message speaks for is taken from the sender (display
//! name, the From address's domain, a look-alike of an official domain in an address),
//! else from the text. Then each signal unit of [`UNITS`] judges one family of evidence
//! against that claim, in the order listed, as rspamd's symbols do; the core judges lures,
//! policies and advisories and concludes.

use crate::auth::{AuthOutcome, Authenticator};
use crate::parse::{ParsedMail, Problem};
use crate::sender::{self, Sender};
use crate::{content, generic, html_links, listed, payload, Limits};
use healthguard_core::{Analysis, Checker, Finding, InputKind, Signals};
use healthguard_registry::Confidence;
use std::collections::BTreeSet;

/// Parses, authenticates and analyses one raw message.
pub fn check(checker: &Checker, raw: &[u8], limits: &Limits, authenticator: &dyn Authenticator) -> Analysis {
    let mail = crate::parse(raw, limits);
    let auth = authenticator.authenticate(raw, &mail);
    analyze(checker, &mail, &auth)
}

/// The registry institution that owns `domain` (the domain itself or a parent of it) and
/// how far that fact can be trusted.
pub(crate) fn owner_of(checker: &Checker, domain: &str) -> Option<(String, Confidence)> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut candidate = domain.as_str();
    loop {
        for inst in &checker.registry().institutions {
            if let Some(d) = inst.domains.iter().find(|d| d.name == candidate) {
                return Some((inst.id.clone(), d.provenance.confidence));
            }
        }
        match candidate.split_once('.') {
            Some((_, rest)) if rest.contains('.') => candidate = rest,
            _ => return None,
        }
    }
}

/// The institution, its parents and its children (as the core judges families).
pub(crate) fn family(checker: &Checker, id: &str) -> BTreeSet<String> {
    let reg = checker.registry();
    let mut out = BTreeSet::new();
    let mut current = reg.institution(id);
    while let Some(inst) = current {
        if !out.insert(inst.id.clone()) {
            break;
        }
        current = inst.parent.as_deref().and_then(|p| reg.institution(p));
    }
    let lineage = out.clone();
    for inst in &reg.institutions {
        if inst.parent.as_ref().is_some_and(|p| lineage.contains(p)) {
            out.insert(inst.id.clone());
        }
    }
    out
}

/// One message under judgement, as every signal unit reads it.
pub(crate) struct Message<'a> {
    /// The registry, lexicons and catalogue.
    pub checker: &'a Checker,
    /// The parsed message.
    pub mail: &'a ParsedMail,
    /// What is known of its authentication.
    pub auth: &'a AuthOutcome,
    /// What the sender part established (runs before the units).
    pub sender: Sender,
}

/// What units hand on to later ones.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    /// Hosts of the web links, in the text and in HTML.
    pub web_hosts: Vec<String>,
    /// Numbers of `tel:` links, one per line.
    pub phones: String,
    /// Domains of e-mail addresses and IP addresses of links, in the text and in HTML.
    pub other_hosts: Vec<String>,
}

/// A signal unit: reads the message, adds findings, may hand on what it gathered.
type Unit = fn(&Message, &mut Signals, &mut Gathered);

/// Every e-mail signal unit, in the order they run (later ones read what earlier ones
/// gathered). The sender part ([`sender::gather`]) runs before them.
pub(crate) const UNITS: [(&str, Unit); 12] = [
    ("reply_to", |m, s, _| sender::reply_to(m, s)),
    ("listed", listed::sender),
    ("envelope", crate::envelope::envelope),
    ("authentication", |m, s, _| sender::authentication(m, s)),
    ("content", content::text),
    ("html_links", html_links::html),
    ("brand_signature", |m, s, g| sender::brand_signature(m, s, g)),
    ("consistency", consistency),
    ("phones", phones),
    ("forms", payload::forms),
    ("attachments", payload::attachments),
    ("image_only", payload::image_only),
];

/// Analyses a parsed message with what is known of its authentication.
pub fn analyze(checker: &Checker, mail: &ParsedMail, auth: &AuthOutcome) -> Analysis {
    let mut s = checker.signals(InputKind::Email);
    message_format(mail, &mut s);
    let sender = sender::gather(checker, mail, auth, &mut s);
    let m = Message {
        checker,
        mail,
        auth,
        sender,
    };
    let mut gathered = Gathered::default();
    for (_, unit) in UNITS {
        unit(&m, &mut s, &mut gathered);
    }
    conclude(&m, s)
}

/// The message itself: limits met, format problems, links past the limit.
fn message_format(mail: &ParsedMail, s: &mut Signals) {
    let limits: Vec<&str> = mail
        .problems
        .iter()
        .filter_map(|p| {
            if let Problem::Limit { detail, .. } = p {
                Some(detail.as_str())
            } else {
                None
            }
        })
        .collect();
    if let Some(Problem::Limit { limit, .. }) = mail.problems.iter().find(|p| matches!(p, Problem::Limit { .. })) {
        s.push(Finding::new("MESSAGE_LIMIT_EXCEEDED", limits.join("; ")).param("limit", *limit));
    }
    let malformed: Vec<&str> = mail
        .problems
        .iter()
        .filter_map(|p| {
            if let Problem::Malformed { detail } = p {
                Some(detail.as_str())
            } else {
                None
            }
        })
        .collect();
    if !malformed.is_empty() {
        s.push(Finding::new("MALFORMED_MESSAGE", malformed.join("; ")));
    }
    if mail.links_seen > mail.links.len() {
        s.push(Finding::new(
            "INPUT_TRUNCATED",
            format!("{} of {} links", mail.links.len(), mail.links_seen),
        ));
    }
}

/// Whether the sender is consistent with its links (all of them off its organisation), its
/// authentication as evidence, and this site's statistical model.
fn consistency(m: &Message, s: &mut Signals, g: &mut Gathered) {
    let identity = &m.sender.identity;
    if let Some(f) = generic::links_off_sender_site(identity, &g.web_hosts) {
        s.push(f);
    }
    if let Some(f) = identity.credit(m.sender.owner.is_some()) {
        s.push(f);
    }
    if let Some(f) = m
        .checker
        .model()
        .and_then(|model| crate::statistics::finding(model, m.mail))
    {
        s.push(f);
    }
}

/// Numbers of `tel:` links, judged as numbers in the text are.
fn phones(m: &Message, s: &mut Signals, g: &mut Gathered) {
    if !g.phones.is_empty() {
        m.checker.add_text(s, &g.phones);
    }
}

/// The core's verdict. A claim made only in the text, with a request, is judged against the
/// sender's domain too (mentions alone are common: a clinic's newsletter names IKP and NFZ).
fn conclude(m: &Message, mut s: Signals) -> Analysis {
    if m.sender.claim.is_none() {
        if let Some(address) = m.sender.from.address.as_deref().filter(|_| m.sender.domain.is_some()) {
            let first = m.checker.conclude(s.clone());
            let Some(claimed) = first.institution.clone() else {
                return first;
            };
            let asks = first.lures.iter().any(|l| {
                use healthguard_registry::LureKind::*;
                matches!(
                    l,
                    Credentials
                        | ActivationKey
                        | PersonalId
                        | CardData
                        | BankLogin
                        | Payment
                        | Refund
                        | SoftwareInstall
                        | Documents
                        | Verification
                )
            });
            let fam = family(m.checker, &claimed);
            if !asks || m.sender.owner.as_ref().is_some_and(|(o, _)| fam.contains(o)) {
                return first;
            }
            s.push(Finding::new("SENDER_DOMAIN_NOT_OF_CLAIMED", address).institution(&claimed));
        }
    }
    m.checker.conclude(s)
}
