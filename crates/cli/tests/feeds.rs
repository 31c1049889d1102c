//! `healthguard feeds update|status` and `--feeds` on check and scan, against a local HTTP
//! server started here that serves the project's own feed files (tests/fixtures/feeds).

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Serves the fixture files by name (404 for anything else) until the test ends.
fn server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            let (status, body) = match path.as_str() {
                "cert-pl-sample.txt" | "openphish-sample.txt" => (200, fixture(&path)),
                _ => (404, b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("healthguard-cli-feeds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_config(dir: &Path, port: u16, openphish_path: &str) -> PathBuf {
    let path = dir.join("feeds.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[feed]]
name = "cert-pl"
title = "CERT Polska's warning list"
url = "http://127.0.0.1:{port}/cert-pl-sample.txt"
format = "domains"
min_entries = 3

[[feed]]
name = "openphish"
title = "OpenPhish's community phishing feed"
url = "http://127.0.0.1:{port}/{openphish_path}"
format = "urls"
"#
        ),
    )
    .unwrap();
    path
}

fn check_url(url: &str, feeds: &Path) -> Value {
    let o = run(&[
        "check",
        "--url",
        url,
        "--feeds",
        feeds.to_str().unwrap(),
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn update_status_and_check_with_feeds() {
    let port = server();
    let data = temp_dir("update");
    let config = write_config(&data, port, "openphish-sample.txt");
    let (cfg, dir) = (config.to_str().unwrap(), data.to_str().unwrap());

    let o = run(&["feeds", "update", "--config", cfg, "--data", dir]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("cert-pl: 3 hosts stored"), "{text}");
    assert!(text.contains("4 registry domains dropped"), "{text}");
    assert!(
        text.contains("gov.pl, nfz.gov.pl, pacjent.gov.pl, www.nfz.gov.pl"),
        "{text}"
    );
    assert!(text.contains("openphish: 2 hosts stored"), "{text}");

    let o = run(&["feeds", "status", "--data", dir, "--format", "json"]);
    let status: Value = serde_json::from_slice(&o.stdout).unwrap();
    let feeds = status["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 2, "{status}");
    assert_eq!(feeds[0]["name"], "cert-pl");
    assert_eq!(feeds[0]["hosts"], 3);
    assert_eq!(feeds[0]["dropped_registry"], 4);
    assert!(feeds[0]["age_seconds"].as_u64().unwrap() < 600);
    let human = stdout(&run(&["feeds", "status", "--data", dir]));
    assert!(
        human.contains("cert-pl (CERT Polska's warning list): 3 hosts, fetched"),
        "{human}"
    );

    // A listed link (any case, a subdomain of the entry) is phishing, the feed named.
    let v = check_url("https://Konto.E-Recepta-PL.example/login", &data);
    assert_eq!(v["verdict"], "phishing", "{v}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "LINK_LISTED")
        .unwrap();
    assert!(
        f["message"].as_str().unwrap().contains("on CERT Polska's warning list"),
        "{f}"
    );
    let v = check_url("http://paczka-doplata.example/x", &data);
    assert!(codes(&v).contains(&"LINK_LISTED".to_string()), "{v}");
    // Registry domains the feeds contained are not listed; neither is a shortener itself.
    for url in [
        "https://www.nfz.gov.pl/",
        "https://pacjent.gov.pl/",
        "https://bit.ly/other",
    ] {
        let v = check_url(url, &data);
        assert!(!codes(&v).contains(&"LINK_LISTED".to_string()), "{url}: {v}");
    }
    assert_eq!(check_url("https://www.nfz.gov.pl/", &data)["verdict"], "official");

    // An e-mail from a listed domain, checked and scanned.
    let eml = data.join("mail.eml");
    std::fs::write(
        &eml,
        "From: Recepty <info@pacjent-weryfikacja.example>\r\nTo: a@b.example\r\nSubject: Recepta\r\n\r\nDzien dobry.\r\n",
    )
    .unwrap();
    let o = run(&[
        "check",
        "--dns",
        "off",
        eml.to_str().unwrap(),
        "--feeds",
        dir,
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(codes(&v).contains(&"SENDER_LISTED".to_string()), "{v}");
    let o = run(&["scan", eml.to_str().unwrap(), "--feeds", dir, "--format", "jsonl"]);
    assert!(stdout(&o).contains("SENDER_LISTED"), "{}", stdout(&o));
    let o = run(&["scan", eml.to_str().unwrap(), "--format", "jsonl"]);
    assert!(stdout(&o).contains("\"verdict\""), "{}", stdout(&o));
    assert!(!stdout(&o).contains("SENDER_LISTED"));

    // A failing feed keeps its last good copy; the exit code says so.
    let before = std::fs::read(data.join("feeds/openphish.feed")).unwrap();
    let broken = write_config(&data, port, "missing.txt");
    let o = run(&["feeds", "update", "--config", broken.to_str().unwrap(), "--data", dir]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(text.contains("openphish: FAILED, kept the copy of"), "{text}");
    assert_eq!(before, std::fs::read(data.join("feeds/openphish.feed")).unwrap());

    let o = run(&[
        "check",
        "--url",
        "https://a.example/",
        "--feeds",
        data.join("nowhere").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&data);
}

/// One HTTP/1.1 POST to the server; the body of the answer (chunked or not) as JSON.
fn post_json(port: u16, path: &str, body: &str) -> Option<Value> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    let (start, end) = (body.find('{')?, body.rfind('}')?);
    serde_json::from_str(&body[start..=end]).ok()
}

#[test]
fn serve_uses_the_stored_feeds() {
    let port = server();
    let data = temp_dir("serve");
    let config = write_config(&data, port, "openphish-sample.txt");
    let o = run(&[
        "feeds",
        "update",
        "--config",
        config.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let listen = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args([
            "serve",
            "--dns",
            "off",
            "--listen",
            &format!("127.0.0.1:{listen}"),
            "--data",
        ])
        .arg(data.join("server"))
        .arg("--feeds")
        .arg(&data)
        .args(["--feeds-refresh", "24", "--feeds-config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let body = r#"{"kind": "url", "url": "https://konto.e-recepta-pl.example/"}"#;
    let v = loop {
        if let Some(v) = post_json(listen, "/v1/check", body) {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(v["verdict"], "phishing", "{v}");
    assert!(v.to_string().contains("LINK_LISTED"), "{v}");
    let _ = std::fs::remove_dir_all(&data);
}
