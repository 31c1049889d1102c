//! `healthguard check`: one message in, one verdict out.

use crate::args::{CheckArgs, DnsMode, Format, MailAuthArgs};
use crate::registry_cmd;
use anyhow::{bail, Context, Result};
use healthguard_core::{Catalog, Input, Report};
use healthguard_registry::Lang;
use std::io::Read;

/// Largest input read from standard input or a file (bigger inputs are refused).
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Runs a check; returns the verdict's exit code.
pub fn run(args: CheckArgs) -> Result<u8> {
    let lang = match &args.lang {
        Some(code) => Some(Lang::from_code(code).ok_or_else(|| {
            crate::UsageError(format!("unsupported language {code:?}: use {}", Lang::supported_list()))
        })?),
        None => None,
    };
    let checker = registry_cmd::checker(&args.registry)?;
    let text_input = || -> Result<String> {
        let text = match &args.input {
            Some(t) => t.clone(),
            None => read_stdin()?,
        };
        if text.trim().is_empty() {
            bail!("empty input: nothing to check");
        }
        Ok(text)
    };
    let analysis = if let Some(url) = &args.url {
        checker.check(Input::Url(url))
    } else if let Some(number) = &args.phone {
        checker.check(Input::Phone(number))
    } else if args.sms {
        let text = text_input()?;
        checker.check(Input::Sms {
            sender: args.sender.as_deref(),
            text: &text,
        })
    } else if args.call {
        let text = text_input()?;
        checker.check(Input::Call {
            number: args.number.as_deref(),
            text: &text,
        })
    } else if args.text {
        let text = text_input()?;
        checker.check(Input::Text(&text))
    } else {
        // E-mail: the default kind. Raw bytes, never decoded lossily here: the MIME parser
        // handles charsets and transfer encodings itself.
        let raw = match &args.input {
            Some(path) if !std::path::Path::new(path).exists() => bail!(
                "cannot open {path:?}: no such file. An e-mail is read from a file or standard input; \
                 to check a text, use --sms (with --sender NAME) or --text"
            ),
            Some(path) => read_file(std::path::Path::new(path))?,
            None => read_stdin_bytes()?,
        };
        if raw.iter().all(u8::is_ascii_whitespace) {
            bail!("empty input: nothing to check");
        }
        let authenticator = healthguard_mail::authenticator(
            &auth_source(&args.auth, healthguard_mail::dns::resolver_configured()),
            &args.auth.trusted_arc_sealers,
        )
        .context("cannot set up e-mail authentication")?;
        healthguard_mail::check(
            &checker,
            &raw,
            &healthguard_mail::Limits::default(),
            authenticator.as_ref(),
        )
    };
    let report = checker.report(&analysis, &Catalog::builtin(), lang);
    match args.format {
        Format::Json => crate::write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?,
        Format::Human => crate::write_stdout(&human(&report, checker.catalogue()))?,
    }
    Ok(analysis.verdict.exit_code() as u8)
}

/// Bounds on live DNS: each query, and the whole verification of one message.
pub const DNS_PER_QUERY: std::time::Duration = std::time::Duration::from_secs(2);
/// See [`DNS_PER_QUERY`].
pub const DNS_TOTAL: std::time::Duration = std::time::Duration::from_secs(6);

/// Where e-mail authentication results come from, from the command line. Without a choice,
/// live DNS when `live_by_default` (`check` and `serve` on a machine with a resolver), else
/// nothing is verified.
pub fn auth_source(args: &MailAuthArgs, live_by_default: bool) -> healthguard_mail::AuthSource {
    use healthguard_mail::AuthSource;
    let online = AuthSource::DnsOnline {
        per_query: DNS_PER_QUERY,
        total: DNS_TOTAL,
    };
    if let Some(id) = &args.trust_authres {
        AuthSource::TrustedHeaders(id.clone())
    } else if args.trust_authres_topmost {
        AuthSource::TopmostHeader
    } else if let Some(path) = &args.dns_fixture {
        AuthSource::DnsFixture(path.clone())
    } else {
        match args.dns {
            Some(DnsMode::Online) => online,
            Some(DnsMode::Off) => AuthSource::None,
            None if live_by_default => online,
            None => AuthSource::None,
        }
    }
}

fn read_stdin() -> Result<String> {
    // Invalid UTF-8 is replaced, never fatal: hostile input still gets a verdict.
    Ok(String::from_utf8_lossy(&read_stdin_bytes()?).into_owned())
}

fn read_stdin_bytes() -> Result<Vec<u8>> {
    read_bounded(std::io::stdin(), "standard input")
}

/// Reads a file of at most [`MAX_INPUT_BYTES`].
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read_bounded(file, &path.display().to_string())
}

fn read_bounded(source: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    source
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what}"))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(
            "{what}: input larger than {} MiB refused",
            MAX_INPUT_BYTES / 1024 / 1024
        );
    }
    Ok(bytes)
}

/// The short plain-text form for people.
pub fn human(r: &Report, catalogue: &healthguard_core::Catalogue) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mark = match r.verdict {
        healthguard_core::Verdict::Official => "✔",
        healthguard_core::Verdict::Unverified => "?",
        healthguard_core::Verdict::Suspicious => "⚠",
        healthguard_core::Verdict::Phishing => "✖",
    };
    let _ = writeln!(out, "{mark} {}", r.headline);
    let _ = writeln!(out, "  {}", r.summary);
    let texts = Catalog::builtin();
    let t = texts.texts(r.language);
    if let Some(name) = &r.institution_name {
        let _ = writeln!(out, "  {}: {name}", t.ui("institution"));
    }
    // Grouped by what they are about; each sentence and each piece of evidence once.
    let groups = healthguard_core::group_findings(&r.findings, catalogue, t);
    if !groups.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("findings"));
        for g in groups {
            let _ = writeln!(out, "  {}", g.title);
            for l in &g.lines {
                let _ = writeln!(out, "    • {}", l.message);
            }
            if !g.evidence.is_empty() {
                let quoted: Vec<String> = g
                    .evidence
                    .iter()
                    .map(|e| healthguard_core::render(t.ui("quoted"), &[("evidence", e)]))
                    .collect();
                let _ = writeln!(out, "    {}: {}", t.ui("evidence"), quoted.join(", "));
            }
        }
    }
    let _ = writeln!(out, "\n{}:", t.ui("advice"));
    for s in &r.advice.steps {
        let _ = writeln!(out, "  • {s}");
    }
    let low = t.ui("low_confidence");
    let line = |c: &healthguard_core::Contact| {
        if c.unconfirmed {
            format!("  • {} {low}\n", c.text)
        } else {
            format!("  • {}\n", c.text)
        }
    };
    if !r.advice.official_contacts.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("official_contacts"));
        out.extend(r.advice.official_contacts.iter().map(line));
    }
    // The best route first; the others after it, under their own heading.
    let (first, others): (Vec<_>, Vec<_>) = r.advice.report_to.iter().partition(|c| c.primary);
    if !first.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("reporting"));
        out.extend(first.into_iter().map(line));
    }
    if !others.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("report_also"));
        out.extend(others.into_iter().map(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use healthguard_mail::AuthSource;

    #[test]
    fn live_dns_is_the_default_only_where_asked_and_off_wins() {
        let args = |dns| MailAuthArgs {
            dns,
            ..MailAuthArgs::default()
        };
        assert!(matches!(auth_source(&args(None), true), AuthSource::DnsOnline { .. }));
        assert_eq!(auth_source(&args(None), false), AuthSource::None);
        assert_eq!(auth_source(&args(Some(DnsMode::Off)), true), AuthSource::None);
        assert!(matches!(
            auth_source(&args(Some(DnsMode::Online)), false),
            AuthSource::DnsOnline { .. }
        ));
        let fixture = MailAuthArgs {
            dns_fixture: Some("zone.txt".into()),
            ..MailAuthArgs::default()
        };
        assert_eq!(auth_source(&fixture, true), AuthSource::DnsFixture("zone.txt".into()));
    }
}
