//! Registry packs: TOML parsing, lint and assembly of a pack set, then signature checks.
//! The input is NUL-separated files: the first is `registry.toml`, the next ones country
//! and institution packs; with three parts or more the last is `registry.sig`. A loaded
//! registry must sign and verify with a fresh key, and never verify with the input's
//! signature under that key.
#![no_main]

use healthguard_registry::{generate_keypair, load, load_verified, sign, verify, SourceFile, SIGNATURE_FILE};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn keys() -> &'static (String, String) {
    static K: OnceLock<(String, String)> = OnceLock::new();
    K.get_or_init(|| generate_keypair().expect("randomness"))
}

fuzz_target!(|data: &[u8]| {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).take(8).collect();
    let n = parts.len();
    let files: Vec<SourceFile> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| SourceFile {
            path: match i {
                0 => "registry.toml".to_string(),
                i if i == n - 1 && n >= 3 => SIGNATURE_FILE.to_string(),
                i => format!("pl/pack{i}.toml"),
            },
            text: String::from_utf8_lossy(p).into_owned(),
        })
        .collect();
    let (secret, public) = keys();
    // The fuzzed signature can never match a key made in this process.
    assert!(load_verified(&files, Some(public)).is_err());
    if let Ok(registry) = load(&files) {
        let sig = sign(&registry, secret).expect("sign");
        verify(&registry, &sig, public).expect("own signature verifies");
        if let Some(f) = files.iter().find(|f| f.path == SIGNATURE_FILE) {
            assert!(verify(&registry, &f.text, public).is_err());
            let _ = verify(&registry, &sig, &f.text);
        }
        let _ = std::hint::black_box(healthguard_core::Checker::new(registry));
    }
});
