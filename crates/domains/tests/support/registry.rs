//! The protected list used by tests, benches and the corpus example: the Polish and
//! Romanian health domains of the registry as of writing (the Romanian county houses are a
//! representative sample, not the full set).
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
    ("cez.gov.pl", "pl.cez"),
    ("ezdrowie.gov.pl", "pl.cez"),
    ("gabinet.gov.pl", "pl.cez"),
    ("mz.gov.pl", "pl.mz"),
    ("rpp.gov.pl", "pl.rpp"),
    ("cnas.ro", "ro.cnas"),
    ("cnas.gov.ro", "ro.cnas"),
    ("casan.ro", "ro.casan"),
    ("cascluj.ro", "ro.cas.cluj"),
    ("casdj.ro", "ro.cas.dolj"),
    ("casmb.ro", "ro.cas.bucuresti"),
    ("casab.ro", "ro.cas.alba"),
    ("casar.ro", "ro.cas.arad"),
    ("casag.ro", "ro.cas.arges"),
    ("casbc.ro", "ro.cas.bacau"),
    ("casbh.ro", "ro.cas.bihor"),
    ("casbn.ro", "ro.cas.bistrita-nasaud"),
    ("casbt.ro", "ro.cas.botosani"),
    ("casbv.ro", "ro.cas.brasov"),
    ("casbr.ro", "ro.cas.braila"),
    ("casbz.ro", "ro.cas.buzau"),
    ("cascs.ro", "ro.cas.caras-severin"),
    ("casct.ro", "ro.cas.constanta"),
    ("cascv.ro", "ro.cas.covasna"),
    ("casdb.ro", "ro.cas.dambovita"),
    ("casgl.ro", "ro.cas.galati"),
    ("casgr.ro", "ro.cas.giurgiu"),
    ("casgj.ro", "ro.cas.gorj"),
    ("cashr.ro", "ro.cas.harghita"),
    ("cashd.ro", "ro.cas.hunedoara"),
    ("casil.ro", "ro.cas.ialomita"),
    ("casis.ro", "ro.cas.iasi"),
    ("casmm.ro", "ro.cas.maramures"),
    ("casmh.ro", "ro.cas.mehedinti"),
    ("casms.ro", "ro.cas.mures"),
    ("casnt.ro", "ro.cas.neamt"),
    ("casot.ro", "ro.cas.olt"),
    ("casph.ro", "ro.cas.prahova"),
    ("cassm.ro", "ro.cas.satu-mare"),
    ("cassb.ro", "ro.cas.sibiu"),
    ("cassv.ro", "ro.cas.suceava"),
    ("castm.ro", "ro.cas.timis"),
    ("casvl.ro", "ro.cas.valcea"),
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
