//! The milter's configuration file (TOML): where to listen, how senders are authenticated
//! (your MTA's `Authentication-Results`, or DNS with the envelope), bounds, metrics, and the
//! policy per verdict with per-recipient-domain overrides.
//!
//! Every key is optional; an empty file is the default: tag phishing and suspicious mail,
//! accept the rest, fail open.

use healthguard_core::Verdict;
use healthguard_registry::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What is done with a message of a given verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Delivered unchanged, apart from the `X-HealthGuard-*` headers.
    Accept,
    /// Delivered with the headers and a tag in front of the subject.
    Tag,
    /// Tagged, and a warning banner put at the top of the message's text and HTML parts
    /// (the body is replaced: DKIM signatures over it no longer verify downstream).
    Banner,
    /// Tagged and held in the MTA's quarantine (Postfix: the hold queue).
    Quarantine,
    /// Refused with an SMTP reply that says why.
    Reject,
}

impl Action {
    /// The lower-case name used in the configuration file and in logs.
    pub fn name(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Tag => "tag",
            Action::Banner => "banner",
            Action::Quarantine => "quarantine",
            Action::Reject => "reject",
        }
    }
}

/// What happens when a message cannot be checked (timeout, internal error, too large).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    /// Deliver it unchecked (fail open, the default).
    #[default]
    Accept,
    /// Ask the sending MTA to try again later (4xx).
    Tempfail,
}

impl OnFailure {
    /// The lower-case name used in the configuration file and in logs.
    pub fn name(self) -> &'static str {
        match self {
            OnFailure::Accept => "accept",
            OnFailure::Tempfail => "tempfail",
        }
    }
}

/// Whether SPF, DKIM, DMARC and ARC are verified here against DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsMode {
    /// No (the default): `trust_authres` or nothing.
    #[default]
    Off,
    /// Against live DNS (the system resolver), SPF with the connection's client address,
    /// HELO and MAIL FROM.
    Online,
}

/// The action for each verdict.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerdictActions {
    /// For `phishing` (default `tag`).
    pub phishing: Action,
    /// For `suspicious` (default `tag`).
    pub suspicious: Action,
    /// For `unverified` (default `accept`).
    pub unverified: Action,
    /// For `official` (default `accept`).
    pub official: Action,
}

impl Default for VerdictActions {
    fn default() -> VerdictActions {
        VerdictActions {
            phishing: Action::Tag,
            suspicious: Action::Tag,
            unverified: Action::Accept,
            official: Action::Accept,
        }
    }
}

impl VerdictActions {
    /// The action for `verdict`.
    pub fn get(&self, verdict: Verdict) -> Action {
        match verdict {
            Verdict::Phishing => self.phishing,
            Verdict::Suspicious => self.suspicious,
            Verdict::Unverified => self.unverified,
            Verdict::Official => self.official,
        }
    }
}

/// Overrides for the recipients of one domain (and its subdomains).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainPolicy {
    /// The language of the subject tag and the banner for these recipients.
    #[serde(default, deserialize_with = "lang_opt")]
    pub language: Option<Lang>,
    /// Action for `phishing`, when different from the global one.
    pub phishing: Option<Action>,
    /// Action for `suspicious`.
    pub suspicious: Option<Action>,
    /// Action for `unverified`.
    pub unverified: Option<Action>,
    /// Action for `official`.
    pub official: Option<Action>,
}

impl DomainPolicy {
    fn get(&self, verdict: Verdict) -> Option<Action> {
        match verdict {
            Verdict::Phishing => self.phishing,
            Verdict::Suspicious => self.suspicious,
            Verdict::Unverified => self.unverified,
            Verdict::Official => self.official,
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `inet:HOST:PORT` or `unix:/path.sock` (default `inet:127.0.0.1:8891`); the command
    /// line's `--listen` wins.
    pub listen: String,
    /// Trust the topmost `Authentication-Results` header with this authserv-id (your own MTA's,
    /// written by OpenDKIM/OpenDMARC or rspamd before this milter). Without it no sender is
    /// authenticated and no message can be `official`.
    pub trust_authres: Option<String>,
    /// Verify SPF/DKIM/DMARC/ARC here (`online`) instead of trusting headers (default `off`).
    pub dns: DnsMode,
    /// Verify against the records of this DNS fixture file instead (tests, offline).
    pub dns_fixture: Option<std::path::PathBuf>,
    /// Domains whose ARC seal may vouch for results broken by forwarding.
    pub trusted_arc_sealers: Vec<String>,
    /// Longest time spent checking one message, in milliseconds (default 5000).
    pub timeout_ms: u64,
    /// Largest message checked, in bytes (default 25 MiB); larger ones are a failure.
    pub max_message_bytes: usize,
    /// Largest message that gets a banner (action `banner`), in bytes (default 10 MiB);
    /// a larger one is tagged only, and the skip is logged and counted.
    pub banner_max_bytes: usize,
    /// What to do when a message cannot be checked (default `accept`).
    pub on_failure: OnFailure,
    /// Add `X-HealthGuard-Verdict`, `-Score`, `-Institution` and `-Findings` (default true).
    /// Incoming `X-HealthGuard-*` headers are removed whatever this says.
    pub add_headers: bool,
    /// Language of the subject tag and the banner when the recipient's domain does not set
    /// one (default `en`).
    #[serde(deserialize_with = "lang")]
    pub language: Lang,
    /// Action per verdict.
    pub actions: VerdictActions,
    /// Subject tags: verdict name → language code → tag (`[PHISHING]`). Built-in tags fill
    /// what is not given.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// The SMTP reply text of a rejection; `{verdict}` and `{institution}` are replaced.
    pub reject_text: String,
    /// Overrides per recipient domain (`"clinic.example.pl" = { phishing = "reject" }`).
    pub domains: BTreeMap<String, DomainPolicy>,
    /// `HOST:PORT` of the Prometheus endpoint (`GET /metrics`); none when absent. Read at
    /// start only.
    pub metrics_listen: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "inet:127.0.0.1:8891".into(),
            trust_authres: None,
            dns: DnsMode::Off,
            dns_fixture: None,
            trusted_arc_sealers: Vec::new(),
            timeout_ms: 5000,
            max_message_bytes: 25 * 1024 * 1024,
            banner_max_bytes: 10 * 1024 * 1024,
            on_failure: OnFailure::Accept,
            add_headers: true,
            language: Lang::En,
            actions: VerdictActions::default(),
            tags: BTreeMap::new(),
            reject_text: "Message refused by HealthGuard: {verdict}, it impersonates {institution}".into(),
            domains: BTreeMap::new(),
            metrics_listen: None,
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid TOML or not this format.
    #[error("{0}")]
    Syntax(#[from] toml::de::Error),
    /// Valid TOML, but a value that cannot work.
    #[error("{0}")]
    Invalid(String),
}

/// Built-in subject tags for `phishing` and `suspicious`, per language.
const BUILTIN_TAGS: &[(&str, Lang, &str)] = &[
    ("phishing", Lang::En, "[PHISHING]"),
    ("phishing", Lang::Pl, "[PHISHING]"),
    ("phishing", Lang::Ro, "[PHISHING]"),
    ("phishing", Lang::Uk, "[ФІШИНГ]"),
    ("suspicious", Lang::En, "[SUSPICIOUS]"),
    ("suspicious", Lang::Pl, "[PODEJRZANE]"),
    ("suspicious", Lang::Ro, "[SUSPECT]"),
    ("suspicious", Lang::Uk, "[ПІДОЗРІЛО]"),
];

impl Config {
    /// Parses and validates the text of the `[milter]` table alone (see [`Config::from_file`]
    /// for the whole file).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// The `[milter]` table of HealthGuard's configuration file (other tables belong to
    /// other modes and are not read here); a file without one is the default.
    pub fn from_file(text: &str) -> Result<Config, ConfigError> {
        let mut table: toml::Table = toml::from_str(text)?;
        let config: Config = match table.remove("milter") {
            Some(value) => value.try_into()?,
            None => Config::default(),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        crate::Listen::parse(&self.listen).map_err(ConfigError::Invalid)?;
        if let Some(addr) = &self.metrics_listen {
            if addr.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::Invalid(format!(
                    "metrics_listen {addr:?}: expected HOST:PORT (an IP address)"
                )));
            }
        }
        let verifying = self.dns == DnsMode::Online || self.dns_fixture.is_some();
        if verifying && self.trust_authres.is_some() {
            return Err(ConfigError::Invalid(
                "trust_authres and dns/dns_fixture: choose one way of authenticating senders".into(),
            ));
        }
        if self.timeout_ms == 0 {
            return Err(ConfigError::Invalid("timeout_ms must be at least 1".into()));
        }
        for (verdict, by_lang) in &self.tags {
            if !["phishing", "suspicious", "unverified", "official"].contains(&verdict.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "tags.{verdict}: not a verdict (phishing, suspicious, unverified, official)"
                )));
            }
            for (code, tag) in by_lang {
                if Lang::from_code(code).is_none() {
                    return Err(ConfigError::Invalid(format!(
                        "tags.{verdict}.{code}: unsupported language"
                    )));
                }
                if tag.contains(['\r', '\n']) {
                    return Err(ConfigError::Invalid(format!(
                        "tags.{verdict}.{code}: a tag is one line"
                    )));
                }
            }
        }
        if self.reject_text.contains(['\r', '\n']) {
            return Err(ConfigError::Invalid("reject_text: one line".into()));
        }
        Ok(())
    }

    /// The bound on checking one message.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The subject tag for `verdict` in `lang`: the configured one, else the built-in one in
    /// `lang`, else the configured or built-in one in the default language, else the built-in
    /// English one.
    pub fn tag(&self, verdict: Verdict, lang: Lang) -> Option<String> {
        let configured = |l: Lang| {
            self.tags
                .get(verdict.name())
                .and_then(|m| m.iter().find(|(code, _)| Lang::from_code(code) == Some(l)))
                .map(|(_, tag)| tag.clone())
        };
        let builtin = |l: Lang| {
            BUILTIN_TAGS
                .iter()
                .find(|(v, tl, _)| *v == verdict.name() && *tl == l)
                .map(|(_, _, tag)| tag.to_string())
        };
        configured(lang)
            .or_else(|| builtin(lang))
            .or_else(|| configured(self.language))
            .or_else(|| builtin(self.language))
            .or_else(|| builtin(Lang::En))
    }

    /// The override for a recipient address's domain: the longest configured domain that is
    /// the recipient's domain or a parent of it.
    pub fn domain_policy(&self, recipient: &str) -> Option<&DomainPolicy> {
        let domain = recipient_domain(recipient)?;
        self.domains
            .iter()
            .filter(|(d, _)| {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                domain == d || domain.ends_with(&format!(".{d}"))
            })
            .max_by_key(|(d, _)| d.len())
            .map(|(_, p)| p)
    }

    /// The action for `verdict` for one recipient (its domain's override, else the global one).
    pub fn action_for(&self, verdict: Verdict, recipient: &str) -> Action {
        self.domain_policy(recipient)
            .and_then(|p| p.get(verdict))
            .unwrap_or_else(|| self.actions.get(verdict))
    }
}

/// The lower-case domain of an envelope address (`<a@B.pl>` → `b.pl`).
fn recipient_domain(address: &str) -> Option<String> {
    let a = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (_, domain) = a.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

fn lang<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Lang, D::Error> {
    let code = String::deserialize(d)?;
    Lang::from_code(&code)
        .ok_or_else(|| serde::de::Error::custom(format!("unsupported language {code:?}: {}", Lang::supported_list())))
}

fn lang_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Lang>, D::Error> {
    lang(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_tags_phishing_and_suspicious_only() {
        let c = Config::parse("").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.action_for(Verdict::Phishing, "a@b.pl"), Action::Tag);
        assert_eq!(c.action_for(Verdict::Suspicious, "a@b.pl"), Action::Tag);
        assert_eq!(c.action_for(Verdict::Unverified, "a@b.pl"), Action::Accept);
        assert_eq!(c.action_for(Verdict::Official, "a@b.pl"), Action::Accept);
        assert_eq!(c.on_failure, OnFailure::Accept);
    }

    #[test]
    fn a_domain_override_applies_to_its_subdomains_and_the_longest_wins() {
        let c = Config::parse(
            r#"
            [actions]
            phishing = "quarantine"
            [domains."example.pl"]
            phishing = "reject"
            [domains."lab.example.pl"]
            language = "pl"
            suspicious = "quarantine"
            "#,
        )
        .unwrap();
        assert_eq!(c.action_for(Verdict::Phishing, "<x@Example.PL>"), Action::Reject);
        assert_eq!(c.action_for(Verdict::Phishing, "x@mail.example.pl"), Action::Reject);
        // lab.example.pl says nothing about phishing: the global action, not its parent's.
        assert_eq!(c.action_for(Verdict::Phishing, "x@lab.example.pl"), Action::Quarantine);
        assert_eq!(
            c.action_for(Verdict::Suspicious, "x@lab.example.pl"),
            Action::Quarantine
        );
        assert_eq!(c.action_for(Verdict::Phishing, "x@notexample.pl"), Action::Quarantine);
        assert_eq!(c.domain_policy("x@lab.example.pl").unwrap().language, Some(Lang::Pl));
    }

    #[test]
    fn tags_fall_back_from_configured_to_builtin_to_the_default_language() {
        let c = Config::parse(
            r#"
            language = "pl"
            [tags.phishing]
            pl = "[OSZUSTWO]"
            [tags.unverified]
            en = "[UNCHECKED]"
            "#,
        )
        .unwrap();
        assert_eq!(c.tag(Verdict::Phishing, Lang::Pl).as_deref(), Some("[OSZUSTWO]"));
        assert_eq!(c.tag(Verdict::Phishing, Lang::En).as_deref(), Some("[PHISHING]"));
        assert_eq!(c.tag(Verdict::Suspicious, Lang::Uk).as_deref(), Some("[ПІДОЗРІЛО]"));
        assert_eq!(c.tag(Verdict::Unverified, Lang::Ro), None, "pl has no unverified tag");
        assert_eq!(c.tag(Verdict::Unverified, Lang::En).as_deref(), Some("[UNCHECKED]"));
        assert_eq!(c.tag(Verdict::Official, Lang::En), None);
        let fr = Config::parse("language = \"fr\"").unwrap();
        assert_eq!(fr.tag(Verdict::Phishing, Lang::Fr).as_deref(), Some("[PHISHING]"));
    }

    #[test]
    fn the_file_form_reads_the_milter_table_only() {
        let c = Config::from_file("[serve]\nlisten = \"x\"\n[milter]\ntimeout_ms = 7\n").unwrap();
        assert_eq!(c.timeout_ms, 7);
        assert_eq!(Config::from_file("").unwrap(), Config::default());
        let err = Config::from_file("[milter]\ntimeout = 7\n").unwrap_err().to_string();
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn the_documented_example_file_is_valid() {
        let c = Config::from_file(include_str!("../../../examples/healthguard.toml")).unwrap();
        assert_eq!(c.trust_authres.as_deref(), Some("mx.clinic.example.pl"));
        assert_eq!(
            c.action_for(Verdict::Phishing, "a@clinic.example.pl"),
            Action::Quarantine
        );
        assert_eq!(
            c.action_for(Verdict::Phishing, "a@billing.clinic.example.pl"),
            Action::Reject
        );
        assert_eq!(c.action_for(Verdict::Phishing, "a@elsewhere.example"), Action::Tag);
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        for (text, says) in [
            ("listen = \"tcp:1\"", "listen"),
            ("timeout_ms = 0", "timeout_ms"),
            ("language = \"nl\"", "unsupported language"),
            ("[actions]\nphishing = \"drop\"", "unknown variant"),
            ("[tags.bad]\nen = \"x\"", "not a verdict"),
            ("[tags.phishing]\nnl = \"x\"", "unsupported language"),
            ("[tags.phishing]\nen = \"a\\nb\"", "one line"),
            ("colour = 1", "unknown field"),
            ("on_failure = \"reject\"", "unknown variant"),
            ("metrics_listen = \"localhost\"", "metrics_listen"),
            ("trust_authres = \"a\"\ndns = \"online\"", "choose one"),
            ("dns = \"maybe\"", "unknown variant"),
        ] {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }
}
