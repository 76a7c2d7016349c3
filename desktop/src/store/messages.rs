//! The reducer's message part: new messages (unread counts, thread reply
//! counts, the open channel's live tail), edits, deletes and reactions on
//! every loaded copy. A replayed event must change nothing twice.

use std::rc::Rc;

use parley_shared::api::Message;
use parley_shared::{ChannelId, MessageId, UserId};

use super::State;

impl State {
    pub(super) fn on_new_message(&mut self, m: Message) {
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

    pub(super) fn on_updated(&mut self, m: Message) {
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
    pub(super) fn edit_message(
        &mut self,
        channel: ChannelId,
        id: MessageId,
        f: impl Fn(&mut Message),
    ) {
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
