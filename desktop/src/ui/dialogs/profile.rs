//! The profile dialog: someone else's card with a Message button, or your
//! own profile, status, photo and the sign-out button.

use parley_shared::api::{CreateDmRequest, UpdateStatusRequest, UpdateUserRequest, User};
use parley_shared::ws::PresenceStatus;
use parley_shared::{validate, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use super::go_channel;
use crate::app::use_ctx;
use crate::store::Action;
use crate::ui::common::{icon, Avatar, ErrorBanner, Modal, PresenceDot};
use crate::ui::target_value;
use crate::util;

#[derive(Properties, PartialEq)]
pub struct ProfileProps {
    pub user: UserId,
    pub on_close: Callback<()>,
}

#[function_component(ProfileDialog)]
pub fn profile_dialog(p: &ProfileProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let state = ctx.state();
    let me = state.me_id();
    let mine = me == Some(p.user);
    let user = state.users.get(&p.user).cloned();
    let display = use_state(|| {
        user.as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    });
    let bio = use_state(|| user.as_ref().map(|u| u.bio.clone()).unwrap_or_default());
    let status_text = use_state(|| {
        user.as_ref()
            .and_then(|u| u.status.as_ref())
            .map(|s| s.text.clone())
            .unwrap_or_default()
    });
    let status_emoji = use_state(|| {
        user.as_ref()
            .and_then(|u| u.status.as_ref())
            .and_then(|s| s.emoji.clone())
            .unwrap_or_default()
    });
    let error = use_state(|| None::<String>);
    let saved = use_state(|| false);
    let photo_busy = use_state(|| false);
    let photo_error = use_state(|| None::<String>);
    let Some(user) = user else {
        return html! { <Modal title="Profile" on_close={p.on_close.clone()}><p class="muted">{ "Unknown user" }</p></Modal> };
    };
    let st = state.presence.get(&user.id).copied().unwrap_or(if mine {
        PresenceStatus::Online
    } else {
        PresenceStatus::Offline
    });
    let header = html! {
        <div class="profile-head">
            <Avatar user={user.clone()} size={72} />
            <div>
                <div class="profile-name">{ util::display_name(&user) }</div>
                <div class="muted">{ format!("@{}", user.username) }</div>
                <div class="profile-presence"><PresenceDot status={st} />{ format!(" {st:?}") }</div>
                if let Some(s) = &user.status {
                    <div class="profile-status">{ format!("{} {}", s.emoji.as_deref().map(util::emoji_glyph).unwrap_or_default(), s.text) }</div>
                }
            </div>
        </div>
    };
    if !mine {
        let message = {
            let (ctx, nav, id, close) = (ctx.clone(), nav.clone(), user.id, p.on_close.clone());
            Callback::from(move |_: MouseEvent| {
                let (ctx, nav, close) = (ctx.clone(), nav.clone(), close.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(c) = ctx
                        .api
                        .create_dm(&CreateDmRequest { user_ids: vec![id] })
                        .await
                    {
                        let cid = c.id;
                        ctx.dispatch(Action::ChannelUpsert(c));
                        close.emit(());
                        go_channel(&nav, cid);
                    }
                });
            })
        };
        return html! {
            <Modal title="Profile" on_close={p.on_close.clone()}>
                { header }
                if !user.bio.is_empty() { <p class="profile-bio">{ user.bio.clone() }</p> }
                <div class="form-actions"><button class="btn primary" onclick={message} id="profile-message">{ "Message" }</button></div>
            </Modal>
        };
    }
    let save = {
        let (ctx, display, bio, status_text, status_emoji, error, saved, id) = (
            ctx.clone(),
            display.clone(),
            bio.clone(),
            status_text.clone(),
            status_emoji.clone(),
            error.clone(),
            saved.clone(),
            user.id,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !display.trim().is_empty() {
                if let Err(e) = validate::display_name(&display) {
                    error.set(Some(format!("Name {}", e.message)));
                    return;
                }
            }
            if let Err(e) = validate::optional_text("text", &status_text, validate::STATUS_TEXT_MAX)
            {
                error.set(Some(format!("Status {}", e.message)));
                return;
            }
            let emoji = status_emoji.trim().to_owned();
            if !emoji.is_empty() {
                if let Err(e) = validate::emoji("emoji", &emoji) {
                    error.set(Some(format!("Status emoji {}", e.message)));
                    return;
                }
            }
            let (ctx, error, saved) = (ctx.clone(), error.clone(), saved.clone());
            let profile = UpdateUserRequest {
                display_name: Some(display.trim().to_owned()).filter(|s| !s.is_empty()),
                bio: Some(bio.trim().to_owned()),
                timezone: None,
            };
            let status = UpdateStatusRequest {
                text: status_text.trim().to_owned(),
                emoji: Some(emoji).filter(|e| !e.is_empty()),
                expires_at: None,
            };
            wasm_bindgen_futures::spawn_local(async move {
                let r1 = ctx.api.update_user(id, &profile).await;
                let r2 = ctx.api.update_status(id, &status).await;
                match (r1, r2) {
                    (Ok(_), Ok(_)) => {
                        if let Ok(u) = ctx.api.user(id).await {
                            ctx.dispatch(Action::Event(Box::new(
                                parley_shared::ws::ServerEvent::UserUpdated(u),
                            )));
                        }
                        error.set(None);
                        saved.set(true);
                    }
                    (Err(e), _) | (_, Err(e)) => error.set(Some(e.message)),
                }
            });
        })
    };
    let on_photo = {
        let (ctx, photo_busy, photo_error) = (ctx.clone(), photo_busy.clone(), photo_error.clone());
        Callback::from(move |e: Event| {
            use wasm_bindgen::JsCast;
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.item(0)) else {
                return;
            };
            input.set_value("");
            photo_busy.set(true);
            let (ctx2, busy, err) = (ctx.clone(), photo_busy.clone(), photo_error.clone());
            crate::ui::files::send_file(
                &ctx.api,
                crate::api::UploadRoute::Avatar,
                file,
                std::rc::Rc::new(|_| ()),
                std::rc::Rc::new(move |r: Result<String, String>| {
                    busy.set(false);
                    match r
                        .and_then(|b| serde_json::from_str::<User>(&b).map_err(|e| e.to_string()))
                    {
                        Ok(u) => {
                            err.set(None);
                            ctx2.dispatch(Action::Event(Box::new(
                                parley_shared::ws::ServerEvent::UserUpdated(u),
                            )));
                        }
                        Err(m) => err.set(Some(m)),
                    }
                }),
            );
        })
    };
    let remove_photo = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(u) = ctx.api.delete_avatar().await {
                    ctx.dispatch(Action::Event(Box::new(
                        parley_shared::ws::ServerEvent::UserUpdated(u),
                    )));
                }
            });
        })
    };
    let logout = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // This browser must stop receiving the account's pushes.
                crate::push::unsubscribe(&ctx.api).await;
                ctx.ws.stop();
                ctx.api.logout().await;
                ctx.dispatch(Action::SignedOut);
            });
        })
    };
    html! {
        <Modal title="Your profile" on_close={p.on_close.clone()}>
            { header }
            <div class="photo-row">
                <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" id="avatar-file" class="hidden-file" onchange={on_photo} />
                <label for="avatar-file" class="btn small" role="button">{ if *photo_busy { "Uploading…" } else { "Upload a photo" } }</label>
                if user.avatar_url.is_some() {
                    <button type="button" class="btn small" onclick={remove_photo}>{ "Remove photo" }</button>
                }
                if let Some(e) = (*photo_error).clone() { <span class="field-error">{ e }</span> }
            </div>
            <form class="form" onsubmit={save}>
                if let Some(e) = (*error).clone() { <ErrorBanner message={e} /> }
                <div class="field">
                    <label for="p-name">{ "Full name" }</label>
                    <input id="p-name" value={(*display).clone()} oninput={let d = display.clone(); move |e: InputEvent| d.set(target_value(&e))} />
                </div>
                <div class="field">
                    <label for="p-status">{ "Status" }</label>
                    <div class="status-row">
                        <input id="p-emoji" class="emoji-input" placeholder="🙂" aria-label="Status emoji" value={(*status_emoji).clone()}
                            oninput={let s = status_emoji.clone(); move |e: InputEvent| s.set(target_value(&e))} />
                        <input id="p-status" placeholder="What's your status?" value={(*status_text).clone()}
                            oninput={let s = status_text.clone(); move |e: InputEvent| s.set(target_value(&e))} />
                    </div>
                    <div class="presets">
                        { for [("📅", "In a meeting"), ("🚌", "Commuting"), ("🤒", "Out sick"), ("🌴", "Vacationing"), ("🏠", "Working remotely")].iter().map(|(e, t)| {
                            let (se, stx) = (status_emoji.clone(), status_text.clone());
                            html! { <button type="button" class="chip" onclick={move |_| { se.set((*e).to_owned()); stx.set((*t).to_owned()); }}>{ format!("{e} {t}") }</button> }
                        }) }
                        <button type="button" class="chip" onclick={let (se, stx) = (status_emoji.clone(), status_text.clone()); move |_| { se.set(String::new()); stx.set(String::new()); }}>{ "Clear status" }</button>
                    </div>
                </div>
                <div class="field">
                    <label for="p-bio">{ "About" }</label>
                    <textarea id="p-bio" rows="3" value={(*bio).clone()} oninput={let b = bio.clone(); move |e: InputEvent| b.set(crate::ui::input_value(&e))} />
                </div>
                <div class="form-actions">
                    <button type="button" class="btn danger-outline" onclick={logout} id="sign-out">{ icon("logout") }{ "Sign out" }</button>
                    <span class="grow"></span>
                    if *saved { <span class="muted small">{ "Saved" }</span> }
                    <button type="submit" class="btn primary">{ "Save" }</button>
                </div>
            </form>
        </Modal>
    }
}
