//! Serves the router on a listener, one HTTP/1.1 connection (hyper) per
//! socket, with the bounds `axum::serve` cannot set: a request header must
//! arrive within `PARLEY_HEADER_READ_TIMEOUT`, and one client address holds
//! at most `PARLEY_MAX_CONNECTIONS_PER_IP` connections at once — so
//! half-sent requests (slowloris) cannot pile up. (Request bodies are bounded
//! by an idle timeout in the router, `api::router`.)
//!
//! What must stay true: every request carries its `ConnectInfo<ClientAddr>`
//! (rate limits and logs read it); WebSocket upgrades work; on shutdown no
//! new connection is taken, every open one finishes its request and closes,
//! and `serve` returns only when all have.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::tls::ClientAddr;

/// The bounds each connection is served with.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub header_read_timeout: Duration,
    /// 0 = no cap.
    pub per_ip: usize,
}

/// Open connections per client address.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One connection's place in [`PerIp`], given back when it closes.
struct Slot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn take(table: &Arc<PerIp>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut map = table.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(ip).or_default();
        if cap != 0 && *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Accepts until `shutdown` resolves, then drains every open connection.
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()> + Send,
) where
    L: Listener<Addr = SocketAddr>,
{
    let table = Arc::new(PerIp::default());
    // Each connection holds a receiver of `stop` (told to finish) and of
    // `open` (so we can wait until the last one is gone).
    let (stop_tx, stop_rx) = watch::channel(false);
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (io, addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let Some(slot) = PerIp::take(&table, addr.ip(), bounds.per_ip) else {
            tracing::debug!(%addr, "too many connections from this address; refused");
            continue;
        };
        let service = router
            .clone()
            .map_request(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(ClientAddr(addr)));
                req.map(Body::new)
            });
        let (mut stop, open) = (stop_rx.clone(), open_rx.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let _open = open;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(bounds.header_read_timeout)
                .serve_connection(TokioIo::new(io), TowerToHyperService::new(service))
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    done = conn.as_mut() => {
                        if let Err(e) = done {
                            tracing::trace!(error = %e, %addr, "connection ended");
                        }
                        break;
                    }
                    _ = stop.changed(), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_rx);
    open_tx.closed().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_ip_cap_counts_open_connections() {
        let table = Arc::new(PerIp::default());
        let ip = IpAddr::from([10, 0, 0, 1]);
        let a = PerIp::take(&table, ip, 2).expect("first");
        let b = PerIp::take(&table, ip, 2).expect("second");
        assert!(PerIp::take(&table, ip, 2).is_none(), "over the cap");
        assert!(PerIp::take(&table, IpAddr::from([10, 0, 0, 2]), 2).is_some());
        drop(a);
        let c = PerIp::take(&table, ip, 2).expect("a slot came back");
        drop((b, c));
        assert!(table.0.lock().expect("lock").is_empty());
        assert!(PerIp::take(&table, ip, 0).is_some(), "0 = no cap");
    }
}
