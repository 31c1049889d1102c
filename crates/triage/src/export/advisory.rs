//! A registry advisory draft for a confirmed campaign, in the packs' TOML format
//! (`[[advisory]]`, see `data/registry/SCHEMA.md`), to be reviewed, translated, signed and
//! published by the registry's maintainers.
//!
//! The draft carries only what the campaign proves: its indicator domains and sender
//! addresses (official channels never among them), its channels, its first-seen month.
//! The title is the same English sentence in every language the registry requires for the
//! institution's country, marked for translation; `source` names the campaign, for the
//! reviewer to replace with the published warning.

use super::{date, is_plain_host, Context};
use crate::campaign::Campaign;
use crate::indicators::IndicatorKind;
use healthguard_registry::Lang;

/// Most domains and senders a draft lists (the most reported first).
const MAX_ITEMS: usize = 20;

/// Why no draft can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoDraft {
    /// The campaign claims no institution of the registry: an advisory belongs to one.
    NoInstitution,
    /// Nothing to match on: no domain or sender address indicator.
    NoIndicators,
}

impl std::fmt::Display for NoDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoDraft::NoInstitution => "the campaign claims no institution of the registry; an advisory belongs to one",
            NoDraft::NoIndicators => "the campaign has no domain or sender address to put in an advisory",
        })
    }
}

/// A TOML string literal (basic string, escaped).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The draft for campaign `c`, to append to its institution's pack file.
pub fn draft(c: &Campaign, ctx: &Context) -> Result<String, NoDraft> {
    let id = c.institution().ok_or(NoDraft::NoInstitution)?;
    let inst = ctx.registry.institution(id).ok_or(NoDraft::NoInstitution)?;
    let mut ranked: Vec<_> = c.indicators.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let domains: Vec<&str> = ranked
        .iter()
        .filter(|(i, _)| i.kind == IndicatorKind::Domain && is_plain_host(&i.value))
        .filter(|(i, _)| !ctx.official.is_official_host(&i.value))
        // Only what the registry's lint takes as a domain (a known public suffix).
        .filter(|(i, _)| healthguard_registry::normalize_domain(&i.value).is_ok_and(|d| d == i.value))
        .map(|(i, _)| i.value.as_str())
        .take(MAX_ITEMS)
        .collect();
    let senders: Vec<&str> = ranked
        .iter()
        .filter(|(i, _)| i.kind == IndicatorKind::Email && !ctx.official.is_official_email(&i.value))
        .map(|(i, _)| i.value.as_str())
        .take(MAX_ITEMS)
        .collect();
    if domains.is_empty() && senders.is_empty() {
        return Err(NoDraft::NoIndicators);
    }
    let mut channels: Vec<&str> = c
        .channels
        .keys()
        .filter_map(|k| match k.as_str() {
            "sms" => Some("sms"),
            "email" => Some("email"),
            "url" => Some("web"),
            "phone" | "call" => Some("phone"),
            _ => None,
        })
        .collect();
    channels.sort_unstable();
    channels.dedup();
    let month = &date(c.first_seen_ms)[..7];
    let slug: String =
        c.id.to_lowercase()
            .chars()
            .filter(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || *ch == '-')
            .collect();
    let name = inst.display_name(Lang::En);
    let what = if domains.is_empty() {
        format!("from {}", senders[0])
    } else {
        format!("leading to {}", domains[0])
    };
    let title = format!(
        "Messages impersonating {name} {what} ({} reports, {} to {})",
        c.reports.len(),
        date(c.first_seen_ms),
        date(c.last_seen_ms)
    );
    let mut langs: Vec<Lang> = Lang::REGISTRY_REQUIRED.to_vec();
    if let Some(country) = ctx.registry.country(&inst.country) {
        langs.extend(country.languages.iter().copied());
    }
    langs.sort_by_key(|l| Lang::ALL.iter().position(|x| x == l));
    langs.dedup();
    let titles: Vec<String> = langs
        .iter()
        .map(|l| format!("{} = {}", l.code(), quoted(&title)))
        .collect();
    let list = |v: &[&str]| v.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    out.push_str(&format!(
        "# Draft from HealthGuard triage, campaign {} ({} reports). Review it, translate the title\n\
         # into each language, replace the source with the published warning, then sign the pack.\n",
        c.id,
        c.reports.len()
    ));
    out.push_str("[[advisory]]\n");
    out.push_str(&format!("id = {}\n", quoted(&format!("{}.{month}-{slug}", inst.id))));
    out.push_str(&format!("date = {}\n", quoted(month)));
    out.push_str(&format!("title = {{ {} }}\n", titles.join(", ")));
    out.push_str(&format!("channels = [{}]\n", list(&channels)));
    if !domains.is_empty() {
        out.push_str(&format!("domains = [{}]\n", list(&domains)));
    }
    if !senders.is_empty() {
        out.push_str(&format!("senders = [{}]\n", list(&senders)));
    }
    out.push_str(&format!(
        "source = {}\n",
        quoted(&format!(
            "HealthGuard triage campaign {} (replace with the published warning)",
            c.id
        ))
    ));
    out.push_str("confidence = \"low\"\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Grouper, Official, Report};
    use healthguard_registry::{builtin, builtin_files, load};

    fn campaign(institution: &str, texts: &[&str]) -> Campaign {
        let official = Official::from_registry(builtin());
        let mut g = Grouper::new(official);
        for (i, t) in texts.iter().enumerate() {
            g.add(&Report {
                id: format!("R{i}"),
                created_at_ms: 1_796_298_480_000 + i as i64,
                kind: "sms".into(),
                institution: Some(institution.into()),
                sender: None,
                message: t.as_bytes().to_vec(),
                contact: None,
            });
        }
        g.campaigns()[0].clone()
    }

    /// The draft appended to its institution's pack: the whole registry still lints clean.
    fn lints_clean(institution: &str, draft: &str) {
        let mut files = builtin_files();
        let file = files
            .iter_mut()
            .find(|f| f.text.contains(&format!("id = \"{institution}\"")) && f.text.contains("[institution]"))
            .expect("the institution's pack file");
        file.text.push('\n');
        file.text.push_str(draft);
        let registry = load(&files).unwrap_or_else(|p| panic!("{p:?}\n{draft}"));
        let inst = registry.institution(institution).unwrap();
        assert!(inst
            .advisories
            .iter()
            .any(|a| a.provenance.source.contains("HealthGuard triage")));
    }

    #[test]
    fn drafts_lint_clean_in_their_packs() {
        let official = Official::from_registry(builtin());
        let ctx = Context {
            generated_at_ms: 0,
            registry: builtin(),
            official: &official,
        };
        let c = campaign(
            "pl.nfz",
            &[
                "NFZ: zwrot 312 zl, potwierdz na nfz-zwrot.pl (info nfz.gov.pl)",
                "Zwrot \"skladki\": nfz-zwrot.pl/x, pisz do zwroty@nfz-zwrot.pl",
            ],
        );
        let d = draft(&c, &ctx).unwrap();
        assert!(d.contains("domains = [\"nfz-zwrot.pl\"]"), "{d}");
        assert!(!d.contains("nfz.gov.pl"), "official domains never in a draft: {d}");
        assert!(d.contains("channels = [\"sms\"]"), "{d}");
        assert!(d.contains("(2 reports"), "{d}");
        lints_clean("pl.nfz", &d);
        // A country with a language of its own (cs) gets a title in it too.
        let cz = campaign("cz.vzp", &["VZP: preplatek 500 Kc, vyzvednete na vzp-vraceni.cz"]);
        let d = draft(&cz, &ctx).unwrap();
        assert!(d.contains("cs = "), "{d}");
        lints_clean("cz.vzp", &d);
    }

    #[test]
    fn no_draft_without_institution_or_indicators() {
        let official = Official::from_registry(builtin());
        let ctx = Context {
            generated_at_ms: 0,
            registry: builtin(),
            official: &official,
        };
        let c = campaign("pl.nfz", &["Zadzwon pilnie, sprawa NFZ, info na nfz.gov.pl"]);
        assert_eq!(draft(&c, &ctx), Err(NoDraft::NoIndicators));
        let c = campaign(
            "pl.nfz",
            &["Zwrot czeka na https://nfz-zwrot.invalid-suffix-x/odbierz teraz"],
        );
        assert_eq!(
            draft(&c, &ctx),
            Err(NoDraft::NoIndicators),
            "no public suffix: not for the registry"
        );
        let c = campaign("xx.unknown", &["zwrot na nfz-zwrot.pl"]);
        assert_eq!(draft(&c, &ctx), Err(NoDraft::NoInstitution));
    }

    #[test]
    fn quoting_is_toml() {
        assert_eq!(quoted("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }
}
