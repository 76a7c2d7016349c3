//! The window reopens where, and as large as, it was left
//! (`tauri-plugin-window-state`, in `<app config dir>/.window-state.json`).
//!
//! The plugin writes its file only when the app exits. Parley mostly does
//! not exit: closing the window hides it in the tray, and a session ending
//! kills the process. So the shell also saves whenever the window is
//! closed to the tray.

use tauri::Runtime;
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// Size, place, maximized and full screen; not visibility (a window last
/// seen hidden in the tray must still open on the next launch) and not
/// decorations (the app never changes them).
fn flags() -> StateFlags {
    StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED | StateFlags::FULLSCREEN
}

pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(flags())
        .build()
}

/// Writes the window's state now (best effort: a failure only costs the
/// next launch its old geometry).
pub fn save<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Err(e) = app.save_window_state(flags()) {
        eprintln!("parley: window state not saved ({e})");
    }
}
