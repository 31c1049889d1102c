//! The analysts' report list over a store of many reports (default 100,000; set
//! `HG_BENCH_REPORTS`): one page unfiltered, by status, by channel and institution, by
//! campaign, and a text search, each as `GET /v1/triage/reports` runs it
//! (`ReportStore::list_reports`, count plus page) on SQLite.
//!
//! `cargo bench -p healthguard-server --bench triage`. The store is built once in the
//! temporary directory and reused (delete `healthguard-triage-bench-*` there).

use criterion::{criterion_group, criterion_main, Criterion};
use healthguard_server::access::Status;
use healthguard_server::store::{Change, NewReport, ReportQuery, ReportStore, SqliteStore};
use std::path::PathBuf;
use std::time::Duration;

const TEMPLATES: &[&str] = &[
    "NFZ: nalezy sie zwrot {n} zl. Potwierdz dane na https://nfz-zwrot-{d}.example/odbierz",
    "CNAS: cardul de sanatate {n} a expirat, actualizati pe https://cnas-card-{d}.example/",
    "Paczka {n} czeka na doplate 2 zl: https://kurier-{d}.example/p",
    "Twoje konto pacjenta {n} zostanie zablokowane, zaloguj sie https://ikp-{d}.example/login",
    "Dear patient, your NHS refund {n} is ready, claim at https://nhs-refund-{d}.example/",
];

fn store_dir(n: usize) -> PathBuf {
    std::env::temp_dir().join(format!("healthguard-triage-bench-{n}"))
}

fn fill(rt: &tokio::runtime::Runtime, n: usize) -> SqliteStore {
    let dir = store_dir(n);
    let ready = dir.join("ready");
    rt.block_on(async {
        if !ready.exists() {
            let _ = std::fs::remove_dir_all(&dir);
            let store = SqliteStore::open(&dir).await.unwrap();
            let started = std::time::Instant::now();
            let mut waiting = Vec::new();
            for i in 0..n {
                let t = TEMPLATES[i % TEMPLATES.len()];
                let text = t
                    .replace("{n}", &(i * 7919 % 100_000).to_string())
                    .replace("{d}", &(i % 400).to_string());
                let r = NewReport {
                    id: format!("R{i:015}"),
                    token_hash: [0; 32],
                    created_at_ms: 1_790_000_000_000 + i as i64 * 1000,
                    kind: if i % 4 == 0 { "email" } else { "sms" }.into(),
                    verdict: "phishing".into(),
                    score: 9.0,
                    institution: Some(["pl.nfz", "ro.cnas", "pl.nfz", "pl.cez", "gb.nhs"][i % 5].into()),
                    findings_json: "[]".into(),
                    sender: Some("INFO".into()),
                    message: text.into_bytes(),
                    contact: None,
                    lang: None,
                };
                waiting.push(store.insert(r));
                if waiting.len() == 2000 {
                    for w in waiting.drain(..) {
                        w.await.unwrap();
                    }
                }
            }
            for w in waiting.drain(..) {
                w.await.unwrap();
            }
            for i in (0..n).step_by(10) {
                let id = format!("R{i:015}");
                store
                    .change_report(&id, Change::Status(Status::Triaged), "bench")
                    .await
                    .unwrap();
            }
            eprintln!("filled {n} reports in {:.1} s", started.elapsed().as_secs_f64());
            store.close().await;
            std::fs::write(&ready, b"").unwrap();
        }
        SqliteStore::open(&dir).await.unwrap()
    })
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("HG_BENCH_REPORTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let opened = std::time::Instant::now();
    let store = fill(&rt, n);
    eprintln!("opened (grouping restored) in {:.2} s", opened.elapsed().as_secs_f64());
    let campaign = rt.block_on(store.campaigns()).unwrap()[0].id.clone();
    let base = ReportQuery {
        page: 1,
        per_page: 50,
        ..ReportQuery::default()
    };
    let cases: Vec<(&str, ReportQuery)> = vec![
        ("first page", base.clone()),
        (
            "page 1000",
            ReportQuery {
                page: 1000,
                ..base.clone()
            },
        ),
        (
            "status triaged",
            ReportQuery {
                status: Some(Status::Triaged),
                ..base.clone()
            },
        ),
        (
            "channel + institution",
            ReportQuery {
                channel: Some("email".into()),
                institution: Some("ro.cnas".into()),
                ..base.clone()
            },
        ),
        (
            "campaign",
            ReportQuery {
                campaign: Some(campaign),
                ..base.clone()
            },
        ),
        (
            "text search",
            ReportQuery {
                q: Some("kurier-17".into()),
                ..base.clone()
            },
        ),
    ];
    let mut g = c.benchmark_group(format!("report list over {n} reports"));
    g.sample_size(30).measurement_time(Duration::from_secs(4));
    for (name, q) in cases {
        g.bench_function(name, |b| b.iter(|| rt.block_on(store.list_reports(&q)).unwrap()));
    }
    g.bench_function("campaigns (all, in memory)", |b| {
        b.iter(|| rt.block_on(store.campaigns()).unwrap().len())
    });
    g.finish();
    rt.block_on(store.close());
}

criterion_group!(benches, bench);
criterion_main!(benches);
