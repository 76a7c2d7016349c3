//! `/api/v1/push/*`: Web Push subscriptions for browsers.

use axum::extract::State;
use axum::http::StatusCode;
use parley_shared::api::{PushSubscriptionRequest, VapidKey};
use parley_shared::ErrorBody;
use serde::Deserialize;

use super::extract::{AuthUser, Json, Query};
use crate::error::ApiResult;
use crate::service::push;
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/push/vapid-key", tag = "push", security(("bearer" = [])),
    responses((status = 200, body = VapidKey), (status = "4XX", body = ErrorBody)))]
pub async fn vapid_key(
    State(state): State<AppState>,
    AuthUser(_): AuthUser,
) -> axum::Json<VapidKey> {
    axum::Json(push::vapid_key(&state))
}

#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "push", security(("bearer" = [])),
    request_body = PushSubscriptionRequest,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Json(req): Json<PushSubscriptionRequest>,
) -> ApiResult<StatusCode> {
    push::subscribe(&state, me, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EndpointQuery {
    /// The subscription's endpoint URL.
    endpoint: String,
}

#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "push", security(("bearer" = [])),
    params(EndpointQuery),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    Query(q): Query<EndpointQuery>,
) -> ApiResult<StatusCode> {
    push::unsubscribe(&state, me, &q.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}
