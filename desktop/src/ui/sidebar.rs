//! The dark sidebar: workspace switcher, channels with unread and mention
//! badges and calls in progress, DMs with presence dots, and the signed-in
//! user.

use std::rc::Rc;

use parley_shared::api::{Channel, ChannelKind};
use parley_shared::ws::PresenceStatus;
use parley_shared::ChannelId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{use_ctx, Route};
use crate::store::Action;
use crate::ui::common::{icon, Avatar, PresenceDot};
use crate::ui::shell::{use_ui, Dialog};
use crate::util;

#[derive(Properties, PartialEq)]
pub struct SidebarProps {
    pub active: Option<ChannelId>,
}

#[function_component(Sidebar)]
pub fn sidebar(p: &SidebarProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let nav = use_navigator();
    let menu = use_state(|| false);
    let pause_menu = use_state(|| false);
    let state = ctx.state();
    let me = state.me_id();
    let Some(me_user) = state.me.as_ref().map(|m| m.profile.clone()) else {
        return html! {};
    };
    let current = state
        .workspace
        .and_then(|id| state.workspaces.iter().find(|w| w.id == id));

    let now = crate::ui::now();
    let muted_ids: Vec<ChannelId> = state
        .me
        .iter()
        .flat_map(|m| m.preferences.channels.iter())
        .filter(|p| p.muted_until.is_some_and(|t| t > now))
        .map(|p| p.channel_id)
        .collect();
    let row = |c: &Channel| -> Html {
        let active = p.active == Some(c.id);
        let muted = muted_ids.contains(&c.id);
        // A muted channel stays quiet: no bold, no count (mentions still show).
        let unread = c.unread_count > 0 && !active && !muted;
        let title = util::channel_title(c, me);
        let glyph = match c.kind {
            ChannelKind::Private => icon("lock"),
            ChannelKind::Public => icon("hash"),
            ChannelKind::Dm => {
                let other = c.members.iter().flatten().find(|u| Some(u.id) != me).or(c
                    .members
                    .iter()
                    .flatten()
                    .next());
                match other {
                    Some(u) => {
                        let st = state
                            .presence
                            .get(&u.id)
                            .copied()
                            .unwrap_or(PresenceStatus::Offline);
                        html! { <Avatar user={u.clone()} size={20} presence={Some(st)} /> }
                    }
                    None => icon("at"),
                }
            }
            ChannelKind::GroupDm => icon("users"),
        };
        // Like a mention, every message in a DM is addressed to you.
        let badge = if util::is_dm(c) {
            c.unread_count
        } else {
            c.mention_count
        };
        let in_call = state.call_in(c.id).map(|call| call.participants.len());
        let here = state.in_call_at(c.id);
        let label = if c.mention_count > 0 {
            format!("{title}, {} mentions", c.mention_count)
        } else if unread {
            format!("{title}, unread")
        } else {
            title.clone()
        };
        html! {
            <li key={c.id.to_string()}>
                <Link<Route> to={Route::Channel { id: c.id.to_string() }}
                    classes={classes!("side-item", active.then_some("active"), unread.then_some("unread"), muted.then_some("muted-ch"))}>
                    <span class="side-glyph" aria-hidden="true">{ glyph }</span>
                    <span class="side-name" aria-label={label}>{ title }</span>
                    if let Some(n) = in_call {
                        <span class={classes!("side-call", here.then_some("mine"))} title={format!("Call in progress, {n} in it")}
                            aria-label={format!("call in progress, {n} in it")}>{ icon("phone") }{ n }</span>
                    }
                    if badge > 0 && !active {
                        <span class="badge" aria-hidden="true">{ badge }</span>
                    }
                </Link<Route>>
            </li>
        }
    };

    let channels: Vec<&Channel> = state
        .workspace_channels()
        .into_iter()
        .filter(|c| c.is_member)
        .collect();
    let dms = state.dms();
    let toggle_menu = {
        let menu = menu.clone();
        Callback::from(move |_: MouseEvent| menu.set(!*menu))
    };
    let ws_items = state.workspaces.iter().map(|w| {
        let (ctx, menu, nav, id) = (ctx.clone(), menu.clone(), nav.clone(), w.id);
        let unread: u64 = state
            .channels
            .values()
            .filter(|c| c.workspace_id == Some(id))
            .map(|c| c.mention_count)
            .sum();
        let onclick = Callback::from(move |_: MouseEvent| {
            menu.set(false);
            ctx.dispatch(Action::SelectWorkspace(Some(id)));
            let first = ctx
                .state()
                .channels
                .values()
                .find(|c| c.workspace_id == Some(id) && c.is_member && c.name == "general")
                .or_else(|| {
                    ctx.state()
                        .channels
                        .values()
                        .find(|c| c.workspace_id == Some(id) && c.is_member)
                })
                .map(|c| c.id);
            if let (Some(nav), Some(first)) = (&nav, first) {
                nav.push(&Route::Channel {
                    id: first.to_string(),
                });
            }
        });
        html! {
            <button class="menu-item" role="menuitem" {onclick}>
                <span class="ws-icon small">{ util::initials(&w.name) }</span>
                <span>{ w.name.clone() }</span>
                if unread > 0 { <span class="badge">{ unread }</span> }
            </button>
        }
    });
    let show = |d: Dialog| {
        let ui = ui.clone();
        let menu = menu.clone();
        Callback::from(move |_: MouseEvent| {
            menu.set(false);
            ui.show(d.clone());
        })
    };
    // Notifications paused (do not disturb): until when, and the menu that
    // pauses and resumes them.
    let paused = state
        .paused_until(crate::ui::now())
        .map(|t| util::until_label(t, crate::ui::now(), crate::ui::utc_offset_min()));
    let pause = |how: &'static str| {
        let (ctx, pause_menu) = (ctx.clone(), pause_menu.clone());
        Callback::from(move |_: MouseEvent| {
            pause_menu.set(false);
            let store = ctx.store.clone();
            crate::app::pause_notifications(
                ctx.api.clone(),
                Rc::new(move |a| store.dispatch(a)),
                how,
            );
        })
    };
    let toggle_pause_menu = {
        let pause_menu = pause_menu.clone();
        Callback::from(move |_: MouseEvent| pause_menu.set(!*pause_menu))
    };
    let my_status = state
        .presence
        .get(&me_user.id)
        .copied()
        .unwrap_or(PresenceStatus::Online);
    html! {
        <nav class="sidebar" aria-label="Workspace navigation">
            <div class="ws-header">
                <button class="ws-switch" onclick={toggle_menu} aria-haspopup="menu" aria-expanded={menu.to_string()} id="ws-menu">
                    <span class="ws-icon">{ util::initials(current.map_or("Parley", |w| w.name.as_str())) }</span>
                    <span class="ws-name">{ current.map_or_else(|| "Direct messages".to_owned(), |w| w.name.clone()) }</span>
                    <span class="chev">{ icon("chevron") }</span>
                </button>
                <button class="icon-btn side-icon" aria-label="Jump to… (Ctrl+K)" title="Jump to… (Ctrl+K)" onclick={show(Dialog::Switcher)}>{ icon("search") }</button>
            </div>
            if *menu {
                <div class="menu ws-menu" role="menu">
                    { for ws_items }
                    <div class="menu-sep"></div>
                    if current.is_some() {
                        <button class="menu-item" role="menuitem" onclick={show(Dialog::Invite)} id="menu-invite">{ icon("users") }<span>{ "Invite people" }</span></button>
                    }
                    <Link<Route> to={Route::Welcome} classes="menu-item">{ icon("plus") }<span>{ "Create or join a workspace" }</span></Link<Route>>
                </div>
            }
            <div class="side-scroll">
                <div class="side-section">
                    <div class="side-heading">
                        <span>{ "Channels" }</span>
                        <button class="icon-btn side-icon" aria-label="Browse channels" title="Browse channels" onclick={show(Dialog::BrowseChannels)}>{ icon("search") }</button>
                        <button class="icon-btn side-icon" aria-label="Create a channel" title="Create a channel" onclick={show(Dialog::CreateChannel)} id="new-channel">{ icon("plus") }</button>
                    </div>
                    <ul role="list">{ for channels.iter().map(|c| row(c)) }</ul>
                </div>
                <div class="side-section">
                    <div class="side-heading">
                        <span>{ "Direct messages" }</span>
                        <button class="icon-btn side-icon" aria-label="New message" title="New message" onclick={show(Dialog::NewDm)} id="new-dm">{ icon("plus") }</button>
                    </div>
                    <ul role="list">{ for dms.iter().map(|c| row(c)) }</ul>
                </div>
                if current.is_some() {
                    <button class="side-item invite-row" onclick={show(Dialog::Invite)} id="invite-people">
                        <span class="side-glyph">{ icon("plus") }</span><span class="side-name">{ "Invite people" }</span>
                    </button>
                }
            </div>
            <div class="side-footer">
                <button class="me-btn" onclick={show(Dialog::Profile(me_user.id))} aria-label="Your profile and status">
                    <Avatar user={me_user.clone()} size={32} />
                    <span class="me-text">
                        <span class="me-name">{ util::display_name(&me_user) }</span>
                        <span class="me-status">
                            <PresenceDot status={my_status} />
                            { me_user.status.as_ref().map_or_else(|| "Active".to_owned(), |s| format!("{} {}", s.emoji.as_deref().map(util::emoji_glyph).unwrap_or_default(), s.text)) }
                        </span>
                        if let Some(until) = &paused {
                            <span class="me-paused" id="paused-until">{ format!("Paused until {until}") }</span>
                        }
                    </span>
                </button>
                if *pause_menu {
                    <div class="menu pause-menu" role="menu">
                        <button class="menu-item" role="menuitem" id="pause-1h" onclick={pause("1h")}>{ icon("bell-off") }<span>{ "Pause for 1 hour" }</span></button>
                        <button class="menu-item" role="menuitem" id="pause-tomorrow" onclick={pause("tomorrow")}>{ icon("bell-off") }<span>{ "Pause until tomorrow" }</span></button>
                        if paused.is_some() {
                            <div class="menu-sep"></div>
                            <button class="menu-item" role="menuitem" id="pause-off" onclick={pause("off")}>{ icon("bell") }<span>{ "Resume notifications" }</span></button>
                        }
                    </div>
                }
                <button class={classes!("icon-btn", "side-icon", paused.is_some().then_some("on"))} id="pause-notifications"
                    aria-haspopup="menu" aria-expanded={pause_menu.to_string()}
                    aria-label={paused.as_ref().map_or_else(|| "Pause notifications".to_owned(), |u| format!("Notifications paused until {u}"))}
                    title={paused.as_ref().map_or_else(|| "Pause notifications".to_owned(), |u| format!("Notifications paused until {u}"))}
                    onclick={toggle_pause_menu}>{ icon(if paused.is_some() { "bell-off" } else { "bell" }) }</button>
                <button class="icon-btn side-icon" aria-label="Settings" title="Settings" onclick={show(Dialog::Settings)} id="open-settings">{ icon("settings") }</button>
            </div>
        </nav>
    }
}
