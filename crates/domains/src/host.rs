//! Host normalisation: case, trailing dot, IDNA (UTS #46), IP literals, validation.

use crate::buf::{Buf, CAP};
use std::net::Ipv6Addr;

/// Inputs longer than this are refused at once (a valid host is at most 253 ASCII bytes;
/// the slack covers Unicode input that maps to fewer bytes).
pub(crate) const MAX_INPUT: usize = 1024;

/// Longest valid host in ASCII form.
pub(crate) const MAX_HOST: usize = 253;

/// Result of the allocation-free fast path.
#[allow(clippy::large_enum_variant)] // The buffer is meant to live on the stack.
pub(crate) enum Fast {
    /// Plain ASCII host, lower-cased and validated.
    Ascii(Buf),
    /// Needs the full IDNA processing (non-ASCII input or `xn--` labels).
    Idna,
    /// Not a usable host name.
    Invalid,
}

/// Trims white space and one trailing dot.
#[inline]
pub(crate) fn trim(host: &str) -> &str {
    let h = host.trim_matches(|c: char| c.is_ascii_whitespace());
    h.strip_suffix('.').unwrap_or(h)
}

/// Lower-cases and validates an ASCII host into a stack buffer, in one pass.
#[inline]
pub(crate) fn fast(host: &str) -> Fast {
    let h = trim(host);
    if h.is_empty() || h.len() > MAX_INPUT {
        return Fast::Invalid;
    }
    if !h.is_ascii() {
        return Fast::Idna;
    }
    if h.len() > MAX_HOST {
        return Fast::Invalid;
    }
    let mut buf = Buf::new();
    let bytes = h.as_bytes();
    let mut label = 0usize;
    let mut xn = false;
    for (i, &raw) in bytes.iter().enumerate() {
        let b = raw.to_ascii_lowercase();
        match b {
            b'.' => {
                if label == 0 {
                    return Fast::Invalid;
                }
                label = 0;
            }
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {
                if label == 0 && b == b'x' && bytes.len() >= i + 4 {
                    let next = &bytes[i + 1..i + 4];
                    xn |= next[0].eq_ignore_ascii_case(&b'n') && next[1..] == *b"--";
                }
                label += 1;
                if label > 63 {
                    return Fast::Invalid;
                }
            }
            _ => return Fast::Invalid,
        }
        buf.push(b);
    }
    if label == 0 {
        return Fast::Invalid;
    }
    if xn {
        Fast::Idna
    } else {
        Fast::Ascii(buf)
    }
}

/// True when some label starts with the ACE prefix `xn--`.
#[inline]
pub(crate) fn contains_xn(h: &str) -> bool {
    label_starts(h).any(|i| h.as_bytes()[i..].starts_with(b"xn--"))
}

/// Letters, digits, hyphen and underscore in labels of 1–63 bytes, at most 253 bytes.
pub(crate) fn valid_ascii_host(h: &[u8]) -> bool {
    if h.is_empty() || h.len() > MAX_HOST {
        return false;
    }
    let mut label = 0usize;
    for &b in h {
        match b {
            b'.' => {
                if label == 0 {
                    return false;
                }
                label = 0;
            }
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {
                label += 1;
                if label > 63 {
                    return false;
                }
            }
            _ => return false,
        }
    }
    label > 0
}

/// Full UTS #46 processing to the ASCII (punycode) form, or `None`.
pub(crate) fn to_ascii_owned(host: &str) -> Option<String> {
    let h = trim(host);
    if h.is_empty() || h.len() > MAX_INPUT {
        return None;
    }
    let ascii = idna::domain_to_ascii_cow(h.as_bytes(), idna::AsciiDenyList::URL).ok()?;
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
    if valid_ascii_host(ascii.as_bytes()) && ascii.len() < CAP {
        Some(ascii.to_owned())
    } else {
        None
    }
}

/// Unicode form of a valid ASCII host, or `None` when a label does not decode cleanly.
pub(crate) fn unicode_of_ascii(ascii: &str) -> Option<String> {
    let (u, res) = idna::domain_to_unicode(ascii);
    res.ok()?;
    Some(u)
}

/// True for IP literals: bracketed or bare IPv6, and anything a URL parser reads as IPv4
/// (the last label is a decimal or `0x` hexadecimal number, as in WHATWG URL).
pub(crate) fn is_ip_literal(host: &str) -> bool {
    let h = trim(host);
    if h.is_empty() || h.len() > MAX_INPUT {
        return false;
    }
    if let Some(inner) = h.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok();
    }
    if h.contains(':') {
        return h.parse::<Ipv6Addr>().is_ok();
    }
    numeric_last_label(h)
}

/// True when the last label is a decimal or `0x` hexadecimal number: a URL parser reads
/// such a host as IPv4 (WHATWG URL), and it is never a domain name.
#[inline]
pub(crate) fn numeric_last_label(h: &str) -> bool {
    let b = h.as_bytes();
    let start = b.iter().rposition(|&c| c == b'.').map_or(0, |p| p + 1);
    let last = &b[start..];
    if last.is_empty() {
        return false;
    }
    if last.iter().all(u8::is_ascii_digit) {
        return true;
    }
    match last {
        [b'0', b'x' | b'X', rest @ ..] => rest.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// Byte offsets where each label of `h` starts (the host itself and every parent).
#[inline]
pub(crate) fn label_starts(h: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(h.bytes().enumerate().filter(|&(_, b)| b == b'.').map(|(i, _)| i + 1))
}
