//! The finding catalogue (`data/scores.toml`): weights, groups with caps, verdict
//! thresholds and composites. Code emits findings; this data weighs them.

use serde::Deserialize;
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
}

/// A finding's weight and group.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// Points added to the score (negative: speaks for the message).
    pub weight: f32,
    /// Group whose total is capped.
    pub group: String,
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
    /// Codes that must all be present.
    #[serde(default)]
    pub all: Vec<String>,
    /// Lists of codes; from each list one must be present.
    #[serde(default)]
    pub any_of: Vec<Vec<String>>,
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
                },
            );
        }
        Ok(Catalogue {
            suspicious: file.thresholds.suspicious,
            phishing: file.thresholds.phishing,
            entries,
            groups,
            composites: file.composite,
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

    /// Every catalogued code.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The cap of a group's total.
    pub fn group_cap(&self, group: &str) -> f32 {
        self.groups.get(group).copied().unwrap_or(f32::MAX)
    }
}
