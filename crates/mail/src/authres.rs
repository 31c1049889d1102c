//! `Authentication-Results` (RFC 8601) as evidence: trusted only when added by your own
//! MTA, named by its authserv-id. Anyone can write such a header into a message: an
//! attacker adds `dmarc=pass` for the institution he imitates. So only the **topmost**
//! header with **your** authserv-id counts (your MTA adds its header on top and should
//! remove incoming ones that carry its id, as Postfix with OpenDMARC, rspamd and Exchange
//! do); every other one is ignored.
//!
//! A mailing list or forwarder breaks DMARC; when its ARC seal passed (per your MTA's
//! `arc=pass`) and its domain is in your list of trusted ARC sealers, the results it
//! recorded in its `ARC-Authentication-Results` may stand in for the broken ones.

use crate::auth::{from_domain, AuthMethod, AuthOutcome, AuthResult};
use crate::parse::ParsedMail;

/// One method's result from an `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// The method, lower-case: `spf`, `dkim`, `dmarc`, `arc`, `iprev` …
    pub method: String,
    /// The result.
    pub result: AuthResult,
    /// Properties, names lower-case: `header.from`, `header.d`, `smtp.mailfrom` …
    pub props: Vec<(String, String)>,
    /// Text of the comments attached to it (e.g. Gmail's `p=REJECT sp=REJECT`).
    pub comments: String,
}

impl MethodResult {
    /// A property's value.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A parsed `Authentication-Results` (or `ARC-Authentication-Results`) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// ARC instance (`i=`), for `ARC-Authentication-Results`.
    pub instance: Option<u32>,
    /// Who added it.
    pub authserv_id: String,
    /// The results, in order.
    pub results: Vec<MethodResult>,
}

/// Splits off comments (nested parentheses, outside quoted strings); returns the text
/// without them and the comments' text.
fn strip_comments(s: &str) -> (String, String) {
    let mut text = String::with_capacity(s.len());
    let mut comments = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth > 0 {
                comments.push(c)
            } else {
                text.push(c)
            }
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 => {
                quoted = !quoted;
                text.push(c);
            }
            '(' if !quoted => {
                depth += 1;
                if depth == 1 {
                    text.push(' ');
                }
            }
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                comments.push(' ');
            }
            _ if depth > 0 => comments.push(c),
            _ => text.push(c),
        }
    }
    (text, comments)
}

/// Splits on `;` outside quoted strings and comments, keeping each segment's comments.
fn segments(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            ';' if !quoted && depth == 0 => {
                out.push(strip_comments(&cur));
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(strip_comments(&cur));
    out
}

/// Parses one header value. `None` when it has no authserv-id.
pub fn parse_header(value: &str) -> Option<AuthResults> {
    let mut segs = segments(value).into_iter().take(64);
    let (mut first, _) = segs.next()?;
    let mut instance = None;
    if let Some(i) = first
        .trim()
        .strip_prefix("i=")
        .or_else(|| first.trim().strip_prefix("I="))
    {
        instance = i.trim().parse().ok();
        first = segs.next()?.0;
    }
    let authserv_id = first.split_whitespace().next()?.trim_matches('"').to_ascii_lowercase();
    let mut results = Vec::new();
    for (seg, comments) in segs {
        let mut tokens = seg.split_whitespace();
        let Some(head) = tokens.next() else { continue };
        let Some((method, result)) = head.split_once('=') else {
            continue;
        };
        let method = method.split('/').next().unwrap_or_default().to_ascii_lowercase();
        let mut props = Vec::new();
        for t in tokens.take(32) {
            if let Some((k, v)) = t.split_once('=') {
                props.push((k.to_ascii_lowercase(), v.trim_matches('"').to_string()));
            }
        }
        results.push(MethodResult {
            method,
            result: AuthResult::from_word(result),
            props,
            comments: comments.trim().to_string(),
        });
    }
    Some(AuthResults {
        instance,
        authserv_id,
        results,
    })
}

fn domain_of(addr_or_domain: &str) -> String {
    let s = addr_or_domain.trim().trim_matches(['<', '>']);
    let d = s.rsplit_once('@').map_or(s, |(_, d)| d);
    d.trim_end_matches('.').to_ascii_lowercase()
}

/// Fills SPF, DKIM and DMARC fields and alignment from parsed results.
pub(crate) fn apply(out: &mut AuthOutcome, results: &AuthResults) {
    let rank = |r: AuthResult| match r {
        AuthResult::Pass => 0,
        AuthResult::Fail => 1,
        AuthResult::PermError => 2,
        AuthResult::TempError => 3,
        AuthResult::SoftFail | AuthResult::Neutral | AuthResult::Policy => 4,
        AuthResult::None => 5,
    };
    let mut dmarc_from = None;
    for r in &results.results {
        match r.method.as_str() {
            "spf" => {
                out.spf = r.result;
                out.spf_domain = r.prop("smtp.mailfrom").or(r.prop("smtp.helo")).map(domain_of);
            }
            "dkim" => {
                if rank(r.result) < rank(out.dkim) {
                    out.dkim = r.result;
                }
                if r.result == AuthResult::Pass {
                    if let Some(d) = r.prop("header.d").or(r.prop("header.i")).map(domain_of) {
                        if !out.dkim_domains.contains(&d) {
                            out.dkim_domains.push(d);
                        }
                    }
                }
            }
            "dmarc" => {
                out.dmarc = r.result;
                dmarc_from = r.prop("header.from").map(domain_of);
                let policy = r
                    .prop("policy.published-domain-policy")
                    .map(str::to_string)
                    .or_else(|| {
                        r.comments.split_whitespace().find_map(|t| {
                            t.strip_prefix("p=")
                                .or(t.strip_prefix("P="))
                                .map(|p| p.trim_matches(',').to_ascii_lowercase())
                        })
                    });
                out.dmarc_policy = policy.map(|p| p.to_ascii_lowercase());
            }
            "arc" => out.arc = r.result,
            _ => {}
        }
    }
    let Some(from) = out.from_domain.clone() else { return };
    let aligned_by = if out.dmarc != AuthResult::None {
        (out.dmarc == AuthResult::Pass && dmarc_from.as_deref().is_none_or(|d| d == from)).then_some("dmarc")
    } else {
        out.aligned_without_dmarc(&from)
    };
    out.set_alignment(from, aligned_by);
}

/// Whether `domain` is one of `trusted` or under one.
pub(crate) fn trusted_sealer(domain: &str, trusted: &[String]) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    trusted
        .iter()
        .map(|t| t.trim().trim_end_matches('.').to_ascii_lowercase())
        .any(|t| !t.is_empty() && (d == t || d.ends_with(&format!(".{t}"))))
}

/// The last ARC set's sealer (`d=` of the `ARC-Seal` with the highest `i=`).
pub(crate) fn last_sealer(mail: &ParsedMail) -> Option<(u32, String)> {
    mail.auth_headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("ARC-Seal"))
        .filter_map(|h| {
            let tags: Vec<(String, String)> = h
                .value
                .split(';')
                .filter_map(|t| t.split_once('='))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.split_whitespace().collect::<String>()))
                .collect();
            let tag = |n: &str| tags.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            Some((tag("i")?.parse().ok()?, tag("d")?.to_ascii_lowercase()))
        })
        .max_by_key(|(i, _)| *i)
}

/// When the direct results did not align, lets a trusted ARC sealer's recorded results
/// stand in (the chain must have passed: `arc` is the verified chain result).
pub(crate) fn apply_arc(out: &mut AuthOutcome, mail: &ParsedMail, trusted: &[String]) {
    if out.aligned_domain.is_some() || out.arc != AuthResult::Pass {
        return;
    }
    let Some((instance, sealer)) = last_sealer(mail) else {
        return;
    };
    out.arc_sealer = Some(sealer.clone());
    if !trusted_sealer(&sealer, trusted) {
        return;
    }
    let aar = mail
        .auth_headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("ARC-Authentication-Results"))
        .filter_map(|h| parse_header(&h.value))
        .find(|r| r.instance == Some(instance));
    let Some(aar) = aar else { return };
    let mut seen = AuthOutcome {
        from_domain: out.from_domain.clone(),
        ..AuthOutcome::default()
    };
    apply(&mut seen, &aar);
    if seen.aligned_domain.is_some() {
        out.aligned_domain = seen.aligned_domain;
        out.aligned_by = Some(format!("arc:{sealer}"));
        out.arc_override = out.dmarc != AuthResult::Pass;
        out.notes.push(format!(
            "results recorded by trusted ARC sealer {sealer} (i={instance})"
        ));
    }
}

/// The outcome told by the topmost `Authentication-Results` header whose authserv-id is
/// `authserv_id` (case-insensitive); every other such header is ignored. ARC sealers in
/// `trusted_arc_sealers` may vouch for results broken by forwarding.
pub fn from_trusted_headers(mail: &ParsedMail, authserv_id: &str, trusted_arc_sealers: &[String]) -> AuthOutcome {
    let id = authserv_id.trim().to_ascii_lowercase();
    from_first_header(
        mail,
        |r| !id.is_empty() && r.authserv_id == id,
        authserv_id,
        trusted_arc_sealers,
    )
}

/// The outcome told by the topmost `Authentication-Results` header, whoever wrote it. For
/// stored mail only (an evaluation "as deployed": the receiving MTA wrote that header);
/// never for live traffic, where anyone can add one above the MTA's.
pub fn from_topmost_header(mail: &ParsedMail, trusted_arc_sealers: &[String]) -> AuthOutcome {
    from_first_header(mail, |_| true, "the topmost header", trusted_arc_sealers)
}

/// The outcome of the first (topmost) parsable `Authentication-Results` header that `pick`
/// accepts; `source` names it in the notes.
fn from_first_header(
    mail: &ParsedMail,
    pick: impl Fn(&AuthResults) -> bool,
    source: &str,
    trusted_arc_sealers: &[String],
) -> AuthOutcome {
    let mut out = AuthOutcome {
        method: AuthMethod::TrustedHeaders,
        from_domain: from_domain(mail),
        ..AuthOutcome::default()
    };
    let trusted = mail
        .auth_headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("Authentication-Results"))
        .filter_map(|h| parse_header(&h.value))
        .find(pick);
    let Some(results) = trusted else {
        out.notes
            .push(format!("no Authentication-Results header from {source}"));
        return out;
    };
    out.notes.push(format!("Authentication-Results from {source}"));
    apply(&mut out, &results);
    apply_arc(&mut out, mail, trusted_arc_sealers);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Mailbox, RawHeader};

    fn mail(headers: &[(&str, &str)], from: &str) -> ParsedMail {
        ParsedMail {
            from: vec![Mailbox {
                name: None,
                address: Some(from.into()),
            }],
            auth_headers: headers
                .iter()
                .map(|(n, v)| RawHeader {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            ..ParsedMail::default()
        }
    }

    #[test]
    fn parses_real_world_shapes() {
        let r = parse_header("mx.google.com; dkim=pass header.i=@nfz.gov.pl header.s=s1 header.b=\"ab;c\"; spf=pass (google.com: domain of a@nfz.gov.pl designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@nfz.gov.pl; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=nfz.gov.pl").unwrap();
        assert_eq!(r.authserv_id, "mx.google.com");
        assert_eq!(r.results.len(), 3);
        assert_eq!(r.results[0].prop("header.b"), Some("ab;c"));
        assert!(r.results[2].comments.contains("p=REJECT"));
        let r = parse_header("i=2; lists.example.org; arc=pass; dkim=pass header.d=nfz.gov.pl").unwrap();
        assert_eq!((r.instance, r.authserv_id.as_str()), (Some(2), "lists.example.org"));
        assert!(parse_header("").is_none());
        assert!(parse_header("mx.example; none").unwrap().results.is_empty());
    }

    #[test]
    fn only_our_topmost_header_counts() {
        let m = mail(
            &[
                ("Authentication-Results", "mx.clinic.example; spf=fail smtp.mailfrom=x@nfz.gov.pl; dkim=none; dmarc=fail (p=reject) header.from=nfz.gov.pl"),
                ("Authentication-Results", "mx.clinic.example; dmarc=pass header.from=nfz.gov.pl"),
                ("Authentication-Results", "attacker.example; dmarc=pass header.from=nfz.gov.pl"),
            ],
            "x@nfz.gov.pl",
        );
        let o = from_trusted_headers(&m, "MX.clinic.example", &[]);
        assert_eq!((o.dmarc, o.spf), (AuthResult::Fail, AuthResult::Fail));
        assert_eq!(o.dmarc_policy.as_deref(), Some("reject"));
        assert!(o.aligned_domain.is_none());
        let o = from_trusted_headers(&m, "attacker.example.net", &[]);
        assert_eq!(o.dmarc, AuthResult::None);
    }

    #[test]
    fn topmost_header_whoever_wrote_it() {
        let m = mail(
            &[
                (
                    "Authentication-Results",
                    "mx.store.example; dkim=pass header.d=shop.example; dmarc=pass header.from=shop.example",
                ),
                (
                    "Authentication-Results",
                    "relay.example; dmarc=fail header.from=shop.example",
                ),
            ],
            "news@shop.example",
        );
        let o = from_topmost_header(&m, &[]);
        assert_eq!(o.dmarc, AuthResult::Pass);
        assert_eq!(o.aligned_domain.as_deref(), Some("shop.example"));
        assert_eq!(o.dkim_domains, ["shop.example"]);
        // No header at all: nothing known, and the note says so.
        let o = from_topmost_header(&mail(&[], "news@shop.example"), &[]);
        assert_eq!((o.dmarc, o.aligned_domain), (AuthResult::None, None));
        assert!(o.notes[0].starts_with("no Authentication-Results"));
    }

    #[test]
    fn alignment_without_dmarc_and_arc_rescue() {
        let m = mail(
            &[(
                "Authentication-Results",
                "mx.c.example; dkim=pass header.d=mail.nfz.gov.pl; spf=softfail smtp.mailfrom=b@bounce.example",
            )],
            "a@nfz.gov.pl",
        );
        let o = from_trusted_headers(&m, "mx.c.example", &[]);
        assert_eq!(
            (o.aligned_domain.as_deref(), o.aligned_by.as_deref()),
            (Some("nfz.gov.pl"), Some("dkim"))
        );
        let m = mail(
            &[
                (
                    "Authentication-Results",
                    "mx.c.example; arc=pass; dkim=fail header.d=nfz.gov.pl; dmarc=fail header.from=nfz.gov.pl",
                ),
                (
                    "ARC-Seal",
                    "i=1; a=rsa-sha256; cv=none; d=lists.example.org; s=arc; b=xyz",
                ),
                (
                    "ARC-Authentication-Results",
                    "i=1; lists.example.org; dkim=pass header.d=nfz.gov.pl; dmarc=pass header.from=nfz.gov.pl",
                ),
            ],
            "a@nfz.gov.pl",
        );
        assert!(from_trusted_headers(&m, "mx.c.example", &[]).aligned_domain.is_none());
        let o = from_trusted_headers(&m, "mx.c.example", &["example.org".into()]);
        assert_eq!(o.aligned_by.as_deref(), Some("arc:lists.example.org"));
        assert!(o.arc_override);
    }
}
