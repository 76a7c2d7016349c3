//! `/api/v1/users/*`: profiles, status, preferences, mentions.

use axum::extract::State;
use parley_shared::api::{
    CurrentUser, MessageList, Preferences, UpdateChannelPreferenceRequest,
    UpdatePreferencesRequest, UpdateStatusRequest, UpdateUserRequest, User,
};
use parley_shared::ws::PresenceUpdate;
use parley_shared::{ChannelId, ErrorBody, MessageId, UserId};
use serde::Deserialize;

use super::extract::{AuthUser, Json, Path, Query};
use crate::error::ApiResult;
use crate::service::{messages, users};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = CurrentUser), (status = "4XX", body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> ApiResult<axum::Json<CurrentUser>> {
    Ok(axum::Json(users::me(&state, me).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
    Path(id): Path<UserId>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(users::get(&state, id).await?))
}

#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<UserId>,
    Json(req): Json<UpdateUserRequest>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(users::update(&state, me, id, req).await?))
}

#[utoipa::path(put, path = "/api/v1/users/{id}/status", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateStatusRequest,
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
pub async fn update_status(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<UserId>,
    Json(req): Json<UpdateStatusRequest>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(users::update_status(&state, me, id, req).await?))
}

#[utoipa::path(get, path = "/api/v1/users/me/preferences", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = "4XX", body = ErrorBody)))]
pub async fn preferences(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> ApiResult<axum::Json<Preferences>> {
    Ok(axum::Json(users::me(&state, me).await?.preferences))
}

#[utoipa::path(put, path = "/api/v1/users/me/preferences", tag = "users", security(("bearer" = [])),
    request_body = UpdatePreferencesRequest,
    responses((status = 200, body = Preferences), (status = "4XX", body = ErrorBody)))]
pub async fn update_preferences(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Json(req): Json<UpdatePreferencesRequest>,
) -> ApiResult<axum::Json<Preferences>> {
    Ok(axum::Json(
        users::update_preferences(&state, me, req).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/users/me/preferences/channels/{id}", tag = "users",
    security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UpdateChannelPreferenceRequest,
    responses((status = 200, body = Preferences), (status = "4XX", body = ErrorBody)))]
pub async fn update_channel_preference(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<UpdateChannelPreferenceRequest>,
) -> ApiResult<axum::Json<Preferences>> {
    Ok(axum::Json(
        users::update_channel_preference(&state, me, id, req).await?,
    ))
}

/// Online, away or offline — across every server node.
#[utoipa::path(get, path = "/api/v1/users/{id}/presence", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PresenceUpdate), (status = "4XX", body = ErrorBody)))]
pub async fn presence(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
    Path(id): Path<UserId>,
) -> ApiResult<axum::Json<PresenceUpdate>> {
    users::get(&state, id).await?;
    Ok(axum::Json(PresenceUpdate {
        user_id: id,
        status: state.realtime.presence.status(id.get()),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MentionsQuery {
    /// A message id: return mentions older than it.
    #[param(value_type = Option<String>)]
    pub before: Option<MessageId>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/users/me/mentions", tag = "users", security(("bearer" = [])),
    params(MentionsQuery),
    responses((status = 200, body = MessageList), (status = "4XX", body = ErrorBody)))]
pub async fn mentions(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Query(q): Query<MentionsQuery>,
) -> ApiResult<axum::Json<MessageList>> {
    Ok(axum::Json(
        messages::mentions(&state, me, q.before, q.limit).await?,
    ))
}
