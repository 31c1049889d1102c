//! [`ParsedMail`] + [`AuthOutcome`] → findings → the core's verdict.
//!
//! Claims first: the institution the message speaks for is taken from the sender (display
//! name, the From address's domain, a look-alike of an official domain in an address),
//! else from the text. Then: authentication is judged against *that* institution
//! (`official` needs a DMARC-aligned pass for one of its registry domains; a sender-level
//! claim without one is at least `suspicious`), Reply-To and links against its domains,
//! and the core judges lures, policies and advisories.

use crate::attach::Class;
use crate::auth::{aligned, AuthOutcome, AuthResult, Authenticator};
use crate::generic;
use crate::identity::SenderIdentity;
use crate::lists::{is_freemail, percent_decode, unwrap_redirector, Redirect};
use crate::parse::{letters_seen, Mailbox, ParsedMail, Problem, FEW_LETTERS};
use crate::Limits;
use aho_corasick::AhoCorasick;
use healthguard_core::links::{self, Link};
use healthguard_core::{Analysis, Checker, Finding, InputKind, Signals};
use healthguard_domains::{Assessment, Technique};
use healthguard_registry::Confidence;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Parses, authenticates and analyses one raw message.
pub fn check(checker: &Checker, raw: &[u8], limits: &Limits, authenticator: &dyn Authenticator) -> Analysis {
    let mail = crate::parse(raw, limits);
    let auth = authenticator.authenticate(raw, &mail);
    analyze(checker, &mail, &auth)
}

/// The registry institution that owns `domain` (the domain itself or a parent of it) and
/// how far that fact can be trusted.
fn owner_of(checker: &Checker, domain: &str) -> Option<(String, Confidence)> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let mut candidate = domain.as_str();
    loop {
        for inst in &checker.registry().institutions {
            if let Some(d) = inst.domains.iter().find(|d| d.name == candidate) {
                return Some((inst.id.clone(), d.provenance.confidence));
            }
        }
        match candidate.split_once('.') {
            Some((_, rest)) if rest.contains('.') => candidate = rest,
            _ => return None,
        }
    }
}

/// The institution, its parents and its children (as the core judges families).
fn family(checker: &Checker, id: &str) -> BTreeSet<String> {
    let reg = checker.registry();
    let mut out = BTreeSet::new();
    let mut current = reg.institution(id);
    while let Some(inst) = current {
        if !out.insert(inst.id.clone()) {
            break;
        }
        current = inst.parent.as_deref().and_then(|p| reg.institution(p));
    }
    let lineage = out.clone();
    for inst in &reg.institutions {
        if inst.parent.as_ref().is_some_and(|p| lineage.contains(p)) {
            out.insert(inst.id.clone());
        }
    }
    out
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

/// Hosts of known redirectors, to find them in plain text in one pass.
static REDIRECTOR_HOSTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let hosts: Vec<&str> = include_str!("../data/redirectors.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(hosts)
        .expect("valid patterns")
});

/// Replaces known redirector URLs in plain text by their targets (or removes them when
/// they carry only a tracking id), so that the core judges where a link really goes.
fn unwrap_text_redirectors(text: &str) -> std::borrow::Cow<'_, str> {
    // Only a URL (with "://" before the host) is replaced: a host that is replaced lies past
    // the first "://", so finding none there leaves the text as it is.
    let Some(first_scheme) = text.find("://") else {
        return std::borrow::Cow::Borrowed(text);
    };
    if !REDIRECTOR_HOSTS.is_match(&text[first_scheme..]) {
        return std::borrow::Cow::Borrowed(text);
    }
    // Each URL around a redirector's host: from the scheme back to the last separator,
    // forward to the next one.
    let stop = |c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for m in REDIRECTOR_HOSTS.find_iter(text) {
        if m.start() < copied {
            continue;
        }
        let start = text[..m.start()]
            .rfind(stop)
            .map_or(0, |p| p + text[p..].chars().next().map_or(1, char::len_utf8));
        let end = text[m.end()..].find(stop).map_or(text.len(), |p| p + m.end());
        if start < copied || !text[start..m.start()].contains("://") {
            continue;
        }
        let replacement = match unwrap_redirector(&text[start..end]) {
            Redirect::Target(t) => t,
            Redirect::Opaque => String::new(),
            Redirect::NotRedirector => continue,
        };
        out.push_str(&text[copied..start]);
        out.push_str(&replacement);
        copied = end;
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// Where an HTML href goes, as a core [`Link`]: known redirectors unwrapped, tracking-only
/// links and non-web schemes left out.
fn href_link(href: &str) -> Option<Link> {
    let href = href.trim();
    let lower: String = href.chars().take(12).collect::<String>().to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("mailto:").map(|_| &href[7..]) {
        let addr = percent_decode(rest.split('?').next().unwrap_or_default());
        let addr = addr.split(',').next().unwrap_or_default().trim();
        return links::parse_one(addr).filter(|l| l.is_email);
    }
    if !(lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.")) {
        return None;
    }
    let target = match unwrap_redirector(href) {
        Redirect::Target(t) => t,
        Redirect::Opaque => return None,
        Redirect::NotRedirector => href.to_string(),
    };
    links::parse_one(target.split_whitespace().next().unwrap_or_default())
}

/// The domain a link's visible text shows, if it shows one.
pub(crate) fn shown_link(text: &str) -> Option<Link> {
    let b = text.as_bytes();
    let dotted = b
        .windows(3)
        .any(|w| w[1] == b'.' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric());
    if !dotted && !text.contains('@') {
        return None;
    }
    links::extract(text).into_iter().next()
}

/// Analyses a parsed message with what is known of its authentication.
pub fn analyze(checker: &Checker, mail: &ParsedMail, auth: &AuthOutcome) -> Analysis {
    let mut s = checker.signals(InputKind::Email);

    // The message itself: limits and format.
    let limits: Vec<&str> = mail
        .problems
        .iter()
        .filter_map(|p| {
            if let Problem::Limit { detail, .. } = p {
                Some(detail.as_str())
            } else {
                None
            }
        })
        .collect();
    if let Some(Problem::Limit { limit, .. }) = mail.problems.iter().find(|p| matches!(p, Problem::Limit { .. })) {
        s.push(Finding::new("MESSAGE_LIMIT_EXCEEDED", limits.join("; ")).param("limit", *limit));
    }
    let malformed: Vec<&str> = mail
        .problems
        .iter()
        .filter_map(|p| {
            if let Problem::Malformed { detail } = p {
                Some(detail.as_str())
            } else {
                None
            }
        })
        .collect();
    if !malformed.is_empty() {
        s.push(Finding::new("MALFORMED_MESSAGE", malformed.join("; ")));
    }
    if mail.links_seen > mail.links.len() {
        s.push(Finding::new(
            "INPUT_TRUNCATED",
            format!("{} of {} links", mail.links.len(), mail.links_seen),
        ));
    }

    // The sender: display name, address, look-alikes in any sender address.
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
    if let Some(f) = generic::malformed_from_address(&from) {
        s.push(f);
    } else if let Some(f) = generic::sender_on_free_hosting(from_domain.as_deref()) {
        s.push(f);
    }
    // Signatures seen in the headers or verified (a trusted Authentication-Results names the
    // signer of a signature the stored copy may no longer carry).
    let mut signers = mail.dkim_domains.clone();
    signers.extend(
        auth.dkim_domains
            .iter()
            .filter(|d| !mail.dkim_domains.contains(d))
            .cloned(),
    );
    if let Some(f) = generic::brand_domain_unsigned(from_domain.as_deref(), &signers) {
        s.push(f);
    }
    let name = from.name.as_deref().unwrap_or_default();
    let name_findings = [
        generic::organisation_on_freemail(name, from_domain.as_deref()),
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
        if let Some(owner) = header_lookalike(checker, &mut s, d) {
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
            if let Some(owner) = header_lookalike(checker, &mut s, d) {
                s.claim(checker, &owner, d, 2);
            }
        }
    }

    // Reply-To: to free mail, or away from the claimed institution. A list that sends in its
    // own name for a poster ("X via List") points Reply-To at the poster: its doing.
    let claim_family = sender_claim.as_deref().map(|c| family(checker, c)).unwrap_or_default();
    let reply_to: &[Mailbox] = if identity.list_speaks { &[] } else { &mail.reply_to };
    for r in reply_to {
        let Some(rd) = r.domain() else { continue };
        if from_domain.as_deref().is_some_and(|f| aligned(f, &rd)) {
            continue;
        }
        let evidence = r.address.clone().unwrap_or_default();
        if is_freemail(&rd) {
            s.push(Finding::new("REPLY_TO_FREEMAIL", evidence));
        } else if let Some(c) = &sender_claim {
            let of_claim = owner_of(checker, &rd).is_some_and(|(o, _)| claim_family.contains(&o));
            if !of_claim {
                s.push(Finding::new("REPLY_TO_DIVERGES", evidence).institution(c));
            }
        }
    }

    // Authentication against the claim.
    let mut authenticated: Option<String> = None;
    if let Some(d) = &auth.aligned_domain {
        if let Some((owner, confidence)) = owner_of(checker, d) {
            if confidence.can_authenticate() {
                let by = auth.aligned_by.clone().unwrap_or_else(|| "dmarc".into());
                s.push(
                    Finding::new("AUTH_DMARC_PASS_OFFICIAL", d.clone())
                        .institution(&owner)
                        .param("method", by),
                );
                s.authenticate(checker, &owner);
                authenticated = Some(owner);
            }
        }
    }
    if let Some(c) = &sender_claim {
        if !authenticated.as_ref().is_some_and(|a| claim_family.contains(a)) {
            let evidence = if from.display().is_empty() {
                "(no From)".to_string()
            } else {
                from.display()
            };
            s.push(
                Finding::new("AUTH_MISSING_FOR_CLAIM", evidence)
                    .institution(c)
                    .param("auth", auth.summary()),
            );
        }
    }
    if auth.dmarc == AuthResult::Fail && auth.aligned_domain.is_none() && !auth.arc_override {
        let enforced = matches!(auth.dmarc_policy.as_deref(), Some("reject" | "quarantine"));
        if enforced || sender_claim.is_some() {
            let policy = auth
                .dmarc_policy
                .as_deref()
                .map(|p| format!(" (p={p})"))
                .unwrap_or_default();
            let evidence = format!(
                "dmarc=fail header.from={}{policy}",
                from_domain.as_deref().unwrap_or("?")
            );
            s.push(Finding::new("AUTH_FAIL", evidence).param("auth", auth.summary()));
        }
    }

    // Text: subject and what the reader sees.
    let mut text = String::with_capacity(mail.subject.len() + mail.text.len() + 2);
    text.push_str(&mail.subject);
    text.push_str("\n\n");
    text.push_str(&mail.text);
    let text = unwrap_text_redirectors(&text);
    // Requests are judged in what the reader reads first: the subject and the start of the
    // body without quoted lines (long newsletters and quoted threads mention every word
    // sometime). Links are taken from the whole text.
    // A mail system's notice (a bounce, a receipt) asks nothing: its words are about
    // delivery and it quotes the returned message. Its links are still judged.
    let (window, rest) = if mail.automatic {
        (String::new(), &text[..])
    } else {
        lure_window(&text)
    };
    if let Some(f) = subject_lure(checker, &mail.subject).filter(|_| !mail.automatic) {
        s.push(f);
    }
    // The core reads the window's first MAX_TEXT_BYTES; the rest of the judging here reuses
    // its folded form and links when that is the whole window.
    let read = checker.read_text(&mut s, &window);
    let (folded, window_links) = if window.len() <= healthguard_core::MAX_TEXT_BYTES {
        (read.folded, read.links)
    } else {
        (healthguard_core::fold::fold(&window), links::extract(&window))
    };
    for (code, phrase) in generic::lures(&window, &folded) {
        let lure = code.trim_start_matches("LURE_").to_ascii_lowercase();
        s.push(Finding::new(&code, phrase).param("lure", lure));
    }
    let lockable = |a: &crate::Attachment| !matches!(a.effective_class(), Class::Image | Class::Media);
    if mail.attachments.iter().any(lockable) {
        if let Some(given) = generic::password_given(&window, &folded) {
            s.push(Finding::new("ATTACHMENT_PASSWORD_GIVEN", given));
        }
    }
    let mut web_hosts: Vec<String> = window_links
        .into_iter()
        .filter(|l| !l.is_email && !l.is_ip)
        .map(|l| l.host)
        .collect();
    for link in links::extract(rest) {
        if !link.is_email {
            if !link.is_ip {
                web_hosts.push(link.host.clone());
            }
            checker.add_link(&mut s, link);
        }
    }

    // Links in HTML: where they go, and what their text shows.
    let mut mismatch = false;
    let mut other_mismatch = false;
    let mut phones = String::new();
    for l in &mail.links {
        if l.href.len() >= 4 && l.href[..4].eq_ignore_ascii_case("tel:") {
            phones.push_str(&percent_decode(&l.href[4..]));
            phones.push('\n');
            continue;
        }
        let Some(link) = href_link(&l.href) else { continue };
        if !other_mismatch {
            if let Some((shown, target)) = generic::link_text_other_domain(l, &link, &identity) {
                if owner_of(checker, &shown).is_none() {
                    other_mismatch = true;
                    s.push(
                        Finding::new("LINK_TEXT_OTHER_DOMAIN", healthguard_domains::to_unicode(&target))
                            .param("target", healthguard_domains::to_unicode(&shown)),
                    );
                }
            }
        }
        if !mismatch {
            if let Some(shown) = shown_link(&l.text).filter(|sh| sh.is_email == link.is_email) {
                if !aligned(&shown.host, &link.host) {
                    if let Some((owner, _)) = owner_of(checker, &shown.host) {
                        let fam = family(checker, &owner);
                        let goes_to_family = owner_of(checker, &link.host).is_some_and(|(o, _)| fam.contains(&o));
                        if !goes_to_family {
                            mismatch = true;
                            s.push(
                                Finding::new("LINK_TEXT_MISMATCH", healthguard_domains::to_unicode(&link.host))
                                    .institution(&owner)
                                    .param("target", healthguard_domains::to_unicode(&shown.host)),
                            );
                        }
                    }
                }
            }
        }
        if !link.is_email && !link.is_ip {
            web_hosts.push(link.host.clone());
        }
        checker.add_link(&mut s, link);
    }
    if let Some(f) = generic::links_off_sender_site(&identity, &web_hosts) {
        s.push(f);
    }
    if let Some(f) = identity.credit(from_owner.is_some()) {
        s.push(f);
    }
    if let Some(f) = checker.model().and_then(|m| crate::statistics::finding(m, mail)) {
        s.push(f);
    }
    if !phones.is_empty() {
        checker.add_text(&mut s, &phones);
    }

    // Forms that ask for a password inside the message (forms alone are common in
    // newsletters: search boxes, subscriptions).
    if let Some(action) = mail.forms.first().filter(|_| mail.password_fields > 0) {
        let target = links::parse_one(action.trim()).filter(|l| !l.is_email);
        let evidence = target
            .as_ref()
            .map(|l| healthguard_domains::to_unicode(&l.host))
            .unwrap_or_else(|| "(form)".to_string());
        s.push(Finding::new("HTML_FORM", evidence).param("password_fields", mail.password_fields.to_string()));
        if let Some(l) = target {
            checker.add_link(&mut s, l);
        }
    }

    // Attachments.
    let mut password_in_body: Option<bool> = None;
    for a in &mail.attachments {
        let label = a.label();
        if let Some(f) = class_finding(a.effective_class(), &label, a.content.format) {
            s.push(f);
        }
        if a.double_extension {
            s.push(Finding::new("ATTACHMENT_DOUBLE_EXTENSION", label.clone()));
        }
        if a.type_mismatch() {
            s.push(Finding::new("ATTACHMENT_TYPE_MISMATCH", label.clone()).param("format", a.content.format));
        }
        if let Some(info) = &a.archive {
            if info.encrypted {
                let given = *password_in_body.get_or_insert_with(|| mentions_password(&mail.text));
                s.push(
                    Finding::new("ATTACHMENT_ENCRYPTED_ARCHIVE", label.clone())
                        .param("password_in_body", if given { "yes" } else { "no" }),
                );
            }
            for (path, class) in &info.risky {
                if let Some(f) = class_finding(*class, &format!("{label} → {path}"), "") {
                    s.push(f);
                }
                if crate::attach::double_extension(path) {
                    s.push(Finding::new("ATTACHMENT_DOUBLE_EXTENSION", format!("{label} → {path}")));
                }
            }
        }
    }

    // A body that is only pictures: nothing for a text filter, or a reader, to check.
    let letters = mail.html_view_letters.unwrap_or_else(|| letters_seen(&mail.text));
    if mail.images > 0 && letters < FEW_LETTERS && mail.attachments.iter().all(|a| !a.content.class.is_risky()) {
        s.push(Finding::new(
            "IMAGE_ONLY_BODY",
            format!("{} image(s), {letters} letters of text", mail.images),
        ));
    }

    // A claim made only in the text, with a request, is judged against the sender's domain
    // too. (Mentions alone are common: a clinic's newsletter names IKP and NFZ.)
    if sender_claim.is_none() {
        if let Some(address) = from.address.as_deref().filter(|_| from_domain.is_some()) {
            let first = checker.conclude(s.clone());
            let Some(claimed) = first.institution.clone() else {
                return first;
            };
            let asks = first.lures.iter().any(|l| {
                use healthguard_registry::LureKind::*;
                matches!(
                    l,
                    Credentials
                        | ActivationKey
                        | PersonalId
                        | CardData
                        | BankLogin
                        | Payment
                        | Refund
                        | SoftwareInstall
                        | Documents
                        | Verification
                )
            });
            let fam = family(checker, &claimed);
            if !asks || from_owner.as_ref().is_some_and(|(o, _)| fam.contains(o)) {
                return first;
            }
            s.push(Finding::new("SENDER_DOMAIN_NOT_OF_CLAIMED", address).institution(&claimed));
        }
    }
    checker.conclude(s)
}

/// Most bytes of body text judged for lure phrases.
const LURE_WINDOW: usize = 6 * 1024;

/// A lure phrase in the subject itself (the bait is put where it is read first; a lure deep
/// in a newsletter is not). Judged on the first 300 bytes of the subject.
pub(crate) fn subject_lure(checker: &Checker, subject: &str) -> Option<Finding> {
    let mut end = subject.len().min(300);
    while !subject.is_char_boundary(end) {
        end -= 1;
    }
    let subject = subject[..end].trim();
    if subject.is_empty() {
        return None;
    }
    let folded = healthguard_core::fold::fold(subject);
    let mut requests = generic::lures(subject, &folded).into_iter();
    if let Some((code, phrase)) = requests.find(|(c, _)| !c.ends_with("_TOPIC")) {
        return Some(Finding::new("LURE_IN_SUBJECT", phrase).param("lure", code));
    }
    checker
        .first_text_lure(subject, &folded)
        .map(|(code, evidence)| Finding::new("LURE_IN_SUBJECT", evidence).param("lure", code))
}

/// The text judged for requests: the subject and the first [`LURE_WINDOW`] bytes of the
/// message's own words, without quoted `>` lines and up to where the writer stops speaking:
/// a signature separator (`-- `, RFC 3676), the start of a quoted original ("-----Original
/// Message-----", "On … wrote:") or a separator line of underscores that opens a list footer
/// or an Outlook-style quote. Returns the window and the rest of the text (links are taken
/// from both).
fn lure_window(text: &str) -> (String, &str) {
    let mut window = String::with_capacity(text.len().min(LURE_WINDOW + 256));
    let mut consumed = 0;
    for line in text.split_inclusive('\n') {
        if window.len() >= LURE_WINDOW || (consumed > 0 && ends_own_words(line)) {
            break;
        }
        consumed += line.len();
        if line.trim_start().starts_with('>') {
            continue;
        }
        window.push_str(line);
    }
    (window, &text[consumed..])
}

/// Whether `line` ends what the writer says: a signature, a quoted original or a footer.
fn ends_own_words(line: &str) -> bool {
    let t = line.trim_end_matches(['\r', '\n']);
    if t == "-- " || t == "--" {
        return true;
    }
    let t = t.trim();
    if t.len() >= 20 && t.chars().all(|c| c == '_') {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    (lower.starts_with("-----") && lower.contains("original message"))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
}

fn class_finding(class: Class, label: &str, format: &str) -> Option<Finding> {
    let f = match class {
        Class::Executable => Finding::new("ATTACHMENT_EXECUTABLE", label),
        Class::Script => Finding::new("ATTACHMENT_SCRIPT", label),
        Class::Shortcut => Finding::new("ATTACHMENT_SHORTCUT", label),
        Class::MacroDocument => Finding::new("ATTACHMENT_MACRO", label),
        Class::Html => Finding::new("ATTACHMENT_HTML", label),
        Class::DiskImage => Finding::new("ATTACHMENT_DISK_IMAGE", label),
        Class::Archive => Finding::new("ATTACHMENT_ARCHIVE", label),
        _ => return None,
    };
    Some(if format.is_empty() {
        f
    } else {
        f.param("format", format)
    })
}

/// Whether the text gives a password (for an encrypted attachment), in any language.
fn mentions_password(text: &str) -> bool {
    const WORDS: [&str; 10] = [
        "password",
        "passwort",
        "hasło",
        "haslo",
        "parola",
        "parolă",
        "пароль",
        "kod do pliku",
        "pass:",
        "pwd",
    ];
    let lower = text.to_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirectors_in_text_are_unwrapped() {
        let t = "Zobacz https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fnfz-zwrot.pl%2Fx&data=1 oraz\n(https://nfz.us1.list-manage.com/track/click?u=1) i https://www.nfz.gov.pl/.";
        assert_eq!(
            unwrap_text_redirectors(t),
            "Zobacz https://nfz-zwrot.pl/x oraz\n() i https://www.nfz.gov.pl/."
        );
        assert!(matches!(
            unwrap_text_redirectors("no links here"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            unwrap_text_redirectors("ąę list-manage.com ść"),
            "ąę list-manage.com ść"
        );
    }

    #[test]
    fn the_window_ends_where_the_writer_stops() {
        // Written by the project.
        let text = "Subject\n\nSee you at 5.\n> confirm your password\n-- \nAnn, confirm your password at ...\n";
        let (window, rest) = lure_window(text);
        assert_eq!(window, "Subject\n\nSee you at 5.\n");
        assert!(rest.starts_with("-- \n"));
        for stop in [
            "On Tue, 3 Mar 2026 at 10:00, Bob <b@example.org> wrote:\n",
            "-----Original Message-----\n",
            "_______________________________________________\n",
        ] {
            let t = format!("Hello\n{stop}verify your account now\n");
            assert_eq!(lure_window(&t).0, "Hello\n", "{stop}");
        }
        // A first line is always read; dashes inside a sentence do not stop it.
        assert_eq!(lure_window("-- \nverify").0, "-- \nverify");
        assert_eq!(lure_window("a -- b\nc").0, "a -- b\nc");
    }

    #[test]
    fn lures_in_the_subject_line() {
        // Written by the project.
        let checker = Checker::new(healthguard_registry::builtin().clone());
        let f = subject_lure(&checker, "Your mailbox is full - action required").unwrap();
        assert_eq!(f.code, "LURE_IN_SUBJECT");
        assert!(subject_lure(&checker, "Minutes of Tuesday's meeting").is_none());
        assert!(subject_lure(&checker, "").is_none());
        // Long subjects are cut on a character boundary.
        let long = "ż".repeat(400);
        assert!(subject_lure(&checker, &long).is_none());
    }
}
