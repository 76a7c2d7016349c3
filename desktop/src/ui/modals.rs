//! Dialogs: create, browse, edit, archive and leave channels; invite
//! people; start a DM; profile and status; settings; the quick switcher.

use std::rc::Rc;

use parley_shared::api::{
    Channel, ChannelKind, CreateChannelRequest, CreateDmRequest, CreateInviteRequest, Invite,
    NotifyLevel, Preferences, Theme, UpdateChannelRequest, UpdatePreferencesRequest,
    UpdateStatusRequest, UpdateUserRequest, User,
};
use parley_shared::ws::PresenceStatus;
use parley_shared::{validate, ChannelId, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{use_ctx, Route};
use crate::store::Action;
use crate::ui::common::{icon, Avatar, ErrorBanner, Modal, PresenceDot};
use crate::ui::{apply_theme, target_value};
use crate::util;

#[derive(Properties, PartialEq)]
pub struct CloseProps {
    pub on_close: Callback<()>,
}

fn go_channel(nav: &Option<Navigator>, id: ChannelId) {
    if let Some(nav) = nav {
        nav.push(&Route::Channel { id: id.to_string() });
    }
}

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
                match ctx
                    .api
                    .post::<_, Channel>(&format!("/workspaces/{ws}/channels"), &body)
                    .await
                {
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

#[function_component(BrowseChannels)]
pub fn browse_channels(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let filter = use_state(String::new);
    let state = ctx.state();
    let f = filter.to_lowercase();
    let list: Vec<&Channel> = state
        .workspace_channels()
        .into_iter()
        .filter(|c| c.name.contains(f.as_str()) || c.topic.to_lowercase().contains(f.as_str()))
        .collect();
    html! {
        <Modal title="Browse channels" on_close={p.on_close.clone()}>
            <input class="wide-input" placeholder="Search channels" aria-label="Search channels" value={(*filter).clone()}
                oninput={let fl = filter.clone(); move |e: InputEvent| fl.set(target_value(&e))} />
            <ul class="pick-list" role="list">
                { for list.into_iter().map(|c| {
                    let (nav, id, close) = (nav.clone(), c.id, p.on_close.clone());
                    html! {
                        <li>
                            <button class="pick-row" onclick={move |_| { close.emit(()); go_channel(&nav, id); }}>
                                <span class="side-glyph">{ if c.kind == ChannelKind::Private { icon("lock") } else { icon("hash") } }</span>
                                <span class="opt-name">{ c.name.clone() }</span>
                                <span class="muted grow">{ c.topic.clone() }</span>
                                <span class="muted">{ format!("{} members", c.member_count) }</span>
                                if c.is_member { <span class="tag">{ "Joined" }</span> }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </Modal>
    }
}

#[function_component(InviteDialog)]
pub fn invite_dialog(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let invite = use_state(|| None::<Result<Invite, String>>);
    let copied = use_state(|| false);
    let ws = ctx.state().workspace;
    {
        let (ctx, invite) = (ctx.clone(), invite.clone());
        use_effect_with(ws, move |ws| {
            if let Some(ws) = *ws {
                wasm_bindgen_futures::spawn_local(async move {
                    let body = CreateInviteRequest {
                        max_uses: None,
                        expires_in_hours: Some(24 * 7),
                    };
                    let r = ctx
                        .api
                        .post::<_, Invite>(&format!("/workspaces/{ws}/invites"), &body)
                        .await;
                    invite.set(Some(r.map_err(|e| {
                        if e.status == 403 {
                            "Only workspace admins can invite people.".to_owned()
                        } else {
                            e.message
                        }
                    })));
                });
            }
        });
    }
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let name = ctx
        .state()
        .workspaces
        .iter()
        .find(|w| Some(w.id) == ws)
        .map(|w| w.name.clone())
        .unwrap_or_default();
    html! {
        <Modal title={format!("Invite people to {name}")} on_close={p.on_close.clone()}>
            { match &*invite {
                None => html! { <p class="muted">{ "Creating an invite link…" }</p> },
                Some(Err(e)) => html! { <ErrorBanner message={e.clone()} /> },
                Some(Ok(inv)) => {
                    let code = inv.code.clone().unwrap_or_default();
                    let link = format!("{origin}/invite/{code}");
                    let copy = {
                        let (link, copied) = (link.clone(), copied.clone());
                        Callback::from(move |_: MouseEvent| {
                            if let Some(w) = web_sys::window() {
                                let _ = w.navigator().clipboard().write_text(&link);
                            }
                            copied.set(true);
                        })
                    };
                    html! { <>
                        <p class="muted">{ "Anyone with this link can join for the next 7 days." }</p>
                        <div class="copy-row">
                            <input readonly=true value={link.clone()} id="invite-link" aria-label="Invite link" />
                            <button class="btn primary" onclick={copy}>{ if *copied { "Copied" } else { "Copy link" } }</button>
                        </div>
                        <p class="muted small">{ "Invite code: " }<code id="invite-code-value">{ code }</code></p>
                    </> }
                }
            } }
        </Modal>
    }
}

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
                match ctx.api.post::<_, Channel>("/dm", &body).await {
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
                        .post::<_, Channel>("/dm", &CreateDmRequest { user_ids: vec![id] })
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
                let r1 = ctx
                    .api
                    .put::<_, User>(&format!("/users/{id}"), &profile)
                    .await;
                let r2 = ctx
                    .api
                    .put::<_, serde_json::Value>(&format!("/users/{id}/status"), &status)
                    .await;
                match (r1, r2) {
                    (Ok(_), Ok(_)) => {
                        if let Ok(u) = ctx.api.get::<User>(&format!("/users/{id}")).await {
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
                "PUT",
                "/users/me/avatar",
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
                if let Ok(u) = ctx
                    .api
                    .raw::<()>("DELETE", "/users/me/avatar", None)
                    .await
                    .and_then(|b| {
                        serde_json::from_str::<User>(&b).map_err(|e| crate::api::ApiError {
                            status: 0,
                            code: None,
                            message: e.to_string(),
                        })
                    })
                {
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

#[function_component(SettingsDialog)]
pub fn settings_dialog(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let prefs = ctx.state().me.as_ref().map(|m| m.preferences.clone());
    let error = use_state(|| None::<String>);
    // The account's preference once known; before that, the local one.
    let theme = prefs.as_ref().map_or(*ctx.theme, |p| p.theme);
    let notify_level = prefs.as_ref().map_or(NotifyLevel::All, |p| p.notify_level);
    let desktop = ctx.platform().load("parley.notify").as_deref() != Some("off")
        && ctx.platform().notifications_allowed();
    let refresh = use_state(|| 0u32);
    let save = {
        let (ctx, error) = (ctx.clone(), error.clone());
        move |theme: Theme, level: NotifyLevel| {
            let (ctx, error) = (ctx.clone(), error.clone());
            ctx.theme.set(theme);
            apply_theme(theme);
            ctx.platform()
                .save("parley.theme", crate::ui::theme_name(theme));
            wasm_bindgen_futures::spawn_local(async move {
                let mute_until = ctx
                    .state()
                    .me
                    .as_ref()
                    .and_then(|m| m.preferences.mute_until);
                let body = UpdatePreferencesRequest {
                    theme,
                    notify_level: level,
                    mute_until,
                    keywords: None,
                };
                match ctx
                    .api
                    .put::<_, Preferences>("/users/me/preferences", &body)
                    .await
                {
                    Ok(prefs) => {
                        if let Some(mut me) = ctx.state().me.clone() {
                            me.preferences = prefs;
                            ctx.dispatch(Action::SignedIn(Box::new(me)));
                        }
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        }
    };
    let theme_btn = |t: Theme, label: &'static str, id: &'static str| {
        let save = save.clone();
        html! {
            <button type="button" class={classes!("seg", (theme == t).then_some("on"))} aria-pressed={(theme == t).to_string()} {id}
                onclick={move |_| save(t, notify_level)}>{ label }</button>
        }
    };
    let level_btn = |l: NotifyLevel, label: &'static str| {
        let save = save.clone();
        html! {
            <button type="button" class={classes!("seg", (notify_level == l).then_some("on"))} aria-pressed={(notify_level == l).to_string()}
                onclick={move |_| save(theme, l)}>{ label }</button>
        }
    };
    let keywords = use_state(|| {
        prefs
            .as_ref()
            .map(|p| p.keywords.join(", "))
            .unwrap_or_default()
    });
    let keywords_saved = use_state(|| false);
    let save_keywords = {
        let (ctx, error, keywords, saved) = (
            ctx.clone(),
            error.clone(),
            keywords.clone(),
            keywords_saved.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (ctx, error, keywords, saved) =
                (ctx.clone(), error.clone(), keywords.clone(), saved.clone());
            let list: Vec<String> = keywords
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect();
            wasm_bindgen_futures::spawn_local(async move {
                let Some(current) = ctx.state().me.as_ref().map(|m| m.preferences.clone()) else {
                    return;
                };
                let body = UpdatePreferencesRequest {
                    theme: current.theme,
                    notify_level: current.notify_level,
                    mute_until: current.mute_until,
                    keywords: Some(list),
                };
                match ctx
                    .api
                    .put::<_, Preferences>("/users/me/preferences", &body)
                    .await
                {
                    Ok(prefs) => {
                        keywords.set(prefs.keywords.join(", "));
                        error.set(None);
                        saved.set(true);
                        if let Some(mut me) = ctx.state().me.clone() {
                            me.preferences = prefs;
                            ctx.dispatch(Action::SignedIn(Box::new(me)));
                        }
                    }
                    Err(e) => {
                        saved.set(false);
                        error.set(Some(e.message));
                    }
                }
            });
        })
    };
    let push_note = use_state(|| None::<String>);
    let toggle_desktop = {
        let (ctx, refresh, push_note) = (ctx.clone(), refresh.clone(), push_note.clone());
        Callback::from(move |_: MouseEvent| {
            let (ctx, refresh, push_note) = (ctx.clone(), refresh.clone(), push_note.clone());
            if desktop {
                ctx.platform().save("parley.notify", "off");
                wasm_bindgen_futures::spawn_local(async move {
                    crate::push::unsubscribe(&ctx.api).await;
                    refresh.set(*refresh + 1);
                });
                return;
            }
            ctx.platform().save("parley.notify", "on");
            if ctx.platform().native_notifications() {
                // The desktop app shows OS notifications itself: no browser
                // permission to ask for, no Web Push.
                refresh.set(*refresh + 1);
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                // Asked from the click, as browsers require.
                if crate::push::request_permission().await {
                    // Push also reaches you with every Parley tab closed;
                    // without it, notifications still work while one is open.
                    match crate::push::subscribe(&ctx.api).await {
                        Ok(()) => push_note.set(None),
                        Err(e) => push_note.set(Some(format!(
                            "Notifications work while Parley is open; push is unavailable ({e})."
                        ))),
                    }
                } else {
                    push_note.set(Some(
                        "Notifications are blocked for this site in your browser settings.".into(),
                    ));
                }
                refresh.set(*refresh + 1);
            });
        })
    };
    // The desktop app only: whether it opens at login.
    let at_login = use_state(|| None::<bool>);
    {
        let (platform, at_login, error) = (ctx.platform().clone(), at_login.clone(), error.clone());
        use_effect_with((), move |_| {
            platform.open_at_login(
                None,
                Rc::new(move |r| match r {
                    Ok(on) => at_login.set(Some(on)),
                    Err(e) => error.set(Some(format!("Opening at login: {e}"))),
                }),
            );
        });
    }
    let toggle_at_login = {
        let (platform, at_login, error) = (ctx.platform().clone(), at_login.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(on) = *at_login else { return };
            let (at_login, error) = (at_login.clone(), error.clone());
            platform.open_at_login(
                Some(!on),
                Rc::new(move |r| match r {
                    Ok(now) => at_login.set(Some(now)),
                    Err(e) => error.set(Some(format!("Opening at login: {e}"))),
                }),
            );
        })
    };
    html! {
        <Modal title="Preferences" on_close={p.on_close.clone()}>
            if let Some(e) = (*error).clone() { <ErrorBanner message={e} /> }
            <section class="setting">
                <h3>{ "Theme" }</h3>
                <div class="segmented" role="group" aria-label="Theme">
                    { theme_btn(Theme::Light, "Light", "theme-light") }
                    { theme_btn(Theme::Dark, "Dark", "theme-dark") }
                    { theme_btn(Theme::System, "System", "theme-system") }
                </div>
            </section>
            <section class="setting">
                <h3>{ "Notify me about" }</h3>
                <div class="segmented" role="group" aria-label="Notification level">
                    { level_btn(NotifyLevel::All, "All messages") }
                    { level_btn(NotifyLevel::Mentions, "Mentions & DMs") }
                    { level_btn(NotifyLevel::None, "Nothing") }
                </div>
            </section>
            <section class="setting">
                <h3><label for="keywords">{ "My keywords" }</label></h3>
                <form class="form keywords-form" onsubmit={save_keywords}>
                    <p class="muted small">{ "Words or phrases that notify you like a mention, in any channel you're in. Separate them with commas." }</p>
                    <div class="status-row">
                        <input id="keywords" placeholder="deploy, on call, release" value={(*keywords).clone()}
                            oninput={let (k, s) = (keywords.clone(), keywords_saved.clone()); move |e: InputEvent| { s.set(false); k.set(target_value(&e)); }} />
                        <button type="submit" class="btn small" id="save-keywords">{ "Save" }</button>
                    </div>
                    if *keywords_saved { <span class="muted small">{ "Saved" }</span> }
                </form>
            </section>
            <section class="setting">
                <h3>{ "Desktop notifications" }</h3>
                <label class="check">
                    <input type="checkbox" checked={desktop} onclick={toggle_desktop} />
                    <span>{ "Show a notification when I'm mentioned, get a direct message or one of my keywords comes up, while away from the conversation" }</span>
                </label>
                if let Some(n) = (*push_note).clone() { <p class="muted small">{ n }</p> }
            </section>
            if let Some(on) = *at_login {
                <section class="setting">
                    <h3>{ "Starting" }</h3>
                    <label class="check">
                        <input type="checkbox" id="open-at-login" checked={on} onclick={toggle_at_login} />
                        <span>{ "Open Parley when I log in (it waits in the tray)" }</span>
                    </label>
                </section>
            }
        </Modal>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChannelSettingsProps {
    pub channel: ChannelId,
    pub on_close: Callback<()>,
}

#[function_component(ChannelSettings)]
pub fn channel_settings(p: &ChannelSettingsProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let channel = ctx.state().channels.get(&p.channel).cloned();
    let name = use_state(|| channel.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let topic = use_state(|| {
        channel
            .as_ref()
            .map(|c| c.topic.clone())
            .unwrap_or_default()
    });
    let purpose = use_state(|| {
        channel
            .as_ref()
            .map(|c| c.purpose.clone())
            .unwrap_or_default()
    });
    let error = use_state(|| None::<String>);
    let Some(channel) = channel else {
        return html! {};
    };
    let id = channel.id;
    let save = {
        let (ctx, name, topic, purpose, error, close, old) = (
            ctx.clone(),
            name.clone(),
            topic.clone(),
            purpose.clone(),
            error.clone(),
            p.on_close.clone(),
            channel.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let n = match validate::channel_name(&name) {
                Ok(n) => n,
                Err(e) => {
                    error.set(Some(format!("Name {}", e.message)));
                    return;
                }
            };
            if let Err(e) = validate::topic(&topic) {
                error.set(Some(format!("Topic {}", e.message)));
                return;
            }
            let body = UpdateChannelRequest {
                name: (n != old.name).then_some(n),
                topic: (topic.trim() != old.topic).then(|| topic.trim().to_owned()),
                purpose: (purpose.trim() != old.purpose).then(|| purpose.trim().to_owned()),
            };
            let (ctx, error, close) = (ctx.clone(), error.clone(), close.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ctx
                    .api
                    .put::<_, Channel>(&format!("/channels/{id}"), &body)
                    .await
                {
                    Ok(c) => {
                        ctx.dispatch(Action::Event(Box::new(
                            parley_shared::ws::ServerEvent::ChannelUpdated(c),
                        )));
                        close.emit(());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let leave = {
        let (ctx, nav, close) = (ctx.clone(), nav.clone(), p.on_close.clone());
        Callback::from(move |_: MouseEvent| {
            let (ctx, nav, close) = (ctx.clone(), nav.clone(), close.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if ctx
                    .api
                    .call::<()>("POST", &format!("/channels/{id}/leave"), None)
                    .await
                    .is_ok()
                {
                    if let Ok(c) = ctx.api.get::<Channel>(&format!("/channels/{id}")).await {
                        ctx.dispatch(Action::ChannelUpsert(c));
                    } else {
                        ctx.dispatch(Action::ChannelRemoved(id));
                    }
                    close.emit(());
                    if let Some(nav) = nav {
                        nav.push(&Route::Home);
                    }
                }
            });
        })
    };
    let archive = {
        let (ctx, nav, close, error) =
            (ctx.clone(), nav.clone(), p.on_close.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let ok = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message("Archive this channel for everyone?")
                        .ok()
                })
                .unwrap_or(false);
            if !ok {
                return;
            }
            let (ctx, nav, close, error) = (ctx.clone(), nav.clone(), close.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ctx
                    .api
                    .call::<()>("DELETE", &format!("/channels/{id}"), None)
                    .await
                {
                    Ok(()) => {
                        ctx.dispatch(Action::ChannelRemoved(id));
                        close.emit(());
                        if let Some(nav) = nav {
                            nav.push(&Route::Home);
                        }
                    }
                    Err(e) => error.set(Some(if e.status == 403 {
                        "Only channel or workspace admins can archive a channel.".into()
                    } else {
                        e.message
                    })),
                }
            });
        })
    };
    // This channel's notification override (None = follow the global level).
    let pref = ctx.state().me.as_ref().and_then(|m| {
        m.preferences
            .channels
            .iter()
            .find(|c| c.channel_id == id)
            .cloned()
    });
    let level = pref.as_ref().and_then(|p| p.notify_level);
    let muted = pref
        .as_ref()
        .and_then(|p| p.muted_until)
        .is_some_and(|t| t > crate::ui::now());
    let set_pref = {
        let (ctx, error) = (ctx.clone(), error.clone());
        move |notify_level: Option<NotifyLevel>, mute: bool| {
            let (ctx, error) = (ctx.clone(), error.clone());
            // "Muted" has no end in the UI: ten years is forever enough.
            let muted_until = mute.then(|| {
                parley_shared::Timestamp::from_millis(
                    crate::ui::now().millis() + 10 * 365 * 86_400_000,
                )
            });
            let body = parley_shared::api::UpdateChannelPreferenceRequest {
                notify_level,
                muted_until,
            };
            wasm_bindgen_futures::spawn_local(async move {
                match ctx
                    .api
                    .put::<_, Preferences>(&format!("/users/me/preferences/channels/{id}"), &body)
                    .await
                {
                    Ok(prefs) => {
                        if let Some(mut me) = crate::app::latest().0.me.clone() {
                            me.preferences = prefs;
                            ctx.dispatch(Action::SignedIn(Box::new(me)));
                        }
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
        }
    };
    let level_btn = |l: Option<NotifyLevel>, label: &'static str| {
        let set_pref = set_pref.clone();
        html! {
            <button type="button" class={classes!("seg", (level == l).then_some("on"))} aria-pressed={(level == l).to_string()}
                onclick={move |_| set_pref(l, muted)}>{ label }</button>
        }
    };
    let toggle_mute = {
        let set_pref = set_pref.clone();
        Callback::from(move |_: MouseEvent| set_pref(level, !muted))
    };
    html! {
        <Modal title={format!("#{} settings", channel.name)} on_close={p.on_close.clone()}>
            <form class="form" onsubmit={save}>
                if let Some(e) = (*error).clone() { <ErrorBanner message={e} /> }
                <section class="setting">
                    <h3>{ "Notifications for this channel" }</h3>
                    <div class="segmented" role="group" aria-label="Channel notifications">
                        { level_btn(None, "Default") }
                        { level_btn(Some(NotifyLevel::All), "All") }
                        { level_btn(Some(NotifyLevel::Mentions), "Mentions") }
                        { level_btn(Some(NotifyLevel::None), "Nothing") }
                    </div>
                    <label class="check mute-check">
                        <input type="checkbox" checked={muted} onclick={toggle_mute} id="mute-channel" />
                        <span>{ "Mute: no notifications, and the channel stays quiet in the sidebar" }</span>
                    </label>
                </section>
                <div class="field">
                    <label for="cs-name">{ "Name" }</label>
                    <input id="cs-name" value={(*name).clone()} oninput={let n = name.clone(); move |e: InputEvent| n.set(target_value(&e))} />
                </div>
                <div class="field">
                    <label for="cs-topic">{ "Topic" }</label>
                    <input id="cs-topic" value={(*topic).clone()} oninput={let t = topic.clone(); move |e: InputEvent| t.set(target_value(&e))} />
                </div>
                <div class="field">
                    <label for="cs-purpose">{ "Purpose" }</label>
                    <textarea id="cs-purpose" rows="2" value={(*purpose).clone()} oninput={let t = purpose.clone(); move |e: InputEvent| t.set(crate::ui::input_value(&e))} />
                </div>
                <div class="form-actions">
                    <button type="button" class="btn" onclick={leave} id="leave-channel">{ icon("door") }{ "Leave channel" }</button>
                    <button type="button" class="btn danger-outline" onclick={archive} id="archive-channel">{ icon("archive") }{ "Archive" }</button>
                    <span class="grow"></span>
                    <button type="submit" class="btn primary">{ "Save" }</button>
                </div>
            </form>
        </Modal>
    }
}

/// Ctrl/Cmd+K: type to filter channels and DMs, arrows and Enter to go.
#[function_component(QuickSwitcher)]
pub fn quick_switcher(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let query = use_state(String::new);
    let sel = use_state(|| 0usize);
    use_effect_with((), |_| crate::ui::focus_id("switcher-input"));
    let state = ctx.state();
    let me = state.me_id();
    let q = query.to_lowercase();
    let mut items: Vec<(ChannelId, String, bool, u64)> = state
        .channels
        .values()
        .filter(|c| c.is_member || c.kind == ChannelKind::Public)
        .map(|c| {
            let ws = c
                .workspace_id
                .and_then(|w| state.workspaces.iter().find(|x| x.id == w))
                .map(|w| w.name.clone());
            let label = if util::is_dm(c) {
                util::channel_title(c, me)
            } else {
                format!(
                    "#{}{}",
                    c.name,
                    ws.map(|w| format!("  ·  {w}")).unwrap_or_default()
                )
            };
            (c.id, label, util::is_dm(c), c.unread_count)
        })
        .filter(|(_, l, _, _)| l.to_lowercase().contains(q.as_str()))
        .collect();
    // Unread first, then by name.
    items.sort_by(|a, b| (b.3 > 0).cmp(&(a.3 > 0)).then(a.1.cmp(&b.1)));
    items.truncate(12);
    let n = items.len();
    let pick = {
        let (nav, close) = (nav.clone(), p.on_close.clone());
        move |id: ChannelId| {
            close.emit(());
            go_channel(&nav, id);
        }
    };
    let on_key = {
        let (sel, items, pick) = (sel.clone(), items.clone(), pick.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "ArrowDown" if n > 0 => {
                e.prevent_default();
                sel.set((*sel + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                e.prevent_default();
                sel.set((*sel + n - 1) % n);
            }
            "Enter" => {
                if let Some((id, ..)) = items.get(*sel) {
                    pick(*id);
                }
            }
            _ => {}
        })
    };
    html! {
        <Modal title="Jump to…" on_close={p.on_close.clone()}>
            <input id="switcher-input" class="wide-input" placeholder="Channel or person" aria-label="Jump to a conversation"
                value={(*query).clone()} onkeydown={on_key}
                oninput={let (q, s) = (query.clone(), sel.clone()); move |e: InputEvent| { q.set(target_value(&e)); s.set(0); }} />
            <ul class="pick-list" role="listbox">
                { for items.iter().enumerate().map(|(i, (id, label, dm, unread))| {
                    let (pick, id) = (pick.clone(), *id);
                    html! {
                        <li role="option" aria-selected={(i == *sel).to_string()}>
                            <button class={classes!("pick-row", (i == *sel).then_some("on"))} onclick={move |_| pick(id)}>
                                <span class="side-glyph">{ if *dm { icon("at") } else { icon("hash") } }</span>
                                <span class={classes!("opt-name", "grow", (*unread > 0).then_some("bold"))}>{ label.trim_start_matches('#').to_owned() }</span>
                                if *unread > 0 { <span class="badge">{ *unread }</span> }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </Modal>
    }
}
