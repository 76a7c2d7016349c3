//! Calls: the call client, which joins, leaves and relays the signaling
//! between the WebSocket and a [`MediaEngine`], and the engine interface
//! the platform provides (in a browser, [`BrowserEngine`]: RTCPeerConnection).
//!
//! Media flows in a mesh: one peer connection per other participant. The
//! newcomer offers to everyone already in the call (the list in its
//! `CALL_JOINED`); those only answer, so two sides never offer to each
//! other at once. Every connection carries three transceivers in a fixed
//! order — audio, camera, screen ([`AUDIO`], [`CAMERA`], [`SCREEN`]) — so
//! muting, the camera and screen sharing swap tracks on them
//! (`replaceTrack`) and announce it with `CALL_UPDATE`, never renegotiate.
//!
//! What must stay true: the store says whether this device is in a call
//! (`State::call`), and the client follows it: when the store drops the
//! call (another device took over, the call ended, the join was refused)
//! the media stops here without a `CALL_LEAVE`, which would end the call
//! on the device that now has it. While in a call the client pings every
//! [`CALL_PING_INTERVAL_MS`](parley_shared::call::CALL_PING_INTERVAL_MS),
//! or the server drops it; after a reconnect it joins again as a new
//! participant and offers afresh.
//!
//! The engines are in `browser` and `native` (the desktop app's: the
//! shell's own WebRTC, driven through its commands), the speaking meters
//! in `meter`, the chosen devices in `devices`, the ring tones in `ring`,
//! untyped browser calls in `js`. In the desktop app the client also keeps
//! the tray's call items in step with this device's call.

mod browser;
pub mod devices;
pub(crate) mod js;
pub mod meter;
mod native;
pub mod ring;

pub use browser::BrowserEngine;
pub use devices::DeviceChoice;
pub use js::BlobUrl;
pub use native::NativeEngine;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use parley_shared::call::{IceCandidate, IceServers, IceTransportPolicy, CALL_PING_INTERVAL_MS};
use parley_shared::ipc::{self, ScreenSource};
use parley_shared::ws::{ClientFrame, ServerEvent};
use parley_shared::{ChannelId, ParticipantId};
use serde_json::json;

use crate::api::Api;
use crate::app::latest;
use crate::store::{Action, MyCall};
use crate::ws::WsClient;

/// The transceivers of every connection, by index.
pub const AUDIO: usize = 0;
pub const CAMERA: usize = 1;
pub const SCREEN: usize = 2;

/// Whose media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    Me,
    Peer(ParticipantId),
}

/// Which video of a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    Camera,
    Screen,
}

impl Feed {
    pub fn index(self) -> usize {
        match self {
            Feed::Camera => CAMERA,
            Feed::Screen => SCREEN,
        }
    }

    pub fn of_index(i: usize) -> Option<Feed> {
        match i {
            CAMERA => Some(Feed::Camera),
            SCREEN => Some(Feed::Screen),
            _ => None,
        }
    }
}

/// What an engine asks the call client to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    Offer {
        to: ParticipantId,
        sdp: String,
    },
    Answer {
        to: ParticipantId,
        sdp: String,
    },
    Candidate {
        to: ParticipantId,
        candidate: IceCandidate,
    },
    /// The person stopped sharing from the browser's own control.
    ScreenEnded,
}

pub type SignalSink = Rc<dyn Fn(Signal)>;

/// A result that comes later (a device asked for, a description set).
pub type Later<T> = Pin<Box<dyn Future<Output = T>>>;

/// How opening the local media went: the microphone, and whether the
/// camera (if asked for) is on.
pub struct Opened {
    pub mic: Result<(), String>,
    pub camera: Result<bool, String>,
}

/// The media side of a call: local devices and the connections to the
/// other participants. The browser's is [`BrowserEngine`]; the desktop
/// app can plug in a native one through `Platform::call_engine`.
pub trait MediaEngine {
    /// Opens the microphone (and the camera with `camera`).
    fn open(&self, devices: DeviceChoice, camera: bool) -> Later<Opened>;
    /// Switches to newly chosen devices mid-call.
    fn use_devices(&self, devices: DeviceChoice) -> Later<Result<(), String>>;
    /// Connects to someone already in the call (this side offers).
    fn connect(&self, peer: ParticipantId);
    fn remote_offer(&self, from: ParticipantId, sdp: String);
    fn remote_answer(&self, from: ParticipantId, sdp: String);
    fn remote_candidate(&self, from: ParticipantId, candidate: IceCandidate);
    /// Someone left: their connection closes.
    fn remove(&self, peer: ParticipantId);
    /// Closes every connection, keeping the local media (a rejoin).
    fn reset(&self);
    /// Unmuting may open a microphone that failed before.
    fn set_muted(&self, muted: bool) -> Later<Result<(), String>>;
    fn set_camera(&self, on: bool) -> Later<Result<(), String>>;
    /// Shares a screen (`on`: through the browser's picker; an engine with
    /// [`MediaEngine::screen_sources`] takes a screen of its own choosing),
    /// or stops sharing.
    fn set_screen(&self, on: bool) -> Later<Result<(), String>>;
    /// The screens and windows to offer in the app's own picker; None
    /// where [`MediaEngine::set_screen`] shows the browser's.
    fn screen_sources(&self) -> Option<Later<Result<Vec<ScreenSource>, String>>> {
        None
    }
    /// A thumbnail of one of [`MediaEngine::screen_sources`] (None: none).
    fn source_thumbnail(&self, _id: String) -> Later<Option<BlobUrl>> {
        Box::pin(async { None })
    }
    /// Shares the source picked from [`MediaEngine::screen_sources`].
    fn share_source(&self, _id: String) -> Later<Result<(), String>> {
        self.set_screen(true)
    }
    /// How loud each audio is now (the microphone as [`Who::Me`]).
    fn levels(&self) -> Vec<(Who, f32)>;
    /// Shows `who`'s `feed` in `el` (a `<video>`, or an `<img>` where
    /// [`MediaEngine::native_video`]), now and whenever it (re)starts.
    fn show(&self, who: Who, feed: Feed, el: &web_sys::Element);
    /// Whether `who`'s `feed` has video now.
    fn has_video(&self, who: Who, feed: Feed) -> bool;
    /// Whether [`MediaEngine::show`] wants an `<img>` (pictures the engine
    /// decodes itself) rather than a `<video>`.
    fn native_video(&self) -> bool {
        false
    }
    /// Stops everything.
    fn close(&self);
}

/// `RTCConfiguration` for the server's ICE servers (none: host candidates
/// only, which still connect on one network).
pub fn rtc_config(ice: Option<&IceServers>) -> serde_json::Value {
    let Some(ice) = ice else {
        return json!({ "iceServers": [] });
    };
    let servers: Vec<serde_json::Value> = ice
        .ice_servers
        .iter()
        .map(|s| {
            let mut v = json!({ "urls": s.urls });
            if let Some(u) = &s.username {
                v["username"] = json!(u);
            }
            if let Some(c) = &s.credential {
                v["credential"] = json!(c);
            }
            v
        })
        .collect();
    let policy = match ice.ice_transport_policy {
        IceTransportPolicy::All => "all",
        IceTransportPolicy::Relay => "relay",
    };
    json!({ "iceServers": servers, "iceTransportPolicy": policy, "bundlePolicy": "max-bundle" })
}

/// A call's running time: "0:42", "12:05", "1:02:09".
pub fn elapsed(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

struct Inner {
    api: Api,
    ws: WsClient,
    dispatch: Rc<dyn Fn(Action)>,
    engine: Option<Rc<dyn MediaEngine>>,
    /// The conversation whose call this device is in or joining.
    channel: Option<ChannelId>,
    /// Bumped by every join and teardown: a join's slow first steps (ICE
    /// servers, the microphone prompt) that finish after a leave are
    /// thrown away.
    attempt: u64,
    /// Who this device has a connection with.
    peers: BTreeSet<ParticipantId>,
    pinger: Option<gloo_timers::callback::Interval>,
    /// What the tray's call items last showed (the desktop app only).
    tray: Option<ipc::CallTray>,
}

/// Shown instead of joining where the page has no WebRTC.
const NO_WEBRTC: &str = "Calls are not available in this window yet (its web view has no \
    WebRTC): join the call from a browser.";

/// The call client: one per app, beside the WebSocket client.
#[derive(Clone)]
pub struct CallClient(Rc<RefCell<Inner>>);

impl PartialEq for CallClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

fn my_call() -> Option<MyCall> {
    latest().0.call.clone()
}

/// A click on one of the tray's call items (`event::CALL_TRAY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrayClick {
    Mute,
    Leave,
    StopSharing,
}

impl TrayClick {
    fn parse(v: &serde_json::Value) -> Option<TrayClick> {
        match v.as_str()? {
            "mute" => Some(TrayClick::Mute),
            "leave" => Some(TrayClick::Leave),
            "stop-sharing" => Some(TrayClick::StopSharing),
            _ => None,
        }
    }
}

/// What the tray's call items show for this device's call.
fn tray_of(call: Option<&MyCall>) -> ipc::CallTray {
    ipc::CallTray {
        active: call.is_some(),
        muted: call.is_some_and(|c| c.muted),
        sharing: call.is_some_and(|c| c.screen),
    }
}

impl CallClient {
    pub fn new(api: Api, ws: WsClient, dispatch: Rc<dyn Fn(Action)>) -> CallClient {
        let client = CallClient(Rc::new(RefCell::new(Inner {
            api,
            ws,
            dispatch,
            engine: None,
            channel: None,
            attempt: 0,
            peers: BTreeSet::new(),
            pinger: None,
            tray: None,
        })));
        if crate::platform::in_tauri() {
            client.follow_tray();
            client.follow_ring();
        }
        client
    }

    /// The tray's Mute, Leave and Stop sharing act on this device's call.
    fn follow_tray(&self) {
        let weak = Rc::downgrade(&self.0);
        crate::platform::listen(ipc::event::CALL_TRAY, move |v| {
            let (Some(inner), Some(call)) = (weak.upgrade(), my_call()) else {
                return;
            };
            let me = CallClient(inner);
            match TrayClick::parse(&v) {
                Some(TrayClick::Mute) => me.toggle_mute(),
                Some(TrayClick::Leave) => me.leave(),
                Some(TrayClick::StopSharing) if call.screen => me.toggle_screen(),
                _ => {}
            }
        });
    }

    /// A ringing call's notification answers it: Accept joins, Decline
    /// declines (on every device), a click only shows the window, where the
    /// ringing dialog is.
    fn follow_ring(&self) {
        let weak = Rc::downgrade(&self.0);
        crate::platform::listen(ipc::event::CALL_RING, move |v| {
            let Some(inner) = weak.upgrade() else { return };
            let Ok(ring) = serde_json::from_value::<ipc::event::CallRing>(v) else {
                return;
            };
            let me = CallClient(inner);
            let ringing = latest().0.ringing.clone();
            let Some(r) = ringing.filter(|r| r.channel_id.to_string() == ring.channel_id) else {
                return;
            };
            match ring.answer {
                ipc::event::RingAnswer::Accept => me.accept(r.channel_id),
                ipc::event::RingAnswer::Decline => me.decline(),
                ipc::event::RingAnswer::Open => {}
            }
        });
    }

    /// Tells the tray this device's call state when it changed.
    fn sync_tray(&self) {
        if !crate::platform::in_tauri() {
            return;
        }
        let now = tray_of(my_call().as_ref());
        let changed = self.0.borrow().tray.as_ref() != Some(&now);
        if changed {
            self.0.borrow_mut().tray = Some(now.clone());
            crate::platform::invoke_later(now);
        }
    }

    /// The media engine while in a call (tiles and meters read it).
    pub fn engine(&self) -> Option<Rc<dyn MediaEngine>> {
        self.0.borrow().engine.clone()
    }

    fn dispatch(&self, a: Action) {
        let d = self.0.borrow().dispatch.clone();
        d(a);
        self.sync_tray();
    }

    fn send(&self, f: ClientFrame) {
        let ws = self.0.borrow().ws.clone();
        ws.send(f);
    }

    /// Joins (or starts) the call in `channel`, leaving any other first
    /// (where calls cannot carry media, says so instead).
    pub fn join(&self, channel: ChannelId, video: bool) {
        if !self.0.borrow().api.platform().calls_supported() {
            self.dispatch(Action::CallNotice(Some(NO_WEBRTC.into())));
            return;
        }
        let current = self.0.borrow().channel;
        if current == Some(channel) {
            return;
        }
        if current.is_some() {
            self.leave();
        }
        let attempt = {
            let mut i = self.0.borrow_mut();
            i.channel = Some(channel);
            i.attempt += 1;
            i.attempt
        };
        self.dispatch(Action::CallJoin {
            channel_id: channel,
            video,
        });
        self.start_pinging();
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let api = me.0.borrow().api.clone();
            let ice = match api.ice_servers().await {
                Ok(ice) => Some(ice),
                Err(e) => {
                    web_sys::console::warn_1(&format!("no ICE servers: {}", e.message).into());
                    None
                }
            };
            let weak = Rc::downgrade(&me.0);
            let sink: SignalSink = Rc::new(move |s| {
                if let Some(inner) = weak.upgrade() {
                    CallClient(inner).on_signal(s);
                }
            });
            let engine = api.platform().call_engine(ice.as_ref(), sink);
            let devices = DeviceChoice::load(api.platform().as_ref());
            let opened = engine.open(devices, video).await;
            if me.0.borrow().attempt != attempt {
                engine.close();
                return;
            }
            me.0.borrow_mut().engine = Some(engine);
            let video = matches!(opened.camera, Ok(true));
            me.dispatch(Action::CallMedia {
                muted: opened.mic.is_err(),
                video,
                screen: false,
            });
            let trouble = match (opened.mic, opened.camera) {
                (Err(e), _) => Some(format!("{e} You joined muted.")),
                (_, Err(e)) => Some(e),
                _ => None,
            };
            if trouble.is_some() {
                me.dispatch(Action::CallNotice(trouble));
            }
            me.send_join();
        });
    }

    fn send_join(&self) {
        if let Some(c) = my_call() {
            self.send(ClientFrame::CallJoin {
                channel_id: c.channel_id,
                audio: !c.muted,
                video: c.video,
            });
        }
    }

    fn start_pinging(&self) {
        let ws = self.0.borrow().ws.clone();
        let every = CALL_PING_INTERVAL_MS as u32;
        let timer = gloo_timers::callback::Interval::new(every, move || {
            ws.send(ClientFrame::Ping);
        });
        self.0.borrow_mut().pinger = Some(timer);
    }

    /// Leaves the call this device is in (or is joining).
    pub fn leave(&self) {
        if let Some(call_id) = my_call().and_then(|c| c.call_id) {
            self.send(ClientFrame::CallLeave { call_id });
        }
        self.dispatch(Action::CallLeft(None));
        self.teardown();
    }

    /// Stops the media and forgets the call, telling the server nothing.
    fn teardown(&self) {
        let engine = {
            let mut i = self.0.borrow_mut();
            i.channel = None;
            i.attempt += 1;
            i.peers.clear();
            i.pinger = None;
            i.engine.take()
        };
        if let Some(e) = engine {
            e.close();
        }
    }

    /// Accepts a ringing call.
    pub fn accept(&self, channel: ChannelId) {
        self.join(channel, false);
    }

    /// Declines a ringing call (on every device of this person).
    pub fn decline(&self) {
        if let Some(r) = latest().0.ringing.clone() {
            self.send(ClientFrame::CallDecline { call_id: r.call_id });
        }
        self.dispatch(Action::RingStop);
    }

    /// Tells the others what this device sends now.
    fn send_update(&self) {
        if let Some(c) = my_call() {
            if let Some(call_id) = c.call_id {
                self.send(ClientFrame::CallUpdate {
                    call_id,
                    muted: c.muted,
                    video: c.video,
                    screen: c.screen,
                });
            }
        }
    }

    fn set_media(&self, f: impl FnOnce(&mut MyCall)) {
        if let Some(mut c) = my_call() {
            f(&mut c);
            self.dispatch(Action::CallMedia {
                muted: c.muted,
                video: c.video,
                screen: c.screen,
            });
            self.send_update();
        }
    }

    /// Runs one of the engine's switches, then records and announces it.
    fn switch(
        &self,
        run: impl FnOnce(&dyn MediaEngine) -> Later<Result<(), String>>,
        apply: impl FnOnce(&mut MyCall) + 'static,
    ) {
        let Some(engine) = self.engine() else { return };
        let done = run(engine.as_ref());
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match done.await {
                Ok(()) => me.set_media(apply),
                Err(e) => me.dispatch(Action::CallNotice(Some(e))),
            }
        });
    }

    pub fn toggle_mute(&self) {
        let Some(muted) = my_call().map(|c| !c.muted) else {
            return;
        };
        self.switch(|e| e.set_muted(muted), move |c| c.muted = muted);
    }

    pub fn toggle_camera(&self) {
        let Some(on) = my_call().map(|c| !c.video) else {
            return;
        };
        self.switch(|e| e.set_camera(on), move |c| c.video = on);
    }

    pub fn toggle_screen(&self) {
        let Some(on) = my_call().map(|c| !c.screen) else {
            return;
        };
        self.switch(|e| e.set_screen(on), move |c| c.screen = on);
    }

    /// Shares the screen or window picked in the app's own picker (where
    /// the engine has one: [`MediaEngine::screen_sources`]).
    pub fn share_source(&self, id: String) {
        self.switch(|e| e.share_source(id), |c| c.screen = true);
    }

    /// Preferences changed a device: the call switches to it now.
    pub fn devices_changed(&self) {
        let Some(engine) = self.engine() else { return };
        let devices = DeviceChoice::load(self.0.borrow().api.platform().as_ref());
        let me = self.clone();
        let done = engine.use_devices(devices);
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = done.await {
                me.dispatch(Action::CallNotice(Some(e)));
            }
        });
    }

    fn on_signal(&self, s: Signal) {
        if matches!(s, Signal::ScreenEnded) {
            self.set_media(|c| c.screen = false);
            return;
        }
        let Some(call_id) = my_call().and_then(|c| c.call_id) else {
            return;
        };
        self.send(match s {
            Signal::Offer { to, sdp } => ClientFrame::CallOffer { call_id, to, sdp },
            Signal::Answer { to, sdp } => ClientFrame::CallAnswer { call_id, to, sdp },
            Signal::Candidate { to, candidate } => ClientFrame::IceCandidate {
                call_id,
                to,
                candidate,
            },
            Signal::ScreenEnded => return,
        });
    }

    /// Every server event, after the store has seen it.
    pub fn on_event(&self, ev: &ServerEvent) {
        let ours = |id| my_call().and_then(|c| c.call_id) == Some(id);
        let engine = self.engine();
        match ev {
            // A new connection is a new participant: join again and
            // connect afresh (the old connections are the server's past).
            ServerEvent::Hello(_) => {
                if let Some(engine) = &engine {
                    engine.reset();
                    self.0.borrow_mut().peers.clear();
                    self.send_join();
                }
            }
            ServerEvent::CallJoined {
                call,
                participant_id,
            } => {
                let mine = my_call().is_some_and(|c| c.me == Some(*participant_id));
                if !mine {
                    // Left (or moved on) while the join was on its way.
                    self.send(ClientFrame::CallLeave {
                        call_id: call.call_id,
                    });
                } else if let Some(engine) = &engine {
                    for p in &call.participants {
                        if p.participant_id != *participant_id
                            && self.0.borrow_mut().peers.insert(p.participant_id)
                        {
                            engine.connect(p.participant_id);
                        }
                    }
                    // CALL_JOIN carries audio and video; a share that
                    // outlived a reconnect is announced again.
                    if my_call().is_some_and(|c| c.screen) {
                        self.send_update();
                    }
                }
            }
            ServerEvent::CallState(cs) if ours(cs.call_id) => {
                if let Some(engine) = &engine {
                    let gone: Vec<ParticipantId> = self
                        .0
                        .borrow()
                        .peers
                        .iter()
                        .copied()
                        .filter(|pid| !cs.participants.iter().any(|p| p.participant_id == *pid))
                        .collect();
                    for pid in gone {
                        self.0.borrow_mut().peers.remove(&pid);
                        engine.remove(pid);
                    }
                }
            }
            ServerEvent::CallOffer {
                call_id, from, sdp, ..
            } if ours(*call_id) => {
                if let Some(engine) = &engine {
                    self.0.borrow_mut().peers.insert(*from);
                    engine.remote_offer(*from, sdp.clone());
                }
            }
            ServerEvent::CallAnswer {
                call_id, from, sdp, ..
            } if ours(*call_id) => {
                if let Some(engine) = &engine {
                    engine.remote_answer(*from, sdp.clone());
                }
            }
            ServerEvent::IceCandidate {
                call_id,
                from,
                candidate,
                ..
            } if ours(*call_id) => {
                if let Some(engine) = &engine {
                    engine.remote_candidate(*from, candidate.clone());
                }
            }
            _ => {}
        }
        // The store ended the call (moved, ended, refused): so does the media.
        if my_call().is_none() && self.0.borrow().channel.is_some() {
            self.teardown();
        }
        self.sync_tray();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_shared::call::IceServer;
    use parley_shared::Timestamp;

    #[test]
    fn ice_servers_become_an_rtc_configuration() {
        let ice = IceServers {
            ice_servers: vec![
                IceServer {
                    urls: vec!["stun:127.0.0.1:3478".into()],
                    username: None,
                    credential: None,
                },
                IceServer {
                    urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
                    username: Some("1700000000:7".into()),
                    credential: Some("c2VjcmV0".into()),
                },
            ],
            ice_transport_policy: IceTransportPolicy::Relay,
            expires_at: Timestamp(0),
        };
        let c = rtc_config(Some(&ice));
        assert_eq!(c["iceTransportPolicy"], json!("relay"));
        assert_eq!(c["iceServers"][0], json!({"urls": ["stun:127.0.0.1:3478"]}));
        assert_eq!(c["iceServers"][1]["username"], json!("1700000000:7"));
        assert_eq!(c["iceServers"][1]["credential"], json!("c2VjcmV0"));
        assert_eq!(rtc_config(None)["iceServers"], json!([]));
    }

    #[test]
    fn elapsed_time_reads_like_a_clock() {
        assert_eq!(elapsed(-5), "0:00");
        assert_eq!(elapsed(42_900), "0:42");
        assert_eq!(elapsed(725_000), "12:05");
        assert_eq!(elapsed(3_729_000), "1:02:09");
    }

    #[test]
    fn the_tray_follows_this_devices_call() {
        assert_eq!(
            tray_of(None),
            ipc::CallTray {
                active: false,
                muted: false,
                sharing: false
            }
        );
        let call = MyCall {
            channel_id: ChannelId(1),
            call_id: None,
            me: None,
            phase: crate::store::CallPhase::Joining,
            muted: true,
            video: false,
            screen: true,
        };
        assert_eq!(
            tray_of(Some(&call)),
            ipc::CallTray {
                active: true,
                muted: true,
                sharing: true
            }
        );
        assert_eq!(TrayClick::parse(&json!("mute")), Some(TrayClick::Mute));
        assert_eq!(TrayClick::parse(&json!("leave")), Some(TrayClick::Leave));
        assert_eq!(
            TrayClick::parse(&json!("stop-sharing")),
            Some(TrayClick::StopSharing)
        );
        assert_eq!(TrayClick::parse(&json!("quit")), None);
        assert_eq!(TrayClick::parse(&json!(1)), None);
    }

    #[test]
    fn feeds_map_to_their_transceivers() {
        for f in [Feed::Camera, Feed::Screen] {
            assert_eq!(Feed::of_index(f.index()), Some(f));
        }
        assert_eq!(Feed::of_index(AUDIO), None);
    }
}
