//! `healthguard scan`, and the parallel engine it shares with `eval email`: files are found
//! first (see [`mailbox::walk`]), then worker threads take them from one queue; an mbox
//! file is split by the worker that opens it, which queues its messages for the others.

use crate::args::{MailAuthArgs, RunArgs, ScanArgs, ScanFormat};
use crate::mailbox::{self, MboxMessage, Source};
use crate::registry_cmd;
use anyhow::{Context, Result};
use healthguard_core::{Checker, Verdict};
use healthguard_mail::{AuthSource, Authenticator, Limits};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::{mpsc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What the analysis said about one message.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The verdict.
    pub verdict: Verdict,
    /// The score.
    pub score: f32,
    /// The claimed institution's id, if any.
    pub institution: Option<String>,
    /// Finding codes with their weights, strongest first, each code once.
    pub findings: Vec<(String, f32)>,
}

/// The result for one message, or for a file or message that could not be scanned.
#[derive(Debug, Clone)]
pub struct Record {
    /// Index of the root (command-line path or manifest line) the file was found under.
    pub root: usize,
    /// The file.
    pub file: PathBuf,
    /// 1-based number of the message in an mbox file (absent for a one-message file).
    pub index: Option<usize>,
    /// Input order (root, file number, message number), for sorted output.
    pub order: (usize, usize, usize),
    /// Size of the message (for a refused file: of the file).
    pub bytes: u64,
    /// Time to parse, authenticate and analyse the message, in milliseconds.
    pub millis: f64,
    /// The analysis, or why there is none.
    pub outcome: Result<Scanned, String>,
}

impl Record {
    /// The file, with `#N` for a message of an mbox.
    pub fn path(&self) -> String {
        match self.index {
            Some(n) => format!("{}#{n}", self.file.display()),
            None => self.file.display().to_string(),
        }
    }

    /// The JSON-lines form (no newline): `path`, then `verdict`, `score`, `institution`,
    /// `findings` (codes), `bytes`, `millis`; or `error`, `bytes`; then `label` when given.
    pub fn json_line(&self, label: Option<&str>) -> String {
        let ok = self.outcome.as_ref().ok();
        let line = Line {
            path: self.path(),
            verdict: ok.map(|s| s.verdict.name()),
            score: ok.map(|s| s.score),
            institution: ok.map(|s| s.institution.as_deref()),
            findings: ok.map(|s| s.findings.iter().map(|(code, _)| code.as_str()).collect()),
            error: self.outcome.as_ref().err().map(String::as_str),
            bytes: self.bytes,
            millis: ok.map(|_| (self.millis * 1000.0).round() / 1000.0),
            label,
        };
        serde_json::to_string(&line).expect("a JSON line serialises")
    }
}

/// One JSON line, fields in this order.
#[derive(serde::Serialize)]
struct Line<'a> {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f32>,
    /// Present (possibly null) for scanned messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    institution: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    findings: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    millis: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
}

/// The parallel scanner: one checker, limits and authentication set-up for many messages.
pub struct Engine<'a> {
    checker: &'a Checker,
    auth: AuthSource,
    sealers: Vec<String>,
    limits: Limits,
    max_bytes: u64,
    threads: usize,
    progress: bool,
    /// Files of the current run skipped because they do not start like a message.
    not_mail: std::sync::atomic::AtomicUsize,
}

/// How a run went.
#[derive(Debug, Clone, Copy)]
pub struct RunStats {
    /// Wall-clock time of the whole run (walking included).
    pub elapsed: Duration,
    /// Worker threads used.
    pub threads: usize,
    /// Files skipped because they are not e-mail (no header field at the top).
    pub not_mail: usize,
}

impl<'a> Engine<'a> {
    /// An engine; fails when the authentication set-up cannot be built (e.g. a bad
    /// `--dns-fixture`).
    pub fn new(checker: &'a Checker, run: &RunArgs, auth: &MailAuthArgs) -> Result<Engine<'a>> {
        // Corpora are judged offline unless asked: live DNS is the default of `check` and `serve`.
        let source = crate::check::auth_source(auth, false);
        // Each worker builds its own authenticator; build one here to fail early and once.
        healthguard_mail::authenticator(&source, &auth.trusted_arc_sealers)
            .context("cannot set up e-mail authentication")?;
        let max_bytes = run.max_size;
        let limits = Limits {
            max_message_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            ..Limits::default()
        };
        let threads = match run.threads {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Engine {
            checker,
            auth: source,
            sealers: auth.trusted_arc_sealers.clone(),
            limits,
            max_bytes,
            threads,
            progress: !run.no_progress,
            not_mail: Default::default(),
        })
    }

    /// Scans every message under `roots`, giving each [`Record`] to `sink` on the calling
    /// thread in completion order. A progress bar is drawn on standard error when it is a
    /// terminal.
    pub fn run(&self, roots: &[PathBuf], mut sink: impl FnMut(Record)) -> Result<RunStats> {
        use std::io::IsTerminal;
        // One-time set-up inside the checker (lazy tables) is paid here, not by whichever
        // message comes first: per-message times stay comparable.
        let _ = healthguard_mail::check(
            self.checker,
            b"From: warm-up <a@example.com>\r\nSubject: warm-up\r\n\r\nNFZ https://example.com +48 22 572 60 00\r\n",
            &self.limits,
            &healthguard_mail::NoAuth,
        );
        let started = Instant::now();
        self.not_mail.store(0, std::sync::atomic::Ordering::Relaxed);
        let (sources, walk_errors) = mailbox::walk(roots);
        for e in walk_errors {
            sink(Record {
                root: e.root,
                file: e.path,
                index: None,
                order: (e.root, 0, 0),
                bytes: 0,
                millis: 0.0,
                outcome: Err(e.error),
            });
        }
        let total_bytes: u64 = sources
            .iter()
            .filter_map(|s| std::fs::metadata(&s.path).ok())
            .map(|m| m.len())
            .sum();
        let bar = if self.progress && std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total_bytes);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{wide_bar}] {percent:>3}% {msg} ETA {eta}",
                )
                .expect("valid progress template")
                .progress_chars("=> "),
            );
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        let threads = self.threads.min(sources.len()).max(1);
        let queue = Queue::new(
            sources
                .into_iter()
                .enumerate()
                .map(|(n, source)| Job::File(n + 1, source))
                .collect(),
            4 * threads,
        );
        let failure: Mutex<Option<String>> = Mutex::new(None);
        let (tx, rx) = mpsc::channel::<Record>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let tx = tx.clone();
                let (queue, failure) = (&queue, &failure);
                scope.spawn(move || {
                    if let Err(e) = self.work(queue, &tx) {
                        *lock(failure) = Some(e);
                        queue.stop();
                    }
                });
            }
            drop(tx);
            let mut messages = 0usize;
            for record in rx {
                messages += 1;
                bar.inc(record.bytes);
                let rate = messages as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{messages} messages, {rate:.0}/s"));
                sink(record);
            }
        });
        bar.finish_and_clear();
        if let Some(e) = lock(&failure).take() {
            anyhow::bail!(e);
        }
        Ok(RunStats {
            elapsed: started.elapsed(),
            threads,
            not_mail: self.not_mail.load(std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// One worker: takes jobs until the queue is done.
    fn work(&self, queue: &Queue, tx: &mpsc::Sender<Record>) -> Result<(), String> {
        let auth = healthguard_mail::authenticator(&self.auth, &self.sealers)
            .map_err(|e| format!("cannot set up e-mail authentication: {e}"))?;
        while let Some(job) = queue.pop() {
            match job {
                Job::File(number, source) => self.file(number, source, queue, tx, auth.as_ref()),
                Job::Message(origin, raw) => {
                    let _ = tx.send(self.scan(origin, &raw, auth.as_ref()));
                }
            }
            queue.finish();
        }
        Ok(())
    }

    /// Reads one file: a single message, or an mbox whose messages are queued.
    fn file(&self, number: usize, source: Source, queue: &Queue, tx: &mpsc::Sender<Record>, auth: &dyn Authenticator) {
        let origin = Origin {
            root: source.root,
            file: source.path,
            index: None,
            order: (source.root, number, 0),
        };
        let fail = |origin: Origin, bytes: u64, error: String| {
            let _ = tx.send(origin.record(bytes, 0.0, Err(error)));
        };
        let file = match std::fs::File::open(&origin.file) {
            Ok(file) => file,
            Err(e) => return fail(origin, 0, format!("cannot open: {e}")),
        };
        let size = file.metadata().map_or(0, |m| m.len());
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
        let head = match reader.fill_buf() {
            Ok(head) => head,
            Err(e) => return fail(origin, size, format!("cannot read: {e}")),
        };
        if mailbox::starts_mbox(head) {
            return self.mbox(origin, reader, queue, tx, auth);
        }
        if !mailbox::starts_like_message(head) {
            // Scripts, keys, tables beside the mail: counted apart, not judged.
            self.not_mail.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        if size > self.max_bytes {
            return fail(origin, size, self.too_large(size));
        }
        let mut raw = Vec::new();
        if let Err(e) = reader.take(self.max_bytes + 1).read_to_end(&mut raw) {
            return fail(origin, size, format!("cannot read: {e}"));
        }
        if raw.len() as u64 > self.max_bytes {
            return fail(origin, raw.len() as u64, self.too_large(raw.len() as u64));
        }
        let _ = tx.send(self.scan(origin, &raw, auth));
    }

    /// Splits an mbox. A file with one message (a SpamAssassin-style single mail with its
    /// `From ` line) keeps its plain path, unless it is named `*.mbox` or `mbox`.
    fn mbox(
        &self,
        origin: Origin,
        reader: impl BufRead,
        queue: &Queue,
        tx: &mpsc::Sender<Record>,
        auth: &dyn Authenticator,
    ) {
        let named_mbox = origin.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("mbox"))
            || origin.file.file_name().is_some_and(|n| n == "mbox");
        let mut messages = mailbox::Mbox::new(reader, self.max_bytes);
        let first = messages.next();
        let second = messages.next();
        let single = second.is_none() && !named_mbox;
        for (i, message) in first.into_iter().chain(second).chain(messages).enumerate() {
            let origin = Origin {
                index: (!single).then_some(i + 1),
                order: (origin.order.0, origin.order.1, i + 1),
                ..origin.clone()
            };
            match message {
                Ok(MboxMessage::Message(raw)) => {
                    if let Err(Job::Message(origin, raw)) = queue.try_push(Job::Message(origin, raw)) {
                        // The queue is full: scan it here rather than hold more in memory.
                        let _ = tx.send(self.scan(origin, &raw, auth));
                    }
                }
                Ok(MboxMessage::TooLarge(size)) => {
                    let _ = tx.send(origin.record(size, 0.0, Err(self.too_large(size))));
                }
                Err(e) => {
                    let _ = tx.send(origin.record(0, 0.0, Err(format!("cannot read the rest of the mbox: {e}"))));
                    return;
                }
            }
        }
    }

    fn too_large(&self, size: u64) -> String {
        format!(
            "larger than --max-size ({size} > {} bytes): not scanned",
            self.max_bytes
        )
    }

    /// Checks one message; a panic in the analysis becomes an error record, never the end
    /// of the run.
    fn scan(&self, origin: Origin, raw: &[u8], auth: &dyn Authenticator) -> Record {
        let bytes = raw.len() as u64;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return origin.record(bytes, 0.0, Err("empty: no message".to_string()));
        }
        let started = Instant::now();
        let analysis = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            healthguard_mail::check(self.checker, raw, &self.limits, auth)
        }));
        let millis = started.elapsed().as_secs_f64() * 1e3;
        let outcome = match analysis {
            Ok(a) => {
                let mut findings: Vec<(String, f32)> = Vec::new();
                for f in a.findings {
                    if !findings.iter().any(|(code, _)| *code == f.code) {
                        findings.push((f.code, f.weight));
                    }
                }
                Ok(Scanned {
                    verdict: a.verdict,
                    score: a.score,
                    institution: a.institution,
                    findings,
                })
            }
            Err(_) => Err("internal error: the analysis failed on this message (please report it)".to_string()),
        };
        origin.record(bytes, millis, outcome)
    }
}

/// Where a message comes from.
#[derive(Debug, Clone)]
struct Origin {
    root: usize,
    file: PathBuf,
    index: Option<usize>,
    order: (usize, usize, usize),
}

impl Origin {
    fn record(self, bytes: u64, millis: f64, outcome: Result<Scanned, String>) -> Record {
        Record {
            root: self.root,
            file: self.file,
            index: self.index,
            order: self.order,
            bytes,
            millis,
            outcome,
        }
    }
}

enum Job {
    /// A file to open (its number in input order, from 1).
    File(usize, Source),
    /// A message split from an mbox.
    Message(Origin, Vec<u8>),
}

/// The work queue: jobs plus how many are being worked on; done when both are zero.
struct Queue {
    state: Mutex<QueueState>,
    changed: Condvar,
    /// Most queued mbox messages (bounds memory on big mboxes).
    bound: usize,
}

struct QueueState {
    jobs: VecDeque<Job>,
    active: usize,
    stopped: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Queue {
    fn new(jobs: VecDeque<Job>, bound: usize) -> Queue {
        Queue {
            state: Mutex::new(QueueState {
                jobs,
                active: 0,
                stopped: false,
            }),
            changed: Condvar::new(),
            bound,
        }
    }

    /// The next job; `None` when every job is done (or the run was stopped).
    fn pop(&self) -> Option<Job> {
        let mut s = lock(&self.state);
        loop {
            if s.stopped {
                return None;
            }
            if let Some(job) = s.jobs.pop_front() {
                s.active += 1;
                return Some(job);
            }
            if s.active == 0 {
                return None;
            }
            s = self.changed.wait(s).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Marks a popped job done.
    fn finish(&self) {
        let mut s = lock(&self.state);
        s.active -= 1;
        if s.active == 0 && s.jobs.is_empty() {
            self.changed.notify_all();
        }
    }

    /// Queues a job unless the queue already holds `bound` jobs (then gives it back).
    fn try_push(&self, job: Job) -> Result<(), Job> {
        let mut s = lock(&self.state);
        if s.jobs.len() >= self.bound {
            return Err(job);
        }
        s.jobs.push_back(job);
        self.changed.notify_one();
        Ok(())
    }

    fn stop(&self) {
        lock(&self.state).stopped = true;
        self.changed.notify_all();
    }
}

/// Totals over a run, rendered the same way whatever the completion order.
#[derive(Debug, Default)]
pub struct Summary {
    verdicts: BTreeMap<Verdict, usize>,
    bytes: u64,
    findings: BTreeMap<String, usize>,
    institutions: BTreeMap<String, usize>,
    /// The slowest messages (milliseconds, path), at most [`SLOWEST`].
    slowest: Vec<(f64, String)>,
    errors: Vec<((usize, usize, usize), String, String)>,
    /// Messages judged suspicious or phishing: (order, verdict, path).
    flagged: Vec<((usize, usize, usize), Verdict, String)>,
}

const SLOWEST: usize = 5;
const TOP: usize = 10;
const ERRORS_SHOWN: usize = 50;
const FLAGGED_SHOWN: usize = 50;

impl Summary {
    /// Counts one record.
    pub fn add(&mut self, r: &Record) {
        match &r.outcome {
            Ok(s) => {
                *self.verdicts.entry(s.verdict).or_default() += 1;
                if matches!(s.verdict, Verdict::Suspicious | Verdict::Phishing) {
                    self.flagged.push((r.order, s.verdict, r.path()));
                }
                self.bytes += r.bytes;
                for (code, _) in &s.findings {
                    *self.findings.entry(code.clone()).or_default() += 1;
                }
                if let Some(id) = &s.institution {
                    *self.institutions.entry(id.clone()).or_default() += 1;
                }
                self.slowest.push((r.millis, r.path()));
                self.slowest
                    .sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                self.slowest.truncate(SLOWEST);
            }
            Err(e) => self.errors.push((r.order, r.path(), e.clone())),
        }
    }

    /// Messages scanned.
    pub fn messages(&self) -> usize {
        self.verdicts.values().sum()
    }

    /// Files or messages that could not be scanned.
    pub fn errors(&self) -> usize {
        self.errors.len()
    }

    /// The summary for people.
    pub fn render(&mut self, stats: &RunStats) -> String {
        let mut out = String::new();
        let n = self.messages();
        let secs = stats.elapsed.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "messages scanned: {n} ({:.1} MiB) in {secs:.2} s: {:.0} messages/s, {} thread{}",
            self.bytes as f64 / (1024.0 * 1024.0),
            n as f64 / secs,
            stats.threads,
            if stats.threads == 1 { "" } else { "s" }
        );
        let verdicts: Vec<String> = [
            Verdict::Official,
            Verdict::Unverified,
            Verdict::Suspicious,
            Verdict::Phishing,
        ]
        .iter()
        .map(|v| format!("{} {}", v.name(), self.verdicts.get(v).copied().unwrap_or(0)))
        .collect();
        let _ = writeln!(out, "verdicts: {}", verdicts.join(", "));
        let _ = writeln!(out, "could not be scanned: {}", self.errors.len());
        if stats.not_mail > 0 {
            let _ = writeln!(out, "skipped, not e-mail: {} file(s)", stats.not_mail);
        }
        top_list(&mut out, "top findings (messages)", &self.findings);
        top_list(&mut out, "top claimed institutions (messages)", &self.institutions);
        if !self.slowest.is_empty() {
            let _ = writeln!(out, "slowest messages:");
            for (ms, path) in &self.slowest {
                let _ = writeln!(out, "  {ms:>9.1} ms  {path}");
            }
        }
        if !self.flagged.is_empty() {
            self.flagged.sort();
            let _ = writeln!(out, "flagged ({}):", self.flagged.len());
            for (_, verdict, path) in self.flagged.iter().take(FLAGGED_SHOWN) {
                let _ = writeln!(out, "  {:<10} {path}", verdict.name());
            }
            if self.flagged.len() > FLAGGED_SHOWN {
                let _ = writeln!(
                    out,
                    "  … and {} more (--format jsonl lists all)",
                    self.flagged.len() - FLAGGED_SHOWN
                );
            }
        }
        if !self.errors.is_empty() {
            self.errors.sort();
            let _ = writeln!(out, "errors ({}):", self.errors.len());
            for (_, path, error) in self.errors.iter().take(ERRORS_SHOWN) {
                let _ = writeln!(out, "  {path}: {error}");
            }
            if self.errors.len() > ERRORS_SHOWN {
                let _ = writeln!(out, "  … and {} more", self.errors.len() - ERRORS_SHOWN);
            }
        }
        out
    }
}

/// Writes the `TOP` most frequent keys, most frequent first, ties by name.
pub fn top_list(out: &mut String, title: &str, counts: &BTreeMap<String, usize>) {
    if counts.is_empty() {
        return;
    }
    let mut sorted: Vec<(&String, &usize)> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let _ = writeln!(out, "{title}:");
    for (key, n) in sorted.into_iter().take(TOP) {
        let _ = writeln!(out, "  {key:<36} {n:>7}");
    }
}

/// Writes JSON lines to standard output, or holds them to write sorted at the end.
pub struct JsonLines {
    sorted: bool,
    held: Vec<((usize, usize, usize), String)>,
}

impl JsonLines {
    /// A writer; with `sorted`, lines are held until [`JsonLines::finish`].
    pub fn new(sorted: bool) -> JsonLines {
        JsonLines {
            sorted,
            held: Vec::new(),
        }
    }

    /// Writes (or holds) one line.
    pub fn line(&mut self, order: (usize, usize, usize), line: String) -> Result<()> {
        let line = line + "\n";
        if self.sorted {
            self.held.push((order, line));
            Ok(())
        } else {
            Ok(crate::write_stdout(&line)?)
        }
    }

    /// Writes the held lines in input order.
    pub fn finish(mut self) -> Result<()> {
        self.held.sort();
        let all: String = self.held.into_iter().map(|(_, line)| line).collect();
        Ok(crate::write_stdout(&all)?)
    }
}

/// Runs `healthguard scan`: 0 when every message was scanned, 3 when some could not be.
pub fn run(args: ScanArgs) -> Result<u8> {
    let checker = registry_cmd::checker(&args.registry)?;
    let engine = Engine::new(&checker, &args.run, &args.auth)?;
    let jsonl = args.format == ScanFormat::Jsonl;
    let mut summary = Summary::default();
    let mut lines = JsonLines::new(args.sorted);
    let mut write_error = None;
    let stats = engine.run(&args.paths, |record| {
        summary.add(&record);
        if jsonl && write_error.is_none() {
            write_error = lines.line(record.order, record.json_line(None)).err();
        }
    })?;
    if let Some(e) = write_error {
        return Err(e.context("cannot write to standard output"));
    }
    if jsonl {
        lines.finish()?;
        eprint!("{}", summary.render(&stats));
    } else {
        crate::write_stdout(&summary.render(&stats))?;
    }
    Ok(if summary.errors() == 0 {
        0
    } else {
        crate::EXIT_INPUT_ERROR
    })
}
