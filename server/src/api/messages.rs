//! `/api/v1/channels/{id}/messages`, `/api/v1/messages/*`.

use axum::extract::State;
use axum::http::StatusCode;
use parley_shared::api::{
    EditMessageRequest, Message, MessagePage, ReactionRequest, SearchResults, SendMessageRequest,
    Thread,
};
use parley_shared::{ChannelId, ErrorBody, MessageId, Timestamp, UserId};
use serde::Deserialize;

use super::extract::{AuthUser, Json, Path, Query};
use crate::error::ApiResult;
use crate::service::messages::{self, HistoryQuery};
use crate::state::AppState;

/// Cursors are channel seqs; use at most one of `before`, `after`, `around`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Messages with seq lower than this.
    pub before: Option<i64>,
    /// Messages with seq higher than this.
    pub after: Option<i64>,
    /// Half before this seq, half from it on (jump to a message).
    pub around: Option<i64>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl From<HistoryParams> for HistoryQuery {
    fn from(p: HistoryParams) -> Self {
        HistoryQuery {
            before: p.before,
            after: p.after,
            around: p.around,
            limit: p.limit,
        }
    }
}

/// 201 when the message was created, 200 when the nonce matched an earlier send.
pub(super) fn created_or_ok((msg, created): (Message, bool)) -> (StatusCode, axum::Json<Message>) {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, axum::Json(msg))
}

#[utoipa::path(get, path = "/api/v1/channels/{channel_id}/messages", tag = "messages",
    security(("bearer" = [])), params(("channel_id" = String, Path), HistoryParams),
    responses((status = 200, body = MessagePage), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Query(q): Query<HistoryParams>,
) -> ApiResult<axum::Json<MessagePage>> {
    Ok(axum::Json(messages::list(&state, me, id, q.into()).await?))
}

#[utoipa::path(post, path = "/api/v1/channels/{channel_id}/messages", tag = "messages",
    security(("bearer" = [])), params(("channel_id" = String, Path)),
    request_body = SendMessageRequest,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "Retry of an earlier send with the same nonce"),
        (status = "4XX", body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<SendMessageRequest>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    Ok(created_or_ok(
        messages::send(&state, me, id, req, None).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/messages/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EditMessageRequest,
    responses((status = 200, body = Message), (status = "4XX", body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
    Json(req): Json<EditMessageRequest>,
) -> ApiResult<axum::Json<Message>> {
    Ok(axum::Json(messages::edit(&state, me, id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/messages/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
) -> ApiResult<StatusCode> {
    messages::delete(&state, me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/messages/{id}/reactions", tag = "messages",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ReactionRequest,
    responses((status = 200, body = Message), (status = "4XX", body = ErrorBody)))]
pub async fn add_reaction(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
    Json(req): Json<ReactionRequest>,
) -> ApiResult<axum::Json<Message>> {
    Ok(axum::Json(
        messages::add_reaction(&state, me, id, &req.emoji).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/messages/{id}/reactions/{emoji}", tag = "messages",
    security(("bearer" = [])), params(("id" = String, Path), ("emoji" = String, Path, description = "URL-encoded emoji or :shortcode:")),
    responses((status = 200, body = Message), (status = "4XX", body = ErrorBody)))]
pub async fn remove_reaction(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path((id, emoji)): Path<(MessageId, String)>,
) -> ApiResult<axum::Json<Message>> {
    Ok(axum::Json(
        messages::remove_reaction(&state, me, id, &emoji).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/messages/{id}/pin", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Message), (status = "4XX", body = ErrorBody)))]
pub async fn pin(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
) -> ApiResult<axum::Json<Message>> {
    Ok(axum::Json(messages::set_pin(&state, me, id, true).await?))
}

#[utoipa::path(delete, path = "/api/v1/messages/{id}/pin", tag = "messages",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Message), (status = "4XX", body = ErrorBody)))]
pub async fn unpin(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
) -> ApiResult<axum::Json<Message>> {
    Ok(axum::Json(messages::set_pin(&state, me, id, false).await?))
}

#[utoipa::path(get, path = "/api/v1/channels/{id}/pins", tag = "messages",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = [Message]), (status = "4XX", body = ErrorBody)))]
pub async fn pins(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<axum::Json<Vec<Message>>> {
    Ok(axum::Json(messages::pins(&state, me, id).await?))
}

#[utoipa::path(post, path = "/api/v1/messages/{id}/thread", tag = "messages",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = SendMessageRequest,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "Retry of an earlier send with the same nonce"),
        (status = "4XX", body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
    Json(req): Json<SendMessageRequest>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    Ok(created_or_ok(messages::reply(&state, me, id, req).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ThreadParams {
    /// Replies with seq higher than this.
    pub after: Option<i64>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/messages/{id}/thread", tag = "messages",
    security(("bearer" = [])), params(("id" = String, Path), ThreadParams),
    responses((status = 200, body = Thread), (status = "4XX", body = ErrorBody)))]
pub async fn thread(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Path(id): Path<MessageId>,
    Query(q): Query<ThreadParams>,
) -> ApiResult<axum::Json<Thread>> {
    Ok(axum::Json(
        messages::thread(&state, me, id, q.after, q.limit).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words (each must occur, as any substring) or a "quoted phrase".
    pub q: String,
    /// Only this channel.
    #[param(value_type = Option<String>)]
    pub channel: Option<ChannelId>,
    /// Only messages by this user.
    #[param(value_type = Option<String>)]
    pub from: Option<UserId>,
    /// Only messages sent before / after this instant (RFC 3339).
    #[param(value_type = Option<String>)]
    pub before: Option<Timestamp>,
    #[param(value_type = Option<String>)]
    pub after: Option<Timestamp>,
    /// true: only thread replies; false: only top-level messages.
    pub in_thread: Option<bool>,
    /// true: only messages with attachments; false: only without.
    pub has_file: Option<bool>,
    /// Paging: hits older than this message id.
    #[param(value_type = Option<String>)]
    pub older_than: Option<MessageId>,
    /// 1 to 50, default 20.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// Searches every message the caller may read.
#[utoipa::path(get, path = "/api/v1/messages/search", tag = "messages",
    security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchResults), (status = "4XX", body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Query(p): Query<SearchParams>,
) -> ApiResult<axum::Json<SearchResults>> {
    let query = crate::service::search::SearchQuery {
        q: p.q,
        filter: crate::store::SearchFilter {
            channel_id: p.channel.map(|c| c.get()),
            author_id: p.from.map(|u| u.get()),
            before_ms: p.before.map(|t| t.millis()),
            after_ms: p.after.map(|t| t.millis()),
            in_thread: p.in_thread,
            before_id: p.older_than.map(|m| m.get()),
            has_file: p.has_file,
        },
        limit: p.limit,
    };
    Ok(axum::Json(
        crate::service::search::search(&state, me, query).await?,
    ))
}
