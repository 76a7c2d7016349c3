//! The scenarios. Each starts its own servers, drives them over the real
//! protocol, and returns a JSON result. All bounded in count and time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{latency_us, stamp, ws_connect, Api, Socket, User};
use crate::reader::{self, Stamp};
use crate::server::Node;
use crate::stats::Latencies;

pub struct Opts {
    pub members: usize,
    pub messages: usize,
    pub rate: u64,
    pub connections: usize,
    pub channels: usize,
    pub seconds: u64,
    pub postgres: Option<String>,
    pub redis: String,
    /// How `persist` sends: over REST (one POST each) or WebSocket
    /// (MESSAGE frames, each answered by ACK after its commit).
    pub via_ws: bool,
    /// Concurrent senders in `persist`.
    pub senders: usize,
    /// Threads reading the receiving sockets of the fan-out runs.
    pub readers: usize,
}

/// Environment for a node on the chosen database (a fresh PostgreSQL
/// database per run when one is given).
async fn db_env(opts: &Opts, tag: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    match &opts.postgres {
        None => Ok(Vec::new()),
        Some(admin) => {
            let name = format!("parley_bench_{tag}_{}", std::process::id());
            let status = tokio::process::Command::new("psql")
                .args([
                    admin.as_str(),
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {name}"),
                    "-c",
                    &format!("CREATE DATABASE {name}"),
                ])
                .status()
                .await?;
            anyhow::ensure!(status.success(), "psql could not create {name}");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
            Ok(vec![("PARLEY_DATABASE_URL", format!("{base}/{name}"))])
        }
    }
}

fn backend(opts: &Opts) -> &'static str {
    if opts.postgres.is_some() {
        "postgresql"
    } else {
        "sqlite"
    }
}

fn parley_stamp(epoch: Instant, text: &str) -> Option<u64> {
    if text.contains("\"type\":\"MESSAGE\"") {
        latency_us(epoch, text)
    } else {
        None
    }
}

fn baseline_stamp(epoch: Instant, text: &str) -> Option<u64> {
    let sent: u128 = text.strip_prefix('t')?.parse().ok()?;
    Some(epoch.elapsed().as_micros().saturating_sub(sent) as u64)
}

type Lines = tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>;

/// Runs this binary again as a helper process (a generator, the baseline
/// server) and returns it with its output lines; it dies with the handle.
fn spawn_self(args: &[String]) -> anyhow::Result<(tokio::process::Child, Lines)> {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    Ok((child, tokio::io::BufReader::new(stdout).lines()))
}

/// Detaches `sockets` and reads them on `opts.readers` threads until each
/// saw `expect` stamps or `until`.
fn start_readers(
    sockets: Vec<Socket>,
    opts: &Opts,
    epoch: Instant,
    expect: usize,
    until: Instant,
    stamp: Stamp,
) -> anyhow::Result<Readers> {
    let detached = sockets
        .into_iter()
        .map(reader::detach)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(reader::read_split(
        detached,
        opts.readers,
        epoch,
        expect,
        until,
        stamp,
    ))
}

type Readers = Vec<std::thread::JoinHandle<anyhow::Result<Vec<Vec<u64>>>>>;

/// Waits for every reader thread and returns the latencies per socket.
async fn gather(readers: Readers) -> anyhow::Result<Vec<Vec<u64>>> {
    tokio::task::spawn_blocking(move || {
        let mut samples = Vec::new();
        for r in readers {
            let part = r
                .join()
                .map_err(|_| anyhow::anyhow!("a reader thread panicked"))??;
            samples.extend(part);
        }
        Ok(samples)
    })
    .await?
}

async fn connect_all(
    url: &str,
    users: &[User],
    per_user: usize,
) -> anyhow::Result<(Vec<Socket>, f64)> {
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(users.len() * per_user);
    let sem = Arc::new(Semaphore::new(256));
    let mut handles = Vec::new();
    for u in users {
        for _ in 0..per_user {
            let (url, token, sem) = (url.to_owned(), u.token.clone(), sem.clone());
            handles.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await?;
                ws_connect(&url, &token).await
            }));
        }
    }
    for h in handles {
        sockets.push(h.await??);
    }
    let rate = sockets.len() as f64 / started.elapsed().as_secs_f64();
    Ok((sockets, rate))
}

/// Posts `messages` stamped messages at `rate`/s (bounded concurrency).
async fn send_paced(
    api: &Api,
    epoch: Instant,
    messages: usize,
    rate: u64,
    pick: impl Fn(usize) -> (String, String),
) -> anyhow::Result<(f64, usize)> {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let sem = Arc::new(Semaphore::new(128));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(messages);
    for i in 0..messages {
        tokio::time::sleep_until((started + interval * i as u32).into()).await;
        let permit = sem.clone().acquire_owned().await?;
        let (channel, token) = pick(i);
        let api = api.clone();
        handles.push(tokio::spawn(async move {
            let r = api.send(&channel, &token, stamp(epoch)).await;
            drop(permit);
            r
        }));
    }
    let mut failed = 0;
    for h in handles {
        if h.await?.is_err() {
            failed += 1;
        }
    }
    Ok((messages as f64 / started.elapsed().as_secs_f64(), failed))
}

/// (a) and (e): one channel with `members` members, one sender.
pub async fn fanout(opts: &Opts, nodes: usize) -> anyhow::Result<(Value, Latencies)> {
    let mut env = db_env(opts, "fanout").await?;
    if nodes > 1 {
        anyhow::ensure!(opts.postgres.is_some(), "two nodes need postgres=URL");
        env.push(("PARLEY_REDIS_URL", opts.redis.clone()));
        env.push((
            "PARLEY_REDIS_PREFIX",
            format!("bench-{}", std::process::id()),
        ));
    }
    let mut servers = Vec::new();
    for i in 0..nodes {
        let mut e = env.clone();
        e.push(("PARLEY_NODE_ID", i.to_string()));
        servers.push(Node::start(&format!("fanout{i}"), &e).await?);
    }
    let api = Api::new(servers[0].api());
    eprintln!("fanout: registering {} users …", opts.members);
    let users = api.register_many("f", opts.members, 16).await?;
    let (_, general) = api.team(&users[0], &users[1..], 32).await?;
    let rss_before: Vec<u64> = servers.iter().map(|s| s.rss_kib()).collect();
    eprintln!(
        "fanout: connecting {} WebSockets over {nodes} node(s) …",
        opts.members
    );
    let mut sockets = Vec::new();
    let mut conn_rate = 0.0;
    for (i, s) in servers.iter().enumerate() {
        let mine: Vec<User> = users.iter().skip(i).step_by(nodes).cloned().collect();
        let (socks, rate) = connect_all(&s.ws(), &mine, 1).await?;
        sockets.extend(socks);
        conn_rate += rate;
    }
    let rss_after: Vec<u64> = servers.iter().map(|s| s.rss_kib()).collect();
    let epoch = Instant::now();
    let until = Instant::now() + Duration::from_secs(60 + opts.messages as u64 / opts.rate.max(1));
    let readers = start_readers(sockets, opts, epoch, opts.messages, until, parley_stamp)?;
    eprintln!(
        "fanout: sending {} messages at {}/s …",
        opts.messages, opts.rate
    );
    let started = Instant::now();
    let token = users[0].token.clone();
    let (send_rate, failed) = send_paced(&api, epoch, opts.messages, opts.rate, |_| {
        (general.clone(), token.clone())
    })
    .await?;
    let samples = gather(readers).await?;
    let took = started.elapsed().as_secs_f64();
    let lat = Latencies::from_samples(&samples);
    let conns = opts.members as u64;
    let result = json!({
        "scenario": if nodes > 1 { "two_nodes_fanout" } else { "fanout" },
        "backend": backend(opts),
        "nodes": nodes,
        "members": opts.members,
        "messages": opts.messages,
        "target_rate_per_s": opts.rate,
        "achieved_send_rate_per_s": send_rate,
        "failed_sends": failed,
        "deliveries": lat.count(),
        "expected_deliveries": conns * opts.messages as u64,
        "events_out_per_s": lat.count() as f64 / took,
        "connections_per_s": conn_rate,
        "server_rss_kib_before_ws": rss_before,
        "server_rss_kib_with_ws": rss_after,
        "latency": lat.summary(),
    });
    Ok((result, lat))
}

/// (b): many channels of 20, random senders, steady rate.
pub async fn channels(opts: &Opts) -> anyhow::Result<(Value, Latencies)> {
    let env = db_env(opts, "channels").await?;
    let node = Node::start("channels", &env).await?;
    let api = Api::new(node.api());
    let per = 20usize;
    let user_count = (opts.channels * per / 10).max(per);
    eprintln!("channels: registering {user_count} users …");
    let users = api.register_many("c", user_count, 16).await?;
    let (ws_id, _) = api.team(&users[0], &users[1..], 32).await?;
    eprintln!("channels: creating {} channels of {per} …", opts.channels);
    let mut chans: Vec<(String, Vec<usize>)> = Vec::new();
    for c in 0..opts.channels {
        // Member k of channel c: users spread so each is in about ten channels.
        let mut members: Vec<usize> = (0..per - 1)
            .map(|k| 1 + (c * per + k * 7) % (user_count - 1))
            .collect();
        members.sort_unstable();
        members.dedup();
        let ids: Vec<&str> = members.iter().map(|&m| users[m].id.as_str()).collect();
        let ch = api
            .post(
                &format!("/workspaces/{ws_id}/channels"),
                Some(&users[0].token),
                json!({ "name": format!("room-{c}"), "member_ids": ids }),
            )
            .await?;
        chans.push((ch["id"].as_str().unwrap_or_default().to_owned(), members));
    }
    eprintln!("channels: connecting {user_count} WebSockets …");
    let (sockets, conn_rate) = connect_all(&node.ws(), &users, 1).await?;
    let epoch = Instant::now();
    let total = (opts.rate * opts.seconds) as usize;
    // Each reader stops at the deadline (sending time plus a tail of 5 s);
    // the latencies are what arrived by then.
    let until = Instant::now() + Duration::from_secs(opts.seconds + 5);
    let readers = start_readers(sockets, opts, epoch, usize::MAX, until, parley_stamp)?;
    eprintln!("channels: {total} messages at {}/s …", opts.rate);
    let started = Instant::now();
    let tokens: Vec<String> = users.iter().map(|u| u.token.clone()).collect();
    let chans2 = chans.clone();
    let (send_rate, failed) = send_paced(&api, epoch, total, opts.rate, move |i| {
        let (id, members) = &chans2[(i * 7919) % chans2.len()];
        let sender = members[i % members.len()];
        (id.clone(), tokens[sender].clone())
    })
    .await?;
    let samples = gather(readers).await?;
    let took = started.elapsed().as_secs_f64();
    let lat = Latencies::from_samples(&samples);
    let result = json!({
        "scenario": "channels",
        "backend": backend(opts),
        "channels": opts.channels,
        "members_per_channel": per,
        "users": user_count,
        "messages": total,
        "target_rate_per_s": opts.rate,
        "achieved_send_rate_per_s": send_rate,
        "failed_sends": failed,
        "deliveries_measured": lat.count(),
        "expected_deliveries": total * per,
        "events_out_per_s": lat.count() as f64 / took,
        "connections_per_s": conn_rate,
        "latency": lat.summary(),
    });
    Ok((result, lat))
}

/// (c): idle connections and what each costs the server. One process
/// may hold 20,000 open files here, so `nodes` servers each get their own
/// generator process (`parley-bench hold …`); every node has its own
/// database and users, which idle connections do not need to share.
pub async fn idle(opts: &Opts, nodes: usize) -> anyhow::Result<Value> {
    let per_node = opts.connections.div_ceil(nodes.max(1));
    let mut servers = Vec::new();
    let mut generators = Vec::new();
    let mut rss_before = Vec::new();
    let started = Instant::now();
    for i in 0..nodes.max(1) {
        let node = Node::start(&format!("idle{i}"), &[]).await?;
        let api = Api::new(node.api());
        let users = api.register_many(&format!("i{i}x"), 50, 16).await?;
        rss_before.push(node.rss_kib());
        let tokens: Vec<String> = users.into_iter().map(|u| u.token).collect();
        let token_file =
            std::env::temp_dir().join(format!("parley-bench-tokens-{}-{i}", std::process::id()));
        std::fs::write(&token_file, tokens.join("\n"))?;
        eprintln!("idle: node {i}: a generator opens {per_node} connections …");
        generators.push(spawn_self(&[
            "hold".into(),
            format!("url={}", node.ws()),
            format!("tokens={}", token_file.display()),
            format!("connections={per_node}"),
            format!("seconds={}", opts.seconds.max(5) + 20),
        ])?);
        servers.push(node);
    }
    let mut held = 0u64;
    for (_, lines) in generators.iter_mut() {
        let line = tokio::time::timeout(Duration::from_secs(300), lines.next_line())
            .await
            .map_err(|_| anyhow::anyhow!("a generator did not report in time"))??
            .unwrap_or_default();
        held += line
            .trim_start_matches("held ")
            .trim()
            .parse::<u64>()
            .unwrap_or(0);
    }
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after: Vec<u64> = servers.iter().map(|s| s.rss_kib()).collect();
    let grown: u64 = rss_after
        .iter()
        .zip(&rss_before)
        .map(|(a, b)| a.saturating_sub(*b))
        .sum();
    drop(generators);
    Ok(json!({
        "scenario": "idle",
        "nodes": servers.len(),
        "connections": held,
        "connections_per_s_including_setup": held as f64 / connect_secs,
        "server_rss_kib_before": rss_before,
        "server_rss_kib_after": rss_after,
        "rss_bytes_per_connection": grown * 1024 / held.max(1),
    }))
}

/// The generator side of `idle`, run as its own process: opens
/// `connections` WebSockets round-robin over the tokens, prints
/// `held N`, keeps them `seconds`, exits.
pub async fn hold(
    url: &str,
    tokens: &[String],
    connections: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let sem = Arc::new(Semaphore::new(256));
    let mut handles = Vec::with_capacity(connections);
    for i in 0..connections {
        let (url, token, sem) = (
            url.to_owned(),
            tokens[i % tokens.len()].clone(),
            sem.clone(),
        );
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            ws_connect(&url, &token).await
        }));
    }
    let mut sockets = Vec::with_capacity(connections);
    for h in handles {
        if let Ok(Ok(s)) = h.await {
            sockets.push(s);
        }
    }
    println!("held {}", sockets.len());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    drop(sockets);
    Ok(())
}

/// (d): how many messages per second are persisted (acknowledged after
/// commit), plus history-page latency.
pub async fn persist(opts: &Opts) -> anyhow::Result<Value> {
    let env = db_env(opts, "persist").await?;
    let node = Node::start("persist", &env).await?;
    let api = Api::new(node.api());
    let users = api.register_many("p", opts.senders.max(2), 16).await?;
    let (ws_id, general) = api.team(&users[0], &users[1..], 32).await?;
    let deadline = Instant::now() + Duration::from_secs(opts.seconds);
    let epoch = Instant::now();
    let cpu_before = node.cpu_time();
    let mut handles = Vec::new();
    // Where the history pages are read: a channel the run filled.
    let mut busiest = general.clone();
    if opts.via_ws {
        // Each sender writes to a channel of its own, so every message is
        // delivered once (to its sender's socket) and the run measures
        // persistence, not fan-out. A connection may send 20 frames/s (a
        // person types far slower), so load comes from many senders at
        // WS_SENDER_RATE each, as it would from many people.
        for (i, u) in users.iter().enumerate() {
            let ch = api
                .post(
                    &format!("/workspaces/{ws_id}/channels"),
                    Some(&u.token),
                    json!({ "name": format!("writer-{i}") }),
                )
                .await?;
            let channel = ch["id"].as_str().unwrap_or_default().to_owned();
            if i == 0 {
                busiest = channel.clone();
            }
            let socket = ws_connect(&node.ws(), &u.token).await?;
            handles.push(tokio::spawn(ws_sender(socket, channel, i, epoch, deadline)));
            if (i + 1) % 200 == 0 {
                eprintln!("persist: {} senders connected …", i + 1);
            }
        }
    } else {
        for u in users.iter().cloned() {
            let (api, general) = (api.clone(), general.clone());
            handles.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if api.send(&general, &u.token, stamp(epoch)).await.is_ok() {
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                }
                lat
            }));
        }
    }
    let mut samples = Vec::new();
    for h in handles {
        samples.push(h.await?);
    }
    let acked = Latencies::from_samples(&samples);
    let per_s = acked.count() as f64 / opts.seconds as f64;
    let cpu = node.cpu_time().saturating_sub(cpu_before);
    let cpu_us_per_message = cpu.as_micros() as u64 / acked.count().max(1);
    // History pages while idle.
    let mut pages = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        api.get(
            &format!("/channels/{busiest}/messages?limit=50"),
            &users[0].token,
        )
        .await?;
        pages.push(t.elapsed().as_micros() as u64);
    }
    let pages = Latencies::from_samples([&pages]);
    // Search over everything just persisted: 5-digit substrings (the
    // message texts are timestamps), so each query really scans the index.
    let mut searches = Vec::new();
    let mut hits = 0u64;
    for i in 0..200u64 {
        let needle = format!("{:05}", (i * 7919) % 100_000);
        let t = Instant::now();
        let r = api
            .get(
                &format!("/messages/search?q={needle}&limit=20"),
                &users[0].token,
            )
            .await?;
        searches.push(t.elapsed().as_micros() as u64);
        hits += r["results"].as_array().map(|a| a.len() as u64).unwrap_or(0);
    }
    let searches = Latencies::from_samples([&searches]);
    Ok(json!({
        "scenario": "persist",
        "backend": backend(opts),
        "sent_over": if opts.via_ws { "websocket" } else { "rest" },
        "concurrent_senders": users.len(),
        "seconds": opts.seconds,
        "persisted_messages": acked.count(),
        "persisted_messages_per_s": per_s,
        "server_cpu_us_per_message": cpu_us_per_message,
        "send_ack_latency": acked.summary(),
        "history_page_50_latency": pages.summary(),
        "search_latency": searches.summary(),
        "search_hits_total": hits,
    }))
}

/// Messages per second one WebSocket sender of `persist` offers: under the
/// server's 20 frames/s per connection.
const WS_SENDER_RATE: f64 = 15.0;

/// One WebSocket sender of `persist`: a MESSAGE frame, then its ACK (sent
/// only after the commit), then the next at its pace, until `deadline`.
/// Returns the send → ACK latencies.
async fn ws_sender(
    mut socket: Socket,
    channel: String,
    me: usize,
    epoch: Instant,
    deadline: Instant,
) -> Vec<u64> {
    let mut lat = Vec::new();
    let mut n = 0u64;
    let interval = Duration::from_secs_f64(1.0 / WS_SENDER_RATE);
    let mut next = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep_until(next.into()).await;
        // Never faster than the pace, even after a slow ACK.
        next = Instant::now() + interval;
        n += 1;
        let nonce = format!("w{me}-{n}");
        let frame = json!({ "type": "MESSAGE", "payload": {
            "channel_id": channel, "content": stamp(epoch), "nonce": nonce } });
        let t = Instant::now();
        if socket.send(Message::text(frame.to_string())).await.is_err() {
            break;
        }
        let acked = loop {
            match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let t = t.as_str();
                    if t.contains("\"type\":\"ACK\"") && t.contains(&nonce) {
                        break true;
                    }
                    if t.contains("\"type\":\"ERROR\"") {
                        break false;
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => return lat,
            }
        };
        if acked {
            lat.push(t.elapsed().as_micros() as u64);
        }
    }
    let _ = socket.close(None).await;
    lat
}

/// The ceiling: the same fan-out on the minimal broadcast server.
pub async fn baseline(opts: &Opts) -> anyhow::Result<(Value, Latencies)> {
    let (_child, mut lines) = spawn_self(&["baseline-server".into()])?;
    let url = match lines.next_line().await? {
        Some(l) => l
            .trim_start_matches("Baseline running at ")
            .trim()
            .to_owned(),
        None => anyhow::bail!("baseline server did not start"),
    };
    let mut sockets = Vec::new();
    let started = Instant::now();
    for _ in 0..opts.members {
        let (s, _) = tokio_tungstenite::connect_async(&url).await?;
        sockets.push(s);
    }
    let conn_rate = opts.members as f64 / started.elapsed().as_secs_f64();
    let (mut sender, _) = tokio_tungstenite::connect_async(&url).await?;
    let epoch = Instant::now();
    let until = Instant::now() + Duration::from_secs(60 + opts.messages as u64 / opts.rate.max(1));
    let readers = start_readers(sockets, opts, epoch, opts.messages, until, baseline_stamp)?;
    let interval = Duration::from_secs_f64(1.0 / opts.rate.max(1) as f64);
    let t0 = Instant::now();
    for i in 0..opts.messages {
        tokio::time::sleep_until((t0 + interval * i as u32).into()).await;
        sender.send(Message::text(stamp(epoch))).await?;
    }
    let samples = gather(readers).await?;
    let took = t0.elapsed().as_secs_f64();
    let lat = Latencies::from_samples(&samples);
    Ok((
        json!({
            "scenario": "baseline_fanout",
            "members": opts.members,
            "messages": opts.messages,
            "target_rate_per_s": opts.rate,
            "deliveries": lat.count(),
            "events_out_per_s": lat.count() as f64 / took,
            "connections_per_s": conn_rate,
            "latency": lat.summary(),
        }),
        lat,
    ))
}
