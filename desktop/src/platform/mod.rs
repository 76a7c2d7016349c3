//! Where the UI runs: a browser, or the Tauri desktop shell.
//!
//! Everything that differs between the two (where tokens are kept, how a
//! notification is shown, how an external link opens, which engine carries
//! a call's media) goes through
//! [`Platform`], so the rest of the UI never calls a browser-only API for
//! these. [`BrowserPlatform`] uses localStorage and Web Notifications;
//! [`TauriPlatform`] (picked at start when `window.__TAURI__` exists) keeps
//! tokens in the OS keychain and notifies through the shell.//!
//! The trait and the in-memory test double live here; the browser's
//! implementation is in `browser`, the shell's in `tauri`, the bridge to
//! the shell's commands and events in `bridge`, and what the desktop window
//! does around the page (links, zoom, native drops, downloads) in `window`.

mod bridge;
mod browser;
mod tauri;
mod window;

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::call::IceServers;
use parley_shared::{ChannelId, MessageId};

pub use bridge::{invoke, invoke_bytes, invoke_later, listen, listen_until, Listening};
pub use browser::BrowserPlatform;
pub use tauri::TauriPlatform;
pub use window::is_external;

pub trait Platform {
    /// Reads a small persistent value (tokens, settings).
    fn load(&self, key: &str) -> Option<String>;
    fn save(&self, key: &str, value: &str);
    fn remove(&self, key: &str);
    /// Shows a system notification; a no-op when not permitted.
    fn notify(&self, title: &str, body: &str);
    /// Whether notifications may be shown (asks nothing).
    fn notifications_allowed(&self) -> bool;
    /// Asks the user for notification permission (browsers need a click).
    fn request_notifications(&self);
    /// Opens a URL outside the app.
    fn open_url(&self, url: &str);
    /// A notification about one message; clicking it may open the message.
    fn notify_message(
        &self,
        title: &str,
        body: &str,
        _channel: ChannelId,
        _message: MessageId,
        _seq: i64,
    ) {
        self.notify(title, body);
    }
    /// A ringing call in `channel`: the desktop app's notification can
    /// accept or decline it; elsewhere a plain one.
    fn notify_call(&self, title: &str, body: &str, _channel: ChannelId) {
        self.notify(title, body);
    }
    /// Whether notifications are the OS's own (no browser permission, no
    /// Web Push: the app itself runs in the background).
    fn native_notifications(&self) -> bool {
        false
    }
    /// Tells the host the unread and mention totals (the tray badge), and
    /// until when notifications are paused ("3:00 PM"), if they are.
    fn set_counts(&self, _unread: u64, _mentions: u64, _paused_until: Option<&str>) {}
    /// After a paste whose event carried no files: hands `to` the image on
    /// the OS clipboard, where the webview keeps it from the page.
    fn paste_image(&self, _to: Rc<dyn Fn(web_sys::File)>) {}
    /// Whether the app opens when the user logs in: with `set`, changes
    /// it first; `done` gets the setting (or why it could not be read or
    /// changed). A host that cannot (a browser) never calls `done`.
    fn open_at_login(&self, _set: Option<bool>, _done: Rc<dyn Fn(Result<bool, String>)>) {}
    /// Saves the file at `url` (the desktop app: into the Downloads
    /// folder); `done` hears how it ended. A browser hands it to itself.
    fn download(&self, url: &str, done: Rc<dyn Fn(Saved)>) {
        self.open_url(url);
        done(Saved::Outside);
    }
    /// Whether a sign-in outlives a restart of the app; if not, why (the
    /// desktop app without a usable OS keychain).
    fn sign_in_kept(&self) -> Result<(), String> {
        Ok(())
    }
    /// Whether [`Platform::download`] saves files itself (and its outcome
    /// is worth showing), rather than handing them to a browser.
    fn saves_downloads(&self) -> bool {
        false
    }
    /// Shows a file [`Platform::download`] saved in the file manager.
    fn show_download(&self, _id: u64) {}
    /// Whether calls can carry media here: the page has WebRTC, or the
    /// host brings its own engine. Debian's WebKitGTK (the desktop app's web
    /// view on Linux) has no `RTCPeerConnection`; joining there would put
    /// the person in a call nobody can hear.
    fn calls_supported(&self) -> bool {
        web_sys::window().is_some_and(|w| {
            js_sys::Reflect::has(&w, &wasm_bindgen::JsValue::from_str("RTCPeerConnection"))
                .unwrap_or(false)
        })
    }
    /// Whether calls run in the host's own engine (the desktop app): its
    /// device list, its screen picker, its tray.
    fn native_calls(&self) -> bool {
        false
    }
    /// The media engine for a call: the page's own WebRTC
    /// (`RTCPeerConnection`) unless the host brings a native one.
    fn call_engine(
        &self,
        ice: Option<&IceServers>,
        signal: crate::call::SignalSink,
    ) -> Rc<dyn crate::call::MediaEngine> {
        Rc::new(crate::call::BrowserEngine::new(ice, signal))
    }
}

/// How saving a file from a message ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// In the Downloads folder as `name`; `id` shows it there.
    Done {
        id: u64,
        name: String,
    },
    /// Opened outside the app instead (a browser, or a desktop webview
    /// that cannot download by itself): the browser saves it.
    Outside,
    Failed(String),
}

/// What the host hands the page from outside it: whether files are being
/// dragged over the window, and the files dropped on it (the desktop
/// shell's native drops; a browser's reach the page as DOM events).
pub enum Incoming {
    Hovering(bool),
    File(web_sys::File),
    /// A dropped file the host could not hand over: its name, and why.
    Unreadable(String, String),
}

/// Where [`Incoming`] files go.
pub type IncomingSink = Rc<dyn Fn(Incoming)>;

thread_local! {
    static INCOMING: RefCell<Option<IncomingSink>> = RefCell::new(None);
}

/// Sets (or with `None` clears) where [`Incoming`] files go: the channel's
/// composer while it is on screen.
pub fn receive_incoming(to: Option<IncomingSink>) {
    INCOMING.with(|i| *i.borrow_mut() = to);
}

fn deliver(incoming: Incoming) {
    if let Some(to) = INCOMING.with(|i| i.borrow().clone()) {
        to(incoming);
    }
}

pub type SharedPlatform = Rc<dyn Platform>;

/// Keeps values in memory: for tests, and a fallback when storage is blocked.
#[derive(Default)]
pub struct MemoryPlatform {
    values: std::cell::RefCell<std::collections::HashMap<String, String>>,
    pub notified: std::cell::RefCell<Vec<(String, String)>>,
}

impl Platform for MemoryPlatform {
    fn load(&self, key: &str) -> Option<String> {
        self.values.borrow().get(key).cloned()
    }
    fn save(&self, key: &str, value: &str) {
        self.values.borrow_mut().insert(key.into(), value.into());
    }
    fn remove(&self, key: &str) {
        self.values.borrow_mut().remove(key);
    }
    fn notify(&self, title: &str, body: &str) {
        self.notified.borrow_mut().push((title.into(), body.into()));
    }
    fn notifications_allowed(&self) -> bool {
        true
    }
    fn request_notifications(&self) {}
    fn open_url(&self, _url: &str) {}
}

/// Whether the page runs in the Tauri shell (`app.withGlobalTauri`).
pub fn in_tauri() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &wasm_bindgen::JsValue::from_str("__TAURI__")).unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_links_away_from_the_app_open_outside() {
        let app = "tauri://localhost";
        assert!(is_external("https://example.com/a", app));
        assert!(is_external("HTTP://example.com", app));
        assert!(is_external("mailto:bob@example.com", app));
        assert!(!is_external("tauri://localhost/c/12", app));
        assert!(!is_external("/c/12", app));
        assert!(!is_external("#top", app));
        assert!(!is_external("javascript:alert(1)", app));
        let win = "http://tauri.localhost";
        assert!(!is_external("http://tauri.localhost/c/1", win));
        assert!(is_external("http://tauri.localhost.evil.example/", win));
    }

    #[test]
    fn memory_platform_round_trips() {
        let p = MemoryPlatform::default();
        p.save("k", "v");
        assert_eq!(p.load("k").as_deref(), Some("v"));
        p.remove("k");
        assert_eq!(p.load("k"), None);
        p.notify("t", "b");
        assert_eq!(p.notified.borrow().len(), 1);
    }
}
