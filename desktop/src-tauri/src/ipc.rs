//! The commands' side of the IPC typed in `parley_shared::ipc`, which the UI
//! calls through: a command takes its arguments as the shared struct
//! ([`Args`]) and answers the shared answer type ([`Answer`]).
//!
//! The command names stay the functions' names (`#[tauri::command]` names a
//! command after its function), listed again in `build.rs` for the
//! permissions; a test here keeps that list equal to the shared names.

use parley_shared::ipc::Command;
use serde::de::DeserializeOwned;
use tauri::ipc::{CommandArg, CommandItem, InvokeBody, InvokeError};
use tauri::Runtime;

/// What the command `C` answers (`Result<Answer<C>, String>` for one that
/// can fail).
pub type Answer<C> = <C as Command>::Answer;

/// A command's whole argument object decoded as `T`, one of the shared
/// argument structs: the keys on the wire are `T`'s fields, exactly those
/// Tauri would read for one parameter per field (a missing `Option` field is
/// `None`, unknown keys are ignored).
#[derive(Debug)]
pub struct Args<T>(pub T);

impl<'de, T: DeserializeOwned, R: Runtime> CommandArg<'de, R> for Args<T> {
    fn from_command(command: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        let (name, key) = (command.name, command.key);
        let decoded = match command.message.payload() {
            InvokeBody::Json(v) => T::deserialize(v),
            // As for a parameter: a bytes body carries no arguments.
            InvokeBody::Raw(_) => Err(serde::de::Error::custom(format!(
                "command {name} expected its arguments but the IPC call used a bytes payload"
            ))),
        };
        decoded
            .map(Args)
            .map_err(|e| tauri::Error::InvalidArgs(name, key, e).into())
    }
}

#[cfg(test)]
mod tests {
    use parley_shared::ipc::{self, BytesCommand, Command};

    /// The shell's own commands (not the plugins'), as the UI names them.
    fn shared_names() -> Vec<&'static str> {
        let mut names = vec![
            ipc::ServerGet::NAME,
            ipc::ServerSet::NAME,
            ipc::TokenGet::NAME,
            ipc::TokenSet::NAME,
            ipc::TokenDelete::NAME,
            ipc::Notify::NAME,
            ipc::NotifyCall::NAME,
            ipc::TraySetCounts::NAME,
            ipc::DroppedFile::NAME,
            ipc::ClipboardImage::NAME,
            ipc::Download::NAME,
            ipc::DownloadShow::NAME,
            ipc::AutostartGet::NAME,
            ipc::AutostartSet::NAME,
            ipc::CallOpen::NAME,
            ipc::CallConnect::NAME,
            ipc::CallRemoteOffer::NAME,
            ipc::CallRemoteAnswer::NAME,
            ipc::CallRemoteCandidate::NAME,
            ipc::CallRemove::NAME,
            ipc::CallReset::NAME,
            ipc::CallClose::NAME,
            ipc::CallMute::NAME,
            ipc::CallCamera::NAME,
            ipc::CallScreen::NAME,
            ipc::CallLevels::NAME,
            ipc::CallSources::NAME,
            ipc::CallSourceThumbnail::NAME,
            ipc::CallDevices::NAME,
            ipc::CallUseDevices::NAME,
            ipc::CallFrame::NAME,
            ipc::CallTray::NAME,
            ipc::OpenUrl::NAME,
            ipc::SetWebviewZoom::NAME,
        ];
        names.retain(|n| !n.starts_with("plugin:"));
        names.sort_unstable();
        names
    }

    #[test]
    fn the_manifest_lists_the_shared_commands() {
        let build = include_str!("../build.rs");
        let list = build
            .split_once("let commands = &[")
            .and_then(|(_, rest)| rest.split_once("];"))
            .map(|(list, _)| list)
            .unwrap_or_default();
        let mut manifest: Vec<&str> = list
            .split(',')
            .map(|n| n.trim().trim_matches('"'))
            .filter(|n| !n.is_empty())
            .collect();
        manifest.sort_unstable();
        assert_eq!(manifest, shared_names());
    }

    #[test]
    fn arguments_decode_from_what_the_ui_sends() {
        let counts = ipc::TraySetCounts {
            unread: 2,
            mentions: 1,
            paused_until: Some("3:00 PM".into()),
        };
        let wire = serde_json::to_value(&counts).unwrap_or_default();
        assert_eq!(wire["pausedUntil"], "3:00 PM");
        let back: Result<ipc::TraySetCounts, _> = serde_json::from_value(wire);
        assert_eq!(back.ok(), Some(counts));
        // A missing optional argument is None, as for a parameter.
        let notify: Result<ipc::Notify, _> =
            serde_json::from_value(serde_json::json!({ "title": "t", "body": "b" }));
        assert_eq!(notify.ok().map(|n| n.target), Some(None));
    }
}
