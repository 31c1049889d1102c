//! The PostgreSQL store: the same tables, SQL and [`ReportStore`] implementation as the
//! SQLite store ([`shared_store!`]), on a database that several `serve` nodes may share.
//!
//! Grouping across nodes: each node keeps the campaigns in memory, as the SQLite store does.
//! Every change of the grouping (a report grouped at intake, an analyst's merge or split)
//! is written under one transaction-scoped advisory lock ([`GROUPING_LOCK`]) and numbered
//! from one sequence (`grouping_seq`). A node that takes the lock first reads, in sequence
//! order, the changes other nodes committed since it last looked and replays them on its
//! grouper (a report is added as it was at its intake, a merge merged again; a split, rare,
//! reloads everything), then groups its own batch and commits. Because the numbers are taken
//! only under the lock, which is released at commit, what a node can see is always a prefix
//! of the sequence, so reads catch up the same way without the lock. After replaying, the
//! node checks that its campaigns name each replayed report's stored campaign; if not (a
//! node that restored its grouping from rows can differ in which near-duplicates it keeps),
//! it reloads from the rows, which are the truth.

use super::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

/// The advisory lock key that serialises changes of the grouping ("HGgroup").
const GROUPING_LOCK: i64 = 0x0048_4767_726f_7570;
/// The advisory lock key of migrations, so that nodes starting together migrate once.
const MIGRATION_LOCK: i64 = 0x0048_476d_6967_7261;

/// Schema migrations, applied in order in one transaction; `healthguard_schema` holds how
/// many ran. The tables are the SQLite store's, with PostgreSQL's types, plus the grouping
/// sequence.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    token_hash    BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    institution   TEXT,
    findings      TEXT NOT NULL,
    sender        TEXT,
    message       BYTEA NOT NULL,
    contact       TEXT,
    lang          TEXT,
    status        TEXT NOT NULL DEFAULT 'received',
    assignee      TEXT
);
CREATE INDEX reports_created_id ON reports (created_at_ms, id);
CREATE INDEX reports_institution ON reports (institution, created_at_ms);
CREATE INDEX reports_status ON reports (status, created_at_ms);
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE api_tokens (
    token_hash    BYTEA PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE notes (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    author    TEXT NOT NULL,
    at_ms     BIGINT NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX notes_report ON notes (report_id, at_ms);
-- One order for every change of the grouping, whichever node made it; numbers are taken
-- only under the grouping advisory lock.
CREATE SEQUENCE grouping_seq;
CREATE TABLE report_grouping (
    report_id   TEXT PRIMARY KEY REFERENCES reports (id),
    campaign_id TEXT NOT NULL,
    indicators  TEXT NOT NULL,
    official    TEXT NOT NULL,
    fingerprint BYTEA,
    seq         BIGINT NOT NULL DEFAULT nextval('grouping_seq')
);
CREATE INDEX report_grouping_campaign ON report_grouping (campaign_id);
CREATE INDEX report_grouping_seq ON report_grouping (seq);
CREATE TABLE campaign_changes (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms    BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL CHECK (action IN ('merge', 'split')),
    campaign TEXT NOT NULL,
    other    TEXT NOT NULL,
    reports  TEXT NOT NULL,
    seq      BIGINT NOT NULL DEFAULT nextval('grouping_seq')
);
CREATE INDEX campaign_changes_seq ON campaign_changes (seq);
CREATE TABLE audit (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms  BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"#,
    r#"
-- Analysts filter by institution and channel together: counted and paged from the index.
CREATE INDEX reports_institution_kind ON reports (institution, kind, created_at_ms, id);
"#,
];

/// PostgreSQL: `ILIKE` on the message in `encode(…, 'escape')` form (bytes that are not
/// ASCII as `\ooo`), so a message that is not UTF-8 is searched too and case folds for
/// ASCII only, as SQLite's `LIKE`; the row lock keeps two nodes' status changes in order.
const POSTGRES: Dialect = Dialect {
    message_like: "encode(r.message, 'escape') ILIKE $? ESCAPE '!'",
    message_pattern: escaped_pattern,
    sender_like: "r.sender ILIKE $? ESCAPE '\\'",
    for_update: " FOR UPDATE",
};

/// The pattern that finds `text` in `encode(message, 'escape')`.
fn escaped_pattern(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            0 | 0x80..=0xff => s.push_str(&format!("\\{b:03o}")),
            b'\\' => s.push_str("\\\\"),
            b => s.push(char::from(b)),
        }
    }
    like_pattern(&s, '!')
}

/// `url` with its password, if any, replaced by `***`.
pub(super) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Database(format!("bad PostgreSQL URL {}: {e}", without_password(url))))
}

/// One connection to the database at `url`.
pub(super) async fn connect(url: &str) -> Result<PgConnection, StoreError> {
    Ok(options(url)?.connect().await?)
}

/// One connection, the schema migrated first.
pub(super) async fn connect_migrated(url: &str) -> Result<PgConnection, StoreError> {
    let mut conn = connect(url).await?;
    migrate(&mut conn).await?;
    Ok(conn)
}

async fn migrate(conn: &mut PgConnection) -> Result<(), StoreError> {
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS healthguard_schema (version BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let version: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM healthguard_schema")
        .fetch_one(&mut *tx)
        .await?;
    let (version, known) = (version.unwrap_or(0), MIGRATIONS.len() as i64);
    if version > known {
        return Err(StoreError::Database(format!(
            "the database has schema version {version}, newer than this program knows ({known}); use a newer HealthGuard"
        )));
    }
    for sql in MIGRATIONS.iter().skip(version as usize) {
        // Migrations are constants of this file.
        sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM healthguard_schema").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO healthguard_schema (version) VALUES ($1)")
        .bind(known)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A node's grouping, and the last grouping change (by `grouping_seq`) it has applied.
pub struct Synced {
    grouper: Grouper,
    seq: i64,
}

impl Deref for Synced {
    type Target = Grouper;
    fn deref(&self) -> &Grouper {
        &self.grouper
    }
}

impl DerefMut for Synced {
    fn deref_mut(&mut self) -> &mut Grouper {
        &mut self.grouper
    }
}

/// Grouping changes after a number, in order, from one snapshot: reports grouped at intake
/// (`action` = `report`) and analysts' merges and splits.
const CHANGES_SINCE: &str = "\
SELECT g.seq, 'report' AS action, r.id, r.created_at_ms, r.kind, r.institution, g.campaign_id, g.indicators, \
       g.official, g.fingerprint \
  FROM report_grouping g JOIN reports r ON r.id = g.report_id WHERE g.seq > $1 \
UNION ALL \
SELECT c.seq, c.action, c.campaign, 0, '', NULL, c.other, '', '', NULL FROM campaign_changes c WHERE c.seq > $1 \
ORDER BY 1";

/// Applies the grouping changes other writers committed after `s.seq`.
async fn catch_up(conn: &mut PgConnection, s: &mut Synced, official: &Official) -> Result<(), StoreError> {
    let rows = sqlx::query(CHANGES_SINCE).bind(s.seq).fetch_all(&mut *conn).await?;
    let mut replayed = Vec::new();
    for row in &rows {
        let action: &str = row.get(1);
        match action {
            "report" => {
                let report = Report {
                    id: row.get(2),
                    created_at_ms: row.get(3),
                    kind: row.get(4),
                    institution: row.get(5),
                    ..Report::default()
                };
                let x = stored_extracted(row.get(7), row.get(8), row.get(9));
                s.grouper.add_extracted(&report, &x);
                replayed.push((report.id, row.get::<String, _>(6)));
            }
            "merge" => {
                s.grouper.merge_ids(row.get(2), row.get(6));
            }
            _ => {
                *s = PgStore::reload(conn, official).await?;
                return Ok(());
            }
        }
        s.seq = row.get(0);
    }
    // The writers applied these renames to the rows already.
    s.grouper.take_renames();
    let agrees = replayed
        .iter()
        .all(|(id, stored)| s.grouper.campaign_of(id).is_some_and(|c| &c.id == stored));
    if !agrees {
        eprintln!("healthguard: another node grouped differently from this node's view; reloading the grouping");
        *s = PgStore::reload(conn, official).await?;
    }
    Ok(())
}

/// PostgreSQL, shared by any number of `serve` nodes: each has one writer doing group
/// commits (a commit returns once PostgreSQL has flushed it, `synchronous_commit` on) and a
/// small pool for reads and analysts' writes. The grouping is kept in step between nodes as
/// the module documentation describes.
pub struct PgStore {
    sender: mpsc::Sender<Job>,
    readers: PgPool,
    grouping: Arc<Mutex<Synced>>,
    official: Arc<Official>,
}

impl PgStore {
    /// Connects to `url`, runs migrations, loads the grouping, starts the writer; official
    /// channels of the built-in registry never link reports.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with(url, Official::from_registry(healthguard_registry::builtin())).await
    }

    /// Opens with the official channels of the registry in use.
    pub async fn open_with(url: &str, official: Official) -> Result<PgStore, StoreError> {
        let options = options(url)?;
        let mut writer = options.connect().await?;
        migrate(&mut writer).await?;
        let official = Arc::new(official);
        let grouping = Arc::new(Mutex::new(PgStore::reload(&mut writer, &official).await?));
        let readers = PgPoolOptions::new()
            .max_connections(8)
            .min_connections(0)
            .connect_with(options)
            .await?;
        let (sender, rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(write_loop(writer, rx, grouping.clone(), official.clone()));
        Ok(PgStore {
            sender,
            readers,
            grouping,
            official,
        })
    }

    /// A pooled connection for analysts' writes.
    async fn admin(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        Ok(self.readers.acquire().await?)
    }

    /// The grouping, after the changes other nodes committed since it was last read.
    async fn grouping(&self) -> Result<MutexGuard<'_, Synced>, StoreError> {
        let mut g = self.grouping.lock().await;
        let mut conn = self.readers.acquire().await?;
        catch_up(&mut conn, &mut g, &self.official).await?;
        Ok(g)
    }

    /// Takes the grouping lock for this transaction and applies what others committed.
    async fn sync_locked(conn: &mut PgConnection, s: &mut Synced, official: &Official) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(GROUPING_LOCK)
            .execute(&mut *conn)
            .await?;
        catch_up(conn, s, official).await
    }

    /// Remembers the numbers this transaction took, so they are not replayed.
    async fn wrote(conn: &mut PgConnection, s: &mut Synced) -> Result<(), StoreError> {
        s.seq = sqlx::query_scalar("SELECT currval('grouping_seq')")
            .fetch_one(&mut *conn)
            .await?;
        Ok(())
    }

    /// The grouping as stored, and the last change number it includes (read under the lock).
    async fn reload(conn: &mut PgConnection, official: &Official) -> Result<Synced, StoreError> {
        let mut tx = conn.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(GROUPING_LOCK)
            .execute(&mut *tx)
            .await?;
        let grouper = load_grouping(&mut tx, official).await?;
        let seq = sqlx::query_scalar("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM grouping_seq")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Synced { grouper, seq })
    }
}

shared_store!(PgStore, sqlx::Postgres, Synced, POSTGRES);

/// For tests: a new, empty database on the PostgreSQL server named by the
/// `HEALTHGUARD_TEST_POSTGRES` URL, and its URL; `None` (saying so on stderr) when the
/// variable is not set, unless `HEALTHGUARD_REQUIRE_POSTGRES=1`, which makes that a panic.
/// `tag` names the database (letters, digits and `_`).
pub fn test_database(tag: &str) -> Option<String> {
    let Ok(url) = std::env::var("HEALTHGUARD_TEST_POSTGRES") else {
        assert!(
            std::env::var("HEALTHGUARD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "HEALTHGUARD_REQUIRE_POSTGRES=1 but HEALTHGUARD_TEST_POSTGRES is not set"
        );
        eprintln!(
            "skipped: PostgreSQL test {tag}: set HEALTHGUARD_TEST_POSTGRES=postgres://… (scripts/postgres-test.sh start DIR prints one)"
        );
        return None;
    };
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "hg_{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
    .to_ascii_lowercase();
    assert!(
        name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "bad tag {tag:?}"
    );
    let made = block_on(async {
        let mut conn = connect(&url).await?;
        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let _ = conn.close().await;
        Ok(())
    });
    if let Err(e) = made {
        panic!("cannot create a test database on {}: {e}", without_password(&url));
    }
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url.as_str(), String::new()),
    };
    let (server, _) = base
        .rsplit_once('/')
        .filter(|(s, _)| s.contains("://") && !s.ends_with('/'))
        .unwrap_or((base, ""));
    Some(format!("{server}/{name}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            without_password("postgres://hg:s3cret@db:5432/hg"),
            "postgres://hg:***@db:5432/hg"
        );
        assert_eq!(without_password("postgres://hg@db/hg"), "postgres://hg@db/hg");
        assert_eq!(without_password("postgres:///hg?host=/run"), "postgres:///hg?host=/run");
    }

    #[test]
    fn escaped_pattern_matches_encode_escape() {
        assert_eq!(escaped_pattern("zł 5%"), "%z\\305\\202 5!%%");
        assert_eq!(escaped_pattern("a\\b_!"), "%a\\\\b!_!!%");
    }
}

#[cfg(test)]
mod nodes {
    use super::*;

    fn sms(id: &str, at: i64, text: &str) -> NewReport {
        NewReport {
            id: id.into(),
            token_hash: [7; 32],
            created_at_ms: at,
            kind: "sms".into(),
            verdict: "phishing".into(),
            score: 1.0,
            institution: Some("pl.nfz".into()),
            findings_json: "[]".into(),
            sender: Some("NFZ".into()),
            message: text.as_bytes().to_vec(),
            contact: None,
            lang: None,
        }
    }

    async fn campaign_of(store: &PgStore, id: &str) -> Option<String> {
        store.report(id).await.unwrap().unwrap().row.campaign
    }

    fn sizes(v: Vec<Campaign>) -> Vec<(String, usize)> {
        v.into_iter().map(|c| (c.id, c.reports.len())).collect()
    }

    /// Two stores on one database, as two `serve` nodes: each groups with what the other
    /// stored, and sees the other's intake, merges and splits.
    #[test]
    fn two_nodes_share_campaigns() {
        let Some(url) = test_database("nodes") else { return };
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let (a, b) = (PgStore::open(&url).await.unwrap(), PgStore::open(&url).await.unwrap());
            a.insert(sms("A1", 1, "Zwrot: one-zwrot.pl")).await.unwrap();
            b.insert(sms("A2", 2, "Zwrot znowu: one-zwrot.pl/x")).await.unwrap();
            assert_eq!(
                campaign_of(&b, "A2").await.as_deref(),
                Some("C-A1"),
                "b grouped with a's report"
            );
            assert_eq!(
                sizes(a.campaigns().await.unwrap()),
                vec![("C-A1".into(), 2)],
                "a sees b's"
            );
            b.insert(sms("B1", 3, "Doplata: two-doplata.pl")).await.unwrap();
            // a's bridging report merges a campaign only b has taken reports into.
            a.insert(sms("X1", 4, "Oba: one-zwrot.pl two-doplata.pl"))
                .await
                .unwrap();
            assert_eq!(sizes(b.campaigns().await.unwrap()), vec![("C-A1".into(), 4)]);
            assert_eq!(
                campaign_of(&b, "B1").await.as_deref(),
                Some("C-A1"),
                "the rename is stored"
            );
            // An analyst on a splits B1 off; b sees it, and groups B1's domain there.
            assert_eq!(
                a.split_campaign("C-A1", &["B1".into()], "ana")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("C-B1")
            );
            assert_eq!(b.campaign("C-B1").await.unwrap().map(|c| c.reports.len()), Some(1));
            b.insert(sms("B2", 5, "Doplata 2: two-doplata.pl/y")).await.unwrap();
            assert_eq!(campaign_of(&b, "B2").await.as_deref(), Some("C-B1"));
            // An analyst on b merges them again; a sees it and groups into the merged one.
            assert_eq!(
                b.merge_campaigns("C-A1", "C-B1", "ana").await.unwrap().as_deref(),
                Some("C-A1")
            );
            a.insert(sms("B3", 6, "Doplata 3: two-doplata.pl/z")).await.unwrap();
            assert_eq!(campaign_of(&a, "B3").await.as_deref(), Some("C-A1"));
            assert_eq!(sizes(b.campaigns().await.unwrap()), vec![("C-A1".into(), 6)]);

            // Both taking reports at once: every report of one template lands in one
            // campaign, unrelated ones stay apart, and both nodes and the rows agree.
            let (a, b) = (Arc::new(a), Arc::new(b));
            let mut tasks = Vec::new();
            for (node, store) in [&a, &b].into_iter().enumerate() {
                for i in 0..100 {
                    let id = format!("N{node}-{i:03}");
                    let text = if i % 2 == 0 {
                        format!(
                            "Paczka {i} czeka, doplata 2 zl: kurier-{}{i}.pl lub paczka-oplata.pl",
                            node
                        )
                    } else {
                        format!("Inna sprawa {node} {i}: osobny-{node}-{i}.pl")
                    };
                    let store = Arc::clone(store);
                    tasks.push(tokio::spawn(
                        async move { store.insert(sms(&id, 100 + i, &text)).await },
                    ));
                }
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            let (va, vb) = (sizes(a.campaigns().await.unwrap()), sizes(b.campaigns().await.unwrap()));
            assert_eq!(va, vb, "both nodes see the same campaigns");
            let parcel = a.report("N0-000").await.unwrap().unwrap().row.campaign.unwrap();
            assert_eq!(a.campaign(&parcel).await.unwrap().unwrap().reports.len(), 100);
            assert_eq!(va.len(), 1 + 1 + 100, "C-A1, the parcel campaign, 100 separate ones");
            let mut conn = connect(&url).await.unwrap();
            let stored: Vec<(String, i64)> = sqlx::query_as(
                "SELECT campaign_id, count(*) FROM report_grouping GROUP BY campaign_id ORDER BY 2 DESC, 1",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let mut from_rows: Vec<(String, usize)> = stored.into_iter().map(|(c, n)| (c, n as usize)).collect();
            let mut seen = va.clone();
            from_rows.sort();
            seen.sort();
            assert_eq!(from_rows, seen, "the stored rows say the same");
            a.close().await;
            b.close().await;
        });
    }
}
