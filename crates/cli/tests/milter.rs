//! `healthguard milter`: its configuration file and flags, and the process answering the
//! milter protocol until SIGTERM. (Behind a real Postfix: scripts/postfix-test.sh.)

#[path = "support/registry.rs"]
mod registry_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hg-milter-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_bad_configuration_file_is_refused_with_its_name_and_the_reason() {
    let path = temp_file("bad.toml", "[milter]\ntimeout_ms = 0\n");
    let out = bin()
        .args(["milter", "--check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("timeout_ms"), "{err}");
    let out = bin()
        .args(["milter", "--check-config", "--listen", "tcp:1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn flags_override_the_file() {
    let path = temp_file(
        "good.toml",
        "[milter]\nlisten = \"inet:127.0.0.1:9999\"\ntrust_authres = \"mx.a.example\"\n[milter.actions]\nphishing = \"reject\"\n",
    );
    let out = bin()
        .args(["milter", "--check-config", "--listen", "unix:/tmp/x.sock", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("good.toml"), "{text}");
    assert!(text.contains("\"unix:/tmp/x.sock\""), "{text}");
    assert!(text.contains("\"mx.a.example\""), "{text}");
    assert!(text.contains("phishing: Reject"), "{text}");
}

#[test]
fn the_milter_answers_option_negotiation_and_stops_on_sigterm() {
    let mut child = bin()
        .args(["milter", "--listen", "inet:127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the milter exited before it was ready"
        );
        if let Some(rest) = line.split("listen=inet:").nth(1) {
            break rest.trim().to_string();
        }
    };
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let mut optneg = vec![0, 0, 0, 13, b'O'];
    for n in [6u32, 0x1ff, 0] {
        optneg.extend_from_slice(&n.to_be_bytes());
    }
    s.write_all(&optneg).unwrap();
    let mut reply = [0u8; 5];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply[4], b'O', "{reply:?}");
    drop(s);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains("milter stopped") && rest.contains("connections=0"),
        "{rest}"
    );
}

/// Reads stderr lines until one contains `needle`; panics at the end of the stream.
fn wait_for(stderr: &mut impl BufRead, needle: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no line with {needle:?}");
        if line.contains(needle) {
            return line;
        }
    }
}

fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sighup_reloads_the_file_and_keeps_the_old_one_when_the_new_is_broken() {
    let path = temp_file("reload.toml", "[milter]\nlisten = \"inet:127.0.0.1:0\"\n");
    let mut child = bin()
        .args(["milter", "--config"])
        .arg(&path)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let ready = wait_for(&mut stderr, "listen=inet:");
    let addr = ready.split("listen=inet:").nth(1).unwrap().trim().to_string();
    std::fs::write(
        &path,
        "[milter]\nlisten = \"inet:127.0.0.1:0\"\n[milter.actions]\nphishing = \"reject\"\n",
    )
    .unwrap();
    signal(&child, "-HUP");
    wait_for(&mut stderr, "reloaded the configuration and the registry");
    std::fs::write(&path, "[milter]\ntimeout_ms = 0\n").unwrap();
    signal(&child, "-HUP");
    let failed = wait_for(&mut stderr, "reload failed");
    assert!(failed.contains("timeout_ms"), "{failed}");
    // Still serving.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let mut optneg = vec![0, 0, 0, 13, b'O'];
    for n in [6u32, 0x1ff, 0] {
        optneg.extend_from_slice(&n.to_be_bytes());
    }
    s.write_all(&optneg).unwrap();
    let mut reply = [0u8; 5];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply[4], b'O');
    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let mut child = bin()
        .args(["milter", "--listen", "inet:127.0.0.1:0", "--log-format", "json"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let line = wait_for(&mut stderr, "ready");
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["message"], "healthguard milter ready", "{line}");
    assert_eq!(event["level"], "INFO");
    assert!(
        event["listen"].as_str().unwrap().starts_with("inet:127.0.0.1:"),
        "{line}"
    );
    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// A running milter takes a registry installed by `registry update` on its schedule, without
/// a restart, and reads its feeds again on SIGHUP into the same shared index.
#[test]
fn a_running_milter_takes_a_registry_update_without_a_restart() {
    use registry_support::{healthguard, signed_registry};
    let dir = std::env::temp_dir().join(format!("healthguard-milter-regupdate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (data, feeds) = (dir.join("data"), dir.join("feeds"));
    std::fs::create_dir_all(&feeds).unwrap();
    let (secret, public) = (dir.join("k.secret"), dir.join("k.pub"));
    let out = healthguard(&[
        "registry".as_ref(),
        "keygen".as_ref(),
        "--secret".as_ref(),
        secret.as_os_str(),
        "--public".as_ref(),
        public.as_os_str(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let install = |version: &str| {
        let reg = dir.join(version);
        signed_registry(&reg, version, false, &secret);
        let out = healthguard(&[
            "registry".as_ref(),
            "update".as_ref(),
            reg.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
            "--pubkey".as_ref(),
            public.as_os_str(),
        ]);
        assert!(out.status.success(), "{out:?}");
    };
    install("2099.1.1");
    let mut child = bin()
        .args([
            "milter",
            "--listen",
            "inet:127.0.0.1:0",
            "--registry-poll",
            "1",
            "--data",
        ])
        .arg(&data)
        .arg("--feeds")
        .arg(&feeds)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    wait_for(&mut stderr, "listen=inet:");
    install("2099.1.2");
    let line = wait_for(&mut stderr, "reloaded the configuration and the registry");
    assert!(line.contains("registry=2099.1.2"), "{line}");
    signal(&child, "-HUP");
    let line = wait_for(&mut stderr, "reloaded the configuration and the registry");
    assert!(line.contains("registry=2099.1.2"), "{line}");
    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--log-level` keeps out what is below it: at `warn` the start-up line is not written and
/// a failed reload is; a filter that cannot be read is a bad command line.
#[test]
fn log_levels_filter_the_lines_and_a_bad_filter_is_refused() {
    let out = bin()
        .args([
            "milter",
            "--listen",
            "inet:127.0.0.1:0",
            "--log-level",
            "healthguard=loud",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("log filter"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let path = temp_file(
        "levels.toml",
        &format!("[milter]\nlisten = \"inet:127.0.0.1:{port}\"\n"),
    );
    let mut child = bin()
        .args(["milter", "--log-level", "warn", "--config"])
        .arg(&path)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let up = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the milter did not listen on {port}");
    std::fs::write(&path, "[milter]\ntimeout_ms = 0\n").unwrap();
    signal(&child, "-HUP");
    let mut first = String::new();
    assert!(stderr.read_line(&mut first).unwrap() > 0);
    assert!(
        first.contains("reload failed"),
        "the first line written at warn: {first}"
    );
    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(!rest.contains("ready"), "{rest}");
}
