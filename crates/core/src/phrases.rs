//! Whole-word phrase matching over folded text, shared by lexicons, institution names and
//! advisory phrases.
//!
//! A phrase matches at a word start and must end at a word end, unless it ends with `*`,
//! which accepts any word ending (a stem: `weryfikacj*`). Any word of a phrase may be a
//! stem (`zwr* koszt*` matches "zwrot kosztów", "zwrócimy koszty"), so one line covers a
//! phrase's inflected forms. Phrases are folded like the text, so case, diacritics and
//! punctuation between words do not matter.

use crate::fold::{fold_pattern, Folded};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A set of phrases, each carrying a payload, matched in one pass.
#[derive(Debug, Clone)]
pub struct PhraseSet<T> {
    automaton: Option<AhoCorasick>,
    payloads: Vec<T>,
    /// Per pattern: the words after its first stem word, checked after the automaton
    /// matched up to that stem (empty for most phrases).
    tails: Vec<Vec<TailWord>>,
}

/// A word of a phrase after an inner stem: the folded word and whether it is a stem too.
#[derive(Debug, Clone)]
struct TailWord {
    word: String,
    stem: bool,
}

/// One match: the payload and the folded byte range (without the boundary spaces).
#[derive(Debug, Clone, Copy)]
pub struct PhraseMatch<'a, T> {
    /// The payload given with the phrase.
    pub payload: &'a T,
    /// Start of the match in the folded text.
    pub start: usize,
    /// End (exclusive) of the match in the folded text.
    pub end: usize,
}

impl<T> PhraseSet<T> {
    /// Builds a set from (phrase, payload) pairs. Empty phrases are skipped.
    pub fn new(phrases: impl IntoIterator<Item = (String, T)>) -> Self {
        let mut patterns = Vec::new();
        let mut payloads = Vec::new();
        let mut tails = Vec::new();
        for (phrase, payload) in phrases {
            let Some((head, stem, tail)) = split_phrase(&phrase) else {
                continue;
            };
            patterns.push(if stem { format!(" {head}") } else { format!(" {head} ") });
            payloads.push(payload);
            tails.push(tail);
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .expect("phrase patterns are plain strings"),
            )
        };
        PhraseSet {
            automaton,
            payloads,
            tails,
        }
    }

    /// Every match in `text`, overlapping ones included, in order of their end.
    pub fn find<'a>(&'a self, text: &'a Folded) -> impl Iterator<Item = PhraseMatch<'a, T>> + 'a {
        self.automaton
            .iter()
            .flat_map(move |ac| ac.find_overlapping_iter(text.text.as_str()))
            .filter_map(move |m| {
                let folded = &text.text.as_bytes()[m.start()..m.end()];
                let head_end = if folded.last() == Some(&b' ') {
                    m.end() - 1
                } else {
                    word_end(&text.text, m.end())
                };
                let end = match_tail(&text.text, head_end, &self.tails[m.pattern().as_usize()])?;
                Some(PhraseMatch {
                    payload: &self.payloads[m.pattern().as_usize()],
                    start: m.start() + 1,
                    end,
                })
            })
    }

    /// Number of phrases in the set.
    pub fn len(&self) -> usize {
        self.payloads.len()
    }

    /// Whether the set holds no phrase.
    pub fn is_empty(&self) -> bool {
        self.payloads.is_empty()
    }
}

/// A phrase as the automaton's part (folded words up to and including the first stem
/// word, or all of them), whether that part ends in a stem, and the words after it.
/// `None` for a phrase that folds to nothing.
fn split_phrase(phrase: &str) -> Option<(String, bool, Vec<TailWord>)> {
    let words: Vec<(String, bool)> = phrase
        .split_whitespace()
        .filter_map(|w| {
            let (body, stem) = match w.strip_suffix('*') {
                Some(body) => (body, true),
                None => (w, false),
            };
            // Punctuation inside a word folds to a space: "e-recepta" is two folded words.
            let folded = fold_pattern(body);
            (!folded.is_empty()).then_some((folded, stem))
        })
        .collect();
    let first_stem = words
        .iter()
        .position(|(_, stem)| *stem)
        .unwrap_or(words.len().checked_sub(1)?);
    let head = words[..=first_stem]
        .iter()
        .map(|(w, _)| w.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let tail = words[first_stem + 1..]
        .iter()
        .map(|(word, stem)| TailWord {
            word: word.clone(),
            stem: *stem,
        })
        .collect();
    Some((head, words[first_stem].1, tail))
}

/// Where a phrase ends when its `tail` words follow the word ending at `at`, or `None` when
/// they do not. Folded text separates words by one space.
fn match_tail(text: &str, mut at: usize, tail: &[TailWord]) -> Option<usize> {
    for t in tail {
        let rest = text[at..].strip_prefix(' ')?;
        let word = &rest[..rest.find(' ').unwrap_or(rest.len())];
        let fits = if t.stem {
            word.starts_with(&t.word)
        } else {
            // A folded tail word may itself hold a space ("e recepta"): compare the text.
            rest.starts_with(&t.word) && rest[t.word.len()..].chars().next().is_none_or(|c| c == ' ')
        };
        if !fits {
            return None;
        }
        at += 1 + if t.stem { word.len() } else { t.word.len() };
    }
    Some(at)
}

/// The end of the word that contains byte `at`.
fn word_end(text: &str, at: usize) -> usize {
    text[at..].find(' ').map(|i| at + i).unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold;

    fn hits(set: &PhraseSet<&'static str>, text: &str) -> Vec<String> {
        let f = fold(text);
        set.find(&f)
            .map(|m| format!("{}={}", m.payload, f.original(text, m.start, m.end)))
            .collect()
    }

    #[test]
    fn whole_words_and_stems() {
        let set = PhraseSet::new([
            ("pin".to_string(), "a"),
            ("weryfikacj*".to_string(), "b"),
            ("zwrot kosztów".to_string(), "c"),
        ]);
        assert_eq!(hits(&set, "Podaj PIN."), vec!["a=PIN"]);
        assert!(hits(&set, "pinezka").is_empty());
        assert_eq!(hits(&set, "Przejdź do weryfikacji teraz"), vec!["b=weryfikacji"]);
        assert_eq!(hits(&set, "ZWROT  KOSZTÓW leków"), vec!["c=ZWROT  KOSZTÓW"]);
        assert!(hits(&set, "zwrotkosztów").is_empty());
    }

    #[test]
    fn every_word_may_be_a_stem() {
        let set = PhraseSet::new([
            ("zwr* koszt*".to_string(), "refund"),
            ("vous avez droit* à un rembours*".to_string(), "fr"),
            ("card* expir* soon".to_string(), "c"),
        ]);
        assert_eq!(hits(&set, "Zwrócimy koszty leczenia"), vec!["refund=Zwrócimy koszty"]);
        assert_eq!(hits(&set, "zwrot kosztów"), vec!["refund=zwrot kosztów"]);
        assert!(hits(&set, "zwrot do kasy").is_empty());
        assert_eq!(
            hits(&set, "Vous avez droit à un remboursement de 42 €"),
            vec!["fr=Vous avez droit à un remboursement"]
        );
        assert_eq!(hits(&set, "your cards expire soon!"), vec!["c=cards expire soon"]);
        assert!(hits(&set, "your card expires soonish").is_empty());
        assert!(hits(&set, "card").is_empty());
    }

    #[test]
    fn adjacent_matches_share_a_space() {
        let set = PhraseSet::new([("a".to_string(), "x"), ("b".to_string(), "y")]);
        assert_eq!(hits(&set, "a b").len(), 2);
    }
}
