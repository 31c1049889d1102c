//! Text folding: the one normal form in which lexicons, names and messages are compared.
//!
//! Folding lower-cases, strips diacritics (ą→a, ł→l, ș/ş→s, ț/ţ→t), drops invisible
//! characters, maps Cyrillic look-alike letters that hide inside Latin words to Latin, and
//! turns every run of spaces and punctuation into one space. Each folded byte remembers the
//! byte offset of the original character, so a match can be shown as the reader saw it.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// A folded text with a map back to the original.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// The folded text: lower-case, no diacritics, single spaces, padded with one space at
    /// each end so that every word is surrounded by spaces.
    pub text: String,
    /// For each byte of `text`, the byte offset in the original of the character it came from.
    origin: Vec<usize>,
    /// Characters used to disguise words: invisible characters inside words, or letters of
    /// another script inside a word.
    pub disguises: Vec<String>,
}

impl Folded {
    /// Byte offset in the original of the character behind folded byte `at` (the original's
    /// length past the end).
    pub fn origin_of(&self, at: usize, source_len: usize) -> usize {
        self.origin.get(at).copied().unwrap_or(source_len)
    }

    /// The original text behind the folded byte range `start..end`, trimmed.
    pub fn original<'a>(&self, source: &'a str, start: usize, end: usize) -> &'a str {
        let from = self.origin.get(start).copied().unwrap_or(source.len());
        let to = if end >= self.origin.len() {
            source.len()
        } else {
            // `end` is exclusive: the original character of the last folded byte ends before
            // the character of the next folded byte.
            self.origin[end].max(from)
        };
        source
            .get(from..to)
            .unwrap_or_default()
            .trim_matches(|c: char| !c.is_alphanumeric())
    }
}

/// `text` without zero-width and formatting characters (borrowed when it has none).
pub fn strip_invisible(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(is_invisible) {
        std::borrow::Cow::Owned(text.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Prefix of `text` of at most `max` bytes, cut at a character boundary.
pub fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// Characters removed without a trace: zero-width and formatting characters.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{034F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Latin letters without a canonical decomposition that still carry a diacritic.
fn special_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' | 'Ł' => "l",
        'ß' => "ss",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' => "d",
        'æ' | 'Æ' => "ae",
        'ı' => "i",
        _ => return None,
    })
}

/// Latin letters and digits dressed up as other Unicode characters (mathematical bold and
/// italic "𝐎𝐩𝐞𝐧 𝐍𝐨𝐰", full-width "ＦＲＥＥ", small capitals "ᴘᴀʏᴍᴇɴᴛ"), read as the plain
/// character so that phrases match through the costume.
fn styled_latin(c: char) -> Option<char> {
    let cp = c as u32;
    let letter = |i: u32| char::from_u32('a' as u32 + i);
    match cp {
        // Mathematical alphanumeric symbols: 13 styles of A–Z a–z, then 5 styles of 0–9.
        0x1D400..=0x1D6A3 => letter((cp - 0x1D400) % 52 % 26),
        0x1D7CE..=0x1D7FF => char::from_u32('0' as u32 + (cp - 0x1D7CE) % 10),
        0xFF10..=0xFF19 => char::from_u32('0' as u32 + cp - 0xFF10),
        0xFF21..=0xFF3A => letter(cp - 0xFF21),
        0xFF41..=0xFF5A => letter(cp - 0xFF41),
        _ => Some(match c {
            'ᴀ' => 'a',
            'ʙ' => 'b',
            'ᴄ' => 'c',
            'ᴅ' => 'd',
            'ᴇ' => 'e',
            'ꜰ' => 'f',
            'ɢ' => 'g',
            'ʜ' => 'h',
            'ɪ' => 'i',
            'ᴊ' => 'j',
            'ᴋ' => 'k',
            'ʟ' => 'l',
            'ᴍ' => 'm',
            'ɴ' => 'n',
            'ᴏ' => 'o',
            'ᴘ' => 'p',
            'ǫ' => 'q',
            'ʀ' => 'r',
            'ꜱ' => 's',
            'ᴛ' => 't',
            'ᴜ' => 'u',
            'ᴠ' => 'v',
            'ᴡ' => 'w',
            'ʏ' => 'y',
            'ᴢ' => 'z',
            _ => return None,
        }),
    }
}

/// Cyrillic (and Greek) letters that look like Latin ones, used to disguise Latin words.
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' => 'a',
        'в' | 'В' | 'β' => 'b',
        'с' | 'С' => 'c',
        'е' | 'Е' | 'ε' => 'e',
        'һ' | 'Н' => 'h',
        'і' | 'І' | 'ι' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' => 'k',
        'м' | 'М' => 'm',
        'о' | 'О' | 'ο' => 'o',
        'р' | 'Р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' | 'τ' => 't',
        'у' | 'У' => 'y',
        'х' | 'Х' | 'χ' => 'x',
        'ԁ' => 'd',
        'ɡ' => 'g',
        'ո' => 'n',
        'ս' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        _ => return None,
    })
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{052F}')
}

/// Folds `source`. Never fails; runs in time linear in the input.
pub fn fold(source: &str) -> Folded {
    let mut out = Folded {
        text: String::with_capacity(source.len() + 2),
        origin: Vec::with_capacity(source.len() + 2),
        disguises: Vec::new(),
    };
    out.push(' ', 0);
    // Walk word by word so letters of another script inside a Latin word can be spotted.
    // A word is a run of letters, digits and combining marks; invisible characters inside it
    // are dropped without ending it. `word` is where the current word starts, `ascii`
    // whether it is plain ASCII so far (then it is copied lower-cased, byte by byte).
    let bytes = source.as_bytes();
    let mut word: Option<usize> = None;
    let mut ascii = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() {
                if word.is_none() {
                    word = Some(i);
                    ascii = true;
                }
            } else {
                if let Some(start) = word.take() {
                    out.push_word_at(source, start, i, ascii);
                }
                if !out.text.ends_with(' ') {
                    out.push(' ', i);
                }
            }
            i += 1;
            continue;
        }
        let c = source[i..].chars().next().unwrap_or('\u{FFFD}');
        let at = i;
        i += c.len_utf8();
        if is_invisible(c) {
            let inside = word.is_some() && source[i..].chars().next().is_some_and(char::is_alphanumeric);
            if inside {
                out.disguises.push(format!("U+{:04X}", c as u32));
            }
            // Inside a word it is left out: the word is no longer a plain byte copy.
            ascii = false;
            continue;
        }
        if c.is_alphanumeric() || is_combining_mark(c) {
            if word.is_none() {
                word = Some(at);
            }
            ascii = false;
            continue;
        }
        if let Some(start) = word.take() {
            out.push_word_at(source, start, at, ascii);
        }
        if !out.text.ends_with(' ') {
            out.push(' ', at);
        }
    }
    if let Some(start) = word {
        out.push_word_at(source, start, source.len(), ascii);
    }
    if !out.text.ends_with(' ') {
        out.push(' ', source.len());
    }
    out
}

impl Folded {
    fn push(&mut self, c: char, origin: usize) {
        let before = self.text.len();
        self.text.push(c);
        for _ in before..self.text.len() {
            self.origin.push(origin);
        }
    }

    fn push_str(&mut self, s: &str, origin: usize) {
        for c in s.chars() {
            self.push(c, origin);
        }
    }

    /// Pushes the word `source[start..end]` (its letters, digits and combining marks, and
    /// any invisible characters inside it, which are left out).
    fn push_word_at(&mut self, source: &str, start: usize, end: usize, ascii: bool) {
        if ascii {
            let from = self.text.len();
            self.text.push_str(&source[start..end]);
            self.text[from..].make_ascii_lowercase();
            self.origin.extend(start..end);
            return;
        }
        let word: Vec<(usize, char)> = source[start..end]
            .char_indices()
            .filter(|(_, c)| !is_invisible(*c))
            .map(|(at, c)| (start + at, c))
            .collect();
        self.push_word(&word);
    }

    fn push_word(&mut self, word: &[(usize, char)]) {
        let cyrillic = word.iter().filter(|(_, c)| is_cyrillic(*c)).count();
        let latin = word.iter().filter(|(_, c)| c.is_ascii_alphabetic()).count();
        // A mostly-Latin word with Cyrillic look-alikes inside is a disguise; a Cyrillic word
        // (Ukrainian text) stays Cyrillic.
        let disguise = cyrillic > 0
            && latin > 0
            && word
                .iter()
                .all(|(_, c)| !is_cyrillic(*c) || latin_lookalike(*c).is_some());
        if disguise {
            let shown: String = word.iter().map(|(_, c)| *c).collect();
            self.disguises.push(shown);
        }
        for &(at, c) in word {
            if disguise {
                if let Some(l) = latin_lookalike(c) {
                    self.push(l, at);
                    continue;
                }
            }
            self.push_char(c, at);
        }
    }

    fn push_char(&mut self, c: char, at: usize) {
        if c.is_ascii() {
            self.push(c.to_ascii_lowercase(), at);
            return;
        }
        if let Some(s) = special_latin(c) {
            self.push_str(s, at);
            return;
        }
        if let Some(l) = styled_latin(c) {
            self.push(l, at);
            return;
        }
        if is_combining_mark(c) {
            return;
        }
        for lower in c.to_lowercase() {
            let mut base = None;
            decompose_canonical(lower, |d| {
                if base.is_none() && !is_combining_mark(d) {
                    base = Some(d);
                }
            });
            let b = base.unwrap_or(lower);
            // Ukrainian ї and й decompose to і/и + a mark: keep them whole, they are letters.
            let keep = matches!(lower, 'ї' | 'й' | 'ё');
            self.push(if keep { lower } else { b }, at);
        }
    }
}

/// Folds a short pattern (lexicon phrase, institution name) to the same form, unpadded.
pub fn fold_pattern(pattern: &str) -> String {
    fold(pattern).text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The character-by-character fold this module had before its ASCII fast path.
    fn reference_fold(source: &str) -> Folded {
        let mut out = Folded {
            text: String::with_capacity(source.len() + 2),
            origin: Vec::with_capacity(source.len() + 2),
            disguises: Vec::new(),
        };
        out.push(' ', 0);
        // Walk word by word so letters of another script inside a Latin word can be spotted.
        let mut word: Vec<(usize, char)> = Vec::new();
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if is_invisible(c) {
                let inside = !word.is_empty() && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric());
                if inside {
                    out.disguises.push(format!("U+{:04X}", c as u32));
                }
                continue;
            }
            if c.is_alphanumeric() || is_combining_mark(c) {
                word.push((at, c));
                continue;
            }
            if !word.is_empty() {
                out.push_word(&word);
                word.clear();
            }
            if !out.text.ends_with(' ') {
                out.push(' ', at);
            }
        }
        if !word.is_empty() {
            out.push_word(&word);
        }
        if !out.text.ends_with(' ') {
            out.push(' ', source.len());
        }
        out
    }

    fn same_as_reference(text: &str) {
        let (a, b) = (fold(text), reference_fold(text));
        assert_eq!(a.text, b.text, "{text:?}");
        assert_eq!(a.origin, b.origin, "{text:?}");
        assert_eq!(a.disguises, b.disguises, "{text:?}");
    }

    #[test]
    fn fast_path_folds_as_before() {
        for text in [
            "",
            " ",
            "a",
            "Zwrot kosztów leków!",
            "N\u{200B}F\u{200B}Z zwrot",
            "\u{200B}x \u{200B} y\u{200B}",
            "Nаrodowy Fundusz, Ваш рахунок, Їжак йде",
            "e\u{301}te\u{34F}x ŁÓDŹ ß æ İstanbul",
            "abc\u{FEFF}",
            "...a--b__c 12,30 zł",
            "x\u{0301}",
            "\u{0301}x",
            "𝐁𝐨𝐥𝐝 ＡＢＣ ①②",
        ] {
            same_as_reference(text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn folds_as_the_reference(text in "(?s).{0,40}") {
            same_as_reference(&text);
        }

        #[test]
        fn folds_mixed_text_as_the_reference(text in "[a-zA-Z0-9 .,ąłŁóаеоі\u{200B}\u{0301}\u{034F}ß-]{0,40}") {
            same_as_reference(&text);
        }
    }

    #[test]
    fn strips_polish_and_romanian_diacritics() {
        assert_eq!(fold("Zwrot kosztów leków!").text, " zwrot kosztow lekow ");
        assert_eq!(fold("ŁÓDŹ").text, " lodz ");
        assert_eq!(fold("Casei Naționale").text, fold("Casei Naţionale").text);
        assert_eq!(fold("aşteptare").text, " asteptare ");
        assert_eq!(fold("ăâîșț").text, " aaist ");
    }

    #[test]
    fn reads_styled_letters_as_plain_ones() {
        // Mathematical bold, sans-serif italic, full-width, small capitals, styled digits.
        assert_eq!(
            fold("\u{1D40E}\u{1D429}\u{1D41E}\u{1D427} \u{1D40D}\u{1D428}\u{1D430}!").text,
            " open now "
        );
        assert_eq!(fold("\u{1D60E}\u{1D633}\u{1D626}").text, " gre ");
        assert_eq!(fold("ＦＲＥＥ ｇｉｆｔ ２０２４").text, " free gift 2024 ");
        assert_eq!(fold("ᴘᴀʏᴍᴇɴᴛ ᴅᴇᴄʟɪɴᴇᴅ").text, " payment declined ");
        assert_eq!(fold("\u{1D7D0}\u{1D7CE}").text, " 20 ");
    }

    #[test]
    fn keeps_ukrainian_letters() {
        assert_eq!(fold("Їжак йде").text, " їжак йде ");
        assert!(fold("Ваш рахунок").disguises.is_empty());
    }

    #[test]
    fn unmasks_cyrillic_inside_latin_words() {
        let f = fold("Nаrodowy Fundusz"); // Cyrillic а
        assert_eq!(f.text, " narodowy fundusz ");
        assert_eq!(f.disguises, vec!["Nаrodowy".to_string()]);
    }

    #[test]
    fn removes_zero_width_characters() {
        let f = fold("N\u{200B}F\u{200B}Z zwrot");
        assert_eq!(f.text, " nfz zwrot ");
        assert_eq!(f.disguises.len(), 2);
    }

    #[test]
    fn maps_matches_back_to_the_original() {
        let src = "Uwaga: ZWROT kosztów-leków czeka";
        let f = fold(src);
        let start = f.text.find("zwrot").unwrap();
        let end = start + "zwrot kosztow lekow".len();
        assert_eq!(f.original(src, start, end), "ZWROT kosztów-leków");
    }

    #[test]
    fn collapses_punctuation_runs() {
        assert_eq!(fold("a -- b...c").text, " a b c ");
        assert_eq!(fold("").text, " ");
    }
}
