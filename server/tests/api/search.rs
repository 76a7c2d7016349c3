//! Search finds Korean, Japanese and partial words, only where the caller
//! may read, and points at the matches.

use serde_json::{json, Value};

use crate::files::png;
use crate::helpers::*;
use crate::variants;

fn contents(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|h| {
            h["message"]["content"]
                .as_str()
                .expect("content")
                .to_owned()
        })
        .collect()
}

/// One test per search adapter: SQLite FTS5, PostgreSQL pg_trgm, and
/// Elasticsearch (fed through the job queue).
macro_rules! search_test {
    ($name:ident, |$app:ident| $body:block) => {
        variants!(
            $name,
            [],
            [
                sqlite: spawn_sqlite,
                postgres: spawn_postgres,
                elasticsearch: spawn_elasticsearch
            ],
            |$app| $body
        );
    };
}

search_test!(finds_substrings_in_any_script, |app| {
    let alice = app.user("sr").await;
    let bob = app.user("srb").await;
    let carol = app.user("src").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let public = app.channel(&ws, &alice, "public", &[]).await;
    let secret = app.channel(&ws, &alice, "private", &[&bob]).await;
    app.send(&public, &alice, "오늘 회의록 공유합니다").await;
    app.send(&public, &alice, "明日の会議は十時です").await;
    app.send(&public, &alice, "The deployment finished at 5pm")
        .await;
    app.send(&secret, &bob, "비밀 회의 일정").await;
    let gone = app.send(&public, &alice, "회의 취소된 메시지").await;
    app.delete(
        &format!("/api/v1/messages/{}", gone["id"].as_str().unwrap()),
        &alice,
    )
    .await
    .expect(204);
    app.settle().await;

    let search = |user: &TestUser, query: &str| {
        let (app, user) = (&app, user.clone());
        let url = format!("/api/v1/messages/search?q={}", url_encode(query));
        async move { app.get(&url, &user).await.expect(200) }
    };
    // Two-syllable Korean word inside a longer word; private hits for members only.
    let r = search(&bob, "회의").await;
    assert_eq!(
        contents(&r),
        vec!["비밀 회의 일정", "오늘 회의록 공유합니다"]
    );
    let r = search(&carol, "회의").await;
    assert_eq!(
        contents(&r),
        vec!["오늘 회의록 공유합니다"],
        "Carol must not see the private channel"
    );
    assert_eq!(
        search(&carol, "회의록").await["results"][0]["highlights"],
        json!([[3, 6]])
    );
    // Japanese, and a partial English word, case-insensitively.
    assert_eq!(
        contents(&search(&carol, "会議").await),
        vec!["明日の会議は十時です"]
    );
    let r = search(&carol, "DEPLOY").await;
    assert_eq!(contents(&r), vec!["The deployment finished at 5pm"]);
    assert_eq!(r["results"][0]["highlights"], json!([[4, 10]]));
    // Every word must occur; a quoted phrase must occur as written.
    assert_eq!(contents(&search(&carol, "deploy 5pm").await).len(), 1);
    assert!(contents(&search(&carol, "deploy 6pm").await).is_empty());
    assert!(contents(&search(&carol, "\"finished deployment\"").await).is_empty());
    assert_eq!(
        contents(&search(&carol, "\"deployment finished\"").await).len(),
        1
    );
    // Edits are searchable at once; wildcards are literal.
    let m = app.send(&public, &alice, "draft v1").await;
    app.put(
        &format!("/api/v1/messages/{}", m["id"].as_str().unwrap()),
        &alice,
        json!({ "content": "final 100% done" }),
    )
    .await
    .expect(200);
    app.settle().await;
    assert!(contents(&search(&alice, "draft").await).is_empty());
    assert_eq!(
        contents(&search(&alice, "100%").await),
        vec!["final 100% done"]
    );
    assert!(contents(&search(&alice, "1_0").await).is_empty());

    app.get("/api/v1/messages/search?q=", &alice)
        .await
        .expect_error(422, "validation_failed");
    app.get("/api/v1/messages/search", &alice)
        .await
        .expect_error(400, "bad_request");
    app.get("/api/v1/messages/search?q=x&limit=51", &alice)
        .await
        .expect_error(422, "validation_failed");
    app.get(
        &format!("/api/v1/messages/search?q=x&channel={secret}"),
        &carol,
    )
    .await
    .expect_error(404, "not_found");
});

search_test!(filters_and_paging, |app| {
    let alice = app.user("sf").await;
    let bob = app.user("sfb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    let a = app.channel(&ws, &alice, "public", &[&bob]).await;
    let b = app.channel(&ws, &alice, "public", &[&bob]).await;
    let root = app.send(&a, &alice, "release notes draft").await;
    app.post(
        &format!("/api/v1/messages/{}/thread", root["id"].as_str().unwrap()),
        &bob,
        json!({ "content": "release looks fine" }),
    )
    .await
    .expect(201);
    app.send(&b, &bob, "release party tonight").await;
    let url = |extra: &str| format!("/api/v1/messages/search?q=release{extra}");
    app.settle().await;

    assert_eq!(
        contents(&app.get(&url(""), &alice).await.expect(200)).len(),
        3
    );
    assert_eq!(
        contents(
            &app.get(&url(&format!("&channel={b}")), &alice)
                .await
                .expect(200)
        ),
        vec!["release party tonight"]
    );
    assert_eq!(
        contents(
            &app.get(&url(&format!("&from={}", alice.id)), &alice)
                .await
                .expect(200)
        ),
        vec!["release notes draft"]
    );
    assert_eq!(
        contents(&app.get(&url("&in_thread=true"), &alice).await.expect(200)),
        vec!["release looks fine"]
    );
    assert_eq!(
        contents(&app.get(&url("&in_thread=false"), &alice).await.expect(200)).len(),
        2
    );
    assert!(contents(
        &app.get(&url("&before=2001-01-01T00:00:00Z"), &alice)
            .await
            .expect(200)
    )
    .is_empty());
    assert_eq!(
        contents(
            &app.get(&url("&after=2001-01-01T00:00:00Z"), &alice)
                .await
                .expect(200)
        )
        .len(),
        3
    );
    app.get(&url("&before=yesterday"), &alice)
        .await
        .expect_error(400, "bad_request");

    let first = app.get(&url("&limit=2"), &alice).await.expect(200);
    assert_eq!(first["has_more"], true);
    let last_id = first["results"][1]["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = app
        .get(&url(&format!("&limit=2&older_than={last_id}")), &alice)
        .await
        .expect(200);
    assert_eq!(rest["has_more"], false);
    assert_eq!(contents(&rest), vec!["release notes draft"]);

    // has_file: only messages with attachments (or only without).
    let up = app
        .upload(
            "/api/v1/files",
            &bob,
            "shot.png",
            Some("image/png"),
            png(8, 8),
        )
        .await
        .expect(201);
    app.post(
        &format!("/api/v1/channels/{b}/messages"),
        &bob,
        json!({ "content": "release screenshot", "file_ids": [up["id"]] }),
    )
    .await
    .expect(201);
    app.settle().await;
    assert_eq!(
        contents(&app.get(&url("&has_file=true"), &alice).await.expect(200)),
        vec!["release screenshot"]
    );
    assert_eq!(
        contents(&app.get(&url("&has_file=false"), &alice).await.expect(200)).len(),
        3
    );
});

/// Turning Elasticsearch on for a database that already has messages fills
/// the new index from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_index_is_backfilled() {
    let Some((es, index)) = elasticsearch_settings() else {
        return;
    };
    let app = spawn_sqlite(&[]).await.expect("app");
    let alice = app.user("bf").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    for i in 0..3 {
        app.send(&ch, &alice, &format!("backfill 회의 {i}")).await;
    }
    let node = start_node(
        &app.data_dir,
        &app.database_url,
        &[
            ("PARLEY_ELASTICSEARCH_URL", &es),
            ("PARLEY_ELASTICSEARCH_INDEX", &index),
        ],
    )
    .await;
    let with_es = TestApp::at(&node, &app.database_url, &app.data_dir);
    with_es.settle().await;
    let r = with_es
        .get(
            &format!("/api/v1/messages/search?q={}", url_encode("회의")),
            &alice,
        )
        .await
        .expect(200);
    assert_eq!(contents(&r).len(), 3, "{r}");
}
