//! Screen sharing: the screens and windows that can be shared (with
//! thumbnails for the picker), and a share: a thread that captures the
//! chosen one with xcap, converts it to I420 at its own size (at most
//! 1080p), encodes VP8 and hands the frames to every connection. A
//! receiver's PLI or FIR asks for a keyframe; the receivers' bandwidth
//! estimates (REMB) and reported loss set the bitrate, and the frame rate
//! (5–30 fps) follows the bitrate.
//!
//! What must stay true: the capture thread stops when the share is
//! stopped or dropped, and a source that goes away (a window closed) ends
//! the share with [`CallSignal::ScreenEnded`] rather than freezing it.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parley_shared::ipc::event::CallSignal;
use parley_shared::ipc::{ScreenSource, SourceKind, VideoFeed};
use parley_vpx::convert;
use rtc::rtcp;
use tokio::sync::mpsc;

use super::{Out, Session};

/// The largest size sent: 1080p.
const MAX_W: u32 = 1920;
const MAX_H: u32 = 1080;
/// Bitrate bounds (kbit/s) and the start.
const MIN_KBPS: u32 = 300;
const MAX_KBPS: u32 = 4_000;
const START_KBPS: u32 = 1_500;

/// What the receivers asked for, shared with the capture thread.
#[derive(Default)]
struct Feedback {
    keyframe: AtomicBool,
    kbps: AtomicU32,
}

fn feedback_of(session: &Session) -> Option<Arc<Feedback>> {
    session
        .screen
        .lock()
        .ok()
        .and_then(|s| s.as_ref().map(|s| Arc::clone(&s.feedback)))
}

/// RTCP about the screen track from one receiver.
pub fn feedback(session: &Session, packets: &[Box<dyn rtcp::Packet>]) {
    let Some(fb) = feedback_of(session) else {
        return;
    };
    use rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
    use rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
    use rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
    use rtcp::receiver_report::ReceiverReport;
    for p in packets {
        let any = p.as_any();
        if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
            fb.keyframe.store(true, Ordering::Relaxed);
        } else if let Some(remb) = any.downcast_ref::<ReceiverEstimatedMaximumBitrate>() {
            let kbps = ((remb.bitrate / 1000.0) as u32).clamp(MIN_KBPS, MAX_KBPS);
            // Down at once to an estimate, up gently towards it (a mesh
            // sends one encoding to everyone: the slowest receiver leads).
            let now = fb.kbps.load(Ordering::Relaxed);
            let next = if kbps < now {
                kbps
            } else {
                (now * 108 / 100).min(kbps)
            };
            fb.kbps.store(next, Ordering::Relaxed);
        } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
            for r in &rr.reports {
                let now = fb.kbps.load(Ordering::Relaxed);
                let next = adapt(now, r.fraction_lost);
                fb.kbps.store(next, Ordering::Relaxed);
            }
        }
    }
}

/// The next bitrate after a receiver report with `fraction_lost` (/256):
/// down by the loss above 10 %, up 8 % below 2 %.
pub fn adapt(kbps: u32, fraction_lost: u8) -> u32 {
    let loss = f64::from(fraction_lost) / 256.0;
    let next = if loss > 0.10 {
        f64::from(kbps) * (1.0 - 0.5 * loss)
    } else if loss < 0.02 {
        f64::from(kbps) * 1.08
    } else {
        f64::from(kbps)
    };
    (next as u32).clamp(MIN_KBPS, MAX_KBPS)
}

/// Frames a second for a bitrate: 5 at the floor, 30 from 2.5 Mbit/s.
pub fn fps_for(kbps: u32) -> u32 {
    (5 + (kbps.saturating_sub(MIN_KBPS)) * 25 / (2_500 - MIN_KBPS)).clamp(5, 30)
}

enum Source {
    Monitor(xcap::Monitor),
    Window(xcap::Window),
}

impl Source {
    fn find(id: &str) -> Result<Source, String> {
        let gone = || format!("The screen or window {id} is no longer there.");
        let (kind, num) = id.split_once(':').ok_or_else(gone)?;
        let num: u32 = num.parse().map_err(|_| gone())?;
        match kind {
            "screen" => xcap::Monitor::all()
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|m| m.id().ok() == Some(num))
                .map(Source::Monitor)
                .ok_or_else(gone),
            "window" => xcap::Window::all()
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|w| w.id().ok() == Some(num))
                .map(Source::Window)
                .ok_or_else(gone),
            _ => Err(gone()),
        }
    }

    fn capture(&self) -> Result<xcap::image::RgbaImage, String> {
        match self {
            Source::Monitor(m) => m.capture_image(),
            Source::Window(w) => w.capture_image(),
        }
        .map_err(|e| e.to_string())
    }
}

/// The screens, then the windows (windows need a window manager to be
/// listed; without one there are only screens).
pub fn sources() -> Result<Vec<ScreenSource>, String> {
    let mut out = Vec::new();
    let monitors = xcap::Monitor::all().map_err(|e| {
        format!("Screens cannot be listed here ({e}). On Wayland, allow Parley in the screen-sharing prompt.")
    })?;
    for (n, m) in monitors.iter().enumerate() {
        let Ok(id) = m.id() else { continue };
        let name = m.friendly_name().or_else(|_| m.name()).unwrap_or_default();
        out.push(ScreenSource {
            id: format!("screen:{id}"),
            name: if name.is_empty() {
                format!("Screen {}", n + 1)
            } else {
                format!("Screen {}: {name}", n + 1)
            },
            kind: SourceKind::Screen,
            width: m.width().unwrap_or(0),
            height: m.height().unwrap_or(0),
        });
    }
    for w in xcap::Window::all().unwrap_or_default() {
        if w.is_minimized().unwrap_or(false) {
            continue;
        }
        let (Ok(id), Ok(width), Ok(height)) = (w.id(), w.width(), w.height()) else {
            continue;
        };
        if width < 64 || height < 64 {
            continue;
        }
        let title = w.title().unwrap_or_default();
        let app = w.app_name().unwrap_or_default();
        out.push(ScreenSource {
            id: format!("window:{id}"),
            name: match (title.is_empty(), app.is_empty()) {
                (false, false) => format!("{title} — {app}"),
                (false, true) => title,
                (true, false) => app,
                (true, true) => format!("Window {id}"),
            },
            kind: SourceKind::Window,
            width,
            height,
        });
    }
    Ok(out)
}

/// A JPEG thumbnail of a source, at most 320 pixels wide.
pub fn thumbnail(id: &str) -> Result<Vec<u8>, String> {
    let img = Source::find(id)?.capture()?;
    let (w, h) = convert::fit(img.width(), img.height(), 320, 200);
    let small = xcap::image::imageops::thumbnail(&img, w.max(2), h.max(2));
    let rgb = xcap::image::DynamicImage::ImageRgba8(small).to_rgb8();
    super::video::encode_jpeg(rgb.as_raw(), rgb.width(), rgb.height(), 70)
}

/// Where to allow screen capture when the system refused it.
pub fn screen_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        " Allow Parley in System Settings → Privacy & Security → Screen Recording, then share again."
    } else if cfg!(target_os = "linux") {
        " On Wayland, choose the screen in the sharing prompt and allow it."
    } else {
        ""
    }
}

/// A running share.
pub struct Share {
    stop: Arc<AtomicBool>,
    feedback: Arc<Feedback>,
}

impl Share {
    /// Starts sharing `source` (an id from [`sources`]).
    pub fn start(session: &Arc<Session>, source: &str) -> Result<Share, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let feedback = Arc::new(Feedback {
            keyframe: AtomicBool::new(true),
            kbps: AtomicU32::new(START_KBPS),
        });
        let (tx, rx) = mpsc::channel::<(Bytes, Duration)>(4);
        // A connection not yet up refuses: it gets the next keyframe.
        super::peer::forward(session, super::peer::SCREEN, rx);
        let (weak, stop2, fb) = (
            Arc::downgrade(session),
            Arc::clone(&stop),
            Arc::clone(&feedback),
        );
        // The source is found on the capture thread (on Windows a screen
        // or window handle may not move between threads); its first
        // capture proves it can be captured at all.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let source = source.to_owned();
        std::thread::Builder::new()
            .name("parley-screen".into())
            .spawn(move || {
                let found = Source::find(&source)
                    .and_then(|src| src.capture().map(|_| src))
                    .map_err(|e| {
                        format!("The screen could not be captured: {e}.{}", screen_hint())
                    });
                match found {
                    Ok(src) => {
                        let _ = ready_tx.send(Ok(()));
                        capture(src, weak, stop2, fb, tx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "The screen did not answer.".to_owned())??;
        Ok(Share { stop, feedback })
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.stop();
    }
}

fn capture(
    src: Source,
    session: Weak<Session>,
    stop: Arc<AtomicBool>,
    fb: Arc<Feedback>,
    tx: mpsc::Sender<(Bytes, Duration)>,
) {
    let mut encoder: Option<parley_vpx::Encoder> = None;
    let mut frame_no: u64 = 0;
    let mut kbps = START_KBPS;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let fps = fps_for(fb.kbps.load(Ordering::Relaxed));
        let img = match src.capture() {
            Ok(img) => img,
            Err(e) => {
                eprintln!("parley: the shared screen is gone: {e}");
                if let Some(s) = session.upgrade() {
                    s.emit(Out::Signal(CallSignal::ScreenEnded));
                }
                break;
            }
        };
        let (w, h) = convert::fit(img.width(), img.height(), MAX_W, MAX_H);
        let Some(i420) = convert::rgba_to_i420(img.as_raw(), img.width(), img.height(), w, h)
        else {
            continue;
        };
        // A new size (a window resized) needs a new encoder.
        if encoder
            .as_ref()
            .is_none_or(|e| (e.width(), e.height()) != (w, h))
        {
            encoder = parley_vpx::Encoder::new(w, h, 30, kbps, 2)
                .map_err(|e| eprintln!("parley: VP8 encoder: {e}"))
                .ok();
            fb.keyframe.store(true, Ordering::Relaxed);
        }
        let Some(enc) = encoder.as_mut() else { break };
        let want = fb.kbps.load(Ordering::Relaxed);
        if want != kbps && enc.set_bitrate(want).is_ok() {
            kbps = want;
        }
        let key = fb.keyframe.swap(false, Ordering::Relaxed);
        let period = Duration::from_secs(1) / fps;
        match enc.encode(&i420, key) {
            Ok(frames) => {
                for f in frames {
                    if tx.try_send((Bytes::from(f.data), period)).is_err() {
                        // The network is behind: the next frame must not
                        // depend on the dropped one.
                        fb.keyframe.store(true, Ordering::Relaxed);
                    }
                }
            }
            Err(e) => eprintln!("parley: VP8: {e}"),
        }
        frame_no += 1;
        // The sharer's own preview, at a few pictures a second.
        if frame_no % 5 == 1 {
            match session.upgrade() {
                Some(s) => s.frames.set(None, VideoFeed::Screen, w, h, i420, &s.out),
                None => break,
            }
        }
        if let Some(rest) = period.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bitrate_follows_loss_within_bounds() {
        assert!(adapt(1_500, 0) > 1_500);
        assert_eq!(adapt(1_500, 10), 1_500);
        assert!(adapt(1_500, 128) < 1_200);
        assert_eq!(adapt(MIN_KBPS, 255), MIN_KBPS);
        assert_eq!(adapt(MAX_KBPS, 0), MAX_KBPS);
    }

    #[test]
    fn the_frame_rate_follows_the_bitrate() {
        assert_eq!(fps_for(MIN_KBPS), 5);
        assert_eq!(fps_for(2_500), 30);
        assert_eq!(fps_for(MAX_KBPS), 30);
        let mid = fps_for(1_500);
        assert!((10..=20).contains(&mid), "{mid}");
    }
}
