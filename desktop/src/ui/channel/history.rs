//! Loading a channel's history and choosing the rendered window: pages of
//! [`PAGE`] messages through the endpoint layer, at most [`WINDOW`] of the
//! loaded ones on screen, sliding by [`SHIFT`].

use std::rc::Rc;

use parley_shared::api::MessagePage;
use parley_shared::{ChannelId, MessageId};

use crate::api::{ApiResult, HistoryPage};
use crate::app::{latest, Ctx};
use crate::store::{Action, PageKind};
use crate::util;

/// Messages rendered at once.
pub const WINDOW: usize = 120;
/// How far the window slides per step.
pub(super) const SHIFT: usize = 40;
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

pub(super) fn dispatcher(ctx: &Ctx) -> Rc<dyn Fn(Action)> {
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
