//! The job queue on both adapters: one suite (`queue_suite!`) runs on the
//! in-process outbox worker and on RabbitMQ — jobs run and leave the
//! outbox; failing jobs are retried, then dead-lettered. RabbitMQ's own
//! faults follow: jobs wait out an outage in the outbox and all run once it
//! is back, exactly once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::{BasicGetOptions, QueueDeleteOptions};
use lapin::types::AMQPValue;
use lapin::{Connection, ConnectionProperties};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::files::{png, wait_thumbnail};
use crate::helpers::*;

/// A TCP proxy that can cut every connection and refuse new ones: a
/// RabbitMQ outage without touching the shared RabbitMQ.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused, in effect
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns2.lock().expect("lock").push(task.abort_handle());
            }
        });
        Proxy { addr, up, conns }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for c in self.conns.lock().expect("lock").drain(..) {
                c.abort();
            }
        }
    }
}

/// Uploads a PNG of `w`×`h` as `user`; its thumbnail is a queued job.
async fn upload_png(app: &TestApp, user: &TestUser, name: &str, w: u32, h: u32) -> String {
    let up = app
        .upload("/api/v1/files", user, name, Some("image/png"), png(w, h))
        .await
        .expect(201);
    up["id"].as_str().expect("id").to_owned()
}

/// A queue name no earlier run used (a failed run leaves its queues).
fn fresh_queue() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    unique(&format!("parley.test.{}.{nanos}.", std::process::id()))
}

async fn delete_queues(url: &str, queue: &str) {
    let Ok(conn) = Connection::connect(url, ConnectionProperties::default()).await else {
        return;
    };
    let Ok(ch) = conn.create_channel().await else {
        return;
    };
    let mut names = vec![queue.to_owned(), format!("{queue}.dead")];
    names.extend((1..6).map(|n| format!("{queue}.retry.{n}")));
    for n in names {
        let _ = ch
            .queue_delete(n.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_wait_out_a_rabbitmq_outage_and_then_all_run() {
    let Some(url) = amqp_url() else { return };
    let proxy = Proxy::start(amqp_addr(&url)).await;
    let queue = fresh_queue();
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    let app = spawn_sqlite(&[
        ("PARLEY_AMQP_URL", &via_proxy),
        ("PARLEY_AMQP_QUEUE", &queue),
    ])
    .await
    .expect("app");
    let alice = app.user("qa").await;

    // Through RabbitMQ while it is up.
    let first = upload_png(&app, &alice, "a.png", 64, 64).await;
    wait_thumbnail(&app, &first).await;

    // Down: uploads still succeed; their jobs wait in the outbox.
    proxy.set_up(false);
    let mut files = Vec::new();
    for i in 0..5 {
        files.push(upload_png(&app, &alice, &format!("{i}.png"), 80, 40).await);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs").await,
        5,
        "jobs wait in the outbox"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM files WHERE thumb_key IS NULL")
            .await,
        5,
        "nothing ran while RabbitMQ was away"
    );

    // Back: the backlog drains, every job done.
    proxy.set_up(true);
    for f in &files {
        wait_thumbnail(&app, f).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM files WHERE thumb_key IS NULL")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0);
    delete_queues(&url, &queue).await;
}

/// A Queue adapter under test: the in-process outbox worker, or RabbitMQ
/// on a fresh queue. Every test in [`queue_suite!`] runs once on each.
enum QueueAdapter {
    Outbox,
    Rabbit { url: String, queue: String },
}

/// A job that reached the dead letters, as its adapter keeps it.
struct DeadJob {
    attempts: i64,
    payload: String,
    error: String,
}

impl QueueAdapter {
    fn rabbit() -> Option<QueueAdapter> {
        Some(QueueAdapter::Rabbit {
            url: amqp_url()?,
            queue: fresh_queue(),
        })
    }

    async fn spawn(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut settings = extra.to_vec();
        if let QueueAdapter::Rabbit { url, queue } = self {
            settings.extend([
                ("PARLEY_AMQP_URL", url.as_str()),
                ("PARLEY_AMQP_QUEUE", queue.as_str()),
            ]);
        }
        spawn_sqlite(&settings).await.expect("app")
    }

    /// Waits for the one dead-lettered job: a row marked dead in the outbox,
    /// or a message in RabbitMQ's `<queue>.dead` (relayed, so gone from the
    /// outbox).
    async fn dead_letter(&self, app: &TestApp) -> DeadJob {
        match self {
            QueueAdapter::Outbox => {
                let db = app.db().await;
                for _ in 0..100 {
                    if app
                        .count("SELECT COUNT(*) FROM jobs WHERE dead_at IS NOT NULL")
                        .await
                        == 1
                    {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let (attempts, error, payload): (i64, String, String) = sqlx::query_as(
                    "SELECT attempts, last_error, payload FROM jobs WHERE dead_at IS NOT NULL",
                )
                .fetch_one(&db)
                .await
                .expect("a dead job");
                DeadJob {
                    attempts,
                    payload,
                    error,
                }
            }
            QueueAdapter::Rabbit { url, queue } => {
                let conn = Connection::connect(url, ConnectionProperties::default())
                    .await
                    .expect("connect");
                // The app declares its queues once it has connected; until
                // then a basic.get fails and closes the channel, so take a
                // new one each try.
                let mut dead = None;
                for _ in 0..150 {
                    let ch = conn.create_channel().await.expect("channel");
                    let got = ch
                        .basic_get(
                            format!("{queue}.dead").as_str().into(),
                            BasicGetOptions { no_ack: true },
                        )
                        .await;
                    if let Ok(Some(m)) = got {
                        dead = Some(m);
                        break;
                    }
                    let _ = ch.close(200, "".into()).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let dead = dead.expect("the job reached the dead-letter queue within 15 s");
                let headers = dead.delivery.properties.headers().clone().expect("headers");
                let header = |name: &str| headers.inner().get(name).cloned();
                let attempts = match header("x-parley-attempt") {
                    Some(AMQPValue::LongLongInt(n)) => n,
                    other => panic!("attempt header: {other:?}"),
                };
                let error = match header("x-parley-error") {
                    Some(AMQPValue::LongString(s)) => s.to_string(),
                    other => panic!("error header: {other:?}"),
                };
                assert_eq!(
                    app.count("SELECT COUNT(*) FROM jobs").await,
                    0,
                    "relayed, so gone from the outbox"
                );
                DeadJob {
                    attempts,
                    payload: String::from_utf8_lossy(&dead.delivery.data).into_owned(),
                    error,
                }
            }
        }
    }

    async fn clean_up(&self) {
        if let QueueAdapter::Rabbit { url, queue } = self {
            delete_queues(url, queue).await;
        }
    }
}

/// One test per Queue adapter (`outbox`, `rabbitmq`) over the same body:
/// `queue_suite!(name, |adapter| { … });`.
macro_rules! queue_suite {
    ($name:ident, |$q:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn outbox() {
                let $q = QueueAdapter::Outbox;
                $body
                $q.clean_up().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn rabbitmq() {
                let Some($q) = QueueAdapter::rabbit() else {
                    return;
                };
                $body
                $q.clean_up().await;
            }
        }
    };
}

queue_suite!(jobs_run_and_leave_the_outbox, |adapter| {
    let app = adapter.spawn(&[]).await;
    let alice = app.user("qr").await;
    let up = upload_png(&app, &alice, "a.png", 64, 64).await;
    wait_thumbnail(&app, &up).await;
    for _ in 0..50 {
        if app.count("SELECT COUNT(*) FROM jobs").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs").await,
        0,
        "done jobs leave the outbox"
    );
});

queue_suite!(failing_jobs_are_retried_then_dead_lettered, |adapter| {
    let app = adapter.spawn(&[("PARLEY_JOB_RETRY_BASE_MS", "5")]).await;
    let db = app.db().await;
    sqlx::query("INSERT INTO jobs (id, kind, payload, run_after, created_at) VALUES (1, 'from-the-future', '{\"x\":1}', 0, 0)")
        .execute(&db)
        .await
        .expect("insert job");
    let dead = adapter.dead_letter(&app).await;
    assert_eq!(dead.attempts, 6);
    assert_eq!(dead.payload, "{\"x\":1}");
    assert!(dead.error.contains("unknown job kind"), "{}", dead.error);
});

/// The fault test: with search on Elasticsearch and jobs on
/// RabbitMQ, cut RabbitMQ, keep sending (every send succeeds), bring it
/// back, and every message is indexed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexing_survives_a_rabbitmq_outage_exactly_once() {
    let Some(url) = amqp_url() else { return };
    let Some((es, index)) = elasticsearch_settings() else {
        return;
    };
    let proxy = Proxy::start(amqp_addr(&url)).await;
    let queue = fresh_queue();
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    let app = spawn_sqlite(&[
        ("PARLEY_AMQP_URL", &via_proxy),
        ("PARLEY_AMQP_QUEUE", &queue),
        ("PARLEY_ELASTICSEARCH_URL", &es),
        ("PARLEY_ELASTICSEARCH_INDEX", &index),
    ])
    .await
    .expect("app");
    let alice = app.user("qi").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    app.settle().await;

    proxy.set_up(false);
    let mut sent = Vec::new();
    for i in 0..20 {
        let m = app.send(&ch, &alice, &format!("outage report {i}")).await;
        sent.push(m["id"].as_str().expect("id").to_owned());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs").await,
        20,
        "indexing waits in the outbox"
    );

    proxy.set_up(true);
    // The outbox empties when RabbitMQ has the jobs; the index fills when
    // the consumers have run them.
    let mut found: Vec<String> = Vec::new();
    for _ in 0..150 {
        let r = app
            .get("/api/v1/messages/search?q=outage&limit=50", &alice)
            .await
            .expect(200);
        found = r["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|h| h["message"]["id"].as_str().expect("id").to_owned())
            .collect();
        if found.len() >= sent.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found.sort();
    sent.sort();
    assert_eq!(found, sent, "every message found once");
    // And the index holds exactly one document per message.
    let count: serde_json::Value = reqwest::get(format!("{es}/{index}/_count"))
        .await
        .expect("count")
        .json()
        .await
        .expect("json");
    assert_eq!(count["count"], 20, "{count}");
    delete_queues(&url, &queue).await;
}
