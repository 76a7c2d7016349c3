//! The test harness: starts the real app on 127.0.0.1:0 against a fresh
//! database of the chosen backend and talks to it over HTTP.
//!
//! SQLite: a new file per test. PostgreSQL: a new database per test on the
//! server at `PARLEY_TEST_DATABASE_URL`; when that server is unreachable the
//! test says so loudly and returns — unless `CI=true`, where it fails.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use parley_server::config::Config;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static PG_CLEANED: tokio::sync::OnceCell<bool> = tokio::sync::OnceCell::const_new();

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

fn pg_admin_url() -> String {
    std::env::var("PARLEY_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
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
async fn fresh_pg_database() -> Option<String> {
    let admin = pg_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if in_ci() {
                panic!("CI=true but PostgreSQL at {admin} is unreachable: {e}");
            }
            eprintln!(
                "\n\x1b[1;33m!!! SKIPPED: PostgreSQL test — cannot connect to {admin}: {e}\n\
                 !!! Start PostgreSQL or set PARLEY_TEST_DATABASE_URL (scripts/test starts it when run as root).\x1b[0m\n"
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

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    client: reqwest::Client,
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
    // Tests fire hundreds of requests from one address; the limits have a
    // test of their own that sets them low.
    env.insert("PARLEY_RATE_LIMIT_PER_MIN", "1000000".into());
    env.insert("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "100000".into());
    env.insert("PARLEY_DATABASE_URL", database_url.to_owned());
    for (k, v) in extra {
        env.insert(k, (*v).to_owned());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
    let app = parley_server::build(config).await.expect("build app");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.serve(std::future::pending()));
    base
}

/// Settings that put uploads in a fresh bucket of the S3 server at
/// `PARLEY_TEST_S3_ENDPOINT` (scripts/test starts SeaweedFS and sets it);
/// uploads of each test go under their own key prefix;
/// `None` — loudly — when it is not configured, a failure under `CI=true`.
pub fn s3_settings() -> Option<Vec<(&'static str, String)>> {
    let Ok(endpoint) = std::env::var("PARLEY_TEST_S3_ENDPOINT") else {
        if in_ci() {
            panic!(
                "CI=true but PARLEY_TEST_S3_ENDPOINT is not set (scripts/test starts an S3 server)"
            );
        }
        eprintln!(
            "\n\x1b[1;33m!!! SKIPPED: S3 test — PARLEY_TEST_S3_ENDPOINT is not set.\n\
             !!! Run ./scripts/test, which starts SeaweedFS, or point it at any S3 server.\x1b[0m\n"
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

/// The test Elasticsearch URL and a fresh index name; `None` (loudly) when
/// it is not configured, a failure under `CI=true`.
pub fn elasticsearch_settings() -> Option<(String, String)> {
    let Ok(url) = std::env::var("PARLEY_TEST_ELASTICSEARCH_URL") else {
        if in_ci() {
            panic!(
                "CI=true but PARLEY_TEST_ELASTICSEARCH_URL is not set (scripts/test starts one)"
            );
        }
        eprintln!(
            "\n\x1b[1;33m!!! SKIPPED: Elasticsearch test — PARLEY_TEST_ELASTICSEARCH_URL is not set.\x1b[0m\n"
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

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub token: String,
    pub refresh: String,
}

/// A response: status and JSON body (`Value::Null` when there is none).
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Res {
    /// Status, headers and JSON body (`Null` when empty) of a response.
    async fn read(res: reqwest::Response) -> Res {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("non-JSON body ({status}): {text}"))
        };
        Res {
            status,
            body,
            headers,
        }
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts an error response with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without message: {}",
            self.body
        );
    }
}

/// Percent-encodes everything but unreserved characters (for query values).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
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

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Res::read(req.send().await.expect("request")).await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Res {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Res::read(req.send().await.expect("request")).await
    }

    /// Uploads `bytes` as the multipart field `file`.
    pub async fn upload(
        &self,
        path: &str,
        user: &TestUser,
        name: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Res {
        let mut part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        if let Some(ct) = content_type {
            part = part.mime_str(ct).expect("mime");
        }
        let form = reqwest::multipart::Form::new().part("file", part);
        let method = if path.ends_with("/avatar") {
            Method::PUT
        } else {
            Method::POST
        };
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&user.token)
            .multipart(form);
        Res::read(req.send().await.expect("upload")).await
    }

    /// GETs a URL (absolute, or a path on this app) without following
    /// redirects: (status, headers, bytes).
    pub async fn fetch(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut req = client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("fetch");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("bytes").to_vec();
        (status, headers, bytes)
    }

    pub async fn get(&self, path: &str, user: &TestUser) -> Res {
        self.call(Method::GET, path, Some(&user.token), None).await
    }

    pub async fn post(&self, path: &str, user: &TestUser, body: Value) -> Res {
        self.call(Method::POST, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, user: &TestUser, body: Value) -> Res {
        self.call(Method::PUT, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, user: &TestUser) -> Res {
        self.call(Method::DELETE, path, Some(&user.token), None)
            .await
    }

    /// Registers a fresh user (unique name) and returns their session.
    pub async fn user(&self, name: &str) -> TestUser {
        let username = unique(name);
        let body = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": "correct horse battery",
                    "display_name": name,
                })),
            )
            .await
            .expect(201);
        TestUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            username: body["user"]["username"]
                .as_str()
                .expect("username")
                .to_owned(),
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    pub async fn workspace(&self, owner: &TestUser) -> String {
        let ws = self
            .post(
                "/api/v1/workspaces",
                owner,
                json!({ "name": unique("Team ") }),
            )
            .await
            .expect(201);
        ws["id"].as_str().expect("ws id").to_owned()
    }

    /// Adds `user` to the workspace through an invite link.
    pub async fn join(&self, ws: &str, owner: &TestUser, user: &TestUser) {
        let invite = self
            .post(
                &format!("/api/v1/workspaces/{ws}/invites"),
                owner,
                json!({}),
            )
            .await
            .expect(201);
        let code = invite["code"].as_str().expect("code");
        self.post(&format!("/api/v1/invites/{code}/accept"), user, json!({}))
            .await
            .expect(200);
    }

    pub async fn channel(
        &self,
        ws: &str,
        owner: &TestUser,
        kind: &str,
        members: &[&TestUser],
    ) -> String {
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let c = self
            .post(
                &format!("/api/v1/workspaces/{ws}/channels"),
                owner,
                json!({ "name": unique("room-"), "kind": kind, "member_ids": ids }),
            )
            .await
            .expect(201);
        c["id"].as_str().expect("channel id").to_owned()
    }

    pub async fn send(&self, channel: &str, user: &TestUser, content: &str) -> Value {
        self.post(
            &format!("/api/v1/channels/{channel}/messages"),
            user,
            json!({ "content": content }),
        )
        .await
        .expect(201)
    }

    /// A direct connection to the app's database, for checks the API must
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

pub fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_owned())
        .collect()
}

pub fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect()
}

// ------------------------------------------------------------------ WebSocket

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A real WebSocket client speaking the Parley protocol.
pub struct WsClient {
    socket: Socket,
    pub hello: Value,
}

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Closed(u16),
    /// The TCP connection ended without a close frame.
    Dropped,
}

const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl TestApp {
    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.base.replacen("http://", "ws://", 1))
    }

    /// Connects without authenticating.
    pub async fn ws_raw(&self) -> Socket {
        connect_raw(&self.ws_url()).await
    }

    /// Connects, sends AUTH and waits for HELLO.
    pub async fn ws(&self, user: &TestUser) -> WsClient {
        ws_connect(
            &self.ws_url(),
            json!({ "type": "AUTH", "payload": { "token": user.token } }),
        )
        .await
    }

    /// Connects with a tiny TCP receive buffer, like a phone on a bad link:
    /// the server's writes back up as soon as the client stops reading.
    pub async fn ws_small_buffer(&self, user: &TestUser) -> WsClient {
        let addr: std::net::SocketAddr = self
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.set_recv_buffer_size(4096).expect("rcvbuf");
        let stream = sock.connect(addr).await.expect("connect");
        let (socket, _) = tokio_tungstenite::client_async(
            self.ws_url(),
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
        )
        .await
        .expect("ws handshake");
        finish_connect(
            socket,
            json!({ "type": "AUTH", "payload": { "token": user.token } }),
        )
        .await
    }

    pub async fn ws_resume(&self, user: &TestUser, session: &str, last_seq: i64) -> WsClient {
        ws_connect(
            &self.ws_url(),
            json!({ "type": "RESUME", "payload": { "token": user.token, "session": session, "last_seq": last_seq } }),
        )
        .await
    }
}

pub async fn connect_raw(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect")
        .0
}

pub async fn ws_connect(url: &str, first: Value) -> WsClient {
    finish_connect(connect_raw(url).await, first).await
}

async fn finish_connect(mut socket: Socket, first: Value) -> WsClient {
    use futures_util::SinkExt;
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            first.to_string(),
        ))
        .await
        .expect("send first frame");
    let mut client = WsClient {
        socket,
        hello: Value::Null,
    };
    // A RESYNC may precede HELLO; it is kept in `hello["resync"]`.
    let mut resync = None;
    loop {
        let mut f = client.next().await;
        if f["type"] == "HELLO" {
            if let Some(r) = resync.take() {
                f["resync"] = r;
            }
            client.hello = f;
            break;
        }
        if f["type"] != "RESYNC" {
            panic!("expected HELLO, got {f}");
        }
        resync = Some(f);
    }
    client
}

impl WsClient {
    pub fn session(&self) -> String {
        self.hello["payload"]["session"]
            .as_str()
            .expect("session")
            .to_owned()
    }

    pub async fn send(&mut self, frame: Value) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                frame.to_string(),
            ))
            .await
            .expect("ws send");
    }

    /// Sends, reporting whether the connection took it.
    pub async fn try_send(&mut self, frame: Value) -> bool {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                frame.to_string(),
            ))
            .await
            .is_ok()
    }

    pub async fn send_text(&mut self, text: String) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(text))
            .await
            .expect("ws send");
    }

    /// The next frame within 10 s, or None when the connection ended.
    pub async fn try_next(&mut self) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Err(_) => panic!("no frame within {WAIT:?}"),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Some(serde_json::from_str(t.as_str()).unwrap_or_else(|e| {
                        panic!("non-JSON frame ({e}): {}", &t.as_str()[..t.len().min(300)])
                    }))
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(_) => return None,
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        self.try_next().await.expect("connection ended")
    }

    /// Skips frames until one of type `ty` arrives.
    pub async fn next_of(&mut self, ty: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == ty {
                return f;
            }
        }
    }

    /// Collects every frame arriving within `ms` of quiet.
    pub async fn drain(&mut self, ms: u64) -> Vec<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let mut out = Vec::new();
        while let Ok(Some(Ok(m))) =
            tokio::time::timeout(std::time::Duration::from_millis(ms), self.socket.next()).await
        {
            if let Message::Text(t) = m {
                out.push(serde_json::from_str(t.as_str()).expect("JSON frame"));
            }
        }
        out
    }

    /// Reads until the server closes; returns how.
    pub async fn ended(&mut self) -> Ended {
        ended(&mut self.socket).await
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

pub async fn ended(socket: &mut Socket) -> Ended {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Err(_) => panic!("connection still open after {WAIT:?}"),
            Ok(Some(Ok(Message::Close(Some(f))))) => return Ended::Closed(f.code.into()),
            Ok(Some(Ok(Message::Close(None)))) | Ok(None) | Ok(Some(Err(_))) => {
                return Ended::Dropped
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}

// ------------------------------------------------------------------ clusters

fn redis_url() -> String {
    std::env::var("PARLEY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn redis_reachable() -> bool {
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
            if in_ci() {
                panic!("CI=true but Redis at {url} is unreachable: {e}");
            }
            eprintln!(
                "\n\x1b[1;33m!!! SKIPPED: cluster test — cannot connect to Redis at {url}: {e}\n\
                 !!! Start Redis or set PARLEY_TEST_REDIS_URL (scripts/test starts it when run as root).\x1b[0m\n"
            );
            false
        }
    }
}

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
        apps.push(TestApp {
            base,
            database_url: database_url.clone(),
            client: reqwest::Client::new(),
            data_dir,
        });
    }
    let b = apps.pop().expect("node b");
    let a = apps.pop().expect("node a");
    Some(Cluster { a, b, procs })
}
