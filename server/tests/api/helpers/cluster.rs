//! Real `parley-server` processes: single nodes, and two-node clusters
//! sharing one PostgreSQL database and one Redis.
//!
//! What must stay true: the processes are killed when their handles drop,
//! and their stdout is drained so they never block on a full pipe.

use std::sync::atomic::Ordering;

use super::services::{fresh_pg_database, redis_reachable, redis_url};
use super::ws::WAIT;
use super::{TestApp, COUNTER, JWT_SECRET};

/// Two real `parley-server` processes sharing one PostgreSQL database and
/// one Redis: `a` is node A; `b_base` is node B's URL. The processes die
/// with the cluster.
pub struct Cluster {
    pub a: TestApp,
    pub b: TestApp,
    procs: Vec<tokio::process::Child>,
}

impl Cluster {
    /// Kills node B outright (SIGKILL): it announces nothing.
    pub async fn crash_b(&mut self) {
        let b = self.procs.last_mut().expect("node b");
        b.kill().await.expect("kill node b");
    }
}

/// Starts a real `parley-server` process; `redis_prefix` puts it on the
/// Redis bus. Returns its URL and the process (killed when dropped).
pub async fn start_process(
    data_dir: &std::path::Path,
    database_url: &str,
    redis_prefix: Option<&str>,
    node: u16,
    extra: &[(&str, &str)],
) -> (String, tokio::process::Child) {
    use tokio::io::AsyncBufReadExt;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley-server"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PARLEY_PORT", "0")
        .env("PARLEY_DATA_DIR", data_dir)
        .env("PARLEY_DATABASE_URL", database_url)
        .env("PARLEY_JWT_SECRET", JWT_SECRET)
        .env("PARLEY_NODE_ID", node.to_string())
        .env("PARLEY_PRESENCE_GRACE", "300ms")
        .env("PARLEY_RATE_LIMIT_PER_MIN", "1000000")
        .env("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "100000")
        .env("PARLEY_DB_ACQUIRE_TIMEOUT", "10s")
        .env("PARLEY_TURN_PORT", "0")
        .env("PARLEY_CALL_TIMEOUT", "60s")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    if let Some(prefix) = redis_prefix {
        cmd.env("PARLEY_REDIS_URL", redis_url())
            .env("PARLEY_REDIS_PREFIX", prefix);
    }
    let mut child = cmd.spawn().expect("spawn parley-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("Parley is running at ") {
                return url.trim().to_owned();
            }
        }
        panic!("parley-server exited before listening");
    })
    .await
    .expect("parley-server did not start in time");
    // Keep draining stdout so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (url, child)
}

/// `None` outside CI when PostgreSQL or Redis is down (said loudly).
pub async fn spawn_cluster() -> Option<Cluster> {
    spawn_cluster_with(&[]).await
}

/// Like [`spawn_cluster`], with extra settings for both nodes.
pub async fn spawn_cluster_with(extra: &[(&str, &str)]) -> Option<Cluster> {
    if !redis_reachable().await {
        return None;
    }
    let database_url = fresh_pg_database().await?;
    let prefix = format!(
        "parley-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut procs = Vec::new();
    let mut apps = Vec::new();
    for node in [1u16, 2] {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let data_dir = std::env::temp_dir().join(format!("parley-node-{}-{n}", std::process::id()));
        let (base, child) =
            start_process(&data_dir, &database_url, Some(&prefix), node, extra).await;
        procs.push(child);
        apps.push(TestApp::at(&base, &database_url, &data_dir));
    }
    let b = apps.pop().expect("node b");
    let a = apps.pop().expect("node a");
    Some(Cluster { a, b, procs })
}
