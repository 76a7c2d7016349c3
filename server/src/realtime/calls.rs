//! This node's call participants: which connection each one is and when it
//! was last heard from. The call state itself is in the database (see
//! `store::calls`); this is what only the node holding the socket knows.
//!
//! Signaling for a participant reaches the node holding its connection:
//! directly when it is here, else on the bus (`BusMessage::Signal`), which
//! every node hears and only the holder acts on. Per target the path never
//! changes, so an offer is never overtaken by its own candidates.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::hub::ConnId;

struct Local {
    conn: ConnId,
    /// Milliseconds since the epoch of the connection's last inbound frame.
    heard: Arc<AtomicI64>,
}

#[derive(Default)]
pub struct Roster {
    participants: Mutex<HashMap<i64, Local>>,
}

impl Roster {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Local>> {
        self.participants.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, participant_id: i64, conn: ConnId, heard: Arc<AtomicI64>) {
        self.lock().insert(participant_id, Local { conn, heard });
    }

    pub fn remove(&self, participant_id: i64) {
        self.lock().remove(&participant_id);
    }

    pub fn conn_of(&self, participant_id: i64) -> Option<ConnId> {
        self.lock().get(&participant_id).map(|l| l.conn)
    }

    /// (participant, last heard) of every participant here.
    pub fn heard(&self) -> Vec<(i64, i64)> {
        self.lock()
            .iter()
            .map(|(id, l)| (*id, l.heard.load(Ordering::Relaxed)))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
