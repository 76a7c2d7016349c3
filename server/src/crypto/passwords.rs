//! Password hashing: Argon2id, off the async runtime, with a timing
//! equalizer so that unknown logins cost the same as wrong passwords.

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};

use crate::config::Config;
use crate::error::{ApiError, ApiResult};

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
