//! End-to-end tests of `healthguard scan`. The messages under tests/fixtures were written by
//! the HealthGuard project for tests (none is a real message); error cases are made in a
//! temporary folder at test time.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn scan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .arg("scan")
        .args(args)
        .output()
        .expect("binary runs")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The path relative to the fixtures folder.
fn short(v: &Value) -> String {
    let path = v["path"].as_str().unwrap();
    path.strip_prefix(fixtures().to_str().unwrap())
        .unwrap_or(path)
        .trim_start_matches('/')
        .to_string()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("healthguard-scan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn folders_mbox_and_maildir_give_one_jsonl_line_per_message() {
    let f = fixtures();
    let out = scan(&[
        s(&f.join("corpus")),
        s(&f.join("mbox/three.mbox")),
        s(&f.join("maildir")),
        "--format",
        "jsonl",
        "--sorted",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = lines(&out);
    let paths: Vec<String> = v.iter().map(short).collect();
    assert_eq!(
        paths,
        [
            "corpus/ham/forwarded_lure.eml",
            "corpus/ham/meeting.eml",
            "corpus/ham/release.eml",
            "corpus/phishing/cnas_card.eml",
            "corpus/phishing/nfz_refund.eml",
            "corpus/phishing/plain_note.eml",
            "corpus/spam/offer.eml",
            "mbox/three.mbox#1",
            "mbox/three.mbox#2",
            "mbox/three.mbox#3",
            // Maildir: cur and new (tmp holds only a hidden file), never dovecot-uidlist.
            "maildir/cur/1741600000.M1P1.host:2,S",
            "maildir/new/1741600001.M2P1.host",
        ]
    );
    for line in &v {
        for field in ["verdict", "score", "institution", "findings", "bytes", "millis"] {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
        assert!(line.get("error").is_none(), "{line}");
        assert!(line["bytes"].as_u64().unwrap() > 0);
        assert!(line["findings"].as_array().unwrap().iter().all(Value::is_string));
    }
    let nfz = &v[4];
    assert_eq!(nfz["verdict"], "phishing");
    assert_eq!(nfz["institution"], "pl.nfz");
    assert!(nfz["findings"]
        .as_array()
        .unwrap()
        .contains(&Value::from("DISPLAY_NAME_IMPERSONATION")));
    // The mbox: the impersonation is the second message; the first kept its quoted line.
    assert_eq!(v[8]["verdict"], "phishing");
    assert_eq!(v[7]["verdict"], "unverified");
    assert_eq!(v[11]["verdict"], "phishing");

    // The summary goes to standard error with jsonl.
    let summary = stderr(&out);
    assert!(summary.contains("messages scanned: 12 "), "{summary}");
    assert!(summary.contains("phishing 5"), "{summary}");
    assert!(summary.contains("could not be scanned: 0"), "{summary}");
    assert!(summary.contains("top claimed institutions"), "{summary}");
    assert!(summary.contains("pl.nfz"), "{summary}");
    assert!(summary.contains("slowest messages:"), "{summary}");
    assert_eq!(summary.matches(" ms  ").count(), 5, "{summary}");
}

#[test]
fn the_mbox_is_split_with_quoting_undone() {
    let dir = tempdir("mbox-bytes");
    // Compare with the message given alone: the same verdict and findings.
    let mbox = std::fs::read_to_string(fixtures().join("mbox/three.mbox")).unwrap();
    let first = mbox.split("\n\nFrom piotr@").next().unwrap();
    let first = first
        .split_once('\n')
        .unwrap()
        .1
        .replace(">From the minutes", "From the minutes");
    std::fs::write(dir.join("first.eml"), format!("{first}\n")).unwrap();
    let out = scan(&[s(&dir.join("first.eml")), "--format", "jsonl"]);
    let alone = &lines(&out)[0];
    let out = scan(&[s(&fixtures().join("mbox/three.mbox")), "--format", "jsonl", "--sorted"]);
    let split = &lines(&out)[0];
    assert_eq!(alone["bytes"], split["bytes"], "{alone} {split}");
    assert_eq!(alone["findings"], split["findings"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completion_order_holds_the_same_lines_as_sorted_order_and_threads_do_not_change_results() {
    let f = fixtures();
    let strip = |out: &Output| {
        let mut v: Vec<String> = lines(out)
            .into_iter()
            .map(|mut l| {
                l.as_object_mut().unwrap().remove("millis");
                l.to_string()
            })
            .collect();
        v.sort();
        v
    };
    let with_threads = |n: &str| {
        scan(&[
            s(&f.join("corpus")),
            s(&f.join("mbox")),
            "--format",
            "jsonl",
            "--threads",
            n,
        ])
    };
    let (one, four) = (with_threads("1"), with_threads("4"));
    assert_eq!(strip(&one), strip(&four));
    assert_eq!(strip(&one).len(), 10);
}

#[test]
fn human_format_prints_only_the_summary_on_standard_output() {
    let out = scan(&[s(&fixtures().join("corpus"))]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("messages scanned: 7 "), "{text}");
    assert!(
        text.contains("verdicts: official 0, unverified 4, suspicious 0, phishing 3"),
        "{text}"
    );
    // The three phishing files are named, once each.
    assert!(text.contains("flagged (3):"), "{text}");
    assert_eq!(text.matches("\n  phishing   ").count(), 3, "{text}");
    assert!(text.contains("messages/s"), "{text}");
    assert!(!text.contains('{'), "{text}");
    // No progress bar when standard error is not a terminal.
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn unreadable_oversized_and_empty_inputs_are_reported_and_the_run_goes_on() {
    let dir = tempdir("errors");
    let good = std::fs::read(fixtures().join("corpus/phishing/nfz_refund.eml")).unwrap();
    std::fs::write(dir.join("a_good.eml"), &good).unwrap();
    std::os::unix::fs::symlink(dir.join("does-not-exist"), dir.join("b_dangling.eml")).unwrap();
    let mut big = good.clone();
    big.extend(std::iter::repeat_n(b'x', 3000));
    std::fs::write(dir.join("c_big.eml"), &big).unwrap();
    std::fs::write(dir.join("d_empty.eml"), b"").unwrap();
    // An mbox with a small, an oversized and a small message.
    let mbox = format!(
        "From a@example.org Mon Mar 10 09:00:00 2025\nSubject: one\n\nsmall\n\n\
         From b@example.org Mon Mar 10 09:00:01 2025\nSubject: two\n\n{}\n\n\
         From c@example.org Mon Mar 10 09:00:02 2025\nSubject: three\n\nsmall\n",
        "y".repeat(3000)
    );
    std::fs::write(dir.join("e_box.mbox"), mbox).unwrap();
    std::fs::write(dir.join("f_good.eml"), &good).unwrap();
    let missing = dir.join("missing-folder");

    let out = scan(&[
        s(&dir),
        s(&missing),
        "--max-size",
        "2K",
        "--format",
        "jsonl",
        "--sorted",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = lines(&out);
    let by_name = |name: &str| {
        v.iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no line for {name}: {v:?}"))
    };
    assert_eq!(by_name("a_good.eml")["verdict"], "phishing");
    assert_eq!(by_name("f_good.eml")["verdict"], "phishing");
    assert!(by_name("b_dangling.eml")["error"]
        .as_str()
        .unwrap()
        .contains("cannot open"));
    let big = by_name("c_big.eml");
    assert!(big["error"].as_str().unwrap().contains("--max-size"), "{big}");
    assert!(big["bytes"].as_u64().unwrap() > 2048);
    assert!(big.get("verdict").is_none());
    assert!(by_name("d_empty.eml")["error"].as_str().unwrap().contains("empty"));
    assert!(by_name("e_box.mbox#1").get("verdict").is_some());
    assert!(by_name("e_box.mbox#2")["error"]
        .as_str()
        .unwrap()
        .contains("--max-size"));
    assert!(by_name("e_box.mbox#3").get("verdict").is_some());
    assert!(by_name("missing-folder")["error"]
        .as_str()
        .unwrap()
        .contains("cannot open"));
    assert_eq!(v.len(), 9);

    let summary = stderr(&out);
    assert!(summary.contains("messages scanned: 4 "), "{summary}");
    assert!(summary.contains("could not be scanned: 5"), "{summary}");
    assert!(summary.contains("errors (5):"), "{summary}");
    assert!(summary.contains("b_dangling.eml: cannot open"), "{summary}");

    // Human format: the same errors in the summary on standard output.
    let out = scan(&[s(&dir), "--max-size", "2K"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("errors (4):"), "{}", stdout(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_single_mail_with_an_mbox_line_keeps_its_path_but_a_named_mbox_numbers_it() {
    let dir = tempdir("single");
    let mail = "From a@example.org  Thu Aug 22 12:36:23 2002\nSubject: hello\n\nhi\n";
    std::fs::write(dir.join("00001.txt"), mail).unwrap();
    std::fs::write(dir.join("one.mbox"), mail).unwrap();
    let out = scan(&[s(&dir), "--format", "jsonl", "--sorted"]);
    assert_eq!(out.status.code(), Some(0));
    let v = lines(&out);
    assert!(v[0]["path"].as_str().unwrap().ends_with("/00001.txt"), "{v:?}");
    assert!(v[1]["path"].as_str().unwrap().ends_with("/one.mbox#1"), "{v:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn authentication_flags_are_those_of_check() {
    let file = fixtures().join("corpus/ham/meeting.eml");
    let out = scan(&[s(&file), "--dns", "off"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan(&[
        s(&file),
        "--trust-authres",
        "mx.example.org",
        "--trusted-arc-sealer",
        "example.net",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = scan(&[s(&file), "--dns-fixture", "/nonexistent/dns.zone"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("authentication"), "{}", stderr(&out));
    let out = scan(&[s(&file), "--dns", "online", "--trust-authres", "x"]);
    assert_eq!(out.status.code(), Some(64));
    let out = scan(&[s(&file), "--max-size", "12Q"]);
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn files_that_are_not_mail_are_skipped_and_counted_apart() {
    let dir = tempdir("not-mail");
    let mail = "From: Jan <jan@example.org>\r\nSubject: hi\r\n\r\nsee you\r\n";
    std::fs::write(dir.join("a.eml"), mail).unwrap();
    std::fs::write(
        dir.join("tool.py"),
        "#!/usr/bin/env python3\nimport sys\nprint(sys.argv)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("key.pem"),
        "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    std::fs::write(dir.join("table.tsv"), "id\tlabel\n1\tham\n").unwrap();
    let out = scan(&[s(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("messages scanned: 1 "), "{text}");
    assert!(text.contains("could not be scanned: 0"), "{text}");
    assert!(text.contains("skipped, not e-mail: 3 file(s)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
