//! The ring of an incoming DM call (and the softer ringback a caller hears
//! while waiting), synthesized with WebAudio oscillators: no sound file to
//! download or ship.
//!
//! What must stay true: the sound ends when its [`Tone`] is dropped (the
//! dialog closing, whatever closed it), and never plays longer than the
//! ringing lasts.

use web_sys::{AudioContext, GainNode, OscillatorType};

use crate::store::RING_MS;

/// One cadence of a tone: when (s from the start of the cycle) the sound
/// is on, and how long a cycle is.
struct Cadence {
    bursts: &'static [(f64, f64)],
    cycle: f64,
    /// The two frequencies mixed (Hz), and how loud (0–1).
    hz: (f32, f32),
    volume: f32,
}

/// "Brr-brr … brr-brr": two short bursts every three seconds.
const RING: Cadence = Cadence {
    bursts: &[(0.0, 0.4), (0.6, 1.0)],
    cycle: 3.0,
    hz: (440.0, 480.0),
    volume: 0.16,
};

/// One long, quiet tone every four seconds: the other side is ringing.
const RINGBACK: Cadence = Cadence {
    bursts: &[(0.0, 1.2)],
    cycle: 4.0,
    hz: (400.0, 450.0),
    volume: 0.06,
};

/// A tone playing; dropping it stops the sound.
pub struct Tone {
    ctx: AudioContext,
}

impl Tone {
    /// The incoming call's ring.
    pub fn ring() -> Option<Tone> {
        Tone::play(&RING)
    }

    /// What the caller hears until someone answers.
    pub fn ringback() -> Option<Tone> {
        Tone::play(&RINGBACK)
    }

    fn play(c: &Cadence) -> Option<Tone> {
        let ctx = AudioContext::new().ok()?;
        // Suspended when the page has had no click yet; a ring that cannot
        // sound still shows its dialog.
        super::js::settle(ctx.resume().ok(), "resume the ring");
        let gain = ctx.create_gain().ok()?;
        gain.gain().set_value(0.0);
        gain.connect_with_audio_node(&ctx.destination()).ok()?;
        let start = ctx.current_time() + 0.05;
        let end = start + RING_MS as f64 / 1000.0;
        for hz in [c.hz.0, c.hz.1] {
            let osc = ctx.create_oscillator().ok()?;
            osc.set_type(OscillatorType::Sine);
            osc.frequency().set_value(hz);
            osc.connect_with_audio_node(&gain).ok()?;
            osc.start_with_when(start).ok()?;
            osc.stop_with_when(end).ok()?;
        }
        schedule(&gain, c, start, end);
        Some(Tone { ctx })
    }
}

/// Opens and closes the gain for every burst until `end`, with short
/// ramps: a hard edge clicks.
fn schedule(gain: &GainNode, c: &Cadence, start: f64, end: f64) {
    let g = gain.gain();
    let mut cycle = start;
    while cycle < end {
        for (on, off) in c.bursts {
            let (on, off) = (cycle + on, cycle + off);
            let _ = g.set_value_at_time(0.0, on);
            let _ = g.linear_ramp_to_value_at_time(c.volume, on + 0.03);
            let _ = g.set_value_at_time(c.volume, off - 0.03);
            let _ = g.linear_ramp_to_value_at_time(0.0, off);
        }
        cycle += c.cycle;
    }
}

impl Drop for Tone {
    fn drop(&mut self) {
        if let Ok(p) = self.ctx.close() {
            super::js::settle(Some(p), "close the ring");
        }
    }
}
