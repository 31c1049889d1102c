//! Scoring with the catalogue resolved once: codes become small indices, weights per input
//! kind become arrays, composites become index lists. Same result as looking every code up
//! in the [`Catalogue`] by name, without hashing or comparing strings per finding.

use crate::analysis::{Finding, InputKind};
use crate::catalogue::Catalogue;
use rustc_hash::FxHashMap;

/// A composite rule as code indices, for one input kind.
struct Rule {
    /// The composite's code (as in the catalogue).
    code: String,
    /// Its index.
    id: usize,
    /// Its weight for the kind.
    weight: f32,
    /// Codes that must all be present.
    all: Vec<usize>,
    /// From each list one code must be present.
    any_of: Vec<Vec<usize>>,
}

/// Weights and composites of one input kind.
struct KindTable {
    /// Weight per code index (0 when the code is not catalogued).
    weights: Vec<f32>,
    /// Composites that apply to the kind, in file order.
    rules: Vec<Rule>,
}

/// The catalogue resolved for scoring.
pub(crate) struct Scorer {
    /// Code → index. Every catalogued code and every code a composite names.
    /// Read-only after construction (FxHash: keys are short catalogue codes).
    ids: FxHashMap<String, usize>,
    /// Group index per code index.
    group_of: Vec<usize>,
    /// Cap per group index.
    caps: Vec<f32>,
    /// Per code index: the codes whose presence makes it weigh nothing (`unless`).
    unless: Vec<Vec<usize>>,
    /// Per input kind, in the order of `InputKind::ALL`.
    kinds: Vec<KindTable>,
}

impl Scorer {
    /// Resolves a catalogue.
    pub(crate) fn new(catalogue: &Catalogue) -> Scorer {
        let mut names: Vec<&str> = catalogue.codes().collect();
        for c in &catalogue.composites {
            names.extend(c.all.iter().map(String::as_str));
            names.extend(c.any_of.iter().flatten().map(String::as_str));
            names.push(&c.code);
        }
        names.sort_unstable();
        names.dedup();
        let ids: FxHashMap<String, usize> = names.iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect();
        let mut groups: Vec<&str> = Vec::new();
        let group_of = names
            .iter()
            .map(|n| {
                let g = catalogue.entry(n).map(|e| e.group.as_str()).unwrap_or("other");
                match groups.iter().position(|x| *x == g) {
                    Some(i) => i,
                    None => {
                        groups.push(g);
                        groups.len() - 1
                    }
                }
            })
            .collect();
        let caps = groups.iter().map(|g| catalogue.group_cap(g)).collect();
        let unless = names
            .iter()
            .map(|n| {
                catalogue
                    .entry(n)
                    .map(|e| e.unless.iter().map(|u| ids[u]).collect())
                    .unwrap_or_default()
            })
            .collect();
        let kinds = InputKind::ALL
            .iter()
            .map(|k| {
                let kind = k.name();
                KindTable {
                    weights: names.iter().map(|n| catalogue.weight(n, kind).unwrap_or(0.0)).collect(),
                    rules: catalogue
                        .composites
                        .iter()
                        .filter(|c| c.applies_to(kind))
                        .map(|c| Rule {
                            code: c.code.clone(),
                            id: ids[&c.code],
                            weight: catalogue.weight(&c.code, kind).unwrap_or(c.weight),
                            all: c.all.iter().map(|code| ids[code]).collect(),
                            any_of: c
                                .any_of
                                .iter()
                                .map(|list| list.iter().map(|code| ids[code]).collect())
                                .collect(),
                        })
                        .collect(),
                }
            })
            .collect();
        Scorer {
            ids,
            group_of,
            caps,
            unless,
            kinds,
        }
    }

    /// The weight of a finding with `code` for `kind` before composites (0 when the code is
    /// not catalogued).
    pub(crate) fn weight(&self, code: &str, kind: InputKind) -> f32 {
        self.ids.get(code).map_or(0.0, |&i| self.kinds[kind.index()].weights[i])
    }

    /// Applies catalogue weights, composites and group caps; returns the score.
    ///
    /// Repeated codes count once at full weight; composites are judged on the codes found
    /// before any composite is added.
    pub(crate) fn score(&self, findings: &mut Vec<Finding>, kind: InputKind) -> f32 {
        let table = &self.kinds[kind.index()];
        let words = self.group_of.len().div_ceil(64);
        // One allocation: present codes, then counted codes.
        let mut bits = vec![0u64; 2 * words];
        let has = |bits: &[u64], id: usize| bits[id / 64] & (1 << (id % 64)) != 0;
        let mut ids: Vec<Option<usize>> = Vec::with_capacity(findings.len() + table.rules.len());
        for f in findings.iter_mut() {
            let id = self.ids.get(f.code.as_str()).copied();
            f.weight = id.map_or(0.0, |i| table.weights[i]);
            if let Some(i) = id {
                bits[i / 64] |= 1 << (i % 64);
            }
            ids.push(id);
        }
        for (f, id) in findings.iter_mut().zip(&ids) {
            if id.is_some_and(|i| self.unless[i].iter().any(|&u| has(&bits, u))) {
                f.weight = 0.0;
            }
        }
        for rule in &table.rules {
            let all = rule.all.iter().all(|&i| has(&bits, i));
            let any = rule.any_of.iter().all(|list| list.iter().any(|&i| has(&bits, i)));
            if all && any {
                let mut f = Finding::new(&rule.code, "");
                f.weight = rule.weight;
                if let Some(inst) = findings
                    .iter()
                    .find(|f| f.code == "CLAIMS_INSTITUTION")
                    .and_then(|f| f.institution.clone())
                {
                    f.institution = Some(inst);
                }
                findings.push(f);
                ids.push(Some(rule.id));
            }
        }
        // Groups no finding falls into add nothing (not even a cap).
        let mut totals: Vec<Option<f32>> = vec![None; self.caps.len()];
        let (_, counted) = bits.split_at_mut(words);
        for (f, id) in findings.iter().zip(&ids) {
            // Uncatalogued codes weigh nothing.
            let Some(i) = *id else { continue };
            if has(counted, i) {
                continue;
            }
            counted[i / 64] |= 1 << (i % 64);
            *totals[self.group_of[i]].get_or_insert(0.0) += f.weight;
        }
        totals
            .iter()
            .zip(&self.caps)
            .filter_map(|(total, cap)| total.map(|t| t.min(*cap)))
            .sum::<f32>()
            // A float sum starts at -0.0; adding 0.0 prints a score of nothing as `0`.
            + 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unless_zeroes_evidence_that_other_findings_contradict() {
        // Written by the project.
        let catalogue = Catalogue::parse(
            r#"
schema = 1
[thresholds]
suspicious = 3.0
phishing = 7.0
[groups]
links = { max = 10.0 }
trust = { max = 0.0 }
[finding]
LOOKALIKE_DOMAIN = { weight = 8.0, group = "links" }
LINK_UNOFFICIAL = { weight = 1.0, group = "links" }
SENDER_AUTHENTICATED = { weight = -2.0, group = "trust", unless = ["LOOKALIKE_DOMAIN"] }
"#,
        )
        .unwrap();
        let scorer = Scorer::new(&catalogue);
        let mut plain = vec![
            Finding::new("SENDER_AUTHENTICATED", "shop.example"),
            Finding::new("LINK_UNOFFICIAL", "x.example"),
        ];
        assert_eq!(scorer.score(&mut plain, InputKind::Email), -1.0);
        assert_eq!(plain[0].weight, -2.0);
        let mut disguised = vec![
            Finding::new("SENDER_AUTHENTICATED", "shop.example"),
            Finding::new("LOOKALIKE_DOMAIN", "nfz-zwrot.example"),
        ];
        assert_eq!(scorer.score(&mut disguised, InputKind::Email), 8.0);
        assert_eq!(disguised[0].weight, 0.0);
        // Nothing found scores +0, never -0 (which would print as "-0.0").
        let nothing = scorer.score(&mut Vec::new(), InputKind::Email);
        assert!(nothing == 0.0 && nothing.is_sign_positive(), "{nothing}");
        // An unknown code in `unless` is refused.
        assert!(Catalogue::parse(
            "schema = 1\n[thresholds]\nsuspicious = 3.0\nphishing = 7.0\n[groups]\nt = { max = 0.0 }\n[finding]\nA = { weight = -1.0, group = \"t\", unless = [\"NOPE\"] }\n"
        )
        .is_err());
    }
}
