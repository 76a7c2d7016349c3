//! The desktop app (parley-desktop) under tauri-driver: starting it as a
//! WebDriver session on its webview, ending it, finding its process; and
//! several instances side by side, each under a driver of its own with an
//! environment of its own (home, display, sound devices, session bus).
//!
//! What must stay true: ending a session waits until the app's process is
//! gone, so the next start is a real start (one instance, its saved state
//! written by the previous one).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::net::{free_port, wait_for_ports};
use crate::process::Proc;
use crate::webdriver::{Session, SECS20, WEBKIT};

/// A running tauri-driver (and, through it, WebKitWebDriver).
pub struct TauriDriver {
    _driver: Proc,
    port: u16,
}

impl TauriDriver {
    /// Starts `tauri_driver` on free ports and waits until both listen (a
    /// session asked for before would be refused).
    pub async fn start(tauri_driver: &Path) -> TauriDriver {
        TauriDriver::start_with(tauri_driver, (free_port(), free_port()), &[]).await
    }

    /// Starts `tauri_driver` on `(port, native_port)` (its own and
    /// WebKitWebDriver's) with `env` set for it, for WebKitWebDriver and so
    /// for every app it launches: two drivers with two environments run
    /// two instances of the app side by side.
    pub async fn start_with(
        tauri_driver: &Path,
        (port, native_port): (u16, u16),
        env: &[(String, String)],
    ) -> TauriDriver {
        let driver = Proc::new(
            Command::new(tauri_driver)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .args([
                    "--port",
                    &port.to_string(),
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
        wait_for_ports(&[port, native_port], "tauri-driver").await;
        TauriDriver {
            _driver: driver,
            port,
        }
    }

    /// Starts the app: a WebDriver session on its webview.
    pub async fn launch(&self, app_bin: &Path) -> Session {
        self.launch_with(app_bin, &[]).await
    }

    /// [`TauriDriver::launch`] with arguments for the app.
    pub async fn launch_with(&self, app_bin: &Path, args: &[&str]) -> Session {
        let caps = json!({
            "browserName": "wry",
            "tauri:options": { "application": app_bin.display().to_string(), "args": args }
        });
        Session::connect(&format!("http://127.0.0.1:{}", self.port), caps, WEBKIT).await
    }
}

/// Ends the WebDriver session, which kills the app (as a logout does), and
/// waits until its process is gone.
pub async fn end(c: &Session, app_bin: &Path) {
    let _ = c.close().await;
    let start = Instant::now();
    while app_pid(app_bin).is_some() {
        assert!(start.elapsed() < SECS20, "the app outlived its session");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app's process (not the WebKit helpers, not cargo).
pub fn app_pid(app_bin: &Path) -> Option<u32> {
    let name = app_bin.file_name()?.to_string_lossy().into_owned();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let argv0 = String::from_utf8_lossy(cmd.split(|b| *b == 0).next()?).into_owned();
        argv0.ends_with(&name).then_some(pid)
    })
}
