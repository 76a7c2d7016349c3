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

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use parley_server::config::Config;
use serde_json::{json, Value};

const ENTER: &str = "\u{E007}";
/// WebDriver's Control key (held until [`NO_MODIFIERS`]).
const CONTROL: &str = "\u{E009}";
const ESCAPE: &str = "\u{E00C}";
const NO_MODIFIERS: &str = "\u{E000}";
/// 900 CSS pixels shown at 110 % (the window is 900 px wide then).
const ZOOMED_IN: &str = "window.innerWidth > 800 && window.innerWidth < 840";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (loudly) outside CI, fails in CI.
fn unavailable(why: &str) {
    if in_ci() {
        panic!("CI=true but the desktop test cannot run: {why}");
    }
    eprintln!(
        "\n\x1b[1;33m!!! SKIPPED: desktop end-to-end test — {why}\n\
         !!! Run ./scripts/test-desktop (it sets up Xvfb, D-Bus, the keyring and the app).\x1b[0m\n"
    );
}

fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// A child process killed when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_server(port: u16, data: &Path) -> tokio::sync::oneshot::Sender<()> {
    let env: Vec<(&str, String)> = vec![
        ("PARLEY_PORT", port.to_string()),
        ("PARLEY_DATA_DIR", data.display().to_string()),
        (
            "PARLEY_JWT_SECRET",
            "desktop-e2e-secret-desktop-e2e-0123".into(),
        ),
        // No PARLEY_CORS_ORIGINS: the server lets the app in by default.
        ("PARLEY_RATE_LIMIT_PER_MIN", "1000000".into()),
        ("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "100000".into()),
        ("PARLEY_ARGON2_MEMORY_KIB", "1024".into()),
        ("PARLEY_ARGON2_ITERATIONS", "1".into()),
    ];
    let config = Config::from_lookup(|k| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("e2e config");
    let app = parley_server::build(config).await.expect("start server");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .serve(async {
                let _ = rx.await;
            })
            .await;
    });
    tx
}

/// The second person (and the test's setup) talks REST.
struct Rest {
    http: reqwest::Client,
    base: String,
}

impl Rest {
    /// Polls the channel's latest messages, as `token`'s user reads them,
    /// until one contains `text`; returns it.
    async fn message_with(&self, token: &str, channel: &str, text: &str) -> Value {
        let start = Instant::now();
        loop {
            let page = self
                .call(
                    "GET",
                    &format!("/channels/{channel}/messages?limit=10"),
                    Some(token),
                    Value::Null,
                )
                .await;
            let found = page["messages"].as_array().and_then(|a| {
                a.iter()
                    .find(|m| m["content"].as_str().is_some_and(|c| c.contains(text)))
            });
            if let Some(m) = found {
                return m.clone();
            }
            assert!(start.elapsed() < SECS20, "never read {text:?}: {page}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
        let url = format!("{}/api/v1{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, &url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Uploads `bytes` as `name` (for a message's `file_ids`); its id.
    async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> String {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
        let resp = self
            .http
            .post(format!("{}/api/v1/files", self.base))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("upload sent");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "upload {name}: {status} {v}");
        v["id"].as_str().expect("file id").to_owned()
    }

    async fn register(&self, user: &str) -> (String, String) {
        let v = self
            .call(
                "POST",
                "/auth/register",
                None,
                json!({"username": user, "email": format!("{user}@example.com"),
                       "password": "correct horse battery", "display_name": user}),
            )
            .await;
        let token = v["access_token"].as_str().expect("token").to_owned();
        let id = v["user"]["id"].as_str().expect("user id").to_owned();
        (token, id)
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, Vec::new()).await.expect("script runs")
}

/// Polls a JS expression until it is truthy.
async fn wait_js(c: &Client, expr: &str, timeout: Duration, what: &str) {
    if wait_until(c, expr, timeout).await {
        return;
    }
    // What the page got to: its text, and what it loaded (a page stuck on
    // the loading spinner has text but no app).
    let body = js(
        c,
        "return document.readyState + ' | ' + document.body.innerText.slice(0, 1500) \
         + ' | loaded: ' + performance.getEntriesByType('resource').map(e => e.name).join(' ');",
    )
    .await;
    panic!("timed out waiting for {what} ({expr})\npage: {body}");
}

/// Polls a JS expression until it is truthy; false after `timeout`.
async fn wait_until(c: &Client, expr: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    let script = format!("return !!({expr});");
    while start.elapsed() < timeout {
        // Right after a start WebKitWebDriver can fail a script while the
        // page is still being set up ("Could not parse script result"):
        // not yet, rather than a failure.
        if let Ok(Value::Bool(true)) = c.execute(&script, Vec::new()).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let mut last = None;
    for _ in 0..50 {
        let el = c
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"));
        match el.send_keys(text).await {
            Ok(()) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot type into {css}: {last:?}");
}

async fn click(c: &Client, css: &str) {
    let sel = serde_json::to_string(css).expect("json string");
    wait_js(c, &format!("document.querySelector({sel})"), SECS20, css).await;
    js(
        c,
        &format!("document.querySelector({sel}).click(); return null;"),
    )
    .await;
}

const SECS20: Duration = Duration::from_secs(20);

fn msg_with(text: &str) -> String {
    let t = serde_json::to_string(text).expect("json string");
    format!("[...document.querySelectorAll('#message-list .msg:not(.pending)')].find(m => m.innerText.includes({t}))")
}

/// Collects what the session bus carries that matches `rule` (a
/// dbus-monitor match rule): the Notify calls dunst receives, signals.
fn watch_bus(rule: &str) -> (Proc, Arc<Mutex<String>>) {
    let mut child = Command::new("dbus-monitor")
        .args(["--session", rule])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-monitor");
    let out = Arc::new(Mutex::new(String::new()));
    if let Some(stdout) = child.stdout.take() {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(mut o) = out.lock() {
                    o.push_str(&line);
                    o.push('\n');
                }
            }
        });
    }
    (Proc(child), out)
}

/// The last signal a [`watch_bus`] monitor printed (header and arguments).
fn last_signal(out: &Arc<Mutex<String>>) -> String {
    let out = out.lock().map(|o| o.clone()).unwrap_or_default();
    out.rfind("\nsignal ")
        .or_else(|| out.starts_with("signal ").then_some(0))
        .map(|at| out[at..].to_owned())
        .unwrap_or_default()
}

async fn wait_for(out: &Arc<Mutex<String>>, needle: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if out.lock().is_ok_and(|o| o.contains(needle)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn secret_tool_lookup(account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "parley", "username", account])
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Runs `gdbus call --session <args>` and returns what it prints.
fn gdbus(args: &[&str]) -> Option<String> {
    let out = Command::new("gdbus")
        .args(["call", "--session", "--timeout", "2"])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The single-quoted strings in a gdbus reply, in order.
fn quoted(reply: &str) -> Vec<String> {
    reply
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Runs xdotool; its output's lines (window ids for `search`).
fn xdotool(args: &[&str]) -> Vec<String> {
    let out = Command::new("xdotool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("xdotool {args:?}: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The app's one visible top-level window (GTK also maps a 1×1 window
/// off screen for drag and drop; that one does not count).
fn the_window(pid: u32) -> String {
    let windows: Vec<String> = xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()])
        .into_iter()
        .filter(|w| {
            let (_, _, width, height) = geometry(w);
            width > 1 && height > 1
        })
        .collect();
    match windows.as_slice() {
        [w] => w.clone(),
        _ => panic!("expected one visible window of the app, found {windows:?}"),
    }
}

/// (x, y, width, height) of an X window.
fn geometry(window: &str) -> (i64, i64, i64, i64) {
    let lines = xdotool(&["getwindowgeometry", "--shell", window]);
    let field = |name: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} for window {window} in {lines:?}"))
    };
    (field("X"), field("Y"), field("WIDTH"), field("HEIGHT"))
}

/// Asks a window to close the way a window manager's close button does: a
/// WM_DELETE_WINDOW client message (xdotool can only destroy or kill).
fn request_close(window: &str) {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};
    let window: u32 = window.parse().expect("an X window id");
    let (conn, _) = x11rb::connect(None).expect("the X display");
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .expect("intern_atom")
            .reply()
            .expect("intern_atom reply")
            .atom
    };
    let (protocols, delete) = (atom("WM_PROTOCOLS"), atom("WM_DELETE_WINDOW"));
    let event = ClientMessageEvent::new(
        32,
        window,
        protocols,
        [delete, x11rb::CURRENT_TIME, 0, 0, 0],
    );
    conn.send_event(false, window, EventMask::NO_EVENT, event)
        .expect("send_event");
    conn.flush().expect("flush the close request");
}

/// Types `text` into an empty composer, leaves it (no caret in the
/// picture) and counts the red pixels inside the composer on a picture of
/// the app's window (`window`, from the X server: WebKitWebDriver's own
/// screenshot waits for the page's next paint, and an idle page with no
/// caret blinking does not paint for minutes); empties it again.
async fn composer_red(c: &Client, window: &str, text: &str) -> usize {
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

/// Where screenshots for a person to look at go.
fn shots_dir() -> PathBuf {
    std::env::var_os("PARLEY_E2E_SHOTS").map_or_else(std::env::temp_dir, PathBuf::from)
}

/// A PNG of an X window (`root`: the whole screen) as the X server shows it.
fn x_picture(window: &str, file: &Path) {
    let ok = Command::new("import")
        .args(["-window", window])
        .arg(file)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "import -window {window} failed");
}

/// Pixels inside `rect` ([left, top, right, bottom]) of a PNG that are
/// clearly red (the spelling underline's colour; the composer has no other
/// red).
fn red_pixels(png_bytes: &[u8], rect: &[u32]) -> usize {
    let [left, top, right, bottom] = rect else {
        panic!("a box is four numbers: {rect:?}")
    };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG's size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "a colour screenshot");
    let mut red = 0;
    for y in *top..(*bottom).min(info.height) {
        let row = &buf[y as usize * info.line_size..][..info.line_size];
        for x in *left..(*right).min(info.width) {
            let p = &row[x as usize * channels..][..3];
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            if r > 150 && r - g > 80 && r - b > 80 {
                red += 1;
            }
        }
    }
    red
}

/// Drags `file` out of another app's window (`tests/tools/drag_source.py`,
/// a GTK drag source as in a file manager) to the screen point `to`, with
/// real pointer events (XTEST, through xdotool), and holds it there; the
/// drag source is returned for [`drop_dragged`].
fn drag_file_over(file: &Path, to: (i64, i64)) -> Proc {
    const SOURCE: (i64, i64) = (1170, 690);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/drag_source.py");
    let mut source = Proc(
        Command::new("/usr/bin/python3")
            .arg(script)
            .arg(file)
            .args([SOURCE.0.to_string(), SOURCE.1.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the drag source"),
    );
    let mut ready = String::new();
    if let Some(out) = source.0.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut ready);
    }
    assert_eq!(ready.trim(), "ready", "the drag source's window");
    // Press on the source, move past the drag threshold, then over the
    // target in steps (each one an XDND position), and hold.
    let (from_x, from_y) = (SOURCE.0 + 50, SOURCE.1 + 50);
    let mut moves: Vec<String> = vec![
        "mousemove".into(),
        from_x.to_string(),
        from_y.to_string(),
        "sleep".into(),
        "0.3".into(),
        "mousedown".into(),
        "1".into(),
    ];
    for step in 1..=8 {
        let x = from_x + (to.0 - from_x) * step / 8;
        let y = from_y + (to.1 - from_y) * step / 8;
        moves.extend(["sleep".into(), "0.15".into(), "mousemove".into()]);
        moves.extend([x.to_string(), y.to_string()]);
    }
    let args: Vec<&str> = moves.iter().map(String::as_str).collect();
    xdotool(&args);
    source
}

/// Releases the button of [`drag_file_over`]: the drop.
fn drop_dragged(mut source: Proc) {
    xdotool(&["mouseup", "1"]);
    let start = Instant::now();
    while source.0.try_wait().ok().flatten().is_none() {
        assert!(start.elapsed() < SECS20, "the drag never ended");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `tests/tools/file_manager.py`, which owns the file manager's
/// D-Bus name and prints each request to show files; its output.
fn file_manager() -> (Proc, Arc<Mutex<String>>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/file_manager.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the file manager stand-in");
    let out = Arc::new(Mutex::new(String::new()));
    let mut lines = BufReader::new(child.stdout.take().expect("its output")).lines();
    let ready = lines.next().and_then(Result::ok).unwrap_or_default();
    assert_eq!(ready, "ready", "the file manager stand-in owns its name");
    {
        let out = out.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(mut o) = out.lock() {
                    o.push_str(&line);
                    o.push('\n');
                }
            }
        });
    }
    (Proc(child), out)
}

/// A session bus of its own with nothing on it and nothing to start (no
/// service files): what the app finds on a desktop without a keychain,
/// notification daemon or tray. Its address.
fn private_bus(dir: &Path) -> (Proc, String) {
    let config = dir.join("bare-bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            dir.display()
        ),
    )
    .expect("write the bus config");
    let mut child = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a bare dbus-daemon");
    let mut address = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut address);
    }
    let address = address.trim().to_owned();
    assert!(
        address.starts_with("unix:"),
        "the bare bus's address: {address:?}"
    );
    (Proc(child), address)
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

/// Puts a PNG on the X clipboard, as copying an image in another app does
/// (xclip keeps serving it until something else takes the clipboard).
fn copy_image(png: &Path) {
    let ok = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-i"])
        .arg(png)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "xclip could not take the clipboard");
}

/// Waits for one upload in the composer to finish, sends it with `text`,
/// and checks that Bob gets the message with the image attached.
async fn share_upload(c: &Client, rest: &Rest, token: &str, channel: &str, text: &str) {
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
async fn sign_in_as_alice(c: &Client) {
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
async fn no_tokens_in_storage(c: &Client) {
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

/// Starts the app through tauri-driver: a WebDriver session on its webview.
async fn launch(app_bin: &Path, driver_port: u16) -> Client {
    launch_with(app_bin, driver_port, &[]).await
}

/// [`launch`] with arguments for the app.
async fn launch_with(app_bin: &Path, driver_port: u16, args: &[&str]) -> Client {
    let caps = json!({
        "browserName": "wry",
        "tauri:options": { "application": app_bin.display().to_string(), "args": args }
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a WebDriver session on the app")
}

/// Ends the WebDriver session, which kills the app (as a logout does), and
/// waits until its process is gone.
async fn end(c: Client, app_bin: &Path) {
    let _ = c.close().await;
    let start = Instant::now();
    while app_pid(app_bin).is_some() {
        assert!(start.elapsed() < SECS20, "the app outlived its session");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app's process (not the WebKit helpers, not cargo).
fn app_pid(app_bin: &Path) -> Option<u32> {
    let name = app_bin.file_name()?.to_string_lossy().into_owned();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let argv0 = String::from_utf8_lossy(cmd.split(|b| *b == 0).next()?).into_owned();
        argv0.ends_with(&name).then_some(pid)
    })
}

/// The app's tray icon as the desktop's panel sees it: a
/// StatusNotifierItem (libayatana-appindicator) on the session bus.
struct Tray {
    bus_name: String,
    item: String,
    menu: String,
}

impl Tray {
    /// Waits for the item the app's process exports.
    async fn wait(pid: u32) -> Tray {
        let start = Instant::now();
        loop {
            if let Some(t) = Tray::find(pid) {
                return t;
            }
            assert!(start.elapsed() < SECS20, "no tray item on the session bus");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Finds the item the app's process exports.
    fn find(pid: u32) -> Option<Tray> {
        let names = gdbus(&[
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.ListNames",
        ])?;
        for name in quoted(&names).into_iter().filter(|n| n.starts_with(':')) {
            let owner = gdbus(&[
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                &name,
            ]);
            if !owner.is_some_and(|o| o.contains(&format!(" {pid},"))) {
                continue;
            }
            let Some(xml) = gdbus(&[
                "--dest",
                &name,
                "--object-path",
                "/org/ayatana/NotificationItem",
                "--method",
                "org.freedesktop.DBus.Introspectable.Introspect",
            ]) else {
                continue;
            };
            let Some(child) = xml
                .split("<node name=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            else {
                continue;
            };
            let item = format!("/org/ayatana/NotificationItem/{child}");
            let tray = Tray {
                bus_name: name.clone(),
                menu: String::new(),
                item,
            };
            let menu = tray.property("Menu")?;
            let menu = quoted(&menu).into_iter().next()?;
            return Some(Tray { menu, ..tray });
        }
        None
    }

    fn property(&self, prop: &str) -> Option<String> {
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.item,
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            "org.kde.StatusNotifierItem",
            prop,
        ])
    }

    /// The icon a panel shows: appindicator hands panels a PNG file, as a
    /// theme path and an icon name.
    fn icon_png(&self) -> Vec<u8> {
        let read = |prop: &str| {
            self.property(prop)
                .and_then(|r| quoted(&r).into_iter().next())
                .unwrap_or_else(|| panic!("no {prop} on the tray item"))
        };
        let name = read("IconName");
        let name = if name.ends_with(".png") {
            name
        } else {
            format!("{name}.png")
        };
        let file = Path::new(&read("IconThemePath")).join(name);
        std::fs::read(&file).unwrap_or_else(|e| panic!("tray icon {}: {e}", file.display()))
    }

    /// Red pixels in the icon's top-right quarter (the mention dot).
    fn red_in_corner(&self) -> usize {
        let png = self.icon_png();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let (w, h) = decoder
            .read_info()
            .map(|r| (r.info().width, r.info().height))
            .expect("a PNG");
        red_pixels(&png, &[w / 2, 0, w, h / 2])
    }

    /// The label a Linux panel shows beside the icon (the badge).
    fn label(&self) -> String {
        self.property("XAyatanaLabel")
            .and_then(|r| quoted(&r).into_iter().next())
            .unwrap_or_default()
    }

    /// The menu as a panel reads it (dbusmenu's whole layout).
    fn layout(&self) -> String {
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.menu,
            "--method",
            "com.canonical.dbusmenu.GetLayout",
            // The parameters follow; "-1" is not an option.
            "--",
            "0",
            "-1",
            "[]",
        ])
        .expect("the tray menu's layout")
    }

    /// Waits until the menu has an item labelled like `label` starts.
    async fn wait_item(&self, label: &str) {
        let start = Instant::now();
        while !self.layout().contains(&format!("'label': <'{label}")) {
            assert!(
                start.elapsed() < SECS20,
                "no tray menu item {label:?}…: {}",
                self.layout()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the menu item labelled `label`, as a panel does (dbusmenu).
    fn click(&self, label: &str) {
        let layout = self.layout();
        // Each item reads `<(ID, {'label': <'...'>, ...}, [...])>`.
        let at = layout
            .find(&format!("'label': <'{label}'>"))
            .unwrap_or_else(|| panic!("no tray menu item {label:?} in {layout}"));
        let start = layout[..at].rfind("<(").expect("an item before its label") + 2;
        let id: String = layout[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        gdbus(&[
            "--dest",
            &self.bus_name,
            "--object-path",
            &self.menu,
            "--method",
            "com.canonical.dbusmenu.Event",
            "--",
            &id,
            "clicked",
            "<0>",
            "0",
        ])
        .unwrap_or_else(|| panic!("clicking tray menu item {label:?} ({id}) failed"));
    }
}

/// Polls until the tray's badge reads `want`.
async fn wait_label(tray: &Tray, want: &str) {
    let start = Instant::now();
    loop {
        let label = tray.label();
        if label == want {
            return;
        }
        assert!(
            start.elapsed() < SECS20,
            "the tray badge reads {label:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

fn dunstctl(args: &[&str]) {
    let ok = Command::new("dunstctl")
        .args(args)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "dunstctl {args:?} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a desktop session: run scripts/test-desktop"]
async fn the_desktop_app_chats_notifies_and_keeps_tokens_in_the_keychain() {
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        if std::env::var_os(var).is_none() {
            return unavailable(&format!("{var} is not set (no desktop session)"));
        }
    }
    let Some(app_bin) = std::env::var_os("PARLEY_DESKTOP_BIN").map(PathBuf::from) else {
        return unavailable("PARLEY_DESKTOP_BIN is not set (the built parley-desktop)");
    };
    if !app_bin.is_file() {
        return unavailable(&format!("{} does not exist", app_bin.display()));
    }
    let Some(tauri_driver) = find_binary("tauri-driver") else {
        return unavailable(
            "tauri-driver is missing (cargo install tauri-driver --version 2.1.0 --locked)",
        );
    };
    for tool in [
        "WebKitWebDriver",
        "dbus-monitor",
        "secret-tool",
        "import",
        "gdbus",
        "dunstctl",
        "xclip",
    ] {
        if find_binary(tool).is_none() {
            return unavailable(&format!("{tool} is missing"));
        }
    }
    let gtk_python = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import gi; gi.require_version('Gtk', '3.0'); gi.require_version('Gdk', '3.0')",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !gtk_python {
        return unavailable("Python's GTK bindings are missing (python3-gi, gir1.2-gtk-3.0)");
    }

    let tmp = std::env::temp_dir().join(format!("parley-desktop-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let port = free_port();
    let _stop = start_server(port, &tmp.join("data")).await;
    let base = format!("http://127.0.0.1:{port}");
    let rest = Rest {
        http: reqwest::Client::new(),
        base: base.clone(),
    };

    // Alice uses the app; Bob is the other client.
    let (alice_token, alice_id) = rest.register("alice").await;
    let (bob_token, bob_id) = rest.register("bob").await;
    let ws = rest
        .call(
            "POST",
            "/workspaces",
            Some(&alice_token),
            json!({"name": "Desk"}),
        )
        .await;
    let ws_id = ws["id"].as_str().expect("workspace id").to_owned();
    let invite = rest
        .call(
            "POST",
            &format!("/workspaces/{ws_id}/invites"),
            Some(&alice_token),
            json!({}),
        )
        .await;
    let code = invite["code"].as_str().expect("invite code").to_owned();
    rest.call(
        "POST",
        &format!("/invites/{code}/accept"),
        Some(&bob_token),
        json!({}),
    )
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

    let (_monitor, notes) = watch_bus("interface='org.freedesktop.Notifications',member='Notify'");
    let (_launcher_monitor, launcher) =
        watch_bus("interface='com.canonical.Unity.LauncherEntry',member='Update'");

    let (driver_port, native_port) = (free_port(), free_port());
    let _driver = Proc(
        Command::new(&tauri_driver)
            .args([
                "--port",
                &driver_port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            // The app's own output (a debug build prints the page's
            // console) reaches the test's log through the driver.
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tauri-driver"),
    );
    // Both ports must accept before a session is asked for.
    let start = Instant::now();
    while !(port_open(driver_port) && port_open(native_port)) {
        assert!(start.elapsed() < SECS20, "tauri-driver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let launched = Instant::now();
    let c = launch(&app_bin, driver_port).await;

    // First run: the app asks for the server.
    wait_js(
        &c,
        "document.querySelector('#server-url')",
        SECS20,
        "the first-run screen",
    )
    .await;
    // A new user types the address straight away: the field has the focus.
    wait_js(
        &c,
        "document.activeElement?.id === 'server-url'",
        SECS20,
        "the server address field focused",
    )
    .await;
    type_into(&c, "#server-url", &base).await;
    eprintln!("server screen after {:?}", launched.elapsed());
    click(&c, "#server-connect").await;
    // It reloads into the sign-in page of that server.
    sign_in_as_alice(&c).await;

    // The token is in the Secret Service, and nowhere in the webview.
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
    no_tokens_in_storage(&c).await;

    // Alice sends from the app; Bob reads it over REST.
    type_into(&c, "#composer-input", "Hello from the desktop app").await;
    type_into(&c, "#composer-input", ENTER).await;
    wait_js(
        &c,
        &msg_with("Hello from the desktop app"),
        SECS20,
        "Alice's message",
    )
    .await;
    rest.message_with(&bob_token, &general, "Hello from the desktop app")
        .await;

    // Bob answers in the channel; it shows up in the window.
    rest.call(
        "POST",
        &format!("/channels/{general}/messages"),
        Some(&bob_token),
        json!({"content": "Hi Alice, Bob here"}),
    )
    .await;
    wait_js(
        &c,
        &msg_with("Hi Alice, Bob here"),
        SECS20,
        "Bob's message in the app",
    )
    .await;

    // Files come in the ways people share them: dragged from another app
    // (a GTK drag source, as from a file manager, with real pointer
    // events), and pasted from the clipboard (an image copied elsewhere,
    // then Ctrl+V in the composer).
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chart.png");
    let (x, y, w, h) = geometry(&the_window(app_pid(&app_bin).expect("the app's process")));
    let source = drag_file_over(&chart, (x + w / 2, y + h / 2));
    wait_js(
        &c,
        "document.querySelector('.drop-overlay')",
        SECS20,
        "the drop overlay while a file is held over the window",
    )
    .await;
    x_picture("root", &shots_dir().join("parley-desktop-drop.png"));
    drop_dragged(source);
    share_upload(
        &c,
        &rest,
        &bob_token,
        &general,
        "Dropped from the file manager",
    )
    .await;
    eprintln!("a file dragged from another app was uploaded and sent");
    // A folder cannot be uploaded: it is listed as refused, not lost.
    let folder = chart.parent().expect("the fixtures folder");
    let source = drag_file_over(folder, (x + w / 2, y + h / 2));
    drop_dragged(source);
    wait_js(
        &c,
        "document.querySelector('.upload.failed')?.innerText.includes('folders cannot be uploaded')",
        SECS20,
        "the dropped folder listed as refused",
    )
    .await;
    click(&c, ".upload.failed button").await;
    wait_js(
        &c,
        "!document.querySelector('.upload')",
        SECS20,
        "the refused folder removed",
    )
    .await;
    eprintln!("a dropped folder was listed as refused and removed");
    copy_image(&chart);
    type_into(&c, "#composer-input", &format!("{CONTROL}v{NO_MODIFIERS}")).await;
    share_upload(&c, &rest, &bob_token, &general, "Pasted from the clipboard").await;
    eprintln!("an image pasted from the clipboard was uploaded and sent");

    // Files in messages: an image opens in the viewer, and "Download"
    // there or on a file card saves into ~/Downloads (never over a file
    // already there); the app says so, and "Show in folder" asks the file
    // manager to show that file.
    let downloads = PathBuf::from(std::env::var("HOME").expect("HOME")).join("Downloads");
    let png = std::fs::read(&chart).expect("the chart");
    js(
        &c,
        &format!(
            "{}.querySelector('.attach-image').click(); return null;",
            msg_with("Pasted from the clipboard")
        ),
    )
    .await;
    wait_js(
        &c,
        "document.querySelector('#viewer-image')?.complete && document.querySelector('#viewer-image').naturalWidth === 96",
        SECS20,
        "the image at full size in the viewer",
    )
    .await;
    // Past the backdrop's fade-in, as a person sees it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    x_picture("root", &shots_dir().join("parley-desktop-viewer.png"));
    click(&c, "#viewer-download").await;
    wait_js(
        &c,
        "document.querySelector('#saves .save.saved')?.innerText.includes('Pasted image.png saved to Downloads')",
        SECS20,
        "the viewer's download saved",
    )
    .await;
    let saved = saved_file(&downloads.join("Pasted image.png"), png.len()).await;
    assert!(saved == png, "the saved image is the one pasted");
    type_into(&c, "#image-viewer", ESCAPE).await;
    wait_js(
        &c,
        "!document.querySelector('#image-viewer')",
        SECS20,
        "the viewer closed with Esc",
    )
    .await;
    let minutes = "Minutes of Monday\n- ship the desktop app\n".repeat(200);
    let file_id = rest
        .upload(&bob_token, "minutes.txt", minutes.as_bytes())
        .await;
    rest.call(
        "POST",
        &format!("/channels/{general}/messages"),
        Some(&bob_token),
        json!({"content": "The minutes", "file_ids": [file_id]}),
    )
    .await;
    let card = format!("{}?.querySelector('.attach-file')", msg_with("The minutes"));
    wait_js(&c, &card, SECS20, "Bob's file in the app").await;
    for name in ["minutes.txt", "minutes (1).txt"] {
        js(&c, &format!("{card}.click(); return null;")).await;
        wait_js(
            &c,
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
        &c,
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

    // A direct message is not the channel on screen: it notifies. Older
    // bubbles go first, so the DM's is the one at the top.
    dunstctl(&["close-all"]);
    let dm = rest
        .call(
            "POST",
            "/dm",
            Some(&bob_token),
            json!({"user_ids": [alice_id]}),
        )
        .await;
    let dm_id = dm["id"].as_str().expect("dm id").to_owned();
    rest.call(
        "POST",
        &format!("/dm/{dm_id}/messages"),
        Some(&bob_token),
        json!({"content": "Ping from Bob, privately"}),
    )
    .await;
    assert!(
        wait_for(&notes, "Ping from Bob, privately", SECS20).await,
        "no org.freedesktop.Notifications.Notify for the DM; saw:\n{}",
        notes.lock().map(|n| n.clone()).unwrap_or_default()
    );
    eprintln!("Notify observed on D-Bus for the DM");
    let channel_notified = notes.lock().is_ok_and(|n| n.contains("Hi Alice, Bob here"));
    eprintln!("notified for the channel on screen: {channel_notified}");

    // The DM started by Bob is titled with his name in the sidebar.
    wait_js(
        &c,
        &format!("[...document.querySelectorAll('.sidebar a, .sidebar button')].some(e => e.getAttribute('href') === '/c/{dm_id}' && e.innerText.includes('bob'))"),
        SECS20,
        "the DM in the sidebar, named after Bob",
    )
    .await;

    // Clicking the notification (dunst runs its default action) opens the
    // DM on that message.
    dunstctl(&["action", "0"]);
    wait_js(
        &c,
        &format!("location.pathname === '/c/{dm_id}'"),
        SECS20,
        "the DM opened by the notification click",
    )
    .await;
    wait_js(
        &c,
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

    // The tray: its badge counts mentions, its menu sets do-not-disturb.
    let pid = app_pid(&app_bin).expect("the app's process");
    let tray = Tray::wait(pid).await;
    eprintln!("tray item {} {}", tray.bus_name, tray.item);
    assert_eq!(tray.label(), "", "no badge before any mention");
    assert_eq!(tray.red_in_corner(), 0, "no red dot before any mention");
    let mention = |text: &'static str| {
        let (rest, random, bob_token) = (&rest, random.clone(), bob_token.clone());
        async move {
            rest.call(
                "POST",
                &format!("/channels/{random}/messages"),
                Some(&bob_token),
                json!({ "content": text }),
            )
            .await;
        }
    };
    mention("@alice have a look at this").await;
    assert!(
        wait_for(&notes, "have a look at this", SECS20).await,
        "no Notify for the mention in #random"
    );
    wait_label(&tray, "1").await;
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
        let last = last_signal(&launcher);
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

    tray.click("For 1 hour");
    wait_dnd(&rest, &alice_token, true).await;
    // The menu says until when.
    tray.wait_item("Paused until ").await;
    wait_js(
        &c,
        "document.querySelector('#paused-until')",
        SECS20,
        "the pause shown in the sidebar too",
    )
    .await;
    mention("@alice quietly, during do not disturb").await;
    // The badge still counts it; no bubble appears.
    wait_label(&tray, "2").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !notes
            .lock()
            .is_ok_and(|n| n.contains("during do not disturb")),
        "a Notify during do-not-disturb"
    );
    eprintln!("do-not-disturb from the tray: no notification");
    tray.click("Off");
    wait_dnd(&rest, &alice_token, false).await;
    tray.wait_item("Notifications are on").await;
    wait_js(
        &c,
        "!document.querySelector('#paused-until')",
        SECS20,
        "the pause gone from the sidebar",
    )
    .await;
    mention("@alice and now out loud").await;
    assert!(
        wait_for(&notes, "and now out loud", SECS20).await,
        "no Notify after do-not-disturb was turned off"
    );
    wait_label(&tray, "3").await;

    // A keyword notifies like a mention (it is not one: the badge stays).
    rest.call(
        "PUT",
        "/users/me/preferences",
        Some(&alice_token),
        json!({ "keywords": ["Launch Window"] }),
    )
    .await;
    mention("the launch window opens at noon").await;
    assert!(
        wait_for(&notes, "the launch window opens at noon", SECS20).await,
        "no Notify for Alice's keyword"
    );
    eprintln!("Notify observed on D-Bus for a keyword");

    // Hidden (as in the tray), the channel left open is not being read:
    // a mention there counts on the badge until the window is back.
    let windows = xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()]);
    assert!(!windows.is_empty(), "no visible window of the app");
    for w in &windows {
        xdotool(&["windowunmap", "--sync", w]);
    }
    wait_js(
        &c,
        "document.hidden",
        SECS20,
        "the page to know it is hidden",
    )
    .await;
    rest.call(
        "POST",
        &format!("/dm/{dm_id}/messages"),
        Some(&bob_token),
        json!({"content": "@alice while the window was away"}),
    )
    .await;
    wait_label(&tray, "4").await;
    for w in &windows {
        xdotool(&["windowmap", "--sync", w]);
    }
    wait_js(&c, "!document.hidden", SECS20, "the page to be shown again").await;
    wait_label(&tray, "3").await;
    eprintln!("hidden window: the open DM's mention reached the badge, cleared when shown");

    // Back to #general, which the next start (the benchmark) reopens.
    click(&c, &format!(".sidebar a[href='/c/{general}']")).await;
    wait_js(
        &c,
        &format!("location.pathname === '/c/{general}'"),
        SECS20,
        "#general again",
    )
    .await;

    // The screenshots a person looks at: the webview's own rendering, and
    // the whole X screen (window and notification bubble).
    let dir = shots_dir();
    let png = c.screenshot().await.expect("webview screenshot");
    std::fs::write(dir.join("parley-desktop-webview.png"), png).expect("write screenshot");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let shot = dir.join("parley-desktop.png");
    x_picture("root", &shot);
    eprintln!("screenshot: {}", shot.display());

    // The window reopens where it was left. Moved and resized, then closed
    // with the title bar's button (the close request a window manager
    // sends), it hides in the tray; ending the WebDriver session kills the
    // app without a clean exit, as logging out does. The next start must
    // still find the window's place.
    let w = the_window(pid);
    xdotool(&["windowsize", "--sync", &w, "900", "640"]);
    xdotool(&["windowmove", "--sync", &w, "60", "40"]);
    let placed = geometry(&w);
    assert_eq!(
        (placed.2, placed.3),
        (900, 640),
        "xdotool resized the window"
    );
    wait_js(
        &c,
        "window.innerWidth === 900",
        SECS20,
        "the page at 900 px",
    )
    .await;
    // Ctrl+= zooms the page one step (110 %: fewer CSS pixels across), and
    // the level also outlives the restart.
    type_into(&c, "#composer-input", &format!("{CONTROL}={NO_MODIFIERS}")).await;
    wait_js(&c, ZOOMED_IN, SECS20, "the page zoomed in by Ctrl+=").await;
    // Under Xvfb (no window manager) about one run in eight leaves the
    // first request unanswered (cause not found; never seen twice in a
    // row), so an unanswered request is sent again, and said so.
    let start = Instant::now();
    request_close(&w);
    let mut asked = Instant::now();
    while js(&c, "return document.hidden").await != json!(true) {
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
    end(c, &app_bin).await;
    let c = launch(&app_bin, driver_port).await;
    wait_js(
        &c,
        "document.querySelector('#composer-input')",
        SECS20,
        "the channel after a restart",
    )
    .await;
    let pid = app_pid(&app_bin).expect("the restarted app's process");
    assert_eq!(
        geometry(&the_window(pid)),
        placed,
        "the window reopened where it was left (x, y, width, height)"
    );
    eprintln!("window reopened at its saved place and size {placed:?}");
    wait_js(&c, ZOOMED_IN, SECS20, "the zoom kept across the restart").await;
    let png = c.screenshot().await.expect("webview screenshot");
    std::fs::write(dir.join("parley-desktop-zoomed.png"), png).expect("write screenshot");
    type_into(&c, "#composer-input", &format!("{CONTROL}0{NO_MODIFIERS}")).await;
    wait_js(
        &c,
        "window.innerWidth === 900",
        SECS20,
        "Ctrl+0 back to 100 %",
    )
    .await;
    let typed = js(&c, "return document.querySelector('#composer-input').value").await;
    assert_eq!(typed, json!(""), "zoom keys typed into the composer");
    eprintln!("Ctrl+= zoomed, kept across a restart, Ctrl+0 reset");

    // Misspelled words get the red underline browsers draw (WebKitGTK
    // checks spelling only when the app asks); the same words spelled
    // right get none, so the red is the underline and nothing else.
    let w = the_window(pid);
    let misspelled = composer_red(&c, &w, "Ths sentense has misteaks ").await;
    let spelled = composer_red(&c, &w, "This sentence has mistakes ").await;
    assert!(
        misspelled >= 10 && spelled == 0,
        "spelling underline: {misspelled} red pixels under misspelled words, {spelled} under right ones"
    );
    eprintln!("misspelled words underlined ({misspelled} red pixels), right ones not");

    // The right-click menu is an app's, not a browser's: on a misspelled
    // word it offers corrections and editing, and on plain page (no
    // Back, Forward or Reload left) none opens.
    let menus = || {
        xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()])
            .into_iter()
            .filter(|m| *m != w && geometry(m).3 > 1)
            .count()
    };
    type_into(&c, "#composer-input", "Ths ").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (wx, wy, _, _) = geometry(&w);
    let at = js(
        &c,
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
        &c,
        "const t = document.querySelector('#composer-input'); t.value = ''; \
         t.dispatchEvent(new Event('input', {bubbles: true})); return null;",
    )
    .await;

    // Opening at login: the setting writes an XDG autostart entry that
    // starts this program with --autostart, and unticking removes it.
    let config = std::env::var_os("XDG_CONFIG_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config"),
        PathBuf::from,
    );
    let entry = config.join("autostart/Parley.desktop");
    click(&c, "#open-settings").await;
    wait_js(
        &c,
        "document.querySelector('#open-at-login')?.checked === false",
        SECS20,
        "the open-at-login setting, off",
    )
    .await;
    click(&c, "#open-at-login").await;
    wait_js(
        &c,
        "document.querySelector('#open-at-login').checked",
        SECS20,
        "open at login on",
    )
    .await;
    js(
        &c,
        "document.querySelector('#open-at-login').scrollIntoView(); return null;",
    )
    .await;
    let png = c.screenshot().await.expect("webview screenshot");
    std::fs::write(shots_dir().join("parley-desktop-settings.png"), png).expect("write screenshot");
    let written = std::fs::read_to_string(&entry).unwrap_or_default();
    let exec = format!(
        "Exec=\"{}\" --autostart\n",
        std::fs::canonicalize(&app_bin)
            .unwrap_or(app_bin.clone())
            .display()
    );
    assert!(
        written.contains(&exec),
        "{} lacks {exec:?}: {written}",
        entry.display()
    );
    click(&c, "#open-at-login").await;
    wait_js(
        &c,
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
    // Such a start waits in the tray: no window until the tray's Open.
    end(c, &app_bin).await;
    let c = launch_with(&app_bin, driver_port, &["--autostart"]).await;
    wait_js(
        &c,
        "document.querySelector('#composer-input') && document.hidden",
        SECS20,
        "the app started at login, hidden",
    )
    .await;
    let pid = app_pid(&app_bin).expect("the app's process");
    let tray = Tray::wait(pid).await;
    tray.click("Open Parley");
    wait_js(
        &c,
        "!document.hidden",
        SECS20,
        "the window opened from the tray",
    )
    .await;
    the_window(pid);
    eprintln!("a login start waits in the tray; Open shows the window");

    end(c, &app_bin).await;

    // A desktop without a keychain (no Secret Service on the session bus,
    // as on a bare window manager): the app still starts, says on the
    // sign-in page that it cannot remember the sign-in, and works, with the
    // tokens in memory only.
    let (_bus, bus) = private_bus(&tmp);
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
    let c = launch(&wrapper, driver_port).await;
    wait_js(
        &c,
        "document.querySelector('#keychain-warning')?.innerText.includes('will not remember')",
        SECS20,
        "the sign-in page saying the sign-in will not be kept",
    )
    .await;
    x_picture("root", &shots_dir().join("parley-desktop-no-keychain.png"));
    sign_in_as_alice(&c).await;
    no_tokens_in_storage(&c).await;
    end(c, &app_bin).await;
    eprintln!("without a keychain: warned on sign-in, signed in, tokens in memory only");

    if std::env::var_os("PARLEY_DESKTOP_BENCH").is_some() {
        bench(&rest, &bob_token, &general, &app_bin, driver_port).await;
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The benchmark (not a test; `PARLEY_DESKTOP_BENCH=1`, see
/// docs/benchmarks.md): with a 10,000-message channel, the time from launch
/// to the channel shown (server and session already remembered), and the
/// memory of every app process after ten idle seconds.
async fn bench(rest: &Rest, token: &str, channel: &str, app_bin: &Path, driver_port: u16) {
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
    let c = launch(app_bin, driver_port).await;
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
    end(c, app_bin).await;
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
