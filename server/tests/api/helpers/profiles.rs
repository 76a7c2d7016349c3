//! The apps a test variant can run on (SQLite, PostgreSQL, S3 uploads,
//! Redis cache, Elasticsearch search), and the macros that write one test
//! per variant: `variants!`, `both!` (SQLite and PostgreSQL) and `blobs!`.
//!
//! What must stay true: each spawn function returns `None` only to skip —
//! loudly, outside CI — when its service is missing; `both!` runs every body
//! on both SQLite and PostgreSQL.

use super::services::{elasticsearch_settings, redis_reachable, redis_url, s3_settings};
use super::{spawn_app_with, unique, Backend, TestApp};

pub async fn spawn_sqlite(extra: &[(&str, &str)]) -> Option<TestApp> {
    spawn_app_with(Backend::Sqlite, extra).await
}

pub async fn spawn_postgres(extra: &[(&str, &str)]) -> Option<TestApp> {
    spawn_app_with(Backend::Postgres, extra).await
}

/// SQLite with uploads in a fresh bucket of the test S3 server.
pub async fn spawn_s3(extra: &[(&str, &str)]) -> Option<TestApp> {
    let s3 = s3_settings()?;
    let mut settings: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.extend_from_slice(extra);
    spawn_app_with(Backend::Sqlite, &settings).await
}

/// SQLite with the Cache (and Bus) on the test Redis, under a fresh prefix.
pub async fn spawn_redis(extra: &[(&str, &str)]) -> Option<TestApp> {
    if !redis_reachable().await {
        return None;
    }
    let url = redis_url();
    let prefix = unique(&format!("parley-test-{}-", std::process::id()));
    let mut settings = vec![
        ("PARLEY_REDIS_URL", url.as_str()),
        ("PARLEY_REDIS_PREFIX", prefix.as_str()),
    ];
    settings.extend_from_slice(extra);
    spawn_app_with(Backend::Sqlite, &settings).await
}

/// SQLite with search on the Elasticsearch-compatible server at
/// `PARLEY_TEST_ELASTICSEARCH_URL` (a fresh index per test).
pub async fn spawn_elasticsearch(extra: &[(&str, &str)]) -> Option<TestApp> {
    let (url, index) = elasticsearch_settings()?;
    let mut settings = vec![
        ("PARLEY_ELASTICSEARCH_URL", url.as_str()),
        ("PARLEY_ELASTICSEARCH_INDEX", index.as_str()),
    ];
    settings.extend_from_slice(extra);
    spawn_app_with(Backend::Sqlite, &settings).await
}

/// One test per variant, each on an app from its spawn function (which
/// returns `None` to skip, loudly, when its service is missing outside CI):
/// `variants!(name, [("PARLEY_X", "1")], [sqlite: spawn_sqlite], |app| { … });`
#[macro_export]
macro_rules! variants {
    ($name:ident, $settings:expr, [$($variant:ident: $spawn:path),+], |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $variant() {
                    let settings: &[(&str, &str)] = &$settings;
                    let Some($app) = $spawn(settings).await else {
                        return;
                    };
                    $body
                }
            )+
        }
    };
}

/// One test per backend (SQLite, PostgreSQL): `both!(name, |app| { … });`,
/// optionally with settings: `both!(name, [("PARLEY_WS_QUEUE", "8")], |app| { … });`.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        $crate::both!($name, [], |$app| $body);
    };
    ($name:ident, $settings:expr, |$app:ident| $body:block) => {
        $crate::variants!(
            $name,
            $settings,
            [
                sqlite: $crate::helpers::spawn_sqlite,
                postgres: $crate::helpers::spawn_postgres
            ],
            |$app| $body
        );
    };
}

/// One test per Blobs adapter: `local` (a directory) and `s3` (a real S3
/// server), both on SQLite.
#[macro_export]
macro_rules! blobs {
    ($name:ident, |$app:ident| $body:block) => {
        $crate::blobs!($name, [], |$app| $body);
    };
    ($name:ident, $settings:expr, |$app:ident| $body:block) => {
        $crate::variants!(
            $name,
            $settings,
            [
                local: $crate::helpers::spawn_sqlite,
                s3: $crate::helpers::spawn_s3
            ],
            |$app| $body
        );
    };
}
