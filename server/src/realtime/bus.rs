//! The Bus port: messages between server nodes. Durable events never travel
//! here — the database log carries them; the bus only rings the doorbell
//! ("new events, read the log") and carries ephemeral frames (typing,
//! presence). Losing a bus message therefore delays nothing durable by more
//! than the tailers' fallback poll, and loses no message.
//!
//! Adapters: [`MemoryBus`] (one process, the embedded default) and
//! `RedisBus` (many nodes; `PARLEY_REDIS_URL`).

use parley_shared::ws::PresenceStatus;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BusMessage {
    /// New durable events were committed: tailers should read the log.
    Doorbell,
    /// A ready-made frame for whoever on each node is in the audience.
    Ephemeral {
        channel_id: Option<i64>,
        workspace_ids: Vec<i64>,
        exclude_user: Option<i64>,
        frame: String,
    },
    /// A node is alive (sent every heartbeat interval). A node that falls
    /// silent is presumed dead and its presence views expire.
    NodeAlive { node: String },
    /// A node's view of one user's presence there (nodes merge the views).
    Presence {
        node: String,
        user_id: i64,
        status: PresenceStatus,
    },
}

/// Publishing never blocks the caller; every node (the publisher included)
/// receives each message through `subscribe`.
pub trait Bus: Send + Sync {
    fn publish(&self, msg: BusMessage);
    fn subscribe(&self) -> broadcast::Receiver<BusMessage>;
}

/// In-process bus: a broadcast channel.
pub struct MemoryBus {
    tx: broadcast::Sender<BusMessage>,
}

impl MemoryBus {
    pub fn new() -> Self {
        MemoryBus {
            tx: broadcast::channel(8192).0,
        }
    }
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus for MemoryBus {
    fn publish(&self, msg: BusMessage) {
        // No receiver yet is fine: nobody to tell.
        let _ = self.tx.send(msg);
    }

    fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.tx.subscribe()
    }
}
