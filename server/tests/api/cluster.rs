//! Two server processes sharing PostgreSQL and Redis behave as one service.

use serde_json::json;

use crate::helpers::*;

async fn setup(c: &Cluster) -> (TestUser, TestUser, String) {
    let alice = c.a.user("cla").await;
    let bob = c.a.user("clb").await;
    let ws = c.a.workspace(&alice).await;
    c.a.join(&ws, &alice, &bob).await;
    let ch = c.a.channel(&ws, &alice, "private", &[&bob]).await;
    (alice, bob, ch)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_typing_and_presence_cross_nodes() {
    let Some(c) = spawn_cluster().await else {
        return;
    };
    let (alice, bob, ch) = setup(&c).await;
    let mut a = c.a.ws(&alice).await;
    a.send(json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": [bob.id] } }))
        .await;
    a.send(json!({ "type": "PING" })).await;
    a.next_of("PONG").await;
    let mut b = c.b.ws(&bob).await;

    // Bob came online on node B; Alice hears it on node A.
    loop {
        let p = a.next_of("PRESENCE").await;
        if p["payload"]["user_id"] == bob.id.as_str() {
            assert_eq!(p["payload"]["status"], "online");
            break;
        }
    }
    assert_eq!(
        c.a.get(&format!("/api/v1/users/{}/presence", bob.id), &alice)
            .await
            .expect(200)["status"],
        "online"
    );

    a.send(json!({ "type": "MESSAGE", "payload": { "channel_id": ch, "content": "from node A", "nonce": "x1" } })).await;
    a.next_of("ACK").await;
    // Alice's other devices would see it too: her own echo comes first.
    assert_eq!(
        a.next_of("MESSAGE").await["payload"]["content"],
        "from node A"
    );
    let m = b.next_of("MESSAGE").await;
    assert_eq!(m["payload"]["content"], "from node A");

    // And back, through REST on node B.
    c.b.send(&ch, &bob, "from node B").await;
    assert_eq!(
        a.next_of("MESSAGE").await["payload"]["content"],
        "from node B"
    );

    a.send(json!({ "type": "TYPING", "payload": { "channel_id": ch, "typing": true } }))
        .await;
    let t = b.next_of("TYPING").await;
    assert_eq!(t["payload"]["user_id"], alice.id.as_str());

    // Bob leaves node B for good: offline after the grace period, on A too.
    b.close().await;
    loop {
        let p = a.next_of("PRESENCE").await;
        if p["payload"]["user_id"] == bob.id.as_str() {
            assert_eq!(p["payload"]["status"], "offline");
            break;
        }
    }
}

/// A node that dies without a word (SIGKILL, a lost machine) does not leave
/// its users online on the others: its presence expires with its heartbeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_nodes_users_go_offline() {
    let Some(mut c) = spawn_cluster_with(&[("PARLEY_NODE_HEARTBEAT", "300ms")]).await else {
        return;
    };
    let (alice, bob, _) = setup(&c).await;
    let mut a = c.a.ws(&alice).await;
    a.send(json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": [bob.id] } }))
        .await;
    a.send(json!({ "type": "PING" })).await;
    a.next_of("PONG").await;
    let _b = c.b.ws(&bob).await;
    loop {
        let p = a.next_of("PRESENCE").await;
        if p["payload"]["user_id"] == bob.id.as_str() {
            assert_eq!(p["payload"]["status"], "online");
            break;
        }
    }
    c.crash_b().await;
    loop {
        let p = a.next_of("PRESENCE").await;
        if p["payload"]["user_id"] == bob.id.as_str() {
            assert_eq!(p["payload"]["status"], "offline");
            break;
        }
    }
    assert_eq!(
        c.a.get(&format!("/api/v1/users/{}/presence", bob.id), &alice)
            .await
            .expect(200)["status"],
        "offline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_on_the_other_node() {
    let Some(c) = spawn_cluster().await else {
        return;
    };
    let (alice, bob, ch) = setup(&c).await;
    let mut b = c.a.ws(&bob).await;
    c.a.send(&ch, &alice, "seen on A").await;
    let seen = b.next_of("MESSAGE").await;
    let last_seq = seen["seq"].as_i64().unwrap();
    let session = b.session();
    b.close().await;

    for i in 1..=20 {
        let node = if i % 2 == 0 { &c.a } else { &c.b };
        node.send(&ch, &alice, &format!("missed {i}")).await;
    }
    let mut b = ws_connect(
        &c.b.ws_url(),
        json!({ "type": "RESUME", "payload": { "token": bob.token, "session": session, "last_seq": last_seq } }),
    )
    .await;
    assert_eq!(b.hello["payload"]["resumed"], true);
    for i in 1..=20 {
        let f = b.next().await;
        assert_eq!(f["type"], "MESSAGE", "{f}");
        assert_eq!(f["payload"]["content"], format!("missed {i}"));
    }
    assert!(b.drain(300).await.iter().all(|f| f["type"] != "MESSAGE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_tells_clients_to_resume_and_exits_cleanly() {
    let dir = std::env::temp_dir().join(format!("parley-term-{}", std::process::id()));
    let db = format!("sqlite://{}/parley.db", dir.display());
    let (base, mut child) = start_process(&dir, &db, None, 0, &[]).await;
    let node = TestApp::at(&base, &db, &dir);
    let alice = node.user("term").await;
    let mut ws = node.ws(&alice).await;
    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    assert_eq!(ws.ended().await, Ended::Closed(1001));
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("server did not stop after SIGTERM")
        .expect("wait");
    assert!(exit.success(), "exit status {exit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_shared_by_all_nodes() {
    let Some(c) = spawn_cluster_with(&[("PARLEY_RATE_LIMIT_PER_MIN", "40")]).await else {
        return;
    };
    let alice = c.a.user("rl").await;
    // Alternating nodes does not double the allowance: the counters live in Redis.
    let mut statuses = Vec::new();
    for i in 0..44 {
        let node = if i % 2 == 0 { &c.a } else { &c.b };
        statuses.push(node.get("/api/v1/users/me", &alice).await.status.as_u16());
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok <= 40, "{ok} requests passed a limit of 40: {statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429);
}
