//! The real-time protocol at `WS /api/v1/ws`: JSON text frames
//! `{"type": "...", "payload": {...}}`, one tagged enum per direction.
//!
//! Flow: the client's first frame is `AUTH {token}` (new session) or
//! `RESUME {token, session, last_seq}`; the server answers `HELLO`. Durable
//! events carry a top-level `"seq"`: a number that only grows within a
//! session (it is the server's global event-log position, so it also works
//! on another node). Reconnecting with `RESUME {session, last_seq}` replays
//! exactly the durable events after `last_seq`; outside the replay window
//! the server answers `RESYNC` and the client refetches over REST.
//! Ephemeral events (TYPING, PRESENCE) have no seq and are never replayed.

use serde::{Deserialize, Serialize};

use crate::api::{Channel, ChannelKind, Message, User, Workspace};
use crate::call::{CallState, IceCandidate};
use crate::error::ErrorCode;
use crate::ids::{CallId, ChannelId, FileId, MessageId, ParticipantId, UserId, WorkspaceId};
use crate::timestamp::Timestamp;

/// WebSocket close codes the server uses (4000–4999 are application codes).
pub mod close {
    /// Two heartbeat intervals passed without a frame from the client.
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
    /// The first frame was not a valid AUTH/RESUME, or the token is bad.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The client did not keep up; reconnect and RESUME to catch up.
    pub const SLOW_CONSUMER_RESUME: u16 = 4004;
    /// Too many frames too fast.
    pub const RATE_LIMITED: u16 = 4008;
    /// The server is shutting down; reconnect (to any node) and RESUME.
    pub const GOING_AWAY_RESUME: u16 = 1001;
}

/// Largest text frame a client may send: room for a `PRESENCE_SUBSCRIBE`
/// of [`MAX_PRESENCE_SUBSCRIPTIONS`] ids (about 22 KB) and for a message of
/// `validate::MESSAGE_MAX` characters. A larger frame is answered with
/// `ERROR payload_too_large` and changes nothing.
pub const MAX_CLIENT_FRAME_BYTES: usize = 32 * 1024;

/// Frames beyond this are not even read: the connection closes with 1009.
pub const MAX_READ_FRAME_BYTES: usize = 2 * MAX_CLIENT_FRAME_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Away,
    Offline,
}

// ------------------------------------------------------------ client → server

/// Unknown fields are refused, in the frame and in its payload, as REST
/// refuses them in request bodies: a misspelt optional field must not be
/// silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "payload",
    rename_all = "SCREAMING_SNAKE_CASE",
    deny_unknown_fields
)]
pub enum ClientFrame {
    /// First frame of a new session.
    Auth {
        token: String,
    },
    /// First frame of a reconnect: continue `session` after `last_seq`.
    Resume {
        token: String,
        session: String,
        last_seq: i64,
    },
    /// Sends a message; answered with ACK (or ERROR) carrying the nonce.
    Message {
        channel_id: ChannelId,
        content: String,
        #[serde(default)]
        nonce: Option<String>,
        #[serde(default)]
        thread_root_id: Option<MessageId>,
        /// Uploads to attach (see `SendMessageRequest::file_ids`).
        #[serde(default)]
        file_ids: Vec<FileId>,
    },
    Typing {
        channel_id: ChannelId,
        typing: bool,
    },
    ReadReceipt {
        channel_id: ChannelId,
        message_id: MessageId,
    },
    Reaction {
        message_id: MessageId,
        emoji: String,
        /// true removes the reaction.
        #[serde(default)]
        remove: bool,
    },
    /// Joins a public channel (same rules as REST).
    JoinChannel {
        channel_id: ChannelId,
    },
    LeaveChannel {
        channel_id: ChannelId,
    },
    /// Heartbeat; answered with PONG.
    Ping,
    /// Reports idleness: `away` after 5 idle minutes, `online` when back.
    Presence {
        status: PresenceStatus,
    },
    /// Whose presence this session wants to hear about (replaces the
    /// previous set; at most [`MAX_PRESENCE_SUBSCRIPTIONS`]). The server
    /// answers with the current status of each who is online or away.
    /// Presence is opt-in so a 10,000-person workspace does not send every
    /// login to everyone.
    PresenceSubscribe {
        user_ids: Vec<UserId>,
    },
    /// Joins the call in a conversation, starting one if none is in
    /// progress; answered with `CALL_JOINED`. Joining while in another call
    /// leaves that one; joining the call one is in on another device moves
    /// there.
    CallJoin {
        channel_id: ChannelId,
        /// false joins muted.
        #[serde(default = "yes")]
        audio: bool,
        #[serde(default)]
        video: bool,
    },
    CallLeave {
        call_id: CallId,
    },
    /// What this participant sends now (shown to everyone in the call).
    CallUpdate {
        call_id: CallId,
        muted: bool,
        video: bool,
        screen: bool,
    },
    /// An SDP offer for one other participant of the same call.
    CallOffer {
        call_id: CallId,
        to: ParticipantId,
        sdp: String,
    },
    CallAnswer {
        call_id: CallId,
        to: ParticipantId,
        sdp: String,
    },
    /// A trickled ICE candidate for one other participant (the seed's name).
    IceCandidate {
        call_id: CallId,
        to: ParticipantId,
        candidate: IceCandidate,
    },
    /// Declines a `CALL_RING` (stops the ringing on one's other devices;
    /// in a 1:1 DM it ends the call nobody else joined).
    CallDecline {
        call_id: CallId,
    },
}

fn yes() -> bool {
    true
}

/// The most users one session may follow the presence of.
pub const MAX_PRESENCE_SUBSCRIPTIONS: usize = 1000;

// ------------------------------------------------------------ server → client

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelState {
    pub channel_id: ChannelId,
    pub last_seq: i64,
    pub last_read_seq: i64,
    pub unread_count: u64,
    pub mention_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub session: String,
    pub user_id: UserId,
    pub heartbeat_interval_ms: u64,
    /// The event-log position this session starts from (RESUME from here).
    pub seq: i64,
    pub channels: Vec<ChannelState>,
    /// True when this HELLO continues a session (missed events follow).
    pub resumed: bool,
    /// The calls in progress in the conversations this session is in.
    #[serde(default)]
    pub calls: Vec<CallState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceUpdate {
    pub user_id: UserId,
    pub status: PresenceStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelWithMembers {
    pub channel: Channel,
    pub member_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerEvent {
    Hello(Hello),
    /// The session cannot be resumed: refetch state over REST, then AUTH anew.
    Resync {
        reason: String,
    },
    /// A MESSAGE frame was stored.
    Ack {
        nonce: Option<String>,
        id: MessageId,
        channel_id: ChannelId,
        seq: i64,
    },
    /// A frame was refused; nothing changed. `nonce` echoes a MESSAGE's nonce.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default)]
        nonce: Option<String>,
    },
    Pong,
    /// A new message or thread reply.
    Message(Message),
    /// Edited (or otherwise changed) message.
    MessageUpdated(Message),
    MessageDeleted {
        channel_id: ChannelId,
        message_id: MessageId,
    },
    Reaction {
        channel_id: ChannelId,
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
        added: bool,
    },
    MessagePinned {
        channel_id: ChannelId,
        message_id: MessageId,
        pinned_by: Option<UserId>,
        pinned_at: Option<Timestamp>,
    },
    ReadReceipt {
        channel_id: ChannelId,
        user_id: UserId,
        message_id: MessageId,
        last_read_seq: i64,
    },
    ChannelCreated(ChannelWithMembers),
    ChannelUpdated(Channel),
    ChannelArchived {
        channel_id: ChannelId,
    },
    MemberJoined {
        channel_id: ChannelId,
        user: User,
    },
    MemberLeft {
        channel_id: ChannelId,
        user_id: UserId,
    },
    WorkspaceUpdated(Workspace),
    WorkspaceMemberJoined {
        workspace_id: WorkspaceId,
        user: User,
    },
    WorkspaceMemberLeft {
        workspace_id: WorkspaceId,
        user_id: UserId,
    },
    UserUpdated(User),
    Typing {
        channel_id: ChannelId,
        user_id: UserId,
        typing: bool,
    },
    Presence(PresenceUpdate),
    /// Something that deserves the user's attention (a mention, a DM).
    Notification {
        channel_id: ChannelId,
        message: Message,
        reason: NotificationReason,
    },
    /// The answer to `CALL_JOIN`: this connection is `participant_id` in
    /// `call`. The newcomer offers to every other participant listed.
    CallJoined {
        call: CallState,
        participant_id: ParticipantId,
    },
    /// A call started or changed (someone joined, left, muted, shared).
    CallState(CallState),
    /// A call started in a DM one is in: ring.
    CallRing {
        channel_id: ChannelId,
        call_id: CallId,
        from: UserId,
        started_at: Timestamp,
    },
    /// Someone declined the ring of a DM call.
    CallDeclined {
        channel_id: ChannelId,
        call_id: CallId,
        user_id: UserId,
    },
    /// The last participant left.
    CallEnded {
        channel_id: ChannelId,
        call_id: CallId,
        ended_at: Timestamp,
        duration_ms: u64,
        /// Everyone who took part, in the order they first joined.
        participants: Vec<UserId>,
    },
    /// Relayed from participant `from` (to this connection only).
    CallOffer {
        call_id: CallId,
        from: ParticipantId,
        from_user: UserId,
        sdp: String,
    },
    CallAnswer {
        call_id: CallId,
        from: ParticipantId,
        from_user: UserId,
        sdp: String,
    },
    IceCandidate {
        call_id: CallId,
        from: ParticipantId,
        from_user: UserId,
        candidate: IceCandidate,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationReason {
    Mention,
    DirectMessage,
    ChannelMessage,
    /// The message contains one of the person's notification keywords.
    Keyword,
}

impl NotificationReason {
    /// A notification's title, the same on every client and in Web Push.
    /// `who` is the author's name; `place` is the channel's name, or for a
    /// group DM the other members' names. A mention inside a DM is still a
    /// DM: it names the people, never a "#channel".
    pub fn title(self, kind: ChannelKind, who: &str, place: &str) -> String {
        match (kind, self) {
            (ChannelKind::GroupDm, _) => format!("{who} in {place}"),
            (ChannelKind::Dm, _) | (_, Self::DirectMessage) => who.to_owned(),
            (_, Self::Mention) => format!("{who} mentioned you in #{place}"),
            (_, Self::ChannelMessage | Self::Keyword) => format!("{who} in #{place}"),
        }
    }
}

/// What the client receives: an event plus, for durable events, its seq.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    #[serde(flatten)]
    pub event: ServerEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_refuse_unknown_fields() {
        let ok = r#"{"type":"TYPING","payload":{"channel_id":"5","typing":true}}"#;
        assert!(serde_json::from_str::<ClientFrame>(ok).is_ok());
        for bad in [
            r#"{"type":"TYPING","payload":{"channel_id":"5","typing":true,"tpying":false}}"#,
            r#"{"type":"TYPING","payload":{"channel_id":"5","typing":true},"extra":1}"#,
            r#"{"type":"MESSAGE","payload":{"channel_id":"5","content":"x","thread_root":"7"}}"#,
            r#"{"type":"PING","pad":"x"}"#,
        ] {
            assert!(serde_json::from_str::<ClientFrame>(bad).is_err(), "{bad}");
        }
        // A frame without a payload keeps working.
        assert_eq!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"PING"}"#).ok(),
            Some(ClientFrame::Ping)
        );
    }

    #[test]
    fn a_mention_in_a_dm_is_titled_as_a_dm() {
        let title = |reason: NotificationReason, kind| reason.title(kind, "Jun", "Jun");
        assert_eq!(title(NotificationReason::Mention, ChannelKind::Dm), "Jun");
        assert_eq!(
            title(NotificationReason::DirectMessage, ChannelKind::Dm),
            "Jun"
        );
        for reason in [
            NotificationReason::Mention,
            NotificationReason::DirectMessage,
        ] {
            assert_eq!(
                reason.title(ChannelKind::GroupDm, "Jun", "Jun, Ann"),
                "Jun in Jun, Ann"
            );
        }
        assert_eq!(
            NotificationReason::Mention.title(ChannelKind::Public, "Jun", "general"),
            "Jun mentioned you in #general"
        );
        assert_eq!(
            NotificationReason::ChannelMessage.title(ChannelKind::Private, "Jun", "plan"),
            "Jun in #plan"
        );
    }

    #[test]
    fn client_frames_use_the_seed_names() {
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"TYPING","payload":{"channel_id":"5","typing":true}}"#)
                .unwrap();
        assert_eq!(
            f,
            ClientFrame::Typing {
                channel_id: ChannelId(5),
                typing: true
            }
        );
        let ping: ClientFrame = serde_json::from_str(r#"{"type":"PING"}"#).unwrap();
        assert_eq!(ping, ClientFrame::Ping);
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"SHOUT","payload":{}}"#).is_err());
        let r = serde_json::to_string(&ClientFrame::ReadReceipt {
            channel_id: ChannelId(1),
            message_id: MessageId(2),
        })
        .unwrap();
        assert_eq!(
            r,
            r#"{"type":"READ_RECEIPT","payload":{"channel_id":"1","message_id":"2"}}"#
        );
    }

    #[test]
    fn server_frames_carry_seq_beside_type_and_payload() {
        let frame = ServerFrame {
            seq: Some(42),
            event: ServerEvent::MessageDeleted {
                channel_id: ChannelId(1),
                message_id: MessageId(2),
            },
        };
        let json = serde_json::to_string(&frame).unwrap();
        assert_eq!(
            json,
            r#"{"seq":42,"type":"MESSAGE_DELETED","payload":{"channel_id":"1","message_id":"2"}}"#
        );
        assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
        let pong = serde_json::to_string(&ServerFrame {
            seq: None,
            event: ServerEvent::Pong,
        })
        .unwrap();
        assert_eq!(pong, r#"{"type":"PONG"}"#);
        assert_eq!(
            serde_json::from_str::<ServerFrame>(&pong).unwrap().event,
            ServerEvent::Pong
        );
    }
}
