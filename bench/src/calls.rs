//! `calls`: what calls in progress cost the server, signaling only (media
//! flows peer to peer, not through it). `calls` pairs each get a private
//! channel; every connection pings every 2 s as a client in a call does.
//! First all connections idle for `seconds` (the baseline), then each pair
//! joins a call in its channel and negotiates (offer, answer, ten ICE
//! candidates each way), then the calls stay up for `seconds`. Reported:
//! join and relay latency, and the server's CPU and memory per call in
//! progress beyond the idle baseline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{watch, Barrier};
use tokio_tungstenite::tungstenite::Message;

use crate::client::{ws_connect, Api, Socket};
use crate::server::Node;
use crate::stats::Latencies;

const SDP: &str = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
    a=group:BUNDLE 0 1 2\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n\
    a=rtpmap:111 opus/48000/2\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n\
    m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
const CANDIDATES: usize = 10;
const PING_EVERY: Duration = Duration::from_secs(2);

async fn send(ws: &mut Socket, frame: Value) -> anyhow::Result<()> {
    ws.send(Message::text(frame.to_string())).await?;
    Ok(())
}

/// Reads until a frame of type `ty` arrives (10 s at most).
async fn until(ws: &mut Socket, ty: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(t.as_str())?;
                if v["type"] == ty {
                    return Ok(v);
                }
                if v["type"] == "ERROR" {
                    bail!("waiting for {ty}: {v}");
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(other) => bail!("waiting for {ty}: the connection ended ({other:?})"),
            Err(_) => bail!("no {ty} within 10 s"),
        }
    }
}

/// Pings both sockets every 2 s and reads what comes, until `stop` flips.
async fn keep_alive(
    pair: &mut [Socket; 2],
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(PING_EVERY);
    let [a, b] = pair;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                send(a, json!({ "type": "PING" })).await?;
                send(b, json!({ "type": "PING" })).await?;
            }
            _ = a.next() => {}
            _ = b.next() => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}

/// Sends one ICE candidate `from` → `to` and waits until it arrives.
async fn candidate(
    from: &mut Socket,
    to: &mut Socket,
    call: &str,
    to_id: &str,
    i: usize,
) -> anyhow::Result<u64> {
    let candidate = format!(
        "candidate:{i} 1 udp 2122260223 127.0.0.1 {} typ host generation 0",
        50_000 + i
    );
    let started = Instant::now();
    send(
        from,
        json!({ "type": "ICE_CANDIDATE", "payload": { "call_id": call, "to": to_id,
        "candidate": { "candidate": candidate, "sdp_mid": "0", "sdp_m_line_index": 0 } } }),
    )
    .await?;
    until(to, "ICE_CANDIDATE").await?;
    Ok(started.elapsed().as_micros() as u64)
}

#[derive(Default)]
struct Timings {
    join_us: Vec<u64>,
    relay_us: Vec<u64>,
}

/// One pair: idle, then a call with a full negotiation, then in the call.
async fn pair(
    mut sockets: [Socket; 2],
    channel: String,
    phases: Arc<Barrier>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Timings> {
    let mut t = Timings::default();
    keep_alive(&mut sockets, &mut stop).await?;
    phases.wait().await;
    let mut ids = Vec::new();
    let mut call = String::new();
    for ws in sockets.iter_mut() {
        let started = Instant::now();
        send(
            ws,
            json!({ "type": "CALL_JOIN", "payload": { "channel_id": channel } }),
        )
        .await?;
        let joined = until(ws, "CALL_JOINED").await?;
        t.join_us.push(started.elapsed().as_micros() as u64);
        call = joined["payload"]["call"]["call_id"]
            .as_str()
            .context("call")?
            .to_owned();
        ids.push(
            joined["payload"]["participant_id"]
                .as_str()
                .context("pid")?
                .to_owned(),
        );
    }
    let [a, b] = &mut sockets;
    let started = Instant::now();
    send(
        a,
        json!({ "type": "CALL_OFFER", "payload": { "call_id": call, "to": ids[1], "sdp": SDP } }),
    )
    .await?;
    until(b, "CALL_OFFER").await?;
    t.relay_us.push(started.elapsed().as_micros() as u64);
    let started = Instant::now();
    send(
        b,
        json!({ "type": "CALL_ANSWER", "payload": { "call_id": call, "to": ids[0], "sdp": SDP } }),
    )
    .await?;
    until(a, "CALL_ANSWER").await?;
    t.relay_us.push(started.elapsed().as_micros() as u64);
    for i in 0..CANDIDATES {
        t.relay_us.push(candidate(a, b, &call, &ids[1], i).await?);
        t.relay_us.push(candidate(b, a, &call, &ids[0], i).await?);
    }
    phases.wait().await;
    keep_alive(&mut sockets, &mut stop).await?;
    Ok(t)
}

/// The server's CPU use over `window` (percent of one core) and its
/// resident memory at the end (KiB).
async fn measure(node: &Node, window: Duration) -> (f64, u64) {
    let cpu = node.cpu_time();
    tokio::time::sleep(window).await;
    let used = node.cpu_time().saturating_sub(cpu);
    (
        used.as_secs_f64() * 100.0 / window.as_secs_f64(),
        node.rss_kib(),
    )
}

pub async fn run(calls: usize, seconds: u64) -> anyhow::Result<Value> {
    let node = Node::start("calls", &[("PARLEY_TURN_PORT", "0".into())]).await?;
    let api = Api::new(node.api());
    eprintln!("calls: {} people, {calls} private channels …", calls * 2);
    let users = api.register_many("caller", calls * 2, 32).await?;
    let (ws_id, _) = api.team(&users[0], &users[1..], 32).await?;
    let mut tasks = Vec::new();
    let phases = Arc::new(Barrier::new(calls + 1));
    let (stop_tx, stop_rx) = watch::channel(false);
    for (i, two) in users.chunks(2).enumerate() {
        let channel = api
            .post(
                &format!("/workspaces/{ws_id}/channels"),
                Some(&two[0].token),
                json!({ "name": format!("call-{i}"), "kind": "private", "member_ids": [two[1].id] }),
            )
            .await?;
        let channel = channel["id"].as_str().context("channel")?.to_owned();
        let sockets = [
            ws_connect(&node.ws(), &two[0].token).await?,
            ws_connect(&node.ws(), &two[1].token).await?,
        ];
        tasks.push(tokio::spawn(pair(
            sockets,
            channel,
            phases.clone(),
            stop_rx.clone(),
        )));
    }
    let window = Duration::from_secs(seconds.max(5));
    // Settle (the set-up's allocations return to the system), then the
    // idle baseline: the same connections, pinging, no calls.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (idle_cpu, idle_rss) = measure(&node, window).await;
    // Each send ends the current keep-alive phase of every pair.
    stop_tx.send(true)?;
    phases.wait().await;
    let negotiation = Instant::now();
    phases.wait().await;
    let negotiated_in = negotiation.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (call_cpu, call_rss) = measure(&node, window).await;
    // The gauge is refreshed every 5 s; the window was longer.
    let in_progress = reqwest::get(format!("{}/metrics", node.url))
        .await?
        .text()
        .await?
        .lines()
        .find_map(|l| l.strip_prefix("parley_calls_in_progress "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    stop_tx.send(true)?;
    let mut join = Vec::new();
    let mut relay = Vec::new();
    for t in tasks {
        let t = t.await??;
        join.push(t.join_us);
        relay.push(t.relay_us);
    }
    let n = calls.max(1) as f64;
    Ok(json!({
        "scenario": "calls",
        "calls": calls,
        "participants": calls * 2,
        "calls_in_progress_metric": in_progress,
        "negotiation_s": negotiated_in.as_secs_f64(),
        "join_latency": Latencies::from_samples(&join).summary(),
        "signaling_relay_latency": Latencies::from_samples(&relay).summary(),
        "server_cpu_percent_idle": idle_cpu,
        "server_cpu_percent_in_calls": call_cpu,
        "server_cpu_percent_per_call": (call_cpu - idle_cpu).max(0.0) / n,
        "server_rss_kib_idle": idle_rss,
        "server_rss_kib_in_calls": call_rss,
        "server_rss_kib_per_call": call_rss.saturating_sub(idle_rss) as f64 / n,
        "window_s": window.as_secs(),
    }))
}
