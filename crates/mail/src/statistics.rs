//! The per-site statistical signal (`healthguard learn`, [`healthguard_core::bayes`]): the
//! tokens of a message as the model learns and judges them, and its finding.
//!
//! The finding never decides alone: `BAYES_BAD` weighs less than the gap to `phishing`
//! (`data/scores.toml`), and `BAYES_HAM` speaks for a message but cannot outweigh a
//! look-alike or a policy violation.

use crate::identity::site;
use crate::parse::ParsedMail;
use healthguard_core::bayes::{self, Model};
use healthguard_core::{links, Finding};

/// Most bytes of body text tokenised.
const TEXT_BYTES: usize = 16 * 1024;
/// At or above this probability a message reads like this site's bad mail.
const BAD: f64 = 0.95;
/// At or below, like its legitimate mail.
const HAM: f64 = 0.05;

/// The tokens of a message: words of the subject and the body, the From organisation
/// (`from:`) and the sites it links to (`site:`).
pub fn tokens(mail: &ParsedMail) -> Vec<String> {
    let mut features: Vec<String> = Vec::new();
    if let Some(d) = mail.from.iter().find_map(|m| m.domain()) {
        features.push(format!("from:{}", site(&d)));
    }
    let text = healthguard_core::fold::prefix(&mail.text, TEXT_BYTES);
    let hrefs = mail.links.iter().filter_map(|l| links::parse_one(l.href.trim()));
    for l in links::extract(text).into_iter().chain(hrefs) {
        if !l.is_email && features.len() < 50 {
            let f = format!("site:{}", site(&l.host));
            if !features.contains(&f) {
                features.push(f);
            }
        }
    }
    let mut words = String::with_capacity(mail.subject.len() + text.len() + 1);
    words.push_str(&mail.subject);
    words.push('\n');
    words.push_str(text);
    bayes::tokens(&words, features.iter().map(String::as_str))
}

/// `BAYES_BAD` or `BAYES_HAM` when the model is sure enough, with the most telling tokens
/// as evidence and the probability as `target`.
pub(crate) fn finding(model: &Model, mail: &ParsedMail) -> Option<Finding> {
    let judgement = model.judge(&tokens(mail))?;
    let code = if judgement.probability >= BAD {
        "BAYES_BAD"
    } else if judgement.probability <= HAM {
        "BAYES_HAM"
    } else {
        return None;
    };
    let shown: Vec<&str> = judgement.tokens.iter().take(6).map(String::as_str).collect();
    Some(Finding::new(code, shown.join(", ")).param("target", format!("{:.0}%", judgement.probability * 100.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    #[test]
    fn a_trained_model_adds_its_judgement() {
        // Written by the project: a site whose bad mail asks to verify mailboxes.
        let bad = |i: usize| {
            format!("From: Admin <admin{i}@mailbox-verify.example>\r\nSubject: Mailbox verification {i}\r\n\r\nYour mailbox quota is exceeded, verify now at https://mailbox-verify.example/{i}\r\n")
        };
        let ham = |i: usize| {
            format!("From: Ann <ann@clinic.example>\r\nSubject: Rota week {i}\r\n\r\nThe rota for the ward and the clinic meeting agenda: https://intranet.clinic.example/rota/{i}\r\n")
        };
        let mut model = Model::default();
        for i in 0..60 {
            model.learn(&tokens(&crate::parse(bad(i).as_bytes(), &Limits::default())), true);
            model.learn(&tokens(&crate::parse(ham(i).as_bytes(), &Limits::default())), false);
        }
        let checker = healthguard_core::Checker::new(healthguard_registry::builtin().clone()).with_model(model);
        let a = crate::check(&checker, bad(99).as_bytes(), &Limits::default(), &crate::NoAuth);
        let f = a.findings.iter().find(|f| f.code == "BAYES_BAD").expect("judged bad");
        assert!(f.weight > 0.0 && f.evidence.contains("verify"), "{f:?}");
        let a = crate::check(&checker, ham(99).as_bytes(), &Limits::default(), &crate::NoAuth);
        assert!(a.findings.iter().any(|f| f.code == "BAYES_HAM" && f.weight < 0.0));
        // Without a model, nothing.
        let plain = healthguard_core::Checker::new(healthguard_registry::builtin().clone());
        let a = crate::check(&plain, bad(99).as_bytes(), &Limits::default(), &crate::NoAuth);
        assert!(!a.findings.iter().any(|f| f.code.starts_with("BAYES_")));
    }
}
