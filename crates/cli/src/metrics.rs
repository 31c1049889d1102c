//! Detection metrics over labelled items: confusion matrix, precision, recall, F1 and
//! false-positive rate, for "suspicious or worse" and for "phishing".

use healthguard_core::Verdict;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Verdict counts per label.
#[derive(Debug, Default)]
pub struct Confusion {
    counts: BTreeMap<String, [usize; 4]>,
}

fn slot(v: Verdict) -> usize {
    match v {
        Verdict::Official => 0,
        Verdict::Unverified => 1,
        Verdict::Suspicious => 2,
        Verdict::Phishing => 3,
    }
}

impl Confusion {
    /// Records one item's verdict under its label.
    pub fn add(&mut self, label: &str, verdict: Verdict) {
        self.counts.entry(label.to_string()).or_default()[slot(verdict)] += 1;
    }

    /// Items of a label.
    pub fn total(&self, label: &str) -> usize {
        self.counts.get(label).map(|c| c.iter().sum()).unwrap_or(0)
    }

    /// Items of a label at `at_least` or worse.
    pub fn flagged(&self, label: &str, at_least: Verdict) -> usize {
        self.counts
            .get(label)
            .map(|c| c[slot(at_least)..].iter().sum())
            .unwrap_or(0)
    }

    /// The confusion matrix and the quality table; `positive` labels are the threat,
    /// `negative` the legitimate ones; other labels are listed with their flag rates only.
    pub fn table(&self, positive: &[&str], negative: &[&str]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<14} {:>7} {:>10} {:>11} {:>9} {:>7}",
            "label", "items", "official", "unverified", "suspicious", "phishing"
        );
        for (label, c) in &self.counts {
            let _ = writeln!(
                out,
                "{label:<14} {:>7} {:>10} {:>11} {:>9} {:>7}",
                c.iter().sum::<usize>(),
                c[0],
                c[1],
                c[2],
                c[3]
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<22} {:>9} {:>7} {:>7} {:>7}",
            "threshold", "precision", "recall", "F1", "FPR"
        );
        for (name, at) in [
            ("suspicious or worse", Verdict::Suspicious),
            ("phishing", Verdict::Phishing),
        ] {
            let tp: usize = positive.iter().map(|l| self.flagged(l, at)).sum();
            let pos: usize = positive.iter().map(|l| self.total(l)).sum();
            let fp: usize = negative.iter().map(|l| self.flagged(l, at)).sum();
            let neg: usize = negative.iter().map(|l| self.total(l)).sum();
            let precision = ratio(tp, tp + fp);
            let recall = ratio(tp, pos);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            let fpr = ratio(fp, neg);
            let _ = writeln!(
                out,
                "{name:<22} {:>8.2}% {:>6.2}% {:>6.3} {:>6.2}%",
                100.0 * precision,
                100.0 * recall,
                f1,
                100.0 * fpr
            );
        }
        for (label, _) in self
            .counts
            .iter()
            .filter(|(l, _)| !positive.contains(&l.as_str()) && !negative.contains(&l.as_str()))
        {
            let t = self.total(label);
            let _ = writeln!(
                out,
                "{label}: {:.2}% suspicious or worse, {:.2}% phishing (reported apart: neither threat nor legitimate)",
                100.0 * ratio(self.flagged(label, Verdict::Suspicious), t),
                100.0 * ratio(self.flagged(label, Verdict::Phishing), t)
            );
        }
        out
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_precision_recall_and_fpr() {
        let mut c = Confusion::default();
        for v in [
            Verdict::Phishing,
            Verdict::Suspicious,
            Verdict::Unverified,
            Verdict::Phishing,
        ] {
            c.add("phish", v);
        }
        for v in [
            Verdict::Unverified,
            Verdict::Suspicious,
            Verdict::Official,
            Verdict::Unverified,
        ] {
            c.add("ham", v);
        }
        let t = c.table(&["phish"], &["ham"]);
        // suspicious or worse: tp 3 of 4, fp 1 of 4 → precision 75%, recall 75%, FPR 25%.
        assert!(
            t.contains("suspicious or worse       75.00%  75.00%  0.750  25.00%"),
            "{t}"
        );
        // phishing: tp 2, fp 0 → precision 100%, recall 50%, FPR 0%.
        assert!(
            t.contains("phishing                 100.00%  50.00%  0.667   0.00%"),
            "{t}"
        );
    }
}
