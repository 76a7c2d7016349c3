//! Native notifications through `notify-rust` (D-Bus
//! org.freedesktop.Notifications on Linux, the notification centre on macOS
//! and Windows).
//!
//! The UI decides *whether* to notify (settings, mutes, do-not-disturb, the
//! channel in focus); the shell only shows it. A click on a Linux
//! notification brings the window up and emits `open-message` so the UI
//! jumps to that message; other platforms' backends report no clicks.

use serde::{Deserialize, Serialize};
use tauri::Runtime;

/// What the UI needs to open the message a notification was about.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub channel_id: String,
    pub message_id: String,
    /// The message's place in its channel, to load the page around it.
    pub seq: i64,
}

/// The event the UI listens for after a notification click.
pub const OPEN_EVENT: &str = "open-message";

#[tauri::command]
pub fn notify<R: Runtime>(
    app: tauri::AppHandle<R>,
    title: String,
    body: String,
    target: Option<Target>,
) -> Result<(), String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Parley").summary(&title).body(&body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        // "default" is the action a click on the notification body runs.
        // The icon by the name the .deb installs it under
        // (/usr/share/icons/hicolor/*/apps/parley-desktop.png).
        n.action("default", "Open").icon("parley-desktop");
    }
    let handle = n.show().map_err(|e| format!("notification: {e}"))?;
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        // Waiting for the click blocks until the notification closes, so it
        // gets its own short-lived thread.
        use tauri::Emitter;
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    crate::show_main(&app);
                    if let Some(t) = target {
                        let _ = app.emit(OPEN_EVENT, t);
                    }
                }
            });
        });
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (handle, app, target);
    }
    Ok(())
}
