//! The desktop shell's IPC, typed once: each command's name, its argument
//! object and its answer, and the names and payloads of the events the shell
//! emits. The UI and the shell (`parley-desktop`) both use these types.
//!
//! A command's arguments are the JSON object Tauri hands to the shell's
//! `#[tauri::command]` function. Its keys are those Tauri gives a command's
//! parameters, in camelCase (`paused_until` is sent as `pausedUntil`, hence
//! the rename below); values nested inside a parameter keep their own field
//! names. The shell decodes the whole object as the struct here (its
//! `ipc::Args`), so renaming a field changes the wire: rename nothing. Pure
//! serde types, no I/O.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A shell command answering JSON: `NAME` is what `invoke` is called with,
/// `Self` serializes to its arguments and `Answer` is decoded from its reply.
pub trait Command: Serialize {
    const NAME: &'static str;
    type Answer: DeserializeOwned;
}

/// A shell command answering raw bytes (a `tauri::ipc::Response`), which
/// reach the page as an `ArrayBuffer` rather than JSON.
pub trait BytesCommand: Serialize {
    const NAME: &'static str;
}

macro_rules! command {
    ($(#[$doc:meta])* $name:ident $body:tt => $answer:ty, $cmd:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name $body

        impl Command for $name {
            const NAME: &'static str = $cmd;
            type Answer = $answer;
        }
    };
}

command!(
    /// The server the app talks to (None before the first run's choice).
    ServerGet {} => Option<String>, "server_get"
);
command!(
    /// Normalizes `url` and, when `save`, remembers it; answers the origin.
    ServerSet { pub url: String, pub save: bool } => String, "server_set"
);
command!(
    /// A secret from the OS keychain (None when there is none).
    TokenGet { pub key: String } => Option<String>, "token_get"
);
command!(
    /// Stores a secret in the OS keychain.
    TokenSet { pub key: String, pub value: String } => (), "token_set"
);
command!(
    /// Removes a secret from the OS keychain.
    TokenDelete { pub key: String } => (), "token_delete"
);
command!(
    /// Shows an OS notification; a click on one with a target emits
    /// [`event::OPEN_MESSAGE`] with that target.
    Notify { pub title: String, pub body: String, pub target: Option<NotifyTarget> } => (), "notify"
);
command!(
    /// The tray's tooltip, badge and do-not-disturb status. The counts are
    /// capped at `u32::MAX` by the sender.
    TraySetCounts {
        pub unread: u32,
        pub mentions: u32,
        #[serde(rename = "pausedUntil")]
        pub paused_until: Option<String>,
    } => (), "tray_set_counts"
);
command!(
    /// Starts saving `url` to the downloads folder; answers the download's
    /// id, which [`event::DOWNLOAD_FINISHED`] names when it ends. Fails with
    /// `unsupported` where the webview saves downloads itself.
    Download { pub url: String } => u64, "download"
);
command!(
    /// Shows a finished download in the file manager.
    DownloadShow { pub id: u64 } => (), "download_show"
);
command!(
    /// Whether Parley opens at login.
    AutostartGet {} => bool, "autostart_get"
);
command!(
    /// Makes Parley open at login, or not; answers the setting after.
    AutostartSet { pub on: bool } => bool, "autostart_set"
);
command!(
    /// Opens a web or mail address outside (the opener plugin; its
    /// capability allows only http, https and mailto).
    OpenUrl { pub url: String, pub with: Option<String> } => (), "plugin:opener|open_url"
);
command!(
    /// The webview's zoom level (the webview plugin's own command).
    SetWebviewZoom { pub value: f64 } => (), "plugin:webview|set_webview_zoom"
);

/// A file dropped on the window, read once by the id the drop granted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedFile {
    pub id: u64,
}

impl BytesCommand for DroppedFile {
    const NAME: &'static str = "dropped_file";
}

/// The clipboard's image as PNG (empty when it holds none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipboardImage {}

impl BytesCommand for ClipboardImage {
    const NAME: &'static str = "clipboard_image";
}

/// What the UI needs to open the message a notification was about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyTarget {
    pub channel_id: String,
    pub message_id: String,
    /// The message's place in its channel, to load the page around it.
    pub seq: i64,
}

/// The events the shell emits to the page.
pub mod event {
    use serde::{Deserialize, Serialize};

    /// A notification was clicked: its [`super::NotifyTarget`].
    pub const OPEN_MESSAGE: &str = "open-message";
    /// A tray do-not-disturb item: `"1h"`, `"tomorrow"`, or anything else
    /// to resume.
    pub const DND: &str = "dnd";
    /// Files are dragged over the window (`true`) or no longer (`false`).
    pub const FILES_HOVER: &str = "files-hover";
    /// Files were dropped: a [`FilesDropped`], `{ files: [{ id, name, size }],
    /// refused: [{ name, why }] }`.
    pub const FILES_DROPPED: &str = "files-dropped";
    /// A download ended: a [`DownloadFinished`].
    pub const DOWNLOAD_FINISHED: &str = "download-finished";

    /// The payload of [`FILES_DROPPED`]: the files the drop granted and
    /// those it did not.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct FilesDropped {
        pub files: Vec<Dropped>,
        pub refused: Vec<Refused>,
    }

    /// A dropped file handed to the UI, read once with
    /// [`super::DroppedFile`] by its id (the page never learns its path).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Dropped {
        pub id: u64,
        pub name: String,
        pub size: u64,
    }

    /// A dropped path that is not handed over, and why (the UI shows it).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Refused {
        pub name: String,
        pub why: String,
    }

    /// The payload of [`DOWNLOAD_FINISHED`], for the id [`super::Download`]
    /// answered.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct DownloadFinished {
        pub id: u64,
        /// The name it was saved under (may differ from the server's:
        /// " (1)" is added rather than overwrite).
        pub name: Option<String>,
        pub ok: bool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_keep_the_shells_keys() {
        let counts = TraySetCounts {
            unread: 3,
            mentions: 1,
            paused_until: None,
        };
        assert_eq!(
            serde_json::to_value(&counts).ok(),
            Some(serde_json::json!({ "unread": 3, "mentions": 1, "pausedUntil": null }))
        );
        assert_eq!(
            serde_json::to_value(ServerGet {}).ok(),
            Some(serde_json::json!({}))
        );
        assert_eq!(
            serde_json::to_value(OpenUrl {
                url: "https://x.io".into(),
                with: None
            })
            .ok(),
            Some(serde_json::json!({ "url": "https://x.io", "with": null }))
        );
    }

    #[test]
    fn event_payloads_keep_the_shells_keys() {
        let dropped = event::FilesDropped {
            files: vec![event::Dropped {
                id: 1,
                name: "a.txt".into(),
                size: 5,
            }],
            refused: vec![event::Refused {
                name: "dir".into(),
                why: "folders cannot be uploaded".into(),
            }],
        };
        assert_eq!(
            serde_json::to_value(&dropped).ok(),
            Some(serde_json::json!({
                "files": [{ "id": 1, "name": "a.txt", "size": 5 }],
                "refused": [{ "name": "dir", "why": "folders cannot be uploaded" }],
            }))
        );
        let finished = event::DownloadFinished {
            id: 2,
            name: None,
            ok: false,
        };
        assert_eq!(
            serde_json::to_value(&finished).ok(),
            Some(serde_json::json!({ "id": 2, "name": null, "ok": false }))
        );
    }
}
