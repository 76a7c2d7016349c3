//! Web Push end to end: a browser's subscription (keys made here, as a
//! browser would), a receiving push service on loopback, and the payload
//! decrypted with the browser's private key.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::{p256, Auth};

use crate::helpers::*;

type Received = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

/// A push service: records every delivery; `/push/gone` answers 410.
async fn push_service() -> (String, Received) {
    let got: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/push/{id}",
            post(
                |State(got): State<Received>,
                 Path(id): Path<String>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    got.lock()
                        .expect("lock")
                        .push((id.clone(), headers, body.to_vec()));
                    if id == "gone" {
                        StatusCode::GONE
                    } else {
                        StatusCode::CREATED
                    }
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, got)
}

/// A browser's push keys: (private key, auth secret, subscription JSON).
pub(crate) fn browser(endpoint: &str) -> (p256::SecretKey, [u8; 16], Value) {
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let mut auth = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut auth);
    let public = secret.public_key().to_encoded_point(false);
    let sub = json!({
        "endpoint": endpoint,
        "expirationTime": null,
        "keys": {
            "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()),
            "auth": URL_SAFE_NO_PAD.encode(auth),
        }
    });
    (secret, auth, sub)
}

async fn wait_deliveries(got: &Received, n: usize) -> Vec<(String, HeaderMap, Vec<u8>)> {
    for _ in 0..100 {
        if got.lock().expect("lock").len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got.lock().expect("lock").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_people_get_encrypted_pushes() {
    let (service, got) = push_service().await;
    let app = spawn_sqlite(&[("PARLEY_PUSH_ALLOW_INSECURE", "true")])
        .await
        .expect("app");
    let alice = app.user("pa").await;
    let bob = app.user("pb").await;
    let carol = app.user("pc").await;
    let ws = app.workspace(&alice).await;
    app.join(&ws, &alice, &bob).await;
    app.join(&ws, &alice, &carol).await;
    let ch = app.channel(&ws, &alice, "public", &[&bob, &carol]).await;

    let vapid = app.get("/api/v1/push/vapid-key", &bob).await.expect(200);
    let vapid_key = vapid["public_key"].as_str().expect("key").to_owned();
    let raw = URL_SAFE_NO_PAD.decode(&vapid_key).expect("base64url");
    assert_eq!((raw.len(), raw[0]), (65, 4), "an uncompressed P-256 point");

    let (secret, auth, sub) = browser(&format!("{service}/push/bob"));
    app.post("/api/v1/push/subscriptions", &bob, sub)
        .await
        .expect(204);
    // Bad keys are refused.
    let (_, _, mut bad) = browser(&format!("{service}/push/x"));
    bad["keys"]["auth"] = json!("c2hvcnQ");
    app.post("/api/v1/push/subscriptions", &bob, bad)
        .await
        .expect_error(422, "validation_failed");

    // Bob has no open session: a mention reaches him as a push.
    let sent = app
        .send(
            &ch,
            &alice,
            &format!("@{} the release is ready", bob.username),
        )
        .await;
    let deliveries = wait_deliveries(&got, 1).await;
    assert_eq!(deliveries.len(), 1, "one push");
    let (id, headers, body) = &deliveries[0];
    assert_eq!(id, "bob");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    let vapid_header = headers["authorization"].to_str().expect("authorization");
    assert!(vapid_header.starts_with("vapid t="), "{vapid_header}");
    assert!(
        vapid_header.contains(&format!("k={vapid_key}")),
        "{vapid_header}"
    );
    let clear = web_push_native::decrypt(body.clone(), &secret, &Auth::clone_from_slice(&auth))
        .expect("the browser can decrypt it");
    let payload: Value = serde_json::from_slice(&clear).expect("json");
    assert!(
        payload["title"]
            .as_str()
            .expect("title")
            .contains("mentioned you"),
        "{payload}"
    );
    assert_eq!(
        payload["body"],
        format!("@{} the release is ready", bob.username)
    );
    assert_eq!(
        payload["url"],
        format!("/c/{ch}?message={}", sent["id"].as_str().expect("id"))
    );

    // Online, Bob gets the NOTIFICATION frame instead, and no push.
    let mut bob_ws = app.ws(&bob).await;
    app.send(&ch, &alice, &format!("@{} again", bob.username))
        .await;
    bob_ws.next_of("NOTIFICATION").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        got.lock().expect("lock").len(),
        1,
        "no push while connected"
    );

    // A subscription the push service says is gone is dropped.
    let (_, _, gone) = browser(&format!("{service}/push/gone"));
    app.post("/api/v1/push/subscriptions", &carol, gone)
        .await
        .expect(204);
    app.send(&ch, &alice, &format!("@{} hello", carol.username))
        .await;
    wait_deliveries(&got, 2).await;
    for _ in 0..50 {
        if app.count("SELECT COUNT(*) FROM push_subscriptions").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM push_subscriptions").await,
        1
    );
    app.settle().await;

    // Unsubscribing.
    let endpoint = format!("{service}/push/bob");
    let path = format!(
        "/api/v1/push/subscriptions?endpoint={}",
        url_encode(&endpoint)
    );
    app.delete(&path, &bob).await.expect(204);
    app.delete(&path, &bob).await.expect_error(404, "not_found");
}

/// The push's title, decrypted as the browser would.
fn title_of(delivery: &[u8], secret: &p256::SecretKey, auth: &[u8; 16]) -> String {
    let clear = web_push_native::decrypt(delivery.to_vec(), secret, &Auth::clone_from_slice(auth))
        .expect("the browser can decrypt it");
    let payload: Value = serde_json::from_slice(&clear).expect("json");
    payload["title"].as_str().expect("title").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_from_a_dm_name_the_people_not_a_channel() {
    let (service, got) = push_service().await;
    let app = spawn_sqlite(&[("PARLEY_PUSH_ALLOW_INSECURE", "true")])
        .await
        .expect("app");
    let ann = app.user("Ann").await;
    let bob = app.user("Bob").await;
    let cid = app.user("Cid").await;
    let ws = app.workspace(&ann).await;
    app.join(&ws, &ann, &bob).await;
    app.join(&ws, &ann, &cid).await;
    let (secret, auth, sub) = browser(&format!("{service}/push/bob"));
    app.post("/api/v1/push/subscriptions", &bob, sub)
        .await
        .expect(204);

    let dm = app
        .post("/api/v1/dm", &ann, json!({ "user_ids": [bob.id] }))
        .await
        .expect(200);
    let group = app
        .post("/api/v1/dm", &ann, json!({ "user_ids": [bob.id, cid.id] }))
        .await
        .expect(200);
    let say = |dm: &Value, text: String| {
        let path = format!("/api/v1/dm/{}/messages", dm["id"].as_str().expect("id"));
        let ann = &ann;
        let app = &app;
        async move {
            app.post(&path, ann, json!({ "content": text }))
                .await
                .expect(201)
        }
    };

    // A mention inside a one-to-one DM is titled as the DM it is.
    say(&dm, format!("@{} look", bob.username)).await;
    let first = wait_deliveries(&got, 1).await;
    assert_eq!(first.len(), 1, "one push");
    assert_eq!(title_of(&first[0].2, &secret, &auth), "Ann");

    // A group DM is named by the others in it, never as "#<internal name>".
    say(&group, format!("@{} and all", bob.username)).await;
    let both = wait_deliveries(&got, 2).await;
    assert_eq!(both.len(), 2, "a second push");
    assert_eq!(title_of(&both[1].2, &secret, &auth), "Ann in Ann, Cid");
    say(&group, "lunch?".to_owned()).await;
    let all = wait_deliveries(&got, 3).await;
    assert_eq!(all.len(), 3, "a third push");
    assert_eq!(title_of(&all[2].2, &secret, &auth), "Ann in Ann, Cid");
}
