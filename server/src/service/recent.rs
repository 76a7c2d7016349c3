//! The latest page of each channel, served from the Cache port.
//!
//! Opening a channel is the most common read there is, and it always asks
//! for the same thing: the newest 50 messages. The rendered page is cached
//! under a per-channel version token; every change to the channel's
//! messages deletes the token after its commit, so the next reader starts a
//! new version and nobody is served a page from before an edit. A reader
//! that raced a change can only store its (older) page under the token that
//! the change already deleted, where nobody will look. With a node-local
//! cache, every node also drops the versions of the channels it sees
//! change in the event log, so other nodes' changes reach it within the
//! tailer's lag.

use std::time::Duration;

use parley_shared::api::MessagePage;
use parley_shared::ChannelId;

use super::messages::hydrate;
use crate::cache::pages::version_key;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::Cursor;

/// The page size clients ask for by default.
pub const PAGE: u32 = 50;
/// Also bounds how long an author's old name or status can show.
const PAGE_TTL: Duration = Duration::from_secs(60);
const VERSION_TTL: Duration = Duration::from_secs(24 * 3600);

/// The current version token of a channel, started if there is none;
/// `None` when the cache is unavailable.
async fn version(state: &AppState, channel_id: i64) -> Option<String> {
    let key = version_key(channel_id);
    match state.cache.get(&key).await {
        Ok(Some(v)) => Some(v),
        Ok(None) => {
            let v = state.next_id().to_string();
            state.cache.set(&key, &v, VERSION_TTL).await.ok().map(|_| v)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cache unavailable; reading from the database");
            None
        }
    }
}

/// The newest page of a channel (the caller has checked access).
pub async fn latest(state: &AppState, channel_id: ChannelId) -> ApiResult<MessagePage> {
    let version = version(state, channel_id.get()).await;
    let page_key = version.map(|v| format!("page:{channel_id}:{v}"));
    if let Some(key) = &page_key {
        if let Ok(Some(json)) = state.cache.get(key).await {
            if let Ok(page) = serde_json::from_str::<MessagePage>(&json) {
                state.metrics.cache_hits.inc();
                return Ok(page);
            }
        }
    }
    state.metrics.cache_misses.inc();
    let rows = state
        .store
        .fetch_page(channel_id.get(), Cursor::Latest, PAGE)
        .await?;
    let page = MessagePage {
        messages: hydrate(state, &rows.rows).await?,
        has_more_before: rows.has_more_before,
        has_more_after: rows.has_more_after,
    };
    if let (Some(key), Ok(json)) = (page_key, serde_json::to_string(&page)) {
        let _ = state.cache.set(&key, &json, PAGE_TTL).await;
    }
    Ok(page)
}
