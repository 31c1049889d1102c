//! Near-duplicate fingerprint of a message's text: MinHash over word shingles.
//!
//! The text is folded (case, diacritics, look-alike letters), every link and address
//! becomes `url`, every word with a digit becomes `0` (amounts, case numbers, dates vary
//! per victim), then word 3-shingles are hashed with [`HASHES`] seeds and the minimum of
//! each kept. Two fingerprints agree in a share of their slots that estimates the Jaccard
//! similarity of the shingle sets. [`Fingerprint::bands`] cuts a fingerprint into LSH bands
//! so that candidates are found by lookup, not by comparing with every report.

/// Hash slots of a fingerprint.
pub const HASHES: usize = 64;
/// Slots per LSH band; [`HASHES`] / `ROWS` bands.
pub const ROWS: usize = 2;
/// Words in a shingle.
const SHINGLE: usize = 3;
/// Fewest words for a fingerprint: shorter texts (a bare link, a number) have none.
const MIN_WORDS: usize = 6;
/// Most words read (the rest of a long message adds nothing to its identity).
const MAX_WORDS: usize = 2000;

/// MinHash signature of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(pub [u32; HASHES]);

impl Fingerprint {
    /// The fingerprint of `text`, or `None` when it has fewer than six words.
    pub fn of(text: &str) -> Option<Fingerprint> {
        let words = normal_words(text);
        if words.len() < MIN_WORDS {
            return None;
        }
        let mut sig = [u32::MAX; HASHES];
        for w in words.windows(SHINGLE) {
            let base = w.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, word| {
                word.bytes()
                    .chain(std::iter::once(b' '))
                    .fold(h, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
            });
            let (a, b) = (mix(base), mix(base ^ 0x9e37_79b9_7f4a_7c15) | 1);
            for (i, slot) in sig.iter_mut().enumerate() {
                let h = (mix(a.wrapping_add((i as u64).wrapping_mul(b))) >> 32) as u32;
                *slot = (*slot).min(h);
            }
        }
        Some(Fingerprint(sig))
    }

    /// The fingerprint as bytes (little-endian slots), for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// A fingerprint read back from [`Fingerprint::to_bytes`]; `None` for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fingerprint> {
        if bytes.len() != HASHES * 4 {
            return None;
        }
        let mut sig = [0u32; HASHES];
        for (slot, b) in sig.iter_mut().zip(bytes.chunks_exact(4)) {
            *slot = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        Some(Fingerprint(sig))
    }

    /// Estimated Jaccard similarity of the two texts' shingle sets, 0 to 1.
    pub fn similarity(&self, other: &Fingerprint) -> f64 {
        let same = self.0.iter().zip(other.0.iter()).filter(|(a, b)| a == b).count();
        same as f64 / HASHES as f64
    }

    /// LSH band keys: `(band, hash of its slots)`.
    pub fn bands(&self) -> impl Iterator<Item = (u8, u64)> + '_ {
        self.0.chunks(ROWS).enumerate().map(|(i, rows)| {
            let key = rows
                .iter()
                .fold(0x243f_6a88_85a3_08d3u64, |h, &v| mix(h ^ u64::from(v)));
            (i as u8, key)
        })
    }
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The words of `text` as the fingerprint sees them.
pub fn normal_words(text: &str) -> Vec<String> {
    let mut plain = text.to_string();
    for link in healthguard_core::links::extract(text) {
        plain = plain.replace(&link.raw, " url ");
    }
    let folded = healthguard_core::fold::fold(&plain);
    folded
        .text
        .split_whitespace()
        .take(MAX_WORDS)
        .map(|w| {
            if w.bytes().any(|b| b.is_ascii_digit()) {
                "0".to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_round_trip() {
        let fp = super::Fingerprint::of("one two three four five six seven eight nine").unwrap();
        assert_eq!(super::Fingerprint::from_bytes(&fp.to_bytes()), Some(fp));
        assert_eq!(super::Fingerprint::from_bytes(&[1, 2, 3]), None);
    }

    use super::*;

    #[test]
    fn numbers_and_links_do_not_change_the_fingerprint() {
        let a = Fingerprint::of("Twoja paczka 12345 czeka, zaplac 4,99 zl na https://a-pay.example/x dzisiaj").unwrap();
        let b = Fingerprint::of("Twoja paczka 99812 czeka, zaplac 7,50 zl na http://other.example dzisiaj").unwrap();
        assert_eq!(a.similarity(&b), 1.0);
    }

    #[test]
    fn different_texts_are_far_apart() {
        let a = Fingerprint::of("Masz zwrot nadplaty skladki zdrowotnej, potwierdz dane karty na stronie").unwrap();
        let b = Fingerprint::of("Contul dumneavoastra CNAS a fost blocat, actualizati datele in 24 de ore").unwrap();
        assert!(a.similarity(&b) < 0.2, "{}", a.similarity(&b));
    }

    #[test]
    fn close_texts_are_close() {
        let a = Fingerprint::of("Szanowni Panstwo, w zwiazku z aktualizacja systemu prosimy o potwierdzenie danych pacjenta w ciagu 24 godzin pod linkiem").unwrap();
        let b = Fingerprint::of("Szanowni Panstwo, w zwiazku z aktualizacja systemu prosimy o potwierdzenie danych pacjenta w ciagu 48 godzin pod adresem").unwrap();
        let s = a.similarity(&b);
        assert!(s > 0.6, "{s}");
    }

    #[test]
    fn short_texts_have_none() {
        assert!(Fingerprint::of("https://x.example").is_none());
        assert!(Fingerprint::of("").is_none());
    }

    #[test]
    fn bands_cover_the_signature() {
        let a = Fingerprint::of("one two three four five six seven eight").unwrap();
        assert_eq!(a.bands().count(), HASHES / ROWS);
    }
}
