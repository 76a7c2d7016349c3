//! Group commit for new messages.
//!
//! Every message needs a durable commit before it is acknowledged, and a
//! commit costs an fsync. One writer task takes whatever messages are
//! waiting (up to `MAX_BATCH`) and commits them in one transaction, each
//! inside its own savepoint so one bad message (an archived channel, a
//! nonce retry) fails alone. Callers are answered only after the commit, so
//! "acknowledged" still means "on disk". Under light load a batch is one
//! message and nothing waits; under heavy load the fsync is shared.

use sqlx::Executor;
use tokio::sync::{mpsc, oneshot};

use super::{Dialect, EventDraft, MessageRow, NewMessage, Store, StoreError, StoreResult};

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

/// The handle stores keep; the writer task holds the receiving end.
#[derive(Clone)]
pub(crate) struct MessageWriter {
    tx: mpsc::Sender<Job>,
}

fn gone() -> StoreError {
    StoreError::Other(sqlx::Error::Protocol("the message writer stopped".into()))
}

impl MessageWriter {
    pub(crate) fn new() -> (MessageWriter, Receiver) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (MessageWriter { tx }, Receiver(rx))
    }

    pub(crate) async fn submit(
        &self,
        message: NewMessage,
        events: EventsFn,
    ) -> StoreResult<MessageRow> {
        let (reply, answer) = oneshot::channel();
        self.tx
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
        let mut tx = match self.write.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                let msg = e.to_string();
                for job in jobs {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Other(sqlx::Error::Protocol(msg.clone()))));
                }
                return;
            }
        };
        // Held to commit: event ids become visible in commit order.
        if self.dialect == Dialect::Postgres {
            if let Err(e) = sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(super::events::EVENT_LOG_LOCK)
                .execute(&mut *tx)
                .await
            {
                let msg = e.to_string();
                for job in jobs {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Other(sqlx::Error::Protocol(msg.clone()))));
                }
                return;
            }
        }
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let outcome = async {
                (&mut *tx).execute("SAVEPOINT parley_msg").await?;
                let r =
                    Self::insert_message_tx(self.dialect, &mut tx, &job.message, job.events).await;
                match &r {
                    Ok(_) => {
                        (&mut *tx).execute("RELEASE SAVEPOINT parley_msg").await?;
                    }
                    Err(_) => {
                        (&mut *tx)
                            .execute("ROLLBACK TO SAVEPOINT parley_msg")
                            .await?;
                        (&mut *tx).execute("RELEASE SAVEPOINT parley_msg").await?;
                    }
                }
                Ok::<_, StoreError>(r)
            }
            .await;
            results.push((job.reply, outcome));
        }
        // A failure of the savepoint machinery itself poisons the batch.
        let broken = results.iter().any(|(_, o)| o.is_err());
        if broken {
            drop(tx);
            for (reply, _) in results {
                let _ = reply.send(Err(StoreError::Other(sqlx::Error::Protocol(
                    "message batch failed; nothing was written".into(),
                ))));
            }
            return;
        }
        match tx.commit().await {
            Ok(()) => {
                self.events_committed();
                for (reply, outcome) in results {
                    let _ = reply.send(outcome.unwrap_or_else(Err));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for (reply, _) in results {
                    let _ = reply.send(Err(StoreError::Other(sqlx::Error::Protocol(msg.clone()))));
                }
            }
        }
    }
}
