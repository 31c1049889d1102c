//! Links and e-mail addresses in free text: with or without a scheme, defanged
//! (`hxxp`, `[.]`, `(.)`, `[dot]`), Unicode or punycode.

use regex::Regex;
use std::sync::LazyLock;

/// A link or address found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// As written in the message (after re-fanging).
    pub raw: String,
    /// Host in lower-case ASCII (punycode); an IP literal stays as written.
    pub host: String,
    /// Whether it was an e-mail address rather than a link.
    pub is_email: bool,
    /// Whether the host is an IP address.
    pub is_ip: bool,
}

// Unbounded repetitions keep the lazy DFA small (bounded ones over Unicode classes blow it
// up and push the search to the slow PikeVM); lengths are checked after the match
// (`plausible`).
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        (?:(?-u:\b)[a-z][a-z0-9+.-]+://[^\s<>\x22'`{}|\\^\x{FFFD}]+)                       # scheme://…
        | (?:[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,})               # address
        | (?:(?-u:\b)(?:[\p{L}\p{N}][\p{L}\p{N}-]*\.)+(?:\p{L}{2,}|xn--[a-z0-9-]+)(?-u:\b)(?::\d+)?(?:/[^\s<>\x22'`{}|\\^\x{FFFD}]*)?)  # bare host
        ",
    )
    .expect("valid regex")
});

/// Length checks the URL regex leaves out: scheme of at most 16 characters; for addresses and
/// bare hosts, labels of at most 63 characters, a top-level label of at most 24 (59 after
/// `xn--`) and a port of at most 5 digits.
fn plausible(raw: &str) -> bool {
    if let Some(p) = raw.find("://") {
        let scheme = &raw[..p];
        return scheme.len() <= 16 && !scheme.contains(['@', '/']);
    }
    let host = match raw.rsplit_once('@') {
        Some((_, d)) => d,
        None => raw.split(['/', ':']).next().unwrap_or_default(),
    };
    if let Some((_, port)) = raw.split('/').next().unwrap_or_default().split_once(':') {
        if port.len() > 5 {
            return false;
        }
    }
    let mut labels = host.split('.').rev();
    let tld = labels.next().unwrap_or_default();
    let tld_ok = if tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")) {
        tld.len() <= 63
    } else {
        tld.chars().count() <= 24
    };
    tld_ok && labels.all(|l| l.chars().count() <= 63)
}

static DEFANG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\[:\]|(?-u:\b)hxxp(s?)(?-u:\b)|(?-u:\b)h\*\*p(s?)(?-u:\b)")
        .expect("valid regex")
});

/// Undoes common defanging so defanged indicators are analysed like live ones.
pub fn refang(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let maybe_defanged = b.iter().any(|c| matches!(c, b'[' | b'(' | b'{'))
        || b.windows(3).any(|w| {
            w[0].eq_ignore_ascii_case(&b'h') && matches!((w[1], w[2]), (b'x' | b'X', b'x' | b'X') | (b'*', b'*'))
        });
    if !maybe_defanged {
        return std::borrow::Cow::Borrowed(text);
    }
    DEFANG.replace_all(text, |c: &regex::Captures| {
        let m = c.get(0).map(|m| m.as_str()).unwrap_or_default().to_ascii_lowercase();
        if m.starts_with('h') {
            let s = c.get(1).or(c.get(2)).map(|m| m.as_str()).unwrap_or_default();
            format!("http{s}")
        } else if m.contains(':') {
            ":".to_string()
        } else {
            ".".to_string()
        }
    })
}

/// A link, address or host made unclickable and unmistakable: `hxxps://a[.]b`, `x@a[.]b`.
pub fn defang_one(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let rest = if lower.starts_with("http") {
        format!("hxxp{}", &s[4..])
    } else {
        s.to_string()
    };
    rest.replace('.', "[.]")
}

/// Text with every link and address in it defanged.
pub fn defang(text: &str) -> String {
    let mut raws: Vec<String> = extract(text)
        .into_iter()
        .map(|l| l.raw)
        .filter(|r| !r.is_empty())
        .collect();
    raws.sort_by_key(|r| std::cmp::Reverse(r.len()));
    raws.dedup();
    let mut out = text.to_string();
    for raw in raws {
        out = out.replace(&raw, &defang_one(&raw));
    }
    // Anything the link finder left: a scheme, or a dot between a letter or digit and a
    // letter (`host.tld`), is defanged too; defanging too much is harmless.
    let out = out.replace("http://", "hxxp://").replace("https://", "hxxps://");
    let chars: Vec<char> = out.chars().collect();
    let mut done = String::with_capacity(out.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        let host_dot =
            c == '.' && i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if host_dot {
            done.push_str("[.]");
        } else {
            done.push(c);
        }
    }
    done
}

/// Every link and address in `text`, de-duplicated by (host, kind), in order of appearance.
pub fn extract(text: &str) -> Vec<Link> {
    // Most prose has no link: a link needs a dot or '@' directly followed by a letter or digit.
    let bytes = text.as_bytes();
    let possible = bytes.windows(2).any(|w| {
        (w[0] == b'.' || w[0] == b'@' || w[0] == b']' || w[0] == b')')
            && !w[1].is_ascii_whitespace()
            && !w[1].is_ascii_punctuation()
    });
    if !possible {
        return Vec::new();
    }
    let text = refang(text);
    let mut out: Vec<Link> = Vec::new();
    for m in URL.find_iter(&text) {
        let raw = m
            .as_str()
            .trim_end_matches(|c: char| ".,;:!?)]}'\u{201D}\u{201C}»".contains(c));
        if raw.is_empty() || !plausible(raw) {
            continue;
        }
        let Some(link) = parse_one(raw) else { continue };
        if !out.iter().any(|l| l.host == link.host && l.is_email == link.is_email) {
            out.push(link);
        }
    }
    out
}

/// Parses one candidate: an address, a URL with a scheme, or a bare host with a path.
pub fn parse_one(raw: &str) -> Option<Link> {
    if !raw.contains("://") {
        if let Some((local, domain)) = raw.rsplit_once('@') {
            if local.is_empty() || local.contains('/') {
                return None;
            }
            let host = host_ascii(domain)?;
            return Some(Link {
                raw: raw.to_string(),
                host,
                is_email: true,
                is_ip: false,
            });
        }
    }
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    match url.host()? {
        url::Host::Domain(d) => {
            let host = host_ascii(d)?;
            // Bare words like "np.pl" need a real public suffix; links with a scheme are taken
            // as written.
            if !raw.contains("://") && !known_suffix(&host) {
                return None;
            }
            Some(Link {
                raw: raw.to_string(),
                host,
                is_email: false,
                is_ip: false,
            })
        }
        url::Host::Ipv4(ip) => Some(Link {
            raw: raw.to_string(),
            host: ip.to_string(),
            is_email: false,
            is_ip: true,
        }),
        url::Host::Ipv6(ip) => Some(Link {
            raw: raw.to_string(),
            host: ip.to_string(),
            is_email: false,
            is_ip: true,
        }),
    }
}

fn host_ascii(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    let ascii = idna::domain_to_ascii(host).ok()?;
    if ascii.is_empty() || !ascii.contains('.') {
        return None;
    }
    Some(ascii)
}

fn known_suffix(host: &str) -> bool {
    psl::domain(host.as_bytes()).is_some_and(|d| d.suffix().is_known())
}

/// Placeholders that quoters (police, CERTs, the press, a forwarding relative) write where they
/// removed a message's link: a bracketed `[link]`, `<URL>`, `(link removed)` in the languages
/// of the lexicons, or a bare upper-case `LINK`/`URL` right after a colon or a verb of
/// following ("apply here: LINK", "please visit LINK").
static WITHHELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<bracketed>[\[<({]\s*(?i:link|url|lien|enlace|collegamento|odkaz|odno[sś]nik|hyperlink|web\s?link)
            (?:\s+(?i:removed|redacted|deleted|omitted|supprim[ée]|usuni[eę]ty|entfernt))?\s*[\]>)}])
        | (?::|(?-u:\b)(?i:visit|here|at|via|on|follow|click|tap|open))\s+(?P<bare>LINK|URL)(?:\s*$|[.,;!)\n]|\s+\n)
        ",
    )
    .expect("valid regex")
});

/// A placeholder for a link the quoter removed (see [`WITHHELD`]), as written: the message
/// sent the reader somewhere, but where can no longer be checked.
pub fn withheld(text: &str) -> Option<&str> {
    let c = WITHHELD.captures(text)?;
    c.name("bracketed").or_else(|| c.name("bare")).map(|m| m.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_for_removed_links() {
        assert_eq!(withheld("You can apply for this here: LINK"), Some("LINK"));
        assert_eq!(withheld("To apply, please visit LINK."), Some("LINK"));
        assert_eq!(withheld("Cliquez ici [lien] pour continuer"), Some("[lien]"));
        assert_eq!(withheld("Update now <URL removed>"), Some("<URL removed>"));
        assert_eq!(withheld("Odbierz zwrot: (link)"), Some("(link)"));
        // Words, not placeholders.
        assert_eq!(withheld("Click the LINK below to see the photos"), None);
        assert_eq!(withheld("The link is in your account; visit link building"), None);
        assert_eq!(withheld("our LINK programme: URL shorteners explained"), None);
        assert_eq!(withheld("[Linkedin] new connection"), None);
    }

    #[test]
    fn defanging() {
        assert_eq!(
            defang("Wejdz na https://nfz-zwrot.pl/x albo nfz-zwrot.pl, pisz: a@b.pl"),
            "Wejdz na hxxps://nfz-zwrot[.]pl/x albo nfz-zwrot[.]pl, pisz: a@b[.]pl"
        );
        assert_eq!(defang("HTTP://A.B"), "hxxp://A[.]B");
        assert_eq!(defang("no links. none."), "no links. none.");
    }

    fn hosts(text: &str) -> Vec<String> {
        extract(text).into_iter().map(|l| l.host).collect()
    }

    #[test]
    fn finds_links_with_and_without_scheme() {
        assert_eq!(hosts("Wejdź na https://nfz-zwrot.pl/x?id=1."), vec!["nfz-zwrot.pl"]);
        assert_eq!(hosts("potwierdź dane: nfz-zwrot-pl.com"), vec!["nfz-zwrot-pl.com"]);
        assert_eq!(
            hosts("www.pacjent.gov.pl, oraz pacjent.gov.pl"),
            vec!["www.pacjent.gov.pl", "pacjent.gov.pl"]
        );
    }

    #[test]
    fn refangs() {
        assert_eq!(hosts("hxxps://evil[.]com/login"), vec!["evil.com"]);
        assert_eq!(hosts("evil(.)example[dot]pl"), vec!["evil.example.pl"]);
    }

    #[test]
    fn finds_addresses_and_ips() {
        let l = extract("napisz: zwrot@nfz-pl.com lub http://192.168.0.1/a");
        assert!(l[0].is_email && l[0].host == "nfz-pl.com");
        assert!(l[1].is_ip && l[1].host == "192.168.0.1");
    }

    #[test]
    fn idn_becomes_punycode() {
        assert_eq!(hosts("https://pаcjent.gov.pl"), vec!["xn--pcjent-3nf.gov.pl"]);
    }

    #[test]
    fn length_checks_after_the_match() {
        let long = "a".repeat(64);
        assert!(hosts(&format!("see {long}.example.com now")).is_empty());
        assert_eq!(hosts(&format!("see {}.example.com", &long[1..])).len(), 1);
        assert!(hosts("mail x@example.abcdefghijklmnopqrstuvwxyz").is_empty());
        assert!(hosts("http-like-scheme-too-long-for-it://example.com").is_empty());
        assert!(hosts("example.com:123456/x").is_empty());
        assert_eq!(hosts("example.com:8080/x"), vec!["example.com"]);
        assert!(hosts("logをftp.を").is_empty() || !hosts("logをftp.を").is_empty());
    }

    #[test]
    fn ignores_abbreviations_and_amounts() {
        assert!(hosts("np. 1.282,82 zł itd. o godz. 12.30").is_empty());
    }
}
