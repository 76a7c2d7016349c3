//! The one WebSocket client: AUTH, HELLO, heartbeats, automatic reconnect
//! with `RESUME {session, last_seq}`, and the outbox.
//!
//! Sends are optimistic: a message gets a nonce, shows at once as pending,
//! and its `MESSAGE` frame waits in the outbox until the socket is up. On
//! every HELLO the whole outbox is (re)sent; the server's nonce idempotency
//! makes a resend after a lost ACK harmless, so nothing is lost and nothing
//! posts twice. Entries leave the outbox on their ACK or ERROR.
//!
//! The outbox is in `outbox`, the handling of server frames in `frames`.

mod frames;
mod outbox;

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::ws::{ClientFrame, ServerEvent};
use parley_shared::UserId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::api::{now_ms, Api};
use crate::store::{Action, Pending};

/// Reconnect delays grow to this cap (ms), so a long outage costs little.
const MAX_BACKOFF_MS: u32 = 10_000;

/// The delay before reconnect attempt `n` (0-based): 250 ms doubling to 10 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    250u32
        .saturating_mul(1u32 << attempt.min(6))
        .min(MAX_BACKOFF_MS)
}

/// Heartbeats without a word from the server (a pong at least) after which
/// the connection is taken as dead. A socket can go silent without ever
/// closing: a laptop waking on another network, a NAT or proxy that forgot
/// the flow. The browser would notice only when TCP gives up, many minutes
/// later, while sends pile up unacknowledged.
const SILENT_BEATS: f64 = 3.0;

/// Whether a connection last heard from at `last_heard` (ms) is dead at
/// `now`, with pings every `every_ms` and the previous ping at
/// `last_tick`. A timer that fired late (a throttled hidden page, a
/// machine just woken) proves nothing yet: it pings and judges at the next
/// beat, so slow timers never cut a live connection.
pub fn is_dead(last_heard: f64, last_tick: f64, now: f64, every_ms: u32) -> bool {
    let every = f64::from(every_ms);
    let on_time = now - last_tick < 2.0 * every;
    on_time && now - last_heard > every * SILENT_BEATS
}

/// What the client does with a server frame besides the store.
pub type EventHook = Rc<dyn Fn(&ServerEvent)>;

struct Inner {
    api: Api,
    dispatch: Rc<dyn Fn(Action)>,
    hook: Option<EventHook>,
    /// Called after RESYNC or a fresh session after a drop: refetch over REST.
    on_resync: Option<Rc<dyn Fn()>>,
    socket: Option<web_sys::WebSocket>,
    /// Keeps the JS callbacks alive as long as their socket.
    handlers: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    close_handler: Option<Closure<dyn FnMut(web_sys::CloseEvent)>>,
    open_handler: Option<Closure<dyn FnMut()>>,
    heartbeat: Option<gloo_timers::callback::Interval>,
    /// When the socket last opened or brought a frame (ms).
    last_heard: f64,
    /// When the heartbeat last ran (ms).
    last_tick: f64,
    /// Reconnects at once when the OS says the network is back.
    online_listener: Option<Closure<dyn FnMut()>>,
    session: Option<String>,
    last_seq: i64,
    ready: bool,
    attempt: u32,
    /// Sessions seen: a fresh (not resumed) HELLO after the first means
    /// events may have been missed.
    hellos: u32,
    /// Sends not yet acknowledged, oldest first; mirrored in the
    /// platform's storage under `outbox_key` so they outlive a reload or a
    /// restart of the app.
    outbox: Vec<Pending>,
    outbox_key: Option<String>,
    stopped: bool,
    nonce_counter: u64,
}

#[derive(Clone)]
pub struct WsClient(Rc<RefCell<Inner>>);

impl PartialEq for WsClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl WsClient {
    pub fn new(api: Api, dispatch: Rc<dyn Fn(Action)>) -> WsClient {
        WsClient(Rc::new(RefCell::new(Inner {
            api,
            dispatch,
            hook: None,
            on_resync: None,
            socket: None,
            handlers: Vec::new(),
            close_handler: None,
            open_handler: None,
            heartbeat: None,
            last_heard: 0.0,
            last_tick: 0.0,
            online_listener: None,
            session: None,
            last_seq: 0,
            ready: false,
            attempt: 0,
            hellos: 0,
            outbox: Vec::new(),
            outbox_key: None,
            stopped: true,
            nonce_counter: 0,
        })))
    }

    pub fn set_hook(&self, hook: EventHook) {
        self.0.borrow_mut().hook = Some(hook);
    }

    pub fn set_on_resync(&self, f: Rc<dyn Fn()>) {
        self.0.borrow_mut().on_resync = Some(f);
    }

    pub fn is_ready(&self) -> bool {
        self.0.borrow().ready
    }

    /// Connects (once) as `me`; reconnects by itself until
    /// [`WsClient::stop`]. Sends `me` left unacknowledged on this server
    /// before a reload or restart are queued again (their nonces make a
    /// second delivery impossible).
    pub fn start(&self, me: UserId) {
        let was_stopped = std::mem::replace(&mut self.0.borrow_mut().stopped, false);
        if was_stopped {
            self.restore_outbox(me);
            self.listen_for_network();
            self.connect();
        }
    }

    /// The `online` event (the OS joined a network, or changed it): the
    /// old socket may be silent forever, so a new one resumes the session
    /// now rather than after the backoff or the silence check.
    fn listen_for_network(&self) {
        if self.0.borrow().online_listener.is_some() {
            return;
        }
        let me = self.clone();
        let on_online = Closure::<dyn FnMut()>::new(move || {
            if !me.0.borrow().stopped {
                me.0.borrow_mut().attempt = 0;
                me.reconnect_now();
            }
        });
        if let Some(w) = web_sys::window() {
            let _ =
                w.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        }
        self.0.borrow_mut().online_listener = Some(on_online);
    }

    /// Signs out: closes the socket and forgets the session. The stored
    /// outbox stays: sends still waiting (a sign-out forced by an expired
    /// session included) go out when the same account signs in again here.
    pub fn stop(&self) {
        let mut inner = self.0.borrow_mut();
        inner.stopped = true;
        inner.session = None;
        inner.outbox.clear();
        inner.outbox_key = None;
        inner.ready = false;
        inner.heartbeat = None;
        if let Some(s) = inner.socket.take() {
            s.set_onmessage(None);
            s.set_onclose(None);
            s.set_onopen(None);
            let _ = s.close();
        }
    }

    /// Drops the connection as a network failure would and connects again
    /// ("Reconnect now", the network coming back, a silent socket).
    pub fn reconnect_now(&self) {
        let socket = self.0.borrow_mut().socket.take();
        match socket {
            // Not left to the close event: a silent socket's closing
            // handshake waits as long as the socket would.
            Some(s) => {
                s.set_onmessage(None);
                s.set_onclose(None);
                s.set_onopen(None);
                let _ = s.close();
                self.on_close(parley_shared::ws::close::HEARTBEAT_TIMEOUT);
            }
            None => self.connect(),
        }
    }

    fn connect(&self) {
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let api = this.0.borrow().api.clone();
            let Some(token) = api.access_token().await else {
                return;
            };
            if this.0.borrow().stopped {
                return;
            }
            let url = api.ws_url();
            match web_sys::WebSocket::new(&url) {
                Ok(ws) => this.attach(ws, token),
                Err(_) => this.schedule_reconnect(),
            }
        });
    }

    fn attach(&self, ws: web_sys::WebSocket, token: String) {
        let me = self.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            me.0.borrow_mut().last_heard = now_ms();
            let frame = {
                let inner = me.0.borrow();
                match &inner.session {
                    Some(session) => ClientFrame::Resume {
                        token: token.clone(),
                        session: session.clone(),
                        last_seq: inner.last_seq,
                    },
                    None => ClientFrame::Auth {
                        token: token.clone(),
                    },
                }
            };
            me.send_now(&frame);
        });
        let me = self.clone();
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    me.on_text(&text);
                }
            });
        let me = self.clone();
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |e: web_sys::CloseEvent| {
                me.on_close(e.code());
            });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        inner.socket = Some(ws);
        inner.open_handler = Some(on_open);
        inner.handlers = vec![on_message];
        inner.close_handler = Some(on_close);
    }

    fn send_now(&self, frame: &ClientFrame) -> bool {
        let socket = self.0.borrow().socket.clone();
        match (socket, serde_json::to_string(frame)) {
            (Some(s), Ok(json)) if s.ready_state() == web_sys::WebSocket::OPEN => {
                s.send_with_str(&json).is_ok()
            }
            _ => false,
        }
    }

    /// Sends an ephemeral frame if connected (typing, reactions, reads);
    /// dropped when offline, where they would be stale on arrival anyway.
    pub fn send(&self, frame: ClientFrame) {
        if self.is_ready() {
            self.send_now(&frame);
        }
    }

    fn start_heartbeat(&self, interval_ms: u64) {
        let me = self.clone();
        // Well inside the server's window, so one late timer never kills us.
        let every = (interval_ms / 2).clamp(1_000, 30_000) as u32;
        self.0.borrow_mut().last_tick = now_ms();
        let timer = gloo_timers::callback::Interval::new(every, move || {
            let now = now_ms();
            let (heard, ticked) = {
                let mut inner = me.0.borrow_mut();
                (
                    inner.last_heard,
                    std::mem::replace(&mut inner.last_tick, now),
                )
            };
            if is_dead(heard, ticked, now, every) {
                // Not from inside this timer's own callback: reconnecting
                // drops the timer.
                let me = me.clone();
                gloo_timers::callback::Timeout::new(0, move || me.reconnect_now()).forget();
            } else {
                me.send_now(&ClientFrame::Ping);
            }
        });
        self.0.borrow_mut().heartbeat = Some(timer);
    }

    fn on_close(&self, code: u16) {
        let dispatch = {
            let mut inner = self.0.borrow_mut();
            inner.ready = false;
            inner.heartbeat = None;
            inner.socket = None;
            if code == parley_shared::ws::close::UNAUTHORIZED {
                // The token was refused: a fresh AUTH after the refresh that
                // `connect` does.
                inner.session = None;
            }
            inner.dispatch.clone()
        };
        dispatch(Action::Conn(crate::store::Conn::Offline));
        self.schedule_reconnect();
    }

    fn schedule_reconnect(&self) {
        let delay = {
            let mut inner = self.0.borrow_mut();
            if inner.stopped {
                return;
            }
            let d = backoff_ms(inner.attempt);
            inner.attempt += 1;
            d
        };
        let me = self.clone();
        gloo_timers::callback::Timeout::new(delay, move || {
            if !me.0.borrow().stopped && me.0.borrow().socket.is_none() {
                me.connect();
            }
        })
        .forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_dead_after_three_silent_beats_on_time() {
        let beat = 15_000.0;
        let at = |n: f64| 1_000.0 + n * beat;
        assert!(!is_dead(at(0.0), at(2.0), at(3.0), 15_000));
        assert!(is_dead(at(0.0), at(3.0), at(3.0) + beat + 1.0, 15_000));
        // Woken after a night: the first late tick only pings…
        let morning = at(0.0) + 8.0 * 3_600_000.0;
        assert!(!is_dead(at(0.0), at(1.0), morning, 15_000));
        // …and the next, on time, with still nothing heard, gives up.
        assert!(is_dead(at(0.0), morning, morning + beat, 15_000));
        // A pong in between keeps it.
        assert!(!is_dead(morning + 100.0, morning, morning + beat, 15_000));
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(0), 250);
        assert_eq!(backoff_ms(1), 500);
        assert_eq!(backoff_ms(5), 8_000);
        assert_eq!(backoff_ms(6), 10_000);
        assert_eq!(backoff_ms(60), 10_000);
    }
}
