//! Blocklists of the campaigns' domains: plain list, hosts file, RPZ zone, adblock filters.
//!
//! Only registrable domains of [`IndicatorKind::Domain`] indicators that are plain host
//! names ([`super::is_plain_host`]) and not official ([`Official::is_official_host`]) are
//! listed: a campaign that names the real site, or a hostile report that smuggled it in,
//! can never get an institution blocked.

use super::{is_plain_host, rfc3339, Context};
use crate::campaign::Campaign;
use crate::indicators::IndicatorKind;
use std::collections::BTreeSet;

/// The domains to block, sorted, without duplicates.
pub fn domains(campaigns: &[&Campaign], ctx: &Context) -> Vec<String> {
    let set: BTreeSet<&str> = campaigns
        .iter()
        .flat_map(|c| c.indicators.keys())
        .filter(|i| i.kind == IndicatorKind::Domain)
        .map(|i| i.value.as_str())
        .filter(|d| is_plain_host(d) && !ctx.official.is_official_host(d))
        .collect();
    set.into_iter().map(str::to_string).collect()
}

fn header(prefix: &str, campaigns: &[&Campaign], ctx: &Context) -> String {
    let ids: Vec<&str> = campaigns.iter().map(|c| c.id.as_str()).take(20).collect();
    let more = if campaigns.len() > ids.len() { ", …" } else { "" };
    format!(
        "{prefix} HealthGuard phishing blocklist, generated {}\n{prefix} Campaigns: {}{more}\n",
        rfc3339(ctx.generated_at_ms),
        ids.join(", ")
    )
}

/// One domain per line.
pub fn plain(campaigns: &[&Campaign], ctx: &Context) -> String {
    domains(campaigns, ctx).into_iter().map(|d| d + "\n").collect()
}

/// A hosts file: `0.0.0.0 domain` and `0.0.0.0 www.domain`.
pub fn hosts(campaigns: &[&Campaign], ctx: &Context) -> String {
    let mut out = header("#", campaigns, ctx);
    for d in domains(campaigns, ctx) {
        out.push_str(&format!("0.0.0.0 {d}\n0.0.0.0 www.{d}\n"));
    }
    out
}

/// A Response Policy Zone (relative names: load it as any zone, e.g. `rpz.healthguard`):
/// each domain and everything under it answers NXDOMAIN (`CNAME .`).
pub fn rpz(campaigns: &[&Campaign], ctx: &Context) -> String {
    let serial = (ctx.generated_at_ms.max(0) / 1000) as u64 % u64::from(u32::MAX);
    let mut out = header(";", campaigns, ctx);
    out.push_str(&format!(
        "$TTL 300\n@ IN SOA localhost. hostmaster.localhost. ( {serial} 3600 600 86400 300 )\n  IN NS localhost.\n"
    ));
    for d in domains(campaigns, ctx) {
        out.push_str(&format!("{d} CNAME .\n*.{d} CNAME .\n"));
    }
    out
}

/// Adblock Plus / uBlock Origin filters: `||domain^`.
pub fn adblock(campaigns: &[&Campaign], ctx: &Context) -> String {
    let mut out = String::from("[Adblock Plus 2.0]\n");
    out.push_str(&header("!", campaigns, ctx).replacen("! HealthGuard", "! Title: HealthGuard", 1));
    for d in domains(campaigns, ctx) {
        out.push_str(&format!("||{d}^\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::Indicator;
    use crate::official::Official;

    fn campaign(domains: &[&str]) -> Campaign {
        let mut c = Campaign {
            id: "C-1".into(),
            ..Campaign::default()
        };
        for d in domains {
            c.indicators.insert(Indicator::new(IndicatorKind::Domain, *d), 1);
        }
        c.indicators
            .insert(Indicator::new(IndicatorKind::Url, "http://bit.ly/x"), 1);
        c
    }

    #[test]
    fn official_domains_never_enter_a_blocklist() {
        let registry = healthguard_registry::builtin();
        let official = Official::from_registry(registry);
        let ctx = Context {
            generated_at_ms: 0,
            registry,
            official: &official,
        };
        // Every official domain of the registry, smuggled into a campaign.
        let all: Vec<String> = registry
            .institutions
            .iter()
            .flat_map(|i| i.domains.iter().map(|d| d.name.clone()))
            .collect();
        assert!(all.len() > 5);
        let mut names: Vec<&str> = all.iter().map(String::as_str).collect();
        names.extend(["nfz-zwrot.pl", "www.pacjent.gov.pl", "evil.gov.pl"]);
        let c = campaign(&names);
        let outputs = [
            plain(&[&c], &ctx),
            hosts(&[&c], &ctx),
            rpz(&[&c], &ctx),
            adblock(&[&c], &ctx),
        ];
        for out in &outputs {
            assert!(out.contains("nfz-zwrot.pl"), "{out}");
            for d in &all {
                assert!(
                    !out.lines()
                        .any(|l| l.split([' ', '|', '^']).any(|w| w == d || w == format!("*.{d}"))),
                    "official {d} in {out}"
                );
            }
            assert!(!out.contains("gov.pl"), "{out}");
            assert!(!out.contains("bit.ly"), "{out}");
        }
    }

    #[test]
    fn formats() {
        let official = Official::default();
        let ctx = Context {
            generated_at_ms: 1_796_298_480_000,
            registry: healthguard_registry::builtin(),
            official: &official,
        };
        let c = campaign(&["b-fake.pl", "a-fake.com", "bad\nname.pl", "x.pl CNAME ."]);
        assert_eq!(plain(&[&c], &ctx), "a-fake.com\nb-fake.pl\n");
        assert!(hosts(&[&c], &ctx)
            .ends_with("0.0.0.0 a-fake.com\n0.0.0.0 www.a-fake.com\n0.0.0.0 b-fake.pl\n0.0.0.0 www.b-fake.pl\n"));
        let zone = rpz(&[&c], &ctx);
        assert!(zone.contains("\na-fake.com CNAME .\n*.a-fake.com CNAME .\n"), "{zone}");
        assert!(
            zone.contains("SOA localhost. hostmaster.localhost. ( 1796298480 "),
            "{zone}"
        );
        assert!(!zone.contains("bad") && !zone.contains("x.pl"), "{zone}");
        let ab = adblock(&[&c], &ctx);
        assert!(ab.starts_with("[Adblock Plus 2.0]\n! Title: HealthGuard"), "{ab}");
        assert!(ab.contains("\n||a-fake.com^\n||b-fake.pl^\n"), "{ab}");
    }
}
