//! What a report points at: its indicators, the personal data in it, and its fingerprint.
//!
//! Indicators are the criminals' infrastructure: registrable domains of links and sender
//! domains, links (without their query, which often carries a per-victim token), sender
//! addresses, sender names, phone numbers to call, attachment hashes. Set apart, never
//! indicators: official channels of the registry ([`Official`]), and the addresses and
//! numbers of reporters and victims (recipients of the e-mail, the reporter's contact, a
//! number the message calls "your number").

use crate::fingerprint::Fingerprint;
use crate::official::Official;
use crate::Report;
use healthguard_core::{fold, links, phones};
use healthguard_domains::HostKind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// What an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A registrable domain (`nfz-zwrot.example`), lower-case ASCII.
    Domain,
    /// A link without query or fragment, `scheme://host/path`.
    Url,
    /// A sender, reply-to or in-text e-mail address, lower case.
    Email,
    /// A sender's display name or SMS sender name, as shown. Weak: anyone can show "NFZ".
    SenderName,
    /// A phone number, E.164.
    Phone,
    /// SHA-256 of an attachment, lower-case hex.
    Sha256,
}

impl IndicatorKind {
    /// Whether two reports sharing an indicator of this kind belong to one campaign.
    /// Sender names do not: every fake shows the institution's name.
    pub fn links(self) -> bool {
        !matches!(self, IndicatorKind::SenderName)
    }

    /// The snake_case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Email => "email",
            IndicatorKind::SenderName => "sender_name",
            IndicatorKind::Phone => "phone",
            IndicatorKind::Sha256 => "sha256",
        }
    }
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Indicator {
    /// What it is.
    pub kind: IndicatorKind,
    /// Its normal form.
    pub value: String,
}

impl Indicator {
    /// An indicator of `kind` with `value`.
    pub fn new(kind: IndicatorKind, value: impl Into<String>) -> Indicator {
        Indicator {
            kind,
            value: value.into(),
        }
    }
}

/// Everything triage reads from one report.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    /// The criminals' indicators, sorted, without duplicates.
    pub indicators: Vec<Indicator>,
    /// Official channels the message names or spoofs (domains, addresses, numbers), sorted.
    pub official: Vec<String>,
    /// Reporters' and victims' addresses (lower case) and numbers (E.164), sorted.
    pub personal: Vec<String>,
    /// The text a reader sees (an e-mail's subject and body), at most
    /// [`healthguard_core::MAX_TEXT_BYTES`].
    pub text: String,
    /// The text's near-duplicate fingerprint, when it is long enough.
    pub fingerprint: Option<Fingerprint>,
}

/// Longest sender name, URL or address kept as an indicator (bytes).
const MAX_VALUE: usize = 512;
/// Most links and attachments read per report.
const MAX_ITEMS: usize = 100;
/// Words just before a number or address that make it the reader's own (folded).
const POSSESSIVE: &[&str] = &[
    " twoj numer",
    " twoj adres",
    " pana numer",
    " pani numer",
    " your number",
    " your phone",
    " your mobile",
    " your email",
    " your e mail",
    " your address",
    " numarul dvs",
    " numarul tau",
    " numarul dumneavoastra",
    " adresa dvs",
    " adresa dumneavoastra",
    " ваш номер",
    " твій номер",
];

/// Collects while extracting.
struct Acc<'a> {
    official: &'a Official,
    region: &'static str,
    indicators: BTreeSet<Indicator>,
    official_seen: BTreeSet<String>,
    personal: BTreeSet<String>,
}

impl Acc<'_> {
    fn add(&mut self, kind: IndicatorKind, value: &str) {
        let value = value.trim();
        if !value.is_empty() && value.len() <= MAX_VALUE {
            self.indicators.insert(Indicator::new(kind, value));
        }
    }

    /// A host seen in a link or an address: its registrable domain, unless official or a
    /// shared platform (shortener, free or file hosting: the link says more than the domain).
    /// Returns whether the host is ordinary (its domain stands for the link).
    fn host(&mut self, host: &str) -> bool {
        if self.official.is_official_host(host) {
            self.official_seen.insert(host.to_ascii_lowercase());
            return false;
        }
        if healthguard_domains::classify_host(host) != HostKind::Ordinary {
            return false;
        }
        match healthguard_domains::registrable_domain(host) {
            Some(d) => {
                self.add(IndicatorKind::Domain, &d);
                true
            }
            None => false,
        }
    }

    fn link(&mut self, raw: &str) {
        let Some(link) = links::parse_one(links::refang(raw.trim()).trim()) else {
            return;
        };
        if link.is_email {
            self.email(&link.raw);
            return;
        }
        let ordinary = self.host(&link.host);
        if self.official.is_official_host(&link.host) {
            return;
        }
        if let Some(url) = normal_url(&link.raw, &link.host) {
            let bare = url.split_once("://").is_some_and(|(_, rest)| !rest.contains('/'));
            if !(ordinary && bare) {
                self.add(IndicatorKind::Url, &url);
            }
        }
    }

    fn email(&mut self, address: &str) {
        let a = address.trim().trim_matches(['<', '>']).to_lowercase();
        let Some((local, domain)) = a.rsplit_once('@') else {
            return;
        };
        if local.is_empty() || domain.is_empty() || self.personal.contains(&a) {
            return;
        }
        if self.official.is_official_email(&a) {
            self.official_seen.insert(a);
            return;
        }
        if !healthguard_mail::is_freemail(domain) {
            self.host(domain);
        }
        self.add(IndicatorKind::Email, &a);
    }

    fn phone(&mut self, e164: &str) {
        if self.personal.contains(e164) {
            return;
        }
        if self.official.is_official_phone(e164) {
            self.official_seen.insert(e164.to_string());
        } else {
            self.add(IndicatorKind::Phone, e164);
        }
    }

    fn sender_name(&mut self, name: &str) {
        let name: String = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return;
        }
        if self.official.is_official_sender(&name) {
            self.official_seen.insert(name);
        } else {
            self.add(IndicatorKind::SenderName, &name);
        }
    }

    /// Links, addresses and numbers of a free text; those in a possessive context are the
    /// reader's own.
    fn text(&mut self, text: &str) {
        for hit in phones::extract(text, self.region).into_iter().take(MAX_ITEMS) {
            if reference_like(text, &hit.raw) {
                continue;
            }
            if possessive_before(text, &hit.raw) {
                self.personal.insert(hit.e164);
            } else {
                self.phone(&hit.e164);
            }
        }
        for link in links::extract(text).into_iter().take(MAX_ITEMS) {
            if link.is_email && possessive_before(text, &link.raw) {
                self.personal.insert(link.raw.to_lowercase());
            } else {
                self.link(&link.raw);
            }
        }
    }
}

/// Whether a number found as a phone is part of a reference ("ZW/86207/2026", "nr 12-3456789"
/// glued to letters): a slash inside, or a letter, digit or slash right before it.
fn reference_like(text: &str, raw: &str) -> bool {
    if raw.contains('/') {
        return true;
    }
    let Some(at) = text.find(raw) else { return false };
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c == '/' || c.is_alphanumeric())
}

/// Whether the words just before the first occurrence of `needle` in `text` say "your".
fn possessive_before(text: &str, needle: &str) -> bool {
    let Some(at) = text.find(needle) else { return false };
    let mut start = at.saturating_sub(48);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let before = fold::fold(&text[start..at]).text;
    POSSESSIVE.iter().any(|p| before.contains(p))
}

/// `scheme://host/path` of a link (query and fragment dropped), or `None` when too long.
fn normal_url(raw: &str, host: &str) -> Option<String> {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_string(), raw),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let path = rest.find('/').map_or("", |p| &rest[p..]);
    let path = path.trim_end_matches('/');
    let url = format!("{scheme}://{host}{path}");
    (url.len() <= MAX_VALUE && !url.contains(char::is_whitespace)).then_some(url)
}

/// The default region for national phone numbers: the claimed institution's country.
pub(crate) fn region_of(institution: Option<&str>) -> &'static str {
    match institution.and_then(|i| i.split('.').next()) {
        Some("ro") => "RO",
        Some("gb" | "uk") => "GB",
        _ => "PL",
    }
}

/// A contact or recipient as personal data: lower-case address, or E.164 number.
fn personal_form(contact: &str, region: &str) -> Option<String> {
    let c = contact.trim();
    if c.contains('@') {
        return Some(c.trim_matches(['<', '>']).to_lowercase());
    }
    phones::parse(c, region).map(|p| p.e164)
}

/// Extracts what triage needs from `report`. Never fails: unreadable parts give nothing.
pub fn extract(report: &Report, official: &Official) -> Extracted {
    let region = region_of(report.institution.as_deref());
    let mut acc = Acc {
        official,
        region,
        indicators: BTreeSet::new(),
        official_seen: BTreeSet::new(),
        personal: BTreeSet::new(),
    };
    if let Some(c) = report.contact.as_deref().and_then(|c| personal_form(c, region)) {
        acc.personal.insert(c);
    }
    let raw = String::from_utf8_lossy(&report.message);
    let text = match report.kind.as_str() {
        "email" => email(&report.message, &mut acc),
        "url" => {
            acc.link(&raw);
            String::new()
        }
        "phone" => {
            if let Some(p) = phones::parse(raw.trim(), region) {
                acc.phone(&p.e164);
            }
            String::new()
        }
        _ => {
            let text = fold::prefix(&raw, healthguard_core::MAX_TEXT_BYTES).to_string();
            acc.text(&text);
            text
        }
    };
    if let Some(sender) = report.sender.as_deref() {
        let digits = sender.bytes().filter(u8::is_ascii_digit).count();
        match phones::parse(sender, region) {
            Some(p) if digits >= 3 && digits * 2 > sender.trim().len() => acc.phone(&p.e164),
            _ => acc.sender_name(sender),
        }
    }
    Extracted {
        fingerprint: Fingerprint::of(&crate::redact::names(&text).0),
        indicators: acc.indicators.into_iter().collect(),
        official: acc.official_seen.into_iter().collect(),
        personal: acc.personal.into_iter().collect(),
        text,
    }
}

/// An e-mail's senders, links, attachments and text.
fn email(raw: &[u8], acc: &mut Acc) -> String {
    let limits = healthguard_mail::Limits::default();
    let raw = &raw[..raw.len().min(limits.max_message_bytes)];
    if let Some(m) = mail_parser::MessageParser::default().parse(raw) {
        let recipients = [m.to(), m.cc(), m.bcc()];
        for a in recipients.into_iter().flatten() {
            for addr in a.iter().take(MAX_ITEMS) {
                if let Some(x) = addr.address.as_deref() {
                    acc.personal.insert(x.trim().to_lowercase());
                }
            }
        }
        for name in ["Delivered-To", "X-Original-To"] {
            for v in m.header_values(name).take(MAX_ITEMS) {
                if let Some(t) = v.as_text() {
                    acc.personal.insert(t.trim().trim_matches(['<', '>']).to_lowercase());
                }
            }
        }
        for part in m.attachments().take(MAX_ITEMS) {
            let hash = Sha256::digest(part.contents());
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            acc.add(IndicatorKind::Sha256, &hex);
        }
    }
    let mail = healthguard_mail::parse(raw, &limits);
    for mb in mail.from.iter().chain(mail.reply_to.iter()).chain(mail.sender.iter()) {
        if let Some(a) = &mb.address {
            acc.email(a);
        }
        if let Some(n) = &mb.name {
            acc.sender_name(n);
        }
    }
    for l in mail.links.iter().take(MAX_ITEMS) {
        acc.link(&l.href);
    }
    let text = format!("{}\n{}", mail.subject, mail.text);
    let text = fold::prefix(&text, healthguard_core::MAX_TEXT_BYTES).to_string();
    acc.text(&text);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn official() -> Official {
        Official::from_registry(healthguard_registry::builtin())
    }

    fn sms(sender: Option<&str>, text: &str) -> Report {
        Report {
            id: "r".into(),
            kind: "sms".into(),
            institution: Some("pl.nfz".into()),
            sender: sender.map(Into::into),
            message: text.as_bytes().to_vec(),
            ..Report::default()
        }
    }

    fn has(e: &Extracted, kind: IndicatorKind, value: &str) -> bool {
        e.indicators.contains(&Indicator::new(kind, value))
    }

    #[test]
    fn sms_indicators() {
        let e = extract(
            &sms(
                Some("NFZ-Info"),
                "NFZ: zwrot 312 zl. Potwierdz: https://www.nfz-zwrot.example/login?id=77a1 lub zadzwon +48 600 123 456. Wiecej: nfz.gov.pl",
            ),
            &official(),
        );
        assert!(has(&e, IndicatorKind::Domain, "nfz-zwrot.example"), "{e:?}");
        assert!(
            has(&e, IndicatorKind::Url, "https://www.nfz-zwrot.example/login"),
            "{e:?}"
        );
        assert!(has(&e, IndicatorKind::Phone, "+48600123456"), "{e:?}");
        assert!(has(&e, IndicatorKind::SenderName, "NFZ-Info"), "{e:?}");
        assert!(e.indicators.iter().all(|i| !i.value.contains("gov.pl")), "{e:?}");
        assert!(e.official.contains(&"nfz.gov.pl".to_string()), "{e:?}");
        assert!(e.fingerprint.is_some());
    }

    #[test]
    fn shortener_gives_the_link_not_the_domain() {
        let e = extract(&sms(None, "Odbierz zwrot: bit.ly/3xYz9 albo nfz-zwrot.pl"), &official());
        assert!(has(&e, IndicatorKind::Url, "http://bit.ly/3xYz9"), "{e:?}");
        assert!(!has(&e, IndicatorKind::Domain, "bit.ly"), "{e:?}");
        assert!(has(&e, IndicatorKind::Domain, "nfz-zwrot.pl"), "{e:?}");
    }

    #[test]
    fn reference_numbers_are_not_phones() {
        let e = extract(
            &sms(None, "Sprawa ZW/86207/2026 oraz nr RX/455482026, zadzwon 600 111 333"),
            &official(),
        );
        let phones: Vec<&str> = e
            .indicators
            .iter()
            .filter(|i| i.kind == IndicatorKind::Phone)
            .map(|i| i.value.as_str())
            .collect();
        assert_eq!(phones, vec!["+48600111333"], "{e:?}");
    }

    #[test]
    fn phone_sender_is_a_phone_indicator() {
        let e = extract(&sms(Some("+48 600 111 222"), "Oddzwon w sprawie zwrotu"), &official());
        assert!(has(&e, IndicatorKind::Phone, "+48600111222"), "{e:?}");
    }

    #[test]
    fn victims_number_is_personal_not_an_indicator() {
        let e = extract(
            &sms(
                None,
                "Twoj numer +48 600 999 000 zostanie zablokowany. Zadzwon +48 600 111 333",
            ),
            &official(),
        );
        assert!(e.personal.contains(&"+48600999000".to_string()), "{e:?}");
        assert!(!has(&e, IndicatorKind::Phone, "+48600999000"), "{e:?}");
        assert!(has(&e, IndicatorKind::Phone, "+48600111333"), "{e:?}");
    }

    #[test]
    fn email_indicators_and_recipients() {
        let raw = "From: \"NFZ Zwroty\" <zwroty@nfz-pl.example>\r\nReply-To: oddzial@gmail.com\r\n\
            To: Jan Kowalski <jan.kowalski@example.com>\r\nSubject: Zwrot\r\n\
            MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/html\r\n\r\n<p>Prosimy <a href=\"https://nfz-pl.example/zwrot?u=jan\">kliknij</a>, \
            kontakt jan.kowalski@example.com</p>\r\n--b\r\nContent-Type: application/pdf\r\n\
            Content-Disposition: attachment; filename=z.pdf\r\n\r\n%PDF-1.4 x\r\n--b--\r\n";
        let r = Report {
            kind: "email".into(),
            message: raw.as_bytes().to_vec(),
            contact: Some("Reporter@Example.org".into()),
            ..Report::default()
        };
        let e = extract(&r, &official());
        assert!(has(&e, IndicatorKind::Domain, "nfz-pl.example"), "{e:?}");
        assert!(has(&e, IndicatorKind::Email, "zwroty@nfz-pl.example"), "{e:?}");
        assert!(has(&e, IndicatorKind::Email, "oddzial@gmail.com"), "{e:?}");
        assert!(
            !has(&e, IndicatorKind::Domain, "gmail.com"),
            "freemail is no campaign domain"
        );
        assert!(has(&e, IndicatorKind::Url, "https://nfz-pl.example/zwrot"), "{e:?}");
        assert!(has(&e, IndicatorKind::SenderName, "NFZ Zwroty"), "{e:?}");
        assert!(e.indicators.iter().any(|i| i.kind == IndicatorKind::Sha256), "{e:?}");
        assert!(e.personal.contains(&"jan.kowalski@example.com".to_string()));
        assert!(e.personal.contains(&"reporter@example.org".to_string()));
        assert!(!e.indicators.iter().any(|i| i.value.contains("kowalski")), "{e:?}");
    }

    #[test]
    fn spoofed_official_sender_is_not_an_indicator() {
        let raw = b"From: NFZ <kontakt@nfz.gov.pl>\r\nSubject: x\r\n\r\nhello\r\n";
        let r = Report {
            kind: "email".into(),
            message: raw.to_vec(),
            ..Report::default()
        };
        let e = extract(&r, &official());
        assert!(!e.indicators.iter().any(|i| i.kind.links()), "{e:?}");
    }

    #[test]
    fn url_and_phone_reports() {
        let u = Report {
            kind: "url".into(),
            message: b"hxxps://pay-nfz[.]example/a".to_vec(),
            ..Report::default()
        };
        let e = extract(&u, &official());
        assert!(has(&e, IndicatorKind::Domain, "pay-nfz.example"), "{e:?}");
        let p = Report {
            kind: "phone".into(),
            message: b"+48 600 321 321".to_vec(),
            ..Report::default()
        };
        assert!(has(&extract(&p, &official()), IndicatorKind::Phone, "+48600321321"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(kind in "(sms|email|url|phone|text|x)", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let r = Report { kind, message: bytes, sender: Some("\u{0}+48".into()), ..Report::default() };
            let _ = extract(&r, &Official::default());
        }
    }
}
