//! The new-message dialog: pick up to `GROUP_DM_MAX_PEOPLE - 1` people from
//! the workspaces' members and open (or create) the DM with them.

use parley_shared::api::{CreateDmRequest, User};
use parley_shared::ws::PresenceStatus;
use parley_shared::{validate, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{go_channel, CloseProps};
use crate::app::use_ctx;
use crate::store::Action;
use crate::ui::common::{icon, Avatar, ErrorBanner, Modal};
use crate::ui::target_value;
use crate::util;

#[function_component(NewDm)]
pub fn new_dm(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let filter = use_state(String::new);
    let picked = use_state(Vec::<UserId>::new);
    let error = use_state(|| None::<String>);
    use_effect_with((), |_| crate::ui::focus_id("dm-filter"));
    let state = ctx.state();
    let me = state.me_id();
    let mut people: Vec<User> = state
        .members
        .values()
        .flat_map(|m| m.iter().copied())
        .filter(|u| Some(*u) != me)
        .filter_map(|u| state.users.get(&u).cloned())
        .collect();
    people.sort_by(|a, b| a.username.cmp(&b.username));
    people.dedup_by(|a, b| a.id == b.id);
    let f = filter.to_lowercase();
    people.retain(|u| {
        u.username.contains(f.as_str()) || u.display_name.to_lowercase().contains(f.as_str())
    });
    let start = {
        let (ctx, nav, picked, error, close) = (
            ctx.clone(),
            nav.clone(),
            picked.clone(),
            error.clone(),
            p.on_close.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if picked.is_empty() {
                return;
            }
            let body = CreateDmRequest {
                user_ids: (*picked).clone(),
            };
            let (ctx, nav, error, close) = (ctx.clone(), nav.clone(), error.clone(), close.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.create_dm(&body).await {
                    Ok(c) => {
                        let id = c.id;
                        ctx.dispatch(Action::ChannelUpsert(c));
                        crate::app::subscribe_presence(&ctx.ws);
                        close.emit(());
                        go_channel(&nav, id);
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let max = validate::GROUP_DM_MAX_PEOPLE - 1;
    html! {
        <Modal title="New message" on_close={p.on_close.clone()}>
            if let Some(e) = (*error).clone() { <ErrorBanner message={e} /> }
            <div class="chips">
                { for picked.iter().filter_map(|id| state.users.get(id)).map(|u| {
                    let (picked, id) = (picked.clone(), u.id);
                    html! { <button class="chip" onclick={move |_| { let mut v = (*picked).clone(); v.retain(|x| *x != id); picked.set(v); }}>
                        { util::display_name(u) }{ icon("x") }</button> }
                }) }
                <input id="dm-filter" class="chip-input" placeholder="Type a name" aria-label="Find people" value={(*filter).clone()}
                    oninput={let fl = filter.clone(); move |e: InputEvent| fl.set(target_value(&e))} />
            </div>
            <ul class="pick-list" role="list">
                { for people.iter().take(50).map(|u| {
                    let on = picked.contains(&u.id);
                    let (picked, id, filter) = (picked.clone(), u.id, filter.clone());
                    let st = state.presence.get(&u.id).copied().unwrap_or(PresenceStatus::Offline);
                    html! {
                        <li>
                            <button class={classes!("pick-row", on.then_some("on"))} aria-pressed={on.to_string()} onclick={move |_| {
                                let mut v = (*picked).clone();
                                if v.contains(&id) { v.retain(|x| *x != id); } else if v.len() < max { v.push(id); }
                                picked.set(v);
                                filter.set(String::new());
                            }}>
                                <Avatar user={u.clone()} size={28} presence={Some(st)} />
                                <span class="opt-name">{ util::display_name(u) }</span>
                                <span class="muted grow">{ format!("@{}", u.username) }</span>
                                if on { <span class="tag">{ "✓" }</span> }
                            </button>
                        </li>
                    }
                }) }
            </ul>
            <div class="form-actions">
                <span class="muted small grow">{ format!("Up to {max} people") }</span>
                <button class="btn primary" disabled={picked.is_empty()} onclick={start} id="start-dm">{ "Start conversation" }</button>
            </div>
        </Modal>
    }
}
