//! `LINK_LISTED`: links whose host or a parent is on a threat feed, named in the report.

use healthguard_core::{Catalog, Checker, Input, Listed, Listings, Verdict};
use healthguard_registry::Lang;
use std::sync::Arc;

/// A feed listing one domain and (against the rules) the registry's `nfz.gov.pl`.
struct Feed;

impl Listings for Feed {
    fn listed(&self, host: &str) -> Option<Listed> {
        ["zwrot-lekow.example", "nfz.gov.pl"]
            .into_iter()
            .find(|e| host == *e || host.ends_with(&format!(".{e}")))
            .map(|entry| Listed {
                feed: "CERT Polska's warning list".to_string(),
                entry: entry.to_string(),
            })
    }
}

fn checker() -> Checker {
    Checker::new(healthguard_registry::builtin().clone()).with_listings(Arc::new(Feed))
}

#[test]
fn a_listed_link_is_phishing_and_the_feed_is_named() {
    let c = checker();
    let a = c.check(Input::Url("https://Pacjent.ZWROT-LEKOW.example/login"));
    assert_eq!(a.verdict, Verdict::Phishing, "{:?}", a.findings);
    let f = a.findings.iter().find(|f| f.code == "LINK_LISTED").unwrap();
    assert_eq!(f.evidence, "pacjent.zwrot-lekow.example");
    assert_eq!(f.get("entry"), Some("zwrot-lekow.example"));
    let report = c.report(&a, &Catalog::builtin(), Some(Lang::En));
    let text = &report
        .findings
        .iter()
        .find(|f| f.code == "LINK_LISTED")
        .unwrap()
        .message;
    assert!(text.contains("on CERT Polska's warning list"), "{text}");

    let sms = c.check(Input::Sms {
        sender: Some("NFZ"),
        text: "Zwrot 120 zl: https://zwrot-lekow.example/x",
    });
    assert!(sms.has("LINK_LISTED"));
}

#[test]
fn registry_domains_and_unlisted_hosts_are_not_listed() {
    let c = checker();
    for url in [
        "https://www.nfz.gov.pl/",
        "https://zwrot-lekow.example.org/",
        "https://example.com/",
    ] {
        assert!(!c.check(Input::Url(url)).has("LINK_LISTED"), "{url}");
    }
    let plain = Checker::new(healthguard_registry::builtin().clone());
    assert!(!plain
        .check(Input::Url("https://zwrot-lekow.example/"))
        .has("LINK_LISTED"));
}
