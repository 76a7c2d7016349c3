//! How loud a stream is, for the speaking indicator: a WebAudio
//! `AnalyserNode` per stream (the microphone and each remote audio), read
//! when the call bar asks, so nothing runs between its looks.
//!
//! What must stay true: a meter only listens; it is connected to no output
//! (the remote audio plays through its own media element), so metering can
//! never double or echo what is heard.

use std::cell::RefCell;

use web_sys::{AnalyserNode, AudioContext, MediaStream, MediaStreamAudioSourceNode};

/// Root-mean-square level above which someone counts as speaking (about
/// -36 dBFS: a voice at normal distance, not a fan or keyboard).
pub const SPEAKING_RMS: f32 = 0.015;

/// How long the indicator stays lit after the last loud moment (ms), so it
/// does not flicker between words.
pub const SPEAKING_HOLD_MS: f64 = 450.0;

/// Whether someone last loud at `last_loud` (ms) is still speaking at `now`.
pub fn speaking(last_loud: Option<f64>, now: f64) -> bool {
    last_loud.is_some_and(|t| now - t < SPEAKING_HOLD_MS)
}

/// The RMS of a block of samples (0 for none).
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f32 = samples.iter().map(|s| s * s).sum();
    (sum / samples.len() as f32).sqrt()
}

pub struct Meter {
    source: MediaStreamAudioSourceNode,
    analyser: AnalyserNode,
    buf: RefCell<Vec<f32>>,
}

impl Meter {
    pub fn new(ctx: &AudioContext, stream: &MediaStream) -> Option<Meter> {
        let source = ctx.create_media_stream_source(stream).ok()?;
        let analyser = ctx.create_analyser().ok()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser).ok()?;
        Some(Meter {
            source,
            analyser,
            buf: RefCell::new(vec![0.0; 512]),
        })
    }

    /// The level of the last ~10 ms.
    pub fn level(&self) -> f32 {
        let mut buf = self.buf.borrow_mut();
        self.analyser.get_float_time_domain_data(&mut buf);
        rms(&buf)
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        let _ = self.source.disconnect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_the_speaking_hold() {
        assert_eq!(rms(&[]), 0.0);
        assert!((rms(&[0.5, -0.5, 0.5, -0.5]) - 0.5).abs() < 1e-6);
        assert!(rms(&[0.001; 64]) < SPEAKING_RMS);
        assert!(speaking(Some(1_000.0), 1_200.0));
        assert!(!speaking(Some(1_000.0), 1_000.0 + SPEAKING_HOLD_MS));
        assert!(!speaking(None, 0.0));
    }
}
