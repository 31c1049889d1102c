//! Report storage: the [`ReportStore`] trait, on SQLite ([`SqliteStore`], the default) and
//! on PostgreSQL ([`PgStore`], `serve --database postgres://…`).
//!
//! The contract that matters: [`ReportStore::insert`] resolves `Ok` only once the report is
//! durable (committed with `synchronous=FULL` on SQLite, a synchronous commit on
//! PostgreSQL), so an acknowledged report survives a crash of the process. Both stores get
//! their throughput from group commit: one writer task takes every report waiting in its
//! queue, writes them in one transaction, commits once, and only then answers each of them.
//!
//! Both stores share their SQL and row mapping: the statements use `$N` placeholders, which
//! both databases read, and [`shared_store!`] writes the queries, the writer task and the
//! whole [`ReportStore`] implementation once for each database type; a store supplies only
//! how it opens, migrates and keeps its in-memory grouping in step (the PostgreSQL store
//! shares its database with other nodes, see [`PgStore`]).

use crate::access::{Principal, Role, Status};
use healthguard_triage::{extract, Campaign, CampaignId, Extracted, Fingerprint, Grouper, Indicator, Official, Report};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row, SqliteConnection, SqlitePool};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex, MutexGuard};

mod postgres;
pub use postgres::{test_database, PgStore};

/// A boxed future, so the trait can be used as `dyn ReportStore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A storage failure; the operation did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(String),
    /// The store is shutting down or its writer stopped.
    #[error("the report store is closed")]
    Closed,
    /// Too many reports are waiting to be written.
    #[error("too many reports are waiting to be written")]
    Overloaded,
    /// The change is not allowed (a status the workflow does not allow, an unknown name).
    #[error("{0}")]
    Refused(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// A report to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// Public id.
    pub id: String,
    /// SHA-256 of the reporter's token (the token itself is never stored).
    pub token_hash: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// `sms`, `email`, `url`, `phone` or `text`.
    pub kind: String,
    /// Verdict at intake.
    pub verdict: String,
    /// Score at intake.
    pub score: f64,
    /// Claimed institution id.
    pub institution: Option<String>,
    /// Findings at intake, as JSON.
    pub findings_json: String,
    /// SMS sender, when given.
    pub sender: Option<String>,
    /// The message as received (SMS text, e-mail source, link, number or text).
    pub message: Vec<u8>,
    /// Reporter contact, only with consent.
    pub contact: Option<String>,
    /// Reporter's language.
    pub lang: Option<String>,
}

/// What the store knows of a report, as far as its reporter may see.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    /// Public id.
    pub id: String,
    /// SHA-256 of the reporter's token.
    pub token_hash: Vec<u8>,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Kind of message.
    pub kind: String,
    /// Verdict at intake.
    pub verdict: String,
    /// Score at intake.
    pub score: f64,
    /// Claimed institution id.
    pub institution: Option<String>,
    /// Triage status: `received` until an analyst changes it.
    pub status: String,
}

/// A stored report as offline tools read it (everything but the reporter's token).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// Public id.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// `sms`, `email`, `url`, `phone` or `text`.
    pub kind: String,
    /// Verdict at intake.
    pub verdict: String,
    /// Claimed institution id.
    pub institution: Option<String>,
    /// SMS sender, when given.
    pub sender: Option<String>,
    /// The message as received.
    pub message: Vec<u8>,
    /// Reporter contact, only with consent.
    pub contact: Option<String>,
    /// Triage status.
    pub status: String,
}

/// Where a store is: the SQLite database of a data directory, or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// `DIR/healthguard.db`.
    Sqlite(PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl Database {
    /// The PostgreSQL database at `url` when one is given, else the data directory's SQLite.
    pub fn new(data_dir: &Path, url: Option<&str>) -> Database {
        match url {
            Some(url) => Database::Postgres(url.to_string()),
            None => Database::Sqlite(data_dir.to_path_buf()),
        }
    }

    /// Opens the store (running migrations), with the official channels of the registry in use.
    pub async fn open(&self, official: Official) -> Result<Arc<dyn ReportStore>, StoreError> {
        Ok(match self {
            Database::Sqlite(dir) => Arc::new(SqliteStore::open_with(dir, official).await?),
            Database::Postgres(url) => Arc::new(PgStore::open_with(url, official).await?),
        })
    }

    /// Where it is, for messages (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(dir) => dir.join("healthguard.db").display().to_string(),
            Database::Postgres(url) => postgres::without_password(url),
        }
    }
}

impl From<&Path> for Database {
    fn from(dir: &Path) -> Database {
        Database::Sqlite(dir.to_path_buf())
    }
}

impl From<&PathBuf> for Database {
    fn from(dir: &PathBuf) -> Database {
        Database::Sqlite(dir.clone())
    }
}

/// Reports read per query by [`read_reports`].
const READ_PAGE: i64 = 512;

/// Runs `f` on a runtime of its own (the offline commands are synchronous).
fn block_on<T>(f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(e.to_string()))?
        .block_on(f)
}

/// A data directory's SQLite database opened read-only (a running server is not disturbed);
/// a missing database is an error, never created.
async fn sqlite_read_only(dir: &Path) -> Result<SqliteConnection, StoreError> {
    let path = dir.join("healthguard.db");
    if !path.is_file() {
        return Err(StoreError::Database(format!("no report store at {}", path.display())));
    }
    Ok(SqliteConnectOptions::new()
        .filename(&path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?)
}

/// Reads every report of the store, oldest first, calling `each` with one at a time (memory
/// stays bounded by a page).
pub fn read_reports(db: impl Into<Database>, mut each: impl FnMut(ReportRow)) -> Result<usize, StoreError> {
    let db = db.into();
    block_on(async {
        let mut n = 0usize;
        let mut page = |rows: Vec<ReportRow>| {
            n += rows.len();
            let last = rows.last().map(|r| (r.created_at_ms, r.id.clone()));
            rows.into_iter().for_each(&mut each);
            last
        };
        let (mut after_ms, mut after_id) = (i64::MIN, String::new());
        match &db {
            Database::Sqlite(dir) => {
                let mut conn = sqlite_read_only(dir).await?;
                while let Some(last) = page(report_page(&mut conn, after_ms, &after_id).await?) {
                    (after_ms, after_id) = last;
                }
                let _ = conn.close().await;
            }
            Database::Postgres(url) => {
                let mut conn = postgres::connect(url).await?;
                while let Some(last) = page(postgres::report_page(&mut conn, after_ms, &after_id).await?) {
                    (after_ms, after_id) = last;
                }
                let _ = conn.close().await;
            }
        }
        Ok(n)
    })
}

/// A campaign as stored, with its reports' statuses, for offline tools (`triage advisory`).
#[derive(Debug, Clone)]
pub struct StoredCampaign {
    /// The campaign, rebuilt from the stored grouping (nothing re-clustered).
    pub campaign: Campaign,
    /// Reports per status.
    pub statuses: BTreeMap<Status, u64>,
}

/// The campaign `id` of the store, read-only; `Ok(None)` when there is no such campaign.
pub fn read_campaign(db: impl Into<Database>, id: &str) -> Result<Option<StoredCampaign>, StoreError> {
    let db = db.into();
    block_on(async {
        match &db {
            Database::Sqlite(dir) => {
                let mut conn = sqlite_read_only(dir).await?;
                let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut conn).await?;
                if version < 2 {
                    return Err(StoreError::Database(
                        "the store has no campaigns yet: start `healthguard serve` on it once".into(),
                    ));
                }
                let out = stored_campaign(&mut conn, id).await;
                let _ = conn.close().await;
                out
            }
            Database::Postgres(url) => {
                let mut conn = postgres::connect(url).await?;
                let out = postgres::stored_campaign(&mut conn, id).await;
                let _ = conn.close().await;
                out
            }
        }
    })
}

/// `healthguard users add`: adds an analyst to the store (password already hashed), creating
/// and migrating it when needed; a running server sees the user at once.
pub fn add_user_offline(
    db: impl Into<Database>,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<(), StoreError> {
    let db = db.into();
    block_on(async {
        match &db {
            Database::Sqlite(dir) => {
                let mut conn = sqlite_admin(dir).await?;
                let out = add_user_sql(&mut conn, name, role, password_hash).await;
                let _ = conn.close().await;
                out
            }
            Database::Postgres(url) => {
                let mut conn = postgres::connect_migrated(url).await?;
                let out = postgres::add_user_sql(&mut conn, name, role, password_hash).await;
                let _ = conn.close().await;
                out
            }
        }
    })
}

/// `healthguard tokens create`: adds an API token (by its SHA-256) to the store.
pub fn add_token_offline(
    db: impl Into<Database>,
    token_hash: [u8; 32],
    name: &str,
    role: Role,
) -> Result<(), StoreError> {
    let db = db.into();
    block_on(async {
        match &db {
            Database::Sqlite(dir) => {
                let mut conn = sqlite_admin(dir).await?;
                let out = add_token_sql(&mut conn, token_hash, name, role).await;
                let _ = conn.close().await;
                out
            }
            Database::Postgres(url) => {
                let mut conn = postgres::connect_migrated(url).await?;
                let out = postgres::add_token_sql(&mut conn, token_hash, name, role).await;
                let _ = conn.close().await;
                out
            }
        }
    })
}

/// Where reports are kept.
pub trait ReportStore: Send + Sync + 'static {
    /// Stores a report; resolves `Ok` only once it is durable.
    fn insert(&self, report: NewReport) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The report with this id.
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredReport>, StoreError>>;
    /// Whether the store answers.
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Writes what is queued and closes; later inserts fail with [`StoreError::Closed`].
    fn close(&self) -> BoxFuture<'_, ()>;

    /// Adds an analyst (the password already hashed); refused when the name is taken.
    fn add_user(&self, name: String, role: Role, password_hash: String) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The analyst with this name.
    fn user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>>;
    /// Adds an API token by its SHA-256.
    fn add_token(&self, token_hash: [u8; 32], name: String, role: Role) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Who holds the token with this SHA-256.
    fn token(&self, token_hash: [u8; 32]) -> BoxFuture<'_, Result<Option<Principal>, StoreError>>;
    /// A page of reports, newest first, with the query's filters.
    fn list_reports<'a>(&'a self, query: &'a ReportQuery) -> BoxFuture<'a, Result<ReportPage, StoreError>>;
    /// One report with its message, contact and notes.
    fn report<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<TriageDetail>, StoreError>>;
    /// Changes a report's status, assignee or notes; `Ok(false)` when there is no such report.
    fn change_report<'a>(
        &'a self,
        id: &'a str,
        change: Change,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Every campaign, the largest first.
    fn campaigns(&self) -> BoxFuture<'_, Result<Vec<Campaign>, StoreError>>;
    /// One campaign.
    fn campaign<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Campaign>, StoreError>>;
    /// How many reports of each campaign have each status.
    fn campaign_statuses(&self) -> BoxFuture<'_, Result<CampaignStatuses, StoreError>>;
    /// Merges two campaigns (the older survives); the surviving id, `None` when either is unknown.
    fn merge_campaigns<'a>(
        &'a self,
        a: &'a str,
        b: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<Option<CampaignId>, StoreError>>;
    /// Moves reports of a campaign into a new one; the new id, `None` when the campaign is
    /// unknown or the reports are not some (not all) of its reports.
    fn split_campaign<'a>(
        &'a self,
        id: &'a str,
        reports: &'a [String],
        actor: &'a str,
    ) -> BoxFuture<'a, Result<Option<CampaignId>, StoreError>>;
    /// Appends to the audit log.
    fn audit(&self, entry: AuditEntry) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The latest audit entries, newest first.
    fn audit_log(&self, limit: u32) -> BoxFuture<'_, Result<Vec<AuditEntry>, StoreError>>;
}

/// Reports per status of every campaign.
pub type CampaignStatuses = HashMap<CampaignId, BTreeMap<Status, u64>>;

/// An analyst account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// Filters and page of a report list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportQuery {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this channel (`sms`, `email`, …).
    pub channel: Option<String>,
    /// Only this claimed institution id.
    pub institution: Option<String>,
    /// Only this campaign.
    pub campaign: Option<String>,
    /// Text the message or sender contains (case-insensitive for ASCII).
    pub q: Option<String>,
    /// Only reports at or after this time (ms).
    pub since_ms: Option<i64>,
    /// Only reports before this time (ms).
    pub until_ms: Option<i64>,
    /// Page, from 1.
    pub page: u32,
    /// Reports per page (1–500).
    pub per_page: u32,
}

/// A report as the triage list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageRow {
    /// Public id.
    pub id: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Channel.
    pub kind: String,
    /// Verdict at intake.
    pub verdict: String,
    /// Score at intake.
    pub score: f64,
    /// Claimed institution.
    pub institution: Option<String>,
    /// Triage status.
    pub status: Status,
    /// Analyst in charge.
    pub assignee: Option<String>,
    /// Campaign.
    pub campaign: Option<String>,
    /// SMS sender.
    pub sender: Option<String>,
}

/// A page of reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPage {
    /// The reports of the page.
    pub items: Vec<TriageRow>,
    /// How many match the filters.
    pub total: u64,
}

/// An analyst's note on a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Who wrote it.
    pub author: String,
    /// When (ms).
    pub at_ms: i64,
    /// What.
    pub text: String,
}

/// One report with everything triage knows.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageDetail {
    /// The list's view of it.
    pub row: TriageRow,
    /// The message as received (hostile).
    pub message: Vec<u8>,
    /// The reporter's contact (personal data).
    pub contact: Option<String>,
    /// Findings at intake, JSON.
    pub findings_json: String,
    /// Notes, oldest first.
    pub notes: Vec<Note>,
}

/// A change to a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new status (the workflow is checked).
    Status(Status),
    /// A new assignee, or none.
    Assignee(Option<String>),
    /// A note added.
    Note(String),
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When (ms).
    pub at_ms: i64,
    /// Who (user name or `token:NAME`).
    pub actor: String,
    /// What was done (`view`, `list`, `status`, `export`, `reveal`, `login`, …).
    pub action: String,
    /// On what (a report id, a campaign id, a route).
    pub object: String,
    /// Details (the new status, the export format, …).
    pub detail: String,
}

/// Schema migrations, applied in order; `PRAGMA user_version` holds how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE reports (
    id            TEXT PRIMARY KEY NOT NULL,
    token_hash    BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    score         REAL NOT NULL,
    institution   TEXT,
    findings      TEXT NOT NULL,
    sender        TEXT,
    message       BLOB NOT NULL,
    contact       TEXT,
    lang          TEXT,
    status        TEXT NOT NULL DEFAULT 'received'
);
CREATE INDEX reports_created ON reports (created_at_ms);
CREATE INDEX reports_institution ON reports (institution, created_at_ms);
"#,
    r#"
ALTER TABLE reports ADD COLUMN assignee TEXT;
CREATE INDEX reports_status ON reports (status, created_at_ms);
CREATE TABLE users (
    name          TEXT PRIMARY KEY NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE api_tokens (
    token_hash    BLOB PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE notes (
    id        INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    author    TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX notes_report ON notes (report_id, at_ms);
-- The grouping as decided at intake: a restart reloads it, nothing is re-clustered.
CREATE TABLE report_grouping (
    report_id   TEXT PRIMARY KEY NOT NULL REFERENCES reports (id),
    campaign_id TEXT NOT NULL,
    indicators  TEXT NOT NULL,
    official    TEXT NOT NULL,
    fingerprint BLOB
);
CREATE INDEX report_grouping_campaign ON report_grouping (campaign_id);
-- Analysts' merges and splits.
CREATE TABLE campaign_changes (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL CHECK (action IN ('merge', 'split')),
    campaign TEXT NOT NULL,
    other    TEXT NOT NULL,
    reports  TEXT NOT NULL
);
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms  INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    r#"
-- The report list's order (newest first, id breaking ties) without a sort.
CREATE INDEX reports_created_id ON reports (created_at_ms, id);
"#,
    r#"
-- Analysts filter by institution and channel together: counted and paged from the index.
CREATE INDEX reports_institution_kind ON reports (institution, kind, created_at_ms, id);
"#,
];

/// Most reports written in one transaction.
const MAX_BATCH: usize = 512;
/// Most reports waiting for the writer before new ones are refused (503).
const QUEUE: usize = 8192;

/// A report waiting for the writer with its indicators, and where to send the outcome.
type Pending = (Box<NewReport>, Box<Extracted>, oneshot::Sender<Result<(), StoreError>>);

/// Messages up to this size have their indicators read on the request's thread; larger ones
/// on the blocking pool.
const INLINE_EXTRACT_BYTES: usize = 16 * 1024;

/// Work for the writer task.
enum Job {
    /// Store a report, then answer.
    Insert(Box<NewReport>, Box<Extracted>, oneshot::Sender<Result<(), StoreError>>),
    /// Commit what came before, close the database, then answer.
    Close(oneshot::Sender<()>),
}

/// The report as triage reads it.
fn triage_report(r: &NewReport) -> Report {
    Report {
        id: r.id.clone(),
        created_at_ms: r.created_at_ms,
        kind: r.kind.clone(),
        institution: r.institution.clone(),
        sender: r.sender.clone(),
        message: r.message.clone(),
        contact: r.contact.clone(),
    }
}

/// What differs in the SQL of the two databases: the text search of the report list.
struct Dialect {
    /// The message contains the pattern bound at `$?` (ASCII case-insensitive).
    message_like: &'static str,
    /// The pattern for `message_like` that finds `text`.
    message_pattern: fn(&str) -> String,
    /// The sender contains the pattern bound at `$?` (ASCII case-insensitive), `\` escaping.
    sender_like: &'static str,
    /// Appended to the read of a report's status before it changes: locks the row where
    /// writers run concurrently.
    for_update: &'static str,
}

/// `%text%` for a LIKE with `escape` as its escape character: wildcards in `text` are literal.
fn like_pattern(text: &str, escape: char) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if c == '%' || c == '_' || c == escape {
            p.push(escape);
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// SQLite: `LIKE` folds ASCII case; the message blob is read as text.
const SQLITE: Dialect = Dialect {
    message_like: "CAST(r.message AS TEXT) LIKE $? ESCAPE '\\'",
    message_pattern: |t| like_pattern(t, '\\'),
    sender_like: "r.sender LIKE $? ESCAPE '\\'",
    // One writer at a time: a write transaction holds the database.
    for_update: "",
};

/// A value bound to a filter's placeholder.
enum Bind {
    Text(String),
    Int(i64),
}

/// The `WHERE` clause of a report query being built: constant fragments whose `$?` become
/// numbered placeholders, and the values bound to them.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    fn add(&mut self, clause: &str, binds: impl IntoIterator<Item = Bind>) {
        let mut sql = String::with_capacity(clause.len() + 8);
        let mut parts = clause.split("$?");
        sql.push_str(parts.next().unwrap_or_default());
        for (part, b) in parts.zip(binds) {
            self.binds.push(b);
            sql.push_str(&format!("${}", self.binds.len()));
            sql.push_str(part);
        }
        self.clauses.push(sql);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// The `WHERE` clause of a report query (constant fragments only; values are bound).
fn report_filter(q: &ReportQuery, d: &Dialect) -> Filter {
    let mut f = Filter::default();
    if let Some(s) = q.status {
        f.add("r.status = $?", [Bind::Text(s.db().to_string())]);
    }
    if let Some(c) = &q.channel {
        f.add("r.kind = $?", [Bind::Text(c.clone())]);
    }
    if let Some(i) = &q.institution {
        f.add("r.institution = $?", [Bind::Text(i.clone())]);
    }
    if let Some(c) = &q.campaign {
        f.add("g.campaign_id = $?", [Bind::Text(c.clone())]);
    }
    if let Some(t) = q.q.as_deref().filter(|t| !t.is_empty()) {
        let clause = format!("({} OR {} OR r.id = $?)", d.message_like, d.sender_like);
        f.add(
            &clause,
            [
                Bind::Text((d.message_pattern)(t)),
                Bind::Text(like_pattern(t, '\\')),
                Bind::Text(t.to_string()),
            ],
        );
    }
    if let Some(ms) = q.since_ms {
        f.add("r.created_at_ms >= $?", [Bind::Int(ms)]);
    }
    if let Some(ms) = q.until_ms {
        f.add("r.created_at_ms < $?", [Bind::Int(ms)]);
    }
    f
}

/// The columns [`triage_row`] reads, in order.
const ROW_COLUMNS: &str =
    "r.id, r.created_at_ms, r.kind, r.verdict, r.score, r.institution, r.status, r.assignee, g.campaign_id, r.sender";

const INSERT_REPORT: &str = "INSERT INTO reports (id, token_hash, created_at_ms, kind, verdict, score, institution, \
     findings, sender, message, contact, lang) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const INSERT_GROUPING: &str =
    "INSERT INTO report_grouping (report_id, campaign_id, indicators, official, fingerprint) VALUES ($1, $2, $3, $4, $5)";
/// The stored grouping, oldest report first: what [`Grouper::restore`] rebuilds from.
const GROUPING_ROWS: &str = "SELECT r.id, r.created_at_ms, r.kind, r.institution, g.campaign_id, g.indicators, \
     g.official, g.fingerprint FROM report_grouping g JOIN reports r ON r.id = g.report_id ORDER BY r.created_at_ms, r.id";

/// The report of a grouping row (`id, created_at_ms, kind, institution` first).
fn grouping_report<R: Row>(row: &R) -> Report
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Report {
        id: row.get(0),
        created_at_ms: row.get(1),
        kind: row.get(2),
        institution: row.get(3),
        ..Report::default()
    }
}

/// The indicators stored at intake (JSON) and the fingerprint (bytes).
fn stored_extracted(indicators: &str, official: &str, fingerprint: Option<Vec<u8>>) -> Extracted {
    Extracted {
        indicators: serde_json::from_str::<Vec<Indicator>>(indicators).unwrap_or_default(),
        official: serde_json::from_str::<Vec<String>>(official).unwrap_or_default(),
        fingerprint: fingerprint.as_deref().and_then(Fingerprint::from_bytes),
        ..Extracted::default()
    }
}

/// Writes, for one database type `$db`, everything the two stores share: the queries, the
/// row mapping, loading the grouping, the group-commit writer task and the [`ReportStore`]
/// implementation of `$store`. The store type provides, as inherent items:
///
/// - fields `sender` (the writer's queue), `readers` (a pool), `grouping`
///   (`Arc<Mutex<$grouping>>`, which dereferences to a [`Grouper`]) and `official`;
/// - `admin(&self)`: a connection for analysts' writes;
/// - `grouping(&self)`: the grouping, brought up to date with the database;
/// - `sync_locked(conn, grouping, official)`: inside a transaction, before grouping changes:
///   take whatever serialises them and read other writers' changes;
/// - `wrote(conn, grouping)`: after grouping changes, before their commit;
/// - `reload(conn, official)`: the grouping rebuilt from the database.
macro_rules! shared_store {
    ($store:ty, $db:ty, $grouping:ty, $dialect:expr) => {
        /// A connection of this store's database.
        type Conn = <$db as sqlx::Database>::Connection;
        /// A row of this store's database.
        type DbRow = <$db as sqlx::Database>::Row;

        fn triage_row(r: &DbRow) -> TriageRow {
            TriageRow {
                id: r.get(0),
                created_at_ms: r.get(1),
                kind: r.get(2),
                verdict: r.get(3),
                score: r.get(4),
                institution: r.get(5),
                status: Status::from_db(r.get(6)),
                assignee: r.get(7),
                campaign: r.get(8),
                sender: r.get(9),
            }
        }

        /// A page of [`read_reports`] after `(after_ms, after_id)`.
        pub(super) async fn report_page(conn: &mut Conn, after_ms: i64, after_id: &str) -> Result<Vec<ReportRow>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, created_at_ms, kind, verdict, institution, sender, message, contact, status FROM reports \
                 WHERE (created_at_ms, id) > ($1, $2) ORDER BY created_at_ms, id LIMIT $3",
            )
            .bind(after_ms)
            .bind(after_id)
            .bind(READ_PAGE)
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows
                .iter()
                .map(|r| ReportRow {
                    id: r.get(0),
                    created_at_ms: r.get(1),
                    kind: r.get(2),
                    verdict: r.get(3),
                    institution: r.get(4),
                    sender: r.get(5),
                    message: r.get(6),
                    contact: r.get(7),
                    status: r.get(8),
                })
                .collect())
        }

        /// One campaign rebuilt from its stored rows, for [`read_campaign`].
        pub(super) async fn stored_campaign(conn: &mut Conn, id: &str) -> Result<Option<StoredCampaign>, StoreError> {
            let rows = sqlx::query(
                "SELECT r.id, r.created_at_ms, r.kind, r.institution, g.indicators, g.official, r.status \
                 FROM report_grouping g JOIN reports r ON r.id = g.report_id WHERE g.campaign_id = $1 \
                 ORDER BY r.created_at_ms, r.id",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            if rows.is_empty() {
                return Ok(None);
            }
            let mut g = Grouper::default();
            let mut statuses = BTreeMap::new();
            for row in rows {
                let x = stored_extracted(row.get(4), row.get(5), None);
                g.restore(&grouping_report(&row), &x, id);
                *statuses.entry(Status::from_db(row.get(6))).or_default() += 1;
            }
            Ok(g.campaign(id)
                .cloned()
                .map(|campaign| StoredCampaign { campaign, statuses }))
        }

        /// The grouping stored by intake, restored; reports stored before grouping existed
        /// (or whose grouping row is missing) are grouped now and their rows written.
        async fn load_grouping(conn: &mut Conn, official: &Official) -> Result<Grouper, StoreError> {
            let mut g = Grouper::new(official.clone());
            for row in sqlx::query(GROUPING_ROWS).fetch_all(&mut *conn).await? {
                let campaign: String = row.get(4);
                let x = stored_extracted(row.get(5), row.get(6), row.get(7));
                g.restore(&grouping_report(&row), &x, &campaign);
            }
            let missing = sqlx::query(
                "SELECT id, created_at_ms, kind, institution, sender, message, contact FROM reports \
                 WHERE id NOT IN (SELECT report_id FROM report_grouping) ORDER BY created_at_ms, id",
            )
            .fetch_all(&mut *conn)
            .await?;
            if !missing.is_empty() {
                let mut tx = conn.begin().await?;
                let mut rows = Vec::with_capacity(missing.len());
                for row in missing {
                    let report = Report {
                        sender: row.get(4),
                        message: row.get(5),
                        contact: row.get(6),
                        ..grouping_report(&row)
                    };
                    let x = extract(&report, official);
                    let campaign = g.add_extracted(&report, &x);
                    rows.push((report.id, campaign, x));
                }
                for (id, campaign, x) in &rows {
                    insert_grouping(&mut tx, id, campaign, x).await?;
                }
                apply_renames(&mut tx, g.take_renames()).await?;
                tx.commit().await?;
            }
            g.take_renames();
            Ok(g)
        }

        async fn insert_grouping(conn: &mut Conn, id: &str, campaign: &str, x: &Extracted) -> Result<(), StoreError> {
            sqlx::query(INSERT_GROUPING)
                .bind(id)
                .bind(campaign)
                .bind(serde_json::to_string(&x.indicators).unwrap_or_else(|_| "[]".into()))
                .bind(serde_json::to_string(&x.official).unwrap_or_else(|_| "[]".into()))
                .bind(x.fingerprint.as_ref().map(Fingerprint::to_bytes))
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn apply_renames(conn: &mut Conn, renames: Vec<(CampaignId, CampaignId)>) -> Result<(), StoreError> {
            for (old, new) in renames {
                sqlx::query("UPDATE report_grouping SET campaign_id = $1 WHERE campaign_id = $2")
                    .bind(&new)
                    .bind(&old)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        async fn record_change(
            conn: &mut Conn,
            actor: &str,
            action: &str,
            campaign: &str,
            other: &str,
            reports: &[String],
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO campaign_changes (at_ms, actor, action, campaign, other, reports) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(crate::ids::now_ms())
            .bind(actor)
            .bind(action)
            .bind(campaign)
            .bind(other)
            .bind(serde_json::to_string(reports).unwrap_or_else(|_| "[]".into()))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        pub(super) async fn add_user_sql(conn: &mut Conn, name: &str, role: Role, hash: &str) -> Result<(), StoreError> {
            if !crate::access::valid_name(name) {
                return Err(StoreError::Refused(format!(
                    "{name:?} is not a valid user name (1-64 letters, digits, '.', '_', '-', '@')"
                )));
            }
            let taken: Option<String> = sqlx::query_scalar("SELECT name FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
            if taken.is_some() {
                return Err(StoreError::Refused(format!("there is already a user {name:?}")));
            }
            sqlx::query("INSERT INTO users (name, role, password_hash, created_at_ms) VALUES ($1, $2, $3, $4)")
                .bind(name)
                .bind(role.name())
                .bind(hash)
                .bind(crate::ids::now_ms())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        pub(super) async fn add_token_sql(conn: &mut Conn, hash: [u8; 32], name: &str, role: Role) -> Result<(), StoreError> {
            if !crate::access::valid_name(name) {
                return Err(StoreError::Refused(format!(
                    "{name:?} is not a valid token name (1-64 letters, digits, '.', '_', '-', '@')"
                )));
            }
            sqlx::query("INSERT INTO api_tokens (token_hash, name, role, created_at_ms) VALUES ($1, $2, $3, $4)")
                .bind(&hash[..])
                .bind(name)
                .bind(role.name())
                .bind(crate::ids::now_ms())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn write_loop(
            mut conn: Conn,
            mut rx: mpsc::Receiver<Job>,
            grouping: Arc<Mutex<$grouping>>,
            official: Arc<Official>,
        ) {
            let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
            let mut closing: Option<oneshot::Sender<()>> = None;
            while closing.is_none() {
                if rx.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                    break;
                }
                let mut batch = Vec::with_capacity(jobs.len());
                for job in jobs.drain(..) {
                    match job {
                        Job::Insert(report, x, reply) if closing.is_none() => batch.push((report, x, reply)),
                        // Inserts queued after a close are answered `Closed` when dropped.
                        Job::Insert(..) => {}
                        Job::Close(done) => closing = closing.or(Some(done)),
                    }
                }
                if batch.is_empty() {
                    continue;
                }
                let mut grouper = grouping.lock().await;
                let result = write_batch(&mut conn, &batch, &mut grouper, &official).await;
                if let Err(e) = &result {
                    eprintln!("healthguard: a batch of {} reports was not stored: {e}", batch.len());
                    // The grouper saw reports that were not stored: reload it from what was.
                    match <$store>::reload(&mut conn, &official).await {
                        Ok(g) => *grouper = g,
                        Err(e) => eprintln!("healthguard: the campaign grouping could not be reloaded: {e}"),
                    }
                }
                drop(grouper);
                for (_, _, reply) in batch {
                    let _ = reply.send(result.clone());
                }
            }
            rx.close();
            let _ = conn.close().await;
            if let Some(done) = closing {
                let _ = done.send(());
            }
        }

        async fn write_batch(
            conn: &mut Conn,
            batch: &[Pending],
            grouper: &mut $grouping,
            official: &Official,
        ) -> Result<(), StoreError> {
            let mut tx = conn.begin().await?;
            <$store>::sync_locked(&mut tx, grouper, official).await?;
            for (r, x, _) in batch {
                sqlx::query(INSERT_REPORT)
                    .bind(&r.id)
                    .bind(&r.token_hash[..])
                    .bind(r.created_at_ms)
                    .bind(&r.kind)
                    .bind(&r.verdict)
                    .bind(r.score)
                    .bind(&r.institution)
                    .bind(&r.findings_json)
                    .bind(&r.sender)
                    .bind(&r.message)
                    .bind(&r.contact)
                    .bind(&r.lang)
                    .execute(&mut *tx)
                    .await?;
                let campaign = grouper.add_extracted(&triage_report(r), x);
                insert_grouping(&mut tx, &r.id, &campaign, x).await?;
            }
            apply_renames(&mut tx, grouper.take_renames()).await?;
            <$store>::wrote(&mut tx, grouper).await?;
            // The commit returns once the database has synced it (see the store's options).
            tx.commit().await?;
            Ok(())
        }

        impl $store {
            /// A page of one campaign's reports, newest first, from the grouper's list of its
            /// reports (kept in the order they came): no scan and no sort of the campaign's rows.
            async fn campaign_page(&self, query: &ReportQuery) -> Result<ReportPage, StoreError> {
                let id = query.campaign.as_deref().unwrap_or_default();
                let per_page = query.per_page.clamp(1, 500) as usize;
                let skip = (query.page.max(1) as usize - 1).saturating_mul(per_page);
                let (ids, total) = {
                    let g = self.grouping().await?;
                    match g.campaign(id) {
                        Some(c) => (
                            c.reports
                                .iter()
                                .rev()
                                .skip(skip)
                                .take(per_page)
                                .cloned()
                                .collect::<Vec<_>>(),
                            c.reports.len() as u64,
                        ),
                        None => (Vec::new(), 0),
                    }
                };
                if ids.is_empty() {
                    return Ok(ReportPage {
                        items: Vec::new(),
                        total,
                    });
                }
                let marks = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                let sql = format!(
                    "SELECT {ROW_COLUMNS} FROM reports r LEFT JOIN report_grouping g ON g.report_id = r.id \
                     WHERE r.id IN ({marks}) ORDER BY r.created_at_ms DESC, r.id DESC"
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for i in &ids {
                    q = q.bind(i.clone());
                }
                let rows = q.fetch_all(&self.readers).await?;
                Ok(ReportPage {
                    items: rows.iter().map(triage_row).collect(),
                    total,
                })
            }
        }

        impl ReportStore for $store {
            fn insert(&self, report: NewReport) -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    if self.sender.is_closed() {
                        return Err(StoreError::Closed);
                    }
                    let x = if report.message.len() <= INLINE_EXTRACT_BYTES {
                        extract(&triage_report(&report), &self.official)
                    } else {
                        let (r, official) = (triage_report(&report), self.official.clone());
                        tokio::task::spawn_blocking(move || extract(&r, &official))
                            .await
                            .map_err(|e| StoreError::Database(format!("reading indicators failed: {e}")))?
                    };
                    let (reply, answer) = oneshot::channel();
                    match self.sender.try_send(Job::Insert(Box::new(report), Box::new(x), reply)) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => return Err(StoreError::Overloaded),
                        Err(mpsc::error::TrySendError::Closed(_)) => return Err(StoreError::Closed),
                    }
                    answer.await.unwrap_or(Err(StoreError::Closed))
                })
            }

            fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredReport>, StoreError>> {
                Box::pin(async move {
                    let row = sqlx::query(
                        "SELECT id, token_hash, created_at_ms, kind, verdict, score, institution, status \
                         FROM reports WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.readers)
                    .await?;
                    Ok(row.map(|r| StoredReport {
                        id: r.get(0),
                        token_hash: r.get(1),
                        created_at_ms: r.get(2),
                        kind: r.get(3),
                        verdict: r.get(4),
                        score: r.get(5),
                        institution: r.get(6),
                        status: r.get(7),
                    }))
                })
            }

            fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    if self.sender.is_closed() {
                        return Err(StoreError::Closed);
                    }
                    sqlx::query("SELECT 1").execute(&self.readers).await?;
                    Ok(())
                })
            }

            fn close(&self) -> BoxFuture<'_, ()> {
                Box::pin(async move {
                    let (done, wait) = oneshot::channel();
                    if self.sender.send(Job::Close(done)).await.is_ok() {
                        let _ = wait.await;
                    }
                    self.readers.close().await;
                })
            }

            fn add_user(&self, name: String, role: Role, password_hash: String) -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    let mut conn = self.admin().await?;
                    add_user_sql(&mut conn, &name, role, &password_hash).await
                })
            }

            fn user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>> {
                Box::pin(async move {
                    let row = sqlx::query("SELECT name, role, password_hash FROM users WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&self.readers)
                        .await?;
                    Ok(row.and_then(|r| {
                        Some(UserRecord {
                            name: r.get(0),
                            role: Role::parse(r.get(1))?,
                            password_hash: r.get(2),
                        })
                    }))
                })
            }

            fn add_token(&self, token_hash: [u8; 32], name: String, role: Role) -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    let mut conn = self.admin().await?;
                    add_token_sql(&mut conn, token_hash, &name, role).await
                })
            }

            fn token(&self, token_hash: [u8; 32]) -> BoxFuture<'_, Result<Option<Principal>, StoreError>> {
                Box::pin(async move {
                    let row = sqlx::query("SELECT name, role FROM api_tokens WHERE token_hash = $1")
                        .bind(&token_hash[..])
                        .fetch_optional(&self.readers)
                        .await?;
                    Ok(row.and_then(|r| {
                        Some(Principal {
                            name: format!("token:{}", r.get::<String, _>(0)),
                            role: Role::parse(r.get(1))?,
                        })
                    }))
                })
            }

            fn list_reports<'a>(&'a self, query: &'a ReportQuery) -> BoxFuture<'a, Result<ReportPage, StoreError>> {
                Box::pin(async move {
                    let only_campaign = ReportQuery {
                        campaign: query.campaign.clone(),
                        page: query.page,
                        per_page: query.per_page,
                        ..ReportQuery::default()
                    };
                    if query.campaign.is_some() && *query == only_campaign {
                        return self.campaign_page(query).await;
                    }
                    let filter = report_filter(query, &$dialect);
                    let where_ = filter.sql();
                    // The count joins the grouping only to filter by campaign: probing it for
                    // every row would cost more than the count itself.
                    let from = if query.campaign.is_some() {
                        "reports r JOIN report_grouping g ON g.report_id = r.id"
                    } else {
                        "reports r"
                    };
                    let count_sql = format!("SELECT count(*) FROM {from}{where_}");
                    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
                    for b in &filter.binds {
                        count = match b {
                            Bind::Text(t) => count.bind(t.clone()),
                            Bind::Int(i) => count.bind(*i),
                        };
                    }
                    let total = count.fetch_one(&self.readers).await?;
                    let per_page = query.per_page.clamp(1, 500);
                    let offset = i64::from(query.page.max(1) - 1) * i64::from(per_page);
                    // By campaign, an inner join lets the campaign index lead.
                    let join = if query.campaign.is_some() { "JOIN" } else { "LEFT JOIN" };
                    let n = filter.binds.len();
                    let list_sql = format!(
                        "SELECT {ROW_COLUMNS} FROM reports r {join} report_grouping g ON g.report_id = r.id{where_} \
                         ORDER BY r.created_at_ms DESC, r.id DESC LIMIT ${} OFFSET ${}",
                        n + 1,
                        n + 2
                    );
                    let mut list = sqlx::query(AssertSqlSafe(list_sql));
                    for b in &filter.binds {
                        list = match b {
                            Bind::Text(t) => list.bind(t.clone()),
                            Bind::Int(i) => list.bind(*i),
                        };
                    }
                    let rows = list
                        .bind(i64::from(per_page))
                        .bind(offset)
                        .fetch_all(&self.readers)
                        .await?;
                    Ok(ReportPage {
                        items: rows.iter().map(triage_row).collect(),
                        total: total.max(0) as u64,
                    })
                })
            }

            fn report<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<TriageDetail>, StoreError>> {
                Box::pin(async move {
                    let sql = format!(
                        "SELECT {ROW_COLUMNS}, r.message, r.contact, r.findings FROM reports r \
                         LEFT JOIN report_grouping g ON g.report_id = r.id WHERE r.id = $1"
                    );
                    let Some(r) = sqlx::query(AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_optional(&self.readers)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let notes =
                        sqlx::query("SELECT author, at_ms, text FROM notes WHERE report_id = $1 ORDER BY at_ms, id")
                            .bind(id)
                            .fetch_all(&self.readers)
                            .await?
                            .iter()
                            .map(|n| Note {
                                author: n.get(0),
                                at_ms: n.get(1),
                                text: n.get(2),
                            })
                            .collect();
                    Ok(Some(TriageDetail {
                        row: triage_row(&r),
                        message: r.get(10),
                        contact: r.get(11),
                        findings_json: r.get(12),
                        notes,
                    }))
                })
            }

            fn change_report<'a>(
                &'a self,
                id: &'a str,
                change: Change,
                actor: &'a str,
            ) -> BoxFuture<'a, Result<bool, StoreError>> {
                Box::pin(async move {
                    let mut conn = self.admin().await?;
                    let mut tx = Connection::begin(&mut *conn).await?;
                    let sql = format!("SELECT status FROM reports WHERE id = $1{}", $dialect.for_update);
                    let Some(status) = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                    else {
                        return Ok(false);
                    };
                    let now = crate::ids::now_ms();
                    match &change {
                        Change::Status(to) => {
                            let from = Status::from_db(&status);
                            if !from.may_become(*to) {
                                return Err(StoreError::Refused(format!(
                                    "a report that is {} cannot become {}",
                                    from.name(),
                                    to.name()
                                )));
                            }
                            sqlx::query("UPDATE reports SET status = $1 WHERE id = $2")
                                .bind(to.db())
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                        }
                        Change::Assignee(who) => {
                            if let Some(who) = who {
                                let known: Option<String> =
                                    sqlx::query_scalar("SELECT name FROM users WHERE name = $1")
                                        .bind(who)
                                        .fetch_optional(&mut *tx)
                                        .await?;
                                if known.is_none() {
                                    return Err(StoreError::Refused(format!("there is no analyst {who:?}")));
                                }
                            }
                            sqlx::query("UPDATE reports SET assignee = $1 WHERE id = $2")
                                .bind(who)
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                        }
                        Change::Note(text) => {
                            if text.trim().is_empty() || text.len() > 10_000 {
                                return Err(StoreError::Refused("a note has 1 to 10000 bytes of text".into()));
                            }
                            sqlx::query(
                                "INSERT INTO notes (report_id, author, at_ms, text) VALUES ($1, $2, $3, $4)",
                            )
                            .bind(id)
                            .bind(actor)
                            .bind(now)
                            .bind(text)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    tx.commit().await?;
                    Ok(true)
                })
            }

            fn campaigns(&self) -> BoxFuture<'_, Result<Vec<Campaign>, StoreError>> {
                Box::pin(async move {
                    let g = self.grouping().await?;
                    Ok(g.campaigns().into_iter().cloned().collect())
                })
            }

            fn campaign<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Campaign>, StoreError>> {
                Box::pin(async move { Ok(self.grouping().await?.campaign(id).cloned()) })
            }

            fn campaign_statuses(&self) -> BoxFuture<'_, Result<CampaignStatuses, StoreError>> {
                Box::pin(async move {
                    let rows = sqlx::query(
                        "SELECT g.campaign_id, r.status, count(*) FROM report_grouping g \
                         JOIN reports r ON r.id = g.report_id GROUP BY g.campaign_id, r.status",
                    )
                    .fetch_all(&self.readers)
                    .await?;
                    let mut out: HashMap<CampaignId, BTreeMap<Status, u64>> = HashMap::new();
                    for r in rows {
                        let n: i64 = r.get(2);
                        *out.entry(r.get(0))
                            .or_default()
                            .entry(Status::from_db(r.get(1)))
                            .or_default() += n.max(0) as u64;
                    }
                    Ok(out)
                })
            }

            fn merge_campaigns<'a>(
                &'a self,
                a: &'a str,
                b: &'a str,
                actor: &'a str,
            ) -> BoxFuture<'a, Result<Option<CampaignId>, StoreError>> {
                Box::pin(async move {
                    let mut g = self.grouping().await?;
                    if a == b || g.campaign(a).is_none() || g.campaign(b).is_none() {
                        return Ok(None);
                    }
                    let mut conn = self.admin().await?;
                    let result = async {
                        let mut tx = Connection::begin(&mut *conn).await?;
                        <$store>::sync_locked(&mut tx, &mut g, &self.official).await?;
                        g.take_renames();
                        let Some(kept) = g.merge_ids(a, b) else {
                            return Ok(None);
                        };
                        let renames = g.take_renames();
                        apply_renames(&mut tx, renames).await?;
                        record_change(&mut tx, actor, "merge", &kept, if kept == a { b } else { a }, &[]).await?;
                        <$store>::wrote(&mut tx, &mut g).await?;
                        tx.commit().await?;
                        Ok::<_, StoreError>(Some(kept))
                    }
                    .await;
                    if result.is_err() {
                        // The merge is undone in memory by reloading what is stored.
                        *g = <$store>::reload(&mut conn, &self.official).await?;
                    }
                    result
                })
            }

            fn split_campaign<'a>(
                &'a self,
                id: &'a str,
                reports: &'a [String],
                actor: &'a str,
            ) -> BoxFuture<'a, Result<Option<CampaignId>, StoreError>> {
                Box::pin(async move {
                    let mut g = self.grouping().await?;
                    let mut conn = self.admin().await?;
                    let mut tx = Connection::begin(&mut *conn).await?;
                    <$store>::sync_locked(&mut tx, &mut g, &self.official).await?;
                    let Some(c) = g.campaign(id) else { return Ok(None) };
                    let moving: Vec<String> = c.reports.iter().filter(|r| reports.contains(r)).cloned().collect();
                    if moving.is_empty() || moving.len() != reports.len() || moving.len() == c.reports.len() {
                        return Ok(None);
                    }
                    // The new campaign is named after its oldest report; reports are kept in
                    // the order they were added, which is oldest first.
                    let new_id = format!("C-{}", moving[0]);
                    for r in &moving {
                        sqlx::query("UPDATE report_grouping SET campaign_id = $1 WHERE report_id = $2")
                            .bind(&new_id)
                            .bind(r.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                    record_change(&mut tx, actor, "split", id, &new_id, &moving).await?;
                    tx.commit().await?;
                    // A split changes what the campaigns hold: rebuild them from the stored rows.
                    *g = <$store>::reload(&mut conn, &self.official).await?;
                    Ok(Some(new_id))
                })
            }

            fn audit(&self, entry: AuditEntry) -> BoxFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    let mut conn = self.admin().await?;
                    sqlx::query(
                        "INSERT INTO audit (at_ms, actor, action, object, detail) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(entry.at_ms)
                    .bind(&entry.actor)
                    .bind(&entry.action)
                    .bind(&entry.object)
                    .bind(&entry.detail)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            }

            fn audit_log(&self, limit: u32) -> BoxFuture<'_, Result<Vec<AuditEntry>, StoreError>> {
                Box::pin(async move {
                    let rows = sqlx::query(
                        "SELECT at_ms, actor, action, object, detail FROM audit ORDER BY id DESC LIMIT $1",
                    )
                    .bind(i64::from(limit))
                    .fetch_all(&self.readers)
                    .await?;
                    Ok(rows
                        .iter()
                        .map(|r| AuditEntry {
                            at_ms: r.get(0),
                            actor: r.get(1),
                            action: r.get(2),
                            object: r.get(3),
                            detail: r.get(4),
                        })
                        .collect())
                })
            }
        }
    };
}
pub(crate) use shared_store;

/// SQLite in WAL mode with `synchronous=FULL`, one writer doing group commits, a small pool
/// of readers.
///
/// Intake also groups: the writer adds each report to the in-memory [`Grouper`] (under
/// one lock with the commit, so analysts' merges and splits are ordered with intake) and
/// stores its campaign, indicators and fingerprint; campaign renames caused by merges
/// update the stored rows in the same transaction. Opening reloads the grouping from those
/// rows ([`Grouper::restore`]).
pub struct SqliteStore {
    sender: mpsc::Sender<Job>,
    readers: SqlitePool,
    /// Analysts' writes (users, status, notes, audit): a second connection, rare writes.
    admin: Arc<Mutex<SqliteConnection>>,
    grouping: Arc<Mutex<Grouper>>,
    official: Arc<Official>,
    path: PathBuf,
}

/// The options of every connection that writes: WAL, and a commit returns once it is synced.
fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
}

impl SqliteStore {
    /// Opens (creating when missing) `dir/healthguard.db`, runs migrations, starts the
    /// writer; official channels of the built-in registry never link reports.
    pub async fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(dir, Official::from_registry(healthguard_registry::builtin())).await
    }

    /// Opens with the official channels of the registry in use.
    pub async fn open_with(dir: &Path, official: Official) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Database(format!("cannot create data directory {}: {e}", dir.display())))?;
        let path = dir.join("healthguard.db");
        let options = sqlite_options(&path);
        let mut writer = options.clone().connect().await?;
        migrate(&mut writer).await?;
        let official = Arc::new(official);
        let grouper = load_grouping(&mut writer, &official).await?;
        let grouping = Arc::new(Mutex::new(grouper));
        let admin = Arc::new(Mutex::new(options.clone().connect().await?));
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .connect_with(options.read_only(true))
            .await?;
        let (sender, rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(write_loop(writer, rx, grouping.clone(), official.clone()));
        Ok(SqliteStore {
            sender,
            readers,
            admin,
            grouping,
            official,
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The analysts' connection.
    async fn admin(&self) -> Result<MutexGuard<'_, SqliteConnection>, StoreError> {
        Ok(self.admin.lock().await)
    }

    /// The grouping: only this process writes the database, so it is always up to date.
    async fn grouping(&self) -> Result<MutexGuard<'_, Grouper>, StoreError> {
        Ok(self.grouping.lock().await)
    }

    /// Nothing to do: a write transaction already holds the whole database, and nobody else
    /// changes the grouping.
    async fn sync_locked(_: &mut SqliteConnection, _: &mut Grouper, _: &Official) -> Result<(), StoreError> {
        Ok(())
    }

    /// Nothing to remember.
    async fn wrote(_: &mut SqliteConnection, _: &mut Grouper) -> Result<(), StoreError> {
        Ok(())
    }

    /// The grouping as stored.
    async fn reload(conn: &mut SqliteConnection, official: &Official) -> Result<Grouper, StoreError> {
        load_grouping(conn, official).await
    }
}

shared_store!(SqliteStore, sqlx::Sqlite, Grouper, SQLITE);

async fn migrate(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *conn).await?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::Database(format!(
            "the database has schema version {version}, newer than this program knows ({known}); use a newer HealthGuard"
        )));
    }
    for (ix, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let mut tx = conn.begin().await?;
        // Migrations are constants of this file.
        sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut *tx).await?;
        sqlx::raw_sql(AssertSqlSafe(format!("PRAGMA user_version = {}", ix + 1)))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The data directory's database for an administrative command, created and migrated when
/// needed; a running server is not disturbed (WAL).
async fn sqlite_admin(dir: &Path) -> Result<SqliteConnection, StoreError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::Database(format!("cannot create data directory {}: {e}", dir.display())))?;
    let mut conn = sqlite_options(&dir.join("healthguard.db")).connect().await?;
    migrate(&mut conn).await?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a test runs: a new SQLite data directory, and a new PostgreSQL database when the
    /// tests have a server (`HEALTHGUARD_TEST_POSTGRES`; skipped, saying so, without one).
    fn databases(name: &str) -> Vec<Database> {
        let mut v = vec![Database::Sqlite(temp_dir(name))];
        v.extend(test_database(name).map(Database::Postgres));
        v
    }

    async fn open(db: &Database) -> Arc<dyn ReportStore> {
        db.open(Official::from_registry(healthguard_registry::builtin()))
            .await
            .unwrap()
    }

    fn cleanup(db: &Database) {
        if let Database::Sqlite(dir) = db {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn report(id: String, at: i64) -> NewReport {
        NewReport {
            id,
            token_hash: [7; 32],
            created_at_ms: at,
            kind: "sms".into(),
            verdict: "phishing".into(),
            score: 1.0,
            institution: Some("pl.nfz".into()),
            findings_json: "[]".into(),
            sender: Some("NFZ".into()),
            message: b"tekst".to_vec(),
            contact: None,
            lang: None,
        }
    }

    #[test]
    fn read_reports_pages_through_everything_in_order() {
        let dir = temp_dir("read-reports");
        assert!(read_reports(&dir, |_| {}).is_err(), "no database is an error");
        assert!(!dir.join("healthguard.db").exists(), "and is not created");
        for db in databases("read_reports") {
            let n = READ_PAGE as usize + 30;
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let store = open(&db).await;
                // Same timestamp for a run of reports: the id breaks the tie across pages.
                let inserts = (0..n).map(|i| store.insert(report(format!("r{i:04}"), (i as i64 / 100) * 1000)));
                for r in inserts.collect::<Vec<_>>() {
                    r.await.unwrap();
                }
                store.close().await;
            });
            let mut seen = Vec::new();
            let count = read_reports(db.clone(), |r| seen.push((r.created_at_ms, r.id))).unwrap();
            assert_eq!(count, n, "{db:?}");
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(seen, sorted, "oldest first, each once");
            cleanup(&db);
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("healthguard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn sms(id: &str, at: i64, text: &str) -> NewReport {
        NewReport {
            message: text.as_bytes().to_vec(),
            ..report(id.into(), at)
        }
    }

    #[test]
    fn audit_log_is_append_only() {
        for db in databases("audit") {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let store = open(&db).await;
                let entry = AuditEntry {
                    at_ms: 5,
                    actor: "ana".into(),
                    action: "view".into(),
                    object: "R1".into(),
                    detail: String::new(),
                };
                store.audit(entry.clone()).await.unwrap();
                assert_eq!(store.audit_log(10).await.unwrap(), vec![entry]);
                store.close().await;
                // Even with a writable connection of its own, nothing is changed or removed.
                let refused = ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"];
                let count = "SELECT count(*) FROM audit WHERE actor = 'ana'";
                let n: i64 = match &db {
                    Database::Sqlite(dir) => {
                        let mut conn = SqliteConnectOptions::new()
                            .filename(dir.join("healthguard.db"))
                            .connect()
                            .await
                            .unwrap();
                        for sql in refused {
                            let e = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await.unwrap_err();
                            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
                        }
                        sqlx::query_scalar(count).fetch_one(&mut conn).await.unwrap()
                    }
                    Database::Postgres(url) => {
                        let mut conn = postgres::connect(url).await.unwrap();
                        for sql in refused.into_iter().chain(["TRUNCATE audit"]) {
                            let e = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await.unwrap_err();
                            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
                        }
                        sqlx::query_scalar(count).fetch_one(&mut conn).await.unwrap()
                    }
                };
                assert_eq!(n, 1, "{db:?}");
            });
            cleanup(&db);
        }
    }

    #[test]
    fn users_tokens_and_the_workflow() {
        for db in databases("users") {
            let hash = crate::access::hash_password("pw").unwrap();
            add_user_offline(db.clone(), "ana", Role::Analyst, &hash).unwrap();
            assert!(matches!(
                add_user_offline(db.clone(), "ana", Role::Admin, &hash),
                Err(StoreError::Refused(_))
            ));
            assert!(add_user_offline(db.clone(), "a b", Role::Admin, &hash).is_err());
            let (token, th) = crate::access::new_api_token();
            add_token_offline(db.clone(), th, "feed", Role::Viewer).unwrap();
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let store = open(&db).await;
                let u = store.user("ana").await.unwrap().unwrap();
                assert_eq!(u.role, Role::Analyst);
                assert!(crate::access::verify_password("pw", &u.password_hash));
                assert!(store.user("bob").await.unwrap().is_none());
                let p = store.token(crate::access::hash_token(&token)).await.unwrap().unwrap();
                assert_eq!((p.name.as_str(), p.role), ("token:feed", Role::Viewer));
                assert!(store.token([0; 32]).await.unwrap().is_none());

                store
                    .insert(sms("R1", 1, "NFZ: zwrot 312 zl na nfz-zwrot.pl"))
                    .await
                    .unwrap();
                let ch = |s| Change::Status(s);
                assert!(store.change_report("R1", ch(Status::Triaged), "ana").await.unwrap());
                assert!(store
                    .change_report("R1", ch(Status::ConfirmedPhishing), "ana")
                    .await
                    .unwrap());
                assert!(matches!(
                    store.change_report("R1", ch(Status::New), "ana").await,
                    Err(StoreError::Refused(_))
                ));
                assert!(!store.change_report("NOPE", ch(Status::Triaged), "ana").await.unwrap());
                assert!(store
                    .change_report("R1", Change::Assignee(Some("ana".into())), "ana")
                    .await
                    .unwrap());
                assert!(store
                    .change_report("R1", Change::Assignee(Some("bob".into())), "ana")
                    .await
                    .is_err());
                assert!(store
                    .change_report("R1", Change::Note("seen twice".into()), "ana")
                    .await
                    .unwrap());
                assert!(store
                    .change_report("R1", Change::Note("  ".into()), "ana")
                    .await
                    .is_err());
                let d = store.report("R1").await.unwrap().unwrap();
                assert_eq!(d.row.status, Status::ConfirmedPhishing);
                assert_eq!(d.row.assignee.as_deref(), Some("ana"));
                assert_eq!(d.row.campaign.as_deref(), Some("C-R1"));
                assert_eq!(d.notes.len(), 1);
                assert_eq!(d.notes[0].author, "ana");
                // The reporter's view follows.
                assert_eq!(store.get("R1").await.unwrap().unwrap().status, "confirmed_phishing");
                store.close().await;
            });
            cleanup(&db);
        }
    }

    #[test]
    fn grouping_survives_a_restart_with_analysts_merges_and_splits() {
        for db in databases("grouping") {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let store = open(&db).await;
                store.insert(sms("A1", 1, "Zwrot: one-zwrot.pl")).await.unwrap();
                store.insert(sms("A2", 2, "Zwrot znowu: one-zwrot.pl/x")).await.unwrap();
                store.insert(sms("B1", 3, "Doplata: two-doplata.pl")).await.unwrap();
                store.insert(sms("B2", 4, "Doplata 2: two-doplata.pl")).await.unwrap();
                let ids = |v: Vec<Campaign>| v.into_iter().map(|c| (c.id, c.reports.len())).collect::<Vec<_>>();
                assert_eq!(
                    ids(store.campaigns().await.unwrap()),
                    vec![("C-A1".into(), 2), ("C-B1".into(), 2)]
                );
                // A report bridging both merges them at intake; the stored rows follow.
                store
                    .insert(sms("X1", 5, "Oba: one-zwrot.pl two-doplata.pl"))
                    .await
                    .unwrap();
                assert_eq!(ids(store.campaigns().await.unwrap()), vec![("C-A1".into(), 5)]);
                let page = store
                    .list_reports(&ReportQuery {
                        campaign: Some("C-A1".into()),
                        page: 1,
                        per_page: 10,
                        ..ReportQuery::default()
                    })
                    .await
                    .unwrap();
                assert_eq!(page.total, 5);
                // An analyst splits B1, B2 off again.
                let split = store
                    .split_campaign("C-A1", &["B1".into(), "B2".into()], "ana")
                    .await
                    .unwrap();
                assert_eq!(split.as_deref(), Some("C-B1"));
                assert!(store
                    .split_campaign("C-A1", &["ZZ".into()], "ana")
                    .await
                    .unwrap()
                    .is_none());
                store.close().await;

                let store = open(&db).await;
                let after = ids(store.campaigns().await.unwrap());
                assert_eq!(
                    after,
                    vec![("C-A1".into(), 3), ("C-B1".into(), 2)],
                    "restored, not re-clustered"
                );
                let b = store.campaign("C-B1").await.unwrap().unwrap();
                assert_eq!(b.channels.get("sms"), Some(&2));
                assert!(b.indicators.keys().any(|i| i.value == "two-doplata.pl"));
                // New reports still find restored campaigns.
                store.insert(sms("B3", 6, "Doplata 3: two-doplata.pl/y")).await.unwrap();
                assert_eq!(
                    store.report("B3").await.unwrap().unwrap().row.campaign.as_deref(),
                    Some("C-B1")
                );
                assert_eq!(
                    store.merge_campaigns("C-A1", "C-B1", "ana").await.unwrap().as_deref(),
                    Some("C-A1")
                );
                assert!(store.merge_campaigns("C-A1", "C-A1", "ana").await.unwrap().is_none());
                store.close().await;

                let store = open(&db).await;
                assert_eq!(ids(store.campaigns().await.unwrap()), vec![("C-A1".into(), 6)]);
                let statuses = store.campaign_statuses().await.unwrap();
                assert_eq!(statuses["C-A1"].get(&Status::New), Some(&6));
                store.close().await;
            });
            cleanup(&db);
        }
    }

    #[test]
    fn report_list_filters_and_pages() {
        for db in databases("list") {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let store = open(&db).await;
                for i in 0..30 {
                    let mut r = sms(&format!("R{i:02}"), i, &format!("wiadomosc {i}% pewna_{i}"));
                    if i % 3 == 0 {
                        r.kind = "email".into();
                        r.institution = Some("ro.cnas".into());
                    }
                    store.insert(r).await.unwrap();
                }
                let list = |q: ReportQuery| {
                    let store = &store;
                    async move { store.list_reports(&q).await.unwrap() }
                };
                let base = ReportQuery {
                    page: 1,
                    per_page: 7,
                    ..ReportQuery::default()
                };
                let p1 = list(base.clone()).await;
                assert_eq!(p1.total, 30);
                assert_eq!(p1.items.len(), 7);
                assert_eq!(p1.items[0].id, "R29", "newest first");
                let p5 = list(ReportQuery {
                    page: 5,
                    ..base.clone()
                })
                .await;
                assert_eq!(p5.items.len(), 2);
                let email = list(ReportQuery {
                    channel: Some("email".into()),
                    ..base.clone()
                })
                .await;
                assert_eq!(email.total, 10);
                let ro = list(ReportQuery {
                    institution: Some("ro.cnas".into()),
                    status: Some(Status::New),
                    ..base.clone()
                })
                .await;
                assert_eq!(ro.total, 10);
                let q = list(ReportQuery {
                    q: Some("PEWNA_7".into()),
                    ..base.clone()
                })
                .await;
                assert_eq!(q.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["R07"]);
                // LIKE wildcards in the query are literal.
                let pct = list(ReportQuery {
                    q: Some("0%".into()),
                    ..base.clone()
                })
                .await;
                assert_eq!(pct.total, 3, "10%, 20%, 0% — not every report");
                let window = list(ReportQuery {
                    since_ms: Some(10),
                    until_ms: Some(20),
                    ..base.clone()
                })
                .await;
                assert_eq!(window.total, 10);
                // Text that is not ASCII (its case as written), and a message that is not UTF-8, are
                // searched too.
                store.insert(sms("U1", 40, "Dopłata 2 zł: paczka")).await.unwrap();
                let mut bytes = sms("U2", 41, "");
                bytes.message = b"\xff\xfe binarne DOPLATA".to_vec();
                store.insert(bytes).await.unwrap();
                for (text, want) in [("pŁata", 0), ("PłATA 2 zł", 1), ("doplata", 1)] {
                    let found = list(ReportQuery {
                        q: Some(text.into()),
                        ..base.clone()
                    })
                    .await;
                    assert_eq!(found.total, want, "{text:?} on {db:?}");
                }
                store.close().await;
            });
            cleanup(&db);
        }
    }
}
