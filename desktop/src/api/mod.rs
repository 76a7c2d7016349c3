//! The one REST client: typed requests and answers from `parley-shared`,
//! bearer tokens kept through the [`Platform`], and a silent token refresh.
//!
//! Refresh tokens are single use and a reused one revokes the whole sign-in,
//! so refreshes are serialized: only one is ever in flight, and a request
//! that failed with an old token just retries with the new one.
//!
//! The routes themselves are in [`endpoints`] (one method per route); the
//! generic `get`/`post`/`put`/`call` stay private to this module so no
//! other file writes a REST path.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use parley_shared::api::{AuthResponse, RefreshRequest};
use parley_shared::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::platform::SharedPlatform;

mod endpoints;

pub use endpoints::{HistoryPage, UploadRoute};

pub(crate) const TOKENS_KEY: &str = "parley.tokens";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    /// When the access token expires (ms since the epoch).
    pub expires_at: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// 0 when the server could not be reached at all.
    pub status: u16,
    pub code: Option<ErrorCode>,
    pub message: String,
}

impl ApiError {
    fn network() -> Self {
        ApiError {
            status: 0,
            code: None,
            message: "Can't reach the server. Check your connection and try again.".into(),
        }
    }

    /// For inline form errors: the field the server named, if any
    /// (`validation_failed` messages start with `field: `).
    pub fn field(&self) -> Option<&str> {
        (self.code == Some(ErrorCode::ValidationFailed))
            .then(|| self.message.split_once(": ").map(|(f, _)| f))
            .flatten()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Turns an error response body into an [`ApiError`]; pure, so tested on the host.
pub fn error_from(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(b) => ApiError {
            status,
            code: Some(b.error.code),
            message: b.error.message,
        },
        Err(_) => ApiError {
            status,
            code: None,
            message: format!("The server answered {status}. Please try again."),
        },
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

struct Inner {
    base: String,
    platform: SharedPlatform,
    tokens: RefCell<Option<Tokens>>,
    refreshing: Cell<bool>,
    /// Told when the sign-in is gone (refresh refused): back to the login.
    on_signed_out: RefCell<Option<Rc<dyn Fn()>>>,
}

#[derive(Clone)]
pub struct Api(Rc<Inner>);

impl PartialEq for Api {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Api {
    /// `base` is the server origin ("" = the page's own origin).
    pub fn new(base: String, platform: SharedPlatform) -> Api {
        let tokens = platform
            .load(TOKENS_KEY)
            .and_then(|t| serde_json::from_str(&t).ok());
        Api(Rc::new(Inner {
            base,
            platform,
            tokens: RefCell::new(tokens),
            refreshing: Cell::new(false),
            on_signed_out: RefCell::new(None),
        }))
    }

    pub fn platform(&self) -> &SharedPlatform {
        &self.0.platform
    }

    pub fn on_signed_out(&self, f: Rc<dyn Fn()>) {
        *self.0.on_signed_out.borrow_mut() = Some(f);
    }

    pub fn has_session(&self) -> bool {
        self.0.tokens.borrow().is_some()
    }

    pub fn set_session(&self, auth: &AuthResponse) {
        let t = Tokens {
            access: auth.access_token.clone(),
            refresh: auth.refresh_token.clone(),
            expires_at: now_ms() + auth.expires_in as f64 * 1000.0,
        };
        if let Ok(json) = serde_json::to_string(&t) {
            self.0.platform.save(TOKENS_KEY, &json);
        }
        *self.0.tokens.borrow_mut() = Some(t);
    }

    pub fn clear_session(&self) {
        self.0.platform.remove(TOKENS_KEY);
        *self.0.tokens.borrow_mut() = None;
    }

    /// The absolute or origin-relative URL of an API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.0.base)
    }

    /// The storage key for `what` of account `me` on this server (drafts,
    /// the outbox): another account, or the same id on another server,
    /// never reads it.
    pub fn account_key(&self, what: &str, me: parley_shared::UserId) -> String {
        format!("parley.{what}.{me}@{}", self.url(""))
    }

    /// A URL the server gave (an avatar, a file link) made usable from the
    /// page: the server writes its own URLs origin-relative (`/api/v1/…`),
    /// which the desktop app's page (on `tauri://localhost`) would resolve
    /// against itself.
    pub fn resolve(&self, url: &str) -> String {
        if url.starts_with('/') && !url.starts_with("//") {
            format!("{}{url}", self.0.base)
        } else {
            url.to_owned()
        }
    }

    /// The WebSocket URL on the same server.
    pub fn ws_url(&self) -> String {
        let origin = if self.0.base.is_empty() {
            web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default()
        } else {
            self.0.base.clone()
        };
        let ws = origin
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{ws}/api/v1/ws")
    }

    /// A valid access token, refreshing first when it is about to expire.
    pub async fn access_token(&self) -> Option<String> {
        let soon = {
            let t = self.0.tokens.borrow();
            let t = t.as_ref()?;
            t.expires_at - now_ms() < 60_000.0
        };
        if soon {
            let old = self.0.tokens.borrow().as_ref().map(|t| t.access.clone());
            self.refresh(old.as_deref()).await;
        }
        self.0.tokens.borrow().as_ref().map(|t| t.access.clone())
    }

    /// Refreshes once, however many callers ask at the same time. `seen` is
    /// the access token the caller found stale: if it has already been
    /// replaced, there is nothing to do.
    async fn refresh(&self, seen: Option<&str>) -> bool {
        while self.0.refreshing.get() {
            gloo_timers::future::TimeoutFuture::new(50).await;
        }
        // Another tab may have refreshed: its tokens are in storage.
        if let Some(stored) = self
            .0
            .platform
            .load(TOKENS_KEY)
            .and_then(|t| serde_json::from_str::<Tokens>(&t).ok())
        {
            let differs = self.0.tokens.borrow().as_ref() != Some(&stored);
            if differs {
                *self.0.tokens.borrow_mut() = Some(stored);
            }
        }
        let (current, refresh) = match self.0.tokens.borrow().as_ref() {
            Some(t) => (t.access.clone(), t.refresh.clone()),
            None => return false,
        };
        if seen.is_some_and(|s| s != current) {
            return true;
        }
        self.0.refreshing.set(true);
        let res: ApiResult<AuthResponse> = self
            .send(
                "POST",
                endpoints::AUTH_REFRESH,
                Some(&RefreshRequest {
                    refresh_token: refresh,
                }),
                None,
            )
            .await
            .and_then(|t| parse(&t));
        self.0.refreshing.set(false);
        match res {
            Ok(auth) => {
                self.set_session(&auth);
                true
            }
            Err(e) if e.status == 401 => {
                self.clear_session();
                let cb = self.0.on_signed_out.borrow().clone();
                if let Some(cb) = cb {
                    cb();
                }
                false
            }
            Err(_) => false,
        }
    }

    /// One HTTP exchange; returns the body text of a 2xx answer.
    async fn send<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
        token: Option<&str>,
    ) -> ApiResult<String> {
        let window = web_sys::window().ok_or_else(ApiError::network)?;
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new().map_err(|_| ApiError::network())?;
        if let Some(b) = body {
            let json = serde_json::to_string(b).map_err(|e| ApiError {
                status: 0,
                code: None,
                message: e.to_string(),
            })?;
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&wasm_bindgen::JsValue::from_str(&json));
        }
        if let Some(t) = token {
            let _ = headers.set("Authorization", &format!("Bearer {t}"));
        }
        init.set_headers(&headers);
        let url = self.url(path);
        let req = web_sys::Request::new_with_str_and_init(&url, &init)
            .map_err(|_| ApiError::network())?;
        let resp: web_sys::Response = JsFuture::from(window.fetch_with_request(&req))
            .await
            .map_err(|_| ApiError::network())?
            .dyn_into()
            .map_err(|_| ApiError::network())?;
        let status = resp.status();
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p)
                .await
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(error_from(status, &text))
        }
    }

    /// An authenticated request, retried once after a refresh on 401.
    async fn raw<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> ApiResult<String> {
        let token = self.access_token().await;
        match self.send(method, path, body, token.as_deref()).await {
            Err(e) if e.status == 401 && token.is_some() => {
                if self.refresh(token.as_deref()).await {
                    let token = self.access_token().await;
                    self.send(method, path, body, token.as_deref()).await
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> ApiResult<R> {
        parse(&self.raw::<()>("GET", path, None).await?)
    }

    async fn post<B: Serialize, R: DeserializeOwned>(&self, path: &str, body: &B) -> ApiResult<R> {
        parse(&self.raw("POST", path, Some(body)).await?)
    }

    async fn put<B: Serialize, R: DeserializeOwned>(&self, path: &str, body: &B) -> ApiResult<R> {
        parse(&self.raw("PUT", path, Some(body)).await?)
    }

    /// For answers without a body (204).
    async fn call<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> ApiResult<()> {
        self.raw(method, path, body).await.map(|_| ())
    }

    /// Register or log in (no token): stores the session on success.
    async fn authenticate<B: Serialize>(&self, path: &str, body: &B) -> ApiResult<AuthResponse> {
        let auth: AuthResponse = parse(&self.send("POST", path, Some(body), None).await?)?;
        self.set_session(&auth);
        Ok(auth)
    }

    pub async fn logout(&self) {
        let refresh = self.0.tokens.borrow().as_ref().map(|t| t.refresh.clone());
        if let Some(r) = refresh {
            let _ = self
                .send(
                    "POST",
                    endpoints::AUTH_LOGOUT,
                    Some(&parley_shared::api::LogoutRequest { refresh_token: r }),
                    None,
                )
                .await;
        }
        self.clear_session();
    }
}

fn parse<R: DeserializeOwned>(text: &str) -> ApiResult<R> {
    // 204 answers have no body; `()` accepts JSON null.
    let text = if text.is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| ApiError {
        status: 0,
        code: None,
        message: format!("Unexpected answer from the server ({e})."),
    })
}

/// Percent-encodes one path segment or query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_keep_their_code() {
        let e = error_from(
            422,
            r#"{"error":{"code":"validation_failed","message":"username: must be 2 to 32 characters"}}"#,
        );
        assert_eq!(e.code, Some(ErrorCode::ValidationFailed));
        assert_eq!(e.field(), Some("username"));
        let e = error_from(502, "<html>bad gateway</html>");
        assert_eq!(e.code, None);
        assert!(e.message.contains("502"));
    }

    #[test]
    fn server_urls_resolve_against_the_server() {
        let platform: SharedPlatform = Rc::new(crate::platform::MemoryPlatform::default());
        let desktop = Api::new("https://chat.example.com".into(), platform.clone());
        let avatar = "/api/v1/users/7/avatar?v=3";
        assert_eq!(
            desktop.resolve(avatar),
            "https://chat.example.com/api/v1/users/7/avatar?v=3"
        );
        let s3 = "https://bucket.s3.example.com/f?X-Amz-Signature=1";
        assert_eq!(desktop.resolve(s3), s3);
        assert_eq!(
            desktop.resolve("//cdn.example.com/x"),
            "//cdn.example.com/x"
        );
        // In a browser the page is on the server: relative stays relative.
        assert_eq!(Api::new(String::new(), platform).resolve(avatar), avatar);
    }

    #[test]
    fn encoding() {
        assert_eq!(enc("a b/👍"), "a%20b%2F%F0%9F%91%8D");
        assert_eq!(enc(":tada:"), "%3Atada%3A");
    }
}
