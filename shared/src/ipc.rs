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

// Calls in the desktop app: the shell's native WebRTC engine (WebKitGTK
// has no RTCPeerConnection). The UI keeps the signaling (it owns the
// WebSocket) and drives the engine with these commands; the engine asks
// for signaling with [`event::CALL_SIGNAL`] and announces video frames with
// [`event::CALL_VIDEO`], whose pictures the UI reads with [`CallFrame`].

command!(
    /// Opens the local media for a call: the microphone (`mic`: a device
    /// name from [`CallDevices`], None for the system default), the speaker,
    /// the camera when `camera`; `processing` turns echo cancellation and
    /// noise suppression on. `ice` is `GET /api/v1/calls/ice-servers`
    /// (None: host candidates only). Any previous call's media is closed.
    CallOpen {
        pub ice: Option<crate::call::IceServers>,
        pub mic: Option<String>,
        pub speaker: Option<String>,
        pub camera: bool,
        pub processing: bool,
    } => CallOpened, "call_open"
);
command!(
    /// Connects to a participant already in the call: this side offers.
    CallConnect { pub peer: crate::ParticipantId } => (), "call_connect"
);
command!(
    /// A participant's offer (this side answers through [`event::CALL_SIGNAL`]).
    CallRemoteOffer { pub from: crate::ParticipantId, pub sdp: String } => (), "call_remote_offer"
);
command!(
    /// The answer to this side's offer.
    CallRemoteAnswer { pub from: crate::ParticipantId, pub sdp: String } => (), "call_remote_answer"
);
command!(
    /// A participant's ICE candidate.
    CallRemoteCandidate {
        pub from: crate::ParticipantId,
        pub candidate: crate::call::IceCandidate,
    } => (), "call_remote_candidate"
);
command!(
    /// A participant left: their connection closes.
    CallRemove { pub peer: crate::ParticipantId } => (), "call_remove"
);
command!(
    /// Closes every connection, keeping the local media (a rejoin).
    CallReset {} => (), "call_reset"
);
command!(
    /// Ends the call's media: devices released, connections closed.
    CallClose {} => (), "call_close"
);
command!(
    /// Mutes or unmutes the microphone (unmuting may open one that failed).
    CallMute { pub muted: bool } => (), "call_mute"
);
command!(
    /// Turns the camera on or off.
    CallCamera { pub on: bool } => (), "call_camera"
);
command!(
    /// Shares a screen or window (`source`: an id from [`CallSources`]), or
    /// stops sharing (None).
    CallScreen { pub source: Option<String> } => (), "call_screen"
);
command!(
    /// How loud each audio is now, 0–1 (the microphone has no `peer`).
    CallLevels {} => Vec<CallLevel>, "call_levels"
);
command!(
    /// The screens and windows that can be shared.
    CallSources {} => Vec<ScreenSource>, "call_sources"
);
command!(
    /// The audio devices (names as [`CallOpen`] takes them).
    CallDevices {} => AudioDevices, "call_devices"
);
command!(
    /// Switches the microphone and speaker mid-call (None: the default,
    /// followed when it changes) and the audio processing.
    CallUseDevices {
        pub mic: Option<String>,
        pub speaker: Option<String>,
        pub processing: bool,
    } => (), "call_use_devices"
);
command!(
    /// A ringing call's OS notification: Accept and Decline buttons where
    /// the system shows actions (else a click opens Parley); the answer
    /// comes back as [`event::CALL_RING`].
    NotifyCall { pub title: String, pub body: String, pub channel_id: String } => (), "notify_call"
);
command!(
    /// The tray's call items: "In a call" with Mute and Leave while
    /// `active`, "You are sharing" with Stop while `sharing`.
    CallTray { pub active: bool, pub muted: bool, pub sharing: bool } => (), "call_tray"
);

/// What [`CallOpen`] managed: the microphone's and the camera's trouble,
/// if any (the call goes on muted or without video).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallOpened {
    pub mic_error: Option<String>,
    pub camera: bool,
    pub camera_error: Option<String>,
}

/// One audio level of [`CallLevels`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallLevel {
    /// None: this device's microphone.
    pub peer: Option<crate::ParticipantId>,
    pub level: f32,
}

/// A screen or a window that can be shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenSource {
    pub id: String,
    pub name: String,
    pub kind: SourceKind,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Screen,
    Window,
}

/// The audio devices of [`CallDevices`], by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioDevices {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// Which video of a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoFeed {
    Camera,
    Screen,
}

/// The newest picture of a video as JPEG (empty when there is none):
/// `peer` None is this device's own camera or screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallFrame {
    pub peer: Option<crate::ParticipantId>,
    pub feed: VideoFeed,
}

impl BytesCommand for CallFrame {
    const NAME: &'static str = "call_frame";
}

/// A thumbnail (JPEG) of a [`ScreenSource`], for the picker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallSourceThumbnail {
    pub id: String,
}

impl BytesCommand for CallSourceThumbnail {
    const NAME: &'static str = "call_source_thumbnail";
}

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

    /// The call engine needs something signaled: a [`CallSignal`].
    pub const CALL_SIGNAL: &str = "call-signal";
    /// A video has a new picture, or stopped: a [`CallVideo`].
    pub const CALL_VIDEO: &str = "call-video";
    /// A tray call item was clicked: `"mute"`, `"leave"` or `"stop-sharing"`.
    pub const CALL_TRAY: &str = "call-tray";
    /// A ringing call's notification was answered: a [`CallRing`].
    pub const CALL_RING: &str = "call-ring";

    /// The payload of [`CALL_RING`].
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct CallRing {
        pub channel_id: String,
        pub answer: RingAnswer,
    }

    /// How a ringing call's notification was answered.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RingAnswer {
        Accept,
        Decline,
        /// The notification itself was clicked.
        Open,
    }

    /// The payload of [`CALL_SIGNAL`].
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum CallSignal {
        Offer {
            to: crate::ParticipantId,
            sdp: String,
        },
        Answer {
            to: crate::ParticipantId,
            sdp: String,
        },
        Candidate {
            to: crate::ParticipantId,
            candidate: crate::call::IceCandidate,
        },
        /// The shared screen or window went away.
        ScreenEnded,
    }

    /// The payload of [`CALL_VIDEO`]: `frame` counts the pictures (0: the
    /// video stopped); read the picture with [`super::CallFrame`].
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct CallVideo {
        pub peer: Option<crate::ParticipantId>,
        pub feed: super::VideoFeed,
        pub frame: u64,
        pub width: u32,
        pub height: u32,
    }

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
