//! Side panes that belong to a channel: a thread, the member list, pins.

use parley_shared::api::{ChannelMember, Message};
use parley_shared::ws::PresenceStatus;
use parley_shared::{ChannelId, MessageId};
use yew::prelude::*;

use crate::app::use_ctx;
use crate::store::{Action, Pending};
use crate::ui::channel::jump_to;
use crate::ui::common::{icon, Avatar, ErrorBanner};
use crate::ui::composer::Composer;
use crate::ui::message::{MessageRow, PendingRow};
use crate::ui::shell::{use_ui, Dialog, Panel};
use crate::util;

#[derive(Properties, PartialEq)]
pub struct ThreadProps {
    pub root: MessageId,
}

fn pane_head(title: &str, close: Callback<MouseEvent>) -> Html {
    html! {
        <header class="pane-head">
            <h2>{ title.to_owned() }</h2>
            <button class="icon-btn" aria-label={format!("Close {title}")} onclick={close}>{ icon("x") }</button>
        </header>
    }
}

#[function_component(ThreadPane)]
pub fn thread_pane(p: &ThreadProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let editing = use_state(|| None::<MessageId>);
    let error = use_state(|| None::<String>);
    let reload = use_state(|| 0u32);
    {
        let (ctx, error) = (ctx.clone(), error.clone());
        use_effect_with((p.root, *reload), move |(root, _)| {
            let root = *root;
            ctx.dispatch(Action::ThreadOpen(root));
            let ctx2 = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.thread(root, 100).await {
                    Ok(t) => {
                        error.set(None);
                        ctx.dispatch(Action::ThreadLoaded(t));
                    }
                    Err(e) => error.set(Some(e.message)),
                }
            });
            move || ctx2.dispatch(Action::ThreadClose)
        });
    }
    let close = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| ui.open(Panel::None))
    };
    let state = ctx.state();
    let me = state.me_id();
    let view = state
        .thread
        .as_ref()
        .filter(|(id, _)| *id == p.root)
        .map(|(_, v)| v.clone());
    let Some(view) = view else {
        return html! { <div class="pane-inner">{ pane_head("Thread", close) }</div> };
    };
    let channel = view.root.as_ref().map(|r| r.channel_id);
    let admin = channel
        .and_then(|c| state.channels.get(&c))
        .and_then(|c| {
            state
                .workspaces
                .iter()
                .find(|w| Some(w.id) == c.workspace_id)
        })
        .is_some_and(|w| !matches!(w.role, parley_shared::api::WorkspaceRole::Member));
    let row = |m: &Message, compact: bool| {
        let mine = Some(m.author.id) == me;
        html! {
            <MessageRow key={m.id.to_string()} message={m.clone()} {compact} {mine} can_delete={mine || admin}
                editing={*editing == Some(m.id)} in_thread={true}
                on_edit={let e = editing.clone(); Callback::from(move |id| e.set(id))} />
        }
    };
    let pending: Vec<Pending> = state
        .pending
        .iter()
        .filter(|x| x.thread_root_id == Some(p.root))
        .cloned()
        .collect();
    let title = channel
        .and_then(|c| state.channels.get(&c))
        .map(|c| {
            if util::is_dm(c) {
                util::channel_title(c, me)
            } else {
                format!("#{}", c.name)
            }
        })
        .unwrap_or_default();
    let retry = {
        let reload = reload.clone();
        Callback::from(move |_: MouseEvent| reload.set(*reload + 1))
    };
    let mut prev: Option<&Message> = None;
    html! {
        <div class="pane-inner thread" aria-label="Thread">
            <header class="pane-head">
                <h2>{ "Thread" }<span class="muted small">{ format!(" {title}") }</span></h2>
                <button class="icon-btn" aria-label="Close thread" onclick={close}>{ icon("x") }</button>
            </header>
            if let Some(e) = (*error).clone() {
                <ErrorBanner message={e} retry={Some(retry)} />
            }
            <div class="pane-scroll">
                if let Some(root) = &view.root {
                    { row(root, false) }
                    <div class="thread-divider"><span>{ format!("{} {}", view.replies.len(), if view.replies.len() == 1 { "reply" } else { "replies" }) }</span></div>
                }
                { for view.replies.iter().map(|m| {
                    let compact = prev.is_some_and(|p| p.author.id == m.author.id && m.created_at.millis() - p.created_at.millis() < 300_000);
                    prev = Some(m);
                    row(m, compact)
                }) }
                { for pending.into_iter().map(|pm| { let key = pm.nonce.clone(); html! { <PendingRow {key} pending={pm} /> } }) }
            </div>
            if let Some(c) = channel {
                <Composer channel={c} placeholder="Reply…" thread_root={Some(p.root)} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChannelPaneProps {
    pub channel: Option<ChannelId>,
}

#[function_component(MembersPane)]
pub fn members_pane(p: &ChannelPaneProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let members = use_state(|| None::<Result<Vec<ChannelMember>, String>>);
    {
        let (ctx, members) = (ctx.clone(), members.clone());
        use_effect_with(p.channel, move |c| {
            if let Some(c) = *c {
                wasm_bindgen_futures::spawn_local(async move {
                    let r = ctx.api.channel_members(c).await;
                    members.set(Some(r.map_err(|e| e.message)));
                });
            }
        });
    }
    let close = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| ui.open(Panel::None))
    };
    let state = ctx.state();
    html! {
        <div class="pane-inner">
            { pane_head("Members", close) }
            <div class="pane-scroll">
                { match &*members {
                    None => html! { <p class="muted pad">{ "Loading…" }</p> },
                    Some(Err(e)) => html! { <ErrorBanner message={e.clone()} /> },
                    Some(Ok(list)) => html! {
                        <ul class="member-list" role="list">
                            { for list.iter().map(|m| {
                                let st = state.presence.get(&m.user.id).copied().unwrap_or(PresenceStatus::Offline);
                                let (ui, id) = (ui.clone(), m.user.id);
                                html! {
                                    <li>
                                        <button class="member-row" onclick={move |_| ui.show(Dialog::Profile(id))}>
                                            <Avatar user={m.user.clone()} size={32} presence={Some(st)} />
                                            <span class="opt-name">{ util::display_name(&m.user) }</span>
                                            <span class="muted">{ format!("@{}", m.user.username) }</span>
                                            if m.role == parley_shared::api::ChannelRole::Admin { <span class="tag">{ "admin" }</span> }
                                        </button>
                                    </li>
                                }
                            }) }
                        </ul>
                    },
                } }
            </div>
        </div>
    }
}

#[function_component(PinsPane)]
pub fn pins_pane(p: &ChannelPaneProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let nav = yew_router::prelude::use_navigator();
    let pins = use_state(|| None::<Result<Vec<Message>, String>>);
    {
        let (ctx, pins) = (ctx.clone(), pins.clone());
        use_effect_with(p.channel, move |c| {
            if let Some(c) = *c {
                wasm_bindgen_futures::spawn_local(async move {
                    let r = ctx.api.pins(c).await;
                    pins.set(Some(r.map_err(|e| e.message)));
                });
            }
        });
    }
    let close = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| ui.open(Panel::None))
    };
    let offset = crate::ui::utc_offset_min();
    html! {
        <div class="pane-inner">
            { pane_head("Pinned messages", close) }
            <div class="pane-scroll">
                { match &*pins {
                    None => html! { <p class="muted pad">{ "Loading…" }</p> },
                    Some(Err(e)) => html! { <ErrorBanner message={e.clone()} /> },
                    Some(Ok(list)) if list.is_empty() => html! { <p class="muted pad">{ "Nothing is pinned yet. Hover a message and click the pin to keep it here." }</p> },
                    Some(Ok(list)) => html! { <>{ for list.iter().map(|m| {
                        let (ctx, nav, c, seq, id) = (ctx.clone(), nav.clone(), m.channel_id, m.seq, m.id);
                        html! {
                            <button class="result" onclick={move |_| jump_to(&ctx, nav.clone(), c, seq, id)}>
                                <div class="result-meta"><strong>{ util::display_name(&m.author) }</strong><span class="muted">{ util::clock(m.created_at, offset) }</span></div>
                                <div class="result-text">{ m.content.chars().take(200).collect::<String>() }</div>
                            </button>
                        }
                    }) }</> },
                } }
            </div>
        </div>
    }
}
