//! The microphone's cleaning ("Echo cancellation and noise suppression" in
//! Preferences, on by default). On Linux: the WebRTC project's own audio
//! processing module (`webrtc-audio-processing`, Debian's
//! libwebrtc-audio-processing — the one PulseAudio's echo-cancel module
//! uses): acoustic echo cancellation against what the speaker plays, noise
//! suppression and a high-pass filter. Elsewhere: noise suppression with
//! nnnoiseless (RNNoise in Rust); Windows and macOS capture through the
//! system's communications paths, but Parley does not cancel echo itself
//! there yet.
//!
//! What must stay true: the echo canceller hears every block the speaker
//! plays ([`Echo::render`]) in 10 ms frames at 48 kHz mono, and the
//! microphone blocks ([`Cleaner::clean`]) in the same frames, samples in
//! -1..1.

use super::audio::FRAME;

/// The speaker's side of the echo canceller (a handle per thread).
#[derive(Clone)]
pub struct Echo {
    #[cfg(target_os = "linux")]
    apm: webrtc_audio_processing::Processor,
    pending: Vec<f32>,
}

impl Echo {
    /// The processing module, or None where it cannot start (the call
    /// goes on with noise suppression alone).
    pub fn new() -> Option<Echo> {
        #[cfg(target_os = "linux")]
        {
            use webrtc_audio_processing as wap;
            let init = wap::InitializationConfig {
                num_capture_channels: 1,
                num_render_channels: 1,
                ..Default::default()
            };
            let mut apm = wap::Processor::new(&init)
                .map_err(|e| eprintln!("parley: no echo cancellation: {e:?}"))
                .ok()?;
            apm.set_config(wap::Config {
                echo_cancellation: Some(wap::EchoCancellation {
                    suppression_level: wap::EchoCancellationSuppressionLevel::High,
                    enable_extended_filter: true,
                    enable_delay_agnostic: true,
                    stream_delay_ms: None,
                }),
                noise_suppression: Some(wap::NoiseSuppression {
                    suppression_level: wap::NoiseSuppressionLevel::High,
                }),
                enable_high_pass_filter: true,
                ..Default::default()
            });
            Some(Echo {
                apm,
                pending: Vec::new(),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// What the speaker is about to play (mono, -1..1).
    pub fn render(&mut self, played: &[f32]) {
        #[cfg(target_os = "linux")]
        {
            const STEP: usize = webrtc_audio_processing::NUM_SAMPLES_PER_FRAME as usize;
            self.pending.extend_from_slice(played);
            while self.pending.len() >= STEP {
                let mut frame: Vec<f32> = self.pending.drain(..STEP).collect();
                let _ = self.apm.process_render_frame(&mut frame);
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (played, &mut self.pending);
        }
    }
}

/// The microphone's side: cleans 20 ms blocks.
pub struct Cleaner {
    echo: Option<Echo>,
    denoise: Box<nnnoiseless::DenoiseState<'static>>,
}

impl Cleaner {
    pub fn new(echo: Option<Echo>) -> Cleaner {
        Cleaner {
            echo,
            denoise: nnnoiseless::DenoiseState::new(),
        }
    }

    /// Cleans one block of [`FRAME`] samples in place.
    pub fn clean(&mut self, block: &mut [f32]) {
        debug_assert_eq!(block.len(), FRAME);
        #[cfg(target_os = "linux")]
        if let Some(echo) = self.echo.as_mut() {
            const STEP: usize = webrtc_audio_processing::NUM_SAMPLES_PER_FRAME as usize;
            for chunk in block.chunks_mut(STEP) {
                if chunk.len() == STEP {
                    let _ = echo.apm.process_capture_frame(chunk);
                }
            }
            return;
        }
        let _ = &self.echo;
        // RNNoise works on 480-sample frames in 16-bit scale.
        let step = nnnoiseless::DenoiseState::FRAME_SIZE;
        let mut out = [0f32; 480];
        for chunk in block.chunks_mut(step) {
            let input: Vec<f32> = chunk.iter().map(|s| s * 32767.0).collect();
            self.denoise.process_frame(&mut out[..chunk.len()], &input);
            for (c, o) in chunk.iter_mut().zip(out.iter()) {
                *c = o / 32767.0;
            }
        }
    }
}
