//! Lookups against 200,000 listed domains (goal ≤ 200 ns), loading a 100,000-entry feed
//! (goal ≤ 200 ms) and the heap the 200,000-entry index holds (goal ≤ 30 MB). The domains
//! are generated here, shaped like CERT Polska's entries (random-looking labels under
//! cheap top-level domains, some with subdomains).

use criterion::{criterion_group, criterion_main, Criterion};
use healthguard_feeds::{feed, store, FeedIndex, FeedSpec, Format, Official};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live heap bytes, to report the index's memory.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const TLDS: [&str; 8] = ["pl", "com", "shop", "online", "top", "cfd", "sbs", "info"];

/// `n` distinct domains: `pacjent-zwrot-<k>.<tld>`, every fifth with a subdomain.
fn domains(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let k = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            let base = format!("pacjent-zwrot-{k:x}{i}.{}", TLDS[i % TLDS.len()]);
            if i % 5 == 0 {
                format!("login.{base}")
            } else {
                base
            }
        })
        .collect()
}

fn official() -> Official {
    Official::from_registry(healthguard_registry::builtin())
}

fn index(hosts: &[String]) -> FeedIndex {
    let mut ix = FeedIndex::new(official());
    ix.add("Bench list", hosts.iter().map(String::as_str));
    ix
}

fn lookup(c: &mut Criterion) {
    let hosts = domains(200_000);
    let before = LIVE.load(Ordering::Relaxed);
    let ix = index(&hosts);
    let held = LIVE.load(Ordering::Relaxed) - before;
    eprintln!(
        "index of {} hosts holds {:.1} MB of heap ({:.0} bytes per host)",
        ix.len(),
        held as f64 / 1e6,
        held as f64 / ix.len() as f64
    );
    let listed = format!("www.{}", hosts[1234]);
    let mut g = c.benchmark_group("lookup_200k");
    g.bench_function("listed_subdomain", |b| {
        b.iter(|| ix.lookup(black_box(&listed)).is_some())
    });
    g.bench_function("unlisted_3_labels", |b| {
        b.iter(|| ix.lookup(black_box("online.mbank.pl")).is_some())
    });
    g.bench_function("unlisted_5_labels", |b| {
        b.iter(|| ix.lookup(black_box("a.b.login.microsoftonline.com")).is_some())
    });
    g.bench_function("unicode_uppercase", |b| {
        b.iter(|| ix.lookup(black_box("Zażółć.Example.PL")).is_some())
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    let hosts = domains(100_000);
    let body = hosts.join("\n").into_bytes();
    let spec = FeedSpec {
        name: "bench".into(),
        title: "Bench list".into(),
        url: "https://feeds.example/domains.txt".into(),
        format: Format::Domains,
        min_entries: 1,
        max_entries: 1_000_000,
        max_bytes: 64 << 20,
    };
    let official = official();
    let dir = std::env::temp_dir().join(format!("healthguard-feeds-bench-{}", std::process::id()));
    let checked = feed::check(&spec, &body, &official).expect("valid");
    store::write(&dir, &spec, &checked, 0).expect("stored");
    let mut g = c.benchmark_group("load_100k");
    g.sample_size(10);
    g.bench_function("validate_download", |b| {
        b.iter(|| feed::check(&spec, black_box(&body), &official).map(|c| c.hosts.len()))
    });
    g.bench_function("load_stored_into_index", |b| {
        b.iter(|| store::load_dir(&dir, official.clone()).map(|l| l.index.len()))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, lookup, load);
criterion_main!(benches);
