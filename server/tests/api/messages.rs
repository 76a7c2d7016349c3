use std::collections::HashSet;

use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(pagination_through_120_messages, |app| {
    let alice = app.user("page").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    for i in 1..=120 {
        app.send(&ch, &alice, &format!("message {i}")).await;
    }
    let path = format!("/api/v1/channels/{ch}/messages");

    // Backwards from the newest, 50 at a time.
    let mut seen = Vec::new();
    let mut page = app.get(&path, &alice).await.expect(200);
    assert_eq!(seqs(&page), (71..=120).collect::<Vec<_>>());
    assert_eq!(page["has_more_before"], true);
    assert_eq!(page["has_more_after"], false);
    assert_eq!(page["messages"][49]["content"], "message 120");
    seen.extend(seqs(&page));
    while page["has_more_before"] == true {
        let oldest = seqs(&page)[0];
        page = app
            .get(&format!("{path}?before={oldest}"), &alice)
            .await
            .expect(200);
        assert_eq!(page["has_more_after"], true);
        seen.extend(seqs(&page));
    }
    assert_eq!(seqs(&page), (1..=20).collect::<Vec<_>>());
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(seen.len(), 120, "duplicates in {seen:?}");
    assert_eq!(unique, (1..=120).collect::<HashSet<_>>(), "gaps");

    // Forwards.
    let fwd = app
        .get(&format!("{path}?after=0"), &alice)
        .await
        .expect(200);
    assert_eq!(seqs(&fwd), (1..=50).collect::<Vec<_>>());
    assert_eq!(fwd["has_more_before"], false);
    assert_eq!(fwd["has_more_after"], true);
    let fwd = app
        .get(&format!("{path}?after=100&limit=50"), &alice)
        .await
        .expect(200);
    assert_eq!(seqs(&fwd), (101..=120).collect::<Vec<_>>());
    assert_eq!(fwd["has_more_after"], false);
    assert_eq!(fwd["has_more_before"], true);

    // Around a message (jump to context).
    let around = app
        .get(&format!("{path}?around=60&limit=10"), &alice)
        .await
        .expect(200);
    assert_eq!(seqs(&around), (55..=64).collect::<Vec<_>>());
    assert_eq!(around["has_more_before"], true);
    assert_eq!(around["has_more_after"], true);

    let small = app
        .get(&format!("{path}?limit=1"), &alice)
        .await
        .expect(200);
    assert_eq!(seqs(&small), vec![120]);
    app.get(&format!("{path}?limit=101"), &alice)
        .await
        .expect_error(422, "validation_failed");
    app.get(&format!("{path}?limit=0"), &alice)
        .await
        .expect_error(422, "validation_failed");
    app.get(&format!("{path}?before=10&after=5"), &alice)
        .await
        .expect_error(422, "validation_failed");
    app.get(&format!("{path}?before=abc"), &alice)
        .await
        .expect_error(400, "bad_request");
    app.get(&format!("{path}?sort=desc"), &alice)
        .await
        .expect_error(400, "bad_request");
});

both!(nonce_makes_sends_idempotent, |app| {
    let alice = app.user("nonce").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let path = format!("/api/v1/channels/{ch}/messages");
    let first = app
        .post(
            &path,
            &alice,
            json!({ "content": "only once", "nonce": "c-1" }),
        )
        .await
        .expect(201);
    let retry = app
        .post(
            &path,
            &alice,
            json!({ "content": "only once", "nonce": "c-1" }),
        )
        .await
        .expect(200);
    assert_eq!(first["id"], retry["id"]);
    assert_eq!(retry["seq"], 1);
    assert_eq!(retry["nonce"], "c-1");
    let other = app
        .post(&path, &alice, json!({ "content": "again", "nonce": "c-2" }))
        .await
        .expect(201);
    assert_eq!(other["seq"], 2);
    app.post(
        &path,
        &alice,
        json!({ "content": "x", "nonce": "n".repeat(65) }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        &path,
        &alice,
        json!({ "content": "x", "nonce": "has space" }),
    )
    .await
    .expect_error(422, "validation_failed");
    let page = app.get(&path, &alice).await.expect(200);
    assert_eq!(seqs(&page), vec![1, 2]);
});

both!(send_validation_changes_nothing, |app| {
    let alice = app.user("val").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let path = format!("/api/v1/channels/{ch}/messages");
    app.post(&path, &alice, json!({ "content": "" }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &alice, json!({ "content": " \n\n " }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &alice, json!({ "content": "가".repeat(4001) }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &alice, json!({ "content": 5 }))
        .await
        .expect_error(400, "bad_request");
    // Content may be left out only when files are attached.
    app.post(&path, &alice, json!({}))
        .await
        .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/channels/0/messages",
        &alice,
        json!({ "content": "x" }),
    )
    .await
    .expect_error(400, "bad_request");
    app.post(
        "/api/v1/channels/4242424242/messages",
        &alice,
        json!({ "content": "x" }),
    )
    .await
    .expect_error(404, "not_found");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM messages")
            .await,
        0
    );
    let ok = app
        .post(&path, &alice, json!({ "content": "가".repeat(4000) }))
        .await
        .expect(201);
    assert_eq!(ok["seq"], 1);
    let code = app.send(&ch, &alice, "```rust\nfn main() {}\n```").await;
    assert_eq!(code["content"], "```rust\nfn main() {}\n```");
});

both!(edit_and_delete_rules_with_tombstones, |app| {
    let alice = app.user("ed").await;
    let bob = app.user("edb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    // Alice created the channel, so she is its admin; Bob is a member.
    let ch = app.channel(&ws, &alice, "public", &[&bob]).await;
    let root = app.send(&ch, &bob, "original").await;
    let root_id = root["id"].as_str().unwrap();
    assert!(root["edited_at"].is_null());

    let edited = app
        .put(
            &format!("/api/v1/messages/{root_id}"),
            &bob,
            json!({ "content": "fixed typo" }),
        )
        .await
        .expect(200);
    assert_eq!(edited["content"], "fixed typo");
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["seq"], 1);
    app.put(
        &format!("/api/v1/messages/{root_id}"),
        &alice,
        json!({ "content": "not yours" }),
    )
    .await
    .expect_error(403, "forbidden");
    app.put(
        &format!("/api/v1/messages/{root_id}"),
        &bob,
        json!({ "content": "" }),
    )
    .await
    .expect_error(422, "validation_failed");

    let reply = app
        .post(
            &format!("/api/v1/messages/{root_id}/thread"),
            &alice,
            json!({ "content": "a reply" }),
        )
        .await
        .expect(201);
    let mine = app.send(&ch, &alice, "alice's").await;
    app.delete(
        &format!("/api/v1/messages/{}", mine["id"].as_str().unwrap()),
        &bob,
    )
    .await
    .expect_error(403, "forbidden");

    // A channel admin may delete others' messages; the thread survives.
    app.delete(&format!("/api/v1/messages/{root_id}"), &alice)
        .await
        .expect(204);
    app.delete(&format!("/api/v1/messages/{root_id}"), &alice)
        .await
        .expect_error(404, "not_found");
    app.put(
        &format!("/api/v1/messages/{root_id}"),
        &bob,
        json!({ "content": "resurrect" }),
    )
    .await
    .expect_error(404, "not_found");
    let page = app
        .get(&format!("/api/v1/channels/{ch}/messages"), &bob)
        .await
        .expect(200);
    let tomb = &page["messages"][0];
    assert_eq!(tomb["id"], root_id);
    assert_eq!(tomb["deleted"], true);
    assert_eq!(tomb["content"], "");
    assert_eq!(tomb["reply_count"], 1);
    let thread = app
        .get(&format!("/api/v1/messages/{root_id}/thread"), &bob)
        .await
        .expect(200);
    assert_eq!(thread["root"]["deleted"], true);
    assert_eq!(thread["replies"][0]["id"], reply["id"]);
    assert_eq!(thread["replies"][0]["content"], "a reply");
    app.post(
        &format!("/api/v1/messages/{root_id}/thread"),
        &bob,
        json!({ "content": "late" }),
    )
    .await
    .expect_error(404, "not_found");

    // The author deletes their own.
    let bobs = app.send(&ch, &bob, "oops").await;
    app.delete(
        &format!("/api/v1/messages/{}", bobs["id"].as_str().unwrap()),
        &bob,
    )
    .await
    .expect(204);
});

both!(reactions_add_remove_and_validate, |app| {
    let alice = app.user("rx").await;
    let bob = app.user("rxb").await;
    let carol = app.user("rxc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let ch = app.channel(&ws, &alice, "public", &[&bob]).await;
    let m = app.send(&ch, &alice, "ship it?").await;
    let path = format!("/api/v1/messages/{}/reactions", m["id"].as_str().unwrap());

    app.post(&path, &alice, json!({ "emoji": "👍" }))
        .await
        .expect(200);
    app.post(&path, &bob, json!({ "emoji": "👍" }))
        .await
        .expect(200);
    let after = app
        .post(&path, &bob, json!({ "emoji": ":tada:" }))
        .await
        .expect(200);
    // Reacting twice with the same emoji is a no-op.
    let again = app
        .post(&path, &bob, json!({ "emoji": "👍" }))
        .await
        .expect(200);
    assert_eq!(after["reactions"], again["reactions"]);
    assert_eq!(after["reactions"][0]["emoji"], "👍");
    assert_eq!(after["reactions"][0]["count"], 2);
    assert_eq!(after["reactions"][0]["user_ids"], json!([alice.id, bob.id]));
    assert_eq!(
        after["reactions"][1],
        json!({ "emoji": ":tada:", "count": 1, "user_ids": [bob.id] })
    );

    app.post(&path, &bob, json!({ "emoji": "not an emoji" }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &bob, json!({ "emoji": ":no_such_code_here:" }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &carol, json!({ "emoji": "👍" }))
        .await
        .expect_error(403, "forbidden");

    let removed = app
        .delete(&format!("{path}/%F0%9F%91%8D"), &bob)
        .await
        .expect(200);
    assert_eq!(removed["reactions"][0]["count"], 1);
    app.delete(&format!("{path}/%F0%9F%91%8D"), &bob)
        .await
        .expect_error(404, "not_found");
    let removed = app
        .delete(&format!("{path}/:tada:"), &bob)
        .await
        .expect(200);
    assert_eq!(removed["reactions"].as_array().unwrap().len(), 1);
    let page = app
        .get(&format!("/api/v1/channels/{ch}/messages"), &carol)
        .await
        .expect(200);
    assert_eq!(
        page["messages"][0]["reactions"][0]["user_ids"],
        json!([alice.id])
    );
});

both!(pins_list_and_unpin, |app| {
    let alice = app.user("pin").await;
    let bob = app.user("pinb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let a = app.send(&ch, &alice, "rules").await;
    let b = app.send(&ch, &alice, "schedule").await;
    let pin = |id: &serde_json::Value| format!("/api/v1/messages/{}/pin", id.as_str().unwrap());

    let pinned = app
        .post(&pin(&a["id"]), &alice, json!({}))
        .await
        .expect(200);
    assert!(pinned["pinned_at"].is_string());
    assert_eq!(pinned["pinned_by"], alice.id.as_str());
    app.post(&pin(&b["id"]), &alice, json!({}))
        .await
        .expect(200);
    // Bob can read the public channel's pins but must join to pin.
    let pins = app
        .get(&format!("/api/v1/channels/{ch}/pins"), &bob)
        .await
        .expect(200);
    assert_eq!(pins.as_array().unwrap().len(), 2);
    app.post(&pin(&a["id"]), &bob, json!({}))
        .await
        .expect_error(403, "forbidden");

    let unpinned = app.delete(&pin(&a["id"]), &alice).await.expect(200);
    assert!(unpinned["pinned_at"].is_null());
    let pins = app
        .get(&format!("/api/v1/channels/{ch}/pins"), &alice)
        .await
        .expect(200);
    assert_eq!(ids(&pins), vec![b["id"].as_str().unwrap().to_owned()]);
    // Deleting a pinned message unpins it.
    app.delete(
        &format!("/api/v1/messages/{}", b["id"].as_str().unwrap()),
        &alice,
    )
    .await
    .expect(204);
    assert_eq!(
        app.get(&format!("/api/v1/channels/{ch}/pins"), &alice)
            .await
            .expect(200),
        json!([])
    );
});

both!(threads_count_replies_and_keep_order, |app| {
    let alice = app.user("thr").await;
    let bob = app.user("thrb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    let ch = app.channel(&ws, &alice, "private", &[&bob]).await;
    let root = app.send(&ch, &alice, "Release on Friday?").await;
    let root_id = root["id"].as_str().unwrap();
    let path = format!("/api/v1/messages/{root_id}/thread");
    let r1 = app
        .post(&path, &bob, json!({ "content": "Yes" }))
        .await
        .expect(201);
    assert_eq!(r1["thread_root_id"], root_id);
    assert_eq!(r1["seq"], 2);
    // Replying to a reply joins the root's thread.
    let r2 = app
        .post(
            &format!("/api/v1/messages/{}/thread", r1["id"].as_str().unwrap()),
            &alice,
            json!({ "content": "Great", "nonce": "t-1" }),
        )
        .await
        .expect(201);
    assert_eq!(r2["thread_root_id"], root_id);
    app.post(
        &format!("/api/v1/messages/{}/thread", r1["id"].as_str().unwrap()),
        &alice,
        json!({ "content": "Great", "nonce": "t-1" }),
    )
    .await
    .expect(200);
    app.post(&path, &bob, json!({ "content": "" }))
        .await
        .expect_error(422, "validation_failed");

    let thread = app.get(&path, &bob).await.expect(200);
    assert_eq!(thread["root"]["reply_count"], 2);
    assert!(thread["root"]["last_reply_at"].is_string());
    assert_eq!(
        thread["replies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["Yes", "Great"]
    );
    assert_eq!(thread["has_more"], false);
    let paged = app.get(&format!("{path}?limit=1"), &bob).await.expect(200);
    assert_eq!(paged["has_more"], true);
    let rest = app.get(&format!("{path}?after=2"), &bob).await.expect(200);
    assert_eq!(rest["replies"][0]["content"], "Great");
    // Asking by a reply id gives the same thread.
    let by_reply = app
        .get(
            &format!("/api/v1/messages/{}/thread", r2["id"].as_str().unwrap()),
            &bob,
        )
        .await
        .expect(200);
    assert_eq!(by_reply["root"]["id"], root_id);

    // Replies stay out of the main timeline but own their seqs.
    let page = app
        .get(&format!("/api/v1/channels/{ch}/messages"), &bob)
        .await
        .expect(200);
    assert_eq!(seqs(&page), vec![1]);
    let next = app.send(&ch, &alice, "next topic").await;
    assert_eq!(next["seq"], 4);
    app.get("/api/v1/messages/77777777/thread", &bob)
        .await
        .expect_error(404, "not_found");
});

both!(mentions_are_recorded_for_members_only, |app| {
    let alice = app.user("men").await;
    let bob = app.user("menb").await;
    let carol = app.user("menc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let ch = app.channel(&ws, &alice, "private", &[&bob]).await;

    let m1 = app
        .send(
            &ch,
            &alice,
            &format!("@{} can you review? cc @{}", bob.username, carol.username),
        )
        .await;
    app.send(
        &ch,
        &alice,
        &format!("`@{}` in code is not a mention", bob.username),
    )
    .await;
    let m3 = app.send(&ch, &alice, "@channel standup in 5").await;
    app.send(&ch, &bob, "@channel self mention is not counted for me")
        .await;

    let bobs = app.get("/api/v1/users/me/mentions", &bob).await.expect(200);
    assert_eq!(
        ids(&bobs["messages"]),
        vec![
            m3["id"].as_str().unwrap().to_owned(),
            m1["id"].as_str().unwrap().to_owned()
        ]
    );
    assert_eq!(bobs["has_more"], false);
    // Carol is not in the channel: no mention, nothing leaked.
    let carols = app
        .get("/api/v1/users/me/mentions", &carol)
        .await
        .expect(200);
    assert_eq!(carols["messages"], json!([]));
    let alices = app
        .get("/api/v1/users/me/mentions", &alice)
        .await
        .expect(200);
    assert_eq!(alices["messages"].as_array().unwrap().len(), 1);

    let first = app
        .get("/api/v1/users/me/mentions?limit=1", &bob)
        .await
        .expect(200);
    assert_eq!(first["has_more"], true);
    let before = first["messages"][0]["id"].as_str().unwrap();
    let second = app
        .get(&format!("/api/v1/users/me/mentions?before={before}"), &bob)
        .await
        .expect(200);
    assert_eq!(second["messages"][0]["id"], m1["id"]);

    // Editing a mention away removes it; deleting removes it too.
    app.put(
        &format!("/api/v1/messages/{}", m1["id"].as_str().unwrap()),
        &alice,
        json!({ "content": "never mind" }),
    )
    .await
    .expect(200);
    app.delete(
        &format!("/api/v1/messages/{}", m3["id"].as_str().unwrap()),
        &alice,
    )
    .await
    .expect(204);
    let bobs = app.get("/api/v1/users/me/mentions", &bob).await.expect(200);
    assert_eq!(bobs["messages"], json!([]));
});

both!(history_pages_are_gzipped_for_clients_that_ask, |app| {
    let alice = app.user("gz").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    for i in 0..50 {
        app.send(
            &ch,
            &alice,
            &format!("Status update {i}: the build is green, shipping the 개발 branch at 5pm"),
        )
        .await;
    }
    let url = format!("{}/api/v1/channels/{ch}/messages", app.base);
    // Raw bytes as sent: no transparent decompression by the client.
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let plain = client
        .get(&url)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    let gz = client
        .get(&url)
        .bearer_auth(&alice.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz_len = gz.bytes().await.unwrap().len();
    assert!(
        gz_len * 4 < plain_len,
        "gzip {gz_len} B vs plain {plain_len} B"
    );
});

both!(concurrent_sends_commit_together_without_gaps, |app| {
    let alice = app.user("burst").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let other = app.channel(&ws, &alice, "public", &[]).await;
    app.delete(&format!("/api/v1/channels/{other}"), &alice)
        .await
        .expect(204);
    // 150 sends at once: some retried with the same nonce, some into an
    // archived channel. Batched commits must keep each outcome separate.
    let mut sends = Vec::new();
    for i in 0..150 {
        let (app, alice, ch, other) = (&app, &alice, ch.clone(), other.clone());
        sends.push(async move {
            let (target, nonce) = match i % 10 {
                9 => (other, format!("n{i}")),
                8 => (ch, "shared-nonce".to_owned()),
                _ => (ch, format!("n{i}")),
            };
            app.post(
                &format!("/api/v1/channels/{target}/messages"),
                alice,
                json!({ "content": format!("burst {i}"), "nonce": nonce }),
            )
            .await
        });
    }
    let results = futures_util::future::join_all(sends).await;
    let mut ids = std::collections::HashSet::new();
    let mut shared = std::collections::HashSet::new();
    for (i, r) in results.into_iter().enumerate() {
        match i % 10 {
            9 => r.expect_error(404, "not_found"),
            8 => {
                assert!(matches!(r.status.as_u16(), 200 | 201), "{}", r.body);
                shared.insert(r.body["id"].as_str().unwrap().to_owned());
            }
            _ => {
                let body = r.expect(201);
                assert!(ids.insert(body["id"].as_str().unwrap().to_owned()));
            }
        }
    }
    assert_eq!(shared.len(), 1, "one message for the shared nonce");
    assert_eq!(ids.len(), 120);
    // 121 messages, seqs 1..=121 without a gap.
    let mut all = Vec::new();
    let mut page = app
        .get(
            &format!("/api/v1/channels/{ch}/messages?after=0&limit=100"),
            &alice,
        )
        .await
        .expect(200);
    all.extend(seqs(&page));
    while page["has_more_after"] == true {
        let last = *all.last().unwrap();
        page = app
            .get(
                &format!("/api/v1/channels/{ch}/messages?after={last}&limit=100"),
                &alice,
            )
            .await
            .expect(200);
        all.extend(seqs(&page));
    }
    assert_eq!(all, (1..=121).collect::<Vec<_>>());
});

both!(a_burst_of_clean_sends_is_written_in_one_go, |app| {
    let alice = app.user("fast").await;
    let bob = app.user("fastb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    let a = app.channel(&ws, &alice, "public", &[&bob]).await;
    let b = app.channel(&ws, &alice, "public", &[]).await;
    let root = app.send(&a, &alice, "thread root").await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    // 90 sends at once, none of them failing: over two channels and a
    // thread, a third mentioning Bob. The multi-row batch path must give
    // every side effect the one-by-one path gives.
    let sends = (0..90).map(|i| {
        let (app, alice) = (&app, &alice);
        let (path, content) = match i % 3 {
            0 => (
                format!("/api/v1/channels/{a}/messages"),
                format!("@{} look at {i}", bob.username),
            ),
            1 => (format!("/api/v1/channels/{b}/messages"), format!("b {i}")),
            _ => (
                format!("/api/v1/messages/{root_id}/thread"),
                format!("reply {i}"),
            ),
        };
        async move {
            app.post(
                &path,
                alice,
                json!({ "content": content, "nonce": format!("f{i}") }),
            )
            .await
        }
    });
    for r in futures_util::future::join_all(sends).await {
        r.expect(201);
    }
    let seqs_of = |ch: &str| {
        format!(
            "SELECT CAST(COUNT(DISTINCT seq) * 1000 + MAX(seq) AS BIGINT) FROM messages WHERE channel_id = {ch}"
        )
    };
    // Channel a: the root, 30 messages and 30 replies, seqs 1..=61.
    assert_eq!(app.count(&seqs_of(&a)).await, 61 * 1000 + 61);
    assert_eq!(app.count(&seqs_of(&b)).await, 30 * 1000 + 30);
    let thread = app
        .get(&format!("/api/v1/messages/{root_id}/thread"), &alice)
        .await
        .expect(200);
    assert_eq!(thread["root"]["reply_count"], 30);
    let mentions = app
        .get("/api/v1/users/me/mentions?limit=100", &bob)
        .await
        .expect(200);
    assert_eq!(mentions["messages"].as_array().unwrap().len(), 30);
    let read = format!(
        "SELECT last_read_seq FROM channel_members WHERE channel_id = {a} AND user_id = {}",
        alice.id
    );
    assert_eq!(app.count(&read).await, 61, "the author has read their own");
    assert!(
        app.metric("parley_message_batches_total{path=\"fast\"}")
            .await
            >= 1.0
    );
    assert_eq!(
        app.metric("parley_message_batches_total{path=\"redone\"}")
            .await,
        0.0,
        "no batch fell back to one-by-one"
    );
});
