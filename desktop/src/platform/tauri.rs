//! The desktop shell's [`Platform`]: secrets in the OS keychain through the
//! shell's commands, OS notifications, the tray's counts, native paste,
//! downloads, opening at login, and calls carried by the shell's own
//! WebRTC engine ([`NativeEngine`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use parley_shared::call::IceServers;
use parley_shared::{ipc, ChannelId, MessageId};

use super::bridge::file_of;
use super::bridge::{invoke, invoke_bytes, invoke_later};
use super::window::{
    open_links_outside, open_outside, receive_downloads, receive_dropped_files, zoom_keys,
    SAVED_EARLY, SAVING,
};
use super::{BrowserPlatform, Platform, Saved};
use crate::call::{MediaEngine, NativeEngine, SignalSink};

/// Keys whose values are secrets: kept in the OS keychain, never in the
/// webview's storage.
const SECRET_KEYS: &[&str] = &[crate::api::TOKENS_KEY];

/// The desktop shell. Secrets are read from the keychain once at start
/// ([`TauriPlatform::boot`]) because [`Platform::load`] is synchronous, then
/// served from memory; writes go to memory and, in the background, to the
/// keychain. Other values (theme, last channel) are not secret and stay in
/// the webview's localStorage.
#[derive(Default)]
pub struct TauriPlatform {
    secrets: RefCell<HashMap<String, String>>,
    /// Why the keychain cannot be used (no Secret Service on this Linux
    /// desktop, a locked or refused keychain); then secrets live in memory
    /// only, never on disk, and each start asks to sign in again.
    keychain_error: Option<String>,
}

impl TauriPlatform {
    /// The chosen server (None on first run) and the platform with the
    /// keychain's values loaded.
    pub async fn boot() -> Result<(TauriPlatform, Option<String>), String> {
        open_links_outside();
        zoom_keys();
        receive_dropped_files();
        receive_downloads();
        let server: Option<String> = invoke(&ipc::ServerGet {}).await?;
        let mut p = TauriPlatform::default();
        if server.is_some() {
            for key in SECRET_KEYS {
                let get = ipc::TokenGet {
                    key: (*key).to_owned(),
                };
                match invoke(&get).await {
                    Ok(Some(v)) => {
                        p.secrets.borrow_mut().insert((*key).to_owned(), v);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        web_sys::console::warn_1(&format!("parley: no keychain: {e}").into());
                        p.keychain_error = Some(e);
                        break;
                    }
                }
            }
        }
        Ok((p, server))
    }

    fn is_secret(key: &str) -> bool {
        SECRET_KEYS.contains(&key)
    }
}

impl Platform for TauriPlatform {
    fn load(&self, key: &str) -> Option<String> {
        if Self::is_secret(key) {
            return self.secrets.borrow().get(key).cloned();
        }
        BrowserPlatform.load(key)
    }
    fn save(&self, key: &str, value: &str) {
        if !Self::is_secret(key) {
            return BrowserPlatform.save(key, value);
        }
        let changed = self.secrets.borrow().get(key).map(String::as_str) != Some(value);
        if changed && self.keychain_error.is_some() {
            self.secrets.borrow_mut().insert(key.into(), value.into());
        } else if changed {
            self.secrets.borrow_mut().insert(key.into(), value.into());
            invoke_later(ipc::TokenSet {
                key: key.into(),
                value: value.into(),
            });
        }
    }
    fn remove(&self, key: &str) {
        if !Self::is_secret(key) {
            return BrowserPlatform.remove(key);
        }
        self.secrets.borrow_mut().remove(key);
        if self.keychain_error.is_none() {
            invoke_later(ipc::TokenDelete { key: key.into() });
        }
    }
    fn notify(&self, title: &str, body: &str) {
        invoke_later(ipc::Notify {
            title: title.into(),
            body: body.into(),
            target: None,
        });
    }
    fn notify_message(
        &self,
        title: &str,
        body: &str,
        channel: ChannelId,
        message: MessageId,
        seq: i64,
    ) {
        let target = ipc::NotifyTarget {
            channel_id: channel.to_string(),
            message_id: message.to_string(),
            seq,
        };
        invoke_later(ipc::Notify {
            title: title.into(),
            body: body.into(),
            target: Some(target),
        });
    }
    fn notify_call(&self, title: &str, body: &str, channel: ChannelId) {
        invoke_later(ipc::NotifyCall {
            title: title.into(),
            body: body.into(),
            channel_id: channel.to_string(),
        });
    }
    fn notifications_allowed(&self) -> bool {
        true
    }
    fn request_notifications(&self) {}
    fn open_url(&self, url: &str) {
        open_outside(url);
    }
    fn native_notifications(&self) -> bool {
        true
    }
    fn paste_image(&self, to: Rc<dyn Fn(web_sys::File)>) {
        wasm_bindgen_futures::spawn_local(async move {
            match invoke_bytes(&ipc::ClipboardImage {}).await {
                Ok(png) if png.byte_length() > 0 => {
                    if let Some(file) = file_of(&png, "Pasted image.png") {
                        to(file);
                    }
                }
                Ok(_) => {}
                Err(e) => web_sys::console::error_1(&format!("parley: paste: {e}").into()),
            }
        });
    }
    fn open_at_login(&self, set: Option<bool>, done: Rc<dyn Fn(Result<bool, String>)>) {
        wasm_bindgen_futures::spawn_local(async move {
            done(match set {
                Some(on) => invoke(&ipc::AutostartSet { on }).await,
                None => invoke(&ipc::AutostartGet {}).await,
            });
        });
    }
    fn download(&self, url: &str, done: Rc<dyn Fn(Saved)>) {
        let url = url.to_owned();
        wasm_bindgen_futures::spawn_local(async move {
            match invoke(&ipc::Download { url: url.clone() }).await {
                Ok(id) => match SAVED_EARLY.with(|e| e.borrow_mut().remove(&id)) {
                    Some(saved) => done(saved),
                    None => {
                        SAVING.with(|s| s.borrow_mut().insert(id, done));
                    }
                },
                // Windows and macOS: the browser saves it.
                Err(e) if e == "unsupported" => {
                    open_outside(&url);
                    done(Saved::Outside);
                }
                Err(e) => done(Saved::Failed(e)),
            }
        });
    }
    fn saves_downloads(&self) -> bool {
        true
    }
    fn sign_in_kept(&self) -> Result<(), String> {
        match &self.keychain_error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
    fn show_download(&self, id: u64) {
        invoke_later(ipc::DownloadShow { id });
    }
    fn set_counts(&self, unread: u64, mentions: u64, paused_until: Option<&str>) {
        // The shell counts in u32: larger counts are capped, as before.
        invoke_later(ipc::TraySetCounts {
            unread: u32::try_from(unread).unwrap_or(u32::MAX),
            mentions: u32::try_from(mentions).unwrap_or(u32::MAX),
            paused_until: paused_until.map(str::to_owned),
        });
    }
    // The webview may lack WebRTC (Debian's WebKitGTK does): the shell
    // carries the media whatever the webview has.
    fn calls_supported(&self) -> bool {
        true
    }
    fn native_calls(&self) -> bool {
        true
    }
    fn call_engine(&self, ice: Option<&IceServers>, signal: SignalSink) -> Rc<dyn MediaEngine> {
        Rc::new(NativeEngine::new(ice, signal))
    }
}
