//! The finding catalogue (`data/scores.toml`): weights, groups with caps, verdict
//! thresholds and composites. Code emits findings; this data weighs them.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Weights and thresholds, loaded from `data/scores.toml`.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Score at or above which a message is suspicious.
    pub suspicious: f32,
    /// Score at or above which a message is phishing.
    pub phishing: f32,
    entries: HashMap<String, Entry>,
    groups: HashMap<String, f32>,
    /// Composite rules, in file order.
    pub composites: Vec<Composite>,
    /// Per input kind (`email`, `sms`…): weights that differ from the common ones.
    kind_weights: HashMap<String, HashMap<String, f32>>,
}

/// What a finding is about: the heading it is shown under on the result page and in the
/// CLI, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum About {
    /// Who sent it and whether that is proven.
    Sender,
    /// Links, addresses and numbers in it.
    Link,
    /// What it asks for, and how it presses.
    Request,
    /// Payments, refunds, card and bank data, amounts.
    Money,
    /// The message itself and its attachments.
    Content,
    /// The institution's policies and advisories, this site's statistics.
    Other,
}

impl About {
    /// Every topic, in the order shown.
    pub const ALL: [About; 6] = [
        About::Sender,
        About::Link,
        About::Request,
        About::Money,
        About::Content,
        About::Other,
    ];

    /// The snake-case name (`sender`, `link`…), as in `data/scores.toml` and JSON.
    pub fn name(self) -> &'static str {
        match self {
            About::Sender => "sender",
            About::Link => "link",
            About::Request => "request",
            About::Money => "money",
            About::Content => "content",
            About::Other => "other",
        }
    }
}

/// A finding's weight and group.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// Points added to the score (negative: speaks for the message).
    pub weight: f32,
    /// Group whose total is capped.
    pub group: String,
    /// What it is about (shown under that heading); `None` in a catalogue that does not say.
    #[serde(default)]
    pub about: Option<About>,
    /// Codes whose presence (before composites) makes this finding weigh nothing: evidence
    /// for the message that other findings show cannot hold (an authenticated sender that
    /// imitates another domain).
    #[serde(default)]
    pub unless: Vec<String>,
}

/// A composite: extra weight when all of `all` are present and, for each list in `any_of`,
/// at least one of its codes.
#[derive(Debug, Clone, Deserialize)]
pub struct Composite {
    /// The composite's own finding code.
    pub code: String,
    /// Its weight.
    pub weight: f32,
    /// Its group.
    pub group: String,
    /// What it is about.
    #[serde(default)]
    pub about: Option<About>,
    /// Codes that must all be present.
    #[serde(default)]
    pub all: Vec<String>,
    /// Lists of codes; from each list one must be present.
    #[serde(default)]
    pub any_of: Vec<Vec<String>>,
    /// Input kinds (`email`, `sms`, `url`, `phone`, `text`) it applies to; empty: all.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Input kinds it does not apply to.
    #[serde(default)]
    pub not_kinds: Vec<String>,
}

impl Composite {
    /// Whether the composite applies to an input kind (by its lower-case name).
    pub fn applies_to(&self, kind: &str) -> bool {
        (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)) && !self.not_kinds.iter().any(|k| k == kind)
    }
}

/// Overrides for one input kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindOverrides {
    /// Code → weight for this kind (the group stays the common one).
    #[serde(default)]
    weights: BTreeMap<String, f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    schema: u32,
    thresholds: Thresholds,
    groups: BTreeMap<String, GroupCap>,
    finding: BTreeMap<String, Entry>,
    #[serde(default)]
    composite: Vec<Composite>,
    #[serde(default)]
    kinds: BTreeMap<String, KindOverrides>,
}

#[derive(Deserialize)]
struct Thresholds {
    suspicious: f32,
    phishing: f32,
}

#[derive(Deserialize)]
struct GroupCap {
    max: f32,
}

impl Catalogue {
    /// Parses a catalogue; errors name the problem.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("scores.toml: {e}"))?;
        let groups: HashMap<String, f32> = file.groups.into_iter().map(|(k, v)| (k, v.max)).collect();
        for (code, e) in &file.finding {
            if !groups.contains_key(&e.group) {
                return Err(format!("scores.toml: {code} names unknown group {}", e.group));
            }
        }
        let mut entries: HashMap<String, Entry> = file.finding.into_iter().collect();
        for c in &file.composite {
            entries.insert(
                c.code.clone(),
                Entry {
                    weight: c.weight,
                    group: c.group.clone(),
                    about: c.about,
                    unless: Vec::new(),
                },
            );
        }
        for (code, e) in &entries {
            if let Some(other) = e.unless.iter().find(|u| !entries.contains_key(*u)) {
                return Err(format!("scores.toml: {code} is unless unknown code {other}"));
            }
        }
        let kinds: Vec<&str> = crate::InputKind::ALL.iter().map(|k| k.name()).collect();
        for c in &file.composite {
            if let Some(k) = c
                .kinds
                .iter()
                .chain(&c.not_kinds)
                .find(|k| !kinds.contains(&k.as_str()))
            {
                return Err(format!("scores.toml: composite {} names unknown kind {k}", c.code));
            }
        }
        let mut kind_weights = HashMap::new();
        for (kind, o) in file.kinds {
            if !kinds.contains(&kind.as_str()) {
                return Err(format!("scores.toml: unknown kind {kind}"));
            }
            if let Some(code) = o.weights.keys().find(|c| !entries.contains_key(*c)) {
                return Err(format!("scores.toml: kinds.{kind} weighs unknown code {code}"));
            }
            kind_weights.insert(kind, o.weights.into_iter().collect());
        }
        Ok(Catalogue {
            suspicious: file.thresholds.suspicious,
            phishing: file.thresholds.phishing,
            entries,
            groups,
            composites: file.composite,
            kind_weights,
        })
    }

    /// The built-in catalogue.
    pub fn builtin() -> Catalogue {
        Catalogue::parse(include_str!("../../../data/scores.toml")).expect("built-in scores.toml is valid (tested)")
    }

    /// The entry of a code, if catalogued.
    pub fn entry(&self, code: &str) -> Option<&Entry> {
        self.entries.get(code)
    }

    /// The weight of a code for an input kind (its per-kind override, else the common one).
    pub fn weight(&self, code: &str, kind: &str) -> Option<f32> {
        self.kind_weights
            .get(kind)
            .and_then(|w| w.get(code))
            .copied()
            .or_else(|| self.entries.get(code).map(|e| e.weight))
    }

    /// Every catalogued code.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// What a code is about; [`About::Other`] for a code the catalogue does not place.
    pub fn about(&self, code: &str) -> About {
        self.entries.get(code).and_then(|e| e.about).unwrap_or(About::Other)
    }

    /// Codes whose entry does not say what they are about (none in the built-in catalogue).
    pub fn unplaced(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, e)| e.about.is_none())
            .map(|(code, _)| code.as_str())
    }

    /// The cap of a group's total.
    pub fn group_cap(&self, group: &str) -> f32 {
        self.groups.get(group).copied().unwrap_or(f32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Written by the project: a small catalogue with a per-kind weight and kind-bound composites.
    const TEXT: &str = r#"
schema = 1
[thresholds]
suspicious = 3.0
phishing = 7.0
[groups]
links = { max = 5.0 }
[finding]
LINK_UNOFFICIAL = { weight = 1.0, group = "links" }
[kinds.email]
weights = { LINK_UNOFFICIAL = 0.5 }
[[composite]]
code = "ONLY_EMAIL"
weight = 1.0
group = "links"
kinds = ["email"]
all = ["LINK_UNOFFICIAL"]
[[composite]]
code = "NOT_EMAIL"
weight = 1.0
group = "links"
not_kinds = ["email"]
all = ["LINK_UNOFFICIAL"]
"#;

    #[test]
    fn weights_and_composites_differ_by_kind() {
        let c = Catalogue::parse(TEXT).unwrap();
        assert_eq!(c.weight("LINK_UNOFFICIAL", "email"), Some(0.5));
        assert_eq!(c.weight("LINK_UNOFFICIAL", "sms"), Some(1.0));
        assert_eq!(c.weight("NOPE", "sms"), None);
        let only = &c.composites[0];
        let not = &c.composites[1];
        assert!(only.applies_to("email") && !only.applies_to("sms"));
        assert!(!not.applies_to("email") && not.applies_to("sms") && not.applies_to("text"));
    }

    #[test]
    fn unknown_kinds_and_codes_are_rejected() {
        assert!(Catalogue::parse(&TEXT.replace("kinds = [\"email\"]", "kinds = [\"fax\"]")).is_err());
        assert!(Catalogue::parse(&TEXT.replace("[kinds.email]", "[kinds.fax]")).is_err());
        assert!(Catalogue::parse(&TEXT.replace("{ LINK_UNOFFICIAL = 0.5 }", "{ NOPE = 0.5 }")).is_err());
    }
}
