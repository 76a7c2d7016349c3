//! Faults under load: each scenario runs two Parley nodes on private
//! PostgreSQL, Redis and RabbitMQ instances, puts 20 senders (10 over REST,
//! 10 over WebSocket, half on each node) and 4 listeners on one channel,
//! then breaks one thing — `kill -9` of Redis, of RabbitMQ, of one node, or
//! an immediate PostgreSQL stop — and restores it while the load goes on.
//!
//! Afterwards the channel's history and every listener are checked against
//! the senders' ledger: every acknowledged message stored once, seqs without
//! a gap, delivered to every listener once. While PostgreSQL is down, a
//! probe checks that the API answers 503 with `Retry-After` within a second.
//! With Elasticsearch (`elasticsearch=URL`), a sample of the messages must
//! also be searchable, so the index jobs relayed through RabbitMQ count too.
//! Parley is never restarted, except the node that is killed.

mod backends;
mod traffic;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::client::Api;
use crate::server::Node;
use backends::{free_port, Postgres, Rabbit, Redis};
use traffic::{Heard, Ledger, Nodes, Sender, Window};

const SENDERS: usize = 20;
const LISTENERS: usize = 4;
/// Load before the fault, how long the fault lasts, load after it.
const BEFORE: Duration = Duration::from_secs(4);
const OUTAGE: Duration = Duration::from_secs(5);
const AFTER: Duration = Duration::from_secs(8);
/// How long unacknowledged messages are still retried after the load.
const DRAIN: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    Redis,
    RabbitMq,
    Node,
    Postgres,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Redis => "kill -9 Redis",
            Fault::RabbitMq => "kill -9 RabbitMQ",
            Fault::Node => "kill -9 one of two nodes",
            Fault::Postgres => "PostgreSQL crash and restart",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Fault::Redis => "redis",
            Fault::RabbitMq => "rabbitmq",
            Fault::Node => "node",
            Fault::Postgres => "postgres",
        }
    }
}

/// The services a run breaks, shared by its scenarios.
struct Backends {
    pg: Postgres,
    redis: Redis,
    rabbit: Rabbit,
    elasticsearch: Option<String>,
}

/// Runs the chosen scenarios (`only=redis,rabbitmq,node,postgres`; all by
/// default) and fails when anything was lost or duplicated.
pub async fn run(only: Option<&str>, elasticsearch: Option<String>) -> anyhow::Result<Value> {
    let all = [Fault::Redis, Fault::RabbitMq, Fault::Node, Fault::Postgres];
    let chosen: Vec<Fault> = all
        .into_iter()
        .filter(|f| only.is_none_or(|o| o.split(',').any(|t| t == f.tag())))
        .collect();
    let dir = std::env::temp_dir().join(format!("parley-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    eprintln!("faults: starting private PostgreSQL, Redis and RabbitMQ …");
    let mut b = Backends {
        pg: Postgres::start(&dir).await?,
        redis: Redis::start().await?,
        rabbit: Rabbit::start(&dir).await?,
        elasticsearch,
    };
    let mut rows = Vec::new();
    for fault in chosen {
        eprintln!("faults: {} …", fault.name());
        rows.push(scenario(fault, &mut b).await?);
    }
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{}", table(&rows));
    let failed: Vec<&Value> = rows.iter().filter(|r| r["ok"] != true).collect();
    if !failed.is_empty() {
        bail!(
            "faults: {} scenario(s) failed: {}",
            failed.len(),
            serde_json::to_string_pretty(&failed)?
        );
    }
    Ok(json!({ "scenario": "faults", "runs": rows }))
}

async fn start_node(
    name: &str,
    env: &[(&'static str, String)],
    port: u16,
    id: u16,
) -> anyhow::Result<Node> {
    let mut env = env.to_vec();
    env.push(("PARLEY_PORT", port.to_string()));
    env.push(("PARLEY_NODE_ID", id.to_string()));
    Node::start(name, &env).await
}

async fn scenario(fault: Fault, b: &mut Backends) -> anyhow::Result<Value> {
    let tag = format!("faults_{}_{}", fault.tag(), std::process::id());
    let mut env = vec![
        ("PARLEY_DATABASE_URL", b.pg.database(&tag).await?),
        ("PARLEY_REDIS_URL", b.redis.url()),
        ("PARLEY_REDIS_PREFIX", tag.clone()),
        ("PARLEY_AMQP_URL", b.rabbit.url()),
        ("PARLEY_AMQP_QUEUE", tag.clone()),
        ("RUST_LOG", "error".to_owned()),
    ];
    if let Some(es) = &b.elasticsearch {
        env.push(("PARLEY_ELASTICSEARCH_URL", es.clone()));
        env.push(("PARLEY_ELASTICSEARCH_INDEX", tag.replace('_', "-")));
    }
    let ports = [free_port()?, free_port()?];
    let a = start_node("faults-a", &env, ports[0], 1).await?;
    let mut node_b = Some(start_node("faults-b", &env, ports[1], 2).await?);
    let nodes = Nodes(Arc::from(vec![
        a.url.clone(),
        format!("http://127.0.0.1:{}", ports[1]),
    ]));

    let api = Api::new(a.api());
    let users = api.register_many("f", SENDERS + LISTENERS, 8).await?;
    let (_, channel) = api.team(&users[0], &users[1..], 8).await?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut heard = Vec::new();
    let mut listeners = Vec::new();
    for (i, u) in users[SENDERS..].iter().enumerate() {
        let h = Arc::new(Mutex::new(Heard::default()));
        heard.push(h.clone());
        listeners.push(tokio::spawn(traffic::listener(
            nodes.clone(),
            i,
            u.token.clone(),
            channel.clone(),
            h,
            stop_rx.clone(),
        )));
    }
    // Listeners are in before the first message.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let start = Instant::now();
    let window = Window {
        stop_at: start + BEFORE + OUTAGE + AFTER,
        give_up_at: start + BEFORE + OUTAGE + AFTER + DRAIN,
    };
    let ledger = Arc::new(Ledger::default());
    let mut senders = Vec::new();
    for (i, u) in users[..SENDERS].iter().enumerate() {
        let s = Sender {
            me: i,
            token: u.token.clone(),
            channel: channel.clone(),
            home: i % 2,
        };
        senders.push(if i < SENDERS / 2 {
            tokio::spawn(traffic::rest_sender(
                nodes.clone(),
                s,
                window,
                ledger.clone(),
            ))
        } else {
            tokio::spawn(traffic::ws_sender(nodes.clone(), s, window, ledger.clone()))
        });
    }

    tokio::time::sleep(BEFORE).await;
    let mut probe = Value::Null;
    match fault {
        Fault::Redis => {
            b.redis.crash().await?;
            tokio::time::sleep(OUTAGE).await;
            b.redis.up().await?;
        }
        Fault::RabbitMq => {
            b.rabbit.crash().await?;
            tokio::time::sleep(OUTAGE).await;
            b.rabbit.up().await?;
        }
        Fault::Node => {
            if let Some(mut n) = node_b.take() {
                n.crash().await?;
            }
            tokio::time::sleep(OUTAGE).await;
            node_b = Some(start_node("faults-b", &env, ports[1], 2).await?);
        }
        Fault::Postgres => {
            b.pg.crash().await?;
            probe = probe_outage(&a.api(), &users[0].token, &channel, OUTAGE).await;
            b.pg.up().await?;
        }
    }
    let restored_after = start.elapsed().as_secs_f64();
    for s in senders {
        s.await?;
    }
    let acked = ledger.acked();
    // Every listener has everything, or the wait ends.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && heard.iter().any(|h| {
            !acked
                .iter()
                .all(|k| h.lock().is_ok_and(|h| h.keys.contains(k)))
        })
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let _ = stop_tx.send(true);
    for l in listeners {
        let _ = l.await;
    }
    let stored = traffic::stored(&a.api(), &users[0].token, &channel).await?;
    let searched = match &b.elasticsearch {
        Some(_) => Some(searchable(&api, &users[0].token, &acked).await),
        None => None,
    };
    drop(node_b);

    let lost_in_store = acked
        .iter()
        .filter(|k| !stored.keys.contains_key(*k))
        .count();
    let duplicated_in_store = stored.keys.values().filter(|n| **n > 1).count();
    let per_listener: Vec<Value> = heard
        .iter()
        .map(|h| {
            let h = h.lock().unwrap_or_else(|e| e.into_inner());
            json!({
                "delivered": acked.iter().filter(|k| h.keys.contains(*k)).count(),
                "missing": acked.iter().filter(|k| !h.keys.contains(*k)).count(),
                "duplicates": h.duplicates,
                "reconnects": h.reconnects,
                "resyncs": h.resyncs,
            })
        })
        .collect();
    let missed = per_listener
        .iter()
        .map(|l| l["missing"].as_u64().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let dup_deliveries: u64 = per_listener
        .iter()
        .map(|l| l["duplicates"].as_u64().unwrap_or(0))
        .sum();
    let lost = lost_in_store as u64 + missed;
    let duplicated = duplicated_in_store as u64 + dup_deliveries;
    let summary = ledger.summary();
    let probe_ok = fault != Fault::Postgres || probe["ok"] == true;
    let search_ok = searched.as_ref().is_none_or(|s| s["ok"] == true);
    let ok = lost == 0
        && duplicated == 0
        && stored.gaps == 0
        && !acked.is_empty()
        && summary["refused"].as_array().is_some_and(Vec::is_empty)
        && summary["gave_up"] == 0
        && probe_ok
        && search_ok;
    Ok(json!({
        "fault": fault.name(),
        "ok": ok,
        "senders": ledger.summary(),
        "restored_after_s": restored_after,
        "stored": stored.keys.len(),
        "seq_gaps": stored.gaps,
        "delivered_min": per_listener.iter().map(|l| l["delivered"].as_u64().unwrap_or(0)).min().unwrap_or(0),
        "listeners": per_listener,
        "lost": lost,
        "duplicated": duplicated,
        "outage_probe": probe,
        "search": searched,
    }))
}

/// While the database is down: every 200 ms a history read and a send on
/// node A, each of which must be answered (503 with Retry-After, or a
/// cached page) within a second.
async fn probe_outage(api: &str, token: &str, channel: &str, outage: Duration) -> Value {
    let http = reqwest::Client::new();
    let until = Instant::now() + outage;
    let mut answers = Vec::new();
    let mut n = 0;
    while Instant::now() < until {
        n += 1;
        for send in [false, true] {
            let req = if send {
                http.post(format!("{api}/channels/{channel}/messages"))
                    .json(
                        &json!({ "content": format!("probe {n}"), "nonce": format!("probe-{n}") }),
                    )
            } else {
                http.get(format!("{api}/channels/{channel}/messages?limit=1"))
            };
            let t = Instant::now();
            let res = req
                .bearer_auth(token)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            let ms = t.elapsed().as_millis() as u64;
            let (status, retry_after) = match &res {
                Ok(r) => (
                    r.status().as_u16(),
                    r.headers().contains_key(reqwest::header::RETRY_AFTER),
                ),
                Err(_) => (0, false),
            };
            answers.push((send, status, retry_after, ms));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let max_ms = answers.iter().map(|a| a.3).max().unwrap_or(0);
    let sends_503 = answers.iter().filter(|a| a.0 && a.1 == 503 && a.2).count();
    let sends = answers.iter().filter(|a| a.0).count();
    let reads_ok = answers
        .iter()
        .filter(|a| !a.0)
        .all(|a| a.1 == 200 || (a.1 == 503 && a.2));
    let mut statuses: HashMap<String, u64> = HashMap::new();
    for a in &answers {
        *statuses
            .entry(format!("{} {}", if a.0 { "POST" } else { "GET" }, a.1))
            .or_default() += 1;
    }
    json!({
        "ok": max_ms < 1000 && sends > 0 && sends_503 == sends && reads_ok,
        "requests": answers.len(),
        "max_ms": max_ms,
        "statuses": statuses,
    })
}

/// A sample of the acknowledged messages, each found by searching for its
/// text (the index jobs went through RabbitMQ), within 60 s.
async fn searchable(api: &Api, token: &str, acked: &std::collections::HashSet<String>) -> Value {
    let mut keys: Vec<&String> = acked.iter().collect();
    keys.sort();
    let sample: Vec<&String> = keys
        .iter()
        .step_by((keys.len() / 25).max(1))
        .copied()
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut missing = sample.clone();
    while !missing.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for k in missing {
            let found = api
                .get(&format!("/messages/search?q={k}&limit=5"), token)
                .await
                .ok()
                .and_then(|r| r["results"].as_array().cloned())
                .is_some_and(|hits| hits.iter().any(|h| h["message"]["content"] == k.as_str()));
            if !found {
                still.push(k);
            }
        }
        missing = still;
        if !missing.is_empty() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    json!({ "ok": missing.is_empty(), "sampled": sample.len(), "not_found": missing })
}

/// The report, as a Markdown table.
fn table(rows: &[Value]) -> String {
    let mut out = String::from(
        "| fault | sent | acknowledged | stored | delivered (each of 4 listeners) | lost | duplicated | listener reconnects | 503 probe |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let reconnects: Vec<String> = r["listeners"]
            .as_array()
            .map(|l| l.iter().map(|x| x["reconnects"].to_string()).collect())
            .unwrap_or_default();
        let probe = if r["outage_probe"].is_null() {
            "—".to_owned()
        } else {
            format!(
                "{} requests, max {} ms, {}",
                r["outage_probe"]["requests"],
                r["outage_probe"]["max_ms"],
                if r["outage_probe"]["ok"] == true {
                    "ok"
                } else {
                    "FAILED"
                }
            )
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r["fault"].as_str().unwrap_or_default(),
            r["senders"]["sent"],
            r["senders"]["acknowledged"],
            r["stored"],
            r["delivered_min"],
            r["lost"],
            r["duplicated"],
            reconnects.join("/"),
            probe,
        ));
    }
    out
}
