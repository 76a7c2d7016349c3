//! Files dropped anywhere on the page (or, in the desktop app, on the
//! window) go to the channel's composer; the thread pane has its own
//! paperclip. Only a drag of files shows the overlay.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api::Api;
use crate::platform::{self, Incoming};
use crate::ui::files::{listen, start_upload, upload_all, upload_refused, Uploads};

/// Whether a drag carries files (not text or a link).
fn carries_files(e: &web_sys::DragEvent) -> bool {
    e.data_transfer()
        .is_some_and(|dt| dt.types().includes(&"Files".into(), 0))
}

/// Receives the page's (and the shell's) drops while `main` (the channel's
/// composer, not a thread's) is on screen.
#[hook]
pub fn use_page_drops(
    api: Api,
    uploads: UseReducerDispatcher<Uploads>,
    dragging: UseStateHandle<bool>,
    main: bool,
) {
    use_effect_with(main, move |main| {
        let listeners = main.then(|| {
            let (to_api, to_uploads, d) = (api.clone(), uploads.clone(), dragging.clone());
            platform::receive_incoming(Some(Rc::new(move |incoming| match incoming {
                Incoming::Hovering(over) => d.set(over),
                Incoming::File(f) => start_upload(&to_api, f, to_uploads.clone()),
                Incoming::Unreadable(name, why) => upload_refused(name, why, &to_uploads),
            })));
            let d = dragging.clone();
            let over = listen("dragover", move |e| {
                if e.dyn_ref::<web_sys::DragEvent>().is_some_and(carries_files) {
                    e.prevent_default();
                    d.set(true);
                }
            });
            let d = dragging.clone();
            let leave = listen("dragleave", move |e| {
                // Leaving the window reports no related target. Only
                // a drag of files: the desktop shell's native drags
                // reach WebKitGTK's page as link drags, which must not
                // hide the overlay the shell asked for.
                let out = e
                    .dyn_ref::<web_sys::DragEvent>()
                    .is_some_and(|e| e.related_target().is_none() && carries_files(e));
                if out {
                    d.set(false);
                }
            });
            let drop = listen("drop", move |e| {
                dragging.set(false);
                let files = e
                    .dyn_ref::<web_sys::DragEvent>()
                    .and_then(|e| e.data_transfer())
                    .and_then(|dt| dt.files());
                if let Some(files) = files {
                    e.prevent_default();
                    upload_all(&api, &files, &uploads);
                }
            });
            (over, leave, drop)
        });
        move || {
            if listeners.is_some() {
                platform::receive_incoming(None);
            }
            drop(listeners)
        }
    });
}
