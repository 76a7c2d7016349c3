//! `/api/v1/workspaces/{id}/channels` and `/api/v1/channels/*`.

use axum::extract::State;
use axum::http::StatusCode;
use parley_shared::api::{
    AddMembersRequest, Channel, ChannelMember, CreateChannelRequest, MarkReadRequest, ReadState,
    UpdateChannelRequest,
};
use parley_shared::{ChannelId, ErrorBody, UserId, WorkspaceId};

use super::extract::{AuthUser, Json, Path};
use crate::error::ApiResult;
use crate::service::channels;
use crate::state::AppState;

/// Public channels and the caller's private ones, with unread counts.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace_id}/channels", tag = "channels",
    security(("bearer" = [])), params(("workspace_id" = String, Path)),
    responses((status = 200, body = [Channel]), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(ws): Path<WorkspaceId>,
) -> ApiResult<axum::Json<Vec<Channel>>> {
    Ok(axum::Json(channels::list(&state, me, ws).await?))
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspace_id}/channels", tag = "channels",
    security(("bearer" = [])), params(("workspace_id" = String, Path)),
    request_body = CreateChannelRequest,
    responses((status = 201, body = Channel), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(ws): Path<WorkspaceId>,
    Json(req): Json<CreateChannelRequest>,
) -> ApiResult<(StatusCode, axum::Json<Channel>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(channels::create(&state, me, ws, req).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Channel), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<axum::Json<Channel>> {
    Ok(axum::Json(channels::get(&state, me, id).await?))
}

#[utoipa::path(put, path = "/api/v1/channels/{id}", tag = "channels", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateChannelRequest,
    responses((status = 200, body = Channel), (status = "4XX", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<UpdateChannelRequest>,
) -> ApiResult<axum::Json<Channel>> {
    Ok(axum::Json(channels::update(&state, me, id, req).await?))
}

/// Archives the channel: it and its messages disappear for everyone.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<StatusCode> {
    channels::archive(&state, me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/channels/{id}/members", tag = "channels",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = [ChannelMember]), (status = "4XX", body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<axum::Json<Vec<ChannelMember>>> {
    Ok(axum::Json(channels::members(&state, me, id).await?))
}

/// Invites people; adding only yourself joins a public channel.
#[utoipa::path(post, path = "/api/v1/channels/{id}/members", tag = "channels",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = AddMembersRequest,
    responses((status = 200, body = [ChannelMember]), (status = "4XX", body = ErrorBody)))]
pub async fn add_members(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<AddMembersRequest>,
) -> ApiResult<axum::Json<Vec<ChannelMember>>> {
    Ok(axum::Json(
        channels::add_members(&state, me, id, &req.user_ids).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}/members/{user_id}", tag = "channels",
    security(("bearer" = [])), params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((id, user)): Path<(ChannelId, UserId)>,
) -> ApiResult<StatusCode> {
    channels::remove_member(&state, me, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/channels/{id}/leave", tag = "channels",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn leave(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<StatusCode> {
    channels::remove_member(&state, me, id, me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks the channel read up to and including a message.
#[utoipa::path(post, path = "/api/v1/channels/{id}/read", tag = "channels",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = MarkReadRequest,
    responses((status = 200, body = ReadState), (status = "4XX", body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<MarkReadRequest>,
) -> ApiResult<axum::Json<ReadState>> {
    Ok(axum::Json(
        channels::mark_read(&state, me, id, req.message_id).await?,
    ))
}
