//! The X display the desktop app runs on (Xvfb in the tests): its windows
//! (through xdotool and X11 requests), pictures of them, the pointer, and
//! the clipboard — what a person or another app does to the window; and a
//! second display showing a known pattern, for an app that shares its
//! screen.
//!
//! What must stay true: these act as the desktop does (real X events, the
//! window manager's close request, XTEST pointer moves), never through the
//! page, so a test sees what a person would.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Proc;
use crate::webdriver::SECS20;

/// Runs xdotool; its output's lines (window ids for `search`).
pub fn xdotool(args: &[&str]) -> Vec<String> {
    xdotool_at(None, args)
}

/// [`xdotool`] on another X display (`:N`).
pub fn xdotool_on(display: &str, args: &[&str]) -> Vec<String> {
    xdotool_at(Some(display), args)
}

fn xdotool_at(display: Option<&str>, args: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("xdotool");
    if let Some(d) = display {
        cmd.env("DISPLAY", d);
    }
    let out = cmd
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
pub fn the_window(pid: u32) -> String {
    one_window(None, &["--pid", &pid.to_string()])
}

/// The one visible top-level window of the app on `display` (`:N`), where
/// it is the only app with a window.
pub fn the_window_on(display: &str) -> String {
    one_window(Some(display), &["--name", "."])
}

/// The one visible window (larger than 1×1) on `display` that xdotool's
/// `search` with `by` finds.
fn one_window(display: Option<&str>, by: &[&str]) -> String {
    let mut args = vec!["search", "--onlyvisible"];
    args.extend(by);
    let windows: Vec<String> = xdotool_at(display, &args)
        .into_iter()
        .filter(|w| {
            let (_, _, width, height) = geometry_at(display, w);
            width > 1 && height > 1
        })
        .collect();
    match windows.as_slice() {
        [w] => w.clone(),
        _ => panic!("expected one visible window of the app, found {windows:?}"),
    }
}

/// (x, y, width, height) of an X window.
pub fn geometry(window: &str) -> (i64, i64, i64, i64) {
    geometry_at(None, window)
}

fn geometry_at(display: Option<&str>, window: &str) -> (i64, i64, i64, i64) {
    let lines = xdotool_at(display, &["getwindowgeometry", "--shell", window]);
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
pub fn request_close(window: &str) {
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

/// A PNG of an X window (`root`: the whole screen) as the X server shows it.
pub fn x_picture(window: &str, file: &Path) {
    x_picture_at(None, window, file);
}

/// [`x_picture`] on another X display (`:N`).
pub fn x_picture_on(display: &str, window: &str, file: &Path) {
    x_picture_at(Some(display), window, file);
}

fn x_picture_at(display: Option<&str>, window: &str, file: &Path) {
    let mut cmd = Command::new("import");
    if let Some(d) = display {
        cmd.env("DISPLAY", d);
    }
    let ok = cmd
        .args(["-window", window])
        .arg(file)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "import -window {window} on {display:?} failed");
}

/// A second X server (Xvfb) whose screen shows vertical bars of known
/// colours: what an app on it shares when it shares "the screen". Stopped
/// when dropped.
pub struct PatternDisplay {
    _xvfb: Proc,
    /// Its name, `:N`, for an app's `DISPLAY`.
    pub display: String,
    /// The bars' colours, left to right.
    pub colours: Vec<[u8; 3]>,
}

impl PatternDisplay {
    /// Starts `Xvfb :N` (the first free N from 90) with a `width`×`height`
    /// screen, paints `colours` as equally wide vertical bars on its root
    /// window (ImageMagick's `display -window root`, the picture written
    /// into `dir`), and checks that a picture of the screen shows them.
    pub async fn start(dir: &Path, width: u32, height: u32, colours: &[[u8; 3]]) -> PatternDisplay {
        let n = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{n}");
        let xvfb = Proc::new(
            Command::new("Xvfb")
                .arg(&display)
                .args(["-screen", "0", &format!("{width}x{height}x24")])
                // -noreset: the painted root outlives the painter.
                .args(["-nolisten", "tcp", "-noreset"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb"),
        );
        let socket = format!("/tmp/.X11-unix/X{n}");
        let start = Instant::now();
        while !Path::new(&socket).exists() {
            assert!(start.elapsed() < SECS20, "Xvfb {display} did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pattern = dir.join("pattern.png");
        std::fs::write(&pattern, crate::pixels::bars_png(width, height, colours))
            .expect("write the pattern");
        // `display` exits once the root shows the picture (with status 1
        // here, so the picture below is the check, not its status).
        let _ = Command::new("display")
            .args(["-display", &display, "-window", "root"])
            .arg(&pattern)
            .status();
        let shot = dir.join("pattern-shown.png");
        x_picture_on(&display, "root", &shot);
        let png = std::fs::read(&shot).expect("the pattern display's picture");
        let bar = width / colours.len() as u32;
        for (i, colour) in colours.iter().enumerate() {
            let x = bar * i as u32;
            let rect = [x + bar / 4, height / 4, x + bar * 3 / 4, height * 3 / 4];
            let area = (rect[2] - rect[0]) as usize * (rect[3] - rect[1]) as usize;
            let near = crate::pixels::pixels_near(&png, &rect, *colour);
            assert!(
                near == area,
                "bar {i} of {display} shows {near}/{area} pixels of {colour:?}"
            );
        }
        PatternDisplay {
            _xvfb: xvfb,
            display,
            colours: colours.to_vec(),
        }
    }
}

/// Drags `file` out of another app's window (`tests/tools/drag_source.py`,
/// a GTK drag source as in a file manager) to the screen point `to`, with
/// real pointer events (XTEST, through xdotool), and holds it there; the
/// drag source is returned for [`drop_dragged`].
pub fn drag_file_over(file: &Path, to: (i64, i64)) -> Proc {
    const SOURCE: (i64, i64) = (1170, 690);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/drag_source.py");
    let mut source = Proc::new(
        Command::new("/usr/bin/python3")
            .arg(script)
            .arg(file)
            .args([SOURCE.0.to_string(), SOURCE.1.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the drag source"),
    );
    let mut ready = String::new();
    if let Some(out) = source.child.stdout.take() {
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
pub fn drop_dragged(mut source: Proc) {
    xdotool(&["mouseup", "1"]);
    let start = Instant::now();
    while source.child.try_wait().ok().flatten().is_none() {
        assert!(start.elapsed() < SECS20, "the drag never ended");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Puts a PNG on the X clipboard, as copying an image in another app does
/// (xclip keeps serving it until something else takes the clipboard).
pub fn copy_image(png: &Path) {
    let ok = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-i"])
        .arg(png)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "xclip could not take the clipboard");
}
