//! Calls: joining (and starting), leaving, what each participant sends,
//! ringing in DMs, relaying signaling between two participants of one call,
//! ICE servers, and the sweeper that ends participants who fell silent.
//!
//! Rules: only a member of the conversation may join, see its call or
//! decline its ring (others get the same 404 as for a missing call);
//! signaling goes only between two live participants of the same call.

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_shared::api::User;
use parley_shared::call::{
    format_duration, CallParticipant, CallState, IceServer, IceServers, SystemEvent,
    MAX_PARTICIPANTS,
};
use parley_shared::validate::ValidationError;
use parley_shared::ws::ServerEvent;
use parley_shared::{CallId, ChannelId, ParticipantId, Timestamp, UserId};

use super::convert::message;
use super::{access, events, now_ms, users};
use crate::cache::pages;
use crate::crypto::turn as turn_creds;
use crate::error::{ApiError, ApiResult};
use crate::realtime::hub::ConnId;
use crate::state::AppState;
use crate::store::{
    CallChange, CallEffects, CallRow, EventDraft, JoinCall, JoinOutcome, MessageRow, NewMessage,
    ParticipantRow,
};

/// How often the sweeper records who was heard and ends the silent.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub fn call_state(call: &CallRow, participants: &[ParticipantRow]) -> CallState {
    CallState {
        channel_id: ChannelId(call.channel_id),
        call_id: CallId(call.id),
        started_at: Timestamp::from_millis(call.started_at),
        started_by: UserId(call.started_by),
        participants: participants
            .iter()
            .map(|p| CallParticipant {
                user: UserId(p.user_id),
                participant_id: ParticipantId(p.id),
                muted: p.muted != 0,
                video: p.video != 0,
                screen: p.screen != 0,
                joined_at: Timestamp::from_millis(p.joined_at),
            })
            .collect(),
    }
}

/// Announces call changes (see `store::CallEffects`).
struct Announce {
    state: AppState,
    /// The authors of system messages: whoever started each call.
    authors: HashMap<i64, User>,
    /// Whom to ring when the call starts (a DM's other members).
    ring: Vec<i64>,
    /// Channels that got a system message (their cached pages go stale).
    posted: Mutex<Vec<i64>>,
}

impl Announce {
    async fn new(state: &AppState, authors: Vec<i64>, ring: Vec<i64>) -> ApiResult<Announce> {
        Ok(Announce {
            state: state.clone(),
            authors: users::profiles(state, authors).await?,
            ring,
            posted: Mutex::default(),
        })
    }

    /// Drops the cached pages of the channels that got a message.
    async fn done(self) {
        let posted = self.posted.into_inner().unwrap_or_else(|e| e.into_inner());
        if !posted.is_empty() {
            pages::invalidate(self.state.cache.as_ref(), &posted).await;
        }
    }
}

impl CallEffects for Announce {
    fn events(&self, change: &CallChange<'_>) -> Vec<EventDraft> {
        let mut out = Vec::new();
        match change {
            CallChange::Started { call, participants }
            | CallChange::Changed { call, participants } => {
                let channel = ChannelId(call.channel_id);
                let state = ServerEvent::CallState(call_state(call, participants));
                out.extend(events::to_channel(channel, &state).ok());
                if matches!(change, CallChange::Started { .. }) {
                    let ring = ServerEvent::CallRing {
                        channel_id: channel,
                        call_id: CallId(call.id),
                        from: UserId(call.started_by),
                        started_at: Timestamp::from_millis(call.started_at),
                    };
                    for &member in &self.ring {
                        out.extend(events::to_user(UserId(member), &ring).ok());
                    }
                }
            }
            CallChange::Ended { call, took_part } => {
                let ended_at = call.ended_at.unwrap_or(call.started_at);
                let ended = ServerEvent::CallEnded {
                    channel_id: ChannelId(call.channel_id),
                    call_id: CallId(call.id),
                    ended_at: Timestamp::from_millis(ended_at),
                    duration_ms: u64::try_from(ended_at - call.started_at).unwrap_or(0),
                    participants: took_part.iter().copied().map(UserId).collect(),
                };
                out.extend(events::to_channel(ChannelId(call.channel_id), &ended).ok());
            }
        }
        out
    }

    fn system_message(&self, change: &CallChange<'_>) -> Option<NewMessage> {
        let (call, system, content, at) = match change {
            CallChange::Started { call, .. } => (
                *call,
                SystemEvent::CallStarted {
                    call_id: CallId(call.id),
                },
                "📞 started a call".to_owned(),
                call.started_at,
            ),
            CallChange::Ended { call, took_part } => {
                let ended_at = call.ended_at.unwrap_or(call.started_at);
                let duration_ms = u64::try_from(ended_at - call.started_at).unwrap_or(0);
                let people = match took_part.len() {
                    1 => "1 person".to_owned(),
                    n => format!("{n} people"),
                };
                (
                    *call,
                    SystemEvent::CallEnded {
                        call_id: CallId(call.id),
                        duration_ms,
                        participants: took_part.iter().copied().map(UserId).collect(),
                    },
                    format!(
                        "📞 Call ended · {} · {people}",
                        format_duration(duration_ms)
                    ),
                    ended_at,
                )
            }
            CallChange::Changed { .. } => return None,
        };
        Some(NewMessage {
            id: self.state.next_id(),
            channel_id: call.channel_id,
            author_id: call.started_by,
            content,
            nonce: None,
            thread_root_id: None,
            mentions: Vec::new(),
            file_ids: Vec::new(),
            jobs: Vec::new(),
            now: at,
            system: serde_json::to_string(&system).ok(),
        })
    }

    fn message_events(&self, row: &MessageRow) -> Vec<EventDraft> {
        self.posted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(row.channel_id);
        // A profile that vanished meanwhile: the message stands, clients
        // see it in history.
        let Some(author) = self.authors.get(&row.author_id) else {
            return Vec::new();
        };
        let msg = message(row, author.clone(), Vec::new(), Vec::new());
        events::to_channel(ChannelId(row.channel_id), &ServerEvent::Message(msg))
            .into_iter()
            .collect()
    }
}

/// The answer to a join: the call as it is now, and who this connection is in it.
pub struct Joined {
    pub call: CallState,
    pub participant_id: ParticipantId,
}

/// Joins the call in `channel_id` from connection `conn` (starting one if
/// none is in progress). `heard` is the connection's last-frame clock.
pub async fn join(
    state: &AppState,
    me: UserId,
    conn: ConnId,
    heard: Arc<AtomicI64>,
    channel_id: ChannelId,
    audio: bool,
    video: bool,
) -> ApiResult<Joined> {
    let joined = join_as(state, me, conn, heard, channel_id, (audio, video)).await;
    match &joined {
        Ok(_) => state.metrics.call_joins.inc(),
        Err(e) => state
            .metrics
            .call_join_failures
            .with_label_values(&[e.code().as_str()])
            .inc(),
    }
    joined
}

async fn join_as(
    state: &AppState,
    me: UserId,
    conn: ConnId,
    heard: Arc<AtomicI64>,
    channel_id: ChannelId,
    (audio, video): (bool, bool),
) -> ApiResult<Joined> {
    let access = access::channel(state, me, channel_id).await?;
    access.require_member()?;
    // Joining leaves the calls one is in elsewhere, which may end them:
    // their starters author those "ended" messages.
    let mut authors = vec![me.get()];
    authors.extend(
        state
            .store
            .fetch_user_calls(me.get())
            .await?
            .iter()
            .map(|c| c.started_by),
    );
    let ring = if access.is_dm() {
        state
            .store
            .fetch_channel_members(channel_id.get())
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .filter(|&u| u != me.get())
            .collect()
    } else {
        Vec::new()
    };
    let fx = Announce::new(state, authors, ring).await?;
    let participant_id = state.next_id();
    let join = JoinCall {
        channel_id: channel_id.get(),
        user_id: me.get(),
        participant_id,
        new_call_id: state.next_id(),
        muted: !audio,
        video,
        now: now_ms(),
    };
    let outcome = state
        .store
        .join_call(&join, MAX_PARTICIPANTS as i64, &fx)
        .await?;
    fx.done().await;
    match outcome {
        JoinOutcome::Joined {
            call, participants, ..
        } => {
            state.realtime.calls.add(participant_id, conn, heard);
            Ok(Joined {
                call: call_state(&call, &participants),
                participant_id: ParticipantId(participant_id),
            })
        }
        JoinOutcome::Full => Err(ApiError::CallFull(MAX_PARTICIPANTS)),
        JoinOutcome::Gone => Err(ApiError::NotFound("channel")),
    }
}

/// Takes a participant out of its call; a no-op when it already left.
pub async fn leave(state: &AppState, participant_id: i64) -> ApiResult<()> {
    state.realtime.calls.remove(participant_id);
    let Some(call) = state.store.fetch_participant_call(participant_id).await? else {
        return Ok(());
    };
    let fx = Announce::new(state, vec![call.started_by], Vec::new()).await?;
    state
        .store
        .leave_call(participant_id, now_ms(), &fx)
        .await?;
    fx.done().await;
    Ok(())
}

/// What a participant sends now (mute, camera, screen).
pub async fn update(
    state: &AppState,
    participant_id: i64,
    call_id: CallId,
    sending: (bool, bool, bool),
) -> ApiResult<()> {
    let fx = Announce::new(state, Vec::new(), Vec::new()).await?;
    let done = state
        .store
        .update_participant(participant_id, call_id.get(), sending, now_ms(), &fx)
        .await?;
    if done {
        Ok(())
    } else {
        Err(ApiError::Forbidden("you are no longer in this call"))
    }
}

/// A call in progress and `me`'s access to its conversation, if `me` is
/// a member there; 404 `call` otherwise, exactly as for a call that does
/// not exist or has ended.
async fn member_call(
    state: &AppState,
    me: UserId,
    call_id: CallId,
) -> ApiResult<(CallRow, access::ChannelAccess)> {
    let call = match state.store.fetch_call(call_id.get()).await? {
        Some(c) if c.ended_at.is_none() => c,
        _ => return Err(ApiError::NotFound("call")),
    };
    match access::channel(state, me, ChannelId(call.channel_id)).await {
        Ok(a) if a.is_member() => Ok((call, a)),
        Ok(_) | Err(ApiError::NotFound(_)) => Err(ApiError::NotFound("call")),
        Err(e) => Err(e),
    }
}

/// Why `me`, whose connection is not in `call_id`, may not act in it: 404
/// for a call that does not exist, has ended or is in a conversation `me`
/// cannot see; 403 for a member of the conversation who has not joined.
pub async fn outside_call(state: &AppState, me: UserId, call_id: CallId) -> ApiError {
    match member_call(state, me, call_id).await {
        Ok(_) => ApiError::Forbidden("join the call first"),
        Err(e) => e,
    }
}

/// Relays a signaling frame from participant `from` (this node's, known
/// to be in `call_id` here) to participant `to` of the same call.
pub async fn relay(
    state: &AppState,
    call_id: CallId,
    from: i64,
    to: ParticipantId,
    frame: &ServerEvent,
) -> ApiResult<()> {
    if to.get() == from {
        return Err(ValidationError::new("to", "signal another participant, not yourself").into());
    }
    let live = state
        .store
        .fetch_participant_calls(&[from, to.get()])
        .await?;
    if !live.contains(&(from, call_id.get())) {
        return Err(ApiError::Forbidden("you are no longer in this call"));
    }
    if !live.contains(&(to.get(), call_id.get())) {
        return Err(ApiError::Forbidden("the recipient is not in this call"));
    }
    let text = serde_json::to_string(frame).map_err(ApiError::internal)?;
    state.realtime.signal(to.get(), text);
    Ok(())
}

/// Declines the ring of a call: the conversation hears it (so one's other
/// devices stop ringing), and in a 1:1 DM that nobody else joined, the call
/// ends.
pub async fn decline(state: &AppState, me: UserId, call_id: CallId) -> ApiResult<()> {
    let (call, access) = member_call(state, me, call_id).await?;
    let channel = ChannelId(call.channel_id);
    let now = now_ms();
    let declined = ServerEvent::CallDeclined {
        channel_id: channel,
        call_id,
        user_id: me,
    };
    state
        .store
        .append_events(&[events::to_channel(channel, &declined)?], now)
        .await?;
    let only_the_caller = state
        .store
        .fetch_live_participants(call.id)
        .await?
        .iter()
        .all(|p| p.user_id == call.started_by);
    if access.kind == parley_shared::api::ChannelKind::Dm && only_the_caller {
        let fx = Announce::new(state, vec![call.started_by], Vec::new()).await?;
        state.store.end_call(call.id, now, &fx).await?;
        fx.done().await;
    }
    Ok(())
}

/// The calls in progress in `me`'s conversations (for HELLO).
pub async fn in_progress(state: &AppState, me: UserId) -> ApiResult<Vec<CallState>> {
    Ok(state
        .store
        .fetch_live_calls_for(me.get())
        .await?
        .iter()
        .map(|(call, participants)| call_state(call, participants))
        .collect())
}

/// STUN/TURN servers for `me`'s calls, with credentials that expire.
/// `host` is the host the client reached the API at: the embedded relay is
/// on the same machine, so the same name reaches it.
pub fn ice_servers(state: &AppState, me: UserId, host: Option<&str>) -> IceServers {
    let cfg = &state.config.calls;
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        + cfg.turn_ttl;
    let expiry_secs = expires.as_secs();
    let mut ice_servers = Vec::new();
    let (stun, turn): (Vec<String>, Vec<String>) = cfg
        .ice_urls
        .iter()
        .cloned()
        .partition(|u| u.starts_with("stun"));
    if !stun.is_empty() {
        ice_servers.push(IceServer {
            urls: stun,
            username: None,
            credential: None,
        });
    }
    if !turn.is_empty() {
        let (username, credential) = match (&cfg.turn_secret, &cfg.turn_static) {
            (Some(secret), _) => {
                let (u, p) = turn_creds::credentials(secret, me.get(), expiry_secs);
                (Some(u), Some(p))
            }
            (None, Some((u, p))) => (Some(u.clone()), Some(p.clone())),
            (None, None) => (None, None),
        };
        ice_servers.push(IceServer {
            urls: turn,
            username,
            credential,
        });
    }
    if let Some(relay) = &state.turn_relay {
        let host = cfg
            .turn_host
            .clone()
            .or_else(|| host.map(str::to_owned))
            .unwrap_or_else(|| match relay.addr.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            });
        let port = relay.addr.port();
        let (username, credential) = turn_creds::credentials(&relay.secret, me.get(), expiry_secs);
        ice_servers.push(IceServer {
            urls: vec![
                format!("stun:{host}:{port}"),
                format!("turn:{host}:{port}?transport=udp"),
            ],
            username: Some(username),
            credential: Some(credential),
        });
    }
    IceServers {
        ice_servers,
        ice_transport_policy: cfg.ice_transport_policy,
        expires_at: Timestamp::from_millis(i64::try_from(expires.as_millis()).unwrap_or(i64::MAX)),
    }
}

/// Every second: records when this node last heard from each of its
/// participants, ends the participants (on any node) not heard from for
/// the participant timeout (`PARLEY_CALL_TIMEOUT`), and refreshes the call
/// gauges.
pub async fn sweep(state: AppState) {
    let mut stop = state.realtime.shutdown_signal();
    for tick in 0u64.. {
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = stop.changed() => return,
        }
        let heard = state.realtime.calls.heard();
        if !heard.is_empty() {
            if let Err(e) = state.store.refresh_participants(&heard).await {
                tracing::warn!(error = %e, "cannot record call participants' liveness");
            }
        }
        let timeout = state.config.calls.participant_timeout.as_millis() as i64;
        let cutoff = now_ms() - timeout;
        match state.store.fetch_silent_participants(cutoff).await {
            Ok(silent) => {
                for participant in silent {
                    match leave(&state, participant).await {
                        Ok(()) => tracing::info!(participant, "call participant timed out"),
                        Err(e) => {
                            tracing::warn!(error = %e, participant, "cannot end a silent participant")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for silent call participants"),
        }
        if tick % 5 == 0 {
            if let Ok((calls, people)) = state.store.count_live_calls().await {
                state.metrics.calls_in_progress.set(calls);
                state.metrics.call_participants.set(people);
            }
        }
    }
}
