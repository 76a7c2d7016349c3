//! Accounts and sessions: registration, sign-in, token refresh, sign-out.
//!
//! Passwords are Argon2id hashes (hashed off the async runtime). Access tokens
//! are short-lived HS256 JWTs; refresh tokens are opaque, single use, stored
//! hashed, and rotated on every refresh (see `store::tokens`).

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use parley_shared::api::{AuthResponse, LoginRequest, RegisterRequest};
use parley_shared::{validate, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::convert::current_user;
use super::now_ms;
use super::secrets::{hash_secret, load_or_create_secret, random_token};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{NewUser, Rotation, StoreError};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Signs download links; derived from the secret, so links made by one
    /// node verify on every other.
    link_key: Vec<u8>,
}

impl TokenKeys {
    /// Uses the configured secret, or one generated on first start and kept
    /// in the data directory (so restarts do not sign everybody out).
    pub fn from_config(config: &Config) -> anyhow::Result<TokenKeys> {
        let secret = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => load_or_create_secret(
                &config.data_dir.join("jwt-secret"),
                |s| s.len() >= 32,
                || random_token(48),
            )?,
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let link_key = Sha256::new()
            .chain_update(b"parley download links\0")
            .chain_update(secret.as_bytes())
            .finalize()
            .to_vec();
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            link_key,
        })
    }

    pub fn issue(&self, user: UserId, ttl_secs: u64) -> ApiResult<String> {
        let now = now_ms() / 1000;
        let claims = Claims {
            sub: user.to_string(),
            iat: now,
            exp: now + i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// HMAC-SHA256 of `data` under the link key, URL-safe base64.
    pub fn sign_link(&self, data: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.link_mac(data).finalize().into_bytes())
    }

    /// Constant-time check of a [`sign_link`](Self::sign_link) signature.
    pub fn verify_link(&self, data: &str, signature: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(signature)
            .is_ok_and(|sig| self.link_mac(data).verify_slice(&sig).is_ok())
    }

    fn link_mac(&self, data: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.link_key)
            .expect("HMAC takes keys of any length");
        mac.update(data.as_bytes());
        mac
    }

    /// The user an access token speaks for, if it is valid and unexpired.
    pub fn verify(&self, token: &str) -> Option<UserId> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        data.claims.sub.parse().ok()
    }
}

/// Argon2id with the configured cost. The default (19 MiB, 2 passes) is
/// OWASP's recommendation; benchmarks lower it to register many users.
pub struct Passwords {
    params: argon2::Params,
    /// A hash of a password nobody has, verified when the login is unknown
    /// so that "no such user" and "wrong password" take the same time.
    dummy: String,
}

impl Passwords {
    pub fn from_config(config: &Config) -> anyhow::Result<Passwords> {
        let params =
            argon2::Params::new(config.argon2_memory_kib, config.argon2_iterations, 1, None)
                .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let mut p = Passwords {
            params,
            dummy: String::new(),
        };
        p.dummy = p.hash_now("parley-timing-equalizer")?;
        Ok(p)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            self.params.clone(),
        )
    }

    fn hash_now(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    }

    /// Hashes off the async runtime (it takes tens of milliseconds).
    pub async fn hash(self: &Arc<Self>, password: String) -> ApiResult<String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_now(&password).map_err(ApiError::internal))
            .await
            .map_err(ApiError::internal)?
    }

    /// Checks `password` against `hash` (or the dummy when there is none:
    /// then the answer is always false, in the same time).
    pub async fn verify(
        self: &Arc<Self>,
        password: String,
        hash: Option<String>,
    ) -> ApiResult<bool> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let real = hash.is_some();
            let hash = hash.unwrap_or_else(|| this.dummy.clone());
            let ok = PasswordHash::new(&hash)
                .map(|h| {
                    this.argon()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false);
            ok && real
        })
        .await
        .map_err(ApiError::internal)
    }
}

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

pub async fn login(state: &AppState, req: LoginRequest) -> ApiResult<AuthResponse> {
    let login = req.login.trim().to_lowercase();
    if login.is_empty() || req.password.len() > 4 * validate::PASSWORD_MAX {
        return Err(ApiError::InvalidCredentials);
    }
    // Brute-force guard per account name, on top of the per-IP limits.
    let per_account = (state.config.auth_rate_limit_per_min / 3).max(5);
    if state.config.auth_rate_limit_per_min > 0 {
        if let Err(retry) = state
            .limiter
            .hit(
                &format!("login:{login}"),
                per_account,
                std::time::Duration::from_secs(15 * 60),
            )
            .await
        {
            return Err(ApiError::RateLimited(retry.as_secs().max(1)));
        }
    }
    let found = state.store.fetch_credentials(&login).await?;
    let (user_id, hash) = match found {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    if !state.passwords.verify(req.password, hash).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let user_id = user_id.ok_or(ApiError::InvalidCredentials)?;
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
