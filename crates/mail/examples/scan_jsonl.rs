//! Scans every file under the given paths (offline, no authentication) and prints one JSON
//! line per file: `{"path","verdict","score","institution","findings":[codes]}`, in path
//! order. It stands in for `healthguard scan PATH... --format jsonl` until that command
//! exists, so `bench/peers.sh` can compare per-file verdicts with SpamAssassin and rspamd.
//! Empty files are skipped (counted on standard error). Files are read and analysed on
//! `-j N` threads (default: the available cores).
//!
//! `cargo run --release -p healthguard-mail --example scan_jsonl -- [-j N] PATH...`
use healthguard_core::Checker;
use healthguard_mail::{analyze, parse, AuthOutcome, Limits};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

fn files(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
        return;
    }
    let Ok(rd) = std::fs::read_dir(p) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            files(&e, out);
        } else if e
            .file_name()
            .is_some_and(|n| n != "cmds" && !n.to_string_lossy().starts_with('.'))
        {
            out.push(e);
        }
    }
}

fn main() {
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-j" {
            threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(threads).max(1);
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    if paths.is_empty() {
        eprintln!("usage: scan_jsonl [-j N] PATH...");
        std::process::exit(64);
    }
    let mut list = Vec::new();
    for p in &paths {
        files(p, &mut list);
    }
    let checker = Checker::new(healthguard_registry::builtin().clone());
    let limits = Limits::default();
    let next = AtomicUsize::new(0);
    let empty = AtomicUsize::new(0);
    let mut lines: Vec<Option<String>> = vec![None; list.len()];
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = list.get(i) else { break };
                        let raw = std::fs::read(p).unwrap_or_default();
                        if raw.is_empty() {
                            empty.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        let mail = parse(&raw, &limits);
                        let a = analyze(&checker, &mail, &AuthOutcome::none(&mail));
                        let mut codes: Vec<&str> = Vec::new();
                        for f in &a.findings {
                            if !codes.contains(&f.code.as_str()) {
                                codes.push(&f.code);
                            }
                        }
                        let line = serde_json::json!({
                            "path": p.to_string_lossy(),
                            "verdict": a.verdict.name(),
                            "score": a.score,
                            "institution": a.institution,
                            "findings": codes,
                        });
                        done.push((i, line.to_string()));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            for (i, l) in w.join().expect("worker panicked") {
                lines[i] = Some(l);
            }
        }
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // a closed pipe (`| head`) ends the output quietly
    for l in lines.into_iter().flatten() {
        if writeln!(out, "{l}").is_err() {
            return;
        }
    }
    if out.flush().is_err() {
        return;
    }
    eprintln!(
        "scan_jsonl: {} files, {} empty skipped, {threads} threads",
        list.len(),
        empty.load(Ordering::Relaxed)
    );
}
