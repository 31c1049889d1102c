//! The policy, pure: a verdict, the message's headers and recipients, and the configuration
//! in; the header edits and the disposition the MTA is asked for out. No I/O, no protocol:
//! [`crate::session`] turns a [`Decision`] into milter replies.

use crate::config::{Action, Config, OnFailure};
use healthguard_core::{Analysis, Verdict};
use healthguard_registry::Lang;

/// Prefix of the headers HealthGuard writes; incoming ones are removed (a sender could forge
/// them).
pub const HEADER_PREFIX: &str = "X-HealthGuard-";

/// Most finding codes listed in `X-HealthGuard-Findings` (the strongest first).
const MAX_LISTED_FINDINGS: usize = 20;

/// What the checker concluded, in the few fields the policy needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// The score.
    pub score: f32,
    /// The registry id of the claimed institution.
    pub institution: Option<String>,
    /// Finding codes, strongest first.
    pub findings: Vec<String>,
}

impl From<&Analysis> for Outcome {
    fn from(a: &Analysis) -> Outcome {
        Outcome {
            verdict: a.verdict,
            score: a.score,
            institution: a.institution.clone(),
            findings: a.findings.iter().map(|f| f.code.to_string()).collect(),
        }
    }
}

/// One change to the message's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Replace the `index`-th (1-based, among headers of this name) header `name` with
    /// `value`; an empty value deletes it (the milter protocol's `SMFIR_CHGHEADER`).
    Change {
        /// Header name.
        name: String,
        /// 1-based occurrence among headers of the same name.
        index: u32,
        /// New value; empty deletes the header.
        value: String,
    },
    /// Append a header.
    Add {
        /// Header name.
        name: String,
        /// Value.
        value: String,
    },
}

/// What the MTA is asked to do with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Deliver it.
    Accept,
    /// Hold it (Postfix: the hold queue) with this reason.
    Quarantine(String),
    /// Refuse it: `550 5.7.1 <text>`.
    Reject(String),
    /// Refuse it for now: `451 4.7.1 <text>`.
    Tempfail(String),
}

/// The header edits and the disposition for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The action the policy chose (`None` when the message could not be checked).
    pub action: Option<Action>,
    /// Header edits, in the order to send them.
    pub edits: Vec<HeaderEdit>,
    /// The disposition.
    pub disposition: Disposition,
    /// A warning banner is to be put into the body, in this language (action `banner`).
    pub banner: Option<Lang>,
}

/// The decision for a checked message. `headers` are the message's headers as the MTA sent
/// them (name, value), `recipients` the envelope recipients. The strictest action of the
/// recipients' policies wins (one message, one disposition); the tag and the banner are in
/// the language of the first recipient whose domain sets one, else the configured default.
pub fn decide(config: &Config, outcome: &Outcome, headers: &[(String, String)], recipients: &[String]) -> Decision {
    let action = recipients
        .iter()
        .map(|r| config.action_for(outcome.verdict, r))
        .max()
        .unwrap_or_else(|| config.actions.get(outcome.verdict));
    let lang = recipients
        .iter()
        .find_map(|r| config.domain_policy(r).and_then(|p| p.language))
        .unwrap_or(config.language);

    let mut edits = remove_ours(headers);
    if action == Action::Reject {
        return Decision {
            action: Some(action),
            edits: Vec::new(),
            disposition: Disposition::Reject(reject_text(config, outcome)),
            banner: None,
        };
    }
    if config.add_headers {
        edits.extend(our_headers(outcome));
    }
    if matches!(action, Action::Tag | Action::Banner | Action::Quarantine) {
        if let Some(tag) = config.tag(outcome.verdict, lang) {
            edits.extend(tag_subject(headers, &tag));
        }
    }
    let disposition = match action {
        Action::Quarantine => Disposition::Quarantine(format!("HealthGuard: {}", outcome.verdict.name())),
        _ => Disposition::Accept,
    };
    Decision {
        action: Some(action),
        edits,
        disposition,
        banner: (action == Action::Banner).then_some(lang),
    }
}

/// The decision for a message that could not be checked (timeout, internal error, too
/// large): forged `X-HealthGuard-*` headers are still removed; delivered or tempfailed as
/// configured.
pub fn failure(config: &Config, headers: &[(String, String)]) -> Decision {
    let disposition = match config.on_failure {
        OnFailure::Accept => Disposition::Accept,
        OnFailure::Tempfail => {
            Disposition::Tempfail("HealthGuard could not check this message, try again later".into())
        }
    };
    Decision {
        action: None,
        edits: remove_ours(headers),
        disposition,
        banner: None,
    }
}

/// Deletes every incoming `X-HealthGuard-*` header, highest index first for each name so
/// that the indexes stay valid whatever the MTA renumbers.
fn remove_ours(headers: &[(String, String)]) -> Vec<HeaderEdit> {
    let mut seen: Vec<(String, u32)> = Vec::new();
    let mut edits = Vec::new();
    for (name, _) in headers {
        let lower = name.to_ascii_lowercase();
        let count = match seen.iter_mut().find(|(n, _)| *n == lower) {
            Some((_, c)) => {
                *c += 1;
                *c
            }
            None => {
                seen.push((lower.clone(), 1));
                1
            }
        };
        if lower.starts_with(&HEADER_PREFIX.to_ascii_lowercase()) {
            edits.push(HeaderEdit::Change {
                name: name.clone(),
                index: count,
                value: String::new(),
            });
        }
    }
    edits.sort_by(|a, b| match (a, b) {
        (
            HeaderEdit::Change {
                name: na, index: ia, ..
            },
            HeaderEdit::Change {
                name: nb, index: ib, ..
            },
        ) => na.to_ascii_lowercase().cmp(&nb.to_ascii_lowercase()).then(ib.cmp(ia)),
        _ => std::cmp::Ordering::Equal,
    });
    edits
}

fn our_headers(outcome: &Outcome) -> Vec<HeaderEdit> {
    let add = |suffix: &str, value: String| HeaderEdit::Add {
        name: format!("{HEADER_PREFIX}{suffix}"),
        value,
    };
    let mut out = vec![
        add("Verdict", outcome.verdict.name().to_string()),
        add("Score", format!("{:.1}", outcome.score)),
    ];
    if let Some(id) = &outcome.institution {
        out.push(add("Institution", header_safe(id)));
    }
    if !outcome.findings.is_empty() {
        // Each code once (a finding can be raised for several links), strongest first.
        let mut codes: Vec<String> = Vec::new();
        for code in &outcome.findings {
            if codes.len() == MAX_LISTED_FINDINGS {
                break;
            }
            let code = header_safe(code);
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        out.push(add("Findings", codes.join(", ")));
    }
    out
}

/// The edit that puts `tag` in front of the subject (added when there is none); nothing when
/// the subject already starts with it.
fn tag_subject(headers: &[(String, String)], tag: &str) -> Option<HeaderEdit> {
    let word = encoded_tag(tag);
    match headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("Subject")) {
        Some((_, value)) => {
            let current = value.trim_start();
            if current.starts_with(tag) || current.starts_with(word.trim_end()) {
                return None;
            }
            Some(HeaderEdit::Change {
                name: "Subject".into(),
                index: 1,
                value: format!("{word}{current}"),
            })
        }
        None => Some(HeaderEdit::Add {
            name: "Subject".into(),
            value: word.trim_end().to_string(),
        }),
    }
}

/// The tag followed by a space, as an RFC 2047 encoded word when it is not ASCII (the space
/// inside the word, so that it survives before another encoded word).
fn encoded_tag(tag: &str) -> String {
    if tag.is_ascii() {
        format!("{tag} ")
    } else {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{tag} "));
        format!("=?UTF-8?B?{b64}?= ")
    }
}

/// The rejection text: the configured one with `{verdict}` and `{institution}` filled in,
/// printable ASCII only (an SMTP reply), without `%` (Postfix reads it as a format).
fn reject_text(config: &Config, outcome: &Outcome) -> String {
    let institution = outcome.institution.as_deref().unwrap_or("a health institution");
    let text = config
        .reject_text
        .replace("{verdict}", outcome.verdict.name())
        .replace("{institution}", institution);
    header_safe(&text).replace('%', "")
}

/// Printable ASCII only; anything else becomes `?`.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            score: 12.34,
            institution: Some("pl-nfz".into()),
            findings: vec![
                "DISPLAY_NAME_IMPERSONATION".into(),
                "LOOKALIKE_DOMAIN".into(),
                "DISPLAY_NAME_IMPERSONATION".into(),
            ],
        }
    }

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn rcpt(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn added(d: &Decision) -> Vec<(String, String)> {
        d.edits
            .iter()
            .filter_map(|e| match e {
                HeaderEdit::Add { name, value } => Some((name.clone(), value.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn phishing_by_default_gets_headers_and_a_subject_tag_and_is_delivered() {
        let d = decide(
            &Config::default(),
            &outcome(Verdict::Phishing),
            &headers(&[("From", "x@y.pl"), ("Subject", "Zwrot")]),
            &rcpt(&["a@b.pl"]),
        );
        assert_eq!(d.action, Some(Action::Tag));
        assert_eq!(d.disposition, Disposition::Accept);
        assert_eq!(
            added(&d),
            headers(&[
                ("X-HealthGuard-Verdict", "phishing"),
                ("X-HealthGuard-Score", "12.3"),
                ("X-HealthGuard-Institution", "pl-nfz"),
                ("X-HealthGuard-Findings", "DISPLAY_NAME_IMPERSONATION, LOOKALIKE_DOMAIN"),
            ])
        );
        assert!(d.edits.contains(&HeaderEdit::Change {
            name: "Subject".into(),
            index: 1,
            value: "[PHISHING] Zwrot".into()
        }));
    }

    #[test]
    fn an_accepted_verdict_gets_headers_but_no_tag() {
        let mut o = outcome(Verdict::Unverified);
        o.institution = None;
        o.findings.clear();
        let d = decide(
            &Config::default(),
            &o,
            &headers(&[("Subject", "Hi")]),
            &rcpt(&["a@b.pl"]),
        );
        assert_eq!(d.action, Some(Action::Accept));
        assert_eq!(
            added(&d),
            headers(&[("X-HealthGuard-Verdict", "unverified"), ("X-HealthGuard-Score", "12.3")])
        );
        assert!(!d
            .edits
            .iter()
            .any(|e| matches!(e, HeaderEdit::Change { name, .. } if name == "Subject")));
    }

    #[test]
    fn forged_headers_are_removed_highest_index_first_even_on_failure() {
        let h = headers(&[
            ("x-healthguard-verdict", "official"),
            ("Subject", "s"),
            ("X-HealthGuard-Verdict", "official"),
            ("X-HEALTHGUARD-Score", "0"),
            ("X-Other", "1"),
        ]);
        let expected = vec![
            HeaderEdit::Change {
                name: "X-HEALTHGUARD-Score".into(),
                index: 1,
                value: String::new(),
            },
            HeaderEdit::Change {
                name: "X-HealthGuard-Verdict".into(),
                index: 2,
                value: String::new(),
            },
            HeaderEdit::Change {
                name: "x-healthguard-verdict".into(),
                index: 1,
                value: String::new(),
            },
        ];
        let f = failure(&Config::default(), &h);
        assert_eq!(f.edits, expected);
        assert_eq!(f.disposition, Disposition::Accept);
        let d = decide(&Config::default(), &outcome(Verdict::Official), &h, &rcpt(&["a@b.pl"]));
        assert_eq!(d.edits[..3], expected[..]);
    }

    #[test]
    fn failure_tempfails_when_configured() {
        let c = Config::parse("on_failure = \"tempfail\"").unwrap();
        assert!(matches!(failure(&c, &[]).disposition, Disposition::Tempfail(_)));
    }

    #[test]
    fn the_strictest_recipient_policy_wins_and_reject_says_why() {
        let c = Config::parse(
            r#"
            [domains."strict.pl"]
            phishing = "reject"
            [domains."hold.pl"]
            phishing = "quarantine"
            "#,
        )
        .unwrap();
        let h = headers(&[("Subject", "x"), ("X-HealthGuard-Verdict", "official")]);
        let o = outcome(Verdict::Phishing);
        let d = decide(&c, &o, &h, &rcpt(&["a@other.pl", "b@hold.pl"]));
        assert_eq!(d.disposition, Disposition::Quarantine("HealthGuard: phishing".into()));
        assert!(d.edits.iter().any(|e| matches!(e, HeaderEdit::Change { name, value, .. } if name == "Subject" && value.starts_with("[PHISHING]"))));
        let d = decide(&c, &o, &h, &rcpt(&["a@other.pl", "b@hold.pl", "c@strict.pl"]));
        assert_eq!(d.action, Some(Action::Reject));
        assert_eq!(
            d.disposition,
            Disposition::Reject("Message refused by HealthGuard: phishing, it impersonates pl-nfz".into())
        );
        assert!(d.edits.is_empty(), "a rejected message is not edited");
        // Suspicious mail to strict.pl still follows the global action.
        let d = decide(&c, &outcome(Verdict::Suspicious), &h, &rcpt(&["c@strict.pl"]));
        assert_eq!(d.action, Some(Action::Tag));
    }

    #[test]
    fn the_reject_text_is_one_line_of_printable_ascii_without_percent() {
        let c = Config::parse("reject_text = \"Odrzucono 100% {verdict}: {institution} — zgłoś\"").unwrap();
        let mut o = outcome(Verdict::Phishing);
        o.institution = Some("pl-nfz\u{7}".into());
        let Disposition::Reject(text) = decide(
            &Config {
                actions: crate::config::VerdictActions {
                    phishing: Action::Reject,
                    ..Default::default()
                },
                ..c
            },
            &o,
            &[],
            &[],
        )
        .disposition
        else {
            panic!("not rejected")
        };
        assert_eq!(text, "Odrzucono 100 phishing: pl-nfz? ? zg?o?");
    }

    #[test]
    fn the_tag_follows_the_recipient_language_and_is_encoded_when_not_ascii() {
        let c = Config::parse(
            r#"
            [domains."lviv.example"]
            language = "uk"
            "#,
        )
        .unwrap();
        let h = headers(&[("Subject", "=?UTF-8?B?0JrQntCS0IbQlA==?=")]);
        let d = decide(
            &c,
            &outcome(Verdict::Suspicious),
            &h,
            &rcpt(&["x@other.pl", "a@lviv.example"]),
        );
        let subject = d
            .edits
            .iter()
            .find_map(|e| match e {
                HeaderEdit::Change { name, value, .. } if name == "Subject" => Some(value.clone()),
                _ => None,
            })
            .unwrap();
        let parsed = healthguard_mail::parse(
            format!("Subject: {subject}\r\n\r\n").as_bytes(),
            &healthguard_mail::Limits::default(),
        );
        assert_eq!(parsed.subject, "[ПІДОЗРІЛО] КОВІД");
    }

    #[test]
    fn a_subject_already_tagged_is_left_alone_and_a_missing_one_is_added() {
        let o = outcome(Verdict::Phishing);
        let d = decide(&Config::default(), &o, &headers(&[("Subject", "[PHISHING] x")]), &[]);
        assert!(!d
            .edits
            .iter()
            .any(|e| matches!(e, HeaderEdit::Change { name, .. } if name == "Subject")));
        let d = decide(&Config::default(), &o, &headers(&[("From", "a@b")]), &[]);
        assert!(d.edits.contains(&HeaderEdit::Add {
            name: "Subject".into(),
            value: "[PHISHING]".into()
        }));
    }

    #[test]
    fn headers_can_be_turned_off_but_tags_and_removal_stay() {
        let c = Config::parse("add_headers = false").unwrap();
        let d = decide(
            &c,
            &outcome(Verdict::Phishing),
            &headers(&[("Subject", "x"), ("X-HealthGuard-Score", "1")]),
            &[],
        );
        assert!(added(&d).is_empty());
        assert_eq!(d.edits.len(), 2);
    }

    #[test]
    fn the_lang_default_is_used_when_no_recipient_sets_one() {
        let c = Config::parse("language = \"pl\"").unwrap();
        let d = decide(
            &c,
            &outcome(Verdict::Suspicious),
            &headers(&[("Subject", "x")]),
            &rcpt(&["a@b.pl"]),
        );
        assert!(d.edits.contains(&HeaderEdit::Change {
            name: "Subject".into(),
            index: 1,
            value: "[PODEJRZANE] x".into()
        }));
    }

    #[test]
    fn the_banner_action_tags_and_asks_for_a_banner_in_the_recipients_language() {
        let c = Config::parse(
            r#"
            [actions]
            suspicious = "banner"
            [domains."szpital.pl"]
            language = "pl"
            phishing = "banner"
            [domains."hold.pl"]
            phishing = "quarantine"
            "#,
        )
        .unwrap();
        let h = headers(&[("Subject", "x")]);
        let d = decide(&c, &outcome(Verdict::Phishing), &h, &rcpt(&["a@szpital.pl"]));
        assert_eq!((d.action, d.banner), (Some(Action::Banner), Some(Lang::Pl)));
        assert_eq!(d.disposition, Disposition::Accept);
        assert!(d.edits.iter().any(
            |e| matches!(e, HeaderEdit::Change { name, value, .. } if name == "Subject" && value == "[PHISHING] x")
        ));
        let d = decide(&c, &outcome(Verdict::Suspicious), &h, &rcpt(&["a@b.example"]));
        assert_eq!(d.banner, Some(Lang::En));
        // Stricter actions win over the banner, and come without one.
        let d = decide(
            &c,
            &outcome(Verdict::Phishing),
            &h,
            &rcpt(&["a@szpital.pl", "b@hold.pl"]),
        );
        assert_eq!((d.action, d.banner), (Some(Action::Quarantine), None));
        let d = decide(&c, &outcome(Verdict::Phishing), &h, &rcpt(&["a@other.pl"]));
        assert_eq!((d.action, d.banner), (Some(Action::Tag), None));
        assert_eq!(failure(&c, &h).banner, None);
    }
}
