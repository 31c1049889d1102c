//! `healthguard serve --database postgres://…`: two real `serve` processes on one PostgreSQL
//! database share reports and campaigns, and a node killed with SIGKILL under load loses no
//! acknowledged report. Needs a PostgreSQL server (HEALTHGUARD_TEST_POSTGRES, as
//! scripts/test-all.sh starts one with scripts/postgres-test.sh); skipped, saying so, without.

use healthguard_server::store::{read_reports, test_database, Database};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `serve` node on the shared database.
struct Node {
    child: Child,
    port: u16,
}

impl Node {
    fn start(url: &str, tag: &str) -> Node {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data = std::env::temp_dir().join(format!("healthguard-pg-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let child = Command::new(env!("CARGO_BIN_EXE_healthguard"))
            .args(["serve", "--no-rate-limit", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", url, "--data"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let node = Node { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while request(port, "GET", "/healthz", "", None).0 != 200 {
            assert!(Instant::now() < deadline, "serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        node
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 request; (status, body). Status 0 when the connection failed.
fn request(port: u16, method: &str, path: &str, body: &str, bearer: Option<&str>) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}\
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

/// The JSON of a body, chunked or not.
fn json(body: &str) -> Value {
    if let Ok(v) = serde_json::from_str(body) {
        return v;
    }
    let (start, end) = (
        body.find(['{', '[']).expect("JSON"),
        body.rfind(['}', ']']).expect("JSON"),
    );
    serde_json::from_str(&body[start..=end]).unwrap()
}

/// Files an SMS report; its id when acknowledged (2xx).
fn report(port: u16, text: &str) -> Option<String> {
    let body = serde_json::json!({"kind": "sms", "sender": "NFZ", "text": text}).to_string();
    let (status, answer) = request(port, "POST", "/v1/reports", &body, None);
    if !(200..300).contains(&status) {
        return None;
    }
    json(&answer)["id"].as_str().map(str::to_string)
}

fn viewer_token(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args(["tokens", "create", "--role", "viewer", "--database", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Every report id stored in the database.
fn stored_ids(url: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    read_reports(Database::Postgres(url.into()), |r| {
        ids.insert(r.id);
    })
    .unwrap();
    ids
}

#[test]
fn two_serve_nodes_share_reports_and_campaigns() {
    let Some(url) = test_database("cli_nodes") else { return };
    let (a, b) = (Node::start(&url, "a"), Node::start(&url, "b"));
    let token = viewer_token(&url);
    // One campaign, its reports filed on both nodes in turn.
    let mut ids = Vec::new();
    for i in 0..10 {
        let node = if i % 2 == 0 { &a } else { &b };
        let text = format!("NFZ: zwrot {i}0 zl, potwierdz dane: nfz-zwrot-{i}.com lub nfz-refund.pl");
        ids.push(report(node.port, &text).expect("acknowledged"));
    }
    // A report filed on a is seen on b and the other way round.
    for (i, id) in ids.iter().enumerate() {
        let other = if i % 2 == 0 { &b } else { &a };
        let (status, body) = request(other.port, "GET", &format!("/v1/triage/reports/{id}"), "", Some(&token));
        assert_eq!(status, 200, "{id} on the other node: {body}");
    }
    for node in [&a, &b] {
        let (status, body) = request(node.port, "GET", "/v1/triage/campaigns", "", Some(&token));
        assert_eq!(status, 200, "{body}");
        let items = json(&body)["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "one campaign on each node: {body}");
        assert_eq!(items[0]["reports"], 10, "{body}");
        assert_eq!(items[0]["id"], format!("C-{}", ids[0]), "named after its first report");
    }
}

#[test]
fn a_node_killed_under_load_loses_no_acknowledged_report() {
    let Some(url) = test_database("cli_kill") else { return };
    let mut a = Node::start(&url, "ka");
    let b = Node::start(&url, "kb");
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (a_port, b_port) = (a.port, b.port);
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let port = if c % 2 == 0 { a_port } else { b_port };
                    let text = format!("Paczka {c}-{n}: doplata 2 zl na kurier-{c}-{n}.pl lub paczka-doplata.pl");
                    if let Some(id) = report(port, &text) {
                        acked.lock().unwrap().push(id);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let before = acked.lock().unwrap().len();
    a.kill();
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(before > 20, "load before the kill: {before} reports acknowledged");
    assert!(acked.len() > before, "b kept taking reports after a died");
    let stored = stored_ids(&url);
    eprintln!(
        "{} reports acknowledged ({before} before the kill), {} stored",
        acked.len(),
        stored.len()
    );
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged reports lost: {lost:?}",
        lost.len(),
        acked.len()
    );
    // The surviving node still groups them into one campaign with what a stored.
    let token = viewer_token(&url);
    let (status, body) = request(b.port, "GET", "/v1/triage/campaigns", "", Some(&token));
    assert_eq!(status, 200, "{body}");
    let items = json(&body)["items"].as_array().unwrap().clone();
    assert_eq!(
        items[0]["reports"].as_u64(),
        Some(stored.len() as u64),
        "one campaign of every stored report"
    );
}
