//! The latest page of a channel comes from the Cache port (in process, or
//! Redis) and is never stale after a change: edits, deletes, reactions,
//! pins, new messages and profile changes all show at once.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::variants;

fn contents(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

variants!(
    latest_pages_are_cached_and_never_stale,
    [],
    [memory: spawn_sqlite, redis: spawn_redis],
    |app| {
        let alice = app.user("ca").await;
        let bob = app.user("cb").await;
        let ws = app.workspace(&alice).await;
        app.join(&ws, &alice, &bob).await;
        let ch = app.channel(&ws, &alice, "public", &[&bob]).await;
        let first = app.send(&ch, &alice, "first draft").await;
        let id = first["id"].as_str().expect("id").to_owned();
        let page = |who: &TestUser| {
            let (app, who, path) = (&app, who.clone(), format!("/api/v1/channels/{ch}/messages"));
            async move { app.get(&path, &who).await.expect(200) }
        };

        assert_eq!(contents(&page(&bob).await), vec!["first draft"]);
        let hits = app.metric("parley_page_cache_hits_total ").await;
        assert_eq!(contents(&page(&bob).await), vec!["first draft"]);
        assert_eq!(
            app.metric("parley_page_cache_hits_total ").await,
            hits + 1.0,
            "the second read is a hit"
        );

        // Every kind of change shows on the very next read.
        app.put(&format!("/api/v1/messages/{id}"), &alice, json!({ "content": "final text" }))
            .await
            .expect(200);
        let p = page(&bob).await;
        assert_eq!(contents(&p), vec!["final text"]);
        assert!(p["messages"][0]["edited_at"].is_string());
        app.post(&format!("/api/v1/messages/{id}/reactions"), &bob, json!({ "emoji": "👍" }))
            .await
            .expect(200);
        assert_eq!(page(&alice).await["messages"][0]["reactions"][0]["count"], 1);
        app.call(reqwest::Method::POST, &format!("/api/v1/messages/{id}/pin"), Some(&alice.token), None)
            .await
            .expect(200);
        assert!(page(&bob).await["messages"][0]["pinned_at"].is_string());
        app.post(&format!("/api/v1/messages/{id}/thread"), &bob, json!({ "content": "a reply" }))
            .await
            .expect(201);
        assert_eq!(page(&alice).await["messages"][0]["reply_count"], 1);
        app.put(&format!("/api/v1/users/{}", alice.id), &alice, json!({ "display_name": "Alice Renamed" }))
            .await
            .expect(200);
        assert_eq!(page(&bob).await["messages"][0]["author"]["display_name"], "Alice Renamed");
        app.send(&ch, &bob, "second").await;
        assert_eq!(contents(&page(&alice).await), vec!["final text", "second"]);
        app.delete(&format!("/api/v1/messages/{id}"), &alice).await.expect(204);
        let p = page(&bob).await;
        assert_eq!(p["messages"][0]["deleted"], true);
        assert_eq!(contents(&p), vec!["", "second"]);

        // Other pages and page sizes go to the database, and agree.
        let direct = app
            .get(&format!("/api/v1/channels/{ch}/messages?limit=49"), &bob)
            .await
            .expect(200);
        assert_eq!(contents(&direct), contents(&page(&bob).await));
        // Access is checked before the cache: an outsider gets 404.
        let carol = app.user("cc").await;
        app.get(&format!("/api/v1/channels/{ch}/messages"), &carol)
            .await
            .expect_error(404, "not_found");
    }
);

/// Two nodes sharing a database but no Redis each cache in process; a
/// change made on one reaches the other's cache through the event log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_local_caches_follow_other_nodes_changes() {
    let Some(a) = spawn_postgres(&[]).await else {
        return;
    };
    let b_base = start_node(&a.data_dir, &a.database_url, &[]).await;
    let b = TestApp::at(&b_base, &a.database_url, &a.data_dir);
    let alice = a.user("cn").await;
    let ws = a.workspace(&alice).await;
    let ch = a.channel(&ws, &alice, "public", &[]).await;
    let m = a.send(&ch, &alice, "before").await;
    let path = format!("/api/v1/channels/{ch}/messages");
    // Node B caches the page.
    assert_eq!(
        contents(&b.get(&path, &alice).await.expect(200)),
        vec!["before"]
    );
    assert_eq!(
        contents(&b.get(&path, &alice).await.expect(200)),
        vec!["before"]
    );
    a.put(
        &format!("/api/v1/messages/{}", m["id"].as_str().expect("id")),
        &alice,
        json!({ "content": "after" }),
    )
    .await
    .expect(200);
    // Within the tailer's fallback poll (1 s), B serves the edit.
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = contents(&b.get(&path, &alice).await.expect(200));
        if seen == vec!["after"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, vec!["after"]);
}
