//! `healthguard learn`: builds or updates this site's statistical model from its own
//! legitimate mail and its phishing and spam (see `healthguard_core::bayes`).

use crate::args::LearnArgs;
use crate::eval_email::in_split;
use crate::mailbox::{self, MboxMessage};
use anyhow::{bail, Context, Result};
use healthguard_core::bayes::Model;
use healthguard_mail::Limits;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Reads the model at `path` (written by `learn`).
pub fn read_model(path: &Path) -> Result<Model> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read model {}", path.display()))?;
    Model::from_text(&text).map_err(|e| anyhow::anyhow!("model {}: {e}", path.display()))
}

/// Calls `each` with every message under `roots` (files, folders, mbox files).
fn messages(roots: &[PathBuf], max_bytes: u64, mut each: impl FnMut(&Path, &[u8])) -> Result<usize> {
    let (sources, errors) = mailbox::walk(roots);
    if let Some(e) = errors.first() {
        bail!("cannot read {}: {}", e.path.display(), e.error);
    }
    let mut skipped = 0;
    for source in sources {
        let file =
            std::fs::File::open(&source.path).with_context(|| format!("cannot open {}", source.path.display()))?;
        let mut reader = BufReader::new(file);
        let head = reader.fill_buf()?;
        if mailbox::starts_mbox(head) {
            for message in mailbox::Mbox::new(reader, max_bytes) {
                match message? {
                    MboxMessage::Message(raw) => each(&source.path, &raw),
                    MboxMessage::TooLarge(_) => skipped += 1,
                }
            }
        } else {
            let mut raw = Vec::new();
            reader.take(max_bytes + 1).read_to_end(&mut raw)?;
            if raw.len() as u64 > max_bytes {
                skipped += 1;
            } else {
                each(&source.path, &raw);
            }
        }
    }
    Ok(skipped)
}

/// Runs `learn`: 0 when the model was written.
pub fn run(args: LearnArgs) -> Result<u8> {
    if args.ham.is_empty() && args.spam.is_empty() && args.phishing.is_empty() {
        bail!("nothing to learn: give --ham, --spam or --phishing folders or files");
    }
    let mut model = if args.model.exists() {
        read_model(&args.model)?
    } else {
        Model::default()
    };
    let limits = Limits::default();
    let mut counts = [0usize; 3];
    let mut skipped = 0;
    for (i, (roots, bad)) in [(&args.ham, false), (&args.spam, true), (&args.phishing, true)]
        .into_iter()
        .enumerate()
    {
        skipped += messages(roots, args.max_size, |path, raw| {
            if in_split(args.split, path) {
                let mail = healthguard_mail::parse(raw, &limits);
                model.learn(&healthguard_mail::statistics::tokens(&mail), bad);
                counts[i] += 1;
            }
        })?;
    }
    let tmp = args.model.with_extension("tmp");
    std::fs::write(&tmp, model.to_text()).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.model).with_context(|| format!("cannot write {}", args.model.display()))?;
    let mut out = format!(
        "learnt {} legitimate, {} spam, {} phishing messages ({} too large, skipped)\nmodel {}: {} legitimate and {} bad messages, {} tokens\n",
        counts[0],
        counts[1],
        counts[2],
        skipped,
        args.model.display(),
        model.ham,
        model.bad,
        model.len()
    );
    let min = healthguard_core::bayes::MIN_MESSAGES;
    if model.ham < min || model.bad < min {
        out += &format!("the model judges once it has {min} messages of each kind\n");
    }
    crate::write_stdout(&out)?;
    Ok(0)
}
