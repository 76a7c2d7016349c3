//! The root component: wires the store, the API, WS and call clients and
//! the platform into one context, boots the session, and routes.//!
//! Notifications and the shell's events are in `notifications`, idle and
//! visibility watching in `presence`.

mod notifications;
mod presence;

pub use notifications::{muted, pause_notifications};

use notifications::{listen_to_shell, notify};
use presence::{watch_idle, watch_visibility};

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::api::{Channel, CurrentUser, Workspace, WorkspaceMember};
use parley_shared::ws::{ClientFrame, ServerEvent};
use parley_shared::{ChannelId, UserId, WorkspaceId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::Api;
use crate::call::CallClient;
use crate::platform::{BrowserPlatform, SharedPlatform};
use crate::store::{Action, Conn, State};
use crate::ui;
use crate::ws::WsClient;

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
        // indicator or a ringing call actually expires.
        if let Action::Tick(now) = action {
            let expired = self.0.typing.values().flatten().any(|(_, exp)| *exp <= now)
                || self.0.ring_expired(now);
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
    pub calls: CallClient,
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
        let calls = CallClient::new(api.clone(), ws.clone(), dispatch.clone());
        (api, ws, dispatch, calls)
    });
    let (api, ws, dispatch, calls) = (*services).clone();

    // One-time wiring and boot.
    {
        let (api, ws, dispatch, calls) = (api.clone(), ws.clone(), dispatch.clone(), calls.clone());
        let booted = booted.clone();
        let boot_error = boot_error.clone();
        let theme = theme.clone();
        use_effect_with((), move |_| {
            {
                let (ws2, d, calls) = (ws.clone(), dispatch.clone(), calls.clone());
                api.on_signed_out(Rc::new(move || {
                    calls.leave();
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
                let calls = calls.clone();
                ws.set_hook(Rc::new(move |ev| {
                    if matches!(ev, ServerEvent::Hello(_)) {
                        subscribe_presence(&ws2);
                    }
                    calls.on_event(ev);
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
        calls,
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

/// Whether the socket is down (the offline banner).
pub fn is_offline(s: &State) -> bool {
    s.conn == Conn::Offline
}
