//! The bad-input table of SECURITY.md, registry rows: a registry signed with another key or
//! carrying a forged signature, duplicate ids, and files too large to be a registry. Each
//! is refused whole with a clear error; nothing is half-loaded.

use healthguard_registry::{
    builtin_files, generate_keypair, load, load_verified, read_dir, sign, LoadError, SourceFile, MAX_FILE_BYTES,
    MAX_TOTAL_BYTES, SIGNATURE_FILE,
};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hg-registry-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_all(dir: &Path, files: &[SourceFile]) {
    for f in files {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &f.text).unwrap();
    }
}

#[test]
fn a_registry_signed_with_another_key_is_refused() {
    let mut files = builtin_files();
    let registry = load(&files).unwrap();
    let (secret, _) = generate_keypair().unwrap();
    let (_, configured) = generate_keypair().unwrap();
    files.push(SourceFile {
        path: SIGNATURE_FILE.into(),
        text: sign(&registry, &secret).unwrap(),
    });
    let dir = scratch("wrong-key");
    write_all(&dir, &files);
    let err = load_verified(&read_dir(&dir).unwrap(), Some(&configured)).unwrap_err();
    assert!(matches!(err, LoadError::Signature(_)), "{err}");
    assert!(err.to_string().contains("signature check failed"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn forged_and_malformed_signatures_are_refused() {
    let files = builtin_files();
    let (_, public) = generate_keypair().unwrap();
    for sig in [
        "healthguard-registry-signature-ed25519\nAAAA\n".to_string(),
        format!("healthguard-registry-signature-ed25519\n{}\n", "A".repeat(86) + "=="),
        "healthguard-registry-public-key-ed25519\nAAAA\n".to_string(),
        "\0\u{feff}".to_string(),
        "healthguard-registry-signature-ed25519\n".to_string() + &"QUFB".repeat(1_000_000),
    ] {
        let mut with = files.clone();
        with.push(SourceFile {
            path: SIGNATURE_FILE.into(),
            text: sig,
        });
        let err = load_verified(&with, Some(&public)).unwrap_err();
        assert!(matches!(err, LoadError::Signature(_)), "{err}");
    }
    // A signature over the registry that is valid for it, checked against a tampered copy.
    let registry = load(&files).unwrap();
    let (secret, public) = generate_keypair().unwrap();
    let sig = sign(&registry, &secret).unwrap();
    let mut tampered = files.clone();
    let nfz = tampered.iter_mut().find(|f| f.path.ends_with("pl/nfz.toml")).unwrap();
    nfz.text = nfz.text.replacen("nfz.gov.pl", "nfz-gov.pl", 1);
    tampered.push(SourceFile {
        path: SIGNATURE_FILE.into(),
        text: sig,
    });
    assert!(matches!(
        load_verified(&tampered, Some(&public)),
        Err(LoadError::Signature(_)) | Err(LoadError::Invalid(_))
    ));
}

#[test]
fn duplicate_ids_refuse_the_whole_registry() {
    let mut files = builtin_files();
    let nfz = files.iter().find(|f| f.path.ends_with("pl/nfz.toml")).unwrap().clone();
    files.push(SourceFile {
        path: "pl/nfz-copy.toml".into(),
        text: nfz.text.clone(),
    });
    let problems = load(&files).unwrap_err();
    assert!(
        problems.iter().any(|p| p.message.contains("duplicate id \"pl.nfz\"")),
        "{problems:?}"
    );
}

#[test]
fn files_too_large_for_a_registry_are_refused_before_reading() {
    let dir = scratch("huge");
    write_all(&dir, &builtin_files());
    // One pack over the per-file limit: refused by size, not read into memory.
    let big = dir.join("pl/huge.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    let err = read_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    std::fs::remove_file(&big).unwrap();
    // Many files each under the limit, over the total.
    let per = MAX_FILE_BYTES;
    let n = MAX_TOTAL_BYTES / per + 1;
    for i in 0..n {
        let f = std::fs::File::create(dir.join(format!("pl/filler-{i}.toml"))).unwrap();
        f.set_len(per).unwrap();
    }
    let err = read_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_large_valid_pack_lints_in_bounded_work() {
    // 2,000 institutions with a domain and a phone each, in one 1.2 MB file.
    let mut pack = String::from("schema = 1\n");
    let mut files = vec![
        SourceFile {
            path: "registry.toml".into(),
            text: "schema = 1\nversion = \"big\"\n".into(),
        },
        SourceFile {
            path: "pl/country.toml".into(),
            text: "schema = 1\n[country]\ncode = \"PL\"\nlanguages = [\"pl\"]\n".into(),
        },
    ];
    for i in 0..2000 {
        pack = format!(
            "schema = 1\n[institution]\nid = \"pl.x{i}\"\ncountry = \"PL\"\nkind = \"agency\"\nnames = {{ pl = [\"Urząd numer {i}\"] }}\nsource = \"https://example.org/{i}\"\n[[domain]]\nvalue = \"urzad{i}.gov.pl\"\nuses = [\"web\"]\nsource = \"https://example.org/{i}\"\nconfidence = \"high\"\n"
        );
        files.push(SourceFile {
            path: format!("pl/x{i}.toml"),
            text: pack.clone(),
        });
    }
    assert!(!pack.is_empty());
    let registry = load(&files).unwrap_or_else(|p| panic!("{:?}", &p[..p.len().min(3)]));
    assert_eq!(registry.institutions.len(), 2000);
    // A pack file that is only a huge string: a parse error with a line, not a hang.
    let mut bad = files[..2].to_vec();
    bad.push(SourceFile {
        path: "pl/bad.toml".into(),
        text: format!("schema = 1\n[institution]\nid = \"{}", "x".repeat(3_000_000)),
    });
    let problems = load(&bad).unwrap_err();
    assert!(problems.iter().all(|p| p.message.len() < 4096), "{problems:?}");
}
