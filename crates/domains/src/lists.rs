//! URL shorteners, free-hosting and file-hosting parents (`data/lists/*.txt` of the workspace).

use crate::hash::Table;
use crate::host;
use crate::HostKind;

/// `data/lists/shorteners.txt`: hosts matched exactly.
pub(crate) const SHORTENERS_TXT: &str = include_str!("../../../data/lists/shorteners.txt");
/// `data/lists/free_hosting.txt`: hosts matched with all their subdomains.
pub(crate) const FREE_HOSTING_TXT: &str = include_str!("../../../data/lists/free_hosting.txt");
/// `data/lists/file_hosting.txt`: hosts matched with all their subdomains.
pub(crate) const FILE_HOSTING_TXT: &str = include_str!("../../../data/lists/file_hosting.txt");

/// The entries of a list file: one per line, `#` comments, blank lines skipped.
pub(crate) fn entries(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

/// The lists as hash sets, for repeated classification.
pub(crate) struct HostLists {
    shorteners: Table<()>,
    free_hosting: Table<()>,
    file_hosting: Table<()>,
}

impl HostLists {
    /// Builds the sets from the embedded files.
    pub(crate) fn embedded() -> HostLists {
        HostLists {
            shorteners: set(SHORTENERS_TXT),
            free_hosting: set(FREE_HOSTING_TXT),
            file_hosting: set(FILE_HOSTING_TXT),
        }
    }

    /// Classifies a host (see [`crate::classify_host`]).
    pub(crate) fn classify(&self, raw: &str) -> HostKind {
        classify_with(
            raw,
            |h| self.shorteners.contains(h.as_bytes()),
            |h| self.free_hosting.contains(h.as_bytes()),
            |h| self.file_hosting.contains(h.as_bytes()),
        )
    }
}

fn set(text: &'static str) -> Table<()> {
    let mut t = Table::default();
    for e in entries(text) {
        t.entry_or(e.as_bytes(), || ());
    }
    t
}

/// Classification without any table: scans the embedded lists (the reference the tables
/// are tested against).
#[cfg(test)]
pub(crate) fn classify_scan(raw: &str) -> HostKind {
    classify_with(
        raw,
        |h| entries(SHORTENERS_TXT).any(|e| e == h),
        |h| entries(FREE_HOSTING_TXT).any(|e| e == h),
        |h| entries(FILE_HOSTING_TXT).any(|e| e == h),
    )
}

fn classify_with(
    raw: &str,
    is_shortener: impl Fn(&str) -> bool,
    is_free: impl Fn(&str) -> bool,
    is_file: impl Fn(&str) -> bool,
) -> HostKind {
    if host::is_ip_literal(raw) {
        return HostKind::IpAddress;
    }
    let h = match host::fast(raw) {
        host::Fast::Ascii(buf) => buf.as_str().to_owned(),
        host::Fast::Idna => match host::to_ascii_owned(raw) {
            Some(a) => a,
            None => return HostKind::Ordinary,
        },
        host::Fast::Invalid => return HostKind::Ordinary,
    };
    if is_shortener(&h) {
        return HostKind::Shortener;
    }
    if host::label_starts(&h).any(|i| is_file(&h[i..])) {
        return HostKind::FileHosting;
    }
    if host::label_starts(&h).any(|i| is_free(&h[i..])) {
        return HostKind::FreeHosting;
    }
    HostKind::Ordinary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_agree_with_the_scan() {
        let lists = HostLists::embedded();
        let mut hosts: Vec<String> = entries(SHORTENERS_TXT)
            .chain(entries(FREE_HOSTING_TXT))
            .chain(entries(FILE_HOSTING_TXT))
            .map(String::from)
            .collect();
        for h in hosts.clone() {
            hosts.push(format!("x.{h}"));
            hosts.push(format!("x-{h}"));
            hosts.push(h.to_uppercase());
        }
        hosts.extend(
            [
                "192.0.2.1",
                "[::1]",
                "nfz.gov.pl",
                "",
                ".",
                "xn--pcjent-3nf.gov.pl",
                "pаcjent.gov.pl",
            ]
            .map(String::from),
        );
        for h in &hosts {
            assert_eq!(lists.classify(h), classify_scan(h), "{h}");
        }
    }
}
