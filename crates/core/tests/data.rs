//! The data files agree with the code: every finding code is weighed and explained in every
//! language, every lure kind has phrases and a name, every technique has a name.

use healthguard_core::{About, Catalog, Catalogue, Lexicon};
use healthguard_registry::{Lang, LureKind};
use std::collections::BTreeSet;

/// Finding codes the Rust code can emit, found by scanning the sources for `Finding::new("…"`.
fn emitted_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for part in text.split("Finding::new(\"").skip(1) {
                    let code: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    if !code.is_empty() {
                        codes.insert(code);
                    }
                }
            }
        }
    }
    for kind in LureKind::ALL {
        if kind != LureKind::Link {
            codes.insert(format!("LURE_{}", kind.name().to_ascii_uppercase()));
        }
    }
    codes
}

#[test]
fn every_emitted_code_is_catalogued() {
    let catalogue = Catalogue::builtin();
    for code in emitted_codes() {
        assert!(
            catalogue.entry(&code).is_some(),
            "{code} is emitted but missing from data/scores.toml"
        );
    }
}

#[test]
fn every_catalogued_code_says_what_it_is_about_in_every_language() {
    let catalogue = Catalogue::builtin();
    let unplaced: Vec<&str> = catalogue.unplaced().collect();
    assert!(unplaced.is_empty(), "no `about` in data/scores.toml for {unplaced:?}");
    let texts = Catalog::builtin();
    for lang in Lang::ALL {
        for about in About::ALL {
            let key = format!("about_{}", about.name());
            assert!(
                texts.texts(lang).ui.get(&key).is_some_and(|t| !t.trim().is_empty()),
                "ui.{key} in {}",
                lang.code()
            );
        }
    }
}

#[test]
fn every_catalogued_code_is_explained_in_every_language() {
    let catalogue = Catalogue::builtin();
    let texts = Catalog::builtin();
    for lang in Lang::ALL {
        let t = texts.texts(lang);
        for code in catalogue.codes() {
            let msg = t
                .finding
                .get(code)
                .unwrap_or_else(|| panic!("{code} has no text in {}", lang.code()));
            assert!(!msg.trim().is_empty(), "{code} empty in {}", lang.code());
        }
        for v in ["official", "unverified", "suspicious", "phishing"] {
            assert!(
                t.verdict.contains_key(v) && t.verdict_explain.contains_key(v),
                "{v} in {}",
                lang.code()
            );
        }
        for kind in LureKind::ALL {
            assert!(
                t.lure.contains_key(kind.name()),
                "lure {} in {}",
                kind.name(),
                lang.code()
            );
        }
        for key in [
            "never_use_message_contacts",
            "do_not_click",
            "official_looks_fine",
            "unverified_check",
            "visit",
            "call",
            "write",
            "report_sms",
            "report_email",
            "report_phone",
            "report_web",
            "caller_id_spoofable",
            "sms_sender_spoofable",
            "nothing_found",
            "unconfirmed_check",
        ] {
            assert!(t.advice.contains_key(key), "advice {key} in {}", lang.code());
        }
    }
}

#[test]
fn all_languages_have_the_same_keys() {
    let texts = Catalog::builtin();
    let keys = |lang| {
        let t = texts.texts(lang);
        let mut k: BTreeSet<String> = BTreeSet::new();
        for (section, map) in [
            ("verdict", &t.verdict),
            ("verdict_explain", &t.verdict_explain),
            ("finding", &t.finding),
            ("lure", &t.lure),
            ("technique", &t.technique),
            ("ui", &t.ui),
            ("advice", &t.advice),
            ("channel", &t.channel),
        ] {
            k.extend(map.keys().map(|x| format!("{section}.{x}")));
        }
        k
    };
    let en = keys(Lang::En);
    for lang in Lang::ALL {
        assert_eq!(keys(lang), en, "{} differs from en", lang.code());
    }
}

#[test]
fn every_technique_has_a_name_in_every_language() {
    use healthguard_domains::Technique::*;
    let texts = Catalog::builtin();
    for t in [
        Homoglyph,
        MixedScript,
        Typo,
        Transposition,
        Omission,
        Repetition,
        Insertion,
        Replacement,
        VowelSwap,
        Bitsquatting,
        Hyphenation,
        DotForHyphen,
        Combosquat,
        OfficialSubdomain,
        TldSwap,
        SuffixImitation,
    ] {
        for lang in Lang::ALL {
            assert!(
                texts.texts(lang).technique.contains_key(t.name()),
                "{} in {}",
                t.name(),
                lang.code()
            );
        }
    }
}

#[test]
fn lexicons_load_and_cover_every_lure_kind() {
    let lexicon = Lexicon::builtin();
    assert!(lexicon.len() > 200, "{} phrases", lexicon.len());
    // Every lexicon language (data/lexicons/<lang>.toml), explanation language or not,
    // covers every lure kind; every explanation language has a lexicon.
    for code in healthguard_core::LEXICON_LANGS {
        let lex = healthguard_core::LexLang::from_code(code).expect("listed languages parse");
        for kind in LureKind::ALL.into_iter().filter(|k| *k != LureKind::Link) {
            let n = lexicon.coverage().get(&(lex, kind)).copied().unwrap_or(0);
            assert!(n > 0, "no {} phrases in {code}", kind.name());
        }
    }
    for lang in Lang::ALL {
        assert!(
            healthguard_core::LEXICON_LANGS.contains(&lang.code()),
            "no lexicon for {}",
            lang.code()
        );
    }
}
