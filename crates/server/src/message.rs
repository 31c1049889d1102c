//! What clients send: the message to check (JSON, form or upload), and the one function
//! that analyses any of them, e-mail included.

use crate::error::ApiError;
use healthguard_core::{Analysis, Checker, Input, InputKind};
use healthguard_registry::Lang;
use serde::Deserialize;
use utoipa::ToSchema;

/// A message as the JSON API takes it; `kind` says which.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum WireMessage {
    /// An SMS: sender as shown on the phone (optional) and text.
    Sms {
        /// Sender name or number, e.g. `NFZ` or `+48600100200`.
        #[serde(default)]
        sender: Option<String>,
        /// The text of the SMS.
        text: String,
    },
    /// A raw e-mail (RFC 5322, headers and body) as text.
    Email {
        /// The whole message source.
        raw: String,
    },
    /// One link.
    Url {
        /// The link as received (defanged forms such as `hxxp://a[.]b` are fine).
        url: String,
    },
    /// One phone number.
    Phone {
        /// The number as received.
        number: String,
    },
    /// Pasted text of unknown origin.
    Text {
        /// The text.
        text: String,
    },
    /// What a caller said on the phone, and the number shown (caller ID can be forged).
    Call {
        /// The number the phone showed, if any.
        #[serde(default)]
        number: Option<String>,
        /// What the caller said, as remembered or transcribed.
        text: String,
    },
}

/// `POST /v1/check`: a message and the language of the answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// The message.
    #[serde(flatten)]
    pub message: WireMessage,
    /// Language of the explanations: `pl`, `ro`, `en` or `uk`. Default: the message's
    /// language, else English.
    #[serde(default)]
    pub lang: Option<String>,
}

/// `POST /v1/reports`: a message, an optional way to reach the reporter, and consent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportRequest {
    /// The message being reported.
    #[serde(flatten)]
    pub message: WireMessage,
    /// Language of the reporter (stored with the report).
    #[serde(default)]
    pub lang: Option<String>,
    /// How to reach the reporter (e-mail or phone); stored only when `consent` is true.
    #[serde(default)]
    pub contact: Option<String>,
    /// The reporter agrees that the contact is stored with the report.
    #[serde(default)]
    pub consent: bool,
}

/// A message ready to analyse and to store, whichever way it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// An SMS.
    Sms {
        /// Sender, when given.
        sender: Option<String>,
        /// Text.
        text: String,
    },
    /// A raw e-mail, as bytes (uploads need not be UTF-8).
    Email {
        /// The message source.
        raw: Vec<u8>,
    },
    /// One link.
    Url(String),
    /// One phone number.
    Phone(String),
    /// Pasted text.
    Text(String),
    /// What a caller said.
    Call {
        /// The number shown, when given.
        number: Option<String>,
        /// What was said.
        text: String,
    },
}

impl From<WireMessage> for Submission {
    fn from(m: WireMessage) -> Submission {
        match m {
            WireMessage::Sms { sender, text } => Submission::Sms {
                sender: sender.filter(|s| !s.trim().is_empty()),
                text,
            },
            WireMessage::Email { raw } => Submission::Email { raw: raw.into_bytes() },
            WireMessage::Url { url } => Submission::Url(url),
            WireMessage::Phone { number } => Submission::Phone(number),
            WireMessage::Text { text } => Submission::Text(text),
            WireMessage::Call { number, text } => Submission::Call {
                number: number.filter(|n| !n.trim().is_empty()),
                text,
            },
        }
    }
}

impl Submission {
    /// The kind of input.
    pub fn kind(&self) -> InputKind {
        match self {
            Submission::Sms { .. } => InputKind::Sms,
            Submission::Email { .. } => InputKind::Email,
            Submission::Url(_) => InputKind::Url,
            Submission::Phone(_) => InputKind::Phone,
            Submission::Text(_) => InputKind::Text,
            Submission::Call { .. } => InputKind::Call,
        }
    }

    /// The message itself as stored with a report (the SMS text, the e-mail source, …).
    pub fn content(&self) -> &[u8] {
        match self {
            Submission::Sms { text, .. } | Submission::Text(text) | Submission::Call { text, .. } => text.as_bytes(),
            Submission::Email { raw } => raw,
            Submission::Url(s) | Submission::Phone(s) => s.as_bytes(),
        }
    }

    /// The SMS sender or the number a call came from, when there is one.
    pub fn sender(&self) -> Option<&str> {
        match self {
            Submission::Sms { sender, .. } => sender.as_deref(),
            Submission::Call { number, .. } => number.as_deref(),
            _ => None,
        }
    }

    /// Size in bytes, to choose between checking inline and on a blocking thread.
    pub fn len(&self) -> usize {
        self.content().len() + self.sender().map_or(0, str::len)
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.content().iter().all(u8::is_ascii_whitespace) && self.sender().is_none_or(|s| s.trim().is_empty())
    }

    /// Why the submission cannot be checked, if it cannot: nothing to check, or a `url`
    /// that is not a web address.
    pub fn problem(&self) -> Option<&'static str> {
        if self.content().iter().all(u8::is_ascii_whitespace) {
            return Some("the message is empty: send the text, link, number or e-mail to check");
        }
        match self {
            Submission::Url(url) if healthguard_core::links::parse_one(url.trim()).is_none_or(|l| l.is_email) => {
                Some("`url` is not a web address: send one link, such as https://example.org/page")
            }
            _ => None,
        }
    }
}

/// How e-mail authentication is judged: the server queries DNS only with [`MailAuth::LiveDns`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MailAuth {
    /// Nothing is trusted: every e-mail is unauthenticated (the default). Authentication-Results
    /// headers in the message are ignored: anyone can write them.
    #[default]
    Untrusted,
    /// Trust the `Authentication-Results` header added by your own mail server, identified by
    /// its authserv-id, and ARC seals of the listed forwarders.
    TrustedHeaders {
        /// Your MTA's authserv-id, e.g. `mx.clinic.example`.
        authserv_id: String,
        /// ARC sealers (domains) whose seal may vouch for a result broken by forwarding.
        trusted_arc_sealers: Vec<String>,
    },
    /// Verify SPF, DKIM, DMARC and ARC here against live DNS (the system resolver), answers
    /// cached for the life of the server.
    LiveDns {
        /// Bound on each DNS query.
        per_query: std::time::Duration,
        /// Bound on the whole verification of one message.
        total: std::time::Duration,
        /// ARC sealers (domains) whose seal may vouch for a result broken by forwarding.
        trusted_arc_sealers: Vec<String>,
    },
}

/// Everything needed to analyse a [`Submission`].
pub struct Analyzer {
    /// The checker, built once from the registry.
    pub checker: Checker,
    mail_limits: healthguard_mail::Limits,
    authenticator: Box<dyn healthguard_mail::Authenticator + Send + Sync>,
    /// Whether checking an e-mail waits on the network (then it runs on the blocking pool).
    pub(crate) waits_on_network: bool,
}

impl Analyzer {
    /// Builds the analyser; e-mails larger than `max_email_bytes` are cut (and say so).
    pub fn new(checker: Checker, mail_auth: &MailAuth, max_email_bytes: usize) -> Analyzer {
        let authenticator: Box<dyn healthguard_mail::Authenticator + Send + Sync> = match mail_auth {
            MailAuth::Untrusted => Box::new(healthguard_mail::NoAuth),
            MailAuth::TrustedHeaders {
                authserv_id,
                trusted_arc_sealers,
            } => Box::new(healthguard_mail::TrustedHeaders {
                authserv_id: authserv_id.clone(),
                trusted_arc_sealers: trusted_arc_sealers.clone(),
            }),
            MailAuth::LiveDns {
                per_query,
                total,
                trusted_arc_sealers,
            } => match healthguard_mail::dns::DnsAuthenticator::online(*per_query, *total, trusted_arc_sealers.clone())
            {
                Ok(dns) => Box::new(dns),
                Err(e) => {
                    eprintln!("healthguard: live DNS unavailable ({e}); e-mail senders are not verified");
                    Box::new(healthguard_mail::NoAuth)
                }
            },
        };
        let waits_on_network = matches!(mail_auth, MailAuth::LiveDns { .. });
        let mail_limits = healthguard_mail::Limits {
            max_message_bytes: max_email_bytes,
            ..healthguard_mail::Limits::default()
        };
        Analyzer {
            checker,
            mail_limits,
            authenticator,
            waits_on_network,
        }
    }

    /// Analyses any submission. The one entry point for every kind, e-mail included (JSON
    /// `{"kind":"email","raw":…}`, an upload, or the web form's file).
    pub fn analyze(&self, s: &Submission) -> Analysis {
        match s {
            Submission::Sms { sender, text } => self.checker.check(Input::Sms {
                sender: sender.as_deref(),
                text,
            }),
            Submission::Text(text) => self.checker.check(Input::Text(text)),
            Submission::Url(url) => self.checker.check(Input::Url(url)),
            Submission::Phone(number) => self.checker.check(Input::Phone(number)),
            Submission::Call { number, text } => self.checker.check(Input::Call {
                number: number.as_deref(),
                text,
            }),
            Submission::Email { raw } => {
                healthguard_mail::check(&self.checker, raw, &self.mail_limits, self.authenticator.as_ref())
            }
        }
    }
}

/// Parses an optional language code; unknown codes are a 400 with the list of languages.
pub fn parse_lang(code: Option<&str>) -> Result<Option<Lang>, ApiError> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => Lang::from_code(c).map(Some).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "unsupported_language",
                format!(
                    "unsupported language {:?}: use {}",
                    c.chars().take(16).collect::<String>(),
                    Lang::supported_list()
                ),
            )
        }),
    }
}

/// The first supported language in an `Accept-Language` header, by quality.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, usize, Lang)> = None;
    for (pos, part) in header.split(',').take(32).enumerate() {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("");
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q.is_nan() || q <= 0.0 {
            continue;
        }
        if let Some(lang) = Lang::from_code(primary) {
            let better = match best {
                None => true,
                Some((bq, bpos, _)) => q > bq || (q == bq && pos < bpos),
            };
            if better {
                best = Some((q, pos, lang));
            }
        }
    }
    best.map(|(_, _, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(from_accept_language("pl-PL,pl;q=0.9,en;q=0.8"), Some(Lang::Pl));
        assert_eq!(from_accept_language("de-DE, ro;q=0.5, en;q=0.7"), Some(Lang::De));
        assert_eq!(from_accept_language("nl-NL, ro;q=0.5, en;q=0.7"), Some(Lang::En));
        assert_eq!(from_accept_language("uk"), Some(Lang::Uk));
        assert_eq!(from_accept_language("cs-CZ"), Some(Lang::Cs));
        assert_eq!(from_accept_language("nl, sv"), None);
        assert_eq!(from_accept_language("en;q=0, ro"), Some(Lang::Ro));
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn wire_messages() {
        let m: CheckRequest = serde_json::from_str(r#"{"kind":"sms","sender":"NFZ","text":"x","lang":"pl"}"#).unwrap();
        assert_eq!(m.lang.as_deref(), Some("pl"));
        assert_eq!(
            Submission::from(m.message),
            Submission::Sms {
                sender: Some("NFZ".into()),
                text: "x".into()
            }
        );
        let r: ReportRequest = serde_json::from_str(r#"{"kind":"email","raw":"From: a"}"#).unwrap();
        assert!(!r.consent);
        assert!(serde_json::from_str::<CheckRequest>(r#"{"kind":"fax","text":"x"}"#).is_err());
    }
}
