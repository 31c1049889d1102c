//! Prometheus metrics in the text exposition format: requests, latency, verdicts, reports.
//!
//! Hand-rolled on atomics: every server instance has its own set (tests run several in one
//! process), recording costs a few uncontended atomic adds, and the output is exactly the
//! documented format.

use healthguard_core::{InputKind, Verdict};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const VERDICTS: [Verdict; 4] = [
    Verdict::Official,
    Verdict::Unverified,
    Verdict::Suspicious,
    Verdict::Phishing,
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// Counters of one route.
#[derive(Default)]
struct RouteStats {
    /// (method, status) → count.
    counts: RwLock<Vec<(&'static str, u16, AtomicU64)>>,
    latency: Histogram,
}

/// All counters of one server.
#[derive(Default)]
pub struct Metrics {
    /// Route pattern → counters (the set of routes is bounded: patterns, not paths).
    routes: RwLock<HashMap<String, RouteStats>>,
    /// (kind, verdict) → count, indexed `kind * 4 + verdict`.
    verdicts: [AtomicU64; InputKind::ALL.len() * 4],
    /// Reports stored (acknowledged).
    reports_stored: AtomicU64,
    /// Reports refused because storage failed.
    reports_failed: AtomicU64,
    /// Requests refused by the rate limiter.
    rate_limited: AtomicU64,
}

/// A method name from a bounded set, so clients cannot grow the metrics.
fn method_name(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "OTHER",
    }
}

impl RouteStats {
    fn record(&self, method: &'static str, status: u16, elapsed: Duration) {
        let counted = {
            let counts = self.counts.read().unwrap_or_else(|e| e.into_inner());
            counts
                .iter()
                .find(|(m, s, _)| *m == method && *s == status)
                .map(|(_, _, c)| c.fetch_add(1, Ordering::Relaxed))
                .is_some()
        };
        if !counted {
            let mut counts = self.counts.write().unwrap_or_else(|e| e.into_inner());
            match counts.iter().find(|(m, s, _)| *m == method && *s == status) {
                Some((_, _, c)) => {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                None => counts.push((method, status, AtomicU64::new(1))),
            }
        }
        let secs = elapsed.as_secs_f64();
        let h = &self.latency;
        if let Some(ix) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            h.buckets[ix].fetch_add(1, Ordering::Relaxed);
        }
        h.count.fetch_add(1, Ordering::Relaxed);
        h.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

fn verdict_ix(v: Verdict) -> usize {
    VERDICTS.iter().position(|x| *x == v).unwrap_or(0)
}

fn kind_name(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Sms => "sms",
        InputKind::Email => "email",
        InputKind::Url => "url",
        InputKind::Phone => "phone",
        InputKind::Text => "text",
        InputKind::Call => "call",
    }
}

impl Metrics {
    /// Records one answered request. `route` is the matched route pattern (bounded set).
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let method = method_name(method);
        {
            let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
            if let Some(r) = routes.get(route) {
                r.record(method, status, elapsed);
                return;
            }
        }
        let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
        routes
            .entry(route.to_string())
            .or_default()
            .record(method, status, elapsed);
    }

    /// Records a verdict given by a check or a report.
    pub fn verdict(&self, kind: InputKind, verdict: Verdict) {
        self.verdicts[kind.index() * 4 + verdict_ix(verdict)].fetch_add(1, Ordering::Relaxed);
    }

    /// Records a stored report (`true`) or one refused by storage (`false`).
    pub fn report(&self, stored: bool) {
        if stored {
            self.reports_stored.fetch_add(1, Ordering::Relaxed);
        } else {
            self.reports_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records a request refused by the rate limiter.
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = writeln!(out, "# HELP healthguard_http_requests_total HTTP requests answered.");
        let _ = writeln!(out, "# TYPE healthguard_http_requests_total counter");
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let mut sorted: Vec<(&String, &RouteStats)> = routes.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (route, stats) in &sorted {
            let mut counts: Vec<(&'static str, u16, u64)> = stats
                .counts
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(m, s, c)| (*m, *s, c.load(Ordering::Relaxed)))
                .collect();
            counts.sort();
            for (method, status, count) in counts {
                let _ = writeln!(
                    out,
                    "healthguard_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    escape(route),
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP healthguard_http_request_duration_seconds Time to answer HTTP requests."
        );
        let _ = writeln!(out, "# TYPE healthguard_http_request_duration_seconds histogram");
        for (route, stats) in &sorted {
            let h = &stats.latency;
            let route = escape(route);
            let mut cumulative = 0;
            for (ix, bound) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets[ix].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "healthguard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "healthguard_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "healthguard_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "healthguard_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        drop(sorted);
        drop(routes);
        let _ = writeln!(
            out,
            "# HELP healthguard_verdicts_total Verdicts given, by kind of message."
        );
        let _ = writeln!(out, "# TYPE healthguard_verdicts_total counter");
        for kind in InputKind::ALL {
            for verdict in VERDICTS {
                let _ = writeln!(
                    out,
                    "healthguard_verdicts_total{{kind=\"{}\",verdict=\"{}\"}} {}",
                    kind_name(kind),
                    verdict.name(),
                    self.verdicts[kind.index() * 4 + verdict_ix(verdict)].load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(out, "# HELP healthguard_reports_total Reports by outcome of storage.");
        let _ = writeln!(out, "# TYPE healthguard_reports_total counter");
        let _ = writeln!(
            out,
            "healthguard_reports_total{{outcome=\"stored\"}} {}",
            self.reports_stored.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "healthguard_reports_total{{outcome=\"failed\"}} {}",
            self.reports_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP healthguard_rate_limited_total Requests refused by the per-client rate limit."
        );
        let _ = writeln!(out, "# TYPE healthguard_rate_limited_total counter");
        let _ = writeln!(
            out,
            "healthguard_rate_limited_total {}",
            self.rate_limited.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.request("/v1/check", "POST", 200, Duration::from_micros(700));
        m.request("/v1/check", "POST", 200, Duration::from_millis(20));
        m.verdict(InputKind::Sms, Verdict::Phishing);
        m.verdict(InputKind::Call, Verdict::Suspicious);
        let text = m.render();
        assert!(text.contains("healthguard_http_requests_total{route=\"/v1/check\",method=\"POST\",status=\"200\"} 2"));
        assert!(text.contains("healthguard_http_request_duration_seconds_bucket{route=\"/v1/check\",le=\"0.001\"} 1"));
        assert!(text.contains("healthguard_http_request_duration_seconds_bucket{route=\"/v1/check\",le=\"+Inf\"} 2"));
        assert!(text.contains("healthguard_verdicts_total{kind=\"sms\",verdict=\"phishing\"} 1"));
        assert!(text.contains("healthguard_verdicts_total{kind=\"call\",verdict=\"suspicious\"} 1"));
    }
}
