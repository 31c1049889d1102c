//! End-to-end tests of `healthguard eval email`. The messages under tests/fixtures were
//! written by the HealthGuard project for tests (none is a real message). The labelled set:
//! phishing/ holds two impersonations and one harmless note (a miss); ham/ holds two plain
//! mails and one impersonation (a false positive); spam/ holds one offer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args(["eval", "email"])
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Squeezes runs of spaces, so table rows compare without their alignment.
fn squeeze(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_labelled_folder_gives_the_confusion_matrix_metrics_and_mistakes() {
    let out = eval(&[s(&fixtures().join("corpus"))]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = squeeze(&stdout(&out));
    assert!(text.contains("(7 messages, 0 could not be scanned)"), "{text}");
    // label items official unverified suspicious phishing
    assert!(text.contains("legitimate 3 0 2 0 1"), "{text}");
    assert!(text.contains("phishing 3 0 1 0 2"), "{text}");
    assert!(text.contains("spam 1 0 1 0 0"), "{text}");
    // tp 2 of 3, fp 1 of 3, at both thresholds.
    assert!(
        text.contains("suspicious or worse 66.67% 66.67% 0.667 33.33%"),
        "{text}"
    );
    assert!(text.contains("phishing 66.67% 66.67% 0.667 33.33%"), "{text}");
    assert!(
        text.contains("spam: 0.00% suspicious or worse, 0.00% phishing"),
        "{text}"
    );
    // The findings behind the false positive, and its path; the miss.
    assert!(text.contains("false positives (1):"), "{text}");
    assert!(text.contains("findings behind them: "), "{text}");
    assert!(text.contains("LOOKALIKE_DOMAIN"), "{text}");
    assert!(text.contains("ham/forwarded_lure.eml"), "{text}");
    assert!(text.contains("misses (1):"), "{text}");
    assert!(
        text.contains("[]: ") && text.contains("phishing/plain_note.eml"),
        "{text}"
    );
    assert!(text.contains("messages/s"), "{text}");
}

#[test]
fn show_limits_the_examples() {
    let out = eval(&[s(&fixtures().join("corpus")), "--show", "0"]);
    let text = stdout(&out);
    assert!(text.contains("false positives (1):"), "{text}");
    // No example line (`score [codes]: path`).
    assert!(!text.contains("]: "), "{text}");
    assert!(!text.contains("first "), "{text}");
}

#[test]
fn a_manifest_labels_files_relative_to_itself_and_keeps_unknown_labels_apart() {
    let out = eval(&["--manifest", s(&fixtures().join("manifest.tsv"))]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = squeeze(&stdout(&out));
    assert!(text.contains("corpus: manifest "), "{text}");
    assert!(text.contains("(5 messages, 0 could not be scanned)"), "{text}");
    // phishing: nfz_refund (caught), plain_note via "phish" (missed); legitimate: meeting
    // via "ham", forwarded_lure (false positive); "newsletter" apart.
    assert!(text.contains("legitimate 2 0 1 0 1"), "{text}");
    assert!(text.contains("phishing 2 0 1 0 1"), "{text}");
    assert!(
        text.contains("suspicious or worse 50.00% 50.00% 0.500 50.00%"),
        "{text}"
    );
    assert!(text.contains("newsletter: 0.00% suspicious or worse"), "{text}");
}

#[test]
fn several_corpora_are_measured_apart_and_together_and_jsonl_keeps_labels() {
    let dump = std::env::temp_dir().join(format!("healthguard-eval-email-{}.jsonl", std::process::id()));
    let f = fixtures();
    let out = eval(&[
        s(&f.join("corpus/phishing")),
        s(&f.join("corpus/ham")),
        "--jsonl",
        s(&dump),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = squeeze(&stdout(&out));
    assert_eq!(text.matches("corpus: ").count(), 2, "{text}");
    assert!(text.contains("all corpora (6 messages)"), "{text}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&dump)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    let phishing = lines.iter().filter(|l| l["label"] == "phishing").count();
    let legitimate = lines.iter().filter(|l| l["label"] == "legitimate").count();
    assert_eq!((phishing, legitimate), (3, 3));
    assert!(lines
        .iter()
        .all(|l| l["verdict"].is_string() && l["findings"].is_array()));
    let _ = std::fs::remove_file(&dump);
}

#[test]
fn unreadable_entries_are_reported_and_the_measurement_goes_on() {
    let dir = std::env::temp_dir().join(format!("healthguard-eval-email-err-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("list.tsv");
    let good = fixtures().join("corpus/phishing/nfz_refund.eml");
    std::fs::write(&manifest, format!("phishing\t{}\nlegit\tmissing.eml\n", good.display())).unwrap();
    let out = eval(&["--manifest", s(&manifest)]);
    assert_eq!(out.status.code(), Some(3));
    let text = squeeze(&stdout(&out));
    assert!(text.contains("(1 messages, 1 could not be scanned)"), "{text}");
    assert!(text.contains("phishing 1 0 0 0 1"), "{text}");
    assert!(text.contains("missing.eml: cannot open"), "{text}");

    std::fs::write(&manifest, "phishing a.eml\n").unwrap();
    let out = eval(&["--manifest", s(&manifest)]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("list.tsv:1: expected label<TAB>path"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A folder of `n` messages built by `make` (written by the project for this test).
fn write_folder(dir: &Path, n: usize, make: impl Fn(usize) -> String) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("{i}.eml")), make(i)).unwrap();
    }
}

#[test]
fn the_split_halves_partition_the_corpus() {
    let corpus = s(&fixtures().join("corpus")).to_string();
    let count = |split: &str| {
        let text = squeeze(&stdout(&eval(&["--split", split, &corpus])));
        let line = text.lines().find(|l| l.starts_with("corpus: ")).unwrap().to_string();
        line.split('(')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    assert_eq!(count("tuning") + count("validation"), count("all"));
    assert_eq!(count("all"), 7);
}

#[test]
fn learn_builds_a_model_that_check_uses() {
    let dir = std::env::temp_dir().join(format!("hg-learn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_folder(&dir.join("ham"), 60, |i| {
        format!("From: Ann <ann@clinic.example>\r\nSubject: Ward rota {i}\r\n\r\nThe ward rota and the staff meeting agenda for week {i}.\r\n")
    });
    write_folder(&dir.join("phishing"), 60, |i| {
        format!("From: Admin <admin@quota-desk.example>\r\nSubject: Quota {i}\r\n\r\nYour mailbox quota is exceeded; revalidate the mailbox at https://quota-desk.example/{i}\r\n")
    });
    let model = dir.join("site.model");
    let out = Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args([
            "learn",
            "--ham",
            s(&dir.join("ham")),
            "--phishing",
            s(&dir.join("phishing")),
            "--model",
            s(&model),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout(&out).contains("learnt 60 legitimate, 0 spam, 60 phishing messages"),
        "{}",
        stdout(&out)
    );
    let message = dir.join("new.eml");
    std::fs::write(&message, "From: Admin <admin@quota-desk.example>\r\nSubject: Quota\r\n\r\nYour mailbox quota is exceeded; revalidate the mailbox now.\r\n").unwrap();
    let check = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_healthguard"))
            .args(["check", "--format", "json", "--dns", "off"])
            .args(extra)
            .arg(s(&message))
            .output()
            .unwrap();
        stdout(&out)
    };
    let judged = check(&["--model", s(&model)]);
    assert!(judged.contains("\"BAYES_BAD\""), "{judged}");
    assert!(!check(&[]).contains("BAYES_"));
    // A broken model file is refused with a clear error, not ignored.
    std::fs::write(&model, "not a model\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args(["check", "--dns", "off", "--model", s(&model), s(&message)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a HealthGuard model"));
    let _ = std::fs::remove_dir_all(&dir);
}
