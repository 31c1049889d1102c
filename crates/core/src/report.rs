//! Puts an [`Analysis`] into words in the reader's language, with advice whose contacts
//! come only from the registry, never from the message.

use crate::analysis::{Analysis, InputKind, Verdict};
use crate::checker::Checker;
use crate::i18n::{render, Catalog, Texts};
use healthguard_registry::{Confidence, Institution, Lang, ReportingKind};
use serde::Serialize;

/// The verdict as shown to a reader: the JSON contract of the CLI and the API.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `official` | `unverified` | `suspicious` | `phishing`.
    pub verdict: Verdict,
    /// Score after group caps.
    pub score: f32,
    /// Claimed institution id, or null.
    pub institution: Option<String>,
    /// Claimed institution's name in the reader's language.
    pub institution_name: Option<String>,
    /// What was checked.
    pub kind: InputKind,
    /// Language of the explanations.
    pub language: Lang,
    /// Language the message is written in, when detected.
    pub message_language: Option<Lang>,
    /// Short headline for the verdict.
    pub headline: String,
    /// One sentence on what the verdict means.
    pub summary: String,
    /// Findings with their explanations.
    pub findings: Vec<ReportFinding>,
    /// What to do, official contacts and reporting routes.
    pub advice: Advice,
}

/// A finding with its explanation.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFinding {
    /// Stable code.
    pub code: String,
    /// Weight in the score.
    pub weight: f32,
    /// Exact evidence from the input.
    pub evidence: String,
    /// Explanation in the reader's language.
    pub message: String,
    /// Institution concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// Policy id, advisory id, imitated domain… when relevant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
}

/// Advice: steps, official contacts, and where to report. Contacts come from the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    /// Plain steps in the reader's language.
    pub steps: Vec<String>,
    /// Official contacts of the claimed institution.
    pub official_contacts: Vec<Contact>,
    /// Reporting routes (the institution's CSIRT, the national CSIRT).
    pub report_to: Vec<Contact>,
}

/// One contact from the registry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    /// `web`, `phone`, `email` or `sms`.
    pub kind: String,
    /// URL, number or address.
    pub value: String,
    /// Institution id.
    pub institution: String,
    /// Institution name in the reader's language.
    pub name: String,
    /// Confidence of the registry entry.
    pub confidence: Confidence,
    /// The step in plain words.
    pub text: String,
}

impl Checker {
    /// The language to explain in: the one asked for, else the message's, else English.
    pub fn explain_language(&self, analysis: &Analysis, asked: Option<Lang>) -> Lang {
        asked.or(analysis.message_language).unwrap_or(Lang::En)
    }

    /// Puts an analysis into words.
    pub fn report(&self, analysis: &Analysis, texts: &Catalog, asked: Option<Lang>) -> Report {
        let lang = self.explain_language(analysis, asked);
        let t = texts.texts(lang);
        let institution = analysis
            .institution
            .as_deref()
            .and_then(|id| self.registry().institution(id));
        let findings = analysis
            .findings
            .iter()
            .map(|f| {
                let inst_name = f
                    .institution
                    .as_deref()
                    .and_then(|id| self.registry().institution(id))
                    .map(|i| i.short_name(lang).to_string())
                    .unwrap_or_default();
                let lure = f.get("lure").and_then(|k| t.lure.get(k)).cloned().unwrap_or_default();
                let technique = f
                    .get("technique")
                    .and_then(|k| t.technique.get(k))
                    .cloned()
                    .unwrap_or_default();
                let policy = f
                    .get("policy")
                    .and_then(|id| self.policy_text(id, lang))
                    .unwrap_or_default();
                let (advisory, date) = f
                    .get("advisory")
                    .and_then(|id| self.advisory_title(id, lang))
                    .unwrap_or_default();
                let template = t.finding.get(&f.code).map(String::as_str).unwrap_or(&f.code);
                let message = render(
                    template,
                    &[
                        ("evidence", &f.evidence),
                        ("institution", &inst_name),
                        ("target", f.get("target").unwrap_or_default()),
                        ("technique", &technique),
                        ("lure", &lure),
                        ("policy", &policy),
                        ("advisory", &advisory),
                        ("date", &date),
                    ],
                );
                ReportFinding {
                    code: f.code.clone(),
                    weight: f.weight,
                    evidence: f.evidence.clone(),
                    message,
                    institution: f.institution.clone(),
                    params: f.params.clone(),
                }
            })
            .collect();
        Report {
            verdict: analysis.verdict,
            score: analysis.score,
            institution: analysis.institution.clone(),
            institution_name: institution.map(|i| i.display_name(lang).to_string()),
            kind: analysis.kind,
            language: lang,
            message_language: analysis.message_language,
            headline: t.verdict.get(analysis.verdict.name()).cloned().unwrap_or_default(),
            summary: t
                .verdict_explain
                .get(analysis.verdict.name())
                .cloned()
                .unwrap_or_default(),
            findings,
            advice: self.advice(analysis, institution, t, lang),
        }
    }

    fn policy_text(&self, id: &str, lang: Lang) -> Option<String> {
        self.registry()
            .institutions
            .iter()
            .flat_map(|i| &i.policies)
            .find(|p| p.id == id)
            .and_then(|p| p.text.get(&lang).or_else(|| p.text.get(&Lang::En)).cloned())
    }

    fn advisory_title(&self, id: &str, lang: Lang) -> Option<(String, String)> {
        self.registry()
            .institutions
            .iter()
            .flat_map(|i| &i.advisories)
            .find(|a| a.id == id)
            .map(|a| {
                (
                    a.title
                        .get(&lang)
                        .or_else(|| a.title.get(&Lang::En))
                        .cloned()
                        .unwrap_or_default(),
                    a.date.clone(),
                )
            })
    }

    fn advice(&self, analysis: &Analysis, institution: Option<&Institution>, t: &Texts, lang: Lang) -> Advice {
        let mut steps = Vec::new();
        match analysis.verdict {
            Verdict::Official => steps.push(t.advice.get("official_looks_fine").cloned().unwrap_or_default()),
            Verdict::Unverified => steps.push(t.advice.get("unverified_check").cloned().unwrap_or_default()),
            Verdict::Suspicious | Verdict::Phishing => {
                steps.push(t.advice.get("never_use_message_contacts").cloned().unwrap_or_default());
                steps.push(t.advice.get("do_not_click").cloned().unwrap_or_default());
            }
        }
        if matches!(analysis.kind, InputKind::Phone | InputKind::Sms) {
            steps.push(t.advice.get("caller_id_spoofable").cloned().unwrap_or_default());
        }
        let mut official_contacts = Vec::new();
        if let Some(inst) = institution {
            // The institution, then its parent: where a patient can check for real.
            let mut chain = vec![inst];
            if let Some(parent) = inst.parent.as_deref().and_then(|p| self.registry().institution(p)) {
                chain.push(parent);
            }
            for i in chain {
                self.contacts_of(i, t, lang, &mut official_contacts);
            }
        }
        let mut report_to = Vec::new();
        let mut reporters: Vec<&Institution> = Vec::new();
        if let Some(inst) = institution {
            let mut ids: Vec<&str> = inst.report_to.iter().map(String::as_str).collect();
            if let Some(parent) = inst.parent.as_deref().and_then(|p| self.registry().institution(p)) {
                ids.extend(parent.report_to.iter().map(String::as_str));
            }
            if inst.kind == healthguard_registry::InstitutionKind::Csirt {
                ids.push(&inst.id);
            }
            reporters.extend(ids.into_iter().filter_map(|id| self.registry().institution(id)));
        }
        let countries: Vec<&str> = match (institution, analysis.message_language) {
            (Some(i), _) => vec![i.country.as_str()],
            (None, Some(Lang::Pl | Lang::Uk)) => vec!["PL"],
            (None, Some(Lang::Ro)) => vec!["RO"],
            _ => self.registry().countries.iter().map(|c| c.code.as_str()).collect(),
        };
        for code in countries {
            if let Some(country) = self.registry().country(code) {
                reporters.extend(
                    country
                        .national_reporting
                        .iter()
                        .filter_map(|id| self.registry().institution(id)),
                );
            }
        }
        let mut seen = Vec::new();
        for r in reporters {
            if seen.contains(&r.id) {
                continue;
            }
            seen.push(r.id.clone());
            let name = r.short_name(lang).to_string();
            let mut routes: Vec<_> = r
                .reporting
                .iter()
                .filter(|x| x.provenance.confidence.can_authenticate())
                .collect();
            // For an SMS, forwarding it comes first.
            routes.sort_by_key(|x| match (analysis.kind, x.kind) {
                (InputKind::Sms, ReportingKind::Sms) => 0,
                (_, ReportingKind::Web) => 1,
                (_, ReportingKind::Email) => 2,
                _ => 3,
            });
            for route in routes {
                let (kind, key, placeholder) = match route.kind {
                    ReportingKind::Sms => ("sms", "report_sms", "number"),
                    ReportingKind::Phone => ("phone", "report_phone", "number"),
                    ReportingKind::Email => ("email", "report_email", "email"),
                    ReportingKind::Web => ("web", "report_web", "url"),
                };
                let text = render(
                    t.advice.get(key).map(String::as_str).unwrap_or_default(),
                    &[(placeholder, &route.value), ("name", &name)],
                );
                report_to.push(Contact {
                    kind: kind.into(),
                    value: route.value.clone(),
                    institution: r.id.clone(),
                    name: name.clone(),
                    confidence: route.provenance.confidence,
                    text,
                });
            }
        }
        Advice {
            steps,
            official_contacts,
            report_to,
        }
    }

    fn contacts_of(&self, inst: &Institution, t: &Texts, lang: Lang, out: &mut Vec<Contact>) {
        let name = inst.short_name(lang).to_string();
        let contact = |kind: &str, value: String, confidence: Confidence, text: String| Contact {
            kind: kind.into(),
            value,
            institution: inst.id.clone(),
            name: name.clone(),
            confidence,
            text,
        };
        for d in inst
            .domains
            .iter()
            .filter(|d| d.web && d.provenance.confidence.can_authenticate())
            .take(2)
        {
            let url = format!("https://{}", d.name);
            let text = render(
                t.advice.get("visit").map(String::as_str).unwrap_or_default(),
                &[("url", &url)],
            );
            out.push(contact("web", url, d.provenance.confidence, text));
        }
        for p in inst
            .phones
            .iter()
            .filter(|p| p.provenance.confidence.can_authenticate())
            .take(2)
        {
            let text = render(
                t.advice.get("call").map(String::as_str).unwrap_or_default(),
                &[("phone", &p.e164)],
            );
            out.push(contact("phone", p.e164.clone(), p.provenance.confidence, text));
        }
        for e in inst
            .emails
            .iter()
            .filter(|e| e.provenance.confidence.can_authenticate())
            .take(1)
        {
            let text = render(
                t.advice.get("write").map(String::as_str).unwrap_or_default(),
                &[("email", &e.address)],
            );
            out.push(contact("email", e.address.clone(), e.provenance.confidence, text));
        }
    }
}
