//! The outside services the tests use — PostgreSQL, Redis, S3,
//! Elasticsearch and RabbitMQ — found from `PARLEY_TEST_*` settings.
//!
//! What must stay true: a missing service skips its test loudly (a yellow
//! `!!! SKIPPED` line) outside CI and fails it under `CI=true`, so a CI run
//! never passes by skipping.

use std::sync::atomic::Ordering;

use sqlx::{Connection, Executor};

use super::COUNTER;

static PG_CLEANED: tokio::sync::OnceCell<bool> = tokio::sync::OnceCell::const_new();

fn pg_admin_url() -> String {
    std::env::var("PARLEY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The rule for a missing service: under `CI=true` the test fails
/// ("CI=true but {failure}"); elsewhere it goes on to skip, after a yellow
/// "!!! SKIPPED: {skipped}" (further lines of `skipped` start with "!!! ").
fn missing(failure: &str, skipped: &str) {
    if in_ci() {
        panic!("CI=true but {failure}");
    }
    eprintln!("\n\x1b[1;33m!!! SKIPPED: {skipped}\x1b[0m\n");
}

/// Replaces the database name (the URL's last path segment).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Creates an empty database for one test; `None` when PostgreSQL is down.
pub(super) async fn fresh_pg_database() -> Option<String> {
    let admin = pg_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            missing(
                &format!("PostgreSQL at {admin} is unreachable: {e}"),
                &format!(
                    "PostgreSQL test — cannot connect to {admin}: {e}\n\
                     !!! Start PostgreSQL or set PARLEY_TEST_DATABASE_URL (scripts/test starts it when run as root)."
                ),
            );
            return None;
        }
    };
    let pid = std::process::id();
    // Databases left by earlier runs (crashed or killed) are dropped once per process.
    PG_CLEANED
        .get_or_init(|| async {
            let old: Vec<(String,)> =
                sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'parley_t_%'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_default();
            for (name,) in old {
                if !name.starts_with(&format!("parley_t_{pid}_")) {
                    let _ = conn
                        .execute(
                            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str(),
                        )
                        .await;
                }
            }
            true
        })
        .await;
    let name = format!("parley_t_{pid}_{}", COUNTER.fetch_add(1, Ordering::Relaxed));
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create test database");
    Some(with_database(&admin, &name))
}

/// Settings that put uploads in a fresh bucket of the S3 server at
/// `PARLEY_TEST_S3_ENDPOINT` (scripts/test starts SeaweedFS and sets it);
/// uploads of each test go under their own key prefix;
/// `None` — loudly — when it is not configured, a failure under `CI=true`.
pub fn s3_settings() -> Option<Vec<(&'static str, String)>> {
    let Ok(endpoint) = std::env::var("PARLEY_TEST_S3_ENDPOINT") else {
        missing(
            "PARLEY_TEST_S3_ENDPOINT is not set (scripts/test starts an S3 server)",
            "S3 test — PARLEY_TEST_S3_ENDPOINT is not set.\n\
             !!! Run ./scripts/test, which starts SeaweedFS, or point it at any S3 server.",
        );
        return None;
    };
    let key = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    // One bucket for all tests (each bucket costs the S3 server volumes),
    // a fresh key prefix per test.
    let prefix = format!(
        "t-{}-{}/",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    Some(vec![
        ("PARLEY_S3_ENDPOINT", endpoint),
        ("PARLEY_S3_BUCKET", "parley-test".into()),
        ("PARLEY_S3_PREFIX", prefix),
        (
            "PARLEY_S3_ACCESS_KEY",
            key("PARLEY_TEST_S3_ACCESS_KEY", "parley"),
        ),
        (
            "PARLEY_S3_SECRET_KEY",
            key("PARLEY_TEST_S3_SECRET_KEY", "parley-secret"),
        ),
    ])
}

/// The test Elasticsearch URL and a fresh index name; `None` (loudly) when
/// it is not configured, a failure under `CI=true`.
pub fn elasticsearch_settings() -> Option<(String, String)> {
    let Ok(url) = std::env::var("PARLEY_TEST_ELASTICSEARCH_URL") else {
        missing(
            "PARLEY_TEST_ELASTICSEARCH_URL is not set (scripts/test starts one)",
            "Elasticsearch test — PARLEY_TEST_ELASTICSEARCH_URL is not set.",
        );
        return None;
    };
    let index = format!(
        "parley-t-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    Some((url, index))
}

pub fn redis_url() -> String {
    std::env::var("PARLEY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub async fn redis_reachable() -> bool {
    let url = redis_url();
    let addr = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_owned();
    match tokio::net::TcpStream::connect(&addr).await {
        Ok(_) => true,
        Err(e) => {
            missing(
                &format!("Redis at {url} is unreachable: {e}"),
                &format!(
                    "cluster test — cannot connect to Redis at {url}: {e}\n\
                     !!! Start Redis or set PARLEY_TEST_REDIS_URL (scripts/test starts it when run as root)."
                ),
            );
            false
        }
    }
}

/// The test RabbitMQ's URL (`PARLEY_TEST_AMQP_URL`, else the local default)
/// when it accepts a TCP connection within 2 s.
pub fn amqp_url() -> Option<String> {
    let url = std::env::var("PARLEY_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let reachable = std::net::TcpStream::connect_timeout(
        &amqp_addr(&url).parse().expect("amqp host:port"),
        std::time::Duration::from_secs(2),
    )
    .is_ok();
    if reachable {
        return Some(url);
    }
    missing(
        &format!("RabbitMQ at {url} is unreachable"),
        &format!("RabbitMQ test — {url} is unreachable (set PARLEY_TEST_AMQP_URL)."),
    );
    None
}

/// `host:port` of an amqp:// URL.
pub fn amqp_addr(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.rsplit('@').next().unwrap_or(rest);
    host.split('/').next().unwrap_or(host).to_owned()
}

/// coturn's `turnserver` and `turnutils_uclient`; `None` — loudly — when
/// they are not installed, a failure under `CI=true`.
pub fn coturn() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let find = |name: &str| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    match (find("turnserver"), find("turnutils_uclient")) {
        (Some(server), Some(client)) => Some((server, client)),
        _ => {
            missing(
                "coturn is not installed (apt-get install -y coturn)",
                "TURN test — coturn is not installed (apt-get install -y coturn)",
            );
            None
        }
    }
}
