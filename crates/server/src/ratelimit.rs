//! Per-client rate limiting: a token bucket per IP address.
//!
//! Buckets live in a few mutex-guarded shards; when a shard grows past its bound, buckets
//! that have refilled completely (idle clients) are dropped, so memory stays bounded.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Requests per second and burst allowed to one client address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once after a quiet period.
    pub burst: f64,
}

const SHARDS: usize = 16;
const MAX_PER_SHARD: usize = 4096;

/// Token buckets per client address.
pub struct Limiter {
    limit: RateLimit,
    shards: Vec<Mutex<HashMap<IpAddr, (f64, Instant)>>>,
}

impl Limiter {
    /// A limiter with `limit` for each client.
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, ip: &IpAddr) -> &Mutex<HashMap<IpAddr, (f64, Instant)>> {
        let ix = match ip {
            IpAddr::V4(v4) => v4.octets().iter().fold(0usize, |a, b| a.wrapping_mul(31) + *b as usize),
            // Clients of one IPv6 /64 share a bucket: they usually are one network.
            IpAddr::V6(v6) => v6.octets()[..8]
                .iter()
                .fold(0usize, |a, b| a.wrapping_mul(31) + *b as usize),
        };
        &self.shards[ix % SHARDS]
    }

    /// Takes one token for `ip`: `Ok` when allowed, else `Err(seconds to wait)`.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let ip = match ip {
            IpAddr::V6(v6) => {
                let mut o = v6.octets();
                o[8..].fill(0);
                IpAddr::from(o)
            }
            v4 => v4,
        };
        let RateLimit { per_second, burst } = self.limit;
        let mut map = self.shard(&ip).lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_PER_SHARD && !map.contains_key(&ip) {
            map.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second < burst
            });
            if map.len() >= MAX_PER_SHARD {
                // Everyone is busy: forget the oldest half rather than grow without bound.
                let mut ages: Vec<Instant> = map.values().map(|(_, at)| *at).collect();
                ages.sort();
                let cut = ages[ages.len() / 2];
                map.retain(|_, (_, at)| *at > cut);
            }
        }
        let (tokens, at) = map.entry(ip).or_insert((burst, now));
        let refilled = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            let wait = (1.0 - refilled) / per_second.max(1e-9);
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills() {
        let l = Limiter::new(RateLimit {
            per_second: 2.0,
            burst: 3.0,
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        assert!(l.check(ip, t0).is_ok());
        assert!(l.check(ip, t0).is_ok());
        assert!(l.check(ip, t0).is_ok());
        assert_eq!(l.check(ip, t0), Err(1));
        assert!(l.check(other, t0).is_ok());
        assert!(l.check(ip, t0 + Duration::from_millis(600)).is_ok());
        assert!(l.check(ip, t0 + Duration::from_millis(600)).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let l = Limiter::new(RateLimit {
            per_second: 1.0,
            burst: 1.0,
        });
        let t0 = Instant::now();
        for i in 0..200_000u32 {
            let _ = l.check(IpAddr::from(i.to_be_bytes()), t0);
        }
        let total: usize = l.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total <= SHARDS * MAX_PER_SHARD, "{total}");
    }
}
