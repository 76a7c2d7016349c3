//! The mention count on Parley's icon in the dock or task bar.
//!
//! Linux: the `com.canonical.Unity.LauncherEntry` `Update` signal on the
//! session bus, which Ubuntu's dock, Dash to Dock, KDE Plasma's task
//! manager and Plank draw as a badge on the launcher of the app it names.
//! Tauri's own Linux badge goes through libunity, which most systems lack;
//! the signal is all that library would send. macOS: the dock badge,
//! through Tauri. Windows has no count badge for a task bar button; the
//! tray tooltip and the window title carry the count there.

use std::sync::Mutex;

use tauri::Runtime;

/// The launcher the badge belongs to: the `.desktop` file the packages
/// install (`<productName>.desktop`).
pub const DESKTOP_ID: &str = "Parley.desktop";
/// Where the signal comes from (any path will do; docks match the app URI).
#[cfg(target_os = "linux")]
const OBJECT_PATH: &str = "/chat/parley/desktop/launcher";

/// The last count shown, and on Linux the session bus connection the
/// signals go out on (kept open: some docks drop a badge when its sender
/// leaves the bus).
#[derive(Default)]
pub struct Badge {
    shown: Mutex<Option<u32>>,
    #[cfg(target_os = "linux")]
    bus: Mutex<Option<dbus::blocking::Connection>>,
}

impl Badge {
    /// Shows `count` (0 hides the badge); does nothing if it is already shown.
    pub fn show<R: Runtime>(&self, app: &tauri::AppHandle<R>, count: u32) {
        {
            let Ok(mut shown) = self.shown.lock() else {
                return;
            };
            if *shown == Some(count) {
                return;
            }
            *shown = Some(count);
        }
        #[cfg(target_os = "linux")]
        {
            let _ = app;
            if let Err(e) = self.signal(count) {
                eprintln!("parley: no dock badge: {e}");
            }
        }
        #[cfg(target_os = "macos")]
        {
            use tauri::Manager;
            if let Some(w) = app.get_webview_window(crate::MAIN_WINDOW) {
                let _ = w.set_badge_count((count > 0).then_some(i64::from(count)));
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos")))]
        let _ = app;
    }

    #[cfg(target_os = "linux")]
    fn signal(&self, count: u32) -> Result<(), String> {
        use std::collections::HashMap;

        use dbus::arg::{RefArg, Variant};
        use dbus::channel::Sender;

        let mut bus = self.bus.lock().map_err(|_| "the bus lock is poisoned")?;
        if bus.is_none() {
            *bus = Some(dbus::blocking::Connection::new_session().map_err(|e| e.to_string())?);
        }
        let Some(conn) = bus.as_ref() else {
            return Ok(());
        };
        let mut props: HashMap<&str, Variant<Box<dyn RefArg>>> = HashMap::new();
        props.insert("count", Variant(Box::new(i64::from(count))));
        props.insert("count-visible", Variant(Box::new(count > 0)));
        let msg =
            dbus::Message::new_signal(OBJECT_PATH, "com.canonical.Unity.LauncherEntry", "Update")?
                .append2(format!("application://{DESKTOP_ID}"), props);
        conn.send(msg)
            .map(|_| ())
            .map_err(|()| "the session bus refused the signal".to_owned())
    }
}
