//! What the client does with each server frame: HELLO (the session, the
//! heartbeat, resending the outbox), RESYNC, ACK and ERROR for the outbox,
//! and every event handed to the store and the event hook (where the call
//! client hears the signaling).

use parley_shared::ws::{ServerEvent, ServerFrame};

use super::outbox::frame_of;
use super::WsClient;
use crate::api::now_ms;
use crate::store::Action;

impl WsClient {
    pub(super) fn on_text(&self, text: &str) {
        self.0.borrow_mut().last_heard = now_ms();
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else {
            web_sys::console::warn_1(&format!("unreadable frame: {text}").into());
            return;
        };
        if let Some(seq) = frame.seq {
            let mut inner = self.0.borrow_mut();
            inner.last_seq = inner.last_seq.max(seq);
        }
        let (dispatch, hook) = {
            let inner = self.0.borrow();
            (inner.dispatch.clone(), inner.hook.clone())
        };
        match &frame.event {
            ServerEvent::Hello(h) => {
                let (flush, resync) = {
                    let mut inner = self.0.borrow_mut();
                    inner.session = Some(h.session.clone());
                    if !h.resumed {
                        inner.last_seq = h.seq;
                    }
                    inner.ready = true;
                    inner.attempt = 0;
                    inner.hellos += 1;
                    let resync = !h.resumed && inner.hellos > 1;
                    (
                        inner.outbox.iter().map(frame_of).collect::<Vec<_>>(),
                        resync,
                    )
                };
                self.start_heartbeat(h.heartbeat_interval_ms);
                dispatch(Action::Event(Box::new(frame.event.clone())));
                for f in flush {
                    self.send_now(&f);
                }
                if resync {
                    let cb = self.0.borrow().on_resync.clone();
                    if let Some(cb) = cb {
                        cb();
                    }
                }
            }
            ServerEvent::Resync { .. } => {
                // The session is gone; the HELLO that follows starts a new
                // one, and everything is refetched.
                self.0.borrow_mut().session = None;
                let cb = self.0.borrow().on_resync.clone();
                if let Some(cb) = cb {
                    cb();
                }
            }
            ServerEvent::Ack { nonce: Some(n), .. } | ServerEvent::Error { nonce: Some(n), .. } => {
                self.0.borrow_mut().outbox.retain(|o| o.nonce != *n);
                self.save_outbox();
                dispatch(Action::Event(Box::new(frame.event.clone())));
            }
            ServerEvent::Typing {
                channel_id,
                user_id,
                typing,
            } => dispatch(Action::TypingSeen {
                channel_id: *channel_id,
                user_id: *user_id,
                typing: *typing,
                now: now_ms() as i64,
            }),
            ServerEvent::Pong => {}
            ServerEvent::CallRing {
                channel_id,
                call_id,
                from,
                ..
            } => dispatch(Action::Ring {
                channel_id: *channel_id,
                call_id: *call_id,
                from: *from,
                now: now_ms() as i64,
            }),
            ServerEvent::Message(m) => {
                // The author stops typing when the message lands.
                dispatch(Action::TypingSeen {
                    channel_id: m.channel_id,
                    user_id: m.author.id,
                    typing: false,
                    now: now_ms() as i64,
                });
                dispatch(Action::Event(Box::new(frame.event.clone())));
            }
            ServerEvent::ChannelCreated(cw) => {
                // The event names members by id; the reducer titles a DM
                // with the profiles it has. Someone it has none of (no
                // shared workspace loaded yet) comes with the DM list.
                let unknown = crate::util::is_dm(&cw.channel) && {
                    let s = crate::app::latest();
                    cw.member_ids.iter().any(|id| !s.0.users.contains_key(id))
                };
                dispatch(Action::Event(Box::new(frame.event.clone())));
                if unknown {
                    let api = self.0.borrow().api.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(dms) = api.dms().await {
                            dispatch(Action::Channels(None, dms));
                        }
                    });
                }
            }
            _ => dispatch(Action::Event(Box::new(frame.event.clone()))),
        }
        if let Some(h) = hook {
            h(&frame.event);
        }
    }
}
