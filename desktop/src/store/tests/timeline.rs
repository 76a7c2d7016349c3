//! Tests of history: pages merging by seq, the open channel's live tail,
//! optimistic sends, edits, reactions, threads and resyncs.

use super::*;

#[test]
fn what_arrives_while_the_open_channels_page_loads_is_kept() {
    let mut s = signed_in();
    let c = ChannelId(10);
    let bob = user(2, "bob");
    let seqs = |s: &State| -> Vec<i64> { s.timelines[&c].messages.iter().map(|m| m.seq).collect() };
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
