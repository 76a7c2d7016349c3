//! The reducer: [`State::apply`] is the only code that changes state. It
//! dispatches each [`Action`] to the part for its area, or handles it here
//! when it is a line or two.

use std::rc::Rc;

use parley_shared::api::Message;

use super::{Action, PageKind, State, ThreadView};

/// Typing indicators nobody renews vanish after this long (the server also
/// sends `typing: false`, but a dropped connection must not leave one behind).
pub const TYPING_TTL_MS: i64 = 6_000;

impl State {
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
            Action::Conn(c) => self.on_conn(c),
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
                if self.ring_expired(now) {
                    self.ringing = None;
                }
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
            Action::CallJoin { channel_id, video } => self.on_call_join(channel_id, video),
            Action::CallMedia {
                muted,
                video,
                screen,
            } => self.on_call_media(muted, video, screen),
            Action::CallLeft(why) => {
                self.call = None;
                self.call_notice = why;
            }
            Action::Ring {
                channel_id,
                call_id,
                from,
                now,
            } => self.on_ring(channel_id, call_id, from, now),
            Action::RingStop => self.ringing = None,
            Action::CallNotice(n) => self.call_notice = n,
        }
    }
}
