//! Sound through the desktop session's PulseAudio (scripts/session-audio):
//! a steady tone played into a sink (an app's microphone is that sink's
//! monitor), a recording of a monitor (what an app's speaker played), and
//! what a recording holds: its level and its dominant frequency.
//!
//! What must stay true: the analysis is plain arithmetic on the samples
//! (a windowed Goertzel scan, no FFT crate), so a reading says what was
//! recorded and nothing else; and a tone stops when its [`Tone`] is
//! dropped, however the test ends.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::Proc;

/// The sample rate of everything here (the session's sinks run at it).
pub const RATE: u32 = 48_000;

/// `secs` of a sine at `freq` Hz and peak `amplitude` (0–1), 16-bit.
pub fn sine(freq: f64, secs: f64, amplitude: f64) -> Vec<i16> {
    let n = (secs * f64::from(RATE)) as usize;
    (0..n)
        .map(|i| {
            let phase = i as f64 * freq * std::f64::consts::TAU / f64::from(RATE);
            (phase.sin() * amplitude * f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// Samples as s16le bytes (what pacat and parec speak).
pub fn to_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Samples as a WAV file's bytes (mono, 16-bit, [`RATE`]): what
/// Chromium's `--use-file-for-fake-audio-capture` loops.
pub fn wav(samples: &[i16]) -> Vec<u8> {
    let data = to_bytes(samples);
    let data_len = data.len() as u32;
    let mut wav = Vec::with_capacity(44 + data.len());
    wav.extend(b"RIFF");
    wav.extend((36 + data_len).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes()); // the fmt chunk's size
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(RATE.to_le_bytes());
    wav.extend((RATE * 2).to_le_bytes()); // bytes per second
    wav.extend(2u16.to_le_bytes()); // bytes per frame
    wav.extend(16u16.to_le_bytes()); // bits per sample
    wav.extend(b"data");
    wav.extend(data_len.to_le_bytes());
    wav.extend(data);
    wav
}

/// The format arguments pacat and parec share: mono s16le at [`RATE`],
/// with little buffering (a tone that stops, stops soon).
fn format_args(device: &str) -> Vec<String> {
    vec![
        "-d".into(),
        device.into(),
        "--raw".into(),
        "--format=s16le".into(),
        format!("--rate={RATE}"),
        "--channels=1".into(),
        "--latency-msec=40".into(),
    ]
}

/// A tone playing into a sink until dropped.
pub struct Tone {
    _pacat: Proc,
    /// What is playing, for messages.
    pub freq: f64,
}

impl Tone {
    /// Plays a steady `freq` Hz tone (at half of full scale) into `sink`
    /// through `pacat --playback`, until the `Tone` is dropped.
    pub fn play(sink: &str, freq: f64) -> Tone {
        let mut child = Command::new("pacat")
            .arg("--playback")
            .args(format_args(sink))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start pacat into {sink}: {e}"));
        let mut stdin = child.stdin.take().expect("pacat's input");
        // A second holds a whole number of periods of an integer frequency,
        // so looping it has no seam. pacat takes it as fast as it plays it;
        // the loop ends when pacat is killed (a broken pipe).
        let second = to_bytes(&sine(freq, 1.0, 0.5));
        std::thread::spawn(move || while stdin.write_all(&second).is_ok() {});
        Tone {
            _pacat: Proc::new(child),
            freq,
        }
    }
}

/// Records `span` of `source` (a monitor: `<sink>.monitor`) as mono
/// samples. Blocks; see [`record`] for async code.
pub fn record_blocking(source: &str, span: Duration) -> Vec<i16> {
    let mut child = Command::new("parec")
        .args(format_args(source))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start parec on {source}: {e}"));
    let mut out = child.stdout.take().expect("parec's output");
    let parec = Proc::new(child);
    let want = (span.as_secs_f64() * f64::from(RATE)) as usize * 2;
    let mut bytes = vec![0; want];
    out.read_exact(&mut bytes)
        .unwrap_or_else(|e| panic!("recording {source}: {e}"));
    drop(parec);
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Records `span` of `source` off the async runtime's threads.
pub async fn record(source: &str, span: Duration) -> Vec<i16> {
    let source = source.to_owned();
    tokio::task::spawn_blocking(move || record_blocking(&source, span))
        .await
        .expect("the recording task")
}

/// What a recording holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Heard {
    /// The level of the whole recording, 0–1 of full scale (RMS).
    pub rms: f64,
    /// The strongest frequency of its loudest half second, in Hz (to
    /// 1 Hz; meaningless when `rms` is about 0).
    pub freq: f64,
    /// The RMS of that frequency alone in that half second: close to
    /// `rms` for a clean tone, far below it for noise or a mix.
    pub tone_rms: f64,
}

/// RMS of `samples`, 0–1 of full scale.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples
        .iter()
        .map(|s| (f64::from(*s) / f64::from(i16::MAX)).powi(2))
        .sum();
    (sum / samples.len() as f64).sqrt()
}

/// The amplitude (0–1 peak) of the `freq` Hz component of `windowed`
/// (samples already multiplied by a window whose sum is `window_sum`):
/// one Goertzel filter.
fn amplitude_at(windowed: &[f64], window_sum: f64, freq: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / f64::from(RATE);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for x in windowed {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0);
    2.0 * power.sqrt() / window_sum
}

/// Analyses a recording: its level, and the dominant frequency between
/// 50 Hz and 4 kHz of its loudest half second (Hann-windowed, scanned in
/// 2 Hz steps, then refined to 1 Hz around the peak).
pub fn analyse(samples: &[i16]) -> Heard {
    let whole = rms(samples);
    let len = (RATE / 2) as usize;
    let loudest = if samples.len() <= len {
        samples
    } else {
        // Quarter-second hops: the window in a recording where the tone is.
        (0..=samples.len() - len)
            .step_by(len / 2)
            .map(|at| &samples[at..at + len])
            .max_by(|a, b| rms(a).total_cmp(&rms(b)))
            .unwrap_or(samples)
    };
    let n = loudest.len();
    if n < 2 {
        return Heard {
            rms: whole,
            freq: 0.0,
            tone_rms: 0.0,
        };
    }
    let hann = |i: usize| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / (n - 1) as f64).cos();
    let window_sum: f64 = (0..n).map(hann).sum();
    let windowed: Vec<f64> = loudest
        .iter()
        .enumerate()
        .map(|(i, s)| f64::from(*s) / f64::from(i16::MAX) * hann(i))
        .collect();
    let strongest = |freqs: &mut dyn Iterator<Item = f64>| {
        freqs
            .map(|f| (f, amplitude_at(&windowed, window_sum, f)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0.0, 0.0))
    };
    let (coarse, _) = strongest(&mut (25..=2000).map(|k| f64::from(k) * 2.0));
    let (freq, amplitude) = strongest(&mut (-2..=2).map(|d| coarse + f64::from(d)));
    Heard {
        rms: whole,
        freq,
        tone_rms: amplitude / std::f64::consts::SQRT_2,
    }
}

/// Whether `heard` is a clear tone within 5 Hz of `freq`: a real level
/// (above -40 dBFS) mostly made of that tone.
pub fn is_tone(heard: &Heard, freq: f64) -> bool {
    heard.rms > 0.01 && (heard.freq - freq).abs() <= 5.0 && heard.tone_rms > heard.rms * 0.5
}
