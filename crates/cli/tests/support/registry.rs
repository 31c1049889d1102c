//! Signed registries for the tests of `registry update` (serve.rs, milter.rs).

use std::process::Command;

pub fn healthguard(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_healthguard"))
        .args(args)
        .output()
        .unwrap()
}

/// The built-in packs copied to `to` under `version`, plus (when `extra` is set) a test
/// domain given to NFZ, then signed with `secret`.
pub fn signed_registry(to: &std::path::Path, version: &str, extra: bool, secret: &std::path::Path) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let target = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &target);
            } else if p.extension().is_some_and(|x| x == "toml") {
                std::fs::copy(&p, &target).unwrap();
            }
        }
    }
    let _ = std::fs::remove_dir_all(to);
    copy(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/registry"),
        to,
    );
    let root = to.join("registry.toml");
    let text = std::fs::read_to_string(&root).unwrap();
    let start = text.find("version = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    std::fs::write(
        &root,
        format!("{}version = \"{version}\"{}", &text[..start], &text[end..]),
    )
    .unwrap();
    if extra {
        let nfz = to.join("pl/nfz.toml");
        let mut text = std::fs::read_to_string(&nfz).unwrap();
        text.push_str(
            "\n[[domain]]\nvalue = \"nfz-zwrot-pl.com\"\nuses = [\"web\"]\nsource = \"test\"\nconfidence = \"high\"\n",
        );
        std::fs::write(&nfz, text).unwrap();
    }
    let out = healthguard(&[
        "registry".as_ref(),
        "sign".as_ref(),
        "--key".as_ref(),
        secret.as_os_str(),
        to.as_os_str(),
    ]);
    assert!(out.status.success(), "{out:?}");
}
