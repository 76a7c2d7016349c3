//! Where the UI runs: the browser today, the Tauri shell later.
//!
//! Everything that differs between the two (where tokens are kept, how a
//! notification is shown, how an external link opens) goes through
//! [`Platform`], so the rest of the UI never calls a browser-only API for
//! these. The desktop shell adds its own implementation (keychain,
//! notify-rust) without touching the components.

use std::rc::Rc;

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

#[cfg(test)]
mod tests {
    use super::*;

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
