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

/// Monotonic counters (relaxed atomics: they are statistics, not synchronisation).
#[derive(Debug, Default)]
pub struct Stats {
    /// SMTP client connections the MTA announced (milter `connect`).
    pub connections: AtomicU64,
    /// Messages that reached the end of their body.
    pub messages: AtomicU64,
    verdicts: [AtomicU64; 4],
    actions: [AtomicU64; 4],
    failures: [AtomicU64; 3],
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
    /// Per action: accept, tag, quarantine, reject.
    pub actions: [u64; 4],
    /// Per failure: timeout, internal error, oversized.
    pub failures: [u64; 3],
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
        Action::Quarantine => 2,
        Action::Reject => 3,
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
    /// Counts a checked message.
    pub fn checked(&self, verdict: Verdict, action: Action) {
        self.verdicts[verdict_index(verdict)].fetch_add(1, Ordering::Relaxed);
        self.actions[action_index(action)].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message that could not be checked; returns the new count of that failure.
    pub fn failed(&self, failure: Failure) -> u64 {
        self.failures[failure_index(failure)].fetch_add(1, Ordering::Relaxed) + 1
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_own_slots() {
        let s = Stats::default();
        s.checked(Verdict::Phishing, Action::Reject);
        s.checked(Verdict::Official, Action::Accept);
        assert_eq!(s.failed(Failure::Oversized), 1);
        assert_eq!(s.failed(Failure::Oversized), 2);
        s.failed(Failure::Timeout);
        let snap = s.snapshot();
        assert_eq!(snap.verdicts, [1, 0, 0, 1]);
        assert_eq!(snap.actions, [1, 0, 0, 1]);
        assert_eq!(snap.failures, [1, 0, 2]);
    }
}
