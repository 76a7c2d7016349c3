//! The preferences dialog: theme, notification level, keywords, desktop
//! notifications (Web Push in a browser), the devices calls use and, in the
//! desktop app, opening at login.

use parley_shared::api::{NotifyLevel, Theme, UpdatePreferencesRequest};
use std::rc::Rc;
use yew::prelude::*;

use super::CloseProps;
use crate::app::use_ctx;
use crate::store::Action;
use crate::ui::call::CallDevices;
use crate::ui::common::{ErrorBanner, Modal};
use crate::ui::{apply_theme, target_value};

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
                match ctx.api.update_preferences(&body).await {
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
                match ctx.api.update_preferences(&body).await {
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
            <CallDevices />
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
