//! Tests of calls: the live calls the sidebar counts, this device's call
//! through joins, moves, reconnects and refusals, and ringing.

use parley_shared::call::{CallParticipant, CallState};
use parley_shared::ws::Hello;
use parley_shared::{CallId, ErrorCode, ParticipantId};

use super::*;

fn part(user: i64, pid: i64) -> CallParticipant {
    CallParticipant {
        user: UserId(user),
        participant_id: ParticipantId(pid),
        muted: false,
        video: false,
        screen: false,
        joined_at: Timestamp(0),
    }
}

fn call(ch: i64, id: i64, people: Vec<CallParticipant>) -> CallState {
    CallState {
        channel_id: ChannelId(ch),
        call_id: CallId(id),
        started_at: Timestamp(0),
        started_by: UserId(2),
        participants: people,
    }
}

fn hello(calls: Vec<CallState>) -> Action {
    Action::Event(Box::new(ServerEvent::Hello(Hello {
        session: "s".into(),
        user_id: UserId(1),
        heartbeat_interval_ms: 30_000,
        seq: 0,
        channels: Vec::new(),
        resumed: false,
        calls,
    })))
}

fn ev(e: ServerEvent) -> Action {
    Action::Event(Box::new(e))
}

fn ended(ch: i64, id: i64, people: &[i64]) -> Action {
    ev(ServerEvent::CallEnded {
        channel_id: ChannelId(ch),
        call_id: CallId(id),
        ended_at: Timestamp(0),
        duration_ms: 1000,
        participants: people.iter().map(|u| UserId(*u)).collect(),
    })
}

fn refused(code: ErrorCode, nonce: Option<&str>) -> Action {
    ev(ServerEvent::Error {
        code,
        message: "refused".into(),
        nonce: nonce.map(str::to_owned),
    })
}

fn ring(ch: i64, call: i64, from: i64, now: i64) -> Action {
    Action::Ring {
        channel_id: ChannelId(ch),
        call_id: CallId(call),
        from: UserId(from),
        now,
    }
}

fn joining(ch: i64) -> State {
    let mut s = signed_in();
    s.apply(Action::CallJoin {
        channel_id: ChannelId(ch),
        video: false,
    });
    s
}

/// Alice (user 1) in the call in #general (channel 10) as participant 7,
/// with Bob (user 2, participant 5) already there.
fn in_call() -> State {
    let mut s = joining(10);
    s.apply(ev(ServerEvent::CallJoined {
        call: call(10, 3, vec![part(2, 5), part(1, 7)]),
        participant_id: ParticipantId(7),
    }));
    s
}

#[test]
fn hello_and_call_events_keep_the_live_calls() {
    let mut s = signed_in();
    s.apply(hello(vec![call(11, 4, vec![part(2, 5), part(3, 6)])]));
    assert_eq!(
        s.call_in(ChannelId(11)).map(|c| c.participants.len()),
        Some(2)
    );
    s.apply(ev(ServerEvent::CallState(call(10, 3, vec![part(2, 8)]))));
    assert_eq!(s.calls.len(), 2);
    s.apply(ended(11, 4, &[2, 3]));
    assert!(s.call_in(ChannelId(11)).is_none());
    // An old call's end does not remove the newer call in the channel.
    s.apply(ended(10, 1, &[2]));
    assert!(s.call_in(ChannelId(10)).is_some());
    // A fresh session's list replaces what was known.
    s.apply(hello(Vec::new()));
    assert!(s.calls.is_empty());
}

#[test]
fn joining_becomes_a_call_with_a_participant_id() {
    let mut s = signed_in();
    s.apply(Action::CallJoin {
        channel_id: ChannelId(10),
        video: true,
    });
    let c = s.call.clone().expect("joining");
    assert_eq!((c.phase, c.me, c.video), (CallPhase::Joining, None, true));
    // Someone else's call elsewhere changes nothing of ours.
    s.apply(ev(ServerEvent::CallJoined {
        call: call(11, 9, vec![part(2, 1)]),
        participant_id: ParticipantId(1),
    }));
    assert_eq!(s.call.as_ref().map(|c| c.phase), Some(CallPhase::Joining));
    let s = in_call();
    let c = s.call.clone().expect("in the call");
    assert_eq!(c.phase, CallPhase::InCall);
    assert_eq!(c.me, Some(ParticipantId(7)));
    assert_eq!(c.call_id, Some(CallId(3)));
    assert!(s.in_call_at(ChannelId(10)));
}

#[test]
fn others_coming_and_going_keep_the_call() {
    let mut s = in_call();
    s.apply(ev(ServerEvent::CallState(call(
        10,
        3,
        vec![part(2, 5), part(1, 7), part(3, 9)],
    ))));
    s.apply(ev(ServerEvent::CallState(call(10, 3, vec![part(1, 7)]))));
    assert_eq!(s.call.as_ref().map(|c| c.phase), Some(CallPhase::InCall));
    assert_eq!(s.call_notice, None);
}

#[test]
fn joining_from_another_device_moves_the_call_there() {
    let mut s = in_call();
    // The same person, another connection (participant 8): not us any more.
    s.apply(ev(ServerEvent::CallState(call(
        10,
        3,
        vec![part(2, 5), part(1, 8)],
    ))));
    assert_eq!(s.call, None);
    assert_eq!(
        s.call_notice.as_deref(),
        Some("You joined this call on another device.")
    );
    // The call goes on without this device, and the sidebar still shows it.
    assert_eq!(
        s.call_in(ChannelId(10)).map(|c| c.participants.len()),
        Some(2)
    );
    s.apply(Action::CallNotice(None));
    assert_eq!(s.call_notice, None);
}

#[test]
fn dropped_by_the_server_ends_the_call_here() {
    let mut s = in_call();
    s.apply(ev(ServerEvent::CallState(call(10, 3, vec![part(2, 5)]))));
    assert_eq!(s.call, None);
    assert!(s
        .call_notice
        .as_deref()
        .is_some_and(|n| n.contains("dropped")));
}

#[test]
fn a_reconnect_rejoins_instead_of_ending_the_call() {
    let mut s = in_call();
    s.apply(Action::Conn(Conn::Offline));
    assert_eq!(
        s.call.as_ref().map(|c| c.phase),
        Some(CallPhase::Reconnecting)
    );
    s.apply(hello(vec![call(10, 3, vec![part(2, 5)])]));
    let c = s.call.clone().expect("still in the call");
    assert_eq!((c.phase, c.me), (CallPhase::Reconnecting, None));
    // Replayed events that no longer list the old participant are no
    // reason to stop: the client is joining again.
    s.apply(ev(ServerEvent::CallState(call(10, 3, vec![part(2, 5)]))));
    assert!(s.call.is_some());
    s.apply(ev(ServerEvent::CallJoined {
        call: call(10, 3, vec![part(2, 5), part(1, 12)]),
        participant_id: ParticipantId(12),
    }));
    let c = s.call.clone().expect("back in the call");
    assert_eq!(
        (c.phase, c.me),
        (CallPhase::InCall, Some(ParticipantId(12)))
    );
}

#[test]
fn a_full_call_refuses_the_join() {
    let mut s = joining(10);
    s.apply(refused(ErrorCode::CallFull, None));
    assert_eq!(s.call, None);
    assert!(s.call_notice.as_deref().is_some_and(|n| n.contains("full")));
    // Once in, an unrelated error (a signal to someone who just left) is
    // no refusal.
    let mut s = in_call();
    s.apply(refused(ErrorCode::Forbidden, None));
    assert!(s.call.is_some());
    // Neither is a failed send while joining.
    let mut s = joining(10);
    s.apply(refused(ErrorCode::ValidationFailed, Some("n1")));
    assert!(s.call.is_some());
}

#[test]
fn the_call_ending_ends_it_here() {
    let mut s = in_call();
    s.apply(Action::CallMedia {
        muted: true,
        video: true,
        screen: false,
    });
    assert_eq!(
        s.call.as_ref().map(|c| (c.muted, c.video)),
        Some((true, true))
    );
    s.apply(ended(10, 3, &[1, 2]));
    assert_eq!(s.call, None);
    assert_eq!(s.call_notice, None);
    let mut s = in_call();
    s.apply(Action::CallLeft(None));
    assert_eq!(s.call, None);
}

fn ringing() -> State {
    let mut s = signed_in();
    s.apply(ring(20, 30, 2, 1_000));
    assert!(s.ringing.is_some());
    s
}

#[test]
fn ringing_stops_when_answered_anywhere() {
    // Accepted on another device: the call lists me.
    let mut s = ringing();
    s.apply(ev(ServerEvent::CallState(call(20, 30, vec![part(2, 5)]))));
    assert!(s.ringing.is_some(), "the caller alone is no answer");
    s.apply(ev(ServerEvent::CallState(call(
        20,
        30,
        vec![part(2, 5), part(1, 6)],
    ))));
    assert_eq!(s.ringing, None);
    // Declined on another device.
    let mut s = ringing();
    s.apply(ev(ServerEvent::CallDeclined {
        channel_id: ChannelId(20),
        call_id: CallId(30),
        user_id: UserId(3),
    }));
    assert!(s.ringing.is_some(), "someone else declining is not me");
    s.apply(ev(ServerEvent::CallDeclined {
        channel_id: ChannelId(20),
        call_id: CallId(30),
        user_id: UserId(1),
    }));
    assert_eq!(s.ringing, None);
    // The caller gave up.
    let mut s = ringing();
    s.apply(ended(20, 30, &[2]));
    assert_eq!(s.ringing, None);
    // Accepted here.
    let mut s = ringing();
    s.apply(Action::CallJoin {
        channel_id: ChannelId(20),
        video: false,
    });
    assert_eq!(s.ringing, None);
}

#[test]
fn ringing_gives_up_after_thirty_seconds() {
    let mut s = ringing();
    s.apply(Action::Tick(1_000 + RING_MS - 1));
    assert!(s.ringing.is_some());
    assert!(s.ring_expired(1_000 + RING_MS));
    s.apply(Action::Tick(1_000 + RING_MS));
    assert_eq!(s.ringing, None);
}

#[test]
fn no_ringing_for_ones_own_call() {
    let mut s = signed_in();
    s.apply(ring(20, 30, 1, 0));
    assert_eq!(s.ringing, None);
    let mut s = in_call();
    s.apply(ring(10, 3, 2, 0));
    assert_eq!(s.ringing, None);
}
