//! `healthguard registry …` and the registry selection shared by every command.

use crate::args::{Format, RegistryArgs, RegistryCommand};
use anyhow::{bail, Context, Result};
use healthguard_registry::{self as registry, active, Registry, SourceFile};
use std::path::{Path, PathBuf};

/// The registry chosen on the command line: built-in, or a directory that passed lint and
/// (unless explicitly allowed unsigned) its signature check.
/// The checker for `args`: the selected registry, with `--model` this site's statistical
/// model and with `--feeds` the stored threat feeds.
pub fn checker(args: &RegistryArgs) -> Result<healthguard_core::Checker> {
    let registry = select(args)?;
    let feeds = match &args.feeds {
        Some(dir) => Some(std::sync::Arc::new(crate::feeds::load(dir, &registry)?) as _),
        None => None,
    };
    checker_on(registry, args, feeds)
}

/// The checker on `registry` with `--model` and the given feeds.
pub fn checker_on(
    registry: Registry,
    args: &RegistryArgs,
    feeds: Option<std::sync::Arc<dyn healthguard_core::Listings>>,
) -> Result<healthguard_core::Checker> {
    let mut checker = healthguard_core::Checker::new(registry);
    if let Some(path) = &args.model {
        checker = checker.with_model(crate::learn::read_model(path)?);
    }
    if let Some(index) = feeds {
        checker = checker.with_listings(index);
    }
    Ok(checker)
}

/// The registry of a long-running command (`serve`, `milter`): `--registry DIR` when given;
/// else the active registry of `data` (`registry update`) when it is newer than the
/// built-in one, else the built-in one. With a data directory and no `--registry`, also
/// the watch that finds the next active registry.
pub fn select_live(args: &RegistryArgs, data: Option<&Path>) -> Result<(Registry, Option<ActiveWatch>)> {
    let Some(data) = data.filter(|_| args.registry.is_none()) else {
        return Ok((select(args)?, None));
    };
    let builtin = registry::builtin();
    let stamp = active::stamp(data);
    let active = active::load_active(data).with_context(|| {
        format!(
            "the active registry of {} (remove {} to use the built-in one)",
            data.display(),
            active::active_path(data).display()
        )
    })?;
    let chosen = match active {
        Some(r) if newer(&r.version, &builtin.version) => r,
        Some(r) => {
            eprintln!(
                "healthguard: the active registry {} of {} is not newer than the built-in {}: using the built-in one",
                r.version,
                data.display(),
                builtin.version
            );
            builtin.clone()
        }
        None => builtin.clone(),
    };
    let watch = ActiveWatch {
        data: data.to_path_buf(),
        stamp,
        version: chosen.version.clone(),
    };
    Ok((chosen, Some(watch)))
}

fn newer(a: &str, b: &str) -> bool {
    active::compare_versions(a, b) == Some(std::cmp::Ordering::Greater)
}

/// Watches a data directory's active registry.
#[derive(Debug)]
pub struct ActiveWatch {
    data: PathBuf,
    stamp: Option<active::Stamp>,
    version: String,
}

impl ActiveWatch {
    /// A registry newer than the one in use, when one was installed since the last call
    /// (`force`: read it again even if its file looks unchanged). An unreadable or refused
    /// one is an error; the registry in use stays.
    pub fn poll(&mut self, force: bool) -> std::result::Result<Option<Registry>, String> {
        let stamp = active::stamp(&self.data);
        if !force && stamp == self.stamp {
            return Ok(None);
        }
        self.stamp = stamp;
        match active::load_active(&self.data) {
            Ok(Some(r)) if newer(&r.version, &self.version) => {
                self.version = r.version.clone();
                Ok(Some(r))
            }
            Ok(Some(r)) if r.version == self.version => Ok(None),
            Ok(Some(r)) => Err(format!(
                "the active registry {} is not newer than {} in use: ignored",
                r.version, self.version
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(format!(
                "the active registry of {} refused, {} stays: {e}",
                self.data.display(),
                self.version
            )),
        }
    }

    /// The `serve` side: a [`healthguard_server::Reload`] every `seconds` (0: SIGHUP only).
    pub fn into_reload(self, seconds: u64) -> healthguard_server::Reload {
        let watch = std::sync::Mutex::new(self);
        healthguard_server::Reload {
            every: (seconds > 0).then(|| std::time::Duration::from_secs(seconds)),
            registry: std::sync::Arc::new(move |force| {
                let mut w = watch.lock().unwrap_or_else(|p| p.into_inner());
                match w.poll(force) {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("healthguard: {e}");
                        None
                    }
                }
            }),
        }
    }
}

/// `registry update`: exit 0 installed, 2 not newer, 3 refused.
fn update(source: &Path, data: &Path, pubkey: Option<&Path>) -> Result<u8> {
    let files = active::read_source(source)?;
    let key = pubkey.map(read_text).transpose()?;
    match active::install(data, &files, key.as_deref(), &registry::builtin().version) {
        Ok(done) => {
            println!(
                "installed registry {} ({} institutions) in {}, replacing {}; serve and milter pick it up within their --registry-poll or on SIGHUP",
                done.version,
                done.institutions,
                active::active_path(data).display(),
                done.previous
            );
            Ok(0)
        }
        Err(e @ active::UpdateError::NotNewer { .. }) => {
            eprintln!("healthguard: {e}; nothing changed");
            Ok(2)
        }
        Err(e) => {
            eprintln!("healthguard: {e}; nothing changed");
            Ok(crate::EXIT_INPUT_ERROR)
        }
    }
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
        RegistryCommand::Update { source, data, pubkey } => update(&source, &data, pubkey.as_deref()),
        RegistryCommand::Bundle { dir, out } => {
            let files = registry::read_dir(&dir)?;
            let r = registry::load(&files).map_err(registry::LoadError::Invalid)?;
            std::fs::write(&out, active::bundle_text(&files))
                .with_context(|| format!("cannot write {}", out.display()))?;
            let signed = files.iter().any(|f| f.path == registry::SIGNATURE_FILE);
            println!(
                "wrote registry {} ({} files{}) to {}",
                r.version,
                files.len(),
                if signed {
                    ", signed"
                } else {
                    ", NOT signed: `registry update` will refuse it"
                },
                out.display()
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
