//! Phishing signals that hold for any brand and any language, not only for registry
//! institutions: brands named in a display name but not sent from the brand's domain, an
//! address or domain shown in a display name that is not the sender's, link text that shows
//! another domain than the link's, name-only From mailboxes, and lure phrases in languages the
//! core lexicons do not cover (`data/brands.txt`, `data/lures.txt`).

use crate::html::HtmlLink;
use crate::identity::SenderIdentity;
use crate::lists::lines;
use crate::parse::Mailbox;
use healthguard_core::fold::{fold, Folded};
use healthguard_core::links::{self, Link};
use healthguard_core::{Finding, PhraseSet};
use healthguard_domains::registrable_domain;
use std::collections::HashMap;
use std::sync::LazyLock;

/// (brand words, domains it sends from). `_` in the file joins words ("home_depot").
struct Brand {
    word: String,
    domains: Vec<&'static str>,
}

static BRANDS: LazyLock<(PhraseSet<usize>, Vec<Brand>)> = LazyLock::new(|| {
    let brands: Vec<Brand> = lines(include_str!("../data/brands.txt"))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some(Brand {
                word: it.next()?.replace('_', " "),
                domains: it.collect(),
            })
        })
        .collect();
    let set = PhraseSet::new(brands.iter().enumerate().map(|(i, b)| (b.word.clone(), i)));
    (set, brands)
});

static LURES: LazyLock<PhraseSet<String>> = LazyLock::new(|| {
    PhraseSet::new(lines(include_str!("../data/lures.txt")).filter_map(|l| {
        let (kind, phrase) = l.split_once('|')?;
        Some((
            phrase.trim().to_string(),
            format!("LURE_{}", kind.trim().to_ascii_uppercase()),
        ))
    }))
});

static ORG_WORDS: LazyLock<PhraseSet<()>> =
    LazyLock::new(|| PhraseSet::new(lines(include_str!("../data/org_words.txt")).map(|l| (l.to_string(), ()))));

/// Each brand's sending domains by registrable domain: brand indexes per domain.
static BRAND_DOMAINS: LazyLock<HashMap<&'static str, Vec<usize>>> = LazyLock::new(|| {
    let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for (i, b) in BRANDS.1.iter().enumerate() {
        for d in &b.domains {
            map.entry(*d).or_default().push(i);
        }
    }
    map
});

/// Words for "password" (folded), after which a message may give one.
static PASSWORD_WORDS: LazyLock<PhraseSet<()>> = LazyLock::new(|| {
    PhraseSet::new(
        [
            "password",
            "passwort",
            "kennwort",
            "haslo",
            "parola",
            "mot de passe",
            "contrasena",
            "senha",
            "wachtwoord",
            "pwd",
        ]
        .map(|w| (w.to_string(), ())),
    )
});

/// Every finding code `data/lures.txt` can emit (for the catalogue test).
#[cfg(test)]
pub(crate) fn lure_codes() -> Vec<String> {
    let mut codes: Vec<String> = lines(include_str!("../data/lures.txt"))
        .filter_map(|l| l.split_once('|'))
        .map(|(k, _)| format!("LURE_{}", k.trim().to_ascii_uppercase()))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Letters and digits of a domain, lower case ("mercado-livre.com.br" → "mercadolivrecombr").
fn squashed(domain: &str) -> String {
    domain
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Same registrable domain (or the same host when it has none).
pub(crate) fn same_site(a: &str, b: &str) -> bool {
    let ra = registrable_domain(a).unwrap_or_else(|| a.to_ascii_lowercase());
    let rb = registrable_domain(b).unwrap_or_else(|| b.to_ascii_lowercase());
    ra == rb
}

/// A brand named in the display name while the From domain is not the brand's.
pub(crate) fn brand_impersonation(name: &str, from_domain: Option<&str>) -> Option<Finding> {
    let (set, brands) = &*BRANDS;
    let folded = fold(name);
    let m = set.find(&folded).next()?;
    let brand = &brands[*m.payload];
    let domain = from_domain.unwrap_or_default();
    let site = registrable_domain(domain).unwrap_or_else(|| domain.to_string());
    // The brand's own name as the registrable label ("paypal.de"), or a listed domain; a name
    // with extra words around the brand ("paypal-secure-login.com") is not the brand.
    let label = site.split('.').next().unwrap_or_default();
    if !domain.is_empty()
        && (squashed(label) == squashed(&brand.word) || brand.domains.iter().any(|d| same_site(d, &site)))
    {
        return None;
    }
    Some(
        Finding::new("BRAND_IMPERSONATION", format!("{name} <{domain}>"))
            .param("brand", folded.original(name, m.start, m.end)),
    )
}

/// An address or domain written in the display name that is not the sender's own.
pub(crate) fn name_shows_other_domain(name: &str, from_domain: Option<&str>) -> Option<Finding> {
    if !name.contains('.') {
        return None;
    }
    let from = from_domain?;
    let shown: Vec<Link> = links::extract(name);
    // Addresses only: brands name themselves by domain ("News.com Daily"), and a dotted
    // name ("R.Hughes") can read as a host under a new top-level domain.
    let other = shown.iter().find(|l| l.is_email && !same_site(&l.host, from))?;
    Some(Finding::new("DISPLAY_NAME_OTHER_DOMAIN", format!("{name} <{from}>")).param("target", &other.host))
}

/// A From header that lists a name without an address next to a real address (the name is
/// what most mail clients show).
pub(crate) fn name_only_mailbox(from: &[Mailbox]) -> Option<Finding> {
    if from.len() < 2 || from.iter().all(|m| m.address.is_none()) {
        return None;
    }
    let bare = from.iter().find(|m| m.address.is_none() && m.name.is_some())?;
    let shown: Vec<String> = from.iter().map(Mailbox::display).collect();
    Some(Finding::new("FROM_NAME_WITHOUT_ADDRESS", shown.join(", ")).param("target", bare.display()))
}

/// A From address on a free-hosting, app-platform or file-hosting parent
/// (`data/lists/free_hosting.txt`, `file_hosting.txt`): anyone can send as
/// `anything@<project>.firebaseapp.com`, so the name proves nothing.
pub(crate) fn sender_on_free_hosting(from_domain: Option<&str>) -> Option<Finding> {
    use healthguard_domains::HostKind::{FileHosting, FreeHosting};
    let d = from_domain?;
    matches!(healthguard_domains::classify_host(d), FreeHosting | FileHosting)
        .then(|| Finding::new("SENDER_FREE_HOSTING", d))
}

/// A From address that no mail system writes: quotes, spaces or `%` in the domain, a domain
/// without a dot, or letters dressed up as styled Unicode (mathematical bold and the like)
/// that make a forged address look like a brand's.
/// A From with a name and no address at all is judged the same way.
pub(crate) fn malformed_from_address(from: &Mailbox) -> Option<Finding> {
    let Some(addr) = from.address.as_deref().map(str::trim) else {
        return from
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| Finding::new("FROM_ADDRESS_MALFORMED", n));
    };
    let (local, domain) = addr.rsplit_once('@')?;
    let domain = domain.trim_end_matches(['>', '.']);
    let styled = |c: char| ('\u{1D400}'..='\u{1D7FF}').contains(&c);
    let bad = local.is_empty()
        || domain.is_empty()
        || domain.contains(['"', '\'', '%', ' ', '\t', '<', ',', ';'])
        || !domain.contains('.')
        || addr.chars().any(styled);
    bad.then(|| Finding::new("FROM_ADDRESS_MALFORMED", addr))
}

/// A From address on a brand's own domain (`data/brands.txt`, free mail left out) without a
/// DKIM signature of that brand. Large senders sign all their mail (Gmail's and Yahoo's rules
/// for bulk senders require it since 2024), so an unsigned message is most likely forged.
/// The signature is not verified here: its absence is the evidence.
pub(crate) fn brand_domain_unsigned(from_domain: Option<&str>, dkim_domains: &[String]) -> Option<Finding> {
    let from = from_domain?;
    let site = registrable_domain(from)?;
    let brands = BRAND_DOMAINS.get(site.as_str())?;
    if crate::lists::is_freemail(&site) {
        return None;
    }
    let signed = dkim_domains.iter().any(|d| {
        let d_site = registrable_domain(d).unwrap_or_else(|| d.clone());
        d_site == site
            || BRAND_DOMAINS
                .get(d_site.as_str())
                .is_some_and(|of| of.iter().any(|b| brands.contains(b)))
    });
    (!signed).then(|| {
        let signers = if dkim_domains.is_empty() {
            "none".to_string()
        } else {
            dkim_domains.join(", ")
        };
        Finding::new("BRAND_DOMAIN_UNSIGNED", from).param("target", signers)
    })
}

/// Whether `host` is on a domain of a brand that sends from `from_domain`'s registrable
/// domain (`data/brands.txt`), or on that domain itself.
pub(crate) fn brand_owns(from_domain: &str, host: &str) -> bool {
    let Some(site) = registrable_domain(from_domain) else {
        return false;
    };
    let host_site = registrable_domain(host).unwrap_or_else(|| host.to_ascii_lowercase());
    if host_site == site {
        return true;
    }
    let Some(brands) = BRAND_DOMAINS.get(site.as_str()) else {
        return false;
    };
    BRAND_DOMAINS
        .get(host_site.as_str())
        .is_some_and(|of| of.iter().any(|b| brands.contains(b)))
}

/// A display name that reads as an organisation ("Customer Service", "[Bank] Notice") on a
/// free-mail address: banks, shops and authorities do not write from free mailboxes.
pub(crate) fn organisation_on_freemail(name: &str, from_domain: Option<&str>) -> Option<Finding> {
    let domain = from_domain?;
    if !crate::lists::is_freemail(domain) {
        return None;
    }
    let bracketed = name.contains('[') && name.contains(']');
    (bracketed || ORG_WORDS.find(&fold(name)).next().is_some())
        .then(|| Finding::new("ORGANISATION_ON_FREEMAIL", format!("{name} <{domain}>")))
}

/// A reference number of six digits or more in the display name ("Protocolo: 78213839"):
/// official-looking decoration; people and companies name themselves without one.
pub(crate) fn display_name_reference_number(name: &str) -> Option<Finding> {
    let mut run = 0;
    for c in name.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 6 {
            return Some(Finding::new("DISPLAY_NAME_REFERENCE_NUMBER", name));
        }
    }
    None
}

/// Whether a character is a letter dressed up as styled Unicode: mathematical alphanumerics
/// (𝐁𝐨𝐥𝐝, 𝘪𝘵𝘢𝘭𝘪𝘤), full-width Latin, small capitals, circled or squared letters.
fn is_styled_letter(c: char) -> bool {
    matches!(c,
        '\u{1D400}'..='\u{1D7FF}'          // mathematical alphanumeric symbols
        | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' // full-width Latin
        | '\u{1D00}'..='\u{1D22}'          // small capitals (phonetic extensions)
        | '\u{0299}' | '\u{0262}' | '\u{029C}' | '\u{026A}' | '\u{029F}' | '\u{0274}' | '\u{0280}' | '\u{028F}'
        | '\u{A730}' | '\u{A731}'
        | '\u{24B6}'..='\u{24E9}'          // circled letters
        | '\u{1F130}'..='\u{1F189}') // squared letters
}

/// Three or more styled-Unicode letters in the subject or the sender's name: a way around
/// word filters (and a look of urgency) that no ordinary sender needs.
pub(crate) fn styled_letters(subject: &str, name: &str) -> Option<Finding> {
    [subject, name]
        .into_iter()
        .find(|t| t.chars().filter(|&c| is_styled_letter(c)).nth(2).is_some())
        .map(|t| Finding::new("STYLED_LETTERS", t))
}

/// A machine-made random token in the subject ("wpsPADwQak6ANPRYv", "egeZ2Fb4pfL"): bulk
/// senders add one so that every copy differs and checksum filters miss them. Product names
/// and identifiers ("Mark2CurSeen", "iPhone15Pro") are capitalised words and pass.
pub(crate) fn subject_random_token(subject: &str) -> Option<Finding> {
    subject
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|t| looks_random(t))
        .map(|t| Finding::new("SUBJECT_RANDOM_TOKEN", t))
}

/// At least 8 ASCII letters and digits of both cases and a digit, in 5 or more runs, with two
/// or more irregular runs: a capital run not followed by 2+ small letters, or a single small
/// letter.
fn looks_random(token: &str) -> bool {
    let b = token.as_bytes();
    if b.len() < 8
        || !b.iter().any(u8::is_ascii_lowercase)
        || !b.iter().any(u8::is_ascii_uppercase)
        || !b.iter().any(u8::is_ascii_digit)
    {
        return false;
    }
    // Runs of one character class: (class, length), class 0 = lower, 1 = upper, 2 = digit.
    let class = |c: &u8| match c {
        b'a'..=b'z' => 0u8,
        b'A'..=b'Z' => 1,
        _ => 2,
    };
    let mut runs: Vec<(u8, usize)> = Vec::new();
    for c in b {
        match runs.last_mut() {
            Some((k, n)) if *k == class(c) => *n += 1,
            _ => runs.push((class(c), 1)),
        }
    }
    if runs.len() < 5 {
        return false;
    }
    let irregular = runs
        .iter()
        .enumerate()
        .filter(|(i, (k, n))| match k {
            0 => *n == 1,
            1 => !matches!(runs.get(i + 1), Some((0, m)) if *m >= 2),
            _ => false,
        })
        .count();
    irregular >= 2
}

/// Every web link of the message goes to another site than the sender's (only counts beside
/// a lure, in a composite: mailing-list posts link everywhere too).
pub(crate) fn links_off_sender_site(identity: &SenderIdentity, hosts: &[String]) -> Option<Finding> {
    let from = identity.from_domain.as_deref()?;
    let first = hosts.first()?;
    hosts
        .iter()
        .all(|h| !identity.owns(h))
        .then(|| Finding::new("LINKS_OFF_SENDER_SITE", first.as_str()).param("target", from))
}

/// The domain an anchor's text shows, when it differs from where the link goes (any domain;
/// registry domains are judged by `LINK_TEXT_MISMATCH`).
/// A link to the sender's own organisation (its click tracker) is not judged here.
pub(crate) fn link_text_other_domain(
    l: &HtmlLink,
    target: &Link,
    identity: &SenderIdentity,
) -> Option<(String, String)> {
    if target.is_email || target.is_ip || identity.owns(&target.host) {
        return None;
    }
    let shown = crate::html_links::shown_link(&l.text)?;
    if shown.is_email || shown.is_ip || same_site(&shown.host, &target.host) {
        return None;
    }
    Some((shown.host, target.host.clone()))
}

/// A password given in the text ("Senha PDF: 123", "password: 8841", "hasło do pliku = x1"):
/// returns the words from "password" to the end of the value. Beside an attachment it is the
/// key to a locked file, which no scanner can open: malware arrives that way.
pub(crate) fn password_given(text: &str, folded: &Folded) -> Option<String> {
    for m in PASSWORD_WORDS.find(folded) {
        let start = folded.origin_of(m.start, text.len());
        let end = folded.origin_of(m.end, text.len());
        let Some(after) = text.get(end..) else {
            continue;
        };
        // A separator within a few words ("Senha de acesso: 123"), then the value.
        let Some(sep) = after
            .char_indices()
            .take(24)
            .find(|(_, c)| matches!(c, ':' | '='))
            .map(|(i, _)| i)
        else {
            continue;
        };
        if after[..sep].contains(['\n', '.', '!', '?']) {
            continue;
        }
        let rest = &after[sep + 1..];
        let value_at = sep + 1 + (rest.len() - rest.trim_start().len());
        let value_len: usize = after[value_at..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(32)
            .map(char::len_utf8)
            .sum();
        let value = after[value_at..value_at + value_len].trim_end_matches(['.', ',', ';', ')']);
        if (2..=24).contains(&value.chars().count()) && value.chars().any(char::is_alphanumeric) {
            return text.get(start..end + value_at + value.len()).map(str::to_string);
        }
    }
    None
}

/// Lure phrases of `data/lures.txt` in folded text: (finding code, phrase as written).
pub(crate) fn lures(text: &str, folded: &Folded) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for m in LURES.find(folded) {
        if !out.iter().any(|(c, _)| c == m.payload) {
            out.push((m.payload.clone(), folded.original(text, m.start, m.end).to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! Fixtures in these tests were written by the project.
    use super::*;

    #[test]
    fn brands_in_display_names() {
        let f = brand_impersonation("PayPal Service", Some("secure-update.example")).unwrap();
        assert_eq!(f.code, "BRAND_IMPERSONATION");
        assert!(brand_impersonation("PayPal", Some("mail.paypal.com")).is_none());
        assert!(brand_impersonation("Amazon.de", Some("marketplace.amazon.de")).is_none());
        assert!(brand_impersonation("Bradesco Prime", Some("bradesco.com.br")).is_none());
        assert!(brand_impersonation("Ledger Security", Some("secureliveupdates.example")).is_some());
        assert!(brand_impersonation("NETFLIX", Some("gmail.com")).is_some());
        assert!(brand_impersonation("Jan Kowalski", Some("gmail.com")).is_none());
        // A word inside another word is not the brand.
        assert!(brand_impersonation("Applebee Fan Club", Some("example.org")).is_none());
    }

    #[test]
    fn retail_delivery_and_crypto_brands() {
        // Written by the project.
        assert!(brand_impersonation("Lidl Gewinnspiel", Some("promo-mail.example")).is_some());
        assert!(brand_impersonation("GLS Paketdienst", Some("track-parcel.example")).is_some());
        assert!(brand_impersonation("Uniswap Labs", Some("airdrop-claim.example")).is_some());
        assert!(brand_impersonation("Lidl Plus", Some("mail.lidl.de")).is_none());
        assert!(brand_impersonation("GLS", Some("gls-group.eu")).is_none());
        assert!(brand_impersonation("Costco Wholesale", Some("costco.com")).is_none());
        // Brands of several words.
        assert!(brand_impersonation("Home Depot Rewards", Some("survey-gift.example")).is_some());
        assert!(brand_impersonation("The Home Depot", Some("email.homedepot.com")).is_none());
        assert!(brand_impersonation("Home Office Tips", Some("survey-gift.example")).is_none());
        // The brand's name with extra words around it is not the brand's domain.
        assert!(brand_impersonation("Costco Wholesale", Some("costcowholesalecentre.example")).is_some());
        assert!(brand_impersonation("Netflix", Some("netflix.example")).is_none());
    }

    #[test]
    fn senders_on_free_hosting_and_malformed_addresses() {
        // Written by the project.
        let f = sender_on_free_hosting(Some("promo-8fb71.firebaseapp.com")).unwrap();
        assert_eq!(f.code, "SENDER_FREE_HOSTING");
        assert!(sender_on_free_hosting(Some("mail.clinic.example.pl")).is_none());
        assert!(sender_on_free_hosting(None).is_none());
        let mb = |a: &str| Mailbox {
            name: None,
            address: Some(a.into()),
        };
        for bad in [
            "\"team@claims-nl.example\"",
            "x7q@'randomhost.example'",
            "debts@tollservice258563578",
            "notice@registry28839%support.example",
            "team@\u{1D5FC}\u{1D603}-card.example",
        ] {
            assert_eq!(
                malformed_from_address(&mb(bad)).map(|f| f.code),
                Some("FROM_ADDRESS_MALFORMED".into()),
                "{bad}"
            );
        }
        let name_only = Mailbox {
            name: Some("Prize Team".into()),
            address: None,
        };
        assert!(malformed_from_address(&name_only).is_some());
        for good in ["o'brien@example.com", "jan.kowalski+news@clinic.example.pl", "root"] {
            assert!(malformed_from_address(&mb(good)).is_none(), "{good}");
        }
    }

    /// The identity of an unauthenticated sender from `from`.
    fn sender(from: Option<&str>) -> SenderIdentity {
        SenderIdentity::of(&crate::ParsedMail::default(), &crate::AuthOutcome::default(), from)
    }

    #[test]
    fn links_away_from_the_sender() {
        // Written by the project.
        let hosts = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let f = links_off_sender_site(&sender(Some("shop.example")), &hosts(&["claim-prize.example.net"])).unwrap();
        assert_eq!(f.code, "LINKS_OFF_SENDER_SITE");
        assert!(links_off_sender_site(
            &sender(Some("mail.shop.example")),
            &hosts(&["x.example.net", "www.shop.example"])
        )
        .is_none());
        assert!(links_off_sender_site(&sender(Some("shop.example")), &[]).is_none());
        assert!(links_off_sender_site(&sender(None), &hosts(&["x.example.net"])).is_none());
    }

    #[test]
    fn other_domain_in_display_name() {
        let f = name_shows_other_domain("support@paypal.com", Some("freemail-relay.example")).unwrap();
        assert_eq!(f.code, "DISPLAY_NAME_OTHER_DOMAIN");
        assert!(name_shows_other_domain("jan@clinic.example.pl", Some("clinic.example.pl")).is_none());
        assert!(name_shows_other_domain("news.clinic.example.pl", Some("mail.clinic.example.pl")).is_none());
        assert!(name_shows_other_domain("Craig R.Hughes", Some("example.com")).is_none());
        assert!(name_shows_other_domain("Shop.example.com Daily", Some("mailer.example.net")).is_none());
        assert!(name_shows_other_domain("Jan Kowalski", Some("example.pl")).is_none());
    }

    #[test]
    fn name_only_from_mailbox() {
        let from = vec![
            Mailbox {
                name: Some("Bank Gift".into()),
                address: None,
            },
            Mailbox {
                name: None,
                address: Some("offers@news.example".into()),
            },
        ];
        assert_eq!(name_only_mailbox(&from).unwrap().code, "FROM_NAME_WITHOUT_ADDRESS");
        assert!(name_only_mailbox(&from[1..]).is_none());
    }

    #[test]
    fn link_text_showing_another_domain() {
        let l = HtmlLink {
            href: "https://login.evil-pay.com/x".into(),
            text: "www.mybank-pl.com".into(),
        };
        let target = links::parse_one(&l.href).unwrap();
        assert_eq!(
            link_text_other_domain(&l, &target, &sender(Some("sender.example"))),
            Some(("www.mybank-pl.com".into(), "login.evil-pay.com".into()))
        );
        let same = HtmlLink {
            href: "https://click.mybank-pl.com/x".into(),
            text: "www.mybank-pl.com".into(),
        };
        assert!(link_text_other_domain(&same, &links::parse_one(&same.href).unwrap(), &sender(None)).is_none());
        // The sender's own click tracker.
        assert!(link_text_other_domain(&l, &target, &sender(Some("news.evil-pay.com"))).is_none());
    }

    #[test]
    fn lures_in_other_languages() {
        let text = "Herzlichen Glückwunsch! Sie wurden ausgewählt. Votre mot de passe expire; confirme seus dados.";
        let folded = fold(text);
        let codes: Vec<String> = lures(text, &folded).into_iter().map(|(c, _)| c).collect();
        assert!(codes.contains(&"LURE_REFUND".to_string()), "{codes:?}");
        assert!(codes.contains(&"LURE_CREDENTIALS".to_string()), "{codes:?}");
        assert!(codes.contains(&"LURE_VERIFICATION".to_string()), "{codes:?}");
        let plain = "Meeting notes attached, see you on Monday.";
        assert!(lures(plain, &fold(plain)).is_empty());
    }

    #[test]
    fn generic_scam_families() {
        // Written by the project: one short example per family, and ordinary mail.
        let cases = [
            (
                "I am the personal lawyer of a deceased client; you are the next of kin.",
                "LURE_ADVANCE_FEE",
            ),
            (
                "Claim your tokens before the airdrop ends; connect your wallet.",
                "LURE_CRYPTO",
            ),
            (
                "I recorded you through your camera while you visited an adult website.",
                "LURE_SEXTORTION",
            ),
            (
                "Your mailbox is full: 14 incoming messages are on hold.",
                "LURE_ACCOUNT_NOTICE",
            ),
            (
                "Please find the overdue invoice and the remittance advice.",
                "LURE_INVOICE",
            ),
            ("Delivery failed: confirm your delivery details.", "LURE_DELIVERY"),
            ("Hot girls in your area want to meet you.", "LURE_DATING"),
            ("Viagra and Cialis without a prescription.", "LURE_PHARMACY"),
            ("Your welcome bonus: 200 free spins at our casino.", "LURE_GAMBLING"),
            (
                "Your balance of 0.74 BTC is ready: withdraw your funds today.",
                "LURE_REFUND",
            ),
            ("Transfers to your card from 3000 EUR per day.", "LURE_REFUND"),
        ];
        for (text, code) in cases {
            let codes: Vec<String> = lures(text, &fold(text)).into_iter().map(|(c, _)| c).collect();
            assert!(codes.contains(&code.to_string()), "{text}: {codes:?}");
        }
        let plain = "The build failed on the new kernel; I attached the log. Lunch on Friday?";
        assert!(lures(plain, &fold(plain)).is_empty());
    }

    #[test]
    fn brand_domains_without_the_brands_signature() {
        // Written by the project.
        let dkim = |d: &[&str]| d.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let f = brand_domain_unsigned(Some("bradesco.com.br"), &dkim(&["noranswer.example"])).unwrap();
        assert_eq!(f.code, "BRAND_DOMAIN_UNSIGNED");
        assert!(brand_domain_unsigned(Some("news.paypal.com"), &[]).is_some());
        // Signed by the brand itself, or by another domain of the same brand.
        assert!(brand_domain_unsigned(Some("bradesco.com.br"), &dkim(&["bradesco.com.br"])).is_none());
        assert!(brand_domain_unsigned(Some("mail.paypal.com"), &dkim(&["paypal.com"])).is_none());
        assert!(brand_domain_unsigned(Some("mercadolivre.com.br"), &dkim(&["mercadolibre.com"])).is_none());
        // Not a brand's domain, or a free mailbox (a person's mail).
        assert!(brand_domain_unsigned(Some("clinic.example.pl"), &[]).is_none());
        assert!(brand_domain_unsigned(Some("gmail.com"), &[]).is_none());
        assert!(brand_domain_unsigned(None, &[]).is_none());
    }

    #[test]
    fn sender_names_that_dress_up() {
        // Written by the project.
        let f = organisation_on_freemail("Customer Service Team", Some("gmail.com")).unwrap();
        assert_eq!(f.code, "ORGANISATION_ON_FREEMAIL");
        assert!(organisation_on_freemail("[BB Cartões] Comunicado", Some("gmail.com")).is_some());
        assert!(organisation_on_freemail("Obsługa klienta", Some("wp.pl")).is_some());
        assert!(organisation_on_freemail("Jan Kowalski", Some("gmail.com")).is_none());
        assert!(organisation_on_freemail("Customer Service", Some("shop.example")).is_none());

        assert!(display_name_reference_number("Valores a Receber - Protocolo: 782138398640256").is_some());
        assert!(display_name_reference_number("Room 101 Helpdesk").is_none());

        let bold = "\u{1D40E}\u{1D429}\u{1D41E}\u{1D427} \u{1D40D}\u{1D428}\u{1D430}!";
        assert_eq!(styled_letters(bold, "Shop").unwrap().code, "STYLED_LETTERS");
        assert!(styled_letters("Your order", "\u{1D18}\u{1D00}\u{028F}\u{1D0D}\u{1D07}\u{0274}\u{1D1B}").is_some());
        assert!(styled_letters("Ünïcödé façade, 2×3 = 6 ✓", "Zoë").is_none());
    }

    #[test]
    fn random_tokens_in_subjects() {
        // Written by the project.
        for random in [
            "Notice - wpsPADwQak6ANPRYv",
            "egeZ2Fb4pfL",
            "offer 7099ocYT9-261UccU3485gGCz0",
        ] {
            assert_eq!(
                subject_random_token(random).map(|f| f.code),
                Some("SUBJECT_RANDOM_TOKEN".into()),
                "{random}"
            );
        }
        for word in [
            "Re: Working My_Mark2CurSeen",
            "iPhone15Pro in stock",
            "Invoice INV20240117",
            "MIT OpenCourseWare",
            "Order 12345678",
            "Ticket ABC12345",
        ] {
            assert!(subject_random_token(word).is_none(), "{word}");
        }
    }

    #[test]
    fn passwords_given_in_the_text() {
        // Written by the project.
        for (text, want) in [
            (
                "Veja o arquivo em anexo. Senha PDF: 123 Protocolo: 4728",
                "Senha PDF: 123",
            ),
            ("The invoice is attached (password: Inv2024).", "password: Inv2024"),
            ("Hasło do pliku = x7k2", "Hasło do pliku = x7k2"),
        ] {
            assert_eq!(password_given(text, &fold(text)).as_deref(), Some(want), "{text}");
        }
        for text in [
            "Never share your password. Questions: call us.",
            "Change your password at any time",
            "password:",
        ] {
            assert!(password_given(text, &fold(text)).is_none(), "{text}");
        }
    }

    proptest::proptest! {
        /// The text-reading signals take any input without panicking (odd Unicode, separators
        /// at the end, multi-byte characters next to the byte offsets they compute).
        #[test]
        fn text_signals_never_panic(text in "\\PC{0,80}", tail in "[:=]?[\\p{L}\\d ]{0,8}") {
            let text = format!("{text} hasło{tail}");
            if let Some(given) = password_given(&text, &fold(&text)) {
                proptest::prop_assert!(text.contains(&given), "{given:?} not in {text:?}");
            }
            if let Some(f) = subject_random_token(&text) {
                proptest::prop_assert!(text.contains(&f.evidence), "{:?}", f.evidence);
            }
            let _ = styled_letters(&text, &text);
            let _ = display_name_reference_number(&text);
            let _ = organisation_on_freemail(&text, Some("gmail.com"));
        }
    }

    #[test]
    fn data_files_are_well_formed() {
        // Each list: no entry twice; lures are `kind | phrase` with a known kind.
        for (name, text) in [
            ("lures.txt", include_str!("../data/lures.txt")),
            ("org_words.txt", include_str!("../data/org_words.txt")),
            ("brands.txt", include_str!("../data/brands.txt")),
        ] {
            let mut seen = std::collections::HashSet::new();
            for line in lines(text) {
                let key = if name == "brands.txt" {
                    line.split_whitespace().next().unwrap_or_default().to_string()
                } else {
                    line.to_lowercase()
                };
                assert!(seen.insert(key), "{name}: {line:?} twice");
                if name == "lures.txt" {
                    let (kind, phrase) = line.split_once('|').unwrap_or_else(|| panic!("{name}: {line:?}"));
                    assert!(!kind.trim().is_empty() && !phrase.trim().is_empty(), "{name}: {line:?}");
                    assert!(
                        !phrase.trim_end_matches('*').contains('*'),
                        "{name}: `*` only at the end: {line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn lure_codes_are_in_the_catalogue() {
        let checker = healthguard_core::Checker::new(healthguard_registry::builtin().clone());
        for code in lure_codes().into_iter().chain(
            [
                "BRAND_IMPERSONATION",
                "DISPLAY_NAME_OTHER_DOMAIN",
                "FROM_NAME_WITHOUT_ADDRESS",
                "LINK_TEXT_OTHER_DOMAIN",
                "LURE_IN_SUBJECT",
                "SENDER_FREE_HOSTING",
                "FROM_ADDRESS_MALFORMED",
                "LINKS_OFF_SENDER_SITE",
                "BRAND_DOMAIN_UNSIGNED",
                "ORGANISATION_ON_FREEMAIL",
                "DISPLAY_NAME_REFERENCE_NUMBER",
                "STYLED_LETTERS",
                "SUBJECT_RANDOM_TOKEN",
                "ATTACHMENT_PASSWORD_GIVEN",
            ]
            .map(String::from),
        ) {
            assert!(
                checker.catalogue().entry(&code).is_some(),
                "{code} not in data/scores.toml"
            );
        }
    }
}
