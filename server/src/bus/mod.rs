//! The Bus port: messages between server nodes. Durable events never travel
//! here — the database log carries them; the bus only rings the doorbell
//! ("new events, read the log") and carries ephemeral frames (typing,
//! presence). Losing a bus message therefore delays nothing durable by more
//! than the tailers' fallback poll, and loses no message.
//!
//! Adapters: [`MemoryBus`] (`memory.rs`: one process, the embedded
//! default) and [`RedisBus`] (`redis.rs`: many nodes; `PARLEY_REDIS_URL`).

mod memory;
mod redis;

pub use memory::MemoryBus;
pub use redis::RedisBus;

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
    /// A call signaling frame (offer, answer, candidate) for one participant:
    /// only the node holding its connection delivers it.
    Signal { participant_id: i64, frame: String },
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
