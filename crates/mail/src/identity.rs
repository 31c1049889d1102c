//! Who sent the message, as far as it can be known: the From domain, whether authentication
//! vouches for it, and the domains that belong to the sender's organisation or to the
//! infrastructure it sends through (its DKIM signers, its envelope domain, its mailing list).
//!
//! How the parts combine (documented in ARCHITECTURE.md):
//! - **Offline** (nothing verified) the organisation is the From domain's registrable domain
//!   only: every other header is the sender's own claim.
//! - **Authenticated** (a DMARC-aligned pass for the From domain) the organisation also takes
//!   the verified DKIM signers, the SPF-passed envelope domain and, when one of those is the
//!   list's, the list's hosts. Links there are the sender's own, not "elsewhere".
//! - Authentication is evidence that the From domain is who sent the mail, never that the
//!   domain is honest: [`SenderIdentity::credit`] is withheld from free mail (anyone can have an
//!   address there), from look-alikes and impersonating names, from senders that claim a
//!   registry institution they are not, and from credential requests that lead off the
//!   sender's own site.

use crate::auth::{aligned, AuthOutcome, AuthResult};
use crate::lists::is_freemail;
use crate::parse::ParsedMail;
use healthguard_core::Finding;
use healthguard_domains::registrable_domain;

/// The sender as authentication and the list headers establish it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SenderIdentity {
    /// The From domain, lower case.
    pub from_domain: Option<String>,
    /// How the From domain is authenticated: `dmarc`, `dkim`, `spf` or `arc:<sealer>`.
    pub authenticated_by: Option<String>,
    /// Registrable domains of the sender's organisation and mail infrastructure.
    pub organisation: Vec<String>,
    /// The From address is the mailing list's own (the list re-sends for its poster, "X via
    /// List"), so a Reply-To to the poster is the list's doing.
    pub list_speaks: bool,
}

/// The registrable domain of `host` (lower case, trailing dot dropped), else the host.
pub(crate) fn site(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    registrable_domain(&host).unwrap_or(host)
}

impl SenderIdentity {
    /// The identity of `mail`'s sender, whose From domain is `from_domain`.
    pub fn of(mail: &ParsedMail, auth: &AuthOutcome, from_domain: Option<&str>) -> SenderIdentity {
        let from_domain = from_domain.map(|d| d.trim_end_matches('.').to_ascii_lowercase());
        let authenticated_by = match (&auth.aligned_domain, &from_domain) {
            (Some(a), Some(f)) if aligned(a, f) => auth.aligned_by.clone().or_else(|| Some("dmarc".into())),
            _ => None,
        };
        let mut organisation: Vec<String> = Vec::new();
        let mut add = |d: &str| {
            let s = site(d);
            if !s.is_empty() && !organisation.contains(&s) {
                organisation.push(s);
            }
        };
        if let Some(f) = &from_domain {
            add(f);
        }
        let list_domains: Vec<&str> = mail
            .list
            .id
            .iter()
            .chain(&mail.list.hosts)
            .map(String::as_str)
            .collect();
        let list_speaks = from_domain
            .as_deref()
            .is_some_and(|f| list_domains.iter().any(|l| aligned(l, f)));
        if authenticated_by.is_some() {
            for d in &auth.dkim_domains {
                add(d);
            }
            if auth.spf == AuthResult::Pass {
                if let Some(d) = &auth.spf_domain {
                    add(d);
                }
            }
            // The list's hosts count when the list itself is vouched for: it is the From
            // domain, or one of its authenticated signers.
            let vouched = |l: &str| {
                from_domain.as_deref().is_some_and(|f| aligned(l, f)) || auth.dkim_domains.iter().any(|d| aligned(l, d))
            };
            if list_domains.iter().any(|l| vouched(l)) {
                for l in &list_domains {
                    add(l);
                }
            }
        }
        SenderIdentity {
            from_domain,
            authenticated_by,
            organisation,
            list_speaks,
        }
    }

    /// Whether `host` belongs to the sender's organisation or mail infrastructure.
    pub fn owns(&self, host: &str) -> bool {
        let s = site(host);
        self.organisation.contains(&s)
    }

    /// `SENDER_AUTHENTICATED` for an authenticated sender that is not a registry institution
    /// (those get `AUTH_DMARC_PASS_OFFICIAL`) nor on free mail. Whatever authentication
    /// cannot vouch for (look-alikes, impersonating names, policy violations…) zeroes its
    /// weight: `unless` in `data/scores.toml`.
    pub fn credit(&self, registry_owner: bool) -> Option<Finding> {
        let by = self.authenticated_by.as_deref()?;
        let from = self.from_domain.as_deref()?;
        if registry_owner || is_freemail(from) {
            return None;
        }
        Some(Finding::new("SENDER_AUTHENTICATED", from).param("target", by))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ListHeaders;

    fn authenticated(from: &str, dkim: &[&str], spf: Option<&str>) -> AuthOutcome {
        AuthOutcome {
            aligned_domain: Some(from.to_string()),
            aligned_by: Some("dmarc".into()),
            dkim: AuthResult::Pass,
            dkim_domains: dkim.iter().map(|d| d.to_string()).collect(),
            spf: if spf.is_some() {
                AuthResult::Pass
            } else {
                AuthResult::None
            },
            spf_domain: spf.map(str::to_string),
            ..AuthOutcome::default()
        }
    }

    #[test]
    fn offline_the_organisation_is_the_from_domain_only() {
        // Written by the project.
        let mail = ParsedMail {
            list: ListHeaders {
                id: Some("news.evil.example".into()),
                hosts: vec!["click.evil.example".into()],
            },
            ..ParsedMail::default()
        };
        let id = SenderIdentity::of(&mail, &AuthOutcome::default(), Some("mail.shop.example"));
        assert_eq!(id.organisation, ["shop.example"]);
        assert!(id.authenticated_by.is_none());
        assert!(id.owns("www.shop.example"));
        assert!(!id.owns("click.evil.example"));
    }

    #[test]
    fn authenticated_senders_own_their_signers_and_list() {
        let mail = ParsedMail {
            list: ListHeaders {
                id: Some("users.lists.example.org".into()),
                hosts: vec!["lists.example.org".into()],
            },
            ..ParsedMail::default()
        };
        let auth = authenticated(
            "lists.example.org",
            &["example.org", "esp-mail.example"],
            Some("bounce.esp-mail.example"),
        );
        let id = SenderIdentity::of(&mail, &auth, Some("lists.example.org"));
        assert_eq!(id.authenticated_by.as_deref(), Some("dmarc"));
        assert!(id.list_speaks);
        assert!(id.owns("esp-mail.example") && id.owns("lists.example.org"));
        assert!(!id.owns("elsewhere.example"));
        // Authentication of another domain than From's is not the sender's.
        let other = authenticated("other.example", &["other.example"], None);
        let id = SenderIdentity::of(&mail, &other, Some("shop.example"));
        assert!(id.authenticated_by.is_none());
        assert!(!id.owns("other.example"));
    }

    #[test]
    fn credit_for_authenticated_senders_other_than_registry_and_free_mail() {
        let auth = authenticated("shop.example", &["shop.example"], None);
        let id = SenderIdentity::of(&ParsedMail::default(), &auth, Some("shop.example"));
        let f = id.credit(false).unwrap();
        assert_eq!(
            (f.code.as_str(), f.evidence.as_str()),
            ("SENDER_AUTHENTICATED", "shop.example")
        );
        // Registry institutions are judged by AUTH_DMARC_PASS_OFFICIAL instead.
        assert!(id.credit(true).is_none());
        // Unauthenticated: nothing.
        let offline = SenderIdentity::of(&ParsedMail::default(), &AuthOutcome::default(), Some("shop.example"));
        assert!(offline.credit(false).is_none());
        // Free mail: anyone can have an authenticated address there.
        let gmail = SenderIdentity::of(
            &ParsedMail::default(),
            &authenticated("gmail.com", &["gmail.com"], None),
            Some("gmail.com"),
        );
        assert!(gmail.credit(false).is_none());
    }

    #[test]
    fn the_credit_is_void_beside_what_authentication_cannot_vouch_for() {
        let checker = healthguard_core::Checker::new(healthguard_registry::builtin().clone());
        let raw = b"From: Shop <news@shop.example>\r\nAuthentication-Results: mx.example; dkim=pass header.d=shop.example; dmarc=pass header.from=shop.example\r\nSubject: News\r\n\r\nOur spring catalogue: https://shop.example/spring\r\n";
        let mail = crate::parse(raw, &crate::Limits::default());
        let auth = crate::authres::from_topmost_header(&mail, &[]);
        let a = crate::analyze(&checker, &mail, &auth);
        let credit = a.findings.iter().find(|f| f.code == "SENDER_AUTHENTICATED").unwrap();
        assert!(credit.weight < 0.0);
        // The same authenticated sender naming a brand it is not.
        let raw = String::from_utf8_lossy(raw).replace("From: Shop", "From: PayPal Service");
        let mail = crate::parse(raw.as_bytes(), &crate::Limits::default());
        let auth = crate::authres::from_topmost_header(&mail, &[]);
        let a = crate::analyze(&checker, &mail, &auth);
        assert!(a.has("BRAND_IMPERSONATION"));
        let credit = a.findings.iter().find(|f| f.code == "SENDER_AUTHENTICATED").unwrap();
        assert_eq!(credit.weight, 0.0);
    }
}
