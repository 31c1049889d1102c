//! `healthguard serve` as a user starts it: a real process on a real socket, stopped and
//! started again on the same data directory. The SMS was written by the HealthGuard project.

#[path = "support/registry.rs"]
mod registry_support;

use registry_support::{healthguard, signed_registry};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data: &std::path::Path, port: u16) -> Server {
        Server::start_with(data, port, &[])
    }

    fn start_with(data: &std::path::Path, port: u16, extra: &[&str]) -> Server {
        let child = Command::new(env!("CARGO_BIN_EXE_healthguard"))
            .args([
                "serve",
                "--dns",
                "off",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data",
            ])
            .arg(data)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.request("GET", "/healthz", "").0 != 200 {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// One HTTP/1.1 request; (status, body). Status 0 when nothing listens yet.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new());
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
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

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Decodes a chunked body when the server used chunked transfer encoding.
fn json_body(body: &str) -> Value {
    if let Ok(v) = serde_json::from_str(body) {
        return v;
    }
    let start = body.find('{').expect("a JSON object");
    let end = body.rfind('}').expect("a JSON object");
    serde_json::from_str(&body[start..=end]).unwrap()
}

#[test]
fn serve_checks_files_a_report_and_keeps_it_across_a_restart() {
    let data = std::env::temp_dir().join(format!("healthguard-cli-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let port = free_port();
    let server = Server::start(&data, port);

    let (status, page) = server.request("GET", "/", "");
    assert_eq!(status, 200);
    assert!(page.contains("<form"), "the web page has a form");

    let sms = r#"{"kind":"sms","sender":"NFZ","text":"NFZ: masz zwrot 312 zl, potwierdz dane: nfz-zwrot-pl.com"}"#;
    let (status, body) = server.request("POST", "/v1/check", sms);
    assert_eq!(status, 200, "{body}");
    let v = json_body(&body);
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["institution"], "pl.nfz");

    let (status, body) = server.request("POST", "/v1/reports", sms);
    assert!(status == 200 || status == 201, "{status} {body}");
    let receipt = json_body(&body);
    let id = receipt["id"].as_str().unwrap().to_string();
    let token = receipt["token"].as_str().unwrap().to_string();
    server.stop();

    let server = Server::start(&data, port);
    let (status, body) = server.request("GET", &format!("/v1/reports/{id}?token={token}"), "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_body(&body)["id"], id.as_str());
    let (status, _) = server.request("GET", &format!("/v1/reports/{id}?token=wrong"), "");
    assert_ne!(status, 200, "a wrong token must not open the report");
    server.stop();
    let _ = std::fs::remove_dir_all(&data);
}

/// `registry update` refuses a wrong signature, an older or equal version and a corrupt
/// file with their own exit codes and messages, leaving the active registry alone; a good
/// update is answered by a running `serve` without a restart.
#[test]
fn registry_update_refuses_bad_ones_and_a_running_server_takes_a_good_one() {
    let dir = std::env::temp_dir().join(format!("healthguard-cli-regupdate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let (secret, public) = (dir.join("k.secret"), dir.join("k.pub"));
    let (other_secret, other_public) = (dir.join("o.secret"), dir.join("o.pub"));
    for (s, p) in [(&secret, &public), (&other_secret, &other_public)] {
        let out = healthguard(&[
            "registry".as_ref(),
            "keygen".as_ref(),
            "--secret".as_ref(),
            s.as_os_str(),
            "--public".as_ref(),
            p.as_os_str(),
        ]);
        assert!(out.status.success(), "{out:?}");
    }
    let update = |source: &std::path::Path, key: Option<&std::path::Path>| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "registry".as_ref(),
            "update".as_ref(),
            source.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
        ];
        if let Some(k) = key {
            args.extend(["--pubkey".as_ref(), k.as_os_str()]);
        }
        let out = healthguard(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
        )
    };

    // A first registry, newer than the built-in one, installed before the server starts.
    let first = dir.join("r1");
    signed_registry(&first, "2099.1.1", false, &secret);
    // Signed by another key than the one given: refused, nothing installed.
    let wrong = dir.join("wrong");
    signed_registry(&wrong, "2099.1.1", false, &other_secret);
    let (code, text) = update(&wrong, Some(&public));
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("signature check failed"), "{text}");
    assert!(!data.join("registry.bundle.json").exists());
    let (code, text) = update(&first, Some(&public));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("installed registry 2099.1.1"), "{text}");

    let port = free_port();
    let server = Server::start_with(&data, port, &["--registry-poll", "1"]);
    let version = |server: &Server| json_body(&server.request("GET", "/healthz", "").1)["registry"].clone();
    assert_eq!(version(&server), "2099.1.1");
    let url = r#"{"kind":"url","url":"https://nfz-zwrot-pl.com/"}"#;
    let (status, body) = server.request("POST", "/v1/check", url);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_body(&body)["verdict"], "phishing", "{body}");

    // Equal, older, another key (even well signed), a corrupt file: refused, exit 2 or 3.
    let (code, text) = update(&first, None);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("registry 2099.1.1 refused: not newer than the active registry 2099.1.1"),
        "{text}"
    );
    let older = dir.join("older");
    signed_registry(&older, "2099.1.0", false, &secret);
    let (code, text) = update(&older, None);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("not newer than the active registry 2099.1.1"), "{text}");
    let rotated = dir.join("rotated");
    signed_registry(&rotated, "2099.2.1", false, &other_secret);
    let (code, text) = update(&rotated, Some(&other_public));
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("pins another public key"), "{text}");
    let corrupt = dir.join("corrupt.json");
    std::fs::write(
        &corrupt,
        b"{\"format\":\"healthguard-registry-bundle-1\",\"files\":[{\"pa",
    )
    .unwrap();
    let (code, text) = update(&corrupt, None);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("not a registry bundle"), "{text}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(version(&server), "2099.1.1", "refused updates change nothing");

    // A good update, as a bundle file: the running server answers with it within its poll.
    let good = dir.join("r2");
    signed_registry(&good, "2099.1.2", true, &secret);
    let bundle = dir.join("r2.json");
    let out = healthguard(&[
        "registry".as_ref(),
        "bundle".as_ref(),
        good.as_os_str(),
        "--out".as_ref(),
        bundle.as_os_str(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let (code, text) = update(&bundle, None);
    assert_eq!(code, Some(0), "{text}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while version(&server) != "2099.1.2" {
        assert!(Instant::now() < deadline, "the server did not take the new registry");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = server.request("POST", "/v1/check", url);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_body(&body)["verdict"], "official", "{body}");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
