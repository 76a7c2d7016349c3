//! The root component: wires the store, the API and WS clients and the
//! platform into one context, boots the session, and routes.

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::api::{Channel, CurrentUser, Workspace, WorkspaceMember};
use parley_shared::ws::{ClientFrame, NotificationReason, PresenceStatus, ServerEvent};
use parley_shared::{ChannelId, UserId, WorkspaceId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::Api;
use crate::platform::{BrowserPlatform, SharedPlatform};
use crate::store::{Action, Conn, State};
use crate::ui;
use crate::ws::WsClient;
use parley_shared::MessageId;

#[derive(Clone, Routable, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/login")]
    Login,
    #[at("/signup")]
    Signup,
    #[at("/welcome")]
    Welcome,
    #[at("/invite/:code")]
    Invite { code: String },
    #[at("/c/:id")]
    Channel { id: String },
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// Wraps the store for Yew's reducer hook. Also keeps the newest state where
/// callbacks that outlive a render (WS events, timers) can read it.
#[derive(Default, PartialEq)]
pub struct Store(pub State);

thread_local! {
    static LATEST: RefCell<Rc<Store>> = RefCell::new(Rc::new(Store::default()));
}

/// The newest state, for code outside the render cycle.
pub fn latest() -> Rc<Store> {
    LATEST.with(|l| l.borrow().clone())
}

impl Reducible for Store {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // The clock ticks every second; only re-render when a typing
        // indicator actually expires.
        if let Action::Tick(now) = action {
            let expired = self.0.typing.values().flatten().any(|(_, exp)| *exp <= now);
            if !expired {
                return self;
            }
        }
        let mut next = Store(self.0.clone());
        next.0.apply(action);
        let next = Rc::new(next);
        LATEST.with(|l| *l.borrow_mut() = next.clone());
        next
    }
}

/// Everything a component needs, from one `use_context`.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    pub store: UseReducerHandle<Store>,
    pub api: Api,
    pub ws: WsClient,
    pub theme: UseStateHandle<parley_shared::api::Theme>,
}

impl Ctx {
    pub fn state(&self) -> &State {
        &self.store.0
    }
    pub fn dispatch(&self, a: Action) {
        self.store.dispatch(a);
    }
    pub fn platform(&self) -> &SharedPlatform {
        self.api.platform()
    }
}

#[hook]
pub fn use_ctx() -> Ctx {
    // The provider wraps the whole tree, so this never fails in the app.
    use_context::<Ctx>().expect("Ctx is provided by App")
}

/// Loads what the shell shows: workspaces, their channels and members, DMs.
/// Returns who is signed in.
pub async fn load_all(
    api: &Api,
    dispatch: &Rc<dyn Fn(Action)>,
    ws: &WsClient,
) -> Result<UserId, crate::api::ApiError> {
    let me: CurrentUser = api.me().await?;
    let me_id = me.profile.id;
    let theme = me.preferences.theme;
    dispatch(Action::SignedIn(Box::new(me)));
    // The account's theme wins; remembered locally so the next start
    // paints in it before any request returns.
    crate::ui::apply_theme(theme);
    api.platform()
        .save("parley.theme", crate::ui::theme_name(theme));
    let workspaces: Vec<Workspace> = api.workspaces().await?;
    let ids: Vec<WorkspaceId> = workspaces.iter().map(|w| w.id).collect();
    dispatch(Action::Workspaces(workspaces));
    let dms: Vec<Channel> = api.dms().await?;
    dispatch(Action::Channels(None, dms));
    for id in ids {
        let chans: Vec<Channel> = api.workspace_channels(id).await?;
        dispatch(Action::Channels(Some(id), chans));
        let members: Vec<WorkspaceMember> = api.workspace_members(id).await?;
        dispatch(Action::Members(id, members));
    }
    subscribe_presence(ws);
    Ok(me_id)
}

/// Follows the presence of everyone the sidebar shows (capped by the server).
pub fn subscribe_presence(ws: &WsClient) {
    let s = latest();
    let mut ids: Vec<_> = s.0.users.keys().copied().collect();
    ids.sort();
    ids.truncate(parley_shared::ws::MAX_PRESENCE_SUBSCRIPTIONS);
    ws.send(ClientFrame::PresenceSubscribe { user_ids: ids });
}

thread_local! {
    /// Set once before the app mounts by the desktop boot: its platform and
    /// the chosen server. Empty in a browser (same origin, localStorage).
    static HOST: RefCell<Option<(SharedPlatform, String)>> = const { RefCell::new(None) };
}

/// Runs the app against `server` through `platform` (the desktop shell).
pub fn set_host(platform: SharedPlatform, server: String) {
    HOST.with(|h| *h.borrow_mut() = Some((platform, server)));
}

#[function_component(App)]
pub fn app() -> Html {
    let store = use_reducer(Store::default);
    let theme = use_state(|| parley_shared::api::Theme::System);
    let booted = use_state(|| false);
    let boot_error = use_state(|| None::<String>);
    let services = use_memo((), |_| {
        let (platform, base) = HOST
            .with(|h| h.borrow_mut().take())
            .unwrap_or_else(|| (Rc::new(BrowserPlatform) as SharedPlatform, String::new()));
        let api = Api::new(base, platform);
        let d = store.dispatcher();
        let dispatch: Rc<dyn Fn(Action)> = Rc::new(move |a| d.dispatch(a));
        let ws = WsClient::new(api.clone(), dispatch.clone());
        (api, ws, dispatch)
    });
    let (api, ws, dispatch) = (*services).clone();

    // One-time wiring and boot.
    {
        let (api, ws, dispatch) = (api.clone(), ws.clone(), dispatch.clone());
        let booted = booted.clone();
        let boot_error = boot_error.clone();
        let theme = theme.clone();
        use_effect_with((), move |_| {
            {
                let (ws2, d) = (ws.clone(), dispatch.clone());
                api.on_signed_out(Rc::new(move || {
                    ws2.stop();
                    d(Action::SignedOut);
                }));
            }
            {
                let (api2, ws2, d) = (api.clone(), ws.clone(), dispatch.clone());
                ws.set_on_resync(Rc::new(move || {
                    let (api3, ws3, d3) = (api2.clone(), ws2.clone(), d.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        d3(Action::Resynced);
                        let _ = load_all(&api3, &d3, &ws3).await;
                        if let Some(active) = latest().0.active {
                            ui::channel::load_latest(&api3, &d3, active).await;
                        }
                    });
                }));
            }
            {
                let platform = api.platform().clone();
                // Presence subscriptions belong to a session: renew them on
                // every HELLO (the hook lives as long as the app).
                let ws2 = ws.clone();
                ws.set_hook(Rc::new(move |ev| {
                    if matches!(ev, ServerEvent::Hello(_)) {
                        subscribe_presence(&ws2);
                    }
                    notify(&platform, ev);
                }));
            }
            if api.platform().native_notifications() {
                listen_to_shell(&api, &dispatch);
            }
            let t = gloo_timers::callback::Interval::new(1_000, {
                let d = dispatch.clone();
                move || d(Action::Tick(crate::api::now_ms() as i64))
            });
            let idle = watch_idle(ws.clone());
            let shown = watch_visibility(dispatch.clone());
            if let Some(saved) = api.platform().load("parley.theme") {
                let t = match saved.as_str() {
                    "light" => parley_shared::api::Theme::Light,
                    "dark" => parley_shared::api::Theme::Dark,
                    _ => parley_shared::api::Theme::System,
                };
                theme.set(t);
                crate::ui::apply_theme(t);
            }
            if api.has_session() {
                wasm_bindgen_futures::spawn_local(async move {
                    match load_all(&api, &dispatch, &ws).await {
                        Ok(me) => {
                            ws.start(me);
                            // Keep this browser's push subscription current
                            // (keys rotate; the server replaces by endpoint).
                            // The desktop app notifies natively while it runs
                            // (in the tray too): no Web Push there.
                            let enabled = api.platform().load("parley.notify").as_deref()
                                != Some("off")
                                && api.platform().notifications_allowed()
                                && !api.platform().native_notifications();
                            if enabled {
                                // In the background: a slow push service
                                // must not hold up the first screen.
                                let api = api.clone();
                                wasm_bindgen_futures::spawn_local(async move {
                                    let _ = crate::push::subscribe(&api).await;
                                });
                            }
                        }
                        Err(e) if e.status == 401 => api.clear_session(),
                        Err(e) => boot_error.set(Some(e.message)),
                    }
                    booted.set(true);
                });
            } else {
                booted.set(true);
            }
            move || drop((t, idle, shown))
        });
    }

    // The tray badge follows the sidebar's totals, and the tray says until
    // when do-not-disturb holds (told again when it ends).
    {
        let (unread, mentions) = store.0.channels.values().fold((0u64, 0u64), |(u, m), c| {
            (u + c.unread_count, m + c.mention_count)
        });
        let paused = store.0.paused_until(ui::now());
        let platform = api.platform().clone();
        use_effect_with((unread, mentions, paused), move |&(u, m, paused)| {
            let label =
                paused.map(|t| crate::util::until_label(t, ui::now(), ui::utc_offset_min()));
            platform.set_counts(u, m, label.as_deref());
            // A browser timer holds at most 2^31 - 1 ms (24 days); a
            // longer pause is told again by the next change of counts.
            let left = paused.map(|t| t.millis() as f64 - crate::api::now_ms() + 1_000.0);
            let ends = left.filter(|&ms| ms < f64::from(i32::MAX)).map(|ms| {
                gloo_timers::callback::Timeout::new(ms.max(0.0) as u32, move || {
                    platform.set_counts(u, m, None)
                })
            });
            move || drop(ends)
        });
    }

    let ctx = Ctx {
        store,
        api,
        ws,
        theme,
    };
    if !*booted {
        return html! { <ui::common::Splash /> };
    }
    if let Some(err) = (*boot_error).clone() {
        let retry = Callback::from(|_| crate::reload());
        return html! { <ui::common::FullError message={err} {retry} /> };
    }
    html! {
        <ContextProvider<Ctx> context={ctx}>
            <BrowserRouter>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </ContextProvider<Ctx>>
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::Login => html! { <ui::auth::AuthPage signup={false} /> },
        Route::Signup => html! { <ui::auth::AuthPage signup={true} /> },
        Route::Welcome => html! { <ui::welcome::Welcome /> },
        Route::Invite { code } => html! { <ui::welcome::InvitePage {code} /> },
        Route::Channel { id } => match id.parse::<ChannelId>() {
            Ok(id) => html! { <ui::shell::Shell channel={Some(id)} /> },
            Err(_) => html! { <Redirect<Route> to={Route::Home} /> },
        },
        Route::Home => html! { <ui::shell::Shell channel={None::<ChannelId>} /> },
        Route::NotFound => html! { <Redirect<Route> to={Route::Home} /> },
    }
}

/// Shows a system notification for mentions and DMs when the user is not
/// looking at that channel (or at the app at all).
fn notify(platform: &SharedPlatform, ev: &ServerEvent) {
    let ServerEvent::Notification {
        channel_id,
        message,
        reason,
    } = ev
    else {
        return;
    };
    let s = latest();
    let hidden = page_hidden();
    // Looking at the channel already: nothing to tell. In the desktop app
    // the window may be visible but unfocused (another app on top).
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.has_focus().unwrap_or(true));
    if s.0.active == Some(*channel_id) && !hidden && focused {
        return;
    }
    if platform.load("parley.notify").as_deref() == Some("off") {
        return;
    }
    if let Some(me) = &s.0.me {
        if muted(
            &me.preferences,
            *channel_id,
            *reason,
            crate::api::now_ms() as i64,
        ) {
            return;
        }
    }
    let who = crate::util::display_name(&message.author);
    let channel = s.0.channels.get(channel_id);
    let place = channel
        .map(|c| crate::util::channel_title(c, s.0.me_id()))
        .unwrap_or_default();
    let kind = channel.map(|c| c.kind).unwrap_or_default();
    let title = reason.title(kind, who, &place);
    let body: String = message.content.chars().take(140).collect();
    platform.notify_message(&title, &body, *channel_id, message.id, message.seq);
}

/// Whether the account's preferences silence this notification right now:
/// do-not-disturb, a muted channel, or a level that excludes it. The server
/// applies the same rules before sending; checking again here covers a
/// preference changed on this device a moment ago.
pub fn muted(
    prefs: &parley_shared::api::Preferences,
    channel: ChannelId,
    reason: NotificationReason,
    now_ms: i64,
) -> bool {
    use parley_shared::api::NotifyLevel;
    if prefs.mute_until.is_some_and(|t| t.millis() > now_ms) {
        return true;
    }
    let per_channel = prefs.channels.iter().find(|c| c.channel_id == channel);
    if per_channel
        .and_then(|c| c.muted_until)
        .is_some_and(|t| t.millis() > now_ms)
    {
        return true;
    }
    let level = per_channel
        .and_then(|c| c.notify_level)
        .unwrap_or(prefs.notify_level);
    match level {
        NotifyLevel::All => false,
        NotifyLevel::Mentions => reason == NotificationReason::ChannelMessage,
        NotifyLevel::None => true,
    }
}

/// The desktop shell's events: a clicked notification opens its message;
/// the tray's Do-not-disturb items set the account's preference.
fn listen_to_shell(api: &Api, dispatch: &Rc<dyn Fn(Action)>) {
    {
        let (api, dispatch) = (api.clone(), dispatch.clone());
        crate::platform::listen(parley_shared::ipc::event::OPEN_MESSAGE, move |v| {
            let channel = v["channel_id"]
                .as_str()
                .and_then(|c| c.parse::<ChannelId>().ok());
            let message = v["message_id"]
                .as_str()
                .and_then(|m| m.parse::<MessageId>().ok());
            let seq = v["seq"].as_i64().unwrap_or(0);
            if let (Some(c), Some(m)) = (channel, message) {
                open_message(api.clone(), dispatch.clone(), c, seq, m);
            }
        });
    }
    let (api, dispatch) = (api.clone(), dispatch.clone());
    crate::platform::listen(parley_shared::ipc::event::DND, move |v| {
        pause_notifications(
            api.clone(),
            dispatch.clone(),
            v.as_str().unwrap_or_default(),
        );
    });
}

/// Pauses notifications for the account ("1h", "tomorrow"; anything else
/// resumes them): the `mute_until` preference, which also holds back push
/// to the person's other devices. From the tray menu and the sidebar.
pub fn pause_notifications(api: Api, dispatch: Rc<dyn Fn(Action)>, how: &str) {
    let until = match how {
        "1h" => Some(crate::api::now_ms() as i64 + 3_600_000),
        "tomorrow" => Some(tomorrow_morning_ms()),
        _ => None,
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Some(mut me) = latest().0.me.clone() else {
            return;
        };
        let body = parley_shared::api::UpdatePreferencesRequest {
            theme: me.preferences.theme,
            notify_level: me.preferences.notify_level,
            mute_until: until.map(parley_shared::Timestamp::from_millis),
            keywords: None,
        };
        match api.update_preferences(&body).await {
            Ok(prefs) => {
                me.preferences = prefs;
                dispatch(Action::SignedIn(Box::new(me)));
            }
            Err(e) => {
                web_sys::console::error_1(&format!("parley: do not disturb: {}", e.message).into())
            }
        }
    });
}

/// 08:00 tomorrow, local time ("until tomorrow").
fn tomorrow_morning_ms() -> i64 {
    let d = js_sys::Date::new_0();
    d.set_date(d.get_date() + 1);
    d.set_hours(8);
    d.set_minutes(0);
    d.set_seconds(0);
    d.set_milliseconds(0);
    d.get_time() as i64
}

/// Shows a message from outside the router (a notification click): loads
/// the page around it, switches the route, and flashes it.
fn open_message(
    api: Api,
    dispatch: Rc<dyn Fn(Action)>,
    channel: ChannelId,
    seq: i64,
    id: MessageId,
) {
    use yew_router::history::{BrowserHistory, History};
    wasm_bindgen_futures::spawn_local(async move {
        let have = latest()
            .0
            .timeline(channel)
            .is_some_and(|t| t.messages.iter().any(|m| m.id == id));
        if !have && seq > 0 {
            let page = crate::api::HistoryPage::Around(seq);
            if let Ok(page) = crate::ui::channel::load_page(&api, channel, page, 50).await {
                dispatch(Action::Page(channel, crate::store::PageKind::Around, page));
            }
        }
        // The router shares this history, so it follows the push.
        BrowserHistory::new().push(format!("/c/{channel}"));
        dispatch(Action::Focus(Some(id)));
        gloo_timers::future::TimeoutFuture::new(2_500).await;
        if latest().0.focus == Some(id) {
            dispatch(Action::Focus(None));
        }
    });
}

/// No input for this long turns the user `away`.
const AWAY_AFTER_MS: f64 = 5.0 * 60_000.0;

/// Reports `away` after five idle minutes and `online` at the next key
/// press or mouse move (the server shows it to everyone who follows us).
fn watch_idle(ws: WsClient) -> IdleWatch {
    use std::cell::Cell;
    let last = Rc::new(Cell::new(crate::api::now_ms()));
    let away = Rc::new(Cell::new(false));
    let active = {
        let (last, away, ws) = (last.clone(), away.clone(), ws.clone());
        move |_: web_sys::Event| {
            last.set(crate::api::now_ms());
            if away.replace(false) {
                ws.send(ClientFrame::Presence {
                    status: PresenceStatus::Online,
                });
            }
        }
    };
    let listeners = (
        ui::files::listen("keydown", active.clone()),
        ui::files::listen("mousemove", active.clone()),
        ui::files::listen("focusin", active),
    );
    let check = gloo_timers::callback::Interval::new(30_000, move || {
        if !away.get() && crate::api::now_ms() - last.get() > AWAY_AFTER_MS {
            away.set(true);
            ws.send(ClientFrame::Presence {
                status: PresenceStatus::Away,
            });
        }
    });
    IdleWatch {
        _listeners: listeners,
        _check: check,
    }
}

/// Whether the page cannot be seen: the desktop window hidden in the tray
/// or minimized, a browser tab in the background.
fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Keeps the store told whether the page can be seen, so that a channel
/// left open behind a hidden window is not marked read (its messages count
/// as unread and mentions reach the tray badge).
fn watch_visibility(dispatch: Rc<dyn Fn(Action)>) -> ui::files::DocListener {
    dispatch(Action::Hidden(page_hidden()));
    ui::files::listen("visibilitychange", move |_| {
        dispatch(Action::Hidden(page_hidden()))
    })
}

/// Held for its drop: removes the listeners and stops the timer.
struct IdleWatch {
    _listeners: (
        ui::files::DocListener,
        ui::files::DocListener,
        ui::files::DocListener,
    ),
    _check: gloo_timers::callback::Interval,
}

/// Whether the socket is down (the offline banner).
pub fn is_offline(s: &State) -> bool {
    s.conn == Conn::Offline
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_shared::api::{ChannelPreference, NotifyLevel, Preferences, Theme};
    use parley_shared::Timestamp;

    fn prefs(level: NotifyLevel) -> Preferences {
        Preferences {
            theme: Theme::System,
            notify_level: level,
            mute_until: None,
            channels: Vec::new(),
            keywords: Vec::new(),
        }
    }

    #[test]
    fn do_not_disturb_mutes_and_levels_filter() {
        use NotificationReason::*;
        let c = ChannelId(7);
        let now = 1_000_000;
        assert!(!muted(&prefs(NotifyLevel::All), c, ChannelMessage, now));
        assert!(muted(&prefs(NotifyLevel::Mentions), c, ChannelMessage, now));
        assert!(!muted(&prefs(NotifyLevel::Mentions), c, Mention, now));
        assert!(!muted(&prefs(NotifyLevel::Mentions), c, Keyword, now));
        assert!(muted(&prefs(NotifyLevel::None), c, Keyword, now));
        assert!(muted(&prefs(NotifyLevel::None), c, DirectMessage, now));

        let mut dnd = prefs(NotifyLevel::All);
        dnd.mute_until = Some(Timestamp::from_millis(now + 1));
        assert!(muted(&dnd, c, Mention, now));
        dnd.mute_until = Some(Timestamp::from_millis(now - 1));
        assert!(!muted(&dnd, c, Mention, now), "an expired do-not-disturb");

        let mut per_channel = prefs(NotifyLevel::All);
        per_channel.channels.push(ChannelPreference {
            channel_id: c,
            notify_level: Some(NotifyLevel::None),
            muted_until: None,
        });
        assert!(muted(&per_channel, c, Mention, now));
        assert!(!muted(&per_channel, ChannelId(8), Mention, now));
    }
}
