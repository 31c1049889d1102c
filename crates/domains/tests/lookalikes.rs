//! Look-alike detection, one test per technique plus negatives.

mod support;

use healthguard_domains::{Assessment, DomainIndex, Protected, Technique};
use std::sync::OnceLock;
use support::registry;

fn index() -> &'static DomainIndex {
    static INDEX: OnceLock<DomainIndex> = OnceLock::new();
    INDEX.get_or_init(registry::index)
}

/// Asserts `host` is a look-alike of `imitates` made with `technique`.
#[track_caller]
fn lookalike(host: &str, imitates: &str, technique: Technique) {
    match index().check(host) {
        Assessment::Lookalike(l) => {
            assert_eq!(
                (l.imitates.as_str(), l.technique),
                (imitates, technique),
                "{host}: {l:?}"
            );
        }
        other => panic!("{host}: expected look-alike of {imitates} ({technique}), got {other:?}"),
    }
}

#[track_caller]
fn unrelated(host: &str) {
    assert_eq!(index().check(host), Assessment::Unrelated, "{host}");
}

#[track_caller]
fn official(host: &str, domain: &str) {
    match index().check(host) {
        Assessment::Official { domain: d, .. } => assert_eq!(d, domain, "{host}"),
        other => panic!("{host}: expected official {domain}, got {other:?}"),
    }
}

#[test]
fn official_domains_and_subdomains() {
    official("nfz.gov.pl", "nfz.gov.pl");
    official("www.nfz.gov.pl", "nfz.gov.pl");
    official("terminyleczenia.nfz.gov.pl", "nfz.gov.pl");
    official("NFZ.GOV.PL.", "nfz.gov.pl");
    official("  Pacjent.Gov.PL ", "pacjent.gov.pl");
    official("nfz-warszawa.pl", "nfz-warszawa.pl");
    official("ms.ro", "ms.ro");
    official("cnas.gov.ro", "cnas.gov.ro");
    // Full-width letters map to ASCII under IDNA: the browser goes to the real site.
    official("\u{ff4e}\u{ff46}\u{ff5a}.gov.pl", "nfz.gov.pl");
}

#[test]
fn subdomains_without_include_subdomains_belong_to_the_owner() {
    let idx = DomainIndex::new(
        vec![Protected {
            domain: "nfz-lodz.pl".into(),
            owner: "pl.nfz.lodzkie".into(),
            include_subdomains: false,
        }],
        &[],
    );
    assert!(idx.check("nfz-lodz.pl").is_official());
    assert_eq!(idx.check("www.nfz-lodz.pl"), Assessment::Unrelated);
    assert_eq!(
        idx.check("nfz-lodz.com").lookalike().map(|l| l.technique),
        Some(Technique::TldSwap)
    );
}

#[test]
fn restricted_suffix_hosts_are_other_public_bodies() {
    unrelated("other.gov.pl");
    unrelated("pacjentt.gov.pl");
    unrelated("nfz-zwrot.gov.pl");
    unrelated("nfz.gov.pl.gov.pl");
    unrelated("mf.gov.pl");
    // gov.ro is held by the Romanian government even when not passed as restricted.
    unrelated("ms.gov.ro");
    unrelated("cnas-plata.gov.ro");
}

#[test]
fn official_subdomain() {
    lookalike(
        "pacjent.gov.pl.example.com",
        "pacjent.gov.pl",
        Technique::OfficialSubdomain,
    );
    lookalike("nfz.gov.pl.weryfikacja.com", "nfz.gov.pl", Technique::OfficialSubdomain);
    lookalike(
        "login.nfz-warszawa.pl.secure-pay.top",
        "nfz-warszawa.pl",
        Technique::OfficialSubdomain,
    );
    lookalike("cnas.ro.plata-online.net", "cnas.ro", Technique::OfficialSubdomain);
}

#[test]
fn dot_for_hyphen() {
    lookalike("nfz.olsztyn.pl", "nfz-olsztyn.pl", Technique::DotForHyphen);
    lookalike("www.nfz.olsztyn.pl", "nfz-olsztyn.pl", Technique::DotForHyphen);
    lookalike("nfz.zielonagora.pl", "nfz-zielonagora.pl", Technique::DotForHyphen);
}

#[test]
fn suffix_imitation() {
    lookalike("pacjent-gov.pl", "pacjent.gov.pl", Technique::SuffixImitation);
    lookalike("pacjent-gev.cc", "pacjent.gov.pl", Technique::SuffixImitation);
    lookalike("pacjent.gev.pl", "pacjent.gov.pl", Technique::SuffixImitation);
    lookalike("nfz.gov-pl.com", "nfz.gov.pl", Technique::SuffixImitation);
    lookalike("nfz.govpl.info", "nfz.gov.pl", Technique::SuffixImitation);
    lookalike("nfz.gov.pl.evil.net", "nfz.gov.pl", Technique::OfficialSubdomain);
    lookalike("pacjent.gov.evil.net", "pacjent.gov.pl", Technique::SuffixImitation);
    lookalike("nfz-gov.pl", "nfz.gov.pl", Technique::SuffixImitation);
    lookalike("pacjent.gov.pl-nes.cfd", "pacjent.gov.pl", Technique::SuffixImitation);
    lookalike("pacjentgov.pl", "pacjent.gov.pl", Technique::SuffixImitation);
    lookalike("govplnfz.com", "nfz.gov.pl", Technique::SuffixImitation);
    lookalike("mz-g0v.pl", "mz.gov.pl", Technique::SuffixImitation);
    lookalike("mzgov.pl", "mz.gov.pl", Technique::SuffixImitation);
    lookalike("ms-gov.ro", "ms.ro", Technique::SuffixImitation);
    lookalike("cnas-gov.ro", "cnas.ro", Technique::SuffixImitation);
    // A typo of a long name next to a gov-like token.
    lookalike("ezdrowei-gov.com", "ezdrowie.gov.pl", Technique::SuffixImitation);
}

#[test]
fn combosquat() {
    lookalike("nfz-zwrot.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz-zwrot-pl.com", "nfz.gov.pl", Technique::Combosquat);
    lookalike("zwrot-nfz.online", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz.refund-portal.top", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz-zwrot.github.io", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cnas-pias.com", "cnas.ro", Technique::Combosquat);
    lookalike("ms-rambursare.ro", "ms.ro", Technique::Combosquat);
    lookalike("cnas-siui.ro", "cnas.ro", Technique::Combosquat);
    lookalike("nfz-ewus.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cez-nfz.com", "cez.gov.pl", Technique::Combosquat);
    // From an NFZ advisory (registry): nfz under an English "renew insurance" lure.
    lookalike("nfz.renewal-insurance.info", "nfz.gov.pl", Technique::Combosquat);
    lookalike("pacjent-login.com", "pacjent.gov.pl", Technique::Combosquat);
    lookalike("ezdrowie-logowanie.com", "ezdrowie.gov.pl", Technique::Combosquat);
    lookalike("nfz-warszawa-zwrot.pl", "nfz-warszawa.pl", Technique::Combosquat);
    lookalike("e-gabinet.eu", "gabinet.gov.pl", Technique::Combosquat);
    lookalike("epacjent.online", "pacjent.gov.pl", Technique::Combosquat);
    lookalike("e-nfz.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cascluj-plata.com", "cascluj.ro", Technique::Combosquat);
    // Glued words.
    lookalike("nfzzwrot.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("zwrotnfz.com", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfzpl.online", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cnasro.com", "cnas.ro", Technique::Combosquat);
    lookalike("wwwpacjent-gov.pl", "pacjent.gov.pl", Technique::SuffixImitation);
}

#[test]
fn tld_swap() {
    lookalike("nfz.pl", "nfz.gov.pl", Technique::TldSwap);
    lookalike("nfz.com.pl", "nfz.gov.pl", Technique::TldSwap);
    lookalike("ezdrowie.pl", "ezdrowie.gov.pl", Technique::TldSwap);
    lookalike("nfz-warszawa.com", "nfz-warszawa.pl", Technique::TldSwap);
    lookalike("cnas.com", "cnas.ro", Technique::TldSwap);
    lookalike("cascluj.info", "cascluj.ro", Technique::TldSwap);
    lookalike("pacjent.top", "pacjent.gov.pl", Technique::TldSwap);
    lookalike("ms.com.ro", "ms.ro", Technique::TldSwap);
}

#[test]
fn one_edit_techniques() {
    lookalike("ezdrowei.pl", "ezdrowie.gov.pl", Technique::Transposition);
    lookalike("ezdrowe.pl", "ezdrowie.gov.pl", Technique::Omission);
    lookalike("ezdrowiee.com", "ezdrowie.gov.pl", Technique::Repetition);
    lookalike("ezdrowxie.pl", "ezdrowie.gov.pl", Technique::Insertion);
    lookalike("ezfrowie.pl", "ezdrowie.gov.pl", Technique::Replacement);
    lookalike("ezdrawie.pl", "ezdrowie.gov.pl", Technique::VowelSwap);
    lookalike("ezdrogie.pl", "ezdrowie.gov.pl", Technique::Bitsquatting);
    lookalike("nfz-warszava.pl", "nfz-warszawa.pl", Technique::Typo);
    lookalike("nfz-krakuw.pl", "nfz-krakow.pl", Technique::VowelSwap);
    lookalike("nfz-poznam.pl", "nfz-poznan.pl", Technique::Replacement);
    lookalike("cascluk.ro", "cascluj.ro", Technique::Replacement);
    lookalike("cascluy.ro", "cascluj.ro", Technique::Typo);
    lookalike("nfz-wraszava.pl", "nfz-warszawa.pl", Technique::Typo);
}

#[test]
fn hyphenation() {
    lookalike("e-zdrowie.pl", "ezdrowie.gov.pl", Technique::Hyphenation);
    lookalike("e-zdrowie.com", "ezdrowie.gov.pl", Technique::Hyphenation);
    lookalike("nfzwarszawa.pl", "nfz-warszawa.pl", Technique::Hyphenation);
    lookalike("nfz-war-szawa.pl", "nfz-warszawa.pl", Technique::Hyphenation);
}

#[test]
fn homoglyphs() {
    // Whole-script Cyrillic: с а ѕ а п.
    lookalike(
        "\u{441}\u{430}\u{455}\u{430}\u{43f}.ro",
        "casan.ro",
        Technique::Homoglyph,
    );
    let puny = healthguard_domains::to_ascii("\u{441}\u{430}\u{455}\u{430}\u{43f}.ro").unwrap();
    assert!(puny.starts_with("xn--"), "{puny}");
    lookalike(&puny, "casan.ro", Technique::Homoglyph);
    lookalike(&puny.to_uppercase(), "casan.ro", Technique::Homoglyph);
    // Cyrillic о in "gov": not under gov.pl at all.
    lookalike("nfz.g\u{43e}v.pl", "nfz.gov.pl", Technique::MixedScript);
    // A confusable of an official name under the restricted suffix itself.
    lookalike("p\u{430}cjent.gov.pl", "pacjent.gov.pl", Technique::MixedScript);
    lookalike("\u{441}ez.gov.pl", "cez.gov.pl", Technique::MixedScript);
    unrelated("\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.gov.pl");
    // Polish diacritic on an official name.
    lookalike("nfz-krak\u{f3}w.pl", "nfz-krakow.pl", Technique::Homoglyph);
    // ASCII homoglyphs.
    lookalike("ezdr0wie.pl", "ezdrowie.gov.pl", Technique::Homoglyph);
    lookalike("rns.ro", "ms.ro", Technique::Homoglyph);
    lookalike("rnz.pl", "mz.gov.pl", Technique::Homoglyph);
    let l = index().check("\u{441}\u{430}\u{455}\u{430}\u{43f}.ro.");
    let l = l.lookalike().expect("look-alike");
    assert!(l.host.starts_with("xn--") && l.host.ends_with(".ro"));
    assert_eq!(l.display, "\u{441}\u{430}\u{455}\u{430}\u{43f}.ro");
    assert_eq!(l.owner, "ro.casan");
}

#[test]
fn mixed_script() {
    lookalike("nfz-w\u{430}rszawa.pl", "nfz-warszawa.pl", Technique::MixedScript);
    lookalike("p\u{430}cjent.gov.pl.com", "pacjent.gov.pl", Technique::MixedScript);
    // Cyrillic in the lure word of a combosquat.
    lookalike("nfz-zwr\u{43e}t.pl", "nfz.gov.pl", Technique::MixedScript);
}

#[test]
fn diacritics_in_surrounding_words_keep_the_technique() {
    lookalike("nfz-zwr\u{f3}t.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz-dop\u{142}ata.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cnas-plat\u{103}.ro", "cnas.ro", Technique::Combosquat);
}

#[test]
fn input_forms() {
    lookalike("NFZ-ZWROT.PL", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz-zwrot.pl.", "nfz.gov.pl", Technique::Combosquat);
    lookalike(" Pacjent-Gov.PL. ", "pacjent.gov.pl", Technique::SuffixImitation);
    let l = index().check("NFZ-Zwrot.PL.");
    let l = l.lookalike().unwrap();
    assert_eq!(l.host, "nfz-zwrot.pl");
    assert_eq!(l.display, "nfz-zwrot.pl");
    assert_eq!(l.owner, "pl.nfz");
}

#[test]
fn ip_literals_and_garbage_are_unrelated() {
    for h in [
        "1.2.3.4",
        "192.168.0.1",
        "[::1]",
        "::1",
        "[2001:db8::1]",
        "0x7f000001",
        "nfz.gov.pl.1",
        "",
        ".",
        "..",
        "a..b",
        "nfz gov pl",
        "nfz.gov.pl/zwrot",
        "xn--",
        "xn--zz.pl",
        "-",
        "\u{0}",
    ] {
        unrelated(h);
    }
}

#[test]
fn negatives() {
    for h in [
        "cez.cz",
        "www.cez.cz",
        "cez.sk",
        "google.com",
        "gabinet-stomatologiczny.pl",
        "gabinet-lekarski.pl",
        "msn.com",
        "ms.com",
        "ms-login.com",
        "teams.microsoft.com",
        "cezxprime.club",
        "cezfinpro.live",
        "cezcoiner-app.com",
        "cez-energy.com",
        "cezenergy.com",
        "mscard.ro",
        "msbank.com",
        "nfzinfo.pl",
        "ro.ms.com",
        "pl.cez.cz",
        "zwrot.pacjent.pl",
        "mz.e-sklep.pl",
        "rehabilitacja-nfz.pl",
        "sanatorium-nfz.pl",
        "apteka-nfz.pl",
        "pacjent-nfz.pl",
        "ms-sanatate.ro",
        "ms-health.com",
        "ms-medical.com",
        "cez.e-energia.com",
        "pacjent.pl",
        "gabinet.pl",
        "abczdrowie.pl",
        "rynekzdrowia.pl",
        "dobrezdrowie.pl",
        "zdnscloud.com",
        "casa.ro",
        "cases.ro",
        "oasis.com",
        "cesar.ro",
        "pacient.ro",
        "nfz-info.de",
        "example.gov.uk",
        "gov.pl.turkiru.online",
        "cepik-gov.pl",
        "wwwgov-pl.buzz",
        "gov-pl.com",
        "govpl.info",
        "gov.pl.evil.net",
        "etollgovpl.sbs",
        "nfz.example.com",
        "cez.github.io",
        "github.io",
        "com",
        "pl",
    ] {
        unrelated(h);
    }
}

#[test]
fn every_protected_domain_is_official_and_its_look_alikes_name_it() {
    for (d, owner) in registry::PROTECTED {
        match index().check(d) {
            Assessment::Official { domain, owner: o } => {
                assert_eq!((domain.as_str(), o.as_str()), (*d, *owner));
            }
            other => panic!("{d}: {other:?}"),
        }
    }
}

#[test]
fn technique_names_round_trip() {
    let names: Vec<&str> = Technique::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        [
            "homoglyph",
            "mixed_script",
            "typo",
            "transposition",
            "omission",
            "repetition",
            "insertion",
            "replacement",
            "vowel_swap",
            "bitsquatting",
            "hyphenation",
            "dot_for_hyphen",
            "combosquat",
            "official_subdomain",
            "tld_swap",
            "suffix_imitation",
        ]
    );
    for t in Technique::ALL {
        assert_eq!(Technique::from_name(t.name()), Some(t));
        assert_eq!(t.to_string(), t.name());
    }
}

#[test]
fn empty_index() {
    let idx = DomainIndex::new(Vec::new(), &["gov.pl"]);
    assert!(idx.is_empty());
    assert_eq!(idx.check("nfz.gov.pl"), Assessment::Unrelated);
    assert_eq!(idx.check("nfz-zwrot.pl"), Assessment::Unrelated);
}

#[test]
fn restricted_suffixes_include_implicit_gov_cc() {
    let r = index().restricted_suffixes();
    assert!(r.iter().any(|s| s == "gov.pl"));
    assert!(r.iter().any(|s| s == "gov.ro"));
    assert_eq!(index().len(), registry::PROTECTED.len());
}

#[test]
fn short_names_with_any_word_or_number_in_their_label() {
    // Any other word or number next to a short name in the same label (issue 10).
    lookalike("nfz-info.com", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz-pacjent.pl", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cnas-sistem.ro", "cnas.ro", Technique::Combosquat);
    lookalike("nfz-centrum-pomocy.com", "nfz.gov.pl", Technique::Combosquat);
    lookalike("nfz24.pl", "nfz.gov.pl", Technique::Combosquat);
    // Digits glued to the name are a token of their own; a subdomain label is the domain
    // holder's choice, so the suffix does not matter there.
    lookalike("client-nfz4471.example.it", "nfz.gov.pl", Technique::Combosquat);
    lookalike("4471nfz-client.example.de", "nfz.gov.pl", Technique::Combosquat);
    // Known web words glued in front of or after the name.
    lookalike("mynfz.com", "nfz.gov.pl", Technique::Combosquat);
    lookalike("cnasportal.ro", "cnas.ro", Technique::Combosquat);
}

#[test]
fn short_names_stay_unrelated_without_a_word_of_their_own() {
    for h in [
        // Inside longer words: no token, digit or affix boundary.
        "cezary.pl",
        "cezarbud.com",
        "nfzsomething.pl",
        "dnscache.com",
        "hcnas.ro",
        // Registrable label elsewhere: another country's ccTLD.
        "nfz-info.it",
        // A subdomain named only by the name, words elsewhere.
        "nfz.clinic-example.com",
        // Digits inside a listed word, and two-letter names (English abbreviations).
        "ms-365.com",
        "mz-2024.com",
        // Provider words before the name, and the other ČEZ.
        "poradnia-nfz.pl",
        "szpital-nfz.pl",
        "cez-energy-group.com",
    ] {
        unrelated(h);
    }
}

#[test]
fn names_of_domains_under_a_restricted_suffix() {
    // info.mobywatel.gov.pl: the label above gov.pl is the body's name.
    lookalike("mobywatel-oplata.cc", "info.mobywatel.gov.pl", Technique::Combosquat);
    lookalike(
        "mobywatel-dziala-11.pages.dev",
        "info.mobywatel.gov.pl",
        Technique::Combosquat,
    );
    lookalike("mobywatel.com", "info.mobywatel.gov.pl", Technique::TldSwap);
    unrelated("mobywatel.gov.pl");
    unrelated("www.gov.pl");
}

#[test]
fn distinctive_names_glued_to_anything() {
    lookalike(
        "infomobywatel-mandat.eu.cc",
        "info.mobywatel.gov.pl",
        Technique::Combosquat,
    );
    lookalike("mobywatelinfo.com", "info.mobywatel.gov.pl", Technique::Combosquat);
    lookalike("ezdrowiekonto.com", "ezdrowie.gov.pl", Technique::Combosquat);
    // A name that ends in an ordinary word (e + zdrowie) is not split after a word.
    unrelated("dobrezdrowie.pl");
    unrelated("twojezdrowie.com");
}

#[test]
fn misspelt_names_as_words_and_letter_homoglyphs() {
    lookalike("e-zdrowle.pl", "ezdrowie.gov.pl", Technique::Homoglyph);
    lookalike("e-zdr0wie.pl", "ezdrowie.gov.pl", Technique::Homoglyph);
    lookalike("ezdrowle.com", "ezdrowie.gov.pl", Technique::Homoglyph);
    lookalike("ezdrowe-logowanie.com", "ezdrowie.gov.pl", Technique::Omission);
    lookalike("mobywatl-oplata.cc", "info.mobywatel.gov.pl", Technique::Omission);
    lookalike("rnobywatel-oplata.cc", "info.mobywatel.gov.pl", Technique::Homoglyph);
    lookalike(
        "konto.ezdorwie.example.com",
        "ezdrowie.gov.pl",
        Technique::Transposition,
    );
    // Far from every name, or an ordinary word.
    unrelated("zdrowie-logowanie.com");
    unrelated("mobilny-oplata.cc");
}

#[test]
fn institutions_holding_a_public_suffix_are_named_by_its_first_label() {
    let idx = DomainIndex::new(
        vec![Protected {
            domain: "nhs.uk".into(),
            owner: "uk.nhs".into(),
            include_subdomains: true,
        }],
        &[],
    );
    assert!(idx.check("www.nhs.uk").is_official());
    let l = idx.check("nhscontact.com");
    assert_eq!(l.lookalike().map(|l| l.imitates.as_str()), Some("nhs.uk"), "{l:?}");
    assert_eq!(idx.check("nhsx.uk.example"), Assessment::Unrelated);
}
