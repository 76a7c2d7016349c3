//! Regression tests for the defects an attacker's probe found (issue 20):
//! each fails without its fix. Names that hide or impersonate, WebSocket
//! frames with unknown fields.

use serde_json::json;

use crate::both;
use crate::helpers::*;

both!(names_that_hide_or_impersonate_are_refused, |app| {
    let alice = app.user("spoof").await;
    let me = format!("/api/v1/users/{}", alice.id);
    for bad in [
        "\u{202E}nimda",        // a right-to-left override
        "al\u{200B}ice",        // a zero-width space
        "\u{3164}\u{3164}",     // Hangul fillers: shows nothing at all
        "bob\u{2066}x\u{2069}", // an isolate
    ] {
        app.put(&me, &alice, json!({ "display_name": bad }))
            .await
            .expect_error(422, "validation_failed");
    }
    let kept = app.get(&me, &alice).await.expect(200);
    assert_ne!(kept["display_name"], "\u{202E}nimda");
    app.put(&me, &alice, json!({ "display_name": "👩‍💻 Dana" }))
        .await
        .expect(200);
    app.post("/api/v1/workspaces", &alice, json!({ "name": "\u{200B}" }))
        .await
        .expect_error(422, "validation_failed");

    // Fullwidth and mathematical letters are the same name after NFKC.
    let ws = app.workspace(&alice).await;
    let path = format!("/api/v1/workspaces/{ws}/channels");
    app.post(&path, &alice, json!({ "name": "payroll" }))
        .await
        .expect(201);
    for twin in ["ｐａｙｒｏｌｌ", "𝐩𝐚𝐲𝐫𝐨𝐥𝐥"] {
        app.post(&path, &alice, json!({ "name": twin }))
            .await
            .expect_error(409, "conflict");
    }
    // Look-alikes from other scripts, or digits for letters, are refused
    // against the existing name (UTS #39 skeletons) …
    for twin in ["\u{0440}\u{0430}yroll", "payro1l"] {
        app.post(&path, &alice, json!({ "name": twin }))
            .await
            .expect_error(409, "conflict");
    }
    // … also when renaming another channel, while distinct names pass.
    let other = app
        .post(&path, &alice, json!({ "name": "payroll-2" }))
        .await
        .expect(201);
    let other = format!("/api/v1/channels/{}", other["id"].as_str().expect("id"));
    app.put(&other, &alice, json!({ "name": "\u{0440}ayroll" }))
        .await
        .expect_error(409, "conflict");
    app.put(&other, &alice, json!({ "name": "payroll-2" }))
        .await
        .expect(200);
});

both!(ws_frames_with_unknown_fields_are_refused, |app| {
    let alice = app.user("wsuf").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let count = || app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM messages");
    let before = count().await;
    let mut a = app.ws(&alice).await;
    // A misspelt thread field must not post to the channel instead.
    a.send(json!({ "type": "MESSAGE", "payload": {
        "channel_id": ch, "content": "meant for a thread", "thread_root": "1" } }))
        .await;
    assert_eq!(a.next_of("ERROR").await["payload"]["code"], "bad_request");
    a.send(json!({ "type": "PING", "payload": null, "extra": true }))
        .await;
    assert_eq!(a.next_of("ERROR").await["payload"]["code"], "bad_request");
    a.send(json!({ "type": "PING" })).await;
    a.next_of("PONG").await;
    assert_eq!(count().await, before);
});

both!(
    the_auth_limit_applies_through_the_real_router,
    [("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "3")],
    |app| {
        let mut statuses = Vec::new();
        for i in 0..10 {
            let name = unique(&format!("lim{i}-"));
            let r = app
                .call(
                    reqwest::Method::POST,
                    "/api/v1/auth/register",
                    None,
                    Some(
                        json!({ "username": name, "email": format!("{name}@example.com"),
                                 "password": "correct horse battery" }),
                    ),
                )
                .await;
            statuses.push(r.status.as_u16());
            if r.status.as_u16() == 429 {
                assert_eq!(r.body["error"]["code"], "rate_limited");
                assert!(r.headers.contains_key("retry-after"));
            }
        }
        assert_eq!(&statuses[..3], &[201, 201, 201], "{statuses:?}");
        assert!(statuses[3..].iter().all(|&s| s == 429), "{statuses:?}");
        // Other routes keep their own, wider allowance.
        let h = app.call(reqwest::Method::GET, "/healthz", None, None).await;
        assert_eq!(h.status.as_u16(), 200);
    }
);

/// Reads until the server closes the connection (or `limit` passes).
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {} // a 408 or similar before the close is fine
        }
    }
}

both!(
    half_sent_requests_are_cut_off_and_capped_per_ip,
    [
        ("PARLEY_HEADER_READ_TIMEOUT", "1s"),
        ("PARLEY_MAX_CONNECTIONS_PER_IP", "20")
    ],
    |app| {
        use tokio::io::AsyncWriteExt;
        let addr = app.base.trim_start_matches("http://").to_owned();
        let half = || async {
            let mut s = tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect");
            s.write_all(b"GET /api/v1/users/me HTTP/1.1\r\nHost: parley\r\nX-Slow: ")
                .await
                .expect("write");
            s
        };
        // Twenty half-sent requests take every slot of this address …
        let mut held = Vec::new();
        for _ in 0..20 {
            held.push(half().await);
        }
        // … so the next connection is closed at once, unanswered.
        let mut extra = half().await;
        assert!(
            closed_within(&mut extra, std::time::Duration::from_millis(500)).await,
            "a 21st connection was kept"
        );
        // The header deadline closes the held ones (10 s is the test's
        // patience, not a speed target: without the timeout they stay).
        for s in &mut held {
            assert!(
                closed_within(s, std::time::Duration::from_secs(10)).await,
                "a half-sent request stayed open"
            );
        }
        // With the slots back, requests are served again.
        let mut ok = false;
        for _ in 0..50 {
            if app
                .call(reqwest::Method::GET, "/healthz", None, None)
                .await
                .status
                == 200
            {
                ok = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(ok, "the server did not recover");
    }
);

both!(push_endpoints_inside_the_network_are_refused, |app| {
    // A listener the server must never be made to call.
    let inside = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = inside.local_addr().expect("addr").port();
    let bob = app.user("ssrf").await;
    for host in [
        "127.1",
        "2130706433",
        "0x7f000001",
        "[::ffff:127.0.0.1]",
        "LOCALHOST.",
        "[fe80::1]",
        "100.64.0.1",
        "169.254.169.254",
        "[::1]",
    ] {
        let (_, _, sub) = crate::push::browser(&format!("https://{host}:{port}/push"));
        let r = app.post("/api/v1/push/subscriptions", &bob, sub).await;
        assert_eq!(r.status.as_u16(), 422, "{host}: {}", r.body);
        assert_eq!(r.body["error"]["code"], "validation_failed", "{host}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM push_subscriptions").await,
        0
    );
    let called = tokio::time::timeout(std::time::Duration::from_millis(300), inside.accept()).await;
    assert!(called.is_err(), "the server connected to 127.0.0.1");
});

/// One sign-in attempt from `client` (a loopback source address, so tests
/// can be several clients): the status and, when limited, Retry-After.
async fn sign_in(app: &TestApp, from: [u8; 4], login: &str, password: &str) -> u16 {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .expect("client");
    let res = client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .expect("sign-in request");
    let status = res.status().as_u16();
    if status == 429 {
        assert!(res.headers().contains_key("retry-after"));
    }
    status
}

const RIGHT: &str = "correct horse battery";
const HERE: [u8; 4] = [127, 0, 0, 1];
const ELSEWHERE: [u8; 4] = [127, 0, 0, 2];

both!(
    the_sign_in_guard_counts_the_account_not_the_typed_name,
    [("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "30")],
    |app| {
        let alice = app.user("guard").await;
        let email = format!("{}@example.com", alice.username);
        // Three free failures by username, one by e-mail: together they
        // earn a delay, so the next try by either name waits.
        for _ in 0..3 {
            assert_eq!(sign_in(&app, HERE, &alice.username, "wrong").await, 401);
        }
        assert_eq!(sign_in(&app, HERE, &email, "wrong").await, 401);
        assert_eq!(sign_in(&app, HERE, &alice.username, RIGHT).await, 429);
        assert_eq!(sign_in(&app, HERE, &email, RIGHT).await, 429);
    }
);

both!(
    nobody_can_lock_the_owner_out,
    [("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "30")],
    |app| {
        let alice = app.user("owner").await;
        // Ten wrong passwords from one address …
        let mut statuses = Vec::new();
        for _ in 0..10 {
            statuses.push(sign_in(&app, ELSEWHERE, &alice.username, "guess").await);
        }
        assert!(statuses.contains(&429), "{statuses:?}");
        // … hold that address back, not the owner signing in from hers.
        assert_eq!(sign_in(&app, HERE, &alice.username, RIGHT).await, 200);
        // Successes do not count: the owner signs in again and again.
        for _ in 0..12 {
            assert_eq!(sign_in(&app, HERE, &alice.username, RIGHT).await, 200);
        }
        // And after the first delay (1 s), the same address gets in too.
        let bob = app.user("owner2").await;
        for _ in 0..4 {
            assert_eq!(sign_in(&app, ELSEWHERE, &bob.username, "guess").await, 401);
        }
        assert_eq!(sign_in(&app, ELSEWHERE, &bob.username, RIGHT).await, 429);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(sign_in(&app, ELSEWHERE, &bob.username, RIGHT).await, 200);
    }
);

both!(
    the_documented_presence_subscription_limit_is_reachable,
    |app| {
        let alice = app.user("presub").await;
        let mut a = app.ws(&alice).await;
        // 1,000 ids of the real length (snowflakes are 19 digits).
        let ids: Vec<String> = (0..1000)
            .map(|i| (7_400_000_000_000_000_000u64 + i).to_string())
            .collect();
        let frame = json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": ids } });
        assert!(
            frame.to_string().len() > 16 * 1024,
            "the old cap would refuse it"
        );
        a.send(frame).await;
        a.send(json!({ "type": "PING" })).await;
        loop {
            let next = a.next().await;
            assert_ne!(next["type"], "ERROR", "{next}");
            if next["type"] == "PONG" {
                break;
            }
        }
        // One more is over the documented limit: an ERROR, not a close.
        let ids: Vec<String> = (0..1001)
            .map(|i| (7_400_000_000_000_000_000u64 + i).to_string())
            .collect();
        a.send(json!({ "type": "PRESENCE_SUBSCRIBE", "payload": { "user_ids": ids } }))
            .await;
        assert_eq!(
            a.next_of("ERROR").await["payload"]["code"],
            "validation_failed"
        );
        a.send(json!({ "type": "PING" })).await;
        a.next_of("PONG").await;
    }
);

// What schemathesis (scripts/api-fuzz) found against the OpenAPI document.

// A request struct was filled from a JSON array of its fields in order
// (`[null, null]` → every field absent): a 200 for a body that is not an
// object. A multipart route without a multipart body answered in plain text.
both!(
    bodies_that_are_not_objects_or_forms_are_refused_as_json,
    |app| {
        let alice = app.user("shape").await;
        let client = reqwest::Client::new();
        let send = |method: reqwest::Method, path: &str, ct: Option<&str>, body: &str| {
            let mut req = client
                .request(method, format!("{}{path}", app.base))
                .bearer_auth(&alice.token)
                .body(body.to_owned());
            if let Some(ct) = ct {
                req = req.header("content-type", ct);
            }
            req.send()
        };
        let me = format!("/api/v1/users/{}", alice.id);
        for body in ["[null, null]", " [\"x\"]", "null", "1"] {
            let res = send(reqwest::Method::PUT, &me, Some("application/json"), body)
                .await
                .expect("put");
            assert_eq!(res.status(), 400, "{body}");
            let err: serde_json::Value = res.json().await.expect("JSON error");
            assert_eq!(err["error"]["code"], "bad_request", "{body}: {err}");
        }
        app.put(&me, &alice, json!({ "display_name": "Still Alice" }))
            .await
            .expect(200);
        for (ct, status, code) in [
            (None, 415, "unsupported_media_type"),
            (Some("text/plain"), 415, "unsupported_media_type"),
            (Some("multipart/form-data"), 400, "bad_request"),
        ] {
            for (method, path) in [
                (reqwest::Method::POST, "/api/v1/files"),
                (reqwest::Method::PUT, "/api/v1/users/me/avatar"),
            ] {
                let res = send(method, path, ct, "x").await.expect("upload");
                assert_eq!(res.status(), status, "{path} {ct:?}");
                let err: serde_json::Value = res.json().await.expect("JSON error");
                assert_eq!(err["error"]["code"], code, "{path} {ct:?}: {err}");
            }
        }
    }
);

// The document listed every query parameter as a required path parameter,
// said 302 where the server redirects with 303 (files) and 307 (avatars),
// and left out the 200 of a retried reply or DM send.
both!(the_openapi_document_matches_the_responses, |app| {
    let doc = app
        .call(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("name");
                if p["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name}"
                    );
                }
            }
        }
    }
    let param = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{path}: no {name}"))
    };
    let limit = param("/api/v1/channels/{channel_id}/messages", "limit");
    assert_eq!(limit["in"], "query");
    assert_ne!(limit["required"], true);
    assert_eq!(limit["schema"]["maximum"], 100);
    assert_eq!(param("/api/v1/messages/search", "q")["in"], "query");
    let responses = |method: &str, path: &str| doc["paths"][path][method]["responses"].clone();
    for path in [
        "/api/v1/files/{id}/download",
        "/api/v1/files/{id}/thumbnail",
    ] {
        assert!(responses("get", path)["303"].is_object(), "{path}");
    }
    assert!(responses("get", "/api/v1/users/{id}/avatar")["307"].is_object());
    for path in ["/api/v1/messages/{id}/thread", "/api/v1/dm/{id}/messages"] {
        assert!(responses("post", path)["200"].is_object(), "{path}");
    }

    // And the server does what the document now says.
    let alice = app.user("docs").await;
    let ws = app.workspace(&alice).await;
    let c = app.channel(&ws, &alice, "public", &[]).await;
    let root = app.send(&c, &alice, "root").await;
    let thread = format!(
        "/api/v1/messages/{}/thread",
        root["id"].as_str().expect("id")
    );
    let reply = json!({ "content": "once", "nonce": "reply-1" });
    app.post(&thread, &alice, reply.clone()).await.expect(201);
    app.post(&thread, &alice, reply).await.expect(200);
    let history = format!("/api/v1/channels/{c}/messages?limit=101");
    app.get(&history, &alice)
        .await
        .expect_error(422, "validation_failed");
});
