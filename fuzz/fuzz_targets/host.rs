//! Links, hosts and look-alikes: link extraction (defanged forms too), URL parsing,
//! IDNA both ways, registrable domains, mixed scripts, host classes and the look-alike
//! index of the built-in registry's domains, and the text fold they rest on.
#![no_main]

use healthguard_core::{fold, links, Checker};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let index = checker().domains();
    // The input as one host.
    let _ = std::hint::black_box(index.check(&text));
    let _ = healthguard_domains::to_ascii(&text);
    let _ = healthguard_domains::to_unicode(&text);
    let _ = healthguard_domains::registrable_domain(&text);
    let _ = healthguard_domains::is_mixed_script(&text);
    let _ = healthguard_domains::classify_host(&text);
    // The input as text with links in it: every link's host through the index.
    for link in links::extract(&text) {
        let _ = std::hint::black_box(index.check(&link.host));
        let _ = index.classify_host(&link.host);
    }
    let _ = links::parse_one(&text);
    let _ = links::refang(&text);
    let folded = fold::fold(&text);
    let _ = std::hint::black_box(folded);
});
