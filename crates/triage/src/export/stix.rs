//! STIX 2.1 bundle: the producer's `identity`, one `campaign` per campaign, one `indicator`
//! (STIX pattern) per domain, link, sender address and attachment hash with an `indicates`
//! `relationship` to its campaign, and one `observed-data` per campaign over the cyber
//! observables (`domain-name`, `url`, `email-addr`, `file`). Phone numbers and sender names,
//! which have no STIX observable, are listed in the campaign's description.

use super::{is_plain_host, rfc3339, uuid, uuid5, Context};
use crate::campaign::Campaign;
use crate::indicators::{Indicator, IndicatorKind};
use serde_json::{json, Value};

/// Most indicators exported per campaign (the most reported first).
const MAX_INDICATORS: usize = 1000;
/// The STIX 2.1 namespace of cyber-observable ids, `00abedb4-aa42-466c-9c01-fed23315a9b7`.
const SCO_NAMESPACE: [u8; 16] = [
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
];
/// When the producer identity was first described (it never changes).
const IDENTITY_CREATED: &str = "2026-01-01T00:00:00.000Z";

/// The STIX object of the producer.
fn identity_id() -> String {
    format!("identity--{}", uuid("healthguard/identity"))
}

/// Quotes a value as a STIX pattern string literal.
fn literal(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Whether a value can go into a pattern and an observable: printable, no control characters.
fn printable(v: &str) -> bool {
    !v.is_empty() && !v.chars().any(char::is_control)
}

/// (pattern, observable) of an indicator that STIX can express.
fn express(i: &Indicator) -> Option<(String, Value)> {
    let v = i.value.as_str();
    let (pattern, sco) = match i.kind {
        IndicatorKind::Domain if is_plain_host(v) => (
            format!("[domain-name:value = {}]", literal(v)),
            json!({"type": "domain-name", "value": v}),
        ),
        IndicatorKind::Url if printable(v) => (
            format!("[url:value = {}]", literal(v)),
            json!({"type": "url", "value": v}),
        ),
        IndicatorKind::Email if printable(v) => (
            format!("[email-addr:value = {}]", literal(v)),
            json!({"type": "email-addr", "value": v}),
        ),
        IndicatorKind::Sha256 if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => (
            format!("[file:hashes.'SHA-256' = {}]", literal(v)),
            json!({"type": "file", "hashes": {"SHA-256": v}}),
        ),
        _ => return None,
    };
    let mut sco = sco;
    let kind = sco["type"].as_str().unwrap_or("x").to_string();
    // The id-contributing property (`value`, or `hashes` for a file), as canonical JSON.
    let contributing = match i.kind {
        IndicatorKind::Sha256 => json!({"hashes": {"SHA-256": v}}),
        _ => json!({"value": v}),
    };
    let name = serde_json::to_string(&contributing).unwrap_or_default();
    sco["id"] = json!(format!("{kind}--{}", uuid5(SCO_NAMESPACE, &name)));
    sco["spec_version"] = json!("2.1");
    Some((pattern, sco))
}

/// The campaign's description: who it claims to be, how big it is, and what STIX cannot hold.
fn description(c: &Campaign, ctx: &Context) -> String {
    let mut d = format!(
        "Phishing impersonating {}: {} report(s) from {} to {} ({}).",
        ctx.institution_name(c),
        c.reports.len(),
        rfc3339(c.first_seen_ms),
        rfc3339(c.last_seen_ms),
        c.channels
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (kind, label) in [
        (IndicatorKind::Phone, "Phone numbers"),
        (IndicatorKind::SenderName, "Sender names"),
    ] {
        let vals: Vec<&str> = c
            .indicators
            .keys()
            .filter(|i| i.kind == kind && printable(&i.value))
            .map(|i| i.value.as_str())
            .take(50)
            .collect();
        if !vals.is_empty() {
            d.push_str(&format!(" {label}: {}.", vals.join(", ")));
        }
    }
    d
}

/// The STIX 2.1 bundle of `campaigns`, as pretty JSON.
pub fn bundle(campaigns: &[&Campaign], ctx: &Context) -> String {
    let now = rfc3339(ctx.generated_at_ms);
    let creator = identity_id();
    let mut objects = vec![json!({
        "type": "identity", "spec_version": "2.1", "id": creator,
        "created": IDENTITY_CREATED, "modified": IDENTITY_CREATED,
        "name": "HealthGuard", "identity_class": "system",
        "description": "HealthGuard: reports of phishing that impersonates health institutions, grouped into campaigns.",
    })];
    for c in campaigns {
        let created = rfc3339(c.first_seen_ms);
        let modified = rfc3339(c.last_seen_ms.max(ctx.generated_at_ms).max(c.first_seen_ms));
        let campaign_id = format!("campaign--{}", uuid(&format!("campaign/{}", c.id)));
        objects.push(json!({
            "type": "campaign", "spec_version": "2.1", "id": campaign_id,
            "created": created, "modified": modified, "created_by_ref": creator,
            "name": format!("{} ({})", c.id, ctx.institution_name(c)),
            "description": description(c, ctx),
            "first_seen": created, "last_seen": rfc3339(c.last_seen_ms.max(c.first_seen_ms)),
            "objective": "Steal money, credentials or personal data of patients and staff",
        }));
        let mut ranked: Vec<(&Indicator, &u64)> = c.indicators.iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut refs = Vec::new();
        for (i, n) in ranked.into_iter().take(MAX_INDICATORS) {
            let Some((pattern, sco)) = express(i) else { continue };
            let indicator_id = format!("indicator--{}", uuid(&format!("indicator/{}/{pattern}", c.id)));
            objects.push(json!({
                "type": "indicator", "spec_version": "2.1", "id": indicator_id,
                "created": created, "modified": modified, "created_by_ref": creator,
                "name": format!("{} {}", i.kind.name(), i.value),
                "description": format!("Seen in {n} report(s) of campaign {}.", c.id),
                "indicator_types": ["malicious-activity"],
                "pattern": pattern, "pattern_type": "stix", "valid_from": created,
            }));
            objects.push(json!({
                "type": "relationship", "spec_version": "2.1",
                "id": format!("relationship--{}", uuid(&format!("rel/{indicator_id}/{campaign_id}"))),
                "created": created, "modified": modified, "created_by_ref": creator,
                "relationship_type": "indicates", "source_ref": indicator_id, "target_ref": campaign_id,
            }));
            refs.push(sco["id"].clone());
            objects.push(sco);
        }
        if !refs.is_empty() {
            objects.push(json!({
                "type": "observed-data", "spec_version": "2.1",
                "id": format!("observed-data--{}", uuid(&format!("observed/{}", c.id))),
                "created": created, "modified": modified, "created_by_ref": creator,
                "first_observed": created, "last_observed": rfc3339(c.last_seen_ms.max(c.first_seen_ms)),
                "number_observed": c.reports.len().clamp(1, 999_999_999),
                "object_refs": refs,
            }));
        }
    }
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid(&format!("bundle/{now}/{}", campaigns.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(",")))),
        "objects": objects,
    });
    serde_json::to_string_pretty(&bundle).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::official::Official;

    #[test]
    fn bundle_objects_and_patterns() {
        let mut c = Campaign {
            id: "C-r1".into(),
            reports: vec!["r1".into(), "r2".into()],
            first_seen_ms: 1_000,
            last_seen_ms: 2_000,
            ..Campaign::default()
        };
        c.institutions.insert("pl.nfz".into(), 2);
        for (k, v) in [
            (IndicatorKind::Domain, "nfz-zwrot.pl"),
            (IndicatorKind::Url, "https://nfz-zwrot.pl/it's"),
            (IndicatorKind::Email, "a@b.pl"),
            (IndicatorKind::Phone, "+48600111333"),
            (IndicatorKind::Domain, "bad name"),
        ] {
            c.indicators.insert(Indicator::new(k, v), 1);
        }
        let official = Official::default();
        let ctx = Context {
            generated_at_ms: 3_000,
            registry: healthguard_registry::builtin(),
            official: &official,
        };
        let out = bundle(&[&c], &ctx);
        let v: Value = serde_json::from_str(&out).unwrap();
        let objs = v["objects"].as_array().unwrap();
        let count = |t: &str| objs.iter().filter(|o| o["type"] == t).count();
        assert_eq!(count("identity"), 1);
        assert_eq!(count("campaign"), 1);
        assert_eq!(count("indicator"), 3, "{out}");
        assert_eq!(count("relationship"), 3);
        assert_eq!(count("observed-data"), 1);
        let patterns: Vec<&str> = objs.iter().filter_map(|o| o["pattern"].as_str()).collect();
        assert!(
            patterns.contains(&"[url:value = 'https://nfz-zwrot.pl/it\\'s']"),
            "{patterns:?}"
        );
        assert!(patterns.contains(&"[domain-name:value = 'nfz-zwrot.pl']"));
        let campaign = objs.iter().find(|o| o["type"] == "campaign").unwrap();
        assert!(campaign["description"].as_str().unwrap().contains("+48600111333"));
        assert!(
            campaign["name"].as_str().unwrap().contains("National Health Fund"),
            "{campaign}"
        );
        assert_eq!(out, bundle(&[&c], &ctx), "stable output");
        // The deterministic id of a domain-name as the stix2 library computes it
        // (`uuid.uuid5(UUID("00abedb4-…"), "{\"value\":\"example.com\"}")` in Python).
        let d = Indicator::new(IndicatorKind::Domain, "example.com");
        assert_eq!(
            express(&d).unwrap().1["id"],
            "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"
        );
    }
}
