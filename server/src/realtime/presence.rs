//! Presence: online / away / offline per user, merged across nodes.
//!
//! Each node knows its own connections and announces its view of a user
//! (online, away, offline) on the bus; every node keeps the latest view of
//! every node and shows the best of them. A user goes offline only after
//! their last connection has been gone for the grace period (30 s), so short
//! reconnects never flap.
//!
//! Views expire with their node: every node says it is alive on the bus each
//! heartbeat, and a node silent for three heartbeats (it crashed, or lost
//! its network) is dropped, so its users do not stay online forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use parley_shared::ws::PresenceStatus;

use crate::bus::{Bus, BusMessage};

#[derive(Default)]
struct Local {
    conns: usize,
    away: bool,
    /// Bumped on every connect/disconnect; a pending offline timer only
    /// fires if nothing happened since it was armed.
    generation: u64,
    announced: Option<PresenceStatus>,
}

pub struct Presence {
    node: String,
    grace: Duration,
    bus: Arc<dyn Bus>,
    local: Mutex<HashMap<i64, Local>>,
    views: Mutex<HashMap<i64, HashMap<String, PresenceStatus>>>,
    /// When each other node was last heard from.
    heard: Mutex<HashMap<String, Instant>>,
}

fn rank(s: PresenceStatus) -> u8 {
    match s {
        PresenceStatus::Online => 2,
        PresenceStatus::Away => 1,
        PresenceStatus::Offline => 0,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Presence {
    pub fn new(node: String, grace: Duration, bus: Arc<dyn Bus>) -> Self {
        Presence {
            node,
            grace,
            bus,
            local: Mutex::default(),
            views: Mutex::default(),
            heard: Mutex::default(),
        }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Records a sign of life from `node`.
    pub fn heard_from(&self, node: &str) {
        if node != self.node {
            lock(&self.heard).insert(node.to_owned(), Instant::now());
        }
    }

    /// Drops every view of nodes silent for longer than `silence`; returns
    /// the users whose merged status changed, with the new status.
    pub fn expire_silent_nodes(&self, silence: Duration) -> Vec<(i64, PresenceStatus)> {
        let dead: Vec<String> = {
            let mut heard = lock(&self.heard);
            let dead: Vec<String> = heard
                .iter()
                .filter(|(_, at)| at.elapsed() > silence)
                .map(|(n, _)| n.clone())
                .collect();
            for n in &dead {
                heard.remove(n);
            }
            dead
        };
        if dead.is_empty() {
            return Vec::new();
        }
        tracing::warn!(nodes = ?dead, "nodes fell silent; their users' presence expires");
        let mut views = lock(&self.views);
        let mut changed = Vec::new();
        views.retain(|&user, by_node| {
            let before = merged(Some(by_node));
            by_node.retain(|n, _| !dead.contains(n));
            let after = merged(Some(by_node));
            if after != before {
                changed.push((user, after));
            }
            !by_node.is_empty()
        });
        changed
    }

    fn announce(&self, user_id: i64, status: PresenceStatus) {
        self.bus.publish(BusMessage::Presence {
            node: self.node.clone(),
            user_id,
            status,
        });
    }

    /// Announces `status` unless it is what this node said last.
    fn update(&self, user_id: i64, status: PresenceStatus) {
        let changed = {
            let mut local = lock(&self.local);
            let entry = local.entry(user_id).or_default();
            let changed = entry.announced != Some(status);
            entry.announced = Some(status);
            if status == PresenceStatus::Offline && entry.conns == 0 {
                local.remove(&user_id);
            }
            changed
        };
        if changed {
            self.announce(user_id, status);
        }
    }

    pub fn connected(&self, user_id: i64) {
        let status = {
            let mut local = lock(&self.local);
            let entry = local.entry(user_id).or_default();
            entry.conns += 1;
            entry.generation += 1;
            if entry.away {
                PresenceStatus::Away
            } else {
                PresenceStatus::Online
            }
        };
        self.update(user_id, status);
    }

    pub fn disconnected(self: &Arc<Self>, user_id: i64) {
        let generation = {
            let mut local = lock(&self.local);
            let Some(entry) = local.get_mut(&user_id) else {
                return;
            };
            entry.conns = entry.conns.saturating_sub(1);
            entry.generation += 1;
            if entry.conns > 0 {
                return;
            }
            entry.generation
        };
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(this.grace).await;
            let still_gone = lock(&this.local)
                .get(&user_id)
                .is_some_and(|e| e.conns == 0 && e.generation == generation);
            if still_gone {
                this.update(user_id, PresenceStatus::Offline);
            }
        });
    }

    /// The node is stopping: every user it holds is offline here, now (the
    /// grace timers would not outlive the process).
    pub fn shutdown(&self) {
        let users: Vec<i64> = lock(&self.local).keys().copied().collect();
        for u in users {
            self.update(u, PresenceStatus::Offline);
        }
    }

    /// The client reports idleness (away) or activity (online).
    pub fn set_away(&self, user_id: i64, away: bool) {
        let status = {
            let mut local = lock(&self.local);
            let Some(entry) = local.get_mut(&user_id) else {
                return;
            };
            entry.away = away;
            if away {
                PresenceStatus::Away
            } else {
                PresenceStatus::Online
            }
        };
        self.update(user_id, status);
    }

    /// Records a node's view; returns the merged status when it changed.
    pub fn apply(
        &self,
        node: &str,
        user_id: i64,
        status: PresenceStatus,
    ) -> Option<PresenceStatus> {
        self.heard_from(node);
        let mut views = lock(&self.views);
        let before = merged(views.get(&user_id));
        let entry = views.entry(user_id).or_default();
        if status == PresenceStatus::Offline {
            entry.remove(node);
        } else {
            entry.insert(node.to_owned(), status);
        }
        if entry.is_empty() {
            views.remove(&user_id);
        }
        let after = merged(views.get(&user_id));
        (after != before).then_some(after)
    }

    pub fn status(&self, user_id: i64) -> PresenceStatus {
        merged(lock(&self.views).get(&user_id))
    }
}

fn merged(views: Option<&HashMap<String, PresenceStatus>>) -> PresenceStatus {
    views
        .into_iter()
        .flat_map(|m| m.values().copied())
        .max_by_key(|s| rank(*s))
        .unwrap_or(PresenceStatus::Offline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_view_across_nodes_wins() {
        use PresenceStatus::*;
        let bus = Arc::new(crate::bus::MemoryBus::new());
        let p = Presence::new("a".into(), Duration::from_secs(30), bus);
        assert_eq!(p.apply("a", 1, Away), Some(Away));
        assert_eq!(p.apply("b", 1, Online), Some(Online));
        assert_eq!(p.apply("b", 1, Offline), Some(Away));
        assert_eq!(p.apply("a", 1, Away), None);
        assert_eq!(p.apply("a", 1, Offline), Some(Offline));
        assert_eq!(p.status(1), Offline);
    }
}
