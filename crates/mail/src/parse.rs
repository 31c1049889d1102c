//! Raw message → [`ParsedMail`]: everything the analysis reads, owned, with the problems
//! met on the way. Never fails and never panics: malformed input is recorded, not refused.

use crate::attach::{self, Attachment, Class};
use crate::html::{self, HtmlLink};
use crate::Limits;
use mail_parser::{Address, HeaderName, Host, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use std::net::IpAddr;

/// An address with its display name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// Display name (RFC 2047 decoded), if any.
    pub name: Option<String>,
    /// The address as written, if any.
    pub address: Option<String>,
}

impl Mailbox {
    /// The address's domain in lower-case ASCII (punycode), if it has a valid one.
    pub fn domain(&self) -> Option<String> {
        let addr = self.address.as_deref()?;
        let (_, domain) = addr.rsplit_once('@')?;
        let domain = domain.trim().trim_end_matches(['>', '.']).trim_start_matches('[');
        if domain.is_empty() || domain.contains(['[', ']', ' ']) {
            return None;
        }
        healthguard_domains::to_ascii(domain).filter(|d| d.contains('.'))
    }

    /// `Name <address>` for evidence.
    pub fn display(&self) -> String {
        match (&self.name, &self.address) {
            (Some(n), Some(a)) => format!("{n} <{a}>"),
            (Some(n), None) => n.clone(),
            (None, Some(a)) => a.clone(),
            (None, None) => String::new(),
        }
    }
}

/// One `Received` hop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Host name the sending side gave or the receiver looked up.
    pub from: Option<String>,
    /// The HELO/EHLO name.
    pub helo: Option<String>,
    /// The connecting IP address.
    pub ip: Option<IpAddr>,
    /// The receiving host.
    pub by: Option<String>,
}

/// A header kept raw (unfolded): `Authentication-Results`, `ARC-Seal`,
/// `ARC-Authentication-Results`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawHeader {
    /// Header name as written.
    pub name: String,
    /// Value, unfolded, trimmed.
    pub value: String,
}

/// Something wrong with the message itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A limit was reached; the rest was not read.
    Limit {
        /// Which limit: `size`, `depth`, `parts`, `archive_entries`, `decompression`.
        limit: &'static str,
        /// What was met, e.g. `52428801 bytes > 52428800`.
        detail: String,
    },
    /// The message breaks the format (no header block, no From, broken encoding).
    Malformed {
        /// What is broken.
        detail: String,
    },
}

/// What `List-Id` and the `List-*` URL headers say. Written by the sender (or the list), so
/// evidence of a list's infrastructure only where authentication vouches for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListHeaders {
    /// The `List-Id` identifier, lower case (`<users.lists.example.org>` →
    /// `users.lists.example.org`).
    pub id: Option<String>,
    /// Host names of the `http(s):` and `mailto:` URLs of `List-Unsubscribe`, `List-Post`,
    /// `List-Help`, `List-Archive`, `List-Subscribe` and `List-Owner` (at most 20).
    pub hosts: Vec<String>,
}

impl ListHeaders {
    /// Whether any list header was present.
    pub fn is_list(&self) -> bool {
        self.id.is_some() || !self.hosts.is_empty()
    }

    /// Reads a `List-Id` value: the identifier in angle brackets, else the whole value.
    fn read_id(&mut self, value: &str) {
        let inner = match (value.rfind('<'), value.rfind('>')) {
            (Some(a), Some(b)) if a < b => &value[a + 1..b],
            _ => value,
        };
        let id = inner.trim().trim_end_matches('.').to_ascii_lowercase();
        if !id.is_empty() && !id.contains(char::is_whitespace) {
            self.id = Some(id);
        }
    }

    /// Reads the hosts of the `<URL>` entries of a `List-*` header.
    fn read_urls(&mut self, value: &str) {
        for entry in value.split('<').skip(1) {
            let Some(url) = entry.split('>').next() else { continue };
            let url = url.trim();
            let rest = if let Some(r) = url.get(..7).filter(|p| p.eq_ignore_ascii_case("mailto:")) {
                url[r.len()..]
                    .split(['?', ','])
                    .next()
                    .unwrap_or_default()
                    .rsplit('@')
                    .next()
            } else {
                url.split_once("://")
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http"))
                    .and_then(|(_, r)| r.split(['/', '?', '#', ':']).next())
            };
            let host = rest
                .unwrap_or_default()
                .trim()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if host.contains('.') && self.hosts.len() < 20 && !self.hosts.contains(&host) {
                self.hosts.push(host);
            }
        }
    }
}

/// Everything the analysis reads from a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedMail {
    /// Size of the raw message in bytes (before any cut).
    pub size: usize,
    /// `From` mailboxes (usually one).
    pub from: Vec<Mailbox>,
    /// `Sender`.
    pub sender: Option<Mailbox>,
    /// `Reply-To` mailboxes.
    pub reply_to: Vec<Mailbox>,
    /// `Return-Path` address (empty for a null reverse path).
    pub return_path: Option<String>,
    /// `Return-Path: <>`: the null reverse path of bounces and automatic notices.
    pub null_reverse_path: bool,
    /// Mailing-list headers (RFC 2369, RFC 2919), when the message came through a list or a
    /// bulk sender.
    pub list: ListHeaders,
    /// A notice written by a mail system, not by a person or a sender's campaign: a bounce, or
    /// a mail system's report (`multipart/report`: delivery status, feedback report) or
    /// message with a null reverse path (`Return-Path: <>`, which RFC 5321 §4.5.5 reserves
    /// for bounces and other automatic replies). Neither a report's shape, a null path nor an
    /// `Auto-Submitted` header alone makes a notice: anyone can send with them.
    pub automatic: bool,
    /// Marked `Auto-Submitted` (RFC 3834) with any value but `no`: the sender says a program
    /// wrote it (an out-of-office reply, a ticket system). Said, not shown: it excuses a null
    /// reverse path, never what the message asks.
    pub auto_submitted: bool,
    /// A bounce: the From is a mail system's (`MAILER-DAEMON`, `postmaster`, "Mail Delivery
    /// System", or the null address `<>`) and the message returns a message (an attached
    /// original or its headers, in a part or quoted in the text). Such a notice is
    /// [`ParsedMail::automatic`]; its From is the mail system's own form, not a forged one.
    pub bounce: bool,
    /// Subject (RFC 2047 decoded).
    pub subject: String,
    /// `Received` hops, the newest (topmost) first.
    pub received: Vec<Hop>,
    /// Authentication headers kept raw, topmost first.
    pub auth_headers: Vec<RawHeader>,
    /// The `d=` domains of `DKIM-Signature` headers, lower case, as claimed (not verified:
    /// a missing one is evidence, a present one proves nothing until checked).
    pub dkim_domains: Vec<String>,
    /// What the reader sees: the HTML body as text when there is one, else the plain text;
    /// attached messages follow their subject.
    pub text: String,
    /// Whether the body is HTML.
    pub html: bool,
    /// Letters (counted up to 20) in the HTML view when it had almost none and the plain-text
    /// alternative was added to [`ParsedMail::text`] in its place; `None` otherwise.
    pub html_view_letters: Option<usize>,
    /// Links from HTML with their visible text (at most [`Limits::max_links`]).
    pub links: Vec<HtmlLink>,
    /// Links seen in HTML in all.
    pub links_seen: usize,
    /// Form actions in HTML bodies (`""` for a form without one).
    pub forms: Vec<String>,
    /// Password fields in HTML bodies.
    pub password_fields: usize,
    /// Images: `<img>` elements and inline image parts.
    pub images: usize,
    /// Attachments, typed by content.
    pub attachments: Vec<Attachment>,
    /// Limits met and format problems.
    pub problems: Vec<Problem>,
}

/// Most text kept for the analysis: a little more than the core reads, so that it reports
/// the cut (`INPUT_TRUNCATED`) itself.
const MAX_TEXT: usize = healthguard_core::MAX_TEXT_BYTES + 1024;

/// Parses a raw RFC 5322 message (a leading mbox `From ` line is skipped). Never fails:
/// problems are recorded in [`ParsedMail::problems`].
pub fn parse(raw: &[u8], limits: &Limits) -> ParsedMail {
    let mut out = ParsedMail {
        size: raw.len(),
        ..ParsedMail::default()
    };
    let mut raw = raw;
    if raw.starts_with(b"From ") {
        raw = raw.iter().position(|&c| c == b'\n').map_or(&[][..], |p| &raw[p + 1..]);
    }
    if raw.len() > limits.max_message_bytes {
        out.problems.push(Problem::Limit {
            limit: "size",
            detail: format!("{} bytes > {}", raw.len(), limits.max_message_bytes),
        });
        raw = &raw[..limits.max_message_bytes];
    }
    // Lines without a colon come back as header names with empty values: text that is not
    // a header (a message without a header block, or a body without the blank line).
    let stray = |h: &mail_parser::Header| {
        matches!(h.name, HeaderName::Other(_)) && h.value.is_empty() && h.name.as_str().contains(char::is_whitespace)
    };
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.parts.is_empty() && !m.root_part().headers.iter().all(stray));
    let Some(message) = message else {
        out.problems.push(Problem::Malformed {
            detail: "no header block".into(),
        });
        let cut = &raw[..raw.len().min(MAX_TEXT)];
        out.text = String::from_utf8_lossy(cut).into_owned();
        return out;
    };
    read_headers(&message, &mut out);
    let report = is_report(&message);
    let stray_lines: Vec<&str> = message
        .root_part()
        .headers
        .iter()
        .filter(|h| stray(h))
        .map(|h| h.name.as_str())
        .take(1000)
        .collect();
    if !stray_lines.is_empty() {
        out.problems.push(Problem::Malformed {
            detail: format!("{} line(s) of text in the header block", stray_lines.len()),
        });
        for line in stray_lines {
            push_text(&mut out.text, line);
            push_text(&mut out.text, "\n");
        }
    }
    let mut walk = Walk {
        limits,
        parts: 0,
        budget: limits.max_decompressed_bytes,
        html_bytes: 0,
        encoding_problems: 0,
        depth_hit: false,
        parts_hit: false,
        returns_message: false,
    };
    walk.message(&message, 0, &mut out);
    out.bounce = mail_system_sender(&out.from) && (walk.returns_message || quotes_headers(&out.text));
    out.automatic |= out.bounce || ((report || out.null_reverse_path) && mail_system_sender(&out.from));
    if out.bounce {
        // The null address in a bounce's From is the mail system's own form (RFC 5321's null
        // reverse path written as the author).
        out.problems
            .retain(|p| !matches!(p, Problem::Malformed { detail } if detail == NO_FROM_ADDRESS));
    }
    if walk.depth_hit {
        out.problems.push(Problem::Limit {
            limit: "depth",
            detail: format!("MIME nesting deeper than {}", limits.max_mime_depth),
        });
    }
    if walk.parts_hit {
        out.problems.push(Problem::Limit {
            limit: "parts",
            detail: format!("more than {} MIME parts", limits.max_parts),
        });
    }
    if walk.encoding_problems > 0 {
        out.problems.push(Problem::Malformed {
            detail: format!(
                "broken MIME structure or transfer encoding in {} part(s)",
                walk.encoding_problems
            ),
        });
    }
    if out.attachments.iter().any(|a| {
        a.archive
            .as_ref()
            .is_some_and(|i| i.truncated && i.entries >= limits.max_archive_entries)
    }) {
        out.problems.push(Problem::Limit {
            limit: "archive_entries",
            detail: format!("an archive lists more than {} entries", limits.max_archive_entries),
        });
    }
    out
}

fn mailboxes(a: Option<&Address>) -> Vec<Mailbox> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .take(50)
        .map(|addr| Mailbox {
            name: addr
                .name
                .as_deref()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            address: addr
                .address
                .as_deref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        })
        .collect()
}

/// Parts that return a message or its headers (RFC 3462, RFC 3464, RFC 6522).
const RETURNED_PARTS: [&str; 4] = [
    "message/rfc822",
    "text/rfc822-headers",
    "message/rfc822-headers",
    "message/global",
];

/// Whether the From is a mail system's: a `MAILER-DAEMON` or `postmaster` mailbox, or the
/// null address `<>` (a name without any address), named as a mail system or not at all.
/// Another name ("Bank Service <postmaster@…>") is a sender dressed up, not a mail system.
fn mail_system_sender(from: &[Mailbox]) -> bool {
    const LOCAL_PARTS: [&str; 4] = ["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"];
    const NAMES: [&str; 6] = [
        "mailer-daemon",
        "mailer daemon",
        "postmaster",
        "mail delivery",
        "mail system",
        "delivery status",
    ];
    let Some(m) = from.first().filter(|_| from.len() == 1) else {
        return false;
    };
    let name = m.name.as_deref().unwrap_or_default().to_ascii_lowercase();
    let system_name = NAMES.iter().any(|n| name.contains(n));
    match m.address.as_deref() {
        Some(a) => {
            let local = a.rsplit_once('@').map_or(a, |(l, _)| l).to_ascii_lowercase();
            LOCAL_PARTS.contains(&local.as_str()) && (name.is_empty() || system_name)
        }
        None => system_name,
    }
}

/// Whether the text quotes a message's header block: three or more header lines, one of
/// them `Received:` or `Message-ID:` (which a person's forward does not show).
fn quotes_headers(text: &str) -> bool {
    const NAMES: [&str; 8] = [
        "received:",
        "message-id:",
        "from:",
        "to:",
        "subject:",
        "date:",
        "return-path:",
        "mime-version:",
    ];
    let mut seen = [false; 8];
    for line in text.lines().take(2000) {
        let line = line.trim_start().as_bytes();
        let head = String::from_utf8_lossy(&line[..line.len().min(12)]).to_ascii_lowercase();
        if let Some(i) = NAMES.iter().position(|n| head.starts_with(n)) {
            seen[i] = true;
        }
    }
    (seen[0] || seen[1]) && seen.iter().filter(|s| **s).count() >= 3
}

/// Whether the top-level body is a `multipart/report` (RFC 6522).
fn is_report(m: &Message) -> bool {
    m.root_part().content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart") && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    })
}

fn host(h: &Option<Host>) -> Option<String> {
    match h.as_ref()? {
        Host::Name(n) => Some(n.to_string()),
        Host::IpAddr(ip) => Some(ip.to_string()),
    }
}

/// A header's value as written in the message (folding kept), invalid UTF-8 replaced.
fn raw_value<'m>(m: &'m Message, h: &mail_parser::Header) -> std::borrow::Cow<'m, str> {
    let raw = m
        .raw_message
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    String::from_utf8_lossy(raw)
}

fn read_headers(m: &Message, out: &mut ParsedMail) {
    out.from = mailboxes(m.from());
    out.sender = mailboxes(m.sender()).into_iter().next();
    out.reply_to = mailboxes(m.reply_to());
    out.return_path = m.return_address().map(|s| s.trim().to_string());
    out.subject = m.subject().unwrap_or_default().chars().take(2000).collect();
    for r in m.received_all().take(100) {
        out.received.push(Hop {
            from: host(&r.from),
            helo: host(&r.helo),
            ip: r.from_ip,
            by: host(&r.by),
        });
    }
    for h in m.headers() {
        if h.name == HeaderName::DkimSignature && out.dkim_domains.len() < 20 {
            if let Some(d) = dkim_domain(&m.raw_message, h.offset_start as usize..h.offset_end as usize) {
                if !out.dkim_domains.contains(&d) {
                    out.dkim_domains.push(d);
                }
            }
            continue;
        }
        let list_url = matches!(
            h.name,
            HeaderName::ListUnsubscribe
                | HeaderName::ListPost
                | HeaderName::ListHelp
                | HeaderName::ListArchive
                | HeaderName::ListSubscribe
                | HeaderName::ListOwner
        );
        if h.name == HeaderName::AutoSubmitted {
            // RFC 3834: any value but "no" marks an automatic message.
            out.auto_submitted |= !raw_value(m, h).trim().eq_ignore_ascii_case("no");
            continue;
        }
        if h.name == HeaderName::ReturnPath {
            out.null_reverse_path |= raw_value(m, h).trim() == "<>";
            continue;
        }
        if list_url || h.name == HeaderName::ListId {
            let value = raw_value(m, h);
            if list_url {
                out.list.read_urls(&value);
            } else {
                out.list.read_id(&value);
            }
            continue;
        }
        let keep = matches!(
            h.name,
            HeaderName::AuthenticationResults | HeaderName::ArcSeal | HeaderName::ArcAuthenticationResults
        );
        if !keep || out.auth_headers.len() >= 100 {
            continue;
        }
        let value = raw_value(m, h)
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        out.auth_headers.push(RawHeader {
            name: h.name.as_str().to_string(),
            value,
        });
    }
    if out.from.iter().all(|f| f.address.is_none()) {
        out.problems.push(Problem::Malformed {
            detail: NO_FROM_ADDRESS.into(),
        });
    }
}

/// The problem recorded for a From without any address.
const NO_FROM_ADDRESS: &str = "no valid From address";

/// Fewer letters than this in what the reader sees make a body of pictures.
pub(crate) const FEW_LETTERS: usize = 20;

/// The letters of `text`, counted up to [`FEW_LETTERS`].
pub(crate) fn letters_seen(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).take(FEW_LETTERS).count()
}

/// The `d=` tag of a raw `DKIM-Signature` value.
fn dkim_domain(raw: &[u8], range: std::ops::Range<usize>) -> Option<String> {
    let value = String::from_utf8_lossy(raw.get(range)?);
    value.split(';').find_map(|tag| {
        let (name, v) = tag.split_once('=')?;
        (name.trim() == "d").then(|| {
            v.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
        })
    })
}

struct Walk<'l> {
    limits: &'l Limits,
    parts: usize,
    budget: usize,
    html_bytes: usize,
    encoding_problems: usize,
    depth_hit: bool,
    parts_hit: bool,
    /// The top message carries another message or its headers (as a bounce does).
    returns_message: bool,
}

impl Walk<'_> {
    /// Walks one message (the top one or an attached one) at nesting `depth`.
    fn message(&mut self, m: &Message, depth: usize, out: &mut ParsedMail) {
        let n = m.parts.len();
        let mut part_depth: Vec<Option<usize>> = vec![None; n];
        let mut stack = vec![(0u32, depth)];
        while let Some((id, d)) = stack.pop() {
            let Some(part) = m.parts.get(id as usize) else { continue };
            if part_depth[id as usize].is_some() {
                continue;
            }
            if d > self.limits.max_mime_depth {
                self.depth_hit = true;
                continue;
            }
            self.parts += 1;
            if self.parts > self.limits.max_parts {
                self.parts_hit = true;
                break;
            }
            part_depth[id as usize] = Some(d);
            if part.is_encoding_problem {
                self.encoding_problems += 1;
            }
            if let PartType::Multipart(children) = &part.body {
                for &c in children.iter().rev() {
                    stack.push((c, d + 1));
                }
            }
        }
        let seen = |id: &u32| part_depth.get(*id as usize).copied().flatten().is_some();
        // Bodies: the HTML view when there is one (what the reader sees), else plain text.
        let html_ids: Vec<u32> = m.html_body.iter().copied().filter(seen).collect();
        let use_html = html_ids
            .iter()
            .any(|&id| matches!(m.parts[id as usize].body, PartType::Html(_)));
        let body_ids = if use_html {
            html_ids
        } else {
            m.text_body.iter().copied().filter(seen).collect()
        };
        out.html |= use_html;
        let before = out.text.len();
        for id in body_ids {
            self.body_part(&m.parts[id as usize].body, out);
        }
        // An HTML view that is only pictures, with a plain-text alternative that says
        // something: text-mode clients and screen readers show the plain text, so judge it.
        let letters = letters_seen(out.text.get(before..).unwrap_or_default());
        if use_html && letters < FEW_LETTERS {
            let plain: Vec<u32> = m
                .text_body
                .iter()
                .copied()
                .filter(|id| seen(id) && matches!(m.parts[*id as usize].body, PartType::Text(_)))
                .collect();
            if !plain.is_empty() {
                // What the reader sees is the top message's view; an attached message
                // (a bounce returns one) has its own.
                if depth == 0 {
                    out.html_view_letters = Some(letters);
                }
                for id in plain {
                    self.body_part(&m.parts[id as usize].body, out);
                }
            }
        }
        for &id in &m.attachments {
            let Some(d) = part_depth.get(id as usize).copied().flatten() else {
                continue;
            };
            let part = &m.parts[id as usize];
            let name = part
                .attachment_name()
                .map(|n| n.trim().chars().take(255).collect::<String>())
                .filter(|n| !n.is_empty());
            let declared = part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                .unwrap_or_default();
            if depth == 0
                && (matches!(part.body, PartType::Message(_))
                    || RETURNED_PARTS.iter().any(|t| declared.eq_ignore_ascii_case(t)))
            {
                self.returns_message = true;
            }
            let disposition_attachment = part
                .content_disposition()
                .is_some_and(|c| c.ctype().eq_ignore_ascii_case("attachment"));
            let inline = !disposition_attachment
                && (part
                    .content_disposition()
                    .is_some_and(|c| c.ctype().eq_ignore_ascii_case("inline"))
                    || part.content_id().is_some());
            match &part.body {
                PartType::Message(nested) => {
                    if d + 1 > self.limits.max_mime_depth {
                        self.depth_hit = true;
                        continue;
                    }
                    let subject = nested.subject().unwrap_or_default();
                    push_text(&mut out.text, "\n\n");
                    push_text(&mut out.text, subject);
                    push_text(&mut out.text, "\n");
                    self.message(nested, d + 1, out);
                }
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                    let a = attach::classify(name.as_deref(), &declared, bytes, inline, self.limits, &mut self.budget);
                    if a.content.class == Class::Image && (inline || matches!(part.body, PartType::InlineBinary(_))) {
                        out.images += 1;
                    }
                    out.attachments.push(a);
                }
                PartType::Text(t) | PartType::Html(t) if name.is_some() || disposition_attachment => {
                    let a = attach::classify(
                        name.as_deref(),
                        &declared,
                        t.as_bytes(),
                        inline,
                        self.limits,
                        &mut self.budget,
                    );
                    out.attachments.push(a);
                }
                body @ (PartType::Text(_) | PartType::Html(_)) => self.body_part(body, out),
                PartType::Multipart(_) => {}
            }
        }
    }

    fn body_part(&mut self, body: &PartType, out: &mut ParsedMail) {
        match body {
            PartType::Text(t) => {
                if !out.text.is_empty() {
                    push_text(&mut out.text, "\n");
                }
                push_text(&mut out.text, t);
            }
            PartType::Html(h) => {
                let room = self.limits.max_html_bytes.saturating_sub(self.html_bytes);
                let mut cut = h.len().min(room);
                while !h.is_char_boundary(cut) {
                    cut -= 1;
                }
                self.html_bytes += cut;
                let max_links = self.limits.max_links.saturating_sub(out.links.len());
                let s = html::scan(&h[..cut], max_links, MAX_TEXT.saturating_sub(out.text.len()));
                if !out.text.is_empty() {
                    push_text(&mut out.text, "\n");
                }
                push_text(&mut out.text, &s.text);
                out.links.extend(s.links);
                out.links_seen += s.links_seen;
                out.forms.extend(s.forms.into_iter().take(20));
                out.password_fields += s.password_fields;
                out.images += s.images;
            }
            _ => {}
        }
    }
}

fn push_text(text: &mut String, more: &str) {
    let room = MAX_TEXT.saturating_sub(text.len());
    if room == 0 {
        return;
    }
    let mut cut = more.len().min(room);
    while !more.is_char_boundary(cut) {
        cut -= 1;
    }
    text.push_str(&more[..cut]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounces_are_recognised_by_their_sender_and_the_returned_message() {
        // Written by the project.
        let quoted = "This is the mail agent at mx.example.\n\nThere was an error delivering your mail.\n\nMessage headers follow.\n\nReceived: from root by mx.example\nSubject: hello\nTo: <ann@elsewhere.example>\nMessage-Id: <1@mx.example>\n";
        let null_from =
            format!("From: MAILER-DAEMON <>\nTo: bob@mx.example\nSubject: Mail delivery failed\n\n{quoted}");
        let mail = parse(null_from.as_bytes(), &Limits::default());
        assert!(mail.bounce && mail.automatic);
        assert!(mail.problems.is_empty(), "{:?}", mail.problems);
        let daemon = format!("From: postmaster@mx.example\nSubject: Undeliverable\n\n{quoted}");
        assert!(parse(daemon.as_bytes(), &Limits::default()).bounce);
        // A mail system's address under another name, or without a returned message, is not one.
        let dressed = format!("From: Bank Service <postmaster@mx.example>\nSubject: Undeliverable\n\n{quoted}");
        assert!(!parse(dressed.as_bytes(), &Limits::default()).bounce);
        let bare = "From: MAILER-DAEMON <>\nSubject: Mail delivery failed\n\nRelease your held messages at https://mx.example.host/\n";
        let mail = parse(bare.as_bytes(), &Limits::default());
        assert!(!mail.bounce && !mail.automatic);
        assert!(!mail.problems.is_empty());
        // A person's forward shows From/Date/Subject/To but not Received or Message-ID.
        let forward = "From: ann@example.org\nSubject: Fwd: hi\n\n---------- Forwarded message ---------\nFrom: Bob <bob@example.org>\nDate: Mon, 1 Jan 2024\nSubject: hi\nTo: ann@example.org\n";
        assert!(!parse(forward.as_bytes(), &Limits::default()).bounce);
        // An attached original counts as returned.
        let attached = "From: Mail Delivery System <mailer-daemon@mx.example>\nSubject: Undelivered\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nCould not deliver.\n--b\nContent-Type: message/rfc822\n\nFrom: bob@mx.example\nSubject: hi\n\nhi\n--b--\n";
        assert!(parse(attached.as_bytes(), &Limits::default()).bounce);
    }

    #[test]
    fn the_picture_view_is_the_top_messages_own() {
        // Written by the project: a report whose text view is fine and whose returned
        // original is an HTML view without letters.
        let raw = "From: Mail Delivery Subsystem <mailer-daemon@mx.example>\nSubject: Failure\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>Your message was not delivered because the address was not found.</p>\n--b\nContent-Type: message/rfc822\n\nFrom: bob@mx.example\nSubject: hi\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=c\n\n--c\nContent-Type: text/plain\n\nhi there\n--c\nContent-Type: text/html\n\n<p><img src=x></p>\n--c--\n--b--\n";
        let mail = parse(raw.as_bytes(), &Limits::default());
        assert_eq!(mail.html_view_letters, None);
        assert!(mail.bounce);
    }

    #[test]
    fn mail_system_notices_are_automatic() {
        // Written by the project.
        let report = b"From: Mail Delivery System <mailer-daemon@mx.example>\r\nReturn-Path: <bounces@mx.example>\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n--b--\r\n";
        assert!(parse(report, &Limits::default()).automatic);
        // The same report shape from anyone else is no notice: anyone can send one.
        let shaped = String::from_utf8_lossy(report).replace(
            "Mail Delivery System <mailer-daemon@mx.example>",
            "Wallet Team <support@wallet.example>",
        );
        assert!(!parse(shaped.as_bytes(), &Limits::default()).automatic);
        let null_path = b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\nSubject: Mail delivery failed\r\n\r\nreturning message to sender\r\n";
        assert!(parse(null_path, &Limits::default()).automatic);
        // The sender's own Auto-Submitted mark is recorded, and makes no mail-system notice.
        let auto = b"Auto-Submitted: auto-replied\r\nFrom: x@mx.example\r\nSubject: Out of office\r\n\r\naway\r\n";
        let mail = parse(auto, &Limits::default());
        assert!(mail.auto_submitted && !mail.automatic);
        let not_auto = b"Auto-Submitted: no\r\nFrom: x@mx.example\r\nSubject: hi\r\n\r\nhi\r\n";
        let mail = parse(not_auto, &Limits::default());
        assert!(!mail.auto_submitted && !mail.automatic);
        let person =
            b"Return-Path: <ann@example.org>\r\nFrom: ann@example.org\r\nSubject: delivery failed?\r\n\r\nhi\r\n";
        assert!(!parse(person, &Limits::default()).automatic);
        // A campaign sent with the null path is no notice.
        let campaign = b"Return-Path: <>\r\nFrom: Offers <deals@shop.example>\r\nSubject: Win\r\n\r\nclick\r\n";
        let mail = parse(campaign, &Limits::default());
        assert!(!mail.automatic && mail.null_reverse_path);
    }

    #[test]
    fn list_headers_are_read() {
        // Written by the project.
        let raw = b"From: Ann via Users <users@lists.example.org>\r\nList-Id: Users of Example\r\n <users.Lists.Example.org>\r\nList-Unsubscribe: <https://lists.example.org/options/users?x=1>,\r\n <mailto:users-leave@lists.example.org?subject=unsubscribe>\r\nList-Post: <mailto:users@lists.example.org>\r\nList-Archive: <ftp://archive.example.net/x>\r\nSubject: hi\r\n\r\nHello\r\n";
        let mail = parse(raw, &Limits::default());
        assert_eq!(mail.list.id.as_deref(), Some("users.lists.example.org"));
        assert_eq!(mail.list.hosts, ["lists.example.org"]);
        assert!(mail.list.is_list());
        let plain = parse(b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n", &Limits::default());
        assert!(!plain.list.is_list());
        assert!(!mail.automatic && !plain.automatic);
        // A List-Id without brackets, and junk.
        let mut l = ListHeaders::default();
        l.read_id(" announce.example.com ");
        assert_eq!(l.id.as_deref(), Some("announce.example.com"));
        l.read_urls("<https://> <mailto:> <javascript:alert(1)> garbage");
        assert!(l.hosts.is_empty());
    }

    #[test]
    fn plain_alternative_of_a_picture_only_html_view_is_read() {
        // Written by the project.
        let raw = b"From: Konto <no-reply@konto.example>\r\nSubject: Konto\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nUnusual sign-in activity on your account: confirm your identity here.\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<a href=\"https://konto.example/x\"><img src=\"https://konto.example/banner.png\"></a>\r\n--b--\r\n";
        let mail = parse(raw, &Limits::default());
        assert!(mail.html);
        assert!(mail.text.contains("Unusual sign-in activity"), "{:?}", mail.text);
        assert_eq!(mail.html_view_letters, Some(0));
        assert_eq!(mail.images, 1);
        // With text in the HTML view, the plain part is not added.
        let raw = String::from_utf8_lossy(raw).replace("<img src", "Hello reader, see your account page <img src");
        let mail = parse(raw.as_bytes(), &Limits::default());
        assert!(!mail.text.contains("Unusual sign-in activity"));
        assert_eq!(mail.html_view_letters, None);
    }

    #[test]
    fn headers_and_text() {
        let raw = b"From nobody Mon Jan  1 00:00:00 2024\nReceived: from mx.evil.example (mx.evil.example [203.0.113.5]) by mx.clinic.example with ESMTP\nFrom: =?iso-8859-2?Q?Narodowy_Fundusz_Zdrowia?= <info@tehrad.io>\nReply-To: zwroty@gmail.com\nReturn-Path: <bounce@tehrad.io>\nSubject: =?windows-1250?Q?Zwrot_koszt=F3w_=9Cwiadcze=F1?=\nContent-Type: text/plain; charset=iso-8859-2\nContent-Transfer-Encoding: quoted-printable\n\nProsz=EA potwierdzi=E6 dane.\n";
        let m = parse(raw, &Limits::default());
        assert!(m.problems.is_empty(), "{:?}", m.problems);
        assert_eq!(m.from[0].name.as_deref(), Some("Narodowy Fundusz Zdrowia"));
        assert_eq!(m.from[0].domain().as_deref(), Some("tehrad.io"));
        assert_eq!(m.reply_to[0].address.as_deref(), Some("zwroty@gmail.com"));
        assert_eq!(m.return_path.as_deref(), Some("bounce@tehrad.io"));
        assert_eq!(m.subject, "Zwrot kosztów świadczeń");
        assert_eq!(m.text.trim(), "Proszę potwierdzić dane.");
        assert_eq!(m.received[0].ip, Some("203.0.113.5".parse().unwrap()));
    }

    #[test]
    fn no_headers_is_malformed_but_read() {
        let m = parse(b"just some text without headers", &Limits::default());
        assert!(matches!(m.problems[0], Problem::Malformed { .. }));
        assert!(m.text.contains("just some text"));
        let m = parse(b"", &Limits::default());
        assert!(!m.problems.is_empty());
        let m = parse(b"Subject: x\nthe body without a blank line", &Limits::default());
        assert!(m.text.contains("the body without a blank line"));
        assert!(m
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Malformed { detail } if detail.contains("header block"))));
    }

    #[test]
    fn size_limit_cuts() {
        let mut raw = b"From: a@b.example\nSubject: x\n\n".to_vec();
        raw.extend(std::iter::repeat_n(b'a', 5000));
        let limits = Limits {
            max_message_bytes: 1000,
            ..Limits::default()
        };
        let m = parse(&raw, &limits);
        assert!(m
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Limit { limit: "size", .. })));
        assert!(m.text.len() < 1000);
    }
}
