use reqwest::Method;
use serde_json::json;

use crate::both;

both!(register_login_and_me, |app| {
    let alice = app.user("Alice").await;
    let me = app.get("/api/v1/users/me", &alice).await.expect(200);
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(me["username"], alice.username.as_str());
    assert_eq!(me["display_name"], "Alice");
    assert_eq!(me["email"], format!("{}@example.com", alice.username));
    assert_eq!(me["preferences"]["theme"], "system");

    // Login by username (any case) and by email.
    for login in [
        alice.username.to_uppercase(),
        format!("{}@EXAMPLE.com", alice.username),
    ] {
        let res = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "login": login, "password": "correct horse battery" })),
            )
            .await
            .expect(200);
        assert_eq!(res["user"]["id"], alice.id.as_str());
        assert_eq!(res["token_type"], "Bearer");
        assert_eq!(res["expires_in"], 900);
    }

    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "login": alice.username, "password": "wrong password!" })),
    )
    .await
    .expect_error(401, "invalid_credentials");
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "login": "nobody-here", "password": "whatever123" })),
    )
    .await
    .expect_error(401, "invalid_credentials");
});

both!(register_rejects_bad_input_and_writes_nothing, |app| {
    let before = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
        .await;
    let cases = [
        (
            json!({"username": "", "email": "a@x.io", "password": "password1"}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "a b", "email": "a@x.io", "password": "password1"}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "x".repeat(33), "email": "a@x.io", "password": "password1"}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "okname", "email": "not-an-email", "password": "password1"}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "okname", "email": "a@x.io", "password": "short"}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "okname", "email": "a@x.io", "password": "x".repeat(129)}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "okname", "email": "a@x.io", "password": "password1", "display_name": "x".repeat(65)}),
            422,
            "validation_failed",
        ),
        (
            json!({"username": "okname", "email": "a@x.io"}),
            400,
            "bad_request",
        ),
        (
            json!({"username": "okname", "email": "a@x.io", "password": "password1", "admin": true}),
            400,
            "bad_request",
        ),
    ];
    for (body, status, code) in cases {
        app.call(Method::POST, "/api/v1/auth/register", None, Some(body))
            .await
            .expect_error(status, code);
    }
    app.raw(
        Method::POST,
        "/api/v1/auth/register",
        Some("application/json"),
        b"{not json".to_vec(),
    )
    .await
    .expect_error(400, "bad_request");
    app.raw(
        Method::POST,
        "/api/v1/auth/register",
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await
    .expect_error(415, "unsupported_media_type");
    let huge = format!(
        r#"{{"username":"big","email":"b@x.io","password":"{}"}}"#,
        "x".repeat(100_000)
    );
    app.raw(
        Method::POST,
        "/api/v1/auth/register",
        Some("application/json"),
        huge.into_bytes(),
    )
    .await
    .expect_error(413, "payload_too_large");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
            .await,
        before
    );

    // Duplicates: usernames are case-insensitive, emails too.
    let alice = app.user("dup").await;
    app.call(Method::POST, "/api/v1/auth/register", None, Some(json!({
        "username": alice.username.to_uppercase(), "email": "other@example.com", "password": "password1"
    }))).await.expect_error(409, "username_taken");
    app.call(Method::POST, "/api/v1/auth/register", None, Some(json!({
        "username": "someone-else", "email": format!("{}@EXAMPLE.COM", alice.username), "password": "password1"
    }))).await.expect_error(409, "email_taken");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
            .await,
        before + 1
    );
});

both!(refresh_rotates_and_reuse_revokes_the_family, |app| {
    let alice = app.user("rot").await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({ "refresh_token": token })),
            )
            .await
        }
    };
    let first = refresh(alice.refresh.clone()).await.expect(200);
    let second_token = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_token, alice.refresh);
    let access = first["access_token"].as_str().unwrap();
    app.call(Method::GET, "/api/v1/users/me", Some(access), None)
        .await
        .expect(200);

    // A second sign-in is a separate family and survives the reuse below.
    let other = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": alice.username, "password": "correct horse battery" })),
        )
        .await
        .expect(200);
    let other_refresh = other["refresh_token"].as_str().unwrap().to_owned();

    // Presenting the already-used first token revokes its whole family …
    refresh(alice.refresh.clone())
        .await
        .expect_error(401, "refresh_token_reused");
    // … so the legitimately rotated token is dead too.
    refresh(second_token)
        .await
        .expect_error(401, "invalid_refresh_token");
    refresh(other_refresh.clone()).await.expect(200);

    refresh("garbage".into())
        .await
        .expect_error(401, "invalid_refresh_token");
});

both!(logout_revokes_the_session, |app| {
    let alice = app.user("out").await;
    app.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({ "refresh_token": alice.refresh })),
    )
    .await
    .expect(204);
    app.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": alice.refresh })),
    )
    .await
    .expect_error(401, "invalid_refresh_token");
    app.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({ "refresh_token": "nope" })),
    )
    .await
    .expect_error(401, "invalid_refresh_token");
});

both!(protected_routes_need_a_valid_token, |app| {
    let alice = app.user("tok").await;
    app.call(Method::GET, "/api/v1/users/me", None, None)
        .await
        .expect_error(401, "unauthorized");
    app.call(Method::GET, "/api/v1/users/me", Some("not.a.jwt"), None)
        .await
        .expect_error(401, "unauthorized");
    // A token signed with another key is rejected.
    let mut forged = alice.token.clone();
    forged.pop();
    forged.push(if alice.token.ends_with('A') { 'B' } else { 'A' });
    app.call(Method::GET, "/api/v1/users/me", Some(&forged), None)
        .await
        .expect_error(401, "unauthorized");
    app.call(Method::GET, "/api/v1/workspaces", None, None)
        .await
        .expect_error(401, "unauthorized");
});

both!(secrets_are_hashed_at_rest, |app| {
    let alice = app.user("hash").await;
    let pool = app.db().await;
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE username = $1")
        .bind(&alice.username)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "password stored as {hash}");
    assert!(!hash.contains("correct horse"));
    let tokens: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(!tokens.is_empty());
    assert!(tokens
        .iter()
        .all(|(t,)| t != &alice.refresh && t.len() == 64));

    let ws = app.workspace(&alice).await;
    let invite = app
        .post(
            &format!("/api/v1/workspaces/{ws}/invites"),
            &alice,
            json!({}),
        )
        .await
        .expect(201);
    let code = invite["code"].as_str().unwrap();
    let stored: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM workspace_invites")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].0, code);
    pool.close().await;
});
