//! Puts an [`Analysis`] into words in the reader's language, with advice whose contacts
//! come only from the registry, never from the message.

use crate::analysis::{Analysis, InputKind, Verdict};
use crate::catalogue::{About, Catalogue};
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
    /// What the verdict rests on, so that its wording follows what was found.
    pub basis: Basis,
    /// Short headline for the verdict, worded after its basis.
    pub headline: String,
    /// One sentence on what the verdict means, worded after its basis.
    pub summary: String,
    /// Findings with their explanations.
    pub findings: Vec<ReportFinding>,
    /// What to do, official contacts and reporting routes.
    pub advice: Advice,
}

/// What a verdict rests on: the findings that speak against the message.
///
/// The headline and summary are looked up as `<verdict>_<basis>` in `data/i18n`, falling
/// back to `<verdict>`, so each verdict is worded after what was really found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Nothing speaks against the message.
    Nothing,
    /// The only thing against it: the claimed sender could not be authenticated.
    SenderUnconfirmed,
    /// One sign against it.
    OneSign,
    /// Several signs against it.
    Signs,
}

/// Findings that only say the claimed sender could not be authenticated (no signature, no
/// DNS, no results): not a sign of fraud by themselves. A failed check (`AUTH_FAIL`) is one.
const UNCONFIRMED_SENDER: &[&str] = &["AUTH_MISSING_FOR_CLAIM"];

impl Basis {
    /// The basis of an analysis: which of its findings raise the score.
    pub fn of(analysis: &Analysis) -> Basis {
        let against: Vec<&str> = analysis
            .findings
            .iter()
            .filter(|f| f.weight > 0.0)
            .map(|f| f.code.as_str())
            .collect();
        match against.as_slice() {
            [] => Basis::Nothing,
            codes if codes.iter().all(|c| UNCONFIRMED_SENDER.contains(c)) => Basis::SenderUnconfirmed,
            [_] => Basis::OneSign,
            _ => Basis::Signs,
        }
    }

    /// The snake-case name used in JSON and as the suffix of i18n keys.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Nothing => "nothing",
            Basis::SenderUnconfirmed => "sender_unconfirmed",
            Basis::OneSign => "one_sign",
            Basis::Signs => "signs",
        }
    }
}

/// The text for a verdict worded after its basis: `<verdict>_<basis>`, else `<verdict>`.
fn verdict_text(table: &std::collections::BTreeMap<String, String>, verdict: Verdict, basis: Basis) -> &str {
    table
        .get(&format!("{}_{}", verdict.name(), basis.name()))
        .or_else(|| table.get(verdict.name()))
        .map(String::as_str)
        .unwrap_or_default()
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
    /// What it is about (`sender`, `link`, `request`, `money`, `content`, `other`).
    pub about: About,
}

/// Findings about one thing, as shown to people: a heading, one line per finding, and the
/// evidence its lines do not already quote, each piece once.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingGroup {
    /// What the findings are about.
    pub about: About,
    /// The heading in the reader's language.
    pub title: String,
    /// One line per finding, the weightiest first.
    pub lines: Vec<GroupLine>,
    /// Evidence not quoted in any line of the page, each piece once.
    pub evidence: Vec<String>,
}

/// One finding's line in a [`FindingGroup`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupLine {
    /// The finding code.
    pub code: String,
    /// Its explanation.
    pub message: String,
    /// Its weight: below zero it speaks for the message, above against it.
    pub weight: f32,
}

/// The findings grouped by what they are about, in [`About::ALL`] order, for the result page
/// and the CLI. Said once: the claim of an institution is left out beside other findings (the
/// verdict names the institution); a finding that only counts inside a combination that was
/// found is left to the combination; of findings of one topic on the same evidence, only the
/// weightiest pointing the same way; the same sentence once; evidence a sentence quotes is not
/// shown again.
pub fn group_findings(findings: &[ReportFinding], catalogue: &Catalogue, t: &Texts) -> Vec<FindingGroup> {
    let present = |code: &str| findings.iter().any(|f| f.code == code);
    let said_by_composite = |code: &str| {
        catalogue.composites.iter().any(|c| {
            present(&c.code) && (c.all.iter().any(|x| x == code) || c.any_of.iter().flatten().any(|x| x == code))
        })
    };
    let shown: Vec<&ReportFinding> = findings
        .iter()
        .filter(|f| f.code != "CLAIMS_INSTITUTION" || findings.len() == 1)
        .filter(|f| f.weight != 0.0 || !said_by_composite(&f.code))
        .collect();
    let mut said: Vec<&str> = Vec::new();
    let mut groups: Vec<FindingGroup> = Vec::new();
    for about in About::ALL {
        let mut of: Vec<&ReportFinding> = shown.iter().copied().filter(|f| f.about == about).collect();
        // Stable: findings of equal weight keep the order they were found in.
        of.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let mut taken: Vec<&ReportFinding> = Vec::new();
        for f in of {
            let same_evidence = |g: &&ReportFinding| {
                !f.evidence.is_empty() && g.evidence == f.evidence && (g.weight > 0.0) == (f.weight > 0.0)
            };
            if said.contains(&f.message.as_str()) || taken.iter().any(same_evidence) {
                continue;
            }
            said.push(&f.message);
            taken.push(f);
        }
        if !taken.is_empty() {
            groups.push(FindingGroup {
                about,
                title: t.ui(&format!("about_{}", about.name())).to_string(),
                lines: taken
                    .into_iter()
                    .map(|f| GroupLine {
                        code: f.code.clone(),
                        message: f.message.clone(),
                        weight: f.weight,
                    })
                    .collect(),
                evidence: Vec::new(),
            });
        }
    }
    // Evidence that no sentence on the page quotes, once, under the first group showing it.
    let mut quoted: Vec<&str> = Vec::new();
    for g in &mut groups {
        for f in shown.iter().filter(|f| f.about == g.about) {
            let evidence = f.evidence.trim();
            if evidence.is_empty() || quoted.contains(&evidence) || said.iter().any(|m| m.contains(evidence)) {
                continue;
            }
            quoted.push(evidence);
            g.evidence.push(evidence.to_string());
        }
    }
    groups
}

/// Advice: steps, official contacts, and where to report. Contacts come from the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    /// Plain steps in the reader's language, fitted to the channel and the verdict.
    pub steps: Vec<String>,
    /// Official contacts of the claimed institution.
    pub official_contacts: Vec<Contact>,
    /// Where to report, best route first (`primary`); empty when there is nothing to report
    /// (official and unverified results).
    pub report_to: Vec<Contact>,
}

/// One contact from the registry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contact {
    /// `web`, `phone`, `email` or `sms`.
    pub kind: String,
    /// URL, number or address, as in the registry.
    pub value: String,
    /// The value as people read it: a phone number grouped (`+48 800 190 590`).
    pub display: String,
    /// A link that opens it: `tel:`, `sms:`, `mailto:` or the web address.
    pub href: String,
    /// Institution id.
    pub institution: String,
    /// Institution name in the reader's language.
    pub name: String,
    /// Confidence of the registry entry.
    pub confidence: Confidence,
    /// Whether the registry's source is below high confidence: marked "(unconfirmed)" wherever
    /// the contact is shown.
    pub unconfirmed: bool,
    /// The one best reporting route for this message (shown first; the others are folded).
    pub primary: bool,
    /// The step in plain words.
    pub text: String,
}

impl Contact {
    /// A contact of `kind` (`web`, `phone`, `email`, `sms`) with its display form and link;
    /// `written` is a number's grouped form from the registry, when it has one: shown as it
    /// is, without loading libphonenumber's metadata (most of a one-shot `check`'s start).
    fn new(
        kind: &str,
        value: &str,
        written: Option<&str>,
        inst: &Institution,
        lang: Lang,
        confidence: Confidence,
    ) -> Contact {
        let (display, href) = match kind {
            "phone" | "sms" => {
                let (shown, dial) = match written {
                    Some(w) => (w.to_string(), value.to_string()),
                    None => crate::phones::for_humans(value),
                };
                let scheme = if kind == "sms" { "sms" } else { "tel" };
                (shown, format!("{scheme}:{dial}"))
            }
            "email" => (value.to_string(), format!("mailto:{value}")),
            _ => (value.to_string(), value.to_string()),
        };
        Contact {
            kind: kind.into(),
            value: value.to_string(),
            display,
            href,
            institution: inst.id.clone(),
            name: inst.short_name(lang).to_string(),
            confidence,
            unconfirmed: confidence != Confidence::High,
            primary: false,
            text: String::new(),
        }
    }
}

/// How well a reporting route fits the channel a message came on (lower is better), `None`
/// when it does not fit at all: only a text message can be forwarded to an SMS number.
fn route_rank(kind: InputKind, route: ReportingKind) -> Option<u8> {
    use ReportingKind::*;
    let order: &[ReportingKind] = match kind {
        InputKind::Sms => &[Sms, Web, Email, Phone],
        InputKind::Email => &[Email, Web, Phone],
        InputKind::Phone | InputKind::Call => &[Web, Phone, Email],
        InputKind::Url => &[Web, Email, Phone],
        InputKind::Text => &[Web, Email, Sms, Phone],
    };
    order.iter().position(|k| *k == route).map(|i| i as u8)
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
                    about: self.catalogue().about(&f.code),
                }
            })
            .collect();
        let basis = Basis::of(analysis);
        let claimed = institution.map(|i| i.short_name(lang).to_string()).unwrap_or_default();
        let names = [("institution", claimed.as_str())];
        Report {
            verdict: analysis.verdict,
            score: analysis.score,
            institution: analysis.institution.clone(),
            institution_name: institution.map(|i| i.display_name(lang).to_string()),
            kind: analysis.kind,
            language: lang,
            message_language: analysis.message_language,
            basis,
            headline: render(verdict_text(&t.verdict, analysis.verdict, basis), &names),
            summary: render(verdict_text(&t.verdict_explain, analysis.verdict, basis), &names),
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

    /// Advice as a function of channel, verdict and claimed institution.
    fn advice(&self, analysis: &Analysis, institution: Option<&Institution>, t: &Texts, lang: Lang) -> Advice {
        let claimed = institution.map(|i| i.short_name(lang)).unwrap_or_default();
        let say = |key: &str| {
            render(
                t.advice.get(key).map(String::as_str).unwrap_or_default(),
                &[("institution", claimed)],
            )
        };
        let mut steps = Vec::new();
        match (analysis.verdict, Basis::of(analysis)) {
            (Verdict::Official, _) => steps.push(say("official_looks_fine")),
            (Verdict::Unverified, _) if institution.is_some() => steps.push(say("unverified_check")),
            (Verdict::Unverified, _) => steps.push(say("nothing_found")),
            (Verdict::Suspicious, Basis::SenderUnconfirmed) if institution.is_some() => {
                steps.push(say("unconfirmed_check"))
            }
            (Verdict::Suspicious | Verdict::Phishing, _) => {
                steps.push(say("never_use_message_contacts"));
                steps.push(say("do_not_click"));
            }
        }
        match analysis.kind {
            InputKind::Phone => steps.push(say("caller_id_spoofable")),
            InputKind::Sms => steps.push(say("sms_sender_spoofable")),
            _ => {}
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
        let report_to = if analysis.verdict >= Verdict::Suspicious {
            self.reporting_routes(analysis, institution, t, lang)
        } else {
            Vec::new()
        };
        Advice {
            steps,
            official_contacts,
            report_to,
        }
    }

    /// Where to report a message: the claimed institution's own CSIRT, its parent's, then the
    /// national ones; routes fitting the channel first, the best one marked `primary`.
    fn reporting_routes(
        &self,
        analysis: &Analysis,
        institution: Option<&Institution>,
        t: &Texts,
        lang: Lang,
    ) -> Vec<Contact> {
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
            (None, Some(Lang::Fr)) => vec!["FR"],
            (None, Some(Lang::De)) => vec!["DE"],
            (None, Some(Lang::Es)) => vec!["ES"],
            (None, Some(Lang::It)) => vec!["IT"],
            (None, Some(Lang::Cs)) => vec!["CZ"],
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
        let mut routes = Vec::new();
        for r in reporters {
            if seen.contains(&r.id) {
                continue;
            }
            seen.push(r.id.clone());
            for route in r
                .reporting
                .iter()
                .filter(|x| x.provenance.confidence.can_authenticate())
            {
                if let Some(rank) = route_rank(analysis.kind, route.kind) {
                    routes.push((rank, r, route));
                }
            }
        }
        // Stable: within a rank, the institution's own CSIRT before the national one.
        routes.sort_by_key(|(rank, _, _)| *rank);
        let mut out: Vec<Contact> = routes
            .into_iter()
            .map(|(_, r, route)| {
                let (kind, key, placeholder) = match route.kind {
                    ReportingKind::Sms => ("sms", "report_sms", "number"),
                    ReportingKind::Phone => ("phone", "report_phone", "number"),
                    ReportingKind::Email => ("email", "report_email", "email"),
                    ReportingKind::Web => ("web", "report_web", "url"),
                };
                let mut c = Contact::new(
                    kind,
                    &route.value,
                    route.written.as_deref(),
                    r,
                    lang,
                    route.provenance.confidence,
                );
                c.text = render(
                    t.advice.get(key).map(String::as_str).unwrap_or_default(),
                    &[(placeholder, &c.display), ("name", &c.name)],
                );
                c
            })
            .collect();
        if let Some(first) = out.first_mut() {
            first.primary = true;
        }
        out
    }

    fn contacts_of(&self, inst: &Institution, t: &Texts, lang: Lang, out: &mut Vec<Contact>) {
        let contact =
            |kind: &str, value: &str, shown: Option<&str>, confidence: Confidence, key: &str, placeholder: &str| {
                let mut c = Contact::new(kind, value, shown, inst, lang, confidence);
                c.text = render(
                    t.advice.get(key).map(String::as_str).unwrap_or_default(),
                    &[(placeholder, &c.display)],
                );
                c
            };
        for d in inst
            .domains
            .iter()
            .filter(|d| d.web && d.provenance.confidence.can_authenticate())
            .take(2)
        {
            let url = format!("https://{}", d.name);
            out.push(contact("web", &url, None, d.provenance.confidence, "visit", "url"));
        }
        for p in inst
            .phones
            .iter()
            .filter(|p| p.provenance.confidence.can_authenticate())
            .take(2)
        {
            let shown = p.written.as_deref();
            out.push(contact(
                "phone",
                &p.e164,
                shown,
                p.provenance.confidence,
                "call",
                "phone",
            ));
        }
        for e in inst
            .emails
            .iter()
            .filter(|e| e.provenance.confidence.can_authenticate())
            .take(1)
        {
            out.push(contact(
                "email",
                &e.address,
                None,
                e.provenance.confidence,
                "write",
                "email",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{group_findings, verdict_text, Basis, ReportFinding};
    use crate::analysis::{Analysis, Finding, InputKind, Verdict};
    use crate::catalogue::{About, Catalogue};
    use crate::i18n::Catalog;
    use healthguard_registry::Lang;

    fn analysis(verdict: Verdict, findings: &[(&str, f32)]) -> Analysis {
        Analysis {
            kind: InputKind::Email,
            verdict,
            score: findings.iter().map(|f| f.1).sum(),
            institution: Some("pl.nfz".into()),
            findings: findings
                .iter()
                .map(|(code, weight)| Finding {
                    weight: *weight,
                    ..Finding::new(code, "x")
                })
                .collect(),
            message_language: None,
            lures: Vec::new(),
            authenticated_as: None,
        }
    }

    #[test]
    fn the_basis_is_what_raises_the_score() {
        use Verdict::*;
        let of = |v, f: &[(&str, f32)]| Basis::of(&analysis(v, f));
        assert_eq!(of(Unverified, &[("LINK_OFFICIAL", 0.0)]), Basis::Nothing);
        let unconfirmed = [("AUTH_MISSING_FOR_CLAIM", 3.0), ("LINK_OFFICIAL", 0.0)];
        assert_eq!(of(Suspicious, &unconfirmed), Basis::SenderUnconfirmed);
        let with_lure = [("AUTH_MISSING_FOR_CLAIM", 3.0), ("LURE_PAYMENT", 2.0)];
        assert_eq!(of(Suspicious, &with_lure), Basis::Signs);
        assert_eq!(of(Suspicious, &[("SENDER_IMPERSONATES", 3.0)]), Basis::OneSign);
        // A failed authentication is a sign, not a mere absence of proof.
        let failed = [("AUTH_FAIL", 2.0), ("AUTH_MISSING_FOR_CLAIM", 3.0)];
        assert_eq!(of(Suspicious, &failed), Basis::Signs);
    }

    #[test]
    fn an_unconfirmed_sender_is_not_worded_as_signs_of_fraud_in_any_language() {
        let texts = Catalog::builtin();
        for lang in Lang::ALL {
            let t = texts.texts(lang);
            for v in [Verdict::Unverified, Verdict::Suspicious] {
                let special = verdict_text(&t.verdict_explain, v, Basis::SenderUnconfirmed);
                assert_ne!(
                    special,
                    verdict_text(&t.verdict_explain, v, Basis::Signs),
                    "{lang:?} {v:?}"
                );
                assert!(special.contains("{institution}"), "{lang:?} {v:?}");
                assert_ne!(
                    verdict_text(&t.verdict, Verdict::Suspicious, Basis::SenderUnconfirmed),
                    verdict_text(&t.verdict, Verdict::Suspicious, Basis::Signs),
                    "{lang:?}"
                );
            }
            assert_ne!(
                verdict_text(&t.verdict_explain, Verdict::Suspicious, Basis::OneSign),
                verdict_text(&t.verdict_explain, Verdict::Suspicious, Basis::Signs),
                "{lang:?}"
            );
        }
    }

    fn finding(code: &str, about: About, weight: f32, evidence: &str, message: &str) -> ReportFinding {
        ReportFinding {
            code: code.into(),
            weight,
            evidence: evidence.into(),
            message: message.into(),
            institution: None,
            params: Vec::new(),
            about,
        }
    }

    #[test]
    fn findings_are_grouped_by_topic_each_sentence_and_evidence_once() {
        let texts = Catalog::builtin();
        let t = texts.texts(Lang::En);
        let catalogue = Catalogue::builtin();
        let findings = [
            finding("CLAIMS_INSTITUTION", About::Sender, 0.0, "NFZ", "Claims NFZ."),
            finding(
                "LINK_UNOFFICIAL",
                About::Link,
                1.0,
                "x-nfz.com",
                "The link x-nfz.com is not official.",
            ),
            finding("LURE_PAYMENT", About::Money, 2.0, "zapłać", "It asks for payment."),
            finding(
                "LOOKALIKE_DOMAIN",
                About::Link,
                8.0,
                "x-nfz.com",
                "The address x-nfz.com imitates nfz.gov.pl.",
            ),
            finding(
                "AUTH_MISSING_FOR_CLAIM",
                About::Sender,
                3.0,
                "NFZ <a@x-nfz.com>",
                "Nothing confirms it.",
            ),
            // The same fact found twice (as sender and as link) is said once.
            finding(
                "LOOKALIKE_DOMAIN",
                About::Link,
                8.0,
                "x-nfz.com",
                "The address x-nfz.com imitates nfz.gov.pl.",
            ),
            finding(
                "LINK_OFFICIAL",
                About::Link,
                0.0,
                "nfz.gov.pl",
                "The link nfz.gov.pl is official.",
            ),
            finding("LURE_URGENCY", About::Request, 1.0, "zapłać", "It presses you."),
            // Counted only in AMOUNT_WITH_BAIT, which says it.
            finding("MONEY_AMOUNT", About::Money, 0.0, "12 zł", "Names 12 zł."),
            finding("AMOUNT_WITH_BAIT", About::Money, 1.0, "", "An amount with bait."),
        ];
        let groups = group_findings(&findings, &catalogue, t);
        let topics: Vec<About> = groups.iter().map(|g| g.about).collect();
        assert_eq!(topics, [About::Sender, About::Link, About::Request, About::Money]);
        assert_eq!(groups[0].title, "Sender");
        let codes = |i: usize| -> Vec<&str> { groups[i].lines.iter().map(|l| l.code.as_str()).collect() };
        // The claim is left out beside other findings: the verdict box names the institution.
        assert_eq!(codes(0), ["AUTH_MISSING_FOR_CLAIM"]);
        // The weightiest of the same evidence, once; what points the other way stays.
        assert_eq!(codes(1), ["LOOKALIKE_DOMAIN", "LINK_OFFICIAL"]);
        assert_eq!(codes(3), ["LURE_PAYMENT", "AMOUNT_WITH_BAIT"]);
        // Evidence quoted in a sentence is not shown again; the rest once, where it is first shown.
        assert_eq!(groups[0].evidence, ["NFZ <a@x-nfz.com>"]);
        assert!(groups[1].evidence.is_empty());
        assert_eq!(groups[2].evidence, ["zapłać"]);
        assert!(groups[3].evidence.is_empty(), "{:?}", groups[3].evidence);
        // A claim alone is still said.
        let alone = group_findings(&findings[..1], &catalogue, t);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].lines[0].code, "CLAIMS_INSTITUTION");
    }
}
