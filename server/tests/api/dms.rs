use serde_json::json;

use crate::both;

both!(one_to_one_and_group_dms, |app| {
    let alice = app.user("dma").await;
    let bob = app.user("dmb").await;
    let carol = app.user("dmc").await;
    let stranger = app.user("dms").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;

    let dm = app
        .post("/api/v1/dm", &alice, json!({ "user_ids": [bob.id] }))
        .await
        .expect(200);
    assert_eq!(dm["kind"], "dm");
    assert!(dm["workspace_id"].is_null());
    let dm_id = dm["id"].as_str().unwrap().to_owned();
    let mut names: Vec<&str> = dm["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort();
    let mut expected = vec![alice.username.as_str(), bob.username.as_str()];
    expected.sort();
    assert_eq!(names, expected);
    // Opening it again, from either side, returns the same conversation.
    let again = app
        .post(
            "/api/v1/dm",
            &bob,
            json!({ "user_ids": [alice.id, alice.id] }),
        )
        .await
        .expect(200);
    assert_eq!(again["id"], dm_id.as_str());

    let sent = app
        .post(
            &format!("/api/v1/dm/{dm_id}/messages"),
            &bob,
            json!({ "content": "psst" }),
        )
        .await
        .expect(201);
    let page = app
        .get(&format!("/api/v1/dm/{dm_id}/messages"), &alice)
        .await
        .expect(200);
    assert_eq!(page["messages"][0]["id"], sent["id"]);
    let list = app.get("/api/v1/dm", &alice).await.expect(200);
    assert_eq!(list[0]["id"], dm_id.as_str());
    assert_eq!(list[0]["unread_count"], 1);

    // Carol cannot read or write it, nor learn it exists.
    app.get(&format!("/api/v1/dm/{dm_id}/messages"), &carol)
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/dm/{dm_id}/messages"),
        &carol,
        json!({ "content": "hi" }),
    )
    .await
    .expect_error(404, "not_found");
    app.get(&format!("/api/v1/channels/{dm_id}"), &carol)
        .await
        .expect_error(404, "not_found");
    assert_eq!(app.get("/api/v1/dm", &carol).await.expect(200), json!([]));
    // DMs have no settings and no invitations.
    app.put(
        &format!("/api/v1/channels/{dm_id}"),
        &alice,
        json!({ "topic": "x" }),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/channels/{dm_id}/members"),
        &alice,
        json!({ "user_ids": [carol.id] }),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/channels/{dm_id}/leave"),
        &alice,
        json!({}),
    )
    .await
    .expect_error(403, "forbidden");
    app.delete(&format!("/api/v1/channels/{dm_id}"), &alice)
        .await
        .expect_error(403, "forbidden");

    // Group DMs: up to 8 people, and the same set returns the same group.
    let group = app
        .post(
            "/api/v1/dm",
            &alice,
            json!({ "user_ids": [bob.id, carol.id] }),
        )
        .await
        .expect(200);
    assert_eq!(group["kind"], "group_dm");
    assert_eq!(group["member_count"], 3);
    let same = app
        .post(
            "/api/v1/dm",
            &carol,
            json!({ "user_ids": [bob.id, alice.id] }),
        )
        .await
        .expect(200);
    assert_eq!(same["id"], group["id"]);
    let group_id = group["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/channels/{group_id}/leave"),
        &carol,
        json!({}),
    )
    .await
    .expect(204);
    app.get(&format!("/api/v1/dm/{group_id}/messages"), &carol)
        .await
        .expect_error(404, "not_found");

    let many: Vec<String> = (0..8).map(|i| format!("{}", 1000 + i)).collect();
    app.post("/api/v1/dm", &alice, json!({ "user_ids": many }))
        .await
        .expect_error(422, "validation_failed");
    app.post("/api/v1/dm", &alice, json!({ "user_ids": [] }))
        .await
        .expect_error(422, "validation_failed");
    // People you share no workspace with cannot be reached (nor probed).
    app.post("/api/v1/dm", &alice, json!({ "user_ids": [stranger.id] }))
        .await
        .expect_error(404, "not_found");
    app.post("/api/v1/dm", &alice, json!({ "user_ids": ["999999999"] }))
        .await
        .expect_error(404, "not_found");

    // A note to self is a DM with just you.
    let me = app
        .post("/api/v1/dm", &alice, json!({ "user_ids": [alice.id] }))
        .await
        .expect(200);
    assert_eq!(me["member_count"], 1);

    // /dm/:id only serves DMs.
    let general = app
        .get(&format!("/api/v1/workspaces/{ws}/channels"), &alice)
        .await
        .expect(200)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/api/v1/dm/{general}/messages"), &alice)
        .await
        .expect_error(404, "not_found");
    app.post(
        &format!("/api/v1/dm/{general}/messages"),
        &alice,
        json!({ "content": "x" }),
    )
    .await
    .expect_error(404, "not_found");
});
