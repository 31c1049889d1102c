//! `healthguard eval messages`: labelled messages of mixed channels (SMS, e-mail, calls,
//! letters, pasted text), as CERTs, police and institutions quote them, measured overall and
//! per country and channel.

use crate::metrics::{Confusion, Mistakes};
use anyhow::{Context, Result};
use healthguard_core::{Analysis, Checker, Input, Verdict};
use serde_json::Value;
use std::collections::BTreeMap;

const THREAT: &[&str] = &["phishing", "smishing"];
const LEGITIMATE: &[&str] = &["legitimate", "ham"];

/// Measures `file` (JSON lines) with `checker`; prints the tables and the mistakes.
pub fn run(file: &std::path::Path, show: usize, checker: &Checker) -> Result<u8> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut overall = Confusion::default();
    let mut by_country: BTreeMap<String, Confusion> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, Confusion> = BTreeMap::new();
    let (mut threats, mut named) = (0usize, 0usize);
    let mut bad_lines = 0usize;
    let mut false_positives = Mistakes::default();
    let mut misses = Mistakes::default();
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Ok(item) = serde_json::from_str::<Value>(line) else {
            bad_lines += 1;
            continue;
        };
        let (Some(label), Some(body)) = (item["label"].as_str(), item["text"].as_str()) else {
            bad_lines += 1;
            continue;
        };
        let channel = item["channel"].as_str().unwrap_or("text");
        let analysis = check_item(checker, &item, channel, body);
        overall.add(label, analysis.verdict);
        let country = item["country"].as_str().unwrap_or("?").to_uppercase();
        by_country
            .entry(country.clone())
            .or_default()
            .add(label, analysis.verdict);
        by_channel
            .entry(channel.to_string())
            .or_default()
            .add(label, analysis.verdict);
        let flagged = analysis.verdict >= Verdict::Suspicious;
        if THREAT.contains(&label) {
            threats += 1;
            named += usize::from(analysis.institution.is_some());
        }
        let codes: Vec<&str> = analysis
            .findings
            .iter()
            .filter(|f| f.weight != 0.0)
            .map(|f| f.code.as_str())
            .collect();
        let what = format!("[{country} {channel}] {}", crate::eval::one_line(body));
        if flagged && LEGITIMATE.contains(&label) {
            false_positives.add(number + 1, analysis.score, &codes, &what);
        } else if !flagged && THREAT.contains(&label) {
            misses.add(number + 1, analysis.score, &codes, &what);
        }
    }
    println!(
        "file: {} ({} messages, {bad_lines} unreadable lines)",
        file.display(),
        overall.items()
    );
    print!("{}", overall.table(THREAT, LEGITIMATE));
    println!("threats with the claimed institution named: {named} of {threats}");
    for (title, groups) in [("country", &by_country), ("channel", &by_channel)] {
        println!();
        println!("{:<10} {:>18} {:>22}", title, "threats flagged", "legitimate flagged");
        for (key, c) in groups {
            let count = |labels: &[&str], at: Verdict| -> (usize, usize) {
                (
                    labels.iter().map(|l| c.flagged(l, at)).sum(),
                    labels.iter().map(|l| c.total(l)).sum(),
                )
            };
            let (tp, pos) = count(THREAT, Verdict::Suspicious);
            let (fp, neg) = count(LEGITIMATE, Verdict::Suspicious);
            println!("{key:<10} {:>18} {:>22}", format!("{tp}/{pos}"), format!("{fp}/{neg}"));
        }
    }
    println!();
    print!("{}", false_positives.render("false positives", show));
    print!("{}", misses.render("misses", show));
    Ok(0)
}

/// One item checked as what it is: an SMS with its sender, a call with its number, an
/// e-mail with its sender address (as a minimal message) or, without one, as pasted text.
fn check_item(checker: &Checker, item: &Value, channel: &str, body: &str) -> Analysis {
    let sender = item["sender"].as_str().map(str::trim).filter(|s| !s.is_empty());
    let subject = item["subject"].as_str().unwrap_or_default();
    match channel {
        "sms" => checker.check(Input::Sms { sender, text: body }),
        "call" => checker.check(Input::Call {
            number: item["number"].as_str(),
            text: body,
        }),
        "email" if sender.is_some_and(|s| s.contains('@') || healthguard_domains::registrable_domain(s).is_some()) => {
            let sender = sender.unwrap_or_default();
            let address = if sender.contains('@') {
                sender.to_string()
            } else {
                // Quoted as a bare domain: the From domain is what the source gives.
                format!("sender@{sender}")
            };
            let raw = format!(
                "From: <{address}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            );
            healthguard_mail::check(
                checker,
                raw.as_bytes(),
                &healthguard_mail::Limits::default(),
                &healthguard_mail::NoAuth,
            )
        }
        _ if subject.is_empty() => checker.check(Input::Text(body)),
        _ => checker.check(Input::Text(&format!("{subject}\n\n{body}"))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bare_domains_and_names_are_told_apart() {
        // A sender quoted as a bare domain becomes the From domain; a name stays a name.
        let domain = |s: &str| healthguard_domains::registrable_domain(s).is_some();
        assert!(domain("ministerodellasalute.pro.it"));
        assert!(!domain("Min Salute"));
        assert!(!domain("[CPAM SANTÉ]"));
        assert!(!domain("localhost"));
    }
}
