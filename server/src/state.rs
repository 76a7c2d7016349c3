//! Shared application state handed to every handler.

use std::sync::Arc;

use crate::config::Config;
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::realtime::Realtime;
use crate::service::auth::{Passwords, TokenKeys};
use crate::snowflake::Snowflake;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub ids: Arc<Snowflake>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Arc<Passwords>,
    pub realtime: Arc<Realtime>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<Limiter>,
}

impl AppState {
    pub fn new(
        config: Arc<Config>,
        store: Store,
        realtime: Arc<Realtime>,
    ) -> anyhow::Result<AppState> {
        let tokens = TokenKeys::from_config(&config)?;
        let limiter = match &config.redis_url {
            Some(url) => Limiter::redis(url, &config.redis_prefix)?,
            None => Limiter::memory(),
        };
        Ok(AppState {
            limiter: Arc::new(limiter),
            metrics: realtime.metrics.clone(),
            passwords: Arc::new(Passwords::from_config(&config)?),
            realtime,
            ids: Arc::new(Snowflake::new(config.node_id)),
            tokens: Arc::new(tokens),
            config,
            store,
        })
    }

    pub fn next_id(&self) -> i64 {
        self.ids.next()
    }
}
