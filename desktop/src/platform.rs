//! Where the UI runs: a browser, or the Tauri desktop shell.
//!
//! Everything that differs between the two (where tokens are kept, how a
//! notification is shown, how an external link opens) goes through
//! [`Platform`], so the rest of the UI never calls a browser-only API for
//! these. [`BrowserPlatform`] uses localStorage and Web Notifications;
//! [`TauriPlatform`] (picked at start when `window.__TAURI__` exists) keeps
//! tokens in the OS keychain and notifies through the shell.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use parley_shared::{ChannelId, MessageId};
use wasm_bindgen::prelude::*;

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

/// The browser: `localStorage` and the Web Notifications API.
pub struct BrowserPlatform;

impl BrowserPlatform {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }
}

impl Platform for BrowserPlatform {
    fn load(&self, key: &str) -> Option<String> {
        Self::storage()?.get_item(key).ok().flatten()
    }
    fn save(&self, key: &str, value: &str) {
        if let Some(s) = Self::storage() {
            // Private mode may refuse; the session then lasts one tab.
            let _ = s.set_item(key, value);
        }
    }
    fn remove(&self, key: &str) {
        if let Some(s) = Self::storage() {
            let _ = s.remove_item(key);
        }
    }
    fn notify(&self, title: &str, body: &str) {
        if !self.notifications_allowed() {
            return;
        }
        let opts = web_sys::NotificationOptions::new();
        opts.set_body(body);
        opts.set_tag("parley");
        let _ = web_sys::Notification::new_with_options(title, &opts);
    }
    fn notifications_allowed(&self) -> bool {
        has_notification_api()
            && web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
    }
    fn request_notifications(&self) {
        if has_notification_api() {
            let _ = web_sys::Notification::request_permission();
        }
    }
    fn open_url(&self, url: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.open_with_url_and_target_and_features(url, "_blank", "noopener");
        }
    }
}

/// Some browsers (and WebViews) have no `Notification` at all; calling it
/// would throw.
fn has_notification_api() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &wasm_bindgen::JsValue::from_str("Notification")).unwrap_or(false)
    })
}

/// Whether the page runs in the Tauri shell (`app.withGlobalTauri`).
pub fn in_tauri() -> bool {
    web_sys::window()
        .is_some_and(|w| js_sys::Reflect::has(&w, &JsValue::from_str("__TAURI__")).unwrap_or(false))
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(event: &str, handler: &js_sys::Function) -> Result<JsValue, JsValue>;
}

/// Calls a shell command with JSON arguments and decodes its JSON answer.
/// Errors are the command's message (commands return `Result<_, String>`).
pub async fn invoke<T: serde::de::DeserializeOwned>(
    cmd: &str,
    args: serde_json::Value,
) -> Result<T, String> {
    let out = invoke_js(cmd, args).await?;
    let text = if out.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(&out)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "null".into())
    };
    serde_json::from_str(&text).map_err(|e| format!("{cmd}: unexpected answer: {e}"))
}

/// Calls a shell command; its answer as the shell sent it, or its error.
async fn invoke_js(cmd: &str, args: serde_json::Value) -> Result<JsValue, String> {
    let args = js_sys::JSON::parse(&args.to_string()).map_err(|_| "bad arguments".to_owned())?;
    tauri_invoke(cmd, args).await.map_err(|e| {
        e.as_string()
            .unwrap_or_else(|| format!("{cmd} failed: {e:?}"))
    })
}

/// Calls a command whose answer does not matter; failures go to the console.
fn invoke_later(cmd: &'static str, args: serde_json::Value) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = invoke::<serde_json::Value>(cmd, args).await {
            web_sys::console::error_1(&format!("parley: {cmd}: {e}").into());
        }
    });
}

/// Runs `f` with each payload of the shell event `name`, for the app's life.
pub fn listen(name: &'static str, f: impl Fn(serde_json::Value) + 'static) {
    let cb = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload = js_sys::Reflect::get(&e, &JsValue::from_str("payload"))
            .ok()
            .and_then(|p| js_sys::JSON::stringify(&p).ok())
            .and_then(|s| s.as_string())
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null);
        f(payload);
    });
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = tauri_listen(name, cb.as_ref().unchecked_ref()).await {
            web_sys::console::error_2(&format!("parley: cannot listen to {name}").into(), &e);
        }
        // Listened to for the whole session.
        cb.forget();
    });
}

/// Calls a shell command that answers raw bytes (an `ArrayBuffer`).
async fn invoke_bytes(cmd: &str, args: serde_json::Value) -> Result<js_sys::ArrayBuffer, String> {
    invoke_js(cmd, args)
        .await?
        .dyn_into::<js_sys::ArrayBuffer>()
        .map_err(|_| format!("{cmd}: expected bytes"))
}

/// A `File` of `bytes`, as a file picker would give it (the type is left
/// to the server, which reads it from the bytes).
fn file_of(bytes: &js_sys::ArrayBuffer, name: &str) -> Option<web_sys::File> {
    web_sys::File::new_with_buffer_source_sequence(&js_sys::Array::of1(bytes), name).ok()
}

/// The shell's drops (`files.rs` there): hovering, then each dropped
/// file's bytes, read once by the id the drop granted.
fn receive_dropped_files() {
    listen("files-hover", |v| {
        deliver(Incoming::Hovering(v == serde_json::Value::Bool(true)))
    });
    listen("files-dropped", |v| {
        for r in v["refused"].as_array().cloned().unwrap_or_default() {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            deliver(Incoming::Unreadable(text("name"), text("why")));
        }
        let files = v["files"].as_array().cloned().unwrap_or_default();
        for f in files {
            let (Some(id), Some(name)) = (f["id"].as_u64(), f["name"].as_str().map(str::to_owned))
            else {
                continue;
            };
            wasm_bindgen_futures::spawn_local(async move {
                match invoke_bytes("dropped_file", serde_json::json!({ "id": id })).await {
                    Ok(bytes) => {
                        if let Some(file) = file_of(&bytes, &name) {
                            deliver(Incoming::File(file));
                        }
                    }
                    Err(e) => deliver(Incoming::Unreadable(name, e)),
                }
            });
        }
    });
}

/// Where a finished download's outcome goes, by the shell's id.
type SaveSink = Rc<dyn Fn(Saved)>;

thread_local! {
    static SAVING: RefCell<HashMap<u64, SaveSink>> = RefCell::new(HashMap::new());
    /// Outcomes that arrived before the command answered with their id.
    static SAVED_EARLY: RefCell<HashMap<u64, Saved>> = RefCell::new(HashMap::new());
}

/// The shell's `download-finished` events (`downloads.rs` there).
fn receive_downloads() {
    listen("download-finished", |v| {
        let Some(id) = v["id"].as_u64() else {
            return;
        };
        let saved = match (v["ok"].as_bool(), v["name"].as_str()) {
            (Some(true), Some(name)) => Saved::Done {
                id,
                name: name.to_owned(),
            },
            _ => Saved::Failed("The download did not finish.".into()),
        };
        match SAVING.with(|s| s.borrow_mut().remove(&id)) {
            Some(done) => done(saved),
            None => {
                SAVED_EARLY.with(|e| e.borrow_mut().insert(id, saved));
            }
        }
    });
}

/// Whether a link leaves the app: a web or mail address anywhere but the
/// app's own origin (`tauri://localhost`, `http://tauri.localhost`).
pub fn is_external(href: &str, app_origin: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    let outside = ["http://", "https://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s));
    let own = lower == app_origin || lower.starts_with(&format!("{app_origin}/"));
    outside && !own
}

/// Opens a web or mail address in the OS's browser or mail app through the
/// shell's opener plugin (its capability allows only http, https, mailto).
fn open_outside(url: &str) {
    invoke_later(
        "plugin:opener|open_url",
        serde_json::json!({ "url": url, "with": null }),
    );
}

/// The desktop window shows Parley and nothing else: a click on a link to
/// elsewhere opens it outside instead of navigating the webview away (which
/// would lose the session and have no way back). The shell also refuses such
/// navigations; this handles the click before it gets that far.
fn open_links_outside() {
    let Some(w) = web_sys::window() else { return };
    let Some(doc) = w.document() else { return };
    let origin = w
        .location()
        .origin()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cb = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
        let link = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
            .and_then(|a| a.get_attribute("href"));
        if let Some(href) = link.filter(|h| is_external(h, &origin)) {
            e.prevent_default();
            open_outside(&href);
        }
    });
    // Capture phase: before any handler that might follow the link.
    let _ =
        doc.add_event_listener_with_callback_and_bool("click", cb.as_ref().unchecked_ref(), true);
    // Listened to for the whole session.
    cb.forget();
}

/// Applies the saved zoom, then zooms on Ctrl/Cmd with +, - or 0 and saves
/// the level (see [`crate::zoom`]).
fn zoom_keys() {
    let level = Rc::new(Cell::new(crate::zoom::parse(
        BrowserPlatform.load(crate::zoom::KEY).as_deref(),
    )));
    set_zoom(level.get());
    let listener = crate::ui::shell::gloo_keydown(move |e: web_sys::KeyboardEvent| {
        let Some(z) = crate::zoom::from_key(&e.key(), e.ctrl_key() || e.meta_key()) else {
            return;
        };
        e.prevent_default();
        let next = crate::zoom::next(level.get(), z);
        level.set(next);
        BrowserPlatform.save(crate::zoom::KEY, &next.to_string());
        set_zoom(next);
    });
    // Listened to for the whole session.
    std::mem::forget(listener);
}

/// The webview's own zoom (the capability grants only this webview command).
fn set_zoom(level: f64) {
    invoke_later(
        "plugin:webview|set_webview_zoom",
        serde_json::json!({ "value": level }),
    );
}

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
        let server: Option<String> = invoke("server_get", serde_json::json!({})).await?;
        let mut p = TauriPlatform::default();
        if server.is_some() {
            for key in SECRET_KEYS {
                match invoke::<Option<String>>("token_get", serde_json::json!({ "key": key })).await
                {
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
            invoke_later(
                "token_set",
                serde_json::json!({ "key": key, "value": value }),
            );
        }
    }
    fn remove(&self, key: &str) {
        if !Self::is_secret(key) {
            return BrowserPlatform.remove(key);
        }
        self.secrets.borrow_mut().remove(key);
        if self.keychain_error.is_none() {
            invoke_later("token_delete", serde_json::json!({ "key": key }));
        }
    }
    fn notify(&self, title: &str, body: &str) {
        invoke_later(
            "notify",
            serde_json::json!({ "title": title, "body": body, "target": null }),
        );
    }
    fn notify_message(
        &self,
        title: &str,
        body: &str,
        channel: ChannelId,
        message: MessageId,
        seq: i64,
    ) {
        let target = serde_json::json!({
            "channel_id": channel.to_string(),
            "message_id": message.to_string(),
            "seq": seq,
        });
        invoke_later(
            "notify",
            serde_json::json!({ "title": title, "body": body, "target": target }),
        );
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
            match invoke_bytes("clipboard_image", serde_json::json!({})).await {
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
                Some(on) => invoke("autostart_set", serde_json::json!({ "on": on })).await,
                None => invoke("autostart_get", serde_json::json!({})).await,
            });
        });
    }
    fn download(&self, url: &str, done: Rc<dyn Fn(Saved)>) {
        let url = url.to_owned();
        wasm_bindgen_futures::spawn_local(async move {
            match invoke::<u64>("download", serde_json::json!({ "url": url })).await {
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
        invoke_later("download_show", serde_json::json!({ "id": id }));
    }
    fn set_counts(&self, unread: u64, mentions: u64, paused_until: Option<&str>) {
        invoke_later(
            "tray_set_counts",
            serde_json::json!({
                "unread": unread.min(u32::MAX.into()),
                "mentions": mentions.min(u32::MAX.into()),
                "pausedUntil": paused_until,
            }),
        );
    }
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
