//! Which of the supported languages a message is written in.
//!
//! Cheap evidence first (script, letters only one language has, common function words of
//! one language), then a trigram model (`whatlang`, restricted to pl/ro/en/uk) on a bounded
//! prefix, then lure phrases matched in one language's lexicon. The trigram model is the
//! costly step; most messages are decided before it.

use healthguard_registry::Lang;
use whatlang::{Detector, Lang as W};

/// Bytes of text given to the trigram model: enough to tell four languages apart.
const TRIGRAM_PREFIX: usize = 400;

/// Short words frequent in one of pl/ro/en and rare in the others (words shared by two of
/// them, such as "to", "do", "o", "i", "a", are left out).
const FUNCTION_WORDS: [(Lang, &[&str]); 3] = [
    (
        Lang::En,
        &[
            "the", "and", "you", "your", "of", "is", "are", "for", "with", "have", "has", "this", "that", "will", "be",
            "please", "we", "our", "on", "it", "now", "me", "my", "at", "from", "was", "u", "ur",
        ],
    ),
    (
        Lang::Pl,
        &[
            "w", "z", "na", "nie", "sie", "jest", "ze", "po", "dla", "od", "przez", "jak", "ale", "czy", "pan", "pani",
            "jesli", "twoje", "twoj", "tylko", "juz", "bedzie", "jestem", "mam", "prosimy", "oraz",
        ],
    ),
    (
        Lang::Ro,
        &[
            "si",
            "in",
            "de",
            "la",
            "cu",
            "pe",
            "nu",
            "este",
            "sa",
            "un",
            "pentru",
            "va",
            "sunt",
            "din",
            "care",
            "ati",
            "dumneavoastra",
            "mai",
            "acest",
            "aceasta",
            "sau",
            "vor",
            "fost",
        ],
    ),
];

/// A language whose function words clearly outnumber the others' (at least two, and twice
/// the runner-up), in the first few hundred bytes.
fn by_function_words(text: &str) -> Option<Lang> {
    let mut counts = [0usize; 3];
    for word in crate::fold::prefix(text, TRIGRAM_PREFIX)
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty() && w.len() <= 13)
    {
        // ASCII words are lower-cased on the stack (the function words are ASCII; other
        // words take the full Unicode lower-casing, which may also give ASCII: "K" → "k").
        let mut buf = [0u8; 13];
        let heap;
        let lower: &str = if word.is_ascii() {
            buf[..word.len()].copy_from_slice(word.as_bytes());
            buf[..word.len()].make_ascii_lowercase();
            std::str::from_utf8(&buf[..word.len()]).unwrap_or_default()
        } else {
            heap = word.to_lowercase();
            &heap
        };
        for (i, (_, words)) in FUNCTION_WORDS.iter().enumerate() {
            if words.contains(&lower) {
                counts[i] += 1;
            }
        }
    }
    let (best, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    let runner_up = counts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    (n >= 2 && n >= 2 * runner_up).then_some(FUNCTION_WORDS[best].0)
}

/// Detects the language of `text`, `None` when there is too little to go on.
/// `lexicon_votes` counts lure phrases matched per language.
pub fn detect(text: &str, lexicon_votes: &[(Lang, usize)]) -> Option<Lang> {
    let sample = crate::fold::prefix(text, 2_000);
    let (mut cyrillic, mut latin, mut pl, mut ro) = (0usize, 0usize, 0usize, 0usize);
    for c in sample.chars() {
        match c {
            '\u{0400}'..='\u{04FF}' => cyrillic += 1,
            'ą' | 'ę' | 'ł' | 'ś' | 'ź' | 'ż' | 'ć' | 'ń' | 'Ą' | 'Ę' | 'Ł' | 'Ś' | 'Ź' | 'Ż' | 'Ć' | 'Ń' => {
                pl += 1
            }
            'ă' | 'ș' | 'ş' | 'ț' | 'ţ' | 'Ă' | 'Ș' | 'Ş' | 'Ț' | 'Ţ' | 'î' | 'Î' | 'â' | 'Â' => ro += 1,
            c if c.is_ascii_alphabetic() => latin += 1,
            _ => {}
        }
    }
    if cyrillic > latin {
        return Some(Lang::Uk);
    }
    if pl > ro && pl > 0 {
        return Some(Lang::Pl);
    }
    if ro > pl && ro > 0 {
        return Some(Lang::Ro);
    }
    if let Some(lang) = by_function_words(sample) {
        return Some(lang);
    }
    let detector = Detector::with_allowlist(vec![W::Pol, W::Ron, W::Eng, W::Ukr]);
    if let Some(info) = detector.detect(crate::fold::prefix(sample, TRIGRAM_PREFIX)) {
        if info.is_reliable() || info.confidence() > 0.5 {
            return Some(match info.lang() {
                W::Pol => Lang::Pl,
                W::Ron => Lang::Ro,
                W::Ukr => Lang::Uk,
                _ => Lang::En,
            });
        }
    }
    lexicon_votes
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map(|(l, _)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_four_languages() {
        assert_eq!(detect("Masz zwrot 312 zł, potwierdź dane", &[]), Some(Lang::Pl));
        assert_eq!(
            detect("Vă rugăm să trimiteți documentele pentru verificare", &[]),
            Some(Lang::Ro)
        );
        assert_eq!(
            detect("Your account has been suspended, please verify your details today", &[]),
            Some(Lang::En)
        );
        assert_eq!(detect("Ваш рахунок заблоковано, підтвердіть дані", &[]), Some(Lang::Uk));
    }

    // Examples written by the project.
    #[test]
    fn function_words_decide_plain_ascii_text() {
        assert_eq!(by_function_words("Call us now for your free gift"), Some(Lang::En));
        assert_eq!(
            by_function_words("Prosimy o kontakt, jesli nie jest to pan"),
            Some(Lang::Pl)
        );
        assert_eq!(by_function_words("Va rugam sa sunati pentru detalii"), Some(Lang::Ro));
        assert_eq!(by_function_words("NFZ 312"), None);
        // Upper case in any script: the Kelvin sign lower-cases to an ASCII "k".
        assert_eq!(by_function_words("JA\u{212A} NIE"), Some(Lang::Pl));
        assert_eq!(by_function_words("THE Youth AND"), Some(Lang::En));
        assert_eq!(
            detect("Prosimy o kontakt z przychodnia, jesli nie moze pan przyjsc", &[]),
            Some(Lang::Pl)
        );
    }

    #[test]
    fn falls_back_to_lexicon_votes() {
        assert_eq!(detect("xx", &[(Lang::Ro, 2), (Lang::Pl, 1)]), Some(Lang::Ro));
        assert_eq!(detect("", &[]), None);
    }
}
