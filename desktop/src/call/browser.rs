//! The browser's media engine: `getUserMedia`/`getDisplayMedia` for the
//! local devices and one `RTCPeerConnection` per other participant, each
//! with the audio, camera and screen transceivers in that order.
//!
//! What must stay true: only the side that offered first offers again (an
//! ICE restart after a failure), so the two sides never offer at once; a
//! remote candidate that arrives before its description is kept until the
//! description is set; and no borrow of the engine is held across an
//! `await` (the peer connections' events come in between).
//!
//! `MediaStream` and `MediaStreamTrack` have an inherent `clone()`, the
//! JS one, which makes a new stream or track (a second capture to stop):
//! a second handle to the same object is `Clone::clone(&x)` here.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::{Rc, Weak};

use parley_shared::call::{IceCandidate, IceServers};
use parley_shared::ParticipantId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, HtmlAudioElement, HtmlVideoElement, MediaStream, MediaStreamTrack,
    RtcIceCandidateInit, RtcOfferOptions, RtcPeerConnection, RtcPeerConnectionIceEvent,
    RtcPeerConnectionState, RtcRtpTransceiver, RtcRtpTransceiverDirection, RtcRtpTransceiverInit,
    RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

use super::devices::{self, DeviceChoice};
use super::js;
use super::meter::Meter;
use super::{Feed, Later, MediaEngine, Opened, Signal, SignalSink, Who, AUDIO, CAMERA, SCREEN};

/// ICE restarts tried for one connection before leaving it failed.
const MAX_RESTARTS: u32 = 5;

/// How long a connection may stay "disconnected" before the offerer
/// restarts ICE without waiting for "failed" (ms).
const DISCONNECTED_GRACE_MS: u32 = 3_000;

struct Peer {
    pc: RtcPeerConnection,
    /// This side made the first offer (and makes any restart).
    offerer: bool,
    remote_set: bool,
    /// Remote candidates that came before the remote description.
    early: Vec<IceCandidate>,
    /// Plays the remote audio; the meter reads the same stream.
    player: HtmlAudioElement,
    /// The remote tracks, by transceiver.
    streams: [Option<MediaStream>; 3],
    meter: Option<Meter>,
    restarts: u32,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Peer {
    fn close(&mut self) {
        self.pc.set_onicecandidate(None);
        self.pc.set_ontrack(None);
        self.pc.set_onconnectionstatechange(None);
        self.pc.close();
        let _ = self.player.pause();
        self.player.set_src_object(None);
    }
}

struct Inner {
    config: JsValue,
    signal: SignalSink,
    audio: Option<AudioContext>,
    mic: Option<MediaStreamTrack>,
    muted: bool,
    camera: Option<MediaStreamTrack>,
    screen: Option<MediaStreamTrack>,
    /// The local camera and screen as streams, for the previews.
    local: HashMap<Feed, MediaStream>,
    mic_meter: Option<Meter>,
    /// The devices chosen in Preferences.
    devices: DeviceChoice,
    peers: BTreeMap<ParticipantId, Peer>,
    /// Where each video shows (the tiles' `<video>` elements).
    views: HashMap<(Who, Feed), HtmlVideoElement>,
    on_screen_ended: Option<Closure<dyn FnMut()>>,
    closed: bool,
}

impl Inner {
    /// What this side sends on transceiver `i` now.
    fn track_for(&self, i: usize) -> Option<MediaStreamTrack> {
        match i {
            AUDIO if !self.muted => self.mic.clone(),
            CAMERA => self.camera.clone(),
            SCREEN => self.screen.clone(),
            _ => None,
        }
    }

    fn stream_of(&self, who: Who, feed: Feed) -> Option<MediaStream> {
        match who {
            Who::Me => self.local.get(&feed).cloned(),
            Who::Peer(id) => self.peers.get(&id)?.streams[feed.index()].clone(),
        }
    }

    /// Puts transceiver `i`'s current track on every connection.
    fn send_everywhere(&self, i: usize) {
        let track = self.track_for(i);
        for p in self.peers.values() {
            if let Some(t) = transceivers(&p.pc).get(i) {
                js::settle(
                    Some(t.sender().replace_track(track.as_ref())),
                    "replace a track",
                );
            }
        }
    }

    /// Shows `who`'s `feed` in the element registered for it, if any.
    fn refresh_view(&self, who: Who, feed: Feed) {
        if let Some(el) = self.views.get(&(who, feed)) {
            attach(el, self.stream_of(who, feed).as_ref());
        }
    }
}

fn transceivers(pc: &RtcPeerConnection) -> Vec<RtcRtpTransceiver> {
    pc.get_transceivers()
        .iter()
        .filter_map(|t| t.dyn_into::<RtcRtpTransceiver>().ok())
        .collect()
}

/// Points a media element at a stream, leaving it alone when it already
/// plays that one (a new `srcObject` restarts playback: a flicker).
fn attach(el: &web_sys::HtmlMediaElement, stream: Option<&MediaStream>) {
    let current = el.src_object();
    let same = match (&current, stream) {
        (Some(a), Some(b)) => js_sys::Object::is(a, b),
        (None, None) => true,
        _ => false,
    };
    if !same {
        el.set_src_object(stream);
        if stream.is_some() {
            js::settle(el.play().ok(), "play a stream");
        }
    }
}

fn stream_of_track(track: &MediaStreamTrack) -> Option<MediaStream> {
    MediaStream::new_with_tracks(&js_sys::Array::of1(track)).ok()
}

/// Asks for one local track (`display`: a screen, through the browser's
/// picker). `device` names the device in an error.
async fn local_track(
    constraints: serde_json::Value,
    display: bool,
    device: &str,
) -> Result<MediaStreamTrack, String> {
    let md = devices::media_devices().ok_or("This browser cannot make calls.")?;
    let c = js::object(&constraints);
    let promise = if display {
        md.get_display_media_with_constraints(c.unchecked_ref())
    } else {
        md.get_user_media_with_constraints(c.unchecked_ref())
    };
    let stream = JsFuture::from(promise.map_err(|e| js::media_error(&e, device))?)
        .await
        .map_err(|e| js::media_error(&e, device))?;
    let stream: MediaStream = stream.unchecked_into();
    stream
        .get_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
        .map_err(|_| format!("The {device} gave no picture or sound."))
}

/// The browser engine (see the module's notes).
#[derive(Clone)]
pub struct BrowserEngine(Rc<RefCell<Inner>>);

impl BrowserEngine {
    pub fn new(ice: Option<&IceServers>, signal: SignalSink) -> BrowserEngine {
        BrowserEngine(Rc::new(RefCell::new(Inner {
            config: js::object(&super::rtc_config(ice)),
            signal,
            audio: None,
            mic: None,
            muted: false,
            camera: None,
            screen: None,
            local: HashMap::new(),
            mic_meter: None,
            devices: DeviceChoice::default(),
            peers: BTreeMap::new(),
            views: HashMap::new(),
            on_screen_ended: None,
            closed: false,
        })))
    }

    fn signal(&self, s: Signal) {
        let sink = self.0.borrow().signal.clone();
        sink(s);
    }

    fn weak(&self) -> Weak<RefCell<Inner>> {
        Rc::downgrade(&self.0)
    }

    fn from_weak(w: &Weak<RefCell<Inner>>) -> Option<BrowserEngine> {
        w.upgrade()
            .map(BrowserEngine)
            .filter(|e| !e.0.borrow().closed)
    }

    /// Opens the microphone with `mic` and starts metering it.
    async fn open_mic(&self, mic: Option<&str>) -> Result<(), String> {
        let track = local_track(devices::audio_constraints(mic), false, "microphone").await?;
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.mic.replace(Clone::clone(&track)) {
            old.stop();
        }
        inner.mic_meter = match (&inner.audio, stream_of_track(&track)) {
            (Some(ctx), Some(s)) => Meter::new(ctx, &s),
            _ => None,
        };
        inner.send_everywhere(AUDIO);
        Ok(())
    }

    async fn open_camera(&self, camera: Option<&str>) -> Result<(), String> {
        let track = local_track(devices::video_constraints(camera), false, "camera").await?;
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.camera.replace(Clone::clone(&track)) {
            old.stop();
        }
        if let Some(s) = stream_of_track(&track) {
            inner.local.insert(Feed::Camera, s);
        }
        inner.send_everywhere(CAMERA);
        inner.refresh_view(Who::Me, Feed::Camera);
        Ok(())
    }

    async fn open_screen(&self) -> Result<(), String> {
        let track = local_track(devices::screen_constraints(), true, "screen").await?;
        // Text stays sharp: under load the encoder drops frames rather
        // than resolution.
        js::set(&track, "contentHint", &"detail".into());
        let weak = self.weak();
        let ended = Closure::<dyn FnMut()>::new(move || {
            if let Some(e) = BrowserEngine::from_weak(&weak) {
                e.stop_screen();
                e.signal(Signal::ScreenEnded);
            }
        });
        track.set_onended(Some(ended.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        if let Some(old) = inner.screen.replace(Clone::clone(&track)) {
            old.set_onended(None);
            old.stop();
        }
        inner.on_screen_ended = Some(ended);
        if let Some(s) = stream_of_track(&track) {
            inner.local.insert(Feed::Screen, s);
        }
        inner.send_everywhere(SCREEN);
        inner.refresh_view(Who::Me, Feed::Screen);
        Ok(())
    }

    fn stop_camera(&self) {
        let mut inner = self.0.borrow_mut();
        if let Some(t) = inner.camera.take() {
            t.stop();
        }
        inner.local.remove(&Feed::Camera);
        inner.send_everywhere(CAMERA);
        inner.refresh_view(Who::Me, Feed::Camera);
    }

    fn stop_screen(&self) {
        let mut inner = self.0.borrow_mut();
        if let Some(t) = inner.screen.take() {
            t.set_onended(None);
            t.stop();
        }
        inner.on_screen_ended = None;
        inner.local.remove(&Feed::Screen);
        inner.send_everywhere(SCREEN);
        inner.refresh_view(Who::Me, Feed::Screen);
    }

    /// A connection to `id`, with its event handlers, kept in `peers`.
    fn new_peer(&self, id: ParticipantId, offerer: bool) -> Option<RtcPeerConnection> {
        let config = self.0.borrow().config.clone();
        let pc = match RtcPeerConnection::new_with_configuration(config.unchecked_ref()) {
            Ok(pc) => pc,
            Err(e) => {
                web_sys::console::error_2(&"RTCPeerConnection".into(), &e);
                return None;
            }
        };
        let weak = self.weak();
        let on_candidate = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(c) = e
                .dyn_ref::<RtcPeerConnectionIceEvent>()
                .and_then(|e| e.candidate())
            else {
                return;
            };
            let candidate = IceCandidate {
                candidate: c.candidate(),
                sdp_mid: c.sdp_mid(),
                sdp_m_line_index: c.sdp_m_line_index(),
                username_fragment: js::string(&c, "usernameFragment"),
            };
            if let Some(engine) = BrowserEngine::from_weak(&weak) {
                engine.signal(Signal::Candidate { to: id, candidate });
            }
        });
        let weak = self.weak();
        let on_track = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if let (Some(e), Some(engine)) = (
                e.dyn_ref::<RtcTrackEvent>(),
                BrowserEngine::from_weak(&weak),
            ) {
                engine.on_track(id, &e.transceiver(), &e.track());
            }
        });
        let weak = self.weak();
        let on_state = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            if let Some(engine) = BrowserEngine::from_weak(&weak) {
                engine.on_state(id);
            }
        });
        pc.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
        let player = HtmlAudioElement::new().ok()?;
        player.set_autoplay(true);
        let mut inner = self.0.borrow_mut();
        if let Some(sink) = &inner.devices.speaker {
            js::call_async(&player, "setSinkId", &[sink.into()], "choose the speaker");
        }
        let peer = Peer {
            pc: pc.clone(),
            offerer,
            remote_set: false,
            early: Vec::new(),
            player,
            streams: [None, None, None],
            meter: None,
            restarts: 0,
            _handlers: vec![on_candidate, on_track, on_state],
        };
        if let Some(mut old) = inner.peers.insert(id, peer) {
            old.close();
        }
        Some(pc)
    }

    fn on_track(&self, id: ParticipantId, t: &RtcRtpTransceiver, track: &MediaStreamTrack) {
        let Some(stream) = stream_of_track(track) else {
            return;
        };
        let mut inner = self.0.borrow_mut();
        let audio = inner.audio.clone();
        let Some(peer) = inner.peers.get_mut(&id) else {
            return;
        };
        let Some(i) = transceivers(&peer.pc)
            .iter()
            .position(|x| js_sys::Object::is(x, t))
            .filter(|i| *i <= SCREEN)
        else {
            return;
        };
        peer.streams[i] = Some(Clone::clone(&stream));
        if i == AUDIO {
            attach(&peer.player, Some(&stream));
            peer.meter = audio.and_then(|ctx| Meter::new(&ctx, &stream));
        } else if let Some(feed) = Feed::of_index(i) {
            inner.refresh_view(Who::Peer(id), feed);
        }
    }

    fn on_state(&self, id: ParticipantId) {
        let (state, offerer, pc) = {
            let inner = self.0.borrow();
            let Some(p) = inner.peers.get(&id) else {
                return;
            };
            (p.pc.connection_state(), p.offerer, p.pc.clone())
        };
        match state {
            RtcPeerConnectionState::Connected => {
                if let Some(p) = self.0.borrow_mut().peers.get_mut(&id) {
                    p.restarts = 0;
                }
            }
            RtcPeerConnectionState::Failed if offerer => self.restart(id),
            RtcPeerConnectionState::Disconnected if offerer => {
                // Often a blip that heals by itself; a restart if not.
                let weak = self.weak();
                gloo_timers::callback::Timeout::new(DISCONNECTED_GRACE_MS, move || {
                    if let Some(e) = BrowserEngine::from_weak(&weak) {
                        let same =
                            e.0.borrow()
                                .peers
                                .get(&id)
                                .is_some_and(|p| js_sys::Object::is(&p.pc, &pc));
                        if same && pc.connection_state() == RtcPeerConnectionState::Disconnected {
                            e.restart(id);
                        }
                    }
                })
                .forget();
            }
            _ => {}
        }
    }

    /// Offers again with new ICE credentials (this side offered first).
    fn restart(&self, id: ParticipantId) {
        let pc = {
            let mut inner = self.0.borrow_mut();
            let Some(p) = inner
                .peers
                .get_mut(&id)
                .filter(|p| p.restarts < MAX_RESTARTS)
            else {
                return;
            };
            p.restarts += 1;
            p.pc.clone()
        };
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            me.offer_to(id, &pc, true).await;
        });
    }

    async fn offer_to(&self, id: ParticipantId, pc: &RtcPeerConnection, restart: bool) {
        let offer = if restart {
            let opts = RtcOfferOptions::new();
            opts.set_ice_restart(true);
            pc.create_offer_with_rtc_offer_options(&opts)
        } else {
            pc.create_offer()
        };
        match describe(pc, offer).await {
            Ok(sdp) => self.signal(Signal::Offer { to: id, sdp }),
            Err(e) => web_sys::console::warn_2(&"offer".into(), &e),
        }
    }

    /// Sets the remote description, then adds the candidates that waited.
    async fn set_remote(
        &self,
        id: ParticipantId,
        pc: &RtcPeerConnection,
        kind: RtcSdpType,
        sdp: &str,
    ) -> Result<(), JsValue> {
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(sdp);
        JsFuture::from(pc.set_remote_description(&desc)).await?;
        let early = {
            let mut inner = self.0.borrow_mut();
            let Some(p) = inner.peers.get_mut(&id) else {
                return Ok(());
            };
            p.remote_set = true;
            std::mem::take(&mut p.early)
        };
        for c in early {
            add_candidate(pc, &c);
        }
        Ok(())
    }

    async fn answer_offer(&self, from: ParticipantId, sdp: String) {
        let existing = self
            .0
            .borrow()
            .peers
            .get(&from)
            .map(|p| (p.pc.clone(), p.offerer));
        let (pc, fresh) = match existing {
            // A restart of a connection the other side offered.
            Some((pc, false)) => (pc, false),
            // Someone this side offered to offering back can only be a
            // new connection of theirs: start over as the answerer.
            _ => match self.new_peer(from, false) {
                Some(pc) => (pc, true),
                None => return,
            },
        };
        if let Err(e) = self.set_remote(from, &pc, RtcSdpType::Offer, &sdp).await {
            web_sys::console::warn_2(&"remote offer".into(), &e);
            return;
        }
        if fresh {
            // The offer made the three transceivers; send on them too.
            let inner = self.0.borrow();
            for (i, t) in transceivers(&pc).iter().enumerate().take(SCREEN + 1) {
                t.set_direction(RtcRtpTransceiverDirection::Sendrecv);
                js::settle(
                    Some(t.sender().replace_track(inner.track_for(i).as_ref())),
                    "send a track",
                );
            }
        }
        match describe(&pc, pc.create_answer()).await {
            Ok(sdp) => self.signal(Signal::Answer { to: from, sdp }),
            Err(e) => web_sys::console::warn_2(&"answer".into(), &e),
        }
    }
}

/// Makes and sets the local description from `made` (an offer or an
/// answer); its SDP.
async fn describe(pc: &RtcPeerConnection, made: js_sys::Promise) -> Result<String, JsValue> {
    let desc = JsFuture::from(made).await?;
    JsFuture::from(pc.set_local_description(desc.unchecked_ref())).await?;
    pc.local_description()
        .map(|d| d.sdp())
        .ok_or_else(|| JsValue::from_str("no local description"))
}

fn add_candidate(pc: &RtcPeerConnection, c: &IceCandidate) {
    let init = RtcIceCandidateInit::new(&c.candidate);
    init.set_sdp_mid(c.sdp_mid.as_deref());
    init.set_sdp_m_line_index(c.sdp_m_line_index);
    if let Some(u) = &c.username_fragment {
        js::set(&init, "usernameFragment", &u.into());
    }
    js::settle(
        Some(pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init))),
        "add an ICE candidate",
    );
}

impl MediaEngine for BrowserEngine {
    fn open(&self, devices: DeviceChoice, camera: bool) -> Later<Opened> {
        let me = self.clone();
        Box::pin(async move {
            // Made here, after the click that joined: a context made
            // without one may start suspended.
            if let Ok(ctx) = AudioContext::new() {
                js::settle(ctx.resume().ok(), "resume audio");
                me.0.borrow_mut().audio = Some(ctx);
            }
            me.0.borrow_mut().devices = devices.clone();
            let mic = me.open_mic(devices.mic.as_deref()).await;
            let camera = if camera {
                me.open_camera(devices.camera.as_deref())
                    .await
                    .map(|()| true)
            } else {
                Ok(false)
            };
            Opened { mic, camera }
        })
    }

    fn use_devices(&self, devices: DeviceChoice) -> Later<Result<(), String>> {
        let me = self.clone();
        Box::pin(async move {
            {
                let mut inner = me.0.borrow_mut();
                inner.devices = devices.clone();
                // "" is the system's default output.
                let sink = devices.speaker.clone().unwrap_or_default();
                for p in inner.peers.values() {
                    js::call_async(
                        &p.player,
                        "setSinkId",
                        &[sink.as_str().into()],
                        "choose the speaker",
                    );
                }
            }
            let (had_mic, had_camera) = {
                let inner = me.0.borrow();
                (inner.mic.is_some(), inner.camera.is_some())
            };
            if had_mic {
                me.open_mic(devices.mic.as_deref()).await?;
            }
            if had_camera {
                me.open_camera(devices.camera.as_deref()).await?;
            }
            Ok(())
        })
    }

    fn connect(&self, peer: ParticipantId) {
        let Some(pc) = self.new_peer(peer, true) else {
            return;
        };
        let init = RtcRtpTransceiverInit::new();
        init.set_direction(RtcRtpTransceiverDirection::Sendrecv);
        {
            let inner = self.0.borrow();
            for (i, kind) in ["audio", "video", "video"].into_iter().enumerate() {
                let t = pc.add_transceiver_with_str_and_init(kind, &init);
                js::settle(
                    Some(t.sender().replace_track(inner.track_for(i).as_ref())),
                    "send a track",
                );
            }
        }
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            me.offer_to(peer, &pc, false).await;
        });
    }

    fn remote_offer(&self, from: ParticipantId, sdp: String) {
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            me.answer_offer(from, sdp).await;
        });
    }

    fn remote_answer(&self, from: ParticipantId, sdp: String) {
        let Some(pc) = self
            .0
            .borrow()
            .peers
            .get(&from)
            .filter(|p| p.offerer)
            .map(|p| p.pc.clone())
        else {
            return;
        };
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = me.set_remote(from, &pc, RtcSdpType::Answer, &sdp).await {
                web_sys::console::warn_2(&"remote answer".into(), &e);
            }
        });
    }

    fn remote_candidate(&self, from: ParticipantId, candidate: IceCandidate) {
        // The offer comes first on the same ordered socket, so a peer
        // exists; its description may still be being set.
        let pc = {
            let mut inner = self.0.borrow_mut();
            let Some(p) = inner.peers.get_mut(&from) else {
                return;
            };
            if !p.remote_set {
                p.early.push(candidate);
                return;
            }
            p.pc.clone()
        };
        add_candidate(&pc, &candidate);
    }

    fn remove(&self, peer: ParticipantId) {
        let gone = self.0.borrow_mut().peers.remove(&peer);
        if let Some(mut p) = gone {
            p.close();
        }
        self.0
            .borrow_mut()
            .views
            .retain(|(who, _), _| *who != Who::Peer(peer));
    }

    // The views stay: after this device rejoins, the others keep their
    // participant ids and tiles, and the new connections' tracks go to
    // the same elements.
    fn reset(&self) {
        let peers = std::mem::take(&mut self.0.borrow_mut().peers);
        for (_, mut p) in peers {
            p.close();
        }
    }

    fn set_muted(&self, muted: bool) -> Later<Result<(), String>> {
        let me = self.clone();
        Box::pin(async move {
            let (no_mic, mic) = {
                let inner = me.0.borrow();
                (inner.mic.is_none(), inner.devices.mic.clone())
            };
            if !muted && no_mic {
                me.open_mic(mic.as_deref()).await?;
            }
            let mut inner = me.0.borrow_mut();
            inner.muted = muted;
            inner.send_everywhere(AUDIO);
            Ok(())
        })
    }

    fn set_camera(&self, on: bool) -> Later<Result<(), String>> {
        let me = self.clone();
        Box::pin(async move {
            if on {
                let camera = me.0.borrow().devices.camera.clone();
                me.open_camera(camera.as_deref()).await
            } else {
                me.stop_camera();
                Ok(())
            }
        })
    }

    fn set_screen(&self, on: bool) -> Later<Result<(), String>> {
        let me = self.clone();
        Box::pin(async move {
            if on {
                me.open_screen().await
            } else {
                me.stop_screen();
                Ok(())
            }
        })
    }

    fn levels(&self) -> Vec<(Who, f32)> {
        let inner = self.0.borrow();
        let mut out = Vec::with_capacity(inner.peers.len() + 1);
        if let Some(m) = &inner.mic_meter {
            out.push((Who::Me, m.level()));
        }
        for (id, p) in &inner.peers {
            if let Some(m) = &p.meter {
                out.push((Who::Peer(*id), m.level()));
            }
        }
        out
    }

    fn show(&self, who: Who, feed: Feed, el: &web_sys::Element) {
        let Some(video) = el.dyn_ref::<HtmlVideoElement>() else {
            return;
        };
        let mut inner = self.0.borrow_mut();
        inner.views.insert((who, feed), video.clone());
        inner.refresh_view(who, feed);
    }

    fn has_video(&self, who: Who, feed: Feed) -> bool {
        self.0.borrow().stream_of(who, feed).is_some()
    }

    fn close(&self) {
        self.reset();
        let mut inner = self.0.borrow_mut();
        inner.closed = true;
        for t in [inner.mic.take(), inner.camera.take(), inner.screen.take()]
            .into_iter()
            .flatten()
        {
            t.set_onended(None);
            t.stop();
        }
        inner.on_screen_ended = None;
        inner.mic_meter = None;
        inner.local.clear();
        for el in inner.views.values() {
            el.set_src_object(None);
        }
        inner.views.clear();
        if let Some(ctx) = inner.audio.take() {
            js::settle(ctx.close().ok(), "close audio");
        }
    }
}
