use reqwest::Method;

use crate::both;

both!(health_ready_and_request_ids, |app| {
    let h = app.call(Method::GET, "/healthz", None, None).await;
    assert!(h.headers.get("x-request-id").is_some_and(|v| !v.is_empty()));
    assert_eq!(h.expect(200)["status"], "ok");
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None)
            .await
            .expect(200)["status"],
        "ready"
    );
    let a = app.call(Method::GET, "/healthz", None, None).await.headers["x-request-id"].clone();
    let b = app.call(Method::GET, "/healthz", None, None).await.headers["x-request-id"].clone();
    assert_ne!(a, b);
});

both!(unknown_routes_and_methods_answer_json, |app| {
    app.call(Method::GET, "/api/v1/nothing-here", None, None)
        .await
        .expect_error(404, "not_found");
    app.call(Method::PATCH, "/api/v1/workspaces", None, None)
        .await
        .expect_error(405, "method_not_allowed");
    app.call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await
        .expect_error(405, "method_not_allowed");
});

both!(openapi_documents_every_route, |app| {
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    // Every route the router serves, with its methods (kept in step with api/mod.rs).
    let routes: &[(&str, &[&str])] = &[
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/api/v1/auth/register", &["post"]),
        ("/api/v1/auth/login", &["post"]),
        ("/api/v1/auth/refresh", &["post"]),
        ("/api/v1/auth/logout", &["post"]),
        ("/api/v1/users/me", &["get"]),
        ("/api/v1/users/me/mentions", &["get"]),
        ("/api/v1/users/me/preferences", &["get", "put"]),
        ("/api/v1/users/me/preferences/channels/{id}", &["put"]),
        ("/api/v1/users/{id}", &["get", "put"]),
        ("/api/v1/users/{id}/status", &["put"]),
        ("/api/v1/users/{id}/presence", &["get"]),
        ("/api/v1/ws", &["get"]),
        ("/api/v1/workspaces", &["get", "post"]),
        ("/api/v1/workspaces/{id}", &["get", "put"]),
        ("/api/v1/workspaces/{id}/members", &["get"]),
        (
            "/api/v1/workspaces/{id}/members/{user_id}",
            &["put", "delete"],
        ),
        ("/api/v1/workspaces/{id}/invites", &["get", "post"]),
        ("/api/v1/workspaces/{id}/invites/{invite_id}", &["delete"]),
        ("/api/v1/invites/{code}", &["get"]),
        ("/api/v1/invites/{code}/accept", &["post"]),
        (
            "/api/v1/workspaces/{workspace_id}/channels",
            &["get", "post"],
        ),
        ("/api/v1/channels/{id}", &["get", "put", "delete"]),
        ("/api/v1/channels/{id}/members", &["get", "post"]),
        ("/api/v1/channels/{id}/members/{user_id}", &["delete"]),
        ("/api/v1/channels/{id}/leave", &["post"]),
        ("/api/v1/channels/{id}/read", &["post"]),
        ("/api/v1/channels/{channel_id}/messages", &["get", "post"]),
        ("/api/v1/channels/{id}/pins", &["get"]),
        ("/api/v1/messages/search", &["get"]),
        ("/api/v1/messages/{id}", &["put", "delete"]),
        ("/api/v1/messages/{id}/reactions", &["post"]),
        ("/api/v1/messages/{id}/reactions/{emoji}", &["delete"]),
        ("/api/v1/messages/{id}/pin", &["post", "delete"]),
        ("/api/v1/messages/{id}/thread", &["get", "post"]),
        ("/api/v1/dm", &["get", "post"]),
        ("/api/v1/dm/{id}/messages", &["get", "post"]),
        ("/api/v1/files", &["post"]),
        ("/api/v1/files/{id}", &["get"]),
        ("/api/v1/files/{id}/link", &["get"]),
        ("/api/v1/files/{id}/download", &["get"]),
        ("/api/v1/files/{id}/thumbnail", &["get"]),
        ("/api/v1/files/{id}/content", &["get"]),
        ("/api/v1/users/me/avatar", &["put", "delete"]),
        ("/api/v1/users/{id}/avatar", &["get"]),
        ("/api/v1/push/vapid-key", &["get"]),
        ("/api/v1/push/subscriptions", &["post", "delete"]),
        ("/api/v1/calls/ice-servers", &["get"]),
    ];
    for (path, methods) in routes {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for m in *methods {
            assert!(
                item.get(*m).is_some(),
                "{m} {path} missing from the OpenAPI document"
            );
        }
    }
    assert_eq!(
        paths.len(),
        routes.len(),
        "documented paths: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    assert!(doc["components"]["schemas"]["Message"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    // The document matches what the server does: a route listed there answers.
    let alice = app.user("doc").await;
    app.get("/api/v1/workspaces", &alice).await.expect(200);
});

both!(metrics_count_what_happens, |app| {
    let alice = app.user("met").await;
    let ws = app.workspace(&alice).await;
    let ch = app.channel(&ws, &alice, "public", &[]).await;
    let mut sock = app.ws(&alice).await;
    app.send(&ch, &alice, "counted").await;
    sock.next_of("MESSAGE").await;
    let res = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{prefix} missing from:\n{text}"))
    };
    assert_eq!(value("parley_messages_total "), 1.0);
    assert_eq!(value("parley_ws_connections "), 1.0);
    assert_eq!(value("parley_ws_connects_total{result=\"ok\"}"), 1.0);
    assert!(value("parley_events_delivered_total ") >= 1.0);
    assert!(value("parley_delivery_latency_seconds_count ") >= 1.0);
    assert_eq!(
        value("parley_http_requests_total{method=\"POST\",route=\"/api/v1/channels/{id}/messages\",status=\"201\"}"),
        1.0
    );
    assert!(text.contains("parley_http_request_duration_seconds_bucket"));
    assert!(text.contains("parley_db_pool_connections{pool="));
    assert!(text.contains("parley_jobs{state=\"waiting\"} 0"), "{text}");
    assert_eq!(value("parley_ws_active_users "), 1.0);
    // Her connection follows #general and the new channel: two channels
    // with one connection each.
    assert_eq!(
        value("parley_channels_by_active_connections{size=\"1\"}"),
        2.0
    );
    // No raw ids in labels: cardinality stays bounded.
    assert!(!text.contains(&ch), "a channel id leaked into a label");
});

both!(
    rate_limits_answer_429_with_retry_after,
    [
        ("PARLEY_RATE_LIMIT_PER_MIN", "40"),
        ("PARLEY_AUTH_RATE_LIMIT_PER_MIN", "12")
    ],
    |app| {
        let alice = app.user("lim").await;
        // Sign-in attempts on one account are capped (brute-force guard) …
        let mut last = None;
        for _ in 0..8 {
            let r = app
            .call(reqwest::Method::POST, "/api/v1/auth/login", None,
                Some(serde_json::json!({ "login": alice.username, "password": "wrong password" })))
            .await;
            last = Some(r);
        }
        let r = last.unwrap();
        assert_eq!(r.status.as_u16(), 429, "{}", r.body);
        assert_eq!(r.body["error"]["code"], "rate_limited");
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry));
        // … and so are requests per minute.
        let mut statuses = Vec::new();
        for _ in 0..45 {
            statuses.push(app.get("/api/v1/users/me", &alice).await.status.as_u16());
        }
        assert!(statuses.contains(&200));
        assert_eq!(*statuses.last().unwrap(), 429);
        // Health checks are never limited.
        let h = app.call(reqwest::Method::GET, "/healthz", None, None).await;
        assert_eq!(h.status.as_u16(), 200);
    }
);

both!(
    cors_allow_list_and_security_headers,
    [("PARLEY_CORS_ORIGINS", "https://chat.example.com")],
    |app| {
        let client = reqwest::Client::new();
        let preflight = |origin: &'static str| {
            client
                .request(
                    reqwest::Method::OPTIONS,
                    format!("{}/api/v1/workspaces", app.base),
                )
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                )
                .send()
        };
        let ok = preflight("https://chat.example.com").await.unwrap();
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "https://chat.example.com"
        );
        // The desktop app's origins need no configuration.
        for desktop in ["tauri://localhost", "http://tauri.localhost"] {
            let ok = preflight(desktop).await.unwrap();
            assert_eq!(ok.headers()["access-control-allow-origin"], desktop);
        }
        let evil = preflight("https://evil.example").await.unwrap();
        assert!(evil.headers().get("access-control-allow-origin").is_none());

        let res = client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        assert!(res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
    }
);

/// HTTPS and WSS with a certificate made for the test (openssl CLI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_and_wss() {
    use rustls_pki_types::pem::PemObject;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;

    let dir = std::env::temp_dir().join(format!("parley-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, ca) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("ca.pem"),
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .current_dir(&dir)
            .args(args)
            .output()
            .expect("openssl (apt-get install -y openssl)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // A throwaway CA, and a certificate for localhost signed by it.
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Parley test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let app = crate::helpers::spawn_app_with(
        crate::helpers::Backend::Sqlite,
        &[
            ("PARLEY_TLS_CERT", c.as_str()),
            ("PARLEY_TLS_KEY", k.as_str()),
        ],
    )
    .await
    .unwrap();
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();

    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(&ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();

    // HTTPS.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(name.clone(), tcp).await.unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""));

    // Plain HTTP to the TLS port gets nowhere.
    let plain = reqwest::get(format!("http://{addr}/healthz")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // WSS: sign up over HTTPS is what a client would do; here we register
    // through a TLS stream too, then speak the protocol.
    let body =
        r#"{"username":"tlsuser","email":"tls@example.com","password":"correct horse battery"}"#;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(name.clone(), tcp).await.unwrap();
    let req = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let json: serde_json::Value =
        serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let token = json["access_token"].as_str().unwrap().to_owned();

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async("wss://localhost/api/v1/ws", tls)
        .await
        .unwrap();
    use futures_util::{SinkExt, StreamExt};
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        serde_json::json!({ "type": "AUTH", "payload": { "token": token } }).to_string(),
    ))
    .await
    .unwrap();
    let hello = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(hello.as_str().contains("\"HELLO\""), "{hello}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A port already taken stops start-up with a message that says which port
/// and what to change, not a bare OS error.
#[tokio::test]
async fn a_taken_port_is_named_at_start_up() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = std::env::temp_dir().join(format!("parley-port-{}", std::process::id()));
    let env = [
        ("PARLEY_PORT", port.clone()),
        ("PARLEY_DATA_DIR", dir.display().to_string()),
        ("PARLEY_JWT_SECRET", "x".repeat(32)),
    ];
    let config = parley_server::config::Config::from_lookup(|k| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let err = match parley_server::build(config).await {
        Ok(_) => panic!("started on a taken port"),
        Err(e) => format!("{e:#}"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")) && err.contains("PARLEY_PORT"),
        "{err}"
    );
}
