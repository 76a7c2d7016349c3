//! A call in a browser page, as the call tests observe it: Chromium's
//! flags for fake devices, signing in with a REST session, and reading the
//! page's peer connections (kept by a spy the test installs) through
//! `getStats()` and WebAudio — what arrives, never the app's own state.
//!
//! What must stay true: the page is observed, never reached into: the spy
//! only keeps references to what the app creates.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::webdriver::{js, wait_js, Session};

/// Fake devices with no prompt; remote audio may play without a click; ICE
/// between two browsers on one machine (loopback, real addresses rather
/// than mDNS names nobody resolves here).
pub const MEDIA: &[&str] = &[
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
];

/// A wait for media to start flowing on a busy two-core machine.
pub const MEDIA_WAIT: Duration = Duration::from_secs(15);

/// Keeps every peer connection the page makes in `window.__pcs`, and
/// every track its microphone, camera and screen give in `window.__local`.
pub const SPY_JS: &str = r#"
if (!window.__pcs) {
  window.__pcs = [];
  window.__local = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
  const md = navigator.mediaDevices;
  for (const name of ['getUserMedia', 'getDisplayMedia']) {
    const f = md[name].bind(md);
    md[name] = async (...args) => {
      const s = await f(...args);
      window.__local.push(...s.getTracks());
      return s;
    };
  }
}
return null;
"#;

/// For each open connection: its state, the received audio energy, and the
/// type of the local candidate of the pair in use.
const STATS_JS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const out = [];
  for (const pc of (window.__pcs || []).filter(pc => pc.connectionState !== 'closed')) {
    const stats = await pc.getStats();
    const byId = new Map();
    stats.forEach(s => byId.set(s.id, s));
    let energy = 0, local = null;
    stats.forEach(s => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') energy += s.totalAudioEnergy || 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = byId.get(s.selectedCandidatePairId);
        const cand = pair && byId.get(pair.localCandidateId);
        local = cand ? cand.candidateType : null;
      }
    });
    out.push({state: pc.connectionState, energy, local});
  }
  done(out);
})().catch(e => done({error: String(e)}));
"#;

/// The access token of a REST sign-up or sign-in answer.
pub fn token(auth: &Value) -> String {
    auth["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// Puts the session from a REST sign-up into the page's storage, as a
/// sign-in would.
pub async fn sign_in(c: &Session, base: &str, auth: &Value) {
    c.goto(&format!("{base}/login"))
        .await
        .expect("open the app");
    let tokens = json!({
        "access": auth["access_token"],
        "refresh": auth["refresh_token"],
        "expires_at": 0,
    });
    let script = format!(
        "const t = {tokens}; t.expires_at = Date.now() + 600000; \
         localStorage.setItem('parley.tokens', JSON.stringify(t)); return null;"
    );
    js(c, &script).await;
}

/// What `STATS_JS` says about the page's connections.
pub async fn stats(c: &Session) -> Vec<Value> {
    let v = c
        .execute_async(STATS_JS, Vec::new())
        .await
        .expect("stats script");
    match v {
        Value::Array(list) => list,
        other => panic!("getStats failed: {other}"),
    }
}

/// The audio energy `c` has received so far, over its open connections.
pub async fn energy(c: &Session) -> f64 {
    stats(c)
        .await
        .iter()
        .filter_map(|s| s["energy"].as_f64())
        .sum()
}

/// How much audio energy reaches `c` during `span`.
pub async fn energy_during(c: &Session, span: Duration) -> f64 {
    let before = energy(c).await;
    tokio::time::sleep(span).await;
    energy(c).await - before
}

/// Waits until `c` receives sound (its energy grows); the growth seen.
pub async fn hears(c: &Session, who: &str) -> f64 {
    let start = Instant::now();
    loop {
        // The fake microphone beeps about once a second: a window a bit
        // longer than that always holds some of a beep.
        let got = energy_during(c, Duration::from_millis(1200)).await;
        if got > 1e-3 {
            return got;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "{who} receives no audio: {:?}",
            stats(c).await
        );
    }
}

/// Waits until one of `c`'s connections is up.
pub async fn connected(c: &Session, who: &str) {
    wait_js(
        c,
        "(window.__pcs || []).some(pc => pc.connectionState === 'connected')",
        MEDIA_WAIT,
        &format!("{who}'s peer connection"),
    )
    .await;
}

/// Listens to the page's remote audio (every live audio track its open
/// connections receive) through a WebAudio analyser for `arguments[0]` ms;
/// resolves to the strongest frequency between 50 Hz and 4 kHz and its
/// level in dB.
const PEAK_JS: &str = r#"
const span = arguments[0];
const done = arguments[arguments.length - 1];
(async () => {
  const tracks = (window.__pcs || []).filter(pc => pc.connectionState !== 'closed')
    .flatMap(pc => pc.getReceivers()).map(r => r.track)
    .filter(t => t && t.kind === 'audio' && t.readyState === 'live');
  if (!tracks.length) return done({error: 'no remote audio track'});
  const ctx = new AudioContext();
  await ctx.resume();
  const an = ctx.createAnalyser();
  an.fftSize = 8192;
  an.smoothingTimeConstant = 0;
  for (const t of tracks) ctx.createMediaStreamSource(new MediaStream([t])).connect(an);
  const bins = new Float32Array(an.frequencyBinCount);
  const sum = new Float64Array(bins.length);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < span) {
    await new Promise(r => setTimeout(r, 100));
    an.getFloatFrequencyData(bins);
    for (let i = 0; i < bins.length; i++) sum[i] += Math.pow(10, bins[i] / 10);
    n++;
  }
  const hz = ctx.sampleRate / an.fftSize;
  let best = Math.ceil(50 / hz);
  for (let i = best; i < Math.min(sum.length, 4000 / hz); i++) if (sum[i] > sum[best]) best = i;
  await ctx.close();
  done({freq: best * hz, db: 10 * Math.log10(sum[best] / Math.max(n, 1))});
})().catch(e => done({error: String(e)}));
"#;

/// The strongest frequency of the remote audio `c` receives over `span`,
/// and its level in dB (WebAudio's analyser; bins of about 6 Hz).
pub async fn peak_frequency(c: &Session, span: Duration) -> (f64, f64) {
    let v = c
        .execute_async(PEAK_JS, vec![json!(span.as_millis() as u64)])
        .await
        .expect("the analyser script");
    // Silence is -Infinity dB, which JSON carries as null.
    let db = v["db"].as_f64().unwrap_or(f64::NEG_INFINITY);
    let freq = v["freq"]
        .as_f64()
        .unwrap_or_else(|| panic!("the analyser failed: {v}"));
    (freq, db)
}
