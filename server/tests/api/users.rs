use serde_json::json;

use crate::both;

both!(profiles_are_public_and_only_self_editable, |app| {
    let alice = app.user("prof").await;
    let bob = app.user("other").await;

    let updated = app
        .put(&format!("/api/v1/users/{}", alice.id), &alice,
            json!({ "display_name": "Alice Kim", "bio": "Builds things\nin Seoul", "timezone": "Asia/Seoul" }))
        .await
        .expect(200);
    assert_eq!(updated["display_name"], "Alice Kim");
    assert_eq!(updated["timezone"], "Asia/Seoul");
    assert!(updated.get("email").is_none(), "public profile leaks email");

    let seen = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob)
        .await
        .expect(200);
    assert_eq!(seen["display_name"], "Alice Kim");
    assert_eq!(seen["bio"], "Builds things\nin Seoul");
    assert!(seen.get("email").is_none());

    app.put(
        &format!("/api/v1/users/{}", alice.id),
        &bob,
        json!({ "display_name": "pwned" }),
    )
    .await
    .expect_error(403, "forbidden");
    app.put(
        &format!("/api/v1/users/{}", alice.id),
        &alice,
        json!({ "timezone": "Mars Base One" }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.put(
        &format!("/api/v1/users/{}", alice.id),
        &alice,
        json!({ "display_name": "  " }),
    )
    .await
    .expect_error(422, "validation_failed");
    let still = app
        .get(&format!("/api/v1/users/{}", alice.id), &alice)
        .await
        .expect(200);
    assert_eq!(still["display_name"], "Alice Kim");

    app.get("/api/v1/users/999999999", &alice)
        .await
        .expect_error(404, "not_found");
    app.get("/api/v1/users/not-an-id", &alice)
        .await
        .expect_error(400, "bad_request");
});

both!(status_with_emoji_and_expiry, |app| {
    let alice = app.user("stat").await;
    let bob = app.user("viewer").await;
    let path = format!("/api/v1/users/{}/status", alice.id);
    let user = app
        .put(&path, &alice, json!({ "text": "In a meeting", "emoji": ":calendar:", "expires_at": "2099-01-01T00:00:00Z" }))
        .await
        .expect(200);
    assert_eq!(user["status"]["text"], "In a meeting");
    assert_eq!(user["status"]["emoji"], ":calendar:");
    assert_eq!(user["status"]["expires_at"], "2099-01-01T00:00:00Z");
    let seen = app
        .get(&format!("/api/v1/users/{}", alice.id), &bob)
        .await
        .expect(200);
    assert_eq!(seen["status"]["text"], "In a meeting");

    app.put(&path, &alice, json!({ "text": "x", "emoji": "not-emoji" }))
        .await
        .expect_error(422, "validation_failed");
    app.put(&path, &alice, json!({ "text": "x".repeat(101) }))
        .await
        .expect_error(422, "validation_failed");
    app.put(
        &path,
        &alice,
        json!({ "text": "late", "expires_at": "2001-01-01T00:00:00Z" }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.put(
        &path,
        &alice,
        json!({ "text": "late", "expires_at": "tomorrow" }),
    )
    .await
    .expect_error(400, "bad_request");
    app.put(&path, &bob, json!({ "text": "hijack" }))
        .await
        .expect_error(403, "forbidden");

    let user = app
        .put(&path, &alice, json!({ "text": "🌴 away", "emoji": "🌴" }))
        .await
        .expect(200);
    assert_eq!(user["status"]["emoji"], "🌴");
    assert!(user["status"]["expires_at"].is_null());
    let cleared = app
        .put(&path, &alice, json!({ "text": "" }))
        .await
        .expect(200);
    assert!(cleared["status"].is_null());
});

both!(preferences_global_and_per_channel, |app| {
    let alice = app.user("pref").await;
    let outsider = app.user("outpref").await;
    let prefs = app
        .get("/api/v1/users/me/preferences", &alice)
        .await
        .expect(200);
    assert_eq!(
        prefs,
        json!({ "theme": "system", "notify_level": "all", "mute_until": null, "channels": [], "keywords": [] })
    );

    let prefs = app
        .put("/api/v1/users/me/preferences", &alice,
            json!({ "theme": "dark", "notify_level": "mentions", "mute_until": "2099-05-01T09:00:00Z" }))
        .await
        .expect(200);
    assert_eq!(prefs["theme"], "dark");
    assert_eq!(prefs["notify_level"], "mentions");
    assert_eq!(prefs["mute_until"], "2099-05-01T09:00:00Z");
    app.put(
        "/api/v1/users/me/preferences",
        &alice,
        json!({ "theme": "neon" }),
    )
    .await
    .expect_error(400, "bad_request");
    let me = app.get("/api/v1/users/me", &alice).await.expect(200);
    assert_eq!(me["preferences"]["theme"], "dark");

    let ws = app.workspace(&alice).await;
    let private = app.channel(&ws, &alice, "private", &[]).await;
    let prefs = app
        .put(
            &format!("/api/v1/users/me/preferences/channels/{private}"),
            &alice,
            json!({ "notify_level": "none", "muted_until": "2099-01-01T00:00:00Z" }),
        )
        .await
        .expect(200);
    assert_eq!(
        prefs["channels"],
        json!([{ "channel_id": private, "notify_level": "none", "muted_until": "2099-01-01T00:00:00Z" }])
    );
    // Back to defaults removes the override.
    let prefs = app
        .put(
            &format!("/api/v1/users/me/preferences/channels/{private}"),
            &alice,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(prefs["channels"], json!([]));
    // Someone who cannot see the channel learns nothing about it.
    app.put(
        &format!("/api/v1/users/me/preferences/channels/{private}"),
        &outsider,
        json!({ "notify_level": "all" }),
    )
    .await
    .expect_error(404, "not_found");
});
