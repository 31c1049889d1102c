//! One form for every listed host: lower-case ASCII (punycode), no trailing dot, at least
//! two labels; IPv4 literals in dotted form are kept as written.

use std::net::Ipv4Addr;

/// The normal form of a host written in a feed, or `None` when it is not a host.
///
/// Case and IDN differences disappear (UTS #46, as everywhere in the workspace:
/// [`healthguard_domains::to_ascii`]); a leading `*.` is dropped (a wildcard names the domain
/// and everything under it, which is how every entry is matched anyway).
pub fn normalize(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = raw.strip_prefix("*.").unwrap_or(raw);
    if raw.parse::<Ipv4Addr>().is_ok() {
        return Some(raw.to_string());
    }
    let ascii = healthguard_domains::to_ascii(raw)?;
    let (rest, last) = ascii.rsplit_once('.')?;
    // A numeric last label is an IP address to URL parsers, never a domain; `_` is for
    // service labels, never a top-level domain.
    if rest.is_empty() || last.bytes().all(|b| b.is_ascii_digit()) || last.contains('_') || last.starts_with('-') {
        return None;
    }
    Some(ascii)
}

/// The host and each parent, nearest first, down to two labels (`a.b.example.pl`,
/// `b.example.pl`, `example.pl`). An IPv4 literal is only itself.
pub fn with_parents(host: &str) -> impl Iterator<Item = &str> {
    let ip = host.parse::<Ipv4Addr>().is_ok();
    let mut next = Some(host);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.split_once('.') {
            Some((_, rest)) if !ip && rest.contains('.') => Some(rest),
            _ => None,
        };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        assert_eq!(normalize(" Phish.EXAMPLE.com. ").as_deref(), Some("phish.example.com"));
        assert_eq!(normalize("*.evil.example").as_deref(), Some("evil.example"));
        assert_eq!(normalize("zażółć.pl").as_deref(), Some("xn--za-6ja4f8n1l.pl"));
        assert_eq!(normalize("XN--ZA-6JA4F8N1L.PL").as_deref(), Some("xn--za-6ja4f8n1l.pl"));
        assert_eq!(normalize("192.0.2.7").as_deref(), Some("192.0.2.7"));
        for bad in [
            "",
            "localhost",
            "com",
            "a..b",
            "exa mple.com",
            "1.2.3",
            "x.123",
            "<html>",
            "a.b_c",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn parents() {
        let all: Vec<&str> = with_parents("a.b.example.pl").collect();
        assert_eq!(all, ["a.b.example.pl", "b.example.pl", "example.pl"]);
        assert_eq!(with_parents("example.pl").collect::<Vec<_>>(), ["example.pl"]);
        assert_eq!(with_parents("192.0.2.7").collect::<Vec<_>>(), ["192.0.2.7"]);
    }
}
