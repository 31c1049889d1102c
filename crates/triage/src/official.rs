//! The registry's official channels, set apart from campaign indicators.
//!
//! Fakes link to the real site too ("see nfz.gov.pl"), spoof the real sender name and quote
//! the real helpline: were those indicators, every campaign impersonating one institution
//! would collapse into one, and a blocklist would block the institution itself.

use healthguard_registry::Registry;
use std::collections::HashSet;

/// Official domains, restricted suffixes, addresses, phone numbers and SMS sender names.
#[derive(Debug, Clone, Default)]
pub struct Official {
    /// Official domains and restricted suffixes (`gov.pl`): the name and everything under it.
    domains: HashSet<String>,
    /// Official e-mail addresses, lower case.
    emails: HashSet<String>,
    /// Official numbers, E.164.
    phones: HashSet<String>,
    /// Official SMS sender names, lower case.
    senders: HashSet<String>,
}

impl Official {
    /// Everything official in `registry`.
    pub fn from_registry(registry: &Registry) -> Official {
        let mut o = Official::default();
        for c in &registry.countries {
            o.domains
                .extend(c.restricted_suffixes.iter().map(|s| s.suffix.to_ascii_lowercase()));
        }
        for i in &registry.institutions {
            o.domains.extend(i.domains.iter().map(|d| d.name.to_ascii_lowercase()));
            o.emails.extend(i.emails.iter().map(|e| e.address.to_ascii_lowercase()));
            o.phones.extend(i.phones.iter().map(|p| p.e164.clone()));
            o.senders.extend(i.sms_senders.iter().map(|s| s.name.to_lowercase()));
        }
        o
    }

    /// Whether `host` is an official domain, under one, or under a restricted suffix.
    pub fn is_official_host(&self, host: &str) -> bool {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut rest = host.as_str();
        loop {
            if self.domains.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    }

    /// Whether `address` is an official address or on an official domain.
    pub fn is_official_email(&self, address: &str) -> bool {
        let a = address.trim().to_ascii_lowercase();
        self.emails.contains(&a) || a.rsplit_once('@').is_some_and(|(_, d)| self.is_official_host(d))
    }

    /// Whether `e164` is an official number.
    pub fn is_official_phone(&self, e164: &str) -> bool {
        self.phones.contains(e164)
    }

    /// Whether `name` is an official SMS sender name.
    pub fn is_official_sender(&self, name: &str) -> bool {
        self.senders.contains(&name.trim().to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_channels_are_official() {
        let o = Official::from_registry(healthguard_registry::builtin());
        assert!(o.is_official_host("nfz.gov.pl"));
        assert!(o.is_official_host("WWW.NFZ.GOV.PL."));
        assert!(o.is_official_host("anything.gov.pl"), "restricted suffix");
        assert!(!o.is_official_host("nfz-gov.pl"));
        assert!(!o.is_official_host("gov.pl.evil.example"));
        assert!(!o.is_official_host(""));
        assert!(o.is_official_email("someone@nfz.gov.pl"));
        assert!(!o.is_official_email("nfz@gmail.com"));
    }
}
