//! The load of a fault run, as real clients behave: senders that retry
//! an unacknowledged message with the same nonce (on the other node when
//! theirs is gone) until it is acknowledged, and listeners that reconnect
//! and `RESUME` where they left off. Every message text is its key
//! (`m<sender>x<n>`), so the ledger can tell what was sent, acknowledged,
//! stored, delivered, lost and duplicated.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use parley_shared::api::MessagePage;
use parley_shared::ws::{ServerEvent, ServerFrame};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{ws_connect, Socket};

/// Messages per second each sender offers.
const SENDER_RATE: f64 = 5.0;
/// How long one attempt may take before the client counts it as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The two nodes' addresses, `http://127.0.0.1:port`.
#[derive(Clone)]
pub struct Nodes(pub Arc<[String]>);

impl Nodes {
    fn api(&self, i: usize) -> String {
        format!("{}/api/v1", self.0[i % self.0.len()])
    }

    fn ws(&self, i: usize) -> String {
        format!(
            "{}/api/v1/ws",
            self.0[i % self.0.len()].replacen("http://", "ws://", 1)
        )
    }
}

/// What the senders did, shared by all of them.
#[derive(Default)]
pub struct Ledger {
    sent: Mutex<u64>,
    acked: Mutex<HashSet<String>>,
    gave_up: Mutex<u64>,
    /// Answers other than success or "retry later" (a bug if not empty).
    refused: Mutex<Vec<String>>,
    /// Every answer a sender got, by kind ("201", "503", "connect", "ERROR unavailable" …).
    answers: Mutex<BTreeMap<String, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ledger {
    fn answer(&self, kind: impl Into<String>) {
        *lock(&self.answers).entry(kind.into()).or_default() += 1;
    }

    pub fn acked(&self) -> HashSet<String> {
        lock(&self.acked).clone()
    }

    pub fn summary(&self) -> Value {
        json!({
            "sent": *lock(&self.sent),
            "acknowledged": lock(&self.acked).len(),
            "gave_up": *lock(&self.gave_up),
            "refused": *lock(&self.refused),
            "answers": *lock(&self.answers),
        })
    }
}

/// When a sender stops starting new messages, and when it stops retrying.
#[derive(Clone, Copy)]
pub struct Window {
    pub stop_at: Instant,
    pub give_up_at: Instant,
}

pub struct Sender {
    pub me: usize,
    pub token: String,
    pub channel: String,
    pub home: usize,
}

/// Hands out a sender's keys at [`SENDER_RATE`] until `stop_at`, and
/// books each one's outcome.
struct Pacer {
    me: usize,
    n: u32,
    next: Instant,
    window: Window,
    ledger: Arc<Ledger>,
}

impl Pacer {
    fn new(me: usize, window: Window, ledger: Arc<Ledger>) -> Pacer {
        Pacer {
            me,
            n: 0,
            next: Instant::now(),
            window,
            ledger,
        }
    }

    async fn next_key(&mut self) -> Option<String> {
        if Instant::now() >= self.window.stop_at {
            return None;
        }
        tokio::time::sleep_until(self.next.into()).await;
        self.next = Instant::now() + Duration::from_secs_f64(1.0 / SENDER_RATE);
        self.n += 1;
        *lock(&self.ledger.sent) += 1;
        Some(format!("m{:02}x{:05}", self.me, self.n))
    }

    fn book(&self, key: String, acknowledged: bool) {
        if acknowledged {
            lock(&self.ledger.acked).insert(key);
        } else {
            *lock(&self.ledger.gave_up) += 1;
        }
    }

    fn retrying(&self) -> bool {
        Instant::now() < self.window.give_up_at
    }
}

/// A sender over REST: `POST /channels/{id}/messages` with a nonce.
pub async fn rest_sender(nodes: Nodes, s: Sender, window: Window, ledger: Arc<Ledger>) {
    let http = reqwest::Client::new();
    let mut node = s.home;
    let mut pacer = Pacer::new(s.me, window, ledger.clone());
    while let Some(key) = pacer.next_key().await {
        let mut acked = false;
        while !acked && pacer.retrying() {
            let res = http
                .post(format!(
                    "{}/channels/{}/messages",
                    nodes.api(node),
                    s.channel
                ))
                .bearer_auth(&s.token)
                .timeout(ATTEMPT_TIMEOUT)
                .json(&json!({ "content": key, "nonce": key }))
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    ledger.answer(r.status().as_str());
                    acked = true;
                }
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    ledger.answer(r.status().as_str());
                    let wait = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                        .map_or(Duration::from_millis(500), Duration::from_secs);
                    tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
                }
                Ok(r) => {
                    let status = r.status();
                    ledger.answer(status.as_str());
                    let body = r.text().await.unwrap_or_default();
                    lock(&ledger.refused).push(format!("{key}: {status} {body}"));
                    break;
                }
                Err(e) => {
                    ledger.answer(if e.is_timeout() { "timeout" } else { "connect" });
                    // This node is gone: the other one serves the same data.
                    node += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        pacer.book(key, acked);
    }
}

/// A sender over WebSocket: `MESSAGE` frames answered by `ACK` (after the
/// commit) or `ERROR`, both carrying the nonce.
pub async fn ws_sender(nodes: Nodes, s: Sender, window: Window, ledger: Arc<Ledger>) {
    let mut node = s.home;
    let mut socket: Option<Socket> = None;
    let mut pacer = Pacer::new(s.me, window, ledger.clone());
    while let Some(key) = pacer.next_key().await {
        let mut acked = false;
        while !acked && pacer.retrying() {
            let sock = match &mut socket {
                Some(sock) => sock,
                None => match tokio::time::timeout(
                    ATTEMPT_TIMEOUT,
                    ws_connect(&nodes.ws(node), &s.token),
                )
                .await
                {
                    Ok(Ok(sock)) => socket.insert(sock),
                    _ => {
                        ledger.answer("ws connect failed");
                        node += 1;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                },
            };
            let frame = json!({ "type": "MESSAGE", "payload": {
                "channel_id": s.channel, "content": key, "nonce": key } });
            if sock.send(Message::text(frame.to_string())).await.is_err() {
                socket = None;
                continue;
            }
            match await_answer(sock, &key).await {
                Answer::Ack => {
                    ledger.answer("ACK");
                    acked = true;
                }
                Answer::Retry(code) => {
                    ledger.answer(format!("ERROR {code}"));
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Answer::Refused(text) => {
                    ledger.answer("ERROR");
                    lock(&ledger.refused).push(format!("{key}: {text}"));
                    break;
                }
                Answer::Lost => {
                    ledger.answer("ws closed");
                    socket = None;
                    node += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        pacer.book(key, acked);
    }
    if let Some(mut sock) = socket {
        let _ = sock.close(None).await;
    }
}

enum Answer {
    Ack,
    Retry(String),
    Refused(String),
    Lost,
}

/// Reads until the ACK or ERROR for `nonce` (other frames are the
/// channel's traffic), or until the socket fails or stays silent.
async fn await_answer(sock: &mut Socket, nonce: &str) -> Answer {
    loop {
        let text = match tokio::time::timeout(ATTEMPT_TIMEOUT, sock.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            _ => return Answer::Lost,
        };
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text.as_str()) else {
            continue;
        };
        match frame.event {
            ServerEvent::Ack { nonce: Some(n), .. } if n == nonce => return Answer::Ack,
            ServerEvent::Error {
                nonce: Some(n),
                code,
                message,
            } if n == nonce => {
                let code = serde_json::to_value(code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                return if code == "unavailable" || code == "rate_limited" || code == "internal" {
                    Answer::Retry(code)
                } else {
                    Answer::Refused(format!("{code}: {message}"))
                };
            }
            _ => {}
        }
    }
}

/// What one listener received.
#[derive(Default)]
pub struct Heard {
    pub keys: HashSet<String>,
    pub duplicates: u64,
    pub reconnects: u64,
    pub resyncs: u64,
}

/// A listener: one WebSocket session that follows the channel across
/// failures. When its connection ends it reconnects (to the other node if
/// its own is gone) and RESUMEs after the last seq it processed; should the
/// server answer RESYNC it refetches the channel over REST, as the UI does.
pub async fn listener(
    nodes: Nodes,
    home: usize,
    token: String,
    channel: String,
    heard: Arc<Mutex<Heard>>,
    mut stop: watch::Receiver<bool>,
) {
    let http = reqwest::Client::new();
    let mut node = home;
    let mut session: Option<(String, i64)> = None;
    // The highest channel seq received, for a RESYNC's refetch.
    let mut channel_seq = 0i64;
    while !*stop.borrow() {
        let first = match &session {
            Some((id, last_seq)) => json!({ "type": "RESUME", "payload": {
                "token": token, "session": id, "last_seq": last_seq } }),
            None => json!({ "type": "AUTH", "payload": { "token": token } }),
        };
        let connected = tokio::time::timeout(ATTEMPT_TIMEOUT, async {
            let (mut sock, _) = tokio_tungstenite::connect_async(nodes.ws(node)).await?;
            sock.send(Message::text(first.to_string())).await?;
            anyhow::Ok(sock)
        })
        .await;
        let Ok(Ok(mut sock)) = connected else {
            node += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut ping = tokio::time::interval(Duration::from_secs(10));
        loop {
            let text = tokio::select! {
                _ = stop.changed() => break,
                _ = ping.tick() => {
                    let _ = sock.send(Message::text(r#"{"type":"PING"}"#)).await;
                    continue;
                }
                msg = sock.next() => match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(_)) => continue,
                    _ => break,
                },
            };
            let Ok(frame) = serde_json::from_str::<ServerFrame>(text.as_str()) else {
                continue;
            };
            if let (Some(seq), Some((_, last))) = (frame.seq, session.as_mut()) {
                *last = (*last).max(seq);
            }
            match frame.event {
                // A resumed session keeps its seq; a new one starts at HELLO's.
                ServerEvent::Hello(h) if !h.resumed => session = Some((h.session, h.seq)),
                ServerEvent::Resync { .. } => {
                    lock(&heard).resyncs += 1;
                    session = None;
                    refetch(
                        &http,
                        &nodes,
                        node,
                        &token,
                        &channel,
                        &mut channel_seq,
                        &heard,
                    )
                    .await;
                    break;
                }
                ServerEvent::Message(m) if m.channel_id.to_string() == channel => {
                    channel_seq = channel_seq.max(m.seq);
                    let mut h = lock(&heard);
                    if !h.keys.insert(m.content) {
                        h.duplicates += 1;
                    }
                }
                _ => {}
            }
        }
        if *stop.borrow() {
            let _ = sock.close(None).await;
            return;
        }
        lock(&heard).reconnects += 1;
        node += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// After RESYNC: what the channel holds beyond `channel_seq`, over REST.
async fn refetch(
    http: &reqwest::Client,
    nodes: &Nodes,
    node: usize,
    token: &str,
    channel: &str,
    channel_seq: &mut i64,
    heard: &Mutex<Heard>,
) {
    for attempt in 0..20 {
        match history(
            http,
            &nodes.api(node + attempt),
            token,
            channel,
            *channel_seq,
        )
        .await
        {
            Ok(page) => {
                let mut h = lock(heard);
                for m in page {
                    *channel_seq = (*channel_seq).max(m.seq);
                    h.keys.insert(m.content);
                }
                return;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

/// Every message of `channel` after channel seq `after`, oldest first,
/// walking pages forward.
pub async fn history(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    channel: &str,
    after: i64,
) -> anyhow::Result<Vec<parley_shared::api::Message>> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let page: MessagePage = http
            .get(format!(
                "{api}/channels/{channel}/messages?after={cursor}&limit=100"
            ))
            .bearer_auth(token)
            .timeout(Duration::from_secs(10))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let more = page.has_more_after;
        let Some(last) = page.messages.last().map(|m| m.seq) else {
            return Ok(out);
        };
        cursor = last;
        out.extend(page.messages);
        if !more {
            return Ok(out);
        }
    }
}

/// What the channel holds, checked against the ledger: each key stored
/// once, seqs 1..N without a gap.
pub struct Stored {
    pub keys: HashMap<String, u64>,
    pub gaps: u64,
}

pub async fn stored(api: &str, token: &str, channel: &str) -> anyhow::Result<Stored> {
    let http = reqwest::Client::new();
    let mut last_err = None;
    for _ in 0..20 {
        match history(&http, api, token, channel, 0).await {
            Ok(messages) => {
                let mut keys = HashMap::new();
                let mut gaps = 0;
                for (i, m) in messages.iter().enumerate() {
                    if m.seq != i as i64 + 1 {
                        gaps += 1;
                    }
                    *keys.entry(m.content.clone()).or_insert(0) += 1;
                }
                return Ok(Stored { keys, gaps });
            }
            Err(e) => {
                last_err = Some(e);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    Err(last_err.unwrap_or_else(|| anyhow::anyhow!("history never answered")))
}
