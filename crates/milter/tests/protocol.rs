//! The milter over a real socket, driven by a small milter client written here from the
//! protocol (Sendmail's libmilter packets): option negotiation, envelope, headers, body
//! chunks, end of message, abort; and the replies read back byte by byte.

use healthguard_core::Checker;
use healthguard_milter::{Config, Listen, MilterServer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};

fn checker() -> Arc<Checker> {
    static C: OnceLock<Arc<Checker>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Checker::new(healthguard_registry::builtin().clone())))
        .clone()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../mail/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A running milter on a free loopback port, and its shared state.
struct Running {
    addr: String,
    shared: Arc<healthguard_milter::Shared>,
    _runtime: tokio::runtime::Runtime,
}

fn start(config_text: &str, workers: usize) -> Running {
    let config = Config::parse(config_text).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let state = healthguard_milter::State::new(checker(), config).unwrap();
    let shared = healthguard_milter::Shared::new(state, workers);
    let server = runtime
        .block_on(MilterServer::bind(&Listen::Inet("127.0.0.1:0".into()), shared))
        .unwrap();
    let addr = server.local_addr().trim_start_matches("inet:").to_string();
    let shared = server.shared();
    runtime.spawn(server.run(std::future::pending()));
    Running {
        addr,
        shared,
        _runtime: runtime,
    }
}

/// One reply packet: its command byte and data.
#[derive(Debug, Clone, PartialEq)]
struct Reply {
    cmd: u8,
    data: Vec<u8>,
}

impl Reply {
    /// The NUL-separated strings of the data (after `skip` bytes).
    fn strings(&self, skip: usize) -> Vec<String> {
        self.data[skip..]
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }
}

/// A byte stream to the milter: TCP or a unix socket.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

struct Client {
    stream: Box<dyn Stream>,
}

impl Client {
    fn connect(addr: &str) -> Client {
        Client::connect_from(addr, "198.51.100.7")
    }

    /// Connects, negotiates, and announces an SMTP client at `client_ip`.
    fn connect_from(addr: &str, client_ip: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        Client::over(Box::new(stream), client_ip)
    }

    /// Negotiates and announces an SMTP client at `client_ip` over `stream`.
    fn over(stream: Box<dyn Stream>, client_ip: &str) -> Client {
        let mut c = Client { stream };
        // Version 6, every action, the full protocol (a reply to every command).
        let mut optneg = Vec::new();
        optneg.extend_from_slice(&6u32.to_be_bytes());
        optneg.extend_from_slice(&0x1ffu32.to_be_bytes());
        optneg.extend_from_slice(&0u32.to_be_bytes());
        c.send(b'O', &optneg);
        assert_eq!(c.read().cmd, b'O');
        let mut connect = b"client.example\0".to_vec();
        connect.push(b'4');
        connect.extend_from_slice(&25u16.to_be_bytes());
        connect.extend_from_slice(format!("{client_ip}\0").as_bytes());
        c.expect_continue(b'C', &connect);
        c.expect_continue(b'H', b"client.example\0");
        c
    }

    fn send(&mut self, cmd: u8, data: &[u8]) {
        let mut packet = ((data.len() + 1) as u32).to_be_bytes().to_vec();
        packet.push(cmd);
        packet.extend_from_slice(data);
        self.stream.write_all(&packet).unwrap();
    }

    fn read(&mut self) -> Reply {
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).unwrap();
        let mut packet = vec![0u8; u32::from_be_bytes(len) as usize];
        self.stream.read_exact(&mut packet).unwrap();
        Reply {
            cmd: packet[0],
            data: packet[1..].to_vec(),
        }
    }

    fn expect_continue(&mut self, cmd: u8, data: &[u8]) {
        self.send(cmd, data);
        let reply = self.read();
        assert_eq!(reply.cmd, b'c', "reply to {:?}: {reply:?}", cmd as char);
    }

    /// Sends one message (envelope, headers, body in chunks of `chunk` bytes, end of
    /// message) and returns every reply to the end of message, the final one last.
    fn message(&mut self, rcpts: &[&str], raw: &[u8], chunk: usize) -> Vec<Reply> {
        let body = self.begin(rcpts, raw);
        self.finish(&body, chunk)
    }

    /// Envelope and headers; returns the body still to send.
    fn begin(&mut self, rcpts: &[&str], raw: &[u8]) -> Vec<u8> {
        self.begin_from("bounce@tehrad.io", rcpts, raw)
    }

    /// [`Client::begin`] with this MAIL FROM.
    fn begin_from(&mut self, mail_from: &str, rcpts: &[&str], raw: &[u8]) -> Vec<u8> {
        self.expect_continue(b'M', format!("<{mail_from}>\0").as_bytes());
        for r in rcpts {
            self.expect_continue(b'R', format!("<{r}>\0").as_bytes());
        }
        let (headers, body) = split(raw);
        for (name, value) in headers {
            self.expect_continue(b'L', format!("{name}\0{value}\0").as_bytes());
        }
        body
    }

    /// End of headers, the body in chunks, end of message: the replies to the end.
    fn finish(&mut self, body: &[u8], chunk: usize) -> Vec<Reply> {
        self.expect_continue(b'N', b"");
        for part in body.chunks(chunk.max(1)) {
            self.expect_continue(b'B', part);
        }
        self.send(b'E', b"");
        let mut replies = Vec::new();
        loop {
            let reply = self.read();
            let last = matches!(reply.cmd, b'c' | b'a' | b'r' | b't' | b'y' | b'd');
            replies.push(reply);
            if last {
                return replies;
            }
        }
    }
}

/// Headers (unfolded lines kept as the MTA sends them: folds inside the value) and body.
fn split(raw: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let text = raw;
    let end = text.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&text[..end]).into_owned();
    let body = text[end + 4..].to_vec();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push_str("\r\n");
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("header line");
            headers.push((name.to_string(), value.trim_start().to_string()));
        }
    }
    (headers, body)
}

fn added(replies: &[Reply]) -> Vec<(String, String)> {
    replies
        .iter()
        .filter(|r| r.cmd == b'h')
        .map(|r| {
            let s = r.strings(0);
            (s[0].clone(), s.get(1).cloned().unwrap_or_default())
        })
        .collect()
}

/// (index, name, value) of every header change.
fn changed(replies: &[Reply]) -> Vec<(u32, String, String)> {
    replies
        .iter()
        .filter(|r| r.cmd == b'm')
        .map(|r| {
            let index = u32::from_be_bytes(r.data[..4].try_into().unwrap());
            let s = r.strings(4);
            (index, s[0].clone(), s.get(1).cloned().unwrap_or_default())
        })
        .collect()
}

fn header<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
    list.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn phishing_is_tagged_and_gets_the_headers_by_default() {
    let m = start("", 2);
    let mut c = Client::connect(&m.addr);
    let replies = c.message(
        &["pacjent@przychodnia-sloneczna.pl"],
        &fixture("nfz_impersonation.eml"),
        1000,
    );
    let add = added(&replies);
    assert_eq!(header(&add, "X-HealthGuard-Verdict"), Some("phishing"), "{replies:?}");
    assert_eq!(header(&add, "X-HealthGuard-Institution"), Some("pl.nfz"));
    assert!(header(&add, "X-HealthGuard-Findings")
        .unwrap()
        .contains("DISPLAY_NAME_IMPERSONATION"));
    assert!(header(&add, "X-HealthGuard-Score").unwrap().parse::<f32>().unwrap() > 0.0);
    let subject = changed(&replies);
    assert_eq!(subject.len(), 1, "{subject:?}");
    assert_eq!(subject[0].0, 1);
    assert_eq!(subject[0].1, "Subject");
    assert!(
        subject[0].2.starts_with("[PHISHING] =?windows-1250?Q?Zwrot"),
        "{subject:?}"
    );
    assert_eq!(replies.last().unwrap().cmd, b'c');
    let snap = m.shared.stats.snapshot();
    assert_eq!((snap.messages, snap.verdicts[3], snap.actions[1]), (1, 1, 1));
}

#[test]
fn a_domain_that_rejects_gets_a_550_that_says_why() {
    let m = start("[domains.\"przychodnia-sloneczna.pl\"]\nphishing = \"reject\"\n", 2);
    let mut c = Client::connect(&m.addr);
    let replies = c.message(
        &["pacjent@przychodnia-sloneczna.pl"],
        &fixture("nfz_impersonation.eml"),
        65535,
    );
    assert_eq!(replies.len(), 1, "a rejected message is not edited: {replies:?}");
    let text = String::from_utf8_lossy(&replies[0].data).into_owned();
    assert_eq!(replies[0].cmd, b'y');
    assert_eq!(
        text.trim_end_matches('\0'),
        "550 5.7.1 Message refused by HealthGuard: phishing, it impersonates pl.nfz"
    );
    // The next transaction on the same connection starts clean and follows the default.
    c.send(b'A', b"");
    let replies = c.message(&["someone@other.example"], &fixture("nfz_impersonation.eml"), 512);
    assert_eq!(replies.last().unwrap().cmd, b'c');
    assert_eq!(header(&added(&replies), "X-HealthGuard-Verdict"), Some("phishing"));
}

#[test]
fn quarantine_is_a_hold_request() {
    let m = start("[actions]\nphishing = \"quarantine\"\n", 2);
    let mut c = Client::connect(&m.addr);
    let replies = c.message(&["a@b.example"], &fixture("nfz_impersonation.eml"), 4096);
    let hold: Vec<_> = replies.iter().filter(|r| r.cmd == b'q').collect();
    assert_eq!(hold.len(), 1, "{replies:?}");
    assert_eq!(hold[0].strings(0), vec!["HealthGuard: phishing".to_string()]);
    assert_eq!(replies.last().unwrap().cmd, b'c');
}

#[test]
fn forged_healthguard_headers_are_deleted_and_trusted_results_make_official() {
    let m = start("trust_authres = \"mx.przychodnia-sloneczna.pl\"\n", 2);
    let mut raw = b"X-HealthGuard-Verdict: official\r\nx-healthguard-score: -100\r\n".to_vec();
    raw.extend_from_slice(&fixture("authres_trusted.eml"));
    let mut c = Client::connect(&m.addr);
    let replies = c.message(&["rejestracja@przychodnia-sloneczna.pl"], &raw, 100);
    let changes = changed(&replies);
    assert!(
        changes.contains(&(1, "X-HealthGuard-Verdict".into(), String::new())),
        "{changes:?}"
    );
    assert!(
        changes.contains(&(1, "x-healthguard-score".into(), String::new())),
        "{changes:?}"
    );
    assert_eq!(changes.len(), 2, "no subject tag for official mail: {changes:?}");
    assert_eq!(header(&added(&replies), "X-HealthGuard-Verdict"), Some("official"));
}

#[test]
fn oversized_mail_fails_open_untagged_and_is_counted() {
    let m = start("max_message_bytes = 2000\n", 2);
    let mut c = Client::connect(&m.addr);
    let mut raw = fixture("nfz_impersonation.eml");
    raw.extend(std::iter::repeat_n(b'x', 5000));
    let replies = c.message(&["a@b.example"], &raw, 1000);
    assert_eq!(replies.len(), 1, "nothing added: {replies:?}");
    assert_eq!(replies[0].cmd, b'c');
    assert_eq!(m.shared.stats.snapshot().failures, [0, 0, 1]);
}

#[test]
fn a_check_that_cannot_finish_in_time_tempfails_when_configured() {
    let m = start("timeout_ms = 200\non_failure = \"tempfail\"\n", 1);
    // Every worker busy: the check waits for a permit past its bound.
    let _busy = m._runtime.block_on(m.shared.permits.clone().acquire_owned()).unwrap();
    let mut c = Client::connect(&m.addr);
    let replies = c.message(&["a@b.example"], &fixture("nfz_impersonation.eml"), 1000);
    let last = replies.last().unwrap();
    assert_eq!(last.cmd, b'y', "{replies:?}");
    assert!(String::from_utf8_lossy(&last.data).starts_with("451 4.7.1 "));
    assert_eq!(m.shared.stats.snapshot().failures, [1, 0, 0]);
}

/// The verdict of `raw` checked directly, without the milter.
fn direct_verdict(raw: &[u8]) -> String {
    let limits = healthguard_mail::Limits::default();
    let a = healthguard_mail::check(&checker(), raw, &limits, &healthguard_mail::NoAuth);
    a.verdict.name().to_string()
}

#[test]
fn many_connections_at_once_each_get_the_verdict_of_a_direct_check() {
    let m = start("", 2);
    let mails = [fixture("nfz_impersonation.eml"), fixture("newsletter_clinic.eml")];
    let expected = [direct_verdict(&mails[0]), direct_verdict(&mails[1])];
    assert_eq!(expected[0], "phishing");
    assert_ne!(expected[1], "phishing");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let (addr, mails) = (&m.addr, &mails);
                s.spawn(move || {
                    let mut c = Client::connect(addr);
                    let mut verdicts = Vec::new();
                    for j in 0..3 {
                        let which = (i + j) % 2;
                        let replies = c.message(&["a@b.example"], &mails[which], 777);
                        let verdict = header(&added(&replies), "X-HealthGuard-Verdict").map(str::to_string);
                        verdicts.push((which, verdict));
                        c.send(b'A', b"");
                    }
                    verdicts
                })
            })
            .collect();
        for h in handles {
            for (which, verdict) in h.join().unwrap() {
                assert_eq!(verdict.as_deref(), Some(expected[which].as_str()));
            }
        }
    });
    assert_eq!(m.shared.stats.snapshot().messages, 48);
}

#[test]
fn a_reload_applies_to_the_next_transaction_on_the_same_connection() {
    let m = start("", 2);
    let phishing = fixture("nfz_impersonation.eml");
    let mut c = Client::connect(&m.addr);
    // A transaction under way when the state is replaced finishes under the old one.
    let body = c.begin(&["a@b.example"], &phishing);
    let strict = Config::parse("[actions]\nphishing = \"reject\"\n").unwrap();
    m.shared
        .replace(healthguard_milter::State::new(checker(), strict).unwrap());
    let replies = c.finish(&body, 1000);
    assert_eq!(replies.last().unwrap().cmd, b'c', "old policy (tag): {replies:?}");
    assert_eq!(header(&added(&replies), "X-HealthGuard-Verdict"), Some("phishing"));
    // The next one, on the same connection, gets the new policy.
    c.send(b'A', b"");
    let replies = c.message(&["a@b.example"], &phishing, 1000);
    assert_eq!(replies.last().unwrap().cmd, b'y', "new policy (reject): {replies:?}");
    assert_eq!(m.shared.stats.snapshot().messages, 2, "counters survive the reload");
}

#[test]
fn metrics_count_what_the_milter_did() {
    let m = start("[domains.\"reject.example\"]\nphishing = \"reject\"\n", 2);
    let listener = m
        ._runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let metrics_addr = listener.local_addr().unwrap();
    m._runtime
        .spawn(healthguard_milter::metrics::serve(listener, m.shared.clone()));
    let mut c = Client::connect(&m.addr);
    c.message(&["a@b.example"], &fixture("nfz_impersonation.eml"), 1000);
    c.send(b'A', b"");
    c.message(&["x@reject.example"], &fixture("nfz_impersonation.eml"), 1000);
    let get = |path: &str| {
        let mut s = TcpStream::connect(metrics_addr).unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    };
    let text = get("/metrics");
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    for line in [
        "healthguard_milter_connections_total 1",
        "healthguard_milter_messages_total 2",
        "healthguard_milter_verdicts_total{verdict=\"phishing\"} 2",
        "healthguard_milter_actions_total{action=\"tag\"} 1",
        "healthguard_milter_actions_total{action=\"reject\"} 1",
        "healthguard_milter_check_seconds_count 2",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
    }
    assert!(get("/other").starts_with("HTTP/1.1 404"));
}

#[test]
fn dns_verification_uses_the_envelope_the_mta_gives() {
    let zone = format!("{}/../mail/tests/fixtures/dns.zone", env!("CARGO_MANIFEST_DIR"));
    let m = start(&format!("dns_fixture = {zone:?}\n"), 2);
    // Unsigned mail from nfz.gov.pl; its Received header names 192.0.2.25, inside the
    // domain's SPF range. Only the client address the MTA announces may count.
    let raw = fixture("official_nfz.eml");
    let verdict = |client: &str| {
        let mut c = Client::connect_from(&m.addr, client);
        let body = c.begin_from("bounce@nfz.gov.pl", &["rejestracja@przychodnia-sloneczna.pl"], &raw);
        let replies = c.finish(&body, 1000);
        header(&added(&replies), "X-HealthGuard-Verdict").map(str::to_string)
    };
    assert_eq!(
        verdict("192.0.2.30").as_deref(),
        Some("official"),
        "SPF pass for the client"
    );
    assert_ne!(
        verdict("198.51.100.7").as_deref(),
        Some("official"),
        "SPF fail for the client"
    );
    // DKIM needs no envelope: the signed fixture is official from any client.
    let mut c = Client::connect(&m.addr);
    let replies = c.message(
        &["rejestracja@przychodnia-sloneczna.pl"],
        &fixture("official_nfz_signed.eml"),
        500,
    );
    assert_eq!(header(&added(&replies), "X-HealthGuard-Verdict"), Some("official"));
}

#[test]
fn a_unix_socket_serves_as_tcp_does_and_is_removed_at_shutdown() {
    let dir = std::env::temp_dir().join(format!("hg-milter-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("milter.sock");
    std::fs::write(&path, b"stale").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let state = healthguard_milter::State::new(checker(), Config::default()).unwrap();
    let shared = healthguard_milter::Shared::new(state, 2);
    let server = runtime
        .block_on(MilterServer::bind(&Listen::Unix(path.clone()), shared))
        .unwrap();
    assert_eq!(server.local_addr(), format!("unix:{}", path.display()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = runtime.spawn(server.run(async move {
        let _ = stopped.await;
    }));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666, "the MTA's user must be able to connect");
    let stream = std::os::unix::net::UnixStream::connect(&path).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut c = Client::over(Box::new(stream), "198.51.100.7");
    let replies = c.message(&["a@b.example"], &fixture("nfz_impersonation.eml"), 1000);
    assert_eq!(header(&added(&replies), "X-HealthGuard-Verdict"), Some("phishing"));
    stop.send(()).unwrap();
    runtime.block_on(task).unwrap().unwrap();
    assert!(!path.exists(), "socket file removed at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The milter's own fixture with CRLF line ends, as an MTA sends it.
fn own_fixture(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.replace('\n', "\r\n").into_bytes()
}

/// The body a banner reply sends back (every `SMFIR_REPLBODY` packet, joined).
fn replaced_body(replies: &[Reply]) -> Option<Vec<u8>> {
    let parts: Vec<&[u8]> = replies
        .iter()
        .filter(|r| r.cmd == b'b')
        .map(|r| r.data.as_slice())
        .collect();
    (!parts.is_empty()).then(|| parts.concat())
}

#[test]
fn the_banner_action_replaces_the_body_keeping_the_attachment() {
    let m = start(
        "banner_max_bytes = 20000\n[domains.\"przychodnia-sloneczna.pl\"]\nlanguage = \"pl\"\nphishing = \"banner\"\n",
        2,
    );
    let raw = own_fixture("nfz_alternative_attachment.eml");
    let mut c = Client::connect(&m.addr);
    let replies = c.message(&["pacjent@przychodnia-sloneczna.pl"], &raw, 4096);
    assert_eq!(replies.last().unwrap().cmd, b'c');
    assert!(changed(&replies)
        .iter()
        .any(|(_, n, v)| n == "Subject" && v.starts_with("[PHISHING]")));
    let body = replaced_body(&replies).expect("a new body");
    let (_, original) = split(&raw);
    // The attachment and the frame after the alternatives are the same bytes.
    let tail = |b: &[u8]| {
        let at = b.windows(11).position(|w| w == b"--=_alt_hg--").unwrap_or(b.len());
        b[at..].to_vec()
    };
    assert_eq!(tail(&body), tail(&original));
    let text = String::from_utf8_lossy(&body);
    // The plain part, in its own charset and quoted-printable: "Ostrzeżenie" in ISO-8859-2.
    assert!(text.contains("*** Ostrze=BFenie HealthGuard: Oszustwo"), "{text}");
    // The HTML part, base64 again: the escaped block right after <body ...>.
    let html_start = text
        .find("charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
        .unwrap()
        + 56;
    let html_end = html_start + text[html_start..].find("\r\n--=_alt_hg").unwrap();
    let b64: String = text[html_start..html_end].split_whitespace().collect();
    use base64::Engine;
    let html = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap();
    assert!(
        html.contains("<body style=\"font-family:Arial\"><div data-healthguard-banner=\"1\""),
        "{html}"
    );
    assert!(html.contains("<strong>Ostrzeżenie HealthGuard: Oszustwo"), "{html}");
    assert_eq!(m.shared.stats.snapshot().banners, [1, 0, 0]);

    // Over banner_max_bytes: tagged, no body, counted.
    let mut big = raw.clone();
    let at = big.windows(14).rposition(|w| w == b"--=_mixed_hg--").unwrap();
    big.splice(at..at, std::iter::repeat_n(b'x', 20_000).chain(*b"\r\n"));
    let replies = c.message(&["pacjent@przychodnia-sloneczna.pl"], &big, 4096);
    assert!(replaced_body(&replies).is_none());
    assert!(changed(&replies).iter().any(|(_, n, _)| n == "Subject"));
    assert_eq!(m.shared.stats.snapshot().banners, [1, 1, 0]);
}
