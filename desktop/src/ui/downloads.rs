//! Files saved from messages, and the image viewer.
//!
//! "Download" on a file card (or in the viewer) goes through
//! [`Platform::download`](crate::platform::Platform::download): the desktop
//! app saves into the Downloads folder and a card in the corner says what
//! is being saved, where it went ("Show in folder") or that it failed; a
//! browser saves it itself, with no card.

use std::rc::Rc;

use parley_shared::api::FileInfo;
use parley_shared::FileId;
use yew::prelude::*;

use crate::api::Api;
use crate::app::use_ctx;
use crate::platform::{Saved, SharedPlatform};
use crate::ui::common::{dismissers, icon};
use crate::ui::files::{human_size, link};

#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    Saving,
    Saved { id: u64, name: String },
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Save {
    /// This list's own key (the shell's id comes later).
    pub key: u64,
    /// The file's name in the message.
    pub name: String,
    pub state: SaveState,
}

/// The saves on screen, oldest first.
#[derive(Debug, Default, PartialEq)]
pub struct Saves {
    pub list: Vec<Save>,
}

pub enum SaveAction {
    /// A save under a new key, of a file so named.
    Start(u64, String),
    /// How the save of that key ended.
    Ended(u64, Saved),
    Dismiss(u64),
}

/// At most this many cards: older ones make room.
const SHOWN: usize = 4;

impl Reducible for Saves {
    type Action = SaveAction;
    fn reduce(self: Rc<Self>, action: SaveAction) -> Rc<Self> {
        let mut list = self.list.clone();
        match action {
            SaveAction::Start(key, name) => {
                list.push(Save {
                    key,
                    name,
                    state: SaveState::Saving,
                });
                if list.len() > SHOWN {
                    list.remove(0);
                }
            }
            SaveAction::Ended(key, saved) => {
                let state = match saved {
                    Saved::Done { id, name } => Some(SaveState::Saved { id, name }),
                    Saved::Failed(why) => Some(SaveState::Failed(why)),
                    Saved::Outside => None,
                };
                match state {
                    Some(state) => {
                        if let Some(s) = list.iter_mut().find(|s| s.key == key) {
                            s.state = state;
                        }
                    }
                    None => list.retain(|s| s.key != key),
                }
            }
            SaveAction::Dismiss(key) => list.retain(|s| s.key != key),
        }
        Rc::new(Saves { list })
    }
}

/// Opens a file's link outside the app (a browser saves or shows it).
pub fn open_file(api: &Api, platform: &SharedPlatform, id: FileId) {
    let (api, platform) = (api.clone(), platform.clone());
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(l) = link(&api, id).await {
            platform.open_url(&l.url);
        }
    });
}

/// Saves `file`: asks for a fresh link, then hands it to the platform
/// (a card tells how it goes where the platform saves it itself).
pub fn save_file(
    api: &Api,
    platform: &SharedPlatform,
    file: &FileInfo,
    saves: &UseReducerHandle<Saves>,
) {
    if !platform.saves_downloads() {
        return open_file(api, platform, file.id);
    }
    thread_local! {
        static KEYS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    let key = KEYS.with(|k| {
        k.set(k.get() + 1);
        k.get()
    });
    saves.dispatch(SaveAction::Start(key, file.name.clone()));
    let (api, platform, id, saves) = (api.clone(), platform.clone(), file.id, saves.dispatcher());
    wasm_bindgen_futures::spawn_local(async move {
        let Some(l) = link(&api, id).await else {
            saves.dispatch(SaveAction::Ended(
                key,
                Saved::Failed("The server gave no link to it.".into()),
            ));
            return;
        };
        let dispatch = saves.clone();
        platform.download(
            &l.url,
            Rc::new(move |saved| dispatch.dispatch(SaveAction::Ended(key, saved))),
        );
    });
}

/// How long a finished save's card stays (a failure's stays until closed).
const SAVED_SHOWN_MS: u32 = 15_000;

#[derive(Properties, PartialEq)]
pub struct SaveListProps {
    pub saves: UseReducerHandle<Saves>,
}

/// The cards in the corner.
#[function_component(SaveList)]
pub fn save_list(p: &SaveListProps) -> Html {
    let ctx = use_ctx();
    if p.saves.list.is_empty() {
        return html! {};
    }
    let cards = p.saves.list.iter().map(|s| {
        let dismiss = {
            let (saves, key) = (p.saves.dispatcher(), s.key);
            Callback::from(move |_: MouseEvent| saves.dispatch(SaveAction::Dismiss(key)))
        };
        let (text, action, class) = match &s.state {
            SaveState::Saving => (format!("Saving {}…", s.name), html! {}, "saving"),
            SaveState::Saved { id, name } => {
                let show = {
                    let (platform, id) = (ctx.platform().clone(), *id);
                    Callback::from(move |_: MouseEvent| platform.show_download(id))
                };
                (
                    format!("{name} saved to Downloads"),
                    html! { <button class="link-btn save-show" onclick={show}>{ "Show in folder" }</button> },
                    "saved",
                )
            }
            SaveState::Failed(why) => (
                format!("Could not save {}. {why}", s.name),
                html! {},
                "failed",
            ),
        };
        html! {
            <li class={classes!("save", class)} key={s.key} role="status">
                <span class="save-text">{ text }</span>
                { action }
                <button class="icon-btn" aria-label="Dismiss" onclick={dismiss}>{ icon("x") }</button>
            </li>
        }
    });
    html! { <ul class="saves" id="saves">{ for cards }</ul> }
}

/// Drops finished saves' cards after a while.
#[hook]
pub fn use_expiring_saves(saves: &UseReducerHandle<Saves>) {
    let done: Vec<u64> = saves
        .list
        .iter()
        .filter(|s| matches!(s.state, SaveState::Saved { .. }))
        .map(|s| s.key)
        .collect();
    let dispatch = saves.dispatcher();
    use_effect_with(done, move |done| {
        let timers: Vec<gloo_timers::callback::Timeout> = done
            .iter()
            .map(|key| {
                let (dispatch, key) = (dispatch.clone(), *key);
                gloo_timers::callback::Timeout::new(SAVED_SHOWN_MS, move || {
                    dispatch.dispatch(SaveAction::Dismiss(key))
                })
            })
            .collect();
        move || drop(timers)
    });
}

#[derive(Properties, PartialEq)]
pub struct ImageViewerProps {
    pub file: FileInfo,
    pub on_close: Callback<()>,
    /// Where "Download" reports.
    pub saves: UseReducerHandle<Saves>,
}

/// An image at full size over the dimmed page; Esc, the close button or a
/// click beside the image closes it.
#[function_component(ImageViewer)]
pub fn image_viewer(p: &ImageViewerProps) -> Html {
    let ctx = use_ctx();
    let url = use_state(|| None::<String>);
    {
        let (api, url, id) = (ctx.api.clone(), url.clone(), p.file.id);
        use_effect_with(id, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                url.set(link(&api, id).await.map(|l| l.url));
            });
        });
    }
    use_effect_with((), |_| crate::ui::focus_id("image-viewer"));
    let (on_backdrop, on_key) = dismissers("viewer-stage", &p.on_close);
    let download = {
        let (ctx, file, saves) = (ctx.clone(), p.file.clone(), p.saves.clone());
        Callback::from(move |_: MouseEvent| {
            save_file(&ctx.api, ctx.platform(), &file, &saves);
        })
    };
    let open = {
        let (platform, url) = (ctx.platform().clone(), url.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(u) = &*url {
                platform.open_url(u);
            }
        })
    };
    let close = p.on_close.clone();
    let f = &p.file;
    let size = match (f.width, f.height) {
        (Some(w), Some(h)) => format!("{w} × {h} · {}", human_size(f.size)),
        _ => human_size(f.size),
    };
    html! {
        <div class="backdrop viewer" id="image-viewer" tabindex="-1" role="dialog" aria-modal="true"
             aria-label={f.name.clone()} onkeydown={on_key}>
            <header class="viewer-bar">
                <span class="viewer-name" title={f.name.clone()}>{ f.name.clone() }</span>
                <span class="muted small">{ size }</span>
                <span class="spacer"></span>
                // A browser saves from the image's own tab.
                if ctx.platform().saves_downloads() {
                    <button class="btn" id="viewer-download" onclick={download}>{ icon("down") }{ " Download" }</button>
                    <button class="btn" id="viewer-open" onclick={open} disabled={url.is_none()}>{ "Open in browser" }</button>
                } else {
                    <button class="btn" id="viewer-open" onclick={open} disabled={url.is_none()}>{ "Open original" }</button>
                }
                <button class="icon-btn" aria-label="Close" onclick={move |_| close.emit(())}>{ icon("x") }</button>
            </header>
            <div class="viewer-stage" onclick={on_backdrop}>
                if let Some(src) = &*url {
                    <img src={src.clone()} alt={f.name.clone()} id="viewer-image" />
                } else {
                    <span class="boot-spinner" aria-label="Loading"></span>
                }
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(s: Rc<Saves>, a: SaveAction) -> Rc<Saves> {
        s.reduce(a)
    }

    #[test]
    fn saves_start_end_and_make_room() {
        let mut s = Rc::new(Saves::default());
        for (k, n) in ["a.pdf", "b.pdf", "c.pdf", "d.pdf", "e.pdf"]
            .iter()
            .enumerate()
        {
            s = reduce(s, SaveAction::Start(k as u64 + 1, (*n).into()));
        }
        let names: Vec<&str> = s.list.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["b.pdf", "c.pdf", "d.pdf", "e.pdf"]);
        s = reduce(
            s,
            SaveAction::Ended(
                2,
                Saved::Done {
                    id: 7,
                    name: "b (1).pdf".into(),
                },
            ),
        );
        assert_eq!(
            s.list[0].state,
            SaveState::Saved {
                id: 7,
                name: "b (1).pdf".into()
            }
        );
        s = reduce(s, SaveAction::Ended(3, Saved::Failed("no".into())));
        assert_eq!(s.list[1].state, SaveState::Failed("no".into()));
        // Handed to the browser: no card.
        s = reduce(s, SaveAction::Ended(4, Saved::Outside));
        assert_eq!(s.list.len(), 3);
        s = reduce(s, SaveAction::Dismiss(2));
        let keys: Vec<u64> = s.list.iter().map(|x| x.key).collect();
        assert_eq!(keys, [3, 5]);
    }
}
