//! No personal data in any export: synthetic reports carry victims' names after salutations,
//! their own numbers and addresses, PESELs, IBANs and reporters' contacts; every format is
//! scanned for each of them. ARF messages are made with every report as the sample, so the
//! redaction of each one is checked.

use healthguard_triage::export::arf::{self, Sample};
use healthguard_triage::export::{blocklist, misp, stix, Context};
use healthguard_triage::{synth, Grouper, Official};

#[test]
fn no_export_holds_personal_data() {
    let registry = healthguard_registry::builtin();
    let official = Official::from_registry(registry);
    let reports = synth::generate(150, 99);
    let mut g = Grouper::new(official.clone());
    for r in &reports {
        g.add(&r.report);
    }
    let ctx = Context {
        generated_at_ms: 1_796_298_600_000,
        registry,
        official: &official,
    };
    let campaigns = g.campaigns();
    let mut outputs = vec![
        stix::bundle(&campaigns, &ctx),
        misp::event(&campaigns, &ctx),
        blocklist::plain(&campaigns, &ctx),
        blocklist::hosts(&campaigns, &ctx),
        blocklist::rpz(&campaigns, &ctx),
        blocklist::adblock(&campaigns, &ctx),
    ];
    for r in &reports {
        let c = g.campaign_of(&r.report.id).expect("grouped").clone();
        outputs.push(arf::report(
            &c,
            Some(&Sample::of(&r.report, &official)),
            &ctx,
            "csirt@example.org",
        ));
    }
    // ARF bodies are base64: scan them decoded too.
    let decoded: Vec<String> = outputs
        .iter()
        .filter_map(|o| mail_parser::MessageParser::default().parse(o.as_bytes()))
        .flat_map(|m| {
            let mut texts = vec![m.body_text(0).map(|t| t.into_owned()).unwrap_or_default()];
            for p in &m.parts {
                if let mail_parser::PartType::Message(inner) = &p.body {
                    texts.push(inner.body_text(0).map(|t| t.into_owned()).unwrap_or_default());
                    texts.push(inner.subject().unwrap_or_default().to_string());
                }
            }
            texts
        })
        .collect();
    assert!(decoded.iter().any(|t| t.contains("[NAME]")), "the samples were read");
    outputs.extend(decoded);
    let mut checked = 0;
    for r in &reports {
        for p in &r.personal {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            for o in &outputs {
                assert!(!o.contains(p.as_str()), "{p:?} of {} in an export", r.report.id);
                if p.starts_with('+') {
                    assert!(
                        !o.contains(&format!("+{digits}")),
                        "{p:?} (E.164) of {} in an export",
                        r.report.id
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 600, "{checked}");
}
