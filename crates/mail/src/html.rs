//! A small, tolerant HTML scanner: visible text, links with their visible text, forms,
//! password fields and images, in one linear pass. Not a browser: it reads what a mail
//! client shows well enough to judge it, and never fails or backtracks.

/// A link in HTML: where it goes and what the reader sees.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HtmlLink {
    /// The `href` (entities decoded, white space trimmed).
    pub href: String,
    /// The visible text of the anchor (white space collapsed, at most 300 bytes).
    pub text: String,
}

/// What an HTML body holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlScan {
    /// Visible text, white space collapsed, block elements on their own lines.
    pub text: String,
    /// Links (`<a href>`, `<area href>`, `<meta http-equiv=refresh>`), at most `max_links`.
    pub links: Vec<HtmlLink>,
    /// Links seen in all (also past `max_links`).
    pub links_seen: usize,
    /// Form actions (`""` for a form without one).
    pub forms: Vec<String>,
    /// `<input type=password>` fields.
    pub password_fields: usize,
    /// `<img>` elements.
    pub images: usize,
}

const MAX_ANCHOR_TEXT: usize = 300;

/// Scans `html`, keeping at most `max_links` links and `max_text` bytes of text.
pub fn scan(html: &str, max_links: usize, max_text: usize) -> HtmlScan {
    let mut out = HtmlScan::default();
    let b = html.as_bytes();
    let mut i = 0;
    // Open anchor: href and its text so far.
    let mut anchor: Option<(String, String)> = None;
    let mut text_from = 0;
    while i < b.len() {
        let Some(lt) = find_byte(html, i, b'<') else {
            break;
        };
        // Text before the tag.
        if lt > text_from {
            push_text(
                &mut out.text,
                &html[text_from..lt],
                max_text,
                anchor.as_mut().map(|a| &mut a.1),
            );
        }
        i = lt + 1;
        if b[i..].starts_with(b"!--") {
            i = find(html, i + 3, "-->").map_or(b.len(), |p| p + 3);
            text_from = i;
            continue;
        }
        if i < b.len() && (b[i] == b'!' || b[i] == b'?') {
            i = find_byte(html, i, b'>').map_or(b.len(), |p| p + 1);
            text_from = i;
            continue;
        }
        let closing = i < b.len() && b[i] == b'/';
        let name_start = if closing { i + 1 } else { i };
        let mut j = name_start;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == name_start {
            // A lone '<' is text.
            text_from = lt;
            i = lt + 1;
            if i >= b.len() {
                break;
            }
            // Let the next search start after it while keeping it in the text run.
            continue;
        }
        // Lower-cased on the stack; no element this scanner knows has a longer name.
        let mut lower = [0u8; 16];
        let name = match b.get(name_start..j).filter(|n| n.len() <= lower.len()) {
            Some(n) => {
                lower[..n.len()].copy_from_slice(n);
                lower[..n.len()].make_ascii_lowercase();
                std::str::from_utf8(&lower[..n.len()]).unwrap_or_default()
            }
            None => "",
        };
        // Attributes are read only for the elements whose attributes are used.
        let keep = !closing && matches!(name, "a" | "area" | "form" | "input" | "meta");
        let (attrs, end) = attributes(html, j, keep);
        i = end;
        text_from = end;
        match (name, closing) {
            ("script" | "style" | "title" | "noscript" | "template", false) => {
                // Raw text until the matching end tag.
                let close = format!("</{name}");
                i = find_ci(b, i, close.as_bytes()).unwrap_or(b.len());
                text_from = i;
            }
            ("a" | "area", false) => {
                if let Some((href, text)) = anchor.take() {
                    push_link(&mut out, href, text, max_links);
                }
                if let Some(href) = attr(&attrs, "href") {
                    anchor = Some((href.trim().to_string(), String::new()));
                }
                if name == "area" {
                    if let Some((href, text)) = anchor.take() {
                        push_link(&mut out, href, text, max_links);
                    }
                }
            }
            ("a", true) => {
                if let Some((href, text)) = anchor.take() {
                    push_link(&mut out, href, text, max_links);
                }
            }
            ("img", false) => out.images += 1,
            ("form", false) => out
                .forms
                .push(attr(&attrs, "action").unwrap_or_default().trim().to_string()),
            ("input", false) if attr(&attrs, "type").is_some_and(|t| t.trim().eq_ignore_ascii_case("password")) => {
                out.password_fields += 1;
            }
            ("meta", false) if attr(&attrs, "http-equiv").is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh")) => {
                if let Some(content) = attr(&attrs, "content") {
                    let lower = content.to_ascii_lowercase();
                    if let Some(p) = lower.find("url=") {
                        let url = content[p + 4..].trim().trim_matches(['\'', '"']).to_string();
                        push_link(&mut out, url, String::new(), max_links);
                    }
                }
            }
            (
                "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "ul" | "ol"
                | "blockquote" | "hr" | "section" | "article" | "header" | "footer" | "center" | "pre",
                _,
            ) => {
                newline(&mut out.text, max_text);
            }
            ("td" | "th", _) => push_text(&mut out.text, " ", max_text, None),
            _ => {}
        }
    }
    if text_from < b.len() {
        push_text(
            &mut out.text,
            &html[text_from..],
            max_text,
            anchor.as_mut().map(|a| &mut a.1),
        );
    }
    if let Some((href, text)) = anchor.take() {
        push_link(&mut out, href, text, max_links);
    }
    let trimmed = out.text.trim_end().len();
    out.text.truncate(trimmed);
    out
}

fn push_link(out: &mut HtmlScan, href: String, text: String, max_links: usize) {
    out.links_seen += 1;
    if out.links.len() < max_links && !href.is_empty() {
        out.links.push(HtmlLink {
            href,
            text: text.trim().to_string(),
        });
    }
}

fn newline(text: &mut String, max_text: usize) {
    if text.len() < max_text && !text.is_empty() && !text.ends_with('\n') {
        while text.ends_with(' ') {
            text.pop();
        }
        text.push('\n');
    }
}

/// Appends decoded, white-space-collapsed text to the body text and the open anchor's text.
fn push_text(text: &mut String, raw: &str, max_text: usize, anchor: Option<&mut String>) {
    if anchor.is_none() && text.len() >= max_text {
        return;
    }
    let decoded = decode_entities(raw);
    let mut anchor = anchor;
    let mut rest: &str = &decoded;
    while let Some(c) = rest.chars().next() {
        // A run of ASCII characters other than white space is copied at once (each is one
        // byte: as many as fit, as the loop below would push them one by one).
        let run = rest
            .bytes()
            .position(|b| !b.is_ascii() || matches!(b, b'\t'..=b'\r' | b' '))
            .unwrap_or(rest.len());
        if run > 0 {
            let run_text = &rest[..run];
            if text.len() < max_text {
                text.push_str(&run_text[..run.min(max_text - text.len())]);
            }
            if let Some(a) = anchor.as_deref_mut() {
                if a.len() < MAX_ANCHOR_TEXT {
                    a.push_str(&run_text[..run.min(MAX_ANCHOR_TEXT - a.len())]);
                }
            }
            rest = &rest[run..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        // After one white-space character, more ASCII white space changes nothing.
        let ws_run = rest
            .bytes()
            .position(|b| !matches!(b, b'\t'..=b'\r' | b' '))
            .unwrap_or(rest.len());
        if ws_run > 0 && (c.is_whitespace() || c == '\u{a0}') {
            rest = &rest[ws_run..];
        }
        let ws = c.is_whitespace() || c == '\u{a0}';
        if text.len() < max_text {
            if ws {
                if !text.is_empty() && !text.ends_with([' ', '\n']) {
                    text.push(' ');
                }
            } else {
                text.push(c);
            }
        }
        if let Some(a) = anchor.as_deref_mut() {
            if a.len() < MAX_ANCHOR_TEXT {
                if ws {
                    if !a.is_empty() && !a.ends_with(' ') {
                        a.push(' ');
                    }
                } else {
                    a.push(c);
                }
            }
        }
    }
}

/// Parses attributes from `start` (just after the tag name) to the closing `>`; returns
/// them (names lower-cased, values entity-decoded) and the index after the tag.
/// With `keep` false only the end is found (nothing is allocated).
fn attributes(html: &str, start: usize, keep: bool) -> (Vec<(String, String)>, usize) {
    let b = html.as_bytes();
    let mut attrs = Vec::new();
    let mut i = start;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, b.len());
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let n0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        if i == n0 {
            // Stray character ('=' without a name): skip it.
            i += 1;
            continue;
        }
        let name = if keep {
            html[n0..i].to_ascii_lowercase()
        } else {
            String::new()
        };
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let v0 = i + 1;
                let v1 = find_byte(html, v0, q).unwrap_or(b.len());
                if keep {
                    value = decode_entities(&html[v0..v1]).into_owned();
                }
                i = (v1 + 1).min(b.len());
            } else {
                let v0 = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                if keep {
                    value = decode_entities(&html[v0..i]).into_owned();
                }
            }
        }
        if keep && attrs.len() < 64 {
            attrs.push((name, value));
        }
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The first `needle` (an ASCII byte) in `html` from byte `from`: the standard library's
/// search (a word at a time) when `from` is a character boundary, as it always is here.
fn find_byte(html: &str, from: usize, needle: u8) -> Option<usize> {
    match html.get(from..) {
        Some(rest) if needle.is_ascii() => rest.find(char::from(needle)),
        _ => html.as_bytes().get(from..)?.iter().position(|&c| c == needle),
    }
    .map(|p| p + from)
}

/// The first `needle` in `html` from byte `from`.
fn find(html: &str, from: usize, needle: &str) -> Option<usize> {
    if from >= html.len() {
        return None;
    }
    match html.get(from..) {
        Some(rest) => rest.find(needle),
        None => html.as_bytes()[from..]
            .windows(needle.len())
            .position(|w| w == needle.as_bytes()),
    }
    .map(|p| p + from)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

/// Decodes character references: numeric ones and the named ones mail uses (Latin-1,
/// Polish and Romanian letters, typography). Unknown names stay as written.
pub(crate) fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest.as_bytes().iter().take(12).position(|&c| c == b';');
        let decoded = end.and_then(|e| entity(&rest[1..e]).map(|c| (c, e + 1)));
        match decoded {
            Some((c, len)) => {
                if let Some(c) = c {
                    out.push(c);
                }
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The character of an entity name (without `&` and `;`); `Some(None)` for entities that
/// render as nothing (soft hyphen, zero-width joiners).
fn entity(name: &str) -> Option<Option<char>> {
    if let Some(num) = name.strip_prefix('#') {
        let v = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some(Some(char::from_u32(v).filter(|c| *c != '\0').unwrap_or('\u{fffd}')));
    }
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "shy" | "zwnj" | "zwj" => return Some(None),
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "laquo" => '«',
        "raquo" => '»',
        "bdquo" => '„',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "middot" => '·',
        "bull" => '•',
        "deg" => '°',
        "aacute" => 'á',
        "eacute" => 'é',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "Aacute" => 'Á',
        "Eacute" => 'É',
        "Iacute" => 'Í',
        "Oacute" => 'Ó',
        "Uacute" => 'Ú',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "acirc" => 'â',
        "icirc" => 'î',
        "Acirc" => 'Â',
        "Icirc" => 'Î',
        "abreve" => 'ă',
        "Abreve" => 'Ă',
        "scedil" => 'ş',
        "Scedil" => 'Ş',
        "tcedil" => 'ţ',
        "Tcedil" => 'Ţ',
        "ccedil" => 'ç',
        "aogon" => 'ą',
        "Aogon" => 'Ą',
        "eogon" => 'ę',
        "Eogon" => 'Ę',
        "cacute" => 'ć',
        "Cacute" => 'Ć',
        "lstrok" => 'ł',
        "Lstrok" => 'Ł',
        "nacute" => 'ń',
        "Nacute" => 'Ń',
        "sacute" => 'ś',
        "Sacute" => 'Ś',
        "zacute" => 'ź',
        "Zacute" => 'Ź',
        "zdot" => 'ż',
        "Zdot" => 'Ż',
        _ => return None,
    };
    Some(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_links_forms_images() {
        let html = r#"<html><head><title>T</title><style>p{color:red}</style></head><body>
            <p>Szanowni Pa&#324;stwo,</p><p>prosimy o <b>weryfikacj&eogon;</b>:
            <a href="https://evil.example/login?a=1&amp;b=2">https://www.nfz.gov.pl</a></p>
            <img src="x.png"><form action="https://evil.example/post"><input type=password name=p></form>
            <script>var a = "<a href='x'>";</script><!-- <a href="hidden"> --></body></html>"#;
        let s = scan(html, 10, 10_000);
        assert!(s.text.contains("Szanowni Państwo,"), "{}", s.text);
        assert!(
            s.text.contains("prosimy o weryfikację: https://www.nfz.gov.pl"),
            "{}",
            s.text
        );
        assert!(!s.text.contains("color") && !s.text.contains("var a"));
        assert_eq!(
            s.links,
            vec![HtmlLink {
                href: "https://evil.example/login?a=1&b=2".into(),
                text: "https://www.nfz.gov.pl".into()
            }]
        );
        assert_eq!(s.forms, vec!["https://evil.example/post".to_string()]);
        assert_eq!((s.password_fields, s.images), (1, 1));
    }

    #[test]
    fn tolerates_broken_markup() {
        for html in [
            "<",
            "<a",
            "<a href=",
            "<a href='x",
            "a < b > c",
            "<!--",
            "<script>",
            "&#xFFFFFFFF;&#0;&",
            "<a href=x>unclosed",
            "</>",
            "<p <p>",
        ] {
            let s = scan(html, 10, 100);
            assert!(s.text.len() <= 100 + 4);
        }
        assert_eq!(scan("a < b and c > d", 10, 100).text, "a < b and c > d");
        assert_eq!(scan("<a href=x>unclosed", 10, 100).links[0].text, "unclosed");
    }

    #[test]
    fn meta_refresh_is_a_link() {
        let s = scan(
            r#"<meta http-equiv="refresh" content="0; URL='https://evil.example/'">"#,
            10,
            100,
        );
        assert_eq!(s.links[0].href, "https://evil.example/");
    }

    #[test]
    fn limits_hold() {
        let html = "<a href=http://a.example>x</a>".repeat(50);
        let s = scan(&html, 5, 20);
        assert_eq!((s.links.len(), s.links_seen), (5, 50));
        assert!(s.text.len() <= 24);
    }
}
