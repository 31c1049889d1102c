//! A statistical signal trained per site, as SpamAssassin's and rspamd's Bayes: which words
//! and features this site's legitimate mail and its phishing/spam carry. Pure: the model is
//! built, read and written as bytes; files are the caller's business.
//!
//! Scoring follows Gary Robinson's method as SpamAssassin uses it (a per-token probability
//! smoothed towards 0.5 for rare tokens, the most telling tokens combined with Fisher's
//! inverse chi-square). The model counts, per token, how many legitimate and how many bad
//! (phishing or spam) messages carried it.

use std::collections::HashMap;
use std::fmt::Write;

/// First line of a model file.
const MAGIC: &str = "healthguard-bayes 1";
/// Tokens per message used for the verdict (the most telling ones).
const MOST_TELLING: usize = 15;
/// Robinson's strength of the prior (s) and the prior itself (x).
const STRENGTH: f64 = 0.45;
const PRIOR: f64 = 0.5;
/// Tokens closer to 0.5 than this say nothing and are left out.
const MIN_DEVIATION: f64 = 0.1;
/// Messages of each class needed before the model judges (SpamAssassin waits for 200).
pub const MIN_MESSAGES: u32 = 50;
/// Most distinct tokens taken from one message.
const MAX_TOKENS: usize = 2000;

/// Counts of legitimate and bad messages, and per token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// Legitimate messages learnt.
    pub ham: u32,
    /// Bad (phishing or spam) messages learnt.
    pub bad: u32,
    tokens: HashMap<String, (u32, u32)>,
}

/// The model's judgement of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Probability that the message is bad, 0..=1.
    pub probability: f64,
    /// The tokens that weighed most towards the verdict, most telling first.
    pub tokens: Vec<String>,
}

/// The distinct tokens of a message: words of 3 to 24 letters or digits of `text`, lower
/// case, plus `features` (e.g. `from:example.org`, `host:example.net`) as given.
pub fn tokens<'a>(text: &str, features: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in features {
        if seen.insert(f.to_string()) {
            out.push(f.to_string());
        }
    }
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if out.len() >= MAX_TOKENS {
            break;
        }
        let n = word.chars().count();
        if !(3..=24).contains(&n) || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let w = word.to_lowercase();
        if seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

impl Model {
    /// Learns one message's tokens as legitimate or bad.
    pub fn learn(&mut self, tokens: &[String], bad: bool) {
        if bad {
            self.bad += 1;
        } else {
            self.ham += 1;
        }
        for t in tokens {
            let e = self.tokens.entry(t.clone()).or_default();
            if bad {
                e.1 += 1;
            } else {
                e.0 += 1;
            }
        }
    }

    /// Distinct tokens known.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether nothing was learnt.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Robinson's probability that a message with `token` is bad, or `None` for a token
    /// never seen.
    fn token_probability(&self, token: &str) -> Option<f64> {
        let &(ham, bad) = self.tokens.get(token)?;
        let ham_rate = f64::from(ham) / f64::from(self.ham.max(1));
        let bad_rate = f64::from(bad) / f64::from(self.bad.max(1));
        if ham_rate + bad_rate == 0.0 {
            return None;
        }
        let p = bad_rate / (ham_rate + bad_rate);
        let n = f64::from(ham + bad);
        Some((STRENGTH * PRIOR + n * p) / (STRENGTH + n))
    }

    /// Judges a message by its tokens; `None` until both classes have [`MIN_MESSAGES`]
    /// messages or when no token says anything.
    pub fn judge(&self, tokens: &[String]) -> Option<Judgement> {
        if self.ham < MIN_MESSAGES || self.bad < MIN_MESSAGES {
            return None;
        }
        let mut telling: Vec<(f64, &String)> = tokens
            .iter()
            .filter_map(|t| self.token_probability(t).map(|p| (p, t)))
            .filter(|(p, _)| (p - 0.5).abs() >= MIN_DEVIATION)
            .collect();
        if telling.is_empty() {
            return None;
        }
        telling.sort_by(|a, b| {
            (b.0 - 0.5)
                .abs()
                .total_cmp(&(a.0 - 0.5).abs())
                .then_with(|| a.1.cmp(b.1))
        });
        telling.truncate(MOST_TELLING);
        let n = telling.len();
        // Fisher: how unlikely the product of the probabilities is under chance, both ways.
        let bad_ln: f64 = telling.iter().map(|(p, _)| (1.0 - p).ln()).sum();
        let ham_ln: f64 = telling.iter().map(|(p, _)| p.ln()).sum();
        let bad_side = 1.0 - chi2q(-2.0 * bad_ln, 2 * n);
        let ham_side = 1.0 - chi2q(-2.0 * ham_ln, 2 * n);
        let probability = ((1.0 + bad_side - ham_side) / 2.0).clamp(0.0, 1.0);
        Some(Judgement {
            probability,
            tokens: telling.into_iter().map(|(_, t)| t.clone()).collect(),
        })
    }

    /// The model as text: a header line, then `token<TAB>ham<TAB>bad` lines, sorted.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.tokens.len() * 16 + 64);
        let _ = writeln!(out, "{MAGIC}\tham={}\tbad={}", self.ham, self.bad);
        let mut entries: Vec<(&String, &(u32, u32))> = self.tokens.iter().collect();
        entries.sort();
        for (t, (h, b)) in entries {
            let _ = writeln!(out, "{t}\t{h}\t{b}");
        }
        out
    }

    /// Reads a model written by [`Model::to_text`]; the error names the first bad line.
    pub fn from_text(text: &str) -> Result<Model, String> {
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        let mut parts = head.split('\t');
        if parts.next() != Some(MAGIC) {
            return Err(format!(
                "not a HealthGuard model (first line should start with {MAGIC:?})"
            ));
        }
        let count = |p: Option<&str>, key: &str| -> Result<u32, String> {
            p.and_then(|v| v.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("line 1: expected {key}N"))
        };
        let mut model = Model {
            ham: count(parts.next(), "ham=")?,
            bad: count(parts.next(), "bad=")?,
            tokens: HashMap::new(),
        };
        for (n, line) in lines.enumerate() {
            let mut f = line.split('\t');
            let (Some(t), Some(h), Some(b), None) = (f.next(), f.next(), f.next(), f.next()) else {
                return Err(format!("line {}: expected token<TAB>ham<TAB>bad", n + 2));
            };
            let (Ok(h), Ok(b)) = (h.parse::<u32>(), b.parse::<u32>()) else {
                return Err(format!("line {}: counts must be numbers", n + 2));
            };
            if h > model.ham || b > model.bad || t.is_empty() {
                return Err(format!("line {}: counts larger than the messages learnt", n + 2));
            }
            model.tokens.insert(t.to_string(), (h, b));
        }
        Ok(model)
    }
}

/// The upper tail of the chi-square distribution with `dof` (even) degrees of freedom.
fn chi2q(x2: f64, dof: usize) -> f64 {
    let m = x2 / 2.0;
    let mut term = (-m).exp();
    let mut sum = term;
    for i in 1..dof / 2 {
        term *= m / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of written-by-the-project messages: invoices to pay at strange hosts against
    /// meeting notes.
    fn trained() -> Model {
        let mut m = Model::default();
        for i in 0..60 {
            let bad = format!("urgent verify your account password suspended login now case{i}");
            m.learn(&tokens(&bad, ["host:login-verify.example"]), true);
            let ham = format!("meeting notes agenda minutes tuesday project review item{i}");
            m.learn(&tokens(&ham, ["host:intranet.example"]), false);
        }
        m
    }

    #[test]
    fn tokens_are_distinct_words_and_features() {
        let t = tokens("Verify, VERIFY your 2026 account! a ok", ["from:shop.example"]);
        assert_eq!(t, ["from:shop.example", "verify", "your", "account"]);
    }

    #[test]
    fn judges_by_the_most_telling_tokens() {
        let m = trained();
        let bad = m.judge(&tokens("please verify your password now", [])).unwrap();
        assert!(bad.probability > 0.9, "{bad:?}");
        assert!(bad.tokens.contains(&"password".to_string()));
        let ham = m
            .judge(&tokens(
                "agenda for the project review meeting",
                ["host:intranet.example"],
            ))
            .unwrap();
        assert!(ham.probability < 0.1, "{ham:?}");
        // Nothing known: no judgement.
        assert!(m.judge(&tokens("zebra quartz", [])).is_none());
        // Too few messages learnt: no judgement either.
        let mut small = Model::default();
        small.learn(&tokens("verify password", []), true);
        assert!(small.judge(&tokens("verify password", [])).is_none());
    }

    #[test]
    fn text_form_round_trips_and_bad_files_are_refused() {
        let m = trained();
        let back = Model::from_text(&m.to_text()).unwrap();
        assert_eq!(back, m);
        assert!(Model::from_text("").is_err());
        assert!(Model::from_text("something else\n").is_err());
        assert!(Model::from_text("healthguard-bayes 1\tham=1\tbad=1\nword\t5\t0\n").is_err());
        assert!(Model::from_text("healthguard-bayes 1\tham=1\tbad=1\nword\tx\t0\n").is_err());
        assert!(Model::from_text("healthguard-bayes 1\tham=2\tbad=1\nword\t1\t0\textra\n").is_err());
    }

    #[test]
    fn chi_square_tail() {
        assert!((chi2q(0.0, 2) - 1.0).abs() < 1e-12);
        assert!((chi2q(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
        assert!(chi2q(100.0, 4) < 1e-12);
    }
}
