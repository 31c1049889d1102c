//! Small, fast lookup tables for the index.
//!
//! Keys are short host labels; SipHash (the std default) costs more than the rest of a
//! lookup, so the tables use FNV-1a with a final mix. They are built once from the protected
//! list and only read afterwards, so hash flooding cannot slow a lookup beyond the fixed
//! table contents. Each table also keeps a 4096-bit filter over (length, first byte, last
//! byte) of its keys: most probes of an unrelated host are answered by that filter without
//! hashing the key.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a with a final mix, good enough for short ASCII keys.
#[derive(Clone, Copy)]
pub(crate) struct FnvHasher(u64);

impl Default for FnvHasher {
    fn default() -> Self {
        FnvHasher(FNV_OFFSET)
    }
}

impl Hasher for FnvHasher {
    #[inline]
    fn finish(&self) -> u64 {
        let x = self.0 ^ (self.0 >> 29);
        x.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (x >> 32)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.0 = h;
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_le_bytes());
    }
}

/// Hash builder for [`FnvHasher`].
pub(crate) type FnvBuild = BuildHasherDefault<FnvHasher>;

/// Words of the (length, first byte, last byte) filter.
const FILTER_WORDS: usize = 64;

/// A byte-string-keyed table with a (length, first byte, last byte) pre-filter.
pub(crate) struct Table<V> {
    map: HashMap<Box<[u8]>, V, FnvBuild>,
    filter: [u64; FILTER_WORDS],
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            map: HashMap::default(),
            filter: [0; FILTER_WORDS],
        }
    }
}

/// Filter bit of a key with this length, first and last byte.
#[inline]
fn filter_bit_parts(len: usize, first: u8, last: u8) -> (usize, u64) {
    let sig = ((len.min(255) as u32) << 16) | (u32::from(first) << 8) | u32::from(last);
    let bit = (sig.wrapping_mul(0x9e37_79b1) >> 20) as usize; // 12 bits
    (bit >> 6, 1u64 << (bit & 63))
}

/// Filter bit of a key: `None` for the empty key.
#[inline]
fn filter_bit(key: &[u8]) -> Option<(usize, u64)> {
    let (&first, &last) = (key.first()?, key.last()?);
    Some(filter_bit_parts(key.len(), first, last))
}

impl<V> Table<V> {
    /// True when a key with this length, first and last byte may be present.
    #[inline]
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        match filter_bit(key) {
            Some((w, b)) => self.filter[w] & b != 0,
            None => false,
        }
    }

    /// True when a key with this length, first and last byte may be present (for probing a
    /// key before building it).
    #[inline]
    pub(crate) fn may_contain_parts(&self, len: usize, first: u8, last: u8) -> bool {
        let (w, b) = filter_bit_parts(len, first, last);
        self.filter[w] & b != 0
    }

    /// The value under `key`.
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<&V> {
        if !self.may_contain(key) {
            return None;
        }
        self.map.get(key)
    }

    /// True when `key` is present.
    #[inline]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The value under `key`, inserted with `make` when absent.
    pub(crate) fn entry_or(&mut self, key: &[u8], make: impl FnOnce() -> V) -> &mut V {
        if let Some((w, b)) = filter_bit(key) {
            self.filter[w] |= b;
        }
        self.map.entry(key.into()).or_insert_with(make)
    }
}

impl<V> Table<V> {
    /// Every key and value.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.map.iter().map(|(k, v)| (&**k, v))
    }
}

impl Table<Vec<u32>> {
    /// Pushes `v` to the list stored under `k`, without duplicates.
    pub(crate) fn push_unique(&mut self, k: &[u8], v: u32) {
        let list = self.entry_or(k, Vec::new);
        if !list.contains(&v) {
            list.push(v);
        }
    }
}
