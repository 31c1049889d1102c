//! Limits hold: past a limit a message gets a finding and a safe verdict, never a crash or
//! a hang; arbitrary bytes never panic.

use healthguard_core::{Checker, Verdict};
use healthguard_mail::{analyze, authres, dns::Fixture, parse, scan_html, AuthOutcome, Limits, Problem};
use proptest::prelude::*;
use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn run(raw: &[u8], limits: &Limits) -> (healthguard_mail::ParsedMail, healthguard_core::Analysis, Duration) {
    let t = Instant::now();
    let mail = parse(raw, limits);
    let a = analyze(checker(), &mail, &AuthOutcome::none(&mail));
    (mail, a, t.elapsed())
}

fn limit_hit(mail: &healthguard_mail::ParsedMail, which: &str) -> bool {
    mail.problems
        .iter()
        .any(|p| matches!(p, Problem::Limit { limit, .. } if *limit == which))
}

#[test]
fn deep_mime_nesting() {
    let mut raw =
        String::from("From: a@example-firma.pl\nSubject: deep\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for i in 1..200 {
        raw.push_str(&format!(
            "--b{}\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n",
            i - 1
        ));
    }
    raw.push_str("--b199\nContent-Type: text/plain\n\nhidden https://evil.example/x\n");
    let (mail, a, took) = run(raw.as_bytes(), &Limits::default());
    assert!(limit_hit(&mail, "depth"), "{:?}", mail.problems);
    assert!(
        a.has("MESSAGE_LIMIT_EXCEEDED") && a.verdict >= Verdict::Suspicious,
        "{:?}",
        a.findings
    );
    assert!(took < Duration::from_secs(5));
}

#[test]
fn nested_attached_messages() {
    let mut raw = String::from("From: a@example-firma.pl\nSubject: s\nContent-Type: text/plain\n\nx\n");
    for _ in 0..40 {
        raw = format!("From: a@example-firma.pl\nSubject: fwd\nContent-Type: message/rfc822\n\n{raw}");
    }
    let (mail, a, took) = run(raw.as_bytes(), &Limits::default());
    assert!(limit_hit(&mail, "depth"), "{:?}", mail.problems);
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED"));
    assert!(took < Duration::from_secs(5));
}

#[test]
fn too_many_parts() {
    let mut raw =
        String::from("From: a@example-firma.pl\nSubject: parts\nContent-Type: multipart/mixed; boundary=\"p\"\n\n");
    for i in 0..2000 {
        raw.push_str(&format!("--p\nContent-Type: text/plain\n\npart {i}\n"));
    }
    raw.push_str("--p--\n");
    let (mail, a, took) = run(raw.as_bytes(), &Limits::default());
    assert!(limit_hit(&mail, "parts"), "{:?}", mail.problems);
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED") && a.verdict >= Verdict::Suspicious);
    assert!(took < Duration::from_secs(5));
}

#[test]
fn oversized_message_is_cut() {
    let mut raw = b"From: a@example-firma.pl\nSubject: big\n\n".to_vec();
    raw.extend(std::iter::repeat_n(b"word ".as_slice(), 400_000).flatten());
    let limits = Limits {
        max_message_bytes: 1_000_000,
        ..Limits::default()
    };
    let (mail, a, took) = run(&raw, &limits);
    assert!(limit_hit(&mail, "size"));
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED") && a.verdict >= Verdict::Suspicious);
    assert_eq!(mail.size, raw.len());
    assert!(took < Duration::from_secs(10));
}

#[test]
fn many_links_are_capped() {
    let mut html = String::from("<html><body>");
    for i in 0..1000 {
        html.push_str(&format!("<a href=\"https://site{i}.example.com/\">link {i}</a> "));
    }
    let raw = format!("From: a@example-firma.pl\nSubject: links\nContent-Type: text/html\n\n{html}</body></html>\n");
    let (mail, a, _) = run(raw.as_bytes(), &Limits::default());
    assert_eq!((mail.links.len(), mail.links_seen), (200, 1000));
    assert!(a.has("INPUT_TRUNCATED"), "{:?}", a.findings);
}

fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    // Minimal ZIP writer: stored or deflated entries, central directory, end record.
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in entries {
        let body = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if *deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00");
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00");
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0; 8]);
        central.extend_from_slice(&(body.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
    let n = entries.len().min(0xFFFF) as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn with_attachment(name: &str, data: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    format!(
        "From: a@example-firma.pl\nSubject: att\nContent-Type: multipart/mixed; boundary=\"z\"\n\n--z\nContent-Type: text/plain\n\nsee attached\n--z\nContent-Type: application/zip; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n{b64}\n--z--\n"
    )
    .into_bytes()
}

#[test]
fn archive_with_many_entries() {
    let names: Vec<String> = (0..3000).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<(&str, &[u8], bool)> = names.iter().map(|n| (n.as_str(), &b"x"[..], false)).collect();
    let (mail, a, took) = run(&with_attachment("many.zip", &zip(&entries)), &Limits::default());
    let info = mail.attachments[0].archive.as_ref().unwrap();
    assert_eq!(info.entries, 1000);
    assert!(info.truncated && limit_hit(&mail, "archive_entries"));
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED") && a.has("ATTACHMENT_ARCHIVE"));
    assert!(took < Duration::from_secs(5));
}

#[test]
fn decompression_bomb_is_not_expanded() {
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let inner = zip(&[("payload.exe", &zeros, true)]);
    // The outer archive declares the nested one honestly (too big to open) and a second one
    // that lies about its size.
    let outer = zip(&[
        ("bomb.zip", &inner, true),
        ("nested.zip", &zip(&[("x.exe", b"MZ", false)]), true),
    ]);
    assert!(outer.len() < 1_000_000, "{}", outer.len());
    let (mail, a, took) = run(&with_attachment("bomb.zip", &outer), &Limits::default());
    assert!(took < Duration::from_secs(10), "{took:?}");
    let info = mail.attachments[0].archive.as_ref().unwrap();
    assert!(info.risky.iter().any(|(p, _)| p == "nested.zip/x.exe"), "{info:?}");
    assert!(a.has("ATTACHMENT_EXECUTABLE"));
}

#[test]
fn pathological_inputs_finish_quickly() {
    let cases: Vec<Vec<u8>> = vec![
        format!("From: a@b.example\nSubject: {}\n\nx", "=?utf-8?B?".repeat(100_000)).into_bytes(),
        format!(
            "From: a@b.example\nContent-Type: text/html\n\n{}",
            "<".repeat(2_000_000)
        )
        .into_bytes(),
        format!(
            "From: a@b.example\nContent-Type: text/html\n\n{}",
            "<a href=x>&#".repeat(200_000)
        )
        .into_bytes(),
        format!("From: {}\n\nx", "a@b.example, ".repeat(100_000)).into_bytes(),
        format!(
            "Received: from x\n{}\n\nx",
            "Received: from a (b [1.2.3.4]) by c\n".repeat(50_000)
        )
        .into_bytes(),
        format!(
            "From: a@b.example\nContent-Type: multipart/mixed; boundary=\"\"\n\n{}",
            "--\n".repeat(200_000)
        )
        .into_bytes(),
        vec![b'\n'; 3_000_000],
        vec![0u8; 3_000_000],
    ];
    for raw in cases {
        let (_, _, took) = run(&raw, &Limits::default());
        assert!(
            took < Duration::from_secs(20),
            "{took:?} for input starting {:?}",
            String::from_utf8_lossy(&raw[..40.min(raw.len())])
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (_, a, _) = run(&raw, &Limits::default());
        prop_assert!(a.score.is_finite());
    }

    #[test]
    fn arbitrary_bodies_never_panic(ctype in "(text/html|text/plain|multipart/mixed; boundary=\"q\"|application/zip|message/rfc822)", cte in "(base64|quoted-printable|7bit|x-uue)", body in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut raw = format!("From: =?utf-8?Q?NFZ?= <a@example-firma.pl>\nReply-To: b@gmail.com\nSubject: s\nContent-Type: {ctype}\nContent-Transfer-Encoding: {cte}\nContent-Disposition: attachment; filename=\"x.pdf.exe\"\n\n").into_bytes();
        raw.extend_from_slice(&body);
        let (_, a, _) = run(&raw, &Limits::default());
        prop_assert!(a.score.is_finite());
    }

    #[test]
    fn arbitrary_attachments_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), prefix in prop_oneof![Just(&b"PK\x03\x04"[..]), Just(&b"Rar!\x1a\x07\x01\x00"[..]), Just(&b"Rar!\x1a\x07\x00"[..]), Just(&b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"[..]), Just(&b"7z\xbc\xaf\x27\x1c"[..]), Just(&b"\x1f\x8b\x08\x08"[..]), Just(&b"MZ"[..]), Just(&b""[..])]) {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&data);
        let raw = with_attachment("a.zip", &bytes);
        let (mail, _, _) = run(&raw, &Limits::default());
        prop_assert_eq!(mail.attachments.len(), 1);
    }

    #[test]
    fn arbitrary_html_and_headers_never_panic(s in "\\PC{0,600}") {
        let _ = scan_html(&s, 50, 10_000);
        let _ = authres::parse_header(&s);
        let _ = Fixture::parse(&s);
        let _ = healthguard_mail::unwrap_redirector(&s);
    }
}
