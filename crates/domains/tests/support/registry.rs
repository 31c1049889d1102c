//! The protected list used by tests, benches and the corpus example: a copy of web domains
//! found in the registry packs (data/registry), so that this crate's tests do not depend on
//! the registry crate. Only domains present there belong here; the CLI uses the real packs.
#![allow(dead_code)]

use healthguard_domains::{DomainIndex, Protected};

/// (domain, owner) pairs; every entry covers its subdomains.
pub const PROTECTED: &[(&str, &str)] = &[
    ("nfz.gov.pl", "pl.nfz"),
    ("nfz-bialystok.pl", "pl.nfz.podlaskie"),
    ("nfz-bydgoszcz.pl", "pl.nfz.kujawsko-pomorskie"),
    ("nfz-gdansk.pl", "pl.nfz.pomorskie"),
    ("nfz-katowice.pl", "pl.nfz.slaskie"),
    ("nfz-kielce.pl", "pl.nfz.swietokrzyskie"),
    ("nfz-krakow.pl", "pl.nfz.malopolskie"),
    ("nfz-lodz.pl", "pl.nfz.lodzkie"),
    ("nfz-lublin.pl", "pl.nfz.lubelskie"),
    ("nfz-olsztyn.pl", "pl.nfz.warminsko-mazurskie"),
    ("nfz-opole.pl", "pl.nfz.opolskie"),
    ("nfz-poznan.pl", "pl.nfz.wielkopolskie"),
    ("nfz-rzeszow.pl", "pl.nfz.podkarpackie"),
    ("nfz-szczecin.pl", "pl.nfz.zachodniopomorskie"),
    ("nfz-warszawa.pl", "pl.nfz.mazowieckie"),
    ("nfz-wroclaw.pl", "pl.nfz.dolnoslaskie"),
    ("nfz-zielonagora.pl", "pl.nfz.lubuskie"),
    ("pacjent.gov.pl", "pl.ikp"),
    ("info.mobywatel.gov.pl", "pl.mobywatel"),
    ("cez.gov.pl", "pl.cez"),
    ("ezdrowie.gov.pl", "pl.cez"),
    ("gabinet.gov.pl", "pl.cez"),
    ("mz.gov.pl", "pl.mz"),
    ("cnas.ro", "ro.cnas"),
    ("cnas.gov.ro", "ro.cnas"),
    ("casan.ro", "ro.casan"),
    ("cascluj.ro", "ro.cas.cluj"),
    ("casdj.ro", "ro.cas.dolj"),
    ("casmb.ro", "ro.cas.bucuresti"),
    ("casar.ro", "ro.cas.arad"),
    ("casbh.ro", "ro.cas.bihor"),
    ("casbn.ro", "ro.cas.bistrita-nasaud"),
    ("casbv.ro", "ro.cas.brasov"),
    ("casnt.ro", "ro.cas.neamt"),
    ("dnsc.ro", "ro.dnsc"),
    ("ms.ro", "ro.ms"),
];

/// Restricted suffixes passed to the index.
pub const RESTRICTED: &[&str] = &["gov.pl"];

/// The protected list as [`Protected`] values.
pub fn protected() -> Vec<Protected> {
    PROTECTED
        .iter()
        .map(|(d, o)| Protected {
            domain: (*d).to_owned(),
            owner: (*o).to_owned(),
            include_subdomains: true,
        })
        .collect()
}

/// The index over [`PROTECTED`] with [`RESTRICTED`].
pub fn index() -> DomainIndex {
    DomainIndex::new(protected(), RESTRICTED)
}
