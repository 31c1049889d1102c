//! What the checker concludes: findings, score, verdict.

use healthguard_registry::{Channel, Lang, LureKind};
use serde::Serialize;

/// The verdict levels, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Authenticated and aligned with a registry channel, no lure.
    Official,
    /// Nothing points either way.
    Unverified,
    /// Signals of impersonation or of a lure.
    Suspicious,
    /// Strong evidence of phishing.
    Phishing,
}

impl Verdict {
    /// The lower-case name used in JSON and data files.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Official => "official",
            Verdict::Unverified => "unverified",
            Verdict::Suspicious => "suspicious",
            Verdict::Phishing => "phishing",
        }
    }

    /// The documented process exit code: 0 official/unverified, 1 suspicious, 2 phishing.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Official | Verdict::Unverified => 0,
            Verdict::Suspicious => 1,
            Verdict::Phishing => 2,
        }
    }
}

/// What kind of input was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// An SMS with its sender.
    Sms,
    /// A raw e-mail.
    Email,
    /// A single link.
    Url,
    /// A single phone number.
    Phone,
    /// Pasted text of unknown origin.
    Text,
    /// What a caller said on the phone, with the number shown, if any.
    Call,
}

impl InputKind {
    /// Every kind, in declaration order: `ALL[k.index()] == k`.
    pub const ALL: [InputKind; 6] = [
        InputKind::Sms,
        InputKind::Email,
        InputKind::Url,
        InputKind::Phone,
        InputKind::Text,
        InputKind::Call,
    ];

    /// Position in [`InputKind::ALL`], for tables with one slot per kind.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name, as in JSON and in `data/scores.toml` (`[kinds.email]`).
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Sms => "sms",
            InputKind::Email => "email",
            InputKind::Url => "url",
            InputKind::Phone => "phone",
            InputKind::Text => "text",
            InputKind::Call => "call",
        }
    }

    /// The channel the message travelled on, `None` when unknown (pasted text).
    pub fn channel(self) -> Option<Channel> {
        match self {
            InputKind::Sms => Some(Channel::Sms),
            InputKind::Email => Some(Channel::Email),
            InputKind::Url => Some(Channel::Web),
            InputKind::Phone => Some(Channel::Phone),
            InputKind::Text => None,
            InputKind::Call => Some(Channel::Phone),
        }
    }
}

/// One signal, with its evidence as found in the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable code from the catalogue (`data/scores.toml`).
    pub code: String,
    /// Points the finding adds to the score, after the catalogue (before group caps).
    pub weight: f32,
    /// The exact evidence: a phrase, a domain, a header, a number.
    pub evidence: String,
    /// The institution concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// Extra values for the explanation (`target`, `technique`, `policy`, `advisory`, `lure`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
}

impl Finding {
    /// A finding with code and evidence; weight is filled in at scoring.
    pub fn new(code: &str, evidence: impl Into<String>) -> Finding {
        Finding {
            code: code.to_string(),
            weight: 0.0,
            evidence: evidence.into(),
            institution: None,
            params: Vec::new(),
        }
    }

    /// Sets the institution concerned.
    pub fn institution(mut self, id: impl Into<String>) -> Finding {
        self.institution = Some(id.into());
        self
    }

    /// Adds an explanation parameter.
    pub fn param(mut self, key: &str, value: impl Into<String>) -> Finding {
        self.params.push((key.to_string(), value.into()));
        self
    }

    /// The value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The result of checking one input, before it is put into words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// What was checked.
    pub kind: InputKind,
    /// The verdict.
    pub verdict: Verdict,
    /// Sum of weights after group caps.
    pub score: f32,
    /// The institution the message claims to come from.
    pub institution: Option<String>,
    /// Every finding, strongest first.
    pub findings: Vec<Finding>,
    /// The message's language, when one of the supported ones.
    pub message_language: Option<Lang>,
    /// Lure kinds the message holds.
    pub lures: Vec<LureKind>,
    /// The institution the sender is authenticated as (official channel), if any.
    pub authenticated_as: Option<String>,
}

impl Analysis {
    /// Whether any finding has this code.
    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::InputKind;

    #[test]
    fn every_kind_sits_at_its_index() {
        for (i, k) in InputKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
        }
    }
}
