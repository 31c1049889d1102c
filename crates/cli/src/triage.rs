//! `healthguard triage`: campaigns and exports from the server's store (its data directory,
//! opened read-only so a running server is not disturbed, or its PostgreSQL database), offline.

use crate::args::{TriageCommand, TriageFormat};
use crate::{registry_cmd, write_stdout, UsageError};
use anyhow::{Context as _, Result};
use healthguard_server::store::{read_reports, Database, ReportRow};
use healthguard_triage::export::arf::{self, Sample};
use healthguard_triage::export::{blocklist, misp, stix, Context};
use healthguard_triage::{synth, Campaign, Grouper, Official, Report};
use std::collections::HashMap;

/// Runs a triage command.
pub fn run(cmd: TriageCommand) -> Result<u8> {
    match cmd {
        TriageCommand::Campaigns { store, json, registry } => {
            let registry = registry_cmd::select(&registry)?;
            let official = Official::from_registry(&registry);
            let grouped = group(&store.database(), &official, false)?;
            let campaigns = grouped.grouper.campaigns();
            let text = if json {
                listing_json(&campaigns)
            } else {
                listing(&campaigns, grouped.reports)
            };
            write_stdout(&text)?;
            Ok(0)
        }
        TriageCommand::Export {
            store,
            format,
            campaign,
            output,
            from,
            registry,
        } => {
            let registry = registry_cmd::select(&registry)?;
            let official = Official::from_registry(&registry);
            let grouped = group(&store.database(), &official, format == TriageFormat::Arf)?;
            let all = grouped.grouper.campaigns();
            let chosen: Vec<&Campaign> = match &campaign {
                Some(id) => {
                    let c = all.iter().copied().filter(|c| &c.id == id).collect::<Vec<_>>();
                    if c.is_empty() {
                        return Err(
                            UsageError(format!("no campaign {id:?}; see `healthguard triage campaigns`")).into(),
                        );
                    }
                    c
                }
                None => all,
            };
            let ctx = Context {
                generated_at_ms: now_ms(),
                registry: &registry,
                official: &official,
            };
            let text = match format {
                TriageFormat::Stix => stix::bundle(&chosen, &ctx) + "\n",
                TriageFormat::Misp => misp::event(&chosen, &ctx) + "\n",
                TriageFormat::Domains => blocklist::plain(&chosen, &ctx),
                TriageFormat::Hosts => blocklist::hosts(&chosen, &ctx),
                TriageFormat::Rpz => blocklist::rpz(&chosen, &ctx),
                TriageFormat::Adblock => blocklist::adblock(&chosen, &ctx),
                TriageFormat::Arf => {
                    let reports: Vec<String> = chosen
                        .iter()
                        .map(|c| {
                            let first = c.id.strip_prefix("C-").unwrap_or_default();
                            arf::report(c, grouped.samples.get(first), &ctx, &from)
                        })
                        .collect();
                    match reports.as_slice() {
                        [one] => one.clone(),
                        _ => arf::mbox(&reports, &ctx),
                    }
                }
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => write_stdout(&text)?,
            }
            Ok(0)
        }
        TriageCommand::Advisory {
            campaign,
            store,
            registry,
        } => {
            let registry = registry_cmd::select(&registry)?;
            let official = Official::from_registry(&registry);
            let db = store.database();
            let stored = healthguard_server::store::read_campaign(db.clone(), &campaign)
                .with_context(|| format!("cannot read the campaigns in {}", db.describe()))?
                .ok_or_else(|| UsageError(format!("no campaign {campaign:?} in {}", db.describe())))?;
            let confirmed = stored
                .statuses
                .get(&healthguard_server::access::Status::ConfirmedPhishing)
                .copied()
                .unwrap_or(0);
            if confirmed == 0 {
                return Err(UsageError(format!(
                    "campaign {campaign} has no report confirmed as phishing; confirm one in the triage UI or API first"
                ))
                .into());
            }
            let ctx = Context {
                generated_at_ms: now_ms(),
                registry: &registry,
                official: &official,
            };
            let draft = healthguard_triage::export::advisory::draft(&stored.campaign, &ctx)
                .map_err(|e| UsageError(format!("no advisory for {campaign}: {e}")))?;
            write_stdout(&draft)?;
            Ok(0)
        }
        TriageCommand::Eval {
            reports,
            seed,
            rotation,
        } => {
            if rotation.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
                return Err(UsageError("--rotation is a share between 0 and 1".into()).into());
            }
            let official = Official::from_registry(healthguard_registry::builtin());
            let generated = synth::generate_with(reports, seed, rotation);
            let started = std::time::Instant::now();
            let s = synth::evaluate(&generated, &official);
            let secs = started.elapsed().as_secs_f64();
            write_stdout(&format!(
                "reports {}  templates {}  campaigns found {}\nin their campaign {:.2}%  in a wrong one {:.2}%  ({:.0} reports/s grouped)\n",
                s.reports,
                synth::TEMPLATES.len(),
                s.campaigns,
                100.0 * s.in_campaign_rate(),
                100.0 * s.wrong_rate(),
                s.reports as f64 / secs.max(1e-9)
            ))?;
            Ok(0)
        }
    }
}

/// Reports grouped, and the redacted samples that may start an ARF.
struct Grouped {
    grouper: Grouper,
    reports: usize,
    /// Report id → sample, for reports that started a campaign (only when asked).
    samples: HashMap<String, Sample>,
}

fn group(db: &Database, official: &Official, samples: bool) -> Result<Grouped> {
    let mut g = Grouped {
        grouper: Grouper::new(official.clone()),
        reports: 0,
        samples: HashMap::new(),
    };
    g.reports = read_reports(db.clone(), |row: ReportRow| {
        let report = Report {
            id: row.id,
            created_at_ms: row.created_at_ms,
            kind: row.kind,
            institution: row.institution,
            sender: row.sender,
            message: row.message,
            contact: row.contact,
        };
        let campaign = g.grouper.add(&report);
        if samples && campaign.strip_prefix("C-") == Some(report.id.as_str()) {
            g.samples.insert(report.id.clone(), Sample::of(&report, official));
        }
    })
    .with_context(|| format!("cannot read the reports in {}", db.describe()))?;
    Ok(g)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The most reported indicators of a campaign, at most `n`.
fn top(c: &Campaign, n: usize) -> Vec<(&healthguard_triage::Indicator, u64)> {
    let mut v: Vec<_> = c.indicators.iter().map(|(i, &k)| (i, k)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.truncate(n);
    v
}

/// A value for a terminal: control characters shown escaped, at most 60 characters.
fn shown(v: &str) -> String {
    let s: String = v.chars().flat_map(char::escape_default).take(60).collect();
    s
}

fn listing(campaigns: &[&Campaign], reports: usize) -> String {
    let mut out = format!("{} reports in {} campaigns\n", reports, campaigns.len());
    for c in campaigns {
        let channels: Vec<String> = c.channels.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!(
            "\n{}  {} reports  {}  {} .. {}  ({})\n",
            c.id,
            c.reports.len(),
            c.institution().unwrap_or("-"),
            healthguard_triage::export::rfc3339(c.first_seen_ms),
            healthguard_triage::export::rfc3339(c.last_seen_ms),
            channels.join(", ")
        ));
        for (i, n) in top(c, 5) {
            out.push_str(&format!("  {:<11} {:<60} {n}\n", i.kind.name(), shown(&i.value)));
        }
    }
    out
}

fn listing_json(campaigns: &[&Campaign]) -> String {
    let items: Vec<serde_json::Value> = campaigns
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "reports": c.reports.len(),
                "institution": c.institution(),
                "institutions": c.institutions,
                "first_seen": healthguard_triage::export::rfc3339(c.first_seen_ms),
                "last_seen": healthguard_triage::export::rfc3339(c.last_seen_ms),
                "channels": c.channels,
                "indicators": c.indicators.iter().map(|(i, n)| serde_json::json!({"kind": i.kind.name(), "value": i.value, "count": n})).collect::<Vec<_>>(),
                "official_mentioned": c.official,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "items": items })).unwrap_or_default() + "\n"
}
