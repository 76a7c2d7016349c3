//! Received video (and the sharer's own preview): VP8 over RTP is put back
//! together into frames (RFC 7741), decoded with libvpx, and kept as the
//! newest picture of its feed. The window hears of each new picture
//! ([`CallVideo`]) and fetches it as JPEG (`call_frame`), so a picture
//! crosses the IPC as bytes, once, and only when the window wants it.
//!
//! What must stay true: a frame with a missing packet is never decoded (it
//! would smear): it is dropped and a keyframe asked for (PLI), at most
//! twice a second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parley_shared::ipc::event::CallVideo;
use parley_shared::ipc::VideoFeed;
use parley_shared::ParticipantId;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::codec::vp8::Vp8Packet;
use rtc::rtp::packetizer::Depacketizer;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::{Out, Session, Sink};

/// A decoded picture.
#[derive(Clone)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub i420: Arc<Vec<u8>>,
}

/// The newest picture of every feed, and how many there were.
#[derive(Default)]
pub struct Frames(Mutex<HashMap<FeedKey, (u64, Picture)>>);

/// Whose feed: a participant's, or None for this device's own.
type FeedKey = (Option<ParticipantId>, VideoFeed);

impl Frames {
    pub fn set(
        &self,
        peer: Option<ParticipantId>,
        feed: VideoFeed,
        width: u32,
        height: u32,
        i420: Vec<u8>,
        out: &Sink,
    ) {
        let n = {
            let Ok(mut map) = self.0.lock() else { return };
            let entry = map.entry((peer, feed)).or_insert((
                0,
                Picture {
                    width,
                    height,
                    i420: Arc::new(Vec::new()),
                },
            ));
            entry.0 += 1;
            entry.1 = Picture {
                width,
                height,
                i420: Arc::new(i420),
            };
            entry.0
        };
        out(Out::Video(CallVideo {
            peer,
            feed,
            frame: n,
            width,
            height,
        }));
    }

    pub fn latest(&self, peer: Option<ParticipantId>, feed: VideoFeed) -> Option<Picture> {
        self.0
            .lock()
            .ok()?
            .get(&(peer, feed))
            .map(|(_, p)| p.clone())
    }

    /// Forgets `peer`'s feeds (None: this device's), telling the window
    /// they stopped.
    pub fn forget(&self, peer: Option<ParticipantId>, out: &Sink) {
        let feeds: Vec<VideoFeed> = match self.0.lock() {
            Ok(map) => map
                .keys()
                .filter(|(p, _)| *p == peer)
                .map(|k| k.1)
                .collect(),
            Err(_) => return,
        };
        for feed in feeds {
            self.stop(peer, feed, out);
        }
    }

    /// Forgets one feed, telling the window it stopped (`frame: 0`).
    pub fn stop(&self, peer: Option<ParticipantId>, feed: VideoFeed, out: &Sink) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&(peer, feed));
        }
        out(Out::Video(CallVideo {
            peer,
            feed,
            frame: 0,
            width: 0,
            height: 0,
        }));
    }
}

pub fn encode_jpeg(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode(rgb, width, height, image::ExtendedColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// A picture as JPEG (empty if it cannot be made).
pub fn jpeg(p: &Picture) -> Vec<u8> {
    parley_vpx::convert::i420_to_rgb(&p.i420, p.width, p.height)
        .and_then(|rgb| encode_jpeg(&rgb, p.width, p.height, 85).ok())
        .unwrap_or_default()
}

/// A frame lost a packet: it is not decoded, a keyframe is asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Lost;

/// Puts VP8 frames back together from RTP packets.
#[derive(Default)]
pub struct Assembler {
    buf: Vec<u8>,
    last_seq: Option<u16>,
    /// A packet of the frame being assembled went missing.
    broken: bool,
}

impl Assembler {
    /// Adds a packet; a whole frame when `marker` ends one intact. `Err`
    /// when a frame was lost (ask for a keyframe).
    pub fn push(
        &mut self,
        seq: u16,
        marker: bool,
        payload: &Bytes,
    ) -> Result<Option<Vec<u8>>, Lost> {
        let mut lost = false;
        if let Some(last) = self.last_seq {
            if seq != last.wrapping_add(1) {
                lost = true;
                self.broken = true;
            }
        }
        self.last_seq = Some(seq);
        let mut vp8 = Vp8Packet::default();
        let Ok(data) = vp8.depacketize(payload) else {
            self.broken = true;
            return Err(Lost);
        };
        if vp8.s == 1 && vp8.pid == 0 {
            // A new frame starts: what came before without its end is lost.
            if !self.buf.is_empty() {
                lost = true;
            }
            self.buf.clear();
            self.broken = false;
        }
        self.buf.extend_from_slice(&data);
        if !marker {
            return if lost { Err(Lost) } else { Ok(None) };
        }
        let frame = std::mem::take(&mut self.buf);
        if self.broken || frame.is_empty() {
            self.broken = false;
            return Err(Lost);
        }
        Ok(Some(frame))
    }
}

/// Decodes a participant's camera or screen into [`Frames`].
pub async fn receive(
    session: Arc<Session>,
    id: ParticipantId,
    feed: VideoFeed,
    track: Arc<dyn TrackRemote>,
) {
    let weak = Arc::downgrade(&session);
    drop(session);
    let mut assembler = Assembler::default();
    let mut decoder = match parley_vpx::Decoder::new() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("parley: VP8 decoder: {e}");
            return;
        }
    };
    let mut last_pli: Option<Instant> = None;
    while let Some(ev) = track.poll().await {
        let TrackRemoteEvent::OnRtpPacket(p) = ev else {
            continue;
        };
        let ssrc = p.header.ssrc;
        let mut want_key = false;
        match assembler.push(p.header.sequence_number, p.header.marker, &p.payload) {
            Ok(None) => {}
            Ok(Some(frame)) => match decoder.decode(&frame) {
                Ok(Some(pic)) => {
                    let Some(s) = weak.upgrade() else { break };
                    s.frames
                        .set(Some(id), feed, pic.width, pic.height, pic.i420, &s.out);
                }
                Ok(None) => {}
                Err(_) => want_key = true,
            },
            Err(Lost) => want_key = true,
        }
        if want_key && last_pli.is_none_or(|t| t.elapsed() > Duration::from_millis(500)) {
            last_pli = Some(Instant::now());
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ssrc,
            };
            let _ = track.write_rtcp(vec![Box::new(pli)]).await;
        }
    }
    if let Some(s) = weak.upgrade() {
        s.frames.stop(Some(id), feed, &s.out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RTP payloads of a VP8 frame: a descriptor byte (S on the first)
    /// then the data.
    fn packets(frame: &[u8], size: usize) -> Vec<Bytes> {
        frame
            .chunks(size)
            .enumerate()
            .map(|(i, c)| {
                let mut p = vec![if i == 0 { 0x10 } else { 0x00 }];
                p.extend_from_slice(c);
                Bytes::from(p)
            })
            .collect()
    }

    #[test]
    fn frames_are_put_back_together_and_losses_refused() {
        let frame: Vec<u8> = (0..250u32).map(|i| (i % 251) as u8).collect();
        let mut a = Assembler::default();
        let ps = packets(&frame, 100);
        assert_eq!(a.push(10, false, &ps[0]), Ok(None));
        assert_eq!(a.push(11, false, &ps[1]), Ok(None));
        assert_eq!(a.push(12, true, &ps[2]), Ok(Some(frame.clone())));
        // The next frame loses its middle packet.
        assert_eq!(a.push(13, false, &ps[0]), Ok(None));
        assert_eq!(a.push(15, true, &ps[2]), Err(Lost));
        // And the one after is whole again.
        assert_eq!(a.push(16, false, &ps[0]), Ok(None));
        assert_eq!(a.push(17, false, &ps[1]), Ok(None));
        assert_eq!(a.push(18, true, &ps[2]), Ok(Some(frame)));
    }
}
