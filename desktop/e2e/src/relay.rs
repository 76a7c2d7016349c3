//! The TURN relays a call test sends its media through, and what each of
//! them says it relayed: coturn (its log: sessions, permissions, and each
//! session's usage when it closes), and the server's embedded relay (the
//! `turn` crate in the test's own process, whose debug log lines are
//! counted here as they are written).
//!
//! What must stay true: these only read what a relay says on its own —
//! its log — so a count here is traffic that went through the relay, not
//! traffic a test merely allowed to.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::net::{free_port, wait_for_ports};
use crate::process::Proc;
use crate::skip::{find_binary, unavailable};

/// A coturn on a free port, relay-only for the server that hands it out;
/// stopped (and its log removed) when dropped.
pub struct Coturn {
    _turnserver: Proc,
    log: PathBuf,
    /// The server settings that hand it out, relay-only.
    pub env: [(&'static str, String); 3],
}

/// One coturn session's traffic, from the `usage` line it logs when the
/// session closes: packets received from and sent to the client (`rp`,
/// `sp`), and to and from its peers (`peer usage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub session: String,
    pub received: u64,
    pub sent: u64,
    pub peer_received: u64,
    pub peer_sent: u64,
}

impl Coturn {
    /// Starts coturn (`None`, after a loud skip naming `test` and `fix`,
    /// when it is not installed) and waits until it listens.
    pub async fn start(test: &str, fix: &str) -> Option<Coturn> {
        let Some(turnserver) = find_binary(&["turnserver"]) else {
            unavailable(
                test,
                "turnserver is not installed (apt-get install -y coturn)",
                fix,
            );
            return None;
        };
        let port = free_port();
        // A relay range of its own, away from the ports the OS hands out.
        let low = 40_000 + (std::process::id() % 200) as u16 * 100;
        let secret = "e2e-turn-secret";
        let log =
            std::env::temp_dir().join(format!("parley-coturn-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).expect("coturn's log");
        let turnserver = Proc::group(
            Command::new(turnserver)
                .args([
                    "-n",
                    // Sessions, permissions and usage are logged with -v.
                    "-v",
                    "--listening-ip=127.0.0.1",
                    "--relay-ip=127.0.0.1",
                    &format!("--listening-port={port}"),
                    &format!("--min-port={low}"),
                    &format!("--max-port={}", low + 99),
                    "--realm=parley.test",
                    "--use-auth-secret",
                    &format!("--static-auth-secret={secret}"),
                    "--no-tls",
                    "--no-dtls",
                    "--no-cli",
                    "--allow-loopback-peers",
                    "--log-file=stdout",
                ])
                .stdout(out)
                .stderr(Stdio::null()),
        )
        .expect("start turnserver");
        wait_for_ports(&[port], "turnserver").await;
        let env = [
            (
                "PARLEY_TURN_URLS",
                format!("turn:127.0.0.1:{port}?transport=udp"),
            ),
            ("PARLEY_TURN_SECRET", secret.to_owned()),
            ("PARLEY_ICE_TRANSPORT_POLICY", "relay".to_owned()),
        ];
        Some(Coturn {
            _turnserver: turnserver,
            log,
            env,
        })
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's lines that contain `what`.
    pub fn lines_with(&self, what: &str) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(what))
            .map(str::to_owned)
            .collect()
    }

    /// The traffic of every session that has closed so far.
    pub fn usage(&self) -> Vec<Usage> {
        usage_of(&self.log())
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The sessions' traffic in a coturn log: each `session N: usage: …`
/// line with the `session N: peer usage: …` line that follows it.
pub fn usage_of(log: &str) -> Vec<Usage> {
    let field = |line: &str, name: &str| -> u64 {
        line.split(", ")
            .find_map(|kv| {
                kv.trim()
                    .strip_prefix(name)?
                    .strip_prefix('=')?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    };
    let session = |line: &str| -> Option<String> {
        let (_, rest) = line.split_once("session ")?;
        Some(rest.split(':').next()?.to_owned())
    };
    let mut found: Vec<Usage> = Vec::new();
    for line in log.lines() {
        let Some(id) = session(line) else { continue };
        if line.contains(": peer usage: ") {
            if let Some(u) = found.iter_mut().rev().find(|u| u.session == id) {
                u.peer_received = field(line, "rp");
                u.peer_sent = field(line, "sp");
            }
        } else if line.contains(": usage: ") {
            found.push(Usage {
                session: id,
                received: field(line, "rp"),
                sent: field(line, "sp"),
                peer_received: 0,
                peer_sent: 0,
            });
        }
    }
    found
}

/// What the embedded relay has done so far, by its own debug log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RelayCounts {
    /// Allocate requests it received.
    pub allocate_requests: u64,
    /// Packets clients gave it to relay (ChannelData, Send indications).
    pub from_clients: u64,
    /// Packets its relay sockets received from peers, to pass on.
    pub from_peers: u64,
}

static COUNTS: Mutex<RelayCounts> = Mutex::new(RelayCounts {
    allocate_requests: 0,
    from_clients: 0,
    from_peers: 0,
});

/// A logger for the `log` crate that only counts the `turn` crate's
/// lines (the server's embedded relay runs in the test's process).
struct TurnCounter;

impl log::Log for TurnCounter {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("turn::") && metadata.level() <= log::Level::Debug
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = record.args().to_string();
        let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
        if line.starts_with("received AllocateRequest") {
            counts.allocate_requests += 1;
        } else if line.starts_with("received ChannelData")
            || line.starts_with("received SendIndication")
        {
            counts.from_clients += 1;
        } else if line.starts_with("relay socket ") && line.contains(" received ") {
            counts.from_peers += 1;
        }
    }

    fn flush(&self) {}
}

static COUNTER: TurnCounter = TurnCounter;

/// Starts counting what the embedded relay logs (once per process; later
/// calls do nothing). An error when another logger was there first.
pub fn count_embedded_relay() -> Result<(), String> {
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            log::set_logger(&COUNTER)
                .map_err(|e| format!("cannot watch the embedded relay's log: {e}"))?;
            log::set_max_level(log::LevelFilter::Debug);
            Ok(())
        })
        .clone()
}

/// What the embedded relay has logged since [`count_embedded_relay`].
pub fn embedded_relay_counts() -> RelayCounts {
    *COUNTS.lock().unwrap_or_else(|e| e.into_inner())
}
