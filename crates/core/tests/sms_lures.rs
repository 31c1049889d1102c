//! SMS lures in general (not only health institutions): prizes, fake card blocks and
//! transaction alerts, premium short codes, calls to given numbers; and ordinary messages
//! that must stay unflagged.
//!
//! Every message here was written by the HealthGuard project for testing.

use healthguard_core::{Analysis, Checker, Input, Verdict};
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn sms(text: &str) -> Analysis {
    checker().check(Input::Sms {
        sender: Some("+48600111222"),
        text,
    })
}

fn codes(a: &Analysis) -> Vec<&str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn prize_bait_with_a_way_to_collect_is_flagged_in_every_language() {
    for t in [
        "Congratulations! Your number was picked in our lucky draw. Call 0800 123 4567 to claim your prize.",
        "You are guaranteed a cash award. Text WIN to 12345 now.",
        "Gratulacje! Zostałeś wylosowany, nagroda pieniężna 2000 zł czeka. Zadzwoń pod numer 600 123 456.",
        "Felicitări, ați fost selectat! Premiul de 1000 lei vă așteaptă. Sunați acum la 0740 123 456.",
        "Вітаємо, ви виграли приз 5000 грн! Зателефонуйте зараз 0441234567.",
    ] {
        let a = sms(t);
        assert!(a.verdict >= Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn card_block_and_transaction_alerts_with_a_number_are_flagged() {
    for t in [
        "Dear customer, your debit card has been blocked. Contact customer care on +44 7700 900123 today.",
        "A transaction of EUR 450.00 was charged on your card. If this was not you call 0203 123 4567.",
        "Karta została zablokowana. Jeśli to nie ty, zadzwoń pod numer 600 123 456.",
        "Cardul a fost blocat. Dacă nu ați efectuat plata, sunați la numărul 0740 123 456.",
        "Вашу картку заблоковано. Якщо це були не ви, зателефонуйте 0441234567.",
    ] {
        let a = sms(t);
        assert!(a.verdict >= Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn requests_for_name_and_address_with_a_link_are_flagged() {
    let a = sms("Your mobile number has won. Send your name and address to claims@example-lotto.com");
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", codes(&a));
}

#[test]
fn ordinary_messages_stay_unflagged() {
    for t in [
        "Call me at 8 tonight, I'm free after work",
        "Can you call 600 123 456, it's the plumber's number",
        "I won the bet, you owe me a coffee :)",
        "Congrats on the new job! Let's celebrate on Friday",
        "Zadzwoń do mnie jak będziesz wolny, mam 2 bilety",
        "Sunați-mă după ora 18, sunt la birou",
        "Your parcel was delivered to the reception today.",
    ] {
        let a = sms(t);
        assert!(a.verdict < Verdict::Suspicious, "{t}: {:?}", codes(&a));
    }
}

#[test]
fn registry_numbers_are_no_call_to_action() {
    let a = sms("Podejrzany SMS? Prześlij go na numer 8080.");
    assert!(!codes(&a).contains(&"TEXT_TO_SHORT_CODE"), "{:?}", codes(&a));
    let a = sms("Infolinia NFZ: zadzwoń pod numer 800 190 590.");
    assert!(!codes(&a).contains(&"CALL_TO_ACTION_NUMBER"), "{:?}", codes(&a));
}
