//! End-to-end: the real desktop app (parley-desktop, a Tauri window) driven
//! through tauri-driver + WebKitWebDriver against a parley-server on
//! 127.0.0.1, with a second person talking to it over REST.
//!
//! It needs a desktop session: run it through `scripts/test-desktop`, which
//! installs what it needs, builds the UI and the app, and wraps the test in
//! `scripts/desktop-session` (Xvfb, a D-Bus session, an unlocked
//! gnome-keyring as the Secret Service, dunst as the notification daemon).
//! `cargo test` lists it as ignored (it needs that session); run with
//! `--ignored` outside it, it warns loudly and passes, except under
//! `CI=true`, where it fails. The screenshot lands in `PARLEY_E2E_SHOTS` (default /tmp).
//!
//! The scenario is named steps over one [`World`], set up once (one server,
//! one tauri-driver; the app restarts only where a step is about a restart)
//! and run in order; a failure names its step.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_e2e::bus::{
    dunstctl, file_manager, last_signal, private_bus, secret_tool_lookup, wait_for, watch_bus,
};
use parley_e2e::pixels::red_pixels;
use parley_e2e::process::Proc;
use parley_e2e::rest::Rest;
use parley_e2e::run_steps;
use parley_e2e::server::Server;
use parley_e2e::shots::shots_dir;
use parley_e2e::skip::{desktop_rig, unavailable};
use parley_e2e::steps::run_step;
use parley_e2e::tauri::{app_pid, end, TauriDriver};
use parley_e2e::tray::{wait_label, Tray};
use parley_e2e::webdriver::{
    click, js, msg_with, type_into, wait_js, wait_until, Session, CONTROL, ENTER, ESCAPE,
    NO_MODIFIERS, SECS20,
};
use parley_e2e::x11::{
    copy_image, drag_file_over, drop_dragged, geometry, request_close, the_window, x_picture,
    xdotool,
};
use serde_json::{json, Value};

/// 900 CSS pixels shown at 110 % (the window is 900 px wide then).
const ZOOMED_IN: &str = "window.innerWidth > 800 && window.innerWidth < 840";

/// Skips (loudly) outside CI, fails in CI.
fn skip(why: &str) {
    unavailable(
        "desktop",
        why,
        "./scripts/test-desktop (it sets up Xvfb, D-Bus, the keyring and the app)",
    );
}

/// Types `text` into an empty composer, leaves it (no caret in the
/// picture) and counts the red pixels inside the composer on a picture of
/// the app's window (`window`, from the X server: WebKitWebDriver's own
/// screenshot waits for the page's next paint, and an idle page with no
/// caret blinking does not paint for minutes); empties it again.
async fn composer_red(c: &Session, window: &str, text: &str) -> usize {
    const CLEAR: &str = "const t = document.querySelector('#composer-input'); t.value = ''; \
        t.dispatchEvent(new Event('input', {bubbles: true})); return null;";
    js(c, CLEAR).await;
    type_into(c, "#composer-input", text).await;
    js(c, "document.activeElement.blur(); return null;").await;
    // Spelling is checked after typing pauses.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The webview fills the undecorated window, so page pixels are window
    // pixels.
    let rect = js(
        c,
        "const r = document.querySelector('#composer-input').getBoundingClientRect(); \
         const d = window.devicePixelRatio; \
         return [r.left * d, r.top * d, r.right * d, r.bottom * d].map(Math.round);",
    )
    .await;
    let rect: Vec<u32> = serde_json::from_value(rect).expect("the composer's box");
    let file = shots_dir().join(format!("parley-desktop-spelling-{}.png", text.len()));
    x_picture(window, &file);
    js(c, CLEAR).await;
    red_pixels(&std::fs::read(&file).expect("the window's picture"), &rect)
}

/// Waits for a file the app saves, complete (its size stops at `len`).
async fn saved_file(path: &Path, len: usize) -> Vec<u8> {
    let start = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(path) {
            if bytes.len() == len {
                return bytes;
            }
        }
        assert!(start.elapsed() < SECS20, "{} never saved", path.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for one upload in the composer to finish, sends it with `text`,
/// and checks that Bob gets the message with the image attached.
async fn share_upload(c: &Session, rest: &Rest, token: &str, channel: &str, text: &str) {
    wait_js(
        c,
        "document.querySelectorAll('.upload.done').length === 1",
        SECS20,
        "the upload in the composer",
    )
    .await;
    type_into(c, "#composer-input", text).await;
    type_into(c, "#composer-input", ENTER).await;
    let m = rest.message_with(token, channel, text).await;
    let files = m["attachments"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 1, "one file attached: {m}");
    assert_eq!(files[0]["content_type"], "image/png", "{m}");
    assert_eq!(files[0]["size"], 4980, "the whole file arrived: {m}");
    let img = format!("{}?.querySelector('.attach-image img')", msg_with(text));
    let shown = format!("{img}?.complete && {img}.naturalWidth > 0");
    if !wait_until(c, &shown, SECS20).await {
        let src = js(c, &format!("return {img}?.src ?? 'no img';")).await;
        panic!("the image in {text:?} never showed (src {src})");
    }
}

/// Signs in on the sign-in page and waits for the channel.
async fn sign_in_as_alice(c: &Session) {
    wait_js(
        c,
        "document.activeElement?.id === 'f-username'",
        SECS20,
        "the username field focused",
    )
    .await;
    type_into(c, "#f-username", "alice").await;
    type_into(c, "#f-password", "correct horse battery").await;
    click(c, "#auth-submit").await;
    wait_js(
        c,
        "document.querySelector('#composer-input')",
        SECS20,
        "the channel view",
    )
    .await;
}

/// The webview's storage holds no token.
async fn no_tokens_in_storage(c: &Session) {
    let storage = js(
        c,
        "return JSON.stringify(Object.fromEntries(Object.entries(localStorage)));",
    )
    .await;
    let storage = storage.as_str().unwrap_or_default().to_owned();
    eprintln!("webview localStorage: {storage}");
    assert!(
        !storage.contains("refresh") && !storage.contains("access") && !storage.contains("eyJ"),
        "tokens leaked into localStorage: {storage}"
    );
}

/// Polls the account until do-not-disturb is `on` (set by the app when a
/// tray item is clicked).
async fn wait_dnd(rest: &Rest, token: &str, on: bool) {
    let start = Instant::now();
    loop {
        let me = rest
            .call("GET", "/users/me", Some(token), Value::Null)
            .await;
        if me["preferences"]["mute_until"].is_null() != on {
            return;
        }
        assert!(
            start.elapsed() < SECS20,
            "do-not-disturb never turned {}: {me}",
            if on { "on" } else { "off" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The picture the file steps share (`tests/fixtures/chart.png`, 96 px wide).
fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chart.png")
}

/// Bob mentions (or just writes to) Alice in #random, where she is not
/// looking.
async fn mention(world: &World, text: &str) {
    world
        .rest
        .call(
            "POST",
            &format!("/channels/{}/messages", world.random),
            Some(&world.bob_token),
            json!({ "content": text }),
        )
        .await;
}

/// What the scenario runs on, and what it has made that later steps use.
struct World {
    /// Removed at the end (not on a failure: what is left helps to look).
    tmp: PathBuf,
    /// Runs until the test ends (dropping it stops it).
    _server: Server,
    /// The server's address, which the app is told on its first run.
    base: String,
    /// Bob's client, and the test's.
    rest: Rest,
    alice_token: String,
    alice_id: String,
    bob_token: String,
    /// #general, the channel Alice has open.
    general: String,
    /// #random, where mentions land while Alice looks elsewhere.
    random: String,
    /// The Notify calls dunst receives.
    notes: Arc<Mutex<String>>,
    /// The dock badge's signals (Unity LauncherEntry).
    launcher: Arc<Mutex<String>>,
    /// The dbus-monitor processes behind `notes` and `launcher`.
    _monitors: [Proc; 2],
    driver: TauriDriver,
    /// The built parley-desktop.
    app_bin: PathBuf,
    /// The app's webview session (replaced when a step restarts the app).
    c: Session,
    /// When the first start was asked for.
    launched: Instant,
    /// The app's process, once the tray step has found it.
    pid: u32,
    /// The app's tray item, once the tray step has found it.
    tray: Option<Tray>,
    /// The direct message Bob starts.
    dm_id: String,
    /// The app's X window (after the restart), for the right-click menus.
    window: String,
}

impl World {
    /// The server with Alice, Bob, a workspace and its channels (over
    /// REST), the bus monitors, tauri-driver, and the app's first start.
    async fn set_up(app_bin: PathBuf, tauri_driver: &Path) -> World {
        let tmp = std::env::temp_dir().join(format!("parley-desktop-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).expect("temp dir");
        // No PARLEY_CORS_ORIGINS: the server lets the app in by default.
        let server = Server::start(&tmp.join("data"), &[]).await;
        let base = server.base.clone();
        let rest = Rest::new(&base);

        // Alice uses the app; Bob is the other client.
        let (alice_token, alice_id) = rest.register("alice").await;
        let (bob_token, bob_id) = rest.register("bob").await;
        let ws_id = rest
            .shared_workspace(&alice_token, &bob_token, "Desk")
            .await;
        let channels = rest
            .call(
                "GET",
                &format!("/workspaces/{ws_id}/channels"),
                Some(&bob_token),
                Value::Null,
            )
            .await;
        let general = channels
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == "general"))
            .and_then(|c| c["id"].as_str())
            .expect("#general")
            .to_owned();

        // A second channel, where mentions land while Alice looks elsewhere.
        let random = rest
            .call(
                "POST",
                &format!("/workspaces/{ws_id}/channels"),
                Some(&alice_token),
                json!({"name": "random", "member_ids": [bob_id]}),
            )
            .await;
        let random = random["id"].as_str().expect("#random").to_owned();

        let (monitor, notes) =
            watch_bus("interface='org.freedesktop.Notifications',member='Notify'");
        let (launcher_monitor, launcher) =
            watch_bus("interface='com.canonical.Unity.LauncherEntry',member='Update'");
        let driver = TauriDriver::start(tauri_driver).await;
        let launched = Instant::now();
        let c = driver.launch(&app_bin).await;
        World {
            tmp,
            _server: server,
            base,
            rest,
            alice_token,
            alice_id,
            bob_token,
            general,
            random,
            notes,
            launcher,
            _monitors: [monitor, launcher_monitor],
            driver,
            app_bin,
            c,
            launched,
            pid: 0,
            tray: None,
            dm_id: String::new(),
            window: String::new(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session: run scripts/test-desktop"]
async fn the_desktop_app_chats_notifies_and_keeps_tokens_in_the_keychain() {
    let tools = [
        "WebKitWebDriver",
        "dbus-monitor",
        "secret-tool",
        "import",
        "gdbus",
        "dunstctl",
        "xclip",
    ];
    let (app_bin, tauri_driver) =
        match desktop_rig(&["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"], &tools) {
            Ok(found) => found,
            Err(why) => return skip(&why),
        };
    let gtk_python = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import gi; gi.require_version('Gtk', '3.0'); gi.require_version('Gdk', '3.0')",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !gtk_python {
        return skip("Python's GTK bindings are missing (python3-gi, gir1.2-gtk-3.0)");
    }

    let mut world = run_step(
        "set-up",
        "the server, Alice and Bob, the driver and the app",
        World::set_up(app_bin, &tauri_driver),
    )
    .await;
    run_steps!(
        &mut world,
        [
            the_first_run_asks_for_the_server,
            the_tokens_are_in_the_keychain_only,
            alice_sends_from_the_app,
            bob_answers_in_the_window,
            files_dragged_and_pasted_in_are_sent,
            files_in_messages_are_saved_and_shown,
            a_direct_message_notifies,
            the_notification_opens_the_dm,
            the_tray_and_the_dock_count_mentions,
            do_not_disturb_from_the_tray,
            a_keyword_notifies,
            a_hidden_window_is_not_being_read,
            back_to_general,
            screenshots_of_the_window,
            the_window_reopens_where_it_was_left,
            misspelled_words_are_underlined,
            the_right_click_menu_is_an_apps,
            open_at_login_writes_an_autostart_entry,
            a_login_start_waits_in_the_tray,
            without_a_keychain_it_still_works,
        ]
    );
    if std::env::var_os("PARLEY_DESKTOP_BENCH").is_some() {
        bench(
            &world.rest,
            &world.bob_token,
            &world.general,
            &world.app_bin,
            &world.driver,
        )
        .await;
    }
    let _ = std::fs::remove_dir_all(&world.tmp);
}

/// First run: the app asks for the server.
async fn the_first_run_asks_for_the_server(world: &mut World) {
    let c = &world.c;
    let base = world.base.as_str();
    let launched = world.launched;
    wait_js(
        c,
        "document.querySelector('#server-url')",
        SECS20,
        "the first-run screen",
    )
    .await;
    // A new user types the address straight away: the field has the focus.
    wait_js(
        c,
        "document.activeElement?.id === 'server-url'",
        SECS20,
        "the server address field focused",
    )
    .await;
    type_into(c, "#server-url", base).await;
    eprintln!("server screen after {:?}", launched.elapsed());
    click(c, "#server-connect").await;
    // It reloads into the sign-in page of that server.
    sign_in_as_alice(c).await;
}

/// The token is in the Secret Service, and nowhere in the webview.
async fn the_tokens_are_in_the_keychain_only(world: &mut World) {
    let c = &world.c;
    let base = world.base.as_str();
    let account = format!("parley.tokens@{base}");
    let start = Instant::now();
    let secret = loop {
        if let Some(s) = secret_tool_lookup(&account) {
            break s;
        }
        assert!(start.elapsed() < SECS20, "no keychain entry {account}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(secret.contains("refresh"), "the keychain holds the tokens");
    no_tokens_in_storage(c).await;
}

/// Alice sends from the app; Bob reads it over REST.
async fn alice_sends_from_the_app(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let bob_token = world.bob_token.as_str();
    let general = world.general.as_str();
    type_into(c, "#composer-input", "Hello from the desktop app").await;
    type_into(c, "#composer-input", ENTER).await;
    wait_js(
        c,
        &msg_with("Hello from the desktop app"),
        SECS20,
        "Alice's message",
    )
    .await;
    rest.message_with(bob_token, general, "Hello from the desktop app")
        .await;
}

/// Bob answers in the channel; it shows up in the window.
async fn bob_answers_in_the_window(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let bob_token = world.bob_token.as_str();
    let general = world.general.as_str();
    rest.call(
        "POST",
        &format!("/channels/{general}/messages"),
        Some(bob_token),
        json!({"content": "Hi Alice, Bob here"}),
    )
    .await;
    wait_js(
        c,
        &msg_with("Hi Alice, Bob here"),
        SECS20,
        "Bob's message in the app",
    )
    .await;
}

/// Files come in the ways people share them: dragged from another app
/// (a GTK drag source, as from a file manager, with real pointer
/// events), and pasted from the clipboard (an image copied elsewhere,
/// then Ctrl+V in the composer).
async fn files_dragged_and_pasted_in_are_sent(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let app_bin = world.app_bin.as_path();
    let bob_token = world.bob_token.as_str();
    let general = world.general.as_str();
    let chart = chart();
    let (x, y, w, h) = geometry(&the_window(app_pid(app_bin).expect("the app's process")));
    let source = drag_file_over(&chart, (x + w / 2, y + h / 2));
    wait_js(
        c,
        "document.querySelector('.drop-overlay')",
        SECS20,
        "the drop overlay while a file is held over the window",
    )
    .await;
    x_picture("root", &shots_dir().join("parley-desktop-drop.png"));
    drop_dragged(source);
    share_upload(c, rest, bob_token, general, "Dropped from the file manager").await;
    eprintln!("a file dragged from another app was uploaded and sent");
    // A folder cannot be uploaded: it is listed as refused, not lost.
    let folder = chart.parent().expect("the fixtures folder");
    let source = drag_file_over(folder, (x + w / 2, y + h / 2));
    drop_dragged(source);
    wait_js(
        c,
        "document.querySelector('.upload.failed')?.innerText.includes('folders cannot be uploaded')",
        SECS20,
        "the dropped folder listed as refused",
    )
    .await;
    click(c, ".upload.failed button").await;
    wait_js(
        c,
        "!document.querySelector('.upload')",
        SECS20,
        "the refused folder removed",
    )
    .await;
    eprintln!("a dropped folder was listed as refused and removed");
    copy_image(&chart);
    type_into(c, "#composer-input", &format!("{CONTROL}v{NO_MODIFIERS}")).await;
    share_upload(c, rest, bob_token, general, "Pasted from the clipboard").await;
    eprintln!("an image pasted from the clipboard was uploaded and sent");
}

/// Files in messages: an image opens in the viewer, and "Download"
/// there or on a file card saves into ~/Downloads (never over a file
/// already there); the app says so, and "Show in folder" asks the file
/// manager to show that file.
async fn files_in_messages_are_saved_and_shown(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let bob_token = world.bob_token.as_str();
    let general = world.general.as_str();
    let downloads = PathBuf::from(std::env::var("HOME").expect("HOME")).join("Downloads");
    let png = std::fs::read(chart()).expect("the chart");
    js(
        c,
        &format!(
            "{}.querySelector('.attach-image').click(); return null;",
            msg_with("Pasted from the clipboard")
        ),
    )
    .await;
    wait_js(
        c,
        "document.querySelector('#viewer-image')?.complete && document.querySelector('#viewer-image').naturalWidth === 96",
        SECS20,
        "the image at full size in the viewer",
    )
    .await;
    // Past the backdrop's fade-in, as a person sees it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    x_picture("root", &shots_dir().join("parley-desktop-viewer.png"));
    click(c, "#viewer-download").await;
    wait_js(
        c,
        "document.querySelector('#saves .save.saved')?.innerText.includes('Pasted image.png saved to Downloads')",
        SECS20,
        "the viewer's download saved",
    )
    .await;
    let saved = saved_file(&downloads.join("Pasted image.png"), png.len()).await;
    assert!(saved == png, "the saved image is the one pasted");
    type_into(c, "#image-viewer", ESCAPE).await;
    wait_js(
        c,
        "!document.querySelector('#image-viewer')",
        SECS20,
        "the viewer closed with Esc",
    )
    .await;
    let minutes = "Minutes of Monday\n- ship the desktop app\n".repeat(200);
    let file_id = rest
        .upload(bob_token, "minutes.txt", minutes.as_bytes())
        .await;
    rest.call(
        "POST",
        &format!("/channels/{general}/messages"),
        Some(bob_token),
        json!({"content": "The minutes", "file_ids": [file_id]}),
    )
    .await;
    let card = format!("{}?.querySelector('.attach-file')", msg_with("The minutes"));
    wait_js(c, &card, SECS20, "Bob's file in the app").await;
    for name in ["minutes.txt", "minutes (1).txt"] {
        js(c, &format!("{card}.click(); return null;")).await;
        wait_js(
            c,
            &format!(
                "document.querySelector('#saves')?.innerText.includes('{name} saved to Downloads')"
            ),
            SECS20,
            name,
        )
        .await;
        let saved = saved_file(&downloads.join(name), minutes.len()).await;
        assert!(saved == minutes.as_bytes(), "{name} is Bob's file");
    }
    x_picture("root", &shots_dir().join("parley-desktop-saved.png"));
    let (_fm, shown) = file_manager();
    js(
        c,
        "[...document.querySelectorAll('#saves .save')].pop().querySelector('.save-show').click(); return null;",
    )
    .await;
    let uri = format!("ShowItems file://{}/minutes%20(1).txt", downloads.display());
    assert!(
        wait_for(&shown, &uri, SECS20).await,
        "the file manager was not asked to show the file: {:?}",
        shown.lock().map(|s| s.clone())
    );
    eprintln!("files from messages saved to ~/Downloads and shown in the file manager");
}

/// A direct message is not the channel on screen: it notifies. Older
/// bubbles go first, so the DM's is the one at the top.
async fn a_direct_message_notifies(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let alice_id = world.alice_id.as_str();
    let bob_token = world.bob_token.as_str();
    let notes = &world.notes;
    dunstctl(&["close-all"]);
    let dm = rest
        .call(
            "POST",
            "/dm",
            Some(bob_token),
            json!({"user_ids": [alice_id]}),
        )
        .await;
    world.dm_id = dm["id"].as_str().expect("dm id").to_owned();
    let dm_id = world.dm_id.as_str();
    rest.call(
        "POST",
        &format!("/dm/{dm_id}/messages"),
        Some(bob_token),
        json!({"content": "Ping from Bob, privately"}),
    )
    .await;
    assert!(
        wait_for(notes, "Ping from Bob, privately", SECS20).await,
        "no org.freedesktop.Notifications.Notify for the DM; saw:\n{}",
        notes.lock().map(|n| n.clone()).unwrap_or_default()
    );
    eprintln!("Notify observed on D-Bus for the DM");
    let channel_notified = notes.lock().is_ok_and(|n| n.contains("Hi Alice, Bob here"));
    eprintln!("notified for the channel on screen: {channel_notified}");

    // The DM started by Bob is titled with his name in the sidebar.
    wait_js(
        c,
        &format!("[...document.querySelectorAll('.sidebar a, .sidebar button')].some(e => e.getAttribute('href') === '/c/{dm_id}' && e.innerText.includes('bob'))"),
        SECS20,
        "the DM in the sidebar, named after Bob",
    )
    .await;
}

/// Clicking the notification (dunst runs its default action) opens the
/// DM on that message.
async fn the_notification_opens_the_dm(world: &mut World) {
    let c = &world.c;
    let dm_id = world.dm_id.as_str();
    dunstctl(&["action", "0"]);
    wait_js(
        c,
        &format!("location.pathname === '/c/{dm_id}'"),
        SECS20,
        "the DM opened by the notification click",
    )
    .await;
    wait_js(
        c,
        &format!(
            "{} && {}.classList.contains('focused')",
            msg_with("Ping from Bob, privately"),
            msg_with("Ping from Bob, privately")
        ),
        SECS20,
        "the notified message, highlighted",
    )
    .await;
    eprintln!("notification click opened the DM on its message");
}

/// The tray: its badge counts mentions, its menu sets do-not-disturb.
async fn the_tray_and_the_dock_count_mentions(world: &mut World) {
    let app_bin = world.app_bin.as_path();
    let notes = &world.notes;
    let launcher = &world.launcher;
    let pid = app_pid(app_bin).expect("the app's process");
    world.pid = pid;
    world.tray = Some(Tray::wait(pid).await);
    let tray = world.tray.as_ref().expect("the tray item");
    eprintln!("tray item {} {}", tray.bus_name, tray.item);
    assert_eq!(tray.label(), "", "no badge before any mention");
    assert_eq!(tray.red_in_corner(), 0, "no red dot before any mention");
    mention(world, "@alice have a look at this").await;
    assert!(
        wait_for(notes, "have a look at this", SECS20).await,
        "no Notify for the mention in #random"
    );
    wait_label(tray, "1").await;
    eprintln!("tray badge shows 1 mention");
    let start = Instant::now();
    let red = loop {
        let red = tray.red_in_corner();
        if red > 0 {
            break red;
        }
        assert!(
            start.elapsed() < SECS20,
            "the tray icon has no red dot for the mention"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("tray icon marked: {red} red pixels in its corner");
    std::fs::write(
        shots_dir().join("parley-desktop-tray-icon.png"),
        tray.icon_png(),
    )
    .expect("write the tray icon");
    // The dock's badge (Ubuntu's dock, Dash to Dock, KDE) for the launcher.
    let start = Instant::now();
    let update = loop {
        let last = last_signal(launcher);
        if last.contains("int64 1") {
            break last;
        }
        assert!(start.elapsed() < SECS20, "no dock badge of 1: {last:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        update.contains("\"application://Parley.desktop\"")
            && update.contains("\"count-visible\"")
            && update.contains("boolean true"),
        "the dock badge's signal: {update}"
    );
    eprintln!("dock badge signal: count 1, visible, for Parley.desktop");
}

/// Do-not-disturb set from the tray's menu: the badge counts, no bubble; Off ends it.
async fn do_not_disturb_from_the_tray(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let alice_token = world.alice_token.as_str();
    let notes = &world.notes;
    let tray = world
        .tray
        .as_ref()
        .expect("the tray item (an earlier step found it)");
    tray.click("For 1 hour");
    wait_dnd(rest, alice_token, true).await;
    // The menu says until when.
    tray.wait_item("Paused until ").await;
    wait_js(
        c,
        "document.querySelector('#paused-until')",
        SECS20,
        "the pause shown in the sidebar too",
    )
    .await;
    mention(world, "@alice quietly, during do not disturb").await;
    // The badge still counts it; no bubble appears.
    wait_label(tray, "2").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !notes
            .lock()
            .is_ok_and(|n| n.contains("during do not disturb")),
        "a Notify during do-not-disturb"
    );
    eprintln!("do-not-disturb from the tray: no notification");
    tray.click("Off");
    wait_dnd(rest, alice_token, false).await;
    tray.wait_item("Notifications are on").await;
    wait_js(
        c,
        "!document.querySelector('#paused-until')",
        SECS20,
        "the pause gone from the sidebar",
    )
    .await;
    mention(world, "@alice and now out loud").await;
    assert!(
        wait_for(notes, "and now out loud", SECS20).await,
        "no Notify after do-not-disturb was turned off"
    );
    wait_label(tray, "3").await;
}

/// A keyword notifies like a mention (it is not one: the badge stays).
async fn a_keyword_notifies(world: &mut World) {
    let rest = &world.rest;
    let alice_token = world.alice_token.as_str();
    let notes = &world.notes;
    rest.call(
        "PUT",
        "/users/me/preferences",
        Some(alice_token),
        json!({ "keywords": ["Launch Window"] }),
    )
    .await;
    mention(world, "the launch window opens at noon").await;
    assert!(
        wait_for(notes, "the launch window opens at noon", SECS20).await,
        "no Notify for Alice's keyword"
    );
    eprintln!("Notify observed on D-Bus for a keyword");
}

/// Hidden (as in the tray), the channel left open is not being read:
/// a mention there counts on the badge until the window is back.
async fn a_hidden_window_is_not_being_read(world: &mut World) {
    let c = &world.c;
    let rest = &world.rest;
    let bob_token = world.bob_token.as_str();
    let dm_id = world.dm_id.as_str();
    let pid = world.pid;
    let tray = world
        .tray
        .as_ref()
        .expect("the tray item (an earlier step found it)");
    let windows = xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()]);
    assert!(!windows.is_empty(), "no visible window of the app");
    for w in &windows {
        xdotool(&["windowunmap", "--sync", w]);
    }
    wait_js(
        c,
        "document.hidden",
        SECS20,
        "the page to know it is hidden",
    )
    .await;
    rest.call(
        "POST",
        &format!("/dm/{dm_id}/messages"),
        Some(bob_token),
        json!({"content": "@alice while the window was away"}),
    )
    .await;
    wait_label(tray, "4").await;
    for w in &windows {
        xdotool(&["windowmap", "--sync", w]);
    }
    wait_js(c, "!document.hidden", SECS20, "the page to be shown again").await;
    wait_label(tray, "3").await;
    eprintln!("hidden window: the open DM's mention reached the badge, cleared when shown");
}

/// Back to #general, which the next start (the benchmark) reopens.
async fn back_to_general(world: &mut World) {
    let c = &world.c;
    let general = world.general.as_str();
    click(c, &format!(".sidebar a[href='/c/{general}']")).await;
    wait_js(
        c,
        &format!("location.pathname === '/c/{general}'"),
        SECS20,
        "#general again",
    )
    .await;
}

/// The screenshots a person looks at: the webview's own rendering, and
/// the whole X screen (window and notification bubble).
async fn screenshots_of_the_window(world: &mut World) {
    let c = &world.c;
    let dir = shots_dir();
    let png = c.screenshot().await.expect("webview screenshot");
    std::fs::write(dir.join("parley-desktop-webview.png"), png).expect("write screenshot");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let shot = dir.join("parley-desktop.png");
    x_picture("root", &shot);
    eprintln!("screenshot: {}", shot.display());
}

/// The window reopens where it was left. Moved and resized, then closed
/// with the title bar's button (the close request a window manager
/// sends), it hides in the tray; ending the WebDriver session kills the
/// app without a clean exit, as logging out does. The next start must
/// still find the window's place.
async fn the_window_reopens_where_it_was_left(world: &mut World) {
    let c = &world.c;
    let app_bin = world.app_bin.as_path();
    let pid = world.pid;
    let dir = shots_dir();
    let w = the_window(pid);
    xdotool(&["windowsize", "--sync", &w, "900", "640"]);
    xdotool(&["windowmove", "--sync", &w, "60", "40"]);
    let placed = geometry(&w);
    assert_eq!(
        (placed.2, placed.3),
        (900, 640),
        "xdotool resized the window"
    );
    wait_js(c, "window.innerWidth === 900", SECS20, "the page at 900 px").await;
    // Ctrl+= zooms the page one step (110 %: fewer CSS pixels across), and
    // the level also outlives the restart.
    type_into(c, "#composer-input", &format!("{CONTROL}={NO_MODIFIERS}")).await;
    wait_js(c, ZOOMED_IN, SECS20, "the page zoomed in by Ctrl+=").await;
    // Under Xvfb (no window manager) about one run in eight leaves the
    // first request unanswered (cause not found; never seen twice in a
    // row), so an unanswered request is sent again, and said so.
    let start = Instant::now();
    request_close(&w);
    let mut asked = Instant::now();
    while js(c, "return document.hidden").await != json!(true) {
        assert!(
            start.elapsed() < SECS20,
            "the window never closed to the tray"
        );
        if asked.elapsed() > Duration::from_secs(3) {
            eprintln!("a close request went unanswered for 3 s; sending it again");
            request_close(&w);
            asked = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    end(c, app_bin).await;
    world.c = world.driver.launch(app_bin).await;
    let c = &world.c;
    wait_js(
        c,
        "document.querySelector('#composer-input')",
        SECS20,
        "the channel after a restart",
    )
    .await;
    let pid = app_pid(app_bin).expect("the restarted app's process");
    world.pid = pid;
    assert_eq!(
        geometry(&the_window(pid)),
        placed,
        "the window reopened where it was left (x, y, width, height)"
    );
    eprintln!("window reopened at its saved place and size {placed:?}");
    wait_js(c, ZOOMED_IN, SECS20, "the zoom kept across the restart").await;
    let png = c.screenshot().await.expect("webview screenshot");
    std::fs::write(dir.join("parley-desktop-zoomed.png"), png).expect("write screenshot");
    type_into(c, "#composer-input", &format!("{CONTROL}0{NO_MODIFIERS}")).await;
    wait_js(
        c,
        "window.innerWidth === 900",
        SECS20,
        "Ctrl+0 back to 100 %",
    )
    .await;
    let typed = js(c, "return document.querySelector('#composer-input').value").await;
    assert_eq!(typed, json!(""), "zoom keys typed into the composer");
    eprintln!("Ctrl+= zoomed, kept across a restart, Ctrl+0 reset");
}

/// Misspelled words get the red underline browsers draw (WebKitGTK
/// checks spelling only when the app asks); the same words spelled
/// right get none, so the red is the underline and nothing else.
async fn misspelled_words_are_underlined(world: &mut World) {
    let c = &world.c;
    let pid = world.pid;
    let w = the_window(pid);
    world.window = w.clone();
    let misspelled = composer_red(c, &w, "Ths sentense has misteaks ").await;
    let spelled = composer_red(c, &w, "This sentence has mistakes ").await;
    assert!(
        misspelled >= 10 && spelled == 0,
        "spelling underline: {misspelled} red pixels under misspelled words, {spelled} under right ones"
    );
    eprintln!("misspelled words underlined ({misspelled} red pixels), right ones not");
}

/// The right-click menu is an app's, not a browser's: on a misspelled
/// word it offers corrections and editing, and on plain page (no
/// Back, Forward or Reload left) none opens.
async fn the_right_click_menu_is_an_apps(world: &mut World) {
    let c = &world.c;
    let pid = world.pid;
    let w = world.window.clone();
    let menus = || {
        xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()])
            .into_iter()
            .filter(|m| *m != w && geometry(m).3 > 1)
            .count()
    };
    type_into(c, "#composer-input", "Ths ").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (wx, wy, _, _) = geometry(&w);
    let at = js(
        c,
        "const r = document.querySelector('#composer-input').getBoundingClientRect(); \
         return [r.left + 22, r.top + r.height / 2].map(Math.round);",
    )
    .await;
    let at: Vec<i64> = serde_json::from_value(at).expect("a point in the composer");
    let right_click = |x: i64, y: i64| {
        xdotool(&[
            "mousemove",
            &(wx + x).to_string(),
            &(wy + y).to_string(),
            "click",
            "3",
        ]);
    };
    let before = menus();
    right_click(at[0], at[1]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    x_picture("root", &shots_dir().join("parley-desktop-menu.png"));
    let on_word = menus() - before;
    xdotool(&["key", "Escape"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = menus();
    right_click(700, 160);
    tokio::time::sleep(Duration::from_millis(800)).await;
    x_picture("root", &shots_dir().join("parley-desktop-no-menu.png"));
    let on_page = menus().saturating_sub(before);
    xdotool(&["key", "Escape"]);
    eprintln!("right-click menus: {on_word} on a misspelled word, {on_page} on the page");
    assert!(
        on_word >= 1 && on_page == 0,
        "right-click menus: {on_word} on a misspelled word, {on_page} on the page"
    );
    js(
        c,
        "const t = document.querySelector('#composer-input'); t.value = ''; \
         t.dispatchEvent(new Event('input', {bubbles: true})); return null;",
    )
    .await;
}

/// Opening at login: the setting writes an XDG autostart entry that
/// starts this program with --autostart, and unticking removes it.
async fn open_at_login_writes_an_autostart_entry(world: &mut World) {
    let c = &world.c;
    let app_bin = world.app_bin.as_path();
    let config = std::env::var_os("XDG_CONFIG_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config"),
        PathBuf::from,
    );
    let entry = config.join("autostart/Parley.desktop");
    click(c, "#open-settings").await;
    wait_js(
        c,
        "document.querySelector('#open-at-login')?.checked === false",
        SECS20,
        "the open-at-login setting, off",
    )
    .await;
    click(c, "#open-at-login").await;
    wait_js(
        c,
        "document.querySelector('#open-at-login').checked",
        SECS20,
        "open at login on",
    )
    .await;
    js(
        c,
        "document.querySelector('#open-at-login').scrollIntoView(); return null;",
    )
    .await;
    let png = c.screenshot().await.expect("webview screenshot");
    std::fs::write(shots_dir().join("parley-desktop-settings.png"), png).expect("write screenshot");
    let written = std::fs::read_to_string(&entry).unwrap_or_default();
    let exec = format!(
        "Exec=\"{}\" --autostart\n",
        std::fs::canonicalize(app_bin)
            .unwrap_or(app_bin.to_path_buf())
            .display()
    );
    assert!(
        written.contains(&exec),
        "{} lacks {exec:?}: {written}",
        entry.display()
    );
    click(c, "#open-at-login").await;
    wait_js(
        c,
        "!document.querySelector('#open-at-login').checked",
        SECS20,
        "open at login off",
    )
    .await;
    assert!(
        !entry.exists(),
        "{} is left after turning it off",
        entry.display()
    );
    eprintln!("open at login writes and removes {}", entry.display());
}

/// Such a start waits in the tray: no window until the tray's Open.
async fn a_login_start_waits_in_the_tray(world: &mut World) {
    let c = &world.c;
    let app_bin = world.app_bin.as_path();
    end(c, app_bin).await;
    world.c = world.driver.launch_with(app_bin, &["--autostart"]).await;
    let c = &world.c;
    wait_js(
        c,
        "document.querySelector('#composer-input') && document.hidden",
        SECS20,
        "the app started at login, hidden",
    )
    .await;
    let pid = app_pid(app_bin).expect("the app's process");
    let tray = Tray::wait(pid).await;
    tray.click("Open Parley");
    wait_js(
        c,
        "!document.hidden",
        SECS20,
        "the window opened from the tray",
    )
    .await;
    the_window(pid);
    eprintln!("a login start waits in the tray; Open shows the window");

    end(c, app_bin).await;
}

/// A desktop without a keychain (no Secret Service on the session bus,
/// as on a bare window manager): the app still starts, says on the
/// sign-in page that it cannot remember the sign-in, and works, with the
/// tokens in memory only.
async fn without_a_keychain_it_still_works(world: &mut World) {
    let app_bin = world.app_bin.as_path();
    let tmp = world.tmp.as_path();
    let (_bus, bus) = private_bus(tmp);
    let wrapper = tmp.join("without-keychain.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec env DBUS_SESSION_BUS_ADDRESS='{bus}' '{}' \"$@\"\n",
            app_bin.display()
        ),
    )
    .expect("write the wrapper");
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("make the wrapper executable");
    world.c = world.driver.launch(&wrapper).await;
    let c = &world.c;
    wait_js(
        c,
        "document.querySelector('#keychain-warning')?.innerText.includes('will not remember')",
        SECS20,
        "the sign-in page saying the sign-in will not be kept",
    )
    .await;
    x_picture("root", &shots_dir().join("parley-desktop-no-keychain.png"));
    sign_in_as_alice(c).await;
    no_tokens_in_storage(c).await;
    end(c, app_bin).await;
    eprintln!("without a keychain: warned on sign-in, signed in, tokens in memory only");
}

/// The benchmark (not a test; `PARLEY_DESKTOP_BENCH=1`, see
/// docs/benchmarks.md): with a 10,000-message channel, the time from launch
/// to the channel shown (server and session already remembered), and the
/// memory of every app process after ten idle seconds.
async fn bench(rest: &Rest, token: &str, channel: &str, app_bin: &Path, driver: &TauriDriver) {
    let seeded = Instant::now();
    let mut tasks = Vec::new();
    for part in 0..8 {
        let (http, base, token, channel) = (
            rest.http.clone(),
            rest.base.clone(),
            token.to_owned(),
            channel.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..1250 {
                let url = format!("{base}/api/v1/channels/{channel}/messages");
                let body = json!({"content": format!("backlog message {part}-{i}")});
                let _ = http.post(&url).bearer_auth(&token).json(&body).send().await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    eprintln!("bench: seeded 10,000 messages in {:?}", seeded.elapsed());
    let launched = Instant::now();
    let c = driver.launch(app_bin).await;
    wait_js(
        &c,
        &msg_with("backlog message"),
        SECS20,
        "the 10,000-message channel",
    )
    .await;
    eprintln!(
        "bench: launch to first channel shown: {:?}",
        launched.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    // The UI's own share of the web process: its wasm linear memory (the
    // bindings' init hands back the running instance's exports).
    let wasm_bytes = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const src = document.querySelector('link[rel=modulepreload]').href;
               import(src).then(m => m.default()).then(w => done(w.memory.buffer.byteLength),
                                                       e => done(-1));"#,
            Vec::new(),
        )
        .await
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(-1);
    eprintln!(
        "bench: the UI's wasm memory: {} MiB",
        wasm_bytes / (1024 * 1024)
    );
    let (rss, pss, n) = app_memory("parley-desktop");
    eprintln!(
        "bench: idle memory of {n} app processes: RSS sum {} MiB, PSS sum {} MiB",
        rss / 1024,
        pss / 1024
    );
    end(&c, app_bin).await;
    floor(app_bin, pss).await;
}

/// The same idle measure for a bare WebKitGTK window (the `webkit_floor`
/// example beside the app's binary), alone on the machine like the app was:
/// the share of the app's memory that no WebKitGTK app can avoid.
async fn floor(app_bin: &Path, app_pss: u64) {
    let bin = app_bin
        .parent()
        .map(|d| d.join("examples/webkit_floor"))
        .unwrap_or_default();
    let mut child = match Command::new(&bin).stdout(Stdio::null()).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!(
                "bench: WARNING no floor measured: cannot start {} ({e}); build it with \
                 cargo build --release -p parley-desktop --example webkit_floor",
                bin.display()
            );
            return;
        }
    };
    // Its page is one line; the app's idle wait was ten seconds after its
    // page, so allow the start and then the same.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let (rss, pss, n) = app_memory("webkit_floor");
    let _ = child.kill();
    let _ = child.wait();
    eprintln!(
        "bench: a bare WebKitGTK window ({n} processes): RSS sum {} MiB, PSS sum {} MiB; \
         the app above it: {} MiB PSS",
        rss / 1024,
        pss / 1024,
        app_pss.saturating_sub(pss) / 1024
    );
}

/// (RSS kB, PSS kB, count) summed over the program `shell` (the app's, or
/// the floor's) and its WebKit helpers.
fn app_memory(shell: &str) -> (u64, u64, usize) {
    let mut totals = (0, 0, 0);
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return totals;
    };
    for e in dir.flatten() {
        let p = e.path();
        let cmd = std::fs::read(p.join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd);
        // By program name: a profiler's helper (addr2line -e …/parley-desktop)
        // or cargo merely naming the app in its arguments is not the app.
        let program = cmd.split('\0').next().unwrap_or_default();
        let ours = Path::new(program)
            .file_name()
            .is_some_and(|n| n == shell || n == "WebKitWebProcess" || n == "WebKitNetworkProcess");
        if !ours {
            continue;
        }
        let rollup = std::fs::read_to_string(p.join("smaps_rollup")).unwrap_or_default();
        let field = |name: &str| -> u64 {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        eprintln!(
            "bench:   {program}: RSS {} MiB, PSS {} MiB",
            field("Rss:") / 1024,
            field("Pss:") / 1024
        );
        // Where each process's memory goes, mapping by mapping, for study
        // (docs/benchmarks.md, "Desktop").
        if let Some(dir) = std::env::var_os("PARLEY_DESKTOP_SMAPS_DIR") {
            let name = Path::new(program).file_name().unwrap_or_default();
            let pid = e.file_name();
            let to = Path::new(&dir).join(format!(
                "{}-{}.smaps",
                name.to_string_lossy(),
                pid.to_string_lossy()
            ));
            let _ = std::fs::copy(p.join("smaps"), to);
        }
        totals.0 += field("Rss:");
        totals.1 += field("Pss:");
        totals.2 += 1;
    }
    totals
}
