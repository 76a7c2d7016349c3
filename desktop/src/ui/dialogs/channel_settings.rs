//! The channel settings dialog: this channel's notification override and
//! mute, name, topic and purpose, leaving and archiving.

use parley_shared::api::{NotifyLevel, UpdateChannelRequest};
use parley_shared::{validate, ChannelId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{use_ctx, Route};
use crate::store::Action;
use crate::ui::common::{icon, ErrorBanner, Modal};
use crate::ui::target_value;

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
                match ctx.api.update_channel(id, &body).await {
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
                if ctx.api.leave_channel(id).await.is_ok() {
                    if let Ok(c) = ctx.api.channel(id).await {
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
                match ctx.api.archive_channel(id).await {
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
                match ctx.api.update_channel_preference(id, &body).await {
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
