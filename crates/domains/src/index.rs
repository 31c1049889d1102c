//! The look-alike index: built once from the protected list, then read-only.

use crate::buf::Buf;
use crate::edit;
use crate::fold;
use crate::hash::Table;
use crate::host::{self, label_starts};
use crate::lists::HostLists;
use crate::signals::{Signals, WordInfo};
use crate::{Assessment, HostKind, Lookalike, Protected, Technique};
use psl::{Psl as _, Type};
use unicode_security::MixedScript;

/// Most tokens of one host that the token rules look at.
const MAX_TOKENS: usize = 48;
/// Longest run of adjacent tokens joined to find a brand ("e" + "zdrowie").
const MAX_SPAN: usize = 3;
/// Shortest name (and look-alike) for one-edit matching.
const MIN_TYPO_LEN: usize = 5;
/// Shortest name for two-edit matching.
const MIN_TYPO2_LEN: usize = 9;
/// Characters a name must have beyond the prefix it shares with its family.
const MIN_DISTINCT_TAIL: usize = 3;

/// How much a protected name says on its own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// One or two characters ("mz", "ms"): also English abbreviations.
    Two,
    /// Three or four characters ("nfz", "cez", "cnas", "dnsc").
    Short,
    /// An ordinary word ("pacjent", "gabinet").
    Generic,
    /// Long and not a word ("ezdrowie", "nfz-warszawa", "cascluj").
    Distinctive,
}

impl Class {
    fn weak(self) -> bool {
        self != Class::Distinctive
    }
}

/// One protected domain with what the rules need about it.
#[derive(Debug)]
struct Entry {
    domain: String,
    owner: String,
    include_subdomains: bool,
    /// The label before the effective suffix ("nfz" for nfz.gov.pl); empty when the
    /// protected domain has more labels than that (those only get exact matching).
    name: String,
    /// The name without hyphens (the brand key: "nfzwarszawa").
    key: String,
    /// Effective suffix: the public suffix, or a longer restricted suffix.
    suffix: String,
    /// Two-letter country code of the suffix ("pl"), when it has one.
    cc: Option<String>,
    /// Country bit (signals) for the country tokens.
    cc_bit: u32,
    /// Language bits whose lure words count.
    lure_bits: u32,
    /// Language bits whose health words count.
    health_bits: u32,
    class: Class,
    /// Eligible for edit-distance matching.
    typo: bool,
}

/// What the public suffix of a host is like (TLD classes are looked up only when a rule
/// needs them).
struct SuffixInfo<'a> {
    suffix: &'a str,
    last: &'a str,
    private: bool,
}

/// How a protected name may appear under another suffix.
#[derive(Clone, Copy)]
enum Ctx {
    /// The same name (or a homoglyph of it) under another suffix.
    Swap,
    /// A one- or two-edit variant.
    Typo,
    /// The name among other tokens.
    Combo,
}

/// Result of the official lookup.
enum Official {
    Yes(u32),
    /// Under a protected domain that does not cover subdomains: the owner's namespace.
    Owned,
}

/// Index of protected domains answering "official, look-alike or unrelated?".
///
/// Built once with [`DomainIndex::new`]; [`DomainIndex::check`] takes `&self` and keeps no
/// state, so one index can be shared between threads.
pub struct DomainIndex {
    entries: Vec<Entry>,
    /// Protected domain → entries.
    official: Table<Vec<u32>>,
    /// First label of a protected domain → entries (official names under foreign domains).
    first_label: Table<Vec<u32>>,
    /// Name → entries (TLD swap).
    exact: Table<Vec<u32>>,
    /// Name without hyphens → entries (brand tokens, hyphenation).
    brand: Table<Vec<u32>>,
    /// Confusable-folded name → entries (ASCII homoglyphs).
    folded: Table<Vec<u32>>,
    /// Name and each of its one-character deletions → entries (one-edit matching).
    del1: Table<Vec<u32>>,
    /// Hyphenated name written with dots plus suffix → entry ("nfz.olsztyn.pl").
    dotted: Table<u32>,
    /// First hyphen token of a long name → entries (gate for two-edit matching).
    first_token: Table<Vec<u32>>,
    /// Suffixes nobody but public bodies can register under (given + implicit `gov.<cc>`).
    restricted: Vec<String>,
    signals: Signals,
    /// The gov-like words alone (a more selective filter than all signal words).
    gov_words: Table<()>,
    /// Words that may be glued to a protected name (signal words of two letters or more).
    glue: Table<()>,
    /// Distinct lengths of brand keys of two letters or more, longest first.
    brand_lens: Vec<usize>,
    /// Brand keys of edit-eligible names: split off whatever follows them
    /// (ezdrowieportal, mobywatelinfo).
    glue_any: Table<()>,
    /// The same, for whatever precedes them (infomobywatel), without keys that end in an
    /// ordinary word (ezdrowie: dobrezdrowie is a health magazine).
    glue_any_back: Table<()>,
    /// Distinct lengths of `glue_any` keys, longest first.
    glue_any_lens: Vec<usize>,
    /// First and last bytes of brand keys and glue words (cheap gate for glue splitting).
    glue_bytes: GlueBytes,
    lists: HostLists,
    min_typo: usize,
    max_typo: usize,
    min_domain: usize,
}

impl std::fmt::Debug for DomainIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainIndex")
            .field("protected", &self.entries.len())
            .field("restricted", &self.restricted)
            .finish_non_exhaustive()
    }
}

fn psl_suffix(h: &str) -> Option<(&str, bool)> {
    let s = psl::List.suffix(h.as_bytes())?;
    let private = s.typ() == Some(Type::Private);
    let bytes = s.as_bytes();
    let suffix = std::str::from_utf8(bytes).ok()?;
    Some((suffix.strip_suffix('.').unwrap_or(suffix), private))
}

/// The part of `s` before the first `sep` (all of `s` when there is none).
#[inline]
fn before_byte(s: &str, sep: u8) -> &str {
    match s.as_bytes().iter().position(|&c| c == sep) {
        Some(p) => &s[..p],
        None => s,
    }
}

/// The last label of `s`.
#[inline]
fn after_last_dot(s: &str) -> &str {
    match s.as_bytes().iter().rposition(|&c| c == b'.') {
        Some(p) => &s[p + 1..],
        None => s,
    }
}

/// True when `h` is `r` or ends with `.r`.
#[inline]
fn is_under(h: &str, r: &str) -> bool {
    h.len() >= r.len() && h.ends_with(r) && (h.len() == r.len() || h.as_bytes()[h.len() - r.len() - 1] == b'.')
}

fn two_letter_cc(suffix: &str) -> Option<String> {
    let last = suffix.rsplit('.').next()?;
    (last.len() == 2 && last.bytes().all(|b| b.is_ascii_lowercase())).then(|| last.to_owned())
}

/// Length of the longest prefix `name` shares with at least two other names.
fn family_prefix(name: &str, all: &[String]) -> usize {
    let nb = name.as_bytes();
    let mut best = 0;
    for k in (1..=nb.len()).rev() {
        let p = &nb[..k];
        let n = all
            .iter()
            .filter(|o| o.as_str() != name && o.as_bytes().starts_with(p))
            .count();
        if n >= 2 {
            best = k;
            break;
        }
    }
    best
}

/// Necessary condition for an optimal-string-alignment distance of at most two: lengths
/// within two and byte histograms differing by at most four (each edit changes at most two
/// counts by one). Rejects almost every pair without the quadratic distance.
fn within_two_edits_cheap(a: &[u8], b: &[u8]) -> bool {
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let mut hist = [0i16; 256];
    for &x in a {
        hist[x as usize] += 1;
    }
    for &x in b {
        hist[x as usize] -= 1;
    }
    // Sum |count| over the bytes that occur, each byte once (its count is zeroed when read).
    let mut diff = 0u32;
    for &x in a.iter().chain(b) {
        diff += u32::from(hist[x as usize].unsigned_abs());
        hist[x as usize] = 0;
    }
    diff <= 4
}

/// A set of bytes.
#[derive(Default, Clone, Copy)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn set(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }

    #[inline]
    fn has(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }
}

/// First and last bytes of protected names and of glue words.
#[derive(Default)]
struct GlueBytes {
    brand_first: ByteSet,
    brand_last: ByteSet,
    word_first: ByteSet,
    word_last: ByteSet,
}

/// An internationalised host read as Latin letters.
struct LatinReading {
    /// The host with every punycode label replaced by its Latin reading (when valid).
    host: String,
    /// Homoglyph, or mixed-script when a label mixes scripts.
    glyph: Technique,
    /// A non-Latin confusable (not just a diacritic) was read as a Latin letter.
    confusable: bool,
    /// The registrable label was changed by the reading.
    reg_changed: bool,
}

/// Token byte ranges of a host's name part.
struct Tokens {
    spans: [(u16, u16); MAX_TOKENS],
    n: usize,
    /// Byte offset where the registrable label starts.
    reg_start: usize,
}

impl Tokens {
    #[inline]
    fn get<'a>(&self, s: &'a str, i: usize) -> &'a str {
        let (a, b) = self.spans[i];
        &s[a as usize..b as usize]
    }

    /// True when tokens `i` and `j` are in the same label.
    fn same_label(&self, s: &str, i: usize, j: usize) -> bool {
        let (a, b) = (i.min(j), i.max(j));
        !s.as_bytes()[self.spans[a].0 as usize..self.spans[b].1 as usize].contains(&b'.')
    }

    /// True when token `i` is in the registrable label.
    fn in_reg(&self, i: usize) -> bool {
        self.spans[i].0 as usize >= self.reg_start
    }

    #[inline]
    fn push(&mut self, a: usize, b: usize) {
        if self.n < MAX_TOKENS && a < b {
            self.spans[self.n] = (a as u16, b as u16);
            self.n += 1;
        }
    }
}

impl DomainIndex {
    /// Builds the index.
    ///
    /// `protected` domains are normalised (case, trailing dot, IDNA); entries that are not
    /// valid host names (or are IP literals) are skipped, and a repeated domain keeps its
    /// first owner. `restricted_suffixes` are suffixes only public bodies can
    /// register under (for example `["gov.pl"]`); `gov.<cc>` of every protected country code
    /// is added, because such a name (gov.ro) is held by that country's government.
    pub fn new(protected: Vec<Protected>, restricted_suffixes: &[&str]) -> DomainIndex {
        let signals = Signals::embedded();
        let mut restricted: Vec<String> = restricted_suffixes
            .iter()
            .filter_map(|r| host::to_ascii_owned(r))
            .collect();
        let mut raw: Vec<(String, String, bool)> = Vec::new();
        for p in protected {
            if let Some(d) = host::to_ascii_owned(&p.domain) {
                if !host::is_ip_literal(&d) && !raw.iter().any(|(x, _, _)| *x == d) {
                    raw.push((d, p.owner, p.include_subdomains));
                }
            }
        }
        for (d, _, _) in &raw {
            if let Some(cc) = psl_suffix(d).and_then(|(s, _)| two_letter_cc(s)) {
                let g = format!("gov.{cc}");
                if !restricted.contains(&g) {
                    restricted.push(g);
                }
            }
        }
        restricted.sort();
        restricted.dedup();

        let en = signals.bit("en");
        let mut entries = Vec::with_capacity(raw.len());
        for (domain, owner, include_subdomains) in raw {
            let psl = psl_suffix(&domain).map(|(s, _)| s.to_owned());
            let mut suffix = psl.unwrap_or_default();
            // An institution that holds a public suffix of its own (nhs.uk is one in the
            // PSL): its first label is its name, the rest its suffix. Never a gov-like label.
            if suffix == domain && !restricted.contains(&domain) {
                if let Some((first, rest)) = domain.split_once('.') {
                    if !signals.get(first).gov && rest.contains(|c: char| c.is_ascii_alphabetic()) {
                        suffix = rest.to_owned();
                    }
                }
            }
            for r in &restricted {
                if r.len() > suffix.len() && is_under(&domain, r) && domain != *r {
                    suffix = r.clone();
                }
            }
            let under_restricted = restricted.contains(&suffix);
            let name = if domain.len() > suffix.len() + 1 && is_under(&domain, &suffix) {
                let head = &domain[..domain.len() - suffix.len() - 1];
                match head.rsplit_once('.') {
                    None => head.to_owned(),
                    // Under a restricted suffix the label right above it is the public
                    // body's name (mobywatel for info.mobywatel.gov.pl); elsewhere the
                    // registrable domain may be a hosting provider's (casbh.rdsor.ro).
                    Some((_, last)) if under_restricted => last.to_owned(),
                    Some(_) => String::new(),
                }
            } else {
                String::new()
            };
            // The website of the body that holds a suffix of its own (www.nhs.uk under the
            // restricted nhs.uk): "www" is no name, the suffix's own label is.
            let (name, suffix) = match suffix.split_once('.') {
                Some((first, rest)) if signals.get(&name).ignore && !signals.get(first).gov => {
                    (first.to_owned(), rest.to_owned())
                }
                _ => (name, suffix),
            };
            let cc = two_letter_cc(&suffix);
            let home = cc.as_deref().map_or(0, |c| signals.bit(c));
            let info = signals.get(&name);
            let plain_len = name.bytes().filter(|&b| b != b'-').count();
            let class = if info.generic || signals.get(&name.replace('-', "")).generic {
                Class::Generic
            } else if plain_len <= 2 {
                Class::Two
            } else if plain_len <= 4 {
                Class::Short
            } else {
                Class::Distinctive
            };
            // Two-letter names are English abbreviations too (MS, MZ): English words do not
            // tell which one is meant.
            let en_bit = if class == Class::Two { 0 } else { en };
            entries.push(Entry {
                domain,
                owner,
                include_subdomains,
                key: name.replace('-', ""),
                name,
                suffix,
                cc,
                cc_bit: home,
                lure_bits: home | en_bit,
                health_bits: home | en_bit,
                class,
                typo: false,
            });
        }
        let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        for e in &mut entries {
            let len = e.name.len();
            e.typo = e.class == Class::Distinctive
                && e.name.is_ascii()
                && !e.name.starts_with("xn--")
                && len >= MIN_TYPO_LEN
                && len - family_prefix(&e.name, &names) >= MIN_DISTINCT_TAIL;
        }

        let mut idx = DomainIndex {
            entries: Vec::new(),
            official: Table::default(),
            first_label: Table::default(),
            exact: Table::default(),
            brand: Table::default(),
            folded: Table::default(),
            del1: Table::default(),
            dotted: Table::default(),
            first_token: Table::default(),
            restricted,
            gov_words: signals.gov_words(),
            glue: signals.glue_words(),
            brand_lens: Vec::new(),
            glue_any: Table::default(),
            glue_any_back: Table::default(),
            glue_any_lens: Vec::new(),
            glue_bytes: GlueBytes::default(),
            signals,
            lists: HostLists::embedded(),
            min_typo: usize::MAX,
            max_typo: 0,
            min_domain: usize::MAX,
        };
        for (i, e) in entries.iter().enumerate() {
            let i = i as u32;
            idx.official.push_unique(e.domain.as_bytes(), i);
            let first = e.domain.split('.').next().unwrap_or("");
            idx.first_label.push_unique(first.as_bytes(), i);
            idx.min_domain = idx.min_domain.min(e.domain.len());
            if e.name.is_empty() {
                continue;
            }
            idx.exact.push_unique(e.name.as_bytes(), i);
            idx.brand.push_unique(e.name.replace('-', "").as_bytes(), i);
            let key = e.name.replace('-', "");
            let mut fb = Buf::new();
            for form in [e.name.as_str(), key.as_str()] {
                if fold::fold_ascii(form.as_bytes(), &mut fb) {
                    idx.folded.push_unique(fb.as_bytes(), i);
                }
            }
            if e.typo {
                let ends_generic = (1..key.len()).any(|k| idx.signals.get(&key[k..]).generic);
                let starts_generic = (1..key.len()).any(|k| idx.signals.get(&key[..k]).generic);
                if !starts_generic {
                    idx.glue_any.entry_or(key.as_bytes(), || ());
                }
                if !ends_generic {
                    idx.glue_any_back.entry_or(key.as_bytes(), || ());
                }
                for form in [e.name.as_bytes(), key.as_bytes()] {
                    idx.del1.push_unique(form, i);
                    for k in 0..form.len() {
                        let mut d = Vec::with_capacity(form.len() - 1);
                        d.extend_from_slice(&form[..k]);
                        d.extend_from_slice(&form[k + 1..]);
                        idx.del1.push_unique(&d, i);
                    }
                }
                let n = e.name.as_bytes();
                idx.min_typo = idx.min_typo.min(n.len());
                idx.max_typo = idx.max_typo.max(n.len());
                if n.len() >= MIN_TYPO2_LEN {
                    if let Some((t, _)) = e.name.split_once('-') {
                        idx.first_token.push_unique(t.as_bytes(), i);
                    }
                }
            }
            if e.name.contains('-') {
                let dotted = format!("{}.{}", e.name.replace('-', "."), e.suffix);
                idx.dotted.entry_or(dotted.as_bytes(), || i);
            }
        }
        let mut lens: Vec<usize> = entries
            .iter()
            .filter(|e| !e.name.is_empty())
            .map(|e| e.name.bytes().filter(|&b| b != b'-').count())
            .filter(|l| *l >= 2)
            .collect();
        lens.sort_unstable_by(|a, b| b.cmp(a));
        lens.dedup();
        idx.brand_lens = lens;
        let mut any_lens: Vec<usize> = idx
            .glue_any
            .iter()
            .chain(idx.glue_any_back.iter())
            .map(|(k, _)| k.len())
            .collect();
        any_lens.sort_unstable_by(|a, b| b.cmp(a));
        any_lens.dedup();
        idx.glue_any_lens = any_lens;
        for e in entries.iter().filter(|e| e.name.len() >= 2) {
            let b = e.name.as_bytes();
            idx.glue_bytes.brand_first.set(b[0]);
            idx.glue_bytes.brand_last.set(b[b.len() - 1]);
        }
        for (w, _) in idx.glue.iter() {
            idx.glue_bytes.word_first.set(w[0]);
            idx.glue_bytes.word_last.set(w[w.len() - 1]);
        }
        idx.entries = entries;
        idx
    }

    /// Number of protected domains in the index.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no protected domain was accepted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The restricted suffixes in force (the given ones plus `gov.<cc>` of every protected
    /// country code), lower-case ASCII.
    pub fn restricted_suffixes(&self) -> &[String] {
        &self.restricted
    }

    /// The health word that makes `host` a health bait host (a fake pharmacy's shape: a
    /// health word on a cheap TLD or beside offer and account words), if it is; see
    /// `bait.rs`. Registry domains are the caller's to exclude.
    pub fn health_bait(&self, host: &str) -> Option<&'static str> {
        crate::bait::health_bait(host, &self.signals)
    }

    /// Same as [`crate::classify_host`], with the lists held in hash tables.
    pub fn classify_host(&self, host: &str) -> HostKind {
        self.lists.classify(host)
    }

    /// Assesses a host as found in a link: any case, Unicode or punycode, optional trailing
    /// dot, no port. Never panics; invalid input is [`Assessment::Unrelated`].
    pub fn check(&self, host: &str) -> Assessment {
        // IP literals: bracketed or bare IPv6 fails both normalisations below; IPv4 (also
        // hexadecimal, also written with full-width digits) ends in a numeric label.
        match host::fast(host) {
            host::Fast::Ascii(buf) if host::numeric_last_label(buf.as_str()) => Assessment::Unrelated,
            host::Fast::Ascii(buf) => self.check_ascii(buf.as_str(), false),
            host::Fast::Idna => match host::to_ascii_owned(host) {
                Some(a) if host::numeric_last_label(&a) => Assessment::Unrelated,
                Some(a) => {
                    let idn = host::contains_xn(&a);
                    self.check_ascii(&a, idn)
                }
                None => Assessment::Unrelated,
            },
            host::Fast::Invalid => Assessment::Unrelated,
        }
    }

    fn check_ascii(&self, a: &str, idn: bool) -> Assessment {
        match self.official_of(a) {
            Some(Official::Yes(i)) => {
                let e = &self.entries[i as usize];
                return Assessment::Official {
                    domain: e.domain.clone(),
                    owner: e.owner.clone(),
                };
            }
            Some(Official::Owned) => return Assessment::Unrelated,
            None => {}
        }
        let found = if self.in_restricted(a) {
            // Another public body, unless it reads as an official domain (pаcjent.gov.pl with
            // a Cyrillic а): no public body registers a confusable of another's name.
            if idn {
                self.reads_as_official(a)
            } else {
                None
            }
        } else {
            match self.analyze(a) {
                Some(f) => Some(f),
                None if idn => self.analyze_idn(a),
                None => None,
            }
        };
        match found {
            Some((i, technique)) => {
                let e = &self.entries[i as usize];
                Assessment::Lookalike(Lookalike {
                    host: a.to_owned(),
                    display: crate::to_unicode(a),
                    imitates: e.domain.clone(),
                    owner: e.owner.clone(),
                    technique,
                })
            }
            None => Assessment::Unrelated,
        }
    }

    /// Official or owner's namespace lookup over the host and its parents.
    fn official_of(&self, h: &str) -> Option<Official> {
        for start in label_starts(h) {
            let p = &h[start..];
            if p.len() < self.min_domain {
                break;
            }
            if let Some(list) = self.official.get(p.as_bytes()) {
                if start == 0 {
                    return Some(Official::Yes(list[0]));
                }
                if let Some(&i) = list.iter().find(|&&i| self.entries[i as usize].include_subdomains) {
                    return Some(Official::Yes(i));
                }
                return Some(Official::Owned);
            }
        }
        None
    }

    fn in_restricted(&self, h: &str) -> bool {
        self.restricted.iter().any(|r| is_under(h, r))
    }

    fn suffix_ok(&self, e: &Entry, si: &SuffixInfo<'_>, ctx: Ctx) -> bool {
        if si.suffix == e.suffix {
            return true;
        }
        let home = e.cc.as_deref() == Some(si.last) && !si.private;
        let tld = self.signals.get(si.last);
        let (mainstream, abused) = (tld.tld_mainstream, tld.tld_abused);
        match (ctx, e.class) {
            (_, Class::Distinctive) if !matches!(ctx, Ctx::Typo) => true,
            (Ctx::Typo, _) => home || mainstream || abused || si.private,
            (Ctx::Combo, _) => home || mainstream || abused || si.private,
            (Ctx::Swap, Class::Generic) => !si.private && abused,
            (Ctx::Swap, Class::Two) => !si.private && (home || abused),
            (Ctx::Swap, _) => !si.private && (home || abused || mainstream),
        }
    }

    /// All rules on one normalised (lower-case ASCII) host. Returns the entry imitated and
    /// the technique.
    fn analyze(&self, s: &str) -> Option<(u32, Technique)> {
        // 1. An official domain written in full in front of another domain.
        for start in label_starts(s) {
            let rest = &s[start..];
            let label = before_byte(rest, b'.');
            if let Some(list) = self.first_label.get(label.as_bytes()) {
                for &i in list {
                    let d = &self.entries[i as usize].domain;
                    if rest.len() > d.len() && rest.starts_with(d.as_str()) && rest.as_bytes()[d.len()] == b'.' {
                        return Some((i, Technique::OfficialSubdomain));
                    }
                }
            }
        }

        // 2. Split into name part and public suffix.
        let (suffix, private) = psl_suffix(s)?;
        if suffix.len() + 1 >= s.len() {
            return None;
        }
        let name_part = &s[..s.len() - suffix.len() - 1];
        let reg = after_last_dot(name_part);
        let last = after_last_dot(suffix);
        let si = SuffixInfo { suffix, last, private };

        // 3. Dots for hyphens: nfz.olsztyn.pl for nfz-olsztyn.pl.
        if s.bytes().filter(|&b| b == b'.').count() >= 2 {
            for start in label_starts(s) {
                if let Some(&i) = self.dotted.get(&s.as_bytes()[start..]) {
                    return Some((i, Technique::DotForHyphen));
                }
            }
        }

        // 4. The same name under another suffix. When that is not plausible (ms.com,
        // cez.cz, pacjent.pl), the registrable domain belongs to someone else who has the
        // same name, and nothing under it is a look-alike either (ro.ms.com, pl.cez.cz).
        if let Some(list) = self.exact.get(reg.as_bytes()) {
            for &i in list {
                let e = &self.entries[i as usize];
                if si.suffix != e.suffix && self.suffix_ok(e, &si, Ctx::Swap) {
                    return Some((i, Technique::TldSwap));
                }
            }
            return None;
        }

        if reg.is_ascii() && !reg.starts_with("xn--") {
            if let Some(hit) = self.name_edits(reg, &si) {
                return Some(hit);
            }
        }

        // 9. Tokens: combosquats and suffix imitations.
        self.tokens(s, name_part, &si)
    }

    /// Steps 5–8: hyphenation, ASCII homoglyphs, one and two edits of the registrable label.
    fn name_edits(&self, reg: &str, si: &SuffixInfo<'_>) -> Option<(u32, Technique)> {
        let rb = reg.as_bytes();
        let mut buf = Buf::new();

        // 5. Hyphens added or removed (e-zdrowie.pl, nfzwarszawa.pl).
        for &b in rb {
            if b != b'-' {
                buf.push(b);
            }
        }
        if buf.len() >= MIN_TYPO_LEN {
            if let Some(list) = self.brand.get(buf.as_bytes()) {
                for &i in list {
                    let e = &self.entries[i as usize];
                    if e.name != reg && self.suffix_ok(e, si, Ctx::Typo) {
                        return Some((i, Technique::Hyphenation));
                    }
                }
            }
        }

        // 6. ASCII homoglyphs (rn for m, 0 for o, 1 for l, vv for w), also of the label
        // without its hyphens (e-zdr0wie.pl).
        let plain = buf;
        let n = rb.len();
        let mut folded = Buf::new();
        for form in [rb, plain.as_bytes()] {
            if fold::ascii_fold_relevant(form) && fold::fold_ascii(form, &mut folded) {
                if let Some(list) = self.folded.get(folded.as_bytes()) {
                    for &i in list {
                        let e = &self.entries[i as usize];
                        if e.name != reg && self.suffix_ok(e, si, Ctx::Swap) {
                            return Some((i, Technique::Homoglyph));
                        }
                    }
                }
            }
            if plain.len() == n {
                break;
            }
        }

        // 7. One edit of the label, or of the label without its hyphens (e-zdrowle.pl).
        if let Some(hit) = self.one_edit(rb, si) {
            return Some(hit);
        }
        if plain.len() < n {
            if let Some(hit) = self.one_edit(plain.as_bytes(), si) {
                return Some(hit);
            }
        }

        // 8. Two edits of a long name sharing its first token (nfz-wraszava.pl).
        if n >= MIN_TYPO2_LEN - 2 {
            let first = before_byte(reg, b'-');
            if first.len() < reg.len() {
                if let Some(list) = self.first_token.get(first.as_bytes()) {
                    for &i in list {
                        let e = &self.entries[i as usize];
                        if within_two_edits_cheap(rb, e.name.as_bytes())
                            && strsim::osa_distance(reg, &e.name) == 2
                            && self.suffix_ok(e, si, Ctx::Typo)
                        {
                            return Some((i, Technique::Typo));
                        }
                    }
                }
            }
        }
        None
    }

    /// One edit of an edit-eligible name or of its brand key (deletion-neighbourhood lookup,
    /// then the edit is named), under a suffix plausible for typos.
    fn one_edit(&self, cand: &[u8], si: &SuffixInfo<'_>) -> Option<(u32, Technique)> {
        let n = cand.len();
        if n < MIN_TYPO_LEN || n + 1 < self.min_typo || n > self.max_typo + 1 {
            return None;
        }
        let probe = |key: &[u8]| -> Option<(u32, Technique)> {
            let list = self.del1.get(key)?;
            for &i in list {
                let e = &self.entries[i as usize];
                let t = edit::classify(cand, e.name.as_bytes()).or_else(|| edit::classify(cand, e.key.as_bytes()));
                if let Some(t) = t {
                    if self.suffix_ok(e, si, Ctx::Typo) {
                        return Some((i, t));
                    }
                }
            }
            None
        };
        if let Some(hit) = probe(cand) {
            return Some(hit);
        }
        let mut buf = Buf::new();
        for k in 0..n {
            let first = if k == 0 { cand[1] } else { cand[0] };
            let last = if k == n - 1 { cand[n - 2] } else { cand[n - 1] };
            if !self.del1.may_contain_parts(n - 1, first, last) {
                continue;
            }
            buf.clear();
            buf.push_bytes(&cand[..k]);
            buf.push_bytes(&cand[k + 1..]);
            if let Some(hit) = probe(buf.as_bytes()) {
                return Some(hit);
            }
        }
        None
    }

    /// Splits the name part into tokens (on '.', '-', '_'), skipping punycode labels and
    /// splitting gov-like words glued to a protected name.
    fn tokenize(&self, s: &str, name_part: &str) -> Tokens {
        let b = name_part.as_bytes();
        let mut t = Tokens {
            spans: [(0, 0); MAX_TOKENS],
            n: 0,
            reg_start: b.iter().rposition(|&c| c == b'.').map_or(0, |p| p + 1),
        };
        let mut label_start = 0;
        while label_start < b.len() && t.n < MAX_TOKENS {
            let label_end = b[label_start..]
                .iter()
                .position(|&c| c == b'.')
                .map_or(b.len(), |p| label_start + p);
            let label = &b[label_start..label_end];
            if !label.starts_with(b"xn--") {
                let mut tok_start = label_start;
                for (k, &c) in label.iter().chain([&b'-']).enumerate() {
                    if c == b'-' || c == b'_' {
                        let end = label_start + k;
                        if tok_start < end {
                            self.push_segment(&mut t, s, tok_start, end);
                        }
                        tok_start = end + 1;
                    }
                }
            }
            label_start = label_end + 1;
        }
        t
    }

    /// Pushes one hyphen-separated segment: digits at either end of a run of three letters
    /// or more are tokens of their own (client-nfz4471 → client, nfz, 4471), unless the
    /// whole segment is a listed word (www1, p1).
    fn push_segment(&self, t: &mut Tokens, s: &str, a: usize, z: usize) {
        let b = &s.as_bytes()[a..z];
        let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let trail = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        let listed = self.signals.listed(&s[a..z]);
        if lead == b.len() || lead + trail == 0 || b.len() - lead - trail < 3 || listed {
            self.push_token(t, s, a, z);
            return;
        }
        t.push(a, a + lead);
        self.push_token(t, s, a + lead, z - trail);
        t.push(z - trail, z);
    }

    /// Pushes one token, split in two when it is a protected name glued to a signal word
    /// (pacjentgov, govplnfz, nfzzwrot, cnasro; two-letter names only to gov-like words:
    /// mzgov), or `e` glued in front of a protected name of five letters or more (epacjent),
    /// or an edit-eligible name glued to anything of two letters or more (infomobywatel).
    fn push_token(&self, t: &mut Tokens, s: &str, a: usize, z: usize) {
        let tb = &s.as_bytes()[a..z];
        if tb.is_empty() {
            return;
        }
        let (f, l) = (tb[0], tb[tb.len() - 1]);
        let brand_first = self.glue_bytes.brand_first.has(f) && self.glue_bytes.word_last.has(l);
        let brand_last = self.glue_bytes.word_first.has(f) && self.glue_bytes.brand_last.has(l);
        if tb.len() > 3 && (brand_first || brand_last || f == b'e') && !self.brand.contains(tb) {
            for &l in &self.brand_lens {
                if l + 2 > tb.len() {
                    continue;
                }
                // Two-letter names only glue to gov-like words (mzgov, govms).
                let words = if l < 3 { &self.gov_words } else { &self.glue };
                let (p, r) = tb.split_at(l);
                if self.brand.may_contain(p) && words.contains(r) && self.brand.contains(p) {
                    t.push(a, a + l);
                    t.push(a + l, z);
                    return;
                }
                let (r, p) = tb.split_at(tb.len() - l);
                if self.brand.may_contain(p) && words.contains(r) && self.brand.contains(p) {
                    t.push(a, z - l);
                    t.push(z - l, z);
                    return;
                }
            }
            if tb.len() > MIN_TYPO_LEN && tb[0] == b'e' && self.brand.contains(&tb[1..]) {
                t.push(a, a + 1);
                t.push(a + 1, z);
                return;
            }
        }
        if !self.brand.contains(tb) {
            for &l in &self.glue_any_lens {
                if l + 2 > tb.len() {
                    continue;
                }
                if self.glue_any.contains(&tb[..l]) {
                    t.push(a, a + l);
                    t.push(a + l, z);
                    return;
                }
                if self.glue_any_back.contains(&tb[tb.len() - l..]) {
                    t.push(a, z - l);
                    t.push(z - l, z);
                    return;
                }
            }
        }
        t.push(a, z);
    }

    /// Step 9: a protected name as whole token(s) plus what surrounds it.
    fn tokens(&self, s: &str, name_part: &str, si: &SuffixInfo<'_>) -> Option<(u32, Technique)> {
        let toks = self.tokenize(s, name_part);
        let mut best: Option<(usize, u32, Technique)> = None;
        let mut buf = Buf::new();
        for i in 0..toks.n {
            buf.clear();
            for span in 1..=MAX_SPAN.min(toks.n - i) {
                if !buf.push_bytes(toks.get(s, i + span - 1).as_bytes()) {
                    break;
                }
                let Some(list) = self.brand.get(buf.as_bytes()) else {
                    continue;
                };
                for &ei in list {
                    let e = &self.entries[ei as usize];
                    if let Some(t) = self.judge_tokens(e, &toks, s, i, span, si) {
                        if best.is_none_or(|(len, _, _)| buf.len() > len) {
                            best = Some((buf.len(), ei, t));
                        }
                    }
                }
            }
        }
        if let Some((_, i, t)) = best {
            return Some((i, t));
        }
        self.fuzzy_brand(&toks, s, si)
    }

    /// Decides for one brand occurrence at tokens `i..i + span`.
    fn judge_tokens(
        &self,
        e: &Entry,
        toks: &Tokens,
        s: &str,
        i: usize,
        span: usize,
        si: &SuffixInfo<'_>,
    ) -> Option<Technique> {
        let mut extras = 0;
        let mut gov = false;
        let mut signal = false;
        // A short name with any other word or number in its own label (nfz-info,
        // client-nfz4471, mynfz), except provider words before it (apteka-nfz) and words
        // that show another organisation of the same name (cez-energy).
        let mut local = false;
        let mut homonym = false;
        for j in (0..toks.n).filter(|j| !(i..i + span).contains(j)) {
            let tok = toks.get(s, j);
            let w: WordInfo = self.signals.get(tok);
            if w.ignore {
                continue;
            }
            extras += 1;
            if e.class == Class::Short && toks.same_label(s, i, j) {
                homonym |= self.signals.homonym(&e.name, tok);
                local |= !(j < i && w.provider);
            }
            gov |= w.gov;
            signal |= w.country & e.cc_bit != 0 || w.lure & e.lure_bits != 0;
            signal |= j + 1 == i && w.prefix & e.lure_bits != 0;
            if matches!(e.class, Class::Two | Class::Short) {
                signal |= w.health & e.health_bits != 0;
                signal |= self.exact.get(tok.as_bytes()).is_some_and(|l| {
                    l.iter().any(|&o| {
                        let other = &self.entries[o as usize];
                        other.name != e.name && other.class != Class::Generic
                    })
                });
            }
        }
        let local = local && !homonym;
        // Anyone who holds a domain names its subdomains as they like: the suffix only
        // matters for the registrable label.
        let suffix_ok = self.suffix_ok(e, si, Ctx::Combo) || (local && !toks.in_reg(i));
        if extras == 0 || !suffix_ok {
            return None;
        }
        if e.class.weak() && !gov && !signal && !local {
            return None;
        }
        Some(if gov {
            Technique::SuffixImitation
        } else {
            Technique::Combosquat
        })
    }

    /// A one-edit or ASCII-homoglyph variant of an edit-eligible name as one token among
    /// others: next to a gov-like token a suffix imitation (ezdrowei-gov.com), otherwise
    /// named by its edit (ezdrowe-logowanie.com, rnobywatel-oplata.cc).
    fn fuzzy_brand(&self, toks: &Tokens, s: &str, si: &SuffixInfo<'_>) -> Option<(u32, Technique)> {
        let any_gov = (0..toks.n).any(|j| self.gov_words.contains(toks.get(s, j).as_bytes()));
        if !any_gov {
            return self.fuzzy_token(toks, s, si);
        }
        let mut buf = Buf::new();
        for j in 0..toks.n {
            let tok = toks.get(s, j);
            let tb = tok.as_bytes();
            if tb.len() < MIN_TYPO_LEN || !tok.is_ascii() || self.signals.get(tok).gov {
                continue;
            }
            for k in 0..=tb.len() {
                buf.clear();
                if k == tb.len() {
                    buf.push_bytes(tb);
                } else {
                    buf.push_bytes(&tb[..k]);
                    buf.push_bytes(&tb[k + 1..]);
                }
                let Some(list) = self.del1.get(buf.as_bytes()) else {
                    continue;
                };
                for &i in list {
                    let e = &self.entries[i as usize];
                    if edit::classify(tb, e.name.as_bytes()).is_some() && self.suffix_ok(e, si, Ctx::Combo) {
                        return Some((i, Technique::SuffixImitation));
                    }
                }
            }
        }
        None
    }

    /// [`DomainIndex::fuzzy_brand`] without a gov-like token.
    fn fuzzy_token(&self, toks: &Tokens, s: &str, si: &SuffixInfo<'_>) -> Option<(u32, Technique)> {
        if toks.n < 2 {
            return None;
        }
        let mut folded = Buf::new();
        for j in 0..toks.n {
            let tok = toks.get(s, j);
            let tb = tok.as_bytes();
            if tb.len() < MIN_TYPO_LEN || !tok.is_ascii() || self.signals.listed(tok) {
                continue;
            }
            if fold::ascii_fold_relevant(tb) && fold::fold_ascii(tb, &mut folded) {
                if let Some(list) = self.folded.get(folded.as_bytes()) {
                    for &i in list {
                        let e = &self.entries[i as usize];
                        if e.typo && e.key.as_bytes() != tb && self.suffix_ok(e, si, Ctx::Typo) {
                            return Some((i, Technique::Homoglyph));
                        }
                    }
                }
            }
            if let Some(hit) = self.one_edit(tb, si) {
                return Some(hit);
            }
        }
        None
    }

    /// Reads every punycode label of `a` as the Latin letters a reader sees. `None` when
    /// nothing changes or the reading is not a valid host.
    fn latin_reading(&self, a: &str) -> Option<LatinReading> {
        let u = host::unicode_of_ascii(a)?;
        let a_labels: Vec<&str> = a.split('.').collect();
        let u_labels: Vec<&str> = u.split('.').collect();
        if a_labels.len() != u_labels.len() {
            return None;
        }
        let mixed = u_labels.iter().any(|l| !l.is_single_script());
        let mut confusable = false;
        let mut reg_changed = false;
        let mut out = String::with_capacity(a.len());
        let reg_index = self.registrable_label_index(a, &a_labels);
        for (k, (al, ul)) in a_labels.iter().zip(&u_labels).enumerate() {
            if k > 0 {
                out.push('.');
            }
            if !al.starts_with("xn--") {
                out.push_str(al);
                continue;
            }
            let mut latin = String::with_capacity(ul.len());
            let mut conf = false;
            for c in ul.chars() {
                if c.is_ascii() {
                    latin.push(c);
                    continue;
                }
                let base = fold::strip_diacritics(c.encode_utf8(&mut [0; 4]));
                if base.is_ascii() && !base.is_empty() {
                    latin.push_str(&base);
                    continue;
                }
                conf = true;
                let f = fold::fold(c.encode_utf8(&mut [0; 4]));
                latin.push_str(if f == "rn" { "m" } else { &f });
            }
            if host::valid_ascii_host(latin.as_bytes()) && !latin.contains('.') {
                confusable |= conf;
                if Some(k) == reg_index {
                    reg_changed = true;
                }
                out.push_str(&latin);
            } else {
                out.push_str(al);
            }
        }
        if out == a || !host::valid_ascii_host(out.as_bytes()) {
            return None;
        }
        let glyph = if mixed {
            Technique::MixedScript
        } else {
            Technique::Homoglyph
        };
        Some(LatinReading {
            host: out,
            glyph,
            confusable,
            reg_changed,
        })
    }

    /// An internationalised host whose Latin reading is an official domain: a homoglyph
    /// (mixed-script when a label mixes scripts), even under a restricted suffix.
    fn reads_as_official(&self, a: &str) -> Option<(u32, Technique)> {
        let r = self.latin_reading(a)?;
        match self.official_of(&r.host) {
            Some(Official::Yes(i)) => Some((i, r.glyph)),
            _ => None,
        }
    }

    /// Internationalised hosts: the rules run again on the Latin reading. A hit on a whole
    /// official domain, or any hit that needed a non-Latin confusable, is a homoglyph
    /// (mixed-script when a label mixes scripts); Latin diacritics alone keep the technique
    /// of the words around the name.
    fn analyze_idn(&self, a: &str) -> Option<(u32, Technique)> {
        let r = self.latin_reading(a)?;
        if let Some(Official::Yes(i)) = self.official_of(&r.host) {
            return Some((i, r.glyph));
        }
        let (i, t) = self.analyze(&r.host)?;
        let name_level = !matches!(
            t,
            Technique::Combosquat | Technique::SuffixImitation | Technique::OfficialSubdomain
        );
        if r.confusable || (name_level && r.reg_changed) {
            Some((i, r.glyph))
        } else {
            Some((i, t))
        }
    }

    fn registrable_label_index(&self, a: &str, labels: &[&str]) -> Option<usize> {
        let (suffix, _) = psl_suffix(a)?;
        let suffix_labels = suffix.split('.').count();
        labels.len().checked_sub(suffix_labels + 1)
    }
}
