//! Liveness and readiness probes for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use parley_shared::api::Health;
use parley_shared::ErrorBody;

use crate::error::ApiError;
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
pub async fn readyz(
    State(state): State<AppState>,
) -> Result<axum::Json<Health>, (StatusCode, axum::Json<ErrorBody>)> {
    match state.store.ping().await {
        Ok(()) => Ok(health("ready")),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(ErrorBody::new(
                    parley_shared::ErrorCode::Unavailable,
                    "the database is not reachable",
                )),
            ))
        }
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
