//! `healthguard eval …`: detection measured on labelled data.

use crate::args::{EvalCommand, Split};
use crate::metrics::{Confusion, Mistakes};
use crate::registry_cmd;
use anyhow::{Context, Result};
use healthguard_core::Verdict;
use healthguard_domains::Assessment;
use std::collections::BTreeMap;

/// Runs an eval subcommand.
pub fn run(cmd: EvalCommand) -> Result<u8> {
    match cmd {
        EvalCommand::Sms {
            file,
            show,
            split,
            registry,
        } => eval_sms(&file, show, split, &registry_cmd::checker(&registry)?),
        EvalCommand::Email(args) => crate::eval_email::run(args),
        EvalCommand::Messages { file, show, registry } => {
            crate::eval_messages::run(&file, show, &registry_cmd::checker(&registry)?)
        }
        EvalCommand::Domains { file, show, registry } => {
            let registry = registry_cmd::select(&registry)?;
            let checker = healthguard_core::Checker::new(registry);
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            let mut total = 0usize;
            let mut official = 0usize;
            let mut flagged: Vec<(String, String, &'static str)> = Vec::new();
            let mut per_target: BTreeMap<String, usize> = BTreeMap::new();
            let mut bait: Vec<String> = Vec::new();
            let started = std::time::Instant::now();
            for line in text.lines() {
                let host = host_of_line(line);
                if host.is_empty() {
                    continue;
                }
                total += 1;
                match checker.domains().check(host) {
                    Assessment::Official { .. } => official += 1,
                    Assessment::Lookalike(l) => {
                        *per_target.entry(l.imitates.clone()).or_default() += 1;
                        flagged.push((host.to_string(), l.imitates, l.technique.name()));
                    }
                    Assessment::Unrelated => {
                        if checker.domains().health_bait(host).is_some() {
                            bait.push(host.to_string());
                        }
                    }
                }
            }
            let elapsed = started.elapsed();
            let rate = if total == 0 {
                0.0
            } else {
                100.0 * flagged.len() as f64 / total as f64
            };
            println!("file: {}", file.display());
            println!("hosts: {total}");
            println!("official (registry domains): {official}");
            println!("flagged as look-alikes: {} ({rate:.3}%)", flagged.len());
            println!("by imitated domain:");
            for (target, n) in &per_target {
                println!("  {target:<28} {n}");
            }
            println!("flagged hosts (first {show}):");
            for (host, target, technique) in flagged.iter().take(show) {
                println!("  {host:<40} imitates {target:<24} ({technique})");
            }
            println!(
                "health bait hosts (a health word on a cheap TLD or beside shop/offer words, no look-alike): {} ({:.3}%)",
                bait.len(),
                if total == 0 { 0.0 } else { 100.0 * bait.len() as f64 / total as f64 }
            );
            for host in bait.iter().take(show) {
                println!("  {host}");
            }
            println!(
                "time: {:.1} ms ({:.0} hosts/s)",
                elapsed.as_secs_f64() * 1e3,
                total as f64 / elapsed.as_secs_f64().max(1e-9)
            );
            Ok(0)
        }
    }
}

/// Threat labels; legitimate labels. Anything else (spam) is reported apart.
const THREAT: &[&str] = &["smishing", "phishing"];
const LEGITIMATE: &[&str] = &["ham"];

fn eval_sms(file: &std::path::Path, show: usize, split: Split, checker: &healthguard_core::Checker) -> Result<u8> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut seen = std::collections::HashSet::new();
    let mut confusion = Confusion::default();
    let (mut duplicates, mut bad_lines) = (0usize, 0usize);
    let mut false_positives = Mistakes::default();
    let mut misses = Mistakes::default();
    let started = std::time::Instant::now();
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Ok(item) = serde_json::from_str::<serde_json::Value>(line) else {
            bad_lines += 1;
            continue;
        };
        let (Some(label), Some(body)) = (item["label"].as_str(), item["text"].as_str()) else {
            bad_lines += 1;
            continue;
        };
        // The sources overlap verbatim: count each distinct text once.
        let folded = healthguard_core::fold::fold(body).text;
        if !crate::eval_email::in_split_key(split, folded.as_bytes()) {
            continue;
        }
        if !seen.insert(folded) {
            duplicates += 1;
            continue;
        }
        let sender = item["sender"].as_str();
        let analysis = checker.check(healthguard_core::Input::Sms { sender, text: body });
        confusion.add(label, analysis.verdict);
        let flagged = analysis.verdict >= Verdict::Suspicious;
        let codes: Vec<&str> = analysis
            .findings
            .iter()
            .filter(|f| f.weight != 0.0)
            .map(|f| f.code.as_str())
            .collect();
        if flagged && LEGITIMATE.contains(&label) {
            false_positives.add(number, analysis.score, &codes, &one_line(body));
        } else if !flagged && THREAT.contains(&label) {
            misses.add(number, analysis.score, &codes, &one_line(body));
        }
    }
    let elapsed = started.elapsed();
    let items: usize = seen.len();
    println!(
        "file: {} ({items} distinct messages, {duplicates} duplicates skipped, {bad_lines} unreadable lines)",
        file.display()
    );
    print!("{}", confusion.table(THREAT, LEGITIMATE));
    println!();
    print!("{}", false_positives.render("false positives", show));
    print!("{}", misses.render("misses", show));
    println!(
        "time: {:.1} ms ({:.0} messages/s, one thread)",
        elapsed.as_secs_f64() * 1e3,
        items as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(0)
}

pub(crate) fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    healthguard_core::fold::prefix(&flat, 140).to_string()
}

/// A host from a line: plain `host`, `rank,host` CSV, or a URL. Comments and headers skipped.
fn host_of_line(line: &str) -> &str {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return "";
    }
    let field = line.rsplit(',').next().unwrap_or(line).trim();
    let no_scheme = field.split_once("://").map(|(_, rest)| rest).unwrap_or(field);
    let host = no_scheme.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    if host.contains('.') {
        host
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::host_of_line;

    #[test]
    fn reads_plain_csv_and_url_lines() {
        assert_eq!(host_of_line("nfz-zwrot.pl"), "nfz-zwrot.pl");
        assert_eq!(host_of_line("12,google.com"), "google.com");
        assert_eq!(host_of_line("https://a.b.example.com:8080/x?y"), "a.b.example.com");
        assert_eq!(host_of_line("rank,domain"), "");
        assert_eq!(host_of_line("# comment"), "");
    }
}
