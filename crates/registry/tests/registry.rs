//! Tests of the registry format, lint, and signatures, on the built-in packs and on
//! small broken packs written here.

use healthguard_registry::*;

fn builtin_or_report() -> Registry {
    match load(&builtin_files()) {
        Ok(r) => r,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            panic!("{} problem(s) in the built-in registry", problems.len());
        }
    }
}

#[test]
fn builtin_registry_is_clean() {
    let r = builtin_or_report();
    assert!(r.institution("pl.nfz").is_some());
    assert!(r.country("PL").is_some());
}

#[test]
fn the_builtin_registry_loaded_at_start_is_the_fully_linted_one() {
    // builtin() checks phone numbers for their shape only; the full lint must agree.
    assert_eq!(builtin(), &builtin_or_report());
}

#[test]
fn every_entry_has_a_source() {
    let r = builtin_or_report();
    for i in &r.institutions {
        assert!(!i.source.is_empty(), "{}", i.id);
        for d in &i.domains {
            assert!(!d.provenance.source.is_empty(), "{} {}", i.id, d.name);
        }
        for p in &i.phones {
            assert!(!p.provenance.source.is_empty(), "{} {}", i.id, p.e164);
        }
    }
}

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.into(),
        text: text.into(),
    }
}

const ROOT: &str = "schema = 1\nversion = \"test\"\n";
const COUNTRY: &str = "schema = 1\n[country]\ncode = \"PL\"\nlanguages = [\"pl\"]\n";

fn inst(body: &str) -> String {
    format!(
        "schema = 1\n[institution]\nid = \"pl.x\"\ncountry = \"PL\"\nkind = \"agency\"\nnames = {{ pl = [\"Iks\"] }}\nsource = \"https://example.org/x\"\n{body}"
    )
}

fn problems(body: &str) -> Vec<Problem> {
    load(&[
        file("registry.toml", ROOT),
        file("pl/country.toml", COUNTRY),
        file("pl/x.toml", &inst(body)),
    ])
    .expect_err("expected lint problems")
}

#[test]
fn lint_reports_missing_source_with_line() {
    let p = problems("[[domain]]\nvalue = \"x.gov.pl\"\nuses = [\"web\"]\nsource = \"\"\nconfidence = \"high\"\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].path, "pl/x.toml");
    assert_eq!(p[0].line, 11);
    assert!(p[0].message.contains("missing source"));
}

#[test]
fn lint_reports_unparsable_phone_and_domain() {
    let p = problems(
        "[[phone]]\nvalue = \"+48 12\"\nsource = \"s\"\nconfidence = \"high\"\n[[domain]]\nvalue = \"not a domain\"\nuses = [\"web\"]\nsource = \"s\"\nconfidence = \"high\"\n",
    );
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p.iter().any(|x| x.message.contains("phone") && x.line == 9));
    assert!(p.iter().any(|x| x.message.contains("domain") && x.line == 13));
}

#[test]
fn lint_reports_duplicates_across_entries() {
    let d = "[[domain]]\nvalue = \"x.gov.pl\"\nuses = [\"web\"]\nsource = \"s\"\nconfidence = \"high\"\n";
    let p = problems(&format!("{d}{d}"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("duplicate domain"));
    assert!(p[0].message.contains("pl/x.toml:9"));
}

#[test]
fn lint_reports_schema_errors_and_unknown_fields() {
    let p = problems("[[domain]]\nvalue = \"x.gov.pl\"\nusez = [\"web\"]\n");
    assert!(!p.is_empty());
    assert!(p[0].line >= 9, "{p:?}");
    let p = load(&[
        file("registry.toml", "schema = 2\nversion = \"v\"\n"),
        file("pl/country.toml", COUNTRY),
        file("pl/x.toml", &inst("")),
    ])
    .unwrap_err();
    assert!(p.iter().any(|x| x.message.contains("schema 2 is not supported")));
}

#[test]
fn lint_requires_all_languages_in_policies() {
    let p = problems(
        "[[policy]]\nid = \"pl.x.p\"\nnever = [\"card_data\"]\ntext = { pl = \"a\", en = \"b\" }\nsource = \"s\"\nconfidence = \"high\"\n",
    );
    assert!(p.iter().any(|x| x.message.contains("lacks languages: ro, uk")), "{p:?}");
}

#[test]
fn lint_requires_the_countrys_own_languages_in_policies() {
    // A French pack: its policy texts need fr as well as the four every pack needs; it does
    // not need de, es, it or cs (those fall back to English).
    let fr_country = "schema = 1\n[country]\ncode = \"FR\"\nlanguages = [\"fr\"]\n";
    let fr_inst = |text: &str| {
        format!(
            "schema = 1\n[institution]\nid = \"fr.x\"\ncountry = \"FR\"\nkind = \"agency\"\nnames = {{ fr = [\"Iks\"] }}\nsource = \"s\"\n[[policy]]\nid = \"fr.x.p\"\nnever = [\"card_data\"]\ntext = {text}\nsource = \"s\"\nconfidence = \"high\"\n"
        )
    };
    let four = "{ pl = \"a\", ro = \"b\", en = \"c\", uk = \"d\" }";
    let p = load(&[
        file("registry.toml", ROOT),
        file("fr/a.toml", &fr_inst(four)),
        file("fr/country.toml", fr_country),
    ])
    .unwrap_err();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].path.as_str(), p[0].line), ("fr/a.toml", 11));
    assert!(p[0].message.contains("lacks the language(s) of FR: fr"), "{p:?}");
    let five = "{ pl = \"a\", ro = \"b\", en = \"c\", uk = \"d\", fr = \"e\" }";
    let r = load(&[
        file("registry.toml", ROOT),
        file("fr/a.toml", &fr_inst(five)),
        file("fr/country.toml", fr_country),
    ])
    .expect("five languages are enough for FR");
    assert_eq!(r.institution("fr.x").unwrap().policies[0].text.len(), 5);
}

#[test]
fn the_later_languages_parse_from_their_codes() {
    for (code, lang) in [
        ("fr", Lang::Fr),
        ("DE", Lang::De),
        ("es", Lang::Es),
        ("it", Lang::It),
        ("cs", Lang::Cs),
        ("cz", Lang::Cs),
    ] {
        assert_eq!(Lang::from_code(code), Some(lang));
    }
    for lang in Lang::ALL {
        assert_eq!(Lang::from_code(lang.code()), Some(lang));
    }
    assert_eq!(Lang::from_code("nl"), None);
}

#[test]
fn lint_reports_dangling_references() {
    let p = problems("report_to_is_in_header = false\n");
    assert!(!p.is_empty());
    let text = inst("").replace("source =", "report_to = [\"pl.nobody\"]\nsource =");
    let p = load(&[
        file("registry.toml", ROOT),
        file("pl/country.toml", COUNTRY),
        file("pl/x.toml", &text),
    ])
    .unwrap_err();
    assert!(
        p.iter()
            .any(|x| x.message.contains("unknown institution id \"pl.nobody\"")),
        "{p:?}"
    );
}

#[test]
fn sign_and_verify_round_trip_and_detect_tampering() {
    let files = builtin_files();
    let registry = load(&files).unwrap();
    let (secret, public) = generate_keypair().unwrap();
    let sig = sign(&registry, &secret).unwrap();
    verify(&registry, &sig, &public).unwrap();

    let mut tampered = registry.clone();
    tampered.institutions[0].domains.push(Domain {
        name: "evil.example.com".into(),
        web: true,
        email: true,
        subdomains: true,
        provenance: Provenance {
            source: "attacker".into(),
            confidence: Confidence::High,
        },
    });
    assert!(matches!(verify(&tampered, &sig, &public), Err(SignError::Mismatch)));

    let (_, other_public) = generate_keypair().unwrap();
    assert!(matches!(
        verify(&registry, &sig, &other_public),
        Err(SignError::Mismatch)
    ));
    assert!(matches!(
        verify(&registry, "garbage", &public),
        Err(SignError::Format { .. })
    ));
}

#[test]
fn load_verified_refuses_missing_signature() {
    let files = builtin_files();
    let (_, public) = generate_keypair().unwrap();
    let err = load_verified(&files, Some(&public)).unwrap_err();
    assert!(err.to_string().contains("registry.sig"), "{err}");
}

#[test]
fn normalizes_phones_and_domains() {
    assert_eq!(normalize_phone("+48 800 190 590").unwrap(), "+48800190590");
    assert_eq!(normalize_phone("8080").unwrap(), "8080");
    assert!(normalize_phone("800 190 590").is_err());
    assert_eq!(normalize_domain("WWW.NFZ.gov.pl.").unwrap(), "www.nfz.gov.pl");
    assert_eq!(normalize_domain("bücher.de").unwrap(), "xn--bcher-kva.de");
    assert!(normalize_domain("gov").is_err());
}

#[test]
fn lint_requires_local_abbreviations_to_be_abbreviations() {
    let p = problems("local_abbreviations = [\"IKS\"]\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].line, 3);
    assert!(p[0].message.contains("must also be listed in `abbreviations`"), "{p:?}");
    let ok = load(&[
        file("registry.toml", ROOT),
        file("pl/country.toml", COUNTRY),
        file(
            "pl/x.toml",
            &inst("abbreviations = [\"IKS\"]\nlocal_abbreviations = [\"IKS\"]\n"),
        ),
    ])
    .expect("a local abbreviation that is an abbreviation loads");
    let x = ok.institutions.iter().find(|i| i.id == "pl.x").unwrap();
    assert_eq!(x.local_abbreviations, ["IKS"]);
}

#[test]
fn numbers_keep_the_grouped_form_the_pack_writes_them_in() {
    let reg = healthguard_registry::builtin();
    let nfz = reg.institution("pl.nfz").expect("NFZ is in the registry");
    let tip = nfz.phones.iter().find(|p| p.e164 == "+48800190590").expect("TIP line");
    assert_eq!(tip.written.as_deref(), Some("+48 800 190 590"));
    let cez = reg.institution("pl.csirt-cez").expect("CSIRT CeZ is in the registry");
    let line = cez
        .reporting
        .iter()
        .find(|r| r.value == "+48573205962")
        .expect("CSIRT CeZ's reporting line");
    assert_eq!(line.written.as_deref(), Some("+48 573 205 962"));
    // A short code has no groups to keep.
    let cert = reg
        .institution("pl.cert-polska")
        .expect("CERT Polska is in the registry");
    assert!(cert.reporting.iter().any(|r| r.value == "8080" && r.written.is_none()));
}
