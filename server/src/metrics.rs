//! The Prometheus registry served at `/metrics` (by `api::metrics`). Labels are bounded by construction:
//! routes are axum's matched path templates (never raw URLs), and nothing
//! is labelled by user or channel id.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_latency: HistogramVec,
    pub ws_connections: IntGauge,
    pub ws_connects: IntCounterVec,
    pub messages: IntCounter,
    pub message_batches: IntCounterVec,
    pub events_delivered: IntCounter,
    pub slow_consumers: IntCounter,
    pub delivery_latency: Histogram,
    pub db_pool: IntGaugeVec,
    pub db_pool_max: IntGauge,
    /// Outbox jobs by state (waiting, dead): the queue backlog.
    pub jobs: IntGaugeVec,
    pub active_users: IntGauge,
    /// Server-wide (every node counts the same database rows).
    pub calls_in_progress: IntGauge,
    pub call_participants: IntGauge,
    pub call_joins: IntCounter,
    pub call_join_failures: IntCounterVec,
    /// Latest-page reads served from the cache, and those that were not.
    pub cache_hits: IntCounter,
    pub cache_misses: IntCounter,
    /// Channels by how many connections follow them here, in a few fixed
    /// size classes: activity per channel without a label per channel.
    pub channels_by_activity: IntGaugeVec,
}

/// Size classes of `channels_by_activity`.
pub(crate) const ACTIVITY_CLASSES: [(usize, &str); 5] = [
    (1, "1"),
    (10, "2-10"),
    (100, "11-100"),
    (1000, "101-1000"),
    (usize::MAX, "1001+"),
];

fn register<C: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: C) -> C {
    // Names are fixed and unique here; registration cannot collide.
    let _ = r.register(Box::new(c.clone()));
    c
}

impl Metrics {
    pub fn new() -> anyhow::Result<Metrics> {
        let r = Registry::new_custom(Some("parley".into()), None)?;
        let latency_buckets = vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ];
        Ok(Metrics {
            http_requests: register(
                &r,
                IntCounterVec::new(
                    Opts::new("http_requests_total", "HTTP requests by route and status"),
                    &["method", "route", "status"],
                )?,
            ),
            http_latency: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new("http_request_duration_seconds", "API latency per route")
                        .buckets(latency_buckets.clone()),
                    &["method", "route"],
                )?,
            ),
            ws_connections: register(
                &r,
                IntGauge::new("ws_connections", "Open WebSocket connections on this node")?,
            ),
            ws_connects: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "ws_connects_total",
                        "WebSocket connection attempts by result",
                    ),
                    &["result"],
                )?,
            ),
            messages: register(
                &r,
                IntCounter::new("messages_total", "Messages posted (committed) on this node")?,
            ),
            message_batches: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "message_batches_total",
                        "Group commits of new messages, by how they were written \
                         (fast: one multi-row write; redone: one by one after a failure)",
                    ),
                    &["path"],
                )?,
            ),
            events_delivered: register(
                &r,
                IntCounter::new(
                    "events_delivered_total",
                    "Frames handed to connections (one per recipient)",
                )?,
            ),
            slow_consumers: register(
                &r,
                IntCounter::new(
                    "ws_slow_consumers_total",
                    "Connections cut off for not keeping up",
                )?,
            ),
            delivery_latency: register(
                &r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "delivery_latency_seconds",
                        "From an event's commit to its hand-off to connections",
                    )
                    .buckets(latency_buckets),
                )?,
            ),
            db_pool: register(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "db_pool_connections",
                        "Database connections by pool and state",
                    ),
                    &["pool", "state"],
                )?,
            ),
            db_pool_max: register(
                &r,
                IntGauge::new("db_pool_max_connections", "Configured read-pool size")?,
            ),
            jobs: register(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "jobs",
                        "Jobs in the outbox: waiting (not yet run or relayed) and dead",
                    ),
                    &["state"],
                )?,
            ),
            cache_hits: register(
                &r,
                IntCounter::new(
                    "page_cache_hits_total",
                    "Latest pages served from the cache",
                )?,
            ),
            cache_misses: register(
                &r,
                IntCounter::new(
                    "page_cache_misses_total",
                    "Latest pages read from the database",
                )?,
            ),
            active_users: register(
                &r,
                IntGauge::new(
                    "ws_active_users",
                    "People with at least one WebSocket connection on this node",
                )?,
            ),
            calls_in_progress: register(
                &r,
                IntGauge::new("calls_in_progress", "Calls in progress, server-wide")?,
            ),
            call_participants: register(
                &r,
                IntGauge::new(
                    "call_participants",
                    "People in calls in progress, server-wide",
                )?,
            ),
            call_joins: register(
                &r,
                IntCounter::new("call_joins_total", "Call joins (and starts) on this node")?,
            ),
            call_join_failures: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "call_join_failures_total",
                        "Refused call joins on this node, by error code",
                    ),
                    &["code"],
                )?,
            ),
            channels_by_activity: register(
                &r,
                IntGaugeVec::new(
                    Opts::new(
                        "channels_by_active_connections",
                        "Channels by the number of connections following them on this node",
                    ),
                    &["size"],
                )?,
            ),
            registry: r,
        })
    }

    pub(crate) fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        out
    }
}
