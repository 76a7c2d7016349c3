//! The desktop call engine's benchmark (docs/benchmarks.md, "Calls in the
//! desktop app"): two engines in one process on loopback
//! (`call::loopback`), measuring
//! - audio latency through the engine: a click encoded with Opus on one
//!   side → RTP → the other side's jitter buffer → decoded, pulled by a
//!   20 ms "speaker" clock (device buffers not included);
//! - screen-frame latency: the screen captured with xcap, a frame counter
//!   stamped into the picture, converted, VP8-encoded, sent, reassembled
//!   and decoded on the other side, where the counter is read back;
//! - CPU of the sending side (capture + convert + encode, timed on its
//!   thread: the machine has cores to spare, so its busy time is its CPU)
//!   and of the whole process, for a share at 15 fps of the display's size
//!   and of 720p;
//! - memory: resident size before the call, with the call open, and
//!   during the share.
//!
//! `call_bench [audio] [1080p] [720p]` runs those parts (default all).
//! Run under an X display of the size to measure, showing a picture, e.g.
//! `xvfb-run -a -s "-screen 0 1920x1080x24 -noreset" sh -c 'convert -size 1920x1080 plasma:
//! /tmp/p.png && display -window root /tmp/p.png && call_bench'` (the
//! release build of this example; `-noreset` keeps Xvfb up between
//! captures, as a desktop's own clients do).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_desktop::call::{audio, loopback, peer};
use parley_shared::ipc::VideoFeed;

/// The counter: 16 bits as 16 blocks of 16×16 pixels along the top left.
const BITS: usize = 16;
const BLOCK: usize = 16;

fn stamp(i420: &mut [u8], width: usize, n: u16) {
    for bit in 0..BITS {
        let on = n >> bit & 1 == 1;
        for y in 0..BLOCK {
            for x in 0..BLOCK {
                i420[y * width + bit * BLOCK + x] = if on { 235 } else { 16 };
            }
        }
    }
}

fn read_stamp(i420: &[u8], width: usize) -> u16 {
    (0..BITS).fold(0u16, |acc, bit| {
        let centre = (BLOCK / 2) * width + bit * BLOCK + BLOCK / 2;
        if i420.get(centre).is_some_and(|&y| y > 128) {
            acc | 1 << bit
        } else {
            acc
        }
    })
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

async fn audio_latency(pair: &loopback::Pair, clicks: usize) -> Vec<f64> {
    let (a, b, a_id) = (Arc::clone(&pair.a), Arc::clone(&pair.b), pair.a_id);
    let sent: Arc<Mutex<Option<Instant>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let (sent2, done2) = (Arc::clone(&sent), Arc::clone(&done));
    let sender = tokio::spawn(async move {
        let mut enc = opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip)
            .expect("opus");
        let click = loopback::tone(1_000.0, audio::FRAME)
            .iter()
            .map(|s| s * 3)
            .collect::<Vec<_>>();
        let quiet = vec![0i16; audio::FRAME];
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut i = 0usize;
        while !done2.load(Ordering::Relaxed) {
            tick.tick().await;
            let pcm = if i % 25 == 24 { &click } else { &quiet };
            let mut buf = [0u8; 1500];
            let n = enc.encode(pcm, &mut buf).expect("encode");
            if i % 25 == 24 {
                *sent2.lock().expect("lock") = Some(Instant::now());
            }
            a.audio.inject(bytes::Bytes::copy_from_slice(&buf[..n]));
            i += 1;
        }
    });
    let mut out = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let deadline = Instant::now() + Duration::from_secs(clicks as u64 / 2 + 10);
    while out.len() < clicks && Instant::now() < deadline {
        tick.tick().await;
        let pcm = b.audio.pull(a_id, audio::FRAME);
        if audio::rms(&pcm) > 0.3 {
            if let Some(t) = sent.lock().expect("lock").take() {
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = sender.await;
    out
}

struct ShareRun {
    width: u32,
    height: u32,
    frames_sent: usize,
    latencies: Vec<f64>,
    sender_cpu: f64,
    rss: f64,
}

async fn share(pair: &mut loopback::Pair, max: (u32, u32), seconds: u64) -> ShareRun {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    peer::forward(&pair.a, peer::SCREEN, rx);
    let sent: Arc<Mutex<HashMap<u16, Instant>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (sent2, stop2) = (Arc::clone(&sent), Arc::clone(&stop));
    let capture = std::thread::spawn(move || {
        let monitor = xcap::Monitor::all()
            .expect("screens")
            .into_iter()
            .next()
            .expect("a screen");
        let mut work = Duration::ZERO;
        let mut enc: Option<parley_vpx::Encoder> = None;
        let period = Duration::from_secs(1) / 15;
        let mut n: u16 = 0;
        let mut size = (0, 0);
        while !stop2.load(Ordering::Relaxed) {
            let t = Instant::now();
            let img = monitor.capture_image().expect("capture");
            let (w, h) = parley_vpx::convert::fit(img.width(), img.height(), max.0, max.1);
            size = (w, h);
            let mut i420 =
                parley_vpx::convert::rgba_to_i420(img.as_raw(), img.width(), img.height(), w, h)
                    .expect("convert");
            n = n.wrapping_add(1);
            stamp(&mut i420, w as usize, n);
            let e = enc
                .get_or_insert_with(|| parley_vpx::Encoder::new(w, h, 15, 2_500, 2).expect("vp8"));
            sent2.lock().expect("lock").insert(n, t);
            for f in e.encode(&i420, n % 45 == 1).expect("encode") {
                let _ = tx.try_send((bytes::Bytes::from(f.data), period));
            }
            work += t.elapsed();
            if let Some(rest) = period.checked_sub(t.elapsed()) {
                std::thread::sleep(rest);
            }
        }
        (work.as_secs_f64(), usize::from(n), size)
    });
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut rss: f64 = 0.0;
    while started.elapsed() < Duration::from_secs(seconds) {
        let Ok(Some(v)) =
            tokio::time::timeout(Duration::from_millis(500), pair.b_videos.recv()).await
        else {
            continue;
        };
        if v.feed != VideoFeed::Screen {
            continue;
        }
        if let Some(p) = pair.b.frames.latest(Some(pair.a_id), VideoFeed::Screen) {
            let n = read_stamp(&p.i420, p.width as usize);
            if let Some(t) = sent.lock().expect("lock").remove(&n) {
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        rss = rss.max(rss_mib());
    }
    stop.store(true, Ordering::Relaxed);
    let (sender_cpu, frames_sent, (width, height)) = capture.join().expect("capture thread");
    let elapsed = started.elapsed().as_secs_f64();
    ShareRun {
        width,
        height,
        frames_sent,
        latencies,
        sender_cpu: sender_cpu / elapsed * 100.0,
        rss,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let before = rss_mib();
    let mut pair = loopback::Pair::connect().await.expect("two engines");
    // Let ICE and DTLS settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let in_call = rss_mib();
    // Which parts to run (default all): `audio`, `1080p`, `720p`; one at a
    // time lets an outside `time` give each part's whole CPU (in this
    // sandbox the process cannot read its own total).
    let parts: Vec<String> = std::env::args().skip(1).collect();
    let run = |p: &str| parts.is_empty() || parts.iter().any(|x| x == p);
    if run("audio") {
        let mut audio = audio_latency(&pair, 20).await;
        println!(
        "audio, click → decoded through the engine (20 ms speaker clock): n={} p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        audio.len(),
        percentile(&mut audio, 0.5),
        percentile(&mut audio, 0.95),
        percentile(&mut audio, 1.0)
    );
    }
    for (part, max) in [("1080p", (1920, 1080)), ("720p", (1280, 720))] {
        if !run(part) {
            continue;
        }
        let mut r = share(&mut pair, max, 20).await;
        let shown = r.latencies.len();
        println!(
            "screen {}x{} at 15 fps for 20 s: {} frames sent, {} shown; capture→decoded p50 {:.1} ms, p95 {:.1} ms; sender's capture+convert+encode (timed on its thread) {:.1} % of a core; peak RSS {:.0} MiB",
            r.width,
            r.height,
            r.frames_sent,
            shown,
            percentile(&mut r.latencies, 0.5),
            percentile(&mut r.latencies, 0.95),
            r.sender_cpu,
            r.rss
        );
    }
    println!("memory: {before:.0} MiB before, {in_call:.0} MiB with the call open (two engines in this process)");
    pair.a.close().await;
    pair.b.close().await;
}
