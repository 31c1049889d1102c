//! `healthguard registry …` and the registry selection shared by every command.

use crate::args::{Format, RegistryArgs, RegistryCommand};
use anyhow::{bail, Context, Result};
use healthguard_registry::{self as registry, Registry, SourceFile};
use std::path::Path;

/// The registry chosen on the command line: built-in, or a directory that passed lint and
/// (unless explicitly allowed unsigned) its signature check.
/// The checker for `args`: the selected registry, with `--model` this site's statistical
/// model and with `--feeds` the stored threat feeds.
pub fn checker(args: &RegistryArgs) -> Result<healthguard_core::Checker> {
    let registry = select(args)?;
    let feeds = match &args.feeds {
        Some(dir) => Some(crate::feeds::load(dir, &registry)?),
        None => None,
    };
    let mut checker = healthguard_core::Checker::new(registry);
    if let Some(path) = &args.model {
        checker = checker.with_model(crate::learn::read_model(path)?);
    }
    if let Some(index) = feeds {
        checker = checker.with_listings(std::sync::Arc::new(index));
    }
    Ok(checker)
}

pub fn select(args: &RegistryArgs) -> Result<Registry> {
    let Some(dir) = &args.registry else {
        return Ok(registry::builtin().clone());
    };
    let files = registry::read_dir(dir)?;
    let key = match (&args.registry_pubkey, args.allow_unsigned_registry) {
        (Some(path), _) => Some(read_text(path)?),
        (None, true) => None,
        (None, false) => bail!(
            "registry {} refused: give --registry-pubkey FILE to check its signature, or --allow-unsigned-registry",
            dir.display()
        ),
    };
    Ok(registry::load_verified(&files, key.as_deref())?)
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn files_of(dir: Option<&Path>) -> Result<Vec<SourceFile>> {
    Ok(match dir {
        Some(dir) => registry::read_dir(dir)?,
        None => registry::builtin_files(),
    })
}

/// Runs a registry subcommand; returns the exit code.
pub fn run(cmd: RegistryCommand) -> Result<u8> {
    match cmd {
        RegistryCommand::Lint { dir } => {
            let files = files_of(dir.as_deref())?;
            match registry::load(&files) {
                Ok(r) => {
                    let (domains, phones, policies, advisories) = r.institutions.iter().fold((0, 0, 0, 0), |acc, i| {
                        (
                            acc.0 + i.domains.len(),
                            acc.1 + i.phones.len(),
                            acc.2 + i.policies.len(),
                            acc.3 + i.advisories.len(),
                        )
                    });
                    println!(
                        "ok: registry {} — {} countries, {} institutions, {domains} domains, {phones} phones, {policies} policies, {advisories} advisories",
                        r.version,
                        r.countries.len(),
                        r.institutions.len()
                    );
                    Ok(0)
                }
                Err(problems) => {
                    for p in &problems {
                        println!("{p}");
                    }
                    eprintln!("{} problem(s)", problems.len());
                    Ok(1)
                }
            }
        }
        RegistryCommand::Show {
            id,
            format,
            lang,
            registry,
        } => {
            let lang = match lang {
                Some(code) => healthguard_registry::Lang::from_code(&code).ok_or_else(|| {
                    crate::UsageError(format!(
                        "unsupported language {code:?}: use {}",
                        healthguard_registry::Lang::supported_list()
                    ))
                })?,
                None => healthguard_registry::Lang::En,
            };
            let r = select(&registry)?;
            match id {
                None => {
                    if format == Format::Json {
                        let list: Vec<_> = r.institutions.iter().map(|i| serde_json::json!({"id": i.id, "country": i.country, "kind": i.kind, "name": i.display_name(lang)})).collect();
                        println!("{}", serde_json::to_string_pretty(&list)?);
                    } else {
                        for i in &r.institutions {
                            println!("{:<28} {}  {}", i.id, i.country, i.display_name(lang));
                        }
                    }
                }
                Some(id) => {
                    let Some(inst) = r.institution(&id) else {
                        bail!("no institution {id:?} in the registry{}", suggestion(&r, &id))
                    };
                    if format == Format::Json {
                        println!("{}", serde_json::to_string_pretty(inst)?);
                    } else {
                        print_institution(inst);
                    }
                }
            }
            Ok(0)
        }
        RegistryCommand::Keygen { secret, public } => {
            if secret.exists() {
                bail!("{} exists: refusing to overwrite a secret key", secret.display());
            }
            let (s, p) = registry::generate_keypair()?;
            write_private(&secret, &s)?;
            std::fs::write(&public, p).with_context(|| format!("cannot write {}", public.display()))?;
            println!("wrote {} (keep secret) and {}", secret.display(), public.display());
            Ok(0)
        }
        RegistryCommand::Sign { key, dir } => {
            let files = registry::read_dir(&dir)?;
            let r = registry::load_verified(&files, None)?;
            let sig = registry::sign(&r, &read_text(&key)?)?;
            let path = dir.join(registry::SIGNATURE_FILE);
            std::fs::write(&path, sig).with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "signed registry {} ({} institutions): {}",
                r.version,
                r.institutions.len(),
                path.display()
            );
            Ok(0)
        }
        RegistryCommand::Verify { pubkey, dir } => {
            let files = registry::read_dir(&dir)?;
            let r = registry::load_verified(&files, Some(&read_text(&pubkey)?))?;
            println!(
                "ok: signature valid for registry {} ({} institutions)",
                r.version,
                r.institutions.len()
            );
            Ok(0)
        }
    }
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// "; did you mean pl.nfz?" for an id given without its country or by an abbreviation.
fn suggestion(r: &healthguard_registry::Registry, asked: &str) -> String {
    let asked = asked.trim().to_lowercase();
    let ids: Vec<&str> = r
        .institutions
        .iter()
        .filter(|i| {
            i.id.split_once('.').is_some_and(|(_, rest)| rest == asked)
                || i.abbreviations.iter().any(|a| a.to_lowercase() == asked)
        })
        .map(|i| i.id.as_str())
        .collect();
    if ids.is_empty() {
        "; `registry show` lists every id".to_string()
    } else {
        format!("; did you mean {}?", ids.join(" or "))
    }
}

fn print_institution(i: &healthguard_registry::Institution) {
    println!("{} ({}, {:?})", i.id, i.country, i.kind);
    for (lang, names) in &i.names {
        println!("  name [{}]: {}", lang.code(), names.join("; "));
    }
    if !i.abbreviations.is_empty() {
        println!("  abbreviations: {}", i.abbreviations.join(", "));
    }
    let conf = |c: healthguard_registry::Confidence| format!("{c:?}").to_lowercase();
    for d in &i.domains {
        let uses = [(d.web, "web"), (d.email, "email")]
            .iter()
            .filter(|x| x.0)
            .map(|x| x.1)
            .collect::<Vec<_>>()
            .join("+");
        println!(
            "  domain   {:<28} {uses:<10} {:<6} {}",
            d.name,
            conf(d.provenance.confidence),
            d.provenance.source
        );
    }
    for e in &i.emails {
        println!(
            "  e-mail   {:<28} {:<6} {}",
            e.address,
            conf(e.provenance.confidence),
            e.provenance.source
        );
    }
    for p in &i.phones {
        println!(
            "  phone    {:<28} {:<6} {}",
            p.e164,
            conf(p.provenance.confidence),
            p.label.as_deref().unwrap_or_default()
        );
    }
    for s in &i.sms_senders {
        println!(
            "  sms      {:<28} {:<6} {}",
            s.name,
            conf(s.provenance.confidence),
            s.provenance.source
        );
    }
    for a in &i.apps {
        println!(
            "  app      {:<28} {:<6} {}",
            format!("{}:{}", a.platform, a.id),
            conf(a.provenance.confidence),
            a.provenance.source
        );
    }
    for r in &i.reporting {
        println!(
            "  report   {:<28} {:<6} {:?}",
            r.value,
            conf(r.provenance.confidence),
            r.kind
        );
    }
    for p in &i.policies {
        let never: Vec<&str> = p.never.iter().map(|k| k.name()).collect();
        println!(
            "  policy   {} never {} — {}",
            p.id,
            never.join(","),
            p.text
                .get(&healthguard_registry::Lang::En)
                .map(String::as_str)
                .unwrap_or_default()
        );
    }
    for a in &i.advisories {
        println!(
            "  advisory {} {} — {}",
            a.id,
            a.date,
            a.title
                .get(&healthguard_registry::Lang::En)
                .map(String::as_str)
                .unwrap_or_default()
        );
    }
}
