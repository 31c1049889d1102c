//! `healthguard eval email`: detection measured on labelled e-mail corpora, scanned in
//! parallel by the [`scan`](crate::scan) engine.

use crate::args::{EvalEmailArgs, Split};
use crate::metrics::{Confusion, Mistakes};
use crate::registry_cmd;
use crate::scan::{Engine, Record, Summary};
use anyhow::{bail, Context, Result};
use healthguard_core::Verdict;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Canonical labels: the threat, the legitimate, and the reported-apart ones.
const PHISHING: &str = "phishing";
const LEGITIMATE: &str = "legitimate";
const SPAM: &str = "spam";
const UNLABELLED: &str = "unlabelled";

/// The canonical label for a label word or a path component (case-insensitive).
fn canonical(word: &str) -> Option<&'static str> {
    match word.to_ascii_lowercase().as_str() {
        "phishing" | "phishing_pot" | "phish" => Some(PHISHING),
        "ham" | "legit" | "legitimate" => Some(LEGITIMATE),
        "spam" => Some(SPAM),
        _ => None,
    }
}

/// The label of `file` found under `root`: the first component, from the root's own name
/// down, that names a label; components above the root never count.
fn label_from_path(root: &Path, file: &Path) -> &'static str {
    let below = file.strip_prefix(root).unwrap_or(Path::new(""));
    root.file_name()
        .into_iter()
        .chain(below.components().map(|c| c.as_os_str()))
        .find_map(|c| c.to_str().and_then(canonical))
        .unwrap_or(UNLABELLED)
}

/// A manifest's entries: (label, path). Known label words are made canonical; other labels
/// are kept as written (and reported apart).
fn read_manifest(file: &Path) -> Result<Vec<(String, PathBuf)>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((label, path)) = line.split_once('\t') else {
            bail!("{}:{}: expected label<TAB>path", file.display(), n + 1);
        };
        let (label, path) = (label.trim(), path.trim());
        if label.is_empty() || path.is_empty() {
            bail!("{}:{}: expected label<TAB>path", file.display(), n + 1);
        }
        let label = canonical(label).map_or_else(|| label.to_ascii_lowercase(), str::to_string);
        entries.push((label, base.join(path)));
    }
    Ok(entries)
}

/// Salt of the split hash. Corpora are often halved by a plain hash of the file name
/// already (a development half and a sealed one); without a salt every development file
/// would land on one side.
const SPLIT_SALT: &[u8] = b"healthguard eval split 1\0";

/// Whether `file` is in the part `split` counts: the halves are fixed by the salted SHA-256
/// of the file name (not its folder), so a message stays on its side wherever the corpus is
/// copied.
pub(crate) fn in_split(split: Split, file: &Path) -> bool {
    in_split_key(
        split,
        file.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default(),
    )
}

/// Whether the item keyed by `key` (a file name, an SMS's folded text) is in the part
/// `split` counts, by the salted SHA-256 of the key.
pub(crate) fn in_split_key(split: Split, key: &[u8]) -> bool {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(SPLIT_SALT)
        .chain_update(key)
        .finalize();
    let validation = digest[0] & 1 == 1;
    match split {
        Split::All => true,
        Split::Tuning => !validation,
        Split::Validation => validation,
    }
}

/// One corpus: a path given on the command line, or the manifest.
struct Corpus {
    name: String,
    confusion: Confusion,
    false_positives: Mistakes<(usize, usize, usize)>,
    misses: Mistakes<(usize, usize, usize)>,
    errors: usize,
}

impl Corpus {
    fn new(name: String) -> Corpus {
        Corpus {
            name,
            confusion: Confusion::default(),
            false_positives: Mistakes::default(),
            misses: Mistakes::default(),
            errors: 0,
        }
    }

    fn add(&mut self, record: &Record, label: &str) {
        let Ok(s) = &record.outcome else {
            self.errors += 1;
            return;
        };
        self.confusion.add(label, s.verdict);
        let flagged = s.verdict >= Verdict::Suspicious;
        let codes: Vec<&str> = s
            .findings
            .iter()
            .filter(|(_, weight)| *weight != 0.0)
            .map(|(code, _)| code.as_str())
            .collect();
        if flagged && label == LEGITIMATE {
            self.false_positives.add(record.order, s.score, &codes, &record.path());
        } else if !flagged && label == PHISHING {
            self.misses.add(record.order, s.score, &codes, &record.path());
        }
    }
}

/// Runs `eval email`: 0, or 3 when some files or messages could not be scanned.
pub fn run(args: EvalEmailArgs) -> Result<u8> {
    let checker = registry_cmd::checker(&args.registry)?;
    let engine = Engine::new(&checker, &args.run, &args.auth)?;
    // Roots to scan; for each, its corpus and (from a manifest) its fixed label.
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut fixed: Vec<(usize, Option<String>)> = Vec::new();
    let mut corpora: Vec<Corpus> = Vec::new();
    for path in &args.paths {
        fixed.push((corpora.len(), None));
        roots.push(path.clone());
        corpora.push(Corpus::new(path.display().to_string()));
    }
    if let Some(manifest) = &args.manifest {
        for (label, path) in read_manifest(manifest)? {
            fixed.push((corpora.len(), Some(label)));
            roots.push(path);
        }
        corpora.push(Corpus::new(format!("manifest {}", manifest.display())));
    }
    let mut dump = match &args.jsonl {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => None,
    };
    let mut summary = Summary::default();
    let mut dump_error = None;
    let stats = engine.run(&roots, |record| {
        if !in_split(args.split, &record.file) {
            return;
        }
        let (corpus, label) = &fixed[record.root];
        let label = label
            .as_deref()
            .unwrap_or_else(|| label_from_path(&roots[record.root], &record.file));
        corpora[*corpus].add(&record, label);
        summary.add(&record);
        if let (Some(out), None) = (dump.as_mut(), &dump_error) {
            dump_error = writeln!(out, "{}", record.json_line(Some(label))).err();
        }
    })?;
    if let Some(out) = dump.as_mut() {
        let flushed = out.flush();
        if let Some(e) = dump_error.map_or(flushed.err(), Some) {
            return Err(e).context("cannot write --jsonl file");
        }
    }
    let mut out = String::new();
    let all = corpora.len() > 1;
    let mut total = Confusion::default();
    for corpus in &mut corpora {
        out += &format!(
            "corpus: {} ({} messages, {} could not be scanned)\n",
            corpus.name,
            corpus.confusion.items(),
            corpus.errors
        );
        out += &corpus.confusion.table(&[PHISHING], &[LEGITIMATE]);
        out += "\n";
        out += &corpus.false_positives.render("false positives", args.show);
        out += &corpus.misses.render("misses", args.show);
        out += "\n";
        if all {
            total.merge(&corpus.confusion);
        }
    }
    if all {
        out += &format!("all corpora ({} messages)\n", total.items());
        out += &total.table(&[PHISHING], &[LEGITIMATE]);
        out += "\n";
    }
    out += &summary.render(&stats);
    crate::write_stdout(&out)?;
    Ok(if summary.errors() == 0 {
        0
    } else {
        crate::EXIT_INPUT_ERROR
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_halves_split_by_file_name_and_cover_everything() {
        let names: Vec<PathBuf> = (0..200).map(|i| PathBuf::from(format!("/c/{i}.eml"))).collect();
        let tuning = names.iter().filter(|f| in_split(Split::Tuning, f)).count();
        let validation = names.iter().filter(|f| in_split(Split::Validation, f)).count();
        assert_eq!(tuning + validation, 200);
        assert!((70..=130).contains(&tuning), "{tuning} of 200 in the tuning half");
        assert!(names.iter().all(|f| in_split(Split::All, f)));
        // The folder does not move a file to the other side.
        let a = in_split(Split::Tuning, Path::new("/one/place/x.eml"));
        assert_eq!(a, in_split(Split::Tuning, Path::new("/another/x.eml")));
    }

    #[test]
    fn labels_come_from_the_root_name_down_never_above() {
        let root = Path::new("/data/phish-study/email");
        assert_eq!(label_from_path(root, &root.join("phishing_pot/a.eml")), PHISHING);
        assert_eq!(
            label_from_path(root, &root.join("spamassassin/ham/easy-ham-1/1.txt")),
            LEGITIMATE
        );
        assert_eq!(label_from_path(root, &root.join("spamassassin/spam/spam-2/9")), SPAM);
        assert_eq!(label_from_path(root, &root.join("other/x.eml")), UNLABELLED);
        // The first named component wins: a "spam" folder inside "ham" is still ham.
        assert_eq!(label_from_path(root, &root.join("Ham/spam/x.eml")), LEGITIMATE);
        let root = Path::new("/spam/corpus/phish");
        assert_eq!(label_from_path(root, &root.join("x.eml")), PHISHING);
        assert_eq!(
            label_from_path(Path::new("legit.eml"), Path::new("legit.eml")),
            UNLABELLED
        );
        assert_eq!(label_from_path(Path::new("ham"), Path::new("ham")), LEGITIMATE);
    }
}
