//! The sign-in guard: failed sign-ins are counted per account and client
//! address, and after a few the next attempt from that address must wait,
//! twice as long after each further failure (up to 15 minutes).
//!
//! What must stay true:
//! - the account is the one the login resolves to, so its username and
//!   e-mail share one allowance (a login that names no account is counted
//!   under the typed name, so unknown and known accounts answer alike);
//! - only failures count, and a success clears them;
//! - the delay holds one client address back, never the account: its
//!   owner signing in from elsewhere is not locked out by somebody else's
//!   guesses.
//!
//! Counters live in the Cache port (shared by every node with Redis); if
//! it is unavailable the guard lets attempts through, like the limiter.

use std::net::IpAddr;
use std::time::Duration;

use crate::cache::Cache;
use crate::snowflake::now_ms;

/// Failures per account and address before delays start.
const FREE_FAILURES: u64 = 3;
/// Failures are forgotten this long after the first of them.
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// Whom attempts are counted for.
pub struct Attempt {
    key: String,
}

impl Attempt {
    /// `account` is the resolved user id, or `None` for a login that names
    /// no account (then the typed, normalized `login` stands in for it).
    pub fn new(account: Option<i64>, login: &str, client: IpAddr) -> Attempt {
        let who = match account {
            Some(id) => format!("user:{id}"),
            None => format!("name:{login}"),
        };
        Attempt {
            key: format!("{who}:{client}"),
        }
    }

    fn failures_key(&self) -> String {
        format!("signin-fail:{}", self.key)
    }

    fn wait_key(&self) -> String {
        format!("signin-wait:{}", self.key)
    }

    /// How long this client must still wait, if it must.
    pub async fn must_wait(&self, cache: &dyn Cache) -> Option<Duration> {
        let until: i64 = cache.get(&self.wait_key()).await.ok()??.parse().ok()?;
        let left = until - now_ms();
        (left > 0).then(|| Duration::from_millis(u64::try_from(left).unwrap_or(0)))
    }

    /// Records a failure and starts the delay it earns.
    pub async fn failed(&self, cache: &dyn Cache) {
        let Ok((failures, _)) = cache.hit(&self.failures_key(), WINDOW).await else {
            return;
        };
        let delay = delay_after(failures);
        if delay.is_zero() {
            return;
        }
        let until = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        if let Err(e) = cache.set(&self.wait_key(), &until.to_string(), delay).await {
            tracing::warn!(error = %e, "sign-in guard: cannot record a delay");
        }
    }

    /// A success: the slate is clean.
    pub async fn succeeded(&self, cache: &dyn Cache) {
        let _ = cache.delete(&[self.failures_key(), self.wait_key()]).await;
    }
}

/// 0 for the free failures, then 1 s, 2 s, 4 s … up to [`MAX_DELAY`].
fn delay_after(failures: u64) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES - 1).unwrap_or(u32::MAX);
    Duration::from_secs(2u64.saturating_pow(doublings)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_failures_and_cap() {
        let secs: Vec<u64> = (1..=16).map(|n| delay_after(n).as_secs()).collect();
        assert_eq!(
            secs,
            vec![0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
        );
        assert_eq!(delay_after(u64::MAX), MAX_DELAY);
    }
}
