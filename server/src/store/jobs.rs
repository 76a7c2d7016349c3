//! The job outbox (see migrations/*/0004_files_jobs.sql).
//!
//! Jobs are inserted in the transaction of the change that causes them.
//! Workers and the RabbitMQ relay take them with a lease: claiming pushes
//! `run_after` into the future, so a job whose taker died comes back by
//! itself once the lease runs out, and finishing deletes the row. On
//! PostgreSQL `SKIP LOCKED` lets several nodes claim side by side.

use sqlx::any::Any;
use sqlx::{FromRow, Transaction};

use super::{placeholders, value_rows, Dialect, Store, StoreResult};

#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: i64,
    pub kind: &'static str,
    pub payload: String,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

impl Store {
    pub(crate) async fn insert_jobs_tx(
        tx: &mut Transaction<'_, Any>,
        jobs: &[NewJob],
    ) -> StoreResult<()> {
        // One multi-row statement per 200 jobs: a batch of messages brings
        // a job or two each.
        for chunk in jobs.chunks(200) {
            let sql = format!(
                "INSERT INTO jobs (id, kind, payload, run_after, created_at) VALUES {}",
                value_rows(1, chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for j in chunk {
                q = q
                    .bind(j.id)
                    .bind(j.kind)
                    .bind(&j.payload)
                    .bind(j.now)
                    .bind(j.now);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub async fn insert_jobs(&self, jobs: &[NewJob]) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        Self::insert_jobs_tx(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    /// When the next live job falls due (`None`: nothing waiting). A cheap
    /// read, so idle workers do not take the write lock to find nothing.
    pub async fn fetch_next_job_due(&self) -> StoreResult<Option<i64>> {
        let row: (Option<i64>,) =
            sqlx::query_as("SELECT CAST(MIN(run_after) AS BIGINT) FROM jobs WHERE dead_at IS NULL")
                .fetch_one(&self.read)
                .await?;
        Ok(row.0)
    }

    /// Takes up to `limit` due jobs for `lease_ms`, counting an attempt.
    pub async fn claim_jobs(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<JobRow>> {
        let lock = match self.dialect {
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        Ok(sqlx::query_as(&format!(
            "UPDATE jobs SET run_after = $2, attempts = attempts + 1 WHERE id IN \
             (SELECT id FROM jobs WHERE dead_at IS NULL AND run_after <= $1 \
              ORDER BY run_after, id LIMIT $3 {lock}) \
             RETURNING id, kind, payload, attempts"
        ))
        .bind(now)
        .bind(now + lease_ms)
        .bind(limit)
        .fetch_all(&self.write)
        .await?)
    }

    /// Finished (or handed to the queue with a confirm): gone for good.
    pub async fn delete_jobs(&self, ids: &[i64]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM jobs WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&self.write).await?;
        Ok(())
    }

    /// Hands claimed jobs back before their lease ends (the queue could not
    /// take them), without counting the attempt against them.
    pub async fn release_jobs(&self, ids: &[i64], run_after: i64) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE jobs SET run_after = $1, attempts = attempts - 1 WHERE id IN ({})",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(run_after);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&self.write).await?;
        Ok(())
    }

    /// A failed attempt: try again at `run_after`, or, when `dead`, keep
    /// the job only for inspection (the dead letter).
    pub async fn update_job_failed(
        &self,
        id: i64,
        error: &str,
        run_after: i64,
        dead_at: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET last_error = $2, run_after = $3, dead_at = $4 WHERE id = $1")
            .bind(id)
            .bind(error)
            .bind(run_after)
            .bind(dead_at)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// (waiting, dead) — the backlog the metrics report.
    pub async fn count_jobs(&self) -> StoreResult<(i64, i64)> {
        let row: (i64, i64) = sqlx::query_as(
            "SELECT CAST(COUNT(*) - COUNT(dead_at) AS BIGINT), CAST(COUNT(dead_at) AS BIGINT) FROM jobs",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(row)
    }
}
