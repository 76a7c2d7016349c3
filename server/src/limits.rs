//! Rate limits: fixed-window counters in the Cache port, in process (one
//! node) or in Redis (shared by every node).
//!
//! If Redis is unreachable the limiter lets requests through and logs it:
//! a limiter outage must not take the whole API down with it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::extract::bearer_token;
use crate::cache::Cache;
use crate::error::ApiError;
use crate::state::AppState;

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

fn limited(retry: Duration) -> Response {
    ApiError::RateLimited(retry.as_secs().max(1)).into_response()
}

/// Per-IP (and, when signed in, per-user) limits on every API request;
/// stricter per-IP limits on the routes that take passwords and tokens.
pub async fn enforce(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let minute = Duration::from_secs(60);
    let ip = req
        .extensions()
        .get::<ConnectInfo<crate::tls::ClientAddr>>()
        .map(|c| c.0 .0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let limiter = &state.limiter;
    let path = req.uri().path();
    if path.starts_with("/api/v1/auth/") {
        if let Err(retry) = limiter
            .hit(
                &format!("auth:{ip}"),
                state.config.auth_rate_limit_per_min,
                minute,
            )
            .await
        {
            return limited(retry);
        }
    }
    let per_min = state.config.rate_limit_per_min;
    if let Err(retry) = limiter.hit(&format!("ip:{ip}"), per_min, minute).await {
        return limited(retry);
    }
    let user = bearer_token(req.headers()).and_then(|t| state.tokens.verify(t));
    if let Some(user) = user {
        if let Err(retry) = limiter.hit(&format!("user:{user}"), per_min, minute).await {
            return limited(retry);
        }
    }
    next.run(req).await
}
