//! ARF abuse report (RFC 5965): a `multipart/report; report-type=feedback-report` message
//! with a human-readable part, the machine-readable `message/feedback-report` part
//! (`Feedback-Type: fraud`, `Reported-Domain`, `Reported-Uri`) and the campaign's first
//! report as `message/rfc822`, rebuilt from what the criminals wrote with every kind of
//! personal data redacted (recipients are never copied).

use super::{blocklist, rfc5322, uuid, Context};
use crate::campaign::Campaign;
use crate::indicators::{extract, IndicatorKind};
use crate::official::Official;
use crate::redact::{redact, Keep};
use crate::Report;
use base64::Engine;

/// Most `Reported-Uri` fields per report.
const MAX_URIS: usize = 100;

/// One report as the ARF shows it: its sender and its text, redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// `sms`, `email`, …
    pub kind: String,
    /// Display name of the sender (the SMS sender or the e-mail's `From` name).
    pub sender_name: Option<String>,
    /// The e-mail's `From` address.
    pub sender_address: Option<String>,
    /// The e-mail's subject, redacted.
    pub subject: Option<String>,
    /// When it was reported.
    pub reported_ms: i64,
    /// The text, redacted.
    pub body: String,
}

impl Sample {
    /// The redacted sample of `report`.
    pub fn of(report: &Report, official: &Official) -> Sample {
        let x = extract(report, official);
        let keep = Keep::of(&x, report.institution.as_deref(), report.contact.as_deref());
        let mut s = Sample {
            kind: report.kind.clone(),
            sender_name: report.sender.clone(),
            sender_address: None,
            subject: None,
            reported_ms: report.created_at_ms,
            body: String::new(),
        };
        if report.kind == "email" {
            let mail = healthguard_mail::parse(&report.message, &healthguard_mail::Limits::default());
            if let Some(from) = mail.from.first() {
                s.sender_name = from.name.as_deref().map(|n| redact(n, &keep).text);
                s.sender_address = from.address.clone();
            }
            let text = redact(&x.text, &keep).text;
            let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
            s.subject = Some(subject.to_string());
            s.body = body.to_string();
        } else if x.text.is_empty() {
            s.body = redact(&String::from_utf8_lossy(&report.message), &keep).text;
        } else {
            s.body = redact(&x.text, &keep).text;
        }
        s
    }
}

/// A header value: control characters dropped, at most 200 characters, RFC 2047 encoded
/// when not ASCII.
fn header_text(v: &str) -> String {
    let clean: String = v.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.is_ascii() {
        clean
    } else {
        format!(
            "=?utf-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(clean)
        )
    }
}

/// Whether `a` can stand in an address header as is.
fn plain_address(a: &str) -> bool {
    a.contains('@')
        && a.len() <= 254
        && a.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'(' | b')' | b',' | b';' | b'\\'))
}

/// Base64 lines of 76 characters.
fn base64_lines(data: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(data.as_bytes());
    b.as_bytes()
        .chunks(76)
        .map(|l| String::from_utf8_lossy(l).into_owned() + "\r\n")
        .collect()
}

/// The redacted original as an RFC 5322 message.
fn original(s: &Sample) -> String {
    let name = s.sender_name.as_deref().map(header_text).unwrap_or_default();
    let address = s.sender_address.as_deref().filter(|a| plain_address(a)).map_or_else(
        || {
            format!(
                "{}@sender.invalid",
                s.kind.replace(|c: char| !c.is_ascii_alphanumeric(), "")
            )
        },
        str::to_string,
    );
    let quoted = name.replace('\\', "").replace('"', "'");
    let subject = match (&s.subject, &s.sender_name) {
        (Some(sub), _) => header_text(sub),
        (None, Some(n)) => header_text(&format!("{} from {n}", s.kind.to_uppercase())),
        (None, None) => header_text(&s.kind.to_uppercase()),
    };
    format!(
        "From: \"{quoted}\" <{address}>\r\nTo: [redacted]\r\nSubject: {subject}\r\nDate: {}\r\nMIME-Version: 1.0\r\n\
         X-HealthGuard-Channel: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        rfc5322(s.reported_ms),
        header_text(&s.kind),
        base64_lines(&s.body)
    )
}

/// The ARF message for one campaign; `from` is the reporting address.
pub fn report(c: &Campaign, sample: Option<&Sample>, ctx: &Context, from: &str) -> String {
    let from = if plain_address(from) {
        from
    } else {
        "healthguard@localhost"
    };
    let domains = blocklist::domains(&[c], ctx);
    let uris: Vec<&str> = c
        .indicators
        .keys()
        .filter(|i| i.kind == IndicatorKind::Url && i.value.bytes().all(|b| b.is_ascii_graphic()))
        .map(|i| i.value.as_str())
        .filter(|u| {
            u.split_once("://")
                .map(|(_, r)| r.split('/').next().unwrap_or_default())
                .is_some_and(|h| !ctx.official.is_official_host(h))
        })
        .take(MAX_URIS)
        .collect();
    let institution = ctx.institution_name(c);
    let mut human = format!(
        "This is an abuse report about a phishing campaign ({}) impersonating {institution}.\r\n\
         It was reported {} time(s) between {} and {}.\r\n\r\n",
        c.id,
        c.reports.len(),
        rfc5322(c.first_seen_ms),
        rfc5322(c.last_seen_ms)
    );
    if !domains.is_empty() {
        human.push_str(&format!("Domains: {}\r\n", domains.join(", ")));
    }
    if !uris.is_empty() {
        human.push_str(&format!("Links: {}\r\n", uris.join(" ")));
    }
    human.push_str("Personal data in the attached report was redacted.\r\n");
    let boundary = format!("hg-arf-{}", uuid(&format!("arf/{}/{}", c.id, ctx.generated_at_ms)));
    let mut feedback = format!(
        "Feedback-Type: fraud\r\nUser-Agent: HealthGuard/{}\r\nVersion: 1\r\nArrival-Date: {}\r\nIncidents: {}\r\n",
        env!("CARGO_PKG_VERSION"),
        rfc5322(c.first_seen_ms),
        c.reports.len().max(1)
    );
    for d in &domains {
        feedback.push_str(&format!("Reported-Domain: {d}\r\n"));
    }
    for u in &uris {
        feedback.push_str(&format!("Reported-Uri: {u}\r\n"));
    }
    let attached = match sample {
        Some(s) => original(s),
        None => "Subject: (no sample)\r\n\r\n".to_string(),
    };
    format!(
        "From: HealthGuard <{from}>\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@healthguard.invalid>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=feedback-report;\r\n boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\
         --{boundary}\r\nContent-Type: message/feedback-report\r\n\r\n{feedback}\r\n\
         --{boundary}\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n{attached}\r\n\
         --{boundary}--\r\n",
        header_text(&format!("Abuse report: phishing impersonating {institution} ({})", c.id)),
        rfc5322(ctx.generated_at_ms),
        uuid(&format!("arf-id/{}/{}", c.id, ctx.generated_at_ms)),
        base64_lines(&human),
    )
}

/// Several ARF messages as one mbox (`From ` separator lines).
pub fn mbox(reports: &[String], ctx: &Context) -> String {
    let sep = format!("From healthguard@localhost {}\n", rfc5322(ctx.generated_at_ms));
    reports
        .iter()
        .map(|r| format!("{sep}{}\n", r.replace("\r\n", "\n")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Grouper;
    use mail_parser::{MessageParser, MimeHeaders, PartType};

    #[test]
    fn arf_parses_back_and_holds_no_personal_data() {
        let registry = healthguard_registry::builtin();
        let official = Official::from_registry(registry);
        let raw = "From: \"NFZ Zwroty\" <zwroty@nfz-pl-zwrot.pl>\r\nTo: Anna Nowak <anna.nowak@example.com>\r\n\
            Subject: Zwrot dla Anna Nowak\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
            Szanowna Pani Anna Nowak, zwrot na konto PL61 1090 1014 0000 0712 1981 2874, PESEL 44051401359.\r\n\
            Potwierdz na https://nfz-pl-zwrot.pl/zwrot?u=anna oraz sprawdz nfz.gov.pl\r\n";
        let report = Report {
            id: "r1".into(),
            created_at_ms: 1_796_298_480_000,
            kind: "email".into(),
            institution: Some("pl.nfz".into()),
            sender: None,
            message: raw.as_bytes().to_vec(),
            contact: Some("reporter@example.org".into()),
        };
        let mut g = Grouper::new(official.clone());
        g.add(&report);
        let c = g.campaigns()[0].clone();
        let ctx = Context {
            generated_at_ms: 1_796_298_490_000,
            registry,
            official: &official,
        };
        let arf = report_for(&c, &report, &ctx);
        let m = MessageParser::default().parse(arf.as_bytes()).expect("parses");
        let ct = m.content_type().unwrap();
        assert_eq!(ct.ctype(), "multipart");
        assert_eq!(ct.subtype(), Some("report"));
        assert_eq!(ct.attribute("report-type"), Some("feedback-report"));
        let types: Vec<String> = m
            .parts
            .iter()
            .filter_map(|p| {
                p.content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
            })
            .collect();
        assert!(types.contains(&"message/feedback-report".to_string()), "{types:?}");
        assert!(types.contains(&"message/rfc822".to_string()), "{types:?}");
        let feedback = m
            .parts
            .iter()
            .find(|p| p.content_type().is_some_and(|c| c.subtype() == Some("feedback-report")))
            .map(|p| String::from_utf8_lossy(p.contents()).into_owned())
            .unwrap();
        assert!(feedback.contains("Feedback-Type: fraud"), "{feedback}");
        assert!(feedback.contains("Reported-Domain: nfz-pl-zwrot.pl"), "{feedback}");
        assert!(
            feedback.contains("Reported-Uri: https://nfz-pl-zwrot.pl/zwrot"),
            "{feedback}"
        );
        assert!(!feedback.contains("gov.pl"), "{feedback}");
        let inner = m
            .parts
            .iter()
            .find_map(|p| match &p.body {
                PartType::Message(inner) => Some(inner.clone()),
                _ => None,
            })
            .expect("an attached message");
        let body = inner.body_text(0).unwrap().into_owned();
        assert!(body.contains("Szanowna Pani [NAME]"), "{body}");
        assert!(body.contains("[IBAN]") && body.contains("[PESEL]"), "{body}");
        assert!(body.contains("nfz-pl-zwrot.pl"), "{body}");
        assert_eq!(inner.subject(), Some("Zwrot dla [NAME]"));
        assert_eq!(
            inner.from().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("zwroty@nfz-pl-zwrot.pl")
        );
        let everything = format!("{arf}{body}");
        for personal in ["Anna", "Nowak", "anna.nowak", "reporter@", "44051401359", "1090 1014"] {
            assert!(!everything.contains(personal), "{personal} in the ARF");
        }
    }

    fn report_for(c: &Campaign, r: &Report, ctx: &Context) -> String {
        report(c, Some(&Sample::of(r, ctx.official)), ctx, "abuse@csirt.example")
    }

    #[test]
    fn hostile_sender_cannot_inject_headers() {
        let s = Sample {
            kind: "sms".into(),
            sender_name: Some("NFZ\r\nBcc: x@y.pl\"<>".into()),
            sender_address: Some("a@b.pl>\r\nX: y".into()),
            subject: None,
            reported_ms: 0,
            body: "tekst".into(),
        };
        let o = original(&s);
        assert!(!o.contains("\r\nBcc:") && !o.contains("\r\nX: y"), "{o}");
        assert!(o.contains("<sms@sender.invalid>"), "{o}");
        let m = MessageParser::default().parse(o.as_bytes()).unwrap();
        assert_eq!(m.body_text(0).unwrap().trim(), "tekst");
    }
}
