//! Web Push: registers the service worker (`/sw.js`) and subscribes this
//! browser with the server's VAPID key, so mentions and DMs arrive as system
//! notifications even when no Parley tab is open. The server sends pushes
//! only to people with no open session; while a tab is open, the WebSocket's
//! NOTIFICATION frames are shown instead.

use parley_shared::api::{PushSubscriptionRequest, VapidKey};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::api::Api;

/// Decodes unpadded base64url (the VAPID key's encoding).
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = s.trim_end_matches('=').as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let full = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&full[..chunk.len() - 1]);
    }
    Some(out)
}

/// Whether this browser can do Web Push at all.
pub fn supported() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let has = |obj: &wasm_bindgen::JsValue, name: &str| {
        js_sys::Reflect::has(obj, &wasm_bindgen::JsValue::from_str(name)).unwrap_or(false)
    };
    has(&w.navigator(), "serviceWorker") && has(&w, "PushManager") && w.is_secure_context()
}

/// Asks for notification permission (a browser prompt); true if granted.
pub async fn request_permission() -> bool {
    let Ok(p) = web_sys::Notification::request_permission() else {
        return false;
    };
    JsFuture::from(p)
        .await
        .ok()
        .and_then(|v| v.as_string())
        .is_some_and(|s| s == "granted")
}

async fn registration() -> Result<web_sys::ServiceWorkerRegistration, String> {
    let w = web_sys::window().ok_or("no window")?;
    let sw = w.navigator().service_worker();
    JsFuture::from(sw.register("/sw.js"))
        .await
        .map_err(|e| format!("service worker: {e:?}"))?;
    let ready = sw.ready().map_err(|e| format!("{e:?}"))?;
    JsFuture::from(ready)
        .await
        .map_err(|e| format!("{e:?}"))?
        .dyn_into::<web_sys::ServiceWorkerRegistration>()
        .map_err(|_| "not a registration".to_owned())
}

/// Subscribes (or renews) this browser and tells the server.
pub async fn subscribe(api: &Api) -> Result<(), String> {
    if !supported() {
        return Err("This browser does not support push notifications".into());
    }
    let key: VapidKey = api.vapid_key().await.map_err(|e| e.message)?;
    let key = base64url_decode(&key.public_key).ok_or("bad VAPID key")?;
    let reg = registration().await?;
    let manager = reg.push_manager().map_err(|e| format!("{e:?}"))?;
    let opts = web_sys::PushSubscriptionOptionsInit::new();
    opts.set_user_visible_only(true);
    opts.set_application_server_key(&js_sys::Uint8Array::from(key.as_slice()).into());
    let promise = manager
        .subscribe_with_options(&opts)
        .map_err(|e| format!("{e:?}"))?;
    let sub: web_sys::PushSubscription = JsFuture::from(promise)
        .await
        .map_err(|e| format!("push service: {e:?}"))?
        .unchecked_into();
    let json = sub.to_json().map_err(|e| format!("{e:?}"))?;
    let text = js_sys::JSON::stringify(&json)
        .map_err(|e| format!("{e:?}"))?
        .as_string()
        .unwrap_or_default();
    let body: PushSubscriptionRequest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    api.add_push_subscription(&body)
        .await
        .map_err(|e| e.message)
}

/// Stops pushes to this browser (sign-out, or notifications turned off).
pub async fn unsubscribe(api: &Api) {
    if !supported() {
        return;
    }
    let Some(sw) = web_sys::window().map(|w| w.navigator().service_worker()) else {
        return;
    };
    let Ok(reg) = JsFuture::from(sw.get_registration()).await else {
        return;
    };
    let Ok(reg) = reg.dyn_into::<web_sys::ServiceWorkerRegistration>() else {
        return;
    };
    let Ok(manager) = reg.push_manager() else {
        return;
    };
    let Ok(p) = manager.get_subscription() else {
        return;
    };
    let Ok(sub) = JsFuture::from(p).await else {
        return;
    };
    let Ok(sub) = sub.dyn_into::<web_sys::PushSubscription>() else {
        return;
    };
    let _ = api.remove_push_subscription(&sub.endpoint()).await;
    if let Ok(p) = sub.unsubscribe() {
        let _ = JsFuture::from(p).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_known_values() {
        assert_eq!(base64url_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64url_decode("_-8").as_deref(), Some(&[0xff, 0xef][..]));
        assert_eq!(base64url_decode("AAAA").as_deref(), Some(&[0, 0, 0][..]));
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("a*"), None);
        // A VAPID public key is an uncompressed P-256 point: 65 bytes.
        let key = "BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U";
        let bytes = base64url_decode(key).expect("valid");
        assert_eq!(bytes.len(), 65);
        assert_eq!(bytes[0], 4);
    }
}
