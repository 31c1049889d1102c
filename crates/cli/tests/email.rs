//! End-to-end tests of `healthguard check` on e-mail files. The fixture mails are the mail
//! crate's, written by the HealthGuard project (none is a real message).

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../mail/tests/fixtures")
        .join(name)
}

fn check(args: &[&str], stdin: Option<&[u8]>) -> (Value, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        // Offline unless the test chose how to verify: the default would ask live DNS.
        .args(
            if args
                .iter()
                .any(|a| a.starts_with("--dns") || a.starts_with("--trust-authres"))
            {
                &[][..]
            } else {
                &["--dns", "off"][..]
            },
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

fn codes(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

#[test]
fn a_file_argument_is_checked_as_an_email() {
    let path = fixture("cnas_pias.eml");
    let (v, code) = check(&[path.to_str().unwrap()], None);
    assert_eq!(v["kind"], "email");
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["institution"], "ro.cnas");
    assert_eq!(code, 2);
    assert!(codes(&v).contains(&"DISPLAY_NAME_IMPERSONATION"), "{:?}", codes(&v));
}

#[test]
fn standard_input_is_read_as_raw_bytes_with_an_mbox_line() {
    let mut raw = b"From someone@example.com Mon Jan  1 00:00:00 2024\n".to_vec();
    raw.extend(std::fs::read(fixture("spoofed_nfz.eml")).unwrap());
    let (v, code) = check(&["--email", "--lang", "en"], Some(&raw));
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["language"], "en");
    assert_eq!(code, 2);
}

#[test]
fn dkim_signed_official_mail_is_official_only_with_authentication() {
    let mail = fixture("official_nfz_signed.eml");
    let zone = fixture("dns.zone");
    let (v, code) = check(&["--dns-fixture", zone.to_str().unwrap(), mail.to_str().unwrap()], None);
    assert_eq!(v["verdict"], "official", "{v:#}");
    assert_eq!(code, 0);
    // Without authentication the same message cannot be confirmed.
    let (v, _) = check(&["--dns", "off", mail.to_str().unwrap()], None);
    assert_ne!(v["verdict"], "official");
}

#[test]
fn forged_authentication_results_are_not_trusted() {
    let mail = fixture("authres_forged.eml");
    let (v, _) = check(
        &["--trust-authres", "mx.przychodnia-sloneczna.pl", mail.to_str().unwrap()],
        None,
    );
    // The topmost header of our own MTA says DMARC failed; the forged pass below it is ignored.
    assert_ne!(v["verdict"], "official", "{v:#}");
    assert!(codes(&v).contains(&"AUTH_FAIL"), "{:?}", codes(&v));
}

#[test]
fn a_missing_file_is_an_input_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args(["check", "/nonexistent/mail.eml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));
}

#[test]
fn generic_phishing_of_any_brand_is_flagged_end_to_end() {
    // Written by the project: a forged bank address with no signature of the bank, a styled
    // subject, a random tag, and a "statement" in a storage bucket.
    let raw = "From: Bradesco <noreply@bradesco.com.br>\r\n\
Subject: \u{1D40E}\u{1D429}\u{1D41E}\u{1D427} \u{1D40D}\u{1D428}\u{1D430}: your statement wpsPADwQak6ANPRYv\r\n\
DKIM-Signature: v=1; a=rsa-sha256; d=bulk-sender.example; s=s1; bh=x; b=y\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n\
<p>Unusual sign-in activity on your account. Final chance to keep access:</p>\
<a href=\"https://statement-7781.s3.eu-west-1.amazonaws.com/index.html\">Open statement</a>\r\n";
    let (v, code) = check(&["--email"], Some(raw.as_bytes()));
    let found = codes(&v);
    for want in [
        "BRAND_DOMAIN_UNSIGNED",
        "STYLED_LETTERS",
        "SUBJECT_RANDOM_TOKEN",
        "FILE_HOSTING",
        "LURE_ACCOUNT_NOTICE",
    ] {
        assert!(found.contains(&want), "{want} missing: {found:?}");
    }
    assert_eq!(v["verdict"], "phishing", "{found:?}");
    assert_eq!(code, 2);
}

#[test]
fn an_unauthenticated_official_mail_is_worded_as_an_unconfirmed_sender_not_as_fraud() {
    let mail = fixture("official_nfz_signed.eml");
    for (lang, says) in [
        ("en", "Cannot confirm the sender"),
        ("pl", "Nie można potwierdzić nadawcy"),
        ("ro", "Nu putem confirma expeditorul"),
        ("uk", "Не вдається підтвердити відправника"),
    ] {
        let (v, _) = check(&["--dns", "off", "--lang", lang, mail.to_str().unwrap()], None);
        assert_eq!(v["basis"], "sender_unconfirmed", "{v:#}");
        assert_eq!(v["headline"], says, "{lang}");
        let summary = v["summary"].as_str().unwrap();
        assert!(summary.contains("NFZ"), "{lang}: {summary}");
    }
    let (v, _) = check(&["--dns", "off", "--lang", "en", mail.to_str().unwrap()], None);
    let summary = v["summary"].as_str().unwrap();
    assert!(!summary.contains("Several signs"), "{summary}");
    // A forged sender with lures keeps the fraud wording.
    let (v, _) = check(&["--lang", "en", fixture("spoofed_nfz.eml").to_str().unwrap()], None);
    assert_eq!(v["basis"], "signs", "{v:#}");
    assert_ne!(v["headline"], "Cannot confirm the sender");
}
