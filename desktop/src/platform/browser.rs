//! The browser: tokens and settings in `localStorage`, the Web
//! Notifications API, links in a new tab. Storage may be refused (private
//! mode): then nothing is kept and the session lasts one tab.

use super::Platform;

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
