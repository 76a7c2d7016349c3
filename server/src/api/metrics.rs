//! The metrics edge: `GET /metrics` (refreshes the gauges read from live
//! state, then renders the registry) and the middleware that counts and
//! times every request by its route template.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::metrics::ACTIVITY_CLASSES;
use crate::state::AppState;

/// `GET /metrics`: refreshes the gauges read from live state, then renders.
pub async fn serve(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    m.ws_connections
        .set(state.realtime.hub.connection_count() as i64);
    let (users, channel_sizes) = state.realtime.hub.activity();
    m.active_users.set(i64::try_from(users).unwrap_or(i64::MAX));
    let mut classes = [0i64; ACTIVITY_CLASSES.len()];
    for n in channel_sizes {
        if let Some(i) = ACTIVITY_CLASSES.iter().position(|(max, _)| n <= *max) {
            classes[i] += 1;
        }
    }
    for ((_, label), count) in ACTIVITY_CLASSES.iter().zip(classes) {
        m.channels_by_activity
            .with_label_values(&[label])
            .set(count);
    }
    match state.store.count_jobs().await {
        Ok((waiting, dead)) => {
            m.jobs.with_label_values(&["waiting"]).set(waiting);
            m.jobs.with_label_values(&["dead"]).set(dead);
        }
        Err(e) => tracing::warn!(error = %e, "cannot count jobs for the metrics"),
    }
    for (pool, size, idle) in state.store.pool_stats() {
        m.db_pool
            .with_label_values(&[pool, "in_use"])
            .set(i64::from(size.saturating_sub(idle)));
        m.db_pool
            .with_label_values(&[pool, "idle"])
            .set(i64::from(idle));
    }
    m.db_pool_max
        .set(i64::from(state.config.db_max_connections));
    let (fast, redone) = state.store.message_batches();
    for (path, total) in [("fast", fast), ("redone", redone)] {
        let counter = m.message_batches.with_label_values(&[path]);
        counter.inc_by(total.saturating_sub(counter.get()));
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        m.render(),
    )
        .into_response()
}

/// Counts and times every request by its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    let m = &state.metrics;
    m.http_requests
        .with_label_values(&[method.as_str(), route.as_str(), res.status().as_str()])
        .inc();
    m.http_latency
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    res
}
