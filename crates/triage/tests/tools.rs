//! The exports checked with the real tools: OASIS's `stix2_validator`, PyMISP (the MISP
//! core format and the `phishing` object template) and BIND's `named-checkzone`. A test
//! whose tool is missing says so and passes; `scripts/export-validate.sh` installs the tools
//! and fails when they are missing.

use healthguard_triage::export::{blocklist, misp, stix, Context};
use healthguard_triage::{Grouper, Official, Report};
use std::path::PathBuf;
use std::process::Command;

fn reports() -> Vec<Report> {
    let sms = |id: &str, at: i64, text: &str| Report {
        id: id.into(),
        created_at_ms: at,
        kind: "sms".into(),
        institution: Some("pl.nfz".into()),
        sender: Some("NFZ".into()),
        message: text.as_bytes().to_vec(),
        contact: None,
    };
    let email = "From: \"CNAS\" <plati@cnas-plata.ro>\r\nSubject: Rambursare\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
        --b\r\nContent-Type: text/plain\r\n\r\nStimate domnule Ion Popescu, accesati https://cnas-plata.ro/card?x=1 sau cnas.ro\r\n\
        --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n";
    vec![
        sms(
            "r1",
            1_796_298_480_000,
            "NFZ: zwrot 312 zl, potwierdz: https://nfz-zwrot.pl/login lub +48 600 111 333. Info: nfz.gov.pl",
        ),
        sms(
            "r2",
            1_796_298_490_000,
            "NFZ: it's a 'quote' \\ https://nfz-zwrot.pl/it's-x bit.ly/abc",
        ),
        Report {
            id: "r3".into(),
            created_at_ms: 1_796_298_500_000,
            kind: "email".into(),
            institution: Some("ro.cnas".into()),
            message: email.as_bytes().to_vec(),
            ..Report::default()
        },
    ]
}

fn out_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("healthguard-triage-tools-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool).arg(arg).output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: `{tool}` is not installed (scripts/export-validate.sh installs it)");
    }
    ok
}

fn exports(f: impl Fn(&[&healthguard_triage::Campaign], &Context) -> String) -> String {
    let registry = healthguard_registry::builtin();
    let official = Official::from_registry(registry);
    let mut g = Grouper::new(official.clone());
    for r in reports() {
        g.add(&r);
    }
    let ctx = Context {
        generated_at_ms: 1_796_298_600_000,
        registry,
        official: &official,
    };
    let campaigns = g.campaigns();
    assert_eq!(campaigns.len(), 2);
    f(&campaigns, &ctx)
}

#[test]
fn stix_bundle_passes_stix2_validator() {
    if !have("stix2_validator", "-h") {
        return;
    }
    let path = out_dir().join("bundle.json");
    std::fs::write(&path, exports(stix::bundle)).unwrap();
    let o = Command::new("stix2_validator")
        .arg("--strict")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && !text.contains("[X]"), "{text}");
}

#[test]
fn misp_event_loads_in_pymisp() {
    if !have("python3", "--version")
        || !Command::new("python3")
            .args(["-c", "import pymisp"])
            .status()
            .is_ok_and(|s| s.success())
    {
        eprintln!("SKIPPED: PyMISP is not installed (scripts/export-validate.sh installs it)");
        return;
    }
    let path = out_dir().join("event.json");
    std::fs::write(&path, exports(misp::event)).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/misp-check.py");
    let o = Command::new("python3").arg(script).arg(&path).output().unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn rpz_zone_passes_named_checkzone() {
    if !have("named-checkzone", "-v") {
        return;
    }
    let path = out_dir().join("rpz.zone");
    let zone = exports(blocklist::rpz);
    assert!(zone.contains("nfz-zwrot.pl CNAME ."), "{zone}");
    std::fs::write(&path, zone).unwrap();
    let o = Command::new("named-checkzone")
        .arg("rpz.healthguard")
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}
