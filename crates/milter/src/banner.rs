//! The warning banner, pure: a message body (and its top-level headers) and the worded
//! warning in, the same body with the warning at the top of its readable text parts out.
//!
//! - The MIME structure is kept: preambles, epilogues, boundaries, part headers and every
//!   part that is not rewritten (attachments, images, forwarded messages) stay byte for byte.
//! - A `text/plain` part gets the warning as its first lines; a `text/html` part gets an
//!   escaped `<div>` right after its `<body>` tag (else after `</head>`, else at the start).
//! - A part is decoded from its `Content-Transfer-Encoding` (quoted-printable, base64, or
//!   none), changed, and encoded again the same way; its charset is kept: the warning is
//!   encoded in it. When the charset cannot hold the warning's text, a plain part gets an
//!   ASCII form of it and an HTML part numeric character references; a part in a charset
//!   this cannot write (unknown, UTF-16) or an encoding it does not know is left alone and
//!   reported ([`Skip`]).
//! - Which parts are the text a reader sees: every alternative of a
//!   `multipart/alternative`; in any other multipart only its first part that is text or
//!   multipart and not an attachment (the body; later inline parts are footers or files).
//!
//! Replacing the body breaks DKIM signatures that cover it (every `l=`-less signature):
//! verifiers after this milter see `dkim=fail`. Sign after it, or verify before it
//! (`trust_authres`), as with rspamd's or Defender's banners.

use encoding_rs::Encoding;
use healthguard_core::{render, Catalog, Verdict};
use healthguard_registry::Lang;

/// Deepest multipart nesting looked into; deeper parts are left alone.
const MAX_DEPTH: usize = 16;

/// Longest top reason put into a banner, in characters.
const MAX_REASON_CHARS: usize = 300;

/// The warning, worded: the same lines in the reader's language and in ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// Title, reason and advice, in the reader's language (untrusted text inside: the reason
    /// quotes the message).
    pub lines: Vec<String>,
    /// The same in printable ASCII, for parts whose charset or encoding cannot hold `lines`.
    pub ascii_lines: Vec<String>,
}

impl Banner {
    /// The banner for `verdict` in `lang` from the built-in texts: `ui.banner_title` with the
    /// verdict's headline, `ui.banner_reason` with the top reason (`reason(lang)`: the
    /// strongest finding put into words; links in it are defanged), and the advice for the
    /// verdict. The ASCII form folds the same text (`ł` → `l`, `„` → `"`), or the English
    /// one when the language's script is not Latin.
    pub fn worded(catalog: &Catalog, lang: Lang, verdict: Verdict, reason: &dyn Fn(Lang) -> Option<String>) -> Banner {
        let lines = |lang: Lang| {
            let t = catalog.texts(lang);
            let headline = t
                .verdict
                .get(verdict.name())
                .map(String::as_str)
                .unwrap_or(verdict.name());
            let mut lines = vec![render(t.ui("banner_title"), &[("verdict", headline)])];
            if let Some(reason) = reason(lang) {
                let reason = one_line(&healthguard_core::links::defang(&reason));
                lines.push(render(t.ui("banner_reason"), &[("reason", &reason)]));
            }
            let advice = match verdict {
                Verdict::Phishing | Verdict::Suspicious => t.advice.get("do_not_click"),
                Verdict::Unverified => t.advice.get("unverified_check"),
                Verdict::Official => None,
            };
            lines.extend(advice.cloned());
            lines
        };
        let local = lines(lang);
        let folded: Option<Vec<String>> = local.iter().map(|l| fold_ascii(l)).collect();
        let ascii_lines = match folded {
            Some(f) => f,
            None => lines(Lang::En)
                .iter()
                .map(|l| {
                    fold_ascii(l).unwrap_or_else(|| l.chars().map(|c| if c.is_ascii() { c } else { '?' }).collect())
                })
                .collect(),
        };
        Banner {
            lines: local,
            ascii_lines,
        }
    }
}

/// Why one text part got no banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Its charset is not one known (WHATWG encoding labels).
    UnknownCharset,
    /// Its charset is known but cannot be written (UTF-16, `replacement`).
    UnwritableCharset,
    /// Its `Content-Transfer-Encoding` is not 7bit, 8bit, binary, quoted-printable or base64.
    UnknownEncoding,
    /// Its base64 does not decode.
    BadBase64,
}

impl Skip {
    /// A short name for logs (never the message's own values).
    pub fn name(self) -> &'static str {
        match self {
            Skip::UnknownCharset => "unknown_charset",
            Skip::UnwritableCharset => "unwritable_charset",
            Skip::UnknownEncoding => "unknown_transfer_encoding",
            Skip::BadBase64 => "bad_base64",
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The new body; `None` when no part was changed (send nothing back).
    pub body: Option<Vec<u8>>,
    /// Text parts that got the banner.
    pub parts: usize,
    /// Text parts left without it, and why.
    pub skipped: Vec<Skip>,
}

/// Puts `banner` at the top of the readable text parts of `body`, a message body whose
/// top-level headers are `headers` (name, value; as the MTA sent them).
pub fn apply(headers: &[(String, String)], body: &[u8], banner: &Banner) -> Applied {
    let eol: &[u8] = if body.windows(2).any(|w| w == b"\r\n") || !body.contains(&b'\n') {
        b"\r\n"
    } else {
        b"\n"
    };
    let entity = Entity::from_headers(headers.iter().map(|(n, v)| (n.as_str(), v.clone())));
    let mut run = Run {
        banner,
        eol,
        applied: Applied::default(),
    };
    let body = run.entity(&entity, body, 0, DefaultType::Text);
    run.applied.body = body;
    run.applied
}

/// What a part's headers say about its content.
#[derive(Debug, Default)]
struct Entity {
    /// `type/subtype`, lower case; empty when there is no Content-Type.
    media: String,
    /// Content-Type parameters (names lower case).
    params: Vec<(String, String)>,
    /// Content-Transfer-Encoding, lower case.
    encoding: String,
    /// An attachment: `Content-Disposition: attachment`, or a file name.
    attachment: bool,
}

impl Entity {
    fn from_headers<'a>(headers: impl Iterator<Item = (&'a str, String)>) -> Entity {
        let mut e = Entity::default();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("Content-Type") {
                let (media, params) = parse_content_type(&value);
                e.media = media;
                e.params = params;
            } else if name.eq_ignore_ascii_case("Content-Transfer-Encoding") {
                e.encoding = value.trim().to_ascii_lowercase();
            } else if name.eq_ignore_ascii_case("Content-Disposition") {
                let (kind, params) = parse_content_type(&value);
                if kind == "attachment" || params.iter().any(|(n, _)| n.starts_with("filename")) {
                    e.attachment = true;
                }
            }
        }
        if e.params.iter().any(|(n, _)| n.starts_with("name")) {
            e.attachment = true;
        }
        e
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The type of a part without a Content-Type: `message/rfc822` inside `multipart/digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefaultType {
    Text,
    Message,
}

struct Run<'b> {
    banner: &'b Banner,
    eol: &'b [u8],
    applied: Applied,
}

impl Run<'_> {
    /// The new content of one entity, or `None` when unchanged.
    fn entity(&mut self, e: &Entity, content: &[u8], depth: usize, default: DefaultType) -> Option<Vec<u8>> {
        let media = match (e.media.as_str(), default) {
            ("", DefaultType::Text) => "text/plain",
            ("", DefaultType::Message) => "message/rfc822",
            (m, _) => m,
        };
        if e.attachment {
            return None;
        }
        if let Some(sub) = media.strip_prefix("multipart/") {
            let boundary = e.param("boundary")?;
            if depth >= MAX_DEPTH || boundary.is_empty() {
                return None;
            }
            return self.multipart(sub, boundary.as_bytes(), content, depth);
        }
        let html = match media {
            "text/plain" => false,
            "text/html" => true,
            _ => return None,
        };
        match self.text(e, content, html) {
            Ok(new) => {
                self.applied.parts += 1;
                Some(new)
            }
            Err(skip) => {
                self.applied.skipped.push(skip);
                None
            }
        }
    }

    /// A multipart body with its parts rewritten in place (see the module's rules).
    fn multipart(&mut self, subtype: &str, boundary: &[u8], content: &[u8], depth: usize) -> Option<Vec<u8>> {
        let parts = split_parts(content, boundary);
        let every = subtype == "alternative";
        let default = if subtype == "digest" {
            DefaultType::Message
        } else {
            DefaultType::Text
        };
        let mut out = Vec::with_capacity(content.len() + 1024);
        let mut cursor = 0;
        let mut changed = false;
        for (start, end) in parts {
            let part = &content[start..end];
            let (head_len, head) = split_head(part);
            let entity = Entity::from_headers(head.iter().map(|(n, v)| (n.as_str(), v.clone())));
            let readable = !entity.attachment
                && match (entity.media.as_str(), default) {
                    ("", DefaultType::Text) => true,
                    ("", DefaultType::Message) => false,
                    (m, _) => m.starts_with("text/") || m.starts_with("multipart/"),
                };
            if !readable {
                continue;
            }
            if let Some(new) = self.entity(&entity, &part[head_len..], depth + 1, default) {
                out.extend_from_slice(&content[cursor..start + head_len]);
                out.extend_from_slice(&new);
                cursor = end;
                changed = true;
            }
            if !every {
                break;
            }
        }
        if !changed {
            return None;
        }
        out.extend_from_slice(&content[cursor..]);
        Some(out)
    }

    /// One text part with the banner, encoded as it was.
    fn text(&self, e: &Entity, encoded: &[u8], html: bool) -> Result<Vec<u8>, Skip> {
        let charset = e.param("charset").unwrap_or("us-ascii").trim();
        let us_ascii = ["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us"]
            .iter()
            .any(|a| charset.eq_ignore_ascii_case(a));
        let encoding = Encoding::for_label(charset.as_bytes()).ok_or(Skip::UnknownCharset)?;
        if encoding.output_encoding() != encoding {
            return Err(Skip::UnwritableCharset);
        }
        let (decoded, transfer) = match e.encoding.as_str() {
            "" | "7bit" => (encoded.to_vec(), Transfer::SevenBit),
            "8bit" | "binary" => (encoded.to_vec(), Transfer::Identity),
            "quoted-printable" => (qp_decode(encoded), Transfer::QuotedPrintable),
            "base64" => (base64_decode(encoded).ok_or(Skip::BadBase64)?, Transfer::Base64),
            _ => return Err(Skip::UnknownEncoding),
        };
        // 7bit and US-ASCII parts get ASCII only.
        let ascii_only = us_ascii || transfer == Transfer::SevenBit;
        let eol: &[u8] = if decoded.windows(2).any(|w| w == b"\r\n") {
            b"\r\n"
        } else if decoded.contains(&b'\n') {
            b"\n"
        } else {
            self.eol
        };
        let mut changed = Vec::with_capacity(decoded.len() + 1024);
        if html {
            let block = html_block(&self.banner.lines, eol);
            let bytes = if ascii_only {
                ascii_references(&block).into_bytes()
            } else {
                // Unmappable characters become numeric character references.
                encoding.encode(&block).0.into_owned()
            };
            let at = html_insertion_point(&decoded);
            changed.extend_from_slice(&decoded[..at]);
            changed.extend_from_slice(&bytes);
            changed.extend_from_slice(&decoded[at..]);
        } else {
            let local = plain_block(&self.banner.lines, eol);
            let bytes = match fit(&local, encoding).filter(|_| !ascii_only) {
                Some(text) => encoding.encode(&text).0.into_owned(),
                None => plain_block(&self.banner.ascii_lines, eol).into_bytes(),
            };
            changed.extend_from_slice(&bytes);
            changed.extend_from_slice(&decoded);
        }
        let ends_with_eol = encoded.ends_with(b"\n");
        Ok(match transfer {
            Transfer::SevenBit | Transfer::Identity => changed,
            Transfer::QuotedPrintable => qp_encode(&changed, self.eol),
            Transfer::Base64 => base64_encode(&changed, self.eol, ends_with_eol),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transfer {
    SevenBit,
    Identity,
    QuotedPrintable,
    Base64,
}

/// The plain-text banner: its lines framed, then a blank line.
fn plain_block(lines: &[String], eol: &[u8]) -> String {
    let eol = std::str::from_utf8(eol).unwrap_or("\r\n");
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("*** {line} ***{eol}"));
        } else {
            out.push_str(line);
            out.push_str(eol);
        }
    }
    out.push_str(&"-".repeat(60));
    out.push_str(eol);
    out.push_str(eol);
    out
}

/// The HTML banner: one `<div>` with inline styles a stylesheet of the message cannot
/// override, every line escaped.
fn html_block(lines: &[String], eol: &[u8]) -> String {
    let eol = std::str::from_utf8(eol).unwrap_or("\r\n");
    let mut out = String::from(
        "<div data-healthguard-banner=\"1\" style=\"display:block !important;visibility:visible !important;\
         border:2px solid #b00020 !important;background:#fff4f4 !important;color:#000 !important;\
         padding:8px 12px !important;margin:0 0 12px 0 !important;font:14px/1.4 sans-serif !important\">",
    );
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("<strong>{}</strong>", escape_html(line)));
        } else {
            out.push_str(&format!("<br>{}", escape_html(line)));
        }
    }
    out.push_str("</div>");
    out.push_str(eol);
    out
}

/// `&`, `<`, `>`, `"` and `'` as entities.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Non-ASCII characters as decimal numeric character references.
fn ascii_references(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("&#{};", u32::from(c)));
        }
    }
    out
}

/// One line: control characters (line breaks from the message) become spaces; at most
/// [`MAX_REASON_CHARS`] characters.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().take(MAX_REASON_CHARS) {
        if !c.is_control() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if s.chars().count() > MAX_REASON_CHARS {
        out.push('…');
    }
    out
}

/// `text` with the characters `encoding` cannot write folded to ASCII (`„` → `"`; a Polish
/// banner in ISO-8859-2 keeps its letters); `None` when one of them has no ASCII form.
fn fit(text: &str, encoding: &'static Encoding) -> Option<String> {
    if !encoding.encode(text).2 {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() || !encoding.encode(c.encode_utf8(&mut buf)).2 {
            out.push(c);
        } else {
            out.push_str(&fold_char(c)?);
        }
    }
    Some(out)
}

/// `s` in printable ASCII: Latin letters without their marks, typographic quotes and dashes
/// as ASCII ones; `None` when a letter has no ASCII form (another script).
fn fold_ascii(s: &str) -> Option<String> {
    s.chars().map(fold_char).collect()
}

/// One character in ASCII (see [`fold_ascii`]); `?` for a symbol, `None` for a letter of
/// another script.
fn fold_char(c: char) -> Option<String> {
    const PAIRS: &[(&str, char)] = &[
        ("ąàáâãäåāă", 'a'),
        ("ĄÀÁÂÃÄÅĀĂ", 'A'),
        ("ćçčĉ", 'c'),
        ("ĆÇČĈ", 'C'),
        ("ďđ", 'd'),
        ("ĎĐ", 'D'),
        ("ęèéêëěē", 'e'),
        ("ĘÈÉÊËĚĒ", 'E'),
        ("ìíîïīı", 'i'),
        ("ÌÍÎÏĪİ", 'I'),
        ("łľĺ", 'l'),
        ("ŁĽĹ", 'L'),
        ("ńñňň", 'n'),
        ("ŃÑŇ", 'N'),
        ("óòôõöøō", 'o'),
        ("ÓÒÔÕÖØŌ", 'O'),
        ("řŕ", 'r'),
        ("ŘŔ", 'R'),
        ("śšşș", 's'),
        ("ŚŠŞȘ", 'S'),
        ("ťţț", 't'),
        ("ŤŢȚ", 'T'),
        ("ùúûüůū", 'u'),
        ("ÙÚÛÜŮŪ", 'U'),
        ("ýÿ", 'y'),
        ("ÝŸ", 'Y'),
        ("źżž", 'z'),
        ("ŹŻŽ", 'Z'),
        ("„“”«»″", '"'),
        ("‘’‚′", '\''),
        ("–—‑", '-'),
        ("\u{a0}\u{202f}", ' '),
    ];
    Some(if c.is_ascii() {
        c.to_string()
    } else if c == 'ß' {
        "ss".into()
    } else if c == '…' {
        "...".into()
    } else if let Some((_, a)) = PAIRS.iter().find(|(set, _)| set.contains(c)) {
        a.to_string()
    } else if c.is_alphabetic() {
        return None;
    } else {
        "?".into()
    })
}

/// Where the HTML banner goes: after the `<body …>` tag, else after `</head>`, else at the
/// start. Comments and the raw text of `script`, `style`, `title` and `textarea` are
/// skipped (a `<body>` written inside them is no tag).
fn html_insertion_point(html: &[u8]) -> usize {
    let mut after_head = None;
    let mut i = 0;
    while let Some(off) = html[i..].iter().position(|&b| b == b'<') {
        let lt = i + off;
        let rest = &html[lt..];
        if rest.starts_with(b"<!--") {
            i = find(rest, b"-->").map_or(html.len(), |p| lt + p + 3);
            continue;
        }
        let (closing, name_start) = if rest.get(1) == Some(&b'/') {
            (true, 2)
        } else {
            (false, 1)
        };
        let name_len = rest[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            i = lt + 1;
            continue;
        }
        let name = rest[name_start..name_start + name_len].to_ascii_lowercase();
        let end = tag_end(html, lt + name_start + name_len);
        match (closing, name.as_slice()) {
            (false, b"body") => return end,
            (true, b"head") => after_head = after_head.or(Some(end)),
            (false, raw @ (b"script" | b"style" | b"title" | b"textarea")) => {
                let close = [b"</".as_slice(), raw].concat();
                i = find_ignore_case(&html[end..], &close).map_or(html.len(), |p| end + p);
                continue;
            }
            _ => {}
        }
        i = end;
    }
    after_head.unwrap_or(0)
}

/// The index just past the `>` ending a tag whose attributes start at `from` (quoted values
/// may hold `>`); the end of the text when it never ends.
fn tag_end(html: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (k, &b) in html[from..].iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return from + k + 1,
            _ => {}
        }
    }
    html.len()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// The parts of a multipart body as `(start, end)` ranges of `content`: from just after a
/// delimiter line to just before the line break that precedes the next delimiter. The
/// preamble, the delimiter lines and the epilogue are outside every range.
fn split_parts(content: &[u8], boundary: &[u8]) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut line_start = 0;
    while line_start <= content.len() {
        let line_end = content[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(content.len(), |p| line_start + p + 1);
        let line = &content[line_start..line_end];
        if let Some(after) = line.strip_prefix(b"--").and_then(|l| l.strip_prefix(boundary)) {
            let close = after.starts_with(b"--");
            let rest = if close { &after[2..] } else { after };
            if close || rest.iter().all(|b| b.is_ascii_whitespace()) {
                if let Some(start) = open.take() {
                    // The line break before the delimiter belongs to it.
                    let mut end = line_start;
                    if end > start && content[end - 1] == b'\n' {
                        end -= 1;
                        if end > start && content[end - 1] == b'\r' {
                            end -= 1;
                        }
                    }
                    parts.push((start, end.max(start)));
                }
                if close {
                    return parts;
                }
                open = Some(line_end);
            }
        }
        if line_end == content.len() {
            break;
        }
        line_start = line_end;
    }
    // No closing delimiter: the last part runs to the end.
    if let Some(start) = open {
        parts.push((start, content.len()));
    }
    parts
}

/// A part's header block: its length in bytes (through the blank line) and its unfolded
/// fields. A part that starts with a blank line has no headers.
fn split_head(part: &[u8]) -> (usize, Vec<(String, String)>) {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut pos = 0;
    while pos < part.len() {
        let end = part[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(part.len(), |p| pos + p + 1);
        let line = &part[pos..end];
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            return (end, fields);
        }
        let text = String::from_utf8_lossy(text);
        if text.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push_str(&text);
            }
        } else if let Some((name, value)) = text.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
        pos = end;
    }
    // Headers to the end and no body.
    (part.len(), fields)
}

/// `type/subtype` (lower case) and the parameters of a Content-Type (or Content-Disposition)
/// value; quoted values unquoted.
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let media_end = value.find(';').unwrap_or(value.len());
    let media = value[..media_end].trim().to_ascii_lowercase();
    let mut params = Vec::new();
    // Walk the parameters, honouring quotes (a `;` inside a quoted boundary is no separator).
    let rest = value.get(media_end + 1..).unwrap_or("");
    let mut it = rest.chars().peekable();
    loop {
        let mut name = String::new();
        for c in it.by_ref() {
            if c == '=' {
                break;
            }
            name.push(c);
        }
        let name = name.trim().trim_start_matches(';').trim().to_ascii_lowercase();
        while it.peek().is_some_and(|c| c.is_whitespace()) {
            it.next();
        }
        let mut val = String::new();
        if it.peek() == Some(&'"') {
            it.next();
            while let Some(c) = it.next() {
                match c {
                    '\\' => val.extend(it.next()),
                    '"' => break,
                    c => val.push(c),
                }
            }
            for c in it.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in it.by_ref() {
                if c == ';' {
                    break;
                }
                val.push(c);
            }
            val = val.trim().to_string();
        }
        if name.is_empty() {
            break;
        }
        params.push((name, val));
        if it.peek().is_none() {
            break;
        }
    }
    (media, params)
}

/// Quoted-printable decoded: soft line breaks removed, `=XX` as the byte, blanks at the end
/// of a line dropped (RFC 2045: added in transport); a stray `=` kept.
fn qp_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b' ' || b == b'\t' {
            let run = input[i..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
            let next = input.get(i + run);
            if matches!(next, Some(b'\r' | b'\n')) {
                i += run;
                continue;
            }
        }
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        match (input.get(i + 1), input.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push(hex(h).unwrap_or(0) << 4 | hex(l).unwrap_or(0));
                i += 3;
            }
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

/// Quoted-printable (RFC 2045): line breaks of the text kept as hard breaks (written with
/// `eol`), lines of at most 76 characters with soft breaks, trailing blanks encoded.
fn qp_encode(input: &[u8], eol: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(input.len() * 11 / 10 + 16);
    let mut lines = input.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        let line = if last {
            line
        } else {
            line.strip_suffix(b"\r").unwrap_or(line)
        };
        let mut width = 0;
        for (k, &b) in line.iter().enumerate() {
            let at_end = k + 1 == line.len();
            let literal = (b == b' ' || b == b'\t') && !at_end || (33..=126).contains(&b) && b != b'=';
            let token_len = if literal { 1 } else { 3 };
            if width + token_len > 75 {
                out.push(b'=');
                out.extend_from_slice(eol);
                width = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            }
            width += token_len;
        }
        if !last {
            out.extend_from_slice(eol);
        }
    }
    out
}

fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let clean: Vec<u8> = input.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).ok()
}

/// Base64 in lines of 76 characters ended by `eol`, the last one too when `final_eol`.
fn base64_encode(input: &[u8], eol: &[u8], final_eol: bool) -> Vec<u8> {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(input);
    let mut out = Vec::with_capacity(text.len() + text.len() / 76 * 2 + 2);
    let lines: Vec<&[u8]> = text.as_bytes().chunks(76).collect();
    for (k, line) in lines.iter().enumerate() {
        out.extend_from_slice(line);
        if k + 1 < lines.len() || final_eol {
            out.extend_from_slice(eol);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner() -> Banner {
        Banner {
            lines: vec![
                "Ostrzeżenie HealthGuard: phishing".into(),
                "Powód: nadawca „NFZ” <script>alert(1)</script> & co".into(),
                "Nie klikaj.".into(),
            ],
            ascii_lines: vec![
                "Ostrzezenie HealthGuard: phishing".into(),
                "Powod: nadawca \"NFZ\" <script>alert(1)</script> & co".into(),
                "Nie klikaj.".into(),
            ],
        }
    }

    fn h(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn body(a: &Applied) -> String {
        String::from_utf8(a.body.clone().expect("changed")).unwrap()
    }

    #[test]
    fn a_plain_utf8_message_starts_with_the_banner_and_keeps_its_text() {
        let headers = h(&[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ]);
        let a = apply(&headers, "Dzień dobry,\r\nzwrot.\r\n".as_bytes(), &banner());
        assert_eq!(a.parts, 1);
        let b = body(&a);
        assert!(
            b.starts_with("*** Ostrzeżenie HealthGuard: phishing ***\r\nPowód: nadawca „NFZ”"),
            "{b}"
        );
        assert!(b.ends_with("-\r\n\r\nDzień dobry,\r\nzwrot.\r\n"), "{b}");
    }

    #[test]
    fn a_message_without_content_type_is_us_ascii_and_gets_the_ascii_form() {
        let a = apply(&[], b"Hello\n", &banner());
        let b = body(&a);
        assert!(
            b.starts_with("*** Ostrzezenie HealthGuard: phishing ***\nPowod: nadawca \"NFZ\""),
            "{b}"
        );
        assert!(b.is_ascii());
        assert!(b.ends_with("\n\nHello\n"), "LF bodies keep LF: {b:?}");
    }

    #[test]
    fn a_charset_that_cannot_hold_the_text_gets_the_ascii_form_an_unknown_one_is_skipped() {
        // ISO-8859-1 has no ż or „.
        let latin1 = h(&[
            ("Content-Type", "text/plain; charset=iso-8859-1"),
            ("Content-Transfer-Encoding", "8bit"),
        ]);
        let a = apply(&latin1, b"Caf\xe9\r\n", &banner());
        let b = a.body.unwrap();
        assert!(b.starts_with(b"*** Ostrzezenie HealthGuard: phishing ***\r\n"));
        assert!(b.ends_with(b"\r\n\r\nCaf\xe9\r\n"), "the part's own bytes unchanged");
        // ISO-8859-2 holds Polish: the banner is written in it.
        let latin2 = h(&[
            ("Content-Type", "text/plain; charset=\"ISO-8859-2\""),
            ("Content-Transfer-Encoding", "8bit"),
        ]);
        let b = apply(&latin2, b"x\r\n", &banner()).body.unwrap();
        assert!(
            b.starts_with(b"*** Ostrze\xbfenie HealthGuard"),
            "{:?}",
            String::from_utf8_lossy(&b)
        );
        assert!(b.starts_with(b"*** Ostrze\xbfenie HealthGuard: phishing ***\r\nPow\xf3d: nadawca \"NFZ\""));
        for (charset, skip) in [
            ("x-klingon", Skip::UnknownCharset),
            ("utf-16le", Skip::UnwritableCharset),
        ] {
            let headers = h(&[("Content-Type", &format!("text/plain; charset={charset}"))]);
            let a = apply(&headers, b"x\r\n", &banner());
            assert_eq!((a.body, a.parts, a.skipped), (None, 0, vec![skip]));
        }
        let odd = h(&[
            ("Content-Type", "text/plain"),
            ("Content-Transfer-Encoding", "x-uuencode"),
        ]);
        assert_eq!(apply(&odd, b"x\r\n", &banner()).skipped, vec![Skip::UnknownEncoding]);
    }

    #[test]
    fn quoted_printable_is_decoded_and_encoded_again() {
        let headers = h(&[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ]);
        let original = "Zwrot koszt=C3=B3w le=\r\nczenia =3D 1 z=C5=82 \r\nkoniec\r\n";
        let a = apply(&headers, original.as_bytes(), &banner());
        let encoded = a.body.unwrap();
        assert!(encoded.is_ascii());
        for line in encoded.split(|&b| b == b'\n') {
            assert!(line.len() <= 77, "{:?}", String::from_utf8_lossy(line));
            assert!(!line.ends_with(b" \r"), "trailing blanks are encoded");
        }
        let decoded = String::from_utf8(qp_decode(&encoded)).unwrap();
        assert!(
            decoded.starts_with("*** Ostrzeżenie HealthGuard: phishing ***\r\n"),
            "{decoded}"
        );
        assert!(
            decoded.ends_with("\r\n\r\nZwrot kosztów leczenia = 1 zł\r\nkoniec\r\n"),
            "{decoded}"
        );
    }

    #[test]
    fn qp_round_trips_long_lines_trailing_blanks_and_binary() {
        let text: Vec<u8> = [b"a".repeat(200), b" \t\r\n=\x00\xff\r\nend ".to_vec()].concat();
        let enc = qp_encode(&text, b"\r\n");
        assert_eq!(qp_decode(&enc), text);
        assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77));
    }

    #[test]
    fn base64_is_decoded_and_encoded_again_in_76_column_lines() {
        use base64::Engine;
        let headers = h(&[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "base64"),
        ]);
        let text = "Szanowni Państwo,\r\n".repeat(20);
        let enc = base64::engine::general_purpose::STANDARD.encode(&text);
        let wrapped: Vec<u8> = enc.as_bytes().chunks(60).flat_map(|c| [c, b"\r\n"].concat()).collect();
        let a = apply(&headers, &wrapped, &banner());
        let out = a.body.unwrap();
        assert!(out.ends_with(b"\r\n"), "ended with a line break as before");
        assert!(out.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        let decoded = String::from_utf8(base64_decode(&out).unwrap()).unwrap();
        assert!(decoded.starts_with("*** Ostrzeżenie HealthGuard: phishing ***\r\n"));
        assert!(decoded.ends_with(&format!("\r\n\r\n{text}")));
        let bad = apply(&headers, b"!!!not base64", &banner());
        assert_eq!((bad.body, bad.skipped), (None, vec![Skip::BadBase64]));
    }

    const ALTERNATIVE: &str = "This is a multi-part message.\r\n\
        --alt\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        Zwrot koszt=C3=B3w\r\n\
        --alt\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        \r\n\
        <html><head><title>a <body> in a title</title><!-- <body> --></head>\r\n\
        <body class=\"x\" data-a=\"1>2\"><p>Zwrot</p></body></html>\r\n\
        --alt--\r\n\
        epilogue\r\n";

    #[test]
    fn multipart_alternative_gets_the_banner_in_both_parts_and_keeps_its_frame() {
        let headers = h(&[("Content-Type", "multipart/alternative; boundary=\"alt\"")]);
        let a = apply(&headers, ALTERNATIVE.as_bytes(), &banner());
        assert_eq!(a.parts, 2);
        let b = body(&a);
        assert!(b.starts_with("This is a multi-part message.\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n"));
        assert!(b.ends_with("</p></body></html>\r\n--alt--\r\nepilogue\r\n"), "{b}");
        // The plain part, quoted-printable again.
        let plain_start = b.find("quoted-printable\r\n\r\n").unwrap() + 20;
        let plain_end = b[plain_start..].find("\r\n--alt\r\n").unwrap() + plain_start;
        let plain = String::from_utf8(qp_decode(&b.as_bytes()[plain_start..plain_end])).unwrap();
        assert!(
            plain.starts_with("*** Ostrzeżenie HealthGuard: phishing ***"),
            "{plain}"
        );
        assert!(plain.ends_with("\r\n\r\nZwrot kosztów"), "{plain:?}");
        // The HTML part: after the real <body> tag, not the one in the title or comment.
        assert!(
            b.contains("<body class=\"x\" data-a=\"1>2\"><div data-healthguard-banner=\"1\""),
            "{b}"
        );
        assert!(b.contains("<title>a <body> in a title</title><!-- <body> --></head>"));
    }

    #[test]
    fn malicious_text_in_the_banner_is_escaped_in_html() {
        let headers = h(&[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ]);
        let b = body(&apply(&headers, b"<body>hi</body>", &banner()));
        assert!(!b.contains("<script>"), "{b}");
        assert!(
            b.contains("Powód: nadawca „NFZ” &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
            "{b}"
        );
        assert!(b.ends_with("hi</body>"));
        // A 7bit HTML part gets numeric character references instead of UTF-8.
        let seven = h(&[("Content-Type", "text/html; charset=utf-8")]);
        let b = body(&apply(&seven, b"<p>hi</p>", &banner()));
        assert!(b.is_ascii());
        assert!(
            b.starts_with("<div data-healthguard-banner"),
            "no <body>: at the start: {b}"
        );
        assert!(b.contains("Ostrze&#380;enie"), "{b}");
    }

    #[test]
    fn html_without_body_gets_the_banner_after_head_or_at_the_start() {
        assert_eq!(html_insertion_point(b"<html><head><title>x</title></head><p>a"), 35);
        assert_eq!(html_insertion_point(b"<p>no frame</p>"), 0);
        assert_eq!(html_insertion_point(b"<BODY>x"), 6);
        assert_eq!(html_insertion_point(b"<script>'<body>'</script><body >x"), 32);
        assert_eq!(html_insertion_point(b"<!-- unterminated <body>"), 0);
    }

    #[test]
    fn nested_mixed_with_an_attachment_keeps_the_attachment_byte_for_byte() {
        let attachment = "Content-Type: application/pdf; name=\"skierowanie.pdf\"\r\n\
            Content-Disposition: attachment; filename=\"skierowanie.pdf\"\r\n\
            Content-Transfer-Encoding: base64\r\n\
            \r\n\
            JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\n";
        let text_attachment = "Content-Type: text/plain; charset=utf-8\r\n\
            Content-Disposition: attachment; filename=\"notes.txt\"\r\n\
            \r\n\
            not a body\r\n";
        let inner = ALTERNATIVE.replace("alt", "inner");
        let raw = format!(
            "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n{inner}\r\n--outer\r\n{attachment}\r\n--outer\r\n{text_attachment}--outer--\r\n"
        );
        let headers = h(&[("Content-Type", "multipart/mixed; boundary=outer")]);
        let a = apply(&headers, raw.as_bytes(), &banner());
        assert_eq!(a.parts, 2, "the two alternatives, not the text attachment");
        let b = body(&a);
        assert!(b.contains(&format!(
            "\r\n--outer\r\n{attachment}\r\n--outer\r\n{text_attachment}--outer--\r\n"
        )));
        assert!(b.contains("<div data-healthguard-banner"));
        assert_eq!(b.matches("data-healthguard-banner").count(), 1);
        assert!(b.starts_with("--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\nThis is a multi-part message.\r\n--inner\r\n"));
    }

    #[test]
    fn only_the_first_readable_part_of_a_mixed_message_is_its_body() {
        let raw = "--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\n\r\nfirst\r\n--b\r\nContent-Type: text/plain\r\n\r\nfooter\r\n--b--";
        let headers = h(&[("Content-Type", "multipart/mixed; boundary=b")]);
        let b = body(&apply(&headers, raw.as_bytes(), &banner()));
        assert!(
            b.starts_with("--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\n\r\n*** "),
            "{b}"
        );
        assert!(
            b.ends_with("\r\n\r\nfirst\r\n--b\r\nContent-Type: text/plain\r\n\r\nfooter\r\n--b--"),
            "{b}"
        );
    }

    #[test]
    fn parts_that_are_not_text_or_attachments_only_are_left_alone() {
        for ct in ["application/pdf", "image/png", "message/rfc822"] {
            let a = apply(&h(&[("Content-Type", ct)]), b"data", &banner());
            assert_eq!(a, Applied::default(), "{ct}");
        }
        let a = apply(
            &h(&[("Content-Disposition", "attachment; filename=a.txt")]),
            b"data",
            &banner(),
        );
        assert_eq!(a.body, None);
        let digest = "--d\r\n\r\nFrom: a@b\r\n\r\nforwarded\r\n--d--\r\n";
        let a = apply(
            &h(&[("Content-Type", "multipart/digest; boundary=d")]),
            digest.as_bytes(),
            &banner(),
        );
        assert_eq!(a.body, None, "a digest's parts are messages");
        // A boundary-like line that is not the delimiter stays content.
        assert_eq!(split_parts(b"--b\r\nx\r\n--bb\r\n--b--", b"b"), vec![(5, 12)]);
    }

    #[test]
    fn content_type_parameters_are_read_with_quotes() {
        let (media, params) = parse_content_type("Multipart/Mixed; boundary=\"a;b\\\"c\"; charset=UTF-8 ;x=1");
        assert_eq!(media, "multipart/mixed");
        assert_eq!(
            params,
            vec![
                ("boundary".into(), "a;b\"c".into()),
                ("charset".into(), "UTF-8".into()),
                ("x".into(), "1".into())
            ]
        );
    }

    #[test]
    fn the_banner_is_worded_in_the_readers_language_with_the_reason_defanged() {
        let catalog = Catalog::builtin();
        let reason = |_: Lang| Some("Link https://nfz-zwrot.pl/x\r\nfake".to_string());
        let pl = Banner::worded(&catalog, Lang::Pl, Verdict::Phishing, &reason);
        assert_eq!(pl.lines.len(), 3, "{pl:?}");
        assert!(pl.lines[0].contains(&catalog.texts(Lang::Pl).verdict["phishing"]));
        assert!(
            pl.lines[1].contains("hxxps://nfz-zwrot[.]pl/x fake"),
            "{:?}",
            pl.lines[1]
        );
        assert!(pl.ascii_lines.iter().all(|l| l.is_ascii()));
        let uk = Banner::worded(&catalog, Lang::Uk, Verdict::Suspicious, &reason);
        assert_ne!(uk.lines, uk.ascii_lines);
        assert!(
            uk.ascii_lines[0].contains(&catalog.texts(Lang::En).verdict["suspicious"]),
            "{uk:?}"
        );
        assert!(
            Banner::worded(&catalog, Lang::En, Verdict::Official, &|_| None)
                .lines
                .len()
                == 1
        );
        assert_eq!(
            fold_ascii("Zażółć „gęślą” jaźń…"),
            Some("Zazolc \"gesla\" jazn...".into())
        );
        assert_eq!(fold_ascii("Фішинг"), None);
    }

    #[test]
    fn every_language_has_the_banner_texts() {
        let catalog = Catalog::builtin();
        for lang in Lang::ALL {
            let t = catalog.texts(lang);
            for key in ["banner_title", "banner_reason"] {
                let text =
                    t.ui.get(key)
                        .unwrap_or_else(|| panic!("ui.{key} missing in {}", lang.code()));
                let placeholder = if key == "banner_title" { "{verdict}" } else { "{reason}" };
                assert!(
                    text.contains(placeholder),
                    "ui.{key} in {} lacks {placeholder}",
                    lang.code()
                );
            }
        }
    }
}
