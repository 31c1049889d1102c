//! Shapes of SMS lures that phrases alone miss: a request to call or text a number given in
//! the message, "text WORD to 12345" (premium short codes), "reply STOP" opt-out bait, money
//! amounts, and a request to open a link.
//!
//! Each is a weak signal by itself; `data/scores.toml` weighs them and combines them with
//! lures in composites. Matching runs over folded text (lower case, no diacritics,
//! punctuation as single spaces) so that `Zadzwoń`, `zadzwon` and `ZADZWOŃ` are alike.

use crate::analysis::Finding;
use crate::fold::Folded;
use regex::Regex;
use std::sync::LazyLock;

/// Verbs that ask the reader to call or contact a number (en, pl, ro, uk), then up to four
/// words, then the number.
static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \ (?:call|calls|calling|dial|ring|phone|ph|tel|telephone|contact|helpline|hotline|whatsapp
          |zadzwon|zadzwonic|zadzwoncie|dzwon|oddzwon|kontakt
          |sunati|suna|sunat|apelati|apeleaza|contactati|contacteaza
          |зателефонуйте|телефонуйте|подзвоніть|дзвоніть|зателефонуй|телефон|тел)
        ((?:\ [^\ \d]+){0,6}?)
        \ (\d+(?:\ \d+){0,4})(?:\ |$)",
    )
    .expect("valid regex")
});

/// "text WORD to 12345", "wyślij SMS o treści X na numer 7123", "trimite X la 1234".
static TEXT_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \ (?:txt|text|send|sms|reply|wyslij|odpisz|trimite|trimiteti|raspunde|надішліть|відправте|напишіть)
        (?:\ [^\ \d]+){0,5}?
        \ (?:to|on|na|la|на)(?:\ (?:nr|numer|numarul|no|number|номер))?
        \ (\d{4,6})(?:\ |$)",
    )
    .expect("valid regex")
});

/// "reply STOP", "text STOP", "STOP to opt out", "wyślij STOP".
static STOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \ (?:(?:reply|text|txt|send|sms|wyslij|trimite|raspunde|надішліть)\ stop
          |stop\ (?:to|2)\ (?:opt\ out|unsubscribe|end|cancel)
          |opt\ out\ reply|to\ opt\ out|to\ unsubscribe)(?:\ |$)",
    )
    .expect("valid regex")
});

/// Requests to open a link (checked only when the message holds a link).
static OPEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \ (?:click|tap|follow\ (?:the|this)\ link|visit|go\ to|goto|open\ the\ link|log\ in\ at|login\ at
          |kliknij|wejdz|przejdz|odwiedz|otworz\ link|zaloguj\ sie\ na
          |apasa|apasati|acceseaza|accesati|intrati\ pe|intra\ pe|click\ pe
          |натисніть|перейдіть|відкрийте|зайдіть)(?:\ |$)",
    )
    .expect("valid regex")
});

/// Money amounts in the original text: a currency sign or code next to a number, before it
/// (`£1,500`, `EUR 20`) or after it, as most of Europe writes them (`470 €`, `1 250 Kč`).
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        (?:[£$€¥₹]|(?-u:\b)(?:rs|inr|usd|aud|eur|gbp|pln|ron|uah|chf|czk)\.?)\ ?\d[\d.,]*
        | \d(?:[\d.,]|\ \d{3})*\ ?(?:[€£$]
            |(?:zł|zl|pln|lei|ron|eur|euro|euros|usd|gbp|pounds|dollars|kč|kc|czk|chf|грн|гривень)(?:[^\p{L}\p{N}]|$))",
    )
    .expect("valid regex")
});

/// Findings for calls to action and money in a message. `has_link`: the message holds a
/// link; `official(number)`: the number belongs to the registry (then asking to call it is
/// no lure).
pub fn findings(text: &str, folded: &Folded, has_link: bool, official: impl Fn(&str) -> bool) -> Vec<Finding> {
    let f = folded.text.as_str();
    let shown = |start: usize, end: usize| folded.original(text, start, end).to_string();
    let mut out = Vec::new();
    let digits = f.bytes().filter(u8::is_ascii_digit).count();
    if digits >= 7 {
        for c in CALL.captures_iter(f) {
            let (Some(all), Some(number)) = (c.get(0), c.get(2)) else {
                continue;
            };
            // Several numbers may follow one another ("+44 … +44 …", "0800 … / 0800 …"): take
            // digit groups up to a '+', a comma, a slash or a letter, and at most 15 digits.
            let (mut n, mut end) = (String::new(), number.start());
            for group in number.as_str().split(' ') {
                let start = if n.is_empty() { end } else { end + 1 };
                if !n.is_empty() {
                    let gap = &text[folded.origin_of(end, text.len())..folded.origin_of(start, text.len())];
                    if gap.contains(|c: char| "+,/;".contains(c) || c.is_alphabetic()) {
                        break;
                    }
                }
                if n.len() + group.len() > 15 {
                    break;
                }
                n.push_str(group);
                end = start + group.len();
            }
            if (7..=15).contains(&n.len()) && !official(&n) {
                out.push(Finding::new("CALL_TO_ACTION_NUMBER", shown(all.start() + 1, end)));
                break;
            }
        }
    }
    if digits >= 4 {
        for c in TEXT_TO.captures_iter(f) {
            let (Some(all), Some(number)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if !official(number.as_str()) {
                out.push(Finding::new("TEXT_TO_SHORT_CODE", shown(all.start() + 1, number.end())));
                break;
            }
        }
    }
    let stop_words = f.contains(" stop ") || f.contains(" opt out ") || f.contains(" unsubscribe ");
    if let Some(m) = STOP.find(f).filter(|_| stop_words) {
        out.push(Finding::new("UNSUBSCRIBE_BAIT", shown(m.start() + 1, m.end())));
    }
    if has_link {
        if let Some(m) = OPEN.find(f) {
            out.push(Finding::new("OPEN_LINK_REQUEST", shown(m.start() + 1, m.end())));
        }
    }
    if let Some(amount) = money(text) {
        out.push(Finding::new("MONEY_AMOUNT", amount));
    }
    out
}

/// The first money amount in the original text, as written.
pub fn money(text: &str) -> Option<&str> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    MONEY.find(text).map(|m| {
        m.as_str()
            .trim_end_matches(|c: char| !c.is_alphanumeric() && !"€£$".contains(c))
            .trim()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    fn shapes(text: &str, has_link: bool) -> Vec<(String, String)> {
        findings(text, &fold(text), has_link, |n| n == "8080")
            .into_iter()
            .filter(|f| f.code != "MONEY_AMOUNT")
            .map(|f| (f.code, f.evidence))
            .collect()
    }

    fn codes(text: &str, has_link: bool) -> Vec<String> {
        shapes(text, has_link).into_iter().map(|(c, _)| c).collect()
    }

    // Examples below were written by the project.

    #[test]
    fn calls_to_action_with_a_number() {
        assert_eq!(
            shapes(
                "Your card is on hold. Call our team now on 0800 123 4567 to unlock.",
                false
            ),
            vec![(
                "CALL_TO_ACTION_NUMBER".to_string(),
                "Call our team now on 0800 123 4567".to_string()
            )]
        );
        assert_eq!(
            codes("Zadzwoń pod numer 600 123 456, aby odebrać paczkę", false),
            vec!["CALL_TO_ACTION_NUMBER"]
        );
        assert_eq!(
            codes("Sunați acum la 0740 123 456", false),
            vec!["CALL_TO_ACTION_NUMBER"]
        );
        assert_eq!(
            codes("Зателефонуйте 0441234567 негайно", false),
            vec!["CALL_TO_ACTION_NUMBER"]
        );
        // Times, counts and plain talk about calling are not numbers to call.
        assert!(codes("Call me at 8 tonight, I have 2 tickets", false).is_empty());
        assert!(codes("I will call you later, my number changed", false).is_empty());
    }

    #[test]
    fn text_a_word_to_a_short_code() {
        assert_eq!(
            shapes("Hurry! Text GOLD to 12345 for your chance", false),
            vec![("TEXT_TO_SHORT_CODE".to_string(), "Text GOLD to 12345".to_string())]
        );
        assert_eq!(
            codes("Wyślij SMS o treści NAGRODA na numer 71234", false),
            vec!["TEXT_TO_SHORT_CODE"]
        );
        assert_eq!(codes("Trimite DA la 1234 acum", false), vec!["TEXT_TO_SHORT_CODE"]);
        assert!(codes("Send it to me at 5 pm", false).is_empty());
        // Numbers of the registry (here 8080, for reporting) are no lure.
        assert!(codes("Prześlij SMS na numer 8080", false).is_empty());
    }

    #[test]
    fn opt_out_bait() {
        assert_eq!(
            codes("Free gift inside! Reply STOP to end", false),
            vec!["UNSUBSCRIBE_BAIT"]
        );
        assert_eq!(
            codes("Offer ends soon. Txt stop 2 opt out", false),
            vec!["UNSUBSCRIBE_BAIT"]
        );
        assert!(codes("Please stop by the shop tomorrow", false).is_empty());
    }

    #[test]
    fn link_requests_only_with_a_link() {
        assert_eq!(
            codes("Click here to track your parcel: example.com/t", true),
            vec!["OPEN_LINK_REQUEST"]
        );
        assert_eq!(codes("Kliknij w link: example.pl/x", true), vec!["OPEN_LINK_REQUEST"]);
        assert!(codes("Click here to track your parcel", false).is_empty());
    }

    #[test]
    fn money_amounts() {
        assert_eq!(money("You won £1,500 today"), Some("£1,500"));
        assert_eq!(money("Masz zwrot 312 zł"), Some("312 zł"));
        assert_eq!(money("Ai de primit 450 lei"), Some("450 lei"));
        assert_eq!(money("Claim Rs.5,000 now"), Some("Rs.5,000"));
        assert_eq!(money("Ihre Rückerstattung ist bereit. 470 €."), Some("470 €"));
        assert_eq!(money("Paga 2,90€ per la spedizione"), Some("2,90€"));
        assert_eq!(money("Vrácení přeplatku 1 250 Kč"), Some("1 250 Kč"));
        assert_eq!(money("See you at 5, bring 2 friends"), None);
    }
}
