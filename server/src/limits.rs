//! Rate limits: fixed-window counters in the Cache port, in process (one
//! node) or in Redis (shared by every node).
//!
//! If Redis is unreachable the limiter lets requests through and logs it:
//! a limiter outage must not take the whole API down with it. Which
//! requests are counted is the edge's business (`api::limits`).

use std::sync::Arc;
use std::time::Duration;

use crate::cache::Cache;

/// Fixed-window counters in the Cache port: in process, or in Redis where
/// every node shares them (a client cannot multiply its allowance by
/// spreading requests over nodes).
pub struct Limiter {
    cache: Arc<dyn Cache>,
}

impl Limiter {
    pub fn new(cache: Arc<dyn Cache>) -> Limiter {
        Limiter { cache }
    }

    /// Counts one hit on `key`; `Err(retry_after)` once more than `limit`
    /// hits fell in the current window.
    pub async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Duration> {
        if limit == 0 {
            return Ok(());
        }
        match self.cache.hit(key, window).await {
            Ok((n, left)) if n > u64::from(limit) => Err(left),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "rate limiter: counters unavailable; allowing");
                Ok(())
            }
        }
    }
}
