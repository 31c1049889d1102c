//! `SENDER_LISTED`: the From domain or the envelope (Return-Path, SPF MAIL FROM) domain, or a
//! parent of either, is on a threat feed the checker was given
//! ([`healthguard_core::Checker::with_listings`]). Registry domains are never judged so.

use crate::analyze::{owner_of, Gathered, Message};
use healthguard_core::{Finding, Signals};

/// One finding per listed sender domain, naming the feed.
pub(crate) fn sender(m: &Message, s: &mut Signals, _: &mut Gathered) {
    let Some(listings) = m.checker.listings() else {
        return;
    };
    let envelope = m
        .mail
        .return_path
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .and_then(|(_, d)| healthguard_domains::to_ascii(d.trim_end_matches('>')));
    let mut seen: Vec<String> = Vec::new();
    for domain in [m.sender.domain.clone(), envelope, m.auth.spf_domain.clone()]
        .into_iter()
        .flatten()
    {
        let domain = domain.to_ascii_lowercase();
        if seen.contains(&domain) || owner_of(m.checker, &domain).is_some() {
            continue;
        }
        if let Some(hit) = listings.listed(&domain) {
            s.push(
                Finding::new("SENDER_LISTED", healthguard_domains::to_unicode(&domain))
                    .param("target", hit.feed)
                    .param("entry", hit.entry),
            );
        }
        seen.push(domain);
    }
}

#[cfg(test)]
mod tests {
    use crate::{analyze, parse, AuthOutcome, Limits};
    use healthguard_core::{Checker, Listed, Listings, Verdict};
    use std::sync::Arc;

    /// Lists `evil.example` and, against the rules, a registry domain: the unit must not
    /// trust the feed for it.
    struct TwoEntries;

    impl Listings for TwoEntries {
        fn listed(&self, host: &str) -> Option<Listed> {
            ["evil.example", "nfz.gov.pl"]
                .into_iter()
                .find(|e| host == *e || host.ends_with(&format!(".{e}")))
                .map(|entry| Listed {
                    feed: "Test list".to_string(),
                    entry: entry.to_string(),
                })
        }
    }

    fn check(raw: &str, listings: bool) -> healthguard_core::Analysis {
        let mut checker = Checker::new(healthguard_registry::builtin().clone());
        if listings {
            checker = checker.with_listings(Arc::new(TwoEntries));
        }
        let mail = parse(raw.as_bytes(), &Limits::default());
        analyze(&checker, &mail, &AuthOutcome::none(&mail))
    }

    #[test]
    fn listed_from_or_envelope_domain_is_a_finding_naming_the_feed() {
        // Written by the project.
        let raw = "Return-Path: <bounce@mailer.evil.example>\r\nFrom: Jan <jan@mail.evil.example>\r\nTo: a@b.example\r\nSubject: Hello\r\n\r\nSee you tomorrow.\r\n";
        let a = check(raw, true);
        let listed: Vec<_> = a.findings.iter().filter(|f| f.code == "SENDER_LISTED").collect();
        assert_eq!(listed.len(), 2, "{:?}", a.findings);
        assert_eq!(listed[0].evidence, "mail.evil.example");
        assert_eq!(listed[0].get("target"), Some("Test list"));
        assert_eq!(listed[0].get("entry"), Some("evil.example"));
        assert_eq!(a.verdict, Verdict::Phishing);
        assert!(!check(raw, false).has("SENDER_LISTED"));
    }

    #[test]
    fn registry_domains_are_never_listed_senders() {
        let raw = "From: NFZ <info@nfz.gov.pl>\r\nTo: a@b.example\r\nSubject: Hello\r\n\r\nSee https://www.nfz.gov.pl/ and https://x.evil.example/.\r\n";
        let a = check(raw, true);
        assert!(!a.has("SENDER_LISTED"), "{:?}", a.findings);
        let links: Vec<_> = a.findings.iter().filter(|f| f.code == "LINK_LISTED").collect();
        assert_eq!(links.len(), 1, "{:?}", a.findings);
        assert_eq!(links[0].evidence, "x.evil.example");
    }
}
