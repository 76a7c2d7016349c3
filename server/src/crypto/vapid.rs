//! The server's VAPID identity (RFC 8292): the key pair that signs Web Push
//! requests. Browsers bind their subscriptions to its public key, so it is
//! kept across restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use web_push_native::jwt_simple::algorithms::ES256KeyPair;
use web_push_native::p256;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;

use super::secrets::load_or_create_secret;
use crate::config::Config;

/// The server's VAPID identity.
pub struct Vapid {
    pub(crate) keys: ES256KeyPair,
    pub(crate) public_key: String,
    pub(crate) subject: String,
}

impl Vapid {
    /// The configured key, or one generated on first start and kept in the
    /// data directory (browsers' subscriptions are bound to it).
    pub fn from_config(config: &Config) -> anyhow::Result<Vapid> {
        let decode = |s: &str| {
            URL_SAFE_NO_PAD
                .decode(s.trim())
                .ok()
                .and_then(|raw| ES256KeyPair::from_bytes(&raw).ok())
        };
        let encoded = match &config.vapid_private_key {
            Some(k) => k.clone(),
            None => load_or_create_secret(
                &config.data_dir.join("vapid-private-key"),
                |s| decode(s).is_some(),
                || URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes()),
            )?,
        };
        let keys = decode(&encoded).ok_or_else(|| {
            anyhow::anyhow!("PARLEY_VAPID_PRIVATE_KEY is not a base64url P-256 private key")
        })?;
        // Browsers want the uncompressed point (65 bytes).
        let point = p256::PublicKey::from_sec1_bytes(&keys.public_key().to_bytes())
            .map_err(|e| anyhow::anyhow!("VAPID public key: {e}"))?
            .to_encoded_point(false);
        let public_key = URL_SAFE_NO_PAD.encode(point.as_bytes());
        Ok(Vapid {
            keys,
            public_key,
            subject: config.vapid_subject.clone(),
        })
    }
}
