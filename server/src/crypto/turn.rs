//! TURN credentials in the TURN REST API scheme (draft-uberti-behave-turn-rest),
//! which coturn checks with `--use-auth-secret`: the username is
//! `<expiry unix seconds>:<user id>` and the password is
//! base64(HMAC-SHA1(secret, username)). The relay needs no database and no
//! call to Parley: it recomputes the password from the secret it shares.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The password for `username` under `secret`.
pub fn password(secret: &str, username: &str) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// (username, password) valid until `expires_at` (unix seconds) for `user_id`.
pub fn credentials(secret: &str, user_id: i64, expires_at: u64) -> (String, String) {
    let username = format!("{expires_at}:{user_id}");
    let password = password(secret, &username);
    (username, password)
}

/// The expiry a username carries, if it is one of ours.
pub fn expiry(username: &str) -> Option<u64> {
    username.split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_match_the_published_scheme() {
        // HMAC-SHA1("secret", "1700000000:42"), computed independently with
        // `printf %s 1700000000:42 | openssl dgst -sha1 -hmac secret -binary | base64`.
        assert_eq!(
            password("secret", "1700000000:42"),
            "ZzfPuPkrzUOsnm5YISnTiKDnXWo="
        );
        let (u, p) = credentials("secret", 42, 1_700_000_000);
        assert_eq!(u, "1700000000:42");
        assert_eq!(p, password("secret", &u));
        assert_eq!(expiry(&u), Some(1_700_000_000));
        assert_eq!(expiry("bob"), None);
    }
}
