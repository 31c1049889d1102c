//! Host utilities and the shortener / free-hosting lists.

use healthguard_domains::{
    classify_host, is_mixed_script, registrable_domain, to_ascii, to_unicode, DomainIndex, HostKind,
};

const SHORTENERS: &str = include_str!("../../../data/lists/shorteners.txt");
const FREE_HOSTING: &str = include_str!("../../../data/lists/free_hosting.txt");
const FILE_HOSTING: &str = include_str!("../../../data/lists/file_hosting.txt");

fn entries(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn list_files_are_well_formed() {
    for text in [SHORTENERS, FREE_HOSTING, FILE_HOSTING] {
        assert!(text.starts_with("# "), "header comment first");
        assert!(text.contains("Format:") && text.contains("Used by"));
        let e = entries(text);
        let mut sorted = e.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), e.len(), "duplicates");
        for h in e {
            assert_eq!(to_ascii(h).as_deref(), Some(h), "{h} must be a lower-case ASCII host");
        }
    }
    let lists = [entries(SHORTENERS), entries(FREE_HOSTING), entries(FILE_HOSTING)];
    for (i, a) in lists.iter().enumerate() {
        for b in &lists[i + 1..] {
            for h in a {
                assert!(!b.contains(h), "{h} in two lists");
            }
        }
    }
}

#[test]
fn every_list_entry_classifies_as_its_list() {
    let idx = DomainIndex::new(Vec::new(), &[]);
    for s in entries(SHORTENERS) {
        assert_eq!(classify_host(s), HostKind::Shortener, "{s}");
        assert_eq!(idx.classify_host(s), HostKind::Shortener, "{s}");
    }
    for f in entries(FREE_HOSTING) {
        assert_eq!(classify_host(f), HostKind::FreeHosting, "{f}");
        let sub = format!("nfz-zwrot.{f}");
        assert_eq!(classify_host(&sub), HostKind::FreeHosting, "{sub}");
        assert_eq!(idx.classify_host(&sub), HostKind::FreeHosting, "{sub}");
    }
    for f in entries(FILE_HOSTING) {
        assert_eq!(classify_host(f), HostKind::FileHosting, "{f}");
        let sub = format!("nfz-zwrot.{f}");
        assert_eq!(classify_host(&sub), HostKind::FileHosting, "{sub}");
        assert_eq!(idx.classify_host(&sub), HostKind::FileHosting, "{sub}");
    }
}

#[test]
fn classify_host_cases() {
    use HostKind::*;
    for (h, k) in [
        ("bit.ly", Shortener),
        ("BIT.LY.", Shortener),
        ("tinyurl.com", Shortener),
        ("t.co", Shortener),
        ("x.bit.ly", Ordinary),
        ("bit.ly.evil.com", Ordinary),
        ("sites.google.com", FreeHosting),
        ("google.com", Ordinary),
        ("foo.blogspot.com", FreeHosting),
        ("a.b.github.io", FreeHosting),
        ("github.io", FreeHosting),
        ("github.com", Ordinary),
        ("evil-github.io", Ordinary),
        ("abc.ngrok-free.app", FreeHosting),
        ("x.pages.dev", FreeHosting),
        ("1.2.3.4", IpAddress),
        ("[2001:db8::1]", IpAddress),
        ("0x7f.1", IpAddress),
        ("nfz.gov.pl", Ordinary),
        ("", Ordinary),
        ("not a host", Ordinary),
    ] {
        assert_eq!(classify_host(h), k, "{h}");
    }
}

#[test]
fn ascii_unicode_and_registrable_domain() {
    assert_eq!(to_ascii("NFZ.gov.PL."), Some("nfz.gov.pl".into()));
    assert_eq!(to_ascii("zażółć.pl"), to_ascii("XN--ZA-6JA4F8N1L.PL"));
    assert_eq!(to_unicode("XN--ZA-6JA4F8N1L.PL"), "zażółć.pl");
    assert_eq!(to_ascii("a..b"), None);
    assert_eq!(to_ascii(""), None);
    assert_eq!(to_ascii("xn--zz.pl"), None);
    assert_eq!(to_ascii(&"a".repeat(64)), None);
    assert_eq!(to_ascii(&format!("{}.pl", "a.".repeat(126))), None);
    assert_eq!(registrable_domain("a.b.nfz.gov.pl"), Some("nfz.gov.pl".into()));
    assert_eq!(registrable_domain("nfz.olsztyn.pl"), Some("nfz.olsztyn.pl".into()));
    assert_eq!(registrable_domain("ms.gov.ro"), Some("gov.ro".into()));
    assert_eq!(registrable_domain("x.y.blogspot.com"), Some("y.blogspot.com".into()));
    assert_eq!(registrable_domain("pl"), None);
    assert_eq!(registrable_domain("10.0.0.1"), None);
}

#[test]
fn mixed_script_detection() {
    assert!(is_mixed_script("nfz-w\u{430}rszawa.pl"));
    let puny = to_ascii("nfz-w\u{430}rszawa.pl").unwrap();
    assert!(puny.starts_with("xn--"));
    assert!(is_mixed_script(&puny));
    assert!(!is_mixed_script("\u{441}\u{430}\u{455}\u{430}\u{43f}.ro"));
    assert!(!is_mixed_script("zażółć.pl"));
    assert!(!is_mixed_script("nfz.gov.pl"));
    assert!(!is_mixed_script("пример.рф"));
}
