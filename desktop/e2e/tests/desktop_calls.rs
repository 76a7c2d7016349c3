//! End-to-end: calls between two instances of the real desktop app
//! (parley-desktop, whose calls run natively in Rust: WebKitGTK has no
//! WebRTC), each driven by a tauri-driver of its own, plus a headless
//! Chromium as a third person, through a parley-server on 127.0.0.1.
//!
//! It needs a desktop session with sound: run it through
//! `scripts/test-desktop`, which runs it in `scripts/desktop-session` with
//! `PARLEY_SESSION_AUDIO=1` (scripts/session-audio: a PulseAudio of the
//! session's own with null sinks `a_mic`, `a_spk`, `b_mic`, `b_spk`, and
//! ALSA's default device routed to it), and coturn (`turnserver`) for one
//! relay scenario. `cargo test` lists them as ignored; run with `--ignored`
//! outside that session, they warn loudly and pass, except under
//! `CI=true`, where they fail. They run one at a time.
//!
//! The two apps:
//! - A (Alice) runs on a second X display showing four coloured bars
//!   ([`PatternDisplay`]), so the screen she shares is known; her
//!   microphone is `a_mic.monitor` and her speaker `a_spk`
//!   (`PULSE_SOURCE`/`PULSE_SINK`, which the ALSA→PulseAudio route honours).
//! - B (Bob) runs on the session's display with `b_mic.monitor` and
//!   `b_spk`, on a D-Bus session of his own with a keyring of his own: the
//!   app is single-instance per D-Bus session (a second launch on the same
//!   bus hands over to the first and exits), and its keychain entry is
//!   per server, so two people on one server would share one entry.
//!
//! Each has its own HOME and XDG directories (settings, webview data).
//! Sound is checked where it comes out: a tone played into one app's
//! microphone sink is recorded from the other's speaker monitor and its
//! frequency measured (desktop/e2e/src/audio.rs). The screen is checked on
//! a picture of Bob's window, and across to the browser both ways: Alice's
//! screen arrives at Carol's at 1280×720 and shows the bars (on Chromium's
//! screenshot of her page), and Carol's (Chromium's fake screen) fills
//! Bob's large view at the size she sends.
//!
//! Two more scenarios, cheaper, are the same two-app call with sound both
//! ways through a relay only (the server hands out the `relay` ICE
//! transport policy): through coturn, and through the server's embedded
//! TURN relay. Each ends with the relay's own account of what it carried
//! (desktop/e2e/src/relay.rs): coturn's log of both sessions' packets, or
//! the embedded relay's debug log lines, counted in the test's process.
//! Every step is named; a failure names it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use parley_e2e::audio::{analyse, is_tone, record, sine, wav, Heard, Tone};
use parley_e2e::bus::{keyring_bus, secret_tool_lookup_on};
use parley_e2e::chrome::Chrome;
use parley_e2e::net::free_port;
use parley_e2e::pixels::flat_share;
use parley_e2e::pixels::pixels_near;
use parley_e2e::process::Proc;
use parley_e2e::relay::{
    count_embedded_relay, embedded_relay_counts, usage_of, Coturn, RelayCounts, Usage,
};
use parley_e2e::rest::Rest;
use parley_e2e::rig::ONE_AT_A_TIME;
use parley_e2e::run_steps;
use parley_e2e::server::{web_dir, Server};
use parley_e2e::shots::shots_dir;
use parley_e2e::skip::{desktop_rig, unavailable};
use parley_e2e::steps::run_step;
use parley_e2e::tauri::{end, TauriDriver};
use parley_e2e::webdriver::{click, js, type_into, wait_js, Session, SECS20};
use parley_e2e::webrtc::{connected, hears, peak_frequency, sign_in, MEDIA, SPY_JS};
use parley_e2e::x11::{the_window_on, x_picture, xdotool_on, PatternDisplay};
use serde_json::{json, Value};

const FIX: &str =
    "./scripts/test-desktop (it sets up Xvfb, D-Bus, the keyring, PulseAudio and the app)";

/// A wait for media to start flowing between two debug-built apps on a
/// busy two-core machine.
const MEDIA_WAIT: Duration = Duration::from_secs(30);

/// The pattern on Alice's screen, left to right: magenta, green, blue,
/// yellow (far apart, and flat colours survive VP8 and JPEG).
const BARS: [[u8; 3]; 4] = [[255, 0, 255], [0, 255, 0], [0, 0, 255], [255, 255, 0]];

/// The size of Alice's screen.
const SCREEN: (u32, u32) = (1280, 720);

/// Alice's, Bob's and Carol's tones (Carol's browser loops hers as its
/// fake microphone, in place of Chromium's beep).
const ALICE_HZ: f64 = 440.0;
const BOB_HZ: f64 = 660.0;
const CAROL_HZ: f64 = 880.0;

/// Skips (loudly) outside CI, fails in CI.
fn skip(why: &str) {
    unavailable("desktop calls", why, FIX);
}

/// One instance of the app: its driver, its webview session, and what it
/// runs in.
struct Instance {
    /// "a" or "b": its sinks are `<name>_mic` and `<name>_spk`.
    name: &'static str,
    /// Its tauri-driver, stopped when dropped.
    _driver: TauriDriver,
    c: Option<Session>,
    /// Its own D-Bus session and keyring (Bob), stopped when dropped.
    bus: Option<(Vec<Proc>, String)>,
}

impl Instance {
    /// The app's webview session.
    fn c(&self) -> &Session {
        self.c.as_ref().expect("the app is running")
    }

    /// Its speaker's monitor, where what it plays can be recorded.
    fn speaker(&self) -> String {
        format!("{}_spk.monitor", self.name)
    }

    /// Its microphone's sink, where a tone for it to hear is played.
    fn microphone(&self) -> String {
        format!("{}_mic", self.name)
    }

    /// Its D-Bus address, None for the session's.
    fn bus(&self) -> Option<&str> {
        self.bus.as_ref().map(|(_, address)| address.as_str())
    }
}

/// The environment of an app instance named `name` under `dir`: a home
/// and XDG directories of its own (settings, webview data, keyring files),
/// the X display `display`, and its PulseAudio devices.
fn instance_env(dir: &Path, name: &str, display: &str) -> Vec<(String, String)> {
    let home = dir.join("home");
    let run = dir.join("run");
    for d in [
        home.join(".config"),
        home.join(".local/share"),
        home.join(".cache"),
    ] {
        std::fs::create_dir_all(d).expect("the instance's home");
    }
    std::fs::create_dir_all(&run).expect("the instance's runtime dir");
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("a private runtime dir");
    // ALSA reads ~/.asoundrc: the app's default device is PulseAudio's.
    std::fs::write(
        home.join(".asoundrc"),
        "pcm.!default {type pulse}\nctl.!default {type pulse}\n",
    )
    .expect("write .asoundrc");
    let path = |p: PathBuf| p.display().to_string();
    vec![
        ("HOME".into(), path(home.clone())),
        ("XDG_CONFIG_HOME".into(), path(home.join(".config"))),
        ("XDG_DATA_HOME".into(), path(home.join(".local/share"))),
        ("XDG_CACHE_HOME".into(), path(home.join(".cache"))),
        ("XDG_RUNTIME_DIR".into(), path(run)),
        ("DISPLAY".into(), display.to_owned()),
        ("PULSE_SINK".into(), format!("{name}_spk")),
        ("PULSE_SOURCE".into(), format!("{name}_mic.monitor")),
    ]
}

/// The relay a relay-only call goes through, and what it had relayed
/// before the call.
enum Relay {
    Coturn(Coturn),
    Embedded(RelayCounts),
}

/// What the scenario runs on, and what it has made that later steps use.
struct World {
    tmp: PathBuf,
    _server: Server,
    base: String,
    alice_token: String,
    /// Carol's sign-up, for the browser.
    carol: Value,
    /// #standup, which all three are in.
    channel: String,
    app_bin: PathBuf,
    tauri_driver: PathBuf,
    pattern: Option<PatternDisplay>,
    a: Option<Instance>,
    b: Option<Instance>,
    /// The tones playing into the microphones.
    alice_tone: Option<Tone>,
    bob_tone: Option<Tone>,
    /// What Bob's speaker played while Alice's tone reached him.
    bob_heard: Option<Heard>,
    chrome: Option<Chrome>,
    browser: Option<Session>,
    /// The relay all media must go through, in the relay-only scenarios.
    relay: Option<Relay>,
}

impl World {
    fn a(&self) -> &Instance {
        self.a.as_ref().expect("app A started")
    }

    fn b(&self) -> &Instance {
        self.b.as_ref().expect("app B started")
    }

    /// The server (with the call settings `env` on top of the test's own)
    /// with Alice, Bob and Carol in #standup (over REST); `name` names the
    /// scenario's temporary folder.
    async fn set_up(
        name: &str,
        (app_bin, tauri_driver): (PathBuf, PathBuf),
        env: &[(&'static str, String)],
    ) -> World {
        let tmp = std::env::temp_dir().join(format!("parley-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).expect("temp dir");
        let mut settings = vec![
            ("PARLEY_WEB_DIR", web_dir().display().to_string()),
            ("PARLEY_TURN_PORT", "0".into()),
        ];
        settings.extend(env.iter().cloned());
        let server = Server::start(&tmp.join("data"), &settings).await;
        let base = server.base.clone();
        let rest = Rest::new(&base);
        let alice = rest.register_session("alice", "Alice Kim").await;
        let bob = rest.register_session("bob", "Bob Lee").await;
        let carol = rest.register_session("carol", "Carol Park").await;
        let token = |v: &Value| v["access_token"].as_str().expect("token").to_owned();
        let (alice_token, bob_token, carol_token) = (token(&alice), token(&bob), token(&carol));
        let ws = rest
            .shared_workspace(&alice_token, &bob_token, "Acme")
            .await;
        rest.join_workspace(&alice_token, &carol_token, &ws).await;
        let channel = rest
            .call(
                "POST",
                &format!("/workspaces/{ws}/channels"),
                Some(&alice_token),
                json!({"name": "standup", "member_ids": [bob["user"]["id"], carol["user"]["id"]]}),
            )
            .await;
        World {
            tmp,
            _server: server,
            base,
            alice_token,
            carol,
            channel: channel["id"].as_str().expect("channel id").to_owned(),
            app_bin,
            tauri_driver,
            pattern: None,
            a: None,
            b: None,
            alice_tone: None,
            bob_tone: None,
            bob_heard: None,
            chrome: None,
            browser: None,
            relay: None,
        }
    }

    /// Starts a driver for instance `name` on `display`, on a bus and
    /// keyring of its own when `own_bus`, and launches the app in it.
    async fn launch(&self, name: &'static str, display: &str, own_bus: bool) -> Instance {
        let dir = self.tmp.join(format!("app-{name}"));
        let mut env = instance_env(&dir, name, display);
        let bus = own_bus.then(|| keyring_bus(&dir, &env));
        if let Some((_, address)) = &bus {
            env.push(("DBUS_SESSION_BUS_ADDRESS".into(), address.clone()));
        }
        let driver =
            TauriDriver::start_with(&self.tauri_driver, (free_port(), free_port()), &env).await;
        let c = driver.launch(&self.app_bin).await;
        Instance {
            name,
            _driver: driver,
            c: Some(c),
            bus,
        }
    }
}

/// The app, tauri-driver and what the scenarios run on; `None` after a
/// loud skip (a failure in CI) when something is missing.
fn rig() -> Option<(PathBuf, PathBuf)> {
    let tools = [
        "WebKitWebDriver",
        "Xvfb",
        "display",
        "import",
        "xdotool",
        "pacat",
        "parec",
        "dbus-daemon",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ];
    let vars = ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER"];
    let found = match desktop_rig(&vars, &tools) {
        Ok(found) => found,
        Err(why) => {
            skip(&why);
            return None;
        }
    };
    if let Err(why) = Chrome::find() {
        skip(why);
        return None;
    }
    if !web_dir().join("index.html").is_file() {
        skip("the web UI is not built (scripts/build-ui)");
        return None;
    }
    Some(found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session: run scripts/test-desktop"]
async fn two_desktop_apps_and_a_browser_call_with_sound_and_a_shared_screen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(rig) = rig() else { return };
    let mut world = run_step(
        "set-up",
        "the server with Alice, Bob and Carol in #standup",
        World::set_up("desktop-calls", rig, &[]),
    )
    .await;
    run_steps!(
        &mut world,
        [
            the_session_carries_a_tone,
            a_second_display_shows_the_pattern,
            two_apps_start_side_by_side,
            alice_and_bob_sign_in,
            each_app_keeps_its_own_session,
            both_open_standup,
            alice_starts_a_call,
            bob_joins,
            bob_hears_alices_tone,
            alice_hears_bobs_tone,
            alice_mutes_and_bob_hears_nothing,
            alice_unmutes,
            alice_shares_her_screen,
            bob_sees_the_pattern,
            alice_stops_sharing,
            a_browser_joins_as_a_third,
            the_browser_hears_alices_tone,
            bob_hears_the_browser,
            alice_shares_her_screen,
            the_browser_sees_alices_screen,
            alice_stops_sharing,
            the_browser_shares_its_screen,
            bob_sees_the_browsers_screen,
            the_browser_stops_sharing,
            alice_leaves,
            everyone_leaves_and_the_call_ends,
            the_apps_close,
        ]
    );
    let _ = std::fs::remove_dir_all(&world.tmp);
}

/// The relay-only scenarios: Alice and Bob in a call whose media must go
/// through `relay`, with sound both ways, and the relay's own account of
/// what it carried. `env` are the server's call settings that hand the
/// relay out with the `relay` ICE transport policy.
async fn relayed_call(name: &str, env: &[(&'static str, String)], relay: Relay) {
    let Some(rig) = rig() else { return };
    let mut world = run_step(
        "set-up",
        "the server, relay-only, with Alice, Bob and Carol in #standup",
        World::set_up(name, rig, env),
    )
    .await;
    world.relay = Some(relay);
    run_steps!(
        &mut world,
        [
            a_second_display_shows_the_pattern,
            two_apps_start_side_by_side,
            alice_and_bob_sign_in,
            both_open_standup,
            alice_starts_a_call,
            bob_joins,
            bob_hears_alices_tone,
            alice_hears_bobs_tone,
            both_leave,
            the_relay_carried_the_call,
            the_apps_close,
        ]
    );
    let _ = std::fs::remove_dir_all(&world.tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session: run scripts/test-desktop"]
async fn two_desktop_apps_call_through_coturn_only() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(coturn) = Coturn::start("desktop calls (coturn)", FIX).await else {
        return;
    };
    let env = coturn.env.clone();
    relayed_call("desktop-calls-coturn", &env, Relay::Coturn(coturn)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session: run scripts/test-desktop"]
async fn two_desktop_apps_call_through_the_embedded_relay_only() {
    let _one = ONE_AT_A_TIME.lock().await;
    if let Err(why) = count_embedded_relay() {
        return skip(&why);
    }
    let env = [("PARLEY_ICE_TRANSPORT_POLICY", "relay".to_owned())];
    let before = embedded_relay_counts();
    relayed_call("desktop-calls-embedded", &env, Relay::Embedded(before)).await;
}

/// Records `source` in 2 s pieces until `check` holds for one (for
/// `MEDIA_WAIT`); that piece. Fails with what the last one held.
async fn record_until(source: &str, what: &str, check: impl Fn(&Heard) -> bool) -> Heard {
    let start = Instant::now();
    loop {
        let heard = analyse(&record(source, Duration::from_secs(2)).await);
        if check(&heard) {
            eprintln!("{what}: {heard:?}");
            return heard;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "{what}: never; the last 2 s on {source} held {heard:?}"
        );
    }
}

/// The rig itself: a tone played into Alice's microphone sink is on its
/// monitor (what her app will record), at its frequency.
async fn the_session_carries_a_tone(_world: &mut World) {
    let _tone = Tone::play("a_mic", ALICE_HZ);
    record_until("a_mic.monitor", "the tone on a_mic.monitor", |h| {
        is_tone(h, ALICE_HZ)
    })
    .await;
}

/// Alice's screen: a second Xvfb showing the bars.
async fn a_second_display_shows_the_pattern(world: &mut World) {
    let pattern = PatternDisplay::start(&world.tmp, SCREEN.0, SCREEN.1, &BARS).await;
    eprintln!("the pattern is on {}", pattern.display);
    world.pattern = Some(pattern);
}

/// Two instances of the app, each with its own driver, home, display,
/// sound devices (and Bob's with a D-Bus session and keyring of his own).
async fn two_apps_start_side_by_side(world: &mut World) {
    let pattern = world.pattern.as_ref().expect("the pattern display");
    let a = world.launch("a", &pattern.display, false).await;
    let session_display = std::env::var("DISPLAY").expect("DISPLAY");
    let b = world.launch("b", &session_display, true).await;
    for (app, who) in [(&a, "A"), (&b, "B")] {
        wait_js(
            app.c(),
            "document.querySelector('#server-url')",
            SECS20,
            &format!("app {who}'s first-run screen"),
        )
        .await;
    }
    world.a = Some(a);
    world.b = Some(b);
}

/// Signs in on the app's first run: the server, then the person.
async fn first_run_sign_in(c: &Session, base: &str, user: &str) {
    type_into(c, "#server-url", base).await;
    click(c, "#server-connect").await;
    wait_js(
        c,
        "document.querySelector('#f-username')",
        SECS20,
        "the sign-in page",
    )
    .await;
    type_into(c, "#f-username", user).await;
    type_into(c, "#f-password", "correct horse battery").await;
    click(c, "#auth-submit").await;
    wait_js(
        c,
        "document.querySelector('#composer-input')",
        SECS20,
        &format!("{user} signed in"),
    )
    .await;
}

async fn alice_and_bob_sign_in(world: &mut World) {
    first_run_sign_in(world.a().c(), &world.base, "alice").await;
    first_run_sign_in(world.b().c(), &world.base, "bob").await;
}

/// Each app's tokens are in its own keychain: Alice's in the session's,
/// Bob's in his bus's keyring, under the same account name (it is per
/// server), holding different sessions.
async fn each_app_keeps_its_own_session(world: &mut World) {
    let account = format!("parley.tokens@{}", world.base);
    let mut found = Vec::new();
    for app in [world.a(), world.b()] {
        let start = Instant::now();
        let secret = loop {
            if let Some(s) = secret_tool_lookup_on(app.bus(), &account) {
                break s;
            }
            assert!(
                start.elapsed() < SECS20,
                "no keychain entry {account} for app {}",
                app.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        found.push(secret);
    }
    assert_ne!(found[0], found[1], "the two apps share one keychain entry");
}

/// Both open #standup from the sidebar.
async fn both_open_standup(world: &mut World) {
    let channel = world.channel.clone();
    for app in [world.a(), world.b()] {
        click(app.c(), &format!(".sidebar a[href='/c/{channel}']")).await;
        wait_js(
            app.c(),
            &format!(
                "location.pathname === '/c/{channel}' && document.querySelector('#call-button')"
            ),
            SECS20,
            "#standup with its call button",
        )
        .await;
    }
}

/// Alice starts the call; Bob's header offers to join it.
async fn alice_starts_a_call(world: &mut World) {
    let (a, b) = (world.a().c(), world.b().c());
    click(a, "#call-button").await;
    wait_js(
        a,
        "document.querySelector('#call-panel:not(.pending)')",
        SECS20,
        "Alice in the call",
    )
    .await;
    wait_js(
        b,
        "document.querySelector('#call-button')?.innerText.includes('Join (1)')",
        SECS20,
        "Join (1) in Bob's header",
    )
    .await;
}

/// Bob joins; both call bars show two people.
async fn bob_joins(world: &mut World) {
    let (a, b) = (world.a().c(), world.b().c());
    click(b, "#call-button").await;
    for (c, who) in [(a, "Alice"), (b, "Bob")] {
        wait_js(
            c,
            "document.querySelector('#call-panel:not(.pending)') \
             && document.querySelectorAll('.call-person').length === 2",
            SECS20,
            &format!("two in {who}'s call bar"),
        )
        .await;
    }
}

/// A 440 Hz tone into Alice's microphone comes out of Bob's speaker at
/// 440 Hz.
async fn bob_hears_alices_tone(world: &mut World) {
    let mic = world.a().microphone();
    world.alice_tone = Some(Tone::play(&mic, ALICE_HZ));
    let speaker = world.b().speaker();
    let heard = record_until(&speaker, "Alice's tone at Bob's", |h| is_tone(h, ALICE_HZ)).await;
    world.bob_heard = Some(heard);
}

/// A 660 Hz tone into Bob's microphone comes out of Alice's speaker at
/// 660 Hz (while hers plays on: each hears the other, not itself).
async fn alice_hears_bobs_tone(world: &mut World) {
    let mic = world.b().microphone();
    world.bob_tone = Some(Tone::play(&mic, BOB_HZ));
    let speaker = world.a().speaker();
    record_until(&speaker, "Bob's tone at Alice's", |h| is_tone(h, BOB_HZ)).await;
    // Bob's tone has done its part; the checks below listen for Alice's.
    world.bob_tone = None;
}

/// Muted, Alice sends no sound: Bob's call bar says so and his speaker
/// goes quiet.
async fn alice_mutes_and_bob_hears_nothing(world: &mut World) {
    let unmuted = world.bob_heard.expect("what Bob heard").rms;
    click(world.a().c(), "#call-mute").await;
    wait_js(
        world.b().c(),
        "document.querySelector('.call-person[data-who^=\"p-\"] .person-muted')",
        SECS20,
        "Alice muted in Bob's call bar",
    )
    .await;
    let speaker = world.b().speaker();
    record_until(&speaker, "Bob's speaker quiet", |h| h.rms < unmuted / 20.0).await;
}

async fn alice_unmutes(world: &mut World) {
    click(world.a().c(), "#call-mute").await;
    let speaker = world.b().speaker();
    record_until(&speaker, "Alice's tone at Bob's again", |h| {
        is_tone(h, ALICE_HZ)
    })
    .await;
}

/// Alice shares her screen: her window moves down out of the way of the
/// pattern's top half, and she picks the first screen in the picker.
async fn alice_shares_her_screen(world: &mut World) {
    let display = world.pattern.as_ref().expect("the pattern").display.clone();
    let window = the_window_on(&display);
    xdotool_on(
        &display,
        &["windowmove", &window, "0", &(SCREEN.1 / 2).to_string()],
    );
    let a = world.a().c();
    click(a, "#call-screen").await;
    wait_js(
        a,
        "document.querySelector('.screen-picker button.screen-source')",
        SECS20,
        "the screen picker with its sources",
    )
    .await;
    let sources = js(
        a,
        "return [...document.querySelectorAll('.screen-picker button.screen-source')].map(b => b.innerText);",
    )
    .await;
    eprintln!("screens and windows offered: {sources}");
    click(a, ".screen-picker button.screen-source").await;
    wait_js(
        a,
        "!document.querySelector('.screen-picker')",
        SECS20,
        "the picker closed",
    )
    .await;
}

/// The box (device pixels, [left, top, right, bottom] in the window) where
/// the remote screen's picture is drawn in the large view, as JS; null
/// until a picture is there. Works for a `<video>`, `<canvas>` or `<img>`,
/// letterboxed (`object-fit: contain`) or filling its element.
const SCREEN_BOX_JS: &str = r#"
const tile = document.querySelector('.stage-main .tile.screen[data-who^="p-"]');
const el = tile && tile.querySelector('video, canvas, img');
if (!el) return null;
const r = el.getBoundingClientRect();
const w = el.videoWidth || el.naturalWidth || el.width, h = el.videoHeight || el.naturalHeight || el.height;
if (!w || !h || !r.width || !r.height) return null;
let box = [r.left, r.top, r.width, r.height];
const fit = getComputedStyle(el).objectFit;
if (fit === 'contain' || fit === 'scale-down') {
  const s = Math.min(r.width / w, r.height / h);
  box = [r.left + (r.width - w * s) / 2, r.top + (r.height - h * s) / 2, w * s, h * s];
}
const d = window.devicePixelRatio;
return [box[0], box[1], box[0] + box[2], box[1] + box[3]].map(v => Math.round(v * d));
"#;

/// Where a picture of what someone sees comes from: an X window (an
/// app's), or the browser's own screenshot of its page.
enum View {
    Window(String),
    Page,
}

/// A picture of `view` (the page of `c`), kept in `file`; its PNG.
async fn picture(c: &Session, view: &View, file: &Path) -> Vec<u8> {
    match view {
        View::Window(window) => {
            x_picture(window, file);
            std::fs::read(file).expect("the picture of the window")
        }
        View::Page => {
            let png = c.screenshot().await.expect("a screenshot of the page");
            std::fs::write(file, &png).expect("write the screenshot");
            png
        }
    }
}

/// Where the remote screen is drawn in `c`'s large view (device pixels,
/// [left, top, right, bottom]), or null until a picture is there.
async fn screen_box(c: &Session) -> Value {
    js(c, &format!("return (() => {{ {SCREEN_BOX_JS} }})();")).await
}

/// `who`'s large view (the page of `c`, pictured as `view` into `file`)
/// shows Alice's screen: the top half of each bar is its colour.
async fn sees_the_pattern(c: &Session, view: View, who: &str, file: &Path) {
    wait_js(
        c,
        "document.querySelector('.stage-main .tile.screen[data-who^=\"p-\"]')",
        MEDIA_WAIT,
        &format!("Alice's screen in {who}'s large view"),
    )
    .await;
    let start = Instant::now();
    loop {
        let found = screen_box(c).await;
        let seen = match serde_json::from_value::<[i64; 4]>(found.clone()) {
            Ok([left, top, right, bottom]) => {
                let png = picture(c, &view, file).await;
                let (w, h) = ((right - left) as f64, (bottom - top) as f64);
                BARS.iter()
                    .enumerate()
                    .map(|(i, colour)| {
                        // The middle half of the bar, in the top half's
                        // middle (Alice's window covers the bottom half).
                        let x0 = left as f64 + w * (i as f64 + 0.25) / 4.0;
                        let x1 = left as f64 + w * (i as f64 + 0.75) / 4.0;
                        let rect = [x0, top as f64 + h * 0.1, x1, top as f64 + h * 0.4]
                            .map(|v| v.max(0.0) as u32);
                        let area = (rect[2] - rect[0]) as usize * (rect[3] - rect[1]) as usize;
                        pixels_near(&png, &rect, *colour) as f64 / area.max(1) as f64
                    })
                    .collect::<Vec<f64>>()
            }
            Err(_) => Vec::new(),
        };
        if seen.len() == BARS.len() && seen.iter().all(|share| *share > 0.8) {
            eprintln!("{who} sees the bars in {found}: {seen:?} of each bar's box in its colour");
            return;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "{who}'s large view never showed the pattern: box {found}, share of each bar's \
             colour {seen:?}; see {}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Bob's large view shows Alice's screen, on a picture of his window.
async fn bob_sees_the_pattern(world: &mut World) {
    let window = the_window_on(&std::env::var("DISPLAY").expect("DISPLAY"));
    let file = shots_dir().join("parley-desktop-call-screen.png");
    sees_the_pattern(world.b().c(), View::Window(window), "Bob", &file).await;
}

/// Carol's browser receives Alice's screen at its size, 1280×720, and
/// its large view shows the bars (on a screenshot of her page).
async fn the_browser_sees_alices_screen(world: &mut World) {
    let c = world.browser.as_ref().expect("Carol's browser");
    let size = "(() => { const v = document.querySelector('.stage-main .tile.screen[data-who^=\"p-\"] video'); \
                return v && v.videoWidth ? [v.videoWidth, v.videoHeight] : null; })()";
    let start = Instant::now();
    loop {
        let got = js(c, &format!("return {size};")).await;
        if got == json!([SCREEN.0, SCREEN.1]) {
            eprintln!(
                "Carol gets Alice's screen at {got} after {:?}",
                start.elapsed()
            );
            break;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "Alice shares a {}x{} screen, Carol's large view plays {got}",
            SCREEN.0,
            SCREEN.1
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let file = shots_dir().join("parley-desktop-call-screen-in-browser.png");
    sees_the_pattern(c, View::Page, "Carol", &file).await;
}

/// Carol shares her screen from the browser (Chromium's fake screen,
/// picked without a prompt): her own tile plays it.
async fn the_browser_shares_its_screen(world: &mut World) {
    let c = world.browser.as_ref().expect("Carol's browser");
    click(c, "#call-screen").await;
    wait_js(
        c,
        &format!("{BROWSER_SCREEN_JS} !== null"),
        MEDIA_WAIT,
        "Carol's own screen tile playing",
    )
    .await;
}

/// The size of the screen Carol's browser shares (its own tile's
/// picture), as a JS expression: [width, height], or null.
const BROWSER_SCREEN_JS: &str = "(() => { const v = document.querySelector('.tile[data-who=\"me\"][data-feed=\"screen\"] video'); \
     return v && v.videoWidth ? [v.videoWidth, v.videoHeight] : null; })()";

/// Bob's large view shows Carol's screen: its `<img>` has the size of
/// the screen she shares, and on a picture of his window the box it is
/// drawn in is a picture, not a flat colour (less than 95% of it near its
/// median colour).
async fn bob_sees_the_browsers_screen(world: &mut World) {
    let c = world.browser.as_ref().expect("Carol's browser");
    let b = world.b().c();
    let natural = "(() => { const i = document.querySelector('.stage-main .tile.screen[data-who^=\"p-\"] img'); \
                   return i && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null; })()";
    let window = the_window_on(&std::env::var("DISPLAY").expect("DISPLAY"));
    let file = shots_dir().join("parley-desktop-call-browser-screen.png");
    let start = Instant::now();
    loop {
        let sent = js(c, &format!("return {BROWSER_SCREEN_JS};")).await;
        let shown = js(b, &format!("return {natural};")).await;
        let found = screen_box(b).await;
        let share = match serde_json::from_value::<[i64; 4]>(found.clone()) {
            Ok(rect) if !sent.is_null() && sent == shown => {
                let png = picture(b, &View::Window(window.clone()), &file).await;
                Some(flat_share(&png, &rect.map(|v| v.max(0) as u32)))
            }
            _ => None,
        };
        // Chromium's fake screen: a green field, a brighter disc, a clock.
        if share.is_some_and(|s| s < 0.95) {
            eprintln!(
                "Bob sees Carol's {sent} screen in {found} after {:?}; {:.0}% of it is near \
                 its median colour",
                start.elapsed(),
                share.unwrap_or(1.0) * 100.0
            );
            return;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "Carol shares a {sent} screen; Bob's large view shows an <img> of {shown} in box \
             {found}, of which a share of {share:?} is near its median colour (flat); see {}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Carol stops sharing; Bob's large view no longer shows a screen.
async fn the_browser_stops_sharing(world: &mut World) {
    let c = world.browser.as_ref().expect("Carol's browser");
    click(c, "#call-screen").await;
    wait_js(
        world.b().c(),
        "!document.querySelector('.tile.screen[data-who^=\"p-\"]')",
        SECS20,
        "Carol's screen gone at Bob's",
    )
    .await;
}

/// Alice stops sharing; Bob's large view no longer shows a screen.
async fn alice_stops_sharing(world: &mut World) {
    click(world.a().c(), "#call-screen").await;
    wait_js(
        world.b().c(),
        "!document.querySelector('.tile.screen[data-who^=\"p-\"]')",
        SECS20,
        "Alice's screen gone at Bob's",
    )
    .await;
}

/// Carol joins the same call from Chromium (fake devices, her microphone
/// an 880 Hz tone in place of Chromium's beep): three in it.
async fn a_browser_joins_as_a_third(world: &mut World) {
    let (chromium, chromedriver) = Chrome::find().expect("checked before the steps");
    let chrome = Chrome::start(chromium, &chromedriver).await;
    let tone = world.tmp.join("carol.wav");
    std::fs::write(&tone, wav(&sine(CAROL_HZ, 1.0, 0.25))).expect("write Carol's tone");
    let tone_flag = format!("--use-file-for-fake-audio-capture={}", tone.display());
    let args: Vec<&str> = MEDIA.iter().copied().chain([tone_flag.as_str()]).collect();
    let c = chrome
        .session(&world.tmp.join("profile-carol"), &args)
        .await;
    sign_in(&c, &world.base, &world.carol).await;
    c.goto(&format!("{}/c/{}", world.base, world.channel))
        .await
        .expect("open #standup");
    wait_js(
        &c,
        "document.querySelector('#call-button')?.innerText.includes('Join (2)')",
        SECS20,
        "Join (2) in Carol's header",
    )
    .await;
    js(&c, SPY_JS).await;
    click(&c, "#call-button").await;
    connected(&c, "Carol").await;
    for app in [world.a(), world.b()] {
        wait_js(
            app.c(),
            "document.querySelectorAll('.call-person').length === 3",
            SECS20,
            "three in the call bar",
        )
        .await;
    }
    world.chrome = Some(chrome);
    world.browser = Some(c);
}

/// Carol's browser hears Alice's tone: the analyser's peak is at 440 Hz.
async fn the_browser_hears_alices_tone(world: &mut World) {
    let c = world.browser.as_ref().expect("Carol's browser");
    hears(c, "Carol").await;
    let start = Instant::now();
    loop {
        let (freq, db) = peak_frequency(c, Duration::from_millis(1500)).await;
        if (freq - ALICE_HZ).abs() <= 10.0 && db > -80.0 {
            eprintln!("Carol hears {freq:.1} Hz at {db:.1} dB");
            return;
        }
        assert!(
            start.elapsed() < MEDIA_WAIT,
            "Carol's loudest sound is {freq:.1} Hz at {db:.1} dB, not Alice's {ALICE_HZ} Hz"
        );
    }
}

/// Bob's speaker plays Carol's fake microphone, her 880 Hz tone, once
/// Alice's tone stops (the pieces still holding Alice's do not count).
async fn bob_hears_the_browser(world: &mut World) {
    world.alice_tone = None;
    let speaker = world.b().speaker();
    record_until(&speaker, "Carol's tone at Bob's", |h| is_tone(h, CAROL_HZ)).await;
}

/// Alice and Bob leave the call (a relay logs a session's traffic when
/// its allocation is released).
async fn both_leave(world: &mut World) {
    for app in [world.a(), world.b()] {
        click(app.c(), "#call-leave").await;
        wait_js(
            app.c(),
            "!document.querySelector('#call-panel')",
            SECS20,
            "out of the call",
        )
        .await;
    }
}

/// Whether `usage` is a relayed session that carried media both ways:
/// packets from its client out to the peer, and from the peer back.
fn carried_media(usage: &Usage) -> bool {
    const PACKETS: u64 = 100;
    usage.received >= PACKETS
        && usage.peer_sent >= PACKETS
        && usage.peer_received >= PACKETS
        && usage.sent >= PACKETS
}

/// The relay says it carried the call: for coturn, two sessions (one per
/// app) whose usage, logged as they closed, counts hundreds of packets
/// each way; for the embedded relay, allocations and hundreds of packets
/// relayed from clients and from peers since the call began.
async fn the_relay_carried_the_call(world: &mut World) {
    let start = Instant::now();
    loop {
        let (done, said) = match world.relay.as_ref().expect("the relay") {
            Relay::Coturn(coturn) => {
                let usage = coturn.usage();
                let carried = usage.iter().filter(|u| carried_media(u)).count();
                let said = format!(
                    "coturn's sessions' usage: {usage:?}; its permissions: {:?}",
                    coturn.lines_with("lifetime updated")
                );
                (carried >= 2, said)
            }
            Relay::Embedded(before) => {
                let now = embedded_relay_counts();
                let allocations = now.allocate_requests - before.allocate_requests;
                let from_clients = now.from_clients - before.from_clients;
                let from_peers = now.from_peers - before.from_peers;
                let said = format!(
                    "the embedded relay since the call began: {allocations} allocate requests, \
                     {from_clients} packets from clients, {from_peers} from peers"
                );
                (
                    allocations >= 2 && from_clients >= 200 && from_peers >= 200,
                    said,
                )
            }
        };
        if done {
            eprintln!("{said}");
            return;
        }
        assert!(
            start.elapsed() < SECS20,
            "the relay carried no call: {said}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Alice leaves: the others see two, and the server's call has Bob and
/// Carol only.
async fn alice_leaves(world: &mut World) {
    click(world.a().c(), "#call-leave").await;
    wait_js(
        world.a().c(),
        "!document.querySelector('#call-panel')",
        SECS20,
        "Alice out of the call",
    )
    .await;
    wait_js(
        world.b().c(),
        "document.querySelectorAll('.call-person').length === 2",
        SECS20,
        "two left in Bob's call bar",
    )
    .await;
    let calls = server_calls(&world.base, &world.alice_token).await;
    let people: Vec<&Value> = calls
        .iter()
        .flat_map(|c| c["participants"].as_array().into_iter().flatten())
        .map(|p| &p["user"])
        .collect();
    assert_eq!(
        people.len(),
        2,
        "the server's call after Alice left: {calls:?}"
    );
}

/// Bob and Carol leave: no call is left on the server, and the channel
/// says the call ended.
async fn everyone_leaves_and_the_call_ends(world: &mut World) {
    click(world.b().c(), "#call-leave").await;
    if let Some(c) = &world.browser {
        click(c, "#call-leave").await;
    }
    let start = Instant::now();
    loop {
        let calls = server_calls(&world.base, &world.alice_token).await;
        if calls.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < SECS20,
            "calls left on the server: {calls:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_js(
        world.a().c(),
        "[...document.querySelectorAll('#message-list .msg')].some(m => m.innerText.includes('Call ended'))",
        SECS20,
        "'Call ended' in Alice's #standup",
    )
    .await;
}

/// Both apps end with their sessions (and the browser with its driver),
/// and no process of the app is left.
async fn the_apps_close(world: &mut World) {
    if let Some(c) = world.browser.take() {
        let _ = c.close().await;
    }
    world.chrome = None;
    if let Some(c) = world.a.as_mut().and_then(|a| a.c.take()) {
        let _ = c.close().await;
    }
    if let Some(c) = world.b.as_mut().and_then(|b| b.c.take()) {
        end(&c, &world.app_bin).await;
    }
}

/// The calls in progress the server tells `token`'s user about, from the
/// HELLO of a fresh WebSocket session.
async fn server_calls(base: &str, token: &str) -> Vec<Value> {
    let url = format!("{}/api/v1/ws", base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("WebSocket {url}: {e}"));
    let auth = json!({"type": "AUTH", "payload": {"token": token}}).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::text(auth))
        .await
        .expect("send AUTH");
    let hello = tokio::time::timeout(SECS20, async {
        while let Some(frame) = ws.next().await {
            let frame = frame.expect("a WebSocket frame");
            let Ok(text) = frame.to_text() else { continue };
            let Ok(v) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if v["type"] == "HELLO" {
                return v;
            }
        }
        panic!("the WebSocket closed before HELLO");
    })
    .await
    .expect("HELLO within 20 s");
    let _ = ws.close(None).await;
    hello["payload"]["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

// The sound analysis the steps rely on, checked on synthetic tones (these
// run in the normal `cargo test`).

#[test]
fn a_440_hz_tone_is_found_at_440_hz() {
    let heard = analyse(&sine(440.0, 1.0, 0.5));
    assert!((heard.freq - 440.0).abs() <= 1.0, "{heard:?}");
    assert!(
        is_tone(&heard, 440.0) && !is_tone(&heard, 660.0),
        "{heard:?}"
    );
    // A sine at half scale: RMS 0.5/√2.
    assert!((heard.rms - 0.3536).abs() < 0.01, "{heard:?}");
}

#[test]
fn a_660_hz_tone_is_found_at_660_hz() {
    let heard = analyse(&sine(660.0, 2.0, 0.2));
    assert!((heard.freq - 660.0).abs() <= 1.0, "{heard:?}");
    assert!(
        is_tone(&heard, 660.0) && !is_tone(&heard, 440.0),
        "{heard:?}"
    );
}

#[test]
fn silence_is_no_tone() {
    let heard = analyse(&vec![0; 48_000]);
    assert_eq!(heard.rms, 0.0);
    assert!(!is_tone(&heard, 440.0), "{heard:?}");
}

#[test]
fn the_louder_of_two_tones_wins_and_a_late_tone_is_found() {
    let loud = sine(440.0, 1.0, 0.4);
    let quiet = sine(660.0, 1.0, 0.05);
    let mix: Vec<i16> = loud.iter().zip(&quiet).map(|(a, b)| a + b).collect();
    assert!((analyse(&mix).freq - 440.0).abs() <= 1.0);
    // A second of silence, then the tone: the loudest half second is found.
    let mut late = vec![0; 48_000];
    late.extend(sine(660.0, 1.0, 0.3));
    let heard = analyse(&late);
    assert!((heard.freq - 660.0).abs() <= 1.0, "{heard:?}");
}

#[test]
fn coturn_usage_lines_pair_with_their_peer_usage() {
    let log = "\
8: : session 001000000000000002: usage: realm=<parley.test>, username=<u>, rp=180, rb=1872, sp=170, sb=1736
8: : session 001000000000000002: peer usage: realm=<parley.test>, username=<u>, rp=100, rb=1000, sp=190, sb=1000
8: : session 001000000000000002: closed (2nd stage), user <u> realm <parley.test> origin <>, reason: allocation timeout
9: : session 000000000000000001: usage: realm=<parley.test>, username=<u>, rp=3, rb=1, sp=4, sb=1
";
    let usage = usage_of(log);
    assert_eq!(
        usage,
        vec![
            Usage {
                session: "001000000000000002".into(),
                received: 180,
                sent: 170,
                peer_received: 100,
                peer_sent: 190,
            },
            Usage {
                session: "000000000000000001".into(),
                received: 3,
                sent: 4,
                peer_received: 0,
                peer_sent: 0,
            },
        ]
    );
    assert!(carried_media(&usage[0]) && !carried_media(&usage[1]));
}
