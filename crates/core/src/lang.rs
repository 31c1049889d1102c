//! Which of the supported languages a message is written in.
//!
//! Cheap evidence first (script, letters only one language has, common function words of
//! one language), then a trigram model (`whatlang`, restricted to the supported languages)
//! on a bounded prefix, then lure phrases matched in one language's lexicon. The trigram
//! model is the costly step; most messages are decided before it.

use healthguard_registry::Lang;
use whatlang::{Detector, Lang as W};

/// Bytes of text given to the trigram model: enough to tell the languages apart.
const TRIGRAM_PREFIX: usize = 400;

/// Short words frequent in one of the Latin-script languages and rare in the others. Words
/// shared by two of them ("to", "do", "o", "i", "a", "la", "de", "un", "in", "va", "que",
/// "con", "una", "le", "se", "es", "non") are left out, and so is any word that is also a word of another
/// language written without its diacritics ("sie" = Polish "się", "il" is kept: Romanian
/// "îl" without its hat is rare next to Romanian's own function words).
const FUNCTION_WORDS: [(Lang, &[&str]); 8] = [
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
            "cu",
            "pe",
            "nu",
            "este",
            "sa",
            "pentru",
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
    (
        Lang::Fr,
        &[
            "les", "des", "est", "et", "vous", "votre", "vos", "pour", "une", "sur", "pas", "avec", "nous", "dans",
            "du", "au", "aux", "sont", "merci", "cette", "ces", "mais", "leur",
        ],
    ),
    (
        Lang::De,
        &[
            "der", "die", "das", "und", "ist", "nicht", "mit", "ihre", "ihr", "ihren", "ein", "eine", "einen", "den",
            "dem", "zu", "auf", "bitte", "wir", "uns", "sich", "auch", "werden", "wird", "oder", "bei", "von", "im",
            "sind", "haben",
        ],
    ),
    (
        Lang::Es,
        &[
            "el", "los", "las", "y", "por", "para", "sus", "usted", "ustedes", "como", "esta", "hay", "pero", "muy",
            "gracias", "tiene", "puede", "nuestro", "nuestra",
        ],
    ),
    (
        Lang::It,
        &[
            "il", "di", "che", "per", "della", "dello", "sono", "gli", "questo", "questa", "alla", "nel", "dei",
            "delle", "essere", "anche", "suo", "sua", "grazie", "tuo", "tua", "vostro", "vostra",
        ],
    ),
    (
        Lang::Cs,
        &[
            "jsme", "jste", "jsou", "vas", "vam", "pro", "ktery", "ktera", "ktere", "nebo", "byl", "bude", "prosim",
            "dekujeme", "vase", "mate", "muzete", "uz",
        ],
    ),
];

/// A language whose function words clearly outnumber the others' (at least two, and twice
/// the runner-up), in the first few hundred bytes.
fn by_function_words(text: &str) -> Option<Lang> {
    let mut counts = [0usize; FUNCTION_WORDS.len()];
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

/// Languages told apart by letters only they use among the supported ones, in this order
/// of the counts below.
const LETTER_LANGS: [Lang; 7] = [Lang::Pl, Lang::Ro, Lang::Cs, Lang::De, Lang::Fr, Lang::Es, Lang::It];

/// The index in [`LETTER_LANGS`] of a letter that only one supported language uses.
/// Letters two of them share (é, è, à, á, í, ó, ú) say nothing and are left out.
fn letter_lang(c: char) -> Option<usize> {
    Some(match c {
        'ą' | 'ę' | 'ł' | 'ś' | 'ź' | 'ż' | 'ć' | 'ń' | 'Ą' | 'Ę' | 'Ł' | 'Ś' | 'Ź' | 'Ż' | 'Ć' | 'Ń' => {
            0
        }
        'ă' | 'ș' | 'ş' | 'ț' | 'ţ' | 'Ă' | 'Ș' | 'Ş' | 'Ț' | 'Ţ' | 'î' | 'Î' | 'â' | 'Â' => 1,
        'ě' | 'ř' | 'ů' | 'č' | 'š' | 'ž' | 'ď' | 'ť' | 'ň' | 'Ě' | 'Ř' | 'Ů' | 'Č' | 'Š' | 'Ž' | 'Ď' | 'Ť' | 'Ň' => {
            2
        }
        'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü' | 'ẞ' => 3,
        'ç' | 'œ' | 'ê' | 'û' | 'ë' | 'ï' | 'ô' | 'Ç' | 'Œ' | 'Ê' | 'Û' | 'Ë' | 'Ï' | 'Ô' => 4,
        'ñ' | '¿' | '¡' | 'Ñ' => 5,
        'ì' | 'ò' | 'Ì' | 'Ò' => 6,
        _ => return None,
    })
}

/// Detects the language of `text`, `None` when there is too little to go on.
/// `lexicon_votes` counts lure phrases matched per language.
pub fn detect(text: &str, lexicon_votes: &[(Lang, usize)]) -> Option<Lang> {
    let sample = crate::fold::prefix(text, 2_000);
    let (mut cyrillic, mut latin) = (0usize, 0usize);
    let mut letters = [0usize; LETTER_LANGS.len()];
    for c in sample.chars() {
        match c {
            '\u{0400}'..='\u{04FF}' => cyrillic += 1,
            c if c.is_ascii_alphabetic() => latin += 1,
            c => {
                if let Some(i) = letter_lang(c) {
                    letters[i] += 1;
                }
            }
        }
    }
    if cyrillic > latin {
        return Some(Lang::Uk);
    }
    // The language with the most letters of its own, when no other has as many.
    if let Some((best, &n)) = letters.iter().enumerate().max_by_key(|(_, n)| **n) {
        if n > 0 && letters.iter().enumerate().all(|(i, m)| i == best || *m < n) {
            return Some(LETTER_LANGS[best]);
        }
    }
    if let Some(lang) = by_function_words(sample) {
        return Some(lang);
    }
    let detector = Detector::with_allowlist(vec![
        W::Pol,
        W::Ron,
        W::Eng,
        W::Ukr,
        W::Fra,
        W::Deu,
        W::Spa,
        W::Ita,
        W::Ces,
    ]);
    if let Some(info) = detector.detect(crate::fold::prefix(sample, TRIGRAM_PREFIX)) {
        if info.is_reliable() || info.confidence() > 0.5 {
            return Some(match info.lang() {
                W::Pol => Lang::Pl,
                W::Ron => Lang::Ro,
                W::Ukr => Lang::Uk,
                W::Fra => Lang::Fr,
                W::Deu => Lang::De,
                W::Spa => Lang::Es,
                W::Ita => Lang::It,
                W::Ces => Lang::Cs,
                _ => Lang::En,
            });
        }
    }
    by_lexicon_votes(lexicon_votes)
}

/// The language with the most lure phrases matched: [`detect`]'s last resort.
pub fn by_lexicon_votes(lexicon_votes: &[(Lang, usize)]) -> Option<Lang> {
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
    fn detects_the_first_four_languages() {
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

    // Examples written by the project.
    #[test]
    fn detects_the_five_later_languages() {
        assert_eq!(
            detect(
                "Votre carte Vitale arrive à expiration, mettez à jour vos informations",
                &[]
            ),
            Some(Lang::Fr)
        );
        assert_eq!(
            detect(
                "Ihre Gesundheitskarte ist abgelaufen, bitte bestätigen Sie Ihre Daten",
                &[]
            ),
            Some(Lang::De)
        );
        assert_eq!(
            detect(
                "Su tarjeta sanitaria requiere una actualización, complete el formulario",
                &[]
            ),
            Some(Lang::Es)
        );
        assert_eq!(
            detect(
                "La sua tessera sanitaria è scaduta: per il rinnovo clicchi sul link",
                &[]
            ),
            Some(Lang::It)
        );
        assert_eq!(
            detect("Vážený pojištěnče, vaše karta pojištěnce končí, ověřte své údaje", &[]),
            Some(Lang::Cs)
        );
        // Plain ASCII, no letters of their own: the function words decide.
        assert_eq!(
            by_function_words("Merci de confirmer votre adresse et vos donnees"),
            Some(Lang::Fr)
        );
        assert_eq!(
            by_function_words("Bitte aktualisieren Sie die Daten auf der Seite"),
            Some(Lang::De)
        );
        assert_eq!(
            by_function_words("Gracias por su paciencia, para el reembolso"),
            Some(Lang::Es)
        );
        assert_eq!(
            by_function_words("Grazie per la pazienza, il rimborso della tessera"),
            Some(Lang::It)
        );
        assert_eq!(
            by_function_words("Dekujeme, prosim potvrdte udaje, jste pojisteni"),
            Some(Lang::Cs)
        );
        // A Polish text naming a German doctor stays Polish.
        assert_eq!(
            detect("Wizyta u dr. Müllera została przełożona, proszę potwierdzić", &[]),
            Some(Lang::Pl)
        );
    }

    #[test]
    fn falls_back_to_lexicon_votes() {
        assert_eq!(detect("xx", &[(Lang::Ro, 2), (Lang::Pl, 1)]), Some(Lang::Ro));
        assert_eq!(detect("", &[]), None);
    }
}
