//! The store's state: the slices, the types they hold and the read-only
//! queries the components use. Nothing here changes state except the small
//! helpers the reducer modules share; large slices sit behind `Rc`.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use parley_shared::api::{Channel, CurrentUser, Message, User, Workspace};
use parley_shared::call::CallState;
use parley_shared::mention::{self, Mention};
use parley_shared::ws::PresenceStatus;
use parley_shared::{CallId, ChannelId, MessageId, ParticipantId, Timestamp, UserId, WorkspaceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conn {
    #[default]
    Connecting,
    Online,
    /// Lost the socket; reconnecting in the background.
    Offline,
}

/// A message the user sent that the server has not confirmed yet (kept
/// in the platform's storage until then, see `ws.rs`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub nonce: String,
    pub channel_id: ChannelId,
    pub thread_root_id: Option<MessageId>,
    pub content: String,
    /// Uploaded files it carries.
    pub files: Vec<parley_shared::api::FileInfo>,
    pub created_at: Timestamp,
    /// Set when the server refused it (shown with a retry button).
    pub error: Option<String>,
}

/// One channel's loaded slice of history (main timeline, no thread replies).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// Sorted by seq, no duplicates.
    pub messages: Vec<Message>,
    pub has_more_before: bool,
    /// True when the slice is an older window (after a search jump); live
    /// messages are then not appended, "Jump to latest" reloads instead.
    pub has_more_after: bool,
    pub loaded: bool,
}

impl Timeline {
    pub(super) fn upsert(&mut self, m: Message) {
        match self.messages.binary_search_by_key(&m.seq, |x| x.seq) {
            Ok(i) => self.messages[i] = m,
            Err(i) => self.messages.insert(i, m),
        }
    }

    pub(super) fn find_mut(&mut self, id: MessageId) -> Option<&mut Message> {
        self.messages.iter_mut().find(|m| m.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThreadView {
    pub root: Option<Message>,
    pub replies: Vec<Message>,
    pub loaded: bool,
}

/// How a history page joins what is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// The newest page: replaces the slice.
    Latest,
    /// Older messages: prepended.
    Before,
    /// Newer messages: appended.
    After,
    /// A window around a seq (search jump): replaces the slice.
    Around,
}

/// Where this device's call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPhase {
    /// CALL_JOIN is on its way (or waits for the socket); no participant yet.
    Joining,
    /// CALL_JOINED came: media flows to the others.
    InCall,
    /// The socket dropped: the server let the participant go, so the client
    /// joins again (and renegotiates) once it is back.
    Reconnecting,
}

/// The call this device takes part in (one at a time).
#[derive(Debug, Clone, PartialEq)]
pub struct MyCall {
    pub channel_id: ChannelId,
    /// Known from CALL_JOINED on.
    pub call_id: Option<CallId>,
    /// This connection in the call; a new one after every rejoin.
    pub me: Option<ParticipantId>,
    pub phase: CallPhase,
    pub muted: bool,
    pub video: bool,
    pub screen: bool,
}

/// A DM call ringing on this device.
#[derive(Debug, Clone, PartialEq)]
pub struct Ringing {
    pub channel_id: ChannelId,
    pub call_id: CallId,
    pub from: UserId,
    /// When it stops by itself (ms, this device's clock).
    pub until_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub me: Option<CurrentUser>,
    pub workspaces: Vec<Workspace>,
    pub workspace: Option<WorkspaceId>,
    /// Channels of every workspace plus DMs, by id.
    pub channels: Rc<BTreeMap<ChannelId, Channel>>,
    pub timelines: HashMap<ChannelId, Rc<Timeline>>,
    pub thread: Option<(MessageId, Rc<ThreadView>)>,
    pub users: Rc<HashMap<UserId, User>>,
    /// Members of each workspace (for mentions, DMs, the member list).
    pub members: HashMap<WorkspaceId, Rc<Vec<UserId>>>,
    pub presence: Rc<HashMap<UserId, PresenceStatus>>,
    /// Channel → (user, expires at ms).
    pub typing: HashMap<ChannelId, Vec<(UserId, i64)>>,
    pub pending: Vec<Pending>,
    pub conn: Conn,
    /// The channel on screen: it gets no unread badge while the page can
    /// be seen.
    pub active: Option<ChannelId>,
    /// The page cannot be seen (the desktop window in the tray, a browser
    /// tab in the background): nothing on it is being read.
    pub hidden: bool,
    /// The message to scroll to and flash (search jump).
    pub focus: Option<MessageId>,
    /// Calls in progress in the conversations one can see.
    pub calls: Rc<BTreeMap<ChannelId, CallState>>,
    /// The call this device is in.
    pub call: Option<MyCall>,
    pub ringing: Option<Ringing>,
    /// Why this device's call ended or could not start, until dismissed.
    pub call_notice: Option<String>,
}

impl State {
    pub fn me_id(&self) -> Option<UserId> {
        self.me.as_ref().map(|m| m.profile.id)
    }

    pub fn timeline(&self, c: ChannelId) -> Option<&Timeline> {
        self.timelines.get(&c).map(|t| &**t)
    }

    /// Channels of the selected workspace, sorted by name.
    pub fn workspace_channels(&self) -> Vec<&Channel> {
        let mut v: Vec<&Channel> = self
            .channels
            .values()
            .filter(|c| c.workspace_id.is_some() && c.workspace_id == self.workspace)
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// DMs, most recently active first.
    /// When the account's notification pause (do not disturb) ends, if it
    /// is still on at `now`.
    pub fn paused_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.me
            .as_ref()
            .and_then(|me| me.preferences.mute_until)
            .filter(|t| *t > now)
    }

    pub fn dms(&self) -> Vec<&Channel> {
        let mut v: Vec<&Channel> = self
            .channels
            .values()
            .filter(|c| c.workspace_id.is_none())
            .collect();
        v.sort_by(|a, b| {
            b.last_message_at
                .unwrap_or(b.created_at)
                .cmp(&a.last_message_at.unwrap_or(a.created_at))
        });
        v
    }

    /// The call in progress in a conversation, if any.
    pub fn call_in(&self, c: ChannelId) -> Option<&CallState> {
        self.calls.get(&c)
    }

    /// Whether this device is in the call in `c` (or joining it).
    pub fn in_call_at(&self, c: ChannelId) -> bool {
        self.call.as_ref().is_some_and(|m| m.channel_id == c)
    }

    pub fn typing_in(&self, c: ChannelId) -> Vec<UserId> {
        self.typing
            .get(&c)
            .map(|v| v.iter().map(|(u, _)| *u).collect())
            .unwrap_or_default()
    }

    pub(super) fn remember_user(&mut self, u: &User) {
        if self.users.get(&u.id) != Some(u) {
            Rc::make_mut(&mut self.users).insert(u.id, u.clone());
        }
    }

    /// Does this message mention me (by name, @channel or @here)?
    pub fn mentions_me(&self, content: &str) -> bool {
        let Some(me) = &self.me else { return false };
        mention::parse(content).iter().any(|m| match m {
            Mention::User(n) => *n == me.profile.username,
            Mention::Channel | Mention::Here => true,
        })
    }

    pub(super) fn timeline_mut(&mut self, c: ChannelId) -> &mut Timeline {
        Rc::make_mut(self.timelines.entry(c).or_default())
    }

    /// The channel the person is reading right now: the active one, while
    /// the page can be seen.
    pub(super) fn reading(&self) -> Option<ChannelId> {
        self.active.filter(|_| !self.hidden)
    }

    /// The channel being read shows no unread badge.
    pub(super) fn clear_reading_badge(&mut self) {
        if let Some(ch) = self
            .reading()
            .and_then(|c| Rc::make_mut(&mut self.channels).get_mut(&c))
        {
            ch.unread_count = 0;
            ch.mention_count = 0;
        }
    }
}
