//! The bad-input table of SECURITY.md, text rows (SMS, pasted text, links, numbers): text
//! built to make a regex or the fold backtrack, homoglyph floods, NUL and invalid UTF-8,
//! huge inputs. Each gets a verdict with bounded findings and evidence; time and peak memory
//! are measured outside the tests (`scripts/hostile-inputs.sh`), not asserted here.

use healthguard_core::{fold, links, Analysis, Catalog, Checker, Input, MAX_EVIDENCE_BYTES, MAX_LINKS, MAX_TEXT_BYTES};
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

/// Findings and their evidence stay small whatever the input: at most this many findings,
/// each quoting at most this many bytes.
const MAX_FINDINGS: usize = 64;
const MAX_EVIDENCE: usize = MAX_EVIDENCE_BYTES;

fn bounded(a: &Analysis, what: &str) {
    assert!(a.score.is_finite(), "{what}");
    assert!(
        a.findings.len() <= MAX_FINDINGS,
        "{what}: {} findings",
        a.findings.len()
    );
    for f in &a.findings {
        assert!(
            f.evidence.len() <= MAX_EVIDENCE,
            "{what}: {} bytes of evidence in {}",
            f.evidence.len(),
            f.code
        );
    }
    let report = checker().report(a, &Catalog::builtin(), None);
    assert!(
        serde_json::to_vec(&report).unwrap().len() < 256 * 1024,
        "{what}: report too large"
    );
}

fn every_kind(text: &str, what: &str) {
    for input in [
        Input::Sms {
            sender: Some("NFZ"),
            text,
        },
        Input::Text(text),
        Input::Url(text),
        Input::Phone(text),
        Input::Sms {
            sender: Some(text),
            text: "x",
        },
    ] {
        bounded(&checker().check(input), what);
    }
}

/// Inputs shaped against the link regex, the phone scanner and the fold.
fn backtracking_inputs() -> Vec<(&'static str, String)> {
    vec![
        ("dotted labels", "a.".repeat(200_000)),
        ("hyphen labels", "a-".repeat(200_000) + ".pl"),
        ("at signs", "a@".repeat(200_000)),
        ("address prefix", "x".repeat(300_000) + "@"),
        ("scheme floods", "http://".repeat(100_000)),
        ("defanged floods", "hxxp[:]//a[.]b[.]".repeat(50_000)),
        ("one long word", "x".repeat(1_000_000)),
        ("digits", "1".repeat(1_000_000)),
        ("phone-like", "+48 ".repeat(200_000)),
        ("brackets", "([{".repeat(200_000)),
        ("combining marks", "a".to_string() + &"\u{301}".repeat(300_000)),
        ("spaces", " ".repeat(1_000_000)),
        ("money amounts", "312,00 zł ".repeat(100_000)),
        ("percent escapes", "https://a.pl/".to_string() + &"%2".repeat(300_000)),
        ("long host labels", format!("https://{}.pl/", "a".repeat(500_000))),
    ]
}

#[test]
fn text_built_for_regex_and_fold_backtracking() {
    for (what, text) in backtracking_inputs() {
        every_kind(&text, what);
        assert!(links::extract(&text).len() <= 10 * MAX_LINKS || what == "dotted labels");
    }
}

#[test]
fn long_text_is_cut_and_reported() {
    let text = "Potwierdź dane: https://nfz-zwrot.pl/ ".repeat(MAX_TEXT_BYTES / 20);
    let a = checker().check(Input::Sms {
        sender: Some("NFZ"),
        text: &text,
    });
    assert!(a.has("INPUT_TRUNCATED"), "{:?}", a.findings);
    bounded(&a, "long text");
}

#[test]
fn homoglyph_floods() {
    let floods = [
        ("cyrillic", "nfz.gоv.рl ".repeat(50_000)),
        ("bold", "𝐍𝐅𝐙 𝐳𝐰𝐫𝐨𝐭 ".repeat(50_000)),
        ("zero width", "N\u{200d}F\u{200b}Z\u{2060}\u{feff} ".repeat(100_000)),
        ("mixed scripts", "ΝϜΖ ΝFZ NFΖ ".repeat(50_000)),
        ("fullwidth", "ＮＦＺ ｎｆｚ．ｇｏｖ．ｐｌ ".repeat(50_000)),
        ("bidi", "\u{202e}lp.vog.zfn\u{202c} ".repeat(50_000)),
    ];
    for (what, text) in floods {
        every_kind(&text, what);
        let folded = fold::fold(&text);
        // The fold is linear: its output is at most a few times its input.
        assert!(folded.text.len() <= 4 * text.len() + 2, "{what}: {}", folded.text.len());
    }
}

#[test]
fn nul_and_invalid_utf8() {
    let bytes: Vec<u8> = b"NFZ\0: zwrot \xff\xfe 312 z\xc5\0 nfz-zwrot\0.pl \xed\xa0\x80 \xf8\x88\x80\x80\x80"
        .iter()
        .copied()
        .cycle()
        .take(300_000)
        .collect();
    // What the CLI and the server do with bytes that should be text: decode lossily.
    let text = String::from_utf8_lossy(&bytes);
    every_kind(&text, "nul and invalid utf-8");
    every_kind("\0", "one nul");
    every_kind("", "empty");
}
