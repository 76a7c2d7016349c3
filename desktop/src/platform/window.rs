//! What the desktop window does around the page: links to elsewhere open
//! outside, Ctrl/Cmd zoom keys, the shell's native file drops and finished
//! downloads. Installed once at start by `TauriPlatform::boot`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use parley_shared::ipc::{self, event};
use wasm_bindgen::prelude::*;

use super::bridge::{file_of, invoke_bytes, invoke_later, listen};
use super::{deliver, BrowserPlatform, Incoming, Platform, Saved};

/// The shell's drops (`files.rs` there): hovering, then each dropped
/// file's bytes, read once by the id the drop granted.
pub(super) fn receive_dropped_files() {
    listen(event::FILES_HOVER, |v| {
        deliver(Incoming::Hovering(v == serde_json::Value::Bool(true)))
    });
    listen(event::FILES_DROPPED, |v| {
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
                match invoke_bytes(&ipc::DroppedFile { id }).await {
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
pub(super) type SaveSink = Rc<dyn Fn(Saved)>;

thread_local! {
    pub(super) static SAVING: RefCell<HashMap<u64, SaveSink>> = RefCell::new(HashMap::new());
    /// Outcomes that arrived before the command answered with their id.
    pub(super) static SAVED_EARLY: RefCell<HashMap<u64, Saved>> = RefCell::new(HashMap::new());
}

/// The shell's `download-finished` events (`downloads.rs` there).
pub(super) fn receive_downloads() {
    listen(event::DOWNLOAD_FINISHED, |v| {
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
pub(super) fn open_outside(url: &str) {
    invoke_later(ipc::OpenUrl {
        url: url.to_owned(),
        with: None,
    });
}

/// The desktop window shows Parley and nothing else: a click on a link to
/// elsewhere opens it outside instead of navigating the webview away (which
/// would lose the session and have no way back). The shell also refuses such
/// navigations; this handles the click before it gets that far.
pub(super) fn open_links_outside() {
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
pub(super) fn zoom_keys() {
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
    invoke_later(ipc::SetWebviewZoom { value: level });
}
