//! The desktop app's media engine: the shell's own WebRTC (Debian's
//! WebKitGTK has no `RTCPeerConnection`), driven through its `call_*`
//! commands. The shell asks for signaling with the `call-signal` event,
//! which goes to the call client just as the browser engine's does, and
//! announces each new video picture with `call-video`; the picture is then
//! fetched as JPEG and shown in the tile's `<img>`.
//!
//! What must stay true: at most one picture fetch per video is in flight,
//! pictures announced meanwhile are skipped but for the newest, and one
//! that comes back after its video stopped is thrown away ([`FrameGate`]);
//! a picture's `blob:` URL is revoked once another replaces it; `levels()`
//! answers at once, from a cache a timer refreshes ([`LevelCache`]); after
//! `close()` the engine listens to no shell event and polls nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use parley_shared::call::{IceCandidate, IceServers};
use parley_shared::ipc::{self, event, CallLevel, Command, ScreenSource, SourceKind, VideoFeed};
use parley_shared::ParticipantId;
use wasm_bindgen::JsCast;

use super::devices::DeviceChoice;
use super::js::BlobUrl;
use super::{Feed, Later, MediaEngine, Opened, Signal, SignalSink, Who};
use crate::platform::{invoke, invoke_bytes, invoke_later, listen_until, Listening};

thread_local! {
    /// The number of the newest engine made. The shell has one engine, so
    /// an older one (a join abandoned while its media opened) must not
    /// close the media a newer one opened since.
    static NEWEST: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How often the audio levels are asked for (ms): the speaking rings are
/// read every 150 ms, so each read sees a fresh level.
const LEVELS_EVERY_MS: u32 = 100;

/// The call client's side of what the shell asks to signal.
fn signal_of(s: event::CallSignal) -> Signal {
    match s {
        event::CallSignal::Offer { to, sdp } => Signal::Offer { to, sdp },
        event::CallSignal::Answer { to, sdp } => Signal::Answer { to, sdp },
        event::CallSignal::Candidate { to, candidate } => Signal::Candidate { to, candidate },
        event::CallSignal::ScreenEnded => Signal::ScreenEnded,
    }
}

fn who_of(peer: Option<ParticipantId>) -> Who {
    peer.map_or(Who::Me, Who::Peer)
}

fn peer_of(who: Who) -> Option<ParticipantId> {
    match who {
        Who::Me => None,
        Who::Peer(p) => Some(p),
    }
}

fn feed_of(f: VideoFeed) -> Feed {
    match f {
        VideoFeed::Camera => Feed::Camera,
        VideoFeed::Screen => Feed::Screen,
    }
}

fn video_feed(f: Feed) -> VideoFeed {
    match f {
        Feed::Camera => VideoFeed::Camera,
        Feed::Screen => VideoFeed::Screen,
    }
}

/// What sharing "the screen" without a choice shares: the first screen,
/// or failing that the first window.
fn default_source(sources: &[ScreenSource]) -> Option<&ScreenSource> {
    sources
        .iter()
        .find(|s| s.kind == SourceKind::Screen)
        .or_else(|| sources.first())
}

/// The audio levels last answered, and whether a question is out (a slow
/// answer is never asked for twice at once).
#[derive(Debug, Default)]
struct LevelCache {
    now: Vec<(Who, f32)>,
    asking: bool,
}

impl LevelCache {
    /// Whether to ask the shell now.
    fn ask(&mut self) -> bool {
        !std::mem::replace(&mut self.asking, true)
    }

    /// The shell answered: a failed answer is silence, not the old levels
    /// (which would keep a ring lit).
    fn answered(&mut self, got: Result<Vec<CallLevel>, String>) {
        self.asking = false;
        self.now = got
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.level.is_finite())
            .map(|l| (who_of(l.peer), l.level.clamp(0.0, 1.0)))
            .collect();
    }
}

/// Which pictures of one video to fetch. The shell counts its pictures
/// (`frame`, 0 when the video stopped) and answers `CallFrame` with the
/// newest, so the pictures announced during a fetch need one more fetch,
/// not one each.
#[derive(Debug, Default, PartialEq)]
struct FrameGate {
    /// The newest picture announced (0: stopped).
    latest: u64,
    /// The picture the fetch in flight was asked for.
    asked: Option<u64>,
    /// The video stopped while a fetch was in flight: its picture is old.
    stale: bool,
}

/// What to do with a fetched picture.
#[derive(Debug, PartialEq)]
struct Fetched {
    show: bool,
    /// Fetch again: newer pictures came meanwhile.
    again: bool,
}

impl FrameGate {
    /// `frame` was announced: whether to fetch now.
    fn announce(&mut self, frame: u64) -> bool {
        self.latest = frame;
        if frame == 0 {
            self.stale |= self.asked.is_some();
            return false;
        }
        if self.asked.is_some() {
            return false;
        }
        self.asked = Some(frame);
        true
    }

    /// The fetch in flight came back.
    fn fetched(&mut self) -> Fetched {
        let Some(asked) = self.asked.take() else {
            return Fetched {
                show: false,
                again: false,
            };
        };
        let stale = std::mem::take(&mut self.stale);
        let live = self.latest != 0;
        // A restart may reach the number asked for: a new picture all the same.
        let again = live && (self.latest != asked || stale);
        if again {
            self.asked = Some(self.latest);
        }
        Fetched {
            show: live && !stale,
            again,
        }
    }

    fn playing(&self) -> bool {
        self.latest != 0
    }
}

#[derive(Default)]
struct Video {
    gate: FrameGate,
    /// The picture showing.
    picture: Option<BlobUrl>,
}

struct Inner {
    /// This engine's number (see [`NEWEST`]).
    number: u64,
    ice: Option<IceServers>,
    signal: SignalSink,
    /// The shell's call events, while the engine is open.
    listening: Vec<Listening>,
    levels: LevelCache,
    poller: Option<gloo_timers::callback::Interval>,
    videos: HashMap<(Who, Feed), Video>,
    /// Where each video shows (the tiles' `<img>` elements).
    views: HashMap<(Who, Feed), web_sys::HtmlImageElement>,
    closed: bool,
}

impl Inner {
    /// Shows `key`'s newest picture in its element, if it has one.
    fn refresh_view(&self, key: &(Who, Feed)) {
        let Some(el) = self.views.get(key) else {
            return;
        };
        match self.videos.get(key).and_then(|v| v.picture.as_ref()) {
            Some(url) if el.src() != url.as_str() => el.set_src(url.as_str()),
            Some(_) => {}
            None => {
                let _ = el.remove_attribute("src");
            }
        }
    }
}

/// The shell's engine (see the module's notes).
#[derive(Clone)]
pub struct NativeEngine(Rc<RefCell<Inner>>);

impl NativeEngine {
    /// An engine listening to the shell's call events at once: the shell
    /// may ask for signaling as soon as it opens.
    pub fn new(ice: Option<&IceServers>, signal: SignalSink) -> NativeEngine {
        let number = NEWEST.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        let engine = NativeEngine(Rc::new(RefCell::new(Inner {
            number,
            ice: ice.cloned(),
            signal,
            listening: Vec::new(),
            levels: LevelCache::default(),
            poller: None,
            videos: HashMap::new(),
            views: HashMap::new(),
            closed: false,
        })));
        let weak = engine.weak();
        let on_signal = listen_until(event::CALL_SIGNAL, move |v| {
            match serde_json::from_value::<event::CallSignal>(v) {
                Ok(s) => {
                    if let Some(e) = NativeEngine::from_weak(&weak) {
                        let sink = e.0.borrow().signal.clone();
                        sink(signal_of(s));
                    }
                }
                Err(e) => warn(&format!("call-signal: {e}")),
            }
        });
        let weak = engine.weak();
        let on_video = listen_until(event::CALL_VIDEO, move |v| {
            match serde_json::from_value::<event::CallVideo>(v) {
                Ok(v) => {
                    if let Some(e) = NativeEngine::from_weak(&weak) {
                        e.on_video(&v);
                    }
                }
                Err(e) => warn(&format!("call-video: {e}")),
            }
        });
        engine.0.borrow_mut().listening = vec![on_signal, on_video];
        engine
    }

    fn weak(&self) -> Weak<RefCell<Inner>> {
        Rc::downgrade(&self.0)
    }

    fn from_weak(w: &Weak<RefCell<Inner>>) -> Option<NativeEngine> {
        w.upgrade()
            .map(NativeEngine)
            .filter(|e| !e.0.borrow().closed)
    }

    /// Runs a command whose answer nothing waits for.
    fn run<C: Command + 'static>(&self, c: C) {
        if !self.0.borrow().closed {
            invoke_later(c);
        }
    }

    fn start_polling(&self) {
        if self.0.borrow().closed {
            return;
        }
        let weak = self.weak();
        let timer = gloo_timers::callback::Interval::new(LEVELS_EVERY_MS, move || {
            let Some(e) = NativeEngine::from_weak(&weak) else {
                return;
            };
            if !e.0.borrow_mut().levels.ask() {
                return;
            }
            let weak = weak.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let got = invoke(&ipc::CallLevels {}).await;
                if let Some(e) = NativeEngine::from_weak(&weak) {
                    e.0.borrow_mut().levels.answered(got);
                }
            });
        });
        self.0.borrow_mut().poller = Some(timer);
    }

    fn on_video(&self, v: &event::CallVideo) {
        let key = (who_of(v.peer), feed_of(v.feed));
        let fetch = {
            let mut inner = self.0.borrow_mut();
            let video = inner.videos.entry(key).or_default();
            let fetch = video.gate.announce(v.frame);
            if v.frame == 0 {
                let old = video.picture.take();
                inner.refresh_view(&key);
                drop(old);
            }
            fetch
        };
        if fetch {
            let weak = self.weak();
            wasm_bindgen_futures::spawn_local(fetch_pictures(weak, key));
        }
    }
}

/// Fetches `key`'s newest picture until none newer was announced.
async fn fetch_pictures(weak: Weak<RefCell<Inner>>, key: (Who, Feed)) {
    loop {
        let args = ipc::CallFrame {
            peer: peer_of(key.0),
            feed: video_feed(key.1),
        };
        let got = invoke_bytes(&args).await;
        let Some(engine) = NativeEngine::from_weak(&weak) else {
            return;
        };
        let mut inner = engine.0.borrow_mut();
        // Gone: the participant left or the call was reset.
        let Some(video) = inner.videos.get_mut(&key) else {
            return;
        };
        let next = video.gate.fetched();
        if next.show {
            match got.as_ref().map(BlobUrl::jpeg) {
                Ok(Some(url)) => {
                    // The new picture is in place before the old URL goes.
                    let old = video.picture.replace(url);
                    inner.refresh_view(&key);
                    drop(old);
                }
                Ok(None) => {}
                Err(e) => warn(&format!("call_frame: {e}")),
            }
        }
        if !next.again {
            return;
        }
    }
}

fn warn(what: &str) {
    web_sys::console::warn_1(&format!("parley: {what}").into());
}

/// A command that the caller waits on, its answer dropped.
fn ask<C: Command + 'static>(c: C) -> Later<Result<(), String>> {
    Box::pin(async move { invoke(&c).await.map(|_| ()) })
}

impl MediaEngine for NativeEngine {
    fn open(&self, devices: DeviceChoice, camera: bool) -> Later<Opened> {
        let me = self.clone();
        Box::pin(async move {
            let open = ipc::CallOpen {
                ice: me.0.borrow().ice.clone(),
                mic: devices.mic,
                speaker: devices.speaker,
                camera,
                processing: devices.processing,
            };
            match invoke(&open).await {
                Ok(o) => {
                    me.start_polling();
                    Opened {
                        mic: o.mic_error.map_or(Ok(()), Err),
                        camera: match o.camera_error {
                            Some(e) if camera => Err(e),
                            _ => Ok(o.camera),
                        },
                    }
                }
                Err(e) => Opened {
                    mic: Err(e.clone()),
                    camera: if camera { Err(e) } else { Ok(false) },
                },
            }
        })
    }

    fn use_devices(&self, devices: DeviceChoice) -> Later<Result<(), String>> {
        ask(ipc::CallUseDevices {
            mic: devices.mic,
            speaker: devices.speaker,
            processing: devices.processing,
        })
    }

    fn connect(&self, peer: ParticipantId) {
        self.run(ipc::CallConnect { peer });
    }

    fn remote_offer(&self, from: ParticipantId, sdp: String) {
        self.run(ipc::CallRemoteOffer { from, sdp });
    }

    fn remote_answer(&self, from: ParticipantId, sdp: String) {
        self.run(ipc::CallRemoteAnswer { from, sdp });
    }

    fn remote_candidate(&self, from: ParticipantId, candidate: IceCandidate) {
        self.run(ipc::CallRemoteCandidate { from, candidate });
    }

    fn remove(&self, peer: ParticipantId) {
        self.run(ipc::CallRemove { peer });
        let mut inner = self.0.borrow_mut();
        inner.videos.retain(|(who, _), _| *who != Who::Peer(peer));
        inner.views.retain(|(who, _), _| *who != Who::Peer(peer));
    }

    // The views stay, as in the browser: the others keep their tiles
    // across this device's rejoin. Their pictures are the old
    // connections'; the new ones announce theirs afresh.
    fn reset(&self) {
        self.run(ipc::CallReset {});
        self.0
            .borrow_mut()
            .videos
            .retain(|(who, _), _| *who == Who::Me);
    }

    fn set_muted(&self, muted: bool) -> Later<Result<(), String>> {
        ask(ipc::CallMute { muted })
    }

    fn set_camera(&self, on: bool) -> Later<Result<(), String>> {
        ask(ipc::CallCamera { on })
    }

    fn set_screen(&self, on: bool) -> Later<Result<(), String>> {
        if !on {
            return ask(ipc::CallScreen { source: None });
        }
        Box::pin(async move {
            let sources = invoke(&ipc::CallSources {}).await?;
            let id = default_source(&sources)
                .map(|s| s.id.clone())
                .ok_or("There is no screen to share.")?;
            invoke(&ipc::CallScreen { source: Some(id) }).await
        })
    }

    fn screen_sources(&self) -> Option<Later<Result<Vec<ScreenSource>, String>>> {
        Some(Box::pin(async { invoke(&ipc::CallSources {}).await }))
    }

    fn source_thumbnail(&self, id: String) -> Later<Option<BlobUrl>> {
        Box::pin(async move {
            match invoke_bytes(&ipc::CallSourceThumbnail { id }).await {
                Ok(jpeg) => BlobUrl::jpeg(&jpeg),
                Err(e) => {
                    warn(&format!("call_source_thumbnail: {e}"));
                    None
                }
            }
        })
    }

    fn share_source(&self, id: String) -> Later<Result<(), String>> {
        ask(ipc::CallScreen { source: Some(id) })
    }

    fn levels(&self) -> Vec<(Who, f32)> {
        self.0.borrow().levels.now.clone()
    }

    fn show(&self, who: Who, feed: Feed, el: &web_sys::Element) {
        let Some(img) = el.dyn_ref::<web_sys::HtmlImageElement>() else {
            return;
        };
        let mut inner = self.0.borrow_mut();
        inner.views.insert((who, feed), img.clone());
        inner.refresh_view(&(who, feed));
    }

    fn has_video(&self, who: Who, feed: Feed) -> bool {
        self.0
            .borrow()
            .videos
            .get(&(who, feed))
            .is_some_and(|v| v.gate.playing())
    }

    fn native_video(&self) -> bool {
        true
    }

    fn close(&self) {
        let (closed, number) = {
            let inner = self.0.borrow();
            (inner.closed, inner.number)
        };
        if closed {
            return;
        }
        // A newer engine's `CallOpen` already closed this one's media.
        if NEWEST.with(|n| n.get()) == number {
            invoke_later(ipc::CallClose {});
        }
        let (listening, poller, videos, views) = {
            let mut inner = self.0.borrow_mut();
            inner.closed = true;
            (
                std::mem::take(&mut inner.listening),
                inner.poller.take(),
                std::mem::take(&mut inner.videos),
                std::mem::take(&mut inner.views),
            )
        };
        drop((listening, poller));
        for el in views.values() {
            let _ = el.remove_attribute("src");
        }
        // The URLs are revoked after no element shows them.
        drop(videos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: i64) -> ParticipantId {
        ParticipantId(n)
    }

    #[test]
    fn the_shells_signals_become_the_clients() {
        let to = pid(7);
        let cand = IceCandidate {
            candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        };
        assert_eq!(
            signal_of(event::CallSignal::Offer {
                to,
                sdp: "o".into()
            }),
            Signal::Offer {
                to,
                sdp: "o".into()
            }
        );
        assert_eq!(
            signal_of(event::CallSignal::Answer {
                to,
                sdp: "a".into()
            }),
            Signal::Answer {
                to,
                sdp: "a".into()
            }
        );
        assert_eq!(
            signal_of(event::CallSignal::Candidate {
                to,
                candidate: cand.clone()
            }),
            Signal::Candidate {
                to,
                candidate: cand
            }
        );
        assert_eq!(
            signal_of(event::CallSignal::ScreenEnded),
            Signal::ScreenEnded
        );
        // The wire form the shell emits.
        let s: event::CallSignal =
            serde_json::from_value(serde_json::json!({ "kind": "screen_ended" }))
                .expect("screen_ended decodes");
        assert_eq!(signal_of(s), Signal::ScreenEnded);
    }

    #[test]
    fn levels_are_cached_and_asked_for_one_at_a_time() {
        let mut c = LevelCache::default();
        assert!(c.ask());
        assert!(!c.ask(), "a question is out");
        c.answered(Ok(vec![
            CallLevel {
                peer: None,
                level: 0.5,
            },
            CallLevel {
                peer: Some(pid(3)),
                level: 1.7,
            },
            CallLevel {
                peer: Some(pid(4)),
                level: f32::NAN,
            },
        ]));
        assert_eq!(c.now, vec![(Who::Me, 0.5), (Who::Peer(pid(3)), 1.0)]);
        assert!(c.ask());
        c.answered(Err("gone".into()));
        assert!(c.now.is_empty(), "a failed answer is silence");
    }

    #[test]
    fn one_fetch_at_a_time_and_only_the_newest_picture() {
        let mut g = FrameGate::default();
        assert!(g.announce(1));
        assert!(!g.announce(2), "a fetch is in flight");
        assert!(!g.announce(3));
        assert_eq!(
            g.fetched(),
            Fetched {
                show: true,
                again: true
            }
        );
        assert_eq!(g.asked, Some(3), "2 is skipped");
        assert_eq!(
            g.fetched(),
            Fetched {
                show: true,
                again: false
            }
        );
        assert!(g.announce(4));
        assert!(g.playing());
    }

    #[test]
    fn a_picture_of_a_stopped_video_is_thrown_away() {
        let mut g = FrameGate::default();
        assert!(g.announce(5));
        assert!(!g.announce(0));
        assert!(!g.playing());
        assert_eq!(
            g.fetched(),
            Fetched {
                show: false,
                again: false
            }
        );
        // Stopped and restarted during a fetch: the old picture is not
        // shown, the new video's is fetched.
        assert!(g.announce(9));
        assert!(!g.announce(0));
        assert!(!g.announce(1));
        assert_eq!(
            g.fetched(),
            Fetched {
                show: false,
                again: true
            }
        );
        assert_eq!(
            g.fetched(),
            Fetched {
                show: true,
                again: false
            }
        );
        assert_eq!(
            FrameGate::default().fetched(),
            Fetched {
                show: false,
                again: false
            }
        );
    }

    #[test]
    fn ids_and_feeds_map_both_ways() {
        for w in [Who::Me, Who::Peer(pid(2))] {
            assert_eq!(who_of(peer_of(w)), w);
        }
        for f in [Feed::Camera, Feed::Screen] {
            assert_eq!(feed_of(video_feed(f)), f);
        }
    }

    #[test]
    fn sharing_without_a_choice_takes_a_screen() {
        let src = |id: &str, kind| ScreenSource {
            id: id.into(),
            name: id.into(),
            kind,
            width: 1,
            height: 1,
        };
        let list = [src("w1", SourceKind::Window), src("s1", SourceKind::Screen)];
        assert_eq!(default_source(&list).map(|s| s.id.as_str()), Some("s1"));
        assert_eq!(
            default_source(&list[..1]).map(|s| s.id.as_str()),
            Some("w1")
        );
        assert_eq!(default_source(&[]), None);
    }
}
