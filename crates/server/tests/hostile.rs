//! The bad-input table of SECURITY.md, HTTP rows, over raw sockets against a real server:
//! slowloris (many connections dripping headers), a body dripped slower than the request
//! bound, oversized bodies declared and sent, deep JSON, floods of form fields and path
//! tricks in upload names. Each gets a clear error (or a verdict) and the server keeps
//! answering; no request can hold more than its bounds.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Reads until the server closes the connection; the bytes read (an error page or nothing).
/// The read timeout is a bound on the test, not the server's limit under test.
fn read_until_closed(stream: &mut TcpStream) -> Result<Vec<u8>, std::io::Error> {
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(out),
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn slowloris_connections_are_cut_and_the_server_keeps_answering() {
    let s = TestServer::start("slowloris", |c| {
        c.limits.header_timeout = Duration::from_millis(500);
        c.limits.check_rate = None;
    });
    // 200 connections, each sending a header line and then one more byte now and then.
    let mut conns: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.write_all(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-Slow: a").unwrap();
            c
        })
        .collect();
    // While they hang, an ordinary client is served.
    let a = post_json(
        &s.url("/v1/check"),
        &serde_json::json!({"kind": "text", "text": "hello"}),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(100));
        for c in &mut conns {
            let _ = c.write_all(b"a");
        }
    }
    let mut closed = 0;
    for c in &mut conns {
        if read_until_closed(c).is_ok() {
            closed += 1;
        }
    }
    assert_eq!(closed, conns.len(), "every slow connection is closed by the server");
    assert_eq!(get(&s.url("/healthz")).status, 200);
}

#[test]
fn a_body_dripped_slower_than_the_request_bound_gets_408() {
    let s = TestServer::start("drip", |c| c.limits.request_timeout = Duration::from_millis(600));
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(
        b"POST /v1/check/email HTTP/1.1\r\nHost: x\r\nContent-Type: message/rfc822\r\nContent-Length: 100000\r\n\r\n",
    )
    .unwrap();
    let mut sent = 0;
    c.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // At most 100 drips of 10 bytes, 100 ms apart: far longer than the bound.
    for _ in 0..100 {
        if c.write_all(b"From: a@b\n").is_err() {
            break;
        }
        sent += 10;
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    if answer.is_empty() {
        answer = read_until_closed(&mut c).unwrap();
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "after {sent} bytes: {text}");
    assert!(sent < 100_000);
}

#[test]
fn oversized_bodies_get_413_without_being_read() {
    let s = TestServer::start("oversized", |_| {});
    // Declared: 50 MB of JSON; answered from the headers alone.
    let a = raw(
        s.addr,
        b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n{"
            .to_vec(),
    );
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(a.json()["error"], "payload_too_large");
    let a = raw(
        s.addr,
        b"POST /v1/check/email HTTP/1.1\r\nHost: x\r\nContent-Type: message/rfc822\r\nContent-Length: 52428800\r\n\r\nFrom: a".to_vec(),
    );
    assert_eq!(a.status, 413, "{}", a.text());
    let a = raw(
        s.addr,
        b"POST /check HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 52428800\r\n\r\nkind=".to_vec(),
    );
    assert_eq!(a.status, 413, "{}", a.text());
    // Sent: 11 MB upload in chunked encoding (no length to refuse it by).
    let mut req = b"POST /v1/check/email HTTP/1.1\r\nHost: x\r\nContent-Type: message/rfc822\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..11 {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(&chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let a = raw(s.addr, req);
    assert_eq!(a.status, 413, "{}", a.text());
    // A multipart upload over the limit.
    let big = vec![b'x'; 11 * 1024 * 1024];
    let (ct, body) = multipart(&[], &[("file", "big.eml", &big)]);
    let mut req = format!(
        "POST /v1/check/email HTTP/1.1\r\nHost: x\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let a = raw(s.addr, req);
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(get(&s.url("/healthz")).status, 200);
}

#[test]
fn deep_json_and_form_floods_get_clear_errors() {
    let s = TestServer::start("floods", |c| c.limits.check_rate = None);
    // JSON nested 100,000 deep: refused by the parser's depth limit, not the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let a = post(&s.url("/v1/check"), "application/json", deep.as_bytes());
    assert_eq!(a.status, 400, "{}", a.text());
    let deep = format!(
        "{{\"kind\":\"text\",\"text\":\"x\",\"lang\":{}1{}}}",
        "{\"a\":".repeat(50_000),
        "}".repeat(50_000)
    );
    let a = post(&s.url("/v1/check"), "application/json", deep.as_bytes());
    assert_eq!(a.status, 400, "{}", a.text());
    // 100,000 form fields in an urlencoded body and 20,000 parts in a multipart one.
    let fields = "kind=text&".to_string() + &"a=b&".repeat(100_000) + "text=hello";
    let a = post(&s.url("/check"), "application/x-www-form-urlencoded", fields.as_bytes());
    assert!(matches!(a.status, 200 | 400 | 413), "{}", a.status);
    let many: Vec<(String, String)> = (0..20_000).map(|i| (format!("f{i}"), "v".to_string())).collect();
    let refs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (ct, body) = multipart(
        &refs,
        &[("file", "m.eml", b"From: a@b.pl\r\nSubject: x\r\n\r\nhello\r\n")],
    );
    let a = post(&s.url("/v1/check/email"), &ct, &body);
    assert!(matches!(a.status, 200 | 400 | 413), "{}", a.status);
    // Invalid UTF-8 and NUL in JSON: a clear 400.
    let a = post(
        &s.url("/v1/check"),
        "application/json",
        b"{\"kind\":\"text\",\"text\":\"\xff\xfe\0\"}",
    );
    assert_eq!(a.status, 400, "{}", a.text());
    assert_eq!(a.json()["error"], "invalid_utf8");
    let a = post(
        &s.url("/v1/check"),
        "application/json",
        b"{\"kind\":\"text\",\"text\":\"a\\u0000b\\ud800\"}",
    );
    assert!(matches!(a.status, 200 | 400), "{}", a.text());
    assert_eq!(get(&s.url("/healthz")).status, 200);
}

#[test]
fn path_tricks_in_upload_names_write_nothing() {
    let s = TestServer::start("upload-names", |c| c.limits.check_rate = None);
    let before = list(&s.dir);
    let mail = b"From: NFZ <a@nfz-zwrot.pl>\r\nSubject: Zwrot\r\n\r\nhttps://nfz-zwrot.pl/\r\n";
    for name in [
        "../../../../tmp/hg-owned.eml",
        "..\\..\\..\\Windows\\hg-owned.eml",
        "/etc/passwd",
        "C:\\hg-owned.eml",
        "%2e%2e%2fhg-owned.eml",
        "hg\0owned.eml",
        "<script>alert(1)</script>.eml",
        "\u{202e}lme.exe",
    ] {
        for (path, field) in [("/v1/check/email", "file"), ("/check", "eml")] {
            let (ct, body) = multipart(&[("kind", "email")], &[(field, name, mail)]);
            let a = post(&s.url(path), &ct, &body);
            // A NUL in a part's headers makes the form unreadable: a clear 400.
            let expected = if name.contains('\0') { 400 } else { 200 };
            assert_eq!(a.status, expected, "{name:?} on {path}: {}", a.text());
            assert!(!a.text().contains("<script>alert"), "{name:?} echoed unescaped");
        }
    }
    assert!(!std::path::Path::new("/tmp/hg-owned.eml").exists());
    // The data directory holds the database and nothing named after an upload.
    let after = list(&s.dir);
    assert!(
        after.iter().all(|n| !n.contains("owned") && !n.contains("passwd")),
        "{after:?}"
    );
    assert!(after.len() <= before.len() + 3, "{before:?} -> {after:?}");
}

fn list(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}
