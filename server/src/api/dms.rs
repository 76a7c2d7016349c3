//! `/api/v1/dm/*`: direct messages, 1:1 and group.

use axum::extract::State;
use axum::http::StatusCode;
use parley_shared::api::{Channel, CreateDmRequest, Message, MessagePage, SendMessageRequest};
use parley_shared::{ChannelId, ErrorBody};

use super::extract::{AuthUser, Json, Path, Query};
use super::messages::{created_or_ok, HistoryParams};
use crate::error::{ApiError, ApiResult};
use crate::service::{access, channels, messages};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/dm", tag = "dm", security(("bearer" = [])),
    responses((status = 200, body = [Channel]), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
) -> ApiResult<axum::Json<Vec<Channel>>> {
    Ok(axum::Json(channels::list_dms(&state, me).await?))
}

/// Opens a DM; an existing conversation with the same people is returned.
#[utoipa::path(post, path = "/api/v1/dm", tag = "dm", security(("bearer" = [])),
    request_body = CreateDmRequest,
    responses((status = 200, body = Channel), (status = "4XX", body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Json(req): Json<CreateDmRequest>,
) -> ApiResult<axum::Json<Channel>> {
    Ok(axum::Json(
        channels::open_dm(&state, me, &req.user_ids).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/dm/{id}/messages", tag = "dm", security(("bearer" = [])),
    params(("id" = String, Path), HistoryParams),
    responses((status = 200, body = MessagePage), (status = "4XX", body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Query(q): Query<HistoryParams>,
) -> ApiResult<axum::Json<MessagePage>> {
    Ok(axum::Json(
        messages::list_dm(&state, me, id, q.into()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/dm/{id}/messages", tag = "dm", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SendMessageRequest,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "Retry of an earlier send with the same nonce"),
        (status = "4XX", body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<SendMessageRequest>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    if !access::channel(&state, me, id).await?.is_dm() {
        return Err(ApiError::NotFound("dm"));
    }
    Ok(created_or_ok(
        messages::send(&state, me, id, req, None).await?,
    ))
}
