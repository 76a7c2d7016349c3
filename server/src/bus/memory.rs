//! The Bus in one process: a broadcast channel. Every subscriber, the
//! publisher's own tailer included, receives every message.

use tokio::sync::broadcast;

use super::{Bus, BusMessage};

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
