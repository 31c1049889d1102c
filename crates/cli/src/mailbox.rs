//! Where messages are: walking folders and Maildirs into files, and splitting mbox files
//! into messages.

use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

/// One file found under a root given on the command line.
#[derive(Debug, Clone)]
pub struct Source {
    /// Index of the root (command-line path or manifest line) it was found under.
    pub root: usize,
    /// The file.
    pub path: PathBuf,
}

/// A root that could not be walked, or a folder that could not be listed.
#[derive(Debug, Clone)]
pub struct WalkError {
    /// Index of the root.
    pub root: usize,
    /// What could not be read.
    pub path: PathBuf,
    /// Why.
    pub error: String,
}

/// Finds every file under `roots`, in a deterministic order (roots in the given order, each
/// folder's entries sorted by name). Hidden files are skipped; symlinked folders are not
/// followed (no loops); a symlinked file is kept (a dangling one is reported when opened);
/// FIFOs and devices are never opened (a root that is one is an error).
/// In a Maildir (a folder with `cur` and `new`) only `cur`, `new`, `tmp` and Maildir++
/// sub-folders (`.Name`) are read, never the server's index files beside them.
pub fn walk(roots: &[PathBuf]) -> (Vec<Source>, Vec<WalkError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (root, path) in roots.iter().enumerate() {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk_dir(root, path, &mut found, &mut errors),
            Ok(m) if m.is_file() => found.push(Source {
                root,
                path: path.clone(),
            }),
            // A FIFO or a device would block or never end.
            Ok(_) => errors.push(WalkError {
                root,
                path: path.clone(),
                error: "not a regular file or folder: not read".to_string(),
            }),
            Err(e) => errors.push(WalkError {
                root,
                path: path.clone(),
                error: format!("cannot open: {e}"),
            }),
        }
    }
    (found, errors)
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

fn walk_dir(root: usize, dir: &Path, found: &mut Vec<Source>, errors: &mut Vec<WalkError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(WalkError {
                root,
                path: dir.to_path_buf(),
                error: format!("cannot list folder: {e}"),
            });
            return;
        }
    };
    let mut entries: Vec<(std::ffi::OsString, std::fs::FileType)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name(), e.file_type().ok()?)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let maildir = is_maildir(dir);
    for (name, kind) in entries {
        let hidden = name.as_encoded_bytes().starts_with(b".");
        let path = dir.join(&name);
        let is_dir = kind.is_dir();
        if maildir {
            let keep = is_dir && (hidden || matches!(name.to_str(), Some("cur" | "new" | "tmp")));
            if keep {
                walk_dir(root, &path, found, errors);
            }
            continue;
        }
        if hidden {
            continue;
        }
        if is_dir {
            walk_dir(root, &path, found, errors);
        } else if kind.is_file() || (kind.is_symlink() && links_to_file_or_nothing(&path)) {
            found.push(Source { root, path });
        }
    }
}

/// Whether a symlink leads to a regular file, or nowhere (then opening it reports the error);
/// never to a folder (loops) nor to a FIFO or device (would block).
fn links_to_file_or_nothing(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) => m.is_file(),
        Err(_) => true,
    }
}

/// Whether a file's first bytes begin an mbox (`From ` at the very start).
pub fn starts_mbox(head: &[u8]) -> bool {
    head.starts_with(b"From ")
}

/// Whether a file's first bytes look like an RFC 5322 message: after any byte-order mark
/// and blank lines, the first line is a header field (`Name:`, the name printable ASCII).
/// Blank files pass, to be reported as empty.
pub fn starts_like_message(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return true;
    };
    let name_len = head[start..]
        .iter()
        .take_while(|&&b| b.is_ascii_graphic() && b != b':')
        .count();
    name_len > 0 && head.get(start + name_len) == Some(&b':')
}

/// Whether `line` (its line ending removed) is an mbox separator after a blank line:
/// `From SENDER DATE` where DATE holds a time (`hh:mm`) and a four-digit year, as mbox
/// writers put it (`From a@b.c  Thu Aug 22 12:36:23 2002`). A body line that merely starts
/// with "From " does not split a message.
pub fn is_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let mut words = rest.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
    if words.next().is_none() {
        return false;
    }
    let (mut time, mut year) = (false, false);
    for w in words {
        let digits = |w: &[u8]| w.iter().all(u8::is_ascii_digit);
        time |= w.len() >= 5 && w[2] == b':' && digits(&w[..2]) && digits(&w[3..5]);
        year |= w.len() == 4 && digits(w);
    }
    time && year
}

/// One message read from an mbox.
#[derive(Debug, PartialEq, Eq)]
pub enum MboxMessage {
    /// The message (separator line removed, `>From ` quoting undone).
    Message(Vec<u8>),
    /// The message was longer than the limit: its size, not its bytes.
    TooLarge(u64),
}

/// Reads an mbox one message at a time (never the whole file in memory). A message starts
/// at the first line, and after each blank line followed by a separator (see
/// [`is_separator`]). `>From `, `>>From `, … lines lose one `>` (mboxrd; for mboxo files
/// this undoes the only quoting there is). The blank line that ends each message belongs to
/// the format and is removed.
pub struct Mbox<R> {
    reader: R,
    max_bytes: u64,
    line: Vec<u8>,
    /// A separator has been read whose message has not been returned yet.
    open: bool,
    done: bool,
}

impl<R: BufRead> Mbox<R> {
    /// An mbox reader; messages longer than `max_bytes` come as [`MboxMessage::TooLarge`].
    pub fn new(reader: R, max_bytes: u64) -> Mbox<R> {
        Mbox {
            reader,
            max_bytes,
            line: Vec::new(),
            open: false,
            done: false,
        }
    }
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<R: BufRead> Iterator for Mbox<R> {
    type Item = io::Result<MboxMessage>;

    fn next(&mut self) -> Option<io::Result<MboxMessage>> {
        if self.done {
            return None;
        }
        let mut message = Vec::new();
        let mut size: u64 = 0;
        let mut previous_blank = true;
        let mut trailing_blank = 0;
        loop {
            self.line.clear();
            match self.reader.read_until(b'\n', &mut self.line) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(0) => {
                    self.done = true;
                    if !self.open {
                        return None;
                    }
                    break;
                }
                Ok(_) => {}
            }
            let line = trim_eol(&self.line);
            if !self.open {
                // The file's first line is the first separator, whatever its form.
                self.open = true;
                if line.starts_with(b"From ") {
                    continue;
                }
            } else if previous_blank && is_separator(line) {
                break;
            }
            previous_blank = is_blank(&self.line);
            trailing_blank = if previous_blank { self.line.len() } else { 0 };
            let mut bytes: &[u8] = &self.line;
            let quoted = bytes.iter().position(|&b| b != b'>');
            if matches!(quoted, Some(n) if n > 0 && bytes[n..].starts_with(b"From ")) {
                bytes = &bytes[1..];
            }
            size += bytes.len() as u64;
            if size <= self.max_bytes {
                message.extend_from_slice(bytes);
            }
        }
        // The blank line before the next separator (or at the end) is not the message's.
        let kept = size <= self.max_bytes;
        if kept {
            message.truncate(message.len() - trailing_blank);
        }
        Some(Ok(if kept {
            MboxMessage::Message(message)
        } else {
            MboxMessage::TooLarge(size - trailing_blank as u64)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_starts_with_a_header_field() {
        assert!(starts_like_message(b"Received: from x\r\nFrom: a@b.c\r\n"));
        assert!(starts_like_message(b"\xef\xbb\xbf\r\nX-Mailer: y\n"));
        assert!(starts_like_message(b"  \n"));
        assert!(!starts_like_message(b"#!/bin/sh\necho: hi\n"));
        assert!(!starts_like_message(b"-----BEGIN CERTIFICATE-----\n"));
        assert!(!starts_like_message(b"id\tlabel\n"));
        assert!(!starts_like_message(b"Subject line: with a space\n"));
    }

    fn split(text: &str, max: u64) -> Vec<MboxMessage> {
        Mbox::new(text.as_bytes(), max).map(|m| m.unwrap()).collect()
    }

    fn msg(text: &str) -> MboxMessage {
        MboxMessage::Message(text.as_bytes().to_vec())
    }

    #[test]
    fn separators_need_a_sender_a_time_and_a_year() {
        assert!(is_separator(b"From a@b.c  Thu Aug 22 12:36:23 2002"));
        assert!(is_separator(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024 +0000"));
        assert!(!is_separator(b"From here on, we meet at 10:30."));
        assert!(!is_separator(b"From a@b.c"));
        assert!(!is_separator(b">From a@b.c  Thu Aug 22 12:36:23 2002"));
        assert!(!is_separator(b"From "));
    }

    #[test]
    fn splits_on_separators_after_blank_lines_and_unquotes() {
        let mbox = "From a@b.c Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From the start\n>>From deeper\nFrom here on, no split\n\n\
                    From x@y.z Tue Jan  2 10:00:00 2024\r\nSubject: two\r\n\r\nline\r\n\r\n\
                    From x@y.z Tue Jan  2 10:00:01 2024\nSubject: three\n\nFrom a@b.c Mon Jan  1 00:00:00 2024\nfour\n";
        let got = split(mbox, 1 << 20);
        assert_eq!(
            got,
            vec![
                msg("Subject: one\n\nbody\nFrom the start\n>From deeper\nFrom here on, no split\n"),
                msg("Subject: two\r\n\r\nline\r\n"),
                // A separator right after the header/body blank line does split (mbox rule).
                msg("Subject: three\n"),
                msg("four\n"),
            ]
        );
    }

    #[test]
    fn oversized_messages_are_measured_not_kept_and_reading_goes_on() {
        let big = "x".repeat(100);
        let mbox = format!(
            "From a@b.c Mon Jan  1 00:00:00 2024\nSubject: big\n\n{big}\n\nFrom a@b.c Mon Jan  1 00:00:01 2024\nSubject: small\n"
        );
        let got = split(&mbox, 50);
        assert_eq!(got[0], MboxMessage::TooLarge(14 + 101));
        assert_eq!(got[1], msg("Subject: small\n"));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn empty_input_has_no_message() {
        assert!(split("", 10).is_empty());
    }

    #[test]
    fn walks_maildirs_without_index_files_and_skips_hidden_files() {
        let dir = std::env::temp_dir().join(format!("healthguard-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in [
            "md/cur",
            "md/new",
            "md/tmp",
            "md/.Sent/cur",
            "md/.Sent/new",
            "plain/deep",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for file in [
            "md/cur/1:2,S",
            "md/new/2",
            "md/tmp/3",
            "md/.Sent/cur/4",
            "md/dovecot-uidlist",
            "plain/b.eml",
            "plain/a.eml",
            "plain/.DS_Store",
            "plain/deep/c",
        ] {
            std::fs::write(dir.join(file), "Subject: x\n\n").unwrap();
        }
        std::os::unix::fs::symlink(dir.join("plain"), dir.join("plain/deep/loop")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("plain/dangling")).unwrap();
        let (found, errors) = walk(&[
            dir.join("md"),
            dir.join("plain"),
            dir.join("missing"),
            "/dev/null".into(),
        ]);
        let names: Vec<String> = found
            .iter()
            .map(|s| s.path.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "md/.Sent/cur/4",
                "md/cur/1:2,S",
                "md/new/2",
                "md/tmp/3",
                "plain/a.eml",
                "plain/b.eml",
                "plain/dangling",
                "plain/deep/c"
            ]
        );
        assert_eq!(found[4].root, 1);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].root, 2);
        assert_eq!(
            (errors[1].root, errors[1].error.as_str()),
            (3, "not a regular file or folder: not read")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
