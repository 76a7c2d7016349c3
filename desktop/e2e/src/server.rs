//! A real parley-server, run as a task in the test's own process, on a free
//! local port with its data in the test's temporary folder; it can be
//! stopped and started again on the same port and database (reconnects).
//!
//! What must stay true: the limits that would slow a test down (rate limits,
//! argon2's cost) are lifted, and nothing else differs from a production
//! configuration unless a test asks for it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use parley_server::config::Config;

/// The built web UI a server serves: `PARLEY_WEB_DIR`, or desktop/dist
/// (where scripts/build-ui puts it).
pub fn web_dir() -> PathBuf {
    match std::env::var_os("PARLEY_WEB_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist"),
    }
}

/// One server that can be stopped and started on the same port and
/// database. Dropping it stops it too (its stop channel closes).
pub struct Server {
    env: Vec<(String, String)>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Its address, `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts a server on a free port with its data in `data`; `extra` are
    /// settings (`PARLEY_…` variables) of this test's own.
    pub async fn start(data: &Path, extra: &[(&str, String)]) -> Server {
        let port = crate::net::free_port();
        let mut env: Vec<(String, String)> = [
            ("PARLEY_PORT", port.to_string()),
            ("PARLEY_DATA_DIR", data.display().to_string()),
            (
                "PARLEY_JWT_SECRET",
                "e2e-secret-e2e-secret-e2e-secret-0123".to_owned(),
            ),
            ("PARLEY_RATE_LIMIT_PER_MIN", "1000000".to_owned()),
            ("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "100000".to_owned()),
            ("PARLEY_ARGON2_MEMORY_KIB", "1024".to_owned()),
            ("PARLEY_ARGON2_ITERATIONS", "1".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let mut s = Server {
            env,
            stop: None,
            task: None,
            base: format!("http://127.0.0.1:{port}"),
        };
        s.up().await;
        s
    }

    /// Starts it (again).
    pub async fn up(&mut self) {
        let env = self.env.clone();
        let config = Config::from_lookup(|k| {
            env.iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        })
        .expect("e2e config");
        let app = parley_server::build(config).await.expect("start server");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.stop = Some(tx);
        self.task = Some(tokio::spawn(async move {
            let _ = app
                .serve(async {
                    let _ = rx.await;
                })
                .await;
        }));
    }

    /// Stops it, waiting (up to 10 s) for it to finish.
    pub async fn down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}
