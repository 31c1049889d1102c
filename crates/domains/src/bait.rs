//! Health bait hosts: a health word inside a host name that is not a registry domain, on a
//! cheap or abused top-level domain or beside a word of shops, offers or account steps
//! (`ezikoapteka-pl.shop`, `apteka.pl-offers.sbs`). Fake pharmacies and health-themed bait
//! sites imitate no single official domain, so the look-alike index cannot name one; the
//! shape of the name is the signal. Word lists in `data/lists/health_bait_words.txt`.

use crate::hash::Table;
use crate::signals::Signals;
use std::sync::LazyLock;

const WORDS_TXT: &str = include_str!("../../../data/lists/health_bait_words.txt");

struct Words {
    health: Vec<&'static str>,
    bait: Table<()>,
}

static WORDS: LazyLock<Words> = LazyLock::new(|| {
    let mut health = Vec::new();
    let mut bait = Table::default();
    let mut section = "";
    for line in WORDS_TXT.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s;
            continue;
        }
        match section {
            "health" => health.push(line),
            "bait" => {
                bait.entry_or(line.as_bytes(), || ());
            }
            _ => {}
        }
    }
    Words { health, bait }
});

/// The health word that makes `host` health bait, if it is (see the module docs); the cheap
/// TLDs are those of `signals`. `host` is any host name; invalid ones are never bait.
pub(crate) fn health_bait(host: &str, signals: &Signals) -> Option<&'static str> {
    let ascii = crate::to_ascii(host)?;
    let registrable = crate::registrable_domain(&ascii)?;
    let suffix = registrable.split_once('.').map_or("", |(_, s)| s);
    let body = ascii.strip_suffix(suffix)?.trim_end_matches('.');
    let words = &*WORDS;
    let health = words
        .health
        .iter()
        .find(|w| body.split('.').any(|label| label.contains(*w)))?;
    let tld = ascii.rsplit('.').next().unwrap_or("");
    let abused = signals.get(tld).tld_abused;
    let bait_token = body
        .split(|c: char| !c.is_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .any(|t| {
            words.bait.contains(t.as_bytes())
                || t.strip_prefix(*health)
                    .or_else(|| t.strip_suffix(*health))
                    .is_some_and(|rest| words.bait.contains(rest.as_bytes()))
        });
    (abused || bait_token).then_some(*health)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bait(host: &str) -> Option<&'static str> {
        health_bait(host, &Signals::embedded())
    }

    #[test]
    fn fake_pharmacy_shapes_are_bait() {
        for (host, word) in [
            ("ezikoapteka-pl.shop", "apteka"),
            ("apteka.pl-offers.sbs", "apteka"),
            ("zdrowie-zwrot.example.com", "zdrowie"),
            ("best-pharmacysale.com", "pharmacy"),
            ("healthrefund-portal.net", "health"),
            ("vitale-renouvellement.com", "vitale"),
            ("tessera-sanitaria-rinnovo.it", "sanitaria"),
            ("zwrot-skladki-zdrowotnej.pl", "zdrowot"),
        ] {
            assert_eq!(bait(host), Some(word), "{host}");
        }
    }

    #[test]
    fn ordinary_health_sites_and_other_shops_are_not() {
        for host in [
            "www.apteka-rodzinna.pl",
            "healthline.com",
            "nhsinform.scot",
            "shop.example.com",
            "cheap-flights.shop",
            "hospital.example.org",
            "vehicle-sale.com",
            "sanitaria.example.it",
            "",
            "not a host",
        ] {
            assert_eq!(bait(host), None, "{host}");
        }
    }
}
