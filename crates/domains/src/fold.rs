//! Confusable folding: maps a label to the form a reader would take it for.
//!
//! The full fold is the Unicode TR39 skeleton (`unicode-security`), then
//! * combining marks are dropped (so `kraków` and `krakow`, `ș` and `s` fold together),
//! * a few look-alikes that TR39 maps to another non-Latin prototype are mapped to the Latin
//!   letter a reader sees in a lower-case URL (Cyrillic `п` → `n`, `к` → `k`, `т` → `t` …),
//! * the result is lower-cased and `vv` is read as `w`.
//!
//! TR39 maps `m` to `rn`, `0` to `O` and `1` to `l`; both sides of every comparison are
//! folded, so `rn` matches `m`, `0` matches `o` and `1` matches `l`.

use crate::buf::Buf;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Extra prototypes for characters whose TR39 prototype is not Latin although they look
/// like a Latin letter in lower-case host names.
fn extra(c: char) -> Option<&'static str> {
    Some(match c {
        'π' | 'п' => "n",
        'ƅ' | 'ь' | 'ʙ' | 'в' => "b",
        'ĸ' | 'к' | 'κ' => "k",
        'ʍ' | 'м' | 'ᴍ' => "rn",
        'ᴛ' | 'т' | 'τ' => "t",
        'ɢ' | 'ԍ' => "g",
        'ʜ' | 'н' => "h",
        'ʀ' => "r",
        'ꞓ' | 'ε' => "e",
        'μ' => "u",
        'ł' => "l",
        'đ' => "d",
        'ħ' => "h",
        'ø' => "o",
        'ß' => "ss",
        _ => return None,
    })
}

/// Folds any string (Unicode allowed); output is lower case.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in unicode_security::skeleton(s) {
        if is_combining_mark(c) {
            continue;
        }
        if let Some(e) = extra(c) {
            out.push_str(e);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    if out.contains("vv") {
        out = out.replace("vv", "w");
    }
    out
}

/// The same fold for lower-case ASCII input, without allocating. Returns false when the
/// result does not fit the buffer.
pub(crate) fn fold_ascii(s: &[u8], out: &mut Buf) -> bool {
    out.clear();
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let ok = match b {
            b'm' => out.push_bytes(b"rn"),
            b'0' => out.push(b'o'),
            b'1' => out.push(b'l'),
            b'v' if s.get(i + 1) == Some(&b'v') => {
                i += 1;
                out.push(b'w')
            }
            _ => out.push(b.to_ascii_lowercase()),
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// True when the (lower-case ASCII) input contains something [`fold_ascii`] changes or
/// produces (`m`, `0`, `1`, `vv`, `rn`), so that a folded lookup can find a homoglyph.
#[inline]
pub(crate) fn ascii_fold_relevant(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b'm' | b'0' | b'1')) || s.windows(2).any(|w| w == b"vv" || w == b"rn")
}

/// Removes diacritics (combining marks after NFD) and maps the Polish and other letters
/// that do not decompose (`ł`, `đ`, `ø`, `ß`). Keeps everything else, lower-cased.
pub(crate) fn strip_diacritics(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'ø' | 'Ø' => out.push('o'),
            'ß' => out.push_str("ss"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn confusables_fold_to_latin() {
        assert_eq!(fold("\u{441}\u{430}\u{455}\u{430}\u{43f}"), "casan");
        assert_eq!(fold("nfz-w\u{430}rszawa"), "nfz-warszawa");
        assert_eq!(fold("krak\u{f3}w"), "krakow");
        assert_eq!(fold("\u{142}\u{f3}d\u{17a}"), "lodz");
        assert_eq!(fold("g00gle"), "google");
        assert_eq!(fold("m"), fold("rn"));
        assert_eq!(fold("vv"), "w");
        assert_eq!(strip_diacritics("Zażółć-Știință"), "zazolc-stiinta");
    }

    proptest! {
        #[test]
        fn ascii_fold_matches_full_fold(s in "[a-z0-9_-]{0,40}") {
            let mut b = Buf::new();
            prop_assert!(fold_ascii(s.as_bytes(), &mut b));
            prop_assert_eq!(b.as_str(), fold(&s));
            if !ascii_fold_relevant(s.as_bytes()) {
                prop_assert_eq!(b.as_str(), s.as_str());
            }
        }
    }
}
