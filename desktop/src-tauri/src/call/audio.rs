//! A call's audio: the microphone captured with cpal, cleaned of noise
//! (echo cancellation and noise suppression, [`super::processing`]) when processing is on, Opus-encoded in
//! 20 ms frames at 48 kHz and sent on every connection; every connection's
//! Opus packets through a small jitter buffer (packet loss concealed by
//! Opus itself), decoded, mixed, and played with cpal. The levels of the
//! microphone and of each participant drive the speaking rings.
//!
//! What must stay true: the audio devices belong to one thread ([`Audio`]
//! talks to it by messages: cpal's streams may not move between threads on
//! every OS) and the real-time callbacks never wait on the network: they
//! only take short locks on buffers. The system's default devices are
//! followed when they change, unless the person chose one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use parley_shared::ipc::{AudioDevices, CallLevel};
use parley_shared::ParticipantId;
use tokio::sync::mpsc;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::jitter::Jitter;
use super::processing::{Cleaner, Echo};
use super::Session;

pub const RATE: u32 = 48_000;
/// 20 ms at 48 kHz.
pub const FRAME: usize = 960;
const FRAME_TIME: Duration = Duration::from_millis(20);

/// The devices asked for (None: the system default, followed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    pub mic: Option<String>,
    pub speaker: Option<String>,
    pub processing: bool,
}

/// Loudness 0–1 of a block (RMS, scaled so speech reads about 0.1–0.5).
pub fn rms(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let v = (sum / samples.len() as f64).sqrt() / 32768.0;
    (v * 4.0).min(1.0) as f32
}

/// What the audio thread and the callbacks share.
struct Shared {
    muted: AtomicBool,
    processing: AtomicBool,
    mic_level: Mutex<f32>,
    peers: Mutex<HashMap<ParticipantId, Jitter>>,
    /// Encoded microphone frames on their way to the connections.
    outgoing: mpsc::Sender<(Bytes, Duration)>,
    /// The echo canceller, where there is one (each stream takes a handle).
    echo: Option<Echo>,
}

enum Command {
    Switch(Choice),
    Stop,
}

/// The audio of the open call.
pub struct Audio {
    shared: Arc<Shared>,
    commands: std_mpsc::Sender<Command>,
}

impl Audio {
    /// Starts the audio thread with `choice`: the audio, the encoded
    /// microphone frames (for [`super::peer::forward`]), and the
    /// microphone's trouble, if any (the call goes on muted).
    pub fn start(choice: Choice) -> (Audio, mpsc::Receiver<(Bytes, Duration)>, Option<String>) {
        let (tx, rx) = mpsc::channel(50);
        let shared = Arc::new(Shared {
            muted: AtomicBool::new(false),
            processing: AtomicBool::new(choice.processing),
            mic_level: Mutex::new(0.0),
            peers: Mutex::new(HashMap::new()),
            outgoing: tx,
            echo: Echo::new(),
        });
        let (commands, inbox) = std_mpsc::channel();
        let (opened_tx, opened_rx) = std_mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("parley-call-audio".into())
            .spawn(move || run(thread_shared, choice, inbox, opened_tx));
        let mic_error = match spawned {
            Err(e) => Some(format!("Audio could not start: {e}")),
            Ok(_) => opened_rx
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| Some("The microphone did not answer.".into())),
        };
        if mic_error.is_some() {
            shared.muted.store(true, Ordering::Relaxed);
        }
        (Audio { shared, commands }, rx, mic_error)
    }

    pub fn set_muted(&self, muted: bool) -> Result<(), String> {
        self.shared.muted.store(muted, Ordering::Relaxed);
        Ok(())
    }

    pub fn switch(&self, choice: Choice) -> Result<(), String> {
        self.shared
            .processing
            .store(choice.processing, Ordering::Relaxed);
        self.commands
            .send(Command::Switch(choice))
            .map_err(|_| "The call's audio has stopped.".to_owned())
    }

    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }

    pub fn remove_peer(&self, id: ParticipantId) {
        if let Ok(mut p) = self.shared.peers.lock() {
            p.remove(&id);
        }
    }

    pub fn levels(&self) -> Vec<CallLevel> {
        let mut out = Vec::new();
        let muted = self.shared.muted.load(Ordering::Relaxed);
        if let Ok(l) = self.shared.mic_level.lock() {
            out.push(CallLevel {
                peer: None,
                level: if muted { 0.0 } else { *l },
            });
        }
        if let Ok(peers) = self.shared.peers.lock() {
            for (id, j) in peers.iter() {
                out.push(CallLevel {
                    peer: Some(*id),
                    level: j.level(),
                });
            }
        }
        out
    }

    /// Hands an encoded frame to the connections as if the microphone had
    /// made it (the engine's tests and benchmark, [`super::loopback`]).
    pub fn inject(&self, packet: Bytes) {
        let _ = self.shared.outgoing.try_send((packet, FRAME_TIME));
    }

    /// The next `n` samples of `id` as the speaker would play them (the
    /// engine's tests and benchmark).
    pub fn pull(&self, id: ParticipantId, n: usize) -> Vec<i16> {
        match self.shared.peers.lock() {
            Ok(mut p) => p.get_mut(&id).map_or_else(|| vec![0; n], |j| j.take(n)),
            Err(_) => vec![0; n],
        }
    }

    /// Packets and samples waiting for `id` (the engine's tests).
    pub fn buffered(&self, id: ParticipantId) -> usize {
        self.shared
            .peers
            .lock()
            .map(|p| p.get(&id).map_or(0, Jitter::buffered))
            .unwrap_or(0)
    }

    fn push(&self, id: ParticipantId, seq: u16, payload: Bytes) {
        if let Ok(mut peers) = self.shared.peers.lock() {
            if let std::collections::hash_map::Entry::Vacant(e) = peers.entry(id) {
                match Jitter::new() {
                    Some(j) => {
                        e.insert(j);
                    }
                    None => return,
                }
            }
            if let Some(j) = peers.get_mut(&id) {
                j.push(seq, payload);
            }
        }
    }
}

impl Drop for Audio {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Feeds a participant's received audio into its jitter buffer.
pub async fn receive(session: Arc<Session>, id: ParticipantId, track: Arc<dyn TrackRemote>) {
    let weak = Arc::downgrade(&session);
    drop(session);
    while let Some(ev) = track.poll().await {
        if let TrackRemoteEvent::OnRtpPacket(p) = ev {
            let Some(s) = weak.upgrade() else { break };
            s.audio.push(id, p.header.sequence_number, p.payload);
        }
    }
}

fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|x| x.name().to_owned())
        .unwrap_or_else(|_| d.to_string())
}

/// The audio devices, by name.
pub fn devices() -> AudioDevices {
    let host = cpal::default_host();
    let names = |it: Result<Vec<cpal::Device>, _>| -> Vec<String> {
        let mut v: Vec<String> = it.unwrap_or_default().iter().map(device_name).collect();
        v.dedup();
        v
    };
    AudioDevices {
        inputs: names(
            host.input_devices()
                .map(|d| d.collect())
                .map_err(|_: cpal::Error| ()),
        ),
        outputs: names(
            host.output_devices()
                .map(|d| d.collect())
                .map_err(|_: cpal::Error| ()),
        ),
    }
}

fn find(host: &cpal::Host, name: Option<&str>, input: bool) -> Option<cpal::Device> {
    if let Some(name) = name {
        let found = if input {
            host.input_devices()
                .ok()
                .and_then(|mut d| d.find(|d| device_name(d) == name))
        } else {
            host.output_devices()
                .ok()
                .and_then(|mut d| d.find(|d| device_name(d) == name))
        };
        if found.is_some() {
            return found;
        }
    }
    if input {
        host.default_input_device()
    } else {
        host.default_output_device()
    }
}

/// The open streams; dropped to close them.
struct Streams {
    _input: Option<cpal::Stream>,
    _output: Option<cpal::Stream>,
    /// The default devices' names when they were opened (to follow them).
    defaults: (Option<String>, Option<String>),
}

fn open_streams(shared: &Arc<Shared>, choice: &Choice) -> (Streams, Option<String>) {
    let host = cpal::default_host();
    let mut mic_error = None;
    let input = match find(&host, choice.mic.as_deref(), true) {
        None => {
            mic_error = Some(format!("No microphone was found.{}", mic_hint()));
            None
        }
        Some(dev) => match open_input(shared, &dev) {
            Ok(s) => Some(s),
            Err(e) => {
                mic_error = Some(format!(
                    "The microphone could not be opened: {e}.{}",
                    mic_hint()
                ));
                None
            }
        },
    };
    let output = find(&host, choice.speaker.as_deref(), false).and_then(|dev| {
        open_output(shared, &dev)
            .map_err(|e| eprintln!("parley: the speaker could not be opened: {e}"))
            .ok()
    });
    let defaults = (
        host.default_input_device().map(|d| device_name(&d)),
        host.default_output_device().map(|d| device_name(&d)),
    );
    (
        Streams {
            _input: input,
            _output: output,
            defaults,
        },
        mic_error,
    )
}

/// Reports a stream's errors without flooding the log: an ALSA underrun
/// can repeat hundreds of times a second while a device catches up, so
/// only the first and every 500th are written, with the count.
fn stream_errors(device: &'static str) -> impl FnMut(cpal::Error) + Send + 'static {
    let mut seen: u64 = 0;
    move |e| {
        seen += 1;
        if seen == 1 || seen.is_multiple_of(500) {
            eprintln!("parley: {device}: {e} ({seen} so far)");
        }
    }
}

/// Where to allow the microphone when the system refused it.
pub fn mic_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        " If macOS asked, allow Parley in System Settings → Privacy & Security → Microphone."
    } else if cfg!(windows) {
        " Check Settings → Privacy & security → Microphone: \"Let desktop apps access your microphone\" must be on."
    } else {
        ""
    }
}

fn open_input(shared: &Arc<Shared>, dev: &cpal::Device) -> Result<cpal::Stream, String> {
    let channels = dev
        .default_input_config()
        .map(|c| c.channels())
        .unwrap_or(1)
        .max(1);
    let config = cpal::StreamConfig {
        channels,
        sample_rate: RATE,
        buffer_size: cpal::BufferSize::Default,
    };
    let mut encoder = opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip)
        .map_err(|e| e.to_string())?;
    let _ = encoder.set_inband_fec(true);
    let mut cleaner = Cleaner::new(shared.echo.clone());
    let mut pending: Vec<f32> = Vec::with_capacity(FRAME * 2);
    let shared = Arc::clone(shared);
    let stream = dev
        .build_input_stream(
            config,
            move |data: &[f32], _: &cpal::InputCallbackInfo| {
                let ch = usize::from(channels);
                for frame in data.chunks(ch) {
                    pending.push(frame.iter().sum::<f32>() / ch as f32);
                }
                while pending.len() >= FRAME {
                    let block: Vec<f32> = pending.drain(..FRAME).collect();
                    send_block(&shared, &mut encoder, &mut cleaner, block);
                }
            },
            stream_errors("microphone"),
            Some(Duration::from_secs(5)),
        )
        .map_err(|e| e.to_string())?;
    stream.play().map_err(|e| e.to_string())?;
    Ok(stream)
}

/// Cleans, measures and encodes one 20 ms block of the microphone.
fn send_block(
    shared: &Shared,
    encoder: &mut opus::Encoder,
    cleaner: &mut Cleaner,
    mut block: Vec<f32>,
) {
    if shared.processing.load(Ordering::Relaxed) {
        cleaner.clean(&mut block);
    }
    let scaled = block.iter().map(|s| s * 32767.0);
    let pcm: Vec<i16> = scaled.map(|s| s.clamp(-32768.0, 32767.0) as i16).collect();
    if let Ok(mut l) = shared.mic_level.lock() {
        *l = rms(&pcm);
    }
    if shared.muted.load(Ordering::Relaxed) {
        return;
    }
    let mut packet = [0u8; 1500];
    if let Ok(n) = encoder.encode(&pcm, &mut packet) {
        // Full: the network is behind; a dropped frame beats a late one.
        let _ = shared
            .outgoing
            .try_send((Bytes::copy_from_slice(&packet[..n]), FRAME_TIME));
    }
}

fn open_output(shared: &Arc<Shared>, dev: &cpal::Device) -> Result<cpal::Stream, String> {
    let channels = dev
        .default_output_config()
        .map(|c| c.channels())
        .unwrap_or(2)
        .max(1);
    let config = cpal::StreamConfig {
        channels,
        sample_rate: RATE,
        buffer_size: cpal::BufferSize::Default,
    };
    let mut echo = shared.echo.clone();
    let shared = Arc::clone(shared);
    let stream = dev
        .build_output_stream(
            config,
            move |out: &mut [f32], _: &cpal::OutputCallbackInfo| {
                let ch = usize::from(channels);
                let n = out.len() / ch;
                let mut mix = vec![0i32; n];
                if let Ok(mut peers) = shared.peers.lock() {
                    for j in peers.values_mut() {
                        for (m, s) in mix.iter_mut().zip(j.take(n)) {
                            *m += i32::from(s);
                        }
                    }
                }
                let mono: Vec<f32> = mix
                    .iter()
                    .map(|m| (*m).clamp(-32768, 32767) as f32 / 32768.0)
                    .collect();
                if let Some(e) = echo.as_mut() {
                    e.render(&mono);
                }
                for (frame, m) in out.chunks_mut(ch).zip(mix) {
                    let v = (m.clamp(-32768, 32767) as f32) / 32768.0;
                    frame.fill(v);
                }
            },
            stream_errors("speaker"),
            Some(Duration::from_secs(5)),
        )
        .map_err(|e| e.to_string())?;
    stream.play().map_err(|e| e.to_string())?;
    Ok(stream)
}

/// The audio thread: owns the streams, reopens them on a switch or when a
/// followed default device changes, closes them on stop.
fn run(
    shared: Arc<Shared>,
    mut choice: Choice,
    inbox: std_mpsc::Receiver<Command>,
    opened: std_mpsc::Sender<Option<String>>,
) {
    let (mut streams, mic_error) = open_streams(&shared, &choice);
    let _ = opened.send(mic_error);
    loop {
        match inbox.recv_timeout(Duration::from_secs(2)) {
            Ok(Command::Stop) | Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            Ok(Command::Switch(c)) => {
                choice = c;
                drop(streams);
                let (s, err) = open_streams(&shared, &choice);
                if let Some(e) = err {
                    eprintln!("parley: {e}");
                }
                streams = s;
            }
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                let host = cpal::default_host();
                let now = (
                    host.default_input_device().map(|d| device_name(&d)),
                    host.default_output_device().map(|d| device_name(&d)),
                );
                let follows = choice.mic.is_none() || choice.speaker.is_none();
                if follows && now != streams.defaults {
                    drop(streams);
                    streams = open_streams(&shared, &choice).0;
                }
            }
        }
    }
    drop(streams);
}

#[cfg(test)]
mod tests {
    use super::super::loopback::tone;
    use super::*;

    #[test]
    fn levels_follow_loudness() {
        assert_eq!(rms(&[]), 0.0);
        assert_eq!(rms(&[0; 960]), 0.0);
        assert!(rms(&tone(440.0, 960)) > 0.3);
    }
}
