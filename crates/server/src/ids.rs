//! Report ids, reporter tokens and timestamps.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Crockford's base-32 alphabet: no I, L, O or U, easy to read aloud and to type.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// A new report id: 16 Crockford base-32 characters (80 random bits).
pub fn new_report_id() -> String {
    let bytes: [u8; 10] = random();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    (0..16)
        .rev()
        .map(|i| CROCKFORD[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// Whether `id` has the form of a report id (checked before any database look-up).
pub fn is_report_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| CROCKFORD.contains(&b))
}

/// A new reporter token (256 random bits, base64url) and its SHA-256, which is what is stored.
pub fn new_token() -> (String, [u8; 32]) {
    use base64::Engine;
    let bytes: [u8; 32] = random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 of a token.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` hashes to `stored`, compared in constant time.
pub fn token_matches(token: &str, stored: &[u8]) -> bool {
    let hash = hash_token(token);
    stored.len() == 32 && bool::from(hash.as_slice().ct_eq(stored))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-22T05:13:00.123Z`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A timestamp from [`rfc3339`] as people read it: `2026-12-03 11:47 UTC`. Anything
/// else is returned as given.
pub fn human_utc(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16), rfc3339.ends_with('Z')) {
        (Some(date), Some(time), true) if rfc3339.as_bytes().get(10) == Some(&b'T') => {
            format!("{date} {time} UTC")
        }
        _ => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_utc_drops_seconds_and_names_the_zone() {
        assert_eq!(human_utc(&rfc3339(1_764_762_420_123)), "2025-12-03 11:47 UTC");
        assert_eq!(human_utc("garbage"), "garbage");
        assert_eq!(human_utc(""), "");
    }

    #[test]
    fn ids_and_tokens() {
        let id = new_report_id();
        assert!(is_report_id(&id), "{id}");
        assert_ne!(id, new_report_id());
        assert!(!is_report_id("../../etc/passwd"));
        let (token, hash) = new_token();
        assert_eq!(token.len(), 43);
        assert!(token_matches(&token, &hash));
        assert!(!token_matches("x", &hash));
        assert!(!token_matches(&token, &hash[..31]));
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_740_355_199_999), "2025-02-23T23:59:59.999Z");
    }
}
