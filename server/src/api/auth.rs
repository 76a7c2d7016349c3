//! `/api/v1/auth/*`: register, login, refresh, logout.

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use parley_shared::api::{
    AuthResponse, LoginRequest, LogoutRequest, RefreshRequest, RegisterRequest,
};
use parley_shared::ErrorBody;

use super::extract::Json;
use crate::error::ApiResult;
use crate::service::auth;
use crate::state::AppState;
use crate::tls::ClientAddr;

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = AuthResponse), (status = "4XX", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, axum::Json<AuthResponse>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(auth::register(&state, req).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = AuthResponse), (status = "4XX", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<ClientAddr>,
    Json(req): Json<LoginRequest>,
) -> ApiResult<axum::Json<AuthResponse>> {
    Ok(axum::Json(auth::login(&state, req, client.0.ip()).await?))
}

/// Trades a refresh token for new tokens. Presenting a token twice revokes
/// the whole session family.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = AuthResponse), (status = "4XX", body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<axum::Json<AuthResponse>> {
    Ok(axum::Json(auth::refresh(&state, &req.refresh_token).await?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = LogoutRequest,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Json(req): Json<LogoutRequest>,
) -> ApiResult<StatusCode> {
    auth::logout(&state, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
