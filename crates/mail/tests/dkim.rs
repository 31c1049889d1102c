//! SPF, DKIM, DMARC and ARC with real cryptography both ways and no network: messages are
//! signed here (with the project's committed test-only RSA key, or Ed25519 keys generated
//! in the test) and verified against DNS fixtures.

use base64::Engine;
use healthguard_core::{Checker, Verdict};
use healthguard_mail::dns::{DnsAuthenticator, Fixture};
use healthguard_mail::{analyze, parse, AuthMethod, AuthResult, Envelope, Limits};
use mail_auth::arc::ArcSealer;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::DkimSigner;
use mail_auth::{AuthenticatedMessage, AuthenticationResults, MessageAuthenticator, Parameters, ResolverCache, Txt};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap()
}

fn zone() -> DnsAuthenticator {
    let f = Fixture::load(std::path::Path::new(&fixture_path("dns.zone"))).unwrap();
    DnsAuthenticator::with_fixture(f, vec![]).unwrap()
}

/// Signs `raw` as nfz.gov.pl with the committed test-only RSA key.
fn sign_nfz(raw: &[u8]) -> Vec<u8> {
    let pem = std::fs::read_to_string(fixture_path("test-only-dkim-rsa.pem")).unwrap();
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der))).unwrap();
    let sig = DkimSigner::from_key(key)
        .domain("nfz.gov.pl")
        .selector("hg-test")
        .headers(["From", "To", "Subject", "Date", "Message-ID"])
        .sign(raw)
        .unwrap();
    let mut out = sig.to_header().into_bytes();
    out.extend_from_slice(raw);
    out
}

#[test]
fn signed_message_is_official() {
    let raw = sign_nfz(&fixture("official_nfz.eml"));
    let mail = parse(&raw, &Limits::default());
    let auth = zone().verify(&raw, &mail, &Envelope::from_headers(&mail));
    assert_eq!(auth.method, AuthMethod::DnsFixture);
    assert_eq!(
        (auth.dkim, auth.spf, auth.dmarc),
        (AuthResult::Pass, AuthResult::Pass, AuthResult::Pass),
        "{auth:?}"
    );
    assert_eq!(auth.dkim_domains, ["nfz.gov.pl"]);
    assert_eq!(auth.dmarc_policy.as_deref(), Some("reject"));
    assert_eq!(auth.aligned_domain.as_deref(), Some("nfz.gov.pl"));
    let a = analyze(checker(), &mail, &auth);
    assert_eq!(a.verdict, Verdict::Official, "{:?}", a.findings);
    assert_eq!(a.authenticated_as.as_deref(), Some("pl.nfz"));
    assert!(a.has("AUTH_DMARC_PASS_OFFICIAL") && !a.has("AUTH_MISSING_FOR_CLAIM"));
}

#[test]
fn dkim_alone_aligns_without_spf() {
    let raw = sign_nfz(&fixture("official_nfz.eml"));
    let mail = parse(&raw, &Limits::default());
    let auth = zone().verify(&raw, &mail, &Envelope::default());
    assert_eq!(
        (auth.dkim, auth.spf, auth.dmarc),
        (AuthResult::Pass, AuthResult::None, AuthResult::Pass),
        "{auth:?}"
    );
    assert_eq!(analyze(checker(), &mail, &auth).verdict, Verdict::Official);
}

#[test]
fn tampered_body_fails_and_is_not_official() {
    let mut raw = sign_nfz(&fixture("official_nfz.eml"));
    let at = raw.windows(5).position(|w| w == b"8-18.").unwrap();
    raw[at] = b'9';
    let mail = parse(&raw, &Limits::default());
    // No client address: SPF cannot rescue DMARC, DKIM must.
    let auth = zone().verify(&raw, &mail, &Envelope::default());
    // A body-hash mismatch is `neutral` for mail-auth (RFC 6376 leaves fail or neutral).
    assert!(
        matches!(auth.dkim, AuthResult::Fail | AuthResult::Neutral) && auth.dmarc == AuthResult::Fail,
        "{auth:?}"
    );
    let a = analyze(checker(), &mail, &auth);
    assert!(
        a.has("AUTH_FAIL") && a.has("AUTH_MISSING_FOR_CLAIM"),
        "{:?}",
        a.findings
    );
    assert!(a.verdict >= Verdict::Suspicious);
}

#[test]
fn spoofed_official_sender_is_phishing() {
    let raw = fixture("spoofed_nfz.eml");
    let mail = parse(&raw, &Limits::default());
    let auth = zone().verify(&raw, &mail, &Envelope::from_headers(&mail));
    assert_eq!(
        (auth.spf, auth.dkim, auth.dmarc),
        (AuthResult::Fail, AuthResult::None, AuthResult::Fail),
        "{auth:?}"
    );
    let a = analyze(checker(), &mail, &auth);
    let fail = a.findings.iter().find(|f| f.code == "AUTH_FAIL").unwrap();
    assert_eq!(fail.evidence, "dmarc=fail header.from=nfz.gov.pl (p=reject)");
    assert_eq!(a.verdict, Verdict::Phishing, "{:?}", a.findings);
}

#[test]
fn attackers_own_passing_domain_proves_nothing() {
    let raw = fixture("nfz_impersonation.eml");
    let mail = parse(&raw, &Limits::default());
    let auth = zone().verify(&raw, &mail, &Envelope::from_headers(&mail));
    assert_eq!((auth.spf, auth.dmarc), (AuthResult::Pass, AuthResult::Pass), "{auth:?}");
    assert_eq!(auth.aligned_domain.as_deref(), Some("tehrad.io"));
    let a = analyze(checker(), &mail, &auth);
    assert!(
        !a.has("AUTH_DMARC_PASS_OFFICIAL") && a.has("AUTH_MISSING_FOR_CLAIM"),
        "{:?}",
        a.findings
    );
    assert_eq!(a.verdict, Verdict::Phishing);
}

#[test]
fn committed_signed_fixture_verifies() {
    let raw = fixture("official_nfz_signed.eml");
    let mail = parse(&raw, &Limits::default());
    let auth = zone().verify(&raw, &mail, &Envelope::from_headers(&mail));
    assert_eq!(auth.dkim, AuthResult::Pass, "{auth:?}");
    assert_eq!(analyze(checker(), &mail, &auth).verdict, Verdict::Official);
}

/// Writes tests/fixtures/official_nfz_signed.eml (for the CLI and for people):
/// `cargo test -p healthguard-mail --test dkim -- --ignored`.
#[test]
#[ignore]
fn write_signed_fixture() {
    std::fs::write(
        fixture_path("official_nfz_signed.eml"),
        sign_nfz(&fixture("official_nfz.eml")),
    )
    .unwrap();
}

struct Ed {
    key: Vec<u8>,
    public: String,
}

fn ed25519() -> Ed {
    let key = Ed25519Key::generate_pkcs8().unwrap();
    let public =
        base64::engine::general_purpose::STANDARD.encode(Ed25519Key::from_pkcs8_der(&key).unwrap().public_key());
    Ed { key, public }
}

const CAS_CLUJ: &str = "From: Casa de Asigurari de Sanatate Cluj <relatiipublice@cascluj.ro>\r\n\
To: contact@farmacie-exemplu.ro\r\n\
Subject: Program de lucru\r\n\
Date: Mon, 3 Mar 2025 10:00:00 +0200\r\n\
Message-ID: <fixture-ed@cascluj.ro>\r\n\
X-Fixture: written by the HealthGuard project for its tests; not a real message\r\n\
\r\n\
Va informam ca programul de lucru cu publicul ramane neschimbat.\r\n";

#[test]
fn ed25519_keys_generated_in_the_test() {
    let ed = ed25519();
    let key = Ed25519Key::from_pkcs8_der(&ed.key).unwrap();
    let sig = DkimSigner::from_key(key)
        .domain("cascluj.ro")
        .selector("ed")
        .headers(["From", "To", "Subject", "Date"])
        .sign(CAS_CLUJ.as_bytes())
        .unwrap();
    let raw = format!("{}{CAS_CLUJ}", sig.to_header());
    let zone = format!(
        "ed._domainkey.cascluj.ro TXT \"v=DKIM1; k=ed25519; p={}\"\n_dmarc.cascluj.ro TXT \"v=DMARC1; p=quarantine\"\n",
        ed.public
    );
    let auth = DnsAuthenticator::with_fixture(Fixture::parse(&zone).unwrap(), vec![]).unwrap();
    let mail = parse(raw.as_bytes(), &Limits::default());
    let out = auth.verify(raw.as_bytes(), &mail, &Envelope::default());
    assert_eq!((out.dkim, out.dmarc), (AuthResult::Pass, AuthResult::Pass), "{out:?}");
    let a = analyze(checker(), &mail, &out);
    assert_eq!(a.verdict, Verdict::Official, "{:?}", a.findings);
    assert_eq!(a.authenticated_as.as_deref(), Some("ro.cas-cluj"));
    // Another key in DNS: the signature no longer verifies.
    let other = ed25519();
    let zone = zone.replace(&ed.public, &other.public);
    let auth = DnsAuthenticator::with_fixture(Fixture::parse(&zone).unwrap(), vec![]).unwrap();
    let out = auth.verify(raw.as_bytes(), &mail, &Envelope::default());
    assert_eq!((out.dkim, out.dmarc), (AuthResult::Fail, AuthResult::Fail), "{out:?}");
    assert!(analyze(checker(), &mail, &out).has("AUTH_FAIL"));
}

/// A cache answering DKIM key lookups from a map (the list's own view of DNS).
struct Keys(std::collections::HashMap<Box<str>, Txt>);

impl ResolverCache<Box<str>, Txt> for Keys {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }
    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _: Box<str>, _: Txt, _: std::time::Instant) {}
}

/// A mailing list changes the subject (DKIM breaks) and seals with ARC what it saw on
/// arrival; a receiver that trusts the list's seal accepts the recorded results.
#[test]
fn trusted_arc_sealer_rescues_a_list_message() {
    let nfz = sign_nfz(&fixture("official_nfz.eml"));
    let forwarded = String::from_utf8(nfz.clone())
        .unwrap()
        .replace("Subject: Zmiana", "Subject: [lista-lekarzy] Zmiana")
        .into_bytes();
    let list = ed25519();
    let zone_text = std::fs::read_to_string(fixture_path("dns.zone")).unwrap();
    let with_list = format!(
        "{zone_text}\narc._domainkey.lists.example.org TXT \"v=DKIM1; k=ed25519; p={}\"\n",
        list.public
    );

    // The list verifies the original and seals the changed copy.
    let rsa_txt = zone_text.lines().find(|l| l.starts_with("hg-test._domainkey")).unwrap();
    let quoted: String = rsa_txt.split('"').skip(1).step_by(2).collect();
    let keys = Keys(
        [(
            "hg-test._domainkey.nfz.gov.pl.".into(),
            Txt::DomainKey(DomainKey::parse(quoted.as_bytes()).unwrap().into()),
        )]
        .into_iter()
        .collect(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seal = rt.block_on(async {
        let ma = MessageAuthenticator::new(
            mail_auth::hickory_resolver::config::ResolverConfig::from_parts(None, vec![], vec![]),
            Default::default(),
        )
        .unwrap();
        let original = AuthenticatedMessage::parse(&nfz).unwrap();
        let dkim = ma.verify_dkim(Parameters::new(&original).with_txt_cache(&keys)).await;
        assert!(dkim.iter().all(|d| d.result() == &mail_auth::DkimResult::Pass));
        let message = AuthenticatedMessage::parse(&forwarded).unwrap();
        let arc = ma.verify_arc(Parameters::new(&message).with_txt_cache(&keys)).await;
        assert!(arc.can_be_sealed());
        let results =
            AuthenticationResults::new("lists.example.org").with_dkim_results(&dkim, "powiadomienia@nfz.gov.pl");
        let key = Ed25519Key::from_pkcs8_der(&list.key).unwrap();
        ArcSealer::from_key(key)
            .domain("lists.example.org")
            .selector("arc")
            .headers(["From", "To", "Subject", "Date"])
            .seal(&message, &results, &arc)
            .unwrap()
            .to_header()
    });
    let mut raw = seal.into_bytes();
    raw.extend_from_slice(&forwarded);
    let mail = parse(&raw, &Limits::default());
    let fixture = Fixture::parse(&with_list).unwrap();

    let untrusted =
        DnsAuthenticator::with_fixture(fixture.clone(), vec![])
            .unwrap()
            .verify(&raw, &mail, &Envelope::default());
    assert_eq!(
        (untrusted.dkim, untrusted.dmarc, untrusted.arc),
        (AuthResult::Fail, AuthResult::Fail, AuthResult::Pass),
        "{untrusted:?}"
    );
    assert_eq!(untrusted.arc_sealer.as_deref(), Some("lists.example.org"));
    assert!(untrusted.aligned_domain.is_none());
    let a = analyze(checker(), &mail, &untrusted);
    assert!(
        a.has("AUTH_FAIL") && a.verdict >= Verdict::Suspicious,
        "{:?}",
        a.findings
    );

    let trusted = DnsAuthenticator::with_fixture(fixture, vec!["example.org".into()])
        .unwrap()
        .verify(&raw, &mail, &Envelope::default());
    assert_eq!(
        trusted.aligned_by.as_deref(),
        Some("arc:lists.example.org"),
        "{trusted:?}"
    );
    assert!(trusted.arc_override);
    let a = analyze(checker(), &mail, &trusted);
    assert!(
        !a.has("AUTH_FAIL") && a.has("AUTH_DMARC_PASS_OFFICIAL"),
        "{:?}",
        a.findings
    );
    assert_eq!(a.verdict, Verdict::Official);

    // A seal by anyone else proves nothing, whatever it claims to have seen.
    let forged = DnsAuthenticator::with_fixture(
        Fixture::parse(&with_list).unwrap(),
        vec!["other-list.example.net".into()],
    )
    .unwrap()
    .verify(&raw, &mail, &Envelope::default());
    assert!(forged.aligned_domain.is_none());
}

#[test]
fn authenticator_from_cli_options() {
    use healthguard_mail::{authenticator, check, AuthSource};
    let raw = fixture("official_nfz_signed.eml");
    let fixture = AuthSource::DnsFixture(fixture_path("dns.zone").into());
    let a = check(
        checker(),
        &raw,
        &Limits::default(),
        &*authenticator(&fixture, &[]).unwrap(),
    );
    assert_eq!(a.verdict, Verdict::Official, "{:?}", a.findings);
    let none = check(
        checker(),
        &raw,
        &Limits::default(),
        &*authenticator(&AuthSource::None, &[]).unwrap(),
    );
    assert_eq!(none.verdict, Verdict::Suspicious);
    let trusted = AuthSource::TrustedHeaders("mx.przychodnia-sloneczna.pl".into());
    let a = check(
        checker(),
        &fixture_bytes_authres(),
        &Limits::default(),
        &*authenticator(&trusted, &[]).unwrap(),
    );
    assert_eq!(a.verdict, Verdict::Official);
    assert!(authenticator(&AuthSource::DnsFixture("/nonexistent/dns.zone".into()), &[]).is_err());
}

fn fixture_bytes_authres() -> Vec<u8> {
    fixture("authres_trusted.eml")
}

/// CNAS: document requests come only from the county houses' contract addresses. An
/// authenticated request from a county house is not a policy violation; the same words
/// from anyone else are phishing.
#[test]
fn county_house_document_request() {
    let body = "From: Casa de Asigurari de Sanatate Cluj <relatiipublice@cascluj.ro>\r\n\
To: contact@farmacie-exemplu.ro\r\n\
Subject: Documente pentru contract\r\n\
Date: Mon, 3 Mar 2025 10:00:00 +0200\r\n\
X-Fixture: written by the HealthGuard project for its tests; not a real message\r\n\
\r\n\
Va rugam sa ne transmiteti documentele pentru contractul din 2025.\r\n";
    let ed = ed25519();
    let key = Ed25519Key::from_pkcs8_der(&ed.key).unwrap();
    let sig = DkimSigner::from_key(key)
        .domain("cascluj.ro")
        .selector("ed")
        .headers(["From", "To", "Subject", "Date"])
        .sign(body.as_bytes())
        .unwrap();
    let raw = format!("{}{body}", sig.to_header());
    let zone = format!(
        "ed._domainkey.cascluj.ro TXT \"v=DKIM1; k=ed25519; p={}\"\n_dmarc.cascluj.ro TXT \"v=DMARC1; p=reject\"\n",
        ed.public
    );
    let auth = DnsAuthenticator::with_fixture(Fixture::parse(&zone).unwrap(), vec![]).unwrap();
    let mail = parse(raw.as_bytes(), &Limits::default());
    let a = analyze(
        checker(),
        &mail,
        &auth.verify(raw.as_bytes(), &mail, &Envelope::default()),
    );
    assert_eq!(a.authenticated_as.as_deref(), Some("ro.cas-cluj"));
    assert!(
        !a.has("POLICY_VIOLATION") && a.verdict <= Verdict::Unverified,
        "{:?} {:?}",
        a.verdict,
        a.findings
    );

    let fake = body.replace("relatiipublice@cascluj.ro", "contracte@cascluj-ro.com");
    let mail = parse(fake.as_bytes(), &Limits::default());
    let a = analyze(
        checker(),
        &mail,
        &auth.verify(fake.as_bytes(), &mail, &Envelope::default()),
    );
    assert_eq!(a.verdict, Verdict::Phishing, "{:?}", a.findings);
}
