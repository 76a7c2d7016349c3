//! The message list's scrolling: where the rendered window ends, whether
//! it follows the newest message, and the anchor (the first visible
//! message and its offset) restored after the window moves, so what the
//! reader is looking at stays put. Scrolling near the top slides the window
//! up, then loads older pages; near the bottom it slides back down.

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::ChannelId;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::history::{dispatcher, load_latest, load_page, PAGE, SHIFT, WINDOW};
use crate::api::HistoryPage;
use crate::app::{latest, Ctx};
use crate::store::{Action, PageKind, Timeline};

/// The list's scroll state, shared by the render, its effects and the
/// scroll handler.
#[derive(Clone)]
pub struct ListScroll {
    pub loading_older: Rc<RefCell<bool>>,
    /// None = follow the newest message; Some(seq) = the window ends there.
    pub end_seq: UseStateHandle<Option<i64>>,
    /// Whether the list sticks to the bottom as messages arrive.
    pub stick: Rc<RefCell<bool>>,
    /// (message element id, its offset from the list's top) to restore after
    /// the window moved, so the message under the reader's eyes stays put.
    pub anchor: Rc<RefCell<Option<(String, f64)>>>,
    pub list_ref: NodeRef,
}

#[hook]
pub fn use_list_scroll() -> ListScroll {
    let loading_older = use_mut_ref(|| false);
    let end_seq = use_state(|| None::<i64>);
    let stick = use_mut_ref(|| true);
    let anchor: Rc<RefCell<Option<(String, f64)>>> = use_mut_ref(|| None);
    let list_ref = use_node_ref();
    ListScroll {
        loading_older,
        end_seq,
        stick,
        anchor,
        list_ref,
    }
}

/// Keeps a list that follows the newest message at the bottom when the
/// list itself changes size (the call's video stage opens above it, the
/// window is resized): a resize moves no scroll position and fires no
/// scroll event, so nothing else would.
#[hook]
pub fn use_stick_on_resize(s: &ListScroll, list_of: (ChannelId, bool)) {
    let (list_ref, stick) = (s.list_ref.clone(), s.stick.clone());
    use_effect_with(list_of, move |_| {
        let list = list_ref.cast::<web_sys::HtmlElement>();
        let observer = list.as_ref().and_then(|list| {
            let target = list.clone();
            let follow = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
                if *stick.borrow() {
                    target.set_scroll_top(target.scroll_height());
                }
            });
            let observer = web_sys::ResizeObserver::new(follow.as_ref().unchecked_ref()).ok()?;
            observer.observe(list);
            Some((observer, follow))
        });
        move || {
            if let Some((observer, _follow)) = observer {
                observer.disconnect();
            }
        }
    });
}

pub(super) fn element(id: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

/// The list's scroll handler for the window [start, end) of `seqs`.
pub fn on_scroll(
    ctx: &Ctx,
    s: &ListScroll,
    timeline: &Timeline,
    seqs: Vec<i64>,
    channel_id: ChannelId,
    (start, end): (usize, usize),
) -> Callback<Event> {
    let ctx = ctx.clone();
    let ListScroll {
        loading_older,
        end_seq,
        stick,
        anchor,
        list_ref,
    } = s.clone();
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
}

/// "Jump to latest": follow the bottom again, reloading the newest page
/// when the slice is an older window.
pub fn jump_latest(
    ctx: &Ctx,
    s: &ListScroll,
    timeline: &Timeline,
    channel_id: ChannelId,
) -> Callback<MouseEvent> {
    let (ctx, end_seq, stick) = (ctx.clone(), s.end_seq.clone(), s.stick.clone());
    let has_more_after = timeline.has_more_after;
    Callback::from(move |_: MouseEvent| {
        *stick.borrow_mut() = true;
        end_seq.set(None);
        ctx.dispatch(Action::Focus(None));
        if has_more_after {
            let d = dispatcher(&ctx);
            let api = ctx.api.clone();
            wasm_bindgen_futures::spawn_local(
                async move { load_latest(&api, &d, channel_id).await },
            );
        }
    })
}
