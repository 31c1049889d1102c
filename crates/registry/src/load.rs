//! Parse, lint and assemble registry packs in one pass.
//!
//! Every problem is collected as a [`Problem`] with `file:line`; a registry with any
//! problem is refused whole, so the checker never runs on half a registry.

use crate::model::*;
use crate::pack::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// One file of a registry directory, already read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the registry root, with `/` separators.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// One lint finding, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the registry root.
    pub path: String,
    /// 1-based line, 0 when the problem concerns the whole file.
    pub line: usize,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}:{}: {}", self.path, self.line, self.message)
        }
    }
}

/// Parses, lints and assembles a registry. Either a whole registry or every problem found.
pub fn load(files: &[SourceFile]) -> Result<Registry, Vec<Problem>> {
    assemble(files, PhoneCheck::Numbering)
}

/// Loads the built-in packs, which the test suite lints in full (`load`): phone numbers
/// are checked for their E.164 shape only. libphonenumber's metadata costs about 50 ms to
/// load, most of a one-shot `check`'s start; a test keeps both paths' answers equal.
pub(crate) fn load_prelinted(files: &[SourceFile]) -> Result<Registry, Vec<Problem>> {
    assemble(files, PhoneCheck::Shape)
}

fn assemble(files: &[SourceFile], phones: PhoneCheck) -> Result<Registry, Vec<Problem>> {
    let mut builder = Builder {
        phones,
        ..Builder::default()
    };
    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for file in sorted {
        builder.add_file(file);
    }
    builder.finish()
}

/// How far a phone number is checked while loading.
#[derive(Default, Clone, Copy)]
enum PhoneCheck {
    /// A number libphonenumber calls valid.
    #[default]
    Numbering,
    /// Only the E.164 shape (packs already linted with `Numbering`).
    Shape,
}

#[derive(Default)]
struct Builder {
    phones: PhoneCheck,
    problems: Vec<Problem>,
    version: Option<String>,
    countries: Vec<Country>,
    institutions: Vec<Institution>,
    /// Every id (institution, policy, advisory) → where it was first seen.
    ids: HashMap<String, String>,
    /// Every official value (domain, phone, address, sender) → where first seen.
    values: HashMap<String, String>,
    /// References to check once all files are read: (path, line, id).
    references: Vec<(String, usize, String)>,
    /// Localised texts to check against their country's languages once every country.toml
    /// is read: (path, line, country, what, languages given).
    localized: Vec<(String, usize, String, String, BTreeSet<Lang>)>,
}

struct FileCtx<'a> {
    path: &'a str,
    text: &'a str,
}

impl FileCtx<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
    }
}

impl Builder {
    fn problem(&mut self, ctx: &FileCtx, line: usize, message: impl Into<String>) {
        self.problems.push(Problem {
            path: ctx.path.to_string(),
            line,
            message: message.into(),
        });
    }

    fn add_file(&mut self, file: &SourceFile) {
        let ctx = FileCtx {
            path: &file.path,
            text: &file.text,
        };
        if !file.path.ends_with(".toml") {
            return;
        }
        let depth = file.path.matches('/').count();
        if file.path == "registry.toml" {
            match toml::from_str::<RootFile>(&file.text) {
                Ok(root) => {
                    self.check_schema(&ctx, &root.schema);
                    self.version = Some(root.version);
                }
                Err(e) => self.parse_error(&ctx, e),
            }
        } else if depth == 1 && file.path.ends_with("/country.toml") {
            match toml::from_str::<CountryFile>(&file.text) {
                Ok(country) => self.add_country(&ctx, country),
                Err(e) => self.parse_error(&ctx, e),
            }
        } else if depth == 1 {
            match toml::from_str::<InstitutionFile>(&file.text) {
                Ok(inst) => self.add_institution(&ctx, inst),
                Err(e) => self.parse_error(&ctx, e),
            }
        } else {
            self.problem(&ctx, 0, "unexpected file: packs are registry.toml and <cc>/<name>.toml");
        }
    }

    fn parse_error(&mut self, ctx: &FileCtx, e: toml::de::Error) {
        let line = e.span().map(|s| ctx.line(s)).unwrap_or(0);
        let message = e.message().trim().to_string();
        self.problem(ctx, line, message);
    }

    fn check_schema(&mut self, ctx: &FileCtx, schema: &Spanned<u32>) {
        if *schema.get_ref() != SCHEMA_VERSION {
            let line = ctx.line(schema.span());
            self.problem(
                ctx,
                line,
                format!(
                    "schema {} is not supported (this build reads schema {SCHEMA_VERSION})",
                    schema.get_ref()
                ),
            );
        }
    }

    fn check_source(&mut self, ctx: &FileCtx, source: &Spanned<String>) -> String {
        let s = source.get_ref().trim();
        if s.is_empty() {
            let line = ctx.line(source.span());
            self.problem(ctx, line, "missing source: every entry must say where it was read");
        }
        s.to_string()
    }

    fn claim_id(&mut self, ctx: &FileCtx, id: &Spanned<String>) -> String {
        let value = id.get_ref().trim().to_string();
        let line = ctx.line(id.span());
        let valid = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !valid {
            self.problem(
                ctx,
                line,
                format!("invalid id {value:?}: use lower-case ASCII letters, digits, '.', '-', '_'"),
            );
        }
        let here = format!("{}:{}", ctx.path, line);
        if let Some(first) = self.ids.get(&value) {
            let msg = format!("duplicate id {value:?} (first at {first})");
            self.problem(ctx, line, msg);
        } else {
            self.ids.insert(value.clone(), here);
        }
        value
    }

    fn claim_value(&mut self, ctx: &FileCtx, kind: &str, value: &str, line: usize) {
        let key = format!("{kind}:{value}");
        if let Some(first) = self.values.get(&key) {
            let msg = format!("duplicate {kind} {value:?} (first at {first})");
            self.problem(ctx, line, msg);
        } else {
            self.values.insert(key, format!("{}:{}", ctx.path, line));
        }
    }

    fn add_country(&mut self, ctx: &FileCtx, file: CountryFile) {
        self.check_schema(ctx, &file.schema);
        let c = file.country;
        let code = c.code.get_ref().trim().to_string();
        let folder = ctx.path.split('/').next().unwrap_or_default();
        if code.len() != 2 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
            let line = ctx.line(c.code.span());
            self.problem(
                ctx,
                line,
                format!("country code {code:?} must be two upper-case letters"),
            );
        } else if folder != code.to_ascii_lowercase() {
            let line = ctx.line(c.code.span());
            self.problem(
                ctx,
                line,
                format!("country {code} must live in folder {}/", code.to_ascii_lowercase()),
            );
        }
        let mut suffixes = Vec::new();
        for s in c.restricted_suffix {
            let source = self.check_source(ctx, &s.source);
            let line = ctx.line(s.value.span());
            let value = s.value.get_ref().trim().to_ascii_lowercase();
            if psl::suffix(value.as_bytes()).is_none() || value.is_empty() {
                self.problem(ctx, line, format!("restricted suffix {value:?} is not a public suffix"));
            }
            suffixes.push(RestrictedSuffix {
                suffix: value,
                provenance: Provenance {
                    source,
                    confidence: s.confidence,
                },
            });
        }
        for r in &c.national_reporting {
            self.references
                .push((ctx.path.to_string(), ctx.line(r.span()), r.get_ref().clone()));
        }
        self.countries.push(Country {
            code,
            languages: c.languages,
            restricted_suffixes: suffixes,
            national_reporting: c.national_reporting.into_iter().map(|r| r.into_inner()).collect(),
        });
    }

    fn add_institution(&mut self, ctx: &FileCtx, file: InstitutionFile) {
        self.check_schema(ctx, &file.schema);
        let head = file.institution;
        let id = self.claim_id(ctx, &head.id);
        let country = head.country.get_ref().trim().to_string();
        let folder = ctx.path.split('/').next().unwrap_or_default().to_string();
        if folder != country.to_ascii_lowercase() {
            let line = ctx.line(head.country.span());
            self.problem(
                ctx,
                line,
                format!(
                    "institution of {country} must live in folder {}/",
                    country.to_ascii_lowercase()
                ),
            );
        }
        if !id.starts_with(&format!("{folder}.")) {
            let line = ctx.line(head.id.span());
            self.problem(
                ctx,
                line,
                format!("id {id:?} must start with the country prefix \"{folder}.\""),
            );
        }
        if head.names.values().all(|v| v.is_empty()) {
            let line = ctx.line(head.id.span());
            self.problem(ctx, line, "an institution needs at least one name");
        }
        let source = self.check_source(ctx, &head.source);
        if let Some(parent) = &head.parent {
            self.references
                .push((ctx.path.to_string(), ctx.line(parent.span()), parent.get_ref().clone()));
        }
        for r in &head.report_to {
            self.references
                .push((ctx.path.to_string(), ctx.line(r.span()), r.get_ref().clone()));
        }

        for local in &head.local_abbreviations {
            if !head.abbreviations.contains(local) {
                let line = ctx.line(head.id.span());
                self.problem(
                    ctx,
                    line,
                    format!("local abbreviation {local:?} must also be listed in `abbreviations`"),
                );
            }
        }
        let mut inst = Institution {
            id: id.clone(),
            country,
            kind: head.kind,
            parent: head.parent.map(|p| p.into_inner()),
            names: head.names,
            abbreviations: head.abbreviations,
            local_abbreviations: head.local_abbreviations,
            forms: head.forms,
            report_to: head.report_to.into_iter().map(|r| r.into_inner()).collect(),
            domains: vec![],
            emails: vec![],
            phones: vec![],
            sms_senders: vec![],
            apps: vec![],
            reporting: vec![],
            policies: vec![],
            advisories: vec![],
            source,
        };

        for d in file.domain {
            let line = ctx.line(d.value.span());
            let source = self.check_source(ctx, &d.source);
            match normalize_domain(d.value.get_ref()) {
                Ok(name) => {
                    self.claim_value(ctx, "domain", &name, line);
                    if d.uses.is_empty() {
                        self.problem(ctx, line, "a domain needs `uses = [\"web\"]`, [\"email\"] or both");
                    }
                    inst.domains.push(Domain {
                        name,
                        web: d.uses.contains(&DomainUse::Web),
                        email: d.uses.contains(&DomainUse::Email),
                        subdomains: d.subdomains,
                        provenance: Provenance {
                            source,
                            confidence: d.confidence,
                        },
                    });
                }
                Err(why) => self.problem(ctx, line, why),
            }
        }
        for e in file.email {
            let line = ctx.line(e.value.span());
            let source = self.check_source(ctx, &e.source);
            let address = e.value.get_ref().trim().to_ascii_lowercase();
            match address.rsplit_once('@') {
                Some((local, domain)) if !local.is_empty() && normalize_domain(domain).is_ok() => {
                    self.claim_value(ctx, "e-mail", &address, line);
                    inst.emails.push(EmailAddress {
                        address,
                        label: e.label,
                        provenance: Provenance {
                            source,
                            confidence: e.confidence,
                        },
                    });
                }
                _ => self.problem(ctx, line, format!("unparsable e-mail address {address:?}")),
            }
        }
        for p in file.phone {
            let line = ctx.line(p.value.span());
            let source = self.check_source(ctx, &p.source);
            match self.phone(p.value.get_ref()) {
                Ok(e164) => {
                    self.claim_value(ctx, "phone", &format!("{}:{e164}", inst.country), line);
                    inst.phones.push(Phone {
                        e164,
                        written: written_in_groups(p.value.get_ref()),
                        label: p.label,
                        provenance: Provenance {
                            source,
                            confidence: p.confidence,
                        },
                    });
                }
                Err(why) => self.problem(ctx, line, why),
            }
        }
        for s in file.sms_sender {
            let line = ctx.line(s.value.span());
            let source = self.check_source(ctx, &s.source);
            let name = s.value.get_ref().trim().to_string();
            if name.is_empty() || name.chars().count() > 11 && !name.starts_with('+') {
                self.problem(
                    ctx,
                    line,
                    format!("SMS sender {name:?} must be 1–11 characters (alphanumeric sender id) or a number"),
                );
            }
            self.claim_value(ctx, "SMS sender", &name.to_lowercase(), line);
            inst.sms_senders.push(SmsSender {
                name,
                provenance: Provenance {
                    source,
                    confidence: s.confidence,
                },
            });
        }
        for a in file.app {
            let line = ctx.line(a.value.span());
            let source = self.check_source(ctx, &a.source);
            let platform = a.platform.get_ref().trim().to_string();
            if platform != "android" && platform != "ios" {
                let pline = ctx.line(a.platform.span());
                self.problem(ctx, pline, format!("app platform {platform:?} must be android or ios"));
            }
            self.claim_value(ctx, "app", a.value.get_ref(), line);
            inst.apps.push(App {
                platform,
                id: a.value.into_inner(),
                provenance: Provenance {
                    source,
                    confidence: a.confidence,
                },
            });
        }
        for r in file.reporting {
            let line = ctx.line(r.value.span());
            let source = self.check_source(ctx, &r.source);
            let raw = r.value.get_ref().trim();
            let value = match r.kind {
                ReportingKind::Email => match raw.rsplit_once('@') {
                    Some((l, d)) if !l.is_empty() && normalize_domain(d).is_ok() => Ok(raw.to_ascii_lowercase()),
                    _ => Err(format!("unparsable reporting e-mail {raw:?}")),
                },
                ReportingKind::Phone | ReportingKind::Sms => self.phone(raw),
                ReportingKind::Web => {
                    let host = raw.trim_start_matches("https://").trim_start_matches("http://");
                    let host = host.split('/').next().unwrap_or_default();
                    normalize_domain(host).map(|_| raw.to_string())
                }
            };
            match value {
                Ok(value) => inst.reporting.push(Reporting {
                    kind: r.kind,
                    value,
                    written: match r.kind {
                        ReportingKind::Phone | ReportingKind::Sms => written_in_groups(raw),
                        _ => None,
                    },
                    provenance: Provenance {
                        source,
                        confidence: r.confidence,
                    },
                }),
                Err(why) => self.problem(ctx, line, why),
            }
        }
        for p in file.policy {
            let pid = self.claim_id(ctx, &p.id);
            let source = self.check_source(ctx, &p.source);
            let line = ctx.line(p.id.span());
            if p.never.is_empty() {
                self.problem(ctx, line, "a policy must say what is never asked for (`never`)");
            }
            let text = self.localized(ctx, &inst.country, p.text, "policy text");
            inst.policies.push(Policy {
                id: pid,
                never: p.never,
                channels: p.channels,
                children: p.children,
                text,
                provenance: Provenance {
                    source,
                    confidence: p.confidence,
                },
            });
        }
        for a in file.advisory {
            let aid = self.claim_id(ctx, &a.id);
            let source = self.check_source(ctx, &a.source);
            let date = a.date.get_ref().trim().to_string();
            if !valid_date(&date) {
                let line = ctx.line(a.date.span());
                self.problem(
                    ctx,
                    line,
                    format!("advisory date {date:?} must be YYYY-MM-DD or YYYY-MM"),
                );
            }
            let title = self.localized(ctx, &inst.country, a.title, "advisory title");
            let mut domains = Vec::new();
            for d in a.domains {
                let line = ctx.line(d.span());
                match normalize_domain(d.get_ref()) {
                    Ok(name) => domains.push(name),
                    Err(why) => self.problem(ctx, line, why),
                }
            }
            let indicators = Indicators {
                domains,
                senders: a.senders.iter().map(|s| s.trim().to_lowercase()).collect(),
                phrases: a.phrases,
            };
            if indicators.domains.is_empty() && indicators.senders.is_empty() && indicators.phrases.is_empty() {
                let line = ctx.line(a.id.span());
                self.problem(
                    ctx,
                    line,
                    "an advisory needs at least one indicator (domains, senders or phrases)",
                );
            }
            inst.advisories.push(Advisory {
                id: aid,
                date,
                title,
                channels: a.channels,
                min_phrases: a.min_phrases.unwrap_or(1).max(1),
                indicators,
                provenance: Provenance {
                    source,
                    confidence: a.confidence,
                },
            });
        }
        self.institutions.push(inst);
    }

    /// Checks a text has every [`Lang::REGISTRY_REQUIRED`] language now; the country's own
    /// languages are checked in [`Builder::finish`], once every country.toml is read.
    fn localized(
        &mut self,
        ctx: &FileCtx,
        country: &str,
        text: Spanned<BTreeMap<Lang, String>>,
        what: &str,
    ) -> Localized {
        let line = ctx.line(text.span());
        let text = text.into_inner();
        let given: BTreeSet<Lang> = text
            .iter()
            .filter(|(_, t)| !t.trim().is_empty())
            .map(|(l, _)| *l)
            .collect();
        let missing: Vec<&str> = Lang::REGISTRY_REQUIRED
            .iter()
            .filter(|l| !given.contains(l))
            .map(|l| l.code())
            .collect();
        if !missing.is_empty() {
            self.problem(ctx, line, format!("{what} lacks languages: {}", missing.join(", ")));
        }
        self.localized
            .push((ctx.path.to_string(), line, country.to_string(), what.to_string(), given));
        text
    }

    fn phone(&self, raw: &str) -> Result<String, String> {
        match self.phones {
            PhoneCheck::Numbering => normalize_phone(raw),
            PhoneCheck::Shape => phone_shape(raw),
        }
    }

    fn finish(mut self) -> Result<Registry, Vec<Problem>> {
        let known: BTreeSet<&str> = self.institutions.iter().map(|i| i.id.as_str()).collect();
        let mut dangling = Vec::new();
        for (path, line, id) in &self.references {
            if !known.contains(id.as_str()) {
                dangling.push(Problem {
                    path: path.clone(),
                    line: *line,
                    message: format!("unknown institution id {id:?}"),
                });
            }
        }
        self.problems.extend(dangling);
        for (path, line, country, what, given) in &self.localized {
            let Some(c) = self.countries.iter().find(|c| &c.code == country) else {
                continue;
            };
            let missing: Vec<&str> = c
                .languages
                .iter()
                .filter(|l| !given.contains(l) && !Lang::REGISTRY_REQUIRED.contains(l))
                .map(|l| l.code())
                .collect();
            if !missing.is_empty() {
                self.problems.push(Problem {
                    path: path.clone(),
                    line: *line,
                    message: format!("{what} lacks the language(s) of {country}: {}", missing.join(", ")),
                });
            }
        }
        if self.version.is_none() {
            self.problems.push(Problem {
                path: "registry.toml".into(),
                line: 0,
                message: "missing registry.toml with `schema` and `version`".into(),
            });
        }
        if self.institutions.is_empty() && self.problems.is_empty() {
            self.problems.push(Problem {
                path: ".".into(),
                line: 0,
                message: "the registry holds no institution".into(),
            });
        }
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        self.institutions.sort_by(|a, b| a.id.cmp(&b.id));
        self.countries.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Registry {
            version: self.version.unwrap_or_default(),
            countries: self.countries,
            institutions: self.institutions,
        })
    }
}

/// Normalises a domain to lower-case ASCII (punycode) and checks it has a public suffix
/// and a registrable part.
pub fn normalize_domain(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('.');
    let ascii = idna::domain_to_ascii(trimmed).map_err(|_| format!("unparsable domain {raw:?}"))?;
    if ascii.is_empty() || !ascii.contains('.') {
        return Err(format!("unparsable domain {raw:?}"));
    }
    match psl::domain(ascii.as_bytes()) {
        Some(d) if d.suffix().is_known() => Ok(ascii),
        _ => Err(format!(
            "domain {raw:?} has no known public suffix or no registrable part"
        )),
    }
}

/// An international number as the pack writes it, when written in groups (`+48 800 190 590`;
/// white space collapsed): shown to people as it is.
fn written_in_groups(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (raw.starts_with('+') && raw.contains(' ')).then(|| raw.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The compact form of a number written with separators (`+48 800 190 590` → `+48800190590`).
fn compact_phone(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

/// [`normalize_phone`] without libphonenumber: a short code, or `+` and 7–15 digits.
fn phone_shape(raw: &str) -> Result<String, String> {
    let compact = compact_phone(raw);
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    match (compact.starts_with('+'), digits.len()) {
        (false, 3..=6) if all_digits => Ok(compact),
        (true, 7..=15) if all_digits && !digits.starts_with('0') => Ok(compact),
        _ => Err(format!(
            "phone {raw:?} must be in E.164 form (+CC…) or a 3–6 digit short code"
        )),
    }
}

/// Normalises a phone number: E.164 (`+48 800 190 590` → `+48800190590`) or a national
/// short code of 3–6 digits (`8080`, `1911`).
pub fn normalize_phone(raw: &str) -> Result<String, String> {
    let compact = compact_phone(raw);
    if compact.len() >= 3 && compact.len() <= 6 && compact.chars().all(|c| c.is_ascii_digit()) {
        return Ok(compact);
    }
    if !compact.starts_with('+') {
        return Err(format!(
            "phone {raw:?} must be in E.164 form (+CC…) or a 3–6 digit short code"
        ));
    }
    let parsed = phonenumber::parse(None, &compact).map_err(|_| format!("unparsable phone {raw:?}"))?;
    if !phonenumber::is_valid(&parsed) {
        return Err(format!("phone {raw:?} is not a valid number"));
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

fn valid_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    match parts.as_slice() {
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    }
}
