//! Report storage: the [`ReportStore`] trait and its SQLite implementation.
//!
//! The contract that matters: [`ReportStore::insert`] resolves `Ok` only once the report is
//! durable (committed with `synchronous=FULL`), so an acknowledged report survives a crash
//! of the process. The SQLite store gets its throughput from group commit: one writer task
//! takes every report waiting in its queue, writes them in one transaction, commits once,
//! and only then answers each of them.
//!
//! A PostgreSQL store can implement the same trait; the schema below is plain SQL.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row, SqliteConnection, SqlitePool};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

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
}

/// Schema migrations, applied in order; `PRAGMA user_version` holds how many ran.
const MIGRATIONS: &[&str] = &[r#"
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
"#];

/// Most reports written in one transaction.
const MAX_BATCH: usize = 512;
/// Most reports waiting for the writer before new ones are refused (503).
const QUEUE: usize = 8192;

/// A report waiting for the writer, and where to send the outcome.
type Pending = (Box<NewReport>, oneshot::Sender<Result<(), StoreError>>);

/// Work for the writer task.
enum Job {
    /// Store a report, then answer.
    Insert(Box<NewReport>, oneshot::Sender<Result<(), StoreError>>),
    /// Commit what came before, close the database, then answer.
    Close(oneshot::Sender<()>),
}

/// SQLite in WAL mode with `synchronous=FULL`, one writer doing group commits, a small pool
/// of readers.
pub struct SqliteStore {
    sender: mpsc::Sender<Job>,
    readers: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating when missing) `dir/healthguard.db`, runs migrations, starts the writer.
    pub async fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
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
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(0)
            .connect_with(options.read_only(true))
            .await?;
        let (sender, rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(write_loop(writer, rx));
        Ok(SqliteStore { sender, readers, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
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

async fn write_loop(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut closing: Option<oneshot::Sender<()>> = None;
    while closing.is_none() {
        if rx.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            break;
        }
        let mut batch = Vec::with_capacity(jobs.len());
        for job in jobs.drain(..) {
            match job {
                Job::Insert(report, reply) if closing.is_none() => batch.push((report, reply)),
                // Inserts queued after a close are answered `Closed` when dropped.
                Job::Insert(..) => {}
                Job::Close(done) => closing = closing.or(Some(done)),
            }
        }
        if batch.is_empty() {
            continue;
        }
        let result = write_batch(&mut conn, &batch).await;
        if let Err(e) = &result {
            eprintln!("healthguard: a batch of {} reports was not stored: {e}", batch.len());
        }
        for (_, reply) in batch {
            let _ = reply.send(result.clone());
        }
    }
    rx.close();
    let _ = conn.close().await;
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

async fn write_batch(conn: &mut SqliteConnection, batch: &[Pending]) -> Result<(), StoreError> {
    let mut tx = conn.begin().await?;
    for (r, _) in batch {
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
    }
    // With journal_mode=WAL and synchronous=FULL, the commit returns after the WAL is synced.
    tx.commit().await?;
    Ok(())
}

impl ReportStore for SqliteStore {
    fn insert(&self, report: NewReport) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            match self.sender.try_send(Job::Insert(Box::new(report), reply)) {
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
}
