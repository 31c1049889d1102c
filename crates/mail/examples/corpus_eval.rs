//! Runs the e-mail analysis over `../shared/corpus/email` (offline, no authentication) and
//! prints verdict counts per set and the most frequent findings: a tool for finding false
//! positives on ham, not a benchmark. `cargo run --release -p healthguard-mail --example
//! corpus_eval [DIR]`
use healthguard_core::Checker;
use healthguard_mail::{analyze, parse, AuthOutcome, Limits};
use std::collections::BTreeMap;
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

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/email")));
    if !root.is_dir() {
        eprintln!("corpus not found at {}: skipped", root.display());
        return;
    }
    let show = std::env::var("SHOW").ok();
    // SHOW_BELOW=1 lists the messages below suspicious instead (missed phishing).
    let below = std::env::var("SHOW_BELOW").is_ok();
    // SCORES=<path> weighs with another scores.toml (tuning without a rebuild).
    let checker = match std::env::var("SCORES") {
        Ok(path) => Checker::with_data(
            healthguard_registry::builtin().clone(),
            healthguard_core::Catalogue::parse(&std::fs::read_to_string(path).expect("SCORES file"))
                .expect("SCORES parses"),
            healthguard_core::Lexicon::builtin(),
        ),
        Err(_) => Checker::new(healthguard_registry::builtin().clone()),
    };
    let limits = Limits::default();
    for set in ["phishing_pot", "spamassassin/ham", "spamassassin/spam"] {
        let mut list = Vec::new();
        files(&root.join(set), &mut list);
        let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut codes: BTreeMap<String, usize> = BTreeMap::new();
        for p in &list {
            let raw = std::fs::read(p).unwrap_or_default();
            let mail = parse(&raw, &limits);
            let a = analyze(&checker, &mail, &AuthOutcome::none(&mail));
            *verdicts.entry(a.verdict.name()).or_default() += 1;
            let mut seen = std::collections::BTreeSet::new();
            for f in &a.findings {
                if seen.insert(f.code.clone()) {
                    *codes.entry(f.code.clone()).or_default() += 1;
                }
            }
            if show.as_deref() == Some(set) && (a.verdict >= healthguard_core::Verdict::Suspicious) != below {
                let fs: Vec<String> = a
                    .findings
                    .iter()
                    .filter(|f| f.weight != 0.0)
                    .map(|f| {
                        format!(
                            "{}({})={}",
                            f.code,
                            f.evidence.chars().take(50).collect::<String>(),
                            f.weight
                        )
                    })
                    .collect();
                let from = mail.from.first().map(|f| f.display()).unwrap_or_default();
                println!(
                    "  {} {} {:.1} [{}] [{}] {}",
                    p.display(),
                    a.verdict.name(),
                    a.score,
                    from.chars().take(60).collect::<String>(),
                    mail.subject.chars().take(60).collect::<String>(),
                    fs.join(" ")
                );
            }
        }
        println!("{set}: {} messages, {verdicts:?}", list.len());
        let mut top: Vec<_> = codes.into_iter().collect();
        top.sort_by_key(|t| std::cmp::Reverse(t.1));
        println!(
            "  {}",
            top.iter()
                .take(25)
                .map(|(c, n)| format!("{c}:{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}
