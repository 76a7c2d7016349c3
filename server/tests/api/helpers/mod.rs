//! The test harness: starts the real app (in process, or as real
//! processes) against a fresh database of the chosen backend and talks to it
//! over HTTP and WebSocket.
//!
//! What must stay true: tests share nothing but the outside services, so
//! every name, database, bucket prefix and index they make is unique; a
//! missing service skips loudly outside CI and fails under `CI=true`.

use std::sync::atomic::{AtomicUsize, Ordering};

mod app;
mod cluster;
mod fixtures;
mod http;
mod profiles;
mod services;
mod ws;

pub use app::*;
pub use cluster::*;
pub use fixtures::*;
pub use http::*;
pub use profiles::*;
pub use services::{
    amqp_addr, amqp_url, coturn, elasticsearch_settings, redis_reachable, redis_url,
};
pub use ws::*;

/// Numbers every name a test makes unique within this process.
static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}
