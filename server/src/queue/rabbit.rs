//! RabbitMQ adapter of the Queue port.
//!
//! - Relay: claims outbox rows, publishes them (persistent) on a channel in
//!   confirm mode, and deletes the rows only once the broker has confirmed
//!   every one. A crash in between publishes them again later — jobs are
//!   idempotent.
//! - Consumers: manual acks. A failed job is republished to a delay queue
//!   (`<queue>.retry.<n>`, whose TTL dead-letters it back to the main queue)
//!   and only then acked; after the last attempt it goes to `<queue>.dead`.
//! - While RabbitMQ is unreachable the supervisor retries the connection
//!   with backoff; jobs wait in the outbox and the API is unaffected.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::sync::Notify;

use super::{next_batch, JobHandler, JobQueue, RetryPolicy};
use crate::store::{JobRow, Store};

const ATTEMPT_HEADER: &str = "x-parley-attempt";
const ERROR_HEADER: &str = "x-parley-error";

/// Queue names derived from the main queue's.
struct Names {
    main: String,
    dead: String,
}

impl Names {
    fn retry(&self, attempt: i64) -> String {
        format!("{}.retry.{attempt}", self.main)
    }
}

pub struct RabbitQueue {
    url: String,
    queue: String,
    retry: RetryPolicy,
    wake: Arc<Notify>,
}

impl RabbitQueue {
    /// `queue` names the main queue; the retry and dead-letter queues
    /// derive their names from it. Connects only once started.
    pub fn new(url: String, queue: String, retry: RetryPolicy) -> RabbitQueue {
        RabbitQueue {
            url,
            queue,
            retry,
            wake: Arc::default(),
        }
    }
}

impl JobQueue for RabbitQueue {
    fn start(&self, store: Store, handler: Arc<dyn JobHandler>) {
        supervise(
            self.url.clone(),
            self.queue.clone(),
            self.retry,
            store,
            handler,
            self.wake.clone(),
        );
    }

    fn kick(&self) {
        self.wake.notify_one();
    }
}

/// Runs sessions one after another for as long as the process lives,
/// backing off while RabbitMQ is unreachable.
fn supervise(
    url: String,
    queue: String,
    retry: RetryPolicy,
    store: Store,
    handler: Arc<dyn JobHandler>,
    wake: Arc<Notify>,
) {
    tokio::spawn(async move {
        let names = Names {
            dead: format!("{queue}.dead"),
            main: queue,
        };
        let mut pause = Duration::from_millis(250);
        loop {
            match session(&url, &names, retry, &store, &handler, &wake).await {
                Ok(()) => pause = Duration::from_millis(250),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "RabbitMQ session ended; jobs wait in the outbox")
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    });
}

type AmqpResult<T> = anyhow::Result<T>;

/// One connection's life: declare the topology, then relay and consume
/// until either fails.
async fn session(
    url: &str,
    names: &Names,
    retry: RetryPolicy,
    store: &Store,
    handler: &Arc<dyn JobHandler>,
    wake: &Notify,
) -> AmqpResult<()> {
    let conn = Connection::connect(url, ConnectionProperties::default()).await?;
    let setup = conn.create_channel().await?;
    declare(&setup, names, retry).await?;
    let publish = conn.create_channel().await?;
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let consume = conn.create_channel().await?;
    consume.basic_qos(16, BasicQosOptions::default()).await?;
    let republish = conn.create_channel().await?;
    republish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    tracing::info!(queue = %names.main, "connected to RabbitMQ");
    tokio::select! {
        r = relay(&publish, names, store, wake) => r,
        r = consumer(&consume, &republish, names, handler) => r,
    }
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

async fn declare(ch: &Channel, names: &Names, retry: RetryPolicy) -> AmqpResult<()> {
    ch.queue_declare(names.main.as_str().into(), durable(), FieldTable::default())
        .await?;
    ch.queue_declare(names.dead.as_str().into(), durable(), FieldTable::default())
        .await?;
    // One delay queue per attempt: RabbitMQ expires messages only at a
    // queue's head, so mixing delays in one queue would hold short ones
    // behind long ones.
    for attempt in 1..super::MAX_ATTEMPTS {
        let mut args = FieldTable::default();
        let ttl = i64::try_from(retry.delay(attempt).as_millis()).unwrap_or(i64::MAX);
        args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl));
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(LongString::from("")),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(LongString::from(names.main.as_str())),
        );
        ch.queue_declare(names.retry(attempt).as_str().into(), durable(), args)
            .await?;
    }
    Ok(())
}

fn properties(job_id: i64, kind: &str, attempt: i64, error: Option<&str>) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(ATTEMPT_HEADER.into(), AMQPValue::LongLongInt(attempt));
    if let Some(e) = error {
        headers.insert(
            ERROR_HEADER.into(),
            AMQPValue::LongString(LongString::from(e)),
        );
    }
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_message_id(ShortString::from(job_id.to_string()))
        .with_type(ShortString::from(kind))
        .with_headers(headers)
}

/// Publishes `payload` and waits for the broker's confirm.
async fn publish_confirmed(
    ch: &Channel,
    queue: &str,
    payload: &[u8],
    props: BasicProperties,
) -> AmqpResult<bool> {
    let confirm = ch
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            payload,
            props,
        )
        .await?
        .await?;
    Ok(confirm.is_ack() && confirm.take_message().is_none())
}

async fn relay(ch: &Channel, names: &Names, store: &Store, wake: &Notify) -> AmqpResult<()> {
    loop {
        let jobs = next_batch(store, wake).await;
        let mut confirms = Vec::with_capacity(jobs.len());
        for job in &jobs {
            confirms.push(
                ch.basic_publish(
                    "".into(),
                    names.main.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    job.payload.as_bytes(),
                    properties(job.id, &job.kind, 1, None),
                )
                .await,
            );
        }
        let mut confirmed = Vec::with_capacity(jobs.len());
        let mut failed = Vec::new();
        for (job, sent) in jobs.iter().zip(confirms) {
            let ok = match sent {
                Ok(pending) => match pending.await {
                    Ok(c) => c.is_ack() && c.take_message().is_none(),
                    Err(_) => false,
                },
                Err(_) => false,
            };
            if ok {
                confirmed.push(job.id);
            } else {
                failed.push(job.id);
            }
        }
        if let Err(e) = store.delete_jobs(&confirmed).await {
            // They come back when their lease ends and are published again.
            tracing::warn!(error = %e, "could not delete relayed jobs");
        }
        if !failed.is_empty() {
            // Unconfirmed: hand them back now rather than after the lease.
            let _ = store
                .release_jobs(&failed, crate::snowflake::now_ms())
                .await;
            anyhow::bail!("the broker did not confirm {} published jobs", failed.len());
        }
    }
}

fn header_attempt(props: &BasicProperties) -> i64 {
    props
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(ATTEMPT_HEADER).cloned())
        .and_then(|v| match v {
            AMQPValue::LongLongInt(n) => Some(n),
            AMQPValue::LongInt(n) => Some(i64::from(n)),
            _ => None,
        })
        .unwrap_or(1)
}

async fn consumer(
    ch: &Channel,
    republish: &Channel,
    names: &Names,
    handler: &Arc<dyn JobHandler>,
) -> AmqpResult<()> {
    let mut deliveries = ch
        .basic_consume(
            names.main.as_str().into(),
            "parley-worker".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    while let Some(delivery) = deliveries.next().await {
        let delivery = delivery?;
        let props = &delivery.properties;
        let job = JobRow {
            id: props
                .message_id()
                .as_ref()
                .and_then(|id| id.as_str().parse().ok())
                .unwrap_or_default(),
            kind: props
                .kind()
                .as_ref()
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            payload: String::from_utf8_lossy(&delivery.data).into_owned(),
            attempts: header_attempt(props),
        };
        if let Err(e) = handler.run(&job).await {
            let error = e.to_string();
            let (queue, next) = if job.attempts >= super::MAX_ATTEMPTS {
                tracing::error!(job = job.id, kind = %job.kind, error, "job dead-lettered");
                (names.dead.clone(), job.attempts)
            } else {
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error, "job failed; will retry");
                (names.retry(job.attempts), job.attempts + 1)
            };
            let props = properties(job.id, &job.kind, next, Some(&error));
            // Ack the original only once its retry (or dead letter) is
            // safely with the broker: a crash here repeats, never loses.
            if !publish_confirmed(republish, &queue, &delivery.data, props).await? {
                anyhow::bail!("the broker did not confirm a retry of job {}", job.id);
            }
        }
        delivery.ack(BasicAckOptions::default()).await?;
    }
    Ok(())
}
