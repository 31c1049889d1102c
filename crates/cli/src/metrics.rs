//! Detection metrics over labelled items: confusion matrix, precision, recall, F1 and
//! false-positive rate, for "suspicious or worse" and for "phishing"; and the mistakes
//! (false positives, misses) with the findings behind them. Shared by `eval sms` and
//! `eval email`.

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

    /// Items of every label.
    pub fn items(&self) -> usize {
        self.counts.values().flatten().sum()
    }

    /// Adds another matrix's counts to this one.
    pub fn merge(&mut self, other: &Confusion) {
        for (label, c) in &other.counts {
            let mine = self.counts.entry(label.clone()).or_default();
            for (m, o) in mine.iter_mut().zip(c) {
                *m += o;
            }
        }
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

/// One kind of mistake (false positives, or misses): how many, which findings were behind
/// them, and examples listed in input order (`K` orders them).
#[derive(Debug)]
pub struct Mistakes<K> {
    codes: BTreeMap<String, usize>,
    examples: Vec<(K, String)>,
}

impl<K> Default for Mistakes<K> {
    fn default() -> Mistakes<K> {
        Mistakes {
            codes: BTreeMap::new(),
            examples: Vec::new(),
        }
    }
}

impl<K: Ord> Mistakes<K> {
    /// Records one mistake: its place in the input, score, finding codes and what it was
    /// (a path, or the start of a text).
    pub fn add(&mut self, key: K, score: f32, codes: &[&str], what: &str) {
        for code in codes {
            *self.codes.entry((*code).to_string()).or_default() += 1;
        }
        self.examples.push((key, format!("{score:.1} {codes:?}: {what}")));
    }

    /// `title (N):`, the most frequent findings behind them, then the first `show` examples.
    pub fn render(&mut self, title: &str, show: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{title} ({}):", self.examples.len());
        if !self.codes.is_empty() {
            let mut codes: Vec<(&String, &usize)> = self.codes.iter().collect();
            codes.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let top: Vec<String> = codes.iter().take(10).map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(out, "  findings behind them: {}", top.join(", "));
        }
        self.examples.sort_by(|a, b| a.0.cmp(&b.0));
        if show > 0 && !self.examples.is_empty() {
            let _ = writeln!(out, "  first {show}:");
            for (_, line) in self.examples.iter().take(show) {
                let _ = writeln!(out, "  {line}");
            }
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
    fn mistakes_list_top_findings_and_examples_in_input_order() {
        let mut m = Mistakes::default();
        m.add(2, 4.0, &["B", "A"], "second");
        m.add(1, 5.5, &["A"], "first");
        let out = m.render("misses", 1);
        assert_eq!(
            out,
            "misses (2):\n  findings behind them: A 2, B 1\n  first 1:\n  5.5 [\"A\"]: first\n"
        );
    }

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
