//! The reducer's tests (on the host) and their fixtures: a signed-in
//! state, users, channels, messages and pages.

mod calls;
mod channels;
mod timeline;

use parley_shared::api::{
    Channel, ChannelKind, CurrentUser, Message, MessagePage, NotifyLevel, Preferences, Theme, User,
};
use parley_shared::ws::{PresenceStatus, ServerEvent};
use parley_shared::{ChannelId, MessageId, Timestamp, UserId, WorkspaceId};

use super::*;

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
        system: None,
    }
}

pub(super) fn signed_in() -> State {
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

pub(super) fn page(msgs: Vec<Message>, before: bool) -> MessagePage {
    MessagePage {
        messages: msgs,
        has_more_before: before,
        has_more_after: false,
    }
}
