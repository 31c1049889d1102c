//! `healthguard check`: one message in, one verdict out.

use crate::args::{CheckArgs, Format};
use crate::registry_cmd;
use anyhow::{bail, Context, Result};
use healthguard_core::{Catalog, Checker, Input, Report};
use healthguard_registry::Lang;
use std::io::Read;

/// Largest input read from standard input or a file (bigger inputs are refused).
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Runs a check; returns the verdict's exit code.
pub fn run(args: CheckArgs) -> Result<u8> {
    let lang = match &args.lang {
        Some(code) => Some(
            Lang::from_code(code).with_context(|| format!("unsupported language {code:?}: use pl, ro, en or uk"))?,
        ),
        None => None,
    };
    let registry = registry_cmd::select(&args.registry)?;
    let checker = Checker::new(registry);
    let text_input = || -> Result<String> {
        match &args.input {
            Some(t) => Ok(t.clone()),
            None => read_stdin(),
        }
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
    } else if args.text {
        let text = text_input()?;
        checker.check(Input::Text(&text))
    } else {
        bail!("say what to check: --sms, --url URL, --phone NUMBER or --text");
    };
    let report = checker.report(&analysis, &Catalog::builtin(), lang);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => print!("{}", human(&report)),
    }
    Ok(analysis.verdict.exit_code() as u8)
}

fn read_stdin() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!("input larger than {} MiB refused", MAX_INPUT_BYTES / 1024 / 1024);
    }
    // Invalid UTF-8 is replaced, never fatal: hostile input still gets a verdict.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The short plain-text form for people.
pub fn human(r: &Report) -> String {
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
    let shown: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code != "CLAIMS_INSTITUTION" || r.findings.len() == 1)
        .collect();
    if !shown.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("findings"));
        for f in shown {
            let _ = writeln!(out, "  • {}", f.message);
        }
    }
    let _ = writeln!(out, "\n{}:", t.ui("advice"));
    for s in &r.advice.steps {
        let _ = writeln!(out, "  • {s}");
    }
    let low = t.ui("low_confidence");
    if !r.advice.official_contacts.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("official_contacts"));
        for c in &r.advice.official_contacts {
            let weak = if c.confidence == healthguard_registry::Confidence::High {
                String::new()
            } else {
                format!(" {low}")
            };
            let _ = writeln!(out, "  • {}{weak}", c.text);
        }
    }
    if !r.advice.report_to.is_empty() {
        let _ = writeln!(out, "\n{}:", t.ui("reporting"));
        for c in &r.advice.report_to {
            let _ = writeln!(out, "  • {}", c.text);
        }
    }
    out
}
