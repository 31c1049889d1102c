//! Counters of what the milter did, shared by every connection.

use crate::config::Action;
use healthguard_core::Verdict;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a message was not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The check took longer than `timeout_ms`.
    Timeout,
    /// The check itself failed (a panic in the checker, a worker that could not start).
    Internal,
    /// Larger than `max_message_bytes`.
    Oversized,
}

impl Failure {
    /// The lower-case name used in logs.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Internal => "internal_error",
            Failure::Oversized => "oversized",
        }
    }
}

/// Upper bounds (seconds) of the check-time histogram buckets.
pub const CHECK_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// Monotonic counters (relaxed atomics: they are statistics, not synchronisation).
#[derive(Debug, Default)]
pub struct Stats {
    /// SMTP client connections the MTA announced (milter `connect`).
    pub connections: AtomicU64,
    /// Messages that reached the end of their body.
    pub messages: AtomicU64,
    verdicts: [AtomicU64; 4],
    actions: [AtomicU64; 5],
    failures: [AtomicU64; 3],
    check_buckets: [AtomicU64; CHECK_BUCKETS.len()],
    check_micros: AtomicU64,
    banners: [AtomicU64; 3],
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// SMTP client connections the MTA announced (milter `connect`).
    pub connections: u64,
    /// Messages that reached the end of their body.
    pub messages: u64,
    /// Per verdict: official, unverified, suspicious, phishing.
    pub verdicts: [u64; 4],
    /// Per action: accept, tag, banner, quarantine, reject.
    pub actions: [u64; 5],
    /// Per failure: timeout, internal error, oversized.
    pub failures: [u64; 3],
    /// Checked messages whose check took at most each [`CHECK_BUCKETS`] bound (cumulative).
    pub check_buckets: [u64; CHECK_BUCKETS.len()],
    /// Total check time of checked messages, in microseconds.
    pub check_micros: u64,
    /// Messages of the action `banner`: given one, too large for one
    /// (`banner_max_bytes`), without a part that could take one.
    pub banners: [u64; 3],
}

/// What became of a message's banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannerResult {
    /// Put into at least one text part.
    Added,
    /// The message is larger than `banner_max_bytes`.
    TooLarge,
    /// No text part could take it (none, or charsets and encodings it cannot write).
    NoPart,
}

impl BannerResult {
    /// The lower-case name used in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            BannerResult::Added => "added",
            BannerResult::TooLarge => "too_large",
            BannerResult::NoPart => "no_text_part",
        }
    }
}

fn verdict_index(v: Verdict) -> usize {
    match v {
        Verdict::Official => 0,
        Verdict::Unverified => 1,
        Verdict::Suspicious => 2,
        Verdict::Phishing => 3,
    }
}

fn action_index(a: Action) -> usize {
    match a {
        Action::Accept => 0,
        Action::Tag => 1,
        Action::Banner => 2,
        Action::Quarantine => 3,
        Action::Reject => 4,
    }
}

fn failure_index(f: Failure) -> usize {
    match f {
        Failure::Timeout => 0,
        Failure::Internal => 1,
        Failure::Oversized => 2,
    }
}

impl Stats {
    /// Counts a checked message and the time from its end of message to the decision.
    pub fn checked(&self, verdict: Verdict, action: Action, took: std::time::Duration) {
        self.verdicts[verdict_index(verdict)].fetch_add(1, Ordering::Relaxed);
        self.actions[action_index(action)].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (bound, bucket) in CHECK_BUCKETS.iter().zip(&self.check_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.check_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts a message that could not be checked; returns the new count of that failure.
    pub fn failed(&self, failure: Failure) -> u64 {
        self.failures[failure_index(failure)].fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts what became of a banner.
    pub fn banner(&self, result: BannerResult) {
        let i = match result {
            BannerResult::Added => 0,
            BannerResult::TooLarge => 1,
            BannerResult::NoPart => 2,
        };
        self.banners[i].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Snapshot {
            connections: load(&self.connections),
            messages: load(&self.messages),
            verdicts: self.verdicts.each_ref().map(load),
            actions: self.actions.each_ref().map(load),
            failures: self.failures.each_ref().map(load),
            check_buckets: self.check_buckets.each_ref().map(load),
            check_micros: load(&self.check_micros),
            banners: self.banners.each_ref().map(load),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_own_slots() {
        let s = Stats::default();
        s.checked(Verdict::Phishing, Action::Reject, std::time::Duration::from_micros(300));
        s.checked(Verdict::Official, Action::Accept, std::time::Duration::from_millis(3));
        assert_eq!(s.failed(Failure::Oversized), 1);
        assert_eq!(s.failed(Failure::Oversized), 2);
        s.failed(Failure::Timeout);
        s.banner(BannerResult::TooLarge);
        let snap = s.snapshot();
        assert_eq!(snap.verdicts, [1, 0, 0, 1]);
        assert_eq!(snap.actions, [1, 0, 0, 0, 1]);
        assert_eq!(snap.banners, [0, 1, 0]);
        assert_eq!(snap.failures, [1, 0, 2]);
        assert_eq!(snap.check_buckets, [1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
        assert_eq!(snap.check_micros, 3300);
    }
}
