//! The D-Bus session bus and the desktop services on it the app talks to:
//! watching what it carries (notifications, dock badges), the keychain
//! (Secret Service), dunst, a file manager stand-in, and a bare bus with no
//! services for a desktop that has none.
//!
//! What must stay true: the tests only watch and answer the bus as the
//! desktop's own services would; what they read is what the app sent.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::process::Proc;

/// Collects what the session bus carries that matches `rule` (a
/// dbus-monitor match rule): the Notify calls dunst receives, signals.
pub fn watch_bus(rule: &str) -> (Proc, Arc<Mutex<String>>) {
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
    (Proc::new(child), out)
}

/// The last signal a [`watch_bus`] monitor printed (header and arguments).
pub fn last_signal(out: &Arc<Mutex<String>>) -> String {
    let out = out.lock().map(|o| o.clone()).unwrap_or_default();
    out.rfind("\nsignal ")
        .or_else(|| out.starts_with("signal ").then_some(0))
        .map(|at| out[at..].to_owned())
        .unwrap_or_default()
}

pub async fn wait_for(out: &Arc<Mutex<String>>, needle: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if out.lock().is_ok_and(|o| o.contains(needle)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub fn secret_tool_lookup(account: &str) -> Option<String> {
    secret_tool_lookup_on(None, account)
}

/// [`secret_tool_lookup`] in the keychain on the bus at `bus` (an address;
/// None: the session's).
pub fn secret_tool_lookup_on(bus: Option<&str>, account: &str) -> Option<String> {
    let mut cmd = Command::new("secret-tool");
    if let Some(address) = bus {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", address);
    }
    let out = cmd
        .args(["lookup", "service", "parley", "username", account])
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Runs `gdbus call --session <args>` and returns what it prints.
pub fn gdbus(args: &[&str]) -> Option<String> {
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
pub fn quoted(reply: &str) -> Vec<String> {
    reply
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Starts `tests/tools/file_manager.py`, which owns the file manager's
/// D-Bus name and prints each request to show files; its output.
pub fn file_manager() -> (Proc, Arc<Mutex<String>>) {
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
    (Proc::new(child), out)
}

/// A session bus of its own with nothing on it and nothing to start (no
/// service files): what the app finds on a desktop without a keychain,
/// notification daemon or tray. Its address.
pub fn private_bus(dir: &Path) -> (Proc, String) {
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
    (Proc::new(child), address)
}

/// Runs dunstctl (the notification daemon's remote control); fails if it does.
pub fn dunstctl(args: &[&str]) {
    let ok = Command::new("dunstctl")
        .args(args)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "dunstctl {args:?} failed");
}

/// A session bus of its own (see [`private_bus`]; its socket in `dir`)
/// with an unlocked gnome-keyring on it: the Secret Service of a second
/// desktop, for a second instance of the app. `env` is that instance's
/// (HOME, XDG_RUNTIME_DIR, XDG_DATA_HOME: where the keyring keeps its
/// files). The processes (stopped when dropped) and the bus's address.
pub fn keyring_bus(dir: &Path, env: &[(String, String)]) -> (Vec<Proc>, String) {
    let (bus, address) = private_bus(dir);
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gnome-keyring-daemon");
    // The password that unlocks (and creates) the login keyring; closing
    // its input ends it.
    if let Some(mut stdin) = keyring.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"parley-test");
    }
    let keyring = Proc::new(keyring);
    let start = Instant::now();
    while !bus_has(&address, "org.freedesktop.secrets") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no Secret Service on {address}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (vec![keyring, bus], address)
}

/// Whether `name` has an owner on the bus at `address`.
fn bus_has(address: &str, name: &str) -> bool {
    Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &format!("string:{name}"),
        ])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
}
