//! The one client-side store: a plain state struct and a pure reducer.
//!
//! Every change — a REST answer, a WebSocket event, a click — becomes an
//! [`Action`], and [`State::apply`] is the only code that mutates state.
//! Keeping it free of browser calls lets the host run its tests, and the
//! large slices sit behind `Rc` so Yew's copy-on-write clones stay cheap.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use parley_shared::api::{
    Channel, CurrentUser, Message, MessagePage, ReadState, Thread, User, Workspace, WorkspaceMember,
};
use parley_shared::mention::{self, Mention};
use parley_shared::ws::{Hello, PresenceStatus, ServerEvent};
use parley_shared::{ChannelId, MessageId, Timestamp, UserId, WorkspaceId};

/// Typing indicators nobody renews vanish after this long (the server also
/// sends `typing: false`, but a dropped connection must not leave one behind).
pub const TYPING_TTL_MS: i64 = 6_000;

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
    fn upsert(&mut self, m: Message) {
        match self.messages.binary_search_by_key(&m.seq, |x| x.seq) {
            Ok(i) => self.messages[i] = m,
            Err(i) => self.messages.insert(i, m),
        }
    }

    fn find_mut(&mut self, id: MessageId) -> Option<&mut Message> {
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
}

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

    pub fn typing_in(&self, c: ChannelId) -> Vec<UserId> {
        self.typing
            .get(&c)
            .map(|v| v.iter().map(|(u, _)| *u).collect())
            .unwrap_or_default()
    }

    fn remember_user(&mut self, u: &User) {
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

    fn timeline_mut(&mut self, c: ChannelId) -> &mut Timeline {
        Rc::make_mut(self.timelines.entry(c).or_default())
    }

    /// The channel the person is reading right now: the active one, while
    /// the page can be seen.
    fn reading(&self) -> Option<ChannelId> {
        self.active.filter(|_| !self.hidden)
    }

    /// The channel being read shows no unread badge.
    fn clear_reading_badge(&mut self) {
        if let Some(ch) = self
            .reading()
            .and_then(|c| Rc::make_mut(&mut self.channels).get_mut(&c))
        {
            ch.unread_count = 0;
            ch.mention_count = 0;
        }
    }

    fn on_new_message(&mut self, m: Message) {
        self.remember_user(&m.author);
        let mine = Some(m.author.id) == self.me_id();
        if let Some(nonce) = &m.nonce {
            if mine {
                self.pending.retain(|p| &p.nonce != nonce);
            }
        }
        if let Some(root) = m.thread_root_id {
            for t in self.timelines.values_mut() {
                if t.messages.iter().any(|x| x.id == root) {
                    let t = Rc::make_mut(t);
                    if let Some(r) = t.find_mut(root) {
                        // A replayed event must not count twice.
                        let seen = r.last_reply_at.is_some_and(|at| at >= m.created_at);
                        if !seen {
                            r.reply_count += 1;
                            r.last_reply_at = Some(m.created_at);
                        }
                    }
                }
            }
            if let Some((id, view)) = &mut self.thread {
                if *id == root {
                    let v = Rc::make_mut(view);
                    if !v.replies.iter().any(|r| r.id == m.id) {
                        v.replies.push(m.clone());
                        v.replies.sort_by_key(|r| r.seq);
                    }
                    if let Some(r) = v.root.as_mut() {
                        r.reply_count = r.reply_count.max(v.replies.len() as u64);
                    }
                }
            }
        }
        let mentioned = !mine && self.mentions_me(&m.content);
        let reading = self.reading() == Some(m.channel_id);
        if let Some(c) = Rc::make_mut(&mut self.channels).get_mut(&m.channel_id) {
            if m.seq > c.last_seq {
                c.last_seq = m.seq;
                c.last_message_at = Some(m.created_at);
                if mine {
                    c.last_read_seq = m.seq;
                } else if !reading && m.thread_root_id.is_none() {
                    c.unread_count += 1;
                    if mentioned {
                        c.mention_count += 1;
                    }
                }
            }
        }
        if m.thread_root_id.is_none() {
            // The open channel keeps what arrives while its page is still
            // on the way (a page cut before this message would otherwise
            // hide it, an own send acknowledged meanwhile too); other
            // channels load fresh when opened.
            let open = self.active == Some(m.channel_id);
            match self.timelines.get_mut(&m.channel_id) {
                Some(t) if !t.has_more_after && (t.loaded || open) => Rc::make_mut(t).upsert(m),
                None if open => self.timeline_mut(m.channel_id).upsert(m),
                _ => {}
            }
        }
    }

    fn on_updated(&mut self, m: Message) {
        self.remember_user(&m.author);
        if let Some(t) = self.timelines.get_mut(&m.channel_id) {
            if t.messages.iter().any(|x| x.id == m.id) {
                let t = Rc::make_mut(t);
                if let Some(x) = t.find_mut(m.id) {
                    *x = m.clone();
                }
            }
        }
        if let Some((_, view)) = &mut self.thread {
            if view.root.as_ref().is_some_and(|r| r.id == m.id)
                || view.replies.iter().any(|r| r.id == m.id)
            {
                let v = Rc::make_mut(view);
                if let Some(r) = v.root.as_mut().filter(|r| r.id == m.id) {
                    *r = m.clone();
                }
                if let Some(r) = v.replies.iter_mut().find(|r| r.id == m.id) {
                    *r = m;
                }
            }
        }
    }

    /// Applies `f` to every loaded copy of a message (timeline and thread).
    fn edit_message(&mut self, channel: ChannelId, id: MessageId, f: impl Fn(&mut Message)) {
        if let Some(t) = self.timelines.get_mut(&channel) {
            if t.messages.iter().any(|x| x.id == id) {
                if let Some(x) = Rc::make_mut(t).find_mut(id) {
                    f(x);
                }
            }
        }
        if let Some((_, view)) = &mut self.thread {
            let hit = view.root.as_ref().is_some_and(|r| r.id == id)
                || view.replies.iter().any(|r| r.id == id);
            if hit {
                let v = Rc::make_mut(view);
                if let Some(r) = v.root.as_mut().filter(|r| r.id == id) {
                    f(r);
                }
                if let Some(r) = v.replies.iter_mut().find(|r| r.id == id) {
                    f(r);
                }
            }
        }
    }

    fn on_event(&mut self, ev: ServerEvent) {
        match ev {
            ServerEvent::Hello(h) => self.on_hello(&h),
            ServerEvent::Message(m) => self.on_new_message(m),
            ServerEvent::MessageUpdated(m) => self.on_updated(m),
            ServerEvent::MessageDeleted {
                channel_id,
                message_id,
            } => self.edit_message(channel_id, message_id, |m| {
                m.deleted = true;
                m.content.clear();
                m.reactions.clear();
            }),
            ServerEvent::Reaction {
                channel_id,
                message_id,
                user_id,
                emoji,
                added,
            } => self.edit_message(channel_id, message_id, |m| {
                apply_reaction(m, user_id, &emoji, added);
            }),
            ServerEvent::MessagePinned {
                channel_id,
                message_id,
                pinned_by,
                pinned_at,
            } => self.edit_message(channel_id, message_id, |m| {
                m.pinned_by = pinned_by;
                m.pinned_at = pinned_at;
            }),
            ServerEvent::ReadReceipt {
                channel_id,
                user_id,
                last_read_seq,
                ..
            } if Some(user_id) == self.me_id() => {
                if let Some(c) = Rc::make_mut(&mut self.channels).get_mut(&channel_id) {
                    if last_read_seq > c.last_read_seq {
                        c.last_read_seq = last_read_seq;
                    }
                    if c.last_read_seq >= c.last_seq {
                        c.unread_count = 0;
                        c.mention_count = 0;
                    }
                }
            }
            ServerEvent::ChannelCreated(cw) => {
                let mut channel = cw.channel;
                for u in channel.members.iter().flatten() {
                    self.remember_user(u);
                }
                // The event names the members by id only, but a DM is titled
                // by its members' names: without their profiles the sidebar
                // would show a DM someone else started as a bare "@".
                if channel.members.is_none() && crate::util::is_dm(&channel) {
                    let known = cw
                        .member_ids
                        .iter()
                        .filter_map(|id| self.users.get(id).cloned())
                        .collect();
                    channel.members = Some(known);
                }
                // The broadcast copy is viewer-neutral; we are a member when
                // the event names us.
                if self.me_id().is_some_and(|me| cw.member_ids.contains(&me)) {
                    channel.is_member = true;
                }
                Rc::make_mut(&mut self.channels).insert(channel.id, channel);
            }
            ServerEvent::ChannelUpdated(c) => {
                let chans = Rc::make_mut(&mut self.channels);
                // The event carries the sender's view of counts; keep ours.
                let merged = match chans.get(&c.id) {
                    Some(old) => Channel {
                        is_member: old.is_member,
                        last_read_seq: old.last_read_seq,
                        unread_count: old.unread_count,
                        mention_count: old.mention_count,
                        members: c.members.clone().or_else(|| old.members.clone()),
                        ..c
                    },
                    None => c,
                };
                chans.insert(merged.id, merged);
            }
            ServerEvent::ChannelArchived { channel_id } => {
                Rc::make_mut(&mut self.channels).remove(&channel_id);
                self.timelines.remove(&channel_id);
            }
            ServerEvent::MemberJoined { channel_id, user } => {
                let me = Some(user.id) == self.me_id();
                self.remember_user(&user);
                if let Some(c) = Rc::make_mut(&mut self.channels).get_mut(&channel_id) {
                    c.member_count += 1;
                    if me {
                        c.is_member = true;
                    }
                }
            }
            ServerEvent::MemberLeft {
                channel_id,
                user_id,
            } => {
                let me = Some(user_id) == self.me_id();
                let chans = Rc::make_mut(&mut self.channels);
                if let Some(c) = chans.get_mut(&channel_id) {
                    c.member_count = c.member_count.saturating_sub(1);
                    if me {
                        c.is_member = false;
                        if c.kind != parley_shared::api::ChannelKind::Public {
                            chans.remove(&channel_id);
                        }
                    }
                }
            }
            ServerEvent::WorkspaceUpdated(w) => self.upsert_workspace(w),
            ServerEvent::WorkspaceMemberJoined { workspace_id, user } => {
                self.remember_user(&user);
                let list = Rc::make_mut(self.members.entry(workspace_id).or_default());
                if !list.contains(&user.id) {
                    list.push(user.id);
                }
            }
            ServerEvent::WorkspaceMemberLeft {
                workspace_id,
                user_id,
            } => {
                if Some(user_id) == self.me_id() {
                    self.remove_workspace(workspace_id);
                } else if let Some(list) = self.members.get_mut(&workspace_id) {
                    Rc::make_mut(list).retain(|u| *u != user_id);
                }
            }
            ServerEvent::UserUpdated(u) => {
                if let Some(me) = self.me.as_mut().filter(|m| m.profile.id == u.id) {
                    me.profile = u.clone();
                }
                self.remember_user(&u);
            }
            ServerEvent::Presence(p) => {
                Rc::make_mut(&mut self.presence).insert(p.user_id, p.status);
            }
            ServerEvent::Ack {
                nonce: Some(nonce), ..
            } => {
                // The MESSAGE event carries the stored copy; the ACK only
                // proves the send landed, so the outbox entry may go.
                self.pending.retain(|p| p.nonce != nonce);
            }
            ServerEvent::Error {
                nonce: Some(nonce),
                message,
                ..
            } => {
                if let Some(p) = self.pending.iter_mut().find(|p| p.nonce == nonce) {
                    p.error = Some(message);
                }
            }
            // Typing needs the clock; the WS client turns it into TypingSeen.
            _ => {}
        }
    }

    fn on_hello(&mut self, h: &Hello) {
        self.conn = Conn::Online;
        let reading = self.reading();
        let chans = Rc::make_mut(&mut self.channels);
        for s in &h.channels {
            if let Some(c) = chans.get_mut(&s.channel_id) {
                c.last_seq = s.last_seq;
                c.last_read_seq = s.last_read_seq;
                let read_now = reading == Some(s.channel_id);
                c.unread_count = if read_now { 0 } else { s.unread_count };
                c.mention_count = if read_now { 0 } else { s.mention_count };
            }
        }
    }

    fn upsert_workspace(&mut self, w: Workspace) {
        match self.workspaces.iter_mut().find(|x| x.id == w.id) {
            Some(x) => *x = w,
            None => self.workspaces.push(w),
        }
        self.workspaces.sort_by_key(|w| w.name.to_lowercase());
    }

    fn remove_workspace(&mut self, id: WorkspaceId) {
        self.workspaces.retain(|w| w.id != id);
        Rc::make_mut(&mut self.channels).retain(|_, c| c.workspace_id != Some(id));
        self.members.remove(&id);
        if self.workspace == Some(id) {
            self.workspace = self.workspaces.first().map(|w| w.id);
        }
    }

    /// The reducer.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SignedIn(me) => {
                self.remember_user(&me.profile);
                self.me = Some(*me);
            }
            Action::SignedOut => *self = State::default(),
            Action::Workspaces(list) => {
                self.workspaces.clear();
                for w in list {
                    self.upsert_workspace(w);
                }
                if self
                    .workspace
                    .is_none_or(|id| !self.workspaces.iter().any(|w| w.id == id))
                {
                    self.workspace = self.workspaces.first().map(|w| w.id);
                }
            }
            Action::SelectWorkspace(id) => self.workspace = id,
            Action::WorkspaceUpsert(w) => {
                let id = w.id;
                self.upsert_workspace(w);
                if self.workspace.is_none() {
                    self.workspace = Some(id);
                }
            }
            Action::WorkspaceRemoved(id) => self.remove_workspace(id),
            Action::Channels(ws, list) => {
                let chans = Rc::make_mut(&mut self.channels);
                chans.retain(|_, c| c.workspace_id != ws);
                for c in list {
                    for u in c.members.iter().flatten() {
                        if self.users.get(&u.id) != Some(u) {
                            Rc::make_mut(&mut self.users).insert(u.id, u.clone());
                        }
                    }
                    chans.insert(c.id, c);
                }
            }
            Action::ChannelUpsert(c) => {
                for u in c.members.iter().flatten() {
                    self.remember_user(u);
                }
                Rc::make_mut(&mut self.channels).insert(c.id, c);
            }
            Action::ChannelRemoved(id) => {
                Rc::make_mut(&mut self.channels).remove(&id);
                self.timelines.remove(&id);
            }
            Action::Members(ws, list) => {
                let ids = list.iter().map(|m| m.user.id).collect();
                for m in &list {
                    self.remember_user(&m.user);
                }
                self.members.insert(ws, Rc::new(ids));
            }
            Action::Page(channel, kind, page) => {
                for m in &page.messages {
                    self.remember_user(&m.author);
                }
                let t = self.timeline_mut(channel);
                match kind {
                    PageKind::Latest | PageKind::Around => {
                        // A page reaching the present was cut when it was
                        // asked for: what arrived live since then is newer.
                        let cut = page.messages.last().map_or(0, |m| m.seq);
                        let newer: Vec<Message> = if page.has_more_after {
                            Vec::new()
                        } else {
                            t.messages.drain(..).filter(|m| m.seq > cut).collect()
                        };
                        t.messages = page.messages;
                        t.has_more_before = page.has_more_before;
                        t.has_more_after = page.has_more_after;
                        for m in newer {
                            t.upsert(m);
                        }
                    }
                    PageKind::Before => {
                        t.has_more_before = page.has_more_before;
                        for m in page.messages {
                            t.upsert(m);
                        }
                    }
                    PageKind::After => {
                        t.has_more_after = page.has_more_after;
                        for m in page.messages {
                            t.upsert(m);
                        }
                    }
                }
                t.loaded = true;
            }
            Action::ThreadOpen(id) => {
                let root = self
                    .timelines
                    .values()
                    .find_map(|t| t.messages.iter().find(|m| m.id == id).cloned());
                self.thread = Some((
                    id,
                    Rc::new(ThreadView {
                        root,
                        replies: Vec::new(),
                        loaded: false,
                    }),
                ));
            }
            Action::ThreadLoaded(th) => {
                if self
                    .thread
                    .as_ref()
                    .is_some_and(|(id, _)| *id == th.root.id)
                {
                    self.remember_user(&th.root.author);
                    for r in &th.replies {
                        self.remember_user(&r.author);
                    }
                    self.thread = Some((
                        th.root.id,
                        Rc::new(ThreadView {
                            root: Some(th.root),
                            replies: th.replies,
                            loaded: true,
                        }),
                    ));
                }
            }
            Action::ThreadClose => self.thread = None,
            Action::MessageUpsert(m) => {
                if self
                    .timeline(m.channel_id)
                    .is_some_and(|t| t.messages.iter().any(|x| x.id == m.id))
                    || self.thread.as_ref().is_some_and(|(_, v)| {
                        v.replies.iter().any(|r| r.id == m.id)
                            || v.root.as_ref().is_some_and(|r| r.id == m.id)
                    })
                {
                    self.on_updated(m);
                } else {
                    self.on_new_message(m);
                }
            }
            Action::Read(r) => {
                if let Some(c) = Rc::make_mut(&mut self.channels).get_mut(&r.channel_id) {
                    c.last_read_seq = r.last_read_seq;
                    c.unread_count = r.unread_count;
                    c.mention_count = r.mention_count;
                }
            }
            Action::Event(ev) => self.on_event(*ev),
            Action::Conn(c) => self.conn = c,
            Action::SetActive(c) => {
                self.active = c;
                self.clear_reading_badge();
            }
            Action::Hidden(h) => {
                self.hidden = h;
                self.clear_reading_badge();
            }
            Action::Focus(m) => self.focus = m,
            Action::Queue(p) => match self.pending.iter_mut().find(|x| x.nonce == p.nonce) {
                Some(x) => *x = p,
                None => self.pending.push(p),
            },
            Action::SendFailed { nonce, error } => {
                if let Some(p) = self.pending.iter_mut().find(|p| p.nonce == nonce) {
                    p.error = Some(error);
                }
            }
            Action::Discard(nonce) => self.pending.retain(|p| p.nonce != nonce),
            Action::Resynced => {
                self.timelines.clear();
                self.typing.clear();
            }
            Action::Tick(now) => {
                self.typing.retain(|_, v| {
                    v.retain(|(_, exp)| *exp > now);
                    !v.is_empty()
                });
            }
            Action::TypingSeen {
                channel_id,
                user_id,
                typing,
                now,
            } => {
                let list = self.typing.entry(channel_id).or_default();
                list.retain(|(u, _)| *u != user_id);
                if typing {
                    list.push((user_id, now + TYPING_TTL_MS));
                }
                if list.is_empty() {
                    self.typing.remove(&channel_id);
                }
            }
        }
    }
}

/// Adds or removes one user's reaction on a loaded message.
pub fn apply_reaction(m: &mut Message, user: UserId, emoji: &str, added: bool) {
    let idx = m.reactions.iter().position(|r| r.emoji == emoji);
    match (idx, added) {
        (Some(i), true) => {
            let r = &mut m.reactions[i];
            if !r.user_ids.contains(&user) {
                r.user_ids.push(user);
                r.count += 1;
            }
        }
        (None, true) => m.reactions.push(parley_shared::api::ReactionGroup {
            emoji: emoji.to_owned(),
            count: 1,
            user_ids: vec![user],
        }),
        (Some(i), false) => {
            let r = &mut m.reactions[i];
            if let Some(p) = r.user_ids.iter().position(|u| *u == user) {
                r.user_ids.remove(p);
                r.count = r.count.saturating_sub(1);
            }
            if r.count == 0 {
                m.reactions.remove(i);
            }
        }
        (None, false) => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use parley_shared::api::{ChannelKind, NotifyLevel, Preferences, Theme};

    pub fn user(id: i64, name: &str) -> User {
        User {
            id: UserId(id),
            username: name.into(),
            display_name: name.into(),
            bio: String::new(),
            timezone: String::new(),
            status: None,
            avatar_url: None,
            created_at: Timestamp(0),
        }
    }

    pub fn channel(id: i64, ws: i64, name: &str) -> Channel {
        Channel {
            id: ChannelId(id),
            workspace_id: Some(WorkspaceId(ws)),
            kind: ChannelKind::Public,
            name: name.into(),
            topic: String::new(),
            purpose: String::new(),
            created_by: UserId(1),
            created_at: Timestamp(0),
            member_count: 2,
            last_seq: 0,
            last_message_at: None,
            is_member: true,
            last_read_seq: 0,
            unread_count: 0,
            mention_count: 0,
            members: None,
        }
    }

    pub fn msg(id: i64, ch: i64, seq: i64, author: &User, content: &str) -> Message {
        Message {
            id: MessageId(id),
            channel_id: ChannelId(ch),
            seq,
            author: author.clone(),
            content: content.into(),
            created_at: Timestamp(seq * 1000),
            edited_at: None,
            deleted: false,
            thread_root_id: None,
            reply_count: 0,
            last_reply_at: None,
            pinned_at: None,
            pinned_by: None,
            reactions: Vec::new(),
            attachments: Vec::new(),
            nonce: None,
        }
    }

    fn signed_in() -> State {
        let mut s = State::default();
        s.apply(Action::SignedIn(Box::new(CurrentUser {
            profile: user(1, "alice"),
            email: "a@x.io".into(),
            preferences: Preferences {
                theme: Theme::System,
                notify_level: NotifyLevel::All,
                mute_until: None,
                channels: Vec::new(),
                keywords: Vec::new(),
            },
        })));
        s.apply(Action::Channels(
            Some(WorkspaceId(9)),
            vec![channel(10, 9, "general"), channel(11, 9, "random")],
        ));
        s
    }

    fn page(msgs: Vec<Message>, before: bool) -> MessagePage {
        MessagePage {
            messages: msgs,
            has_more_before: before,
            has_more_after: false,
        }
    }

    #[test]
    fn what_arrives_while_the_open_channels_page_loads_is_kept() {
        let mut s = signed_in();
        let c = ChannelId(10);
        let bob = user(2, "bob");
        let seqs =
            |s: &State| -> Vec<i64> { s.timelines[&c].messages.iter().map(|m| m.seq).collect() };
        s.apply(Action::SetActive(Some(c)));
        // The page was asked for when seq 2 was the newest; seq 3 (a send
        // of mine acknowledged after a reload, say) arrives first.
        let mut mine = msg(103, 10, 3, &user(1, "alice"), "typed before the reload");
        mine.nonce = Some("n-1".into());
        s.apply(Action::Event(Box::new(ServerEvent::Message(mine))));
        s.apply(Action::Page(
            c,
            PageKind::Latest,
            page(
                vec![msg(101, 10, 1, &bob, "a"), msg(102, 10, 2, &bob, "b")],
                false,
            ),
        ));
        assert_eq!(seqs(&s), vec![1, 2, 3]);
        // A refetch of the latest page (after a reconnect) cut before a
        // live message keeps it too, and one that has it keeps one copy.
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            104, 10, 4, &bob, "d",
        )))));
        s.apply(Action::Page(
            c,
            PageKind::Latest,
            page(
                vec![msg(102, 10, 2, &bob, "b"), msg(103, 10, 3, &bob, "c")],
                true,
            ),
        ));
        assert_eq!(seqs(&s), vec![2, 3, 4]);
        s.apply(Action::Page(
            c,
            PageKind::Latest,
            page(
                vec![msg(103, 10, 3, &bob, "c"), msg(104, 10, 4, &bob, "d")],
                true,
            ),
        ));
        assert_eq!(seqs(&s), vec![3, 4]);
        // A channel that is not open keeps nothing until it is opened.
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            201,
            11,
            1,
            &bob,
            "elsewhere",
        )))));
        assert!(!s.timelines.contains_key(&ChannelId(11)));
    }

    #[test]
    fn a_dm_someone_else_starts_is_titled_with_their_name() {
        let mut s = signed_in();
        s.apply(Action::Members(
            WorkspaceId(9),
            vec![parley_shared::api::WorkspaceMember {
                user: user(2, "bob"),
                role: parley_shared::api::WorkspaceRole::Member,
                joined_at: Timestamp(0),
            }],
        ));
        // What the server broadcasts: members by id, viewer fields cleared.
        let mut dm = channel(20, 9, "");
        dm.workspace_id = None;
        dm.kind = ChannelKind::Dm;
        dm.is_member = false;
        s.apply(Action::Event(Box::new(ServerEvent::ChannelCreated(
            parley_shared::ws::ChannelWithMembers {
                channel: dm,
                member_ids: vec![UserId(1), UserId(2)],
            },
        ))));
        let c = &s.channels[&ChannelId(20)];
        assert_eq!(crate::util::channel_title(c, s.me_id()), "bob");
        assert!(c.is_member, "the event named us");
    }

    #[test]
    fn the_open_channel_counts_unread_while_the_page_is_hidden() {
        let mut s = signed_in();
        let bob = user(2, "bob");
        let c = ChannelId(10);
        s.apply(Action::SetActive(Some(c)));
        s.apply(Action::Page(c, PageKind::Latest, page(vec![], false)));
        // The window went to the tray with #general still open.
        s.apply(Action::Hidden(true));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            100, 10, 1, &bob, "hi",
        )))));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            101,
            10,
            2,
            &bob,
            "@alice look",
        )))));
        let ch = &s.channels[&c];
        assert_eq!((ch.unread_count, ch.mention_count), (2, 1));
        assert_eq!(ch.last_read_seq, 0, "nothing was read behind the tray");
        // Shown again: the open channel is being read, so its badge goes.
        s.apply(Action::Hidden(false));
        let ch = &s.channels[&c];
        assert_eq!((ch.unread_count, ch.mention_count), (0, 0));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            102, 10, 3, &bob, "more",
        )))));
        assert_eq!(s.channels[&c].unread_count, 0);
    }

    #[test]
    fn live_messages_count_as_unread_except_in_the_open_channel() {
        let mut s = signed_in();
        let bob = user(2, "bob");
        s.apply(Action::SetActive(Some(ChannelId(10))));
        s.apply(Action::Page(
            ChannelId(10),
            PageKind::Latest,
            page(vec![], false),
        ));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            100, 10, 1, &bob, "hi",
        )))));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            101,
            11,
            1,
            &bob,
            "hey @alice",
        )))));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            102, 11, 2, &bob, "more",
        )))));
        assert_eq!(s.channels[&ChannelId(10)].unread_count, 0);
        assert_eq!(s.timeline(ChannelId(10)).map(|t| t.messages.len()), Some(1));
        let random = &s.channels[&ChannelId(11)];
        assert_eq!((random.unread_count, random.mention_count), (2, 1));
        // Opening the channel clears its badges.
        s.apply(Action::SetActive(Some(ChannelId(11))));
        assert_eq!(s.channels[&ChannelId(11)].unread_count, 0);
        // A replayed event (RESUME) does not count twice or duplicate.
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            100, 10, 1, &bob, "hi",
        )))));
        assert_eq!(s.timeline(ChannelId(10)).map(|t| t.messages.len()), Some(1));
    }

    #[test]
    fn pages_merge_in_seq_order() {
        let mut s = signed_in();
        let bob = user(2, "bob");
        let c = ChannelId(10);
        s.apply(Action::Page(
            c,
            PageKind::Latest,
            page(
                vec![msg(3, 10, 3, &bob, "c"), msg(4, 10, 4, &bob, "d")],
                true,
            ),
        ));
        s.apply(Action::Page(
            c,
            PageKind::Before,
            page(
                vec![msg(1, 10, 1, &bob, "a"), msg(2, 10, 2, &bob, "b")],
                false,
            ),
        ));
        let t = s.timeline(c).expect("loaded");
        assert_eq!(
            t.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert!(!t.has_more_before);
        assert!(s.users.contains_key(&UserId(2)));
    }

    #[test]
    fn an_older_window_does_not_take_live_messages() {
        let mut s = signed_in();
        let bob = user(2, "bob");
        let c = ChannelId(10);
        s.apply(Action::Page(
            c,
            PageKind::Around,
            MessagePage {
                messages: vec![msg(5, 10, 5, &bob, "old")],
                has_more_before: true,
                has_more_after: true,
            },
        ));
        s.apply(Action::Event(Box::new(ServerEvent::Message(msg(
            90, 10, 90, &bob, "new",
        )))));
        assert_eq!(s.timeline(c).map(|t| t.messages.len()), Some(1));
        assert_eq!(s.channels[&c].last_seq, 90);
    }

    #[test]
    fn optimistic_sends_leave_the_outbox_on_echo_or_ack() {
        let mut s = signed_in();
        let me = user(1, "alice");
        let c = ChannelId(10);
        s.apply(Action::Page(c, PageKind::Latest, page(vec![], false)));
        for n in ["n1", "n2"] {
            s.apply(Action::Queue(Pending {
                nonce: n.into(),
                channel_id: c,
                thread_root_id: None,
                content: "hello".into(),
                files: Vec::new(),
                created_at: Timestamp(0),
                error: None,
            }));
        }
        assert_eq!(s.pending.len(), 2);
        let mut echoed = msg(7, 10, 1, &me, "hello");
        echoed.nonce = Some("n1".into());
        s.apply(Action::Event(Box::new(ServerEvent::Message(echoed))));
        assert_eq!(s.pending.len(), 1);
        s.apply(Action::Event(Box::new(ServerEvent::Error {
            code: parley_shared::ErrorCode::ValidationFailed,
            message: "content: too long".into(),
            nonce: Some("n2".into()),
        })));
        assert_eq!(s.pending[0].error.as_deref(), Some("content: too long"));
        s.apply(Action::Discard("n2".into()));
        assert!(s.pending.is_empty());
        // My own message moves my read position, not my unread count.
        assert_eq!(s.channels[&c].last_read_seq, 1);
        assert_eq!(s.channels[&c].unread_count, 0);
    }

    #[test]
    fn reactions_edits_deletes_and_threads() {
        let mut s = signed_in();
        let bob = user(2, "bob");
        let c = ChannelId(10);
        s.apply(Action::Page(
            c,
            PageKind::Latest,
            page(vec![msg(1, 10, 1, &bob, "root")], false),
        ));
        let react = |added| {
            Action::Event(Box::new(ServerEvent::Reaction {
                channel_id: c,
                message_id: MessageId(1),
                user_id: UserId(1),
                emoji: "👍".into(),
                added,
            }))
        };
        s.apply(react(true));
        s.apply(react(true));
        assert_eq!(
            s.timeline(c).map(|t| t.messages[0].reactions[0].count),
            Some(1)
        );
        s.apply(react(false));
        assert!(s
            .timeline(c)
            .is_some_and(|t| t.messages[0].reactions.is_empty()));

        let mut edited = msg(1, 10, 1, &bob, "root v2");
        edited.edited_at = Some(Timestamp(5));
        s.apply(Action::Event(Box::new(ServerEvent::MessageUpdated(edited))));
        assert_eq!(
            s.timeline(c).map(|t| t.messages[0].content.as_str()),
            Some("root v2")
        );

        s.apply(Action::ThreadOpen(MessageId(1)));
        let mut reply = msg(2, 10, 2, &bob, "reply");
        reply.thread_root_id = Some(MessageId(1));
        s.apply(Action::Event(Box::new(ServerEvent::Message(reply.clone()))));
        s.apply(Action::Event(Box::new(ServerEvent::Message(reply))));
        let t = s.timeline(c).expect("loaded");
        assert_eq!(t.messages.len(), 1, "replies stay out of the timeline");
        assert_eq!(t.messages[0].reply_count, 1);
        let view = &s.thread.as_ref().expect("open").1;
        assert_eq!(view.replies.len(), 1);
        // Thread replies do not raise the channel's unread count.
        assert_eq!(s.channels[&c].unread_count, 0);

        s.apply(Action::Event(Box::new(ServerEvent::MessageDeleted {
            channel_id: c,
            message_id: MessageId(1),
        })));
        let t = s.timeline(c).expect("loaded");
        assert!(t.messages[0].deleted && t.messages[0].content.is_empty());
    }

    #[test]
    fn a_resync_forgets_stale_history() {
        let mut s = signed_in();
        let bob = user(2, "bob");
        s.apply(Action::Page(
            ChannelId(10),
            PageKind::Latest,
            page(vec![msg(1, 10, 1, &bob, "a")], false),
        ));
        s.apply(Action::TypingSeen {
            channel_id: ChannelId(10),
            user_id: UserId(2),
            typing: true,
            now: 0,
        });
        s.apply(Action::Resynced);
        assert!(s.timeline(ChannelId(10)).is_none());
        assert!(s.typing_in(ChannelId(10)).is_empty());
        assert!(
            s.channels.contains_key(&ChannelId(10)),
            "channels stay until refetched"
        );
    }

    #[test]
    fn typing_expires_and_presence_is_kept() {
        let mut s = signed_in();
        let c = ChannelId(10);
        s.apply(Action::TypingSeen {
            channel_id: c,
            user_id: UserId(2),
            typing: true,
            now: 1000,
        });
        assert_eq!(s.typing_in(c), vec![UserId(2)]);
        s.apply(Action::Tick(1000 + TYPING_TTL_MS + 1));
        assert!(s.typing_in(c).is_empty());
        s.apply(Action::TypingSeen {
            channel_id: c,
            user_id: UserId(2),
            typing: true,
            now: 1000,
        });
        s.apply(Action::TypingSeen {
            channel_id: c,
            user_id: UserId(2),
            typing: false,
            now: 1001,
        });
        assert!(s.typing_in(c).is_empty());
        s.apply(Action::Event(Box::new(ServerEvent::Presence(
            parley_shared::ws::PresenceUpdate {
                user_id: UserId(2),
                status: PresenceStatus::Online,
            },
        ))));
        assert_eq!(s.presence.get(&UserId(2)), Some(&PresenceStatus::Online));
    }

    #[test]
    fn membership_and_archive_events() {
        let mut s = signed_in();
        s.apply(Action::Event(Box::new(ServerEvent::ChannelArchived {
            channel_id: ChannelId(11),
        })));
        assert!(!s.channels.contains_key(&ChannelId(11)));
        let mut private = channel(12, 9, "secret");
        private.kind = ChannelKind::Private;
        s.apply(Action::ChannelUpsert(private));
        s.apply(Action::Event(Box::new(ServerEvent::MemberLeft {
            channel_id: ChannelId(12),
            user_id: UserId(1),
        })));
        assert!(
            !s.channels.contains_key(&ChannelId(12)),
            "a private channel I left is gone"
        );
        assert_eq!(s.workspace_channels().len(), 0, "no workspace selected yet");
        s.apply(Action::SelectWorkspace(Some(WorkspaceId(9))));
        assert_eq!(s.workspace_channels().len(), 1);
    }
}
