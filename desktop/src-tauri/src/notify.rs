//! Native notifications through `notify-rust` (D-Bus
//! org.freedesktop.Notifications on Linux, the notification centre on macOS,
//! toasts on Windows).
//!
//! The UI decides *whether* to notify (settings, mutes, do-not-disturb, the
//! channel in focus); the shell only shows it. A click on a notification
//! brings the window up and emits [`event::OPEN_MESSAGE`] with the
//! message's [`shared::NotifyTarget`] so the UI jumps to that message:
//! every platform's backend reports the click as
//! [`NotificationResponse::Default`].

use notify_rust::NotificationResponse;
use parley_shared::ipc::{self as shared, event};
use tauri::{Emitter, Runtime};

use crate::ipc::{Answer, Args};

/// The action a click on a Linux notification's body runs.
const DEFAULT_ACTION: &str = "default";

#[tauri::command]
pub fn notify<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::Notify {
        title,
        body,
        target,
    }): Args<shared::Notify>,
) -> Result<Answer<shared::Notify>, String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Parley").summary(&title).body(&body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        // Without a "default" action the server does not report body
        // clicks. The icon by the name the .deb installs it under
        // (/usr/share/icons/hicolor/*/apps/parley-desktop.png).
        n.action(DEFAULT_ACTION, "Open").icon("parley-desktop");
    }
    #[cfg(windows)]
    {
        // A toast is attributed to a registered AppUserModelID. The
        // installers register the bundle identifier; a build run from
        // cargo's target directory has none, so it borrows PowerShell's.
        if let Some(id) = toast_app_id(&app) {
            n.app_id(&id);
        }
    }
    show(n, move |response| {
        if opens_the_message(response) {
            crate::show_main(&app);
            if let Some(t) = target {
                let _ = app.emit(event::OPEN_MESSAGE, t);
            }
        }
    })
}

/// Shows `n` and hands its answer to `then`.
fn show(
    n: notify_rust::Notification,
    then: impl FnOnce(&NotificationResponse) + Send + 'static,
) -> Result<(), String> {
    let handle = n.show().map_err(|e| format!("notification: {e}"))?;
    // Waiting blocks until the notification is clicked or closed (on macOS
    // the waiting is what sends it), so it gets its own short-lived thread.
    std::thread::Builder::new()
        .name("parley-notification".into())
        .spawn(move || {
            let mut then = Some(then);
            let _ = handle.wait_for_response(|response: &NotificationResponse| {
                if let Some(f) = then.take() {
                    f(response);
                }
            });
        })
        .map_err(|e| format!("notification: {e}"))?;
    Ok(())
}

/// The actions of a ringing call's notification.
const ACCEPT_ACTION: &str = "accept";
const DECLINE_ACTION: &str = "decline";

/// How a ringing call's notification was answered, if it was.
fn ring_answer(response: &NotificationResponse) -> Option<event::RingAnswer> {
    match response {
        NotificationResponse::Action(key) if key == ACCEPT_ACTION => {
            Some(event::RingAnswer::Accept)
        }
        NotificationResponse::Action(key) if key == DECLINE_ACTION => {
            Some(event::RingAnswer::Decline)
        }
        r if opens_the_message(r) => Some(event::RingAnswer::Open),
        _ => None,
    }
}

/// A ringing call: Accept and Decline on the notification itself where
/// the system shows actions (Linux notification servers); elsewhere a
/// click opens Parley, where the ringing dialog answers.
#[tauri::command]
pub fn notify_call<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::NotifyCall {
        title,
        body,
        channel_id,
    }): Args<shared::NotifyCall>,
) -> Result<Answer<shared::NotifyCall>, String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Parley").summary(&title).body(&body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.action(DEFAULT_ACTION, "Open")
            .action(ACCEPT_ACTION, "Accept")
            .action(DECLINE_ACTION, "Decline")
            .icon("parley-desktop")
            .urgency(notify_rust::Urgency::Critical);
    }
    #[cfg(windows)]
    if let Some(id) = toast_app_id(&app) {
        n.app_id(&id);
    }
    show(n, move |response| {
        let Some(answer) = ring_answer(response) else {
            return;
        };
        if answer != event::RingAnswer::Decline {
            crate::show_main(&app);
        }
        let _ = app.emit(event::CALL_RING, event::CallRing { channel_id, answer });
    })
}

/// A click on the notification's body, or on its "Open" button where the
/// platform shows the default action as one.
fn opens_the_message(response: &NotificationResponse) -> bool {
    match response {
        NotificationResponse::Default => true,
        NotificationResponse::Action(key) => key == DEFAULT_ACTION,
        _ => false,
    }
}

/// Makes macOS attribute notifications to Parley (and activate Parley on a
/// click) rather than to the default app `mac-notification-sys` assumes.
/// Only a bundled app has an identifier macOS knows; elsewhere the call
/// fails and the default stays.
pub fn register_sender<R: Runtime>(app: &tauri::AppHandle<R>) {
    #[cfg(target_os = "macos")]
    if let Err(e) = notify_rust::set_application(&app.config().identifier) {
        eprintln!("parley: notifications keep the default sender ({e})");
    }
    #[cfg(not(target_os = "macos"))]
    let _ = app;
}

#[cfg(windows)]
fn toast_app_id<R: Runtime>(app: &tauri::AppHandle<R>) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    (!runs_from_a_cargo_build(&exe)).then(|| app.config().identifier.clone())
}

/// True for a binary inside cargo's `target/…/debug` or `target/…/release`
/// (built, not installed).
#[cfg(any(windows, test))]
fn runs_from_a_cargo_build(exe: &std::path::Path) -> bool {
    let Some(dir) = exe.parent() else {
        return false;
    };
    let profile = dir.file_name().and_then(|n| n.to_str());
    matches!(profile, Some("debug" | "release"))
        && dir
            .ancestors()
            .skip(1)
            .take(2)
            .any(|a| a.file_name().and_then(|n| n.to_str()) == Some("target"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn body_clicks_and_the_open_button_open_the_message() {
        assert!(opens_the_message(&NotificationResponse::Default));
        assert!(opens_the_message(&NotificationResponse::Action(
            "default".into()
        )));
        assert!(!opens_the_message(&NotificationResponse::Action(
            "mute".into()
        )));
        assert!(!opens_the_message(&NotificationResponse::Closed(
            notify_rust::CloseReason::Dismissed
        )));
    }

    #[test]
    fn a_ringing_call_is_answered_from_its_notification() {
        let action = |k: &str| NotificationResponse::Action(k.into());
        assert_eq!(
            ring_answer(&action("accept")),
            Some(event::RingAnswer::Accept)
        );
        assert_eq!(
            ring_answer(&action("decline")),
            Some(event::RingAnswer::Decline)
        );
        assert_eq!(
            ring_answer(&action("default")),
            Some(event::RingAnswer::Open)
        );
        assert_eq!(
            ring_answer(&NotificationResponse::Default),
            Some(event::RingAnswer::Open)
        );
        assert_eq!(
            ring_answer(&NotificationResponse::Closed(
                notify_rust::CloseReason::Expired
            )),
            None
        );
    }

    #[test]
    fn cargo_builds_are_told_from_installed_apps() {
        for built in [
            "/src/parley/target/release/parley-desktop.exe",
            "/src/parley/target/debug/parley-desktop",
            "/src/parley/target/x86_64-pc-windows-gnu/release/parley-desktop.exe",
        ] {
            assert!(runs_from_a_cargo_build(Path::new(built)), "{built}");
        }
        for installed in [
            "/Program Files/Parley/parley-desktop.exe",
            "/usr/bin/parley-desktop",
            "/opt/release/parley-desktop",
            "parley-desktop",
        ] {
            assert!(
                !runs_from_a_cargo_build(Path::new(installed)),
                "{installed}"
            );
        }
    }
}
