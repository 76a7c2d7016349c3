//! The embedded TURN relay: with no TURN server configured, `parley-server`
//! relays call media itself (UDP), so two people behind NATs can talk with
//! the single binary, as SQLite stands in for PostgreSQL. It checks the same
//! TURN REST credentials coturn checks (`crypto::turn`), so the ICE servers
//! handed out look the same either way. coturn is the production relay: it
//! also speaks TCP/TLS.
//!
//! What must stay true: a relay is not a way into the server's own network.
//! Relayed packets go only to peers the relay's network would see anyway:
//! public addresses always; loopback only when the relay itself is on
//! loopback (one machine); private ranges only when the relay's address is
//! private itself (a LAN server), unless `PARLEY_TURN_PRIVATE_PEERS` says
//! otherwise; never unspecified, multicast or broadcast addresses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use turn::auth::{generate_auth_key, AuthHandler};
use turn::relay::RelayAddressGenerator;
use turn::server::config::{ConnConfig, ServerConfig};
use turn::server::Server;
use webrtc_util::Conn;

use crate::config::CallsConfig;
use crate::crypto::turn as creds;
use crate::outbound;

/// The realm the relay names in its challenges.
const REALM: &str = "parley";

/// Where the relay listens and what signs its credentials.
#[derive(Clone)]
pub struct RelayInfo {
    /// The address clients reach (the public IP and the bound port).
    pub addr: SocketAddr,
    pub secret: String,
}

pub struct TurnRelay {
    server: Server,
    pub info: RelayInfo,
}

struct RestAuth {
    secret: String,
}

impl AuthHandler for RestAuth {
    fn auth_handle(
        &self,
        username: &str,
        realm: &str,
        _src: SocketAddr,
    ) -> Result<Vec<u8>, turn::Error> {
        let expiry = creds::expiry(username)
            .ok_or_else(|| turn::Error::Other("not a Parley TURN username".into()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        if expiry < now {
            return Err(turn::Error::Other("expired TURN credentials".into()));
        }
        let password = creds::password(&self.secret, username);
        Ok(generate_auth_key(username, realm, &password))
    }
}

/// Which peers relayed packets may go to (see the module doc).
#[derive(Clone, Copy)]
struct PeerPolicy {
    relay_ip: IpAddr,
    allow_private: bool,
}

impl PeerPolicy {
    fn allows(self, peer: IpAddr) -> bool {
        if outbound::is_public(peer) {
            return true;
        }
        let broadcast = matches!(peer, IpAddr::V4(v4) if v4.is_broadcast());
        if peer.is_unspecified() || peer.is_multicast() || broadcast {
            return false;
        }
        if peer.is_loopback() {
            return self.relay_ip.is_loopback();
        }
        self.allow_private
    }
}

/// A relay socket that drops what its policy does not allow.
struct GuardedSocket {
    socket: tokio::net::UdpSocket,
    policy: PeerPolicy,
}

#[async_trait]
impl Conn for GuardedSocket {
    async fn connect(&self, addr: SocketAddr) -> webrtc_util::Result<()> {
        if !self.policy.allows(addr.ip()) {
            return Err(refused(addr));
        }
        Ok(self.socket.connect(addr).await?)
    }

    async fn recv(&self, buf: &mut [u8]) -> webrtc_util::Result<usize> {
        Ok(self.socket.recv(buf).await?)
    }

    async fn recv_from(&self, buf: &mut [u8]) -> webrtc_util::Result<(usize, SocketAddr)> {
        Ok(self.socket.recv_from(buf).await?)
    }

    async fn send(&self, buf: &[u8]) -> webrtc_util::Result<usize> {
        Ok(self.socket.send(buf).await?)
    }

    async fn send_to(&self, buf: &[u8], target: SocketAddr) -> webrtc_util::Result<usize> {
        if !self.policy.allows(target.ip()) {
            return Err(refused(target));
        }
        Ok(self.socket.send_to(buf, target).await?)
    }

    fn local_addr(&self) -> webrtc_util::Result<SocketAddr> {
        Ok(self.socket.local_addr()?)
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        self.socket.peer_addr().ok()
    }

    async fn close(&self) -> webrtc_util::Result<()> {
        Ok(())
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}

fn refused(peer: SocketAddr) -> webrtc_util::Error {
    webrtc_util::Error::Other(format!("the relay does not send to {peer}"))
}

/// Relay sockets on the listen address, named by the public address,
/// guarded by the peer policy.
struct GuardedRelays {
    listen: IpAddr,
    public: IpAddr,
    policy: PeerPolicy,
}

#[async_trait]
impl RelayAddressGenerator for GuardedRelays {
    fn validate(&self) -> Result<(), turn::Error> {
        Ok(())
    }

    async fn allocate_conn(
        &self,
        use_ipv4: bool,
        requested_port: u16,
    ) -> Result<(Arc<dyn Conn + Send + Sync>, SocketAddr), turn::Error> {
        if use_ipv4 != self.listen.is_ipv4() && !self.listen.is_unspecified() {
            return Err(turn::Error::Other("no relay of that address family".into()));
        }
        let socket = tokio::net::UdpSocket::bind((self.listen, requested_port))
            .await
            .map_err(|e| turn::Error::Other(e.to_string()))?;
        let port = socket
            .local_addr()
            .map_err(|e| turn::Error::Other(e.to_string()))?
            .port();
        let conn = GuardedSocket {
            socket,
            policy: self.policy,
        };
        Ok((Arc::new(conn), SocketAddr::new(self.public, port)))
    }
}

/// This machine's address towards the outside: what a socket "connected"
/// to a documentation address would send from (no packet leaves).
fn outbound_ip() -> Option<IpAddr> {
    let probe = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    probe.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

impl TurnRelay {
    /// Binds the relay's UDP port on `listen` (the API's listen address)
    /// and starts serving.
    pub async fn start(
        cfg: &CallsConfig,
        listen: IpAddr,
        secret: String,
    ) -> anyhow::Result<TurnRelay> {
        let socket = tokio::net::UdpSocket::bind((listen, cfg.turn_port)).await?;
        let port = socket.local_addr()?.port();
        let public = cfg.turn_public_ip.unwrap_or_else(|| {
            if listen.is_unspecified() {
                outbound_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
            } else {
                listen
            }
        });
        let policy = PeerPolicy {
            relay_ip: public,
            allow_private: cfg
                .turn_private_peers
                .unwrap_or(!outbound::is_public(public)),
        };
        let server = Server::new(ServerConfig {
            conn_configs: vec![ConnConfig {
                conn: Arc::new(socket),
                relay_addr_generator: Box::new(GuardedRelays {
                    listen,
                    public,
                    policy,
                }),
            }],
            realm: REALM.into(),
            auth_handler: Arc::new(RestAuth {
                secret: secret.clone(),
            }),
            channel_bind_timeout: Duration::ZERO,
            alloc_close_notify: None,
        })
        .await?;
        Ok(TurnRelay {
            server,
            info: RelayInfo {
                addr: SocketAddr::new(public, port),
                secret,
            },
        })
    }

    pub async fn close(&self) {
        if let Err(e) = self.server.close().await {
            tracing::warn!(error = %e, "closing the TURN relay failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn relays_reach_only_the_network_they_live_on() {
        let internet = PeerPolicy {
            relay_ip: ip("203.0.113.7"),
            allow_private: false,
        };
        assert!(internet.allows(ip("8.8.8.8")));
        for inside in [
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.2",
            "169.254.0.1",
            "::1",
            "0.0.0.0",
        ] {
            assert!(!internet.allows(ip(inside)), "{inside}");
        }
        let lan = PeerPolicy {
            relay_ip: ip("192.168.1.10"),
            allow_private: true,
        };
        assert!(lan.allows(ip("192.168.1.2")) && !lan.allows(ip("127.0.0.1")));
        assert!(!lan.allows(ip("224.0.0.1")) && !lan.allows(ip("255.255.255.255")));
        let one_machine = PeerPolicy {
            relay_ip: ip("127.0.0.1"),
            allow_private: true,
        };
        assert!(one_machine.allows(ip("127.0.0.1")));
    }
}
