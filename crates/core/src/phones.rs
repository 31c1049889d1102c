//! Phone numbers in text or as a sender: found, parsed and normalised to E.164 with
//! libphonenumber's data (the `phonenumber` crate), and classified.

use phonenumber::{country::Id, PhoneNumber, Type};
use regex::Regex;
use std::sync::LazyLock;

/// A phone number found and parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneHit {
    /// As written.
    pub raw: String,
    /// E.164 form, or the digits of a short code.
    pub e164: String,
    /// ISO country of the number, when known.
    pub region: Option<String>,
    /// Whether libphonenumber considers it a valid number.
    pub valid: bool,
    /// Premium-rate (expensive) number.
    pub premium: bool,
    /// A UK 0871-0873 number: not premium rate, but the caller pays a service charge to the
    /// number's owner on top of the call (Ofcom's "service numbers"), the way prize and
    /// chat-line texts are paid for.
    pub service_charge: bool,
}

static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+|(?-u:\b)00)?\(?\d[\d \-.()/]{6,18}\d(?-u:\b)").expect("valid regex"));

/// Patterns kept compiled by libphonenumber's regex cache.
const REGEX_CACHE: usize = 4096;

/// libphonenumber compiles its patterns on demand into one LRU cache of 100 regexes
/// (`phonenumber::metadata::DATABASE`). A country code shared by several regions (+1, +44,
/// +7) walks more patterns than that for one number, so they were compiled again on every
/// lookup; with a larger cache each pattern is compiled once. Same patterns, same answers.
fn widen_regex_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            if cache.capacity() < REGEX_CACHE {
                cache.set_capacity(REGEX_CACHE);
            }
        }
    });
}

/// Parses one number as written, with `default_region` (e.g. `PL`) for national forms.
pub fn parse(raw: &str, default_region: &str) -> Option<PhoneHit> {
    let compact: String = raw.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    if compact.is_empty() {
        return None;
    }
    let digits = compact.trim_start_matches('+');
    if !compact.starts_with('+') && !compact.starts_with("00") && (3..=6).contains(&digits.len()) {
        return Some(PhoneHit {
            raw: raw.to_string(),
            e164: digits.to_string(),
            region: Some(default_region.to_string()),
            valid: true,
            premium: false,
            service_charge: false,
        });
    }
    let normalized = match compact.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => compact.clone(),
    };
    widen_regex_cache();
    let region: Option<Id> = default_region.parse().ok();
    let number: PhoneNumber = phonenumber::parse(region, &normalized).ok()?;
    // One type lookup answers both questions: libphonenumber's validity is "the type is
    // known" for the same metadata (each lookup runs several cached regexes).
    let kind = number.number_type(&phonenumber::metadata::DATABASE);
    // (The crate's type lookup drops leading zeros of the national number, its validity
    // check keeps them: for such numbers, e.g. Italian fixed lines, ask the check itself.)
    let valid = if number.national().zeros() > 0 {
        phonenumber::is_valid(&number)
    } else {
        kind != Type::Unknown
    };
    // UK 0870-0873 are business "non-geographic" lines (call centres, airlines, councils)
    // that libphonenumber files as premium rate; the premium-rate scam range is 09. Of them
    // 0871-0873 carry a service charge paid to the number's owner (Ofcom, "Calling 08
    // numbers"): a weak sign, weighed apart.
    let national = number.national().value();
    let uk = number.code().value() == 44;
    let uk_087 = uk && (8_700_000_000..8_800_000_000).contains(&national);
    let premium = kind == Type::PremiumRate && !uk_087;
    let service_charge = uk && (8_710_000_000..8_740_000_000).contains(&national);
    Some(PhoneHit {
        raw: raw.to_string(),
        // E.164 is "+", the country code and the national number; the crate's formatter
        // looks up national formatting rules first, which E.164 does not use.
        e164: format!("+{}{}", number.code().value(), number.national()),
        region: number.country().id().map(|id| id.as_ref().to_string()),
        valid,
        premium,
        service_charge,
    })
}

/// A number as people read and dial it: `(shown, dialled)`, e.g. `("+48 800 190 590",
/// "+48800190590")`. Short codes (`8080`) and numbers libphonenumber cannot read are shown
/// as written and dialled as their digits.
pub fn for_humans(number: &str) -> (String, String) {
    let dial: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    if !dial.starts_with('+') {
        return (number.trim().to_string(), dial);
    }
    widen_regex_cache();
    match phonenumber::parse(None, &dial) {
        Ok(n) if phonenumber::is_valid(&n) => (
            n.format().mode(phonenumber::Mode::International).to_string(),
            format!("+{}{}", n.code().value(), n.national()),
        ),
        _ => (number.trim().to_string(), dial),
    }
}

/// Phone numbers in free text. To keep amounts, dates, PESEL/CNP and card numbers out, a
/// candidate must be international (`+…`, `00…`) or have the length of a national number of
/// the default region (9 digits in Poland; 10 starting with 0 in Romania; 10–11 starting with
/// 0 in the United Kingdom, the region assumed for English text).
pub fn extract(text: &str, default_region: &str) -> Vec<PhoneHit> {
    let mut out: Vec<PhoneHit> = Vec::new();
    if text.bytes().filter(u8::is_ascii_digit).count() < 7 {
        return out;
    }
    for m in CANDIDATE.find_iter(text) {
        let raw = m.as_str().trim();
        let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
        let international = raw.starts_with('+') || raw.starts_with("00");
        let national = match default_region {
            "PL" => digits.len() == 9 && !digits.starts_with('0'),
            "RO" => digits.len() == 10 && digits.starts_with('0'),
            "GB" => (10..=11).contains(&digits.len()) && digits.starts_with('0'),
            _ => false,
        };
        if !(international || national) || has_decimal_shape(raw) {
            continue;
        }
        if let Some(hit) = parse(raw, default_region) {
            if hit.valid && !out.iter().any(|h| h.e164 == hit.e164) {
                out.push(hit);
            }
        }
    }
    out
}

/// `1.282,82` or `12.30`: an amount or a time, not a phone number.
fn has_decimal_shape(raw: &str) -> bool {
    raw.contains(',')
        || raw
            .split(['.', ' '])
            .any(|g| g.len() == 2 && raw.contains('.') && raw.len() < 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_grouped_and_dialled_compact() {
        assert_eq!(
            for_humans("+48800190590"),
            ("+48 800 190 590".to_string(), "+48800190590".to_string())
        );
        assert_eq!(
            for_humans("+48 573 205 962"),
            ("+48 573 205 962".to_string(), "+48573205962".to_string())
        );
        assert_eq!(for_humans("8080"), ("8080".to_string(), "8080".to_string()));
    }

    #[test]
    fn parses_national_and_international_forms() {
        assert_eq!(parse("800 190 590", "PL").unwrap().e164, "+48800190590");
        assert_eq!(parse("+48 573 205 962", "RO").unwrap().e164, "+48573205962");
        assert_eq!(parse("0048573205962", "RO").unwrap().e164, "+48573205962");
        assert_eq!(parse("0800 800 950", "RO").unwrap().e164, "+40800800950");
        assert_eq!(parse("8080", "PL").unwrap().e164, "8080");
    }

    #[test]
    fn flags_premium_rate() {
        let p = parse("+48 703 123 456", "PL").unwrap();
        assert!(p.premium, "{p:?}");
        assert!(!parse("+48 600 123 456", "PL").unwrap().premium);
        // Validity from the single type lookup agrees with libphonenumber's own check.
        for raw in [
            "+48 600 123 456",
            "+44 20 7946 0958",
            "+40 740 123 456",
            "+39 06 1234 5678",
            "+48 123",
            "+44 1234",
        ] {
            if let Ok(n) = phonenumber::parse(None, raw) {
                let hit = parse(raw, "PL").unwrap();
                assert_eq!(hit.valid, phonenumber::is_valid(&n), "{raw}");
                assert_eq!(hit.e164, n.format().mode(phonenumber::Mode::E164).to_string(), "{raw}");
            }
        }
    }

    #[test]
    fn extracts_from_text_without_amounts_or_ids() {
        let hits = extract(
            "Zadzwoń 600-123-456 lub +44 20 7946 0958. Kwota 1 282,82 zł, PESEL 85010112345",
            "PL",
        );
        let numbers: Vec<&str> = hits.iter().map(|h| h.e164.as_str()).collect();
        assert_eq!(numbers, vec!["+48600123456", "+442079460958"]);
        assert_eq!(hits[1].region.as_deref(), Some("GB"));
    }

    #[test]
    fn finds_british_premium_numbers_in_english_text() {
        let hits = extract("To claim call 09061701462. Claim code KL345.", "GB");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].premium);
    }

    #[test]
    fn british_087_business_lines_are_not_premium_rate() {
        // Written by the project: a call-centre line and a 09 premium-rate line.
        let hits = extract("Reservations: 0871 246 0000. Prize line: 0906 170 1462.", "GB");
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert!(!hits[0].premium, "{hits:?}");
        assert!(hits[1].premium, "{hits:?}");
    }

    #[test]
    fn british_0871_to_0873_lines_carry_a_service_charge_and_0870_does_not() {
        // Written by the project.
        let hits = extract("Call 0871 246 0000 or 0870 246 0000 or 020 7946 0000.", "GB");
        assert_eq!(hits.len(), 3, "{hits:?}");
        let charged: Vec<bool> = hits.iter().map(|h| h.service_charge).collect();
        assert_eq!(charged, [true, false, false], "{hits:?}");
        assert!(hits.iter().all(|h| !h.premium), "{hits:?}");
    }
}
