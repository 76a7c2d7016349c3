//! In-process cache: moka for values (bounded by size, each entry with its
//! own lifetime) and a map of fixed-window counters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use moka::sync::Cache as Moka;
use moka::Expiry;

use super::{Cache, CacheError};

/// Values are kept with their lifetime, which moka reads at insertion.
#[derive(Clone)]
struct Entry {
    value: String,
    ttl: Duration,
}

struct PerEntry;

impl Expiry<String, Entry> for PerEntry {
    fn expire_after_create(&self, _: &String, e: &Entry, _: Instant) -> Option<Duration> {
        Some(e.ttl)
    }
}

pub struct MemoryCache {
    values: Moka<String, Entry>,
    counters: Mutex<HashMap<String, (Instant, u64)>>,
}

impl MemoryCache {
    /// Holds at most about `max_bytes` of values.
    pub fn new(max_bytes: u64) -> MemoryCache {
        MemoryCache {
            values: Moka::builder()
                .max_capacity(max_bytes)
                .weigher(|k: &String, e: &Entry| {
                    u32::try_from(k.len() + e.value.len()).unwrap_or(u32::MAX)
                })
                .expire_after(PerEntry)
                .build(),
            counters: Mutex::default(),
        }
    }
}

#[async_trait::async_trait]
impl Cache for MemoryCache {
    fn shared(&self) -> bool {
        false
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self.values.get(key).map(|e| e.value))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        self.values.insert(
            key.to_owned(),
            Entry {
                value: value.to_owned(),
                ttl,
            },
        );
        Ok(())
    }

    async fn delete(&self, keys: &[String]) -> Result<(), CacheError> {
        for k in keys {
            self.values.invalidate(k);
        }
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        let now = Instant::now();
        let mut map = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        Ok((entry.1, window.saturating_sub(now.duration_since(entry.0))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_expire_and_counters_reset_per_window() {
        let c = MemoryCache::new(1 << 20);
        c.set("a", "1", Duration::from_millis(50))
            .await
            .unwrap_or_default();
        assert_eq!(c.get("a").await.ok().flatten().as_deref(), Some("1"));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(c.get("a").await.ok().flatten(), None);
        let w = Duration::from_millis(50);
        assert_eq!(c.hit("k", w).await.ok().map(|h| h.0), Some(1));
        assert_eq!(c.hit("k", w).await.ok().map(|h| h.0), Some(2));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(c.hit("k", w).await.ok().map(|h| h.0), Some(1));
        c.set("b", "2", Duration::from_secs(60))
            .await
            .unwrap_or_default();
        c.delete(&["b".into()]).await.unwrap_or_default();
        assert_eq!(c.get("b").await.ok().flatten(), None);
    }
}
