//! The durable event log (see migrations/*/0002_events.sql).
//!
//! Every write that clients must hear about inserts its events in the same
//! transaction, as its last statement. On PostgreSQL a transaction-scoped
//! advisory lock is taken first so ids become visible in commit order; on
//! SQLite the single writer gives that for free. Hence a reader that has
//! seen id N will never later find a new event below N — the property the
//! tailer and RESUME rely on.

use sqlx::any::Any;
use sqlx::{Row, Transaction};

use super::{placeholders, Dialect, Store, StoreResult};

/// Arbitrary constant naming Parley's event-log lock.
pub(crate) const EVENT_LOG_LOCK: i64 = 0x5041_524c_4559;

/// An event to append; `payload` is the serialized `ServerEvent`.
#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub channel_id: Option<i64>,
    pub workspace_id: Option<i64>,
    pub user_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub payload: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub channel_id: Option<i64>,
    pub workspace_id: Option<i64>,
    pub user_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub payload: String,
    pub created_at: i64,
}

/// A statement with its binds, ready to run inside a transaction.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

const EVENT_COLS: &str = "id, channel_id, workspace_id, user_id, subject_id, payload, created_at";

/// A write transaction that may append events. Its `commit` runs the
/// commit hook (wake this node's tailer, ring the others) exactly when
/// events were appended: after the commit, so the tailer finds them, and
/// never for a transaction that wrote none.
pub(crate) struct EventTx<'s> {
    store: &'s Store,
    tx: Transaction<'static, Any>,
    appended: bool,
}

impl std::ops::Deref for EventTx<'_> {
    type Target = Transaction<'static, Any>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for EventTx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl EventTx<'_> {
    /// Appends events as the transaction's last statements (see the module
    /// doc: commit-ordered ids).
    pub(crate) async fn append(&mut self, events: &[EventDraft], now: i64) -> StoreResult<()> {
        Store::insert_events_tx(self.store.dialect, &mut self.tx, events, now).await?;
        self.appended |= !events.is_empty();
        Ok(())
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        if self.appended {
            self.store.events_committed();
        }
        Ok(())
    }
}

impl Store {
    /// Begins a write transaction that can append events.
    pub(crate) async fn begin_events(&self) -> StoreResult<EventTx<'_>> {
        Ok(EventTx {
            store: self,
            tx: self.write.begin().await?,
            appended: false,
        })
    }

    async fn insert_events_tx(
        dialect: Dialect,
        tx: &mut Transaction<'_, Any>,
        events: &[EventDraft],
        now: i64,
    ) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        if dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(EVENT_LOG_LOCK)
                .execute(&mut **tx)
                .await?;
        }
        // Multi-row inserts: one statement per 500 events instead of one
        // per event (rows get their ids in list order on both engines).
        for chunk in events.chunks(500) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 5;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, $1)",
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO events (channel_id, workspace_id, user_id, subject_id, payload, created_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(now);
            for e in chunk {
                q = q
                    .bind(e.channel_id)
                    .bind(e.workspace_id)
                    .bind(e.user_id)
                    .bind(e.subject_id)
                    .bind(&e.payload);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Runs one write and appends `events` in the same transaction — only
    /// when the write changed a row, since an unchanged row has nothing to
    /// announce. Returns whether it changed one.
    pub(crate) async fn write_announced(
        &self,
        write: AnyQuery<'_>,
        events: &[EventDraft],
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_events().await?;
        let changed = write.execute(&mut **tx).await?.rows_affected() > 0;
        if changed {
            tx.append(events, now).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Every event after `after`, oldest first (the tailer's read).
    pub async fn fetch_events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLS} FROM events WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Events after `after` addressed to this audience, oldest first (RESUME).
    pub async fn fetch_events_for(
        &self,
        after: i64,
        user_id: i64,
        channels: &[i64],
        workspaces: &[i64],
        limit: i64,
    ) -> StoreResult<Vec<EventRow>> {
        let mut cond = vec!["user_id = $3".to_owned()];
        let mut next = 4;
        if !channels.is_empty() {
            cond.push(format!(
                "channel_id IN ({})",
                placeholders(next, channels.len())
            ));
            next += channels.len();
        }
        if !workspaces.is_empty() {
            cond.push(format!(
                "workspace_id IN ({})",
                placeholders(next, workspaces.len())
            ));
        }
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events WHERE id > $1 AND ({}) ORDER BY id LIMIT $2",
            cond.join(" OR ")
        );
        let mut q = sqlx::query_as(&sql).bind(after).bind(limit).bind(user_id);
        for c in channels {
            q = q.bind(*c);
        }
        for w in workspaces {
            q = q.bind(*w);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// The newest event id (0 when the log is empty).
    pub async fn last_event_id(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM events")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// The oldest id still kept (None when empty): RESUME before it is
    /// outside the replay window.
    pub async fn first_event_id(&self) -> StoreResult<Option<i64>> {
        let row = sqlx::query("SELECT CAST(MIN(id) AS BIGINT) FROM events")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Drops events older than `before_ms` (the replay window's far edge).
    pub async fn prune_events(&self, before_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(before_ms)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    /// The channels and workspaces whose events reach `user_id`.
    pub async fn fetch_subscriptions(&self, user_id: i64) -> StoreResult<(Vec<i64>, Vec<i64>)> {
        let channels: Vec<(i64,)> = sqlx::query_as(
            "SELECT cm.channel_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id \
             WHERE cm.user_id = $1 AND c.archived_at IS NULL",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        let workspaces: Vec<(i64,)> =
            sqlx::query_as("SELECT workspace_id FROM workspace_members WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&self.read)
                .await?;
        Ok((
            channels.into_iter().map(|r| r.0).collect(),
            workspaces.into_iter().map(|r| r.0).collect(),
        ))
    }
}
