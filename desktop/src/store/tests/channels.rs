//! Tests of channels and people: unread and mention counts, DM titles,
//! typing, presence and membership events.

use super::*;

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
