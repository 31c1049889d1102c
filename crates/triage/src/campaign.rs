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
    /// Campaign ids that changed (old, new), in order, until [`Grouper::take_renames`].
    renames: Vec<(CampaignId, CampaignId)>,
    /// Campaign id → slot, for [`Grouper::restore`] only.
    restored: HashMap<CampaignId, usize>,
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
            let before = c.id.clone();
            c.record(report, x);
            if c.id != before {
                self.renames.push((before, c.id.clone()));
            }
        }
        self.index(report, x, slot);
        self.slots[slot].as_ref().map(|c| c.id.clone()).unwrap_or_default()
    }

    /// Puts a report back into the campaign it was stored in, without searching: how a
    /// store reloads its grouping after a restart (the indicators were extracted and the
    /// campaign chosen at intake; nothing is re-clustered). Reports must come oldest first.
    pub fn restore(&mut self, report: &Report, x: &Extracted, campaign: &str) {
        let slot = match self.restored.get(campaign) {
            Some(&s) => s,
            None => {
                let mut c = Campaign::new(report);
                c.id = campaign.to_string();
                self.slots.push(Some(c));
                self.parent.push(self.slots.len() - 1);
                let s = self.slots.len() - 1;
                self.restored.insert(campaign.to_string(), s);
                s
            }
        };
        if let Some(c) = self.slots[slot].as_mut() {
            c.record(report, x);
            c.id = campaign.to_string();
        }
        self.index(report, x, slot);
    }

    /// The campaign id changes since the last call, `(old, new)` in the order they happened
    /// (merges, or an older report starting a campaign): a store applies them to its rows.
    pub fn take_renames(&mut self) -> Vec<(CampaignId, CampaignId)> {
        std::mem::take(&mut self.renames)
    }

    /// The root slot of the campaign with this id.
    fn slot_of(&self, id: &str) -> Option<usize> {
        self.slots.iter().position(|c| c.as_ref().is_some_and(|c| c.id == id))
    }

    /// Merges two campaigns by id (an analyst's decision); the older survives. Returns the
    /// surviving id, or `None` when either is unknown or they are the same.
    pub fn merge_ids(&mut self, a: &str, b: &str) -> Option<CampaignId> {
        let (sa, sb) = (self.slot_of(a)?, self.slot_of(b)?);
        if sa == sb {
            return None;
        }
        let keep = self.merge(sa, sb);
        self.slots[keep].as_ref().map(|c| c.id.clone())
    }

    /// The campaign with this id.
    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.slot_of(id).and_then(|s| self.slots[s].as_ref())
    }

    /// Indexes a recorded report's linking indicators, fingerprint and id under `slot`.
    fn index(&mut self, report: &Report, x: &Extracted, slot: usize) {
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
                let (kept_id, gone_id) = (k.id.clone(), g.id.clone());
                k.absorb(g);
                if k.id != kept_id {
                    self.renames.push((kept_id, k.id.clone()));
                }
                self.renames.push((gone_id, k.id.clone()));
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
    fn renames_follow_merges_and_restore_rebuilds_without_searching() {
        let mut g = grouper();
        let reports = [
            sms("a", 10, "Zwrot: one.pl"),
            sms("b", 20, "Doplata: two.pl"),
            sms("c", 30, "Oba: one.pl two.pl"),
            sms("d", 40, "Cos innego: three.pl"),
        ];
        let mut stored: Vec<(String, String)> = Vec::new();
        for r in &reports {
            let c = g.add(r);
            stored.push((r.id.clone(), c));
            for (old, new) in g.take_renames() {
                for row in stored.iter_mut().filter(|row| row.1 == old) {
                    row.1 = new.clone();
                }
            }
        }
        assert_eq!(stored[1].1, "C-a", "b's campaign was renamed by the merge");
        assert!(g.take_renames().is_empty());
        let official = Official::from_registry(healthguard_registry::builtin());
        let mut back = grouper();
        for (r, (_, c)) in reports.iter().zip(&stored) {
            back.restore(r, &extract(r, &official), c);
        }
        let ids = |g: &Grouper| {
            g.campaigns()
                .iter()
                .map(|c| (c.id.clone(), c.reports.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&back), ids(&g));
        // New reports find restored campaigns through the rebuilt indices.
        assert_eq!(back.add(&sms("e", 50, "two.pl")), "C-a");
        assert_eq!(back.merge_ids("C-d", "C-a").as_deref(), Some("C-a"));
        assert_eq!(back.take_renames(), vec![("C-d".to_string(), "C-a".to_string())]);
        assert_eq!(back.campaign("C-a").map(|c| c.reports.len()), Some(5));
        assert!(back.merge_ids("C-a", "C-nope").is_none());
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
