//! Version tokens of the cached newest page of each channel (see
//! `service::recent`). Every writer drops a channel's token after its
//! commit, and with a node-local cache every node's tailer drops the tokens
//! of channels it sees change in the event log: both go through here, so
//! the key format lives in one place.

use super::Cache;

/// The cache key holding a channel's current page version.
pub fn version_key(channel_id: i64) -> String {
    format!("chv:{channel_id}")
}

/// Call after committing any change to these channels' messages.
pub async fn invalidate(cache: &dyn Cache, channel_ids: &[i64]) {
    if channel_ids.is_empty() {
        return;
    }
    let keys: Vec<String> = channel_ids.iter().map(|&c| version_key(c)).collect();
    if let Err(e) = cache.delete(&keys).await {
        // The page expires by itself within its TTL.
        tracing::warn!(error = %e, "could not invalidate cached pages");
    }
}
