//! Report storage: the [`ReportStore`] trait and its SQLite implementation.
//!
//! The contract that matters: [`ReportStore::insert`] resolves `Ok` only once the report is
//! durable (committed with `synchronous=FULL`), so an acknowledged report survives a crash
//! of the process. The SQLite store gets its throughput from group commit: one writer task
//! takes every report waiting in its queue, writes them in one transaction, commits once,
//! and only then answers each of them.
//!
//! A PostgreSQL store can implement the same trait; the schema below is plain SQL.

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
use tokio::sync::{mpsc, oneshot, Mutex};

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

/// Reports read per query by [`read_reports`].
const READ_PAGE: i64 = 512;

/// Reads every report of the store in `dir`, oldest first, calling `each` with one at a time
/// (memory stays bounded by a page). The database is opened read-only, so a running server
/// is not disturbed; a missing database is an error, never created.
pub fn read_reports(dir: &Path, mut each: impl FnMut(ReportRow)) -> Result<usize, StoreError> {
    let path = dir.join("healthguard.db");
    if !path.is_file() {
        return Err(StoreError::Database(format!("no report store at {}", path.display())));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(e.to_string()))?;
    runtime.block_on(async {
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await?;
        let (mut after_ms, mut after_id, mut n) = (i64::MIN, String::new(), 0usize);
        loop {
            let rows = sqlx::query(
                "SELECT id, created_at_ms, kind, verdict, institution, sender, message, contact, status FROM reports \
                 WHERE (created_at_ms, id) > (?, ?) ORDER BY created_at_ms, id LIMIT ?",
            )
            .bind(after_ms)
            .bind(&after_id)
            .bind(READ_PAGE)
            .fetch_all(&mut conn)
            .await?;
            let Some(last) = rows.last() else { break };
            (after_ms, after_id) = (last.get(1), last.get(0));
            for r in rows {
                n += 1;
                each(ReportRow {
                    id: r.get(0),
                    created_at_ms: r.get(1),
                    kind: r.get(2),
                    verdict: r.get(3),
                    institution: r.get(4),
                    sender: r.get(5),
                    message: r.get(6),
                    contact: r.get(7),
                    status: r.get(8),
                });
            }
        }
        let _ = conn.close().await;
        Ok(n)
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
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
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

    /// A page of one campaign's reports, newest first, from the grouper's list of its
    /// reports (kept in the order they came): no scan and no sort of the campaign's rows.
    async fn campaign_page(&self, query: &ReportQuery) -> Result<ReportPage, StoreError> {
        let id = query.campaign.as_deref().unwrap_or_default();
        let per_page = query.per_page.clamp(1, 500) as usize;
        let skip = (query.page.max(1) as usize - 1).saturating_mul(per_page);
        let (ids, total) = {
            let g = self.grouping.lock().await;
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
        let marks = vec!["?"; ids.len()].join(", ");
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

/// The grouping stored by intake, restored; reports stored before grouping existed (or
/// whose grouping row is missing) are grouped now and their rows written.
async fn load_grouping(conn: &mut SqliteConnection, official: &Official) -> Result<Grouper, StoreError> {
    let mut g = Grouper::new(official.clone());
    let rows = sqlx::query(
        "SELECT r.id, r.created_at_ms, r.kind, r.institution, g.campaign_id, g.indicators, g.official, g.fingerprint \
         FROM report_grouping g JOIN reports r ON r.id = g.report_id ORDER BY r.created_at_ms, r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let report = Report {
            id: row.get(0),
            created_at_ms: row.get(1),
            kind: row.get(2),
            institution: row.get(3),
            ..Report::default()
        };
        let campaign: String = row.get(4);
        let x = Extracted {
            indicators: serde_json::from_str::<Vec<Indicator>>(row.get(5)).unwrap_or_default(),
            official: serde_json::from_str::<Vec<String>>(row.get(6)).unwrap_or_default(),
            fingerprint: row
                .get::<Option<Vec<u8>>, _>(7)
                .as_deref()
                .and_then(Fingerprint::from_bytes),
            ..Extracted::default()
        };
        g.restore(&report, &x, &campaign);
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
                id: row.get(0),
                created_at_ms: row.get(1),
                kind: row.get(2),
                institution: row.get(3),
                sender: row.get(4),
                message: row.get(5),
                contact: row.get(6),
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

async fn insert_grouping(
    conn: &mut SqliteConnection,
    id: &str,
    campaign: &str,
    x: &Extracted,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO report_grouping (report_id, campaign_id, indicators, official, fingerprint) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(campaign)
    .bind(serde_json::to_string(&x.indicators).unwrap_or_else(|_| "[]".into()))
    .bind(serde_json::to_string(&x.official).unwrap_or_else(|_| "[]".into()))
    .bind(x.fingerprint.as_ref().map(Fingerprint::to_bytes))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn apply_renames(conn: &mut SqliteConnection, renames: Vec<(CampaignId, CampaignId)>) -> Result<(), StoreError> {
    for (old, new) in renames {
        sqlx::query("UPDATE report_grouping SET campaign_id = ? WHERE campaign_id = ?")
            .bind(&new)
            .bind(&old)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn write_loop(
    mut conn: SqliteConnection,
    mut rx: mpsc::Receiver<Job>,
    grouping: Arc<Mutex<Grouper>>,
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
        let result = write_batch(&mut conn, &batch, &mut grouper).await;
        if let Err(e) = &result {
            eprintln!("healthguard: a batch of {} reports was not stored: {e}", batch.len());
            // The grouper saw reports that were not stored: reload it from what was.
            match load_grouping(&mut conn, &official).await {
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

async fn write_batch(conn: &mut SqliteConnection, batch: &[Pending], grouper: &mut Grouper) -> Result<(), StoreError> {
    let mut tx = conn.begin().await?;
    for (r, x, _) in batch {
        sqlx::query(
            "INSERT INTO reports (id, token_hash, created_at_ms, kind, verdict, score, institution, findings, \
             sender, message, contact, lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
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
    // With journal_mode=WAL and synchronous=FULL, the commit returns after the WAL is synced.
    tx.commit().await?;
    Ok(())
}

impl ReportStore for SqliteStore {
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
                 FROM reports WHERE id = ?",
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
            let mut conn = self.admin.lock().await;
            add_user_sql(&mut conn, &name, role, &password_hash).await
        })
    }

    fn user<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<UserRecord>, StoreError>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT name, role, password_hash FROM users WHERE name = ?")
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
            let mut conn = self.admin.lock().await;
            add_token_sql(&mut conn, token_hash, &name, role).await
        })
    }

    fn token(&self, token_hash: [u8; 32]) -> BoxFuture<'_, Result<Option<Principal>, StoreError>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT name, role FROM api_tokens WHERE token_hash = ?")
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
            let (filter, binds) = report_filter(query);
            // The count joins the grouping only to filter by campaign: probing it for every
            // row would cost more than the count itself.
            let from = if query.campaign.is_some() {
                "reports r JOIN report_grouping g ON g.report_id = r.id"
            } else {
                "reports r"
            };
            let count_sql = format!("SELECT count(*) FROM {from}{filter}");
            let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
            for b in &binds {
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
            let list_sql = format!(
                "SELECT {ROW_COLUMNS} FROM reports r {join} report_grouping g ON g.report_id = r.id{filter} \
                 ORDER BY r.created_at_ms DESC, r.id DESC LIMIT ? OFFSET ?"
            );
            let mut list = sqlx::query(AssertSqlSafe(list_sql));
            for b in &binds {
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
                 LEFT JOIN report_grouping g ON g.report_id = r.id WHERE r.id = ?"
            );
            let Some(r) = sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&self.readers)
                .await?
            else {
                return Ok(None);
            };
            let notes = sqlx::query("SELECT author, at_ms, text FROM notes WHERE report_id = ? ORDER BY at_ms, id")
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
            let mut conn = self.admin.lock().await;
            let mut tx = conn.begin().await?;
            let Some(status) = sqlx::query_scalar::<_, String>("SELECT status FROM reports WHERE id = ?")
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
                    sqlx::query("UPDATE reports SET status = ? WHERE id = ?")
                        .bind(to.db())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Change::Assignee(who) => {
                    if let Some(who) = who {
                        let known: Option<String> = sqlx::query_scalar("SELECT name FROM users WHERE name = ?")
                            .bind(who)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if known.is_none() {
                            return Err(StoreError::Refused(format!("there is no analyst {who:?}")));
                        }
                    }
                    sqlx::query("UPDATE reports SET assignee = ? WHERE id = ?")
                        .bind(who)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                Change::Note(text) => {
                    if text.trim().is_empty() || text.len() > 10_000 {
                        return Err(StoreError::Refused("a note has 1 to 10000 bytes of text".into()));
                    }
                    sqlx::query("INSERT INTO notes (report_id, author, at_ms, text) VALUES (?, ?, ?, ?)")
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
            let g = self.grouping.lock().await;
            Ok(g.campaigns().into_iter().cloned().collect())
        })
    }

    fn campaign<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Campaign>, StoreError>> {
        Box::pin(async move { Ok(self.grouping.lock().await.campaign(id).cloned()) })
    }

    fn campaign_statuses(&self) -> BoxFuture<'_, Result<CampaignStatuses, StoreError>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT g.campaign_id, r.status, count(*) FROM report_grouping g JOIN reports r ON r.id = g.report_id \
                 GROUP BY g.campaign_id, r.status",
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
            let mut g = self.grouping.lock().await;
            if a == b || g.campaign(a).is_none() || g.campaign(b).is_none() {
                return Ok(None);
            }
            let mut conn = self.admin.lock().await;
            let mut tx = conn.begin().await?;
            g.take_renames();
            let Some(kept) = g.merge_ids(a, b) else {
                return Ok(None);
            };
            let renames = g.take_renames();
            let result = async {
                apply_renames(&mut tx, renames).await?;
                record_change(&mut tx, actor, "merge", &kept, if kept == a { b } else { a }, &[]).await?;
                tx.commit().await?;
                Ok::<(), StoreError>(())
            }
            .await;
            if let Err(e) = result {
                // The merge is undone in memory by reloading what is stored.
                *g = load_grouping(&mut conn, &self.official).await?;
                return Err(e);
            }
            Ok(Some(kept))
        })
    }

    fn split_campaign<'a>(
        &'a self,
        id: &'a str,
        reports: &'a [String],
        actor: &'a str,
    ) -> BoxFuture<'a, Result<Option<CampaignId>, StoreError>> {
        Box::pin(async move {
            let mut g = self.grouping.lock().await;
            let Some(c) = g.campaign(id) else { return Ok(None) };
            let moving: Vec<&String> = c.reports.iter().filter(|r| reports.contains(r)).collect();
            if moving.is_empty() || moving.len() != reports.len() || moving.len() == c.reports.len() {
                return Ok(None);
            }
            // The new campaign is named after its oldest report; reports are kept in the
            // order they were added, which is oldest first.
            let new_id = format!("C-{}", moving[0]);
            let mut conn = self.admin.lock().await;
            let mut tx = conn.begin().await?;
            for r in &moving {
                sqlx::query("UPDATE report_grouping SET campaign_id = ? WHERE report_id = ?")
                    .bind(&new_id)
                    .bind(r.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            let moved: Vec<String> = moving.iter().map(|s| s.to_string()).collect();
            record_change(&mut tx, actor, "split", id, &new_id, &moved).await?;
            tx.commit().await?;
            // A split changes what the campaigns hold: rebuild them from the stored rows.
            *g = load_grouping(&mut conn, &self.official).await?;
            Ok(Some(new_id))
        })
    }

    fn audit(&self, entry: AuditEntry) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut conn = self.admin.lock().await;
            sqlx::query("INSERT INTO audit (at_ms, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)")
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
            let rows = sqlx::query("SELECT at_ms, actor, action, object, detail FROM audit ORDER BY id DESC LIMIT ?")
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

/// The columns [`triage_row`] reads, in order.
const ROW_COLUMNS: &str =
    "r.id, r.created_at_ms, r.kind, r.verdict, r.score, r.institution, r.status, r.assignee, g.campaign_id, r.sender";

fn triage_row(r: &sqlx::sqlite::SqliteRow) -> TriageRow {
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

/// A value bound to a filter's placeholder.
enum Bind {
    Text(String),
    Int(i64),
}

/// The `WHERE` clause of a report query (constant fragments only; values are bound).
fn report_filter(q: &ReportQuery) -> (String, Vec<Bind>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut binds = Vec::new();
    if let Some(s) = q.status {
        clauses.push("r.status = ?");
        binds.push(Bind::Text(s.db().to_string()));
    }
    if let Some(c) = &q.channel {
        clauses.push("r.kind = ?");
        binds.push(Bind::Text(c.clone()));
    }
    if let Some(i) = &q.institution {
        clauses.push("r.institution = ?");
        binds.push(Bind::Text(i.clone()));
    }
    if let Some(c) = &q.campaign {
        clauses.push("g.campaign_id = ?");
        binds.push(Bind::Text(c.clone()));
    }
    if let Some(t) = q.q.as_deref().filter(|t| !t.is_empty()) {
        let escaped: String = t
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        clauses.push("(CAST(r.message AS TEXT) LIKE ? ESCAPE '\\' OR r.sender LIKE ? ESCAPE '\\' OR r.id = ?)");
        binds.push(Bind::Text(pattern.clone()));
        binds.push(Bind::Text(pattern));
        binds.push(Bind::Text(t.to_string()));
    }
    if let Some(ms) = q.since_ms {
        clauses.push("r.created_at_ms >= ?");
        binds.push(Bind::Int(ms));
    }
    if let Some(ms) = q.until_ms {
        clauses.push("r.created_at_ms < ?");
        binds.push(Bind::Int(ms));
    }
    if clauses.is_empty() {
        (String::new(), binds)
    } else {
        (format!(" WHERE {}", clauses.join(" AND ")), binds)
    }
}

async fn record_change(
    conn: &mut SqliteConnection,
    actor: &str,
    action: &str,
    campaign: &str,
    other: &str,
    reports: &[String],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO campaign_changes (at_ms, actor, action, campaign, other, reports) VALUES (?, ?, ?, ?, ?, ?)",
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

async fn add_user_sql(conn: &mut SqliteConnection, name: &str, role: Role, hash: &str) -> Result<(), StoreError> {
    if !crate::access::valid_name(name) {
        return Err(StoreError::Refused(format!(
            "{name:?} is not a valid user name (1-64 letters, digits, '.', '_', '-', '@')"
        )));
    }
    let taken: Option<String> = sqlx::query_scalar("SELECT name FROM users WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Refused(format!("there is already a user {name:?}")));
    }
    sqlx::query("INSERT INTO users (name, role, password_hash, created_at_ms) VALUES (?, ?, ?, ?)")
        .bind(name)
        .bind(role.name())
        .bind(hash)
        .bind(crate::ids::now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn add_token_sql(conn: &mut SqliteConnection, hash: [u8; 32], name: &str, role: Role) -> Result<(), StoreError> {
    if !crate::access::valid_name(name) {
        return Err(StoreError::Refused(format!(
            "{name:?} is not a valid token name (1-64 letters, digits, '.', '_', '-', '@')"
        )));
    }
    sqlx::query("INSERT INTO api_tokens (token_hash, name, role, created_at_ms) VALUES (?, ?, ?, ?)")
        .bind(&hash[..])
        .bind(name)
        .bind(role.name())
        .bind(crate::ids::now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Opens the database in `dir` for an administrative command (creating and migrating it
/// when missing) and runs `f` on one connection; a running server is not disturbed (WAL).
fn with_admin_connection<T>(
    dir: &Path,
    f: impl for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>>,
) -> Result<T, StoreError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::Database(format!("cannot create data directory {}: {e}", dir.display())))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(e.to_string()))?;
    runtime.block_on(async {
        let mut conn = SqliteConnectOptions::new()
            .filename(dir.join("healthguard.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await?;
        migrate(&mut conn).await?;
        let out = f(&mut conn).await;
        let _ = conn.close().await;
        out
    })
}

/// `healthguard users add`: adds an analyst to the store in `dir` (password already hashed).
pub fn add_user_offline(dir: &Path, name: &str, role: Role, password_hash: &str) -> Result<(), StoreError> {
    let (name, hash) = (name.to_string(), password_hash.to_string());
    with_admin_connection(dir, move |c| {
        Box::pin(async move { add_user_sql(c, &name, role, &hash).await })
    })
}

/// `healthguard tokens create`: adds an API token (by its SHA-256) to the store in `dir`.
pub fn add_token_offline(dir: &Path, token_hash: [u8; 32], name: &str, role: Role) -> Result<(), StoreError> {
    let name = name.to_string();
    with_admin_connection(dir, move |c| {
        Box::pin(async move { add_token_sql(c, token_hash, &name, role).await })
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

/// The campaign `id` of the store in `dir`, read-only; `Ok(None)` when there is no such campaign.
pub fn read_campaign(dir: &Path, id: &str) -> Result<Option<StoredCampaign>, StoreError> {
    let path = dir.join("healthguard.db");
    if !path.is_file() {
        return Err(StoreError::Database(format!("no report store at {}", path.display())));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(e.to_string()))?;
    runtime.block_on(async {
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await?;
        let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut conn).await?;
        if version < 2 {
            return Err(StoreError::Database(
                "the store has no campaigns yet: start `healthguard serve` on it once".into(),
            ));
        }
        let rows = sqlx::query(
            "SELECT r.id, r.created_at_ms, r.kind, r.institution, g.indicators, g.official, r.status \
             FROM report_grouping g JOIN reports r ON r.id = g.report_id WHERE g.campaign_id = ? \
             ORDER BY r.created_at_ms, r.id",
        )
        .bind(id)
        .fetch_all(&mut conn)
        .await?;
        let _ = conn.close().await;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut g = Grouper::default();
        let mut statuses = BTreeMap::new();
        for row in rows {
            let report = Report {
                id: row.get(0),
                created_at_ms: row.get(1),
                kind: row.get(2),
                institution: row.get(3),
                ..Report::default()
            };
            let x = Extracted {
                indicators: serde_json::from_str::<Vec<Indicator>>(row.get(4)).unwrap_or_default(),
                official: serde_json::from_str::<Vec<String>>(row.get(5)).unwrap_or_default(),
                ..Extracted::default()
            };
            g.restore(&report, &x, id);
            *statuses.entry(Status::from_db(row.get(6))).or_default() += 1;
        }
        Ok(g.campaign(id)
            .cloned()
            .map(|campaign| StoredCampaign { campaign, statuses }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let dir = std::env::temp_dir().join(format!("healthguard-read-reports-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(read_reports(&dir, |_| {}).is_err(), "no database is an error");
        assert!(!dir.join("healthguard.db").exists(), "and is not created");
        let n = READ_PAGE as usize + 30;
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = SqliteStore::open(&dir).await.unwrap();
            // Same timestamp for a run of reports: the id breaks the tie across pages.
            let inserts = (0..n).map(|i| store.insert(report(format!("r{i:04}"), (i as i64 / 100) * 1000)));
            for r in inserts.collect::<Vec<_>>() {
                r.await.unwrap();
            }
            store.close().await;
        });
        let mut seen = Vec::new();
        let count = read_reports(&dir, |r| seen.push((r.created_at_ms, r.id))).unwrap();
        assert_eq!(count, n);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen, sorted, "oldest first, each once");
        let _ = std::fs::remove_dir_all(&dir);
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
        let dir = temp_dir("audit");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = SqliteStore::open(&dir).await.unwrap();
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
            let mut conn = SqliteConnectOptions::new()
                .filename(dir.join("healthguard.db"))
                .connect()
                .await
                .unwrap();
            for sql in ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"] {
                let e = sqlx::query(AssertSqlSafe(sql)).execute(&mut conn).await.unwrap_err();
                assert!(e.to_string().contains("append-only"), "{sql}: {e}");
            }
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit WHERE actor = 'ana'")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(n, 1);
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn users_tokens_and_the_workflow() {
        let dir = temp_dir("users");
        let hash = crate::access::hash_password("pw").unwrap();
        add_user_offline(&dir, "ana", Role::Analyst, &hash).unwrap();
        assert!(matches!(
            add_user_offline(&dir, "ana", Role::Admin, &hash),
            Err(StoreError::Refused(_))
        ));
        assert!(add_user_offline(&dir, "a b", Role::Admin, &hash).is_err());
        let (token, th) = crate::access::new_api_token();
        add_token_offline(&dir, th, "feed", Role::Viewer).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = SqliteStore::open(&dir).await.unwrap();
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
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn grouping_survives_a_restart_with_analysts_merges_and_splits() {
        let dir = temp_dir("grouping");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = SqliteStore::open(&dir).await.unwrap();
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

            let store = SqliteStore::open(&dir).await.unwrap();
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

            let store = SqliteStore::open(&dir).await.unwrap();
            assert_eq!(ids(store.campaigns().await.unwrap()), vec![("C-A1".into(), 6)]);
            let statuses = store.campaign_statuses().await.unwrap();
            assert_eq!(statuses["C-A1"].get(&Status::New), Some(&6));
            store.close().await;
        });
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn report_list_filters_and_pages() {
        let dir = temp_dir("list");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let store = SqliteStore::open(&dir).await.unwrap();
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
            store.close().await;
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
