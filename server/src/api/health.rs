//! Liveness and readiness probes for load balancers and orchestrators.

use axum::extract::State;
use parley_shared::api::Health;
use parley_shared::ErrorBody;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn health(status: &str) -> axum::Json<Health> {
    axum::Json(Health {
        status: status.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The process is up (no dependency is checked).
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    health("ok")
}

/// The server can take traffic: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<axum::Json<Health>> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable("the database")
    })?;
    Ok(health("ready"))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
