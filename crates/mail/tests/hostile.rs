//! The bad-input table of SECURITY.md, e-mail rows: each hostile message gets a verdict (or
//! a limit finding) and the work done stays within the stated bounds. Time and peak memory
//! are measured outside the tests (`scripts/hostile-inputs.sh`, `/usr/bin/time -v`); these
//! tests assert outcomes and sizes only, so they cannot flake under load.

use healthguard_core::{Checker, Verdict};
use healthguard_mail::{analyze, classify_attachment, parse, AuthOutcome, Limits, ParsedMail, Problem};
use std::io::Write;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn run(raw: &[u8]) -> (ParsedMail, healthguard_core::Analysis) {
    let mail = parse(raw, &Limits::default());
    let a = analyze(checker(), &mail, &AuthOutcome::none(&mail));
    assert!(a.score.is_finite());
    (mail, a)
}

fn limit_hit(mail: &ParsedMail, which: &str) -> bool {
    mail.problems
        .iter()
        .any(|p| matches!(p, Problem::Limit { limit, .. } if *limit == which))
}

/// What every analysis keeps bounded, whatever the input.
fn assert_bounded(mail: &ParsedMail) {
    let l = Limits::default();
    assert!(mail.links.len() <= l.max_links, "{} links", mail.links.len());
    assert!(
        mail.attachments.len() <= l.max_parts,
        "{} attachments",
        mail.attachments.len()
    );
    assert!(
        mail.text.len() <= healthguard_core::MAX_TEXT_BYTES + 64 * 1024,
        "{} bytes of text kept",
        mail.text.len()
    );
    for a in &mail.attachments {
        if let Some(info) = &a.archive {
            assert!(info.entries <= l.max_archive_entries, "{info:?}");
        }
    }
}

const HEAD: &str = "From: NFZ <nfz@nfz-zwrot.pl>\nSubject: Zwrot\n";

#[test]
fn mail_of_50_mb_is_read_to_the_limit_and_judged() {
    // 50 MiB of body: a lure up front, then filler; one byte over the default limit.
    let mut raw = format!("{HEAD}Content-Type: text/plain\n\nPotwierdź dane: https://nfz-zwrot.pl/\n").into_bytes();
    let line = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod\n";
    while raw.len() <= Limits::default().max_message_bytes {
        raw.extend_from_slice(line);
    }
    let (mail, a) = run(&raw);
    assert!(limit_hit(&mail, "size"), "{:?}", mail.problems);
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED"), "{:?}", a.findings);
    assert!(a.verdict >= Verdict::Suspicious);
    assert_bounded(&mail);
}

#[test]
fn ten_thousand_mime_parts_stop_at_the_part_limit() {
    let mut raw = format!("{HEAD}Content-Type: multipart/mixed; boundary=\"p\"\n\n");
    for i in 0..10_000 {
        raw.push_str(&format!(
            "--p\nContent-Type: application/octet-stream; name=\"f{i}.exe\"\n\nMZ{i}\n"
        ));
    }
    raw.push_str("--p--\n");
    let (mail, a) = run(raw.as_bytes());
    assert!(limit_hit(&mail, "parts"), "{:?}", mail.problems);
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED") && a.verdict >= Verdict::Suspicious);
    assert_bounded(&mail);
}

#[test]
fn multipart_nested_1000_deep_stops_at_the_depth_limit() {
    let mut raw = format!("{HEAD}Content-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for i in 1..1000 {
        raw.push_str(&format!(
            "--b{}\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n",
            i - 1
        ));
    }
    raw.push_str("--b999\nContent-Type: text/plain\n\nhttps://nfz-zwrot.pl/\n");
    let (mail, a) = run(raw.as_bytes());
    assert!(limit_hit(&mail, "depth"), "{:?}", mail.problems);
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED") && a.verdict >= Verdict::Suspicious);
    assert_bounded(&mail);
}

#[test]
fn attached_messages_nested_1000_deep_stop_at_the_depth_limit() {
    let mut raw = String::from("From: a@example-firma.pl\nSubject: s\n\nx\n");
    for _ in 0..1000 {
        raw = format!("{HEAD}Content-Type: message/rfc822\n\n{raw}");
    }
    let (mail, a) = run(raw.as_bytes());
    assert!(limit_hit(&mail, "depth"), "{:?}", mail.problems);
    assert!(a.has("MESSAGE_LIMIT_EXCEEDED"));
    assert_bounded(&mail);
}

/// A ZIP of `entries` (name, data, deflated), with a central directory.
fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in entries {
        let body = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
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
        "{HEAD}Content-Type: multipart/mixed; boundary=\"z\"\n\n--z\nContent-Type: text/plain\n\nw załączniku\n--z\nContent-Type: application/zip; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n{b64}\n--z--\n"
    )
    .into_bytes()
}

/// 16 copies of `inner`, deflated, as one archive.
fn fan_out(inner: &[u8], level: usize) -> Vec<u8> {
    let names: Vec<String> = (0..16).map(|i| format!("l{level}-{i}.zip")).collect();
    let entries: Vec<(&str, &[u8], bool)> = names.iter().map(|n| (n.as_str(), inner, true)).collect();
    zip(&entries)
}

#[test]
fn zip_bomb_and_nested_archives_stay_within_the_decompression_budget() {
    // 42.zip's shape: four levels of 16 deflated archives over one leaf of 16 MiB of zeros:
    // 16^4 = 65,536 leaves, 1 TiB when fully expanded, a few hundred KB as sent.
    let zeros = vec![0u8; 16 * 1024 * 1024];
    let mut level = zip(&[("payload.exe", &zeros, true)]);
    for l in 0..4 {
        level = fan_out(&level, l);
    }
    assert!(level.len() < 4 * 1024 * 1024, "{}", level.len());
    let limits = Limits::default();
    let a = classify_attachment(Some("bomb.zip"), "application/zip", &level, &limits);
    let info = a.archive.as_ref().expect("listed");
    assert!(info.entries <= limits.max_archive_entries, "{info:?}");
    // The whole message too: a verdict, the bomb's nesting reported as a limit.
    let (mail, analysis) = run(&with_attachment("bomb.zip", &level));
    assert!(analysis.has("ATTACHMENT_ARCHIVE"), "{:?}", analysis.findings);
    assert!(analysis.verdict >= Verdict::Suspicious);
    assert_bounded(&mail);
}

#[test]
fn encoded_word_bomb_in_headers() {
    // 200,000 encoded words (about 5 MB), each one a letter, in Subject and From.
    let words = "=?utf-8?B?TkZa?= ".repeat(200_000);
    let raw = format!("From: {words}<nfz@nfz-zwrot.pl>\nSubject: {words}\n\nhttps://nfz-zwrot.pl/\n");
    let (mail, a) = run(raw.as_bytes());
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", a.findings);
    assert_bounded(&mail);
}

#[test]
fn base64_bomb_in_body_and_attachments() {
    // A text part of 20 MB of base64 decoding to one letter repeated, and 400 base64
    // attachments each declaring a nested base64 message.
    let mut raw = format!("{HEAD}Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n").into_bytes();
    let line = b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n";
    for _ in 0..(20 * 1024 * 1024 / line.len()) {
        raw.extend_from_slice(line);
    }
    raw.extend_from_slice(b"--q\n");
    for i in 0..400 {
        raw.extend_from_slice(
            format!("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiLmV4YW1wbGUKU3ViamVjdDogeAoKeA==\n--q{}\n", if i == 399 { "--" } else { "" })
                .as_bytes(),
        );
    }
    let (mail, a) = run(&raw);
    assert!(
        a.has("INPUT_TRUNCATED") || a.has("MESSAGE_LIMIT_EXCEEDED"),
        "{:?}",
        a.findings
    );
    assert_bounded(&mail);
}

#[test]
fn header_lines_of_1_mb() {
    let long = "x".repeat(1024 * 1024);
    let folded = "a ".repeat(512 * 1024);
    let raw = format!(
        "From: NFZ <nfz@nfz-zwrot.pl{long}>\nSubject: {long}\nX-Long: {folded}\nReceived: from {long}\nContent-Type: text/plain; charset=\"{long}\"\n\nhttps://nfz-zwrot.pl/\n"
    );
    let (mail, a) = run(raw.as_bytes());
    assert!(a.verdict >= Verdict::Unverified);
    assert!(mail.subject.len() <= 2 * 1024 * 1024);
    assert_bounded(&mail);
}

#[test]
fn nul_and_invalid_utf8_everywhere() {
    let mut raw = Vec::new();
    raw.extend_from_slice(b"From: NFZ\0\xff <nfz@nfz\0-zwrot.pl>\nSubject: Zw\xc3\x28rot\0\xfe\xff\nContent-Type: text/html; charset=utf-8\n\n");
    for _ in 0..10_000 {
        raw.extend_from_slice(
            b"<a href=\"https://nfz-zwrot.pl/\0\xff\">\xed\xa0\x80\0kliknij</a>\xf8\x88\x80\x80\x80 ",
        );
    }
    let (mail, a) = run(&raw);
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", a.findings);
    assert!(mail.links_seen > 0);
    assert_bounded(&mail);
}

#[test]
fn html_with_a_million_tags_and_pathological_nesting() {
    for html in [
        "<div>".repeat(1_000_000),
        "<a href=\"https://nfz-zwrot.pl/\">".repeat(300_000),
        "<table><tr><td><b><i><font><span>".repeat(150_000),
        "<!--".repeat(1_000_000),
        "<a href=\"".repeat(1_000_000),
        "<form action=\"https://x.example/\"><input type=password>".repeat(100_000),
        format!("{}{}", "<p x=\"".repeat(200_000), "\">".repeat(200_000)),
    ] {
        let raw = format!("{HEAD}Content-Type: text/html\n\n<html><body>{html}</body></html>\n");
        let (mail, a) = run(raw.as_bytes());
        assert!(a.score.is_finite());
        assert_bounded(&mail);
    }
}

#[test]
fn homoglyph_flood_in_sender_subject_and_links() {
    // Cyrillic look-alikes, mathematical bold letters and zero-width joiners in every field.
    let cyr = "nfz.gоv.рl ".repeat(20_000);
    let bold = "𝐍𝐅𝐙 𝐳𝐰𝐫𝐨𝐭 ".repeat(20_000);
    let zw = "N\u{200d}F\u{200b}Z\u{2060} ".repeat(50_000);
    let raw = format!(
        "From: {bold} <nfz@nfz.gоv.рl>\nSubject: {zw}\nContent-Type: text/html; charset=utf-8\n\n<a href=\"https://nfz.gоv.рl/\">{cyr}</a> {bold} {zw}\n"
    );
    let (mail, a) = run(raw.as_bytes());
    assert!(a.verdict >= Verdict::Suspicious, "{:?}", a.findings);
    assert_bounded(&mail);
}

#[test]
fn attachment_names_with_path_tricks() {
    for name in [
        "../../../../etc/passwd",
        "..\\..\\Windows\\System32\\evil.exe",
        "/dev/zero",
        "faktura.pdf\u{202e}exe.scr",
        "C:\\Users\\x\\AppData\\run.exe",
        "a\0b.exe",
        "CON.pdf",
        ".",
        "",
    ] {
        let data = zip(&[(name, b"MZ\x90\0", false), ("../../evil.exe", b"MZ", false)]);
        let (mail, a) = run(&with_attachment(name, &data));
        assert!(a.score.is_finite());
        assert_eq!(mail.attachments.len(), 1, "{name:?}");
        let info = mail.attachments[0].archive.as_ref().expect("listed");
        assert!(
            info.risky.iter().any(|(p, _)| p.ends_with("evil.exe")),
            "{name:?}: {info:?}"
        );
        assert!(a.has("ATTACHMENT_EXECUTABLE"), "{name:?}: {:?}", a.findings);
    }
}
