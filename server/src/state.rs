//! Shared application state handed to every handler.

use std::sync::Arc;

use crate::blobs::Blobs;
use crate::cache::Cache;
use crate::config::Config;
use crate::crypto::{Passwords, TokenKeys, Vapid};
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::outbound;
use crate::queue::JobQueue;
use crate::realtime::Realtime;
use crate::search::MessageIndex;
use crate::snowflake::Snowflake;
use crate::store::Store;
use crate::turn_relay::RelayInfo;

/// Every request and background task holds one, so a clone is a single
/// reference count, not one per service.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The shared services behind an [`AppState`].
pub struct Services {
    pub config: Arc<Config>,
    pub store: Store,
    pub ids: Arc<Snowflake>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Arc<Passwords>,
    pub realtime: Arc<Realtime>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<Limiter>,
    pub cache: Arc<dyn Cache>,
    pub blobs: Arc<dyn Blobs>,
    pub queue: Arc<dyn JobQueue>,
    pub search: Arc<dyn MessageIndex>,
    pub vapid: Arc<Vapid>,
    /// Outgoing HTTP to URLs users supplied (Web Push deliveries): the
    /// guarded client of `outbound`, the only one the services use.
    pub http: reqwest::Client,
    /// The embedded TURN relay, when it runs.
    pub turn_relay: Option<RelayInfo>,
}

impl AppState {
    pub fn new(
        config: Arc<Config>,
        store: Store,
        realtime: Arc<Realtime>,
        blobs: Arc<dyn Blobs>,
        search: Arc<dyn MessageIndex>,
        queue: Arc<dyn JobQueue>,
        turn_relay: Option<RelayInfo>,
    ) -> anyhow::Result<AppState> {
        let cache = realtime.cache.clone();
        let tokens = TokenKeys::from_config(&config)?;
        Ok(AppState(Arc::new(Services {
            limiter: Arc::new(Limiter::new(cache.clone())),
            cache,
            blobs,
            queue,
            search,
            vapid: Arc::new(Vapid::from_config(&config)?),
            http: outbound::client(outbound::Policy {
                allow_private: config.push_allow_insecure,
            })?,
            metrics: realtime.metrics.clone(),
            passwords: Arc::new(Passwords::from_config(&config)?),
            realtime,
            ids: Arc::new(Snowflake::new(config.node_id)),
            tokens: Arc::new(tokens),
            config,
            store,
            turn_relay,
        })))
    }

    pub fn next_id(&self) -> i64 {
        self.ids.next()
    }
}
