//! The Queue port: follow-up work (thumbnails, search indexing, push
//! delivery) that must happen after a change, even if a service is down
//! when the change commits.
//!
//! Every job starts as a row in the `jobs` outbox, written in the change's
//! own transaction (see `store::jobs`). From there one of two adapters
//! takes it:
//! - in-process ([`OutboxQueue`], the embedded default): a worker claims due rows, runs
//!   them, deletes them when done, and retries failures with exponential
//!   backoff until the last attempt marks them dead;
//! - RabbitMQ ([`RabbitQueue`], `PARLEY_AMQP_URL`): a relay publishes the
//!   rows with publisher confirms and deletes them once the broker has
//!   confirmed; consumers ack by hand, retry through delay queues, and
//!   dead-letter after the last attempt. While RabbitMQ is down the rows
//!   simply wait in the outbox.
//!
//! Jobs must be idempotent (delivery is at least once): running one twice
//! has the effect of running it once.

mod outbox;
mod rabbit;

pub use outbox::OutboxQueue;
pub use rabbit::RabbitQueue;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::store::{JobRow, Store, StoreError};

/// Attempts before a job is dead-lettered.
pub const MAX_ATTEMPTS: i64 = 6;
/// How long a claimed job stays hidden from other takers.
const LEASE_MS: i64 = 120_000;
/// Rows claimed per round.
const BATCH: i64 = 64;

/// Delays between attempts: `base` × 4^(n−1) after attempt n, capped at
/// the fifth (1 s, 4 s, 16 s, 64 s, 256 s with the default base).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
}

impl RetryPolicy {
    pub fn delay(self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.clamp(1, 5) - 1).unwrap_or(0);
        self.base.saturating_mul(4u32.pow(exp))
    }
}

/// Fallback poll when nobody rings (jobs written by another node, retries
/// falling due).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Why a job failed. Each variant shows its source's own message, which
/// the queue keeps as the job's last error.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The payload is not what its kind takes (or a body to send could not
    /// be written).
    #[error(transparent)]
    Payload(#[from] serde_json::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index failed. Boxed as `anyhow::Error` because the search
    /// port sits beside the queue, not below it, so the queue cannot name
    /// its error type; `service::jobs` converts.
    #[error(transparent)]
    Search(anyhow::Error),
    /// A service step failed as it would for a request (a thumbnail, the
    /// profiles a notification names); boxed for the same reason.
    #[error(transparent)]
    Service(anyhow::Error),
    /// Web Push delivery failed: the request could not be built, or push
    /// services refused it.
    #[error("{0}")]
    Push(String),
    /// A kind this server does not know: a newer version's, or a bug.
    #[error("unknown job kind {0:?}")]
    UnknownKind(String),
}

/// What runs a job. `Err` is retried (with its text kept as the last
/// error); a job that can never succeed should log and return `Ok`.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &JobRow) -> Result<(), JobError>;
}

/// Takes jobs from the outbox to their handler. `kick` after committing
/// jobs to skip the poll delay.
pub trait JobQueue: Send + Sync {
    /// Starts taking and running jobs (once, at start-up: the handler needs
    /// the finished application state).
    fn start(&self, store: Store, handler: Arc<dyn JobHandler>);
    /// Jobs were committed: look now rather than at the next poll.
    fn kick(&self);
}

/// Waits until jobs may be due: a kick, or the poll interval.
async fn wait_for_work(store: &Store, wake: &Notify) {
    loop {
        let now = crate::snowflake::now_ms();
        let mut nap = IDLE_POLL;
        match store.fetch_next_job_due().await {
            Ok(Some(due)) if due <= now => return,
            // A retry falls due before the next poll: wake for it.
            Ok(Some(due)) => {
                nap = nap.min(Duration::from_millis(u64::try_from(due - now).unwrap_or(0)));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "job outbox unreadable"),
        }
        let _ = tokio::time::timeout(nap, wake.notified()).await;
    }
}

/// Waits for due jobs and claims a batch of them (never empty).
pub(crate) async fn next_batch(store: &Store, wake: &Notify) -> Vec<JobRow> {
    loop {
        wait_for_work(store, wake).await;
        match store
            .claim_jobs(crate::snowflake::now_ms(), LEASE_MS, BATCH)
            .await
        {
            Ok(jobs) if !jobs.is_empty() => return jobs,
            // Another worker took them first.
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not claim jobs");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        let retry = RetryPolicy {
            base: Duration::from_secs(1),
        };
        let secs: Vec<u64> = (1..=7).map(|a| retry.delay(a).as_secs()).collect();
        assert_eq!(secs, vec![1, 4, 16, 64, 256, 256, 256]);
    }
}
