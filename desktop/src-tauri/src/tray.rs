//! The tray icon: a red dot on it while mentions wait (a white one for
//! unread messages), unread and mention counts in its tooltip (Windows,
//! macOS) and the mention count as its title (Linux appindicators show no
//! tooltip, only this label), and a menu with Open, Do not disturb and Quit. The
//! mention count also goes to the window title and the dock ([`crate::badge`]).
//!
//! Do-not-disturb is an account preference kept on the server (it also stops
//! push to other devices), so the menu does not decide anything: it emits a
//! [`event::DND`] event and the UI, which holds the session, updates the preference.

use std::sync::Mutex;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use parley_shared::ipc::{self as shared, event};
use tauri::image::Image;
use tauri::{Emitter, Manager, Runtime};

use crate::ipc::{Answer, Args};

const TRAY_ID: &str = "main";

pub fn has_tray<R: Runtime>(app: &tauri::AppHandle<R>) -> bool {
    app.tray_by_id(TRAY_ID).is_some()
}

/// The tooltip for these counts, and until when notifications are paused.
pub fn tooltip(unread: u32, mentions: u32, paused_until: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(until) = paused_until {
        parts.push(format!("notifications paused until {until}"));
    }
    if mentions > 0 {
        parts.push(format!(
            "{mentions} mention{}",
            if mentions == 1 { "" } else { "s" }
        ));
    }
    if unread > 0 {
        parts.push(format!("{unread} unread"));
    }
    if parts.is_empty() {
        "Parley".into()
    } else {
        format!("Parley — {}", parts.join(" · "))
    }
}

/// The first line of the Do-not-disturb submenu: whether notifications
/// are paused, and until when. (A line of its own: GTK menus cannot
/// retitle a submenu.)
pub fn dnd_status(paused_until: Option<&str>) -> String {
    match paused_until {
        Some(until) => format!("Paused until {until}"),
        None => "Notifications are on".into(),
    }
}

/// The Do-not-disturb status line, to rewrite it.
pub struct DndStatus<R: Runtime>(MenuItem<R>);

/// The call's items: a status line ("In a call", "In a call · muted",
/// "You are sharing your screen"), Mute/Unmute, Stop sharing and Leave,
/// enabled only while this device is in a call.
pub struct CallItems<R: Runtime> {
    status: MenuItem<R>,
    mute: MenuItem<R>,
    stop_sharing: MenuItem<R>,
    leave: MenuItem<R>,
}

/// The call status line for a call state.
pub fn call_status(active: bool, muted: bool, sharing: bool) -> String {
    match (active, muted, sharing) {
        (false, _, _) => "Not in a call".into(),
        (true, _, true) => "In a call · You are sharing".into(),
        (true, true, false) => "In a call · muted".into(),
        (true, false, false) => "In a call".into(),
    }
}

pub fn create<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<TrayIcon<R>> {
    let status = MenuItem::with_id(app, "dnd-status", dnd_status(None), false, None::<&str>)?;
    let dnd = Submenu::with_items(
        app,
        "Do not disturb",
        true,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "dnd-1h", "For 1 hour", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-tomorrow", "Until tomorrow", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-off", "Off", true, None::<&str>)?,
        ],
    )?;
    let calls = CallItems {
        status: MenuItem::with_id(
            app,
            "call-status",
            call_status(false, false, false),
            false,
            None::<&str>,
        )?,
        mute: MenuItem::with_id(app, "call-mute", "Mute", false, None::<&str>)?,
        stop_sharing: MenuItem::with_id(
            app,
            "call-stop-sharing",
            "Stop sharing",
            false,
            None::<&str>,
        )?,
        leave: MenuItem::with_id(app, "call-leave", "Leave call", false, None::<&str>)?,
    };
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "open", "Open Parley", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &calls.status,
            &calls.mute,
            &calls.stop_sharing,
            &calls.leave,
            &PredefinedMenuItem::separator(app)?,
            &dnd,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?,
        ],
    )?;
    app.manage(DndStatus(status));
    app.manage(calls);
    let mut b = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(tooltip(0, 0, None))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu)
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        b = b.icon(icon.clone());
    }
    b.build(app)
}

fn on_menu<R: Runtime>(app: &tauri::AppHandle<R>, event: MenuEvent) {
    match event.id().as_ref() {
        "open" => crate::show_main(app),
        "quit" => app.exit(0),
        id => {
            if let Some(what) = id.strip_prefix("call-") {
                // Payload `"mute"`, `"leave"` or `"stop-sharing"`.
                let _ = app.emit(event::CALL_TRAY, what);
            } else if let Some(what) = id.strip_prefix("dnd-") {
                // Payload `"1h"`, `"tomorrow"` or `"off"`.
                let _ = app.emit(event::DND, what);
            }
        }
    }
}

/// What the tray icon shows besides the app's own picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mark {
    #[default]
    Nothing,
    /// Unread messages: a small white dot.
    Unread,
    /// Mentions (and DMs) waiting: a red dot.
    Mention,
}

impl Mark {
    pub fn of(unread: u32, mentions: u32) -> Mark {
        match (unread, mentions) {
            (_, m) if m > 0 => Mark::Mention,
            (u, _) if u > 0 => Mark::Unread,
            _ => Mark::Nothing,
        }
    }
}

/// The mark the tray icon has now.
#[derive(Default)]
pub struct Marked(Mutex<Mark>);

/// `rgba` (`width` pixels wide) with `mark` as a dot in its top-right
/// corner, ringed so it shows on any panel colour.
pub fn mark_icon(rgba: &[u8], width: u32, mark: Mark) -> Vec<u8> {
    let mut out = rgba.to_vec();
    let (fill, radius) = match mark {
        Mark::Nothing => return out,
        Mark::Unread => ([255, 255, 255], 0.17),
        Mark::Mention => ([224, 30, 55], 0.24),
    };
    let w = width as f32;
    let r = (w * radius).max(2.0);
    let ring = r + (w / 16.0).max(1.0);
    let (cx, cy) = (w - ring, ring);
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let (x, y) = (
            (i as u32 % width) as f32 + 0.5,
            (i as u32 / width) as f32 + 0.5,
        );
        let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
        if d <= r {
            px.copy_from_slice(&[fill[0], fill[1], fill[2], 255]);
        } else if d <= ring {
            px.copy_from_slice(&[30, 30, 36, 255]);
        }
    }
    out
}

/// Called by the UI whenever this device's call state changes.
#[tauri::command]
pub fn call_tray<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::CallTray {
        active,
        muted,
        sharing,
    }): Args<shared::CallTray>,
) -> Answer<shared::CallTray> {
    if let Some(items) = app.try_state::<CallItems<R>>() {
        let _ = items.status.set_text(call_status(active, muted, sharing));
        let _ = items.mute.set_text(if muted { "Unmute" } else { "Mute" });
        let _ = items.mute.set_enabled(active);
        let _ = items.stop_sharing.set_enabled(active && sharing);
        let _ = items.leave.set_enabled(active);
    }
}

/// Called by the UI whenever its totals change.
#[tauri::command]
pub fn tray_set_counts<R: Runtime>(
    app: tauri::AppHandle<R>,
    Args(shared::TraySetCounts {
        unread,
        mentions,
        paused_until,
    }): Args<shared::TraySetCounts>,
) -> Answer<shared::TraySetCounts> {
    let paused_until = paused_until.as_deref();
    if let Some(status) = app.try_state::<DndStatus<R>>() {
        let _ = status.0.set_text(dnd_status(paused_until));
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(tooltip(unread, mentions, paused_until)));
        let mark = Mark::of(unread, mentions);
        let changed = app
            .state::<Marked>()
            .0
            .lock()
            .map(|mut shown| std::mem::replace(&mut *shown, mark) != mark)
            .unwrap_or(false);
        if let (true, Some(icon)) = (changed, app.default_window_icon()) {
            let rgba = mark_icon(icon.rgba(), icon.width(), mark);
            let _ = tray.set_icon(Some(Image::new_owned(rgba, icon.width(), icon.height())));
        }
        // Linux panels show the title beside the icon: the badge.
        let badge = (mentions > 0).then(|| mentions.to_string());
        let _ = tray.set_title(badge);
    }
    app.state::<crate::badge::Badge>().show(&app, mentions);
    if let Some(w) = app.get_webview_window(crate::MAIN_WINDOW) {
        let title = if mentions > 0 {
            format!("Parley ({mentions})")
        } else {
            "Parley".into()
        };
        let _ = w.set_title(&title);
    }
}

#[cfg(test)]
mod tests {
    use super::{call_status, dnd_status, mark_icon, tooltip, Mark};

    #[test]
    fn the_call_status_says_what_this_device_does() {
        assert_eq!(call_status(false, true, true), "Not in a call");
        assert_eq!(call_status(true, false, false), "In a call");
        assert_eq!(call_status(true, true, false), "In a call · muted");
        assert_eq!(
            call_status(true, false, true),
            "In a call · You are sharing"
        );
    }

    #[test]
    fn the_icon_is_marked_in_its_corner() {
        let (w, h) = (32u32, 32u32);
        let plain = vec![10u8; (w * h * 4) as usize];
        let px = |rgba: &[u8], x: u32, y: u32| {
            let i = ((y * w + x) * 4) as usize;
            [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
        };
        assert_eq!(mark_icon(&plain, w, Mark::Nothing), plain);
        let mention = mark_icon(&plain, w, Mark::Mention);
        assert_eq!(
            px(&mention, 24, 8),
            [224, 30, 55, 255],
            "red in the top-right corner"
        );
        assert_eq!(px(&mention, 4, 28), [10, 10, 10, 10], "the rest untouched");
        let unread = mark_icon(&plain, w, Mark::Unread);
        assert_eq!(px(&unread, 25, 7), [255, 255, 255, 255]);
        assert_eq!(Mark::of(0, 0), Mark::Nothing);
        assert_eq!(Mark::of(5, 0), Mark::Unread);
        assert_eq!(Mark::of(5, 1), Mark::Mention);
    }

    #[test]
    fn tooltip_says_what_is_waiting() {
        assert_eq!(tooltip(0, 0, None), "Parley");
        assert_eq!(tooltip(3, 0, None), "Parley — 3 unread");
        assert_eq!(tooltip(5, 1, None), "Parley — 1 mention · 5 unread");
        assert_eq!(tooltip(5, 2, None), "Parley — 2 mentions · 5 unread");
        assert_eq!(
            tooltip(0, 2, Some("3:00 PM")),
            "Parley — notifications paused until 3:00 PM · 2 mentions"
        );
        assert_eq!(dnd_status(None), "Notifications are on");
        assert_eq!(
            dnd_status(Some("tomorrow 8:00 AM")),
            "Paused until tomorrow 8:00 AM"
        );
    }
}
