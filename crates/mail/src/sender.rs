//! The sender: who the From header says it is, which institution or brand the display name
//! claims, look-alikes in any sender address, the Reply-To, and authentication judged
//! against the claim. [`gather`] runs first; its [`Sender`] is read by every other unit.

use crate::analyze::{family, owner_of, Gathered, Message};
use crate::auth::{aligned, AuthMethod, AuthOutcome, AuthResult};
use crate::generic;
use crate::identity::SenderIdentity;
use crate::lists::is_freemail;
use crate::parse::{Mailbox, ParsedMail};
use healthguard_core::links;
use healthguard_core::{Checker, Finding, Signals};
use healthguard_domains::{Assessment, Technique};
use healthguard_registry::Confidence;
use std::collections::BTreeSet;

/// What [`gather`] established about the sender.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sender {
    /// The From mailbox judged: the first with an address, named by the first display name.
    pub from: Mailbox,
    /// Its domain.
    pub domain: Option<String>,
    /// Its identity: authentication and the organisation's domains.
    pub identity: SenderIdentity,
    /// The registry institution owning the From domain, and how far that is trusted.
    pub owner: Option<(String, Confidence)>,
    /// The institution the sender claims to be (display name, address or a look-alike).
    pub claim: Option<String>,
    /// That institution, its parents and its children.
    pub claim_family: BTreeSet<String>,
}

fn lookalike_code(t: Technique) -> &'static str {
    match t {
        Technique::Homoglyph | Technique::MixedScript => "HOMOGLYPH_DOMAIN",
        Technique::OfficialSubdomain => "OFFICIAL_NAME_IN_FOREIGN_DOMAIN",
        Technique::SuffixImitation => "IMITATES_RESTRICTED_SUFFIX",
        _ => "LOOKALIKE_DOMAIN",
    }
}

/// A look-alike finding for the domain of a header address; returns the imitated owner.
fn header_lookalike(checker: &Checker, s: &mut Signals, domain: &str) -> Option<String> {
    let Assessment::Lookalike(l) = checker.domains().check(domain) else {
        return None;
    };
    let shown = healthguard_domains::to_unicode(domain);
    let f = match lookalike_code(l.technique) {
        "HOMOGLYPH_DOMAIN" => Finding::new("HOMOGLYPH_DOMAIN", shown),
        "OFFICIAL_NAME_IN_FOREIGN_DOMAIN" => Finding::new("OFFICIAL_NAME_IN_FOREIGN_DOMAIN", shown),
        "IMITATES_RESTRICTED_SUFFIX" => Finding::new("IMITATES_RESTRICTED_SUFFIX", shown),
        _ => Finding::new("LOOKALIKE_DOMAIN", shown),
    };
    s.push(
        f.institution(&l.owner)
            .param("target", &l.imitates)
            .param("technique", l.technique.name()),
    );
    Some(l.owner)
}

/// The institution a display name claims. The core's name matcher also takes an
/// abbreviation glued to other letters ("NFZinfo"), which makes "Casino" claim CAS; here a
/// glued abbreviation counts only when written in capitals and followed by a lower-case
/// letter or a digit ("NFZinfo", "NFZ24"), a whole word ("NFZ", "nfz") always does, and
/// full names are the core's call.
fn display_name_claim(checker: &Checker, name: &str) -> Option<String> {
    let id = checker.claimed_by_name(name)?.to_string();
    let inst = checker.registry().institution(&id)?;
    let tokens: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let mut abbreviated = false;
    for abbr in &inst.abbreviations {
        for t in &tokens {
            if t.eq_ignore_ascii_case(abbr) {
                return Some(id);
            }
            if t.len() > abbr.len() && t.to_uppercase().starts_with(&abbr.to_uppercase()) {
                abbreviated = true;
                let rest = t.get(abbr.len()..).and_then(|r| r.chars().next());
                if t.starts_with(abbr.as_str()) && rest.is_some_and(|c| c.is_lowercase() || c.is_ascii_digit()) {
                    return Some(id);
                }
            }
        }
    }
    if !abbreviated {
        return Some(id);
    }
    // Without the glued tokens, does a full name still claim it?
    let rest: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| {
            !inst
                .abbreviations
                .iter()
                .any(|a| t.to_uppercase().starts_with(&a.to_uppercase()))
        })
        .collect();
    checker
        .claimed_by_name(&rest.join(" "))
        .filter(|c| *c == id)
        .map(str::to_string)
}

/// An institution named by a domain written in a display name ("info@nfz.gov.pl <x@y>").
fn domain_in_name(checker: &Checker, name: &str) -> Option<String> {
    if !name.contains('.') {
        return None;
    }
    links::extract(name).iter().find_map(|l| {
        owner_of(checker, &l.host)
            .map(|(o, _)| o)
            .or_else(|| checker.domains().check(&l.host).lookalike().map(|l| l.owner.clone()))
    })
}

/// The sender's findings and claims: the From mailbox and its form, the display name's
/// claim (a registry institution, a brand, another domain), the From domain's owner or the
/// domain it imitates, and look-alikes in `Sender`, `Reply-To` and `Return-Path`.
pub(crate) fn gather(checker: &Checker, mail: &ParsedMail, auth: &AuthOutcome, s: &mut Signals) -> Sender {
    // The sender: the first From mailbox with an address, named by the first display name
    // (a name-only mailbox next to an address is a display trick, flagged below).
    let mut from = mail
        .from
        .iter()
        .find(|m| m.address.is_some())
        .or(mail.from.first())
        .cloned()
        .unwrap_or_default();
    if from.name.is_none() {
        from.name = mail.from.iter().find_map(|m| m.name.clone());
    }
    if let Some(f) = generic::name_only_mailbox(&mail.from) {
        s.push(f);
    }
    let from_domain = from.domain();
    let identity = SenderIdentity::of(mail, auth, from_domain.as_deref());
    // A bounce's From is the mail system's own form (`MAILER-DAEMON <>`), not a forged one.
    if let Some(f) = generic::malformed_from_address(&from).filter(|_| !mail.bounce) {
        s.push(f);
    } else if let Some(f) = generic::sender_on_free_hosting(from_domain.as_deref()) {
        s.push(f);
    }
    let name = from.name.as_deref().unwrap_or_default();
    let name_findings = [
        // A free-mail provider's own mail system ("Mail Delivery Subsystem") is not an
        // organisation borrowing a free mailbox.
        generic::organisation_on_freemail(name, from_domain.as_deref()).filter(|_| !mail.bounce),
        generic::display_name_reference_number(name),
        generic::styled_letters(&mail.subject, name),
        generic::subject_random_token(&mail.subject),
    ];
    for f in name_findings.into_iter().flatten() {
        s.push(f);
    }
    let from_owner = from_domain.as_deref().and_then(|d| owner_of(checker, d));
    let mut sender_claim: Option<String> = None;
    if let Some(name) = from.name.as_deref() {
        let claim = display_name_claim(checker, name).or_else(|| domain_in_name(checker, name));
        if let Some(id) = claim {
            s.claim(checker, &id, name, 3);
            let fam = family(checker, &id);
            if !from_owner.as_ref().is_some_and(|(o, _)| fam.contains(o)) {
                s.push(Finding::new("DISPLAY_NAME_IMPERSONATION", from.display()).institution(&id));
            }
            sender_claim = Some(id);
        }
    }
    // Any brand, or another domain, shown in the display name.
    if let Some(name) = from.name.as_deref().filter(|_| sender_claim.is_none()) {
        if let Some(f) = generic::brand_impersonation(name, from_domain.as_deref()) {
            s.push(f);
        } else if let Some(f) = generic::name_shows_other_domain(name, from_domain.as_deref()) {
            s.push(f);
        }
    }
    let address = from.address.clone().unwrap_or_default();
    if let Some((owner, _)) = &from_owner {
        s.claim(checker, owner, &address, 3);
        sender_claim.get_or_insert_with(|| owner.clone());
    } else if let Some(d) = &from_domain {
        if let Some(owner) = header_lookalike(checker, s, d) {
            s.claim(checker, &owner, &address, 3);
            sender_claim.get_or_insert(owner);
        }
    }
    let mut other_domains: Vec<String> = Vec::new();
    for m in mail.sender.iter().chain(mail.reply_to.iter()) {
        if let Some(d) = m.domain() {
            if Some(&d) != from_domain.as_ref() && !other_domains.contains(&d) {
                other_domains.push(d);
            }
        }
    }
    if let Some(rp) = mail.return_path.as_deref() {
        if let Some(d) = (Mailbox {
            name: None,
            address: Some(rp.to_string()),
        })
        .domain()
        {
            if Some(&d) != from_domain.as_ref() && !other_domains.contains(&d) {
                other_domains.push(d);
            }
        }
    }
    for d in &other_domains {
        if owner_of(checker, d).is_none() {
            if let Some(owner) = header_lookalike(checker, s, d) {
                s.claim(checker, &owner, d, 2);
            }
        }
    }

    let claim_family = sender_claim.as_deref().map(|c| family(checker, c)).unwrap_or_default();
    Sender {
        from,
        domain: from_domain,
        identity,
        owner: from_owner,
        claim: sender_claim,
        claim_family,
    }
}

/// A brand's own domain in From without the brand's DKIM signature, when something in the
/// message leads away from the brand: a link or address off its domains, a Reply-To
/// elsewhere, a file that is not a picture, a `tel:` link. A notice whose every way out is
/// the brand's own asks nothing a forger could use (the signature may have been lost in
/// storage or forwarding); its numbers in the text are judged as numbers.
pub(crate) fn brand_signature(m: &Message, s: &mut Signals, g: &Gathered) {
    use crate::attach::Class;
    let Some(from) = m.sender.domain.as_deref() else { return };
    // Signatures seen in the headers or verified (a trusted Authentication-Results names the
    // signer of a signature the stored copy may no longer carry).
    let mut signers = m.mail.dkim_domains.clone();
    signers.extend(
        m.auth
            .dkim_domains
            .iter()
            .filter(|d| !m.mail.dkim_domains.contains(d))
            .cloned(),
    );
    let Some(f) = generic::brand_domain_unsigned(Some(from), &signers) else {
        return;
    };
    let off = |host: &str| !generic::brand_owns(from, host);
    let elsewhere = g.web_hosts.iter().any(|h| off(h))
        || g.other_hosts.iter().any(|h| off(h))
        || m.mail.reply_to.iter().any(|r| r.domain().is_some_and(|d| off(&d)))
        || m.mail
            .attachments
            .iter()
            .any(|a| !matches!(a.effective_class(), Class::Image | Class::Media) && !is_signature(a))
        || !g.phones.is_empty();
    if elsewhere {
        s.push(f);
    }
}

/// An S/MIME or OpenPGP signature part: the sender's signature, not a file for the reader.
fn is_signature(a: &crate::Attachment) -> bool {
    const TYPES: [&str; 3] = [
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
    ];
    TYPES.iter().any(|t| a.declared_type.eq_ignore_ascii_case(t))
}

/// Reply-To: to free mail, or away from the claimed institution.
pub(crate) fn reply_to(m: &Message, s: &mut Signals) {
    // A list that sends in its own name for a poster ("X via List") points Reply-To at the
    // poster: its doing.
    let reply_to: &[Mailbox] = if m.sender.identity.list_speaks {
        &[]
    } else {
        &m.mail.reply_to
    };
    for r in reply_to {
        let Some(rd) = r.domain() else { continue };
        if m.sender.domain.as_deref().is_some_and(|f| aligned(f, &rd)) {
            continue;
        }
        let evidence = r.address.clone().unwrap_or_default();
        if is_freemail(&rd) {
            s.push(Finding::new("REPLY_TO_FREEMAIL", evidence));
        } else if let Some(c) = &m.sender.claim {
            let of_claim = owner_of(m.checker, &rd).is_some_and(|(o, _)| m.sender.claim_family.contains(&o));
            if !of_claim {
                s.push(Finding::new("REPLY_TO_DIVERGES", evidence).institution(c));
            }
        }
    }
}

/// Authentication against the claim: `official` needs a DMARC-aligned pass for the claimed
/// institution's domain; a claim without one, or a failing enforced DMARC, is flagged.
pub(crate) fn authentication(m: &Message, s: &mut Signals) {
    let mut authenticated: Option<String> = None;
    if let Some(d) = &m.auth.aligned_domain {
        if let Some((owner, confidence)) = owner_of(m.checker, d) {
            if confidence.can_authenticate() {
                let by = m.auth.aligned_by.clone().unwrap_or_else(|| "dmarc".into());
                s.push(
                    Finding::new("AUTH_DMARC_PASS_OFFICIAL", d.clone())
                        .institution(&owner)
                        .param("method", by),
                );
                s.authenticate(m.checker, &owner);
                authenticated = Some(owner);
            }
        }
    }
    if let Some(c) = &m.sender.claim {
        if !authenticated
            .as_ref()
            .is_some_and(|a| m.sender.claim_family.contains(a))
        {
            let evidence = if m.sender.from.display().is_empty() {
                "(no From)".to_string()
            } else {
                m.sender.from.display()
            };
            s.push(
                Finding::new("AUTH_MISSING_FOR_CLAIM", evidence)
                    .institution(c)
                    .param("auth", m.auth.summary()),
            );
            // Said plainly: whether the sender went unconfirmed because nothing was checked,
            // or because DNS did not answer, rather than because the checks found nothing.
            if m.auth.method == AuthMethod::None {
                s.push(Finding::new("AUTH_NOT_CHECKED", String::new()));
            } else if dns_unanswered(m.auth) {
                s.push(Finding::new("AUTH_DNS_UNAVAILABLE", m.auth.summary()));
            }
        }
    }
    if m.auth.dmarc == AuthResult::Fail && m.auth.aligned_domain.is_none() && !m.auth.arc_override {
        let enforced = matches!(m.auth.dmarc_policy.as_deref(), Some("reject" | "quarantine"));
        if enforced || m.sender.claim.is_some() {
            let policy = m
                .auth
                .dmarc_policy
                .as_deref()
                .map(|p| format!(" (p={p})"))
                .unwrap_or_default();
            let evidence = format!(
                "dmarc=fail header.from={}{policy}",
                m.sender.domain.as_deref().unwrap_or("?")
            );
            s.push(Finding::new("AUTH_FAIL", evidence).param("auth", m.auth.summary()));
        }
    }
}

/// Whether verification here was cut short by DNS: a temporary error and no pass.
fn dns_unanswered(auth: &AuthOutcome) -> bool {
    let verified_here = matches!(auth.method, AuthMethod::DnsOnline | AuthMethod::DnsFixture);
    let results = [auth.spf, auth.dkim, auth.dmarc];
    verified_here && results.contains(&AuthResult::TempError) && !results.contains(&AuthResult::Pass)
}

#[cfg(test)]
mod tests {
    //! Fixtures written by the project.
    use healthguard_core::Checker;

    fn findings(raw: &str) -> Vec<String> {
        let checker = Checker::new(healthguard_registry::builtin().clone());
        let mail = crate::parse(raw.as_bytes(), &crate::Limits::default());
        let a = crate::analyze(&checker, &mail, &crate::AuthOutcome::default());
        a.findings.into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn an_unconfirmed_claim_says_why_it_could_not_be_confirmed() {
        use crate::auth::{AuthMethod, AuthOutcome, AuthResult};
        let checker = Checker::new(healthguard_registry::builtin().clone());
        let raw =
            "From: Narodowy Fundusz Zdrowia <powiadomienia@nfz.gov.pl>\r\nSubject: Informacja\r\n\r\nDzien dobry.\r\n";
        let mail = crate::parse(raw.as_bytes(), &crate::Limits::default());
        let codes = |auth: &AuthOutcome| -> Vec<String> {
            crate::analyze(&checker, &mail, auth)
                .findings
                .into_iter()
                .map(|f| f.code)
                .collect()
        };
        let offline = codes(&AuthOutcome::default());
        assert!(offline.contains(&"AUTH_NOT_CHECKED".to_string()), "{offline:?}");
        let timed_out = AuthOutcome {
            method: AuthMethod::DnsOnline,
            spf: AuthResult::TempError,
            dkim: AuthResult::TempError,
            dmarc: AuthResult::TempError,
            ..AuthOutcome::default()
        };
        let codes_timed_out = codes(&timed_out);
        assert!(
            codes_timed_out.contains(&"AUTH_DNS_UNAVAILABLE".to_string()),
            "{codes_timed_out:?}"
        );
        assert!(!codes_timed_out.contains(&"AUTH_NOT_CHECKED".to_string()));
        // Checked, and nothing vouches for the sender: neither note, the claim stays unconfirmed.
        let checked = AuthOutcome {
            method: AuthMethod::DnsOnline,
            ..AuthOutcome::default()
        };
        let codes_checked = codes(&checked);
        assert!(
            codes_checked.contains(&"AUTH_MISSING_FOR_CLAIM".to_string()),
            "{codes_checked:?}"
        );
        assert!(!codes_checked
            .iter()
            .any(|c| c == "AUTH_NOT_CHECKED" || c == "AUTH_DNS_UNAVAILABLE"));
    }

    #[test]
    fn an_unsigned_brand_notice_counts_only_when_it_leads_away() {
        let own = "From: Amazon <shipment-tracking@amazon.com>\r\nSubject: Your package was delivered\r\n\r\nTrack it: https://www.amazon.com/progress-tracker and https://m.media-amazon.com/x.png\r\n";
        assert!(!findings(own).contains(&"BRAND_DOMAIN_UNSIGNED".to_string()));
        let nothing = "From: DHL <noreply@dhl.de>\r\nSubject: Ihr Paket kommt\r\n\r\nIhr Paket kommt heute.\r\n";
        assert!(!findings(nothing).contains(&"BRAND_DOMAIN_UNSIGNED".to_string()));
        for away in [
            own.replace(
                "https://m.media-amazon.com/x.png",
                "https://amazon-tracking.example/login",
            ),
            own.replace("Subject:", "Reply-To: help@desk.example\r\nSubject:"),
            own.replace(
                "and https://m.media-amazon.com/x.png",
                "or write to claims@desk.example",
            ),
        ] {
            assert!(findings(&away).contains(&"BRAND_DOMAIN_UNSIGNED".to_string()), "{away}");
        }
    }
}
