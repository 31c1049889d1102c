//! Throughput over the shared e-mail corpus (`../shared/corpus/email`: phishing_pot and
//! SpamAssassin ham and spam), offline, one thread: MIME parsing alone with mail-parser (the
//! floor), this crate's `parse`, and the whole analysis (parse, authentication from
//! trusted headers, analyse, conclude), and the analysis alone on parsed messages.
//! Throughput is in messages per second.
//!
//! `cargo bench -p healthguard-mail` (set HG_CORPUS to use another folder). Skipped, with a
//! message, when the corpus is missing.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthguard_core::Checker;
use healthguard_mail::{analyze, authres, parse, Limits};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p
            .file_name()
            .is_some_and(|n| n != "cmds" && !n.to_string_lossy().starts_with('.'))
        {
            out.push(p);
        }
    }
}

fn corpus() -> Option<Vec<Vec<u8>>> {
    let root = std::env::var_os("HG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/email")));
    let mut list = Vec::new();
    for set in ["phishing_pot", "spamassassin/ham", "spamassassin/spam"] {
        files(&root.join(set), &mut list);
    }
    if list.is_empty() {
        eprintln!(
            "healthguard-mail bench: no corpus at {} (../shared missing?): skipped",
            root.display()
        );
        return None;
    }
    // Under `cargo test` (no --bench flag) criterion runs each routine once, unoptimised:
    // a sample of the corpus is enough to show the bench still works.
    if !std::env::args().any(|a| a == "--bench") {
        list.truncate(50);
    }
    Some(list.iter().filter_map(|p| std::fs::read(p).ok()).collect())
}

fn bench(c: &mut Criterion) {
    let Some(messages) = corpus() else { return };
    let bytes: usize = messages.iter().map(Vec::len).sum();
    eprintln!("corpus: {} messages, {:.1} MB", messages.len(), bytes as f64 / 1e6);
    let checker = Checker::new(healthguard_registry::builtin().clone());
    let limits = Limits::default();
    let parser = mail_parser::MessageParser::default();
    let mut g = c.benchmark_group("email_corpus");
    g.sample_size(10);
    g.throughput(Throughput::Elements(messages.len() as u64));
    g.bench_function("mime_parse_only", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(parser.parse(m.as_slice()).map(|p| p.parts.len()));
            }
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(parse(m, &limits));
            }
        })
    });
    let parsed: Vec<_> = messages.iter().map(|m| parse(m, &limits)).collect();
    g.bench_function("analyze_only", |b| {
        b.iter(|| {
            for mail in &parsed {
                let auth = authres::from_trusted_headers(mail, "mx.example.org", &[]);
                black_box(analyze(&checker, mail, &auth));
            }
        })
    });
    g.bench_function("whole_analysis", |b| {
        b.iter(|| {
            for m in &messages {
                let mail = parse(m, &limits);
                let auth = authres::from_trusted_headers(&mail, "mx.example.org", &[]);
                black_box(analyze(&checker, &mail, &auth));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
