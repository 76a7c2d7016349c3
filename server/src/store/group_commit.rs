//! Group commit for new messages.
//!
//! Every message needs a durable commit before it is acknowledged, and a
//! commit costs an fsync. One writer task takes whatever messages are
//! waiting (up to `MAX_BATCH`) and commits them in one transaction, each
//! inside its own savepoint so one bad message (an archived channel, a
//! nonce retry) fails alone. Callers are answered only after the commit, so
//! "acknowledged" still means "on disk". Under light load a batch is one
//! message and nothing waits; under heavy load the fsync is shared.
//!
//! The events of the whole batch are appended last, so on PostgreSQL the
//! event-log lock is held only for that and the commit: several writers
//! (one connection each, messages routed by channel) then work in
//! parallel. SQLite has one writer connection, hence one writer.

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

impl Store {
    async fn commit_batch(&self, jobs: Vec<Job>) {
        let fail_all = |jobs: Vec<oneshot::Sender<StoreResult<MessageRow>>>, why: String| {
            for reply in jobs {
                let _ = reply.send(Err(StoreError::Other(sqlx::Error::Protocol(why.clone()))));
            }
        };
        let mut tx = match self.write.begin().await {
            Ok(tx) => tx,
            Err(e) => return fail_all(jobs.into_iter().map(|j| j.reply).collect(), e.to_string()),
        };
        let mut results = Vec::with_capacity(jobs.len());
        let mut events = Vec::new();
        let mut now = 0;
        let mut broken = None;
        for job in jobs {
            if broken.is_some() {
                results.push((job.reply, Err(StoreError::NotFound)));
                continue;
            }
            let outcome = async {
                (&mut *tx).execute("SAVEPOINT parley_msg").await?;
                let r = Self::insert_message_tx(&mut tx, &job.message).await;
                if r.is_ok() {
                    (&mut *tx).execute("RELEASE SAVEPOINT parley_msg").await?;
                } else {
                    (&mut *tx)
                        .execute("ROLLBACK TO SAVEPOINT parley_msg")
                        .await?;
                    (&mut *tx).execute("RELEASE SAVEPOINT parley_msg").await?;
                }
                Ok::<_, sqlx::Error>(r)
            }
            .await;
            match outcome {
                Ok(Ok(row)) => {
                    events.extend((job.events)(&row));
                    now = now.max(job.message.now);
                    results.push((job.reply, Ok(row)));
                }
                Ok(Err(e)) => results.push((job.reply, Err(e))),
                // The savepoint machinery itself failed: the batch is lost.
                Err(e) => {
                    broken = Some(e.to_string());
                    results.push((job.reply, Err(StoreError::NotFound)));
                }
            }
        }
        let replies =
            |results: Vec<(oneshot::Sender<_>, _)>| results.into_iter().map(|(r, _)| r).collect();
        if let Some(why) = broken {
            drop(tx);
            return fail_all(
                replies(results),
                format!("message batch failed, nothing written: {why}"),
            );
        }
        if let Err(e) = Self::insert_events_tx(self.dialect, &mut tx, &events, now).await {
            drop(tx);
            return fail_all(replies(results), e.to_string());
        }
        match tx.commit().await {
            Ok(()) => {
                self.events_committed();
                for (reply, outcome) in results {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => fail_all(replies(results), e.to_string()),
        }
    }
}
