//! Uploads (with a progress bar) and attachments (image thumbnails, file
//! cards).
//!
//! Uploads use `XMLHttpRequest` because `fetch` reports no upload progress.
//! Attachment links need the bearer token, which an `<img src>` cannot
//! send, so images ask `/files/{id}/link` for short-lived token-free links
//! and cache them until shortly before they expire.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use parley_shared::api::{FileInfo, FileLink};
use parley_shared::FileId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api::{error_from, now_ms, Api, UploadRoute};
use crate::app::use_ctx;
use crate::ui::common::icon;
use crate::ui::downloads::{open_file, save_file};
use crate::ui::shell::{Dialog, UiCtx};

/// "1.4 MB".
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// One file on its way up, as the composer shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub key: u32,
    pub name: String,
    pub size: u64,
    /// 0.0 to 1.0.
    pub progress: f64,
    pub done: Option<FileInfo>,
    pub error: Option<String>,
}

pub enum UploadAction {
    Add(Upload),
    Progress(u32, f64),
    Done(u32, FileInfo),
    Failed(u32, String),
    Remove(u32),
    Clear,
}

#[derive(Default, PartialEq)]
pub struct Uploads(pub Vec<Upload>);

impl Reducible for Uploads {
    type Action = UploadAction;
    fn reduce(self: Rc<Self>, action: UploadAction) -> Rc<Self> {
        let mut v = self.0.clone();
        match action {
            UploadAction::Add(u) => v.push(u),
            UploadAction::Progress(k, p) => {
                if let Some(u) = v.iter_mut().find(|u| u.key == k) {
                    u.progress = p;
                }
            }
            UploadAction::Done(k, info) => {
                if let Some(u) = v.iter_mut().find(|u| u.key == k) {
                    u.progress = 1.0;
                    u.done = Some(info);
                }
            }
            UploadAction::Failed(k, e) => {
                if let Some(u) = v.iter_mut().find(|u| u.key == k) {
                    u.error = Some(e);
                }
            }
            UploadAction::Remove(k) => v.retain(|u| u.key != k),
            UploadAction::Clear => v.clear(),
        }
        Rc::new(Uploads(v))
    }
}

thread_local! {
    static NEXT_KEY: RefCell<u32> = const { RefCell::new(1) };
    static LINKS: RefCell<HashMap<FileId, (FileLink, f64)>> = RefCell::new(HashMap::new());
}

/// Sends `file` as the multipart field `file` with the bearer token.
/// `progress` gets 0.0–1.0; `done` gets the 2xx body or a message to show.
pub fn send_file(
    api: &Api,
    route: UploadRoute,
    file: web_sys::File,
    progress: Rc<dyn Fn(f64)>,
    done: Rc<dyn Fn(Result<String, String>)>,
) {
    let api = api.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let Some(token) = api.access_token().await else {
            return done(Err("Signed out".into()));
        };
        let (Ok(xhr), Ok(form)) = (web_sys::XmlHttpRequest::new(), web_sys::FormData::new()) else {
            return done(Err("This browser cannot upload files".into()));
        };
        if form
            .append_with_blob_and_filename("file", &file, &file.name())
            .is_err()
            || xhr
                .open_with_async(route.method(), &api.url(route.path()), true)
                .is_err()
            || xhr
                .set_request_header("Authorization", &format!("Bearer {token}"))
                .is_err()
        {
            return done(Err("Could not start the upload".into()));
        }
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    progress(e.loaded() / e.total());
                }
            });
        if let Ok(up) = xhr.upload() {
            up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        let (d, x) = (done.clone(), xhr.clone());
        let on_load = Closure::<dyn FnMut()>::new(move || {
            let status = x.status().unwrap_or(0);
            let body = x.response_text().ok().flatten().unwrap_or_default();
            if (200..300).contains(&status) {
                d(Ok(body));
            } else {
                let e = error_from(status, &body);
                d(Err(match e.code {
                    Some(parley_shared::ErrorCode::PayloadTooLarge) => {
                        "This file is too large".to_owned()
                    }
                    Some(parley_shared::ErrorCode::UnsupportedMediaType) => {
                        "This kind of file can't be uploaded".to_owned()
                    }
                    _ => e.message,
                }));
            }
        });
        let d = done.clone();
        let on_error =
            Closure::<dyn FnMut()>::new(move || d(Err("The upload was interrupted".into())));
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        if xhr.send_with_opt_form_data(Some(&form)).is_err() {
            return done(Err("Could not start the upload".into()));
        }
        // The request owns nothing on the Rust side: keep the callbacks for
        // its lifetime (one upload, a few hundred bytes).
        on_progress.forget();
        on_load.forget();
        on_error.forget();
    });
}

fn next_key() -> u32 {
    NEXT_KEY.with(|k| {
        let mut k = k.borrow_mut();
        *k += 1;
        *k
    })
}

/// Shows a file that could not even start uploading (a dropped file the
/// desktop could not read), so it is not silently missing.
pub fn upload_refused(name: String, why: String, dispatch: &UseReducerDispatcher<Uploads>) {
    dispatch.dispatch(UploadAction::Add(Upload {
        key: next_key(),
        name,
        size: 0,
        progress: 0.0,
        done: None,
        error: Some(why),
    }));
}

/// Starts uploading an attachment; progress and the result go to `dispatch`.
pub fn start_upload(api: &Api, file: web_sys::File, dispatch: UseReducerDispatcher<Uploads>) {
    let key = next_key();
    dispatch.dispatch(UploadAction::Add(Upload {
        key,
        name: file.name(),
        size: file.size() as u64,
        progress: 0.0,
        done: None,
        error: None,
    }));
    let d = dispatch.clone();
    let progress = Rc::new(move |p| d.dispatch(UploadAction::Progress(key, p)));
    let done = Rc::new(move |r: Result<String, String>| match r {
        Ok(body) => match serde_json::from_str::<FileInfo>(&body) {
            Ok(info) => dispatch.dispatch(UploadAction::Done(key, info)),
            Err(_) => dispatch.dispatch(UploadAction::Failed(
                key,
                "Unexpected answer from the server".into(),
            )),
        },
        Err(m) => dispatch.dispatch(UploadAction::Failed(key, m)),
    });
    send_file(api, UploadRoute::File, file, progress, done);
}

/// Uploads every file of a picker, a drop or a paste.
pub fn upload_all(api: &Api, files: &web_sys::FileList, dispatch: &UseReducerDispatcher<Uploads>) {
    for i in 0..files.length() {
        if let Some(f) = files.item(i) {
            start_upload(api, f, dispatch.clone());
        }
    }
}

/// Token-free links for a file, cached until a minute before they expire.
pub async fn link(api: &Api, id: FileId) -> Option<FileLink> {
    let cached = LINKS.with(|l| l.borrow().get(&id).cloned());
    if let Some((link, until)) = cached {
        if until > now_ms() {
            return Some(link);
        }
    }
    let mut link: FileLink = api.file_link(id).await.ok()?;
    link.url = api.resolve(&link.url);
    link.thumbnail_url = link.thumbnail_url.map(|t| api.resolve(&t));
    let until =
        now_ms() + ((link.expires_at.millis() as f64 - now_ms()).max(0.0) - 60_000.0).max(0.0);
    LINKS.with(|l| l.borrow_mut().insert(id, (link.clone(), until)));
    Some(link)
}

pub fn is_image(f: &FileInfo) -> bool {
    f.content_type.starts_with("image/")
}

#[derive(Properties, PartialEq)]
pub struct AttachmentProps {
    pub file: FileInfo,
}

/// An image thumbnail (click opens the full image) or a file card.
#[function_component(Attachment)]
pub fn attachment(p: &AttachmentProps) -> Html {
    let ctx = use_ctx();
    let link = use_state(|| None::<FileLink>);
    let thumb_failed = use_state(|| false);
    let f = &p.file;
    let image = is_image(f);
    {
        let (api, link, id) = (ctx.api.clone(), link.clone(), f.id);
        use_effect_with(id, move |_| {
            if image {
                wasm_bindgen_futures::spawn_local(async move {
                    link.set(crate::ui::files::link(&api, id).await);
                });
            }
        });
    }
    // In the shell an image opens in the viewer and a file is saved (the
    // desktop app: into Downloads); elsewhere the link opens.
    let ui = use_context::<UiCtx>();
    let open = {
        let (api, platform, file) = (ctx.api.clone(), ctx.platform().clone(), f.clone());
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            match &ui {
                Some(ui) if image => ui.show(Dialog::Image(file.clone())),
                Some(ui) => save_file(&api, &platform, &file, &ui.saves),
                None => open_file(&api, &platform, file.id),
            }
        })
    };
    if image {
        // Keep the layout stable while the link loads: the box has the
        // image's aspect ratio from its stored size.
        let (w, h) = match (f.width, f.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => {
                let scale = (360.0 / f64::from(w.max(h))).min(1.0);
                ((f64::from(w) * scale) as u32, (f64::from(h) * scale) as u32)
            }
            _ => (240, 180),
        };
        let style = format!("width:{w}px;aspect-ratio:{w}/{h}");
        let src = link.as_ref().map(|l| {
            if *thumb_failed {
                l.url.clone()
            } else {
                l.thumbnail_url.clone().unwrap_or_else(|| l.url.clone())
            }
        });
        let on_error = {
            let t = thumb_failed.clone();
            Callback::from(move |_: Event| t.set(true))
        };
        return html! {
            <button class="attach-image" {style} onclick={open} aria-label={format!("Open image {}", f.name)} title={f.name.clone()}>
                if let Some(src) = src {
                    <img {src} alt={f.name.clone()} loading="lazy" onerror={on_error} />
                }
            </button>
        };
    }
    html! {
        <button class="attach-file" onclick={open} aria-label={format!("Download {}", f.name)}>
            <span class="file-icon">{ icon("paperclip") }</span>
            <span class="file-text">
                <span class="file-name">{ f.name.clone() }</span>
                <span class="muted small">{ format!("{} · {}", human_size(f.size), f.content_type) }</span>
            </span>
            <span class="file-dl">{ icon("down") }</span>
        </button>
    }
}

/// A document-level listener for one event type, removed on drop.
pub struct DocListener {
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for DocListener {
    fn drop(&mut self) {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let _ = doc.remove_event_listener_with_callback(
                self.kind,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

pub fn listen(kind: &'static str, f: impl FnMut(web_sys::Event) + 'static) -> DocListener {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = doc.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    }
    DocListener { kind, closure }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1_400_000), "1.4 MB");
        assert_eq!(human_size(2_000), "2.0 KB");
    }
}
