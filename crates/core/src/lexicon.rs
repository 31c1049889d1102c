//! Lure lexicons (`data/lexicons/<lang>.toml`): phrases that show what a message asks of
//! its reader, per language, matched all at once over folded text.

use crate::fold::Folded;
use crate::phrases::PhraseSet;
use healthguard_registry::{Lang, LureKind};
use serde::Deserialize;

/// The languages lure lexicons may be written in (ISO 639-1). Lexicons read more languages
/// than explanations are written in: the same kits are re-skinned for every health system,
/// and a French or Czech scam reaches Polish and Romanian readers too.
pub const LEXICON_LANGS: [&str; 9] = ["pl", "ro", "en", "uk", "fr", "de", "es", "it", "cs"];

/// A lexicon's language (one of [`LEXICON_LANGS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LexLang(&'static str);

impl LexLang {
    /// The language with this ISO 639-1 code, if lexicons may be written in it.
    pub fn from_code(code: &str) -> Option<LexLang> {
        let code = code.trim().to_ascii_lowercase();
        LEXICON_LANGS.iter().find(|c| **c == code).map(|c| LexLang(c))
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The explanation language it is, when explanations are written in it.
    pub fn explained(self) -> Option<Lang> {
        Lang::from_code(self.0)
    }
}

/// Every language's lure phrases in one automaton.
#[derive(Debug, Clone)]
pub struct Lexicon {
    phrases: PhraseSet<(LureKind, LexLang)>,
    /// The phrases as given, in order (for sets that search them together with others).
    sources: Vec<(String, (LureKind, LexLang))>,
    coverage: std::collections::BTreeMap<(LexLang, LureKind), usize>,
    /// Folded phrases, padded with spaces, that place a request for identity data or
    /// documents in person ("w aptece", "at the pharmacy"): telling the reader what to show
    /// at a counter is not asking for it through the message.
    in_person: Vec<String>,
    /// Generic names of health institutions ("Krankenkasse", "assurance maladie", "ministry
    /// of health"): a message that presents itself as one, whether or not the registry knows
    /// the institution.
    institution_words: PhraseSet<LexLang>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    schema: u32,
    lang: String,
    /// Phrases that place a request in person (see [`Lexicon::in_person`]).
    #[serde(default)]
    in_person: Vec<String>,
    /// Generic names of health institutions (see [`Lexicon::health_institution`]).
    #[serde(default)]
    institution_words: Vec<String>,
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
    pub lang: LexLang,
    /// Folded byte range of the match.
    pub start: usize,
    /// End of the match (exclusive).
    pub end: usize,
}

/// Folded words that negate a request after them ("don't" folds to "don t").
const NEGATIONS: [&str; 9] = ["not", "never", "t", "nie", "nigdy", "nu", "niciodata", "не", "ніколи"];

/// Whether a lure of this kind, after the folded text `before`, is a negated request
/// ("please do not reply to this email"): advice, not a lure.
fn negated_request(kind: LureKind, before: &str) -> bool {
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

/// The byte offset `words` spaces before `at` in folded `text` (or 0).
fn nth_space_back(text: &str, at: usize, words: usize) -> usize {
    text[..at].rmatch_indices(' ').nth(words).map_or(0, |(i, _)| i + 1)
}

/// The byte offset `words` spaces after `at` in folded `text` (or its end).
fn nth_space_forward(text: &str, at: usize, words: usize) -> usize {
    text[at..]
        .match_indices(' ')
        .nth(words)
        .map_or(text.len(), |(i, _)| at + i)
}

impl Lexicon {
    /// Parses lexicon files (one per language); errors name the file and problem.
    pub fn parse(files: &[(&str, &str)]) -> Result<Lexicon, String> {
        let mut all = Vec::new();
        let mut coverage = std::collections::BTreeMap::new();
        let mut in_person = Vec::new();
        let mut institution_words = Vec::new();
        for (name, text) in files {
            let file: File = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            let lang = LexLang::from_code(&file.lang).ok_or_else(|| format!("{name}: unknown lang {}", file.lang))?;
            for p in &file.in_person {
                let folded = crate::fold::fold_pattern(p);
                if folded.is_empty() {
                    return Err(format!("{name}: empty in_person phrase"));
                }
                in_person.push(format!(" {folded} "));
            }
            institution_words.extend(file.institution_words.into_iter().map(|w| (w, lang)));
            for group in file.lure {
                if group.kind == LureKind::Link {
                    return Err(format!("{name}: `link` is found from links, not phrases"));
                }
                for p in group.phrases {
                    if p.split_whitespace().any(|w| w.trim_end_matches('*').contains('*')) {
                        return Err(format!("{name}: `*` only at the end of a word: {p:?}"));
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
            in_person,
            institution_words: PhraseSet::new(institution_words),
        })
    }

    /// The built-in lexicons.
    pub fn builtin() -> Lexicon {
        Lexicon::parse(&[
            ("data/lexicons/pl.toml", include_str!("../../../data/lexicons/pl.toml")),
            ("data/lexicons/ro.toml", include_str!("../../../data/lexicons/ro.toml")),
            ("data/lexicons/en.toml", include_str!("../../../data/lexicons/en.toml")),
            ("data/lexicons/uk.toml", include_str!("../../../data/lexicons/uk.toml")),
            ("data/lexicons/fr.toml", include_str!("../../../data/lexicons/fr.toml")),
            ("data/lexicons/de.toml", include_str!("../../../data/lexicons/de.toml")),
            ("data/lexicons/es.toml", include_str!("../../../data/lexicons/es.toml")),
            ("data/lexicons/it.toml", include_str!("../../../data/lexicons/it.toml")),
            ("data/lexicons/cs.toml", include_str!("../../../data/lexicons/cs.toml")),
        ])
        .expect("built-in lexicons are valid (tested)")
    }

    /// Every lure phrase in the text, except requests negated by one of the three words before
    /// them ("please do not reply to this email", "we will never ask for your password"):
    /// the opposite of a request, and common in genuine automated mail.
    pub fn find(&self, text: &Folded) -> Vec<LureHit> {
        self.phrases
            .find(text)
            .filter(|m| self.counts(m.payload.0, &text.text, m.start, m.end))
            .map(|m| LureHit {
                kind: m.payload.0,
                lang: m.payload.1,
                start: m.start,
                end: m.end,
            })
            .collect()
    }

    /// Whether a lure of `kind` matched at folded `start..end` of `text` is a request of the
    /// message: not negated just before it ([`negated_request`]) and not placed in person
    /// ([`Lexicon::in_person`]).
    pub(crate) fn counts(&self, kind: LureKind, text: &str, start: usize, end: usize) -> bool {
        !negated_request(kind, &text[..start]) && !self.in_person(kind, text, start, end)
    }

    /// Whether a lure asking for identity data or documents at folded `start..end` of
    /// `text` is placed in person by a phrase within a few words of it ("give the code and
    /// your PESEL at the pharmacy"): then it tells the reader what to show at a counter and
    /// asks nothing through the message.
    fn in_person(&self, kind: LureKind, text: &str, start: usize, end: usize) -> bool {
        if !matches!(kind, LureKind::PersonalId | LureKind::Documents) || self.in_person.is_empty() {
            return false;
        }
        const WORDS: usize = 8;
        let from = nth_space_back(text, start, WORDS);
        let to = nth_space_forward(text, end, WORDS);
        let window = format!(" {} ", &text[from..to]);
        self.in_person.iter().any(|p| window.contains(p.as_str()))
    }

    /// The folded byte range of the first generic health-institution name in `text`
    /// ("Krankenkasse", "casa de asigurări de sănătate"), if any.
    pub fn health_institution(&self, text: &Folded) -> Option<(usize, usize)> {
        self.institution_words.find(text).next().map(|m| (m.start, m.end))
    }

    /// The phrases as given, with their payloads, in order.
    pub(crate) fn sources(&self) -> &[(String, (LureKind, LexLang))] {
        &self.sources
    }

    /// Number of phrases per (language, lure kind).
    pub fn coverage(&self) -> &std::collections::BTreeMap<(LexLang, LureKind), usize> {
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
