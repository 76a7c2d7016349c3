//! The Bus on Redis pub/sub, for many server nodes. One publisher
//! connection and one subscriber connection per node (never per socket).
//! Both reconnect with backoff; after the subscriber reconnects it rings the
//! local tailer, since doorbells may have been missed meanwhile.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};

use super::{Bus, BusMessage};

/// Bus messages waiting for Redis; beyond this (Redis down a long time)
/// new ones are dropped — they are ephemeral or covered by the fallback poll.
const OUTBOX: usize = 10_000;

pub struct RedisBus {
    out: mpsc::Sender<BusMessage>,
    inbound: broadcast::Sender<BusMessage>,
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 * 2u64.pow(attempt.min(6)))
}

impl RedisBus {
    /// Connects once up front so a wrong URL fails start-up loudly.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<RedisBus> {
        let channel = format!("{prefix}:bus");
        let client = redis::Client::open(url)?;
        let first = client.get_multiplexed_async_connection().await?;
        let (out, out_rx) = mpsc::channel(OUTBOX);
        let inbound = broadcast::channel(8192).0;
        tokio::spawn(publish_loop(
            client.clone(),
            channel.clone(),
            Some(first),
            out_rx,
        ));
        tokio::spawn(subscribe_loop(client, channel, inbound.clone()));
        Ok(RedisBus { out, inbound })
    }
}

impl Bus for RedisBus {
    fn publish(&self, msg: BusMessage) {
        if self.out.try_send(msg).is_err() {
            tracing::warn!("redis bus backlog full; dropping an ephemeral message");
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.inbound.subscribe()
    }
}

async fn publish_loop(
    client: redis::Client,
    channel: String,
    mut conn: Option<redis::aio::MultiplexedConnection>,
    mut rx: mpsc::Receiver<BusMessage>,
) {
    let mut attempt = 0;
    while let Some(msg) = rx.recv().await {
        let Ok(payload) = serde_json::to_string(&msg) else {
            continue;
        };
        loop {
            if conn.is_none() {
                match client.get_multiplexed_async_connection().await {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "redis publisher reconnecting");
                        tokio::time::sleep(backoff(attempt)).await;
                        attempt += 1;
                        // Ephemeral messages go stale; doorbells are covered
                        // by the tailers' fallback poll. Drop and move on.
                        if attempt > 3 {
                            break;
                        }
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { break };
            let sent: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&payload)
                .query_async(c)
                .await;
            match sent {
                Ok(()) => {
                    attempt = 0;
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "redis publish failed");
                    conn = None;
                }
            }
        }
    }
}

async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    inbound: broadcast::Sender<BusMessage>,
) {
    let mut attempt = 0;
    loop {
        let pubsub = async {
            let mut ps = client.get_async_pubsub().await?;
            ps.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(ps)
        }
        .await;
        let mut ps = match pubsub {
            Ok(ps) => ps,
            Err(e) => {
                tracing::warn!(error = %e, "redis subscriber reconnecting");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
                continue;
            }
        };
        if attempt > 0 {
            tracing::info!("redis subscriber reconnected");
        }
        attempt = 0;
        let _ = inbound.send(BusMessage::Doorbell);
        let mut stream = ps.on_message();
        while let Some(msg) = stream.next().await {
            match serde_json::from_slice::<BusMessage>(msg.get_payload_bytes()) {
                Ok(m) => {
                    let _ = inbound.send(m);
                }
                Err(e) => tracing::warn!(error = %e, "unreadable bus message"),
            }
        }
        tracing::warn!("redis subscription ended; reconnecting");
    }
}
