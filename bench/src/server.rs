//! Starting the system under test: real `parley-server` processes (the
//! release binary next to this one) on loopback, each with a fresh data
//! directory, stopped when dropped.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

pub struct Node {
    pub url: String,
    child: Child,
    dir: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .context("bench binary has no folder")?
        .join("parley-server");
    if !bin.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release -p parley-server -p parley-bench`",
            bin.display()
        );
    }
    Ok(bin)
}

impl Node {
    /// Starts a node; `env` adds settings (database, Redis, …).
    pub async fn start(name: &str, env: &[(&str, String)]) -> anyhow::Result<Node> {
        let dir = std::env::temp_dir().join(format!("parley-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let mut cmd = Command::new(server_binary()?);
        cmd.env("PARLEY_PORT", "0")
            .env("PARLEY_DATA_DIR", &dir)
            .env(
                "PARLEY_JWT_SECRET",
                "bench-secret-bench-secret-bench-secret-0",
            )
            // Registering thousands of users must not take an hour; the
            // cost of a login is not what is measured here.
            .env("PARLEY_ARGON2_MEMORY_KIB", "256")
            .env("PARLEY_ARGON2_ITERATIONS", "1")
            .env("PARLEY_WS_QUEUE", "8192")
            // One generator address sends everything: no per-IP limits.
            .env("PARLEY_RATE_LIMIT_PER_MIN", "0")
            .env("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "0")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("Parley is running at ") {
                    return Some(url.trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .context("parley-server did not start")?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Node { url, child, dir })
    }

    /// `kill -9`: the process gets no chance to close connections or
    /// flush anything (a crashed node). The data directory stays.
    pub async fn crash(&mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let Some(pid) = self.child.id() else { return 0 };
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }

    /// CPU time the server process has used so far, all threads, user and
    /// system: per message, it is a cost that a busy machine hardly skews.
    pub fn cpu_time(&self) -> Duration {
        let Some(pid) = self.child.id() else {
            return Duration::ZERO;
        };
        let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                // Fields after the command name, which may hold spaces:
                // state is field 3, utime 14, stime 15.
                let rest = s.rsplit_once(')')?.1;
                let f: Vec<&str> = rest.split_whitespace().collect();
                Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0);
        // /proc counts in USER_HZ ticks, which Linux fixes at 100 per second.
        Duration::from_millis(ticks * 10)
    }

    pub fn api(&self) -> String {
        format!("{}/api/v1", self.url)
    }

    pub fn ws(&self) -> String {
        format!("{}/api/v1/ws", self.url.replacen("http://", "ws://", 1))
    }
}
