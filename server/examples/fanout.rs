//! Fan-out on one node, measured: `members` WebSocket clients in one
//! channel, one sender posting `messages` messages at `rate` per second over
//! REST; every member records send → receive latency.
//!
//!   cargo run --release -p parley-server --example fanout -- 100 500 200
//!
//! The server runs in this process on a fresh SQLite file (or on
//! PARLEY_DATABASE_URL), so clients and server share the machine's cores:
//! the numbers are a floor, not a ceiling. Bounded in count and time,
//! loopback only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use parley_server::config::Config;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.expect("json")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let members = arg(1, 100) as usize;
    let messages = arg(2, 500) as usize;
    let rate = arg(3, 200).max(1);
    let dir = std::env::temp_dir().join(format!("parley-fanout-{}", std::process::id()));
    let db = std::env::var("PARLEY_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/parley.db", dir.display()));
    let config = Config::from_lookup(|k| match k {
        "PARLEY_PORT" => Some("0".into()),
        "PARLEY_DATA_DIR" => Some(dir.display().to_string()),
        "PARLEY_DATABASE_URL" => Some(db.clone()),
        "PARLEY_WS_QUEUE" => Some("4096".into()),
        "PARLEY_RATE_LIMIT_PER_MIN" | "PARLEY_AUTH_RATE_LIMIT_PER_MIN" => Some("0".into()),
        _ => None,
    })?;
    let app = parley_server::build(config).await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.serve(std::future::pending()));
    let api = format!("{base}/api/v1");
    let http = reqwest::Client::new();

    eprintln!("registering {members} members …");
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for i in 0..members {
        let name = format!("m{i}x{}", std::process::id());
        let r = post(
            &http,
            format!("{api}/auth/register"),
            None,
            json!({ "username": name, "email": format!("{name}@bench.test"), "password": "benchmark-pw" }),
        )
        .await;
        tokens.push(r["access_token"].as_str().unwrap_or_default().to_owned());
        ids.push(r["user"]["id"].as_str().unwrap_or_default().to_owned());
    }
    let owner = tokens[0].clone();
    let ws_id = post(
        &http,
        format!("{api}/workspaces"),
        Some(&owner),
        json!({ "name": "Bench" }),
    )
    .await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = post(
        &http,
        format!("{api}/workspaces/{ws_id}/invites"),
        Some(&owner),
        json!({}),
    )
    .await["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for t in &tokens[1..] {
        post(
            &http,
            format!("{api}/invites/{code}/accept"),
            Some(t),
            json!({}),
        )
        .await;
    }
    let channel = post(
        &http,
        format!("{api}/workspaces/{ws_id}/channels"),
        Some(&owner),
        json!({ "name": "fanout", "member_ids": ids[1..] }),
    )
    .await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    eprintln!("connecting {members} WebSockets …");
    let ws_url = format!("{}/api/v1/ws", base.replacen("http://", "ws://", 1));
    let epoch = Instant::now();
    let mut readers = Vec::new();
    for t in &tokens {
        let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url).await?;
        socket
            .send(Message::text(
                json!({ "type": "AUTH", "payload": { "token": t } }).to_string(),
            ))
            .await?;
        // HELLO
        socket.next().await;
        let expect = messages;
        readers.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(expect);
            let deadline = Instant::now() + Duration::from_secs(120);
            while lat.len() < expect && Instant::now() < deadline {
                let Ok(Some(Ok(Message::Text(t)))) =
                    tokio::time::timeout(Duration::from_secs(10), socket.next()).await
                else {
                    break;
                };
                let Ok(f) = serde_json::from_str::<Value>(t.as_str()) else {
                    continue;
                };
                if f["type"] == "MESSAGE" {
                    if let Some(sent) = f["payload"]["content"]
                        .as_str()
                        .and_then(|c| c.parse::<u128>().ok())
                    {
                        let now = epoch.elapsed().as_micros();
                        lat.push((now.saturating_sub(sent)) as f64 / 1000.0);
                    }
                }
            }
            lat
        }));
    }

    eprintln!("sending {messages} messages at {rate}/s …");
    let http = Arc::new(http);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now();
    let mut sends = Vec::new();
    for i in 0..messages {
        let due = started + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (http, url, token) = (
            http.clone(),
            format!("{api}/channels/{channel}/messages"),
            owner.clone(),
        );
        sends.push(tokio::spawn(async move {
            let sent = epoch.elapsed().as_micros().to_string();
            post(&http, url, Some(&token), json!({ "content": sent })).await;
        }));
    }
    for s in sends {
        s.await?;
    }
    let sent_for = started.elapsed();
    let mut all = Vec::new();
    for r in readers {
        all.extend(r.await?);
    }
    let took = started.elapsed();
    all.sort_by(|a, b| a.total_cmp(b));
    let expected = members * messages;
    let result = json!({
        "members": members,
        "messages": messages,
        "target_rate_per_s": rate,
        "achieved_send_rate_per_s": messages as f64 / sent_for.as_secs_f64(),
        "deliveries": all.len(),
        "expected_deliveries": expected,
        "events_out_per_s": all.len() as f64 / took.as_secs_f64(),
        "latency_ms": {
            "p50": percentile(&all, 50.0),
            "p95": percentile(&all, 95.0),
            "p99": percentile(&all, 99.0),
            "max": all.last().copied().unwrap_or(0.0),
        },
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
