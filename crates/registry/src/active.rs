//! The active registry of a data directory: installed by `healthguard registry update`, read
//! by `serve` and `milter`.
//!
//! A data directory holds at most one active registry, as one bundle file
//! ([`ACTIVE_FILE`]: the packs and their signature in a JSON list) beside the public key it
//! was verified with ([`PINNED_KEY_FILE`]). [`install`] accepts a registry only when it is
//! signed by that key, lints clean and has a version strictly newer than both the active one
//! and the built-in one; it writes a temporary file, syncs it, renames it over the old bundle
//! and syncs the directory, so a reader sees the old registry or the new one, never half, and
//! a failed update leaves the last good one. [`load_active`] verifies the bundle again each
//! time it is read; [`Stamp`] tells a server when to read it again.

use crate::{load_verified, read_dir, LoadError, Registry, SourceFile, MAX_FILE_BYTES, MAX_TOTAL_BYTES};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The active registry's bundle, in the data directory.
pub const ACTIVE_FILE: &str = "registry.bundle.json";
/// The public key the active registry was verified with, in the data directory.
pub const PINNED_KEY_FILE: &str = "registry.pub";
/// The `format` of a bundle file.
const BUNDLE_FORMAT: &str = "healthguard-registry-bundle-1";
/// Largest bundle read: the directory limit, with room for JSON escapes.
const MAX_BUNDLE_BYTES: u64 = 2 * MAX_TOTAL_BYTES;

#[derive(Serialize, Deserialize)]
struct Bundle {
    format: String,
    files: Vec<BundleFile>,
}

#[derive(Serialize, Deserialize)]
struct BundleFile {
    path: String,
    text: String,
}

/// Why an update was refused. Nothing in the data directory changed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The new registry could not be read, failed lint or its signature check.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// No key to verify with.
    #[error("no public key: give the registry publisher's key (--pubkey FILE); it is pinned in {0} for later updates")]
    NoKey(String),
    /// The key given is not the pinned one.
    #[error("{0} pins another public key: updates must be signed by it (remove that file to change keys on purpose)")]
    OtherKey(String),
    /// The version is not of the form `2026.12.03` (numbers separated by dots).
    #[error("registry version {0:?} refused: versions are numbers separated by dots, e.g. 2026.12.03")]
    BadVersion(String),
    /// The version is not strictly newer than the one in use.
    #[error("registry {new} refused: not newer than the {which} registry {active} (versions only go up)")]
    NotNewer {
        /// The refused registry's version.
        new: String,
        /// The version in use.
        active: String,
        /// `active` or `built-in`.
        which: &'static str,
    },
    /// The active registry cannot be read, so the update cannot be compared with it.
    #[error("the active registry {path} cannot be used ({reason}); remove it to install afresh")]
    ActiveUnreadable {
        /// The bundle file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Writing the data directory failed; the previous registry stays.
    #[error("cannot write {path}: {source}")]
    Io {
        /// What was being written.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What [`install`] replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The version now active.
    pub version: String,
    /// The version it replaced: the previous active registry's, or the built-in one's.
    pub previous: String,
    /// Institutions in the new registry.
    pub institutions: usize,
}

/// Compares two registry versions, numbers separated by dots (`2026.12.03` <
/// `2026.12.03.1` < `2026.12.10`); `None` when either is not of that form.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let parse = |v: &str| -> Option<Vec<u64>> {
        v.split('.')
            .map(|p| {
                (!p.is_empty() && p.len() <= 18 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse().ok())
                    .flatten()
            })
            .collect()
    };
    let (a, b) = (parse(a)?, parse(b)?);
    let len = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    Some(
        (0..len)
            .map(|i| at(&a, i).cmp(&at(&b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
    )
}

/// The files of a registry given as a directory (as [`read_dir`]) or as a bundle file.
pub fn read_source(path: &Path) -> Result<Vec<SourceFile>, LoadError> {
    if path.is_dir() {
        read_dir(path)
    } else {
        read_bundle(path)
    }
}

fn bad_bundle(path: &Path, what: impl Into<String>) -> LoadError {
    LoadError::Io {
        path: path.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, what.into()),
    }
}

/// Reads a bundle file. Its files obey the limits of a registry directory; their paths are
/// names only (a bundle is never unpacked onto the disk).
pub fn read_bundle(path: &Path) -> Result<Vec<SourceFile>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_BUNDLE_BYTES {
        return Err(bad_bundle(
            path,
            format!("{len} bytes: larger than {MAX_BUNDLE_BYTES}, not a registry bundle"),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BUNDLE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(bad_bundle(
            path,
            format!("larger than {MAX_BUNDLE_BYTES} bytes, not a registry bundle"),
        ));
    }
    let bundle: Bundle = serde_json::from_slice(&bytes).map_err(|e| {
        bad_bundle(
            path,
            format!(
                "not a registry bundle (a registry directory or a file written by `healthguard registry bundle`): {e}"
            ),
        )
    })?;
    if bundle.format != BUNDLE_FORMAT {
        return Err(bad_bundle(
            path,
            format!("bundle format {:?} is not {BUNDLE_FORMAT:?}", bundle.format),
        ));
    }
    let mut total = 0u64;
    let mut seen = std::collections::HashSet::new();
    let mut files = Vec::with_capacity(bundle.files.len());
    for f in bundle.files {
        let n = f.text.len() as u64;
        if n > MAX_FILE_BYTES {
            return Err(bad_bundle(
                path,
                format!("{}: larger than {MAX_FILE_BYTES} bytes, not a registry file", f.path),
            ));
        }
        total += n;
        if total > MAX_TOTAL_BYTES {
            return Err(bad_bundle(
                path,
                format!("the registry's files are larger than {MAX_TOTAL_BYTES} bytes together"),
            ));
        }
        if !seen.insert(f.path.clone()) {
            return Err(bad_bundle(path, format!("{} appears twice", f.path)));
        }
        files.push(SourceFile {
            path: f.path,
            text: f.text,
        });
    }
    Ok(files)
}

/// The text of a bundle file holding `files` (sorted by path).
pub fn bundle_text(files: &[SourceFile]) -> String {
    let mut list: Vec<BundleFile> = files
        .iter()
        .map(|f| BundleFile {
            path: f.path.clone(),
            text: f.text.clone(),
        })
        .collect();
    list.sort_by(|a, b| a.path.cmp(&b.path));
    let bundle = Bundle {
        format: BUNDLE_FORMAT.to_string(),
        files: list,
    };
    // A Vec of plain strings always serialises.
    serde_json::to_string_pretty(&bundle).unwrap_or_default() + "\n"
}

/// The active bundle's path in `data_dir`.
pub fn active_path(data_dir: &Path) -> PathBuf {
    data_dir.join(ACTIVE_FILE)
}

/// What identifies one version of the active bundle on disk: a new rename gives a new
/// inode, so a change is seen even within the file system's time resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

/// The active bundle's [`Stamp`], `None` when there is none.
pub fn stamp(data_dir: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(active_path(data_dir)).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
    })
}

/// The active registry of `data_dir`, verified against the pinned key; `None` when none was
/// installed.
pub fn load_active(data_dir: &Path) -> Result<Option<Registry>, LoadError> {
    let path = active_path(data_dir);
    if !path.exists() {
        return Ok(None);
    }
    let key_path = data_dir.join(PINNED_KEY_FILE);
    let key = std::fs::read_to_string(&key_path).map_err(|source| LoadError::Io {
        path: key_path.display().to_string(),
        source,
    })?;
    let files = read_bundle(&path)?;
    load_verified(&files, Some(&key)).map(Some)
}

/// Installs `files` as the active registry of `data_dir` (created when missing). `key` is
/// the publisher's public key file text; without it the pinned key is used, and a key that
/// differs from the pinned one is refused. Refused unless signed, lint-clean and strictly
/// newer than the active registry and than `builtin_version`.
pub fn install(
    data_dir: &Path,
    files: &[SourceFile],
    key: Option<&str>,
    builtin_version: &str,
) -> Result<Installed, UpdateError> {
    let key_path = data_dir.join(PINNED_KEY_FILE);
    let pinned = match std::fs::read_to_string(&key_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(UpdateError::Io {
                path: key_path.display().to_string(),
                source,
            })
        }
    };
    let key = match (key, &pinned) {
        (Some(k), Some(p)) if k.trim() != p.trim() => {
            return Err(UpdateError::OtherKey(key_path.display().to_string()))
        }
        (Some(k), _) => k.to_string(),
        (None, Some(p)) => p.clone(),
        (None, None) => return Err(UpdateError::NoKey(key_path.display().to_string())),
    };
    let new = load_verified(files, Some(&key))?;
    if compare_versions(&new.version, &new.version).is_none() {
        return Err(UpdateError::BadVersion(new.version.clone()));
    }
    let active = if pinned.is_some() || active_path(data_dir).exists() {
        load_active(data_dir).map_err(|e| UpdateError::ActiveUnreadable {
            path: active_path(data_dir).display().to_string(),
            reason: e.to_string(),
        })?
    } else {
        None
    };
    let mut floor = (builtin_version.to_string(), "built-in");
    if let Some(a) = &active {
        if compare_versions(&a.version, &floor.0) != Some(Ordering::Less) {
            floor = (a.version.clone(), "active");
        }
    }
    if compare_versions(&new.version, &floor.0) != Some(Ordering::Greater) {
        return Err(UpdateError::NotNewer {
            new: new.version.clone(),
            active: floor.0,
            which: floor.1,
        });
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| UpdateError::Io { path, source }
    };
    std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    if pinned.is_none() {
        write_atomic(data_dir, PINNED_KEY_FILE, key.as_bytes()).map_err(io(&key_path))?;
    }
    let path = active_path(data_dir);
    write_atomic(data_dir, ACTIVE_FILE, bundle_text(files).as_bytes()).map_err(io(&path))?;
    Ok(Installed {
        version: new.version.clone(),
        previous: active.map_or(builtin_version.to_string(), |a| a.version),
        institutions: new.institutions.len(),
    })
}

/// Writes `dir/name` by a synced temporary file renamed over it, then syncs the directory.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, dir.join(name))?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_their_numbers() {
        assert_eq!(compare_versions("2026.12.03", "2026.12.04"), Some(Ordering::Less));
        assert_eq!(compare_versions("2026.12.10", "2026.12.9"), Some(Ordering::Greater));
        assert_eq!(compare_versions("2026.12.03.1", "2026.12.03"), Some(Ordering::Greater));
        assert_eq!(compare_versions("2026.12.03.0", "2026.12.03"), Some(Ordering::Equal));
        assert_eq!(compare_versions("2026.12.03", "2026.12.03"), Some(Ordering::Equal));
        for bad in [
            "",
            "2026..1",
            "v2026",
            "2026.12.03-rc1",
            "1e3",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(compare_versions(bad, "1"), None, "{bad:?}");
        }
    }

    #[test]
    fn bundles_round_trip_sorted() {
        let files = vec![
            SourceFile {
                path: "pl/nfz.toml".into(),
                text: "a = \"\\u0000\"\n".into(),
            },
            SourceFile {
                path: "registry.toml".into(),
                text: "x".into(),
            },
        ];
        let dir = std::env::temp_dir().join(format!("hg-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("b.json");
        std::fs::write(&path, bundle_text(&files)).unwrap();
        let back = read_bundle(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].path, "pl/nfz.toml");
        assert_eq!(back[0].text, files[0].text);
        std::fs::write(&path, b"{\"format\":\"other\",\"files\":[]}").unwrap();
        assert!(read_bundle(&path).unwrap_err().to_string().contains("is not"));
        std::fs::write(&path, b"\x00garbage").unwrap();
        assert!(read_bundle(&path)
            .unwrap_err()
            .to_string()
            .contains("not a registry bundle"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
