//! Embedded host lists: free mailbox providers and known redirectors (`data/*.txt`).

use std::collections::HashSet;
use std::sync::LazyLock;

static FREEMAIL: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| lines(include_str!("../data/freemail.txt")).collect());

/// How a redirector carries its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Param(&'static str),
    ProofpointV2,
    ProofpointV3,
    Star,
    None,
}

struct Redirector {
    host: &'static str,
    path: Option<&'static str>,
    how: How,
}

static REDIRECTORS: LazyLock<Vec<Redirector>> = LazyLock::new(|| {
    lines(include_str!("../data/redirectors.txt"))
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let host = f.next()?;
            let path = f.next().filter(|p| *p != "-");
            let how = match f.next().unwrap_or("none") {
                "proofpoint-v2" => How::ProofpointV2,
                "proofpoint-v3" => How::ProofpointV3,
                "star" => How::Star,
                h => h.strip_prefix("param=").map(How::Param).unwrap_or(How::None),
            };
            Some(Redirector { host, path, how })
        })
        .collect()
});

/// The entries of an embedded data file: trimmed lines, blank lines and `#` comments skipped.
pub(crate) fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether `host` is or is under a free mailbox provider (gmail.com, wp.pl, yahoo.ro …).
pub fn is_freemail(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut h = host.as_str();
    loop {
        if FREEMAIL.contains(h) {
            return true;
        }
        match h.split_once('.') {
            Some((_, rest)) if rest.contains('.') => h = rest,
            _ => return false,
        }
    }
}

/// What a known redirector hides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// Not a known redirector.
    NotRedirector,
    /// A known redirector whose target is written in the URL.
    Target(String),
    /// A known redirector or click tracker that carries only an id.
    Opaque,
}

fn host_matches(host: &str, pattern: &str) -> bool {
    host == pattern
        || (host.len() > pattern.len()
            && host.ends_with(pattern)
            && host.as_bytes()[host.len() - pattern.len() - 1] == b'.')
}

/// Unwraps a link-protection or click-tracking URL (`safelinks`, `urldefense`,
/// `google.com/url?q=`, Mailchimp, SendGrid …) to its target when the URL holds it.
/// Nested wrappers are unwrapped up to three times.
pub fn unwrap_redirector(url: &str) -> Redirect {
    let mut current = url.to_string();
    let mut result = Redirect::NotRedirector;
    for _ in 0..3 {
        match unwrap_once(&current) {
            Redirect::Target(t) => {
                current = t.clone();
                result = Redirect::Target(t);
            }
            Redirect::Opaque if result == Redirect::NotRedirector => return Redirect::Opaque,
            _ => break,
        }
    }
    result
}

fn unwrap_once(url: &str) -> Redirect {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Redirect::NotRedirector;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Redirect::NotRedirector;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let path_and_query = &rest[end..];
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, q.split('#').next().unwrap_or_default()),
        None => (path_and_query.split('#').next().unwrap_or_default(), ""),
    };
    for r in REDIRECTORS.iter() {
        if !host_matches(&host, r.host) {
            continue;
        }
        if let Some(prefix) = r.path {
            if !path.starts_with(prefix) {
                continue;
            }
        }
        let target = match r.how {
            How::Param(name) => query.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k == name).then(|| percent_decode(v))
            }),
            How::ProofpointV2 => query.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k == "u").then(|| percent_decode(&v.replace('-', "%").replace('_', "/")))
            }),
            How::ProofpointV3 => path
                .strip_prefix("/v3/__")
                .and_then(|p| p.split("__;").next())
                .map(str::to_string),
            How::Star => url.split_once("*http").map(|(_, t)| format!("http{t}")),
            How::None => None,
        };
        return match target {
            Some(t) if t.contains("://") || t.starts_with("www.") => Redirect::Target(t),
            _ => Redirect::Opaque,
        };
    }
    Redirect::NotRedirector
}

/// Decodes `%XX` escapes and `+`; invalid escapes stay as written.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freemail_matches_domains_and_subdomains() {
        assert!(is_freemail("gmail.com"));
        assert!(is_freemail("WP.PL"));
        assert!(is_freemail("poczta.onet.pl"));
        assert!(!is_freemail("nfz.gov.pl"));
        assert!(!is_freemail("notgmail.com"));
    }

    #[test]
    fn unwraps_targets() {
        let safelinks =
            "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fnfz-zwrot.pl%2Flogin&data=05";
        assert_eq!(
            unwrap_redirector(safelinks),
            Redirect::Target("https://nfz-zwrot.pl/login".into())
        );
        assert_eq!(
            unwrap_redirector("https://www.google.com/url?q=http://evil.example/x&sa=D"),
            Redirect::Target("http://evil.example/x".into())
        );
        assert_eq!(
            unwrap_redirector("https://urldefense.proofpoint.com/v2/url?u=https-3A__www.nfz.gov.pl_&d=x"),
            Redirect::Target("https://www.nfz.gov.pl/".into())
        );
        assert_eq!(
            unwrap_redirector("https://urldefense.com/v3/__https://evil.example/a__;!!abc"),
            Redirect::Target("https://evil.example/a".into())
        );
        assert_eq!(
            unwrap_redirector("https://nfz.us1.list-manage.com/track/click?u=1&id=2"),
            Redirect::Opaque
        );
        assert_eq!(unwrap_redirector("https://www.nfz.gov.pl/"), Redirect::NotRedirector);
        assert_eq!(
            unwrap_redirector("https://notlist-manage.com/x"),
            Redirect::NotRedirector
        );
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%2Fb%zz%"), "a/b%zz%");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
    }
}
