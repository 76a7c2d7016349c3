//! Rate limits: fixed-window counters, in process (one node) or in Redis
//! (shared by every node, so a client cannot multiply its allowance by
//! spreading requests over nodes).
//!
//! If Redis is unreachable the limiter lets requests through and logs it:
//! a limiter outage must not take the whole API down with it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::extract::bearer_token;
use crate::error::ApiError;
use crate::state::AppState;

pub enum Limiter {
    Memory(Mutex<HashMap<String, (Instant, u32)>>),
    Redis(Box<RedisCounters>),
}

pub struct RedisCounters {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    prefix: String,
}

impl Limiter {
    pub fn memory() -> Limiter {
        Limiter::Memory(Mutex::default())
    }

    pub fn redis(url: &str, prefix: &str) -> anyhow::Result<Limiter> {
        Ok(Limiter::Redis(Box::new(RedisCounters {
            client: redis::Client::open(url)?,
            conn: tokio::sync::Mutex::new(None),
            prefix: prefix.to_owned(),
        })))
    }

    /// Counts one hit on `key`; `Err(retry_after)` once more than `limit`
    /// hits fell in the current window.
    pub async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<(), Duration> {
        if limit == 0 {
            return Ok(());
        }
        match self {
            Limiter::Memory(map) => {
                let now = Instant::now();
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                if map.len() > 100_000 {
                    map.retain(|_, (start, _)| now.duration_since(*start) < window);
                }
                let entry = map.entry(key.to_owned()).or_insert((now, 0));
                if now.duration_since(entry.0) >= window {
                    *entry = (now, 0);
                }
                entry.1 += 1;
                if entry.1 > limit {
                    Err(window.saturating_sub(now.duration_since(entry.0)))
                } else {
                    Ok(())
                }
            }
            Limiter::Redis(r) => {
                let RedisCounters {
                    client,
                    conn,
                    prefix,
                } = &**r;
                let key = format!("{prefix}:rl:{key}");
                let mut guard = conn.lock().await;
                if guard.is_none() {
                    match client.get_multiplexed_async_connection().await {
                        Ok(c) => *guard = Some(c),
                        Err(e) => {
                            tracing::warn!(error = %e, "rate limiter: Redis unreachable; allowing");
                            return Ok(());
                        }
                    }
                }
                let Some(c) = guard.as_mut() else {
                    return Ok(());
                };
                let ms = window.as_millis() as u64;
                let counted: redis::RedisResult<(u64, (), i64)> = redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(ms)
                    .arg("NX")
                    .cmd("PTTL")
                    .arg(&key)
                    .query_async(c)
                    .await;
                match counted {
                    Ok((n, (), ttl)) if n > u64::from(limit) => {
                        Err(Duration::from_millis(ttl.max(0) as u64))
                    }
                    Ok(_) => Ok(()),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limiter: Redis failed; allowing");
                        *guard = None;
                        Ok(())
                    }
                }
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
