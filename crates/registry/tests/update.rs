//! `active::install`: only a signed, lint-clean, strictly newer registry replaces the active
//! one, and a refused update leaves the data directory as it was.

use healthguard_registry::active::{self, UpdateError};
use healthguard_registry::{builtin, builtin_files, generate_keypair, load, sign, SourceFile, SIGNATURE_FILE};
use std::path::PathBuf;

/// The built-in packs under another version, signed with `secret` (unsigned when `None`).
fn registry(version: &str, secret: Option<&str>) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = builtin_files()
        .into_iter()
        .map(|mut f| {
            if f.path == "registry.toml" {
                f.text = f.text.replace(
                    &format!("version = \"{}\"", builtin().version),
                    &format!("version = \"{version}\""),
                );
            }
            f
        })
        .collect();
    if let Some(secret) = secret {
        let r = load(&files).unwrap();
        assert_eq!(r.version, version);
        files.push(SourceFile {
            path: SIGNATURE_FILE.into(),
            text: sign(&r, secret).unwrap(),
        });
    }
    files
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hg-update-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The bytes of every file in `dir`, to show a refused update changed nothing.
fn snapshot(dir: &PathBuf) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                let p = e.unwrap().path();
                (p.display().to_string(), std::fs::read(&p).unwrap())
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn only_signed_newer_registries_replace_the_active_one() {
    let (secret, public) = generate_keypair().unwrap();
    let (other_secret, _) = generate_keypair().unwrap();
    let dir = data_dir("rules");
    let builtin_version = &builtin().version;

    // No key at all: refused, nothing written.
    let err = active::install(&dir, &registry("2099.1.1", Some(&secret)), None, builtin_version).unwrap_err();
    assert!(matches!(err, UpdateError::NoKey(_)), "{err}");
    assert!(!dir.exists());

    // Unsigned, or signed by another key: refused.
    let err = active::install(&dir, &registry("2099.1.1", None), Some(&public), builtin_version).unwrap_err();
    assert!(err.to_string().contains("no registry.sig"), "{err}");
    let err = active::install(
        &dir,
        &registry("2099.1.1", Some(&other_secret)),
        Some(&public),
        builtin_version,
    )
    .unwrap_err();
    assert!(err.to_string().contains("signature check failed"), "{err}");
    assert!(!dir.exists());

    // Not newer than the built-in registry: refused.
    let err = active::install(
        &dir,
        &registry(builtin_version, Some(&secret)),
        Some(&public),
        builtin_version,
    )
    .unwrap_err();
    assert!(matches!(err, UpdateError::NotNewer { which: "built-in", .. }), "{err}");
    let err = active::install(
        &dir,
        &registry("2000.1.1", Some(&secret)),
        Some(&public),
        builtin_version,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("not newer than the built-in registry"),
        "{err}"
    );
    let err = active::install(
        &dir,
        &registry("2099-01-01", Some(&secret)),
        Some(&public),
        builtin_version,
    )
    .unwrap_err();
    assert!(matches!(err, UpdateError::BadVersion(_)), "{err}");

    // A good one: installed, the key pinned.
    let done = active::install(
        &dir,
        &registry("2099.1.1", Some(&secret)),
        Some(&public),
        builtin_version,
    )
    .unwrap();
    assert_eq!(done.version, "2099.1.1");
    assert_eq!(&done.previous, builtin_version);
    assert_eq!(active::load_active(&dir).unwrap().unwrap().version, "2099.1.1");
    let stamp = active::stamp(&dir).unwrap();
    let before = snapshot(&dir);

    // Equal and older versions: refused with the active version named; nothing changes.
    for v in ["2099.1.1", "2099.1.1.0", "2099.1.0", "2026.12.31"] {
        let err = active::install(&dir, &registry(v, Some(&secret)), None, builtin_version).unwrap_err();
        assert!(
            err.to_string().contains(&format!(
                "registry {v} refused: not newer than the active registry 2099.1.1"
            )),
            "{err}"
        );
    }
    // Another key, even with a valid signature by it: refused.
    let (third_secret, third_public) = generate_keypair().unwrap();
    let err = active::install(
        &dir,
        &registry("2100.1.1", Some(&third_secret)),
        Some(&third_public),
        builtin_version,
    )
    .unwrap_err();
    assert!(matches!(err, UpdateError::OtherKey(_)), "{err}");
    // A tampered pack under a valid-looking signature: refused.
    let mut tampered = registry("2100.1.1", Some(&secret));
    let nfz = tampered.iter_mut().find(|f| f.path == "pl/nfz.toml").unwrap();
    nfz.text = nfz.text.replacen("nfz.gov.pl", "nfz-gov.pl", 1);
    let err = active::install(&dir, &tampered, None, builtin_version).unwrap_err();
    assert!(err.to_string().contains("signature check failed"), "{err}");
    assert_eq!(snapshot(&dir), before, "a refused update changes nothing");
    assert_eq!(active::stamp(&dir).unwrap(), stamp);

    // The next version, with the pinned key: replaces it; the stamp changes.
    let done = active::install(&dir, &registry("2099.1.2", Some(&secret)), None, builtin_version).unwrap();
    assert_eq!(
        (done.previous.as_str(), done.version.as_str()),
        ("2099.1.1", "2099.1.2")
    );
    assert_eq!(active::load_active(&dir).unwrap().unwrap().version, "2099.1.2");
    assert_ne!(active::stamp(&dir).unwrap(), stamp);
    let leftovers: Vec<_> = snapshot(&dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_bundle_is_refused_and_a_corrupt_active_one_blocks_updates() {
    let (secret, public) = generate_keypair().unwrap();
    let dir = data_dir("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    // A corrupt source file: refused when read.
    let source = dir.join("new.json");
    std::fs::write(
        &source,
        b"{\"format\":\"healthguard-registry-bundle-1\",\"files\":[{\"path\":",
    )
    .unwrap();
    let err = active::read_source(&source).unwrap_err();
    assert!(err.to_string().contains("not a registry bundle"), "{err}");
    // A whole bundle, then cut in half: refused.
    std::fs::write(&source, active::bundle_text(&registry("2099.1.1", Some(&secret)))).unwrap();
    assert_eq!(active::read_source(&source).unwrap().len(), builtin_files().len() + 1);
    let bytes = std::fs::read(&source).unwrap();
    std::fs::write(&source, &bytes[..bytes.len() / 2]).unwrap();
    assert!(active::read_source(&source).is_err());

    // The active bundle damaged on disk: loading fails, and an update says to remove it.
    active::install(
        &dir,
        &registry("2099.1.1", Some(&secret)),
        Some(&public),
        &builtin().version,
    )
    .unwrap();
    let path = active::active_path(&dir);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("nfz.gov.pl", "nfz-gov.pl");
    std::fs::write(&path, text).unwrap();
    assert!(active::load_active(&dir)
        .unwrap_err()
        .to_string()
        .contains("signature check failed"));
    let err = active::install(&dir, &registry("2099.2.1", Some(&secret)), None, &builtin().version).unwrap_err();
    assert!(matches!(err, UpdateError::ActiveUnreadable { .. }), "{err}");
    assert!(err.to_string().contains("remove it to install afresh"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
