//! Personal data out of reported text, before anything leaves the server.
//!
//! Replaced with a placeholder (`[PESEL]`, `[CNP]`, `[IBAN]`, `[CARD]`, `[EMAIL]`, `[PHONE]`,
//! `[NAME]`, `[CONTACT]`): national identifiers that pass their checksum (PESEL, CNP), bank
//! accounts that pass mod-97 (IBAN, and the Polish 26-digit NRB), card numbers that pass
//! Luhn, e-mail addresses and phone numbers of reporters and victims (every one that is not
//! among the criminals' indicators or the registry's official channels, see [`Keep`]), names
//! after a salutation ("Szanowny Panie Jan Kowalski", "Stimate domnule Ion Popescu", "Dear
//! John Smith") and wherever else the same name appears, and the reporter's contact.
//! Numbers that fail their checksum are left: they identify nobody.

use crate::indicators::{Extracted, IndicatorKind};
use healthguard_core::phones;
use regex::Regex;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pii {
    /// Polish national identification number.
    Pesel,
    /// Romanian personal numeric code.
    Cnp,
    /// Bank account (IBAN or Polish NRB).
    Iban,
    /// Payment card number.
    Card,
    /// A reporter's or victim's e-mail address.
    Email,
    /// A reporter's or victim's phone number.
    Phone,
    /// A person's name.
    Name,
    /// The reporter's contact.
    Contact,
}

impl Pii {
    /// The placeholder written in its place.
    pub fn placeholder(self) -> &'static str {
        match self {
            Pii::Pesel => "[PESEL]",
            Pii::Cnp => "[CNP]",
            Pii::Iban => "[IBAN]",
            Pii::Card => "[CARD]",
            Pii::Email => "[EMAIL]",
            Pii::Phone => "[PHONE]",
            Pii::Name => "[NAME]",
            Pii::Contact => "[CONTACT]",
        }
    }
}

/// A redacted text and what was taken out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redacted {
    /// The text with placeholders.
    pub text: String,
    /// How many of each kind were replaced.
    pub found: BTreeMap<Pii, usize>,
}

/// Addresses and numbers that stay: the criminals' indicators and official channels.
#[derive(Debug, Clone, Default)]
pub struct Keep {
    emails: HashSet<String>,
    phones: HashSet<String>,
    /// Region for national phone numbers (`PL`, `RO`, `GB`).
    region: &'static str,
    /// The reporter's contact as given.
    contact: Option<String>,
}

impl Keep {
    /// What stays in the text of a report with these extracted indicators; `contact` is the
    /// reporter's (always redacted).
    pub fn of(x: &Extracted, institution: Option<&str>, contact: Option<&str>) -> Keep {
        let mut k = Keep {
            region: crate::indicators::region_of(institution),
            contact: contact.map(str::trim).filter(|c| c.len() >= 3).map(str::to_string),
            ..Keep::default()
        };
        for i in &x.indicators {
            match i.kind {
                IndicatorKind::Email => {
                    k.emails.insert(i.value.clone());
                }
                IndicatorKind::Phone => {
                    k.phones.insert(i.value.clone());
                }
                _ => {}
            }
        }
        for o in &x.official {
            if o.contains('@') {
                k.emails.insert(o.clone());
            } else if o.starts_with('+') {
                k.phones.insert(o.clone());
            }
        }
        for p in &x.personal {
            k.emails.remove(p);
            k.phones.remove(p);
        }
        k
    }
}

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b").expect("valid regex")
});
static NRB: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d{2}(?:[ ]?\d{4}){6}\b").expect("valid regex"));
static DIGITS13: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d{13}\b").expect("valid regex"));
static DIGITS11: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d{11}\b").expect("valid regex"));
static CARD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").expect("valid regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}").expect("valid regex"));
/// A salutation, then one to three capitalised words on the same line.
static SALUTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b(?i:
            (?:szanown[yaie]|drog[iaie]|witaj|witam|dzie[nń][\t\x20]+dobry|cze[sś][cć])(?:[\t\x20]+(?:pan(?:ie|i)?|pa[nń]stwo))?
          | (?:stimat[eăa]|dragă|draga|dragi|bun[ăa][\t\x20]+ziua|salut)(?:[\t\x20]+(?:domnule|doamn[ăa]|domni[șs]oar[ăa]|dl\.?|dna\.?))?
          | (?:dear|hello|hi)(?:[\t\x20]+(?:mr|mrs|ms|miss|dr)\.?)?
          | (?:шановн(?:ий|а|і)|дорог(?:ий|а)|вітаю)(?:[\t\x20]+(?:пане|пані))?
        )
        [\t\x20]+
        (\p{Lu}[\p{Ll}'’-]+(?:[\t\x20]+\p{Lu}[\p{Ll}'’-]+){0,2})
        ",
    )
    .expect("valid regex")
});
/// Capitalised words after a salutation that address a role, not a person (lower case).
const NOT_NAMES: &[&str] = &[
    "customer",
    "client",
    "patient",
    "user",
    "sir",
    "madam",
    "member",
    "valued",
    "beneficiary",
    "colleague",
    "team",
    "all",
    "pacjencie",
    "pacjentko",
    "kliencie",
    "klientko",
    "użytkowniku",
    "ubezpieczony",
    "ubezpieczona",
    "świadczeniobiorco",
    "państwo",
    "panie",
    "pani",
    "doktorze",
    "beneficiarule",
    "beneficiar",
    "asigurat",
    "asiguratule",
    "clientule",
    "client",
    "utilizator",
    "utilizatorule",
    "pacient",
    "pacientule",
    "domnule",
    "doamnă",
    "пацієнте",
    "клієнте",
    "користувачу",
    "колего",
];

/// Redacts `text`.
pub fn redact(text: &str, keep: &Keep) -> Redacted {
    let mut found: BTreeMap<Pii, usize> = BTreeMap::new();
    let mut text = text.to_string();
    if let Some(c) = &keep.contact {
        let n = text.matches(c.as_str()).count();
        if n > 0 {
            text = text.replace(c.as_str(), Pii::Contact.placeholder());
            *found.entry(Pii::Contact).or_default() += n;
        }
    }
    text = replace_checked(&text, &IBAN, Pii::Iban, &mut found, iban_ok);
    text = replace_checked(&text, &NRB, Pii::Iban, &mut found, |m| iban_ok(&format!("PL{m}")));
    text = replace_checked(&text, &DIGITS13, Pii::Cnp, &mut found, cnp_ok);
    text = replace_checked(&text, &DIGITS11, Pii::Pesel, &mut found, pesel_ok);
    text = replace_checked(&text, &CARD, Pii::Card, &mut found, luhn_ok);
    text = replace_checked(&text, &EMAIL, Pii::Email, &mut found, |m| {
        !keep.emails.contains(&m.to_lowercase())
    });
    let personal_phones: Vec<String> = phones::extract(&text, keep.region)
        .into_iter()
        .filter(|p| !keep.phones.contains(&p.e164))
        .map(|p| p.raw)
        .collect();
    for raw in personal_phones {
        let n = text.matches(raw.as_str()).count();
        text = text.replace(raw.as_str(), Pii::Phone.placeholder());
        *found.entry(Pii::Phone).or_default() += n;
    }
    let (named, n) = names(&text);
    if n > 0 {
        *found.entry(Pii::Name).or_default() += n;
    }
    Redacted { text: named, found }
}

/// Names after salutations, and the same names anywhere else in `text`, replaced with
/// `[NAME]`; returns the text and how many were replaced.
pub fn names(text: &str) -> (String, usize) {
    let mut found: Vec<String> = Vec::new();
    for c in SALUTATION.captures_iter(text).take(20) {
        let Some(m) = c.get(1) else { continue };
        let words: Vec<&str> = m.as_str().split_whitespace().collect();
        let named: Vec<&str> = words
            .iter()
            .copied()
            .take_while(|w| !NOT_NAMES.contains(&w.to_lowercase().as_str()))
            .collect();
        if named.len() == words.len() && !found.iter().any(|f| f == m.as_str()) {
            found.push(m.as_str().to_string());
        }
    }
    // Longest first, so "Jan Kowalski" goes before a later "Jan".
    found.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = text.to_string();
    let mut n = 0;
    for name in found {
        n += out.matches(name.as_str()).count();
        out = out.replace(name.as_str(), Pii::Name.placeholder());
    }
    (out, n)
}

fn replace_checked(
    text: &str,
    re: &Regex,
    kind: Pii,
    found: &mut BTreeMap<Pii, usize>,
    check: impl Fn(&str) -> bool,
) -> String {
    re.replace_all(text, |c: &regex::Captures| {
        let m = c.get(0).map_or("", |m| m.as_str());
        if check(m) {
            *found.entry(kind).or_default() += 1;
            kind.placeholder().to_string()
        } else {
            m.to_string()
        }
    })
    .into_owned()
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// PESEL: weights 1-3-7-9, check digit, and a real month (with the century offset).
pub fn pesel_ok(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 11 || s.chars().count() != 11 {
        return false;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = d.iter().zip(W).map(|(a, w)| a * w).sum();
    let month = (d[2] * 10 + d[3]) % 20;
    let day = d[4] * 10 + d[5];
    (10 - sum % 10) % 10 == d[10] && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// CNP: first digit 1–9, weights 279146358279, remainder 10 written as 1, a real month.
pub fn cnp_ok(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 13 || s.chars().count() != 13 || d[0] == 0 {
        return false;
    }
    const W: [u32; 12] = [2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9];
    let r = d.iter().zip(W).map(|(a, w)| a * w).sum::<u32>() % 11;
    let month = d[3] * 10 + d[4];
    (if r == 10 { 1 } else { r }) == d[12] && (1..=12).contains(&month)
}

/// IBAN mod-97 (ISO 13616) on the compact form.
pub fn iban_ok(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) || !compact.is_ascii() {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Luhn on 13 to 19 digits.
pub fn luhn_ok(s: &str) -> bool {
    let d = digits(s);
    if !(13..=19).contains(&d.len()) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                if x * 2 > 9 {
                    x * 2 - 9
                } else {
                    x * 2
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::extract;
    use crate::official::Official;
    use crate::Report;

    fn run(kind: &str, message: &str, contact: Option<&str>) -> Redacted {
        let r = Report {
            kind: kind.into(),
            institution: Some("pl.nfz".into()),
            message: message.as_bytes().to_vec(),
            contact: contact.map(Into::into),
            ..Report::default()
        };
        let x = extract(&r, &Official::from_registry(healthguard_registry::builtin()));
        redact(&x.text, &Keep::of(&x, r.institution.as_deref(), contact))
    }

    #[test]
    fn checksums() {
        assert!(pesel_ok("44051401359"));
        assert!(!pesel_ok("44051401358"));
        assert!(cnp_ok("1800101221144"));
        assert!(!cnp_ok("1800101221145"));
        assert!(iban_ok("PL61 1090 1014 0000 0712 1981 2874"));
        assert!(iban_ok("RO49AAAA1B31007593840000"));
        assert!(!iban_ok("PL61109010140000071219812875"));
        assert!(luhn_ok("4111 1111 1111 1111"));
        assert!(!luhn_ok("4111 1111 1111 1112"));
        assert!(!iban_ok("ŻŻ"));
    }

    #[test]
    fn polish_message_with_every_kind() {
        let msg = "Szanowny Panie Jan Kowalski, zwrot dla PESEL 44051401359 na konto \
                   PL61 1090 1014 0000 0712 1981 2874. Potwierdz karta 4111 1111 1111 1111 na nfz-zwrot.pl \
                   lub zadzwon +48 600 111 333. Twoj numer +48 600 999 000, Twoj adres jan.kowalski@example.com. \
                   Pozdrawiamy, kontakt: zwroty@nfz-zwrot.pl. Zglosil: reporter@example.org. Jan Kowalski.";
        let r = run("sms", msg, Some("reporter@example.org"));
        for gone in [
            "Jan",
            "Kowalski",
            "44051401359",
            "1090 1014",
            "4111",
            "600 999 000",
            "jan.kowalski",
            "reporter@",
        ] {
            assert!(!r.text.contains(gone), "{gone} left in {}", r.text);
        }
        for kept in ["nfz-zwrot.pl", "+48 600 111 333", "zwroty@nfz-zwrot.pl"] {
            assert!(r.text.contains(kept), "{kept} lost from {}", r.text);
        }
        for kind in [
            Pii::Pesel,
            Pii::Iban,
            Pii::Card,
            Pii::Phone,
            Pii::Email,
            Pii::Name,
            Pii::Contact,
        ] {
            assert!(r.found.contains_key(&kind), "{kind:?} not counted: {:?}", r.found);
        }
        assert_eq!(r.found.get(&Pii::Name), Some(&2), "both occurrences of the name");
    }

    #[test]
    fn romanian_and_english_messages() {
        let r = run(
            "text",
            "Stimate domnule Ion Popescu, CNP 1800101221144, contul RO49 AAAA 1B31 0075 9384 0000 va fi blocat.",
            None,
        );
        assert!(
            !r.text.contains("Popescu") && !r.text.contains("1800101221144") && !r.text.contains("AAAA"),
            "{}",
            r.text
        );
        assert!(r.text.contains("[CNP]") && r.text.contains("[IBAN]") && r.text.contains("[NAME]"));
        let r = run("text", "Dear John Smith, your account is locked.", None);
        assert_eq!(r.text, "Dear [NAME], your account is locked.");
        let r = run("text", "Visit Delhi Mumbai and this Tom", None);
        assert_eq!(
            r.text, "Visit Delhi Mumbai and this Tom",
            "a salutation is a whole word"
        );
        let r = run("text", "Шановний пане Тарас Шевченко, ваш рахунок заблоковано.", None);
        assert!(!r.text.contains("Шевченко"), "{}", r.text);
    }

    #[test]
    fn roles_and_bad_checksums_are_left() {
        let text = "Dear Customer, Szanowny Kliencie, Stimate client, numer 44051401358, karta 4111 1111 1111 1112";
        let r = run("text", text, None);
        assert_eq!(r.text, text);
        assert!(r.found.is_empty());
    }

    #[test]
    fn official_channels_stay() {
        let r = run(
            "text",
            "Infolinia NFZ 800 190 590, nie podawaj danych na nfz-zwrot.pl",
            None,
        );
        assert!(r.text.contains("800 190 590"), "{}", r.text);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = redact(&s, &Keep::default());
        }
    }
}
