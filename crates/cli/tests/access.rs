//! Analyst access end to end: `users add` and `tokens create` on a data directory, a real
//! `healthguard serve` using them over `/v1/triage`, then `triage advisory` on the confirmed
//! campaign, whose draft passes `registry lint` once appended to its pack. The messages were
//! written by the HealthGuard project.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
}

fn temp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("hg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Server(Child, u16);

impl Server {
    fn start(data: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = bin()
            .args([
                "serve",
                "--dns",
                "off",
                "--no-rate-limit",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data",
            ])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server(child, port);
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.call("GET", "/healthz", None, "").0 == 0 {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.1)) else {
            return (0, String::new());
        };
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .is_err()
        {
            return (0, String::new());
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn users_tokens_api_and_an_advisory_that_lints() {
    let dir = temp("access");
    let data = dir.join("data");
    std::fs::write(dir.join("pw"), "s3cret pass\n").unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    let add = |name: &str, file: &str| {
        run(bin()
            .args(["users", "add", name, "--role", "analyst", "--data"])
            .arg(&data)
            .arg("--password-file")
            .arg(dir.join(file)))
    };
    assert!(add("ana", "pw").status.success());
    assert_eq!(add("ana", "pw").status.code(), Some(64), "a taken name");
    assert_eq!(add("bob", "empty").status.code(), Some(64), "an empty password");
    let no_tty = run(bin()
        .args(["users", "add", "eve", "--role", "admin", "--data"])
        .arg(&data));
    assert_eq!(no_tty.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&no_tty.stderr).contains("--password-file"));
    let token = |role: &str| {
        let out = run(bin()
            .args(["tokens", "create", "--role", role, "--name", role, "--data"])
            .arg(&data));
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (viewer, analyst) = (token("viewer"), token("analyst"));
    assert!(analyst.starts_with("hgt_") && analyst.len() > 40);
    let db = std::fs::read(data.join("healthguard.db")).unwrap();
    assert!(
        !db.windows(analyst.len()).any(|w| w == analyst.as_bytes()),
        "the token itself is never stored"
    );
    assert!(!db.windows(11).any(|w| w == b"s3cret pass"), "nor the password");

    let server = Server::start(&data);
    for text in [
        "NFZ: nalezy sie zwrot 312 zl. Potwierdz dane na https://nfz-zwrot.pl/odbierz",
        "NFZ: zwrot 97 zl czeka na https://nfz-zwrot.pl/x teraz",
    ] {
        let body = serde_json::json!({"kind": "sms", "sender": "NFZ", "text": text}).to_string();
        assert_eq!(server.call("POST", "/v1/reports", None, &body).0, 201);
    }
    assert_eq!(server.call("GET", "/v1/triage/campaigns", None, "").0, 401);
    let (status, body) = server.call("GET", "/v1/triage/campaigns", Some(&viewer), "");
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    let campaign = list["items"][0]["id"].as_str().unwrap().to_string();
    let first = campaign.strip_prefix("C-").unwrap().to_string();
    let advisory = |c: &str| run(bin().args(["triage", "advisory", c, "--data"]).arg(&data));
    assert_eq!(advisory(&campaign).status.code(), Some(64), "not confirmed yet");
    let confirm = r#"{"status": "confirmed_phishing"}"#;
    assert_eq!(
        server
            .call("POST", &format!("/v1/triage/reports/{first}"), Some(&viewer), confirm)
            .0,
        403
    );
    assert_eq!(
        server
            .call("POST", &format!("/v1/triage/reports/{first}"), Some(&analyst), confirm)
            .0,
        204
    );

    // While the server runs (the store is read read-only).
    let out = advisory(&campaign);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let draft = String::from_utf8(out.stdout).unwrap();
    assert!(
        draft.contains("[[advisory]]") && draft.contains("domains = [\"nfz-zwrot.pl\"]"),
        "{draft}"
    );
    assert_eq!(advisory("C-NOPE").status.code(), Some(64));
    drop(server);

    let registry = dir.join("registry");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/registry"),
        &registry,
    );
    let pack = registry.join("pl/nfz.toml");
    let mut text = std::fs::read_to_string(&pack).unwrap();
    text.push('\n');
    text.push_str(&draft);
    std::fs::write(&pack, text).unwrap();
    let lint = run(bin().args(["registry", "lint"]).arg(&registry));
    assert!(
        lint.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
