//! Health-sector scam shapes of issue 10: lures in any inflection, health pretexts with a
//! request, the caller scripts ("the accident", a courier for the cash, "confirm your card on
//! a recorded line"), the same kits in other European languages, and genuine messages that
//! must stay clean.
//!
//! Every message here was written by the HealthGuard project for testing, after the shapes
//! described in CERT and police warnings; none is quoted from a corpus.

use healthguard_core::{Analysis, Checker, Input, Verdict};
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn codes(a: &Analysis) -> Vec<&str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

fn call(number: Option<&str>, text: &str) -> Analysis {
    checker().check(Input::Call { number, text })
}

fn sms(sender: Option<&str>, text: &str) -> Analysis {
    checker().check(Input::Sms { sender, text })
}

#[test]
fn the_accident_script_is_phishing_in_every_language() {
    for t in [
        "Dzień dobry, tu lekarz ze szpitala. Pani syn miał wypadek i jest w ciężkim stanie. \
         Potrzebne są pieniądze na leczenie, 20 000 zł, jeszcze dziś.",
        "Bună ziua, fiica dumneavoastră a avut un accident și este internată în stare gravă. \
         Trebuie să trimiteți urgent 8.000 de lei pentru operație.",
        "Hello, this is the hospital. Your son had an accident and needs surgery. You must pay \
         for the treatment today, 3,000 pounds.",
        "Добрий день, ваш син потрапив у ДТП і перебуває у важкому стані. Потрібні гроші на лікування, 40 000 гривень.",
    ] {
        let a = call(None, t);
        assert_eq!(a.verdict, Verdict::Phishing, "{t}: {:?}", codes(&a));
        assert!(codes(&a).contains(&"LURE_EMERGENCY"), "{t}: {:?}", codes(&a));
        assert!(codes(&a).contains(&"EMERGENCY_WITH_MONEY"), "{t}: {:?}", codes(&a));
    }
}

#[test]
fn a_courier_for_the_cash_is_a_lure_of_its_own() {
    let a = call(
        None,
        "Dzwonię z Narodowego Funduszu Zdrowia. Przyjdzie kurier, proszę przekazać pieniądze do weryfikacji.",
    );
    assert!(codes(&a).contains(&"LURE_CASH_COLLECTION"), "{:?}", codes(&a));
    assert_eq!(a.institution.as_deref(), Some("pl.nfz"));
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", codes(&a));
}

#[test]
fn a_recorded_line_asking_for_card_numbers_is_phishing() {
    let a = call(
        Some("+48 512 345 678"),
        "This is an advisor of NFZ on a recorded line. To keep your insurance active please \
         confirm the card number and the three digits on the back.",
    );
    assert_eq!(a.verdict, Verdict::Phishing, "{:?}", codes(&a));
}

#[test]
fn an_official_caller_id_proves_nothing() {
    // Whatever number is shown, a request for card data on a call stays a lure; the number
    // is named only so that the reader knows that it can be forged.
    let number = checker()
        .registry()
        .institutions
        .iter()
        .flat_map(|i| i.phones.iter())
        .map(|p| p.e164.clone())
        .next()
        .expect("the built-in registry has phone numbers");
    let a = call(Some(&number), "Please confirm your card number and CVV for the refund.");
    assert!(codes(&a).contains(&"CALLER_ID_OFFICIAL_NUMBER"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", codes(&a));
    assert_ne!(a.verdict, Verdict::Official);
}

#[test]
fn an_ordinary_call_is_not_flagged() {
    for t in [
        "Dzień dobry, przypominam o jutrzejszej wizycie u lekarza rodzinnego o 10:30.",
        "Hi, it's the surgery calling to move your appointment to Thursday morning.",
        "Bună ziua, vă sunăm de la cabinet: rezultatele sunt gata, le puteți ridica de la recepție.",
    ] {
        let a = call(None, t);
        assert!(a.verdict < Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn inflected_refund_forms_are_one_lure() {
    for t in [
        "Zwrócimy koszty leczenia w ciągu 3 dni",
        "Należy ci się zwrot nadpłaconej składki",
        "Twoja składka zostanie zwrócona na konto",
        "Otrzymasz zwrot kosztów leków",
    ] {
        let a = checker().check(Input::Text(t));
        assert!(codes(&a).contains(&"LURE_REFUND"), "{t}: {:?}", codes(&a));
    }
    // "Zwrócić uwagę" (to pay attention) is not a refund.
    let a = checker().check(Input::Text("Proszę zwrócić uwagę na godziny otwarcia przychodni."));
    assert!(!codes(&a).contains(&"LURE_REFUND"), "{:?}", codes(&a));
}

#[test]
fn a_health_pretext_with_a_link_is_suspicious() {
    for t in [
        "You have been in close contact with someone who has tested positive. Order your PCR test kit at https://covid-kit-order.example.com",
        "Miałeś kontakt z osobą zakażoną. Wynik testu znajdziesz tutaj: https://wyniki-testow.example.net",
        "Rezultatul testului dumneavoastră este disponibil aici: https://rezultate-analize.example.org",
    ] {
        let a = sms(Some("+48600100200"), t);
        assert!(codes(&a).contains(&"HEALTH_PRETEXT_WITH_ACTION"), "{t}: {:?}", codes(&a));
        assert!(a.verdict >= Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn a_health_topic_without_a_request_is_not_a_lure() {
    for t in [
        "Przypominamy: szczepienia przeciw grypie w naszej przychodni we wtorki.",
        "Your test results are ready: please ring reception to book a review with the doctor.",
    ] {
        let a = sms(None, t);
        assert!(
            !codes(&a).contains(&"HEALTH_PRETEXT_WITH_ACTION"),
            "{t}: {:?}",
            codes(&a)
        );
        assert!(a.verdict < Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn the_kits_are_read_in_other_european_languages() {
    for (t, lure) in [
        (
            "Assurance Maladie : votre carte Vitale arrive à expiration, mettez à jour vos informations via ce lien https://vitale-maj.example.com",
            "LURE_VERIFICATION",
        ),
        (
            "Ihre Krankenkasse: Sie haben Anspruch auf eine Rückerstattung von 212,40 EUR. Jetzt Auszahlung beantragen: https://erstattung-kasse.example.de",
            "LURE_REFUND",
        ),
        (
            "Tessera Sanitaria in scadenza: paga 1,99€ per la nuova spedizione su https://tessera-rinnovo.example.it",
            "LURE_PAYMENT",
        ),
        (
            "Su tarjeta sanitaria europea ha caducado. Actualice sus datos en https://tarjeta-renovar.example.es",
            "LURE_VERIFICATION",
        ),
        (
            "Pojišťovna: máte nárok na vrácení přeplatku. Ověřte své údaje na https://vraceni-pojistne.example.cz",
            "LURE_REFUND",
        ),
    ] {
        let a = sms(Some("+33612345678"), t);
        assert!(codes(&a).contains(&lure), "{t}: {:?}", codes(&a));
        assert!(a.verdict >= Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn a_body_holding_its_own_suffix_is_named_by_it_not_by_www() {
    // www.nhs.uk sits under the restricted nhs.uk: the protected name is "nhs", never "www".
    let index = checker().domains();
    for host in ["www6.software.ibm.com", "www2.example.org", "wwwshop.example.com"] {
        assert!(
            index.check(host).lookalike().is_none(),
            "{host}: {:?}",
            index.check(host)
        );
    }
    let hit = index.check("nhs-contact-centre.com");
    let imitated = hit.lookalike().map(|l| l.imitates.as_str());
    assert_eq!(imitated, Some("www.nhs.uk"), "{hit:?}");
}

#[test]
fn a_one_word_lure_of_another_language_is_not_read_in_a_long_text() {
    // "restituire" is the Romanian refund and the Italian "to give back": in a long Italian
    // text it is Italian; in a long Romanian one it stays the Romanian lure.
    let italian = "Gentile cliente, grazie per il tuo ordine. Il pacco è partito oggi dal nostro magazzino \
        e arriverà entro tre giorni lavorativi. Se l'articolo non ti piace puoi restituire il prodotto \
        entro trenta giorni dalla consegna, seguendo le istruzioni che trovi nella sezione ordini del \
        tuo profilo. Per qualsiasi domanda il nostro servizio clienti è disponibile tutti i giorni. \
        Ti auguriamo una buona giornata e speriamo di rivederti presto nel nostro negozio.";
    let a = checker().check(Input::Text(italian));
    assert!(!codes(&a).contains(&"LURE_REFUND"), "{:?}", codes(&a));
    let romanian = "Stimate asigurat, vă informăm că pentru anul trecut aveți dreptul la restituire \
        din partea casei de asigurări. Pentru a primi banii trebuie să completați formularul atașat și \
        să ne trimiteți datele contului bancar cât mai curând, altfel dosarul va fi închis. Vă mulțumim \
        pentru înțelegere și vă dorim o zi bună din partea echipei noastre de relații cu publicul, care \
        vă stă la dispoziție de luni până vineri pentru orice întrebare legată de dosar.";
    let a = checker().check(Input::Text(romanian));
    assert!(codes(&a).contains(&"LURE_REFUND"), "{:?}", codes(&a));
}

#[test]
fn a_ready_prescription_is_a_health_notice_not_money_waiting() {
    // A pharmacy telling the patient to collect a prescription promises no money; only with
    // a link or a request does the health pretext count.
    for t in [
        "Your prescription is ready for collection at the pharmacy on High Street.",
        "Twoja recepta czeka na realizację w aptece.",
    ] {
        let a = sms(Some("Pharmacy"), t);
        assert!(!codes(&a).contains(&"LURE_REFUND"), "{t}: {:?}", codes(&a));
        assert!(a.verdict < Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
    let a = sms(
        None,
        "Your prescription is waiting. Confirm your details: rx-collect-uk.top/p",
    );
    assert!(codes(&a).contains(&"LURE_HEALTH_NOTICE"), "{:?}", codes(&a));
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", codes(&a));
}

#[test]
fn avoid_the_suspension_is_a_threat_in_every_language() {
    for t in [
        "To avoid suspension of your Medicare benefits, update your details today.",
        "Aby uniknąć wstrzymania świadczeń, zaktualizuj dane.",
        "Pentru a evita suspendarea asigurării, actualizați datele.",
        "Pour éviter la suspension de vos droits, mettez à jour vos informations.",
        "Um eine Sperrung Ihrer Versichertenkarte zu vermeiden, aktualisieren Sie Ihre Daten.",
        "Para evitar la suspensión de su tarjeta sanitaria, actualice sus datos.",
        "Per evitare la sospensione della tessera sanitaria, aggiorna i tuoi dati.",
        "Abyste předešli pozastavení pojištění, aktualizujte své údaje.",
    ] {
        let a = sms(None, t);
        assert!(codes(&a).contains(&"LURE_THREAT"), "{t}: {:?}", codes(&a));
    }
}

#[test]
fn a_quoted_scam_whose_link_was_removed_still_asks_through_the_message() {
    // Warnings quote the text with the link taken out; the pretext and the way out remain.
    for t in [
        "Your vaccination booster is ready. You are eligible to apply for it here: LINK",
        "Votre carte Vitale expire. Mettez-la à jour sur [lien] avant vendredi.",
    ] {
        let a = sms(None, t);
        assert!(codes(&a).contains(&"LINK_WITHHELD"), "{t}: {:?}", codes(&a));
        assert!(a.verdict >= Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
    // Without a placeholder (or a link) the same pretext asks nothing through the message.
    let a = sms(
        None,
        "Your vaccination booster is ready. You are eligible to apply for it at your GP.",
    );
    assert!(!codes(&a).contains(&"LINK_WITHHELD"), "{:?}", codes(&a));
    assert!(a.verdict < Verdict::Suspicious, "{:?}", codes(&a));
}
