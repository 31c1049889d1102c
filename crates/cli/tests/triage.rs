//! `healthguard triage` on a data directory filled by a real `healthguard serve`: reports
//! filed over HTTP, the server stopped, then campaigns and every export read offline. The
//! messages were written by the HealthGuard project; they carry personal data of every kind
//! the exports must not hold.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Server(Child, u16);

impl Server {
    fn start(data: &std::path::Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_healthguard"))
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
        while server.post("/healthz", "").0 == 0 {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn post(&self, path: &str, body: &str) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.1)) else {
            return (0, String::new());
        };
        let method = if body.is_empty() { "GET" } else { "POST" };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
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
        (status, answer)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn triage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .arg("triage")
        .args(args)
        .output()
        .unwrap()
}

fn report(server: &Server, body: Value) {
    let (status, answer) = server.post("/v1/reports", &body.to_string());
    assert!(status == 200 || status == 201 || status == 202, "{status} {answer}");
}

#[test]
fn campaigns_and_exports_from_a_served_data_directory() {
    let data = std::env::temp_dir().join(format!("healthguard-cli-triage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let server = Server::start(&data);
    for (i, amount) in ["312", "97", "1045"].iter().enumerate() {
        report(
            &server,
            serde_json::json!({
                "kind": "sms", "sender": "NFZ",
                "text": format!("Szanowny Panie Jan Kowalski, NFZ: masz zwrot {amount} zl, PESEL 44051401359. Potwierdz na nfz-zwrot-pl.com lub zobacz nfz.gov.pl"),
                "contact": format!("reporter{i}@example.org"), "consent": true,
            }),
        );
    }
    let email = "From: \"CNAS\" <plati@cnas-rambursare.com>\r\nTo: Ion Popescu <ion.popescu@example.com>\r\nSubject: Rambursare\r\n\r\n\
        Stimate domnule Ion Popescu, CNP 1800101221144, contul RO49AAAA1B31007593840000. Accesati https://cnas-rambursare.com/plata\r\n";
    report(&server, serde_json::json!({"kind": "email", "raw": email}));
    drop(server);

    let d = data.to_str().unwrap();
    let out = triage(&["campaigns", "--data", d, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items[0]["reports"], 3);
    assert_eq!(items[0]["institution"], "pl.nfz");
    let nfz_id = items[0]["id"].as_str().unwrap().to_string();
    let human = triage(&["campaigns", "--data", d]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("4 reports in 2 campaigns"));

    let mut all = String::new();
    for format in ["stix", "misp", "arf", "domains", "hosts", "rpz", "adblock"] {
        let out = triage(&["export", "--data", d, "--format", format]);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        if !matches!(format, "stix" | "misp" | "arf") {
            assert!(
                text.contains("nfz-zwrot-pl.com") && text.contains("cnas-rambursare.com"),
                "{format}: {text}"
            );
            assert!(
                !text.contains("gov.pl"),
                "{format}: an official domain in a blocklist: {text}"
            );
        }
        all.push_str(&text);
    }
    for personal in [
        "Kowalski",
        "Popescu",
        "44051401359",
        "1800101221144",
        "RO49AAAA",
        "reporter0@",
        "ion.popescu@",
    ] {
        assert!(!all.contains(personal), "{personal} in an export");
    }
    let one = triage(&["export", "--data", d, "--format", "domains", "--campaign", &nfz_id]);
    assert_eq!(String::from_utf8_lossy(&one.stdout), "nfz-zwrot-pl.com\n");
    let missing = triage(&["export", "--data", d, "--format", "stix", "--campaign", "C-nope"]);
    assert_eq!(missing.status.code(), Some(64));
    let _ = std::fs::remove_dir_all(&data);
    let none = triage(&["campaigns", "--data", d]);
    assert_eq!(none.status.code(), Some(3), "a missing store is an input error");
}

#[test]
fn grouping_evaluation_prints_its_figures() {
    let out = triage(&["eval", "--reports", "500", "--seed", "3"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("in their campaign") && text.contains("in a wrong one"),
        "{text}"
    );
    assert_eq!(triage(&["eval", "--rotation", "2"]).status.code(), Some(64));
}
