//! Parley's desktop shell: a Tauri v2 window around the parley-ui bundle.
//!
//! The shell stays thin. The UI (the same wasm app the server serves to
//! browsers) does all the chatting; the shell only adds what a webview cannot
//! do well on its own: remembering which server to talk to
//! ([`server`]), keeping tokens in the OS keychain ([`secrets`]), native
//! notifications ([`notify`]), a tray icon that keeps Parley running
//! when its window is closed ([`tray`]) and a mention badge in the dock
//! ([`badge`]), and links that open in the OS's
//! browser, never in the window ([`links`]), a window that reopens
//! where it was left ([`window_state`]), and files dropped on the window or
//! images pasted from the clipboard ([`files`]), files from messages saved
//! into the Downloads folder ([`downloads`]), and opening at login
//! ([`autostart`]). Every command the UI may call is
//! listed in `build.rs` and granted in `capabilities/default.json`; its
//! arguments, answer and the events the shell emits are typed in
//! `parley_shared::ipc`, shared with the UI ([`ipc`]).

pub mod autostart;
pub mod badge;
pub mod call;
pub mod downloads;
pub mod files;
pub mod ipc;
pub mod links;
pub mod notify;
pub mod secrets;
pub mod server;
pub mod tray;
pub mod webkit;
pub mod window_state;

use tauri::{Manager, Runtime, WindowEvent};

/// The one window's label (capabilities name it too).
pub const MAIN_WINDOW: &str = "main";

/// Shows, unminimizes and focuses the main window (tray "Open", a second
/// launch, a notification click).
pub fn show_main<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MAIN_WINDOW) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Everything but the context, so tests can build it on a mock runtime.
pub fn builder<R: Runtime>() -> tauri::Builder<R> {
    tauri::Builder::<R>::new()
        .invoke_handler(tauri::generate_handler![
            server::server_get,
            server::server_set,
            secrets::token_get,
            secrets::token_set,
            secrets::token_delete,
            notify::notify,
            notify::notify_call,
            tray::tray_set_counts,
            tray::call_tray,
            files::dropped_file,
            files::clipboard_image,
            downloads::download,
            downloads::download_show,
            autostart::autostart_get,
            autostart::autostart_set,
            call::call_open,
            call::call_connect,
            call::call_remote_offer,
            call::call_remote_answer,
            call::call_remote_candidate,
            call::call_remove,
            call::call_reset,
            call::call_close,
            call::call_mute,
            call::call_camera,
            call::call_screen,
            call::call_levels,
            call::call_sources,
            call::call_source_thumbnail,
            call::call_devices,
            call::call_use_devices,
            call::call_frame,
        ])
        .manage(call::Calls::default())
        .manage(files::DroppedFiles::default())
        .manage(downloads::Downloads::default())
        .manage(badge::Badge::default())
        .manage(tray::Marked::default())
        .on_window_event(|window, event| {
            // Closing the window keeps Parley in the tray (messages still
            // notify); "Quit" in the tray menu really exits.
            match event {
                WindowEvent::CloseRequested { api, .. }
                    if window.label() == MAIN_WINDOW && tray::has_tray(window.app_handle()) =>
                {
                    api.prevent_close();
                    window_state::save(window.app_handle());
                    let _ = window.hide();
                }
                WindowEvent::DragDrop(drop) => files::on_drag_drop(window.app_handle(), drop),
                _ => {}
            }
        })
}

/// Builds the main window from `tauri.conf.json` (which does not create it
/// itself: a download handler can only be set on a window being built).
fn main_window(app: &tauri::AppHandle, visible: bool) -> tauri::Result<tauri::WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
        .cloned()
        .ok_or(tauri::Error::WindowNotFound)?;
    tauri::WebviewWindowBuilder::from_config(app, &config)?
        .visible(visible)
        .on_download(downloads::on_download)
        .build()
}

/// Starts the app; returns when it quits.
pub fn run() {
    webkit::env_defaults();
    let app = builder::<tauri::Wry>()
        // First: a second launch hands over to the running one and exits
        // before it opens a window of its own.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            show_main(app);
        }))
        .plugin(tauri_plugin_opener::init())
        .plugin(window_state::plugin())
        .plugin(links::guard())
        .setup(|app| {
            notify::register_sender(app.handle());
            // Started at login: Parley waits in the tray, never flashing
            // its window.
            let hidden = autostart::started_at_login();
            let w = main_window(app.handle(), !hidden)?;
            webkit::tune(&w);
            webkit::spell_check(&w);
            webkit::app_context_menu(&w);
            // A tray is optional (some desktops have none); without it,
            // closing the window quits, as users expect there, and the
            // window shows whatever the start.
            if let Err(e) = tray::create(app.handle()) {
                eprintln!("parley: no tray icon ({e}); closing the window will quit");
                let _ = w.show();
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("parley: cannot start: {e}");
            std::process::exit(1);
        }
    }
}
