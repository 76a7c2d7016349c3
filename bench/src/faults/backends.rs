//! Private instances of the backing services, so a fault run may `kill -9`
//! them without touching the machine's own: PostgreSQL (initdb into a
//! temporary folder), Redis and a RabbitMQ node, each on a free loopback
//! port, each stopped and its folder removed when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

/// A port nobody listens on now (the kernel's pick, released at once).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub async fn wait_port(port: u16, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("nothing listens on 127.0.0.1:{port} after {within:?}")
}

async fn wait_closed(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .await
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A PostgreSQL cluster of its own. PostgreSQL refuses to run as root, so
/// as root its commands run as the `postgres` user.
pub struct Postgres {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
}

impl Postgres {
    pub async fn start(dir: &Path) -> anyhow::Result<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .context(
                "PostgreSQL's server programs are missing (sudo apt-get install -y postgresql)",
            )?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("pg_ctl").exists())
            .max()
            .context("no /usr/lib/postgresql/*/bin/pg_ctl")?;
        let dir = dir.join("postgres");
        std::fs::create_dir_all(&dir)?;
        let pg = Postgres {
            port: free_port()?,
            bin,
            dir,
        };
        if is_root() {
            run(
                Command::new("chown").args(["-R", "postgres"]).arg(&pg.dir),
                "chown",
            )
            .await?;
        }
        run(
            &mut pg.command(
                "initdb",
                &[
                    "-D",
                    &pg.data(),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            ),
            "initdb",
        )
        .await?;
        pg.up().await?;
        Ok(pg)
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// The command line running `program` as the cluster's owner.
    fn argv(&self, program: &str) -> Vec<std::ffi::OsString> {
        let path = self.bin.join(program).into_os_string();
        if is_root() {
            vec![
                "runuser".into(),
                "-u".into(),
                "postgres".into(),
                "--".into(),
                path,
            ]
        } else {
            vec![path]
        }
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let argv = self.argv(program);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).args(args).stdin(Stdio::null());
        cmd
    }

    /// Starts the server (after a crash: with crash recovery) and waits.
    pub async fn up(&self) -> anyhow::Result<()> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log").display().to_string();
        run(
            &mut self.command(
                "pg_ctl",
                &["-D", &self.data(), "-l", &log, "-o", &opts, "-w", "start"],
            ),
            "pg_ctl start",
        )
        .await?;
        wait_port(self.port, Duration::from_secs(30)).await
    }

    /// Stops at once, as a crash would: every backend is killed without a
    /// checkpoint, and the next start replays the write-ahead log.
    pub async fn crash(&self) -> anyhow::Result<()> {
        run(
            &mut self.command(
                "pg_ctl",
                &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
            ),
            "pg_ctl stop",
        )
        .await?;
        wait_closed(self.port).await;
        Ok(())
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A fresh database; returns its URL.
    pub async fn database(&self, name: &str) -> anyhow::Result<String> {
        run(
            Command::new("psql").args([
                self.admin_url().as_str(),
                "-qc",
                &format!("CREATE DATABASE {name}"),
            ]),
            "psql CREATE DATABASE",
        )
        .await?;
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let argv = self.argv("pg_ctl");
        let _ = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Redis server that keeps nothing on disk.
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    pub async fn start() -> anyhow::Result<Redis> {
        let mut redis = Redis {
            port: free_port()?,
            child: None,
        };
        redis.up().await?;
        Ok(redis)
    }

    pub async fn up(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("redis-server is missing (sudo apt-get install -y redis-server)")?;
        self.child = Some(child);
        wait_port(self.port, Duration::from_secs(10)).await
    }

    pub async fn crash(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().await?;
        }
        wait_closed(self.port).await;
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

/// A RabbitMQ node of its own (its own name, ports, database and an empty
/// plugin list), started from RabbitMQ's own script so that neither the
/// machine's node nor its settings are touched.
pub struct Rabbit {
    pub port: u16,
    dist_port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

const RABBIT_SCRIPT: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

impl Rabbit {
    pub async fn start(dir: &Path) -> anyhow::Result<Rabbit> {
        anyhow::ensure!(
            Path::new(RABBIT_SCRIPT).exists(),
            "{RABBIT_SCRIPT} is missing (sudo apt-get install -y rabbitmq-server)"
        );
        let dir = dir.join("rabbitmq");
        std::fs::create_dir_all(&dir)?;
        let mut rabbit = Rabbit {
            port: free_port()?,
            dist_port: free_port()?,
            dir,
            child: None,
        };
        std::fs::write(
            rabbit.dir.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.default = 127.0.0.1:{}\nlog.console = false\n",
                rabbit.port
            ),
        )?;
        std::fs::write(rabbit.dir.join("enabled_plugins"), "[].\n")?;
        std::fs::write(rabbit.dir.join("env.conf"), "")?;
        rabbit.up().await?;
        Ok(rabbit)
    }

    pub async fn up(&mut self) -> anyhow::Result<()> {
        let d = &self.dir;
        let node = format!("parley-faults-{}@localhost", std::process::id());
        let child = Command::new(RABBIT_SCRIPT)
            .env("HOME", d)
            .env("RABBITMQ_CONF_ENV_FILE", d.join("env.conf"))
            .env("RABBITMQ_NODENAME", node)
            .env("RABBITMQ_CONFIG_FILE", d.join("rabbitmq.conf"))
            .env("RABBITMQ_MNESIA_BASE", d.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", d.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d.join("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", d.join("pid"))
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start RabbitMQ")?;
        self.child = Some(child);
        wait_port(self.port, Duration::from_secs(60)).await
    }

    /// `kill -9` of the broker's VM itself (the script's child, named in
    /// its pid file), as a crash would.
    pub async fn crash(&mut self) -> anyhow::Result<()> {
        let pid = std::fs::read_to_string(self.dir.join("pid"))?;
        run(
            Command::new("kill").args(["-9", pid.trim()]),
            "kill -9 RabbitMQ",
        )
        .await?;
        if let Some(mut c) = self.child.take() {
            let _ = c.wait().await;
        }
        wait_closed(self.port).await;
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }
}

impl Drop for Rabbit {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pid")) {
            let _ = std::process::Command::new("kill")
                .args(["-9", pid.trim()])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
