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

    /// Every lure phrase in the text.
    pub fn find(&self, text: &Folded) -> Vec<LureHit> {
        self.phrases
            .find(text)
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
