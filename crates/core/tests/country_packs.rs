//! The country packs beyond Poland and Romania: they load, their institutions are named when
//! a message claims them, and their official channels are recognised.
//!
//! Every message here was written by the HealthGuard project for testing.

use healthguard_core::{Analysis, Catalog, Checker, Input, Verdict};
use healthguard_registry::Lang;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn text(t: &str) -> Analysis {
    checker().check(Input::Text(t))
}

fn codes(a: &Analysis) -> Vec<&str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn the_country_packs_load_with_their_reporting_routes() {
    let r = healthguard_registry::builtin();
    for (code, lang) in [
        ("GB", Lang::En),
        ("DE", Lang::De),
        ("FR", Lang::Fr),
        ("IT", Lang::It),
        ("ES", Lang::Es),
        ("IE", Lang::En),
        ("CZ", Lang::Cs),
        ("US", Lang::En),
        ("AU", Lang::En),
    ] {
        let c = r.country(code).unwrap_or_else(|| panic!("no {code} pack"));
        assert!(c.languages.contains(&lang), "{code}");
        for id in &c.national_reporting {
            let inst = r.institution(id).unwrap_or_else(|| panic!("{code}: {id}"));
            assert!(!inst.reporting.is_empty(), "{id} has no reporting route");
        }
    }
    let ncsc = r.institution("gb.ncsc").unwrap();
    assert!(ncsc.reporting.iter().any(|x| x.value == "report@phishing.gov.uk"));
    assert!(ncsc.reporting.iter().any(|x| x.value == "7726"));
    let fr = r.institution("fr.33700").unwrap();
    assert!(fr.reporting.iter().any(|x| x.value == "33700"));
}

#[test]
fn assurance_maladie_is_named_on_an_unofficial_link_and_recognised_on_ameli_fr() {
    let a = text(
        "Assurance Maladie : votre carte Vitale arrive prochainement à expiration. \
         Mettez à jour vos informations sur https://ameli-renouvellement-vitale.info/compte",
    );
    assert_eq!(
        a.institution.as_deref(),
        Some("fr.assurance-maladie"),
        "{:?}",
        codes(&a)
    );
    assert!(codes(&a).contains(&"LINK_NOT_OF_CLAIMED"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?} {:?}", a.verdict, codes(&a));
    assert_eq!(a.message_language, Some(Lang::Fr));
    let report = checker().report(&a, &Catalog::builtin(), None);
    assert!(
        report.findings.iter().any(|f| f.message.contains("Assurance Maladie")),
        "{:?}",
        report.findings
    );
    assert!(
        report.advice.report_to.iter().any(|c| c.text.contains("33700")),
        "{:?}",
        report.advice.report_to
    );

    let a = text("Assurance Maladie : votre attestation est disponible sur https://www.ameli.fr/assure");
    assert!(codes(&a).contains(&"LINK_OFFICIAL"), "{:?}", codes(&a));
    assert!(a.verdict <= Verdict::Unverified, "{:?} {:?}", a.verdict, codes(&a));
}

#[test]
fn the_nhs_is_named_and_its_website_recognised() {
    let a = text("NHS: your appointment needs a £1.99 booking fee, pay at https://nhs-booking-confirm.co.uk/pay");
    assert_eq!(a.institution.as_deref(), Some("gb.nhs"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?} {:?}", a.verdict, codes(&a));
    let a = text("NHS: find your nearest pharmacy at https://www.nhs.uk/service-search/pharmacy");
    assert!(codes(&a).contains(&"LINK_OFFICIAL"), "{:?}", codes(&a));
    assert!(a.verdict <= Verdict::Unverified, "{:?} {:?}", a.verdict, codes(&a));
}

#[test]
fn the_aok_health_card_advisory_matches_in_german() {
    let a = text(
        "AOK: Wir informieren Sie, dass eine neue Version Ihrer Gesundheitskarte jetzt verfügbar ist. \
         Jetzt anfordern: https://aok-krankenversicherung.com/karte",
    );
    assert_eq!(a.institution.as_deref(), Some("de.aok"), "{:?}", codes(&a));
    assert!(
        codes(&a).contains(&"ADVISORY_MATCH") || codes(&a).contains(&"ADVISORY_DOMAIN"),
        "{:?}",
        codes(&a)
    );
    assert_eq!(a.verdict, Verdict::Phishing, "{:?}", codes(&a));
    let report = checker().report(&a, &Catalog::builtin(), None);
    assert!(report.headline.contains("Phishing"), "{}", report.headline);
    assert!(report.findings.iter().all(|f| !f.message.contains('{')));
}

#[test]
fn spanish_and_italian_health_card_lures_name_the_institution() {
    let a = text(
        "Ministerio de Sanidad: con motivo de la implantación de un nuevo sistema de verificación, \
         debe renovar la tarjeta sanitaria en https://tsi-renovacion.online/form",
    );
    assert_eq!(a.institution.as_deref(), Some("es.sanidad"), "{:?}", codes(&a));
    assert!(codes(&a).contains(&"ADVISORY_MATCH"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?} {:?}", a.verdict, codes(&a));
    assert_eq!(a.message_language, Some(Lang::Es));
    let a = text(
        "Ministero della Salute: è necessario il rinnovo della tessera sanitaria, compili il modulo su https://tessera-rinnovo.info",
    );
    assert_eq!(a.institution.as_deref(), Some("it.min-salute"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?} {:?}", a.verdict, codes(&a));
    let report = checker().report(&a, &Catalog::builtin(), None);
    assert!(
        report
            .advice
            .report_to
            .iter()
            .any(|c| c.text.contains("commissariatodips.it")),
        "{:?}",
        report.advice.report_to
    );
}

#[test]
fn vzp_medicare_and_hse_claims_are_told_apart() {
    let a = text("VZP: čeká Vás pojistná výplata 3 250 Kč, vyplňte údaje na https://vzp-portal.online/");
    assert_eq!(a.institution.as_deref(), Some("cz.vzp"), "{:?}", codes(&a));
    assert_eq!(a.message_language, Some(Lang::Cs));
    assert_eq!(a.verdict, Verdict::Phishing, "{:?}", codes(&a));
    let a = text("VZP: přehled plateb najdete na https://www.vzp.cz/pojistenci");
    assert!(codes(&a).contains(&"LINK_OFFICIAL"), "{:?}", codes(&a));

    let a = text("myGov: In accordance with active guidelines, your Medicare card should be renewed by April 2026.");
    assert_eq!(
        a.institution.as_deref(),
        Some("au.services-australia"),
        "{:?}",
        codes(&a)
    );
    let a = text("Medicare: we need your Medicare number and card details to keep your benefits, call us back now");
    assert_eq!(a.institution.as_deref(), Some("us.medicare"), "{:?}", codes(&a));
    // The Polish "Medicare Kit" lure keeps naming NFZ.
    let a = text("NFZ: zamów apteczkę Medicare Kit za 8 zł, podaj dane karty");
    assert_eq!(a.institution.as_deref(), Some("pl.nfz"), "{:?}", codes(&a));
    let a = text("HSE: your medical card renewal is due, pay the €4.99 fee at https://hse-medicalcard.info");
    assert_eq!(a.institution.as_deref(), Some("ie.hse"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?} {:?}", a.verdict, codes(&a));
}

#[test]
fn every_romanian_county_house_is_known_and_named() {
    let r = healthguard_registry::builtin();
    let houses = r
        .institutions
        .iter()
        .filter(|i| i.id.starts_with("ro.cas-") && i.parent.as_deref() == Some("ro.cnas"))
        .count();
    assert_eq!(houses, 42, "41 counties and Bucharest");
    for (t, id) in [
        (
            "CAS Prahova vă informează că trebuie să vă actualizați datele",
            "ro.cas-prahova",
        ),
        (
            "Casa de Asigurări de Sănătate Satu Mare: plată restantă",
            "ro.cas-satu-mare",
        ),
        (
            "Mesaj de la Casa Județeană de Asigurări de Sănătate Vâlcea",
            "ro.cas-valcea",
        ),
    ] {
        assert_eq!(text(t).institution.as_deref(), Some(id), "{t}");
    }
}
