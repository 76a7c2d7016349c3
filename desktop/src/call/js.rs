//! The few browser calls web-sys does not type (or types only behind its
//! unstable flag): properties and methods reached by name, and JS objects
//! built from JSON, which keeps the shape of a dictionary readable.
//!
//! What must stay true: nothing here throws into Rust; a missing method or
//! property is `None`, so an older browser degrades instead of crashing.

use wasm_bindgen::{JsCast, JsValue};

/// A JS object from JSON (constraints, `RTCConfiguration`).
pub fn object(v: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

/// `obj[key]` as a string.
pub fn string(obj: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// `obj[key] = value`.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Whether `obj` has a `key` (own or inherited): a feature check.
pub fn has(obj: &JsValue, key: &str) -> bool {
    js_sys::Reflect::has(obj, &JsValue::from_str(key)).unwrap_or(false)
}

/// `obj.name(...args)`, if `obj` has such a method and it does not throw.
pub fn call(obj: &JsValue, name: &str, args: &[JsValue]) -> Option<JsValue> {
    let f = js_sys::Reflect::get(obj, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let list: js_sys::Array = args.iter().collect();
    f.apply(obj, &list).ok()
}

/// `obj.name(...args)` for a method answering a promise, settled in the
/// background.
pub fn call_async(obj: &JsValue, name: &str, args: &[JsValue], what: &'static str) {
    settle(call(obj, name, args).and_then(|p| p.dyn_into().ok()), what);
}

/// Waits on a promise in the background, ignoring how it ends (`play()`,
/// `replaceTrack()`): a rejection is logged as a warning, not left
/// unhandled.
pub fn settle(p: Option<js_sys::Promise>, what: &'static str) {
    let Some(p) = p else { return };
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = wasm_bindgen_futures::JsFuture::from(p).await {
            web_sys::console::warn_2(&JsValue::from_str(what), &e);
        }
    });
}

/// What a rejected media request says, for a person.
pub fn media_error(e: &JsValue, device: &str) -> String {
    let name = string(e, "name").unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" => format!("Parley may not use your {device}: allow it in the browser."),
        "NotFoundError" | "OverconstrainedError" => format!("No {device} was found."),
        "NotReadableError" | "AbortError" => {
            format!("Your {device} is in use by another app.")
        }
        _ => string(e, "message")
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("The {device} did not start.")),
    }
}

/// A `blob:` URL of a JPEG picture (a video frame, a screen's thumbnail),
/// revoked when dropped: each frame makes a new one, and an unrevoked URL
/// keeps its picture in memory for the page's life.
pub struct BlobUrl(String);

impl BlobUrl {
    /// The URL of `bytes` as a JPEG; None when empty (no picture) or when
    /// the page refuses the blob.
    pub fn jpeg(bytes: &js_sys::ArrayBuffer) -> Option<BlobUrl> {
        if bytes.byte_length() == 0 {
            return None;
        }
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("image/jpeg");
        let blob = web_sys::Blob::new_with_buffer_source_sequence_and_options(
            &js_sys::Array::of1(bytes),
            &opts,
        )
        .ok()?;
        web_sys::Url::create_object_url_with_blob(&blob)
            .ok()
            .map(BlobUrl)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for BlobUrl {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}
