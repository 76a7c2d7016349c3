//! The HTTP edge: routes, extractors and middleware. Handlers are thin:
//! parse, call a service, map the result.

pub mod auth;
pub mod calls;
pub mod channels;
pub mod dms;
pub mod extract;
pub mod files;
pub mod health;
pub mod limits;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod push;
pub mod users;
pub mod web;
pub mod workspaces;
pub mod ws;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, Request};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;

/// Bodies smaller than this go out uncompressed.
const COMPRESS_ABOVE: u16 = 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids are snowflakes: unique across nodes and sortable by time.
#[derive(Clone)]
struct SnowflakeRequestId(std::sync::Arc<crate::snowflake::Snowflake>);

impl MakeRequestId for SnowflakeRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        self.0.next().to_string().parse().ok().map(RequestId::new)
    }
}

/// Routes that take uploads: a body limit of the upload size (plus room for
/// the multipart framing) instead of the JSON one.
fn upload_routes(max_upload: u64) -> Router<AppState> {
    let limit = usize::try_from(max_upload)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    Router::new()
        .route("/files", post(files::upload))
        .route(
            "/users/me/avatar",
            put(files::set_avatar).delete(files::clear_avatar),
        )
        .layer(DefaultBodyLimit::max(limit))
}

fn api_routes(max_upload: u64) -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/users/me", get(users::me))
        .route("/users/me/mentions", get(users::mentions))
        .route(
            "/users/me/preferences",
            get(users::preferences).put(users::update_preferences),
        )
        .route(
            "/users/me/preferences/channels/{id}",
            put(users::update_channel_preference),
        )
        .route("/users/{id}", get(users::get).put(users::update))
        .route("/users/{id}/status", put(users::update_status))
        .route(
            "/workspaces",
            get(workspaces::list).post(workspaces::create),
        )
        .route(
            "/workspaces/{id}",
            get(workspaces::get).put(workspaces::update),
        )
        .route("/workspaces/{id}/members", get(workspaces::members))
        .route(
            "/workspaces/{id}/members/{user_id}",
            put(workspaces::set_role).delete(workspaces::remove_member),
        )
        .route(
            "/workspaces/{id}/invites",
            get(workspaces::list_invites).post(workspaces::create_invite),
        )
        .route(
            "/workspaces/{id}/invites/{invite_id}",
            delete(workspaces::revoke_invite),
        )
        .route("/invites/{code}", get(workspaces::preview_invite))
        .route("/invites/{code}/accept", post(workspaces::accept_invite))
        .route(
            "/workspaces/{id}/channels",
            get(channels::list).post(channels::create),
        )
        .route(
            "/channels/{id}",
            get(channels::get)
                .put(channels::update)
                .delete(channels::archive),
        )
        .route(
            "/channels/{id}/members",
            get(channels::members).post(channels::add_members),
        )
        .route(
            "/channels/{id}/members/{user_id}",
            delete(channels::remove_member),
        )
        .route("/channels/{id}/leave", post(channels::leave))
        .route("/channels/{id}/read", post(channels::mark_read))
        .route(
            "/channels/{id}/messages",
            get(messages::list).post(messages::send),
        )
        .route("/channels/{id}/pins", get(messages::pins))
        .route("/messages/search", get(messages::search))
        .route(
            "/messages/{id}",
            put(messages::edit).delete(messages::delete),
        )
        .route("/messages/{id}/reactions", post(messages::add_reaction))
        .route(
            "/messages/{id}/reactions/{emoji}",
            delete(messages::remove_reaction),
        )
        .route(
            "/messages/{id}/pin",
            post(messages::pin).delete(messages::unpin),
        )
        .route(
            "/messages/{id}/thread",
            get(messages::thread).post(messages::reply),
        )
        .route("/dm", get(dms::list).post(dms::open))
        .route("/dm/{id}/messages", get(dms::messages).post(dms::send))
        .route("/users/{id}/presence", get(users::presence))
        .route("/calls/ice-servers", get(calls::ice_servers))
        .route("/users/{id}/avatar", get(files::avatar))
        .route("/push/vapid-key", get(push::vapid_key))
        .route(
            "/push/subscriptions",
            post(push::subscribe).delete(push::unsubscribe),
        )
        .route("/files/{id}", get(files::get))
        .route("/files/{id}/link", get(files::link))
        .route("/files/{id}/download", get(files::download))
        .route("/files/{id}/thumbnail", get(files::thumbnail))
        .route("/files/{id}/content", get(files::content))
        .merge(upload_routes(max_upload))
        .route("/ws", get(ws::upgrade))
        .route("/openapi.json", get(openapi::serve))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Origins of Parley's desktop app: `tauri://localhost` on Linux and macOS,
/// `http://tauri.localhost` on Windows. Always allowed, so the app works
/// against any server without configuration; no web page can have them.
pub const DESKTOP_ORIGINS: [&str; 2] = ["tauri://localhost", "http://tauri.localhost"];

/// Cross-origin access for the desktop app and the configured browser
/// origins only. Tokens travel in headers, never cookies, so no credentials
/// mode.
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = DESKTOP_ORIGINS
        .into_iter()
        .chain(origins.iter().map(String::as_str))
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600))
}

pub fn router(state: AppState) -> Router {
    let state_config = state.config.clone();
    let max_body = state.config.max_body_bytes;
    let ids = SnowflakeRequestId(state.ids.clone());
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let request_id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id,
                user_id = tracing::field::Empty,
            )
        })
        .on_response(
            |res: &axum::response::Response, latency: Duration, _span: &tracing::Span| {
                tracing::debug!(
                    status = res.status().as_u16(),
                    latency_ms = latency.as_millis() as u64,
                    "response"
                );
            },
        );
    Router::new()
        .nest(
            "/api/v1",
            api_routes(state.config.max_upload_bytes).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                limits::enforce,
            )),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::serve))
        // After routing, so requests are labelled by route template.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // Everything else: the web UI (unknown /api paths still get the
        // JSON 404 from there).
        .fallback(web::fallback)
        .method_not_allowed_fallback(health::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        // A body that stops sending is cut off (slow uploads that keep
        // sending are fine: the timeout restarts with every frame).
        .layer(RequestBodyTimeoutLayer::new(state_config.body_idle_timeout))
        // gzip when the client accepts it (history pages shrink ~6×); the
        // WebSocket upgrade is left alone. Not below 1 KiB: a small body
        // (a sent message's echo, a 204) saves a few hundred bytes at most,
        // while every compressor set up allocates and zeroes its tables.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE))),
        )
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors(&state_config.cors_origins))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, ids))
        .with_state(state)
}
