//! Reports by e-mail over a real socket: a client forwards suspicious mail to the SMTP
//! intake, the answer to the end of DATA names the reports, and after the server stops the
//! database holds each original with the forwarder as its contact.

mod common;

use common::TestServer;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

/// An SMTP conversation, one command at a time.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut c = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        assert!(c.answer().starts_with("220 "));
        c
    }

    /// The whole (possibly multi-line) answer; its last line.
    fn answer(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "the server closed");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_string();
            }
        }
    }

    fn say(&mut self, line: &str) -> String {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        self.answer()
    }

    /// MAIL, RCPT and DATA with `message` (dot-stuffed here); the answer to its end.
    fn send(&mut self, from: &str, message: &str) -> String {
        assert!(self.say(&format!("MAIL FROM:<{from}>")).starts_with("250"));
        assert!(self.say("RCPT TO:<phishing@reports.example>").starts_with("250"));
        assert!(self.say("DATA").starts_with("354"));
        for line in message.split("\r\n") {
            let stuffed = if line.starts_with('.') {
                format!(".{line}")
            } else {
                line.to_string()
            };
            self.writer.write_all(format!("{stuffed}\r\n").as_bytes()).unwrap();
        }
        self.say(".")
    }
}

fn ids_of(answer: &str) -> Vec<String> {
    assert!(answer.starts_with("250 "), "{answer}");
    answer
        .rsplit("report ")
        .next()
        .unwrap()
        .split(", ")
        .map(str::to_string)
        .collect()
}

#[test]
fn forwarded_mail_is_filed_as_reports_with_the_forwarder_as_contact() {
    // Written by the project: a forward as attachment holding two originals, an inline forward,
    // and a redirected original.
    let attached = "From: Pat <pat@example.org>\r\nSubject: Fwd: two of these\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nI got these today.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: Narodowy Fundusz Zdrowia <zwrot@nfz-zwrot.example>\r\nSubject: Zwrot kosztow leczenia\r\n\r\nPrzysluguje Panstwu zwrot 312 zl. Potwierdz dane: https://nfz-zwrot.example/odbierz\r\n.hidden line that starts with a dot\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: CNAS <card@cnas-card.example>\r\nSubject: Cardul de sanatate\r\n\r\nActualizati datele: https://cnas-card.example/\r\n--b--";
    let inline = "From: Ana <ana@example.ro>\r\nSubject: Fwd: card\r\n\r\nE real?\r\n\r\n---------- Forwarded message ---------\r\nFrom: CNAS <card@cnas-card.example>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0200\r\nSubject: Cardul de sanatate expira\r\nTo: <ana@example.ro>\r\n\r\nActualizati datele pe https://cnas-card.example/login\r\n";
    let s = TestServer::start("smtp-intake", |c| c.smtp_intake = Some("127.0.0.1:0".parse().unwrap()));
    let addr = s.server.as_ref().unwrap().smtp_addr().expect("the intake runs");
    let mut c = Client::connect(addr);
    assert!(c.say("EHLO client.example").starts_with("250 "));
    assert!(c.say("DATA").starts_with("503"), "DATA before MAIL is refused");
    let two = ids_of(&c.send("pat@example.org", attached));
    assert_eq!(two.len(), 2, "{two:?}");
    let one = ids_of(&c.send("ana@example.ro", inline));
    assert_eq!(one.len(), 1);
    assert!(c.say("QUIT").starts_with("221"));
    let dir = s.dir.clone();
    s.stop();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Row;
        let mut conn = common::stored_database(&dir).await;
        let row = |id: String| sqlx::query("SELECT message, contact, kind, verdict FROM reports WHERE id = ?").bind(id);
        let first = row(two[0].clone()).fetch_one(&mut conn).await.unwrap();
        let message = String::from_utf8(first.get::<Vec<u8>, _>(0)).unwrap();
        assert!(message.contains("Subject: Zwrot kosztow leczenia"), "{message}");
        assert!(message.contains("\n.hidden line"), "dot-stuffing undone: {message}");
        assert!(
            !message.contains("I got these today"),
            "the forward's own text is not the report"
        );
        assert_eq!(first.get::<Option<String>, _>(1).as_deref(), Some("pat@example.org"));
        assert_eq!(first.get::<String, _>(2), "email");
        assert_ne!(
            first.get::<String, _>(3),
            "unverified",
            "the fake NFZ refund is flagged"
        );
        let second = row(two[1].clone()).fetch_one(&mut conn).await.unwrap();
        assert!(String::from_utf8(second.get::<Vec<u8>, _>(0))
            .unwrap()
            .contains("Cardul de sanatate"));
        let third = row(one[0].clone()).fetch_one(&mut conn).await.unwrap();
        let message = String::from_utf8(third.get::<Vec<u8>, _>(0)).unwrap();
        assert!(
            message.starts_with("From: CNAS <card@cnas-card.example>\r\n"),
            "{message}"
        );
        assert_eq!(third.get::<Option<String>, _>(1).as_deref(), Some("ana@example.ro"));
    });
}

#[test]
fn the_intake_refuses_what_it_cannot_take_and_stays_up() {
    let s = TestServer::start("smtp-intake-limits", |c| {
        c.smtp_intake = Some("127.0.0.1:0".parse().unwrap());
        c.limits.max_upload_bytes = 2048;
    });
    let addr = s.server.as_ref().unwrap().smtp_addr().unwrap();
    let mut c = Client::connect(addr);
    assert!(c.say("HELO client.example").starts_with("250"));
    assert!(c.say("MAIL FROM:pat@example.org").starts_with("501"), "a path needs <>");
    assert!(c.say("RCPT TO:<x@example.org>").starts_with("503"), "RCPT before MAIL");
    assert!(c.say(&"X".repeat(10_000)).starts_with("500"), "a line too long");
    assert!(c.say("VRFY pat").starts_with("502"));
    let big = format!(
        "From: a@example.org\r\nSubject: big\r\n\r\n{}",
        "line of text\r\n".repeat(500)
    );
    assert!(
        c.send("pat@example.org", &big).starts_with("552"),
        "over the upload limit"
    );
    // The session goes on after the refusal.
    let small = "From: a@example.org\r\nSubject: small\r\n\r\nhello\r\n";
    assert_eq!(ids_of(&c.send("pat@example.org", small)).len(), 1);
    assert!(c.say("RSET").starts_with("250"));
    assert!(c.say("NOOP").starts_with("250"));
    assert!(c.say("QUIT").starts_with("221"));
    s.stop();
}
