//! Starts the real app on 127.0.0.1:0 against a fresh database of the
//! chosen backend, and looks inside it (database, job outbox, metrics).
//!
//! SQLite: a new file per test. PostgreSQL: a new database per test on the
//! server at `PARLEY_TEST_DATABASE_URL`. What must stay true: every app gets
//! its own data directory (removed on drop) and database, and the rate limits
//! stay high enough for tests that fire hundreds of requests.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use parley_server::config::Config;

use super::services::fresh_pg_database;
use super::COUNTER;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub(super) client: reqwest::Client,
    pub data_dir: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Starts the app with extra `PARLEY_*` settings; `None` only for PostgreSQL
/// outside CI when it is down.
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let data_dir = std::env::temp_dir().join(format!("parley-test-{}-{n}", std::process::id()));
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}/parley.db", data_dir.display()),
        Backend::Postgres => fresh_pg_database().await?,
    };
    let app = start_node(&data_dir, &database_url, extra).await;
    Some(TestApp {
        base: app,
        database_url,
        client: reqwest::Client::new(),
        data_dir,
    })
}

/// Starts one server node on an existing database; returns its base URL.
pub async fn start_node(
    data_dir: &std::path::Path,
    database_url: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut env: HashMap<&str, String> = HashMap::new();
    env.insert("PARLEY_PORT", "0".into());
    env.insert("PARLEY_DATA_DIR", data_dir.display().to_string());
    env.insert("PARLEY_JWT_SECRET", JWT_SECRET.into());
    env.insert("PARLEY_DB_MAX_CONNECTIONS", "5".into());
    // Many tests share two cores: a slow acquire here is contention, not
    // an outage (the fault run, scripts/faults, tests the short default).
    env.insert("PARLEY_DB_ACQUIRE_TIMEOUT", "10s".into());
    // Tests fire hundreds of requests from one address; the limits have a
    // test of their own that sets them low.
    env.insert("PARLEY_RATE_LIMIT_PER_MIN", "1000000".into());
    env.insert("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "100000".into());
    env.insert("PARLEY_DATABASE_URL", database_url.to_owned());
    // Parallel tests each run an embedded TURN relay: any free port.
    env.insert("PARLEY_TURN_PORT", "0".into());
    // Test clients in calls do not ping every 2 s like real ones; the
    // liveness tests set the real timeout.
    env.insert("PARLEY_CALL_TIMEOUT", "60s".into());
    for (k, v) in extra {
        env.insert(k, (*v).to_owned());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
    let app = parley_server::build(config).await.expect("build app");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.serve(std::future::pending()));
    base
}

impl TestApp {
    /// A client for a server started elsewhere (e.g. a process).
    pub fn at(base: &str, database_url: &str, data_dir: &std::path::Path) -> TestApp {
        TestApp {
            base: base.to_owned(),
            database_url: database_url.to_owned(),
            client: reqwest::Client::new(),
            data_dir: data_dir.to_owned(),
        }
    }

    /// not allow (how secrets are stored, that nothing was written).
    pub async fn db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.database_url)
            .await
            .expect("db")
    }

    /// Waits until the job outbox is empty: indexing and thumbnails done.
    pub async fn settle(&self) {
        for _ in 0..200 {
            if self.count("SELECT COUNT(*) FROM jobs").await == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("jobs still waiting after 10 s");
    }

    /// The value of the first line of `/metrics` that starts with `name`
    /// (give labels too, to pick one series); 0 when there is none.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let pool = self.db().await;
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.expect("count");
        pool.close().await;
        n
    }
}
