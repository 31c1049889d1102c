//! Measures the look-alike rules on two domain lists (not shipped with the crate):
//! a phishing list (every host should be checked by a person: those that imitate a
//! protected domain must be flagged) and a popularity list (flags there are false
//! positives).
//!
//! ```text
//! cargo run --release -p healthguard-domains --example corpus_eval -- \
//!     PHISHING.txt POPULAR.csv
//! ```
//! The phishing list has one host per line; the popularity list is `rank,domain` CSV with a
//! header. Flagged hosts are printed with the technique and the domain imitated, followed by
//! unflagged phishing hosts that contain a protected name as a substring, for review.

#[path = "../tests/support/registry.rs"]
mod registry;

use healthguard_domains::Assessment;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let phishing = args
        .first()
        .map_or("/work/shared/corpus/domains/certpl_warning_list.txt", |s| s);
    let popular = args
        .get(1)
        .map_or("/work/shared/corpus/domains/tranco_top40k.csv", |s| s);
    let index = registry::index();
    let names: Vec<&str> = registry::PROTECTED
        .iter()
        .filter_map(|(d, _)| d.split('.').next())
        .filter(|n| n.len() >= 3)
        .collect();

    let text = std::fs::read_to_string(phishing).expect("phishing list");
    let hosts: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let t = Instant::now();
    let verdicts: Vec<Assessment> = hosts.iter().map(|h| index.check(h)).collect();
    let el = t.elapsed();
    let mut flagged = 0;
    println!("== phishing list: {} hosts ({el:?})", hosts.len());
    for (h, v) in hosts.iter().zip(&verdicts) {
        match v {
            Assessment::Lookalike(l) => {
                flagged += 1;
                println!("FLAG {h}  -> {} ({})", l.imitates, l.technique);
            }
            Assessment::Official { domain, .. } => println!("OFFICIAL?! {h} ({domain})"),
            Assessment::Unrelated => {}
        }
    }
    println!("phishing flagged: {flagged} of {}", hosts.len());
    for (h, v) in hosts.iter().zip(&verdicts) {
        if *v == Assessment::Unrelated {
            let lower = h.to_lowercase();
            if let Some(n) = names.iter().find(|n| lower.contains(*n)) {
                println!("review (contains {n}): {h}");
            }
        }
    }

    let text = std::fs::read_to_string(popular).expect("popular list");
    let domains: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .map(str::trim)
        .collect();
    let mut fp = 0;
    println!("== popular list: {} domains", domains.len());
    for d in &domains {
        if let Assessment::Lookalike(l) = index.check(d) {
            fp += 1;
            println!("FP {d}  -> {} ({})", l.imitates, l.technique);
        }
    }
    println!(
        "popular flagged: {fp} of {} ({:.3}%)",
        domains.len(),
        100.0 * fp as f64 / domains.len().max(1) as f64
    );
}
