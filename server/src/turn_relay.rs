//! The embedded TURN relay: with no TURN server configured, `parley-server`
//! relays call media itself (UDP), so two people behind NATs can talk with
//! the single binary, as SQLite stands in for PostgreSQL. It checks the same
//! TURN REST credentials coturn checks (`crypto::turn`), so the ICE servers
//! handed out look the same either way. coturn is the production relay: it
//! also speaks TCP/TLS and can refuse private peer addresses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use turn::auth::{generate_auth_key, AuthHandler};
use turn::relay::relay_static::RelayAddressGeneratorStatic;
use turn::server::config::{ConnConfig, ServerConfig};
use turn::server::Server;
use webrtc_util::vnet::net::Net;

use crate::config::CallsConfig;
use crate::crypto::turn as creds;

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
        let server = Server::new(ServerConfig {
            conn_configs: vec![ConnConfig {
                conn: Arc::new(socket),
                relay_addr_generator: Box::new(RelayAddressGeneratorStatic {
                    relay_address: public,
                    address: listen.to_string(),
                    net: Arc::new(Net::new(None)),
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
