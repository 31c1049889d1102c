//! The registry of health institutions' official channels: the checker's root of trust.
//!
//! A registry is a directory of TOML packs (`registry.toml`, then `<cc>/country.toml` and
//! one `<cc>/<institution>.toml` per institution). [`load`] parses and lints them in one pass
//! and returns either a whole [`Registry`] or every [`Problem`] with `file:line`; [`sign`]
//! and [`verify`] protect a registry with ed25519 over its canonical JSON form.
//!
//! ```
//! let registry = healthguard_registry::builtin();
//! let nfz = registry.institution("pl.nfz").unwrap();
//! assert!(nfz.domains.iter().any(|d| d.name == "nfz.gov.pl"));
//! ```
#![deny(missing_docs)]

pub mod active;
mod load;
mod model;
pub mod pack;
mod sign;

pub use load::{load, normalize_domain, normalize_phone, Problem, SourceFile};
pub use model::*;
pub use sign::{generate_keypair, sign, verify, SignError, SIGNATURE_FILE};

use std::path::Path;
use std::sync::OnceLock;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in packs' files, as embedded at compile time.
pub fn builtin_files() -> Vec<SourceFile> {
    embedded::EMBEDDED
        .iter()
        .map(|(path, text)| SourceFile {
            path: path.to_string(),
            text: text.to_string(),
        })
        .collect()
}

/// The built-in registry. The packs are linted by the test suite, so this cannot fail in a
/// released binary; it is parsed once per process.
pub fn builtin() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        load::load_prelinted(&builtin_files()).unwrap_or_else(|problems| {
            let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            panic!("built-in registry is invalid:\n{}", list.join("\n"))
        })
    })
}

/// Why a registry directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Lint found problems; nothing was loaded.
    #[error("registry refused: {} problem(s)\n{}", .0.len(), .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// The signature is missing, malformed or does not match.
    #[error("registry refused: {0}")]
    Signature(String),
}

/// Largest registry file read (the built-in packs are at most a few tens of KiB): 4 MiB.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Largest registry directory read, all files together: 32 MiB.
pub const MAX_TOTAL_BYTES: u64 = 32 * 1024 * 1024;

/// Reads every `.toml` and `.sig` file under `dir` (recursively). A file larger than
/// [`MAX_FILE_BYTES`], or files larger than [`MAX_TOTAL_BYTES`] together, refuse the
/// directory before they are read.
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, LoadError> {
    let mut out = Vec::new();
    let mut total = 0;
    read_into(dir, dir, &mut out, &mut total)?;
    Ok(out)
}

fn too_large(path: &Path, what: String) -> LoadError {
    LoadError::Io {
        path: path.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, what),
    }
}

fn read_into(root: &Path, dir: &Path, out: &mut Vec<SourceFile>, total: &mut u64) -> Result<(), LoadError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| LoadError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.is_dir() {
            read_into(root, &path, out, total)?;
        } else if path.extension().is_some_and(|e| e == "toml" || e == "sig") {
            let len = std::fs::metadata(&path).map_err(io(&path))?.len();
            if len > MAX_FILE_BYTES {
                return Err(too_large(
                    &path,
                    format!("{len} bytes: larger than {MAX_FILE_BYTES}, not a registry file"),
                ));
            }
            *total += len;
            if *total > MAX_TOTAL_BYTES {
                return Err(too_large(
                    &path,
                    format!("the registry's files are larger than {MAX_TOTAL_BYTES} bytes together"),
                ));
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(std::fs::File::open(&path).map_err(io(&path))?, MAX_FILE_BYTES + 1),
                &mut bytes,
            )
            .map_err(io(&path))?;
            if bytes.len() as u64 > MAX_FILE_BYTES {
                return Err(too_large(
                    &path,
                    format!("larger than {MAX_FILE_BYTES} bytes, not a registry file"),
                ));
            }
            let text = String::from_utf8(bytes).map_err(|_| LoadError::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "file is not valid UTF-8"),
            })?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(SourceFile { path: rel, text });
        }
    }
    Ok(())
}

/// Loads a registry directory, lints it and, when `public_key` (a key file's text) is given,
/// checks its signature. Refused whole on any problem.
pub fn load_verified(files: &[SourceFile], public_key: Option<&str>) -> Result<Registry, LoadError> {
    let registry = load(files).map_err(LoadError::Invalid)?;
    if let Some(key) = public_key {
        let sig = files
            .iter()
            .find(|f| f.path == SIGNATURE_FILE)
            .ok_or_else(|| LoadError::Signature(format!("no {SIGNATURE_FILE} in the registry directory")))?;
        verify(&registry, &sig.text, key).map_err(|e| LoadError::Signature(e.to_string()))?;
    }
    Ok(registry)
}
