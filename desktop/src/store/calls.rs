//! The reducer's call part: which conversations have a call in progress
//! (HELLO's list, then CALL_STATE and CALL_ENDED), this device's own call
//! and the ringing of a DM call.
//!
//! What must stay true: this device's call ends here — and the call client
//! stops its media when it sees that — whenever the server no longer counts
//! this connection in it (another device took over, the call ended, the
//! join was refused); a rejoin after a reconnect is never mistaken for
//! that, because the old participant id is forgotten first.

use std::rc::Rc;

use parley_shared::call::CallState;
use parley_shared::ws::Hello;
use parley_shared::{CallId, ChannelId, ErrorCode, ParticipantId, UserId};

use super::{CallPhase, Conn, MyCall, Ringing, State};

/// A call rings for this long unless answered (the caller's side gives up
/// about then too).
pub const RING_MS: i64 = 30_000;

/// What the person reads when the server refuses a CALL_JOIN.
fn refusal(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::CallFull => Some("This call is full: a call has room for 6 people."),
        ErrorCode::Forbidden => Some("You can't join calls in this conversation."),
        ErrorCode::NotFound => Some("This conversation is gone."),
        _ => None,
    }
}

impl State {
    pub(super) fn on_call_join(&mut self, channel_id: ChannelId, video: bool) {
        self.call = Some(MyCall {
            channel_id,
            call_id: None,
            me: None,
            phase: CallPhase::Joining,
            muted: false,
            video,
            screen: false,
        });
        self.call_notice = None;
        if self
            .ringing
            .as_ref()
            .is_some_and(|r| r.channel_id == channel_id)
        {
            self.ringing = None;
        }
    }

    pub(super) fn on_call_media(&mut self, muted: bool, video: bool, screen: bool) {
        if let Some(c) = &mut self.call {
            c.muted = muted;
            c.video = video;
            c.screen = screen;
        }
    }

    pub(super) fn on_ring(
        &mut self,
        channel_id: ChannelId,
        call_id: CallId,
        from: UserId,
        now: i64,
    ) {
        if self.in_call_at(channel_id) || Some(from) == self.me_id() {
            return;
        }
        self.ringing = Some(Ringing {
            channel_id,
            call_id,
            from,
            until_ms: now + RING_MS,
        });
    }

    /// Whether the ringing has run out at `now` (the clock's tick).
    pub fn ring_expired(&self, now: i64) -> bool {
        self.ringing.as_ref().is_some_and(|r| r.until_ms <= now)
    }

    pub(super) fn on_conn(&mut self, c: Conn) {
        self.conn = c;
        if c == Conn::Offline {
            if let Some(call) = self.call.as_mut().filter(|m| m.phase == CallPhase::InCall) {
                call.phase = CallPhase::Reconnecting;
            }
        }
    }

    pub(super) fn on_hello_calls(&mut self, h: &Hello) {
        self.calls = Rc::new(h.calls.iter().map(|c| (c.channel_id, c.clone())).collect());
        // A new connection is a new participant: the old one is gone (or
        // about to be) on the server, and the call client joins again.
        if let Some(call) = &mut self.call {
            call.me = None;
            if call.phase == CallPhase::InCall {
                call.phase = CallPhase::Reconnecting;
            }
        }
        if let Some(r) = &self.ringing {
            if !h.calls.iter().any(|c| c.call_id == r.call_id) {
                self.ringing = None;
            }
        }
    }

    pub(super) fn on_call_joined(&mut self, call: CallState, me: ParticipantId) {
        if let Some(mine) = self
            .call
            .as_mut()
            .filter(|m| m.channel_id == call.channel_id)
        {
            mine.call_id = Some(call.call_id);
            mine.me = Some(me);
            mine.phase = CallPhase::InCall;
        }
        self.on_call_state(call);
    }

    pub(super) fn on_call_state(&mut self, call: CallState) {
        let me = self.me_id();
        let with_me = me.is_some_and(|me| call.participants.iter().any(|p| p.user == me));
        if self
            .ringing
            .as_ref()
            .is_some_and(|r| r.call_id == call.call_id && with_me)
        {
            self.ringing = None;
        }
        let dropped = self.call.as_ref().is_some_and(|m| {
            m.channel_id == call.channel_id
                && m.me
                    .is_some_and(|pid| !call.participants.iter().any(|p| p.participant_id == pid))
        });
        if dropped {
            self.call = None;
            self.call_notice = Some(if with_me {
                "You joined this call on another device.".into()
            } else {
                "You dropped out of the call. Join again when you're back online.".into()
            });
        }
        let calls = Rc::make_mut(&mut self.calls);
        if call.participants.is_empty() {
            calls.remove(&call.channel_id);
        } else {
            calls.insert(call.channel_id, call);
        }
    }

    pub(super) fn on_call_ended(&mut self, channel_id: ChannelId, call_id: CallId) {
        if self
            .calls
            .get(&channel_id)
            .is_some_and(|c| c.call_id == call_id)
        {
            Rc::make_mut(&mut self.calls).remove(&channel_id);
        }
        // A join still on its way (no call id yet) is not for this call:
        // the server answers it by starting the next one.
        if self
            .call
            .as_ref()
            .is_some_and(|m| m.call_id == Some(call_id))
        {
            self.call = None;
        }
        if self.ringing.as_ref().is_some_and(|r| r.call_id == call_id) {
            self.ringing = None;
        }
    }

    pub(super) fn on_call_declined(&mut self, call_id: CallId, user_id: UserId) {
        if Some(user_id) == self.me_id()
            && self.ringing.as_ref().is_some_and(|r| r.call_id == call_id)
        {
            self.ringing = None;
        }
    }

    /// An ERROR without a nonce while a join is on its way answers it.
    pub(super) fn on_call_error(&mut self, code: ErrorCode) {
        let joining = self.call.as_ref().is_some_and(|m| m.me.is_none());
        if let Some(why) = refusal(code).filter(|_| joining) {
            self.call = None;
            self.call_notice = Some(why.into());
        }
    }
}
