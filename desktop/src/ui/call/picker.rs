//! The desktop app's screen share picker: the screens and windows the
//! engine can share, each with its name, size and a thumbnail; choosing
//! one shares it. (A browser shows its own picker instead.)
//!
//! What must stay true: the picker only lists and reports the choice, the
//! call client shares it; a thumbnail's `blob:` URL lives exactly as long
//! as its button (revoked when the dialog closes).

use std::rc::Rc;

use parley_shared::ipc::{ScreenSource, SourceKind};
use yew::prelude::*;

use crate::app::use_ctx;
use crate::call::BlobUrl;
use crate::ui::common::{ErrorBanner, Modal};

#[derive(Properties, PartialEq)]
pub struct ScreenPickerProps {
    /// None while the engine is listing them.
    pub sources: Option<Result<Vec<ScreenSource>, String>>,
    /// The chosen source's id.
    pub on_pick: Callback<String>,
    pub on_close: Callback<()>,
}

#[function_component(ScreenPicker)]
pub fn screen_picker(p: &ScreenPickerProps) -> Html {
    let body = match &p.sources {
        None => html! { <p class="muted">{ "Looking for screens and windows…" }</p> },
        Some(Err(e)) => html! { <ErrorBanner message={e.clone()} /> },
        Some(Ok(list)) if list.is_empty() => {
            html! { <p class="muted">{ "There is no screen or window to share." }</p> }
        }
        Some(Ok(list)) => {
            let group = |kind: SourceKind, title: &'static str| {
                let of_kind: Vec<&ScreenSource> = list.iter().filter(|s| s.kind == kind).collect();
                if of_kind.is_empty() {
                    return html! {};
                }
                html! {
                    <section class="screen-group">
                        <h3>{ title }</h3>
                        <div class="screen-sources">
                            { for of_kind.into_iter().map(|s| html! {
                                <SourceChoice key={s.id.clone()} source={s.clone()} on_pick={p.on_pick.clone()} />
                            }) }
                        </div>
                    </section>
                }
            };
            html! {
                <>
                    { group(SourceKind::Screen, "Screens") }
                    { group(SourceKind::Window, "Windows") }
                </>
            }
        }
    };
    html! {
        <Modal title="Share your screen" wide=true on_close={p.on_close.clone()}>
            <div class="screen-picker" id="screen-picker">{ body }</div>
        </Modal>
    }
}

#[derive(Properties, PartialEq)]
struct SourceChoiceProps {
    source: ScreenSource,
    on_pick: Callback<String>,
}

/// One screen or window: its thumbnail, fetched once it shows.
#[function_component(SourceChoice)]
fn source_choice(p: &SourceChoiceProps) -> Html {
    let ctx = use_ctx();
    let thumb = use_state(|| None::<Rc<BlobUrl>>);
    {
        let (calls, thumb) = (ctx.calls.clone(), thumb.clone());
        use_effect_with(p.source.id.clone(), move |id| {
            if let Some(engine) = calls.engine() {
                let wanted = engine.source_thumbnail(id.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(url) = wanted.await {
                        thumb.set(Some(Rc::new(url)));
                    }
                });
            }
        });
    }
    let s = &p.source;
    let pick = {
        let (on_pick, id) = (p.on_pick.clone(), s.id.clone());
        Callback::from(move |_: MouseEvent| on_pick.emit(id.clone()))
    };
    html! {
        <button type="button" class="screen-source" data-source-id={s.id.clone()}
            title={s.name.clone()} onclick={pick}>
            <span class="screen-thumb">
                if let Some(url) = &*thumb {
                    <img src={url.as_str().to_owned()} alt="" />
                }
            </span>
            <span class="screen-name">{ s.name.clone() }</span>
            <span class="screen-size muted small">{ format!("{} × {}", s.width, s.height) }</span>
        </button>
    }
}
