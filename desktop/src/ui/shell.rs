//! The signed-in layout: sidebar, the call panel, channel, side pane
//! (thread, search, members, pins), dialogs, the ringing of a call, the
//! offline banner, files being saved and global shortcuts.

use parley_shared::api::FileInfo;
use parley_shared::{ChannelId, MessageId, UserId};
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{is_offline, use_ctx, Route};
use crate::store::Action;
use crate::ui::call::{CallPanel, RingingDialog};
use crate::ui::channel::ChannelView;
use crate::ui::dialogs::{
    BrowseChannels, ChannelSettings, CreateChannel, InviteDialog, NewDm, ProfileDialog,
    QuickSwitcher, SettingsDialog,
};
use crate::ui::downloads::{use_expiring_saves, ImageViewer, SaveList, Saves};
use crate::ui::search::SearchPane;
use crate::ui::sidebar::Sidebar;
use crate::ui::thread::{MembersPane, PinsPane, ThreadPane};
use crate::ui::welcome::PENDING_INVITE;

#[derive(Clone, Debug, PartialEq)]
pub enum Panel {
    None,
    Thread(MessageId),
    Search(String),
    Members,
    Pins,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    None,
    CreateChannel,
    BrowseChannels,
    Invite,
    NewDm,
    Profile(UserId),
    Settings,
    ChannelSettings,
    Switcher,
    /// An attached image at full size.
    Image(FileInfo),
}

/// Which side pane and dialog are open; shared by every component of the
/// shell so any of them can open a thread or a dialog.
#[derive(Clone, PartialEq)]
pub struct UiCtx {
    pub panel: UseStateHandle<Panel>,
    pub dialog: UseStateHandle<Dialog>,
    /// Files being saved from messages (the cards in the corner).
    pub saves: UseReducerHandle<Saves>,
}

impl UiCtx {
    pub fn open(&self, p: Panel) {
        self.panel.set(p);
    }
    pub fn show(&self, d: Dialog) {
        self.dialog.set(d);
    }
}

#[hook]
pub fn use_ui() -> UiCtx {
    use_context::<UiCtx>().expect("UiCtx is provided by Shell")
}

const LAST_CHANNEL: &str = "parley.last_channel";

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    pub channel: Option<ChannelId>,
}

#[function_component(Shell)]
pub fn shell(p: &ShellProps) -> Html {
    let ctx = use_ctx();
    let panel = use_state(|| Panel::None);
    let dialog = use_state(|| Dialog::None);
    let saves = use_reducer(Saves::default);
    use_expiring_saves(&saves);
    let ui = UiCtx {
        panel: panel.clone(),
        dialog: dialog.clone(),
        saves: saves.clone(),
    };
    let state = ctx.state();
    let channel = p.channel.filter(|c| state.channels.contains_key(c));

    // The open channel: no unread badge, its workspace selected, remembered.
    {
        let ctx = ctx.clone();
        let panel = panel.clone();
        use_effect_with(channel, move |c| {
            ctx.dispatch(Action::SetActive(*c));
            if let Some(c) = c {
                if let Some(ws) = ctx.state().channels.get(c).and_then(|ch| ch.workspace_id) {
                    if ctx.state().workspace != Some(ws) {
                        ctx.dispatch(Action::SelectWorkspace(Some(ws)));
                    }
                }
                ctx.platform().save(LAST_CHANNEL, &c.to_string());
            }
            // A thread belongs to its channel.
            if matches!(*panel, Panel::Thread(_) | Panel::Members | Panel::Pins) {
                panel.set(Panel::None);
            }
            || ()
        });
    }

    // Global shortcuts: Ctrl/Cmd+K switches, Esc closes the top-most layer.
    // The listener outlives renders, so it reads the open layers through a
    // mirror updated on every render rather than stale handles.
    let mirror = use_mut_ref(|| (Panel::None, Dialog::None));
    *mirror.borrow_mut() = ((*panel).clone(), (*dialog).clone());
    {
        let (panel, dialog, mirror) = (panel.clone(), dialog.clone(), mirror.clone());
        use_effect_with((), move |_| {
            let listener = gloo_keydown(move |e: web_sys::KeyboardEvent| {
                let k = e.key();
                if (e.ctrl_key() || e.meta_key()) && k.eq_ignore_ascii_case("k") {
                    e.prevent_default();
                    dialog.set(Dialog::Switcher);
                } else if k == "Escape" {
                    let (open_panel, open_dialog) = mirror.borrow().clone();
                    if open_dialog != Dialog::None {
                        dialog.set(Dialog::None);
                    } else if open_panel != Panel::None {
                        panel.set(Panel::None);
                    }
                }
            });
            move || drop(listener)
        });
    }

    if state.me.is_none() {
        return html! { <Redirect<Route> to={Route::Login} /> };
    }
    if let Some(code) = ctx.platform().load(PENDING_INVITE) {
        return html! { <Redirect<Route> to={Route::Invite { code }} /> };
    }
    if state.workspaces.is_empty() && state.dms().is_empty() {
        return html! { <Redirect<Route> to={Route::Welcome} /> };
    }
    if channel.is_none() {
        let remembered = ctx
            .platform()
            .load(LAST_CHANNEL)
            .and_then(|s| s.parse::<ChannelId>().ok())
            .filter(|c| state.channels.get(c).is_some_and(|ch| ch.is_member));
        let first = remembered.or_else(|| {
            let chans = state.workspace_channels();
            chans
                .iter()
                .find(|c| c.is_member && c.name == "general")
                .or_else(|| chans.iter().find(|c| c.is_member))
                .map(|c| c.id)
                .or_else(|| state.dms().first().map(|c| c.id))
        });
        return match first {
            Some(id) => html! { <Redirect<Route> to={Route::Channel { id: id.to_string() }} /> },
            None => html! {
                <ContextProvider<UiCtx> context={ui}>
                    <div class="app">
                        <Sidebar active={None::<ChannelId>} />
                        <main class="main empty-main"><p class="muted">{ "Pick a channel on the left, or create one." }</p></main>
                        { dialogs(&dialog, None, &saves) }
                        <RingingDialog />
                        <SaveList saves={saves.clone()} />
                    </div>
                </ContextProvider<UiCtx>>
            },
        };
    }

    let side = match &*panel {
        Panel::None => html! {},
        Panel::Thread(id) => html! { <ThreadPane root={*id} /> },
        Panel::Search(q) => html! { <SearchPane query={q.clone()} /> },
        Panel::Members => html! { <MembersPane channel={channel} /> },
        Panel::Pins => html! { <PinsPane channel={channel} /> },
    };
    let offline = is_offline(state);
    let reconnect = {
        let ws = ctx.ws.clone();
        Callback::from(move |_: MouseEvent| ws.reconnect_now())
    };
    html! {
        <ContextProvider<UiCtx> context={ui}>
            <div class={classes!("app", (*panel != Panel::None).then_some("with-pane"))}>
                if offline {
                    <div class="offline-banner" role="status" id="offline-banner">
                        <span class="pulse"></span>
                        { "You're offline. Messages you send will be delivered when the connection is back." }
                        <button class="link-btn" onclick={reconnect}>{ "Reconnect now" }</button>
                    </div>
                }
                <Sidebar active={channel} />
                <main class="main">
                    <CallPanel />
                    if let Some(c) = channel {
                        <ChannelView channel={c} />
                    }
                </main>
                if *panel != Panel::None {
                    <aside class="pane">{ side }</aside>
                }
                { dialogs(&dialog, channel, &saves) }
                <RingingDialog />
                <SaveList saves={saves.clone()} />
            </div>
        </ContextProvider<UiCtx>>
    }
}

fn dialogs(
    dialog: &UseStateHandle<Dialog>,
    channel: Option<ChannelId>,
    saves: &UseReducerHandle<Saves>,
) -> Html {
    let close = {
        let d = dialog.clone();
        Callback::from(move |_| d.set(Dialog::None))
    };
    match &**dialog {
        Dialog::None => html! {},
        Dialog::CreateChannel => html! { <CreateChannel on_close={close} /> },
        Dialog::BrowseChannels => html! { <BrowseChannels on_close={close} /> },
        Dialog::Invite => html! { <InviteDialog on_close={close} /> },
        Dialog::NewDm => html! { <NewDm on_close={close} /> },
        Dialog::Profile(u) => html! { <ProfileDialog user={*u} on_close={close} /> },
        Dialog::Settings => html! { <SettingsDialog on_close={close} /> },
        Dialog::ChannelSettings => match channel {
            Some(c) => html! { <ChannelSettings channel={c} on_close={close} /> },
            None => html! {},
        },
        Dialog::Switcher => html! { <QuickSwitcher on_close={close} /> },
        Dialog::Image(file) => {
            html! { <ImageViewer file={file.clone()} on_close={close} saves={saves.clone()} /> }
        }
    }
}

/// A document-level keydown listener, removed when the guard drops.
pub struct KeyListener {
    closure: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::KeyboardEvent)>,
}

impl Drop for KeyListener {
    fn drop(&mut self) {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let _ = doc.remove_event_listener_with_callback(
                "keydown",
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

pub fn gloo_keydown(f: impl FnMut(web_sys::KeyboardEvent) + 'static) -> KeyListener {
    let closure = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(f);
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = doc.add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref());
    }
    KeyListener { closure }
}
