//! Links in HTML: where they go (redirectors unwrapped), and what their text shows — a
//! registry domain shown over a link elsewhere, any other domain shown over a link that is
//! not the sender's own; `tel:` links are kept for the phone judgement.

use crate::analyze::{family, owner_of, Gathered, Message};
use crate::auth::aligned;
use crate::generic;
use crate::lists::{percent_decode, unwrap_redirector, Redirect};
use healthguard_core::links::{self, Link};
use healthguard_core::{Finding, Signals};

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

/// The HTML links unit.
pub(crate) fn html(m: &Message, s: &mut Signals, g: &mut Gathered) {
    let mut mismatch = false;
    let mut other_mismatch = false;
    for l in &m.mail.links {
        if l.href.len() >= 4 && l.href[..4].eq_ignore_ascii_case("tel:") {
            g.phones.push_str(&percent_decode(&l.href[4..]));
            g.phones.push('\n');
            continue;
        }
        let Some(link) = href_link(&l.href) else { continue };
        if !other_mismatch {
            if let Some((shown, target)) = generic::link_text_other_domain(l, &link, &m.sender.identity) {
                if owner_of(m.checker, &shown).is_none() {
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
                    if let Some((owner, _)) = owner_of(m.checker, &shown.host) {
                        let fam = family(m.checker, &owner);
                        let goes_to_family = owner_of(m.checker, &link.host).is_some_and(|(o, _)| fam.contains(&o));
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
        if link.is_email || link.is_ip {
            g.other_hosts.push(link.host.clone());
        } else {
            g.web_hosts.push(link.host.clone());
        }
        m.checker.add_link(s, link);
    }
}
