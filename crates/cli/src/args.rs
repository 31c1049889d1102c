//! Command-line arguments: the whole interface in one place.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// HealthGuard: is this message really from the health institution it claims?
#[derive(Debug, Parser)]
#[command(name = "healthguard", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Documented exit codes, shown in `--help`.
pub const EXIT_CODES: &str = "Exit codes: 0 official or unverified, 1 suspicious, 2 phishing, \
3 the input or registry could not be used, 64 bad command line.";

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an e-mail (FILE.eml or standard input), an SMS, a link, a phone number or pasted text.
    Check(CheckArgs),
    /// Scan many e-mails at once: folders (recursive), Maildirs, mbox files, single files.
    #[command(after_help = SCAN_EXIT_CODES)]
    Scan(ScanArgs),
    /// Run the HTTP API and web page (SQLite in --data, or PostgreSQL with --database).
    Serve(ServeArgs),
    /// Run as a Sendmail/Postfix milter: check every e-mail in the mail flow and apply the
    /// policy of its verdict (headers, subject tag, quarantine, reject).
    Milter(MilterArgs),
    /// Print the man page (roff) to standard output.
    Man,
    /// Print shell completions to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Lint, show, sign and verify registry packs.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Measure detection on labelled data.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Build or update this site's statistical model from its own mail (use it with --model).
    Learn(LearnArgs),
    /// Download threat feeds (CERT Polska's warning list, OpenPhish, lists by URL) and show
    /// what is loaded (use them with --feeds).
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// CSIRT triage on the server's data directory, offline: campaigns and exports.
    #[command(subcommand)]
    Triage(TriageCommand),
    /// Analyst accounts of the triage UI (`/triage`).
    #[command(subcommand)]
    Users(UsersCommand),
    /// API tokens of the triage API (`/v1/triage`).
    #[command(subcommand)]
    Tokens(TokensCommand),
}

/// An analyst's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Reads reports and campaigns (personal data redacted) and exports.
    Viewer,
    /// Also changes statuses, assignees and notes, merges and splits campaigns.
    Analyst,
    /// Also reveals personal data (audited).
    Admin,
}

/// `healthguard users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add an analyst; the password is read from --password-file (its first line) or asked
    /// for on the terminal, and stored as an Argon2id hash.
    Add {
        /// Login name (letters, digits, '.', '_', '-', '@').
        name: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The server's store: `--data DIR` or `--database URL`.
        #[command(flatten)]
        store: StoreArgs,
        /// Read the password from this file's first line instead of the terminal.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

/// `healthguard tokens …`.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token and print it once (only its SHA-256 is stored).
    Create {
        /// The server's store: `--data DIR` or `--database URL`.
        #[command(flatten)]
        store: StoreArgs,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A name for the token (shown in the audit log as `token:NAME`).
        #[arg(long, default_value = "api")]
        name: String,
    },
}

/// `healthguard feeds …`.
#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Download, validate and store each configured feed in DIR/feeds (a feed that fails
    /// keeps its last good copy; exit 3 when one did).
    Update {
        /// Feeds to fetch (TOML, see data/feeds.toml; default: the built-in configuration:
        /// CERT Polska's warning list and OpenPhish's community feed).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Data directory (the feeds go to its feeds/ folder).
        #[arg(long, value_name = "DIR", default_value = "healthguard-data")]
        data: PathBuf,
        /// Registry whose domains are never listed.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Show the stored feeds: entries, source, when fetched and how old.
    Status {
        /// Data directory (or its feeds/ folder).
        #[arg(long, value_name = "DIR", default_value = "healthguard-data")]
        data: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// `healthguard triage …`.
#[derive(Debug, Subcommand)]
pub enum TriageCommand {
    /// List the campaigns the stored reports group into, the largest first.
    Campaigns {
        /// The server's store: `--data DIR` or `--database URL`.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON (`{"items":[…]}`) instead of a table.
        #[arg(long)]
        json: bool,
        /// Registry selection (its official channels never link reports).
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Export campaigns: STIX 2.1, MISP event, ARF abuse reports or blocklists. Personal data
    /// is redacted; official registry domains never enter a blocklist.
    Export {
        /// The server's store: `--data DIR` or `--database URL`.
        #[command(flatten)]
        store: StoreArgs,
        /// Output format.
        #[arg(long, value_enum)]
        format: TriageFormat,
        /// Only this campaign (an id from `triage campaigns`); default: every campaign.
        #[arg(long, value_name = "ID")]
        campaign: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The address ARF reports come from.
        #[arg(long, value_name = "ADDRESS", default_value = "healthguard@localhost")]
        from: String,
        /// Registry selection.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Print a registry advisory draft (TOML, the packs' format) for a confirmed campaign,
    /// to review, sign and publish.
    Advisory {
        /// The campaign id (from `/v1/triage/campaigns` or the triage UI).
        campaign: String,
        /// The server's store: `--data DIR` or `--database URL`.
        #[command(flatten)]
        store: StoreArgs,
        /// Registry selection (for the institution's country and official channels).
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Measure the grouping on synthetic reports from campaign templates.
    Eval {
        /// How many reports.
        #[arg(long, default_value_t = 3000)]
        reports: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Share of reports that bring new infrastructure (domain, number), 0 to 1; default:
        /// each template's own. 1 leaves only the text to group by.
        #[arg(long, value_name = "SHARE")]
        rotation: Option<f64>,
    },
}

/// `healthguard triage export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriageFormat {
    /// STIX 2.1 bundle (JSON).
    Stix,
    /// MISP event (JSON).
    Misp,
    /// ARF (RFC 5965) abuse report, one per campaign (an mbox when several).
    Arf,
    /// One domain per line.
    Domains,
    /// Hosts file.
    Hosts,
    /// DNS Response Policy Zone.
    Rpz,
    /// Adblock filters.
    Adblock,
}

/// `healthguard learn`.
#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Legitimate mail: files, folders, Maildirs, mbox files (repeatable).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub ham: Vec<PathBuf>,
    /// Spam (repeatable); learnt as bad mail, as phishing is.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub spam: Vec<PathBuf>,
    /// Phishing (repeatable).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub phishing: Vec<PathBuf>,
    /// The model file: updated when it exists, created otherwise.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Learn only the `tuning` or `validation` half of each folder (as `eval email --split`),
    /// to measure on the other half.
    #[arg(long, value_enum, default_value_t = Split::All)]
    pub split: Split,
    /// Largest message learnt, in bytes (K, M, G suffixes); bigger ones are skipped.
    #[arg(long, value_name = "BYTES", default_value = "50M", value_parser = parse_size)]
    pub max_size: u64,
}

/// Which registry to use.
#[derive(Debug, Args, Clone)]
pub struct RegistryArgs {
    /// Load the registry from this directory instead of the built-in packs.
    #[arg(long, value_name = "DIR", global = true)]
    pub registry: Option<PathBuf>,
    /// Public key that must have signed `--registry` (registry.sig in the directory).
    #[arg(long, value_name = "FILE", global = true)]
    pub registry_pubkey: Option<PathBuf>,
    /// Accept an unsigned `--registry` (for maintainers testing a pack).
    #[arg(long, global = true)]
    pub allow_unsigned_registry: bool,
    /// This site's statistical model (written by `healthguard learn`): e-mails get its
    /// judgement as one finding.
    #[arg(long, value_name = "FILE", global = true)]
    pub model: Option<PathBuf>,
    /// Threat feeds stored by `healthguard feeds update`: its data directory (or the
    /// feeds/ folder in it). Links and senders on a feed get LINK_LISTED / SENDER_LISTED.
    #[arg(long, value_name = "DIR", global = true)]
    pub feeds: Option<PathBuf>,
}

/// `healthguard check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check an SMS (give its sender with --sender).
    #[arg(long, group = "mode")]
    pub sms: bool,
    /// SMS sender name or number as shown on the phone.
    #[arg(long, requires = "sms", value_name = "NAME")]
    pub sender: Option<String>,
    /// Check one link.
    #[arg(long, group = "mode", value_name = "URL")]
    pub url: Option<String>,
    /// Check one phone number.
    #[arg(long, group = "mode", value_name = "NUMBER")]
    pub phone: Option<String>,
    /// Check pasted text of unknown origin.
    #[arg(long, group = "mode")]
    pub text: bool,
    /// Check what a caller said on the phone (give the number shown with --number).
    #[arg(long, group = "mode")]
    pub call: bool,
    /// The number the phone showed for the call (caller ID can be forged).
    #[arg(long, requires = "call", value_name = "NUMBER")]
    pub number: Option<String>,
    /// Check a raw e-mail (RFC 5322; a leading mbox `From ` line is tolerated). This is the
    /// default when no other kind is given: the argument is then the .eml file.
    #[arg(long, group = "mode")]
    pub email: bool,
    /// The message text, or for e-mail the file (standard input when absent).
    #[arg(value_name = "TEXT|FILE")]
    pub input: Option<String>,
    /// E-mail authentication.
    #[command(flatten)]
    pub auth: MailAuthArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Language of explanations: pl, ro, en, uk, fr, de, es, it, cs (default: the message's, else English).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Registry selection.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How e-mail sender authentication (SPF, DKIM, DMARC, ARC) is established.
#[derive(Debug, Args, Clone, Default)]
pub struct MailAuthArgs {
    /// `online`: verify against live DNS (system resolver, 2 s a query, 6 s a message, answers
    /// cached); the default of `check` on a machine with a resolver. `off`: do not verify (for
    /// air-gapped use and tests; no institution can then be confirmed as the sender, and the
    /// output says so). `scan` and `eval` verify only when asked.
    #[arg(long, value_enum, value_name = "MODE", conflicts_with_all = ["dns_fixture", "trust_authres", "trust_authres_topmost"])]
    pub dns: Option<DnsMode>,
    /// Verify against DNS records read from this file (tests, offline use).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trust_authres", "trust_authres_topmost"])]
    pub dns_fixture: Option<PathBuf>,
    /// Trust `Authentication-Results` headers only when added by your own MTA with this
    /// authserv-id (attackers add fake ones).
    #[arg(long, value_name = "ID", conflicts_with = "trust_authres_topmost")]
    pub trust_authres: Option<String>,
    /// Trust the topmost `Authentication-Results` header of each message, whoever wrote it:
    /// for STORED mail only (measuring "as deployed", where your MTA wrote that header),
    /// never for live traffic (anyone can add one).
    #[arg(long)]
    pub trust_authres_topmost: bool,
    /// A forwarder or mailing list whose ARC seal is trusted (repeatable).
    #[arg(long = "trusted-arc-sealer", value_name = "DOMAIN")]
    pub trusted_arc_sealers: Vec<String>,
}

/// `eval email --split`, `eval sms --split`: the part of each corpus that is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Split {
    /// Every file.
    All,
    /// Files whose name hashes to the tuning half.
    Tuning,
    /// Files whose name hashes to the validation half.
    Validation,
}

/// `--dns` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DnsMode {
    /// Live DNS through the system resolver.
    Online,
    /// No verification.
    Off,
}

/// Exit codes of `scan`, shown in its `--help`.
pub const SCAN_EXIT_CODES: &str = "Exit codes: 0 every message was scanned (whatever the verdicts), \
3 some files or messages could not be read or were over --max-size, 64 bad command line.";

/// `healthguard scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders: folders are walked recursively (hidden files skipped, symlinked
    /// folders not followed), a Maildir's cur/new/tmp are read, a file starting with an
    /// mbox `From ` line is split into its messages.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// `human`: the summary only; `jsonl`: one JSON line per message on standard output (in
    /// completion order unless --sorted), the summary on standard error.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Write JSON lines in input order (files sorted by path, mbox messages in file order)
    /// instead of as messages complete; lines are held until the end.
    #[arg(long)]
    pub sorted: bool,
    /// How the work is done.
    #[command(flatten)]
    pub run: RunArgs,
    /// E-mail authentication.
    #[command(flatten)]
    pub auth: MailAuthArgs,
    /// Registry selection.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Output of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A summary for people.
    Human,
    /// One JSON object per message (and per error), one per line.
    Jsonl,
}

/// Options shared by the commands that check many e-mails (`scan`, `eval email`).
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Largest message accepted, in bytes (K, M, G suffixes: 1024-based). A bigger file or
    /// mbox message is reported as an error and not scanned.
    #[arg(long, value_name = "BYTES", default_value = "50M", value_parser = parse_size)]
    pub max_size: u64,
    /// No progress bar (it is drawn only when standard error is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// Parses a byte count with an optional K, M or G (1024-based) suffix.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let unit: u64 = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        other => return Err(format!("unknown unit {other:?}: use K, M or G")),
    };
    let n: u64 = digits.parse().map_err(|_| format!("not a size: {text:?}"))?;
    n.checked_mul(unit)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("size out of range: {text:?}"))
}

/// Which store an offline command opens: the server's data directory or its PostgreSQL
/// database.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The server's data directory (`serve --data`), whose SQLite database is the store.
    #[arg(long, value_name = "DIR", required_unless_present = "database")]
    pub data: Option<PathBuf>,
    /// The server's PostgreSQL database (`serve --database`) instead of a data directory.
    #[arg(long, value_name = "URL", conflicts_with = "data")]
    pub database: Option<String>,
}

impl StoreArgs {
    /// The store these arguments name.
    pub fn database(&self) -> healthguard_server::store::Database {
        let dir = self.data.clone().unwrap_or_default();
        healthguard_server::store::Database::new(&dir, self.database.as_deref())
    }
}

/// `healthguard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Directory for the SQLite database of reports (created when missing).
    #[arg(long, value_name = "DIR", default_value = "healthguard-data")]
    pub data: PathBuf,
    /// Keep reports in this PostgreSQL database instead (`postgres://USER@HOST:PORT/DB`;
    /// migrated when needed). Several `serve` nodes may share one.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Turn off per-client rate limits (benchmarks from one machine).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Mark the triage UI's session cookie Secure (when users reach the site over HTTPS,
    /// through a TLS-terminating proxy).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Publish the blocklists of confirmed campaigns without credentials at
    /// /feeds/confirmed/{domains.txt,hosts.txt,rpz.zone,adblock.txt}.
    #[arg(long)]
    pub publish_feed: bool,
    /// Also take reports by e-mail: an SMTP listener (e.g. 127.0.0.1:2525, behind your MTA)
    /// that files each forwarded original as a report, the forwarder as its contact.
    #[arg(long, value_name = "ADDR")]
    pub smtp_intake: Option<std::net::SocketAddr>,
    /// Trust `Authentication-Results` of uploaded e-mails added by your MTA with this authserv-id.
    #[arg(long, value_name = "ID", conflicts_with = "dns")]
    pub trust_authres: Option<String>,
    /// Senders of uploaded e-mails: `online` verifies SPF/DKIM/DMARC with live DNS (the default
    /// on a machine with a resolver; 2 s a query, 6 s a message, answers cached), `off` does not
    /// (air-gapped use, tests) and the page says so.
    #[arg(long, value_enum, value_name = "MODE")]
    pub dns: Option<DnsMode>,
    /// A forwarder or mailing list whose ARC seal is trusted (repeatable).
    #[arg(long = "trusted-arc-sealer", value_name = "DOMAIN")]
    pub trusted_arc_sealers: Vec<String>,
    /// Feeds and registry refreshed while serving.
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Registry selection.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// What `serve` and `milter` refresh while running, without a restart.
#[derive(Debug, Args, Clone)]
pub struct RefreshArgs {
    /// With --feeds: download the feeds again every this many hours and swap them in
    /// without a restart (a feed that fails keeps its last good copy).
    #[arg(long, value_name = "HOURS", requires = "feeds", value_parser = clap::value_parser!(u32).range(1..))]
    pub feeds_refresh: Option<u32>,
    /// Feeds configuration for --feeds-refresh (default: the built-in one).
    #[arg(long, value_name = "FILE", requires = "feeds_refresh")]
    pub feeds_config: Option<PathBuf>,
    /// Look for a new active registry in the data directory (`healthguard registry
    /// update`) every this many seconds, and on SIGHUP; 0: on SIGHUP only. Not with --registry.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub registry_poll: u64,
}

/// `healthguard milter`.
#[derive(Debug, Args)]
pub struct MilterArgs {
    /// `inet:HOST:PORT` or `unix:/path.sock` (overrides the configuration file; default
    /// inet:127.0.0.1:8891).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Configuration file, its `[milter]` table (default /etc/healthguard/healthguard.toml
    /// when it exists; see examples/healthguard.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Trust `Authentication-Results` written by your MTA with this authserv-id (overrides
    /// the configuration file).
    #[arg(long, value_name = "ID")]
    pub trust_authres: Option<String>,
    /// Read and check the configuration, print it, and exit.
    #[arg(long)]
    pub check_config: bool,
    /// Log lines on standard error: for people, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Which log lines: a level (error, warn, info, debug, trace) or directives per module
    /// (`warn,healthguard_milter=info`), as `tracing`'s targets filter reads them.
    #[arg(long, value_name = "FILTER", default_value = "info", value_parser = parse_log_filter)]
    pub log_level: tracing_subscriber::filter::Targets,
    /// Data directory whose active registry (`healthguard registry update --data DIR`) is
    /// used when it is newer than the built-in one.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Feeds and registry refreshed while running.
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Registry selection.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// A log filter (`info`, `warn,healthguard_milter=debug`), refused with the reason.
fn parse_log_filter(text: &str) -> Result<tracing_subscriber::filter::Targets, String> {
    text.parse()
        .map_err(|e| format!("not a log filter ({e}): give a level or MODULE=LEVEL pairs"))
}

/// Formats of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Human,
    /// One JSON object per event.
    Json,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Short, plain text for people.
    Human,
    /// One JSON object.
    Json,
}

/// `healthguard registry …`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Check packs: schema, duplicates, unparsable phones and domains, missing sources.
    Lint {
        /// Registry directory (default: the built-in packs).
        dir: Option<PathBuf>,
    },
    /// List institutions, or show one.
    Show {
        /// Institution id, e.g. pl.nfz.
        id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Language of the names listed: pl, ro, en, uk, fr, de, es, it, cs (default English, else the
        /// institution's own).
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
        /// Registry selection.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Create a new ed25519 key pair.
    Keygen {
        /// Where to write the secret key (kept by the registry maintainer).
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Where to write the public key (shipped to users).
        #[arg(long, value_name = "FILE")]
        public: PathBuf,
    },
    /// Sign a registry directory: writes DIR/registry.sig.
    Sign {
        /// Secret key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Registry directory.
        dir: PathBuf,
    },
    /// Install a new registry as the active one of a data directory, for `serve` and
    /// `milter` (which pick it up without a restart). Only a registry signed by the
    /// publisher's key, lint-clean and newer than the active and built-in ones is taken.
    #[command(after_help = "Exit codes: 0 installed, 2 not newer than the registry in use \
(nothing changed), 3 refused: unreadable, invalid, unsigned or signed by another key (nothing changed).")]
    Update {
        /// A registry directory (signed: registry.sig) or a bundle file (`registry bundle`).
        source: PathBuf,
        /// Data directory (as `serve --data`).
        #[arg(long, value_name = "DIR", default_value = "healthguard-data")]
        data: PathBuf,
        /// The publisher's public key. Pinned in DIR/registry.pub by the first update;
        /// later updates use the pinned key and refuse another.
        #[arg(long, value_name = "FILE")]
        pubkey: Option<PathBuf>,
    },
    /// Write a registry directory (signed or not) as one bundle file, for `registry update`.
    Bundle {
        /// Registry directory.
        dir: PathBuf,
        /// The bundle file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify a registry directory's signature.
    Verify {
        /// Public key file.
        #[arg(long, value_name = "FILE")]
        pubkey: PathBuf,
        /// Registry directory.
        dir: PathBuf,
    },
}

/// `healthguard eval …`.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Precision, recall and false-positive rate on labelled SMS (JSON lines with `label`
    /// and `text`; labels smishing|phishing = threat, ham = legitimate, others reported apart).
    Sms {
        /// The JSON-lines file.
        file: PathBuf,
        /// How many false positives and misses to list, with their findings.
        #[arg(long, default_value_t = 10)]
        show: usize,
        /// Which messages are counted: `all`, or the `tuning` or `validation` half (by a
        /// hash of the folded text, so a text repeated in the file stays on one side).
        #[arg(long, value_enum, default_value_t = Split::All)]
        split: Split,
        /// Registry selection.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Precision, recall and false-positive rate on labelled e-mail: folders labelled by
    /// their path (a component named phishing|phishing_pot|phish = phishing,
    /// ham|legit|legitimate = legitimate, spam = spam, reported apart), or a manifest.
    Email(EvalEmailArgs),
    /// Precision, recall and false-positive rate on labelled messages of mixed channels (JSON
    /// lines with `channel` sms|email|call|letter|text, `text`, optional `subject`, `sender`,
    /// `number`, `country`; labels phishing|smishing = threat, legitimate|ham = legitimate),
    /// per country and channel.
    Messages {
        /// The JSON-lines file.
        file: PathBuf,
        /// How many false positives and misses to list, with their findings.
        #[arg(long, default_value_t = 20)]
        show: usize,
        /// Registry selection.
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Count host names flagged as look-alikes of registry domains (one per line, or rank,domain CSV).
    Domains {
        /// The list.
        file: PathBuf,
        /// How many flagged hosts to list.
        #[arg(long, default_value_t = 50)]
        show: usize,
        /// Registry selection.
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

/// `healthguard eval email`.
#[derive(Debug, Args)]
pub struct EvalEmailArgs {
    /// Labelled folders (or files), each measured as one corpus: the first path component
    /// (from the given path's own name down) named like a label gives the label.
    #[arg(value_name = "PATH", required_unless_present = "manifest")]
    pub paths: Vec<PathBuf>,
    /// A corpus listed in a file of `label<TAB>path` lines (paths relative to the manifest's
    /// folder; `#` comments and blank lines skipped).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// How many false positives and misses to list, with their findings.
    #[arg(long, default_value_t = 10)]
    pub show: usize,
    /// Which files are counted: `all`, or the `tuning` or `validation` half of every corpus
    /// (by a hash of the file name). Tune on one half, report the other.
    #[arg(long, value_enum, default_value_t = Split::All)]
    pub split: Split,
    /// Also write every message's result (with its label) to this file, one JSON per line.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Option<PathBuf>,
    /// How the work is done.
    #[command(flatten)]
    pub run: RunArgs,
    /// E-mail authentication.
    #[command(flatten)]
    pub auth: MailAuthArgs,
    /// Registry selection.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("50M"), Ok(50 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("M").is_err());
    }
}
