//! Incremental campaign grouping.
//!
//! [`Grouper::add`] looks a new report's strong indicators up in an index (indicator →
//! campaign) and its fingerprint's LSH bands up in another (band → a few earlier
//! fingerprints), keeps the earlier fingerprints that are near-identical
//! ([`NEAR_DUPLICATE`]), and then: no match → a new campaign; one campaign → it joins; more
//! than one → the report bridges them and they merge into the oldest. Merges are a
//! union-find, so the indices never need rewriting. Work per report is bounded by its own
//! indicators and bands, not by the number of reports.

use crate::fingerprint::Fingerprint;
use crate::indicators::{extract, Extracted, Indicator};
use crate::official::Official;
use crate::Report;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Estimated Jaccard similarity of word shingles from which two texts are one campaign.
pub const NEAR_DUPLICATE: f64 = 0.5;
/// Fingerprints kept per LSH bucket: more copies of one text add nothing.
const BUCKET: usize = 4;

/// A campaign's stable id: `C-` and the id of its first report.
pub type CampaignId = String;

/// Reports that belong together, and what they share.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Campaign {
    /// Stable id.
    pub id: CampaignId,
    /// Reports, in the order they were added.
    pub reports: Vec<String>,
    /// Claimed institutions with how many reports claim each.
    pub institutions: BTreeMap<String, u64>,
    /// Earliest report (ms since the Unix epoch).
    pub first_seen_ms: i64,
    /// Latest report.
    pub last_seen_ms: i64,
    /// Reports per channel (`sms`, `email`, …).
    pub channels: BTreeMap<String, u64>,
    /// Indicators with the number of reports that carry each.
    pub indicators: BTreeMap<Indicator, u64>,
    /// Official channels the reports name or spoof (never indicators).
    pub official: BTreeSet<String>,
}

impl Campaign {
    /// The institution most reports claim (ties: the first by id).
    pub fn institution(&self) -> Option<&str> {
        let best = self.institutions.values().copied().max()?;
        self.institutions
            .iter()
            .find(|(_, &n)| n == best)
            .map(|(k, _)| k.as_str())
    }

    fn new(report: &Report) -> Campaign {
        Campaign {
            id: format!("C-{}", report.id),
            reports: Vec::new(),
            institutions: BTreeMap::new(),
            first_seen_ms: report.created_at_ms,
            last_seen_ms: report.created_at_ms,
            channels: BTreeMap::new(),
            indicators: BTreeMap::new(),
            official: BTreeSet::new(),
        }
    }

    fn record(&mut self, report: &Report, x: &Extracted) {
        self.reports.push(report.id.clone());
        if let Some(i) = &report.institution {
            *self.institutions.entry(i.clone()).or_default() += 1;
        }
        if report.created_at_ms < self.first_seen_ms {
            self.first_seen_ms = report.created_at_ms;
            self.id = format!("C-{}", report.id);
        }
        self.last_seen_ms = self.last_seen_ms.max(report.created_at_ms);
        *self.channels.entry(report.kind.clone()).or_default() += 1;
        for i in &x.indicators {
            *self.indicators.entry(i.clone()).or_default() += 1;
        }
        self.official.extend(x.official.iter().cloned());
    }

    /// Takes `other` in (a merge).
    fn absorb(&mut self, other: Campaign) {
        if (other.first_seen_ms, &other.id) < (self.first_seen_ms, &self.id) {
            self.first_seen_ms = other.first_seen_ms;
            self.id = other.id;
        }
        self.last_seen_ms = self.last_seen_ms.max(other.last_seen_ms);
        self.reports.extend(other.reports);
        for (k, v) in other.institutions {
            *self.institutions.entry(k).or_default() += v;
        }
        for (k, v) in other.channels {
            *self.channels.entry(k).or_default() += v;
        }
        for (k, v) in other.indicators {
            *self.indicators.entry(k).or_default() += v;
        }
        self.official.extend(other.official);
    }
}

/// Groups reports into campaigns as they come.
#[derive(Debug, Default)]
pub struct Grouper {
    official: Official,
    /// Campaign slots; `None` once merged into another (see `parent`).
    slots: Vec<Option<Campaign>>,
    /// Union-find over slots.
    parent: Vec<usize>,
    by_indicator: HashMap<Indicator, usize>,
    by_band: HashMap<(u8, u64), Vec<usize>>,
    /// Fingerprints kept in buckets, with their slot.
    prints: Vec<(Fingerprint, usize)>,
    /// Report id → slot.
    by_report: HashMap<String, usize>,
}

impl Grouper {
    /// An empty grouper; `official` channels never link reports.
    pub fn new(official: Official) -> Grouper {
        Grouper {
            official,
            ..Grouper::default()
        }
    }

    fn find(&mut self, mut s: usize) -> usize {
        while self.parent[s] != s {
            self.parent[s] = self.parent[self.parent[s]];
            s = self.parent[s];
        }
        s
    }

    /// Adds a report and returns the id of its campaign (after any merge it caused).
    pub fn add(&mut self, report: &Report) -> CampaignId {
        let x = extract(report, &self.official);
        self.add_extracted(report, &x)
    }

    /// Adds a report whose indicators are already extracted.
    pub fn add_extracted(&mut self, report: &Report, x: &Extracted) -> CampaignId {
        let mut hits: Vec<usize> = Vec::new();
        for i in x.indicators.iter().filter(|i| i.kind.links()) {
            if let Some(&s) = self.by_indicator.get(i) {
                hits.push(s);
            }
        }
        if let Some(fp) = &x.fingerprint {
            let mut seen = BTreeSet::new();
            for key in fp.bands() {
                for &p in self.by_band.get(&key).map(Vec::as_slice).unwrap_or_default() {
                    if seen.insert(p) && self.prints[p].0.similarity(fp) >= NEAR_DUPLICATE {
                        hits.push(self.prints[p].1);
                    }
                }
            }
        }
        let mut roots: Vec<usize> = hits.into_iter().map(|s| self.find(s)).collect();
        roots.sort_unstable();
        roots.dedup();
        let slot = match roots.split_first() {
            None => {
                self.slots.push(Some(Campaign::new(report)));
                self.parent.push(self.slots.len() - 1);
                self.slots.len() - 1
            }
            Some((&first, rest)) => {
                let mut keep = first;
                for &r in rest {
                    keep = self.merge(keep, r);
                }
                keep
            }
        };
        if let Some(c) = self.slots[slot].as_mut() {
            c.record(report, x);
        }
        for i in x.indicators.iter().filter(|i| i.kind.links()) {
            self.by_indicator.entry(i.clone()).or_insert(slot);
        }
        if let Some(fp) = &x.fingerprint {
            let ix = self.prints.len();
            let mut kept = false;
            for key in fp.bands() {
                let bucket = self.by_band.entry(key).or_default();
                if bucket.len() < BUCKET {
                    bucket.push(ix);
                    kept = true;
                }
            }
            if kept {
                self.prints.push((fp.clone(), slot));
            }
        }
        self.by_report.insert(report.id.clone(), slot);
        self.slots[slot].as_ref().map(|c| c.id.clone()).unwrap_or_default()
    }

    /// Merges the campaigns of two root slots; returns the surviving slot (the older one).
    fn merge(&mut self, a: usize, b: usize) -> usize {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return a;
        }
        let older = |c: &Option<Campaign>| c.as_ref().map(|c| (c.first_seen_ms, c.id.clone()));
        let (keep, gone) = if older(&self.slots[a]) <= older(&self.slots[b]) {
            (a, b)
        } else {
            (b, a)
        };
        if let Some(g) = self.slots[gone].take() {
            if let Some(k) = self.slots[keep].as_mut() {
                k.absorb(g);
            }
        }
        self.parent[gone] = keep;
        keep
    }

    /// The campaign a report is in.
    pub fn campaign_of(&mut self, report_id: &str) -> Option<&Campaign> {
        let s = *self.by_report.get(report_id)?;
        let root = self.find(s);
        self.slots[root].as_ref()
    }

    /// Every campaign, the largest first (then the oldest).
    pub fn campaigns(&self) -> Vec<&Campaign> {
        let mut v: Vec<&Campaign> = self.slots.iter().flatten().collect();
        v.sort_by(|a, b| {
            b.reports
                .len()
                .cmp(&a.reports.len())
                .then(a.first_seen_ms.cmp(&b.first_seen_ms))
                .then(a.id.cmp(&b.id))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::IndicatorKind;

    fn grouper() -> Grouper {
        Grouper::new(Official::from_registry(healthguard_registry::builtin()))
    }

    fn sms(id: &str, at: i64, text: &str) -> Report {
        Report {
            id: id.into(),
            created_at_ms: at,
            kind: "sms".into(),
            institution: Some("pl.nfz".into()),
            sender: Some("NFZ".into()),
            message: text.as_bytes().to_vec(),
            contact: None,
        }
    }

    #[test]
    fn shared_domain_joins() {
        let mut g = grouper();
        let a = g.add(&sms("a", 1, "Zwrot 10 zl: nfz-zwrot.pl"));
        let b = g.add(&sms("b", 2, "Inny tekst calkiem, ale link ten sam nfz-zwrot.pl/q"));
        assert_eq!(a, b);
        assert_eq!(a, "C-a");
        let c = &g.campaigns()[0];
        assert_eq!(c.reports.len(), 2);
        assert_eq!(c.channels.get("sms"), Some(&2));
        assert_eq!(
            c.indicators.get(&Indicator::new(IndicatorKind::Domain, "nfz-zwrot.pl")),
            Some(&2)
        );
        assert_eq!(c.institution(), Some("pl.nfz"));
        assert_eq!((c.first_seen_ms, c.last_seen_ms), (1, 2));
    }

    #[test]
    fn official_domain_and_sender_name_do_not_link() {
        let mut g = grouper();
        let a = g.add(&sms("a", 1, "Zwrot skladki: odbierz-zwrot.pl, info nfz.gov.pl"));
        let b = g.add(&sms(
            "b",
            2,
            "Konto zablokowane, zaloguj: konto-pacjenta.pl, info nfz.gov.pl",
        ));
        assert_ne!(a, b);
        assert_eq!(g.campaigns().len(), 2);
    }

    #[test]
    fn near_identical_text_joins_without_shared_indicator() {
        let mut g = grouper();
        let t = "Drogi pacjencie, Twoje konto w systemie zostanie zablokowane w ciagu 24 godzin, zaktualizuj dane na stronie";
        let a = g.add(&sms("a", 1, &format!("{t} aaa-one.pl")));
        let b = g.add(&sms("b", 2, &format!("{} bbb-two.pl", t.replace("24", "48"))));
        assert_eq!(a, b);
    }

    #[test]
    fn a_bridging_report_merges_campaigns() {
        let mut g = grouper();
        let a = g.add(&sms("a", 10, "Zwrot: one.pl"));
        let b = g.add(&sms("b", 5, "Doplata: two.pl"));
        assert_ne!(a, b);
        let c = g.add(&sms("c", 20, "Oba: one.pl two.pl"));
        assert_eq!(g.campaigns().len(), 1);
        assert_eq!(c, "C-b", "the older campaign survives");
        let all = &g.campaigns()[0];
        assert_eq!(all.reports.len(), 3);
        assert_eq!(all.first_seen_ms, 5);
        assert_eq!(g.campaign_of("a").map(|c| c.id.clone()), Some("C-b".into()));
        // Later reports on either old indicator find the merged campaign.
        assert_eq!(g.add(&sms("d", 30, "one.pl")), "C-b");
    }

    #[test]
    fn unrelated_reports_stay_apart() {
        let mut g = grouper();
        g.add(&sms("a", 1, "Paczka czeka na doplate 2 zl, kurier-pay.pl"));
        g.add(&sms("b", 2, "Contul CNAS a fost blocat, intrati pe cnas-cont.pl"));
        g.add(&sms("c", 3, "hello"));
        assert_eq!(g.campaigns().len(), 3);
    }
}
