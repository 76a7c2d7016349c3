//! The tray icon: unread and mention counts in its tooltip (Windows, macOS)
//! and the mention count as its title (Linux appindicators show no tooltip,
//! only this label), and a menu with Open, Do not disturb and Quit. The
//! mention count also goes to the window title and the dock ([`crate::badge`]).
//!
//! Do-not-disturb is an account preference kept on the server (it also stops
//! push to other devices), so the menu does not decide anything: it emits a
//! `dnd` event and the UI, which holds the session, updates the preference.

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{Emitter, Manager, Runtime};

const TRAY_ID: &str = "main";
/// The event the UI handles; payload `"1h"`, `"tomorrow"` or `"off"`.
pub const DND_EVENT: &str = "dnd";

pub fn has_tray<R: Runtime>(app: &tauri::AppHandle<R>) -> bool {
    app.tray_by_id(TRAY_ID).is_some()
}

/// The tooltip for these counts.
pub fn tooltip(unread: u32, mentions: u32) -> String {
    match (unread, mentions) {
        (0, 0) => "Parley".into(),
        (u, 0) => format!("Parley — {u} unread"),
        (u, m) => format!(
            "Parley — {m} mention{} · {u} unread",
            if m == 1 { "" } else { "s" }
        ),
    }
}

pub fn create<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<TrayIcon<R>> {
    let dnd = Submenu::with_items(
        app,
        "Do not disturb",
        true,
        &[
            &MenuItem::with_id(app, "dnd-1h", "For 1 hour", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-tomorrow", "Until tomorrow", true, None::<&str>)?,
            &MenuItem::with_id(app, "dnd-off", "Off", true, None::<&str>)?,
        ],
    )?;
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "open", "Open Parley", true, None::<&str>)?,
            &dnd,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?,
        ],
    )?;
    let mut b = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(tooltip(0, 0))
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
            if let Some(what) = id.strip_prefix("dnd-") {
                let _ = app.emit(DND_EVENT, what);
            }
        }
    }
}

/// Called by the UI whenever its totals change.
#[tauri::command]
pub fn tray_set_counts<R: Runtime>(app: tauri::AppHandle<R>, unread: u32, mentions: u32) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(tooltip(unread, mentions)));
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
    use super::tooltip;

    #[test]
    fn tooltip_says_what_is_waiting() {
        assert_eq!(tooltip(0, 0), "Parley");
        assert_eq!(tooltip(3, 0), "Parley — 3 unread");
        assert_eq!(tooltip(5, 1), "Parley — 1 mention · 5 unread");
        assert_eq!(tooltip(5, 2), "Parley — 2 mentions · 5 unread");
    }
}
