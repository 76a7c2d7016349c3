//! The reducer's WebSocket part: turns each server event (and HELLO's
//! per-channel counts) into state. Typing is not here: it needs the clock,
//! so the WS client turns it into `Action::TypingSeen`.

use std::rc::Rc;

use parley_shared::api::Channel;
use parley_shared::ws::{Hello, ServerEvent};

use super::{apply_reaction, Conn, State};

impl State {
    pub(super) fn on_event(&mut self, ev: ServerEvent) {
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
            ServerEvent::Error {
                nonce: None, code, ..
            } => self.on_call_error(code),
            ServerEvent::CallJoined {
                call,
                participant_id,
            } => self.on_call_joined(call, participant_id),
            ServerEvent::CallState(call) => self.on_call_state(call),
            ServerEvent::CallEnded {
                channel_id,
                call_id,
                ..
            } => self.on_call_ended(channel_id, call_id),
            ServerEvent::CallDeclined {
                call_id, user_id, ..
            } => self.on_call_declined(call_id, user_id),
            // Typing and ringing need the clock; the WS client turns them
            // into TypingSeen and Ring. Signaling is the call client's.
            _ => {}
        }
    }

    pub(super) fn on_hello(&mut self, h: &Hello) {
        self.conn = Conn::Online;
        self.on_hello_calls(h);
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
}
