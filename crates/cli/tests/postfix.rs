//! `healthguard milter` against real MTA software from Debian:
//! - scripts/postfix-test.sh: a private Postfix instance on loopback ports, mail sent with
//!   swaks, Maildirs, the hold queue and SMTP replies checked, then fail-open after `kill -9`
//!   of the milter;
//! - scripts/miltertest.sh: protocol edge cases with libmilter's `miltertest` (body chunks,
//!   aborted transactions, 501 recipients, an oversized body, a client vanishing mid-body).
//!
//! Without the tools (or root, for Postfix) each test says it is skipped and passes, unless
//! `HEALTHGUARD_REQUIRE_POSTFIX=1` (set by scripts/test-all.sh, which installs them): then it
//! fails.

use std::process::Command;

fn has(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool} || test -x /usr/sbin/{tool}")])
        .output();
    found.is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    let uid = Command::new("id").arg("-u").output();
    uid.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Why the test cannot run here, or `None`.
fn missing(tools: &[&str], root: bool) -> Option<String> {
    let mut why: Vec<String> = tools
        .iter()
        .filter(|t| !has(t))
        .map(|t| format!("{t} is not installed"))
        .collect();
    if root && !is_root() {
        why.push("a private Postfix instance needs root".into());
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// Runs `script` with the binary; `false` when skipped.
fn run(script: &str, tools: &[&str], root: bool) -> bool {
    if let Some(why) = missing(tools, root) {
        let required = std::env::var("HEALTHGUARD_REQUIRE_POSTFIX").is_ok_and(|v| v == "1");
        assert!(!required, "HEALTHGUARD_REQUIRE_POSTFIX=1 but {why}");
        eprintln!("SKIPPED {script}: {why} (bash scripts/{script} --install, as root)");
        return false;
    }
    let path = format!("{}/../../scripts/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(path)
        .arg(env!("CARGO_BIN_EXE_healthguard"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    println!("{text}");
    true
}

#[test]
fn the_milter_behind_a_real_postfix() {
    if run("postfix-test.sh", &["postfix", "swaks"], true) {
        println!("postfix-test.sh passed");
    }
}

#[test]
fn protocol_edge_cases_with_miltertest() {
    if run("miltertest.sh", &["miltertest"], false) {
        println!("miltertest.sh passed");
    }
}
