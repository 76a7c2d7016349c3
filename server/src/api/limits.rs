//! The rate-limit middleware: which requests count against which
//! allowance of the [`Limiter`](crate::limits::Limiter). Over the limit a
//! request gets 429 with `Retry-After` and never reaches its handler.

use std::time::Duration;

use axum::extract::{ConnectInfo, OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::extract::bearer_token;
use crate::error::ApiError;
use crate::state::AppState;

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
    // This layer sits on the `/api/v1` nest, where the request's own URI
    // has lost that prefix: match on the URI the client sent.
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path(), |u| u.0.path());
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
