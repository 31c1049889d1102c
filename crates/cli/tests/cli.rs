//! End-to-end tests of the `healthguard` binary.
//!
//! Every message in this file was written by the HealthGuard project for testing; none is
//! a real message. They imitate the patterns described in public warnings of NFZ, CeZ and
//! CNAS (see data/registry for the sources).

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(args: &[&str]) -> (Value, i32) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = run(&all);
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("healthguard-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn product_example_sms_is_phishing_in_polish_with_registry_advice() {
    let (v, code) = json(&[
        "check",
        "--sms",
        "--sender",
        "NFZ",
        "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com",
    ]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["institution"], "pl.nfz");
    assert_eq!(v["language"], "pl");
    let c = codes(&v);
    assert!(
        c.iter()
            .any(|c| c == "LOOKALIKE_DOMAIN" || c == "IMITATES_RESTRICTED_SUFFIX"),
        "{c:?}"
    );
    assert!(c.contains(&"LURE_REFUND".to_string()), "{c:?}");
    assert!(c.contains(&"POLICY_VIOLATION".to_string()), "{c:?}");
    for f in v["findings"].as_array().unwrap() {
        assert!(
            f["weight"].is_number() && f["evidence"].is_string() && !f["message"].as_str().unwrap().is_empty(),
            "{f}"
        );
    }
    let advice = v["advice"].to_string();
    assert!(
        advice.contains("8080"),
        "SMS reports go to CERT Polska's 8080: {advice}"
    );
    assert!(advice.contains("nfz.gov.pl"), "{advice}");
    assert!(
        !advice.contains("nfz-zwrot"),
        "advice never repeats the message's contacts: {advice}"
    );
}

#[test]
fn human_output_is_short_and_in_the_requested_language() {
    let out = run(&[
        "check",
        "--sms",
        "--sender",
        "NFZ",
        "--lang",
        "uk",
        "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() < 40, "{text}");
    assert!(
        text.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count() > 20,
        "Ukrainian text expected: {text}"
    );
    assert!(text.contains("8080"));
}

#[test]
fn official_url_is_official_and_lookalikes_are_phishing() {
    let (v, code) = json(&["check", "--url", "https://pacjent.gov.pl/recepty"]);
    assert_eq!((v["verdict"].as_str().unwrap(), code), ("official", 0), "{v:#}");
    assert_eq!(v["institution"], "pl.ikp");

    let (v, code) = json(&["check", "--url", "http://pacjent.gov.pl.weryfikacja-konta.com/login"]);
    assert_eq!((v["verdict"].as_str().unwrap(), code), ("phishing", 2), "{v:#}");
    assert!(codes(&v).contains(&"OFFICIAL_NAME_IN_FOREIGN_DOMAIN".to_string()));

    let (v, _) = json(&["check", "--url", "hxxps://nfz[.]olsztyn[.]pl/"]);
    assert_eq!(v["verdict"], "phishing", "{v:#}");
    assert!(
        v.to_string().contains("nfz-olsztyn.pl"),
        "names the imitated domain: {v:#}"
    );
}

#[test]
fn phone_numbers_are_checked_against_the_registry() {
    let (v, code) = json(&["check", "--phone", "800 190 590"]);
    assert_eq!((v["verdict"].as_str().unwrap(), code), ("official", 0), "{v:#}");
    assert_eq!(v["institution"], "pl.nfz");
    assert!(
        v["advice"].to_string().to_lowercase().contains("spoof") || v["advice"]["steps"].as_array().unwrap().len() >= 2
    );

    let (v, code) = json(&["check", "--phone", "+48 703 123 456"]);
    assert_eq!(code, 1, "{v:#}");
    assert!(codes(&v).contains(&"PHONE_PREMIUM_RATE".to_string()));

    let (v, code) = json(&["check", "--phone", "12"]);
    assert_eq!(code, 0, "{v:#}");
    assert!(codes(&v).contains(&"PHONE_INVALID".to_string()));
}

#[test]
fn romanian_pias_request_cites_cnas_policy() {
    let text = "Stimate furnizor, din cauza problemelor tehnice PIAS, vă rugăm să trimiteți cheia de activare \
                și documentele solicitate pentru verificare. Casa Națională de Asigurări de Sănătate";
    let (v, code) = json(&["check", "--text", text]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["language"], "ro");
    assert_eq!(v["institution"], "ro.cnas");
    let c = codes(&v);
    assert!(c.contains(&"POLICY_VIOLATION".to_string()), "{c:?}");
    assert!(c.contains(&"LURE_ACTIVATION_KEY".to_string()), "{c:?}");
    assert!(v["advice"].to_string().contains("1911"), "DNSC's line: {v:#}");
}

#[test]
fn genuine_looking_messages_stay_clean() {
    let (v, code) = json(&[
        "check",
        "--sms",
        "--sender",
        "Przychodnia",
        "Twoja e-recepta: kod 4821. Pokaż kod i PESEL w aptece.",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert_ne!(v["verdict"], "phishing");

    let (v, code) = json(&[
        "check",
        "--text",
        "Informacje o świadczeniach znajdziesz na https://www.nfz.gov.pl oraz w IKP na pacjent.gov.pl.",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert!(codes(&v).contains(&"LINK_OFFICIAL".to_string()));
}

#[test]
fn text_is_read_from_stdin_and_bad_bytes_get_a_verdict() {
    let out = run_stdin(
        &["check", "--text", "--format", "json"],
        "Pilne! Twoje konto NFZ zostanie zablokowane. Zaloguj się: http://bit.ly/x1".as_bytes(),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.code().unwrap() >= 1, "{v:#}");
    assert!(codes(&v).contains(&"URL_SHORTENER".to_string()));

    let mut hostile = vec![0xff, 0xfe, 0x00, b'N', b'F', b'Z'];
    hostile.extend(std::iter::repeat_n(0xc3, 10_000));
    let out = run_stdin(
        &["check", "--sms", "--sender", "\u{202e}ZFN", "--format", "json"],
        &hostile,
    );
    assert!(matches!(out.status.code(), Some(0..=2)), "{out:?}");
    let _: Value = serde_json::from_slice(&out.stdout).unwrap();
}

#[test]
fn usage_errors_and_unknown_languages_exit_64() {
    assert_eq!(run(&["check", "--bogus"]).status.code(), Some(64));
    // README: 64 for a bad command line, an unknown --lang included.
    let out = run(&["check", "--text", "x", "--lang", "nl"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use pl, ro, en, uk, fr, de, es, it or cs"));
    assert_eq!(run(&["--help"]).status.code(), Some(0));
}

#[test]
fn empty_input_is_an_error_and_text_given_as_a_file_gets_a_hint() {
    for args in [
        &["check", "--text", "   "][..],
        &["check", "--sms", "--sender", "NFZ", ""][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("empty input"), "{out:?}");
        assert!(out.stdout.is_empty());
    }
    let out = run(&["check", "NFZ: masz zwrot 312 zł"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such file") && err.contains("--sms") && err.contains("--text"),
        "{err}"
    );
}

fn copy_builtin(dir: &Path) {
    let out = run(&["registry", "show", "--format", "json"]);
    assert!(out.status.success());
    // Copy the repository's packs (the test runs from the crate directory).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/registry");
    copy_tree(&src, dir);
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let to = dst.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &to);
        } else {
            std::fs::copy(&p, &to).unwrap();
        }
    }
}

#[test]
fn registry_sign_verify_and_refuse_tampering() {
    let dir = tempdir("sign");
    let reg = dir.join("registry");
    copy_builtin(&reg);
    let (sk, pk) = (dir.join("key.secret"), dir.join("key.pub"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    assert!(run(&["registry", "keygen", "--secret", &s(&sk), "--public", &s(&pk)])
        .status
        .success());
    assert!(run(&["registry", "sign", "--key", &s(&sk), &s(&reg)]).status.success());
    let ok = run(&["registry", "verify", "--pubkey", &s(&pk), &s(&reg)]);
    assert!(ok.status.success(), "{ok:?}");

    // A signed registry is used by checks.
    let (v, code) = json(&[
        "check",
        "--url",
        "https://nfz.gov.pl",
        "--registry",
        &s(&reg),
        "--registry-pubkey",
        &s(&pk),
    ]);
    assert_eq!((v["verdict"].as_str().unwrap(), code), ("official", 0));

    // Unsigned use must be explicit.
    let out = run(&["check", "--url", "https://nfz.gov.pl", "--registry", &s(&reg)]);
    assert_eq!(out.status.code(), Some(3));

    // Tampering: an attacker adds their domain to NFZ.
    let nfz = reg.join("pl/nfz.toml");
    let mut text = std::fs::read_to_string(&nfz).unwrap();
    text.push_str(
        "\n[[domain]]\nvalue = \"nfz-zwrot-pl.com\"\nuses = [\"web\"]\nsource = \"x\"\nconfidence = \"high\"\n",
    );
    std::fs::write(&nfz, text).unwrap();
    let out = run(&["registry", "verify", "--pubkey", &s(&pk), &s(&reg)]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("signature"), "{out:?}");
    let out = run(&[
        "check",
        "--url",
        "https://nfz-zwrot-pl.com",
        "--registry",
        &s(&reg),
        "--registry-pubkey",
        &s(&pk),
    ]);
    assert_eq!(out.status.code(), Some(3), "a tampered registry is refused, never used");
}

#[test]
fn registry_lint_reports_file_and_line() {
    let dir = tempdir("lint");
    copy_builtin(&dir);
    let nfz = dir.join("pl/nfz.toml");
    let text =
        std::fs::read_to_string(&nfz)
            .unwrap()
            .replacen("value = \"+48 800 190 590\"", "value = \"+48 800 19\"", 1);
    std::fs::write(&nfz, text).unwrap();
    let out = run(&["registry", "lint", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("pl/nfz.toml:") && stdout.contains("phone"), "{stdout}");
    let out = run(&[
        "check",
        "--text",
        "x",
        "--registry",
        dir.to_str().unwrap(),
        "--allow-unsigned-registry",
    ]);
    assert_eq!(out.status.code(), Some(3), "a registry that fails lint is refused");

    let out = run(&["registry", "lint"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn registry_show_lists_and_shows_institutions() {
    let out = run(&["registry", "show"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("pl.nfz") && text.contains("ro.cnas"));
    let out = run(&["registry", "show", "pl.nfz"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("nfz.gov.pl") && text.contains("+48800190590"), "{text}");
    assert_eq!(run(&["registry", "show", "pl.nobody"]).status.code(), Some(3));
}

#[test]
fn registry_show_follows_lang_and_suggests_ids() {
    // English by default: a Romanian county house is listed under its English name.
    let text = String::from_utf8(run(&["registry", "show"]).stdout).unwrap();
    assert!(text.contains("Alba County Health Insurance House"), "{text}");
    assert!(!text.contains("Kasa Ubezpieczeń Zdrowotnych okręgu Alba"), "{text}");
    let text = String::from_utf8(run(&["registry", "show", "--lang", "ro"]).stdout).unwrap();
    assert!(text.contains("Casa de Asigurări de Sănătate Alba"), "{text}");
    assert_eq!(run(&["registry", "show", "--lang", "nl"]).status.code(), Some(64));
    let out = run(&["registry", "show", "nfz"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did you mean pl.nfz?"), "{err}");
}

#[test]
fn eval_domains_counts_lookalikes() {
    let dir = tempdir("eval");
    let list = dir.join("list.csv");
    std::fs::write(
        &list,
        "1,google.com\n2,nfz-zwrot.pl\n3,pacjent.gov.pl.example.com\n4,www.nfz.gov.pl\n5,wikipedia.org\n",
    )
    .unwrap();
    let out = run(&["eval", "domains", list.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("hosts: 5"), "{text}");
    assert!(text.contains("flagged as look-alikes: 2 (40.000%)"), "{text}");
    assert!(text.contains("official (registry domains): 1"), "{text}");
}

/// A refund SMS in the name of NFZ, explained in English (written by the project).
const SMS_REFUND_EN: [&str; 7] = [
    "check",
    "--sms",
    "--sender",
    "NFZ",
    "--lang",
    "en",
    "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com",
];

#[test]
fn human_advice_puts_the_best_route_first_and_marks_contacts_as_the_json_does() {
    let out = run(&SMS_REFUND_EN);
    let text = String::from_utf8(out.stdout).unwrap();
    let report = text.split("Where to report:\n").nth(1).expect("a reporting section");
    let first = report.lines().next().unwrap();
    assert!(first.contains("8080"), "an SMS is forwarded to 8080 first: {text}");
    assert!(report.contains("Other ways to report:"), "{text}");
    assert!(!text.contains("Hang up"), "{text}");
    assert!(text.contains("+48 800 190 590"), "numbers grouped for people: {text}");
    // The same marks as the JSON's `unconfirmed`.
    let (v, _) = json(&SMS_REFUND_EN);
    let advice = &v["advice"];
    for c in advice["official_contacts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(advice["report_to"].as_array().unwrap())
    {
        let line = text
            .lines()
            .find(|l| l.contains(c["text"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("{c} missing from {text}"));
        assert_eq!(
            line.ends_with("(unconfirmed)"),
            c["unconfirmed"] == true,
            "{line} / {c}"
        );
    }
}

#[test]
fn a_harmless_message_gets_nothing_to_report() {
    let out = run(&[
        "check",
        "--text",
        "--lang",
        "en",
        "Hi mum, dinner at 7 tonight? Love, Kasia",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("Where to report"), "{text}");
    assert!(text.contains("No sign of fraud found"), "{text}");
}

#[test]
fn version_names_the_registry_data_version() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let expected = format!(
        "healthguard {} (registry {})\n",
        env!("CARGO_PKG_VERSION"),
        healthguard_registry::builtin().version
    );
    assert_eq!(text, expected);
}

#[test]
fn the_man_page_and_completions_come_from_the_argument_definitions() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(man.contains(".TH healthguard 1"), "{man}");
    for command in ["check", "scan", "serve", "milter", "completions"] {
        assert!(man.contains(command), "{command} missing from the man page");
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("milter") && text.contains("trust-authres"),
            "{shell}: {text}"
        );
    }
    // The bash script is valid bash.
    let out = run(&["completions", "bash"]);
    let path = std::env::temp_dir().join(format!("hg-completion-{}.bash", std::process::id()));
    std::fs::write(&path, &out.stdout).unwrap();
    let status = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "bash -n rejected the completion script");
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(64), "unknown shell is a usage error");
}
