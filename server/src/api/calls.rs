//! `/api/v1/calls/*`: what a call needs over REST (the call itself runs
//! over the WebSocket: `CALL_JOIN` and friends).

use axum::extract::State;
use axum::http::{header, uri::Authority, HeaderMap};
use parley_shared::call::IceServers;
use parley_shared::ErrorBody;

use super::extract::AuthUser;
use crate::service::calls;
use crate::state::AppState;

/// STUN/TURN servers for `RTCConfiguration.iceServers`, with TURN
/// credentials minted for the caller (TURN REST API scheme) that expire at
/// `expires_at`.
#[utoipa::path(get, path = "/api/v1/calls/ice-servers", tag = "calls", security(("bearer" = [])),
    responses((status = 200, body = IceServers), (status = "4XX", body = ErrorBody)))]
pub async fn ice_servers(
    State(state): State<AppState>,
    AuthUser(me): AuthUser,
    headers: HeaderMap,
) -> axum::Json<IceServers> {
    // The embedded relay is reached by the name the client reached us by.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<Authority>().ok())
        .map(|a| a.host().to_owned());
    axum::Json(calls::ice_servers(&state, me, host.as_deref()))
}
