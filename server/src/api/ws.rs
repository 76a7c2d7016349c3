//! One WebSocket connection: authenticate, say HELLO, replay what a resuming
//! client missed, then pump frames both ways until either side stops.
//!
//! The task owns its socket. Outgoing frames arrive through the bounded
//! queue the hub fills; frames already sent (by seq) are skipped, which
//! makes the replay-then-live handover exact. Client frames go through the
//! same services as REST, so the rules are the same.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::SinkExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use parley_shared::api::SendMessageRequest;
use parley_shared::call;
use parley_shared::validate::ValidationError;
use parley_shared::ws::{
    close, ChannelState, ClientFrame, Hello, PresenceStatus, PresenceUpdate, ServerEvent,
    MAX_CLIENT_FRAME_BYTES, MAX_PRESENCE_SUBSCRIPTIONS, MAX_READ_FRAME_BYTES,
};
use parley_shared::{CallId, ChannelId, ErrorCode, ParticipantId, UserId};
use tokio::time::{timeout, Instant};

use crate::crypto::secrets;
use crate::error::ApiError;
use crate::realtime::hub::{ConnId, KickReason};
use crate::realtime::{ephemeral_frame, event_frame, Realtime};
use crate::service::{calls, channels, messages, now_ms};
use crate::state::AppState;
use crate::store::EventRow;

/// How long a new connection may take to send AUTH/RESUME.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// RESUME replays at most this many events; more means RESYNC.
const REPLAY_MAX: i64 = 5_000;
/// Sustained client frames per second, and the burst allowed above it.
const FRAMES_PER_SEC: u32 = 20;
const FRAME_BURST: u32 = 60;
/// Call signaling (offers, answers, ICE candidates) has a quota of its own:
/// joining a six-person call trickles dozens of candidates in a second.
const SIGNALS_PER_SEC: u32 = 50;
const SIGNAL_BURST: u32 = 200;
/// Refused frames (over the rate) tolerated before the connection is closed.
const RATE_STRIKES: u32 = 100;
/// Queued frames written per flush.
const WRITE_BATCH: usize = 64;
/// Socket buffer sizes (see `upgrade`).
const READ_BUFFER: usize = 1024;
const WRITE_BUFFER: usize = 4 * 1024;

/// The real-time connection. Send `AUTH {token}` (or `RESUME {token,
/// session, last_seq}`) as the first frame; the protocol is `parley_shared::ws`.
#[utoipa::path(get, path = "/api/v1/ws", tag = "realtime",
    responses((status = 101, description = "Switching to the WebSocket protocol")))]
pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    // Small buffers: the library's defaults (128 KiB each way, the read one
    // allocated up front) would cost more per idle connection than
    // everything else together. They grow when a burst needs it.
    ws.max_message_size(MAX_READ_FRAME_BYTES)
        .max_frame_size(MAX_READ_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| run(state, socket))
}

fn text(ev: &ServerEvent) -> Utf8Bytes {
    ephemeral_frame(ev).unwrap_or_else(|| Utf8Bytes::from_static("{}"))
}

fn error_event(e: &ApiError, nonce: Option<String>) -> ServerEvent {
    if let ApiError::Internal(inner) = e {
        tracing::error!(error = ?inner, "ws request failed");
    }
    ServerEvent::Error {
        code: e.code(),
        message: e.to_string(),
        nonce,
    }
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = timeout(
        Duration::from_secs(2),
        socket.send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        }))),
    )
    .await;
}

/// The call this connection takes part in: (call id, participant id).
type InCall = Arc<Mutex<Option<(i64, i64)>>>;

/// Unregisters the connection however the task ends, and takes it out of
/// its call.
struct Registration {
    state: AppState,
    conn: ConnId,
    user_id: i64,
    in_call: InCall,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let rt = &self.state.realtime;
        rt.hub.unregister(self.conn);
        rt.presence.disconnected(self.user_id);
        let left = self
            .in_call
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((_, participant)) = left {
            let state = self.state.clone();
            tokio::spawn(async move {
                if let Err(e) = calls::leave(&state, participant).await {
                    // The sweeper ends it once it falls silent.
                    tracing::warn!(error = %e, participant, "cannot leave the call");
                }
            });
        }
    }
}

struct Start {
    user: UserId,
    resume: Option<(String, i64)>,
}

/// Reads and checks the first frame: AUTH or RESUME with a valid token.
async fn authenticate(state: &AppState, socket: &mut WebSocket) -> Option<Start> {
    let first = match timeout(AUTH_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(WsMessage::Text(t)))) => t,
        _ => return None,
    };
    let (token, resume) = match serde_json::from_str::<ClientFrame>(first.as_str()) {
        Ok(ClientFrame::Auth { token }) => (token, None),
        Ok(ClientFrame::Resume {
            token,
            session,
            last_seq,
        }) => (token, Some((session, last_seq))),
        _ => return None,
    };
    let user = state.tokens.verify(&token)?;
    Some(Start { user, resume })
}

async fn channel_states(state: &AppState, user_id: i64) -> Vec<ChannelState> {
    match state.store.fetch_read_states(user_id).await {
        Ok(views) => views
            .into_iter()
            .map(|v| ChannelState {
                channel_id: ChannelId(v.channel.id),
                last_seq: v.channel.last_seq,
                last_read_seq: v.last_read_seq.unwrap_or(0),
                unread_count: u64::try_from(v.unread_count).unwrap_or(0),
                mention_count: u64::try_from(v.mention_count).unwrap_or(0),
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "cannot load channel states");
            Vec::new()
        }
    }
}

async fn run(state: AppState, mut socket: WebSocket) {
    let rt = state.realtime.clone();
    let Some(start) = authenticate(&state, &mut socket).await else {
        state
            .metrics
            .ws_connects
            .with_label_values(&["unauthorized"])
            .inc();
        close_with(
            &mut socket,
            close::UNAUTHORIZED,
            "authenticate first: AUTH {token}",
        )
        .await;
        return;
    };
    let user = start.user;
    // The hub, presence and the store key sessions by the bare id.
    let user_id = user.get();
    state.metrics.ws_connects.with_label_values(&["ok"]).inc();
    let (channels, workspaces) = match state.store.fetch_subscriptions(user_id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot load subscriptions");
            close_with(&mut socket, 1011, "internal error").await;
            return;
        }
    };
    // Register before choosing the starting point: anything committed from
    // here on reaches the queue, anything before it comes from the replay.
    let (conn, mut queue, kick) = rt.hub.register(
        user_id,
        channels.clone(),
        workspaces.clone(),
        rt.config.ws_queue,
    );
    let in_call = InCall::default();
    let _registration = Registration {
        state: state.clone(),
        conn,
        user_id,
        in_call: in_call.clone(),
    };
    let now_cursor = rt.cursor();
    let mut resync = None;
    let (session, from, resumed) = match start.resume {
        Some((session, last_seq)) => {
            // Exact only if nothing after last_seq was pruned: the oldest kept
            // event must directly follow it (or, with an empty log, nothing
            // may have happened since).
            let oldest = state.store.first_event_id().await.ok().flatten();
            let floor = oldest.map(|o| o - 1).unwrap_or(now_cursor);
            let window_ok = last_seq >= 0 && last_seq >= floor;
            if window_ok {
                (session, last_seq, true)
            } else {
                resync = Some("the session is older than the replay window");
                (secrets::random_token(12), now_cursor, false)
            }
        }
        _ => (secrets::random_token(12), now_cursor, false),
    };
    let mut replay: Vec<EventRow> = match state
        .store
        .fetch_events_for(from, user_id, &channels, &workspaces, REPLAY_MAX + 1)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the event log");
            close_with(&mut socket, 1011, "internal error").await;
            return;
        }
    };
    let mut from = from;
    if replay.len() as i64 > REPLAY_MAX {
        resync = Some("too many missed events to replay");
        replay.clear();
        from = rt.cursor();
    }
    rt.presence.connected(user_id);
    if let Some(reason) = resync {
        let ev = ServerEvent::Resync {
            reason: reason.into(),
        };
        if socket.send(WsMessage::Text(text(&ev))).await.is_err() {
            return;
        }
    }
    let hello = ServerEvent::Hello(Hello {
        session: session.clone(),
        user_id: user,
        heartbeat_interval_ms: rt.config.ws_heartbeat.as_millis() as u64,
        seq: from,
        channels: channel_states(&state, user_id).await,
        resumed: resumed && resync.is_none(),
        calls: calls::in_progress(&state, user).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot load the calls in progress");
            Vec::new()
        }),
    });
    if socket.send(WsMessage::Text(text(&hello))).await.is_err() {
        return;
    }
    let mut last_sent = from;
    for row in &replay {
        if row.id <= last_sent {
            continue;
        }
        if socket
            .send(WsMessage::Text(event_frame(row).text))
            .await
            .is_err()
        {
            return;
        }
        last_sent = row.id;
    }
    tracing::debug!(user_id, conn, replayed = replay.len(), "session started");

    let heard = Arc::new(AtomicI64::new(now_ms()));
    let mut conn_state = Connection {
        state: &state,
        rt: &rt,
        conn,
        user,
        limiter: limiter(FRAMES_PER_SEC, FRAME_BURST),
        signal_limiter: limiter(SIGNALS_PER_SEC, SIGNAL_BURST),
        strikes: 0,
        in_call,
        heard: heard.clone(),
    };
    let heartbeat = rt.config.ws_heartbeat;
    let write_timeout = rt.config.ws_write_timeout;
    let mut deadline = Instant::now() + heartbeat * 2;
    loop {
        tokio::select! {
            biased;
            reason = kick.wait() => {
                match reason {
                    KickReason::SlowConsumer => close_with(&mut socket, close::SLOW_CONSUMER_RESUME, "too slow: reconnect and RESUME").await,
                    KickReason::Shutdown => close_with(&mut socket, close::GOING_AWAY_RESUME, "server restarting: reconnect and RESUME").await,
                }
                return;
            }
            out = queue.recv() => {
                let Some(first) = out else { return };
                // Write batching: whatever else is already queued goes out in
                // the same flush (one syscall, full TCP segments) — our
                // stand-in for permessage-deflate, which tungstenite lacks.
                let mut batch = vec![first];
                while batch.len() < WRITE_BATCH {
                    match queue.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let write = async {
                    for out in batch {
                        if out.seq != 0 {
                            if out.seq <= last_sent {
                                continue;
                            }
                            last_sent = out.seq;
                        }
                        socket.feed(WsMessage::Text(out.text)).await?;
                    }
                    socket.flush().await
                };
                match timeout(write_timeout, write).await {
                    Ok(Ok(())) => {}
                    _ => return,
                }
            }
            msg = socket.recv() => {
                deadline = Instant::now() + heartbeat * 2;
                heard.store(now_ms(), Ordering::Relaxed);
                let reply = match msg {
                    Some(Ok(WsMessage::Text(t))) => conn_state.handle(t.as_str()).await,
                    Some(Ok(WsMessage::Binary(_))) => Reply::event(ServerEvent::Error {
                        code: ErrorCode::BadRequest,
                        message: "frames are JSON text".into(),
                        nonce: None,
                    }),
                    Some(Ok(WsMessage::Close(_))) | None => return,
                    Some(Ok(_)) => Reply::None, // ping/pong: the heartbeat is reset above
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "ws read failed");
                        close_with(&mut socket, 1009, "frame too large or malformed").await;
                        return;
                    }
                };
                match reply {
                    Reply::None => {}
                    Reply::Events(evs) => {
                        let write = async {
                            for ev in &evs {
                                socket.feed(WsMessage::Text(text(ev))).await?;
                            }
                            socket.flush().await
                        };
                        if !matches!(timeout(write_timeout, write).await, Ok(Ok(()))) {
                            return;
                        }
                    }
                    Reply::Close(code, reason) => {
                        close_with(&mut socket, code, reason).await;
                        return;
                    }
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                close_with(&mut socket, close::HEARTBEAT_TIMEOUT, "no heartbeat").await;
                return;
            }
        }
    }
}

enum Reply {
    None,
    /// Written together, in one flush.
    Events(Vec<ServerEvent>),
    Close(u16, &'static str),
}

impl Reply {
    fn event(ev: ServerEvent) -> Reply {
        Reply::Events(vec![ev])
    }
}

fn limiter(per_sec: u32, burst: u32) -> DefaultDirectRateLimiter {
    RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)),
    )
}

struct Connection<'a> {
    state: &'a AppState,
    rt: &'a Arc<Realtime>,
    conn: ConnId,
    user: UserId,
    limiter: DefaultDirectRateLimiter,
    signal_limiter: DefaultDirectRateLimiter,
    strikes: u32,
    in_call: InCall,
    /// When the last frame arrived (the call liveness clock).
    heard: Arc<AtomicI64>,
}

enum Parsed {
    Frame(ClientFrame),
    Refused(ErrorCode, String),
}

impl Connection<'_> {
    fn call(&self) -> Option<(i64, i64)> {
        *self.in_call.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_call(&self, call: Option<(i64, i64)>) {
        *self.in_call.lock().unwrap_or_else(|e| e.into_inner()) = call;
    }

    /// This connection's participant id in `call_id`, if it is in it.
    fn participant_in(&self, call_id: CallId) -> Option<i64> {
        self.call()
            .filter(|(c, _)| *c == call_id.get())
            .map(|(_, p)| p)
    }

    /// Relays a signaling frame to participant `to` of `call_id`, from this
    /// connection's participant, once its payload passed `checked`.
    async fn relay(
        &self,
        call_id: CallId,
        to: ParticipantId,
        checked: Result<(), ValidationError>,
        frame: impl FnOnce(ParticipantId) -> ServerEvent,
    ) -> Reply {
        if let Err(e) = checked {
            return Reply::event(error_event(&e.into(), None));
        }
        let (state, me) = (self.state, self.user);
        let Some(from) = self.participant_in(call_id) else {
            return Reply::event(error_event(
                &calls::outside_call(state, me, call_id).await,
                None,
            ));
        };
        let frame = frame(ParticipantId(from));
        match calls::relay(state, call_id, from, to, &frame).await {
            Ok(()) => Reply::None,
            Err(e) => Reply::event(error_event(&e, None)),
        }
    }

    fn parse(raw: &str) -> Parsed {
        if raw.len() > MAX_CLIENT_FRAME_BYTES {
            return Parsed::Refused(
                ErrorCode::PayloadTooLarge,
                format!("a frame may be at most {MAX_CLIENT_FRAME_BYTES} bytes"),
            );
        }
        match serde_json::from_str(raw) {
            Ok(f) => Parsed::Frame(f),
            Err(e) => Parsed::Refused(ErrorCode::BadRequest, format!("unreadable frame: {e}")),
        }
    }

    async fn handle(&mut self, raw: &str) -> Reply {
        let parsed = Self::parse(raw);
        let signaling = matches!(
            parsed,
            Parsed::Frame(
                ClientFrame::CallOffer { .. }
                    | ClientFrame::CallAnswer { .. }
                    | ClientFrame::IceCandidate { .. }
            )
        );
        let limiter = if signaling {
            &self.signal_limiter
        } else {
            &self.limiter
        };
        if limiter.check().is_err() {
            self.strikes += 1;
            if self.strikes > RATE_STRIKES {
                return Reply::Close(close::RATE_LIMITED, "too many frames");
            }
            return Reply::event(ServerEvent::Error {
                code: ErrorCode::RateLimited,
                message: format!(
                    "at most {FRAMES_PER_SEC} frames per second; this one was dropped"
                ),
                nonce: None,
            });
        }
        let frame = match parsed {
            Parsed::Frame(f) => f,
            Parsed::Refused(code, message) => {
                return Reply::event(ServerEvent::Error {
                    code,
                    message,
                    nonce: None,
                })
            }
        };
        let (state, me) = (self.state, self.user);
        match frame {
            ClientFrame::Ping => Reply::event(ServerEvent::Pong),
            ClientFrame::Auth { .. } | ClientFrame::Resume { .. } => {
                Reply::event(ServerEvent::Error {
                    code: ErrorCode::BadRequest,
                    message: "this connection is already authenticated".into(),
                    nonce: None,
                })
            }
            ClientFrame::Message {
                channel_id,
                content,
                nonce,
                thread_root_id,
                file_ids,
            } => {
                let req = SendMessageRequest {
                    content,
                    nonce: nonce.clone(),
                    file_ids,
                };
                let sent = match thread_root_id {
                    Some(root) => messages::reply_in(state, me, channel_id, root, req).await,
                    None => messages::send(state, me, channel_id, req, None).await,
                };
                match sent {
                    Ok((msg, _)) => {
                        self.rt.typing_stopped(me.get(), channel_id.get());
                        Reply::event(ServerEvent::Ack {
                            nonce,
                            id: msg.id,
                            channel_id: msg.channel_id,
                            seq: msg.seq,
                        })
                    }
                    Err(e) => Reply::event(error_event(&e, nonce)),
                }
            }
            ClientFrame::Typing { channel_id, typing } => {
                let c = channel_id.get();
                if !self.rt.hub.is_subscribed(self.conn, c) {
                    return Reply::event(error_event(&ApiError::NotFound("channel"), None));
                }
                let u = me.get();
                if typing {
                    if !self.rt.typing_started(u, c) {
                        return Reply::None;
                    }
                } else {
                    self.rt.typing_stopped(u, c);
                }
                self.rt.publish_typing(u, c, typing);
                Reply::None
            }
            ClientFrame::ReadReceipt {
                channel_id,
                message_id,
            } => match channels::mark_read(state, me, channel_id, message_id).await {
                Ok(_) => Reply::None,
                Err(e) => Reply::event(error_event(&e, None)),
            },
            ClientFrame::Reaction {
                message_id,
                emoji,
                remove,
            } => {
                let done = if remove {
                    messages::remove_reaction(state, me, message_id, &emoji).await
                } else {
                    messages::add_reaction(state, me, message_id, &emoji).await
                };
                match done {
                    Ok(_) => Reply::None,
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::JoinChannel { channel_id } => {
                match channels::add_members(state, me, channel_id, &[me]).await {
                    Ok(_) => Reply::None,
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::LeaveChannel { channel_id } => {
                match channels::remove_member(state, me, channel_id, me).await {
                    Ok(()) => Reply::None,
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::PresenceSubscribe { user_ids } => {
                if user_ids.len() > MAX_PRESENCE_SUBSCRIPTIONS {
                    return Reply::event(ServerEvent::Error {
                        code: ErrorCode::ValidationFailed,
                        message: format!(
                            "user_ids: follow at most {MAX_PRESENCE_SUBSCRIPTIONS} people"
                        ),
                        nonce: None,
                    });
                }
                let ids: Vec<i64> = user_ids.iter().map(|u| u.get()).collect();
                self.rt.hub.set_presence_subscriptions(self.conn, &ids);
                let now: Vec<ServerEvent> = ids
                    .iter()
                    .map(|&u| (u, self.rt.presence.status(u)))
                    .filter(|(_, s)| *s != PresenceStatus::Offline)
                    .map(|(u, status)| {
                        ServerEvent::Presence(PresenceUpdate {
                            user_id: UserId(u),
                            status,
                        })
                    })
                    .collect();
                Reply::Events(now)
            }
            ClientFrame::CallJoin {
                channel_id,
                audio,
                video,
            } => {
                let previous = self.call();
                match calls::join(
                    state,
                    me,
                    self.conn,
                    self.heard.clone(),
                    channel_id,
                    audio,
                    video,
                )
                .await
                {
                    Ok(joined) => {
                        // The join took this connection out of its previous call.
                        if let Some((_, old)) = previous {
                            self.rt.calls.remove(old);
                        }
                        self.set_call(Some((
                            joined.call.call_id.get(),
                            joined.participant_id.get(),
                        )));
                        Reply::event(ServerEvent::CallJoined {
                            call: joined.call,
                            participant_id: joined.participant_id,
                        })
                    }
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::CallLeave { call_id } => {
                let Some(participant) = self.participant_in(call_id) else {
                    return Reply::event(error_event(
                        &calls::outside_call(state, me, call_id).await,
                        None,
                    ));
                };
                self.set_call(None);
                match calls::leave(state, participant).await {
                    Ok(()) => Reply::None,
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::CallUpdate {
                call_id,
                muted,
                video,
                screen,
            } => {
                let Some(participant) = self.participant_in(call_id) else {
                    return Reply::event(error_event(
                        &calls::outside_call(state, me, call_id).await,
                        None,
                    ));
                };
                match calls::update(state, participant, call_id, (muted, video, screen)).await {
                    Ok(()) => Reply::None,
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::CallOffer { call_id, to, sdp } => {
                let checked = call::sdp(&sdp).map(drop);
                self.relay(call_id, to, checked, |from| ServerEvent::CallOffer {
                    call_id,
                    from,
                    from_user: me,
                    sdp,
                })
                .await
            }
            ClientFrame::CallAnswer { call_id, to, sdp } => {
                let checked = call::sdp(&sdp).map(drop);
                self.relay(call_id, to, checked, |from| ServerEvent::CallAnswer {
                    call_id,
                    from,
                    from_user: me,
                    sdp,
                })
                .await
            }
            ClientFrame::IceCandidate {
                call_id,
                to,
                candidate,
            } => {
                let checked = call::candidate(&candidate);
                self.relay(call_id, to, checked, |from| ServerEvent::IceCandidate {
                    call_id,
                    from,
                    from_user: me,
                    candidate,
                })
                .await
            }
            ClientFrame::CallDecline { call_id } => {
                match calls::decline(state, me, call_id).await {
                    Ok(()) => Reply::None,
                    Err(e) => Reply::event(error_event(&e, None)),
                }
            }
            ClientFrame::Presence { status } => {
                match status {
                    PresenceStatus::Away => self.rt.presence.set_away(me.get(), true),
                    PresenceStatus::Online => self.rt.presence.set_away(me.get(), false),
                    PresenceStatus::Offline => {
                        return Reply::event(ServerEvent::Error {
                            code: ErrorCode::ValidationFailed,
                            message: "status: report online or away; offline follows disconnecting"
                                .into(),
                            nonce: None,
                        })
                    }
                }
                Reply::None
            }
        }
    }
}
