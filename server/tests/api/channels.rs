use serde_json::json;

use crate::both;

both!(create_list_and_validate, |app| {
    let alice = app.user("chan").await;
    let bob = app.user("chanb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    let path = format!("/api/v1/workspaces/{ws}/channels");

    let public = app
        .post(
            &path,
            &alice,
            json!({ "name": "#Design Review", "topic": "Pixels", "purpose": "Critique" }),
        )
        .await
        .expect(201);
    assert_eq!(public["name"], "design-review");
    assert_eq!(public["kind"], "public");
    assert_eq!(public["topic"], "Pixels");
    assert_eq!(public["member_count"], 1);
    let private = app
        .post(&path, &alice, json!({ "name": "비밀", "kind": "private" }))
        .await
        .expect(201);
    assert_eq!(private["name"], "비밀");

    app.post(&path, &alice, json!({ "name": "design-review" }))
        .await
        .expect_error(409, "conflict");
    app.post(&path, &alice, json!({ "name": "" }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &alice, json!({ "name": "a/b" }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &alice, json!({ "name": "x".repeat(81) }))
        .await
        .expect_error(422, "validation_failed");
    app.post(&path, &alice, json!({ "name": "dm-ish", "kind": "dm" }))
        .await
        .expect_error(422, "validation_failed");
    app.post(
        &path,
        &alice,
        json!({ "name": "topic", "topic": "t".repeat(251) }),
    )
    .await
    .expect_error(422, "validation_failed");
    let stranger = app.user("strg").await;
    app.post(
        &path,
        &alice,
        json!({ "name": "with-stranger", "member_ids": [stranger.id] }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(&path, &stranger, json!({ "name": "intruder" }))
        .await
        .expect_error(404, "not_found");

    // Alice sees general, design-review and 비밀; Bob does not see the private one.
    let names = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine = names(app.get(&path, &alice).await.expect(200));
    assert_eq!(mine.len(), 3);
    assert!(mine.contains(&"비밀".to_owned()));
    let bobs = app.get(&path, &bob).await.expect(200);
    assert_eq!(names(bobs.clone()), vec!["design-review", "general"]);
    let review = bobs
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "design-review")
        .unwrap();
    assert_eq!(review["is_member"], false);
});

both!(private_channels_are_invisible_to_outsiders, |app| {
    let alice = app.user("priv").await;
    let bob = app.user("privb").await;
    let carol = app.user("privc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let secret = app.channel(&ws, &alice, "private", &[&bob]).await;
    let msg = app.send(&secret, &bob, "the plan").await;
    let msg_id = msg["id"].as_str().unwrap();

    // Carol (same workspace, not a member) gets exactly what a missing channel gives.
    for path in [
        format!("/api/v1/channels/{secret}"),
        format!("/api/v1/channels/{secret}/messages"),
        format!("/api/v1/channels/{secret}/members"),
        format!("/api/v1/channels/{secret}/pins"),
        format!("/api/v1/messages/{msg_id}/thread"),
    ] {
        app.get(&path, &carol).await.expect_error(404, "not_found");
    }
    app.get("/api/v1/channels/123456789", &carol)
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/channels/{secret}/messages"),
        &carol,
        json!({ "content": "hi" }),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/channels/{secret}/members"),
        &carol,
        json!({ "user_ids": [carol.id] }),
    )
    .await
    .expect_error(404, "not_found");
    app.put(
        &format!("/api/v1/messages/{msg_id}"),
        &carol,
        json!({ "content": "x" }),
    )
    .await
    .expect_error(404, "not_found");
    app.delete(&format!("/api/v1/messages/{msg_id}"), &carol)
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/messages/{msg_id}/reactions"),
        &carol,
        json!({ "emoji": "👍" }),
    )
    .await
    .expect_error(404, "not_found");
    app.post(&format!("/api/v1/messages/{msg_id}/pin"), &carol, json!({}))
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/messages/{msg_id}/thread"),
        &carol,
        json!({ "content": "x" }),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/channels/{secret}/read"),
        &carol,
        json!({ "message_id": msg_id }),
    )
    .await
    .expect_error(404, "not_found");
    app.delete(&format!("/api/v1/channels/{secret}"), &carol)
        .await
        .expect_error(404, "not_found");
    let mentions = app
        .get("/api/v1/users/me/mentions", &carol)
        .await
        .expect(200);
    assert_eq!(mentions["messages"], json!([]));

    // Bob (member) invites Carol; now she can read.
    let members = app
        .post(
            &format!("/api/v1/channels/{secret}/members"),
            &bob,
            json!({ "user_ids": [carol.id] }),
        )
        .await
        .expect(200);
    assert_eq!(members.as_array().unwrap().len(), 3);
    let page = app
        .get(&format!("/api/v1/channels/{secret}/messages"), &carol)
        .await
        .expect(200);
    assert_eq!(page["messages"][0]["content"], "the plan");
});

both!(settings_membership_and_archive, |app| {
    let alice = app.user("set").await;
    let bob = app.user("setb").await;
    let carol = app.user("setc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let path = format!("/api/v1/channels/{ch}");

    // Reading a public channel needs only the workspace; writing needs joining.
    app.get(&format!("{path}/messages"), &bob).await.expect(200);
    app.post(
        &format!("{path}/messages"),
        &bob,
        json!({ "content": "hi" }),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("{path}/members"),
        &bob,
        json!({ "user_ids": [carol.id] }),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("{path}/members"),
        &bob,
        json!({ "user_ids": [bob.id] }),
    )
    .await
    .expect(200);
    app.send(&ch, &bob, "joined!").await;
    app.post(&format!("{path}/members"), &bob, json!({ "user_ids": [] }))
        .await
        .expect_error(422, "validation_failed");
    app.post(
        &format!("{path}/members"),
        &bob,
        json!({ "user_ids": ["nope"] }),
    )
    .await
    .expect_error(400, "bad_request");

    // Members set the topic; renaming takes an admin.
    let c = app
        .put(&path, &bob, json!({ "topic": "Weekly sync" }))
        .await
        .expect(200);
    assert_eq!(c["topic"], "Weekly sync");
    app.put(&path, &bob, json!({ "name": "bobs-room" }))
        .await
        .expect_error(403, "forbidden");
    let c = app
        .put(&path, &alice, json!({ "name": "sync" }))
        .await
        .expect(200);
    assert_eq!(c["name"], "sync");
    assert_eq!(c["topic"], "Weekly sync");
    app.put(&path, &alice, json!({ "name": "bad name!" }))
        .await
        .expect_error(422, "validation_failed");
    app.put(&path, &carol, json!({ "topic": "not a member" }))
        .await
        .expect_error(403, "forbidden");

    // Removing others takes an admin; leaving is yours.
    app.post(
        &format!("{path}/members"),
        &bob,
        json!({ "user_ids": [carol.id] }),
    )
    .await
    .expect(200);
    app.delete(&format!("{path}/members/{}", carol.id), &bob)
        .await
        .expect_error(403, "forbidden");
    app.delete(&format!("{path}/members/{}", carol.id), &alice)
        .await
        .expect(204);
    app.delete(&format!("{path}/members/{}", carol.id), &alice)
        .await
        .expect_error(404, "not_found");
    app.post(&format!("{path}/leave"), &bob, json!({}))
        .await
        .expect(204);
    app.post(&format!("{path}/leave"), &bob, json!({}))
        .await
        .expect_error(403, "forbidden");
    let members = app
        .get(&format!("{path}/members"), &alice)
        .await
        .expect(200);
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["role"], "admin");

    // Deleting archives: the channel and its messages vanish for everyone.
    app.delete(&path, &bob).await.expect_error(403, "forbidden");
    app.delete(&path, &alice).await.expect(204);
    app.get(&path, &alice).await.expect_error(404, "not_found");
    app.get(&format!("{path}/messages"), &alice)
        .await
        .expect_error(404, "not_found");
    app.get(&format!("{path}/messages"), &bob)
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("{path}/messages"),
        &alice,
        json!({ "content": "echo" }),
    )
    .await
    .expect_error(404, "not_found");
    let list = app
        .get(&format!("/api/v1/workspaces/{ws}/channels"), &alice)
        .await
        .expect(200);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != ch.as_str()));
    // The name is free again.
    app.post(
        &format!("/api/v1/workspaces/{ws}/channels"),
        &alice,
        json!({ "name": "sync" }),
    )
    .await
    .expect(201);
});

both!(unread_and_mention_counts, |app| {
    let alice = app.user("unr").await;
    let bob = app.user("unrb").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    let ch = app.channel(&ws, &alice, "private", &[&bob]).await;
    let list_path = format!("/api/v1/workspaces/{ws}/channels");
    let entry = |v: serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == ch.as_str())
            .unwrap()
            .clone()
    };

    app.send(&ch, &alice, "one").await;
    app.send(&ch, &alice, &format!("hey @{} look", bob.username))
        .await;
    let third = app.send(&ch, &alice, "three").await;
    let b = entry(app.get(&list_path, &bob).await.expect(200));
    assert_eq!(b["unread_count"], 3);
    assert_eq!(b["mention_count"], 1);
    assert_eq!(b["last_seq"], 3);
    // Your own messages are never unread.
    let a = entry(app.get(&list_path, &alice).await.expect(200));
    assert_eq!(a["unread_count"], 0);
    assert_eq!(a["last_read_seq"], 3);

    let page = app
        .get(&format!("/api/v1/channels/{ch}/messages"), &bob)
        .await
        .expect(200);
    let read_up_to = |id: serde_json::Value| {
        let (app, bob, ch) = (&app, &bob, &ch);
        async move {
            app.post(
                &format!("/api/v1/channels/{ch}/read"),
                bob,
                json!({ "message_id": id }),
            )
            .await
            .expect(200)
        }
    };
    let rs = read_up_to(page["messages"][1]["id"].clone()).await;
    assert_eq!(rs["last_read_seq"], 2);
    assert_eq!(rs["unread_count"], 1);
    assert_eq!(rs["mention_count"], 0);
    // Never backwards.
    let rs = read_up_to(page["messages"][0]["id"].clone()).await;
    assert_eq!(rs["last_read_seq"], 2);
    let rs = read_up_to(third["id"].clone()).await;
    assert_eq!(rs["unread_count"], 0);

    // A message of another channel is not a read position here.
    let general = app
        .get(&list_path, &alice)
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "general")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let elsewhere = app.send(&general, &alice, "elsewhere").await;
    app.post(
        &format!("/api/v1/channels/{ch}/read"),
        &bob,
        json!({ "message_id": elsewhere["id"] }),
    )
    .await
    .expect_error(404, "not_found");
    app.post(&format!("/api/v1/channels/{ch}/read"), &bob, json!({}))
        .await
        .expect_error(400, "bad_request");
});
