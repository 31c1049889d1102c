//! ZIP listing from the central directory (or, when it is missing, from local headers),
//! and bounded reading of one entry. Nothing is extracted to disk and nothing is
//! decompressed past the caller's budget.
//!
//! Written here rather than taken from the `zip` crate: listing needs only the central
//! directory (a few fixed-size records), the crate's API extracts eagerly and its releases
//! move their minimum Rust version often; `flate2` (already in the tree through
//! `mail-auth`) inflates the few bytes needed to type an entry by content.

use std::io::Read;

/// One entry of a ZIP archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ZipEntry {
    pub name: String,
    pub encrypted: bool,
    pub method: u16,
    pub compressed: u64,
    pub size: u64,
    pub local_offset: u64,
}

/// What the listing found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ZipListing {
    pub entries: Vec<ZipEntry>,
    /// Entries the archive declares (may exceed `entries.len()`).
    pub declared: usize,
    pub truncated: bool,
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    d.get(at..at.checked_add(2)?).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at.checked_add(4)?)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at.checked_add(8)?)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

fn name_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(255).collect()
}

/// Lists at most `max` entries.
pub(crate) fn list(d: &[u8], max: usize) -> ZipListing {
    central(d, max).unwrap_or_else(|| local(d, max))
}

fn central(d: &[u8], max: usize) -> Option<ZipListing> {
    if d.len() < 22 {
        return None;
    }
    let floor = d.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=d.len() - 22).rev().find(|&p| d[p..p + 4] == *b"PK\x05\x06")?;
    let mut declared = u16_at(d, eocd + 10)? as u64;
    let mut cd_size = u32_at(d, eocd + 12)? as u64;
    let mut cd_offset = u32_at(d, eocd + 16)? as u64;
    if (cd_offset == 0xFFFF_FFFF || declared == 0xFFFF) && eocd >= 20 && d[eocd - 20..eocd - 16] == *b"PK\x06\x07" {
        let z64 = u64_at(d, eocd - 20 + 8)? as usize;
        if d.get(z64..z64 + 4) == Some(b"PK\x06\x06") {
            declared = u64_at(d, z64 + 32)?;
            cd_size = u64_at(d, z64 + 40)?;
            cd_offset = u64_at(d, z64 + 48)?;
        }
    }
    let mut at = cd_offset as usize;
    if d.get(at..at + 4) != Some(b"PK\x01\x02") {
        // Data prepended to the archive shifts every offset: find the directory by its size.
        at = eocd.checked_sub(cd_size as usize)?;
        if d.get(at..at + 4) != Some(b"PK\x01\x02") {
            return None;
        }
    }
    let shift = at as i64 - cd_offset as i64;
    let mut out = ZipListing {
        declared: declared as usize,
        ..ZipListing::default()
    };
    while d.get(at..at + 4) == Some(b"PK\x01\x02") {
        if out.entries.len() >= max {
            out.truncated = true;
            break;
        }
        let flags = u16_at(d, at + 8)?;
        let method = u16_at(d, at + 10)?;
        let mut compressed = u32_at(d, at + 20)? as u64;
        let mut size = u32_at(d, at + 24)? as u64;
        let nlen = u16_at(d, at + 28)? as usize;
        let xlen = u16_at(d, at + 30)? as usize;
        let clen = u16_at(d, at + 32)? as usize;
        let mut local_offset = u32_at(d, at + 42)? as u64;
        let name = d.get(at + 46..at + 46 + nlen)?;
        let extra = d.get(at + 46 + nlen..at + 46 + nlen + xlen).unwrap_or_default();
        // ZIP64 extended information: the 0xFFFFFFFF fields, in order.
        let mut x = 0;
        while x + 4 <= extra.len() {
            let id = u16_at(extra, x)?;
            let len = u16_at(extra, x + 2)? as usize;
            if id == 1 {
                let mut f = x + 4;
                for field in [&mut size, &mut compressed, &mut local_offset] {
                    if *field == 0xFFFF_FFFF {
                        if let Some(v) = u64_at(extra, f) {
                            *field = v;
                        }
                        f += 8;
                    }
                }
            }
            x += 4 + len;
        }
        out.entries.push(ZipEntry {
            name: name_of(name),
            encrypted: flags & 1 == 1,
            method,
            compressed,
            size,
            local_offset: (local_offset as i64 + shift).max(0) as u64,
        });
        at += 46 + nlen + xlen + clen;
    }
    if out.entries.len() < out.declared && !out.truncated {
        out.truncated = out.entries.len() >= max;
    }
    Some(out)
}

/// Without a central directory (a cut or damaged archive): walk the local headers.
fn local(d: &[u8], max: usize) -> ZipListing {
    let mut out = ZipListing::default();
    let mut at = 0usize;
    while let Some(p) = find(d, at, b"PK\x03\x04") {
        if out.entries.len() >= max {
            out.truncated = true;
            break;
        }
        let (Some(flags), Some(method), Some(csize), Some(size), Some(nlen), Some(xlen)) = (
            u16_at(d, p + 6),
            u16_at(d, p + 8),
            u32_at(d, p + 18),
            u32_at(d, p + 22),
            u16_at(d, p + 26),
            u16_at(d, p + 28),
        ) else {
            break;
        };
        let Some(name) = d.get(p + 30..p + 30 + nlen as usize) else {
            break;
        };
        out.entries.push(ZipEntry {
            name: name_of(name),
            encrypted: flags & 1 == 1,
            method,
            compressed: csize as u64,
            size: size as u64,
            local_offset: p as u64,
        });
        let data = p + 30 + nlen as usize + xlen as usize;
        at = if flags & 8 == 0 {
            data.saturating_add(csize as usize)
        } else {
            data
        };
        at = at.max(p + 4);
    }
    out.declared = out.entries.len();
    out
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The first `max_out` bytes of an entry (stored or deflated); `None` when encrypted,
/// compressed otherwise, or damaged.
pub(crate) fn read_entry(d: &[u8], e: &ZipEntry, max_out: usize) -> Option<Vec<u8>> {
    if e.encrypted {
        return None;
    }
    let at = usize::try_from(e.local_offset).ok()?;
    if d.get(at..at.checked_add(4)?)? != b"PK\x03\x04" {
        return None;
    }
    let start = at + 30 + u16_at(d, at + 26)? as usize + u16_at(d, at + 28)? as usize;
    let len = usize::try_from(e.compressed).unwrap_or(usize::MAX);
    let end = if len == 0 {
        d.len()
    } else {
        start.saturating_add(len).min(d.len())
    };
    let raw = d.get(start..end)?;
    match e.method {
        0 => Some(raw[..raw.len().min(max_out)].to_vec()),
        8 => {
            let mut out = Vec::new();
            let mut dec = flate2::read::DeflateDecoder::new(raw).take(max_out as u64);
            match dec.read_to_end(&mut out) {
                Ok(_) => Some(out),
                Err(_) if !out.is_empty() => Some(out),
                Err(_) => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Builds a ZIP archive (stored or deflated entries; `encrypted` sets flag bit 0).
    pub(crate) fn build(entries: &[(&str, &[u8], bool, bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, deflate, encrypted) in entries {
            let body = if *deflate {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            let method: u16 = if *deflate { 8 } else { 0 };
            let flags: u16 = if *encrypted { 1 } else { 0 };
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04\x14\x00");
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&body);
            central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
            central.extend_from_slice(&flags.to_le_bytes());
            central.extend_from_slice(&method.to_le_bytes());
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&(body.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn lists_and_reads() {
        let z = build(&[
            ("a.txt", b"hello", false, false),
            ("dir/b.exe", b"MZ\x90\x00 more bytes", true, false),
            ("c.pdf", b"x", false, true),
        ]);
        let l = list(&z, 10);
        let names: Vec<_> = l.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "dir/b.exe", "c.pdf"]);
        assert!(l.entries[2].encrypted && !l.entries[0].encrypted);
        assert_eq!(read_entry(&z, &l.entries[1], 2).unwrap(), b"MZ");
        assert_eq!(read_entry(&z, &l.entries[0], 100).unwrap(), b"hello");
        assert!(read_entry(&z, &l.entries[2], 100).is_none());
    }

    #[test]
    fn limits_and_damage() {
        let z = build(&[
            ("1", b"", false, false),
            ("2", b"", false, false),
            ("3", b"", false, false),
        ]);
        let l = list(&z, 2);
        assert!(l.truncated && l.entries.len() == 2);
        // Cut before the central directory: local headers still list it.
        let cut = &z[..z.len() - 30];
        assert!(!list(cut, 10).entries.is_empty());
        // Prepended junk.
        let mut shifted = b"junk junk junk".to_vec();
        shifted.extend_from_slice(&z);
        let l = list(&shifted, 10);
        assert_eq!(l.entries.len(), 3);
        assert!(read_entry(&shifted, &l.entries[0], 10).is_some());
        for n in 0..z.len() {
            let _ = list(&z[..n], 10);
        }
    }
}
