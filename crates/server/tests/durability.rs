//! Every acknowledged report survives `kill -9` of the server in the middle of a burst of
//! submissions, and the server restarts cleanly on the same data.
//!
//! The server runs in a separate process: this test binary re-runs itself with the filter
//! `child_server` and an environment variable naming the data directory; that "test" calls
//! `healthguard_server::serve` (the real blocking entry point) and never returns by itself.

mod common;

use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "HEALTHGUARD_TEST_SERVE_DIR";

/// Not a test of its own: the server process of `acknowledged_reports_survive_kill_9`.
#[test]
fn child_server() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut config = healthguard_server::ServeConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.into(),
        healthguard_registry::builtin().clone(),
    );
    config.limits.check_rate = None;
    config.limits.report_rate = None;
    healthguard_server::serve(config).unwrap();
}

/// Starts the server process on `dir` and waits for its address.
fn spawn_server(dir: &std::path::Path) -> (Child, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_server", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("listening on http://").nth(1) {
                let _ = tx.send(addr.trim().parse::<SocketAddr>().unwrap());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server process did not start");
    (child, addr)
}

#[test]
fn acknowledged_reports_survive_kill_9() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = temp_dir("kill9");
    let (mut child, addr) = spawn_server(&dir);
    let base = format!("http://{addr}");

    // A burst: 8 clients, each submitting up to 5,000 reports, until the server dies.
    let acked: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (acked, stop, base) = (acked.clone(), stop.clone(), base.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut errors = 0;
                for i in 0..5000 {
                    if stop.load(Ordering::Relaxed) || errors > 3 {
                        break;
                    }
                    let text = format!("NFZ: zwrot {c}-{i}, potwierdź dane: nfz-zwrot-pl.com");
                    let res = agent
                        .post(&format!("{base}/v1/reports"))
                        .header("content-type", "application/json")
                        .send(json!({"kind": "sms", "sender": "NFZ", "text": text}).to_string());
                    match res {
                        Ok(mut r) if r.status() == 201 => {
                            let j: serde_json::Value = r.body_mut().read_json().unwrap();
                            acked.lock().unwrap().push((
                                j["id"].as_str().unwrap().to_string(),
                                j["token"].as_str().unwrap().to_string(),
                                text,
                            ));
                        }
                        // The server died between the request and the answer: not acknowledged.
                        _ => errors += 1,
                    }
                }
            })
        })
        .collect();

    // Kill in the middle of the burst.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 400 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = acked.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        at_kill >= 400,
        "the burst was too slow to test anything ({at_kill} reports)"
    );
    let still_running = acked.len() < 8 * 5000;
    assert!(still_running, "the kill came after the burst ended");

    // Restart on the same data: every acknowledged report is there, with its key.
    let (mut child, addr) = spawn_server(&dir);
    let base = format!("http://{addr}");
    assert_eq!(get(&format!("{base}/healthz")).json()["status"], "ok");
    let agent = agent();
    for (id, token, _) in &acked {
        let mut r = agent
            .get(&format!("{base}/v1/reports/{id}?token={token}"))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged report {id} lost after kill -9");
        let j: serde_json::Value = r.body_mut().read_json().unwrap();
        assert_eq!(j["status"], "received");
    }
    // It takes new reports.
    let a = post_json(
        &format!("{base}/v1/reports"),
        &json!({"kind": "text", "text": "after restart"}),
    );
    assert_eq!(a.status, 201);

    // A graceful stop (SIGTERM) ends the process cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_with_timeout(&mut child, Duration::from_secs(30));
    assert!(exit, "the server did not stop on SIGTERM");

    // The database is intact and holds each acknowledged message as sent.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Row;
        let mut conn = common::stored_database(&dir).await;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(check, "ok");
        for (id, _, text) in acked.iter().step_by(37) {
            let row = sqlx::query("SELECT message, sender, kind FROM reports WHERE id = ?")
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let message: Vec<u8> = row.get(0);
            assert_eq!(message, text.as_bytes());
            assert_eq!(row.get::<Option<String>, _>(1).as_deref(), Some("NFZ"));
            assert_eq!(row.get::<String, _>(2), "sms");
        }
    });
    eprintln!(
        "kill -9 test: {} acknowledged reports (kill after {at_kill}), all present after restart",
        acked.len()
    );
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    false
}
