//! Signal-by-signal tests of the checker on the built-in registry.
//!
//! Every message here was written by the HealthGuard project for testing.

use healthguard_core::{Analysis, Catalog, Checker, Input, Verdict};
use healthguard_registry::Lang;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn sms(sender: &str, text: &str) -> Analysis {
    checker().check(Input::Sms {
        sender: Some(sender),
        text,
    })
}

fn text(t: &str) -> Analysis {
    checker().check(Input::Text(t))
}

fn codes(a: &Analysis) -> Vec<&str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn claims_are_found_in_names_inflections_and_abbreviations() {
    for t in [
        "Narodowy Fundusz Zdrowia informuje o zmianach",
        "Wiadomość z Narodowego Funduszu Zdrowia",
        "Decyzja NFZ-u w Twojej sprawie",
        "NARODOWEGO FUNDUSZU ZDROWIA",
        "Narodowego Funduszu Zdrowia".replace('o', "о").as_str(), // Cyrillic о
        "N\u{200B}F\u{200B}Z informuje",
    ] {
        assert_eq!(text(t).institution.as_deref(), Some("pl.nfz"), "{t}");
    }
    for t in [
        "Casa Națională de Asigurări de Sănătate",
        "Casa Naţională de Asigurări de Sănătate",
        "Casa Nationala de Asigurari de Sanatate",
        "Mesaj de la CNAS",
        "Mesaj de la CNAS-ul",
    ] {
        assert_eq!(text(t).institution.as_deref(), Some("ro.cnas"), "{t}");
    }
    assert_eq!(text("Zwykła wiadomość od znajomego").institution, None);
}

#[test]
fn disguised_words_are_reported() {
    let a = text("Nаrodowy Fundusz Zdrowia: zwrot"); // Cyrillic а
    assert!(codes(&a).contains(&"OBFUSCATED_TEXT"), "{:?}", codes(&a));
}

#[test]
fn lures_carry_the_matched_phrase_as_evidence() {
    let a = text("Prosimy o podanie numeru karty i kodu CVV oraz numeru PESEL.");
    let card = a
        .findings
        .iter()
        .find(|f| f.code == "LURE_CARD_DATA")
        .expect("card lure");
    assert!(a.findings.iter().any(|f| f.code == "LURE_PERSONAL_ID"));
    assert!(!card.evidence.is_empty());
    assert!(a.findings.iter().any(|f| f.code == "LURE_CARD_DATA"
        && "Prosimy o podanie numeru karty i kodu CVV oraz numeru PESEL.".contains(&f.evidence)));
}

#[test]
fn policy_violation_cites_the_policy() {
    let a = sms("NFZ", "NFZ: podaj numer karty i CVV, aby otrzymać zwrot.");
    let v = a
        .findings
        .iter()
        .find(|f| f.code == "POLICY_VIOLATION")
        .expect("policy violation");
    assert!(v.get("policy").is_some_and(|p| p.starts_with("pl.nfz.")), "{v:?}");
    let report = checker().report(&a, &Catalog::builtin(), Some(Lang::En));
    let msg = &report
        .findings
        .iter()
        .find(|f| f.code == "POLICY_VIOLATION")
        .unwrap()
        .message;
    assert!(msg.contains("NFZ"), "{msg}");
    assert_eq!(a.verdict, Verdict::Phishing);
}

#[test]
fn links_of_the_claimed_institution_are_judged() {
    let a = text("NFZ: sprawdź szczegóły na https://nfz-info-pacjent.site/status");
    assert!(codes(&a).contains(&"LINK_NOT_OF_CLAIMED"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious);
    let a = text("NFZ: szczegóły na https://www.nfz.gov.pl/dla-pacjenta/");
    assert!(codes(&a).contains(&"LINK_OFFICIAL"));
    assert!(a.verdict <= Verdict::Unverified, "{a:?}");
}

#[test]
fn lookalike_links_name_their_target() {
    let a = text("Odbierz: http://pacjent-gov.pl/ikp");
    let f = a
        .findings
        .iter()
        .find(|f| f.get("target").is_some())
        .expect("a look-alike finding");
    assert_eq!(f.get("target"), Some("pacjent.gov.pl"));
    assert_eq!(a.verdict, Verdict::Phishing);
    assert_eq!(a.institution.as_deref(), Some("pl.ikp"));
}

#[test]
fn fake_pharmacy_shops_name_the_pharmacy_they_copy() {
    // Shapes of the fake-pharmacy hosts on CERT Polska's warning list: the shop's name with
    // a word and a cheap TLD, its whole name under an unrelated domain, hyphens moved.
    for (url, target) in [
        ("https://zikoapteka-promo.shop/leki", "zikoapteka.pl"),
        ("https://wapteka.tanie-leki.sbs/", "wapteka.pl"),
        ("https://ezi-koapteka.pl/", "e-zikoapteka.pl"),
    ] {
        let a = checker().check(Input::Url(url));
        let f = a.findings.iter().find(|f| f.get("target").is_some());
        assert_eq!(f.and_then(|f| f.get("target")), Some(target), "{url}: {:?}", codes(&a));
        assert!(a.verdict >= Verdict::Suspicious, "{url}: {:?}", a.verdict);
    }
    // The shops' own domains are what they are: official, not look-alikes.
    let a = checker().check(Input::Url("https://www.e-zikoapteka.pl/koszyk"));
    assert!(a.verdict <= Verdict::Unverified, "{:?}", codes(&a));
}

#[test]
fn nhsmail_is_an_nhs_mail_domain_not_a_lookalike_of_nhs_uk() {
    let a = checker().check(Input::Url("https://portal.nhs.net/"));
    assert!(!codes(&a).contains(&"LOOKALIKE_DOMAIN"), "{:?}", codes(&a));
}

#[test]
fn phones_in_text_are_compared_with_the_claimed_institution() {
    let a = text("NFZ: w razie pytań dzwoń 800 190 590");
    assert!(codes(&a).contains(&"PHONE_OFFICIAL"), "{:?}", codes(&a));
    let a = text("NFZ: zadzwoń pilnie pod numer +44 20 7946 0958");
    assert!(codes(&a).contains(&"PHONE_NOT_OF_CLAIMED"), "{:?}", codes(&a));
    assert!(codes(&a).contains(&"PHONE_FOREIGN"), "{:?}", codes(&a));
}

#[test]
fn sms_from_a_plain_number_claiming_an_institution() {
    let a = sms("+48 600 111 222", "NFZ: Twoje ubezpieczenie wygasa dziś, opłać składkę");
    assert!(codes(&a).contains(&"SENDER_ORDINARY_NUMBER"), "{:?}", codes(&a));
}

#[test]
fn advisories_match_phrases_and_domains() {
    let a = text("Zwrot kosztów leków: Przejdź do weryfikacji");
    assert!(codes(&a).contains(&"ADVISORY_MATCH"), "{:?}", codes(&a));
    let a = checker().check(Input::Url("https://renew-insurance.info/nfz"));
    assert!(codes(&a).contains(&"ADVISORY_DOMAIN"), "{:?}", codes(&a));
    assert_eq!(a.verdict, Verdict::Phishing);
}

#[test]
fn official_sources_without_lures_are_never_phishing() {
    for t in [
        "Twoja e-recepta: kod 4821",
        "Przypominamy o wizycie kontrolnej. Informacje: https://pacjent.gov.pl",
        "CNAS: informații despre cardul de sănătate pe https://cnas.ro",
    ] {
        let a = text(t);
        assert!(a.verdict < Verdict::Suspicious, "{t}: {a:?}");
    }
}

#[test]
fn general_phishing_is_caught_too() {
    let a = text("Your account has been suspended due to unusual sign-in activity. Verify your account within 24 hours: http://secure-login-update.xyz/verify");
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", codes(&a));
    let a = text("Twoja paczka czeka. Dopłać 1,99 zł: https://inpost-dopłata.top/p");
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", codes(&a));
}

#[test]
fn reports_are_complete_in_every_language() {
    let a = sms("NFZ", "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com");
    let texts = Catalog::builtin();
    for lang in Lang::ALL {
        let r = checker().report(&a, &texts, Some(lang));
        assert!(!r.headline.is_empty() && !r.summary.is_empty());
        for f in &r.findings {
            assert!(
                !f.message.is_empty() && !f.message.contains('{'),
                "{lang:?} {}: {}",
                f.code,
                f.message
            );
        }
        assert!(
            !r.advice.report_to.is_empty() && !r.advice.official_contacts.is_empty(),
            "{lang:?}"
        );
        for c in r.advice.official_contacts.iter().chain(&r.advice.report_to) {
            assert!(!c.text.contains('{') && !c.text.is_empty(), "{c:?}");
        }
    }
}

#[test]
fn huge_input_is_truncated_not_fatal() {
    let big = "NFZ zwrot ".repeat(200_000);
    let a = text(&big);
    assert!(codes(&a).contains(&"INPUT_TRUNCATED"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_text_never_panics(s in any::<String>(), sender in proptest::option::of(any::<String>())) {
            let a = checker().check(Input::Sms { sender: sender.as_deref(), text: &s });
            let _ = checker().report(&a, &Catalog::builtin(), None);
            let _ = checker().check(Input::Url(&s));
            let _ = checker().check(Input::Phone(&s));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let s = String::from_utf8_lossy(&bytes);
            let a = checker().check(Input::Text(&s));
            prop_assert!(a.score.is_finite());
        }

        #[test]
        fn odd_unicode_never_panics(s in "[\\u{0300}-\\u{036F}\\u{200B}-\\u{200F}\\u{0400}-\\u{04FF}a-z .:/@\\[\\]-]{0,400}") {
            let a = checker().check(Input::Text(&s));
            prop_assert!(a.score.is_finite());
        }
    }
}

#[test]
fn premium_rate_numbers_in_english_text() {
    let a = text("WINNER!! As a valued network customer you have been selected to receivea £900 prize reward! To claim call 09061701462. Claim code KL345.");
    assert!(codes(&a).contains(&"PHONE_PREMIUM_RATE"), "{:?}", a);
}

#[test]
fn a_local_abbreviation_claims_only_in_the_countrys_language() {
    // "CAS" is the Romanian health insurance house in Romanian text, an ordinary acronym in
    // English text.
    let ro = text("CAS vă informează: cardul de sănătate a expirat, actualizați datele aici");
    assert_eq!(ro.institution.as_deref(), Some("ro.cnas"), "{:?}", codes(&ro));
    let en = text("Call now to get your CAS number and the free quote for your home loan today");
    assert_eq!(en.institution, None, "{:?}", codes(&en));
    // A name that is not an ordinary word still claims in any language.
    let en_nfz = text("NFZ: you have a refund waiting, confirm your card number at the link");
    assert_eq!(en_nfz.institution.as_deref(), Some("pl.nfz"));
}

/// `Checker::first_text_lure` (the lexicon's matches judged alone) agrees with checking the
/// text in full and taking the first `LURE_` finding, for every lexicon phrase alone, in
/// pairs, with other signals around it, and for text without lures.
#[test]
fn first_text_lure_agrees_with_the_full_check() {
    let mut phrases: Vec<String> = Vec::new();
    for file in [
        include_str!("../../../data/lexicons/pl.toml"),
        include_str!("../../../data/lexicons/ro.toml"),
        include_str!("../../../data/lexicons/en.toml"),
        include_str!("../../../data/lexicons/uk.toml"),
    ] {
        for line in file.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let mut parts = line.split('"');
            parts.next();
            while let (Some(p), Some(_)) = (parts.next(), parts.next()) {
                if !p.is_empty() && !line.contains("lang =") && !line.contains("kind =") {
                    phrases.push(p.trim_end_matches('*').to_string() + if p.ends_with('*') { "ami" } else { "" });
                }
            }
        }
    }
    assert!(phrases.len() > 100, "{}", phrases.len());
    let mut texts: Vec<String> = vec![
        String::new(),
        "Minutes of Tuesday's meeting".into(),
        "NFZ: zwrot kosztów, zadzwoń 600 123 456 https://nfz-zwrot.pl".into(),
    ];
    for (i, p) in phrases.iter().enumerate() {
        texts.push(p.clone());
        texts.push(format!("NFZ {p}! https://bit.ly/x call 0800 123 4567"));
        let other = &phrases[(i * 7919 + 13) % phrases.len()];
        texts.push(format!("{other} - {p}"));
        texts.push(format!("{p}, {other} i {}", phrases[(i * 104_729 + 1) % phrases.len()]));
    }
    let mut found = 0;
    for t in &texts {
        let full = text(t)
            .findings
            .iter()
            .find(|f| f.code.starts_with("LURE_"))
            .map(|f| (f.code.clone(), f.evidence.clone()));
        assert_eq!(
            checker().first_text_lure(t, &healthguard_core::fold::fold(t)),
            full,
            "{t}"
        );
        found += usize::from(full.is_some());
    }
    assert!(found > texts.len() / 2, "{found} of {}", texts.len());
}

#[test]
fn negated_requests_are_not_lures_in_a_whole_check() {
    // Written by the project: automated mail's "do not reply" is advice, not a callback lure.
    let a = text("Your appointment is confirmed. Please do not reply to this email.");
    assert!(!codes(&a).contains(&"LURE_CALLBACK"), "{:?}", codes(&a));
    let a = text("Your account will be closed. Please reply to this email with your details.");
    assert!(codes(&a).contains(&"LURE_CALLBACK"), "{:?}", codes(&a));
}

fn report(a: &Analysis) -> healthguard_core::Report {
    checker().report(a, &Catalog::builtin(), Some(Lang::En))
}

#[test]
fn an_sms_is_reported_by_forwarding_it_and_is_never_told_to_hang_up() {
    let r = report(&sms("NFZ", "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com"));
    let routes = &r.advice.report_to;
    assert_eq!(routes.iter().filter(|c| c.primary).count(), 1, "{routes:#?}");
    assert!(routes[0].primary && routes[0].kind == "sms", "{routes:#?}");
    assert_eq!(routes[0].href, format!("sms:{}", routes[0].value));
    let steps = r.advice.steps.join(" ");
    assert!(!steps.to_lowercase().contains("hang up"), "{steps}");
    // A call is told to hang up.
    let r = report(&checker().check(Input::Phone("+48 703 123 456")));
    assert!(r.advice.steps.join(" ").contains("Hang up"), "{:?}", r.advice.steps);
}

#[test]
fn only_a_text_message_is_forwarded_to_an_sms_number() {
    let a = checker().check(Input::Url("http://pacjent.gov.pl.weryfikacja-konta.com/login"));
    assert!(a.verdict >= Verdict::Suspicious);
    let r = report(&a);
    assert!(!r.advice.report_to.is_empty());
    assert!(
        r.advice.report_to.iter().all(|c| c.kind != "sms"),
        "{:#?}",
        r.advice.report_to
    );
    assert_eq!(r.advice.report_to[0].kind, "web");
}

#[test]
fn clean_and_official_results_have_nothing_to_report() {
    let r = report(&checker().check(Input::Url("https://pacjent.gov.pl/recepty")));
    assert_eq!(r.verdict, Verdict::Official);
    assert!(r.advice.report_to.is_empty(), "{:#?}", r.advice.report_to);
    let r = report(&text("Hi mum, dinner at 7 tonight? Love, Kasia"));
    assert_eq!(r.verdict, Verdict::Unverified);
    assert_eq!(r.basis, healthguard_core::Basis::Nothing);
    assert!(r.advice.report_to.is_empty(), "{:#?}", r.advice.report_to);
    assert!(
        !r.advice.steps.join(" ").contains("institution"),
        "{:?}",
        r.advice.steps
    );
}

#[test]
fn contact_numbers_are_grouped_for_people_and_tappable() {
    let r = report(&checker().check(Input::Phone("800 190 590")));
    let phone = r
        .advice
        .official_contacts
        .iter()
        .find(|c| c.value == "+48800190590")
        .expect("NFZ's line");
    assert_eq!(phone.display, "+48 800 190 590");
    assert_eq!(phone.href, "tel:+48800190590");
    assert!(phone.text.contains("+48 800 190 590"), "{}", phone.text);
    for c in &r.advice.official_contacts {
        assert_eq!(
            c.unconfirmed,
            c.confidence != healthguard_registry::Confidence::High,
            "{c:?}"
        );
    }
}
