//! Naming the single edit that turns an official name into a look-alike.

use crate::Technique;

/// QWERTY rows (the Polish programmer's and Romanian standard layouts agree on letters and
/// digits) with their horizontal offsets, in quarter keys.
const ROWS: [(&[u8], i32); 4] = [
    (b"1234567890-", 0),
    (b"qwertyuiop", 2),
    (b"asdfghjkl", 3),
    (b"zxcvbnm", 5),
];

fn key_pos(c: u8) -> Option<(i32, i32)> {
    for (row, (keys, off)) in ROWS.iter().enumerate() {
        if let Some(col) = keys.iter().position(|&k| k == c) {
            return Some((row as i32, col as i32 * 4 + off));
        }
    }
    None
}

/// True when two keys touch on a QWERTY keyboard.
pub(crate) fn keyboard_adjacent(a: u8, b: u8) -> bool {
    match (key_pos(a), key_pos(b)) {
        (Some((ra, xa)), Some((rb, xb))) => a != b && (ra - rb).abs() <= 1 && (xa - xb).abs() <= 4,
        _ => false,
    }
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Letters readers swap by sound or habit (Polish w/v, c/k, i/j, s/z): a plain typo.
fn phonetic_pair(a: u8, b: u8) -> bool {
    let (x, y) = if a < b { (a, b) } else { (b, a) };
    matches!((x, y), (b'v', b'w') | (b'c', b'k') | (b'i', b'j') | (b's', b'z'))
}

fn host_char(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'
}

/// Letters that look alike in a lower-case host (`l` for `i`): a homoglyph typo.
fn visual_pair(a: u8, b: u8) -> bool {
    let (x, y) = if a < b { (a, b) } else { (b, a) };
    matches!((x, y), (b'i', b'l') | (b'1', b'i') | (b'0', b'o') | (b'1', b'l'))
}

/// Technique for one substituted character.
fn substitution(got: u8, official: u8) -> Technique {
    if visual_pair(got, official) {
        Technique::Homoglyph
    } else if is_vowel(got) && is_vowel(official) {
        Technique::VowelSwap
    } else if keyboard_adjacent(got, official) {
        Technique::Replacement
    } else if phonetic_pair(got, official) {
        Technique::Typo
    } else if (got ^ official).count_ones() == 1 && host_char(got) {
        Technique::Bitsquatting
    } else {
        Technique::Typo
    }
}

/// Names the edit when `cand` is one edit (insertion, omission, substitution or adjacent
/// transposition) away from `official`; `None` otherwise (including when equal).
pub(crate) fn classify(cand: &[u8], official: &[u8]) -> Option<Technique> {
    let (n, m) = (cand.len(), official.len());
    let first_diff = cand.iter().zip(official).position(|(a, b)| a != b).unwrap_or(n.min(m));
    if n == m {
        let i = first_diff;
        if i == n {
            return None;
        }
        if cand[i + 1..] == official[i + 1..] {
            return Some(substitution(cand[i], official[i]));
        }
        if i + 1 < n && cand[i] == official[i + 1] && cand[i + 1] == official[i] && cand[i + 2..] == official[i + 2..] {
            return Some(Technique::Transposition);
        }
        return None;
    }
    if n == m + 1 {
        let i = first_diff;
        if cand[i + 1..] != official[i..] {
            return None;
        }
        let c = cand[i];
        return Some(if c == b'-' {
            Technique::Hyphenation
        } else if (i > 0 && cand[i - 1] == c) || cand.get(i + 1) == Some(&c) {
            Technique::Repetition
        } else {
            Technique::Insertion
        });
    }
    if n + 1 == m {
        let i = first_diff;
        if cand[i..] != official[i + 1..] {
            return None;
        }
        return Some(if official[i] == b'-' {
            Technique::Hyphenation
        } else {
            Technique::Omission
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_single_edits() {
        let c = |a: &str, b: &str| classify(a.as_bytes(), b.as_bytes());
        assert_eq!(c("ezdrowei", "ezdrowie"), Some(Technique::Transposition));
        assert_eq!(c("ezdrowe", "ezdrowie"), Some(Technique::Omission));
        assert_eq!(c("ezdrowiee", "ezdrowie"), Some(Technique::Repetition));
        assert_eq!(c("ezdrowxie", "ezdrowie"), Some(Technique::Insertion));
        assert_eq!(c("ezdr-owie", "ezdrowie"), Some(Technique::Hyphenation));
        assert_eq!(c("nfzwarszawa", "nfz-warszawa"), Some(Technique::Hyphenation));
        assert_eq!(c("ezdrawie", "ezdrowie"), Some(Technique::VowelSwap));
        assert_eq!(c("ezdrowue", "ezdrowie"), Some(Technique::VowelSwap));
        assert_eq!(c("ezfrowie", "ezdrowie"), Some(Technique::Replacement));
        assert_eq!(c("nfz-warszava", "nfz-warszawa"), Some(Technique::Typo));
        assert_eq!(c("ezdrogie", "ezdrowie"), Some(Technique::Bitsquatting));
        assert_eq!(c("ezdrowle", "ezdrowie"), Some(Technique::Homoglyph));
        assert_eq!(c("ezdr0wie", "ezdrowie"), Some(Technique::Homoglyph));
        assert_eq!(c("ezdrowie", "ezdrowie"), None);
        assert_eq!(c("ezdorwei", "ezdrowie"), None);
        assert_eq!(c("abc", "bca"), None);
    }

    #[test]
    fn keyboard() {
        assert!(keyboard_adjacent(b'q', b'w'));
        assert!(keyboard_adjacent(b'q', b'a'));
        assert!(keyboard_adjacent(b'd', b'f'));
        assert!(keyboard_adjacent(b'd', b'e'));
        assert!(!keyboard_adjacent(b'q', b'p'));
        assert!(!keyboard_adjacent(b'v', b'w'));
    }
}
