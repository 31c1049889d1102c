//! The formats feeds are published in, and their parsers.
//!
//! Every parser reads bytes of any kind without panicking: what is not a host is counted as
//! a rejected line, with the first few kept as samples for the operator.

use serde::{Deserialize, Serialize};

/// How many rejected lines are kept as samples.
const SAMPLES: usize = 5;

/// A feed's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// One domain per line; `#` starts a comment. CERT Polska's warning list in its text
    /// form (`domains.txt`) is this.
    Domains,
    /// One URL per line (the host is listed); `#` starts a comment. OpenPhish's community
    /// feed (`feed.txt`) and URLhaus-style URL lists are this.
    Urls,
    /// A hosts file: `0.0.0.0 host [host…]` per line; `#` starts a comment.
    Hosts,
    /// Adblock-style network rules `||host^` (with optional `$options`); `!` starts a
    /// comment. Other rules (paths, cosmetic `##`, exceptions `@@`) are rejected.
    Adblock,
    /// CERT Polska's warning list in its JSON form (`domains.json`).
    ///
    /// CERT Polska publishes the list ("Lista Ostrzeżeń przed niebezpiecznymi stronami",
    /// cert.pl/lista-ostrzezen) for operators' DNS and for adblock-style blockers, and since
    /// its second version (`hole.cert.pl/domains/v2/…`, the first deprecated from June 2025)
    /// keeps six months of entries. The JSON form is an array of records, one per listed
    /// domain: `DomainAddress` (the domain), `InsertDate`, `DeleteDate` (set when it was
    /// taken off the list) and `RegisterPositionId`. Records with a `DeleteDate` are not
    /// listed; other fields are ignored.
    CertPlJson,
}

impl Format {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Format::Domains => "domains",
            Format::Urls => "urls",
            Format::Hosts => "hosts",
            Format::Adblock => "adblock",
            Format::CertPlJson => "cert-pl-json",
        }
    }
}

/// What a parser read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Hosts in normal form ([`crate::normalize`]), in file order, duplicates included.
    pub hosts: Vec<String>,
    /// Entries read (lines that are neither blank nor comments; records of a JSON list).
    pub entries: usize,
    /// Entries that were not a host.
    pub rejected: usize,
    /// The first rejected entries, cut to 100 characters.
    pub samples: Vec<String>,
}

impl Parsed {
    fn reject(&mut self, entry: &str) {
        self.rejected += 1;
        if self.samples.len() < SAMPLES {
            self.samples.push(entry.chars().take(100).collect());
        }
    }

    fn host(&mut self, entry: &str, host: Option<String>) {
        match host {
            Some(h) => self.hosts.push(h),
            None => self.reject(entry),
        }
    }
}

/// A body that cannot be read as its format at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON of the expected shape.
    #[error("not a CERT Polska JSON list: {0}")]
    Json(String),
}

/// Parses a feed body in `format`.
pub fn parse(format: Format, body: &[u8]) -> Result<Parsed, ParseError> {
    if format == Format::CertPlJson {
        return cert_pl_json(body);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Parsed::default();
    for line in text.lines() {
        let line = match format {
            Format::Adblock => line.trim(),
            _ => line.split('#').next().unwrap_or_default().trim(),
        };
        if line.is_empty() || (format == Format::Adblock && (line.starts_with('!') || line.starts_with('['))) {
            continue;
        }
        out.entries += 1;
        match format {
            Format::Domains => out.host(line, crate::normalize(line)),
            Format::Urls => out.host(line, url_host(line)),
            Format::Hosts => hosts_line(&mut out, line),
            Format::Adblock => out.host(line, adblock_host(line)),
            Format::CertPlJson => unreachable!("handled above"),
        }
    }
    Ok(out)
}

/// The host of a URL (a scheme-less one is read as `http://`).
fn url_host(line: &str) -> Option<String> {
    let parsed = if line.contains("://") {
        url::Url::parse(line)
    } else {
        url::Url::parse(&format!("http://{line}"))
    };
    match parsed.ok()?.host()? {
        url::Host::Domain(d) => crate::normalize(d),
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(_) => None,
    }
}

/// Names every hosts file has that are not listings.
const HOSTS_LOCAL: &[&str] = &[
    "localhost",
    "localhost.localdomain",
    "local",
    "broadcasthost",
    "0.0.0.0",
];

fn hosts_line(out: &mut Parsed, line: &str) {
    let mut fields = line.split_whitespace();
    let ip_ok = fields.next().is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_ok());
    let names: Vec<&str> = fields.collect();
    if !ip_ok || names.is_empty() {
        out.reject(line);
        return;
    }
    for name in names {
        if HOSTS_LOCAL.contains(&name) || name.starts_with("ip6-") {
            continue;
        }
        out.host(line, crate::normalize(name));
    }
}

/// `||host^` or `||host^$options`: the host; any other rule: `None`.
fn adblock_host(line: &str) -> Option<String> {
    let rest = line.strip_prefix("||")?;
    let (host, tail) = rest.split_once('^')?;
    if !(tail.is_empty() || tail.starts_with('$')) {
        return None;
    }
    crate::normalize(host)
}

/// A record of CERT Polska's JSON list (the fields HealthGuard reads).
#[derive(Deserialize)]
struct CertPlRecord {
    #[serde(rename = "DomainAddress", default)]
    domain: Option<serde_json::Value>,
    #[serde(rename = "DeleteDate", default)]
    delete_date: Option<serde_json::Value>,
}

fn cert_pl_json(body: &[u8]) -> Result<Parsed, ParseError> {
    let records: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let mut out = Parsed::default();
    for value in records {
        out.entries += 1;
        let shown = value.to_string();
        let Ok(record) = serde_json::from_value::<CertPlRecord>(value) else {
            out.reject(&shown);
            continue;
        };
        if record.delete_date.is_some_and(|d| !d.is_null()) {
            // Taken off the list: not an entry.
            out.entries -= 1;
            continue;
        }
        match record.domain {
            Some(serde_json::Value::String(d)) => out.host(&d, crate::normalize(&d)),
            _ => out.reject(&shown),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(format: Format, body: &str) -> (Vec<String>, usize, usize) {
        let p = parse(format, body.as_bytes()).unwrap();
        (p.hosts, p.entries, p.rejected)
    }

    #[test]
    fn domains() {
        let body = "# list\n\nPhish.Example.com\nexample.org # inline\nnot a host\n\u{17c}ywiec-paczka.pl\n";
        let (h, entries, rejected) = hosts(Format::Domains, body);
        assert_eq!(h, ["phish.example.com", "example.org", "xn--ywiec-paczka-vxc.pl"]);
        assert_eq!((entries, rejected), (4, 1));
    }

    #[test]
    fn urls() {
        let body = "https://Login.Evil.example/path?q=1\nhttp://192.0.2.1/x\nevil.example.net/a\nhttp://[2001:db8::1]/\n::::\n";
        let (h, entries, rejected) = hosts(Format::Urls, body);
        assert_eq!(h, ["login.evil.example", "192.0.2.1", "evil.example.net"]);
        assert_eq!((entries, rejected), (5, 2));
    }

    #[test]
    fn hosts_file() {
        let body = "127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n0.0.0.0 a.example b.example # two\nnonsense line\n0.0.0.0\n";
        let (h, entries, rejected) = hosts(Format::Hosts, body);
        assert_eq!(h, ["a.example", "b.example"]);
        assert_eq!((entries, rejected), (5, 2));
    }

    #[test]
    fn adblock() {
        let body = "[Adblock Plus 2.0]\n! Title: test\n||a.example^\n||B.example^$important\n@@||ok.example^\nexample.com##.ad\n||c.example/path^\n";
        let (h, entries, rejected) = hosts(Format::Adblock, body);
        assert_eq!(h, ["a.example", "b.example"]);
        assert_eq!((entries, rejected), (5, 3));
    }

    #[test]
    fn cert_pl_json_records() {
        let body = r#"[
            {"RegisterPositionId": 1, "DomainAddress": "Fake-Bank.example", "InsertDate": "2026-01-02T10:00:00", "DeleteDate": null},
            {"RegisterPositionId": 2, "DomainAddress": "gone.example", "InsertDate": "2026-01-02T10:00:00", "DeleteDate": "2026-02-01T00:00:00"},
            {"RegisterPositionId": 3, "DomainAddress": 42},
            "not a record"
        ]"#;
        let p = parse(Format::CertPlJson, body.as_bytes()).unwrap();
        assert_eq!(p.hosts, ["fake-bank.example"]);
        assert_eq!((p.entries, p.rejected), (3, 2));
        assert!(parse(Format::CertPlJson, b"<html>oops</html>").is_err());
        assert!(parse(Format::CertPlJson, br#"{"a": 1}"#).is_err());
    }

    #[test]
    fn any_bytes() {
        let junk: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        for f in [
            Format::Domains,
            Format::Urls,
            Format::Hosts,
            Format::Adblock,
            Format::CertPlJson,
        ] {
            let _ = parse(f, &junk);
        }
    }
}
