//! `healthguard serve` as a user starts it: a real process on a real socket, stopped and
//! started again on the same data directory. The SMS was written by the HealthGuard project.

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
        let child = Command::new(env!("CARGO_BIN_EXE_healthguard"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
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
