//! The REST client: JSON requests with a user's token, raw bodies, uploads
//! and plain fetches, and readers for their responses.
//!
//! What must stay true: a response body is JSON or empty (anything else
//! fails the test), and `expect`/`expect_error` report the body on failure.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{TestApp, TestUser};

/// A response: status and JSON body (`Value::Null` when there is none).
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Res {
    /// Status, headers and JSON body (`Null` when empty) of a response.
    async fn read(res: reqwest::Response) -> Res {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("non-JSON body ({status}): {text}"))
        };
        Res {
            status,
            body,
            headers,
        }
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts an error response with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.body);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without message: {}",
            self.body
        );
    }
}

/// Percent-encodes everything but unreserved characters (for query values).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl TestApp {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Res::read(req.send().await.expect("request")).await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Res {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Res::read(req.send().await.expect("request")).await
    }

    /// Uploads `bytes` as the multipart field `file`.
    pub async fn upload(
        &self,
        path: &str,
        user: &TestUser,
        name: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Res {
        let mut part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        if let Some(ct) = content_type {
            part = part.mime_str(ct).expect("mime");
        }
        let form = reqwest::multipart::Form::new().part("file", part);
        let method = if path.ends_with("/avatar") {
            Method::PUT
        } else {
            Method::POST
        };
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&user.token)
            .multipart(form);
        Res::read(req.send().await.expect("upload")).await
    }

    /// GETs a URL (absolute, or a path on this app) without following
    /// redirects: (status, headers, bytes).
    pub async fn fetch(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut req = client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("fetch");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("bytes").to_vec();
        (status, headers, bytes)
    }

    pub async fn get(&self, path: &str, user: &TestUser) -> Res {
        self.call(Method::GET, path, Some(&user.token), None).await
    }

    pub async fn post(&self, path: &str, user: &TestUser, body: Value) -> Res {
        self.call(Method::POST, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, user: &TestUser, body: Value) -> Res {
        self.call(Method::PUT, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, user: &TestUser) -> Res {
        self.call(Method::DELETE, path, Some(&user.token), None)
            .await
    }
}

pub fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_owned())
        .collect()
}

pub fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect()
}
