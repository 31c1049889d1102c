//! Prometheus metrics of the milter: the [`Stats`](crate::stats::Stats) counters in the text
//! exposition format, served on `GET /metrics` of `metrics_listen` when it is configured.

use crate::stats::{Snapshot, CHECK_BUCKETS};
use std::fmt::Write;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Largest request read (a scraper's GET is far smaller).
const MAX_REQUEST: usize = 8 * 1024;

/// The counters in the Prometheus text format.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, rows: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP healthguard_milter_{name} {help}");
        let _ = writeln!(out, "# TYPE healthguard_milter_{name} counter");
        for (labels, value) in rows {
            let _ = writeln!(out, "healthguard_milter_{name}{labels} {value}");
        }
    };
    counter(
        "connections_total",
        "SMTP client connections the MTA announced.",
        &[("", s.connections)],
    );
    counter(
        "messages_total",
        "Messages that reached the end of their body.",
        &[("", s.messages)],
    );
    let verdicts = ["official", "unverified", "suspicious", "phishing"];
    let rows: Vec<(String, u64)> = verdicts
        .iter()
        .zip(s.verdicts)
        .map(|(v, n)| (format!("{{verdict=\"{v}\"}}"), n))
        .collect();
    counter("verdicts_total", "Checked messages per verdict.", &borrow(&rows));
    let actions = ["accept", "tag", "banner", "quarantine", "reject"];
    let rows: Vec<(String, u64)> = actions
        .iter()
        .zip(s.actions)
        .map(|(a, n)| (format!("{{action=\"{a}\"}}"), n))
        .collect();
    counter("actions_total", "Checked messages per action taken.", &borrow(&rows));
    let reasons = ["timeout", "internal_error", "oversized"];
    let rows: Vec<(String, u64)> = reasons
        .iter()
        .zip(s.failures)
        .map(|(r, n)| (format!("{{reason=\"{r}\"}}"), n))
        .collect();
    counter(
        "failures_total",
        "Messages not checked (delivered or tempfailed per on_failure).",
        &borrow(&rows),
    );
    let results = ["added", "too_large", "no_text_part"];
    let rows: Vec<(String, u64)> = results
        .iter()
        .zip(s.banners)
        .map(|(r, n)| (format!("{{result=\"{r}\"}}"), n))
        .collect();
    counter(
        "banners_total",
        "Messages of the action banner, per result.",
        &borrow(&rows),
    );
    let checked: u64 = s.verdicts.iter().sum();
    let _ = writeln!(
        out,
        "# HELP healthguard_milter_check_seconds Time from end of message to decision."
    );
    let _ = writeln!(out, "# TYPE healthguard_milter_check_seconds histogram");
    for (bound, n) in CHECK_BUCKETS.iter().zip(s.check_buckets) {
        let _ = writeln!(out, "healthguard_milter_check_seconds_bucket{{le=\"{bound}\"}} {n}");
    }
    let _ = writeln!(out, "healthguard_milter_check_seconds_bucket{{le=\"+Inf\"}} {checked}");
    let _ = writeln!(
        out,
        "healthguard_milter_check_seconds_sum {}",
        s.check_micros as f64 / 1e6
    );
    let _ = writeln!(out, "healthguard_milter_check_seconds_count {checked}");
    out
}

fn borrow(rows: &[(String, u64)]) -> Vec<(&str, u64)> {
    rows.iter().map(|(l, n)| (l.as_str(), *n)).collect()
}

/// Serves `GET /metrics` (anything else: 404) on `listener` for ever, one task per client.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<crate::Shared>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            let read = async {
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < MAX_REQUEST {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
            };
            if tokio::time::timeout(std::time::Duration::from_secs(5), read)
                .await
                .is_err()
            {
                return;
            }
            let response = if request.starts_with(b"GET /metrics ") || request.starts_with(b"GET /metrics?") {
                let body = render(&shared.stats.snapshot());
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            };
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_is_rendered_with_its_labels() {
        let s = Snapshot {
            connections: 3,
            messages: 5,
            verdicts: [1, 0, 1, 2],
            actions: [1, 2, 3, 0, 1],
            failures: [1, 0, 0],
            check_buckets: [0, 1, 2, 3, 4, 4, 4, 4, 4, 4],
            check_micros: 12_500,
            banners: [3, 1, 0],
        };
        let text = render(&s);
        for line in [
            "healthguard_milter_connections_total 3",
            "healthguard_milter_messages_total 5",
            "healthguard_milter_verdicts_total{verdict=\"phishing\"} 2",
            "healthguard_milter_actions_total{action=\"tag\"} 2",
            "healthguard_milter_actions_total{action=\"banner\"} 3",
            "healthguard_milter_banners_total{result=\"added\"} 3",
            "healthguard_milter_banners_total{result=\"too_large\"} 1",
            "healthguard_milter_failures_total{reason=\"timeout\"} 1",
            "healthguard_milter_check_seconds_bucket{le=\"0.001\"} 1",
            "healthguard_milter_check_seconds_bucket{le=\"+Inf\"} 4",
            "healthguard_milter_check_seconds_sum 0.0125",
            "healthguard_milter_check_seconds_count 4",
            "# TYPE healthguard_milter_check_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }
}
