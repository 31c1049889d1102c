//! Reports by e-mail (`serve --smtp-intake ADDR`): people forward a suspicious message to a
//! mailbox whose MTA relays to this listener, or point a mail client straight at it. Each
//! forwarded original becomes one report, with the forwarder (the envelope sender) as its
//! contact; the SMTP answer to the end of DATA is given only once every report is durable,
//! so a message the sender's MTA saw accepted is on disk (a failure answers 451 and the MTA
//! retries).
//!
//! The originals are found as mail clients forward: attached (`message/rfc822`, "forward as
//! attachment"), else inline after a forward marker ("---------- Forwarded message
//! ---------", "-----Original Message-----", "Begin forwarded message:", …) with the quoted
//! header lines, else the message itself (a redirect keeps the original whole).
//!
//! Plain SMTP (RFC 5321) with the commands a relaying MTA and a mail client use: EHLO/HELO,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS or AUTH, so it belongs on loopback or a
//! private network behind the organisation's MTA. Bounded: line length, message size (the
//! upload limit), recipients, an idle timeout per command and connections at once.

use crate::app::AppState;
use crate::message::Submission;
use mail_parser::{MessageParser, PartType};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Longest command line (RFC 5321 §4.5.3.1.4 asks for 512; text lines may be 1000).
const MAX_LINE: usize = 4096;
/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 100;
/// Most originals filed from one forwarded message.
const MAX_ORIGINALS: usize = 20;
/// Connections served at once; more wait for a slot.
const MAX_CONNECTIONS: usize = 64;
/// Longest wait for the client's next line.
const IDLE: Duration = Duration::from_secs(60);

/// Forward markers of the common mail clients (Gmail, Outlook, Apple Mail, Thunderbird) in
/// the languages the product speaks; matched at the start of a line, case-insensitively.
const FORWARD_MARKERS: [&str; 12] = [
    "---------- forwarded message",
    "-------- forwarded message",
    "-------- original message",
    "-----original message-----",
    "begin forwarded message:",
    "---------- wiadomość przekazana",
    "-------- przekazana wiadomość",
    "---------- mesaj redirecționat",
    "-------- mesaj original",
    "---------- weitergeleitete nachricht",
    "-------- message transféré",
    "---------- messaggio inoltrato",
];

/// Accepts connections until the task is dropped; each is one SMTP session.
pub(crate) async fn run(listener: TcpListener, state: AppState, max_bytes: usize) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or a reset before accept: wait instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let (read, write) = stream.into_split();
            let _ = session(BufReader::new(read), write, &state, max_bytes).await;
            drop(slot);
        });
    }
}

/// One line from the client without its CRLF, `None` at the end of the stream or after the
/// idle timeout; a line longer than [`MAX_LINE`] is cut there (the rest is read and dropped).
async fn read_line<R: AsyncRead + Unpin>(r: &mut BufReader<R>, line: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut too_long = false;
    loop {
        let buf = match tokio::time::timeout(IDLE, r.fill_buf()).await {
            Ok(b) => b?,
            Err(_) => return Ok(None),
        };
        if buf.is_empty() {
            return Ok(None);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        too_long |= chunk.len() > room;
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        r.consume(used);
        if done {
            while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                line.pop();
            }
            return Ok(Some(too_long));
        }
    }
}

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}

/// The address inside `FROM:<…>` or `TO:<…>` (parameters after it ignored).
fn path_of(arg: &str) -> Option<String> {
    let start = arg.find('<')? + 1;
    let end = start + arg[start..].find('>')?;
    Some(arg[start..end].trim().to_string())
}

async fn session<R, W>(mut r: BufReader<R>, mut w: W, state: &AppState, max_bytes: usize) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    reply(&mut w, "220 healthguard report intake ESMTP").await?;
    let mut line = Vec::with_capacity(256);
    let mut sender: Option<String> = None;
    let mut recipients = 0usize;
    while let Some(too_long) = read_line(&mut r, &mut line).await? {
        if too_long {
            reply(&mut w, "500 5.5.2 line too long").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        let (verb, arg) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                let caps = format!("250-healthguard\r\n250-SIZE {max_bytes}\r\n250-8BITMIME\r\n250 PIPELINING");
                reply(&mut w, &caps).await?;
            }
            "HELO" => reply(&mut w, "250 healthguard").await?,
            "MAIL" => match arg
                .to_ascii_uppercase()
                .starts_with("FROM:")
                .then(|| path_of(arg))
                .flatten()
            {
                Some(path) => {
                    sender = Some(path);
                    recipients = 0;
                    reply(&mut w, "250 2.1.0 OK").await?;
                }
                None => reply(&mut w, "501 5.5.4 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => {
                if sender.is_none() {
                    reply(&mut w, "503 5.5.1 MAIL first").await?;
                } else if recipients >= MAX_RECIPIENTS {
                    reply(&mut w, "452 4.5.3 too many recipients").await?;
                } else if arg.to_ascii_uppercase().starts_with("TO:") && path_of(arg).is_some() {
                    recipients += 1;
                    reply(&mut w, "250 2.1.5 OK").await?;
                } else {
                    reply(&mut w, "501 5.5.4 syntax: RCPT TO:<address>").await?;
                }
            }
            "DATA" => {
                if sender.is_none() || recipients == 0 {
                    reply(&mut w, "503 5.5.1 MAIL and RCPT first").await?;
                    continue;
                }
                reply(&mut w, "354 end the message with <CRLF>.<CRLF>").await?;
                let Some(raw) = read_data(&mut r, &mut line, max_bytes).await? else {
                    return Ok(());
                };
                let from = sender.take().filter(|s| !s.is_empty());
                recipients = 0;
                let answer = match raw {
                    Err(()) => "552 5.3.4 message too big for a report".to_string(),
                    Ok(raw) => match file_all(state, &raw, from).await {
                        Ok(ids) => format!("250 2.0.0 filed as report {}", ids.join(", ")),
                        Err(why) => format!("451 4.3.0 the report could not be stored ({why}); try again later"),
                    },
                };
                reply(&mut w, &answer).await?;
            }
            "RSET" => {
                sender = None;
                recipients = 0;
                reply(&mut w, "250 2.0.0 OK").await?;
            }
            "NOOP" => reply(&mut w, "250 2.0.0 OK").await?,
            "QUIT" => {
                reply(&mut w, "221 2.0.0 bye").await?;
                return Ok(());
            }
            _ => reply(&mut w, "502 5.5.2 command not implemented").await?,
        }
    }
    Ok(())
}

/// The message after DATA up to the lone dot, dot-stuffing removed: `Ok(None)` when the
/// client went away, `Err(())` inside when it was larger than `max_bytes` (read to its end,
/// kept no further).
async fn read_data<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    line: &mut Vec<u8>,
    max_bytes: usize,
) -> std::io::Result<Option<Result<Vec<u8>, ()>>> {
    let mut raw = Vec::new();
    let mut too_big = false;
    while read_line(r, line).await?.is_some() {
        if line.as_slice() == b"." {
            return Ok(Some(if too_big { Err(()) } else { Ok(raw) }));
        }
        let text = line.strip_prefix(b".").unwrap_or(line);
        if raw.len() + text.len() + 2 > max_bytes {
            too_big = true;
            raw.clear();
            continue;
        }
        if !too_big {
            raw.extend_from_slice(text);
            raw.extend_from_slice(b"\r\n");
        }
    }
    Ok(None)
}

/// Files every original of a forwarded message, each once durable; the ids in order.
async fn file_all(state: &AppState, raw: &[u8], forwarder: Option<String>) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for original in originals(raw) {
        let sub = Submission::Email { raw: original };
        let (sub, analysis) = state.analyze(sub).await.map_err(|_| "analysis failed".to_string())?;
        let (id, _token) = state
            .file_report(&sub, &analysis, forwarder.clone(), None)
            .await
            .map_err(|e| e.to_string())?;
        ids.push(id);
    }
    Ok(ids)
}

/// The originals a forwarded message carries: attached messages, else an inline forward,
/// else the message itself.
pub(crate) fn originals(raw: &[u8]) -> Vec<Vec<u8>> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return vec![raw.to_vec()];
    };
    let attached: Vec<Vec<u8>> = message
        .parts
        .iter()
        .filter_map(|part| match &part.body {
            PartType::Message(nested) => Some(nested.raw_message().to_vec()),
            _ => None,
        })
        .filter(|m| !m.is_empty())
        .take(MAX_ORIGINALS)
        .collect();
    if !attached.is_empty() {
        return attached;
    }
    match message.body_text(0).and_then(|text| inline_forward(&text)) {
        Some(original) => vec![original],
        None => vec![raw.to_vec()],
    }
}

/// The message quoted after a forward marker: its header lines (`From:`, `Subject:`, …) up to
/// the first blank line, then the rest as its body.
fn inline_forward(text: &str) -> Option<Vec<u8>> {
    let mut lines = text.lines();
    lines.find(|l| {
        let l = l.trim_start().to_lowercase();
        FORWARD_MARKERS.iter().any(|m| l.starts_with(m))
    })?;
    let rest: Vec<&str> = lines.skip_while(|l| l.trim().is_empty()).collect();
    let headers = rest
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| {
            l.split_once(':')
                .is_some_and(|(name, _)| !name.is_empty() && !name.contains(' '))
        })
        .count();
    if headers == 0 {
        return None;
    }
    let mut out = String::new();
    let mut in_headers = true;
    for l in rest {
        let l = l.trim_end_matches('\r');
        if in_headers && l.trim().is_empty() {
            in_headers = false;
            out.push_str("\r\n");
            continue;
        }
        // A client's "From: Name [mailto:a@b]" or "From: Name <a@b>" is kept as written.
        out.push_str(if in_headers { l.trim_start() } else { l });
        out.push_str("\r\n");
    }
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::{originals, path_of};

    #[test]
    fn attached_and_inline_forwards_give_the_original() {
        // Written by the project.
        let attached = b"From: Pat <pat@example.org>\r\nSubject: Fwd: zwrot\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlease look at this.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: NFZ <zwrot@nfz-zwrot.example>\r\nSubject: Zwrot kosztow\r\n\r\nPotwierdz dane: https://nfz-zwrot.example/\r\n--b--\r\n";
        let got = originals(attached);
        assert_eq!(got.len(), 1);
        let text = String::from_utf8_lossy(&got[0]);
        assert!(
            text.contains("Subject: Zwrot kosztow") && !text.contains("Please look"),
            "{text}"
        );

        let inline = b"From: Pat <pat@example.org>\r\nSubject: Fwd: zwrot\r\n\r\nLook!\r\n\r\n---------- Forwarded message ---------\r\nFrom: NFZ <zwrot@nfz-zwrot.example>\r\nDate: Mon, 1 Dec 2026 10:00:00 +0100\r\nSubject: Zwrot kosztow\r\nTo: <pat@example.org>\r\n\r\nPotwierdz dane: https://nfz-zwrot.example/\r\n";
        let got = originals(inline);
        let text = String::from_utf8_lossy(&got[0]);
        assert!(text.starts_with("From: NFZ <zwrot@nfz-zwrot.example>\r\n"), "{text}");
        assert!(text.contains("\r\n\r\nPotwierdz dane"), "{text}");

        let redirected = b"From: NFZ <zwrot@nfz-zwrot.example>\r\nSubject: Zwrot\r\n\r\nPotwierdz dane.\r\n";
        assert_eq!(originals(redirected), vec![redirected.to_vec()]);
    }

    #[test]
    fn paths_are_read_between_angle_brackets() {
        assert_eq!(
            path_of("FROM:<pat@example.org> SIZE=100").as_deref(),
            Some("pat@example.org")
        );
        assert_eq!(path_of("FROM:<>").as_deref(), Some(""));
        assert_eq!(path_of("FROM:pat@example.org"), None);
    }
}
