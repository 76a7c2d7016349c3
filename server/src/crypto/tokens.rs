//! Access tokens (HS256 JWTs) and signed download links, both keyed by one
//! server secret so that every node verifies what any node issued.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use parley_shared::UserId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secrets::{load_or_create_secret, random_token};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::snowflake::now_ms;

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
