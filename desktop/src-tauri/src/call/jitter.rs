//! A participant's received audio: Opus packets in sequence order, played
//! from a small buffer. Playback starts once [`JITTER_START`] packets are
//! in (and again after an underrun); beyond [`JITTER_MAX`] the oldest are
//! dropped to catch up; a packet that never came is concealed by Opus
//! from what it heard before.
//!
//! What must stay true: sequence numbers are extended past their 16-bit
//! wrap, so a call longer than 21 minutes keeps its order.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

use super::audio::{rms, FRAME, RATE};

/// Packets buffered before playback starts (and after an underrun).
pub const JITTER_START: usize = 3;
/// More than this buffered and the oldest are dropped to catch up.
pub const JITTER_MAX: usize = 12;

/// One participant's received audio.
pub struct Jitter {
    decoder: opus::Decoder,
    packets: BTreeMap<u64, Bytes>,
    /// The next sequence number to play (extended to 64 bits).
    next: Option<u64>,
    last: Option<u64>,
    playing: bool,
    pcm: VecDeque<i16>,
    level: f32,
}

impl Jitter {
    pub fn new() -> Option<Jitter> {
        Some(Jitter {
            decoder: opus::Decoder::new(RATE, opus::Channels::Mono).ok()?,
            packets: BTreeMap::new(),
            next: None,
            last: None,
            playing: false,
            pcm: VecDeque::new(),
            level: 0.0,
        })
    }

    /// Extends a 16-bit sequence number next to the last one seen.
    fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.last {
            None => u64::from(seq) + (1 << 16),
            Some(last) => {
                let base = last & !0xffff;
                let candidates = [base.wrapping_sub(1 << 16), base, base + (1 << 16)];
                candidates
                    .iter()
                    .map(|b| b + u64::from(seq))
                    .min_by_key(|c| c.abs_diff(last))
                    .unwrap_or(last)
            }
        };
        if self.last.is_none_or(|l| ext > l) {
            self.last = Some(ext);
        }
        ext
    }

    pub fn push(&mut self, seq: u16, payload: Bytes) {
        let ext = self.extend(seq);
        if self.next.is_some_and(|n| ext < n) {
            return; // too late
        }
        self.packets.insert(ext, payload);
        while self.packets.len() > JITTER_MAX {
            if let Some((&first, _)) = self.packets.iter().next() {
                self.packets.remove(&first);
                self.next = self.packets.keys().next().copied();
            }
        }
    }

    /// Decodes the next packet (or conceals a lost one) into `pcm`;
    /// false when there is nothing to play yet.
    fn decode_next(&mut self) -> bool {
        if !self.playing {
            if self.packets.len() < JITTER_START {
                return false;
            }
            self.playing = true;
            self.next = self.packets.keys().next().copied();
        }
        let Some(next) = self.next else {
            return false;
        };
        if self.packets.is_empty() {
            // Underrun: wait for the buffer to fill again.
            self.playing = false;
            return false;
        }
        let mut out = [0i16; 5760];
        let n = match self.packets.remove(&next) {
            Some(p) => self.decoder.decode(&p, &mut out, false),
            // Lost: Opus conceals it from what it has heard.
            None => self.decoder.decode(&[], &mut out[..FRAME], false),
        };
        self.next = Some(next + 1);
        match n {
            Ok(n) => {
                self.pcm.extend(&out[..n]);
                true
            }
            Err(_) => false,
        }
    }

    /// How loud the last block taken was.
    pub fn level(&self) -> f32 {
        self.level
    }

    /// Packets and samples waiting.
    pub fn buffered(&self) -> usize {
        self.packets.len() + self.pcm.len()
    }

    /// The next `n` samples of this participant (silence where none).
    pub fn take(&mut self, n: usize) -> Vec<i16> {
        while self.pcm.len() < n {
            if !self.decode_next() {
                break;
            }
        }
        let got = n.min(self.pcm.len());
        let mut v: Vec<i16> = self.pcm.drain(..got).collect();
        self.level = rms(&v);
        v.resize(n, 0);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::super::loopback::tone;
    use super::*;

    #[test]
    fn the_jitter_buffer_plays_in_order_and_conceals_a_loss() {
        let mut enc = opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip)
            .expect("encoder");
        let mut j = Jitter::new().expect("decoder");
        let pcm = tone(440.0, FRAME * 6);
        let mut packets = Vec::new();
        for f in pcm.chunks(FRAME) {
            let mut buf = [0u8; 1500];
            let n = enc.encode(f, &mut buf).expect("encode");
            packets.push(Bytes::copy_from_slice(&buf[..n]));
        }
        // Out of order, one lost (seq 65535 → 0 wraps on the way).
        let seqs: [u16; 6] = [65533, 65534, 65535, 0, 1, 2];
        for i in [1, 0, 2, 4, 5] {
            j.push(seqs[i], packets[i].clone());
        }
        let mut played = 0;
        for _ in 0..6 {
            let out = j.take(FRAME);
            if out.iter().any(|&s| s != 0) {
                played += 1;
            }
        }
        // Five received plus one concealed, all with sound.
        assert!(played >= 5, "{played}");
        assert!(j.level > 0.0);
        // Nothing buffered: silence, no panic.
        assert!(j.take(FRAME).iter().all(|&s| s == 0));
    }
}
