//! Accounts and sessions: registration, sign-in, token refresh, sign-out.
//!
//! Passwords are Argon2id hashes (hashed off the async runtime). Access tokens
//! are short-lived HS256 JWTs; refresh tokens are opaque, single use, stored
//! hashed, and rotated on every refresh (see `store::tokens`).

use std::net::IpAddr;

use parley_shared::api::{AuthResponse, LoginRequest, RegisterRequest};
use parley_shared::{validate, UserId};

use super::convert::current_user;
use super::now_ms;
use super::signin_guard::Attempt;
use crate::crypto::secrets::{hash_secret, random_token};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{NewUser, Rotation, StoreError};

/// Starts a new token family for `user_id` and answers with both tokens.
async fn open_session(state: &AppState, user_id: i64) -> ApiResult<AuthResponse> {
    let family = state.next_id();
    let refresh = random_token(32);
    let now = now_ms();
    state
        .store
        .insert_refresh_token(
            state.next_id(),
            user_id,
            family,
            &hash_secret(&refresh),
            now + state.config.refresh_ttl.as_millis() as i64,
            now,
        )
        .await?;
    session_response(state, user_id, refresh).await
}

async fn session_response(
    state: &AppState,
    user_id: i64,
    refresh_token: String,
) -> ApiResult<AuthResponse> {
    let row = state
        .store
        .fetch_user(user_id)
        .await?
        .ok_or(ApiError::InvalidRefreshToken)?;
    let overrides = state.store.fetch_channel_overrides(user_id).await?;
    let keywords = state.store.fetch_keywords(user_id).await?;
    let ttl = state.config.access_ttl.as_secs();
    Ok(AuthResponse {
        access_token: state.tokens.issue(UserId(user_id), ttl)?,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: ttl,
        user: current_user(&row, &overrides, keywords, now_ms()),
    })
}

pub async fn register(state: &AppState, req: RegisterRequest) -> ApiResult<AuthResponse> {
    let username = validate::username(&req.username)?;
    let email = validate::email(&req.email)?;
    validate::password(&req.password)?;
    let display_name = match req.display_name.as_deref() {
        Some(d) if !d.trim().is_empty() => validate::display_name(d)?,
        _ => username.clone(),
    };
    let password_hash = state.passwords.hash(req.password).await?;
    let id = state.next_id();
    let user = NewUser {
        id,
        username,
        email,
        password_hash,
        display_name,
        now: now_ms(),
    };
    match state.store.insert_user(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict { constraint }) if constraint.contains("email") => {
            return Err(ApiError::EmailTaken)
        }
        Err(StoreError::Conflict { .. }) => return Err(ApiError::UsernameTaken),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = id, "account registered");
    open_session(state, id).await
}

/// Signs in with a username or e-mail. `client` is the caller's address,
/// which the sign-in guard counts failures per (see `signin_guard`).
pub async fn login(state: &AppState, req: LoginRequest, client: IpAddr) -> ApiResult<AuthResponse> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || req.password.len() > 4 * validate::PASSWORD_MAX {
        return Err(ApiError::InvalidCredentials);
    }
    let found = state.store.fetch_credentials(&login).await?;
    let (user_id, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let guarded = state.config.auth_rate_limit_per_min > 0;
    let attempt = Attempt::new(user_id, &login, client);
    let cache = state.cache.as_ref();
    if guarded {
        if let Some(wait) = attempt.must_wait(cache).await {
            return Err(ApiError::RateLimited(wait.as_secs().max(1)));
        }
    }
    if !state.passwords.verify(req.password, hash).await? {
        if guarded {
            attempt.failed(cache).await;
        }
        return Err(ApiError::InvalidCredentials);
    }
    let user_id = user_id.ok_or(ApiError::InvalidCredentials)?;
    if guarded {
        attempt.succeeded(cache).await;
    }
    open_session(state, user_id).await
}

pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<AuthResponse> {
    let new_token = random_token(32);
    let now = now_ms();
    let outcome = state
        .store
        .rotate_refresh_token(
            &hash_secret(refresh_token),
            state.next_id(),
            &hash_secret(&new_token),
            now + state.config.refresh_ttl.as_millis() as i64,
            now,
        )
        .await?;
    match outcome {
        Rotation::Rotated { user_id } => session_response(state, user_id, new_token).await,
        Rotation::Invalid => Err(ApiError::InvalidRefreshToken),
        Rotation::Reused => {
            tracing::warn!("refresh token reuse detected; token family revoked");
            Err(ApiError::RefreshTokenReused)
        }
    }
}

pub async fn logout(state: &AppState, refresh_token: &str) -> ApiResult<()> {
    if state
        .store
        .revoke_refresh_family(&hash_secret(refresh_token), now_ms())
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::InvalidRefreshToken)
    }
}
