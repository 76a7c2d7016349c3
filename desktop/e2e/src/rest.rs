//! The REST API as a second person (and a test's setup) uses it.
//!
//! What must stay true: a call that does not succeed fails the test with
//! its path, status and body; nothing is retried behind the test's back
//! except where a helper says it polls.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::webdriver::SECS20;

/// A client of one server's `/api/v1`.
pub struct Rest {
    /// The HTTP client (the benchmark posts through it in parallel).
    pub http: reqwest::Client,
    /// The server's address, `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Rest {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Rest {
        Rest {
            http: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    /// Polls the channel's latest messages, as `token`'s user reads them,
    /// until one contains `text` (for 20 s); returns it.
    pub async fn message_with(&self, token: &str, channel: &str, text: &str) -> Value {
        let start = Instant::now();
        loop {
            let page = self
                .call(
                    "GET",
                    &format!("/channels/{channel}/messages?limit=10"),
                    Some(token),
                    Value::Null,
                )
                .await;
            let found = page["messages"].as_array().and_then(|a| {
                a.iter()
                    .find(|m| m["content"].as_str().is_some_and(|c| c.contains(text)))
            });
            if let Some(m) = found {
                return m.clone();
            }
            assert!(start.elapsed() < SECS20, "never read {text:?}: {page}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `method path` with a JSON `body`, as `token`'s user; the response.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
        let url = format!("{}/api/v1{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, &url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Uploads `bytes` as `name` (for a message's `file_ids`); its id.
    pub async fn upload(&self, token: &str, name: &str, bytes: &[u8]) -> String {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
        let resp = self
            .http
            .post(format!("{}/api/v1/files", self.base))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("upload sent");
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "upload {name}: {status} {v}");
        v["id"].as_str().expect("file id").to_owned()
    }

    /// A workspace named `name` that `owner` creates and `guest` joins
    /// through an invite (both are tokens); its id.
    pub async fn shared_workspace(&self, owner: &str, guest: &str, name: &str) -> String {
        let ws = self
            .call("POST", "/workspaces", Some(owner), json!({"name": name}))
            .await;
        let id = ws["id"].as_str().expect("workspace id").to_owned();
        self.join_workspace(owner, guest, &id).await;
        id
    }

    /// `guest` joins the workspace `id` through an invite `owner` makes
    /// (both are tokens).
    pub async fn join_workspace(&self, owner: &str, guest: &str, id: &str) {
        let invite = self
            .call(
                "POST",
                &format!("/workspaces/{id}/invites"),
                Some(owner),
                json!({}),
            )
            .await;
        let code = invite["code"].as_str().expect("invite code");
        self.call(
            "POST",
            &format!("/invites/{code}/accept"),
            Some(guest),
            json!({}),
        )
        .await;
    }

    /// Signs `user` up as `name` (password "correct horse battery"); the
    /// whole answer (tokens, expiry, the user).
    pub async fn register_session(&self, user: &str, name: &str) -> Value {
        self.call(
            "POST",
            "/auth/register",
            None,
            json!({"username": user, "email": format!("{user}@example.com"),
                   "password": "correct horse battery", "display_name": name}),
        )
        .await
    }

    /// Signs `user` up (password "correct horse battery"); (token, user id).
    pub async fn register(&self, user: &str) -> (String, String) {
        let v = self.register_session(user, user).await;
        let token = v["access_token"].as_str().expect("token").to_owned();
        let id = v["user"]["id"].as_str().expect("user id").to_owned();
        (token, id)
    }
}
