//! Criterion benchmarks of single checks on the built-in registry.
//! Run: `cargo bench -p healthguard-core --bench checks`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use healthguard_core::{Checker, Input};
use std::hint::black_box;

fn checks(c: &mut Criterion) {
    let checker = Checker::new(healthguard_registry::builtin().clone());
    let mut g = c.benchmark_group("check");
    g.throughput(Throughput::Elements(1));
    let sms = "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com";
    g.bench_function("sms_phishing", |b| {
        b.iter(|| {
            checker.check(Input::Sms {
                sender: Some("NFZ"),
                text: black_box(sms),
            })
        })
    });
    let ham = "Hej, będę o 18:00 pod kinem, weź bilety. Do zobaczenia!";
    g.bench_function("sms_ham", |b| {
        b.iter(|| {
            checker.check(Input::Sms {
                sender: Some("+48600111222"),
                text: black_box(ham),
            })
        })
    });
    let english = "Congratulations! You have won a prize. Call 0800 123 4567 now to claim it.";
    g.bench_function("sms_english_prize", |b| {
        b.iter(|| {
            checker.check(Input::Sms {
                sender: Some("+447700900123"),
                text: black_box(english),
            })
        })
    });
    g.bench_function("language_only", |b| {
        b.iter(|| healthguard_core::detect_language(black_box(ham), &[]))
    });
    g.bench_function("url", |b| {
        b.iter(|| checker.check(Input::Url(black_box("https://pacjent.gov.pl.weryfikacja.com/login"))))
    });
    g.bench_function("phone", |b| {
        b.iter(|| checker.check(Input::Phone(black_box("+48 800 190 590"))))
    });
    g.finish();
}

criterion_group!(benches, checks);
criterion_main!(benches);
