//! `parley-bench`: load benchmark for Parley over its real protocol.
//!
//!   cargo build --release -p parley-server -p parley-bench
//!   target/release/parley-bench SCENARIO [key=value …]
//!
//! Scenarios: fanout, channels, idle (nodes=N for more than one process
//! can hold), persist, two-nodes, baseline, all; and faults (its own
//! PostgreSQL, Redis and RabbitMQ; only=redis,rabbitmq,node,postgres,
//! elasticsearch=URL), which fails when a message is lost or duplicated;
//! and calls (calls=N pairs, seconds=S: the server's cost per call in
//! progress, signaling only).
//! Keys: members, messages, rate, connections, channels, seconds,
//! postgres=URL (admin URL; a fresh database is made per run), redis=URL,
//! via=ws (persist: send over WebSocket instead of REST), senders=N,
//! readers=N (threads reading the fan-out's receiving sockets; default 1),
//! out=DIR (JSON results and the SVG chart; default bench-results),
//! name=NAME (file names; default the scenario).
//! Every run targets 127.0.0.1 only, is bounded, and stops by itself.
#![forbid(unsafe_code)]

mod baseline;
mod calls;
mod chart;
mod client;
mod faults;
mod reader;
mod scenarios;
mod server;
mod stats;

use std::collections::HashMap;

use scenarios::Opts;
use serde_json::{json, Value};

fn parse() -> (String, HashMap<String, String>) {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_else(|| "all".into());
    let kv = args
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    (scenario, kv)
}

fn num<T: std::str::FromStr>(kv: &HashMap<String, String>, key: &str, default: T) -> T {
    kv.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn machine() -> Value {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_default();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    json!({ "cpus": cpus, "cpu": model, "memory": mem })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (scenario, kv) = parse();
    if scenario == "hold" {
        let tokens: Vec<String> =
            std::fs::read_to_string(kv.get("tokens").cloned().unwrap_or_default())?
                .lines()
                .map(str::to_owned)
                .collect();
        anyhow::ensure!(!tokens.is_empty(), "hold needs tokens=FILE");
        return scenarios::hold(
            kv.get("url").map(String::as_str).unwrap_or_default(),
            &tokens,
            num(&kv, "connections", 1000),
            num(&kv, "seconds", 30),
        )
        .await;
    }
    if scenario == "faults" {
        let report = faults::run(
            kv.get("only").map(String::as_str),
            kv.get("elasticsearch").cloned(),
        )
        .await?;
        let out = kv.get("out").map_or("bench-results", String::as_str);
        std::fs::create_dir_all(out)?;
        std::fs::write(
            format!("{out}/faults.json"),
            serde_json::to_string_pretty(&report)?,
        )?;
        return Ok(());
    }
    if scenario == "calls" {
        let report = json!({
            "machine": machine(),
            "args": std::env::args().collect::<Vec<_>>(),
            "results": [calls::run(num(&kv, "calls", 50), num(&kv, "seconds", 10)).await?],
        });
        let out = kv.get("out").map_or("bench-results", String::as_str);
        std::fs::create_dir_all(out)?;
        std::fs::write(
            format!("{out}/calls.json"),
            serde_json::to_string_pretty(&report)?,
        )?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if scenario == "baseline-server" {
        // Runs in its own process so server and clients each get the
        // whole open-file limit, as with parley-server.
        let url = baseline::start().await?;
        println!("Baseline running at {url}");
        std::future::pending::<()>().await;
    }
    let opts = Opts {
        members: num(&kv, "members", 1000),
        messages: num(&kv, "messages", 200),
        rate: num(&kv, "rate", 50),
        connections: num(&kv, "connections", 10_000),
        channels: num(&kv, "channels", 1000),
        seconds: num(&kv, "seconds", 10),
        postgres: kv.get("postgres").cloned(),
        redis: kv
            .get("redis")
            .cloned()
            .unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
        via_ws: kv.get("via").is_some_and(|v| v == "ws"),
        senders: num(&kv, "senders", 64),
        readers: num(&kv, "readers", 1),
    };
    let out = kv
        .get("out")
        .cloned()
        .unwrap_or_else(|| "bench-results".into());
    std::fs::create_dir_all(&out)?;
    let mut results = Vec::new();
    let mut curves = Vec::new();
    let want = |s: &str| scenario == s || scenario == "all";
    if want("baseline") || want("fanout") {
        let (r, lat) = scenarios::baseline(&opts).await?;
        curves.push((format!("baseline, {} members", opts.members), lat.curve()));
        results.push(r);
    }
    if want("fanout") {
        let (r, lat) = scenarios::fanout(&opts, 1).await?;
        curves.push((
            format!("parley fan-out, {} members", opts.members),
            lat.curve(),
        ));
        results.push(r);
    }
    if want("channels") {
        let (r, lat) = scenarios::channels(&opts).await?;
        curves.push((
            format!("parley {} channels × 20", opts.channels),
            lat.curve(),
        ));
        results.push(r);
    }
    if want("persist") {
        results.push(scenarios::persist(&opts).await?);
    }
    if want("idle") {
        results.push(scenarios::idle(&opts, num(&kv, "nodes", 1)).await?);
    }
    if scenario == "two-nodes" {
        let (r, lat) = scenarios::fanout(&opts, 2).await?;
        curves.push((
            format!("parley 2 nodes, {} members", opts.members),
            lat.curve(),
        ));
        results.push(r);
    }
    if let (Some(b), Some(p)) = (
        results.iter().find(|r| r["scenario"] == "baseline_fanout"),
        results.iter().find(|r| r["scenario"] == "fanout"),
    ) {
        let ratio = |k: &str| p[k].as_f64().unwrap_or(0.0) / b[k].as_f64().unwrap_or(1.0).max(1e-9);
        let summary = json!({
            "scenario": "fanout_vs_baseline",
            "events_out_per_s_fraction": ratio("events_out_per_s"),
            "p99_latency_ratio": p["latency"]["p99_ms"].as_f64().unwrap_or(0.0) / b["latency"]["p99_ms"].as_f64().unwrap_or(1.0).max(1e-9),
        });
        results.push(summary);
    }
    let report = json!({ "machine": machine(), "args": std::env::args().collect::<Vec<_>>(), "results": results });
    let name = kv.get("name").cloned().unwrap_or_else(|| scenario.clone());
    let json_path = format!("{out}/{name}.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)?)?;
    if !curves.is_empty() {
        chart::latency_svg(&format!("{out}/{name}-latency.svg"), &curves)?;
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!("results: {json_path}");
    Ok(())
}
