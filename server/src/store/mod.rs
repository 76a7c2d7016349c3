//! The Store port: all durable state, behind one type with two dialects.
//!
//! One runtime-SQL implementation serves SQLite (embedded default) and
//! PostgreSQL through sqlx's `Any` driver. The SQL is portable by rule: ids
//! and times are BIGINT, booleans are 0/1, placeholders are `$n` (both
//! engines accept them), computed integers are CAST to BIGINT. What truly
//! differs lives in [`Dialect`] and the two migration folders.
//!
//! SQLite allows one writer at a time, so writes go through a dedicated
//! single-connection pool (`write`) and never hit SQLITE_BUSY; reads use a
//! wider pool. On PostgreSQL both handles are the same pool.
//!
//! Invariant: a channel's `last_seq` is bumped and the message inserted in
//! one transaction, so seqs have no gaps and no duplicates.

mod calls;
mod channels;
mod events;
mod files;
mod group_commit;
mod jobs;
mod message_batch;
mod messages;
mod push;
mod rows;
mod search;
mod tokens;
mod users;
mod workspaces;

pub use calls::{CallChange, CallEffects, CallRow, JoinCall, JoinOutcome, ParticipantRow};
pub use events::{EventDraft, EventRow};
pub use jobs::{JobRow, NewJob};
pub use messages::Page;
pub use push::PushSubscriptionRow;
pub use rows::*;
pub use search::{IndexDocRow, SearchFilter};
pub use tokens::Rotation;
pub use workspaces::InviteAcceptance;

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key rule was broken; `constraint` names it as
    /// far as the engine tells (PostgreSQL: the constraint, SQLite: the columns).
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// The database cannot be reached right now (down, restarting, every
    /// connection busy past the acquire timeout): nothing was written, and
    /// the same request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Other(sqlx::Error),
}

impl StoreError {
    /// The same failure again, for each of several waiters on one batch
    /// (sqlx errors cannot be cloned); the kind is kept.
    pub(crate) fn again(&self) -> StoreError {
        match self {
            StoreError::NotFound => StoreError::NotFound,
            StoreError::Conflict { constraint } => StoreError::Conflict {
                constraint: constraint.clone(),
            },
            StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
            StoreError::Other(e) => StoreError::Other(sqlx::Error::Protocol(e.to_string())),
        }
    }
}

/// Whether a failure means "the database is not reachable now" rather than
/// "this statement is wrong": lost or refused connections, a pool that
/// timed out, and PostgreSQL's connection-exception (08…) and
/// operator-intervention (57P…) classes, which a restart produces.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "53300"),
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db)
                if matches!(
                    db.kind(),
                    sqlx::error::ErrorKind::UniqueViolation
                        | sqlx::error::ErrorKind::ForeignKeyViolation
                ) =>
            {
                StoreError::Conflict {
                    constraint: db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| db.message().to_owned()),
                }
            }
            other if is_unavailable(&other) => StoreError::Unavailable(other.to_string()),
            other => StoreError::Other(other),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Called after every commit that may have appended events (the real-time
/// layer rings its tailers with it).
pub type CommitHook = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    dialect: Dialect,
    on_commit: Arc<OnceLock<CommitHook>>,
    messages: group_commit::MessageWriter,
    batches: Arc<group_commit::BatchCounts>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Store {
    /// Connects, applies pending migrations, and returns a ready store.
    pub async fn connect(config: &Config) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        // SQLite has one writer connection; PostgreSQL gets a few parallel
        // writers, leaving most of the pool to readers.
        let writers = if config.is_postgres() {
            (config.db_max_connections / 3).clamp(1, 4) as usize
        } else {
            1
        };
        let (writer, writer_rxs) = group_commit::MessageWriter::new(writers);
        let store = if config.is_postgres() {
            let opts = AnyConnectOptions::from_str(&config.database_url)?;
            let pool = AnyPoolOptions::new()
                .max_connections(config.db_max_connections)
                .acquire_timeout(config.db_acquire_timeout)
                .connect_with(opts)
                .await?;
            Store {
                read: pool.clone(),
                write: pool,
                dialect: Dialect::Postgres,
                on_commit: Arc::default(),
                messages: writer.clone(),
                batches: Arc::default(),
            }
        } else {
            let url = sqlite_url(&config.database_url)?;
            let opts = AnyConnectOptions::from_str(&url)?;
            let pragmas = sqlite_pragmas;
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(pragmas)
                .connect_with(opts.clone())
                .await?;
            let read = AnyPoolOptions::new()
                .max_connections(config.db_max_connections.max(2))
                .after_connect(pragmas)
                .connect_with(opts)
                .await?;
            Store {
                read,
                write,
                dialect: Dialect::Sqlite,
                on_commit: Arc::default(),
                messages: writer.clone(),
                batches: Arc::default(),
            }
        };
        let migrator = match store.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&store.write).await?;
        for rx in writer_rxs {
            tokio::spawn(group_commit::run(store.clone(), rx));
        }
        Ok(store)
    }

    /// Installs the hook run after commits (once; later calls are ignored).
    pub fn set_commit_hook(&self, hook: CommitHook) {
        let _ = self.on_commit.set(hook);
    }

    fn events_committed(&self) {
        if let Some(hook) = self.on_commit.get() {
            hook();
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// (batches committed in one multi-row write, batches redone one
    /// message at a time) since start — for the metrics.
    pub fn message_batches(&self) -> (u64, u64) {
        self.batches.get()
    }

    /// (pool, open connections, idle connections) for the metrics.
    pub fn pool_stats(&self) -> Vec<(&'static str, u32, u32)> {
        let stat = |p: &AnyPool| (p.size(), u32::try_from(p.num_idle()).unwrap_or(u32::MAX));
        match self.dialect {
            Dialect::Postgres => {
                let (size, idle) = stat(&self.read);
                vec![("main", size, idle)]
            }
            Dialect::Sqlite => {
                let (rs, ri) = stat(&self.read);
                let (ws, wi) = stat(&self.write);
                vec![("read", rs, ri), ("write", ws, wi)]
            }
        }
    }

    /// Readiness: can we run a query right now?
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

type ConnectFuture<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// WAL lets readers run beside the one writer. FULL sync: an acknowledged
/// message survives power loss too, not only a process crash.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> ConnectFuture<'_> {
    Box::pin(async move {
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        )
        .await?;
        Ok(())
    })
}

/// Makes sure the SQLite file's folder exists and the file is created on
/// first start (`mode=rwc`).
fn sqlite_url(url: &str) -> anyhow::Result<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path != ":memory:" {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
    }
    Ok(if url.contains('?') {
        url.to_owned()
    } else {
        format!("{url}?mode=rwc")
    })
}

/// `$start, $start+1, …` — `n` numbered placeholders for an `IN (…)` list.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($f, …), ($f+cols, …), …` — `rows` tuples of `cols` numbered
/// placeholders for a multi-row `VALUES` list.
pub(crate) fn value_rows(first: usize, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(first + r * cols, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
        assert_eq!(value_rows(2, 2, 3), "($2, $3, $4), ($5, $6, $7)");
    }

    #[test]
    fn sqlite_urls_create_files() {
        let dir = std::env::temp_dir().join(format!("parley-url-{}", std::process::id()));
        let url = format!("sqlite://{}/x/p.db", dir.display());
        assert!(sqlite_url(&url).unwrap().ends_with("?mode=rwc"));
        assert!(dir.join("x").is_dir());
        let _ = std::fs::remove_dir_all(dir);
    }
}
