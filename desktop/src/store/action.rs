//! Everything that can change the store: REST answers, WebSocket events
//! and clicks each become one [`Action`] for `State::apply`.

use parley_shared::api::{
    Channel, CurrentUser, Message, MessagePage, ReadState, Thread, Workspace, WorkspaceMember,
};
use parley_shared::ws::ServerEvent;
use parley_shared::{CallId, ChannelId, MessageId, UserId, WorkspaceId};

use super::{Conn, PageKind, Pending};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    SignedIn(Box<CurrentUser>),
    SignedOut,
    Workspaces(Vec<Workspace>),
    SelectWorkspace(Option<WorkspaceId>),
    WorkspaceUpsert(Workspace),
    WorkspaceRemoved(WorkspaceId),
    /// Replaces the channels of one workspace (`None`: the DMs).
    Channels(Option<WorkspaceId>, Vec<Channel>),
    ChannelUpsert(Channel),
    ChannelRemoved(ChannelId),
    Members(WorkspaceId, Vec<WorkspaceMember>),
    Page(ChannelId, PageKind, MessagePage),
    ThreadOpen(MessageId),
    ThreadLoaded(Thread),
    ThreadClose,
    MessageUpsert(Message),
    Read(ReadState),
    Event(Box<ServerEvent>),
    Conn(Conn),
    SetActive(Option<ChannelId>),
    /// The page was hidden (`true`) or shown again.
    Hidden(bool),
    Focus(Option<MessageId>),
    /// An optimistic send entered the outbox.
    Queue(Pending),
    SendFailed {
        nonce: String,
        error: String,
    },
    /// The user dropped a failed send.
    Discard(String),
    /// Events may have been missed (RESYNC, or a new session after a drop):
    /// loaded history is stale, so every channel reloads when next opened.
    Resynced,
    /// Expires stale typing indicators (`now` in ms).
    Tick(i64),
    TypingSeen {
        channel_id: ChannelId,
        user_id: UserId,
        typing: bool,
        now: i64,
    },
    /// This device asked to join the call in a conversation (starting one
    /// if none is in progress).
    CallJoin {
        channel_id: ChannelId,
        video: bool,
    },
    /// What this device sends now (a missing microphone joins muted).
    CallMedia {
        muted: bool,
        video: bool,
        screen: bool,
    },
    /// This device left its call; `Some` says why it had to.
    CallLeft(Option<String>),
    /// A DM call rings here (CALL_RING, stamped with this device's clock).
    Ring {
        channel_id: ChannelId,
        call_id: CallId,
        from: UserId,
        now: i64,
    },
    /// The ringing was answered here (accepted or declined).
    RingStop,
    /// Tells (or, with `None`, dismisses) something about this device's call.
    CallNotice(Option<String>),
}
