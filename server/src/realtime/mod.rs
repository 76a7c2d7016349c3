//! Real-time delivery over WebSockets.
//!
//! The database's event log is the source of truth (see `store::events`).
//! Each node runs one *tailer* that reads the log in id order and hands each
//! event, serialized once, to the hub, which fans it out to this node's
//! subscribed connections. A commit rings the tailer at once (and, through
//! the bus, every other node's); a slow fallback poll covers a lost
//! doorbell. Because log ids are commit-ordered, a connection that has seen
//! id N has seen everything before N it may see, so RESUME is one query.

pub mod calls;
pub mod hub;
pub mod presence;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use parley_shared::ws::{PresenceStatus, PresenceUpdate, ServerEvent};
use parley_shared::{ChannelId, UserId};
use tokio::sync::Notify;

use crate::bus::{Bus, BusMessage};
use crate::cache::Cache;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{EventRow, Store};
use hub::{Audience, Hub, Outgoing};
use presence::Presence;

/// Events read per tailer query.
const TAIL_BATCH: i64 = 500;
/// Poll the log this often even without a doorbell.
const FALLBACK_POLL: Duration = Duration::from_millis(1000);
/// A typing indicator is re-broadcast at most this often per user and channel.
const TYPING_THROTTLE: Duration = Duration::from_secs(2);

struct Typing {
    /// When a typing=true was last forwarded (the throttle).
    broadcast_at: Option<Instant>,
    /// Bumped on every renewal; an expiry fires only if unchanged.
    generation: u64,
}

pub struct Realtime {
    pub hub: Hub,
    /// This node's call participants.
    pub calls: calls::Roster,
    pub bus: Arc<dyn Bus>,
    pub presence: Arc<Presence>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub cache: Arc<dyn Cache>,
    store: Store,
    /// Wakes this node's tailer.
    wake: Notify,
    /// Rings the other nodes (coalesced by the doorbell task).
    ring_remote: Notify,
    /// Id of the last event the tailer delivered.
    cursor: AtomicI64,
    /// Who is typing where: entries leave on stop, on a message, or on expiry.
    typing: Mutex<HashMap<(i64, i64), Typing>>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// `{"seq":N,` + the rest of the stored `{"type":…,"payload":…}` object.
fn frame_text(row: &EventRow) -> Utf8Bytes {
    let body = row.payload.strip_prefix('{').unwrap_or(&row.payload);
    Utf8Bytes::from(format!("{{\"seq\":{},{body}", row.id))
}

pub(crate) fn event_frame(row: &EventRow) -> Outgoing {
    Outgoing {
        seq: row.id,
        text: frame_text(row),
    }
}

pub(crate) fn ephemeral_frame(ev: &ServerEvent) -> Option<Utf8Bytes> {
    serde_json::to_string(ev).ok().map(Utf8Bytes::from)
}

fn audience(row: &EventRow) -> Audience {
    Audience {
        channel_id: row.channel_id,
        workspace_ids: row.workspace_id.into_iter().collect(),
        user_id: row.user_id,
        presence_of: None,
        exclude_user: None,
    }
}

impl Realtime {
    /// Creates the real-time layer and starts its background tasks.
    pub async fn start(
        config: Arc<Config>,
        store: Store,
        metrics: Arc<Metrics>,
        cache: Arc<dyn Cache>,
        bus: Arc<dyn Bus>,
    ) -> anyhow::Result<Arc<Realtime>> {
        let node = format!("node-{}-{}", config.node_id, std::process::id());
        let cursor = store.last_event_id().await?;
        let rt = Arc::new(Realtime {
            cache,
            hub: Hub::default(),
            calls: calls::Roster::default(),
            presence: Arc::new(Presence::new(node, config.presence_grace, bus.clone())),
            bus,
            config,
            metrics,
            store: store.clone(),
            wake: Notify::new(),
            ring_remote: Notify::new(),
            cursor: AtomicI64::new(cursor),
            typing: Mutex::default(),
            shutdown: tokio::sync::watch::channel(false).0,
        });
        let weak = Arc::downgrade(&rt);
        store.set_commit_hook(Arc::new(move || {
            if let Some(rt) = weak.upgrade() {
                rt.wake.notify_one();
                rt.ring_remote.notify_one();
            }
        }));
        tokio::spawn(tail(rt.clone()));
        tokio::spawn(listen(rt.clone()));
        tokio::spawn(doorbell(rt.clone()));
        tokio::spawn(node_heartbeat(rt.clone()));
        tokio::spawn(prune(rt.clone()));
        Ok(rt)
    }

    /// The id of the last event delivered on this node.
    pub fn cursor(&self) -> i64 {
        self.cursor.load(Ordering::Acquire)
    }

    /// Closes every connection (with "going away, resume") and stops the tasks.
    pub fn begin_shutdown(&self) {
        self.presence.shutdown();
        let _ = self.shutdown.send(true);
        self.hub.kick_all();
    }

    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Records "typing" (start or renewal). Returns whether to broadcast it:
    /// at most once per `TYPING_THROTTLE`. Arranges a typing=false broadcast
    /// if no renewal follows within the expiry, so a client that vanished
    /// mid-sentence does not type forever.
    pub fn typing_started(self: &Arc<Self>, user_id: i64, channel_id: i64) -> bool {
        let key = (user_id, channel_id);
        let now = Instant::now();
        let (due, generation) = {
            let mut map = self.typing.lock().unwrap_or_else(|e| e.into_inner());
            let t = map.entry(key).or_insert(Typing {
                broadcast_at: None,
                generation: 0,
            });
            t.generation += 1;
            let due = t
                .broadcast_at
                .is_none_or(|at| now.duration_since(at) >= TYPING_THROTTLE);
            if due {
                t.broadcast_at = Some(now);
            }
            (due, t.generation)
        };
        let rt = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(rt.config.typing_expiry).await;
            let expired = {
                let mut map = rt.typing.lock().unwrap_or_else(|e| e.into_inner());
                let unchanged = map.get(&key).is_some_and(|t| t.generation == generation);
                if unchanged {
                    map.remove(&key);
                }
                unchanged
            };
            if expired {
                rt.publish_typing(user_id, channel_id, false);
            }
        });
        due
    }

    pub fn typing_stopped(&self, user_id: i64, channel_id: i64) {
        self.typing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(user_id, channel_id));
    }

    /// Sends TYPING to the channel's other members, on every node.
    pub fn publish_typing(&self, user_id: i64, channel_id: i64, typing: bool) {
        let ev = ServerEvent::Typing {
            channel_id: ChannelId(channel_id),
            user_id: UserId(user_id),
            typing,
        };
        if let Ok(frame) = serde_json::to_string(&ev) {
            self.bus.publish(BusMessage::Ephemeral {
                channel_id: Some(channel_id),
                workspace_ids: Vec::new(),
                exclude_user: Some(user_id),
                frame,
            });
        }
    }

    /// Hands a signaling frame to one call participant, wherever it is
    /// connected (see `calls`).
    pub fn signal(&self, participant_id: i64, frame: String) {
        match self.calls.conn_of(participant_id) {
            Some(conn) => self.count(self.hub.send_to(
                conn,
                &Outgoing {
                    seq: 0,
                    text: Utf8Bytes::from(frame),
                },
            )),
            None => self.bus.publish(BusMessage::Signal {
                participant_id,
                frame,
            }),
        }
    }

    fn count(&self, d: hub::Delivered) {
        self.metrics.events_delivered.inc_by(d.frames as u64);
        self.metrics.slow_consumers.inc_by(d.kicked as u64);
    }

    /// Refreshes what `user_id`'s connections here are subscribed to.
    async fn reload(&self, user_id: i64) {
        if !self.hub.has_user(user_id) {
            return;
        }
        match self.store.fetch_subscriptions(user_id).await {
            Ok((channels, workspaces)) => {
                self.hub
                    .set_user_subscriptions(user_id, &channels, &workspaces)
            }
            Err(e) => tracing::error!(error = %e, user_id, "cannot reload subscriptions"),
        }
    }
}

/// The tailer: reads the event log in order and delivers each event once.
async fn tail(rt: Arc<Realtime>) {
    let mut stop = rt.shutdown_signal();
    loop {
        tokio::select! {
            _ = rt.wake.notified() => {}
            _ = tokio::time::sleep(FALLBACK_POLL) => {}
            _ = stop.changed() => return,
        }
        loop {
            let after = rt.cursor();
            let batch = match rt.store.fetch_events_after(after, TAIL_BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "event log read failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            };
            let full = batch.len() as i64 == TAIL_BATCH;
            let now = crate::snowflake::now_ms();
            for row in &batch {
                rt.count(rt.hub.deliver(&audience(row), &event_frame(row)));
                rt.metrics
                    .delivery_latency
                    .observe((now - row.created_at).max(0) as f64 / 1000.0);
                if let Some(subject) = row.subject_id {
                    rt.reload(subject).await;
                }
                rt.cursor.store(row.id, Ordering::Release);
            }
            if !rt.cache.shared() {
                // A node-local cache learns of other nodes' changes here.
                let mut channels: Vec<i64> = batch.iter().filter_map(|r| r.channel_id).collect();
                channels.sort_unstable();
                channels.dedup();
                crate::cache::pages::invalidate(rt.cache.as_ref(), &channels).await;
            }
            if !full {
                break;
            }
        }
    }
}

/// Applies what other nodes (and this one) publish on the bus.
async fn listen(rt: Arc<Realtime>) {
    let mut rx = rt.bus.subscribe();
    let mut stop = rt.shutdown_signal();
    loop {
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = stop.changed() => return,
        };
        match msg {
            Ok(BusMessage::Doorbell) => rt.wake.notify_one(),
            Ok(BusMessage::Ephemeral {
                channel_id,
                workspace_ids,
                exclude_user,
                frame,
            }) => {
                let audience = Audience {
                    channel_id,
                    workspace_ids,
                    user_id: None,
                    presence_of: None,
                    exclude_user,
                };
                rt.count(rt.hub.deliver(
                    &audience,
                    &Outgoing {
                        seq: 0,
                        text: Utf8Bytes::from(frame),
                    },
                ));
            }
            Ok(BusMessage::Presence {
                node,
                user_id,
                status,
            }) => {
                if let Some(merged) = rt.presence.apply(&node, user_id, status) {
                    deliver_presence(&rt, user_id, merged);
                }
            }
            Ok(BusMessage::NodeAlive { node }) => rt.presence.heard_from(&node),
            Ok(BusMessage::Signal {
                participant_id,
                frame,
            }) => {
                if let Some(conn) = rt.calls.conn_of(participant_id) {
                    rt.count(rt.hub.send_to(
                        conn,
                        &Outgoing {
                            seq: 0,
                            text: Utf8Bytes::from(frame),
                        },
                    ));
                }
            }
            // Missed bus messages: durable events are safe in the log; poll it.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "bus receiver lagged");
                rt.wake.notify_one();
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Tells other nodes about new events, one doorbell per burst of commits.
/// Tells the user's followers (and the user's own sessions) a new status.
fn deliver_presence(rt: &Realtime, user_id: i64, status: PresenceStatus) {
    let ev = ServerEvent::Presence(PresenceUpdate {
        user_id: UserId(user_id),
        status,
    });
    if let Some(text) = ephemeral_frame(&ev) {
        // Followers only: presence is opt-in, see PRESENCE_SUBSCRIBE.
        let audience = Audience {
            user_id: Some(user_id),
            presence_of: Some(user_id),
            ..Audience::default()
        };
        rt.count(rt.hub.deliver(&audience, &Outgoing { seq: 0, text }));
    }
}

/// Says "alive" on the bus every heartbeat, and expires the presence views
/// of nodes that stopped saying it three heartbeats ago.
async fn node_heartbeat(rt: Arc<Realtime>) {
    let mut stop = rt.shutdown_signal();
    let every = rt.config.node_heartbeat;
    loop {
        rt.bus.publish(BusMessage::NodeAlive {
            node: rt.presence.node().to_owned(),
        });
        for (user_id, status) in rt.presence.expire_silent_nodes(every * 3) {
            deliver_presence(&rt, user_id, status);
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn doorbell(rt: Arc<Realtime>) {
    let mut stop = rt.shutdown_signal();
    loop {
        tokio::select! {
            _ = rt.ring_remote.notified() => rt.bus.publish(BusMessage::Doorbell),
            _ = stop.changed() => return,
        }
    }
}

/// Drops events that fell out of the replay window.
async fn prune(rt: Arc<Realtime>) {
    let mut stop = rt.shutdown_signal();
    loop {
        let keep = rt.config.event_retention;
        match rt
            .store
            .prune_events(crate::snowflake::now_ms() - keep.as_millis() as i64)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "old events pruned"),
            Err(e) => tracing::warn!(error = %e, "event pruning failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = stop.changed() => return,
        }
    }
}
