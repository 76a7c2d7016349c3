//! End-to-end: calls between two headless Chromium sessions (separate
//! profiles, fake camera, microphone and screen) through a real
//! parley-server: a channel call with sound, camera, a shared screen,
//! mute and leave; the same call relayed through coturn and through the
//! server's embedded TURN relay; and a DM call that rings. And, ignored
//! by the normal run, a benchmark of how long joining a call takes until
//! sound plays, in those three ways (`call_setup_benchmark_*`).
//!
//! Needs `chromium`, `chromium-driver` and, for the coturn scenario,
//! `turnserver` (`coturn`; scripts/test installs them), and a built UI.
//! Without them a scenario warns loudly and passes, except under `CI=true`,
//! where it fails. Screenshots land in `PARLEY_E2E_SHOTS` (default /tmp).
//!
//! The page is observed, never reached into: before a call the test wraps
//! `RTCPeerConnection` (the app's glue looks it up when it makes one) to
//! keep each connection, and reads `getStats()` from them — received audio
//! energy, the selected candidate pair — and the `<video>` elements.

use std::process::Command;
use std::time::{Duration, Instant};

use parley_e2e::audio::{sine, wav};
use parley_e2e::relay::Coturn;
use parley_e2e::rest::Rest;
use parley_e2e::rig::{Rig, ONE_AT_A_TIME};
use parley_e2e::shots::shot;
use parley_e2e::webdriver::{click, js, msg_with, wait_js, Session, SECS5};
use parley_e2e::webrtc::{
    connected, energy_during, hears, sign_in, stats, token, MEDIA, MEDIA_WAIT, SPY_JS,
};
use serde_json::{json, Value};

const FIX: &str = "./scripts/test (it installs chromium and coturn and builds the UI)";

/// Whether every device track the page opened is stopped again, as JS.
const DEVICES_OFF: &str =
    "window.__local.length > 0 && window.__local.every(t => t.readyState === 'ended')";

/// Two people, a workspace, a channel and a DM, and their two browsers.
struct Pair {
    rig: Rig,
    a: Session,
    b: Session,
    /// #standup, which both are in.
    channel: String,
    /// Alice and Bob's DM.
    dm: String,
}

impl Pair {
    /// Sets up (`None` when the test cannot run here); `env` are the
    /// server's call settings for the scenario.
    async fn start(name: &str, env: &[(&str, String)]) -> Option<Pair> {
        Pair::start_with(name, env, MEDIA).await
    }

    /// The same with the browsers' Chromium flags `args` in place of
    /// [`MEDIA`].
    async fn start_with(name: &str, env: &[(&str, String)], args: &[&str]) -> Option<Pair> {
        let rig = Rig::start("calls", FIX, name, env).await?;
        let base = rig.server.base.clone();
        let rest = Rest::new(&base);
        let alice = rest.register_session("alice", "Alice Kim").await;
        let bob = rest.register_session("bob", "Bob Lee").await;
        let (ta, tb) = (token(&alice), token(&bob));
        let bob_id = bob["user"]["id"].clone();
        let ws = rest.shared_workspace(&ta, &tb, "Acme").await;
        let channel = rest
            .call(
                "POST",
                &format!("/workspaces/{ws}/channels"),
                Some(&ta),
                json!({"name": "standup", "topic": "Daily sync", "member_ids": [bob_id.clone()]}),
            )
            .await;
        let dm = rest
            .call("POST", "/dm", Some(&ta), json!({"user_ids": [bob_id]}))
            .await;
        let a = rig.browser_with("profile-a", args).await;
        let b = rig.browser_with("profile-b", args).await;
        sign_in(&a, &base, &alice).await;
        sign_in(&b, &base, &bob).await;
        Some(Pair {
            channel: channel["id"].as_str().expect("channel id").to_owned(),
            dm: dm["id"].as_str().expect("dm id").to_owned(),
            rig,
            a,
            b,
        })
    }

    /// Opens a conversation in `c` and watches its peer connections.
    async fn open(&self, c: &Session, conversation: &str) {
        let base = &self.rig.server.base;
        c.goto(&format!("{base}/c/{conversation}"))
            .await
            .expect("open the conversation");
        wait_js(
            c,
            "document.querySelector('#composer-input')",
            SECS5,
            "the conversation",
        )
        .await;
        js(c, SPY_JS).await;
    }

    async fn finish(self) {
        let Pair { rig, a, b, .. } = self;
        rig.finish(vec![a, b]).await;
    }
}

/// Both join the call in `conversation`, Alice first (Bob offers), and
/// media flows both ways; `shot_as` names a screenshot of Bob's page
/// while Alice is in the call alone.
async fn both_join(p: &Pair, conversation: &str, shot_as: Option<&str>) {
    p.open(&p.a, conversation).await;
    p.open(&p.b, conversation).await;
    alice_calls(p).await;
    if let Some(name) = shot_as {
        wait_js(
            &p.b,
            "document.querySelector('.call-join')",
            SECS5,
            "Join in the timeline",
        )
        .await;
        shot(&p.b, name).await;
    }
    click(&p.b, "#call-button").await;
    connected(&p.a, "Alice").await;
    connected(&p.b, "Bob").await;
}

/// Alice starts a call in the conversation both have open, alone, and
/// Bob's header offers to join it.
async fn alice_calls(p: &Pair) {
    click(&p.a, "#call-button").await;
    wait_js(
        &p.a,
        "document.querySelector('#call-panel:not(.pending)')",
        SECS5,
        "Alice in the call",
    )
    .await;
    // Bob's header counts the call Alice started.
    wait_js(
        &p.b,
        "document.querySelector('#call-button')?.innerText.includes('Join (1)')",
        SECS5,
        "Join (1) in Bob's header",
    )
    .await;
}

/// Waits until `c` shows no call in progress: none in the sidebar, and
/// the header's button starts one.
async fn call_over(c: &Session, who: &str) {
    wait_js(
        c,
        "!document.querySelector('.side-call') && document.querySelector('#call-button')?.title === 'Start a call'",
        SECS5,
        &format!("no call left at {who}'s"),
    )
    .await;
}

/// The types of the local candidates of the pairs `c`'s connections use,
/// once they have chosen one.
async fn selected_local(c: &Session, who: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let s = stats(c).await;
        let local: Vec<String> = s
            .iter()
            .filter_map(|x| x["local"].as_str().map(str::to_owned))
            .collect();
        if !local.is_empty() {
            return local;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "{who} has no selected pair: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the `<video>` at `el` (a JS expression) shows frames.
async fn plays(c: &Session, el: &str, what: &str) {
    wait_js(c, &format!("{el}?.videoWidth > 0"), MEDIA_WAIT, what).await;
}

/// A remote tile's `<video>` (`feed`: camera or screen), as JS.
fn remote_video(feed: &str) -> String {
    format!("document.querySelector('.tile[data-who^=\"p-\"][data-feed=\"{feed}\"] video')")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_call_with_sound_video_and_a_shared_screen() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(p) = Pair::start("calls", &[]).await else {
        return;
    };
    let started = Instant::now();
    let channel = p.channel.clone();
    both_join(&p, &channel, Some("call-live")).await;
    // The sidebar of both shows the call and how many are in it.
    wait_js(
        &p.a,
        "document.querySelector('.side-item.active .side-call')?.innerText.trim() === '2'",
        SECS5,
        "2 in the call in Alice's sidebar",
    )
    .await;

    // Each hears the other (the fake microphone beeps).
    let a_hears = hears(&p.a, "Alice").await;
    let b_hears = hears(&p.b, "Bob").await;
    eprintln!("audio energy per 1.2 s: Alice hears {a_hears:.5}, Bob hears {b_hears:.5}");
    // And Bob's bar rings Alice's avatar while she beeps.
    wait_js(
        &p.b,
        "document.querySelector('.call-person.speaking[data-who^=\"p-\"]')",
        MEDIA_WAIT,
        "Alice speaking in Bob's call bar",
    )
    .await;

    // Alice's camera plays at Bob's.
    click(&p.a, "#call-camera").await;
    plays(&p.b, &remote_video("camera"), "Alice's camera at Bob's").await;

    // Alice's screen reaches Bob at its real size. The capture's settings
    // settle with its first frames (a fake screen may start 4:3 and then
    // send 16:9), so both sides are read until they agree.
    click(&p.a, "#call-screen").await;
    let sent = "(() => { const v = document.querySelector('.tile[data-who=\"me\"][data-feed=\"screen\"] video'); \
                const t = v && v.srcObject && v.srcObject.getVideoTracks()[0]; \
                return t && v.videoWidth ? [t.getSettings().width, t.getSettings().height] : null; })()";
    let got = format!(
        "(() => {{ const v = {}; return v && v.videoWidth ? [v.videoWidth, v.videoHeight] : null; }})()",
        remote_video("screen")
    );
    let start = Instant::now();
    let size = loop {
        let mine = js(&p.a, &format!("return {sent};")).await;
        let theirs = js(&p.b, &format!("return {got};")).await;
        if !mine.is_null() && mine == theirs {
            break mine;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "Alice shares a {mine} screen, Bob gets {theirs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("the screen arrived at {size} after {:?}", start.elapsed());
    // Shared screens take the large view.
    wait_js(
        &p.b,
        "document.querySelector('.stage-main .tile.screen[data-who^=\"p-\"]')",
        SECS5,
        "the screen in Bob's large view",
    )
    .await;

    // Muted, Alice sends no sound; Bob sees it.
    click(&p.a, "#call-mute").await;
    wait_js(
        &p.b,
        "document.querySelector('.call-person[data-who^=\"p-\"] .person-muted')",
        SECS5,
        "Alice muted in Bob's bar",
    )
    .await;
    // What was in flight plays out first.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let muted = energy_during(&p.b, Duration::from_millis(1500)).await;
    eprintln!("audio energy at Bob's while Alice is muted, per 1.5 s: {muted:.6}");
    assert!(
        muted < b_hears / 20.0,
        "Bob still hears Alice: {muted} against {b_hears} unmuted"
    );

    // Bob's connection drops and comes back (the app treats the window's
    // `online` event as a changed network): he joins again as a new
    // participant, offers afresh, and Alice hears him again.
    let before = js(&p.b, "return window.__pcs.length;").await;
    js(
        &p.b,
        "window.dispatchEvent(new Event('online')); return null;",
    )
    .await;
    wait_js(
        &p.b,
        &format!(
            "window.__pcs.length > {before} && window.__pcs.at(-1).connectionState === 'connected' \
             && !document.querySelector('#call-panel.pending')"
        ),
        MEDIA_WAIT,
        "Bob back in the call on a new connection",
    )
    .await;
    // Alice's camera tile at Bob's plays the new connection's track.
    wait_js(
        &p.b,
        &format!(
            "(() => {{ const v = {}; const t = v && v.srcObject && v.srcObject.getVideoTracks()[0]; \
             return t && window.__pcs.at(-1).getReceivers().some(r => r.track === t); }})()",
            remote_video("camera")
        ),
        MEDIA_WAIT,
        "Alice's camera on Bob's new connection",
    )
    .await;
    let again = hears(&p.a, "Alice, after Bob's reconnect").await;
    eprintln!("after the reconnect Alice hears {again:.5}");

    // Both leave: the call ends and says so in the channel.
    click(&p.a, "#call-leave").await;
    wait_js(
        &p.a,
        "!document.querySelector('#call-panel')",
        SECS5,
        "Alice out of the call",
    )
    .await;
    // Her microphone, camera and screen are released.
    wait_js(&p.a, DEVICES_OFF, SECS5, "Alice's devices stopped").await;
    wait_js(
        &p.b,
        "document.querySelectorAll('.call-person').length === 1",
        SECS5,
        "Bob alone in the call",
    )
    .await;
    click(&p.b, "#call-leave").await;
    for (c, who) in [(&p.a, "Alice"), (&p.b, "Bob")] {
        wait_js(
            c,
            &msg_with("Call ended"),
            SECS5,
            &format!("'Call ended' at {who}'s"),
        )
        .await;
        call_over(c, who).await;
    }
    shot(&p.a, "call-ended").await;
    let ended = js(
        &p.a,
        &format!("return {}.innerText;", msg_with("Call ended")),
    )
    .await;
    eprintln!("system message: {ended}");
    let text = ended.as_str().unwrap_or_default();
    assert!(
        text.contains("Alice Kim") && text.contains("Bob Lee"),
        "{text}"
    );
    eprintln!("the channel call took {:?}", started.elapsed());
    p.finish().await;
}

/// Both in a call relayed by the TURN server the server hands out: the
/// pair in use is a relay one on both sides, and sound flows.
async fn relayed_call(p: &Pair) {
    let channel = p.channel.clone();
    both_join(p, &channel, None).await;
    for (c, who) in [(&p.a, "Alice"), (&p.b, "Bob")] {
        let local = selected_local(c, who).await;
        assert!(
            local.iter().all(|t| t == "relay"),
            "{who}'s candidate pairs: {local:?}"
        );
        let heard = hears(c, who).await;
        eprintln!("{who} hears {heard:.5} through the relay");
    }
    click(&p.a, "#call-leave").await;
    click(&p.b, "#call-leave").await;
    wait_js(&p.a, &msg_with("Call ended"), SECS5, "the call ended").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_relayed_through_coturn() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(coturn) = Coturn::start("calls (coturn)", FIX).await else {
        return;
    };
    let Some(p) = Pair::start("calls-coturn", &coturn.env).await else {
        return;
    };
    relayed_call(&p).await;
    p.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_relayed_through_the_embedded_turn_server() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let env = [("PARLEY_ICE_TRANSPORT_POLICY", "relay".to_owned())];
    let Some(p) = Pair::start("calls-embedded-turn", &env).await else {
        return;
    };
    relayed_call(&p).await;
    p.finish().await;
}

/// Saves `name`-light and `name`-dark of what `c` shows.
async fn shots_in_both_themes(c: &Session, name: &str) {
    for theme in ["light", "dark"] {
        js(
            c,
            &format!("document.documentElement.dataset.theme = '{theme}'; return null;"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        shot(c, &format!("{name}-{theme}")).await;
    }
    js(
        c,
        "document.documentElement.dataset.theme = 'light'; return null;",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dm_call_rings_and_can_be_declined_or_accepted() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(p) = Pair::start("calls-dm", &[]).await else {
        return;
    };
    let (dm, channel) = (p.dm.clone(), p.channel.clone());
    p.open(&p.a, &dm).await;
    p.open(&p.b, &channel).await;

    // Bob's devices, named (the fake ones), in Preferences.
    click(&p.b, "#open-settings").await;
    wait_js(
        &p.b,
        "document.querySelector('#device-mic')?.options.length > 1",
        SECS5,
        "the microphones in Preferences",
    )
    .await;
    js(
        &p.b,
        "document.querySelector('.modal .setting:has(#device-mic)').scrollIntoView(); return null;",
    )
    .await;
    shot(&p.b, "call-devices").await;
    js(
        &p.b,
        "document.querySelector('.modal-head .icon-btn').click(); return null;",
    )
    .await;

    // Alice calls; Bob, reading #standup, is rung.
    click(&p.a, "#call-button").await;
    wait_js(
        &p.b,
        "document.querySelector('#ring-dialog')",
        SECS5,
        "the ringing at Bob's",
    )
    .await;
    let caller = js(
        &p.b,
        "return document.querySelector('#ring-title').innerText;",
    )
    .await;
    assert_eq!(caller, json!("Alice Kim"));
    wait_js(
        &p.a,
        "document.querySelector('#call-status')?.innerText === 'Ringing…'",
        SECS5,
        "Ringing… at Alice's",
    )
    .await;
    shots_in_both_themes(&p.b, "call-ringing").await;

    // Declined: the ringing stops and Alice's call, which nobody else
    // joined, ends.
    click(&p.b, "#ring-decline").await;
    wait_js(
        &p.b,
        "!document.querySelector('#ring-dialog')",
        SECS5,
        "the ringing stopped",
    )
    .await;
    wait_js(
        &p.a,
        "!document.querySelector('#call-panel')",
        SECS5,
        "Alice's call ended by the decline",
    )
    .await;

    // Again, accepted: Bob lands in the DM, in the call.
    click(&p.a, "#call-button").await;
    click(&p.b, "#ring-accept").await;
    wait_js(
        &p.b,
        &format!("location.pathname === '/c/{dm}' && document.querySelector('#call-panel:not(.pending)')"),
        SECS5,
        "Bob in the DM's call",
    )
    .await;
    js(&p.b, SPY_JS).await;
    connected(&p.a, "Alice").await;
    click(&p.a, "#call-camera").await;
    click(&p.b, "#call-camera").await;
    plays(&p.b, &remote_video("camera"), "Alice's camera at Bob's").await;
    plays(
        &p.b,
        "document.querySelector('.tile.mine video')",
        "Bob's own camera",
    )
    .await;
    shots_in_both_themes(&p.b, "call-bar").await;

    click(&p.a, "#call-screen").await;
    plays(&p.b, &remote_video("screen"), "Alice's screen at Bob's").await;
    shots_in_both_themes(&p.b, "call-screen").await;

    click(&p.a, "#call-leave").await;
    click(&p.b, "#call-leave").await;
    wait_js(&p.b, &msg_with("Call ended"), SECS5, "the DM call ended").await;
    p.finish().await;
}

// The call set-up benchmark (docs/benchmarks.md, "Calls in the browser:
// set-up time"). `#[ignore]`d: 3 × 20 calls, about 40 s, that the normal
// test run (and CI) must not spend. Run with `cargo test -p parley-e2e
// --test calls call_setup_benchmark -- --ignored --nocapture
// --test-threads=1`; it writes bench-results/call-setup.json.

/// Calls per mode: `PARLEY_E2E_CALLS`, or 20.
fn bench_calls() -> usize {
    std::env::var("PARLEY_E2E_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20)
}

/// Clicks Join at this page and waits, polling `getStats()` every 20 ms,
/// until remote audio plays (an inbound audio stream with energy or a
/// level above zero) on a connection made since the click. Resolves to
/// when each step was first seen, in ms of the page's `performance.now()`
/// from just before the click: the connection made, connected, the first
/// audio packet, audio playing (and its `audioLevel` then, 0..1).
/// `arguments[0]` is how long to wait, in ms.
const SETUP_JS: &str = r#"
const limit = arguments[0];
const done = arguments[arguments.length - 1];
const before = window.__pcs.length;
const t0 = performance.now();
document.querySelector('#call-button').click();
const at = {};
const mark = (k) => { if (at[k] === undefined) at[k] = Math.round((performance.now() - t0) * 10) / 10; };
(async () => {
  while (performance.now() - t0 < limit) {
    for (const pc of window.__pcs.slice(before)) {
      mark('pc');
      if (pc.connectionState === 'connected') mark('connected');
      (await pc.getStats()).forEach(s => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
        if (s.packetsReceived > 0) mark('packet');
        if ((s.totalAudioEnergy > 0 || s.audioLevel > 0) && at.audio === undefined) {
          mark('audio');
          at.level = s.audioLevel;
        }
      });
    }
    if (at.audio !== undefined) return done(at);
    await new Promise(r => setTimeout(r, 20));
  }
  done({error: 'no remote audio', at});
})().catch(e => done({error: String(e), at}));
"#;

/// A second of a steady 440 Hz tone (48 kHz, 16-bit mono WAV) for the
/// fake microphones to loop. Chromium's own fake microphone beeps about
/// once a second and is silent in between, and that silence decodes to an
/// `audioLevel` of 2 in 32768 — above zero with nothing to hear — so "above
/// zero" would time the first packet, not sound. The tone is heard at a
/// level of about 0.2 from its first frames.
fn write_tone(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::write(path, wav(&sine(440.0, 1.0, 8000.0 / 32767.0)))
}

/// The nearest-rank `q` quantile of `sorted` (with 20 samples p99 is the
/// largest one).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// p50, p99 and max of `samples`, rounded to 0.1 ms.
fn summary(samples: &[f64]) -> Value {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let round = |v: Option<f64>| v.map(|ms| (ms * 10.0).round() / 10.0);
    json!({
        "count": sorted.len(),
        "p50_ms": round(quantile(&sorted, 0.50)),
        "p99_ms": round(quantile(&sorted, 0.99)),
        "max_ms": round(sorted.last().copied()),
    })
}

/// `bench-results/call-setup.json` at the repository's root.
fn bench_file() -> std::path::PathBuf {
    // desktop/e2e → the root.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.ancestors().nth(2).unwrap_or(manifest);
    root.join("bench-results/call-setup.json")
}

/// What the results were measured on.
fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    json!({
        "cpu": cpu,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "server": "parley-server in the test's process, debug build (cargo test's dev profile)",
        "commit": commit,
    })
}

/// Adds `result` as `mode` to the results file, keeping the other modes'
/// (each mode is a test of its own, run one after the other).
fn record(mode: &str, result: &Value) {
    let path = bench_file();
    let mut doc = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .filter(|d| d["modes"].is_object())
        .unwrap_or_else(|| json!({"modes": {}}));
    doc["benchmark"] = json!("call set-up in the browser");
    doc["what"] = json!(
        "the second person's click on Join in the channel header until remote audio plays at \
         their side (inbound-rtp audio with totalAudioEnergy or audioLevel > 0), by the page's \
         performance.now(), getStats() polled every 20 ms; the first person is already in the call; \
         the fake microphones loop a steady 440 Hz tone"
    );
    doc["command"] = json!(
        "cargo test -p parley-e2e --test calls call_setup_benchmark -- --ignored --nocapture --test-threads=1"
    );
    doc["machine"] = machine();
    doc["modes"][mode] = result.clone();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create bench-results");
    }
    let text = serde_json::to_string_pretty(&doc).expect("results as JSON");
    std::fs::write(&path, text + "\n").expect("write bench-results/call-setup.json");
    eprintln!("wrote {}", path.display());
}

/// Times `bench_calls()` calls in #standup with the server settings `env`
/// (`mode` names them in the results): Alice starts each call, Bob's
/// click on Join starts the clock and remote audio at Bob's stops it;
/// then both leave and the call ends before the next. Every call must use
/// a pair whose local candidate is of type `local` at both ends.
async fn call_setup_benchmark(mode: &str, env: &[(&str, String)], local: &str) {
    let tone = std::env::temp_dir().join(format!("parley-tone-{}.wav", std::process::id()));
    write_tone(&tone).expect("write the tone");
    let tone_flag = format!("--use-file-for-fake-audio-capture={}", tone.display());
    let args: Vec<&str> = MEDIA.iter().copied().chain([tone_flag.as_str()]).collect();
    let Some(p) = Pair::start_with(&format!("bench-{mode}"), env, &args).await else {
        let _ = std::fs::remove_file(&tone);
        return;
    };
    let channel = p.channel.clone();
    p.open(&p.a, &channel).await;
    p.open(&p.b, &channel).await;
    let limit = MEDIA_WAIT.as_millis() as u64;
    let mut calls = Vec::new();
    for i in 0..bench_calls() {
        alice_calls(&p).await;
        let at =
            p.b.execute_async(SETUP_JS, vec![json!(limit)])
                .await
                .expect("set-up script");
        assert!(
            at["audio"].is_number(),
            "call {i}: Bob hears nothing: {at} {:?}",
            stats(&p.b).await
        );
        for (c, who) in [(&p.a, "Alice"), (&p.b, "Bob")] {
            let pairs = selected_local(c, who).await;
            assert!(
                pairs.iter().all(|t| t == local),
                "call {i}: {who}'s pairs are {pairs:?}, not {local}"
            );
        }
        eprintln!("{mode} call {i}: {at}");
        calls.push(at);
        click(&p.a, "#call-leave").await;
        click(&p.b, "#call-leave").await;
        call_over(&p.a, "Alice").await;
        call_over(&p.b, "Bob").await;
    }
    let step = |k: &str| -> Vec<f64> { calls.iter().filter_map(|at| at[k].as_f64()).collect() };
    let setup = step("audio");
    let chromium = js(&p.b, "return navigator.userAgent;").await;
    let result = json!({
        "mode": mode,
        "local_candidate": local,
        "setup": summary(&setup),
        "samples_ms": setup,
        // Where the time went: each step's distribution from the click.
        "steps": {
            "peer_connection": summary(&step("pc")),
            "connected": summary(&step("connected")),
            "first_audio_packet": summary(&step("packet")),
            "audio_playing": summary(&setup),
        },
        "calls": calls,
        "browser": chromium,
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .ok(),
    });
    println!("{}", json!({"call_setup": result}));
    record(mode, &result);
    p.finish().await;
    let _ = std::fs::remove_file(&tone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: 20 calls, about 15 s"]
async fn call_setup_benchmark_direct() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // The server's settings as the direct-call test has them: it still
    // hands out its embedded relay, and the loopback host pair wins.
    call_setup_benchmark("direct", &[], "host").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: 20 calls through coturn, about 15 s"]
async fn call_setup_benchmark_coturn() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(coturn) = Coturn::start("calls (coturn)", FIX).await else {
        return;
    };
    call_setup_benchmark("coturn", &coturn.env, "relay").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: 20 calls through the embedded relay, about 15 s"]
async fn call_setup_benchmark_embedded_turn() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let env = [("PARLEY_ICE_TRANSPORT_POLICY", "relay".to_owned())];
    call_setup_benchmark("embedded-turn", &env, "relay").await;
}
