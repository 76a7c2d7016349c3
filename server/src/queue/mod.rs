//! The Queue port: follow-up work (thumbnails, search indexing, push
//! delivery) that must happen after a change, even if a service is down
//! when the change commits.
//!
//! Every job starts as a row in the `jobs` outbox, written in the change's
//! own transaction (see `store::jobs`). From there one of two adapters
//! takes it:
//! - in-process (the embedded default): a worker claims due rows, runs
//!   them, deletes them when done, and retries failures with exponential
//!   backoff until the last attempt marks them dead;
//! - RabbitMQ (`PARLEY_AMQP_URL`, see [`rabbit`]): a relay publishes the
//!   rows with publisher confirms and deletes them once the broker has
//!   confirmed; consumers ack by hand, retry through delay queues, and
//!   dead-letter after the last attempt. While RabbitMQ is down the rows
//!   simply wait in the outbox.
//!
//! Jobs must be idempotent (delivery is at least once): running one twice
//! has the effect of running it once.

pub mod rabbit;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::store::{JobRow, Store};

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

/// Where jobs go, from the configuration.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// `None`: the in-process worker.
    pub amqp_url: Option<String>,
    /// The RabbitMQ queue (retry and dead-letter queues derive their names).
    pub amqp_queue: String,
    pub retry: RetryPolicy,
}
/// Fallback poll when nobody rings (jobs written by another node, retries
/// falling due).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// What runs a job. `Err` is retried (with the message kept as the last
/// error); a job that can never succeed should log and return `Ok`.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &JobRow) -> Result<(), String>;
}

/// The queue. `kick` after committing jobs to skip the poll delay.
#[derive(Clone, Default)]
pub struct Queue {
    wake: Arc<Notify>,
}

impl Queue {
    pub fn new() -> Queue {
        Queue::default()
    }

    /// Starts the adapter the configuration picks (once, at start-up: the
    /// handler needs the finished application state).
    pub fn start(&self, store: Store, handler: Arc<dyn JobHandler>, settings: QueueSettings) {
        match settings.amqp_url {
            None => {
                tokio::spawn(run_in_process(
                    store,
                    handler,
                    settings.retry,
                    self.wake.clone(),
                ));
            }
            Some(url) => rabbit::start(
                url,
                settings.amqp_queue,
                settings.retry,
                store,
                handler,
                self.wake.clone(),
            ),
        }
    }

    pub fn kick(&self) {
        self.wake.notify_one();
    }
}

/// Waits until jobs may be due: a kick, or the poll interval.
async fn wait_for_work(store: &Store, wake: &Notify) {
    loop {
        let now = crate::service::now_ms();
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
            .claim_jobs(crate::service::now_ms(), LEASE_MS, BATCH)
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

/// Records a failed attempt: retry later, or dead-letter after the last.
async fn fail(store: &Store, retry: RetryPolicy, job: &JobRow, error: &str) {
    let now = crate::service::now_ms();
    let (run_after, dead) = if job.attempts >= MAX_ATTEMPTS {
        tracing::error!(job = job.id, kind = %job.kind, error, "job dead-lettered");
        (now, Some(now))
    } else {
        let delay = i64::try_from(retry.delay(job.attempts).as_millis()).unwrap_or(i64::MAX);
        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error, "job failed; will retry");
        (now.saturating_add(delay), None)
    };
    if let Err(e) = store
        .update_job_failed(job.id, error, run_after, dead)
        .await
    {
        // The lease runs out and the job comes back: nothing is lost.
        tracing::warn!(job = job.id, error = %e, "could not record job failure");
    }
}

async fn run_in_process(
    store: Store,
    handler: Arc<dyn JobHandler>,
    retry: RetryPolicy,
    wake: Arc<Notify>,
) {
    loop {
        let jobs = next_batch(&store, &wake).await;
        let mut done = Vec::with_capacity(jobs.len());
        for job in &jobs {
            match handler.run(job).await {
                Ok(()) => done.push(job.id),
                Err(e) => fail(&store, retry, job, &e).await,
            }
        }
        if let Err(e) = store.delete_jobs(&done).await {
            // Leases expire and the jobs run again: harmless, they are idempotent.
            tracing::warn!(error = %e, "could not delete finished jobs");
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
