//! Calls in the desktop app: the media engine the web view lacks (Debian's
//! WebKitGTK has no RTCPeerConnection). The UI keeps the call's signaling
//! on its WebSocket and drives this engine with the `call_*` commands typed
//! in `parley_shared::ipc`; the engine answers with [`event::CALL_SIGNAL`]
//! (offers, answers and candidates to relay) and [`event::CALL_VIDEO`]
//! (a new picture to show, read with `call_frame`).
//!
//! Media flows in a mesh exactly as in a browser: one peer connection per
//! other participant ([`peer`]), each with three transceivers in a fixed
//! order (audio, camera, screen) so a browser and this engine agree on
//! which video is which. Audio ([`audio`]): cpal capture → noise
//! suppression → Opus 48 kHz → every connection; every connection's Opus →
//! its jitter buffer → mixed → cpal playback. Screen ([`screen`]): xcap →
//! I420 → VP8 (libvpx) → every connection, a keyframe on PLI/FIR and the
//! bitrate following the receivers' estimate. Received video ([`video`]):
//! VP8 → I420, kept as the newest picture of its feed and handed to the
//! window as JPEG on request, never as a string per frame.
//!
//! What must stay true: one [`Session`] at a time (opening a call closes
//! the last one), every device and thread is released by `call_close`, and
//! a command on a closed session does nothing rather than fail loudly (the
//! UI may race a leave against a late candidate).

pub mod audio;
pub mod jitter;
pub mod loopback;
pub mod peer;
pub mod processing;
pub mod screen;
pub mod video;

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use parley_shared::call::{IceServers, IceTransportPolicy};
use parley_shared::ipc::{self, event, VideoFeed};
use parley_shared::ParticipantId;
use rtc::peer_connection::configuration::RTCIceTransportPolicy;
use rtc::peer_connection::transport::RTCIceServer;
use tauri::ipc::Response;
use tauri::{AppHandle, Emitter, Runtime, State};
use tokio::sync::Mutex;

use crate::ipc::{Answer, Args};

/// What the engine tells the window.
#[derive(Debug, Clone)]
pub enum Out {
    Signal(event::CallSignal),
    Video(event::CallVideo),
}

/// Where [`Out`] goes (the app's event emitter; a test's channel).
pub type Sink = Arc<dyn Fn(Out) + Send + Sync>;

/// The ICE settings every connection of a call uses.
#[derive(Clone, Default)]
pub struct IceConfig {
    pub servers: Vec<RTCIceServer>,
    pub relay_only: bool,
}

impl IceConfig {
    pub fn from_shared(ice: Option<&IceServers>) -> IceConfig {
        let Some(ice) = ice else {
            return IceConfig::default();
        };
        IceConfig {
            servers: ice
                .ice_servers
                .iter()
                .map(|s| RTCIceServer {
                    urls: s.urls.clone(),
                    username: s.username.clone().unwrap_or_default(),
                    credential: s.credential.clone().unwrap_or_default(),
                })
                .collect(),
            relay_only: ice.ice_transport_policy == IceTransportPolicy::Relay,
        }
    }

    pub fn policy(&self) -> RTCIceTransportPolicy {
        if self.relay_only {
            RTCIceTransportPolicy::Relay
        } else {
            RTCIceTransportPolicy::All
        }
    }
}

/// One call's media on this device.
pub struct Session {
    pub ice: IceConfig,
    pub out: Sink,
    pub peers: Mutex<HashMap<ParticipantId, Arc<peer::Peer>>>,
    pub audio: audio::Audio,
    pub screen: StdMutex<Option<screen::Share>>,
    pub frames: video::Frames,
}

impl Session {
    fn emit(&self, o: Out) {
        (self.out)(o);
    }

    pub async fn peer(&self, id: ParticipantId) -> Option<Arc<peer::Peer>> {
        self.peers.lock().await.get(&id).cloned()
    }

    /// Closes the connection to `id`, if any.
    pub async fn remove(&self, id: ParticipantId) {
        let gone = self.peers.lock().await.remove(&id);
        if let Some(p) = gone {
            p.close().await;
        }
        self.audio.remove_peer(id);
        self.frames.forget(Some(id), &self.out);
    }

    async fn reset(&self) {
        let ids: Vec<ParticipantId> = self.peers.lock().await.keys().copied().collect();
        for id in ids {
            self.remove(id).await;
        }
    }

    pub async fn close(&self) {
        self.reset().await;
        self.stop_screen();
        self.audio.stop();
    }

    fn stop_screen(&self) {
        let share = self.screen.lock().ok().and_then(|mut s| s.take());
        if let Some(s) = share {
            s.stop();
            self.frames.forget(None, &self.out);
        }
    }
}

/// The engine's state in the app: the session of the call this device is
/// in, if any.
#[derive(Default)]
pub struct Calls(Mutex<Option<Arc<Session>>>);

impl Calls {
    pub async fn session(&self) -> Option<Arc<Session>> {
        self.0.lock().await.clone()
    }
}

fn sink<R: Runtime>(app: &AppHandle<R>) -> Sink {
    let app = app.clone();
    Arc::new(move |o| {
        let sent = match &o {
            Out::Signal(s) => app.emit(event::CALL_SIGNAL, s),
            Out::Video(v) => app.emit(event::CALL_VIDEO, v),
        };
        if let Err(e) = sent {
            eprintln!("parley: call event: {e}");
        }
    })
}

/// Opens a session: the microphone and speaker (the camera is not
/// captured here yet: its trouble is reported, the call goes on).
pub async fn open(calls: &Calls, args: ipc::CallOpen, out: Sink) -> ipc::CallOpened {
    if let Some(old) = calls.0.lock().await.take() {
        old.close().await;
    }
    let (audio, microphone, mic_error) = audio::Audio::start(audio::Choice {
        mic: args.mic,
        speaker: args.speaker,
        processing: args.processing,
    });
    let session = Arc::new(Session {
        ice: IceConfig::from_shared(args.ice.as_ref()),
        out,
        peers: Mutex::new(HashMap::new()),
        audio,
        screen: StdMutex::new(None),
        frames: video::Frames::default(),
    });
    // A connection not yet up refuses: its audio starts later.
    peer::forward(&session, peer::AUDIO, microphone);
    *calls.0.lock().await = Some(session);
    ipc::CallOpened {
        mic_error,
        camera: false,
        camera_error: args
            .camera
            .then(|| "The desktop app does not send camera video yet; others still see your screen share.".to_owned()),
    }
}

#[tauri::command]
pub async fn call_open<R: Runtime>(
    app: AppHandle<R>,
    calls: State<'_, Calls>,
    args: Args<ipc::CallOpen>,
) -> Result<Answer<ipc::CallOpen>, String> {
    Ok(open(&calls, args.0, sink(&app)).await)
}

#[tauri::command]
pub async fn call_connect(
    calls: State<'_, Calls>,
    args: Args<ipc::CallConnect>,
) -> Result<Answer<ipc::CallConnect>, String> {
    if let Some(s) = calls.session().await {
        peer::connect(&s, args.0.peer)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_remote_offer(
    calls: State<'_, Calls>,
    args: Args<ipc::CallRemoteOffer>,
) -> Result<Answer<ipc::CallRemoteOffer>, String> {
    if let Some(s) = calls.session().await {
        peer::answer(&s, args.0.from, args.0.sdp)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_remote_answer(
    calls: State<'_, Calls>,
    args: Args<ipc::CallRemoteAnswer>,
) -> Result<Answer<ipc::CallRemoteAnswer>, String> {
    if let Some(s) = calls.session().await {
        if let Some(p) = s.peer(args.0.from).await {
            p.remote_answer(args.0.sdp)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn call_remote_candidate(
    calls: State<'_, Calls>,
    args: Args<ipc::CallRemoteCandidate>,
) -> Result<Answer<ipc::CallRemoteCandidate>, String> {
    if let Some(s) = calls.session().await {
        if let Some(p) = s.peer(args.0.from).await {
            p.remote_candidate(args.0.candidate).await;
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn call_remove(
    calls: State<'_, Calls>,
    args: Args<ipc::CallRemove>,
) -> Result<Answer<ipc::CallRemove>, String> {
    if let Some(s) = calls.session().await {
        s.remove(args.0.peer).await;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_reset(
    calls: State<'_, Calls>,
    _args: Args<ipc::CallReset>,
) -> Result<Answer<ipc::CallReset>, String> {
    if let Some(s) = calls.session().await {
        s.reset().await;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_close(
    calls: State<'_, Calls>,
    _args: Args<ipc::CallClose>,
) -> Result<Answer<ipc::CallClose>, String> {
    let session = calls.0.lock().await.take();
    if let Some(s) = session {
        s.close().await;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_mute(
    calls: State<'_, Calls>,
    args: Args<ipc::CallMute>,
) -> Result<Answer<ipc::CallMute>, String> {
    if let Some(s) = calls.session().await {
        s.audio.set_muted(args.0.muted)?;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_camera(
    _calls: State<'_, Calls>,
    args: Args<ipc::CallCamera>,
) -> Result<Answer<ipc::CallCamera>, String> {
    if args.0.on {
        return Err("The desktop app does not send camera video yet.".into());
    }
    Ok(())
}

#[tauri::command]
pub async fn call_screen(
    calls: State<'_, Calls>,
    args: Args<ipc::CallScreen>,
) -> Result<Answer<ipc::CallScreen>, String> {
    let Some(s) = calls.session().await else {
        return Ok(());
    };
    s.stop_screen();
    if let Some(source) = args.0.source {
        let share = screen::Share::start(&s, &source)?;
        if let Ok(mut slot) = s.screen.lock() {
            *slot = Some(share);
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn call_levels(
    calls: State<'_, Calls>,
    _args: Args<ipc::CallLevels>,
) -> Result<Answer<ipc::CallLevels>, String> {
    Ok(match calls.session().await {
        Some(s) => s.audio.levels(),
        None => Vec::new(),
    })
}

#[tauri::command]
pub async fn call_sources(
    _args: Args<ipc::CallSources>,
) -> Result<Answer<ipc::CallSources>, String> {
    tauri::async_runtime::spawn_blocking(screen::sources)
        .await
        .map_err(|e| e.to_string())?
}

#[tauri::command]
pub async fn call_source_thumbnail(
    args: Args<ipc::CallSourceThumbnail>,
) -> Result<Response, String> {
    let id = args.0.id;
    let jpeg = tauri::async_runtime::spawn_blocking(move || screen::thumbnail(&id))
        .await
        .map_err(|e| e.to_string())??;
    Ok(Response::new(jpeg))
}

#[tauri::command]
pub async fn call_devices(
    _args: Args<ipc::CallDevices>,
) -> Result<Answer<ipc::CallDevices>, String> {
    tauri::async_runtime::spawn_blocking(audio::devices)
        .await
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn call_use_devices(
    calls: State<'_, Calls>,
    args: Args<ipc::CallUseDevices>,
) -> Result<Answer<ipc::CallUseDevices>, String> {
    if let Some(s) = calls.session().await {
        let a = args.0;
        s.audio.switch(audio::Choice {
            mic: a.mic,
            speaker: a.speaker,
            processing: a.processing,
        })?;
    }
    Ok(())
}

#[tauri::command]
pub async fn call_frame(
    calls: State<'_, Calls>,
    args: Args<ipc::CallFrame>,
) -> Result<Response, String> {
    let Some(s) = calls.session().await else {
        return Ok(Response::new(Vec::new()));
    };
    let picture = s.frames.latest(args.0.peer, args.0.feed);
    let jpeg = match picture {
        Some(p) => tauri::async_runtime::spawn_blocking(move || video::jpeg(&p))
            .await
            .map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    Ok(Response::new(jpeg))
}

/// The video feed behind a transceiver index (audio has none).
pub fn feed_of_index(i: usize) -> Option<VideoFeed> {
    match i {
        1 => Some(VideoFeed::Camera),
        2 => Some(VideoFeed::Screen),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    //! Two engines in one process, signaling through channels the way the
    //! UI relays it, on loopback: media must really flow between them.

    use super::*;
    use std::time::Duration;
    use tokio::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_engines_carry_audio_and_a_screen_between_them() {
        let mut pair = loopback::Pair::connect().await.expect("pair");
        let (a, b, a_id) = (Arc::clone(&pair.a), Arc::clone(&pair.b), pair.a_id);

        // Audio: Opus frames from A land in B's jitter buffer for A.
        let mut enc = opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip)
            .expect("opus");
        let tone = loopback::tone(440.0, audio::FRAME);
        let mut heard = false;
        for _ in 0..250 {
            let mut buf = [0u8; 1500];
            let n = enc.encode(&tone, &mut buf).expect("encode");
            a.audio.inject(bytes::Bytes::copy_from_slice(&buf[..n]));
            tokio::time::sleep(Duration::from_millis(20)).await;
            if b.audio.buffered(a_id) > 0 {
                heard = true;
                break;
            }
        }
        assert!(heard, "B never received A's audio");

        // Screen: VP8 frames from A decode on B at their size.
        let (tx, rx) = mpsc::channel(4);
        peer::forward(&a, peer::SCREEN, rx);
        let mut vp8 = parley_vpx::Encoder::new(640, 360, 15, 800, 1).expect("vp8");
        let picture = vec![90u8; parley_vpx::i420_len(640, 360)];
        let mut seen = None;
        for i in 0..150 {
            for f in vp8.encode(&picture, i % 15 == 0).expect("encode") {
                let _ = tx.try_send((bytes::Bytes::from(f.data), Duration::from_millis(66)));
            }
            tokio::time::sleep(Duration::from_millis(66)).await;
            if let Ok(v) = pair.b_videos.try_recv() {
                seen = Some(v);
                break;
            }
        }
        let v = seen.expect("B never showed A's screen");
        assert_eq!(
            (v.peer, v.feed, v.width, v.height),
            (Some(a_id), VideoFeed::Screen, 640, 360)
        );
        let jpeg = video::jpeg(
            &b.frames
                .latest(Some(a_id), VideoFeed::Screen)
                .expect("picture"),
        );
        assert_eq!(&jpeg[..2], &[0xff, 0xd8]);

        // Leaving closes everything on both sides.
        a.close().await;
        b.remove(a_id).await;
        assert!(b.peers.lock().await.is_empty());
    }
}
