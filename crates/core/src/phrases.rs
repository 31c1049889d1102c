//! Whole-word phrase matching over folded text, shared by lexicons, institution names and
//! advisory phrases.
//!
//! A phrase matches at a word start and must end at a word end, unless it ends with `*`,
//! which accepts any word ending (a stem: `weryfikacj*`). Phrases are folded like the text,
//! so case, diacritics and punctuation between words do not matter.

use crate::fold::{fold_pattern, Folded};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A set of phrases, each carrying a payload, matched in one pass.
#[derive(Debug, Clone)]
pub struct PhraseSet<T> {
    automaton: Option<AhoCorasick>,
    payloads: Vec<T>,
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
        for (phrase, payload) in phrases {
            let (body, stem) = match phrase.trim().strip_suffix('*') {
                Some(body) => (body.to_string(), true),
                None => (phrase, false),
            };
            let folded = fold_pattern(&body);
            if folded.is_empty() {
                continue;
            }
            patterns.push(if stem {
                format!(" {folded}")
            } else {
                format!(" {folded} ")
            });
            payloads.push(payload);
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
        PhraseSet { automaton, payloads }
    }

    /// Every match in `text`, overlapping ones included, in order of their end.
    pub fn find<'a>(&'a self, text: &'a Folded) -> impl Iterator<Item = PhraseMatch<'a, T>> + 'a {
        self.automaton
            .iter()
            .flat_map(move |ac| ac.find_overlapping_iter(text.text.as_str()))
            .map(move |m| {
                let folded = &text.text.as_bytes()[m.start()..m.end()];
                let end = if folded.last() == Some(&b' ') {
                    m.end() - 1
                } else {
                    word_end(&text.text, m.end())
                };
                PhraseMatch {
                    payload: &self.payloads[m.pattern().as_usize()],
                    start: m.start() + 1,
                    end,
                }
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
    fn adjacent_matches_share_a_space() {
        let set = PhraseSet::new([("a".to_string(), "x"), ("b".to_string(), "y")]);
        assert_eq!(hits(&set, "a b").len(), 2);
    }
}
