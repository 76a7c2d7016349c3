//! One channel or DM: header, the windowed message list, typing indicator
//! and the composer.
//!
//! The list renders at most [`WINDOW`] messages however much history is
//! loaded: scrolling near the top first slides the window up through what
//! is loaded, then fetches the next 50 older messages with the `before`
//! cursor. The DOM therefore stays at a few hundred nodes even in a channel
//! with 10,000 messages. Loading is in `history`, scrolling in `scroll`,
//! the rows in `rows` and the header in `header`.

mod header;
mod history;
mod rows;
mod scroll;

use std::rc::Rc;

use parley_shared::ws::ClientFrame;
use parley_shared::{ChannelId, MessageId};
use yew::prelude::*;

pub use history::{jump_to, load_latest, load_page, window_bounds, PAGE, WINDOW};

use crate::api::HistoryPage;
use crate::app::{use_ctx, Ctx};
use crate::store::{Action, PageKind, Timeline};
use crate::ui::common::{icon, ErrorBanner};
use crate::ui::composer::Composer;
use crate::util;
use header::ChannelHeader;
use rows::{message_rows, RowsOf};
use scroll::{element, jump_latest, on_scroll, use_list_scroll, use_stick_on_resize, ListScroll};

#[derive(Properties, PartialEq)]
pub struct ChannelProps {
    pub channel: ChannelId,
}

#[function_component(ChannelView)]
pub fn channel_view(p: &ChannelProps) -> Html {
    let ctx = use_ctx();
    let state = ctx.state();
    let editing = use_state(|| None::<MessageId>);
    let load_error = use_state(|| None::<String>);
    let scroll = use_list_scroll();
    // Re-armed once the list exists (the first render may have no channel yet).
    use_stick_on_resize(
        &scroll,
        (p.channel, state.channels.contains_key(&p.channel)),
    );
    let ListScroll {
        end_seq,
        stick,
        anchor,
        list_ref,
        ..
    } = scroll.clone();
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
                load_first_page(&ctx, c, &load_error);
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

    let on_scroll = on_scroll(
        &ctx,
        &scroll,
        &timeline,
        seqs.clone(),
        channel_id,
        (start, end),
    );
    let jump_latest = jump_latest(&ctx, &scroll, &timeline, channel_id);

    let me = state.me_id();
    let rows = message_rows(RowsOf {
        state,
        channel: &channel,
        timeline: &timeline,
        start,
        end,
        at_latest,
        load_failed: load_error.is_some(),
        read_mark: *read_mark,
        editing: &editing,
    });

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
        Callback::from(move |_: MouseEvent| load_first_page(&ctx, channel_id, &load_error))
    };
    html! {
        <section class="channel" aria-label={format!("Conversation {title}")}>
            <ChannelHeader channel={channel.clone()} />
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

/// Loads the newest page; a failure shows in the banner with a Retry.
fn load_first_page(ctx: &Ctx, channel: ChannelId, load_error: &UseStateHandle<Option<String>>) {
    let (ctx, load_error) = (ctx.clone(), load_error.clone());
    wasm_bindgen_futures::spawn_local(async move {
        match load_page(&ctx.api, channel, HistoryPage::Latest, PAGE).await {
            Ok(page) => {
                load_error.set(None);
                ctx.dispatch(Action::Page(channel, PageKind::Latest, page));
            }
            Err(e) => load_error.set(Some(e.message)),
        }
    });
}
