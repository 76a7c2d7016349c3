//! The in-process adapter of the Queue port (the embedded default): a
//! worker claims due outbox rows, runs them, deletes them when done, and
//! retries failures with exponential backoff until the last attempt marks
//! them dead. Claims are leases, so a crash mid-job only delays it.

use std::sync::Arc;

use tokio::sync::Notify;

use super::{next_batch, JobHandler, JobQueue, RetryPolicy, MAX_ATTEMPTS};
use crate::store::{JobRow, Store};

pub struct OutboxQueue {
    retry: RetryPolicy,
    wake: Arc<Notify>,
}

impl OutboxQueue {
    pub fn new(retry: RetryPolicy) -> OutboxQueue {
        OutboxQueue {
            retry,
            wake: Arc::default(),
        }
    }
}

impl JobQueue for OutboxQueue {
    fn start(&self, store: Store, handler: Arc<dyn JobHandler>) {
        tokio::spawn(run(store, handler, self.retry, self.wake.clone()));
    }

    fn kick(&self) {
        self.wake.notify_one();
    }
}

/// Records a failed attempt: retry later, or dead-letter after the last.
async fn fail(store: &Store, retry: RetryPolicy, job: &JobRow, error: &str) {
    let now = crate::snowflake::now_ms();
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

async fn run(store: Store, handler: Arc<dyn JobHandler>, retry: RetryPolicy, wake: Arc<Notify>) {
    loop {
        let jobs = next_batch(&store, &wake).await;
        let mut done = Vec::with_capacity(jobs.len());
        for job in &jobs {
            match handler.run(job).await {
                Ok(()) => done.push(job.id),
                Err(e) => fail(&store, retry, job, &e.to_string()).await,
            }
        }
        if let Err(e) = store.delete_jobs(&done).await {
            // Leases expire and the jobs run again: harmless, they are idempotent.
            tracing::warn!(error = %e, "could not delete finished jobs");
        }
    }
}
