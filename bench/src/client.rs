//! The real protocol, from the outside: REST for setup and sends, WebSocket
//! clients bound to many 127.0.0.x source addresses (so the 64k ephemeral
//! ports of one address are never the limit).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap_or_default(),
        }
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST {path}: {status} {v}");
        }
        Ok(v)
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await?;
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("GET {path}: {status} {v}");
        }
        Ok(v)
    }

    pub async fn register(&self, name: &str) -> anyhow::Result<User> {
        let r = self
            .post(
                "/auth/register",
                None,
                json!({ "username": name, "email": format!("{name}@bench.test"), "password": "benchmark-password" }),
            )
            .await?;
        Ok(User {
            id: r["user"]["id"].as_str().context("id")?.to_owned(),
            token: r["access_token"].as_str().context("token")?.to_owned(),
        })
    }

    /// Registers `n` users, `parallel` at a time.
    pub async fn register_many(
        &self,
        prefix: &str,
        n: usize,
        parallel: usize,
    ) -> anyhow::Result<Vec<User>> {
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        while start < n {
            let end = (start + parallel).min(n);
            let batch = (start..end).map(|i| {
                let api = self.clone();
                let name = format!("{prefix}{i}");
                tokio::spawn(async move { api.register(&name).await })
            });
            for h in batch.collect::<Vec<_>>() {
                out.push(h.await??);
            }
            start = end;
        }
        Ok(out)
    }

    /// A workspace owned by `owner` that everyone in `users` joins; returns
    /// its id and its #general channel (everyone's default channel).
    pub async fn team(
        &self,
        owner: &User,
        users: &[User],
        parallel: usize,
    ) -> anyhow::Result<(String, String)> {
        let ws = self
            .post(
                "/workspaces",
                Some(&owner.token),
                json!({ "name": "Bench" }),
            )
            .await?;
        let ws_id = ws["id"].as_str().context("ws id")?.to_owned();
        let invite = self
            .post(
                &format!("/workspaces/{ws_id}/invites"),
                Some(&owner.token),
                json!({}),
            )
            .await?;
        let code = invite["code"].as_str().context("code")?.to_owned();
        for chunk in users.chunks(parallel) {
            let joins = chunk.iter().map(|u| {
                let (api, token, code) = (self.clone(), u.token.clone(), code.clone());
                tokio::spawn(async move {
                    api.post(&format!("/invites/{code}/accept"), Some(&token), json!({}))
                        .await
                })
            });
            for h in joins.collect::<Vec<_>>() {
                h.await??;
            }
        }
        let channels = self
            .get(&format!("/workspaces/{ws_id}/channels"), &owner.token)
            .await?;
        let general = channels[0]["id"].as_str().context("general")?.to_owned();
        Ok((ws_id, general))
    }

    pub async fn send(&self, channel: &str, token: &str, content: String) -> anyhow::Result<()> {
        self.post(
            &format!("/channels/{channel}/messages"),
            Some(token),
            json!({ "content": content }),
        )
        .await
        .map(|_| ())
    }
}

static NEXT_SOURCE: AtomicUsize = AtomicUsize::new(0);

/// A TCP connection from one of 127.0.0.1–127.0.0.250.
async fn connect_tcp(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpStream> {
    let n = NEXT_SOURCE.fetch_add(1, Ordering::Relaxed);
    let source = Ipv4Addr::new(127, 0, 0, 1 + (n % 250) as u8);
    let sock = TcpSocket::new_v4()?;
    sock.bind(SocketAddr::from((source, 0)))?;
    Ok(sock.connect(addr).await?)
}

/// Opens a WebSocket and authenticates; returns it after HELLO.
pub async fn ws_connect(url: &str, token: &str) -> anyhow::Result<Socket> {
    let host = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .context("ws url")?;
    let addr: SocketAddr = host.parse()?;
    let tcp = connect_tcp(addr).await?;
    let (mut socket, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(tcp)).await?;
    socket
        .send(Message::text(
            json!({ "type": "AUTH", "payload": { "token": token } }).to_string(),
        ))
        .await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains("\"HELLO\"") => return Ok(socket),
            Some(Ok(_)) => continue,
            other => bail!("no HELLO: {other:?}"),
        }
    }
}

/// Microseconds since `epoch`, as the benchmark's message text.
pub fn stamp(epoch: Instant) -> String {
    format!("t{}", epoch.elapsed().as_micros())
}

/// The latency of a message stamped with [`stamp`], if this text is one.
pub fn latency_us(epoch: Instant, text: &str) -> Option<u64> {
    let i = text.find("\"content\":\"t")?;
    let rest = &text[i + 12..];
    let end = rest.find('"')?;
    let sent: u128 = rest[..end].parse().ok()?;
    Some(epoch.elapsed().as_micros().saturating_sub(sent) as u64)
}
