//! Exports of campaigns, as pure functions: STIX 2.1 ([`stix`]), MISP event JSON
//! ([`misp`]), an ARF abuse report (RFC 5965, [`arf`]) and blocklists ([`blocklist`]).
//!
//! Every export is built from a campaign's indicators and, for ARF, one redacted sample
//! ([`arf::Sample`]); no export reads a report's raw text. Official registry domains never
//! enter a blocklist, whatever a campaign holds.

pub mod advisory;
pub mod arf;
pub mod blocklist;
pub mod misp;
pub mod stix;

use crate::campaign::Campaign;
use crate::official::Official;
use healthguard_registry::{Lang, Registry};
use sha2::{Digest, Sha256};

/// What every export needs besides the campaigns.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// When the export is made (ms since the Unix epoch): its timestamps and serials.
    pub generated_at_ms: i64,
    /// For the names of claimed institutions.
    pub registry: &'a Registry,
    /// Official channels, kept out of blocklists.
    pub official: &'a Official,
}

impl Context<'_> {
    /// The English name of the institution a campaign claims, else its id, else "unknown".
    pub fn institution_name(&self, c: &Campaign) -> String {
        match c.institution() {
            Some(id) => self
                .registry
                .institution(id)
                .map_or_else(|| id.to_string(), |i| i.display_name(Lang::En).to_string()),
            None => "an unknown institution".to_string(),
        }
    }
}

/// A UUID derived from `seed` (stable across runs, so a re-export names objects alike),
/// laid out as version 4 / RFC 4122 variant.
pub(crate) fn uuid(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// RFC 4122 UUIDv5 (SHA-1) of `name` in `namespace`: STIX 2.1 §2.9 derives the ids of
/// cyber observables this way, from the canonical JSON of their id-contributing properties,
/// so every producer names one observable alike.
pub(crate) fn uuid5(namespace: [u8; 16], name: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(&namespace);
    ctx.update(name.as_bytes());
    let h = ctx.finish();
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.as_ref()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_uuid(&b)
}

fn format_uuid(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Broken-down UTC time of `ms`, clamped to years 1970–9999.
fn parts(ms: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let ms = ms.clamp(0, 253_402_300_799_999);
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, mo, d) = civil(days);
    (y, mo, d, rem / 3600, rem % 3600 / 60, rem % 60, milli)
}

/// RFC 3339 UTC timestamp with milliseconds, as STIX wants: `2026-12-03T11:48:00.000Z`.
pub fn rfc3339(ms: i64) -> String {
    let (y, mo, d, h, mi, s, milli) = parts(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// `YYYY-MM-DD`.
pub fn date(ms: i64) -> String {
    rfc3339(ms)[..10].to_string()
}

/// RFC 5322 date: `Thu, 03 Dec 2026 11:48:00 +0000`.
pub fn rfc5322(ms: i64) -> String {
    let (y, mo, d, h, mi, s, _) = parts(ms);
    let days = ms.clamp(0, 253_402_300_799_999).div_euclid(86_400_000);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} +0000",
        WD[days.rem_euclid(7) as usize],
        MON[(mo - 1) as usize]
    )
}

/// Whether `value` is a plain host name: lower-case ASCII letters, digits and hyphens in
/// dot-separated labels of 1–63 characters, at least two labels, at most 253 characters.
/// Anything else (hostile input) never reaches a blocklist or a zone file.
pub fn is_plain_host(value: &str) -> bool {
    value.len() <= 253
        && value.contains('.')
        && value.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_298_480_123), "2026-12-03T11:48:00.123Z");
        assert_eq!(rfc5322(1_796_298_480_123), "Thu, 03 Dec 2026 11:48:00 +0000");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
        assert_eq!(date(i64::MAX), "9999-12-31");
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let u = uuid("x");
        assert_eq!(u, uuid("x"));
        assert_ne!(u, uuid("y"));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn uuid5_matches_rfc_4122() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
        ];
        assert_eq!(uuid5(dns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    }

    #[test]
    fn plain_hosts() {
        assert!(is_plain_host("nfz-zwrot.pl"));
        assert!(is_plain_host("xn--za-6ja4f8n1l.pl"));
        for bad in [
            "pl",
            "a..pl",
            "-a.pl",
            "a b.pl",
            "a.pl\nevil CNAME .",
            "A.PL",
            "a;.pl",
            "",
        ] {
            assert!(!is_plain_host(bad), "{bad:?}");
        }
    }
}
