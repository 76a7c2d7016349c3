//! Group commit for new messages.
//!
//! Every message needs a durable commit before it is acknowledged, and a
//! commit costs an fsync. One writer task takes whatever messages are
//! waiting (up to `MAX_BATCH`) and commits them in one transaction, written
//! with a few multi-row statements for the whole batch (`message_batch`).
//! Should one of them fail (a nonce retry, a file attached twice), the
//! batch is redone one message at a time, each inside its own savepoint, so
//! the bad message fails alone. Callers are answered only after the commit, so
//! "acknowledged" still means "on disk". Under light load a batch is one
//! message and nothing waits; under heavy load the fsync is shared.
//!
//! The events of the whole batch are appended last, so on PostgreSQL the
//! event-log lock is held only for that and the commit: several writers
//! (one connection each, messages routed by channel) then work in
//! parallel. SQLite has one writer connection, hence one writer.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Executor;
use tokio::sync::{mpsc, oneshot};

use super::{EventDraft, MessageRow, NewMessage, Store, StoreError, StoreResult};

pub(crate) type EventsFn = Box<dyn FnOnce(&MessageRow) -> Vec<EventDraft> + Send>;

/// Messages committed together at most.
const MAX_BATCH: usize = 256;
/// Messages waiting for the writer before senders are made to wait.
const QUEUE: usize = 4096;

struct Job {
    message: NewMessage,
    events: EventsFn,
    reply: oneshot::Sender<StoreResult<MessageRow>>,
}

/// The handle stores keep; each writer task holds one receiving end.
#[derive(Clone)]
pub(crate) struct MessageWriter {
    writers: Vec<mpsc::Sender<Job>>,
}

fn gone() -> StoreError {
    StoreError::Other(sqlx::Error::Protocol("the message writer stopped".into()))
}

impl MessageWriter {
    pub(crate) fn new(writers: usize) -> (MessageWriter, Vec<Receiver>) {
        let (txs, rxs) = (0..writers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                (tx, Receiver(rx))
            })
            .unzip();
        (MessageWriter { writers: txs }, rxs)
    }

    pub(crate) async fn submit(
        &self,
        message: NewMessage,
        events: EventsFn,
    ) -> StoreResult<MessageRow> {
        let (reply, answer) = oneshot::channel();
        // One channel always goes through the same writer.
        let lane = message.channel_id.unsigned_abs() as usize % self.writers.len();
        self.writers[lane]
            .send(Job {
                message,
                events,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

pub(crate) struct Receiver(mpsc::Receiver<Job>);

/// How batches went: a redo means a message failed inside the multi-row
/// write (a nonce retry, a file attached twice); many redos under plain
/// load would mean the fast path is broken.
#[derive(Debug, Default)]
pub(crate) struct BatchCounts {
    fast: AtomicU64,
    redone: AtomicU64,
}

impl BatchCounts {
    pub(crate) fn get(&self) -> (u64, u64) {
        (
            self.fast.load(Ordering::Relaxed),
            self.redone.load(Ordering::Relaxed),
        )
    }
}

/// Runs the writer until every handle is dropped.
pub(crate) async fn run(store: Store, Receiver(mut rx): Receiver) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        store.commit_batch(jobs).await;
    }
}

/// Every job of an abandoned batch, in order, for the retry.
fn give_back(
    done: Vec<(Job, StoreResult<MessageRow>)>,
    failed: Job,
    pending: impl Iterator<Item = Job>,
) -> Vec<Job> {
    done.into_iter()
        .map(|(job, _)| job)
        .chain(std::iter::once(failed))
        .chain(pending)
        .collect()
}

/// How a batch runs: optimistically as one multi-row write (the common
/// case: nothing fails), or message by message with a savepoint each after
/// a failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fast,
    Isolated,
}

impl Store {
    /// One message inside its own savepoint: its failure is its outcome and
    /// leaves the rest of the batch standing. `Err` only when the
    /// transaction itself broke.
    async fn insert_isolated(
        tx: &mut sqlx::Transaction<'_, sqlx::any::Any>,
        message: &NewMessage,
    ) -> Result<StoreResult<MessageRow>, sqlx::Error> {
        (&mut **tx).execute("SAVEPOINT parley_msg").await?;
        // The batch write with a batch of one: one way to write messages.
        let outcome = match Self::insert_messages_tx(tx, &[message]).await {
            Ok(mut outcomes) => outcomes.pop().unwrap_or(Err(StoreError::NotFound)),
            Err(e) => Err(e),
        };
        if outcome.is_err() {
            (&mut **tx)
                .execute("ROLLBACK TO SAVEPOINT parley_msg")
                .await?;
        }
        (&mut **tx).execute("RELEASE SAVEPOINT parley_msg").await?;
        Ok(outcome)
    }

    async fn commit_batch(&self, jobs: Vec<Job>) {
        // A failure in the fast path leaves the transaction unusable, so the
        // batch is redone with savepoints; the jobs come back for that.
        match self.try_batch(jobs, Mode::Fast).await {
            Ok(()) => {
                self.batches.fast.fetch_add(1, Ordering::Relaxed);
            }
            Err((jobs, _)) => {
                self.batches.redone.fetch_add(1, Ordering::Relaxed);
                if let Err((jobs, cause)) = self.try_batch(jobs, Mode::Isolated).await {
                    // Nothing was written; the cause (a database that is
                    // down, say) tells each sender whether to retry.
                    for job in jobs {
                        let _ = job.reply.send(Err(cause.again()));
                    }
                }
            }
        }
    }

    /// Runs and commits the batch; answers every job. Gives the jobs back
    /// (nothing committed, nobody answered) with the cause when the batch
    /// must be retried.
    async fn try_batch(&self, jobs: Vec<Job>, mode: Mode) -> Result<(), (Vec<Job>, StoreError)> {
        let mut tx = match self.begin_events().await {
            Ok(tx) => tx,
            Err(e) => return Err((jobs, e)),
        };
        let mut done: Vec<(Job, StoreResult<MessageRow>)> = Vec::with_capacity(jobs.len());
        let mut events = Vec::new();
        match mode {
            Mode::Fast => {
                let batch: Vec<&NewMessage> = jobs.iter().map(|j| &j.message).collect();
                match Self::insert_messages_tx(&mut tx, &batch).await {
                    Ok(outcomes) => done.extend(jobs.into_iter().zip(outcomes)),
                    Err(e) => {
                        tracing::debug!(error = %e, "message batch redone one by one");
                        return Err((jobs, e));
                    }
                }
            }
            Mode::Isolated => {
                let mut pending = jobs.into_iter();
                while let Some(job) = pending.next() {
                    match Self::insert_isolated(&mut tx, &job.message).await {
                        Ok(outcome) => done.push((job, outcome)),
                        Err(e) => return Err((give_back(done, job, pending), e.into())),
                    }
                }
            }
        }
        let now = done
            .iter()
            .filter(|(_, outcome)| outcome.is_ok())
            .map(|(job, _)| job.message.now)
            .max()
            .unwrap_or(0);
        // Built only now, once: the retry path must not have consumed them.
        let mut answered = Vec::with_capacity(done.len());
        for (job, outcome) in done {
            if let Ok(row) = &outcome {
                events.extend((job.events)(row));
            }
            answered.push((job.reply, outcome));
        }
        let fail = |answered: Vec<(oneshot::Sender<StoreResult<MessageRow>>, _)>,
                    why: StoreError| {
            for (reply, _) in answered {
                let _ = reply.send(Err(why.again()));
            }
        };
        if let Err(e) = tx.append(&events, now).await {
            drop(tx);
            fail(answered, e);
            return Ok(());
        }
        match tx.commit().await {
            Ok(()) => {
                for (reply, outcome) in answered {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => fail(answered, e),
        }
        Ok(())
    }
}
