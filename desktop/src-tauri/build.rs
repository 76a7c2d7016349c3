//! Generates the Tauri context and one `allow-<command>` permission per app
//! command, so capabilities/default.json can grant exactly the commands the UI
//! calls (an app manifest makes ungranted commands unreachable).

fn main() {
    let commands = &[
        "server_get",
        "server_set",
        "token_get",
        "token_set",
        "token_delete",
        "notify",
        "notify_call",
        "tray_set_counts",
        "dropped_file",
        "clipboard_image",
        "download",
        "download_show",
        "autostart_get",
        "autostart_set",
        "call_open",
        "call_connect",
        "call_remote_offer",
        "call_remote_answer",
        "call_remote_candidate",
        "call_remove",
        "call_reset",
        "call_close",
        "call_mute",
        "call_camera",
        "call_screen",
        "call_levels",
        "call_sources",
        "call_source_thumbnail",
        "call_devices",
        "call_use_devices",
        "call_frame",
        "call_tray",
    ];
    let attrs = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attrs) {
        panic!("tauri-build: {e:#}");
    }
}
