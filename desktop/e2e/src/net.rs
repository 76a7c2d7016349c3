//! Local ports: a free one for each server and driver, and waiting until a
//! driver listens.
//!
//! What must stay true: everything listens on 127.0.0.1 only.

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A port nothing listens on now (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// Whether something accepts connections on the local `port`.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Waits until every one of `ports` accepts connections (a driver asked for
/// a session before it listens refuses it); fails, naming `what`, after
/// 20 s. Polls every 50 ms: the browser tests polled every 100 ms, the
/// desktop test every 50 ms; the faster one only starts sooner.
pub async fn wait_for_ports(ports: &[u16], what: &str) {
    let start = Instant::now();
    while !ports.iter().all(|p| port_open(*p)) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
