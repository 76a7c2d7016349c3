use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(workspace_crud_and_visibility, |app| {
    let owner = app.user("own").await;
    let outsider = app.user("outs").await;
    let ws = app
        .post(
            "/api/v1/workspaces",
            &owner,
            json!({ "name": "  Acme 개발팀 ", "description": "We ship" }),
        )
        .await
        .expect(201);
    let id = ws["id"].as_str().unwrap();
    assert_eq!(ws["name"], "Acme 개발팀");
    assert_eq!(ws["role"], "owner");
    assert_eq!(ws["member_count"], 1);
    assert_eq!(ws["owner_id"], owner.id.as_str());

    let list = app.get("/api/v1/workspaces", &owner).await.expect(200);
    assert_eq!(ids(&list), vec![id.to_owned()]);
    assert_eq!(
        app.get("/api/v1/workspaces", &outsider).await.expect(200),
        json!([])
    );
    // Outsiders cannot tell the workspace exists.
    app.get(&format!("/api/v1/workspaces/{id}"), &outsider)
        .await
        .expect_error(404, "not_found");
    app.put(
        &format!("/api/v1/workspaces/{id}"),
        &outsider,
        json!({ "name": "x" }),
    )
    .await
    .expect_error(404, "not_found");
    app.get(&format!("/api/v1/workspaces/{id}/members"), &outsider)
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/api/v1/workspaces/{id}/channels"), &outsider)
        .await
        .expect_error(404, "not_found");

    // Every workspace starts with #general.
    let channels = app
        .get(&format!("/api/v1/workspaces/{id}/channels"), &owner)
        .await
        .expect(200);
    assert_eq!(channels[0]["name"], "general");
    assert_eq!(channels[0]["is_member"], true);

    let upd = app
        .put(
            &format!("/api/v1/workspaces/{id}"),
            &owner,
            json!({ "description": "We ship daily" }),
        )
        .await
        .expect(200);
    assert_eq!(upd["name"], "Acme 개발팀");
    assert_eq!(upd["description"], "We ship daily");
    app.put(
        &format!("/api/v1/workspaces/{id}"),
        &owner,
        json!({ "name": "" }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/workspaces",
        &owner,
        json!({ "name": "x".repeat(81) }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post("/api/v1/workspaces", &owner, json!({}))
        .await
        .expect_error(400, "bad_request");
    assert_eq!(
        app.get("/api/v1/workspaces", &owner)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

both!(invites_join_and_limits, |app| {
    let owner = app.user("inv").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    let ws = app.workspace(&owner).await;

    let invite = app
        .post(
            &format!("/api/v1/workspaces/{ws}/invites"),
            &owner,
            json!({ "max_uses": 1, "expires_in_hours": 24 }),
        )
        .await
        .expect(201);
    let code = invite["code"].as_str().unwrap().to_owned();
    assert!(code.len() >= 20);
    assert_eq!(invite["max_uses"], 1);
    assert!(invite["expires_at"].is_string());

    let preview = app
        .get(&format!("/api/v1/invites/{code}"), &bob)
        .await
        .expect(200);
    assert_eq!(preview["workspace_id"], ws.as_str());
    assert_eq!(preview["member_count"], 1);

    let joined = app
        .post(&format!("/api/v1/invites/{code}/accept"), &bob, json!({}))
        .await
        .expect(200);
    assert_eq!(joined["id"], ws.as_str());
    assert_eq!(joined["role"], "member");
    // Joining lands you in #general.
    let channels = app
        .get(&format!("/api/v1/workspaces/{ws}/channels"), &bob)
        .await
        .expect(200);
    assert_eq!(channels[0]["name"], "general");
    assert_eq!(channels[0]["is_member"], true);
    // Accepting again is harmless and does not count a use.
    app.post(&format!("/api/v1/invites/{code}/accept"), &bob, json!({}))
        .await
        .expect(200);
    // Used up.
    app.post(&format!("/api/v1/invites/{code}/accept"), &carol, json!({}))
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/api/v1/invites/{code}"), &carol)
        .await
        .expect_error(404, "not_found");
    app.post("/api/v1/invites/made-up-code/accept", &carol, json!({}))
        .await
        .expect_error(404, "not_found");

    // Members cannot mint invites; bad limits are refused.
    app.post(&format!("/api/v1/workspaces/{ws}/invites"), &bob, json!({}))
        .await
        .expect_error(403, "forbidden");
    app.post(
        &format!("/api/v1/workspaces/{ws}/invites"),
        &owner,
        json!({ "max_uses": 0 }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        &format!("/api/v1/workspaces/{ws}/invites"),
        &owner,
        json!({ "expires_in_hours": 100000 }),
    )
    .await
    .expect_error(422, "validation_failed");

    // Listing hides codes; revoking kills the link.
    let open = app
        .post(
            &format!("/api/v1/workspaces/{ws}/invites"),
            &owner,
            json!({}),
        )
        .await
        .expect(201);
    let list = app
        .get(&format!("/api/v1/workspaces/{ws}/invites"), &owner)
        .await
        .expect(200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i.get("code").is_none()));
    app.get(&format!("/api/v1/workspaces/{ws}/invites"), &bob)
        .await
        .expect_error(403, "forbidden");
    let open_id = open["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/workspaces/{ws}/invites/{open_id}"), &bob)
        .await
        .expect_error(403, "forbidden");
    app.delete(
        &format!("/api/v1/workspaces/{ws}/invites/{open_id}"),
        &owner,
    )
    .await
    .expect(204);
    app.delete(
        &format!("/api/v1/workspaces/{ws}/invites/{open_id}"),
        &owner,
    )
    .await
    .expect_error(404, "not_found");
    let open_code = open["code"].as_str().unwrap();
    app.post(
        &format!("/api/v1/invites/{open_code}/accept"),
        &dave,
        json!({}),
    )
    .await
    .expect_error(404, "not_found");

    let members = app
        .get(&format!("/api/v1/workspaces/{ws}/members"), &bob)
        .await
        .expect(200);
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec![owner.username.as_str(), bob.username.as_str()]);
});

both!(roles_and_removal, |app| {
    let owner = app.user("boss").await;
    let admin = app.user("adm").await;
    let member = app.user("mem").await;
    let other = app.user("oth").await;
    let ws = app.workspace(&owner).await;
    for u in [&admin, &member, &other] {
        app.join(&ws, &owner, u).await;
    }
    let role_path = |u: &TestUser| format!("/api/v1/workspaces/{ws}/members/{}", u.id);

    app.put(&role_path(&admin), &member, json!({ "role": "admin" }))
        .await
        .expect_error(403, "forbidden");
    let m = app
        .put(&role_path(&admin), &owner, json!({ "role": "admin" }))
        .await
        .expect(200);
    assert_eq!(m["role"], "admin");
    app.put(&role_path(&member), &admin, json!({ "role": "admin" }))
        .await
        .expect_error(403, "forbidden");
    app.put(&role_path(&member), &owner, json!({ "role": "owner" }))
        .await
        .expect_error(422, "validation_failed");
    app.put(&role_path(&member), &owner, json!({ "role": "emperor" }))
        .await
        .expect_error(400, "bad_request");
    app.put(&role_path(&owner), &owner, json!({ "role": "member" }))
        .await
        .expect_error(403, "forbidden");

    // Admins may now update the workspace; members may not.
    app.put(
        &format!("/api/v1/workspaces/{ws}"),
        &admin,
        json!({ "name": "Renamed" }),
    )
    .await
    .expect(200);
    app.put(
        &format!("/api/v1/workspaces/{ws}"),
        &member,
        json!({ "name": "Mine" }),
    )
    .await
    .expect_error(403, "forbidden");

    app.delete(&role_path(&other), &member)
        .await
        .expect_error(403, "forbidden");
    app.delete(&role_path(&owner), &admin)
        .await
        .expect_error(403, "forbidden");
    app.delete(&role_path(&owner), &owner)
        .await
        .expect_error(409, "conflict");
    app.delete(&role_path(&other), &admin).await.expect(204);
    app.get(&format!("/api/v1/workspaces/{ws}"), &other)
        .await
        .expect_error(404, "not_found");
    // Leaving yourself.
    app.delete(&role_path(&member), &member).await.expect(204);
    app.get(&format!("/api/v1/workspaces/{ws}/channels"), &member)
        .await
        .expect_error(404, "not_found");
    app.delete(&role_path(&member), &owner)
        .await
        .expect_error(404, "not_found");
    let members = app
        .get(&format!("/api/v1/workspaces/{ws}/members"), &owner)
        .await
        .expect(200);
    assert_eq!(members.as_array().unwrap().len(), 2);
});
