//! The web UI fallback: deep links get index.html, hashed assets are cached
//! forever, unknown API paths keep their JSON 404, and a missing build says
//! how to make one.

use crate::both;

/// A fake build: index.html plus one hashed asset (and its gzip twin).
fn fake_dist() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "parley-web-{}-{}",
        std::process::id(),
        crate::helpers::unique("d")
    ));
    std::fs::create_dir_all(dir.join("assets")).expect("mkdir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><div id=\"app\">PARLEY-INDEX</div>",
    )
    .expect("write index");
    std::fs::write(
        dir.join("assets/parley_ui-0123abcd.js"),
        "export default 1;\n",
    )
    .expect("write asset");
    std::fs::write(
        dir.join("sw.js"),
        "self.addEventListener('push', () => {});\n",
    )
    .expect("write service worker");
    dir
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("accept-encoding", "identity")
        .send()
        .await
        .expect("request")
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

both!(serves_the_ui_with_spa_fallback_and_cache_headers, |app| {
    let dir = fake_dist();
    let base = crate::helpers::start_node(
        &std::env::temp_dir().join(crate::helpers::unique("parley-web-data-")),
        &app.database_url,
        &[("PARLEY_WEB_DIR", dir.to_str().expect("utf-8 path"))],
    )
    .await;

    for path in ["/", "/c/123", "/invite/abc", "/login"] {
        let res = get(&format!("{base}{path}")).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "cache-control"), "no-cache", "{path}");
        assert!(header(&res, "content-type").starts_with("text/html"));
        let csp = header(&res, "content-security-policy");
        // The UI's policy: its own scripts and wasm, never inline or eval.
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(!csp.contains(" 'unsafe-eval'"), "{csp}");
        assert!(
            res.text().await.expect("body").contains("PARLEY-INDEX"),
            "{path}"
        );
    }

    let res = get(&format!("{base}/assets/parley_ui-0123abcd.js")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&res, "content-type").contains("javascript"));
    assert_eq!(res.text().await.expect("body"), "export default 1;\n");

    // The service worker keeps its root URL and is revalidated each time.
    let res = get(&format!("{base}/sw.js")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "cache-control"), "no-cache");
    let ct = header(&res, "content-type");
    assert!(
        ct.contains("javascript"),
        "{ct}: {}",
        res.text().await.unwrap_or_default()
    );
    // Dot-files and paths outside the directory are never served.
    for path in ["/.stamp", "/..%2fCargo.toml", "/assets/../index.html"] {
        let res = get(&format!("{base}{path}")).await;
        let body = res.text().await.expect("body");
        assert!(
            body.contains("PARLEY-INDEX") || body.is_empty(),
            "{path}: {body}"
        );
    }

    let res = get(&format!("{base}/assets/parley_ui-gone.js")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(header(&res, "cache-control"), "no-store");

    // The API keeps its JSON errors.
    let res = get(&format!("{base}/api/v1/no/such/route")).await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    let res = get(&format!("{base}/api")).await;
    assert_eq!(res.status(), 404);
    assert!(header(&res, "content-type").starts_with("application/json"));
    // The API's own deny-all CSP stays on API answers.
    let res = get(&format!("{base}/healthz")).await;
    assert_eq!(
        header(&res, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );

    let res = reqwest::Client::new()
        .post(format!("{base}/c/123"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 405);
    let _ = std::fs::remove_dir_all(&dir);
});

both!(without_a_build_the_root_explains_how_to_make_one, |app| {
    let missing = std::env::temp_dir().join(crate::helpers::unique("parley-no-ui-"));
    let base = crate::helpers::start_node(
        &std::env::temp_dir().join(crate::helpers::unique("parley-web-data-")),
        &app.database_url,
        &[("PARLEY_WEB_DIR", missing.to_str().expect("utf-8 path"))],
    )
    .await;
    let res = get(&format!("{base}/")).await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "content-type").starts_with("text/html"));
    assert!(res.text().await.expect("body").contains("scripts/build-ui"));
    let res = get(&format!("{base}/api/v1/nope")).await;
    assert_eq!(res.status(), 404);
});
