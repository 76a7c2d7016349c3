//! The hub: this node's live connections and who is subscribed to what.
//!
//! What must stay true: the hub never waits on a connection. Each event is
//! serialized once and handed to every target with `try_send` into that
//! connection's bounded queue; a full queue marks the connection as slow and
//! wakes its task, which closes it with "resume" (4004). So one stalled
//! socket can neither stall delivery to others nor grow memory.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, Notify};

pub type ConnId = u64;

/// A frame ready to write. `seq` is the event-log id for durable events and
/// 0 for ephemeral ones (which are never deduplicated or replayed).
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub seq: i64,
    pub text: Utf8Bytes,
}

/// Why a connection was told to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum KickReason {
    SlowConsumer = 1,
    Shutdown = 2,
}

/// A one-shot "close now" signal for a connection's task.
#[derive(Debug, Default)]
pub struct Kick {
    kicked: AtomicBool,
    reason: AtomicU8,
    notify: Notify,
}

impl Kick {
    fn kick(&self, reason: KickReason) {
        if !self.kicked.swap(true, Ordering::AcqRel) {
            self.reason.store(reason as u8, Ordering::Release);
            self.notify.notify_one();
        }
    }

    pub async fn wait(&self) -> KickReason {
        if !self.kicked.load(Ordering::Acquire) {
            self.notify.notified().await;
        }
        if self.reason.load(Ordering::Acquire) == KickReason::Shutdown as u8 {
            KickReason::Shutdown
        } else {
            KickReason::SlowConsumer
        }
    }
}

struct Conn {
    user_id: i64,
    tx: mpsc::Sender<Outgoing>,
    kick: Arc<Kick>,
    channels: HashSet<i64>,
    workspaces: HashSet<i64>,
    presence_of: HashSet<i64>,
}

#[derive(Default)]
struct Index {
    conns: HashMap<ConnId, Conn>,
    by_channel: HashMap<i64, HashSet<ConnId>>,
    by_workspace: HashMap<i64, HashSet<ConnId>>,
    by_user: HashMap<i64, HashSet<ConnId>>,
    /// user → connections following that user's presence.
    by_presence: HashMap<i64, HashSet<ConnId>>,
}

fn unlink(map: &mut HashMap<i64, HashSet<ConnId>>, key: i64, id: ConnId) {
    if let Some(set) = map.get_mut(&key) {
        set.remove(&id);
        if set.is_empty() {
            map.remove(&key);
        }
    }
}

/// Queues `frame` for one connection, or cuts the connection off when its
/// queue is full (it resumes after reconnecting).
fn hand(id: ConnId, conn: &Conn, frame: &Outgoing, delivered: &mut Delivered) {
    match conn.tx.try_send(frame.clone()) {
        Ok(()) => delivered.frames += 1,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::info!(conn = id, user_id = conn.user_id, "slow consumer cut off");
            conn.kick.kick(KickReason::SlowConsumer);
            delivered.kicked += 1;
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {}
    }
}

/// What one delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Connections that took the frame.
    pub frames: usize,
    /// Connections cut off because their queue was full.
    pub kicked: usize,
}

/// Who should receive an event.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub channel_id: Option<i64>,
    pub workspace_ids: Vec<i64>,
    pub user_id: Option<i64>,
    /// Connections following this user's presence.
    pub presence_of: Option<i64>,
    pub exclude_user: Option<i64>,
}

#[derive(Default)]
pub struct Hub {
    index: RwLock<Index>,
    next_id: AtomicU64,
}

impl Hub {
    // A poisoned lock means a panic mid-update elsewhere; the index itself
    // is still structurally valid, so keep serving.
    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn register(
        &self,
        user_id: i64,
        channels: Vec<i64>,
        workspaces: Vec<i64>,
        queue: usize,
    ) -> (ConnId, mpsc::Receiver<Outgoing>, Arc<Kick>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel(queue);
        let kick = Arc::new(Kick::default());
        let mut ix = self.write();
        for &c in &channels {
            ix.by_channel.entry(c).or_default().insert(id);
        }
        for &w in &workspaces {
            ix.by_workspace.entry(w).or_default().insert(id);
        }
        ix.by_user.entry(user_id).or_default().insert(id);
        ix.conns.insert(
            id,
            Conn {
                user_id,
                tx,
                kick: kick.clone(),
                channels: channels.into_iter().collect(),
                workspaces: workspaces.into_iter().collect(),
                presence_of: HashSet::new(),
            },
        );
        (id, rx, kick)
    }

    pub fn unregister(&self, id: ConnId) {
        let mut ix = self.write();
        let Some(conn) = ix.conns.remove(&id) else {
            return;
        };
        for c in &conn.channels {
            unlink(&mut ix.by_channel, *c, id);
        }
        for w in &conn.workspaces {
            unlink(&mut ix.by_workspace, *w, id);
        }
        for u in &conn.presence_of {
            unlink(&mut ix.by_presence, *u, id);
        }
        unlink(&mut ix.by_user, conn.user_id, id);
    }

    /// Replaces whose presence connection `id` follows.
    pub fn set_presence_subscriptions(&self, id: ConnId, users: &[i64]) {
        let mut ix = self.write();
        let old = match ix.conns.get_mut(&id) {
            Some(conn) => std::mem::replace(&mut conn.presence_of, users.iter().copied().collect()),
            None => return,
        };
        for u in old {
            unlink(&mut ix.by_presence, u, id);
        }
        for &u in users {
            ix.by_presence.entry(u).or_default().insert(id);
        }
    }

    /// Replaces what the connections of `user_id` are subscribed to.
    pub fn set_user_subscriptions(&self, user_id: i64, channels: &[i64], workspaces: &[i64]) {
        let mut ix = self.write();
        let ids: Vec<ConnId> = ix
            .by_user
            .get(&user_id)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        for id in ids {
            let (old_c, old_w) = match ix.conns.get_mut(&id) {
                Some(conn) => (
                    std::mem::replace(&mut conn.channels, channels.iter().copied().collect()),
                    std::mem::replace(&mut conn.workspaces, workspaces.iter().copied().collect()),
                ),
                None => continue,
            };
            for c in old_c {
                unlink(&mut ix.by_channel, c, id);
            }
            for w in old_w {
                unlink(&mut ix.by_workspace, w, id);
            }
            for &c in channels {
                ix.by_channel.entry(c).or_default().insert(id);
            }
            for &w in workspaces {
                ix.by_workspace.entry(w).or_default().insert(id);
            }
        }
    }

    pub fn has_user(&self, user_id: i64) -> bool {
        self.read().by_user.contains_key(&user_id)
    }

    pub fn is_subscribed(&self, id: ConnId, channel_id: i64) -> bool {
        self.read()
            .conns
            .get(&id)
            .is_some_and(|c| c.channels.contains(&channel_id))
    }

    pub fn connection_count(&self) -> usize {
        self.read().conns.len()
    }

    /// (users with a connection here, each channel's count of connections
    /// here) — for the metrics, which bucket the counts.
    pub fn activity(&self) -> (usize, Vec<usize>) {
        let ix = self.read();
        (
            ix.by_user.len(),
            ix.by_channel.values().map(HashSet::len).collect(),
        )
    }

    /// Hands `frame` to every connection in the audience. Never blocks.
    pub fn deliver(&self, audience: &Audience, frame: &Outgoing) -> Delivered {
        let ix = self.read();
        let mut sources: Vec<&HashSet<ConnId>> = Vec::with_capacity(2);
        sources.extend(audience.channel_id.and_then(|c| ix.by_channel.get(&c)));
        sources.extend(
            audience
                .workspace_ids
                .iter()
                .filter_map(|w| ix.by_workspace.get(w)),
        );
        sources.extend(audience.user_id.and_then(|u| ix.by_user.get(&u)));
        sources.extend(audience.presence_of.and_then(|u| ix.by_presence.get(&u)));
        let mut delivered = Delivered::default();
        // The common case — a channel's members — is one set: hand out
        // straight from the index. Only a mixed audience is deduplicated.
        let union: HashSet<ConnId>;
        let targets: &HashSet<ConnId> = match sources.as_slice() {
            [] => return delivered,
            [one] => one,
            many => {
                union = many.iter().flat_map(|s| s.iter().copied()).collect();
                &union
            }
        };
        for &id in targets {
            let Some(conn) = ix.conns.get(&id) else {
                continue;
            };
            if audience.exclude_user == Some(conn.user_id) {
                continue;
            }
            hand(id, conn, frame, &mut delivered);
        }
        delivered
    }

    /// Hands `frame` to one connection (if it is still here). Never blocks.
    pub fn send_to(&self, id: ConnId, frame: &Outgoing) -> Delivered {
        let mut delivered = Delivered::default();
        if let Some(conn) = self.read().conns.get(&id) {
            hand(id, conn, frame, &mut delivered);
        }
        delivered
    }

    /// Asks every connection to close (the server is stopping).
    pub fn kick_all(&self) {
        for conn in self.read().conns.values() {
            conn.kick.kick(KickReason::Shutdown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: i64) -> Outgoing {
        Outgoing {
            seq,
            text: Utf8Bytes::from_static("{}"),
        }
    }

    #[test]
    fn delivers_to_the_union_of_the_audience_once() {
        let hub = Hub::default();
        let (_a, mut ra, _) = hub.register(1, vec![10], vec![100], 8);
        let (_b, mut rb, _) = hub.register(2, vec![10, 11], vec![], 8);
        let (_c, mut rc, _) = hub.register(3, vec![], vec![100], 8);
        let audience = Audience {
            channel_id: Some(10),
            workspace_ids: vec![100],
            user_id: Some(1),
            presence_of: None,
            exclude_user: Some(2),
        };
        assert_eq!(hub.deliver(&audience, &frame(1)).frames, 2);
        assert_eq!(ra.try_recv().map(|f| f.seq).ok(), Some(1));
        assert!(ra.try_recv().is_err(), "delivered twice");
        assert!(rb.try_recv().is_err(), "excluded user received");
        assert!(rc.try_recv().is_ok());
    }

    #[test]
    fn full_queues_kick_instead_of_blocking() {
        let hub = Hub::default();
        let (_slow, _rx_kept_unread, kick) = hub.register(1, vec![5], vec![], 4);
        let (_fast, mut fast_rx, _) = hub.register(2, vec![5], vec![], 64);
        let audience = Audience {
            channel_id: Some(5),
            ..Audience::default()
        };
        for i in 0..10 {
            hub.deliver(&audience, &frame(i));
        }
        assert!(kick.kicked.load(Ordering::Acquire));
        let mut got = 0;
        while fast_rx.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, 10);
    }

    #[test]
    fn subscriptions_follow_membership_changes() {
        let hub = Hub::default();
        let (id, mut rx, _) = hub.register(7, vec![1], vec![], 8);
        hub.set_user_subscriptions(7, &[2], &[]);
        assert!(!hub.is_subscribed(id, 1));
        assert!(hub.is_subscribed(id, 2));
        let to = |c| Audience {
            channel_id: Some(c),
            ..Audience::default()
        };
        assert_eq!(hub.deliver(&to(1), &frame(1)).frames, 0);
        assert_eq!(hub.deliver(&to(2), &frame(2)).frames, 1);
        assert_eq!(rx.try_recv().map(|f| f.seq).ok(), Some(2));
        hub.unregister(id);
        assert_eq!(hub.connection_count(), 0);
        assert!(!hub.has_user(7));
    }
}
