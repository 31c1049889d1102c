//! The checker: turns an input into an [`Analysis`].
//!
//! Work happens in two steps. Gathering ([`Signals`]) reads text, senders, links and phone
//! numbers and records what it finds without judging relations; concluding
//! ([`Checker::conclude`]) decides which institution the message claims and then judges
//! links, numbers and requests against that institution's registry entries, its declared
//! policies and its advisories, scores, and picks the verdict. Front ends for other inputs
//! (the e-mail analyser) feed the same [`Signals`].

use crate::analysis::{Analysis, Finding, InputKind, Verdict};
use crate::bayes::Model;
use crate::catalogue::Catalogue;
use crate::fold::{fold, Folded};
use crate::lexicon::{LexLang, Lexicon};
use crate::links::{self, Link};
use crate::listings::Listings;
use crate::phones::{self, PhoneHit};
use crate::phrases::PhraseSet;
use crate::score::Scorer;
use healthguard_domains::{Assessment, DomainIndex, HostKind, Protected, Technique};
use healthguard_registry::{Confidence, Institution, Lang, LureKind, Registry, ReportingKind};
use rustc_hash::FxHashMap;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Longest text analysed; the rest is cut (with an `INPUT_TRUNCATED` finding).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Most links judged per message.
pub const MAX_LINKS: usize = 200;
/// Longest evidence (and explanation parameter) one finding quotes, in bytes; longer ones
/// are cut at a character boundary and end with `…`.
pub const MAX_EVIDENCE_BYTES: usize = 1024;

/// Letters a text needs before its language is trusted to rule out another language's
/// words: e-mails and long pastes have them, most SMS do not.
const LANGUAGE_GATE_LETTERS: usize = 300;

/// Whether `sample` is long enough for its language to rule out another language's words.
fn long_enough_for_language(sample: &str) -> bool {
    let letters = sample.chars().filter(|c| c.is_alphabetic()).take(LANGUAGE_GATE_LETTERS);
    letters.count() >= LANGUAGE_GATE_LETTERS
}

/// Whether a one-word lure phrase of another language's lexicon is, in a text whose
/// language is known, more likely a word of that text's own language ("restituire" is the
/// Romanian refund and the Italian "to give back"). English phrases count in any text
/// (kits mix them in), and so do phrases of several words, which rarely cross languages.
fn false_friend(phrase: &str, lexicon: LexLang, text: Option<Lang>) -> bool {
    let Some(text) = text else { return false };
    lexicon.code() != "en" && lexicon.explained() != Some(text) && !phrase.trim().contains(char::is_whitespace)
}

/// Cuts a quoted value to [`MAX_EVIDENCE_BYTES`].
fn cap_evidence(value: &mut String) {
    if value.len() > MAX_EVIDENCE_BYTES {
        let keep = crate::fold::prefix(value, MAX_EVIDENCE_BYTES - '…'.len_utf8()).len();
        value.truncate(keep);
        value.push('…');
    }
}

/// A message to check.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// An SMS: sender name or number, and text.
    Sms {
        /// Sender as shown on the phone.
        sender: Option<&'a str>,
        /// Message text.
        text: &'a str,
    },
    /// Pasted text of unknown origin.
    Text(&'a str),
    /// One link.
    Url(&'a str),
    /// One phone number.
    Phone(&'a str),
    /// What a caller said (as the reader remembers or transcribes it), and the number the
    /// phone showed. Caller ID can be forged: an official number proves nothing.
    Call {
        /// The number shown, if any.
        number: Option<&'a str>,
        /// What the caller said.
        text: &'a str,
    },
}

/// The registry and every lookup structure built from it. Build once, share freely
/// (`Checker` is `Send + Sync`); checks take `&self`.
pub struct Checker {
    registry: Registry,
    catalogue: Catalogue,
    /// The catalogue resolved to code indices, for scoring.
    scorer: Scorer,
    lexicon: Lexicon,
    domains: DomainIndex,
    /// Folded names and inflected forms → institution index.
    names: PhraseSet<usize>,
    /// Abbreviations (matched case-sensitively) → institution index.
    abbreviations: HashMap<String, usize>,
    /// The same, for lookups of words of a text (FxHash: short keys, many lookups; the map
    /// above keeps its iteration order for names).
    abbreviation_index: FxHashMap<String, usize>,
    /// Abbreviations that are ordinary words elsewhere → the languages in which text using
    /// them claims the institution (its country's).
    local_abbreviations: FxHashMap<String, Vec<Lang>>,
    /// E.164 → (institution index, confidence).
    phones: HashMap<String, (usize, Confidence)>,
    /// Reporting numbers of the registry (E.164 or short code), e.g. 8080.
    reporting_numbers: BTreeSet<String>,
    /// Lower-case SMS sender → (institution index, confidence).
    senders: HashMap<String, (usize, Confidence)>,
    /// Domain name → confidence of the registry entry.
    domain_confidence: HashMap<String, Confidence>,
    /// Names, lure phrases and advisory phrases in one set, searched in one pass over a text
    /// (each kind's matches come in the same order as from a set of its own). Built on the
    /// first text read from [`Checker::text_phrase_sources`]: a one-shot check of a link or a
    /// number never reads a text and need not pay for the automaton.
    text_phrases: std::sync::OnceLock<PhraseSet<TextPhrase>>,
    /// What [`Checker::text_phrases`] is built from, in order.
    text_phrase_sources: Vec<(String, TextPhrase)>,
    /// Indicator domain → advisory slot.
    advisory_domains: HashMap<String, usize>,
    /// Indicator sender → advisory slot.
    advisory_senders: HashMap<String, usize>,
    /// (institution index, advisory index) per advisory slot.
    advisories: Vec<(usize, usize)>,
    /// Institution id → index (the first institution with that id).
    ids: FxHashMap<String, usize>,
    /// Per institution index: the institution and its parents, nearest first.
    lineages: Vec<Vec<usize>>,
    /// Per institution index: the institution, its parents and its children.
    families: Vec<BTreeSet<usize>>,
    /// Whether a composite for pasted text has a `LURE_` code (see
    /// [`Checker::first_text_lure`]).
    text_lure_composites: bool,
    /// This site's statistical model, when one was learnt (`healthguard learn`).
    model: Option<Model>,
    /// Threat feeds loaded at the edge, when any ([`Checker::with_listings`]).
    listings: Option<Arc<dyn Listings>>,
}

/// What [`Checker::read_text`] read, for reuse.
#[derive(Debug, Clone)]
pub struct TextRead {
    /// The folded form of the text read.
    pub folded: Folded,
    /// Every link and address in the text read.
    pub links: Vec<Link>,
}

/// What a phrase of [`Checker::text_phrases`] is.
#[derive(Debug, Clone, Copy)]
enum TextPhrase {
    /// A name or inflected form of the institution with this index.
    Name(usize),
    /// A lure phrase of the lexicon.
    Lure(LureKind, LexLang),
    /// An advisory phrase: (advisory slot, phrase number).
    Advisory(usize, usize),
}

/// A claim that the message comes from an institution.
#[derive(Debug, Clone)]
struct Claim {
    institution: usize,
    evidence: String,
    /// 3: sender name, 2: look-alike link target, 1: text.
    strength: u8,
}

/// What gathering found; judged by [`Checker::conclude`].
#[derive(Debug, Clone)]
pub struct Signals {
    kind: InputKind,
    findings: Vec<Finding>,
    claims: Vec<Claim>,
    lures: Vec<(LureKind, String, LexLang)>,
    links: Vec<Link>,
    phones: Vec<PhoneHit>,
    advisory_hits: Vec<(usize, String)>,
    language_sample: String,
    authenticated_as: Option<usize>,
    sender_is_number: Option<String>,
}

impl Signals {
    /// Adds a finding found by a front end (e.g. the e-mail analyser).
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Marks the message as authenticated for an institution (e.g. a DMARC-aligned pass
    /// for one of its domains). Only the e-mail front end and registry matches call this.
    pub fn authenticate(&mut self, checker: &Checker, institution_id: &str) {
        self.authenticated_as = checker.index_of(institution_id);
    }

    /// Records a claim found by a front end (e.g. an e-mail display name).
    pub fn claim(&mut self, checker: &Checker, institution_id: &str, evidence: &str, strength: u8) {
        if let Some(institution) = checker.index_of(institution_id) {
            self.claims.push(Claim {
                institution,
                evidence: evidence.to_string(),
                strength,
            });
        }
    }

    /// Findings gathered so far.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }
}

impl Checker {
    /// Builds a checker over a validated registry with the built-in lexicons and catalogue.
    pub fn new(registry: Registry) -> Checker {
        Checker::with_data(registry, Catalogue::builtin(), Lexicon::builtin())
    }

    /// Builds a checker with explicit catalogue and lexicon.
    pub fn with_data(registry: Registry, catalogue: Catalogue, lexicon: Lexicon) -> Checker {
        let mut names = Vec::new();
        let mut name_owners: HashMap<String, BTreeSet<usize>> = HashMap::new();
        let mut abbreviations: HashMap<String, BTreeSet<usize>> = HashMap::new();
        let mut local_abbreviations = FxHashMap::default();
        let mut phones = HashMap::new();
        let mut senders = HashMap::new();
        let mut reporting_numbers = BTreeSet::new();
        let mut protected = Vec::new();
        let mut domain_confidence = HashMap::new();
        let mut advisory_phrases = Vec::new();
        let mut advisory_domains = HashMap::new();
        let mut advisory_senders = HashMap::new();
        let mut advisories = Vec::new();
        for (ix, inst) in registry.institutions.iter().enumerate() {
            for name in inst.names.values().flatten().chain(inst.forms.iter()) {
                name_owners
                    .entry(crate::fold::fold_pattern(name))
                    .or_default()
                    .insert(ix);
            }
            for abbr in &inst.abbreviations {
                if abbr.chars().count() >= 3 {
                    abbreviations.entry(abbr.clone()).or_default().insert(ix);
                }
            }
            let languages = registry
                .country(&inst.country)
                .map(|c| c.languages.clone())
                .unwrap_or_default();
            for abbr in &inst.local_abbreviations {
                local_abbreviations.insert(abbr.clone(), languages.clone());
            }
            for p in &inst.phones {
                phones.entry(p.e164.clone()).or_insert((ix, p.provenance.confidence));
            }
            for r in &inst.reporting {
                // The loader keeps phone and SMS routes in their dialled form (E.164 or a
                // short code), as the numbers found in a text are compared.
                if matches!(r.kind, ReportingKind::Phone | ReportingKind::Sms) {
                    reporting_numbers.insert(r.value.clone());
                }
            }
            for s in &inst.sms_senders {
                senders.insert(s.name.to_lowercase(), (ix, s.provenance.confidence));
            }
            for d in &inst.domains {
                protected.push(Protected {
                    domain: d.name.clone(),
                    owner: inst.id.clone(),
                    include_subdomains: d.subdomains,
                });
                domain_confidence.insert(d.name.clone(), d.provenance.confidence);
            }
            for (ax, adv) in inst.advisories.iter().enumerate() {
                let slot = advisories.len();
                advisories.push((ix, ax));
                for (px, phrase) in adv.indicators.phrases.iter().enumerate() {
                    advisory_phrases.push((phrase.clone(), (slot, px)));
                }
                for d in &adv.indicators.domains {
                    advisory_domains.insert(d.clone(), slot);
                }
                for s in &adv.indicators.senders {
                    advisory_senders.insert(s.clone(), slot);
                }
            }
        }
        // A name shared by several institutions claims their common parent, or nothing.
        let resolve = |owners: &BTreeSet<usize>| -> Option<usize> {
            if owners.len() == 1 {
                return owners.first().copied();
            }
            let parents: BTreeSet<Option<&String>> = owners
                .iter()
                .map(|&i| registry.institutions[i].parent.as_ref())
                .collect();
            match parents.into_iter().collect::<Vec<_>>().as_slice() {
                [Some(parent)] => registry.institutions.iter().position(|i| &i.id == *parent),
                _ => None,
            }
        };
        for (name, owners) in &name_owners {
            if let Some(ix) = resolve(owners) {
                names.push((name.clone(), ix));
            }
        }
        let abbreviations: HashMap<String, usize> = abbreviations
            .iter()
            .filter_map(|(a, owners)| resolve(owners).map(|ix| (a.clone(), ix)))
            .collect();
        let abbreviation_index = abbreviations.iter().map(|(a, &ix)| (a.clone(), ix)).collect();
        let restricted: Vec<&str> = registry
            .countries
            .iter()
            .flat_map(|c| c.restricted_suffixes.iter().map(|s| s.suffix.as_str()))
            .collect();
        let domains = DomainIndex::new(protected, &restricted);
        let mut ids = FxHashMap::default();
        for (ix, inst) in registry.institutions.iter().enumerate() {
            ids.entry(inst.id.clone()).or_insert(ix);
        }
        let text_lure_composites = catalogue
            .composites
            .iter()
            .any(|c| c.applies_to(InputKind::Text.name()) && c.code.starts_with("LURE_"));
        let text_phrase_sources: Vec<(String, TextPhrase)> = names
            .iter()
            .map(|(n, ix)| (n.clone(), TextPhrase::Name(*ix)))
            .chain(
                lexicon
                    .sources()
                    .iter()
                    .map(|(p, (kind, lang))| (p.clone(), TextPhrase::Lure(*kind, *lang))),
            )
            .chain(
                advisory_phrases
                    .into_iter()
                    .map(|(p, (slot, px))| (p, TextPhrase::Advisory(slot, px))),
            )
            .collect();
        let mut checker = Checker {
            text_lure_composites,
            model: None,
            listings: None,
            scorer: Scorer::new(&catalogue),
            catalogue,
            lexicon,
            domains,
            text_phrases: std::sync::OnceLock::new(),
            text_phrase_sources,
            names: PhraseSet::new(names),
            abbreviations,
            abbreviation_index,
            local_abbreviations,
            phones,
            reporting_numbers,
            senders,
            domain_confidence,
            advisory_domains,
            advisory_senders,
            advisories,
            ids,
            lineages: Vec::new(),
            families: Vec::new(),
            registry,
        };
        checker.lineages = (0..checker.registry.institutions.len())
            .map(|ix| checker.lineage_of(ix))
            .collect();
        checker.families = (0..checker.registry.institutions.len())
            .map(|ix| checker.family_of(ix))
            .collect();
        checker
    }

    /// The registry this checker reads.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The finding catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The look-alike index over every registry domain.
    pub fn domains(&self) -> &DomainIndex {
        &self.domains
    }

    /// The checker with this site's statistical model (front ends add its judgement as a
    /// finding, see [`crate::bayes`]).
    pub fn with_model(mut self, model: Model) -> Checker {
        self.model = Some(model);
        self
    }

    /// This site's statistical model, if any.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref()
    }

    /// The checker with threat feeds: links whose host (or a parent) is listed get
    /// `LINK_LISTED`; front ends may judge senders against [`Checker::listings`].
    pub fn with_listings(mut self, listings: Arc<dyn Listings>) -> Checker {
        self.listings = Some(listings);
        self
    }

    /// The threat feeds, if any were loaded.
    pub fn listings(&self) -> Option<&dyn Listings> {
        self.listings.as_deref()
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }

    fn inst(&self, ix: usize) -> &Institution {
        &self.registry.institutions[ix]
    }

    /// Checks one input.
    pub fn check(&self, input: Input) -> Analysis {
        match input {
            Input::Sms { sender, text } => {
                let mut s = self.signals(InputKind::Sms);
                if let Some(sender) = sender {
                    self.add_sms_sender(&mut s, sender);
                }
                self.add_text(&mut s, text);
                self.conclude(s)
            }
            Input::Text(text) => {
                let mut s = self.signals(InputKind::Text);
                self.add_text(&mut s, text);
                self.conclude(s)
            }
            Input::Url(url) => {
                let mut s = self.signals(InputKind::Url);
                let url = crate::links::refang(url.trim()).into_owned();
                match links::parse_one(&url) {
                    Some(link) => s.links.push(link),
                    None => s.findings.push(Finding::new(
                        "UNPARSABLE_URL",
                        url.chars().take(200).collect::<String>(),
                    )),
                }
                self.conclude(s)
            }
            Input::Call { number, text } => {
                let mut s = self.signals(InputKind::Call);
                if let Some(number) = number.map(str::trim).filter(|n| !n.is_empty()) {
                    self.add_caller_number(&mut s, number);
                }
                self.add_text(&mut s, text);
                self.conclude(s)
            }
            Input::Phone(number) => {
                let mut s = self.signals(InputKind::Phone);
                let region = "PL";
                match phones::parse(number, region) {
                    Some(hit) if hit.valid => s.phones.push(hit),
                    _ => s.findings.push(Finding::new(
                        "PHONE_INVALID",
                        number.chars().take(64).collect::<String>(),
                    )),
                }
                self.conclude(s)
            }
        }
    }

    /// Starts gathering for an input of `kind`.
    pub fn signals(&self, kind: InputKind) -> Signals {
        Signals {
            kind,
            findings: Vec::new(),
            claims: Vec::new(),
            lures: Vec::new(),
            links: Vec::new(),
            phones: Vec::new(),
            advisory_hits: Vec::new(),
            language_sample: String::new(),
            authenticated_as: None,
            sender_is_number: None,
        }
    }

    /// Reads an SMS sender: a registered sender, a name that claims an institution, or a
    /// plain number.
    pub fn add_sms_sender(&self, s: &mut Signals, sender: &str) {
        let sender = sender.trim();
        if sender.is_empty() {
            return;
        }
        let lower = sender.to_lowercase();
        if let Some(&slot) = self.advisory_senders.get(&lower) {
            s.advisory_hits.push((slot, sender.to_string()));
        }
        if let Some(&(ix, confidence)) = self.senders.get(&lower) {
            let id = self.inst(ix).id.clone();
            s.claims.push(Claim {
                institution: ix,
                evidence: sender.to_string(),
                strength: 3,
            });
            if confidence.can_authenticate() {
                s.findings
                    .push(Finding::new("SENDER_OFFICIAL", sender).institution(&id));
                s.authenticated_as = Some(ix);
            } else {
                s.findings
                    .push(Finding::new("SENDER_OFFICIAL_LOW_CONFIDENCE", sender).institution(&id));
            }
            return;
        }
        let digits = sender.chars().filter(|c| c.is_ascii_digit()).count();
        if digits >= 7 && sender.chars().all(|c| c.is_ascii_digit() || "+ -()".contains(c)) {
            s.sender_is_number = Some(sender.to_string());
            if let Some(hit) = phones::parse(sender, "PL") {
                if hit.valid {
                    s.phones.push(hit);
                }
            }
            return;
        }
        let folded = fold(sender);
        if let Some((start, end)) = self.lexicon.health_institution(&folded) {
            add_health_claim(s, folded.original(sender, start, end));
        }
        // A name: does it claim an institution?
        if let Some(ix) = self.claimed_index(sender) {
            s.claims.push(Claim {
                institution: ix,
                evidence: sender.to_string(),
                strength: 3,
            });
            let id = self.inst(ix).id.clone();
            s.findings
                .push(Finding::new("SENDER_IMPERSONATES", sender).institution(id));
        }
    }

    /// Reads the number a call came from: judged like an SMS sender's number (a call that
    /// claims an institution from a number that is not the institution's is flagged), while
    /// an official number only says that it was shown, since caller ID can be forged.
    fn add_caller_number(&self, s: &mut Signals, number: &str) {
        match phones::parse(number, "PL") {
            Some(hit) if hit.valid => {
                if let Some((ix, _)) = self.phones.get(&hit.e164) {
                    s.findings
                        .push(Finding::new("CALLER_ID_OFFICIAL_NUMBER", number).institution(&self.inst(*ix).id));
                }
                s.sender_is_number = Some(number.to_string());
                s.phones.push(hit);
            }
            _ => s.findings.push(Finding::new(
                "PHONE_INVALID",
                number.chars().take(64).collect::<String>(),
            )),
        }
    }

    /// The id of the institution a short name (sender, display name) claims, if any.
    pub fn claimed_by_name(&self, name: &str) -> Option<&str> {
        self.claimed_index(name).map(|ix| self.inst(ix).id.as_str())
    }

    fn claimed_index(&self, name: &str) -> Option<usize> {
        let folded = fold(name);
        if let Some(m) = self.names.find(&folded).next() {
            return Some(*m.payload);
        }
        // Sender ids are often upper-cased or glued ("NFZ-INFO", "NFZinfo", "CNAS_RO").
        let upper = name.to_uppercase();
        self.abbreviations
            .iter()
            .filter(|(abbr, _)| {
                upper
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|t| t == abbr.as_str() || (t.starts_with(abbr.as_str()) && t.len() <= abbr.len() + 6))
            })
            .map(|(_, &ix)| ix)
            .next()
    }

    /// Reads message text: claims, lures, links, phone numbers, advisory phrases, disguises.
    pub fn add_text(&self, s: &mut Signals, text: &str) {
        self.read_text(s, text);
    }

    /// [`Checker::add_text`], returning what it read for a front end to reuse instead of
    /// computing it again: the folded form of the text read (the first [`MAX_TEXT_BYTES`])
    /// and every link and address in it (as [`links::extract`] finds them).
    pub fn read_text(&self, s: &mut Signals, text: &str) -> TextRead {
        if text.len() > MAX_TEXT_BYTES {
            s.findings
                .push(Finding::new("INPUT_TRUNCATED", format!("{} bytes", text.len())));
        }
        let text = crate::fold::prefix(text, MAX_TEXT_BYTES);
        let folded = fold(text);
        if !folded.disguises.is_empty() {
            let shown: Vec<&str> = folded.disguises.iter().map(String::as_str).take(5).collect();
            s.findings.push(Finding::new("OBFUSCATED_TEXT", shown.join(", ")));
        }
        // Names, lures and advisory phrases in one pass; recorded in that order, as three
        // passes would.
        let mut names = Vec::new();
        let mut lures = Vec::new();
        let mut advisory_hits = Vec::new();
        let mut seen_phrases: HashMap<usize, BTreeSet<usize>> = HashMap::new();
        let text_phrases = self
            .text_phrases
            .get_or_init(|| PhraseSet::new(self.text_phrase_sources.iter().cloned()));
        for m in text_phrases.find(&folded) {
            let phrase = || folded.original(text, m.start, m.end).to_string();
            match *m.payload {
                TextPhrase::Name(ix) => names.push(Claim {
                    institution: ix,
                    evidence: phrase(),
                    strength: 1,
                }),
                TextPhrase::Lure(kind, lang) => {
                    if self.lexicon.counts(kind, &folded.text, m.start, m.end) {
                        lures.push((kind, phrase(), lang));
                    }
                }
                TextPhrase::Advisory(slot, px) => {
                    if seen_phrases.entry(slot).or_default().insert(px) {
                        advisory_hits.push((slot, phrase()));
                    }
                }
            }
        }
        s.claims.extend(names);
        self.find_abbreviations(s, text);
        if let Some((start, end)) = self.lexicon.health_institution(&folded) {
            add_health_claim(s, folded.original(text, start, end));
        }
        s.lures.extend(lures);
        s.advisory_hits.extend(advisory_hits);
        let found = links::extract(text);
        for link in &found {
            if s.links.len() >= MAX_LINKS {
                break;
            }
            s.links.push(link.clone());
        }
        let region = self.region_hint(s, &folded);
        for hit in phones::extract(text, region) {
            if !s.phones.iter().any(|p| p.e164 == hit.e164) {
                s.phones.push(hit);
            }
        }
        if s.links.is_empty() && !s.findings.iter().any(|f| f.code == "LINK_WITHHELD") {
            if let Some(placeholder) = links::withheld(text) {
                s.findings.push(Finding::new("LINK_WITHHELD", placeholder));
            }
        }
        let has_link = !s.links.is_empty() || s.findings.iter().any(|f| f.code == "LINK_WITHHELD");
        let extracted = &s.phones;
        let official = |n: &str| match extracted
            .iter()
            .find(|h| h.raw.chars().filter(char::is_ascii_digit).eq(n.chars()))
        {
            Some(hit) => self.phones.contains_key(&hit.e164) || self.reporting_numbers.contains(&hit.e164),
            None => self.is_registry_number(n, region),
        };
        s.findings
            .extend(crate::sms::findings(text, &folded, has_link, official));
        if s.language_sample.len() < 4096 {
            s.language_sample.push_str(crate::fold::prefix(text, 4096));
            s.language_sample.push('\n');
        }
        TextRead { folded, links: found }
    }

    /// The lure finding that checking `text` alone as pasted text
    /// (`check(Input::Text(text))`) ranks first, as (code, evidence): the `LURE_` finding of
    /// the highest weight, the first found among equals. `folded` is `fold(text)`.
    ///
    /// Unless a composite for text has a `LURE_` code, only the lexicon makes such
    /// findings, one per lure kind with its first phrase: then they are judged from the
    /// lexicon's matches without gathering and concluding the rest.
    pub fn first_text_lure(&self, text: &str, folded: &Folded) -> Option<(String, String)> {
        if self.text_lure_composites || text.len() > MAX_TEXT_BYTES {
            let mut s = self.signals(InputKind::Text);
            self.add_text(&mut s, text);
            let a = self.conclude(s);
            return a
                .findings
                .iter()
                .find(|f| f.code.starts_with("LURE_"))
                .map(|f| (f.code.clone(), f.evidence.clone()));
        }
        // As `conclude` makes them: one finding per kind, in order of the first match, the
        // first phrase as evidence; then sorted by weight (stable, descending).
        let mut best: Option<(f32, LureKind, usize, usize)> = None;
        let mut kinds: Vec<LureKind> = Vec::new();
        for hit in self.lexicon.find(folded) {
            if kinds.contains(&hit.kind) {
                continue;
            }
            kinds.push(hit.kind);
            let code = format!("LURE_{}", hit.kind.name().to_ascii_uppercase());
            let weight = self.scorer.weight(&code, InputKind::Text);
            if best.is_none_or(|(w, ..)| weight.total_cmp(&w).is_gt()) {
                best = Some((weight, hit.kind, hit.start, hit.end));
            }
        }
        let (_, kind, start, end) = best?;
        Some((
            format!("LURE_{}", kind.name().to_ascii_uppercase()),
            folded.original(text, start, end).to_string(),
        ))
    }

    /// Whether a number written in a message is an official phone or a reporting number
    /// (e.g. 8080) of the registry.
    fn is_registry_number(&self, number: &str, region: &str) -> bool {
        let Some(hit) = phones::parse(number, region) else {
            return false;
        };
        self.phones.contains_key(&hit.e164) || self.reporting_numbers.contains(&hit.e164)
    }

    /// Records a link found outside the text (e.g. an HTML href).
    pub fn add_link(&self, s: &mut Signals, link: Link) {
        if s.links.len() < MAX_LINKS
            && !s
                .links
                .iter()
                .any(|l| l.host == link.host && l.is_email == link.is_email)
        {
            s.links.push(link);
        }
    }

    fn region_hint(&self, s: &Signals, folded: &Folded) -> &'static str {
        if let Some(c) = s.claims.iter().max_by_key(|c| c.strength) {
            if self.inst(c.institution).country == "RO" {
                return "RO";
            }
            return "PL";
        }
        // Two words of a language decide: counting stops there.
        let ro = [" si ", " pentru ", " va ", " sanatate ", " asigurari "]
            .iter()
            .filter(|w| folded.text.contains(*w))
            .take(2)
            .count();
        let en = [
            " the ", " your ", " you ", " to ", " call ", " for ", " now ", " and ", " with ", " is ", " have ",
            " me ", " our ", " free ", " please ", " this ", " text ", " txt ", " ur ", " u ",
        ]
        .iter()
        .filter(|w| ro < 2 && folded.text.contains(*w))
        .take(2)
        .count();
        if ro >= 2 {
            "RO"
        } else if en >= 2 {
            "GB"
        } else {
            "PL"
        }
    }

    /// Claims by abbreviation (names are found with the other phrases of the text).
    fn find_abbreviations(&self, s: &mut Signals, text: &str) {
        // Abbreviations: whole words in the original text, case-sensitive ("NFZ", "NFZ-u").
        let visible = crate::fold::strip_invisible(text);
        // The text's language, detected once when a local abbreviation needs it.
        let mut language: Option<Option<Lang>> = None;
        for token in visible
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| t.len() >= 3 && t.len() <= 12)
        {
            if let Some(&ix) = self.abbreviation_index.get(token) {
                if let Some(languages) = self.local_abbreviations.get(token) {
                    // "CAS" in English text is not the Romanian health insurance house.
                    let language = *language.get_or_insert_with(|| crate::lang::detect(text, &[]));
                    if language.is_some_and(|l| !languages.contains(&l)) {
                        continue;
                    }
                }
                s.claims.push(Claim {
                    institution: ix,
                    evidence: token.to_string(),
                    strength: 1,
                });
            }
        }
    }

    /// Judges everything gathered and picks the verdict.
    pub fn conclude(&self, mut s: Signals) -> Analysis {
        let channel = s.kind.channel();
        // Links first: a look-alike link names the institution it imitates.
        let mut link_findings = Vec::new();
        let mut unofficial_links = 0usize;
        let mut official_link_owners: BTreeSet<usize> = BTreeSet::new();
        let links = std::mem::take(&mut s.links);
        for link in &links {
            self.judge_link(
                &mut s,
                link,
                &mut link_findings,
                &mut unofficial_links,
                &mut official_link_owners,
            );
        }
        if s.kind == InputKind::Url && s.authenticated_as.is_none() {
            if let Some(&ix) = official_link_owners.iter().next() {
                s.authenticated_as = Some(ix);
                s.claims.push(Claim {
                    institution: ix,
                    evidence: links[0].host.clone(),
                    strength: 2,
                });
            }
        }
        let claimed = self.pick_claim(&s.claims);
        let no_family = BTreeSet::new();
        let claimed_family = claimed.map_or(&no_family, |ix| self.family(ix));
        if let Some(ix) = claimed {
            let evidence = s
                .claims
                .iter()
                .filter(|c| c.institution == ix || claimed_family.contains(&c.institution))
                .map(|c| c.evidence.as_str())
                .next()
                .unwrap_or_default()
                .to_string();
            s.findings
                .push(Finding::new("CLAIMS_INSTITUTION", evidence).institution(&self.inst(ix).id));
            // The registry names the institution: the generic name adds nothing.
            s.findings.retain(|f| f.code != "CLAIMS_HEALTH_INSTITUTION");
        }
        for (finding, owner) in link_findings {
            let finding = match (&finding.code[..], owner, claimed) {
                ("LINK_UNOFFICIAL", _, Some(c)) => {
                    s.findings.push(finding.clone());
                    Finding::new("LINK_NOT_OF_CLAIMED", finding.evidence.clone()).institution(&self.inst(c).id)
                }
                ("LINK_OFFICIAL", Some(o), Some(_)) if !claimed_family.contains(&o) => {
                    s.findings.push(finding.clone());
                    continue;
                }
                _ => finding,
            };
            s.findings.push(finding);
        }
        self.judge_phones(&mut s, claimed, claimed_family);
        if let (Some(number), Some(c)) = (&s.sender_is_number, claimed) {
            let official = phones::parse(number, "PL").is_some_and(|h| {
                self.phones
                    .get(&h.e164)
                    .is_some_and(|(ix, _)| claimed_family.contains(ix))
            });
            if !official {
                s.findings
                    .push(Finding::new("SENDER_ORDINARY_NUMBER", number.clone()).institution(&self.inst(c).id));
            }
        }

        // Lures: one finding per kind, the first phrase as evidence.
        let mut lure_kinds: Vec<LureKind> = Vec::new();
        let mut lure_langs: Vec<(Lang, usize)> = Lang::ALL.iter().map(|l| (*l, 0)).collect();
        // The language from the text's own words (not from the lures found in it); the
        // lures' votes decide only when the words do not.
        let from_text = crate::lang::detect(&s.language_sample, &[]);
        let text_language = from_text.filter(|_| long_enough_for_language(&s.language_sample));
        for (kind, phrase, lang) in &s.lures {
            if false_friend(phrase, *lang, text_language) {
                continue;
            }
            if let Some(v) = lure_langs.iter_mut().find(|(l, _)| Some(*l) == lang.explained()) {
                v.1 += 1;
            }
            if !lure_kinds.contains(kind) {
                lure_kinds.push(*kind);
                s.findings.push(
                    Finding::new(&format!("LURE_{}", kind.name().to_ascii_uppercase()), phrase.clone())
                        .param("lure", kind.name()),
                );
            }
        }
        if unofficial_links > 0 {
            lure_kinds.push(LureKind::Link);
        }
        lure_kinds.sort();

        // Declared policies of the claimed institution and its parents.
        if let Some(c) = claimed {
            self.judge_policies(&mut s, c, channel, &lure_kinds);
        }
        // Advisories.
        self.judge_advisories(&mut s);

        let message_language = from_text.or_else(|| crate::lang::by_lexicon_votes(&lure_langs));
        let mut findings = s.findings;
        let score = self.scorer.score(&mut findings, s.kind);
        let positive = findings.iter().any(|f| f.weight > 0.0);
        let authenticated = s
            .authenticated_as
            .filter(|ix| claimed.is_none_or(|c| self.family(c).contains(ix)));
        let verdict = if score >= self.catalogue.phishing {
            Verdict::Phishing
        } else if score >= self.catalogue.suspicious {
            Verdict::Suspicious
        } else if authenticated.is_some() && !positive {
            Verdict::Official
        } else {
            Verdict::Unverified
        };
        findings.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        // Quoted to people and stored with reports: a finding never carries more than a
        // bounded piece of the input (a 400 KB link or sender name once made a report of
        // megabytes).
        for f in &mut findings {
            cap_evidence(&mut f.evidence);
            for (_, v) in &mut f.params {
                cap_evidence(v);
            }
        }
        Analysis {
            kind: s.kind,
            verdict,
            score: (score * 100.0).round() / 100.0,
            institution: claimed.or(authenticated).map(|ix| self.inst(ix).id.clone()),
            findings,
            message_language,
            lures: lure_kinds,
            authenticated_as: authenticated.map(|ix| self.inst(ix).id.clone()),
        }
    }

    fn judge_link(
        &self,
        s: &mut Signals,
        link: &Link,
        out: &mut Vec<(Finding, Option<usize>)>,
        unofficial: &mut usize,
        official: &mut BTreeSet<usize>,
    ) {
        let shown = if link.is_email {
            link.raw.clone()
        } else {
            healthguard_domains::to_unicode(&link.host)
        };
        // Advisory indicator domains: the host or any parent.
        let mut host = link.host.as_str();
        loop {
            if let Some(&slot) = self.advisory_domains.get(host) {
                s.advisory_hits.push((slot, link.host.clone()));
                let (ix, ax) = self.advisories[slot];
                let adv = &self.inst(ix).advisories[ax];
                out.push((
                    Finding::new("ADVISORY_DOMAIN", shown.clone())
                        .institution(&self.inst(ix).id)
                        .param("advisory", &adv.id)
                        .param("date", &adv.date),
                    None,
                ));
                break;
            }
            match host.split_once('.') {
                Some((_, rest)) if rest.contains('.') => host = rest,
                _ => break,
            }
        }
        self.judge_listing(link, &shown, out);
        if link.is_ip {
            *unofficial += 1;
            out.push((Finding::new("IP_ADDRESS_URL", link.raw.clone()), None));
            out.push((Finding::new("LINK_UNOFFICIAL", link.raw.clone()), None));
            return;
        }
        if link.host.split('.').any(|l| l.starts_with("xn--")) {
            out.push((
                Finding::new("PUNYCODE_DOMAIN", format!("{} ({})", shown, link.host)),
                None,
            ));
        }
        match self.domains.check(&link.host) {
            Assessment::Official { domain, owner } => {
                let confidence = self.domain_confidence.get(&domain).copied().unwrap_or(Confidence::Low);
                match self.index_of(&owner) {
                    Some(ix) if confidence.can_authenticate() => {
                        official.insert(ix);
                        out.push((Finding::new("LINK_OFFICIAL", shown).institution(owner), Some(ix)));
                    }
                    // A low-confidence domain (e.g. a legacy site that may have lapsed and been
                    // re-registered) is not trusted: judged like any other foreign link.
                    _ => {
                        *unofficial += 1;
                        out.push((Finding::new("LINK_UNOFFICIAL", shown), None));
                    }
                }
            }
            Assessment::Lookalike(l) => {
                *unofficial += 1;
                let code = match l.technique {
                    Technique::Homoglyph | Technique::MixedScript => "HOMOGLYPH_DOMAIN",
                    Technique::OfficialSubdomain => "OFFICIAL_NAME_IN_FOREIGN_DOMAIN",
                    Technique::SuffixImitation => "IMITATES_RESTRICTED_SUFFIX",
                    _ => "LOOKALIKE_DOMAIN",
                };
                if let Some(ix) = self.index_of(&l.owner) {
                    s.claims.push(Claim {
                        institution: ix,
                        evidence: shown.clone(),
                        strength: 2,
                    });
                }
                out.push((
                    Finding::new(code, shown.clone())
                        .institution(&l.owner)
                        .param("target", &l.imitates)
                        .param("technique", l.technique.name()),
                    None,
                ));
                out.push((Finding::new("LINK_UNOFFICIAL", shown), None));
            }
            Assessment::Unrelated => {
                *unofficial += 1;
                if healthguard_domains::is_mixed_script(&healthguard_domains::to_unicode(&link.host)) {
                    out.push((Finding::new("MIXED_SCRIPT_DOMAIN", shown.clone()), None));
                }
                match self.domains.classify_host(&link.host) {
                    HostKind::Shortener => out.push((Finding::new("URL_SHORTENER", shown.clone()), None)),
                    HostKind::FreeHosting => out.push((Finding::new("FREE_HOSTING", shown.clone()), None)),
                    HostKind::FileHosting => out.push((Finding::new("FILE_HOSTING", shown.clone()), None)),
                    HostKind::IpAddress | HostKind::Ordinary => {}
                }
                if let Some(word) = self.domains.health_bait(&link.host) {
                    out.push((
                        Finding::new("HEALTH_BAIT_HOST", shown.clone()).param("word", word),
                        None,
                    ));
                }
                out.push((Finding::new("LINK_UNOFFICIAL", shown), None));
            }
        }
    }

    /// `LINK_LISTED` when a feed lists the link's host or a parent (never for a registry
    /// domain, whatever the feed says).
    fn judge_listing(&self, link: &Link, shown: &str, out: &mut Vec<(Finding, Option<usize>)>) {
        let Some(hit) = self.listings().and_then(|l| l.listed(&link.host)) else {
            return;
        };
        if matches!(self.domains.check(&link.host), Assessment::Official { .. }) {
            return;
        }
        out.push((
            Finding::new("LINK_LISTED", shown)
                .param("target", hit.feed)
                .param("entry", hit.entry),
            None,
        ));
    }

    fn judge_phones(&self, s: &mut Signals, claimed: Option<usize>, family: &BTreeSet<usize>) {
        let expected_country = claimed.map(|c| self.inst(c).country.clone());
        let phones = std::mem::take(&mut s.phones);
        for p in &phones {
            if let Some(&(ix, confidence)) = self.phones.get(&p.e164) {
                if claimed.is_none() || family.contains(&ix) {
                    if confidence.can_authenticate() {
                        s.findings
                            .push(Finding::new("PHONE_OFFICIAL", p.e164.clone()).institution(&self.inst(ix).id));
                        if s.kind == InputKind::Phone {
                            s.authenticated_as = Some(ix);
                        }
                    }
                    continue;
                }
            }
            if p.premium {
                s.findings.push(Finding::new("PHONE_PREMIUM_RATE", p.raw.clone()));
            } else if p.service_charge {
                s.findings.push(Finding::new("PHONE_SERVICE_CHARGE", p.raw.clone()));
            }
            if let (Some(expected), Some(region)) = (&expected_country, &p.region) {
                if expected != region {
                    s.findings
                        .push(Finding::new("PHONE_FOREIGN", format!("{} ({region})", p.raw)));
                }
            } else if s.kind == InputKind::Phone {
                if let Some(region) = p.region.as_deref().filter(|r| *r != "PL" && *r != "RO") {
                    s.findings
                        .push(Finding::new("PHONE_FOREIGN", format!("{} ({region})", p.raw)));
                }
            }
            if let Some(c) = claimed {
                s.findings
                    .push(Finding::new("PHONE_NOT_OF_CLAIMED", p.raw.clone()).institution(&self.inst(c).id));
            }
        }
    }

    fn judge_policies(
        &self,
        s: &mut Signals,
        claimed: usize,
        channel: Option<healthguard_registry::Channel>,
        lures: &[LureKind],
    ) {
        for &ix in self.lineage(claimed) {
            let inst = self.inst(ix);
            for policy in &inst.policies {
                let inherited = ix != claimed;
                if !policy.provenance.confidence.can_authenticate() || (inherited && !policy.children) {
                    continue;
                }
                let applies = policy.channels.is_empty() || channel.is_none_or(|c| policy.channels.contains(&c));
                if !applies {
                    continue;
                }
                if let Some(kind) = policy.never.iter().find(|k| lures.contains(k)) {
                    let evidence = s
                        .lures
                        .iter()
                        .find(|(k, _, _)| k == kind)
                        .map(|(_, p, _)| p.clone())
                        .or_else(|| {
                            s.findings
                                .iter()
                                .find(|f| f.code == "LINK_UNOFFICIAL")
                                .map(|f| f.evidence.clone())
                        })
                        .unwrap_or_default();
                    s.findings.push(
                        Finding::new("POLICY_VIOLATION", evidence)
                            .institution(&inst.id)
                            .param("policy", &policy.id)
                            .param("lure", kind.name()),
                    );
                }
            }
        }
    }

    fn judge_advisories(&self, s: &mut Signals) {
        let mut per_slot: HashMap<usize, Vec<String>> = HashMap::new();
        for (slot, evidence) in &s.advisory_hits {
            per_slot.entry(*slot).or_default().push(evidence.clone());
        }
        let mut slots: Vec<_> = per_slot.into_iter().collect();
        slots.sort_by_key(|(slot, _)| *slot);
        for (slot, evidence) in slots {
            let (ix, ax) = self.advisories[slot];
            let adv = &self.inst(ix).advisories[ax];
            let phrase_hits = evidence.iter().filter(|e| !adv.indicators.domains.contains(e)).count();
            let sender_hit = evidence
                .iter()
                .any(|e| adv.indicators.senders.contains(&e.to_lowercase()));
            if sender_hit || phrase_hits >= adv.min_phrases {
                s.findings.push(
                    Finding::new("ADVISORY_MATCH", evidence.join(", "))
                        .institution(&self.inst(ix).id)
                        .param("advisory", &adv.id)
                        .param("date", &adv.date),
                );
            }
        }
    }

    /// The claimed institution: the strongest claim, then the most mentioned.
    fn pick_claim(&self, claims: &[Claim]) -> Option<usize> {
        let mut score: HashMap<usize, (u8, usize)> = HashMap::new();
        for c in claims {
            let e = score.entry(c.institution).or_default();
            e.0 = e.0.max(c.strength);
            e.1 += 1;
        }
        let mut ranked: Vec<(usize, (u8, usize))> = score.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.first().map(|(ix, _)| *ix)
    }

    /// The institution, its parents, and its children (built in [`Checker::with_data`]).
    fn family(&self, ix: usize) -> &BTreeSet<usize> {
        &self.families[ix]
    }

    /// Computes [`Checker::family`].
    fn family_of(&self, ix: usize) -> BTreeSet<usize> {
        let mut out: BTreeSet<usize> = self.lineage(ix).iter().copied().collect();
        let ids: Vec<String> = out.iter().map(|&i| self.inst(i).id.clone()).collect();
        for (child, inst) in self.registry.institutions.iter().enumerate() {
            if inst.parent.as_ref().is_some_and(|p| ids.contains(p)) {
                out.insert(child);
            }
        }
        out
    }

    /// The institution and its parents, nearest first (built in [`Checker::with_data`]).
    fn lineage(&self, ix: usize) -> &[usize] {
        &self.lineages[ix]
    }

    /// Computes [`Checker::lineage`].
    fn lineage_of(&self, ix: usize) -> Vec<usize> {
        let mut out = vec![ix];
        let mut current = ix;
        while let Some(parent) = self.inst(current).parent.as_ref().and_then(|p| self.index_of(p)) {
            if out.contains(&parent) {
                break;
            }
            out.push(parent);
            current = parent;
        }
        out
    }
}

/// Records that the message presents itself as a health institution by a generic name
/// (once per message): what it asks is then judged as a claim, even where the registry does
/// not know the institution.
fn add_health_claim(s: &mut Signals, evidence: &str) {
    if !s.findings.iter().any(|f| f.code == "CLAIMS_HEALTH_INSTITUTION") {
        s.findings.push(Finding::new("CLAIMS_HEALTH_INSTITUTION", evidence));
    }
}
