//! Lure lexicons (`data/lexicons/<lang>.toml`): phrases that show what a message asks of
//! its reader, per language, matched all at once over folded text.

use crate::fold::Folded;
use crate::phrases::PhraseSet;
use healthguard_registry::{Lang, LureKind};
use serde::Deserialize;

/// Every language's lure phrases in one automaton.
#[derive(Debug, Clone)]
pub struct Lexicon {
    phrases: PhraseSet<(LureKind, Lang)>,
    /// The phrases as given, in order (for sets that search them together with others).
    sources: Vec<(String, (LureKind, Lang))>,
    coverage: std::collections::BTreeMap<(Lang, LureKind), usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    schema: u32,
    lang: String,
    lure: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    kind: LureKind,
    phrases: Vec<String>,
}

/// One lure found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LureHit {
    /// What the phrase asks for.
    pub kind: LureKind,
    /// The lexicon's language.
    pub lang: Lang,
    /// Folded byte range of the match.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
}

/// Folded words that negate a request after them ("don't" folds to "don t").
const NEGATIONS: [&str; 9] = ["not", "never", "t", "nie", "nigdy", "nu", "niciodata", "не", "ніколи"];

/// Whether a lure of this kind, after the folded text `before`, is a negated request
/// ("please do not reply to this email"): advice, not a lure.
pub(crate) fn negated_request(kind: LureKind, before: &str) -> bool {
    is_request(kind) && negated(before)
}

/// Lures that ask the reader to do or give something: "do not" before them turns them into
/// advice. (Not news of a failed delivery or a threat: "could not be delivered" is the lure.)
fn is_request(kind: LureKind) -> bool {
    use LureKind::*;
    matches!(
        kind,
        Credentials | ActivationKey | PersonalId | CardData | BankLogin | SoftwareInstall | Callback | Verification
    )
}

/// Words that make a following "do not" a condition ("if you do not verify …"), which is a
/// threat, not advice.
const CONDITIONS: [&str; 6] = ["if", "unless", "jesli", "jezeli", "daca", "якщо"];

/// Whether one of the last three words of `before` negates what follows, without a condition
/// just before it.
fn negated(before: &str) -> bool {
    let last: Vec<&str> = before.split_whitespace().rev().take(4).collect();
    // The word after a negation, when it is one of these, turns it into a push: "don't
    // forget to confirm", "do not hesitate to call".
    const PUSHES: [&str; 5] = ["forget", "hesitate", "miss", "delay", "wait"];
    let negation = (0..last.len().min(3)).find(|&i| NEGATIONS.contains(&last[i]));
    let Some(i) = negation else { return false };
    let pushed = i > 0 && PUSHES.contains(&last[i - 1]);
    !pushed && !last.iter().any(|w| CONDITIONS.contains(w))
}

impl Lexicon {
    /// Parses lexicon files (one per language); errors name the file and problem.
    pub fn parse(files: &[(&str, &str)]) -> Result<Lexicon, String> {
        let mut all = Vec::new();
        let mut coverage = std::collections::BTreeMap::new();
        for (name, text) in files {
            let file: File = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            let lang = Lang::from_code(&file.lang).ok_or_else(|| format!("{name}: unknown lang {}", file.lang))?;
            for group in file.lure {
                if group.kind == LureKind::Link {
                    return Err(format!("{name}: `link` is found from links, not phrases"));
                }
                for p in group.phrases {
                    if p.trim_end_matches('*').contains('*') {
                        return Err(format!("{name}: `*` only at the end of a phrase: {p:?}"));
                    }
                    *coverage.entry((lang, group.kind)).or_insert(0) += 1;
                    all.push((p, (group.kind, lang)));
                }
            }
        }
        Ok(Lexicon {
            phrases: PhraseSet::new(all.clone()),
            sources: all,
            coverage,
        })
    }

    /// The built-in lexicons.
    pub fn builtin() -> Lexicon {
        Lexicon::parse(&[
            ("data/lexicons/pl.toml", include_str!("../../../data/lexicons/pl.toml")),
            ("data/lexicons/ro.toml", include_str!("../../../data/lexicons/ro.toml")),
            ("data/lexicons/en.toml", include_str!("../../../data/lexicons/en.toml")),
            ("data/lexicons/uk.toml", include_str!("../../../data/lexicons/uk.toml")),
        ])
        .expect("built-in lexicons are valid (tested)")
    }

    /// Every lure phrase in the text, except requests negated by one of the three words before
    /// them ("please do not reply to this email", "we will never ask for your password"):
    /// the opposite of a request, and common in genuine automated mail.
    pub fn find(&self, text: &Folded) -> Vec<LureHit> {
        self.phrases
            .find(text)
            .filter(|m| !negated_request(m.payload.0, &text.text[..m.start]))
            .map(|m| LureHit {
                kind: m.payload.0,
                lang: m.payload.1,
                start: m.start,
                end: m.end,
            })
            .collect()
    }

    /// The phrases as given, with their payloads, in order.
    pub(crate) fn sources(&self) -> &[(String, (LureKind, Lang))] {
        &self.sources
    }

    /// Number of phrases per (language, lure kind).
    pub fn coverage(&self) -> &std::collections::BTreeMap<(Lang, LureKind), usize> {
        &self.coverage
    }

    /// Number of phrases across languages.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// Whether no phrase is loaded.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    fn kinds(text: &str) -> Vec<LureKind> {
        Lexicon::builtin()
            .find(&fold(text))
            .into_iter()
            .map(|h| h.kind)
            .collect()
    }

    #[test]
    fn negated_requests_are_advice() {
        // Written by the project.
        assert!(kinds("Please reply to this email with your details").contains(&LureKind::Callback));
        assert!(!kinds("Please do not reply to this email.").contains(&LureKind::Callback));
        assert!(!kinds("PLEASE DO NOT ATTEMPT TO REPLY TO THIS EMAIL").contains(&LureKind::Callback));
        assert!(!kinds("Don't reply to this email").contains(&LureKind::Callback));
        assert!(!kinds("We will never ask for your password.").contains(&LureKind::Credentials));
        assert!(kinds("Confirm your password now").contains(&LureKind::Credentials));
        // "Don't forget" and "do not hesitate" push the request.
        assert!(kinds("Don't forget to confirm your account update").contains(&LureKind::Verification));
        assert!(kinds("Do not hesitate to call us on 0800").contains(&LureKind::Callback));
        // A condition makes it a threat again.
        assert!(kinds("If you do not reply to this email, your account will be closed.").contains(&LureKind::Callback));
        // News of a failure is not a request: it stays a lure with "not" in front.
        assert!(kinds("Please do not wait: a refund is pending").contains(&LureKind::Refund));
    }
}
