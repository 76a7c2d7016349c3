//! Redis cache: one multiplexed connection, re-opened after a failure.
//! Every key is prefixed with `PARLEY_REDIS_PREFIX`.

use std::time::Duration;

use redis::aio::MultiplexedConnection;

use super::{Cache, CacheError};

pub struct RedisCache {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    prefix: String,
}

fn err(e: impl std::fmt::Display) -> CacheError {
    CacheError(e.to_string())
}

impl RedisCache {
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<RedisCache> {
        Ok(RedisCache {
            client: redis::Client::open(url)?,
            conn: tokio::sync::Mutex::new(None),
            prefix: prefix.to_owned(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
    }

    /// A connection (cheap to clone: it is multiplexed).
    async fn conn(&self) -> Result<MultiplexedConnection, CacheError> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = self
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(err)?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Runs a command; a failure drops the connection so the next call
    /// reconnects.
    async fn run<T: redis::FromRedisValue>(
        &self,
        cmd: &mut redis::Pipeline,
    ) -> Result<T, CacheError> {
        let mut c = self.conn().await?;
        match cmd.query_async(&mut c).await {
            Ok(v) => Ok(v),
            Err(e) => {
                *self.conn.lock().await = None;
                Err(err(e))
            }
        }
    }
}

#[async_trait::async_trait]
impl Cache for RedisCache {
    fn shared(&self) -> bool {
        true
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let (v,): (Option<String>,) = self
            .run(redis::pipe().cmd("GET").arg(self.key(key)))
            .await?;
        Ok(v)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self.run::<()>(
            redis::pipe()
                .cmd("SET")
                .arg(self.key(key))
                .arg(value)
                .arg("PX")
                .arg(ms)
                .ignore(),
        )
        .await
    }

    async fn delete(&self, keys: &[String]) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        self.run::<()>(redis::pipe().cmd("DEL").arg(keys).ignore())
            .await
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        let key = self.key(&format!("rl:{key}"));
        let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (n, (), ttl): (u64, (), i64) = self
            .run(
                redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(&key)
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(ms)
                    .arg("NX")
                    .cmd("PTTL")
                    .arg(&key),
            )
            .await?;
        Ok((n, Duration::from_millis(u64::try_from(ttl).unwrap_or(0))))
    }
}
