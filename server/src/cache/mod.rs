//! The Cache port: short-lived shared state — rendered pages of recent
//! messages and rate-limit counters.
//!
//! Adapters: [`MemoryCache`] (one process, the embedded default) and
//! [`RedisCache`] (`PARLEY_REDIS_URL`; every node sees the same entries).
//! A cache is never the only copy of anything: callers treat an error as a
//! miss (and the limiter lets the request through), so a Redis outage
//! costs speed, not correctness.

mod memory;
pub mod pages;
mod redis;

pub use memory::MemoryCache;
pub use redis::RedisCache;

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("cache: {0}")]
pub struct CacheError(pub String);

#[async_trait::async_trait]
pub trait Cache: Send + Sync {
    /// Whether every node sees the same entries (Redis) or each node has
    /// its own (in process: then each node must also invalidate what other
    /// nodes change, which it learns from the event log).
    fn shared(&self) -> bool;
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;
    async fn delete(&self, keys: &[String]) -> Result<(), CacheError>;
    /// Counts one hit on `key` in a fixed window that starts with the first
    /// hit; returns the hits so far and the time left in the window.
    async fn hit(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError>;
}
