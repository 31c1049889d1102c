//! The whole e-mail check: parse (MIME, charsets, encoded words, HTML, attachments,
//! archives) → authenticate from `Authentication-Results` headers → conclude → report.
#![no_main]

use healthguard_core::{Catalog, Checker};
use healthguard_mail::{check, Limits, NoAuth, TrustedHeaders};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(Catalog::builtin)
}

fuzz_target!(|raw: &[u8]| {
    let limits = Limits::default();
    // Odd lengths trust the headers of an authserv-id the seeds use, so the
    // Authentication-Results and ARC readers are fuzzed too.
    let analysis = if raw.len() % 2 == 1 {
        let trusted = TrustedHeaders {
            authserv_id: "mx.przychodnia-sloneczna.pl".into(),
            trusted_arc_sealers: vec!["lists.example.org".into()],
        };
        check(checker(), raw, &limits, &trusted)
    } else {
        check(checker(), raw, &limits, &NoAuth)
    };
    let report = checker().report(&analysis, catalog(), None);
    let _ = std::hint::black_box(report);
});
