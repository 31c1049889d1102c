//! `check` throughput: an unrelated domain, a look-alike, and a realistic mix (mostly
//! unrelated hosts, some official, some look-alikes, a few IDNs).

#[path = "../tests/support/registry.rs"]
mod registry;
#[path = "../tests/support/worst.rs"]
mod worst;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// About 90% unrelated hosts as seen in links, the rest official or look-alikes.
const MIX: &[&str] = &[
    "google.com",
    "www.youtube.com",
    "facebook.com",
    "l.facebook.com",
    "instagram.com",
    "t.co",
    "bit.ly",
    "allegro.pl",
    "www.olx.pl",
    "onet.pl",
    "wp.pl",
    "poczta.wp.pl",
    "interia.pl",
    "mbank.pl",
    "online.mbank.pl",
    "pkobp.pl",
    "www.ipko.pl",
    "inpost.pl",
    "emag.ro",
    "www.olx.ro",
    "digi24.ro",
    "hotnews.ro",
    "libertatea.ro",
    "bt.ro",
    "www.bancatransilvania.ro",
    "login.microsoftonline.com",
    "outlook.office365.com",
    "teams.microsoft.com",
    "accounts.google.com",
    "docs.google.com",
    "drive.google.com",
    "mail.google.com",
    "apple.com",
    "icloud.com",
    "amazon.de",
    "www.amazon.com",
    "cdn.jsdelivr.net",
    "fonts.googleapis.com",
    "github.com",
    "raw.githubusercontent.com",
    "stackoverflow.com",
    "en.wikipedia.org",
    "pl.wikipedia.org",
    "news.ycombinator.com",
    "www.reddit.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "zoom.us",
    "us02web.zoom.us",
    "rynekzdrowia.pl",
    "abczdrowie.pl",
    "medonet.pl",
    "znanylekarz.pl",
    "gabinet-stomatologiczny.pl",
    "cez.cz",
    "msn.com",
    "drmax.ro",
    "farmaciatei.ro",
    "mf.gov.pl",
    "stat.gov.pl",
    "www.gov.pl",
    "podatki.gov.pl",
    "ms.gov.ro",
    "anaf.ro",
    "wwwgov-pl.buzz",
    "etollgovpl.sbs",
    "inpost-pl.sp1rzeedazzzaa.lol",
    "fisio9-nesciunt81.sbs",
    "goldcapitalai.net",
    "hupka-is6251.eu.cc",
    "korlin-ventax-biz16-sarvik-holrex-sp17ct12.pages.dev",
    "tksxv6okt0v9pz5-lo6n5mp1thhi10zevyljrp1s.vercel.app",
    "xn--80ak6aa92e.com",
    "xn--mnchen-3ya.de",
    "192.168.1.1",
    "www.nfz.gov.pl",
    "pacjent.gov.pl",
    "nfz-warszawa.pl",
    "cnas.ro",
    "nfz-zwrot.pl",
    "pacjent-gov.pl",
    "nfz.gov-pl.com",
    "pacjent.gov.pl.example.com",
    "nfz.olsztyn.pl",
    "nfz-warszava.pl",
    "cnas-pias.com",
    "xn--80aa0cbo.ro",
    "e-zdrowie.pl",
    "pacjent-gev.cc",
];

fn bench(c: &mut Criterion) {
    let index = registry::index();
    let mut g = c.benchmark_group("check");
    g.throughput(Throughput::Elements(1));
    g.bench_function("unrelated", |b| {
        b.iter(|| index.check(black_box("www.example-shop.com")))
    });
    g.bench_function("lookalike", |b| b.iter(|| index.check(black_box("nfz-zwrot-pl.com"))));
    g.bench_function("idn_homoglyph", |b| {
        b.iter(|| index.check(black_box("xn--80aa0cbo.ro")))
    });
    // The heaviest valid hosts (`tests/props.rs` asserts they are the size bound).
    let worst = worst::worst_case_hosts();
    g.throughput(Throughput::Elements(worst.len() as u64));
    g.bench_function("worst_case", |b| {
        b.iter(|| {
            for h in &worst {
                black_box(index.check(black_box(h)));
            }
        })
    });
    // Inputs refused by their length (`tests/props.rs` asserts they allocate nothing).
    let huge = "nfz-".repeat(1 << 18);
    g.throughput(Throughput::Elements(1));
    g.bench_function("refused_one_megabyte", |b| b.iter(|| index.check(black_box(&huge))));
    g.throughput(Throughput::Elements(MIX.len() as u64));
    g.bench_function("mix", |b| {
        b.iter(|| {
            for h in MIX {
                black_box(index.check(black_box(h)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
