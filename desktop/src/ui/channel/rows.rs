//! The rows of the message list: the skeleton while loading, the
//! channel's intro at the very beginning, day separators, the "New" line at
//! the read position, compact follow-ups, the server's call rows, and the
//! pending sends at the end.

use parley_shared::api::{Channel, Message};
use parley_shared::MessageId;
use yew::prelude::*;

use crate::store::{Pending, State, Timeline};
use crate::ui::call::SystemRow;
use crate::ui::message::{MessageRow, PendingRow};
use crate::util;

/// What the rows are built from.
pub struct RowsOf<'a> {
    pub state: &'a State,
    pub channel: &'a Channel,
    pub timeline: &'a Timeline,
    /// The rendered window [start, end) of the loaded messages.
    pub start: usize,
    pub end: usize,
    /// The window reaches the newest message (pending sends show).
    pub at_latest: bool,
    /// The first page failed (no skeleton then: the error banner shows).
    pub load_failed: bool,
    /// Where "New" goes: the read position when the channel was opened.
    pub read_mark: Option<i64>,
    pub editing: &'a UseStateHandle<Option<MessageId>>,
}

pub fn message_rows(r: RowsOf<'_>) -> Vec<Html> {
    let RowsOf {
        state,
        channel,
        timeline,
        start,
        end,
        at_latest,
        load_failed,
        read_mark,
        editing,
    } = r;
    let channel = channel.clone();
    let editing = editing.clone();
    let channel_id = channel.id;
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
    if !timeline.loaded && !load_failed {
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
        if m.system.is_some() {
            rows.push(html! { <SystemRow key={m.id.to_string()} message={m.clone()} /> });
            prev = Some(m);
            continue;
        }
        let compact = !new_day
            && prev.is_some_and(|p| {
                p.author.id == m.author.id
                    && !p.deleted
                    && p.system.is_none()
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
    rows
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
