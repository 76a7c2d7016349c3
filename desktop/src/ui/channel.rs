//! One channel or DM: header, the windowed message list, typing indicator
//! and the composer.
//!
//! The list renders at most [`WINDOW`] messages however much history is
//! loaded: scrolling near the top first slides the window up through what
//! is loaded, then fetches the next 50 older messages with the `before`
//! cursor. The DOM therefore stays at a few hundred nodes even in a channel
//! with 10,000 messages.

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::api::{Channel, ChannelKind, Message, MessagePage};
use parley_shared::ws::ClientFrame;
use parley_shared::{ChannelId, MessageId};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api::{ApiResult, HistoryPage};
use crate::app::{latest, use_ctx, Ctx};
use crate::store::{Action, PageKind, Pending, Timeline};
use crate::ui::common::{icon, ErrorBanner};
use crate::ui::composer::Composer;
use crate::ui::message::{MessageRow, PendingRow};
use crate::ui::shell::{use_ui, Dialog, Panel};
use crate::util;

/// Messages rendered at once.
pub const WINDOW: usize = 120;
/// How far the window slides per step.
const SHIFT: usize = 40;
/// Messages per history request.
pub const PAGE: u32 = 50;

/// A page of a channel's history: DMs have their own route, so the
/// channel's kind is looked up in the newest state.
pub async fn load_page(
    api: &crate::api::Api,
    channel: ChannelId,
    page: HistoryPage,
    limit: u32,
) -> ApiResult<MessagePage> {
    let dm = latest().0.channels.get(&channel).is_some_and(util::is_dm);
    api.history(channel, dm, page, limit).await
}

pub async fn load_latest(api: &crate::api::Api, dispatch: &Rc<dyn Fn(Action)>, channel: ChannelId) {
    if let Ok(page) = load_page(api, channel, HistoryPage::Latest, PAGE).await {
        dispatch(Action::Page(channel, PageKind::Latest, page));
    }
}

fn dispatcher(ctx: &Ctx) -> Rc<dyn Fn(Action)> {
    let d = ctx.store.dispatcher();
    Rc::new(move |a| d.dispatch(a))
}

/// Loads a window around `seq` and focuses `id` (search results, pins).
/// The channel is opened only once the window is loaded, so its own
/// "load the newest page" never races the jump.
pub fn jump_to(
    ctx: &Ctx,
    nav: Option<yew_router::prelude::Navigator>,
    channel: ChannelId,
    seq: i64,
    id: MessageId,
) {
    let ctx = ctx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let already = ctx
            .state()
            .timeline(channel)
            .is_some_and(|t| t.messages.iter().any(|m| m.id == id));
        if !already {
            let around = HistoryPage::Around(seq);
            if let Ok(page) = load_page(&ctx.api, channel, around, PAGE).await {
                ctx.dispatch(Action::Page(channel, PageKind::Around, page));
            }
        }
        if let Some(nav) = nav {
            nav.push(&crate::app::Route::Channel {
                id: channel.to_string(),
            });
        }
        ctx.dispatch(Action::Focus(Some(id)));
        gloo_timers::future::TimeoutFuture::new(2_500).await;
        if latest().0.focus == Some(id) {
            ctx.dispatch(Action::Focus(None));
        }
    });
}

fn element(id: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

/// Which slice of the loaded messages is rendered: [start, end).
pub fn window_bounds(
    len: usize,
    end_seq: Option<i64>,
    seqs: impl Fn(usize) -> i64,
) -> (usize, usize) {
    let end = match end_seq {
        None => len,
        Some(s) => (0..len).find(|&i| seqs(i) > s).unwrap_or(len),
    };
    (end.saturating_sub(WINDOW), end)
}

#[derive(Properties, PartialEq)]
pub struct ChannelProps {
    pub channel: ChannelId,
}

#[function_component(ChannelView)]
pub fn channel_view(p: &ChannelProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let state = ctx.state();
    let editing = use_state(|| None::<MessageId>);
    let load_error = use_state(|| None::<String>);
    let loading_older = use_mut_ref(|| false);
    // None = follow the newest message; Some(seq) = the window ends there.
    let end_seq = use_state(|| None::<i64>);
    let stick = use_mut_ref(|| true);
    // (message element id, its offset from the list's top) to restore after
    // the window moved, so the message under the reader's eyes stays put.
    let anchor: Rc<RefCell<Option<(String, f64)>>> = use_mut_ref(|| None);
    let list_ref = use_node_ref();
    let channel_id = p.channel;
    let Some(channel) = state.channels.get(&channel_id).cloned() else {
        return html! {};
    };
    let empty = Rc::new(Timeline::default());
    let timeline = state.timelines.get(&channel_id).cloned().unwrap_or(empty);

    // Where "New" goes: the read position when the channel was opened.
    let read_mark = use_state(|| None::<i64>);
    // Load the newest page when the channel opens.
    {
        let (ctx, load_error, end_seq, stick, editing) = (
            ctx.clone(),
            load_error.clone(),
            end_seq.clone(),
            stick.clone(),
            editing.clone(),
        );
        let read_mark = read_mark.clone();
        use_effect_with(channel_id, move |c| {
            let c = *c;
            read_mark.set(
                ctx.state()
                    .channels
                    .get(&c)
                    .filter(|ch| ch.unread_count > 0 && ch.last_read_seq > 0)
                    .map(|ch| ch.last_read_seq),
            );
            end_seq.set(None);
            editing.set(None);
            *stick.borrow_mut() = true;
            if !ctx.state().timeline(c).is_some_and(|t| t.loaded) {
                let ctx = ctx.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match load_page(&ctx.api, c, HistoryPage::Latest, PAGE).await {
                        Ok(page) => {
                            load_error.set(None);
                            ctx.dispatch(Action::Page(c, PageKind::Latest, page));
                        }
                        Err(e) => load_error.set(Some(e.message)),
                    }
                });
            }
        });
    }

    let seqs: Vec<i64> = timeline.messages.iter().map(|m| m.seq).collect();
    let (start, end) = window_bounds(seqs.len(), *end_seq, |i| seqs[i]);
    let at_latest = end == seqs.len() && !timeline.has_more_after;

    // After each render: restore the anchor, follow the bottom, or scroll
    // a focused message into view; mark what is visible as read.
    {
        let list_ref = list_ref.clone();
        let anchor = anchor.clone();
        let stick = stick.clone();
        let focus = state.focus;
        let last = timeline.messages.last().map(|m| (m.id, m.seq));
        let pending_count = state.pending.len();
        let ctx = ctx.clone();
        let read_seq = channel.last_read_seq;
        // Nothing is read behind a hidden window; showing it again re-runs
        // this and marks what is then on screen.
        let hidden = state.hidden;
        use_effect_with(
            (start, end, last, focus, pending_count, channel_id, hidden),
            move |_| {
                if let Some(list) = list_ref.cast::<web_sys::HtmlElement>() {
                    if let Some((id, offset)) = anchor.borrow_mut().take() {
                        if let Some(el) = element(&id) {
                            list.set_scroll_top(el.offset_top() - offset as i32);
                        }
                    } else if let Some(f) = focus {
                        if let Some(el) = element(&format!("msg-{f}")) {
                            let opts = web_sys::ScrollIntoViewOptions::new();
                            opts.set_block(web_sys::ScrollLogicalPosition::Center);
                            el.scroll_into_view_with_scroll_into_view_options(&opts);
                            *stick.borrow_mut() = false;
                        }
                    } else if *stick.borrow() && at_latest {
                        list.set_scroll_top(list.scroll_height());
                    }
                }
                if let Some((id, seq)) = last {
                    if at_latest && seq > read_seq && *stick.borrow() && !hidden {
                        ctx.ws.send(ClientFrame::ReadReceipt {
                            channel_id,
                            message_id: id,
                        });
                    }
                }
            },
        );
    }

    let on_scroll = {
        let (ctx, end_seq, stick, anchor, loading_older, list_ref) = (
            ctx.clone(),
            end_seq.clone(),
            stick.clone(),
            anchor.clone(),
            loading_older.clone(),
            list_ref.clone(),
        );
        let seqs = seqs.clone();
        let has_more_before = timeline.has_more_before;
        let has_more_after = timeline.has_more_after;
        Callback::from(move |_: Event| {
            let Some(list) = list_ref.cast::<web_sys::HtmlElement>() else {
                return;
            };
            let top = list.scroll_top();
            let bottom_gap = list.scroll_height() - top - list.client_height();
            *stick.borrow_mut() = bottom_gap < 80;
            // Remember the first message visible, to keep it in place.
            let remember = |anchor: &Rc<RefCell<Option<(String, f64)>>>| {
                let items = list.query_selector_all(".msg[id]").ok();
                if let Some(items) = items {
                    for i in 0..items.length() {
                        if let Some(el) = items
                            .item(i)
                            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                        {
                            if el.offset_top() >= top {
                                *anchor.borrow_mut() =
                                    Some((el.id(), f64::from(el.offset_top() - top)));
                                break;
                            }
                        }
                    }
                }
            };
            if top < 400 {
                if start > 0 {
                    remember(&anchor);
                    let new_end = end.saturating_sub(SHIFT).max(WINDOW.min(seqs.len()));
                    if new_end < end {
                        end_seq.set(seqs.get(new_end.saturating_sub(1)).copied());
                    }
                } else if has_more_before && !*loading_older.borrow() {
                    *loading_older.borrow_mut() = true;
                    remember(&anchor);
                    let (ctx, loading_older) = (ctx.clone(), loading_older.clone());
                    let oldest = seqs.first().copied().unwrap_or(1);
                    let (end_seq, pinned_end) =
                        (end_seq.clone(), seqs.get(end.saturating_sub(1)).copied());
                    wasm_bindgen_futures::spawn_local(async move {
                        let before = HistoryPage::Before(oldest);
                        if let Ok(page) = load_page(&ctx.api, channel_id, before, PAGE).await {
                            let n = page.messages.len();
                            ctx.dispatch(Action::Page(channel_id, PageKind::Before, page));
                            // Slide the window up over what just arrived.
                            if n > 0 {
                                let t = latest();
                                if let Some(t) = t.0.timeline(channel_id) {
                                    let seqs: Vec<i64> = t.messages.iter().map(|m| m.seq).collect();
                                    let cur_end = pinned_end
                                        .and_then(|s| seqs.iter().position(|&x| x == s))
                                        .map_or(seqs.len(), |i| i + 1);
                                    let new_end = cur_end
                                        .saturating_sub(n.min(SHIFT))
                                        .max(WINDOW.min(seqs.len()));
                                    end_seq.set(seqs.get(new_end.saturating_sub(1)).copied());
                                }
                            }
                        }
                        *loading_older.borrow_mut() = false;
                    });
                }
            } else if bottom_gap < 400 && end < seqs.len() {
                remember(&anchor);
                let new_end = end + SHIFT;
                end_seq.set(if new_end >= seqs.len() {
                    None
                } else {
                    seqs.get(new_end - 1).copied()
                });
            } else if bottom_gap < 400
                && end == seqs.len()
                && has_more_after
                && !*loading_older.borrow()
            {
                *loading_older.borrow_mut() = true;
                let (ctx, loading_older) = (ctx.clone(), loading_older.clone());
                let newest = seqs.last().copied().unwrap_or(0);
                wasm_bindgen_futures::spawn_local(async move {
                    let after = HistoryPage::After(newest);
                    if let Ok(page) = load_page(&ctx.api, channel_id, after, PAGE).await {
                        ctx.dispatch(Action::Page(channel_id, PageKind::After, page));
                    }
                    *loading_older.borrow_mut() = false;
                });
            }
        })
    };

    let jump_latest = {
        let (ctx, end_seq, stick) = (ctx.clone(), end_seq.clone(), stick.clone());
        let has_more_after = timeline.has_more_after;
        Callback::from(move |_: MouseEvent| {
            *stick.borrow_mut() = true;
            end_seq.set(None);
            ctx.dispatch(Action::Focus(None));
            if has_more_after {
                let d = dispatcher(&ctx);
                let api = ctx.api.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    load_latest(&api, &d, channel_id).await
                });
            }
        })
    };

    let me = state.me_id();
    let offset = crate::ui::utc_offset_min();
    let now = crate::ui::now();
    let admin = state
        .workspaces
        .iter()
        .find(|w| Some(w.id) == channel.workspace_id)
        .is_some_and(|w| !matches!(w.role, parley_shared::api::WorkspaceRole::Member));
    let mut rows: Vec<Html> = Vec::with_capacity(end - start + 8);
    let window: &[Message] = &timeline.messages[start..end];
    let mut prev: Option<&Message> = if start > 0 {
        timeline.messages.get(start - 1)
    } else {
        None
    };
    if !timeline.loaded && load_error.is_none() {
        rows.push(html! {
            <div class="skeleton" key="skeleton" aria-busy="true" aria-label="Loading messages">
                { for (0..4).map(|i| html! { <div class="sk-row"><span class="sk-avatar"></span><span class="sk-lines"><span class="sk-line short"></span><span class={classes!("sk-line", (i % 2 == 0).then_some("long"))}></span></span></div> }) }
            </div>
        });
    } else if start == 0 && timeline.loaded && !timeline.has_more_before {
        rows.push(channel_intro(&channel, me));
    } else if start == 0 && timeline.has_more_before {
        rows.push(
            html! { <div class="loading-older" key="older">{ "Loading earlier messages…" }</div> },
        );
    }
    let mut marked = false;
    for m in window {
        if !marked && read_mark.is_some_and(|mark| m.seq > mark) && Some(m.author.id) != me {
            marked = true;
            rows.push(html! { <div class="new-sep" key="new" role="separator" aria-label="New messages"><span>{ "New" }</span></div> });
        }
        let new_day = prev.is_none_or(|p| {
            util::day_key(p.created_at, offset) != util::day_key(m.created_at, offset)
        });
        if new_day {
            rows.push(html! {
                <div class="day-sep" role="separator" key={format!("day-{}", m.seq)}>
                    <span>{ util::day_label(m.created_at, now, offset) }</span>
                </div>
            });
        }
        let compact = !new_day
            && prev.is_some_and(|p| {
                p.author.id == m.author.id
                    && !p.deleted
                    && m.created_at.millis() - p.created_at.millis() < 5 * 60_000
            });
        let mine = Some(m.author.id) == me;
        rows.push(html! {
            <MessageRow key={m.id.to_string()} message={m.clone()} {compact} {mine} can_delete={mine || admin}
                editing={*editing == Some(m.id)} focused={state.focus == Some(m.id)}
                on_edit={let e = editing.clone(); Callback::from(move |id| e.set(id))} />
        });
        prev = Some(m);
    }
    let pending: Vec<Pending> = state
        .pending
        .iter()
        .filter(|p| p.channel_id == channel_id && p.thread_root_id.is_none())
        .cloned()
        .collect();
    if at_latest {
        for pm in pending {
            let key = pm.nonce.clone();
            rows.push(html! { <PendingRow {key} pending={pm} /> });
        }
    }

    let typing_names: Vec<String> = state
        .typing_in(channel_id)
        .into_iter()
        .filter(|u| Some(*u) != me)
        .map(|u| {
            state.users.get(&u).map_or_else(
                || "Someone".to_owned(),
                |u| util::display_name(u).to_owned(),
            )
        })
        .collect();
    let title = util::channel_title(&channel, me);
    let is_dm = util::is_dm(&channel);
    let placeholder = if is_dm {
        format!("Message {title}")
    } else {
        format!("Message #{title}")
    };
    let last_mine = timeline
        .messages
        .iter()
        .rev()
        .find(|m| Some(m.author.id) == me && !m.deleted)
        .map(|m| m.id);

    let search = {
        let ui = ui.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                let v = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                    .map(|i| i.value())
                    .unwrap_or_default();
                if !v.trim().is_empty() {
                    ui.open(Panel::Search(v.trim().to_owned()));
                }
            }
        })
    };
    let join = {
        let ctx = ctx.clone();
        Callback::from(move |_: MouseEvent| {
            let ctx = ctx.clone();
            let Some(me) = ctx.state().me_id() else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                let body = parley_shared::api::AddMembersRequest { user_ids: vec![me] };
                if ctx.api.add_members(channel_id, &body).await.is_ok() {
                    if let Ok(c) = ctx.api.channel(channel_id).await {
                        ctx.dispatch(Action::ChannelUpsert(c));
                    }
                }
            });
        })
    };
    let retry = {
        let (ctx, load_error) = (ctx.clone(), load_error.clone());
        Callback::from(move |_: MouseEvent| {
            let (ctx, load_error) = (ctx.clone(), load_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match load_page(&ctx.api, channel_id, HistoryPage::Latest, PAGE).await {
                    Ok(page) => {
                        load_error.set(None);
                        ctx.dispatch(Action::Page(channel_id, PageKind::Latest, page));
                    }
                    Err(e) => load_error.set(Some(e.message)),
                }
            });
        })
    };
    let open = |panel: Panel| {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            if *ui.panel == panel {
                ui.open(Panel::None);
            } else {
                ui.open(panel.clone());
            }
        })
    };
    let dm_user = if channel.kind == ChannelKind::Dm {
        channel
            .members
            .iter()
            .flatten()
            .find(|u| Some(u.id) != me)
            .cloned()
    } else {
        None
    };

    html! {
        <section class="channel" aria-label={format!("Conversation {title}")}>
            <header class="channel-head">
                <div class="channel-title">
                    <h1>
                        { match channel.kind {
                            ChannelKind::Public => html! { <span class="title-glyph">{ icon("hash") }</span> },
                            ChannelKind::Private => html! { <span class="title-glyph">{ icon("lock") }</span> },
                            _ => html! {},
                        } }
                        if let Some(u) = dm_user.clone() {
                            <button class="link-btn title-btn" onclick={let ui = ui.clone(); move |_| ui.show(Dialog::Profile(u.id))}>{ title.clone() }</button>
                        } else {
                            <span id="channel-name">{ title.clone() }</span>
                        }
                    </h1>
                    if !channel.topic.is_empty() {
                        <span class="topic" title={channel.topic.clone()}>{ channel.topic.clone() }</span>
                    }
                </div>
                <div class="head-actions">
                    <div class="search-box">
                        { icon("search") }
                        <input type="search" placeholder="Search messages" aria-label="Search messages" onkeydown={search} id="search-input" />
                    </div>
                    <button class="icon-btn with-count" aria-label={format!("Members ({})", channel.member_count)} title="Members" onclick={open(Panel::Members)}>
                        { icon("users") }<span>{ channel.member_count }</span>
                    </button>
                    <button class="icon-btn" aria-label="Pinned messages" title="Pinned messages" onclick={open(Panel::Pins)}>{ icon("pin") }</button>
                    if !is_dm {
                        <button class="icon-btn" aria-label="Channel settings" title="Channel settings" id="channel-settings"
                            onclick={let ui = ui.clone(); move |_| ui.show(Dialog::ChannelSettings)}>{ icon("settings") }</button>
                    }
                </div>
            </header>
            if let Some(e) = (*load_error).clone() {
                <ErrorBanner message={e} retry={Some(retry)} />
            }
            <div class="messages" ref={list_ref} onscroll={on_scroll} role="log" aria-live="polite" aria-label="Messages" id="message-list">
                { for rows }
            </div>
            if !at_latest {
                <button class="jump-latest" onclick={jump_latest} id="jump-latest">{ icon("down") }{ "Jump to latest" }</button>
            }
            <div class="typing" aria-live="polite" id="typing-indicator">{ util::typing_text(&typing_names) }</div>
            if channel.is_member {
                <Composer channel={channel_id} placeholder={placeholder} last_mine={last_mine}
                    on_edit_last={let e = editing.clone(); Callback::from(move |id| e.set(Some(id)))} />
            } else {
                <div class="join-bar">
                    <span>{ format!("You're viewing #{title}.") }</span>
                    <button class="btn primary" onclick={join} id="join-channel">{ "Join channel" }</button>
                </div>
            }
        </section>
    }
}

fn channel_intro(c: &Channel, me: Option<parley_shared::UserId>) -> Html {
    let title = util::channel_title(c, me);
    let (head, body) = if util::is_dm(c) {
        (
            title.clone(),
            format!("This is the beginning of your direct message history with {title}."),
        )
    } else {
        (
            format!("#{title}"),
            format!(
                "This is the very beginning of #{title}.{}",
                if c.purpose.is_empty() {
                    String::new()
                } else {
                    format!(" {}", c.purpose)
                }
            ),
        )
    };
    html! {
        <div class="channel-intro" key="intro">
            <h2>{ head }</h2>
            <p class="muted">{ body }</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_bounded() {
        let seqs: Vec<i64> = (1..=1000).collect();
        assert_eq!(
            window_bounds(1000, None, |i| seqs[i]),
            (1000 - WINDOW, 1000)
        );
        assert_eq!(
            window_bounds(1000, Some(500), |i| seqs[i]),
            (500 - WINDOW, 500)
        );
        assert_eq!(window_bounds(10, None, |i| seqs[i]), (0, 10));
        assert_eq!(window_bounds(0, None, |i| seqs[i]), (0, 0));
    }
}
