//! Which of the supported languages a message is written in.
//!
//! Cheap evidence first (script, letters only one language has, lure phrases matched in
//! one language's lexicon), then a trigram model (`whatlang`) restricted to pl/ro/en/uk.

use healthguard_registry::Lang;
use whatlang::{Detector, Lang as W};

/// Detects the language of `text`, `None` when there is too little to go on.
/// `lexicon_votes` counts lure phrases matched per language.
pub fn detect(text: &str, lexicon_votes: &[(Lang, usize)]) -> Option<Lang> {
    let sample: String = text.chars().take(2_000).collect();
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
    let detector = Detector::with_allowlist(vec![W::Pol, W::Ron, W::Eng, W::Ukr]);
    if let Some(info) = detector.detect(&sample) {
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

    #[test]
    fn falls_back_to_lexicon_votes() {
        assert_eq!(detect("xx", &[(Lang::Ro, 2), (Lang::Pl, 1)]), Some(Lang::Ro));
        assert_eq!(detect("", &[]), None);
    }
}
