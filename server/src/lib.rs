//! The Parley server as a library: `build(config)` binds and wires everything,
//! so `main` and the black-box tests start exactly the same app.
#![forbid(unsafe_code)]

pub mod api;
pub mod blobs;
pub mod bus;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod outbound;
pub mod queue;
pub mod realtime;
pub mod search;
pub mod serve;
pub mod service;
pub mod snowflake;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod turn_relay;

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;

use config::Config;
use state::AppState;
use tokio::net::TcpListener;

/// A bound, ready-to-serve server.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    turn: Option<turn_relay::TurnRelay>,
}

impl App {
    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has an address; fall back to unspecified
        // rather than panic if the OS says otherwise.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let realtime = state.realtime.clone();
        // Long-lived WebSockets would hold graceful shutdown open forever:
        // tell them to close (clients RESUME elsewhere) as soon as it starts.
        let shutdown = async move {
            shutdown.await;
            realtime.begin_shutdown();
        };
        let send_buffer = state.config.socket_send_buffer;
        let prepare = move |tcp: &tokio::net::TcpStream| {
            // Chat frames are small and latency matters more than packing.
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
            if let Some(bytes) = send_buffer {
                if let Err(e) = socket2::SockRef::from(tcp).set_send_buffer_size(bytes) {
                    tracing::debug!(error = %e, "cannot set SO_SNDBUF");
                }
            }
        };
        let bounds = serve::Bounds {
            header_read_timeout: state.config.header_read_timeout,
            per_ip: state.config.max_connections_per_ip,
        };
        match &state.config.tls {
            Some((cert, key)) => {
                let listener = tls::TlsListener::new(
                    self.listener,
                    tls::acceptor(cert, key).map_err(std::io::Error::other)?,
                    prepare,
                )?;
                serve::serve(listener, self.router, bounds, shutdown).await;
            }
            None => {
                let listener = tls::PlainListener::new(self.listener, prepare);
                serve::serve(listener, self.router, bounds, shutdown).await;
            }
        }
        if let Some(turn) = &self.turn {
            turn.close().await;
        }
        state.store.close().await;
        tracing::info!("parley stopped");
        Ok(())
    }
}

/// Every port's adapter, as the configuration picks it.
struct Adapters {
    bus: Arc<dyn bus::Bus>,
    cache: Arc<dyn cache::Cache>,
    blobs: Arc<dyn blobs::Blobs>,
    search: Arc<dyn search::MessageIndex>,
    queue: Arc<dyn queue::JobQueue>,
    /// The search index was just created and must be filled.
    backfill: bool,
}

/// The one place that picks adapters: the production adapter of each port
/// whose service is configured, the embedded one otherwise.
async fn adapters(config: &Config, store: &store::Store) -> anyhow::Result<Adapters> {
    let bus: Arc<dyn bus::Bus> = match &config.redis_url {
        Some(url) => Arc::new(bus::RedisBus::connect(url, &config.redis_prefix).await?),
        None => Arc::new(bus::MemoryBus::new()),
    };
    let cache: Arc<dyn cache::Cache> = match &config.redis_url {
        Some(url) => Arc::new(cache::RedisCache::new(url, &config.redis_prefix)?),
        None => Arc::new(cache::MemoryCache::new(64 << 20)),
    };
    let blobs: Arc<dyn blobs::Blobs> = match &config.s3 {
        Some(s3) => Arc::new(blobs::S3Blobs::connect(s3).await?),
        None => Arc::new(blobs::LocalBlobs::new(config.files_dir.clone())?),
    };
    let (search, backfill): (Arc<dyn search::MessageIndex>, bool) = match &config.elasticsearch_url
    {
        Some(url) => {
            let (index, created) =
                search::ElasticIndex::connect(url, &config.elasticsearch_index, store.clone())
                    .await?;
            (Arc::new(index), created)
        }
        None => (Arc::new(search::DatabaseIndex::new(store.clone())), false),
    };
    let retry = queue::RetryPolicy {
        base: config.job_retry_base,
    };
    let queue: Arc<dyn queue::JobQueue> = match &config.amqp_url {
        Some(url) => Arc::new(queue::RabbitQueue::new(
            url.clone(),
            config.amqp_queue.clone(),
            retry,
        )),
        None => Arc::new(queue::OutboxQueue::new(retry)),
    };
    Ok(Adapters {
        bus,
        cache,
        blobs,
        search,
        queue,
        backfill,
    })
}

/// Opens the store (running migrations), binds the listener, builds the router.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let config = Arc::new(config);
    let store = store::Store::connect(&config).await?;
    let metrics = Arc::new(metrics::Metrics::new()?);
    let ports = adapters(&config, &store).await?;
    let realtime = realtime::Realtime::start(
        config.clone(),
        store.clone(),
        metrics,
        ports.cache.clone(),
        ports.bus,
    )
    .await?;
    let turn = embedded_turn(&config).await?;
    let state = AppState::new(
        config.clone(),
        store,
        realtime,
        ports.blobs,
        ports.search,
        ports.queue,
        turn.as_ref().map(|t| t.info.clone()),
    )?;
    if ports.backfill {
        // A new index: fill it with the messages written before it existed.
        let job = service::search::reindex_job(&state, 0).map_err(|e| anyhow::anyhow!("{e}"))?;
        state.store.insert_jobs(&[job]).await?;
    }
    state.queue.start(
        state.store.clone(),
        Arc::new(service::jobs::Jobs::new(state.clone())),
    );
    let listener = TcpListener::bind(config.bind).await.with_context(|| {
        format!(
            "cannot listen on {}: another Parley or program may hold the port; \
             set PARLEY_PORT (or PARLEY_HOST) to another",
            config.bind
        )
    })?;
    tokio::spawn(service::calls::sweep(state.clone()));
    let router = api::router(state.clone());
    Ok(App {
        listener,
        router,
        state,
        turn,
    })
}

/// Starts the in-process TURN relay unless an external one is configured.
/// A port that is taken is not fatal: calls then connect directly only.
async fn embedded_turn(config: &Config) -> anyhow::Result<Option<turn_relay::TurnRelay>> {
    if !config.calls.embedded_turn {
        return Ok(None);
    }
    let secret = match &config.calls.turn_secret {
        Some(s) => s.clone(),
        None => crypto::secrets::load_or_create_secret(
            &config.data_dir.join("turn_secret"),
            |s| s.len() >= 32,
            || crypto::secrets::random_token(32),
        )?,
    };
    match turn_relay::TurnRelay::start(&config.calls, config.bind.ip(), secret).await {
        Ok(relay) => {
            tracing::info!(addr = %relay.info.addr, "embedded TURN relay listening (UDP)");
            Ok(Some(relay))
        }
        Err(e) => {
            tracing::warn!(
                error = %e,
                port = config.calls.turn_port,
                "the embedded TURN relay cannot start (set PARLEY_TURN_PORT, or \
                 PARLEY_TURN_EMBEDDED=off): calls connect directly only"
            );
            Ok(None)
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}
