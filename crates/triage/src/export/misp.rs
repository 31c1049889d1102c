//! MISP event JSON (MISP core format): one event for the exported campaigns, an attribute
//! per indicator (`domain`, `url`, `email-src`, `phone-number`, `sha256`, sender names as
//! `text`) and a `phishing` object (MISP object template, version 7) per link.

use super::{date, uuid, Context};
use crate::campaign::Campaign;
use crate::indicators::IndicatorKind;
use serde_json::{json, Value};

/// The `phishing` object template of misp-objects.
const PHISHING_TEMPLATE_UUID: &str = "2dad6f9d-d425-4217-8fda-0b0a2d815307";
/// Its version.
const PHISHING_TEMPLATE_VERSION: &str = "7";
/// Most attributes per campaign.
const MAX_ATTRIBUTES: usize = 1000;

/// MISP (type, category, to_ids) of an indicator kind.
fn misp_type(kind: IndicatorKind) -> (&'static str, &'static str, bool) {
    match kind {
        IndicatorKind::Domain => ("domain", "Network activity", true),
        IndicatorKind::Url => ("url", "Network activity", true),
        IndicatorKind::Email => ("email-src", "Payload delivery", true),
        IndicatorKind::Phone => ("phone-number", "Financial fraud", false),
        IndicatorKind::Sha256 => ("sha256", "Payload delivery", true),
        IndicatorKind::SenderName => ("text", "Other", false),
    }
}

/// The MISP event of `campaigns`, as pretty JSON.
pub fn event(campaigns: &[&Campaign], ctx: &Context) -> String {
    let ts = (ctx.generated_at_ms.max(0) / 1000).to_string();
    let ids: Vec<&str> = campaigns.iter().map(|c| c.id.as_str()).collect();
    let first = campaigns
        .iter()
        .map(|c| c.first_seen_ms)
        .min()
        .unwrap_or(ctx.generated_at_ms);
    let info = match campaigns {
        [one] => format!(
            "HealthGuard: phishing campaign {} impersonating {} ({} reports)",
            one.id,
            ctx.institution_name(one),
            one.reports.len()
        ),
        _ => format!("HealthGuard: {} phishing campaigns", campaigns.len()),
    };
    let mut attributes = Vec::new();
    let mut objects = Vec::new();
    for c in campaigns {
        for (i, n) in c.indicators.iter().take(MAX_ATTRIBUTES) {
            if i.value.chars().any(char::is_control) {
                continue;
            }
            let (t, category, to_ids) = misp_type(i.kind);
            attributes.push(json!({
                "uuid": uuid(&format!("misp/attr/{}/{}/{}", c.id, t, i.value)),
                "type": t, "category": category, "to_ids": to_ids, "value": i.value,
                "comment": format!("campaign {}, {n} report(s)", c.id),
                "timestamp": ts, "distribution": "5",
            }));
            if i.kind == IndicatorKind::Url {
                let host = i
                    .value
                    .split_once("://")
                    .map(|(_, r)| r.split('/').next().unwrap_or_default())
                    .unwrap_or_default();
                let oid = uuid(&format!("misp/obj/{}/{}", c.id, i.value));
                let attr = |rel: &str, t: &str, cat: &str, v: &str, to_ids: bool| {
                    json!({
                        "uuid": uuid(&format!("misp/objattr/{oid}/{rel}")),
                        "object_relation": rel, "type": t, "category": cat, "value": v,
                        "to_ids": to_ids, "timestamp": ts, "distribution": "5",
                    })
                };
                let mut oattrs = vec![attr("url", "url", "Network activity", &i.value, true)];
                if !host.is_empty() {
                    oattrs.push(attr("hostname", "hostname", "Network activity", host, true));
                }
                oattrs.push(attr("target", "text", "Other", &ctx.institution_name(c), false));
                objects.push(json!({
                    "uuid": oid, "name": "phishing", "meta-category": "network",
                    "description": "Phishing template to describe a phishing website and its analysis.",
                    "template_uuid": PHISHING_TEMPLATE_UUID, "template_version": PHISHING_TEMPLATE_VERSION,
                    "timestamp": ts, "distribution": "5", "comment": format!("campaign {}", c.id),
                    "Attribute": oattrs,
                }));
            }
        }
    }
    let event: Value = json!({"Event": {
        "uuid": uuid(&format!("misp/event/{}", ids.join(","))),
        "info": info, "date": date(first), "timestamp": ts, "published": false,
        "threat_level_id": "2", "analysis": "2", "distribution": "0",
        "Tag": [{"name": "tlp:amber"}, {"name": "rsit:fraud=\"phishing\""}],
        "Attribute": attributes, "Object": objects,
    }});
    serde_json::to_string_pretty(&event).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::Indicator;
    use crate::official::Official;

    #[test]
    fn event_with_phishing_objects() {
        let mut c = Campaign {
            id: "C-r1".into(),
            reports: vec!["r1".into()],
            ..Campaign::default()
        };
        c.institutions.insert("ro.cnas".into(), 1);
        c.indicators
            .insert(Indicator::new(IndicatorKind::Url, "https://cnas-plata.ro/card"), 1);
        c.indicators
            .insert(Indicator::new(IndicatorKind::Domain, "cnas-plata.ro"), 1);
        c.indicators
            .insert(Indicator::new(IndicatorKind::Phone, "+40700000000"), 1);
        let official = Official::default();
        let ctx = Context {
            generated_at_ms: 1_796_298_480_000,
            registry: healthguard_registry::builtin(),
            official: &official,
        };
        let v: Value = serde_json::from_str(&event(&[&c], &ctx)).unwrap();
        let e = &v["Event"];
        assert_eq!(e["date"], "1970-01-01");
        assert_eq!(e["Attribute"].as_array().unwrap().len(), 3);
        let o = &e["Object"][0];
        assert_eq!(o["name"], "phishing");
        assert_eq!(o["Attribute"][0]["object_relation"], "url");
        assert_eq!(o["Attribute"][1]["value"], "cnas-plata.ro");
        assert!(e["info"].as_str().unwrap().contains("C-r1"));
    }
}
