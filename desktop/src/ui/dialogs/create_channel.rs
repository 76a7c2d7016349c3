//! The create-a-channel dialog: name (validated as typed, with the name it
//! will get), topic and privacy; a taken name is told apart from other errors.

use parley_shared::api::{ChannelKind, CreateChannelRequest};
use parley_shared::validate;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{go_channel, CloseProps};
use crate::app::use_ctx;
use crate::store::Action;
use crate::ui::common::{ErrorBanner, Modal};
use crate::ui::target_value;

#[function_component(CreateChannel)]
pub fn create_channel(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let name = use_state(String::new);
    let topic = use_state(String::new);
    let private = use_state(|| false);
    let error = use_state(|| None::<String>);
    let touched = use_state(|| false);
    use_effect_with((), |_| crate::ui::focus_id("channel-name-input"));
    let name_err = if *touched || !name.is_empty() {
        validate::channel_name(&name)
            .err()
            .map(|e| format!("Name {}", e.message))
    } else {
        None
    };
    let preview = validate::channel_name(&name).ok();
    let submit = {
        let (ctx, nav, name, topic, private, error, touched, close) = (
            ctx.clone(),
            nav.clone(),
            name.clone(),
            topic.clone(),
            private.clone(),
            error.clone(),
            touched.clone(),
            p.on_close.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            touched.set(true);
            let Ok(n) = validate::channel_name(&name) else {
                return;
            };
            let Some(ws) = ctx.state().workspace else {
                error.set(Some("Pick a workspace first".into()));
                return;
            };
            let body = CreateChannelRequest {
                name: n,
                kind: if *private {
                    ChannelKind::Private
                } else {
                    ChannelKind::Public
                },
                topic: Some(topic.trim().to_owned()).filter(|t| !t.is_empty()),
                purpose: None,
                member_ids: Vec::new(),
            };
            let (ctx, nav, error, close) = (ctx.clone(), nav.clone(), error.clone(), close.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.create_channel(ws, &body).await {
                    Ok(c) => {
                        let id = c.id;
                        ctx.dispatch(Action::ChannelUpsert(c));
                        close.emit(());
                        go_channel(&nav, id);
                    }
                    Err(e) if e.code == Some(parley_shared::ErrorCode::Conflict) => {
                        error.set(Some("A channel with this name already exists".into()))
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    html! {
        <Modal title="Create a channel" on_close={p.on_close.clone()}>
            <form onsubmit={submit} class="form">
                if let Some(e) = (*error).clone() { <ErrorBanner message={e} /> }
                <div class={classes!("field", name_err.is_some().then_some("invalid"))}>
                    <label for="channel-name-input">{ "Name" }</label>
                    <div class="input-prefix"><span>{ "#" }</span>
                        <input id="channel-name-input" placeholder="e.g. plan-budget" value={(*name).clone()}
                            oninput={let n = name.clone(); move |e: InputEvent| n.set(target_value(&e))}
                            onblur={let t = touched.clone(); move |_| t.set(true)} />
                    </div>
                    if let Some(e) = name_err { <div class="field-error">{ e }</div> }
                    else if let Some(pv) = preview.filter(|pv| *pv != name.trim()) { <div class="field-hint">{ format!("Will be created as #{pv}") }</div> }
                </div>
                <div class="field">
                    <label for="channel-topic-input">{ "Topic " }<span class="muted">{ "(optional)" }</span></label>
                    <input id="channel-topic-input" value={(*topic).clone()} oninput={let t = topic.clone(); move |e: InputEvent| t.set(target_value(&e))} />
                </div>
                <label class="check">
                    <input type="checkbox" checked={*private} onchange={let pr = private.clone(); move |_| pr.set(!*pr)} />
                    <span><strong>{ "Make private" }</strong><br/><span class="muted">{ "Only invited members can see it." }</span></span>
                </label>
                <div class="form-actions">
                    <button type="button" class="btn" onclick={let c = p.on_close.clone(); move |_| c.emit(())}>{ "Cancel" }</button>
                    <button type="submit" class="btn primary" id="create-channel-submit">{ "Create" }</button>
                </div>
            </form>
        </Modal>
    }
}
