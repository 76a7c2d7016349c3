//! Serves the web UI (`PARLEY_WEB_DIR`, built by `scripts/build-ui`) as the
//! router's fallback, so one origin carries both the UI and the API.
//!
//! - `/assets/*` are content-hashed files: cached for a year, `immutable`,
//!   and sent pre-gzipped when the build left a `.gz` beside them.
//! - Any other GET outside `/api` answers `index.html` with `no-cache`, so
//!   deep links (`/c/123`) load the app and a new build is picked up at once.
//! - Root files with fixed names (`/sw.js`, the service worker) are served
//!   with `no-cache`.
//! - Unknown `/api/...` paths keep the JSON `not_found` error.
//! - Without a built UI, `/` explains how to build it instead of a 404.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;
use crate::state::AppState;

/// The UI's own policy, replacing the API's deny-all CSP for its pages:
/// scripts and wasm only from this origin, no inline script, API and
/// WebSocket calls to this origin only. Inline styles are allowed because
/// avatars colour themselves with a `style` attribute. Images may also come
/// from any HTTPS host, because with S3 storage attachment links are
/// presigned bucket URLs.
const UI_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#f2f3f5;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>Parley is running</h1>
<p>The web UI has not been built yet. From the repository, run <code>./scripts/build-ui</code>
(or start the server with <code>./scripts/run</code>, which builds it first), then reload this page.</p>
<p>The API is available under <code>/api/v1</code>; see <code>/api/v1/openapi.json</code>.</p>
</body></html>
"#;

/// `/name.ext` with a plain file name: no subdirectory, no dot-file.
fn is_root_file(path: &str) -> bool {
    let Some(name) = path.strip_prefix('/') else {
        return false;
    };
    name.contains('.')
        && !name.starts_with('.')
        && name != "index.html"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn with_headers(mut res: Response, cache: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(UI_CSP),
    );
    res
}

pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound("route").into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::MethodNotAllowed.into_response();
    }
    let dir = &state.config.web_dir;
    let index = dir.join("index.html");

    if path.starts_with("/assets/") {
        let serve = ServeDir::new(dir).precompressed_gzip();
        return match serve.oneshot(req).await {
            Ok(res)
                if res.status() == StatusCode::OK || res.status() == StatusCode::NOT_MODIFIED =>
            {
                with_headers(res.map(Body::new), IMMUTABLE)
            }
            // A stale page asking for an asset of an older build: a plain 404
            // that nobody caches.
            Ok(res) => with_headers(res.map(Body::new), "no-store"),
            Err(never) => match never {},
        };
    }

    // A few files live at the root under fixed names (the service worker,
    // whose scope is the directory it is served from): served as they are,
    // revalidated on every use.
    if is_root_file(&path) && dir.join(&path[1..]).is_file() {
        let serve = ServeDir::new(dir);
        return match serve.oneshot(req).await {
            Ok(res) => with_headers(res.map(Body::new), "no-cache"),
            Err(never) => match never {},
        };
    }

    match tokio::fs::read(&index).await {
        Ok(bytes) => {
            let mut res = Html(bytes).into_response();
            if req.method() == Method::HEAD {
                *res.body_mut() = Body::empty();
            }
            with_headers(res, "no-cache")
        }
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, path = %index.display(), "cannot read the web UI");
            }
            with_headers(Html(NOT_BUILT).into_response(), "no-store")
        }
    }
}
