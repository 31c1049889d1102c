//! Helpers shared by the integration tests: a server on a real socket (127.0.0.1, a free
//! port), an HTTP client, and raw requests for malformed input.
#![allow(dead_code)]

pub mod webdriver;

use healthguard_server::{ServeConfig, Server};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A fresh, empty directory under Cargo's temporary directory for integration tests.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "hg-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A read-only connection to the SQLite store a stopped server left in `dir`.
pub async fn stored_database(dir: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::ConnectOptions;
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("healthguard.db"))
        .read_only(true)
        .connect()
        .await
        .unwrap()
}

/// A server running in this process on its own runtime.
pub struct TestServer {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<Server>,
    pub addr: SocketAddr,
    pub base: String,
    pub dir: PathBuf,
}

impl TestServer {
    /// Starts on a new data directory; `configure` may change limits.
    pub fn start(name: &str, configure: impl FnOnce(&mut ServeConfig)) -> TestServer {
        TestServer::start_in(temp_dir(name), configure)
    }

    /// Starts on an existing data directory.
    pub fn start_in(dir: PathBuf, configure: impl FnOnce(&mut ServeConfig)) -> TestServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = ServeConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            dir.clone(),
            healthguard_registry::builtin().clone(),
        );
        configure(&mut config);
        let server = rt.block_on(Server::start(config)).expect("server starts");
        let addr = server.addr();
        TestServer {
            rt,
            server: Some(server),
            addr,
            base: format!("http://{addr}"),
            dir,
        }
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops gracefully.
    pub fn stop(mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.stop()).unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.rt.block_on(server.stop());
        }
    }
}

/// An HTTP client that returns every status as a response.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn answer(mut res: ureq::http::Response<ureq::Body>) -> Answer {
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = res
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .unwrap();
    Answer { status, headers, body }
}

pub fn get(url: &str) -> Answer {
    answer(agent().get(url).call().unwrap())
}

pub fn get_with(url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.call().unwrap())
}

pub fn post(url: &str, content_type: &str, body: &[u8]) -> Answer {
    answer(
        agent()
            .post(url)
            .header("content-type", content_type)
            .send(body)
            .unwrap(),
    )
}

pub fn post_json(url: &str, body: &serde_json::Value) -> Answer {
    post(url, "application/json", body.to_string().as_bytes())
}

/// A multipart/form-data body: text fields, then files `(field, file name, bytes)`.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----hgtestboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, file, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: message/rfc822\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends raw bytes and reads the answer until the server closes or the answer is complete.
/// Writes happen on a separate thread so an early answer (413) is read even when the
/// server stops reading the body.
pub fn raw(addr: SocketAddr, request: Vec<u8>) -> Answer {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let w = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut reader = stream;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(a) = parse_complete(&buf) {
            let _ = reader.shutdown(std::net::Shutdown::Both);
            let _ = w.join();
            return a;
        }
    }
    let _ = w.join();
    parse_complete(&buf).unwrap_or_else(|| panic!("incomplete answer: {}", String::from_utf8_lossy(&buf)))
}

fn parse_complete(buf: &[u8]) -> Option<Answer> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())?;
    let body = &buf[end + 4..];
    (body.len() >= len).then(|| Answer {
        status,
        headers,
        body: body[..len].to_vec(),
    })
}

/// An e-mail imitating CNAS that asks for the PIAS activation key.
pub const CNAS_PHISH_EML: &str = "From: CNAS <suport@cnas-pias.com>\r\n\
To: farmacie@example.ro\r\n\
Subject: Verificare PIAS - actiune necesara\r\n\
Date: Mon, 24 Feb 2025 09:12:00 +0200\r\n\
Message-ID: <1@cnas-pias.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Stimate furnizor,\r\n\
\r\n\
Pentru remedierea problemelor tehnice PIAS va rugam sa trimiteti urgent cheia de activare\r\n\
si parola contului la adresa de mai jos: https://cnas-pias.com/verificare\r\n\
\r\n\
Casa Nationala de Asigurari de Sanatate\r\n";

/// The README's SMS.
pub const NFZ_SMS: &str = "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com";

/// A request with a method, headers and a body.
pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let agent = agent();
    let answer_of = |r: Result<ureq::http::Response<ureq::Body>, ureq::Error>| answer(r.unwrap());
    match method {
        "GET" => {
            let mut req = agent.get(url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            answer_of(req.call())
        }
        _ => {
            let mut req = agent.post(url);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            answer_of(req.send(body))
        }
    }
}
