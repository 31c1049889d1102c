//! Explanations in the reader's language, from `data/i18n/<lang>.toml`.
//!
//! Templates use `{name}` placeholders; a missing value renders as an empty string, so a
//! template can never fail at run time. Completeness of every language is a test.

use healthguard_registry::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;

/// All texts of one language.
#[derive(Debug, Clone, Deserialize)]
pub struct Texts {
    /// Headline per verdict.
    pub verdict: BTreeMap<String, String>,
    /// One sentence per verdict.
    pub verdict_explain: BTreeMap<String, String>,
    /// One template per finding code.
    pub finding: BTreeMap<String, String>,
    /// Noun phrase per lure kind.
    pub lure: BTreeMap<String, String>,
    /// Name per look-alike technique.
    pub technique: BTreeMap<String, String>,
    /// Name per channel.
    pub channel: BTreeMap<String, String>,
    /// Labels and headings of the human output.
    pub ui: BTreeMap<String, String>,
    /// Advice templates.
    pub advice: BTreeMap<String, String>,
}

/// The texts of every supported language.
#[derive(Debug, Clone)]
pub struct Catalog {
    texts: BTreeMap<Lang, Texts>,
}

impl Catalog {
    /// The built-in texts.
    pub fn builtin() -> Catalog {
        let sources = [
            (Lang::Pl, include_str!("../../../data/i18n/pl.toml")),
            (Lang::Ro, include_str!("../../../data/i18n/ro.toml")),
            (Lang::En, include_str!("../../../data/i18n/en.toml")),
            (Lang::Uk, include_str!("../../../data/i18n/uk.toml")),
            (Lang::Fr, include_str!("../../../data/i18n/fr.toml")),
            (Lang::De, include_str!("../../../data/i18n/de.toml")),
            (Lang::Es, include_str!("../../../data/i18n/es.toml")),
            (Lang::It, include_str!("../../../data/i18n/it.toml")),
            (Lang::Cs, include_str!("../../../data/i18n/cs.toml")),
        ];
        let texts = sources
            .into_iter()
            .map(|(lang, text)| {
                let parsed: Texts = toml::from_str(text)
                    .unwrap_or_else(|e| panic!("built-in data/i18n/{}.toml is invalid: {e}", lang.code()));
                (lang, parsed)
            })
            .collect();
        Catalog { texts }
    }

    /// The texts of a language.
    pub fn texts(&self, lang: Lang) -> &Texts {
        &self.texts[&lang]
    }
}

impl Texts {
    /// A UI label, or its key when missing.
    pub fn ui<'a>(&'a self, key: &'a str) -> &'a str {
        self.ui.get(key).map(String::as_str).unwrap_or(key)
    }
}

/// Fills `{name}` placeholders from `values`.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                let key = &after[..close];
                rest = &after[close + 1..];
                if let Some((_, v)) = values.iter().find(|(k, _)| *k == key) {
                    rest = insert_quoted(&mut out, v, rest);
                }
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Appends a value; typography when the template quotes it (`„{evidence}”.`): quotes inside
/// the value become the nested kind (`„…«…»…”`), and a value ending a sentence takes the
/// place of the template's full stop (`„…weryfikacji.”`, not `„…weryfikacji.”.`). Returns
/// the rest of the template.
fn insert_quoted<'t>(out: &mut String, value: &str, rest: &'t str) -> &'t str {
    if out.ends_with('„') && value.contains('„') {
        out.extend(value.chars().map(|c| match c {
            '„' => '«',
            '”' => '»',
            other => other,
        }));
    } else {
        out.push_str(value);
    }
    let mut after = rest.chars();
    match (after.next(), after.next()) {
        (Some(quote @ ('”' | '"' | '»' | '“')), Some('.')) if value.ends_with(['.', '!', '?', '…']) => {
            out.push(quote);
            after.as_str()
        }
        _ => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn quoted_values_keep_polish_typography() {
        let t = "Deklaruje: „{policy}”. Dalej.";
        assert_eq!(
            render(t, &[("policy", "Nie wysyłamy linków.")]),
            "Deklaruje: „Nie wysyłamy linków.” Dalej."
        );
        assert_eq!(
            render(t, &[("policy", "„Zwrot kosztów” jest fałszywy")]),
            "Deklaruje: „«Zwrot kosztów» jest fałszywy”. Dalej."
        );
    }

    #[test]
    fn renders_placeholders() {
        assert_eq!(render("a {x} b {y}", &[("x", "1"), ("y", "2")]), "a 1 b 2");
        assert_eq!(render("{missing} {x", &[]), " {x");
    }
}
