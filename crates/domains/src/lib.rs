//! Domain intelligence for HealthGuard: is a host an official domain of a health
//! institution, a look-alike of one (and of which — "untwist"), or unrelated? Also host
//! normalisation (IDNA, public suffixes) and URL-shortener / free-hosting classification.
//!
//! Pure library: no I/O, no global state; the word lists and host lists are embedded at
//! compile time.
//!
//! # Example
//!
//! ```
//! use healthguard_domains::{Assessment, DomainIndex, Protected, Technique};
//!
//! let protected = vec![
//!     Protected { domain: "nfz.gov.pl".into(), owner: "pl.nfz".into(), include_subdomains: true },
//!     Protected { domain: "pacjent.gov.pl".into(), owner: "pl.ikp".into(), include_subdomains: true },
//!     Protected { domain: "nfz-olsztyn.pl".into(), owner: "pl.nfz".into(), include_subdomains: true },
//! ];
//! let index = DomainIndex::new(protected, &["gov.pl"]);
//!
//! assert!(matches!(index.check("WWW.NFZ.gov.pl."), Assessment::Official { .. }));
//! assert_eq!(index.check("other.gov.pl"), Assessment::Unrelated); // another public body
//!
//! let Assessment::Lookalike(l) = index.check("pacjent-gov.pl") else { panic!() };
//! assert_eq!((l.imitates.as_str(), l.technique), ("pacjent.gov.pl", Technique::SuffixImitation));
//!
//! let Assessment::Lookalike(l) = index.check("nfz.olsztyn.pl") else { panic!() };
//! assert_eq!((l.imitates.as_str(), l.technique.name()), ("nfz-olsztyn.pl", "dot_for_hyphen"));
//!
//! assert_eq!(index.check("gabinet-stomatologiczny.pl"), Assessment::Unrelated);
//! ```
//!
//! # Rules
//!
//! A host is first normalised: white space and one trailing dot removed, lower-cased,
//! converted with IDNA (UTS #46) to its ASCII form. Invalid hosts, inputs over 1 KiB and IP
//! literals are [`Assessment::Unrelated`]. Terms: the *name* of a protected domain is the
//! label before its effective suffix, the longer of its public suffix (PSL, via `psl`) and
//! any restricted suffix it is under (`nfz` for nfz.gov.pl, `nfz-warszawa` for
//! nfz-warszawa.pl, `cnas` for cnas.gov.ro when gov.ro is restricted; under a restricted
//! suffix the label right above it, `mobywatel` for info.mobywatel.gov.pl; for a domain that
//! is itself a public suffix, its first label, `nhs` for nhs.uk). Names are *short*
//! (≤ 4 letters: nfz, cez, cnas, dnsc), *two-letter* (mz, ms), *generic* (ordinary words
//! listed in `data/signals.txt`: pacjent, gabinet, zdrowie …) or *distinctive* (the rest:
//! ezdrowie, nfz-warszawa, cascluj). Short, two-letter and generic names are *weak*.
//!
//! The rules, in the order they are tried (the first that matches wins):
//!
//! * **Official**: the host is a protected domain, or a subdomain of one that has
//!   `include_subdomains`. A subdomain of a protected domain without it belongs to the
//!   owner anyway and is unrelated.
//! * **Restricted suffixes**: a host under a restricted suffix (for example gov.pl) that is
//!   not official is another public body, never a look-alike: unrelated. `gov.<cc>` of every
//!   protected country code (gov.pl, gov.ro) is restricted too, because that name is held by
//!   the country's government (so ms.gov.ro is unrelated even when only gov.pl is passed).
//!   One exception: an internationalised host whose Latin reading (rule 6) is an official
//!   domain is a homoglyph even there (pаcjent.gov.pl with a Cyrillic а): no public body
//!   registers a confusable of another's name.
//!
//! Then, for look-alikes:
//!
//! 1. [`Technique::OfficialSubdomain`]: a protected domain written in full, label-aligned, in
//!    front of another domain (pacjent.gov.pl.example.com, nfz.gov.pl.weryfikacja.com).
//! 2. [`Technique::DotForHyphen`]: a hyphenated name written with dots in its own suffix
//!    (nfz.olsztyn.pl for nfz-olsztyn.pl; olsztyn.pl is itself a public suffix, so anyone can
//!    register under it).
//! 3. [`Technique::TldSwap`]: the exact name under another suffix, where plausible:
//!    distinctive names anywhere; short names in their country's zone (nfz.pl, nfz.com.pl)
//!    and in mainstream or abused TLDs (com, net, org, eu, info, online, top, xyz, cc …);
//!    two-letter names only in their country's zone and abused TLDs (every two-letter
//!    .com/.net/.org was registered decades ago: ms.com is Morgan Stanley); generic words
//!    only in abused TLDs (pacjent.pl is an ordinary site, pacjent.top is not). Weak names
//!    never swap into another country's ccTLD (cez.cz is ČEZ) or a free-hosting suffix.
//!    When the swap is not plausible, the registrable domain belongs to someone else with
//!    the same name and nothing under it is a look-alike (ro.ms.com, pl.cez.cz).
//! 4. On the registrable label, under a plausible suffix (own country's zone, mainstream,
//!    abused or free-hosting; never another country's ccTLD):
//!    * [`Technique::Hyphenation`]: the same letters with hyphens added or removed
//!      (e-zdrowie.pl, nfzwarszawa.pl), five letters or more;
//!    * [`Technique::Homoglyph`]: ASCII look-alikes (`rn`/`m`, `0`/`o`, `1`/`l`, `vv`/`w`:
//!      rns.ro, ezdr0wie.pl), also with hyphens added (e-zdr0wie.pl);
//!    * one edit, for distinctive names of at least five characters whose look-alike has at
//!      least five characters too, and that have at least three characters beyond the prefix
//!      they share with a family of three or more names (the county houses, cas + a
//!      two-letter code, are not edited: one letter changed gives another county's code or a
//!      word such as cases.ro). The edit is named: [`Technique::Transposition`],
//!      [`Technique::Omission`], [`Technique::Repetition`], [`Technique::Insertion`],
//!      [`Technique::VowelSwap`], [`Technique::Replacement`] (QWERTY neighbour),
//!      [`Technique::Bitsquatting`] (one bit), [`Technique::Hyphenation`] (a hyphen) or
//!      [`Technique::Typo`] (anything else, including w/v, c/k, i/j, s/z as in
//!      nfz-warszava.pl); `l` for `i` is a [`Technique::Homoglyph`]. The label without its
//!      hyphens is edited too (e-zdrowle.pl). Matching uses a deletion-neighbourhood (SymSpell) hash index of
//!      every eligible name, not a scan of the registry;
//!    * [`Technique::Typo`]: two edits of a name of nine characters or more, when the host
//!      starts with the same hyphen token (nfz-wraszava.pl).
//! 5. Tokens: the host before its public suffix, split on `.`, `-` and `_` (punycode labels
//!    skipped), and digits at either end of a run of three letters or more split off
//!    (client-nfz4471 → client, nfz, 4471). A protected name must appear as whole token(s):
//!    one token, or up to three adjacent tokens that spell it. A token that is a protected
//!    name glued to a signal or web word is split (pacjentgov, govplnfz, nfzzwrot, cnasro,
//!    mynfz, cnasportal; two-letter names only with gov-like words: mzgov), as is `e` glued
//!    in front of a name of five letters or more (epacjent, the e-government naming of
//!    e-Zdrowie, e-Recepta), and an edit-eligible name glued to anything of two letters or
//!    more (infomobywatel, ezdrowiekonto; not after a word when the name ends in an
//!    ordinary word: dobrezdrowie). So cezxprime.club, zdnscloud.com and msn.com never
//!    match. Every other token, except `www`/`m`, is an extra:
//!    * with no extra token nothing is decided here;
//!    * a gov-like extra token (gov, gev, g0v, govpl, rzad …) makes a
//!      [`Technique::SuffixImitation`] (pacjent-gov.pl, nfz.gov-pl.com, pacjent-gev.cc,
//!      pacjent.gev.pl);
//!    * otherwise a distinctive name with any extra token is a [`Technique::Combosquat`];
//!    * a weak name needs a plausible suffix and a second signal: a gov-like token, a token
//!      naming its country (pl, polska, ro, romania), a lure word (money, login,
//!      verification, IKP) in its country's language or English (English not for two-letter
//!      names, which are English abbreviations too: ms-login is Microsoft's business), a
//!      prefix word right before the name (`e`: e-gabinet.eu, e-nfz.pl) or, for
//!      short and two-letter names, the name of one of the institutions' own systems (PIAS,
//!      SIUI, eWUŚ, EKUZ) or another non-generic protected name (cnas-pias.com,
//!      nfz-ewus.pl, cez-nfz.com);
//!    * a short name with any other word or number in its own label is a combosquat
//!      (nfz-info.com, nfz-pacjent.pl, cnas-sistem.ro, nfz24.pl, mynfz.com), except a
//!      provider word before it (clinics and pharmacies describe NFZ-funded care:
//!      rehabilitacja-nfz.pl, apteka-nfz.pl) and a word showing another organisation of the
//!      same name (cez-energy.com, ČEZ). In a subdomain label the suffix does not matter
//!      (client-nfz4471.example.it: the domain holder names its subdomains at will). So
//!      gabinet-stomatologiczny.pl (a dentist), nfz.example.com and nfz-info.de stay
//!      unrelated, while nfz-zwrot.pl and nfz-zwrot-pl.com do not;
//!    * a one-edit variant of an edit-eligible name next to a gov-like token is a suffix
//!      imitation too (ezdrowei-gov.com); among other tokens it is named by its edit, as is
//!      an ASCII homoglyph of it (ezdrowe-logowanie.com, rnobywatel-oplata.cc).
//! 6. Internationalised hosts: every punycode label is read as the Latin letters a reader
//!    sees (TR39 skeleton from `unicode-security`, diacritics removed, a few extra
//!    Cyrillic/Greek letters such as `п` → `n`) and the rules run again. A hit on a whole
//!    official domain, or one that needed a non-Latin confusable, is a
//!    [`Technique::Homoglyph`] (whole-script: саѕап.ro) or [`Technique::MixedScript`] (a label
//!    mixing scripts: nfz-wаrszawa.pl with a Cyrillic а); diacritics on the name itself are
//!    a homoglyph (nfz-kraków.pl), while Polish or Romanian diacritics in the words around a
//!    name keep the word technique (nfz-zwrót.pl is a combosquat).
//!
//! Word lists, country and language of each word, and the TLD sets live in
//! `data/signals.txt` (embedded), not in code.
//!
//! # Performance
//!
//! [`DomainIndex::check`] on an ASCII host does not allocate unless it finds a look-alike or
//! an official domain: the host is lower-cased into a stack buffer, and every table is a hash
//! map probed with stack-built keys behind a 4096-bit (length, first byte, last byte)
//! filter, so most probes of an unrelated host never hash. One-edit matching probes a
//! deletion-neighbourhood index (the host label and its deletions), never the registry.
//! `benches/domains.rs` (criterion) measured about 0.4 µs for an unrelated host and about
//! 2.5 million checks per second over a realistic mix, on one core of the development
//! machine, with 63 protected domains.
#![deny(missing_docs)]

mod bait;
mod buf;
mod edit;
mod fold;
mod hash;
mod host;
mod index;
mod lists;
mod signals;

pub use index::DomainIndex;

/// A protected (official) domain of an institution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Protected {
    /// The domain, lower-case ASCII, for example `"nfz.gov.pl"`. Other forms (case, Unicode,
    /// trailing dot) are normalised by [`DomainIndex::new`].
    pub domain: String,
    /// Id of the institution that owns it, for example `"pl.nfz"`.
    pub owner: String,
    /// Whether every subdomain is official as well.
    pub include_subdomains: bool,
}

/// The verdict on one host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Assessment {
    /// The host is (under) a protected domain.
    Official {
        /// The protected domain that covers the host.
        domain: String,
        /// Its owner's institution id.
        owner: String,
    },
    /// The host imitates a protected domain.
    Lookalike(Lookalike),
    /// Neither official nor a look-alike (includes invalid hosts and IP literals).
    Unrelated,
}

impl Assessment {
    /// True for [`Assessment::Official`].
    pub fn is_official(&self) -> bool {
        matches!(self, Assessment::Official { .. })
    }

    /// The look-alike, if this is one.
    pub fn lookalike(&self) -> Option<&Lookalike> {
        match self {
            Assessment::Lookalike(l) => Some(l),
            _ => None,
        }
    }
}

/// A host that imitates a protected domain, and what it imitates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lookalike {
    /// The host in ASCII (punycode) form, lower case, without trailing dot.
    pub host: String,
    /// The host in Unicode form, for showing to people next to `host`.
    pub display: String,
    /// The official domain it imitates.
    pub imitates: String,
    /// Institution id of the owner of `imitates`.
    pub owner: String,
    /// How it imitates it.
    pub technique: Technique,
}

/// How a look-alike imitates an official domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Technique {
    /// Letters replaced by characters that look the same (Cyrillic а for a, rn for m).
    Homoglyph,
    /// A label mixing scripts (Latin with Cyrillic or Greek look-alikes).
    MixedScript,
    /// A misspelling not covered by a more specific technique (two edits, w/v).
    Typo,
    /// Two adjacent letters swapped.
    Transposition,
    /// One letter left out.
    Omission,
    /// One letter doubled.
    Repetition,
    /// One letter added.
    Insertion,
    /// One letter replaced by a neighbouring key.
    Replacement,
    /// One vowel replaced by another.
    VowelSwap,
    /// One letter differing by a single bit.
    Bitsquatting,
    /// Hyphens added or removed.
    Hyphenation,
    /// Dots written instead of hyphens (nfz.olsztyn.pl for nfz-olsztyn.pl).
    DotForHyphen,
    /// The official name combined with other words (nfz-zwrot.pl).
    Combosquat,
    /// The whole official domain used as a subdomain of another domain.
    OfficialSubdomain,
    /// The official name under another top-level domain.
    TldSwap,
    /// The official name with an imitation of its restricted suffix (pacjent-gov.pl).
    SuffixImitation,
}

impl Technique {
    /// Every technique, in declaration order.
    pub const ALL: [Technique; 16] = [
        Technique::Homoglyph,
        Technique::MixedScript,
        Technique::Typo,
        Technique::Transposition,
        Technique::Omission,
        Technique::Repetition,
        Technique::Insertion,
        Technique::Replacement,
        Technique::VowelSwap,
        Technique::Bitsquatting,
        Technique::Hyphenation,
        Technique::DotForHyphen,
        Technique::Combosquat,
        Technique::OfficialSubdomain,
        Technique::TldSwap,
        Technique::SuffixImitation,
    ];

    /// Stable snake_case name, for reports and data exchange.
    pub fn name(self) -> &'static str {
        match self {
            Technique::Homoglyph => "homoglyph",
            Technique::MixedScript => "mixed_script",
            Technique::Typo => "typo",
            Technique::Transposition => "transposition",
            Technique::Omission => "omission",
            Technique::Repetition => "repetition",
            Technique::Insertion => "insertion",
            Technique::Replacement => "replacement",
            Technique::VowelSwap => "vowel_swap",
            Technique::Bitsquatting => "bitsquatting",
            Technique::Hyphenation => "hyphenation",
            Technique::DotForHyphen => "dot_for_hyphen",
            Technique::Combosquat => "combosquat",
            Technique::OfficialSubdomain => "official_subdomain",
            Technique::TldSwap => "tld_swap",
            Technique::SuffixImitation => "suffix_imitation",
        }
    }

    /// The technique with this [`Technique::name`], if any.
    pub fn from_name(name: &str) -> Option<Technique> {
        Technique::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for Technique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of host a link points to, whoever owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// A URL shortener (the real target is hidden).
    Shortener,
    /// Free hosting, a site builder, a tunnel or an IPFS gateway (anyone can publish there).
    FreeHosting,
    /// Cloud storage, file sharing or a form host: a file or form anyone can upload, with no
    /// site or owner behind the name.
    FileHosting,
    /// An IP literal instead of a name.
    IpAddress,
    /// Anything else.
    Ordinary,
}

/// The registrable domain (public suffix plus one label, per the Public Suffix List) of a
/// host, in ASCII; `None` for invalid hosts, IP literals and bare public suffixes.
///
/// ```
/// assert_eq!(healthguard_domains::registrable_domain("www.NFZ.gov.pl."), Some("nfz.gov.pl".into()));
/// assert_eq!(healthguard_domains::registrable_domain("nfz-zwrot.github.io"), Some("nfz-zwrot.github.io".into()));
/// assert_eq!(healthguard_domains::registrable_domain("gov.pl"), None);
/// ```
pub fn registrable_domain(host: &str) -> Option<String> {
    if host::is_ip_literal(host) {
        return None;
    }
    let a = to_ascii(host)?;
    psl::domain_str(&a).map(str::to_owned)
}

/// The ASCII (punycode) form of a host: lower case, IDNA (UTS #46) mapped, without
/// trailing dot; `None` when it is not a valid host name.
///
/// ```
/// assert_eq!(healthguard_domains::to_ascii("Zażółć.PL."), Some("xn--za-6ja4f8n1l.pl".into()));
/// ```
pub fn to_ascii(host: &str) -> Option<String> {
    match host::fast(host) {
        host::Fast::Ascii(buf) => Some(buf.as_str().to_owned()),
        host::Fast::Idna => host::to_ascii_owned(host),
        host::Fast::Invalid => None,
    }
}

/// The Unicode form of a host, for people. Hosts that are not valid are returned trimmed
/// (and lower-cased when no longer than 1 KiB) as they are.
///
/// ```
/// assert_eq!(healthguard_domains::to_unicode("xn--za-6ja4f8n1l.pl"), "zażółć.pl");
/// ```
pub fn to_unicode(host: &str) -> String {
    match to_ascii(host) {
        Some(a) if host::contains_xn(&a) => host::unicode_of_ascii(&a).unwrap_or(a),
        Some(a) => a,
        None if host.len() <= host::MAX_INPUT => host::trim(host).to_lowercase(),
        None => host.trim().to_owned(),
    }
}

/// True when some label of the host mixes scripts (TR39 resolved script set is empty), for
/// example Latin letters with a Cyrillic `а`. A whole-Cyrillic label is not mixed; a string
/// that is not a valid host name is never mixed.
///
/// ```
/// assert!(healthguard_domains::is_mixed_script("nfz-w\u{430}rszawa.pl"));
/// assert!(!healthguard_domains::is_mixed_script("\u{441}\u{430}\u{455}\u{430}\u{43f}.ro"));
/// ```
pub fn is_mixed_script(host: &str) -> bool {
    use unicode_security::MixedScript;
    match to_ascii(host) {
        Some(a) if host::contains_xn(&a) => {
            host::unicode_of_ascii(&a).is_some_and(|u| u.split('.').any(|l| !l.is_single_script()))
        }
        _ => false,
    }
}

/// Classifies a host: URL shortener (exact match on `data/lists/shorteners.txt`), free
/// hosting (the host or any parent on `data/lists/free_hosting.txt`), IP literal, or
/// ordinary. The embedded lists are read into hash tables once, on first use (as
/// [`DomainIndex::classify_host`] does).
///
/// ```
/// use healthguard_domains::{classify_host, HostKind};
/// assert_eq!(classify_host("BIT.LY"), HostKind::Shortener);
/// assert_eq!(classify_host("nfz-zwrot.github.io"), HostKind::FreeHosting);
/// assert_eq!(classify_host("zwrot-nfz.s3.amazonaws.com"), HostKind::FileHosting);
/// assert_eq!(classify_host("192.0.2.1"), HostKind::IpAddress);
/// assert_eq!(classify_host("nfz.gov.pl"), HostKind::Ordinary);
/// ```
pub fn classify_host(host: &str) -> HostKind {
    static LISTS: std::sync::LazyLock<lists::HostLists> = std::sync::LazyLock::new(lists::HostLists::embedded);
    LISTS.classify(host)
}
