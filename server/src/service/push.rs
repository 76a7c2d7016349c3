//! Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads, RFC
//! 8291) for people with no open session: a notification that cannot
//! reach a WebSocket is queued as a push job in the message's own
//! transaction and delivered to every browser the person subscribed.
//!
//! The server POSTs to URLs its users supply, so endpoints must be public
//! HTTPS services (no private or loopback addresses) unless
//! `PARLEY_PUSH_ALLOW_INSECURE` is set for tests.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use parley_shared::api::{ChannelKind, PushPayload, PushSubscriptionRequest, VapidKey};
use parley_shared::validate::ValidationError;
use parley_shared::ws::{NotificationReason, PresenceStatus};
use parley_shared::{ChannelId, MessageId, UserId};
use serde::{Deserialize, Serialize};
use web_push_native::{p256, Auth, WebPushBuilder};

use super::convert::kind_from;
use super::now_ms;
use super::users;
use crate::error::{ApiError, ApiResult};
use crate::outbound;
use crate::queue::JobError;
use crate::state::AppState;
use crate::store::NewJob;

pub const JOB_PUSH: &str = "push";
/// How long a push service should keep trying to reach the browser.
const PUSH_TTL: Duration = Duration::from_secs(24 * 3600);
const BODY_MAX_CHARS: usize = 200;

pub fn vapid_key(state: &AppState) -> VapidKey {
    VapidKey {
        public_key: state.vapid.public_key.clone(),
    }
}

/// Refuses endpoints the server must not be made to call (see
/// `outbound`); the subscription also resolves the host (`subscribe`).
fn check_endpoint(endpoint: &str, allow_insecure: bool) -> ApiResult<()> {
    outbound::check_url(endpoint, policy(allow_insecure))
        .map(|_| ())
        .map_err(|e| ValidationError::new("endpoint", e.to_string()).into())
}

fn policy(allow_insecure: bool) -> outbound::Policy {
    outbound::Policy {
        allow_private: allow_insecure,
    }
}

fn decode_key(field: &'static str, value: &str, len: Option<usize>) -> ApiResult<Vec<u8>> {
    let raw = URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| ValidationError::new(field, "must be base64url"))?;
    if len.is_some_and(|n| raw.len() != n) {
        return Err(ValidationError::new(field, "has the wrong length").into());
    }
    Ok(raw)
}

pub async fn subscribe(
    state: &AppState,
    viewer: UserId,
    req: PushSubscriptionRequest,
) -> ApiResult<()> {
    // The same checks as `check_endpoint`, plus the host's addresses.
    outbound::check_url_resolved(&req.endpoint, policy(state.config.push_allow_insecure))
        .await
        .map_err(|e| ValidationError::new("endpoint", e.to_string()))?;
    let p256dh = decode_key("keys.p256dh", &req.keys.p256dh, None)?;
    p256::PublicKey::from_sec1_bytes(&p256dh)
        .map_err(|_| ValidationError::new("keys.p256dh", "is not a P-256 public key"))?;
    decode_key("keys.auth", &req.keys.auth, Some(16))?;
    state
        .store
        .upsert_push_subscription(
            state.next_id(),
            viewer.get(),
            &req.endpoint,
            &req.keys.p256dh,
            &req.keys.auth,
            now_ms(),
        )
        .await?;
    Ok(())
}

pub async fn unsubscribe(state: &AppState, viewer: UserId, endpoint: &str) -> ApiResult<()> {
    if state
        .store
        .delete_push_subscription(viewer.get(), endpoint)
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::NotFound("push subscription"))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PushJob {
    pub user_id: i64,
    pub message_id: i64,
    pub reason: NotificationReason,
}

/// Push jobs for the notified people who have no open session anywhere
/// (connected ones get the NOTIFICATION frame) and have subscribed.
pub async fn jobs_for(
    state: &AppState,
    targets: &[(i64, NotificationReason)],
    message_id: MessageId,
    now: i64,
) -> ApiResult<Vec<NewJob>> {
    let message_id = message_id.get();
    let presence = &state.realtime.presence;
    let away: Vec<i64> = targets
        .iter()
        .map(|t| t.0)
        .filter(|&u| presence.status(u) == PresenceStatus::Offline)
        .collect();
    let subscribed = state.store.fetch_push_subscribers(&away).await?;
    targets
        .iter()
        .filter(|t| subscribed.contains(&t.0))
        .map(|&(user_id, reason)| {
            Ok(NewJob {
                id: state.next_id(),
                kind: JOB_PUSH,
                payload: serde_json::to_string(&PushJob {
                    user_id,
                    message_id,
                    reason,
                })
                .map_err(ApiError::internal)?,
                now,
            })
        })
        .collect()
}

/// What the notification says, built when it is sent (so an edit made in
/// the meantime shows, and a deleted message sends nothing).
async fn payload(state: &AppState, job: &PushJob) -> Result<Option<PushPayload>, JobError> {
    let store = &state.store;
    let Some(msg) = store.fetch_message(job.message_id).await? else {
        return Ok(None);
    };
    if msg.deleted_at.is_some() {
        return Ok(None);
    }
    let Some(access) = store
        .fetch_channel_access(msg.channel_id, job.user_id)
        .await?
    else {
        return Ok(None);
    };
    if access.m_role.is_none() {
        // No longer a member: they may not read it any more.
        return Ok(None);
    }
    let author = store
        .fetch_user(msg.author_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let kind = kind_from(&access.channel.kind);
    let place = if kind == ChannelKind::GroupDm {
        other_members(state, ChannelId(msg.channel_id), UserId(job.user_id)).await?
    } else {
        access.channel.name.clone()
    };
    let title = job.reason.title(kind, &author, &place);
    let mut body: String = msg.content.chars().take(BODY_MAX_CHARS).collect();
    if msg.content.chars().count() > BODY_MAX_CHARS {
        body.push('…');
    }
    if body.is_empty() {
        body = "sent a file".into();
    }
    Ok(Some(PushPayload {
        title,
        body,
        url: format!("/c/{}?message={}", msg.channel_id, msg.id),
        tag: format!("channel-{}", msg.channel_id),
    }))
}

/// A group DM's name as its member sees it: the others' names.
async fn other_members(
    state: &AppState,
    channel_id: ChannelId,
    me: UserId,
) -> Result<String, JobError> {
    let ids: Vec<i64> = state
        .store
        .fetch_channel_members(channel_id.get())
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .filter(|&id| id != me.get())
        .collect();
    let profiles = users::profiles(state, ids.iter().copied()).await?;
    // In the order they joined, as the clients list them.
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| profiles.get(id))
        .map(|u| u.display_name.as_str())
        .collect();
    Ok(names.join(", "))
}

/// Sends one notification to every browser of the user. Subscriptions the
/// push service reports gone (404/410) are deleted; other failures make
/// the job retry.
pub async fn run_push_job(state: &AppState, job: PushJob) -> Result<(), JobError> {
    let Some(payload) = payload(state, &job).await? else {
        return Ok(());
    };
    let body = serde_json::to_vec(&payload)?;
    let subs = state.store.fetch_push_subscriptions(job.user_id).await?;
    let mut failures = Vec::new();
    for sub in subs {
        let keys = (
            decode_key("p256dh", &sub.p256dh, None)
                .ok()
                .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok()),
            decode_key("auth", &sub.auth, Some(16)).ok(),
        );
        let (Some(public), Some(auth)) = keys else {
            let _ = state.store.delete_push_subscription_by_id(sub.id).await;
            continue;
        };
        // Checked again at every delivery: the rules may have tightened
        // since it was stored, and the client resolves only to public
        // addresses (`outbound::client`).
        let checked = check_endpoint(&sub.endpoint, state.config.push_allow_insecure);
        let (Ok(()), Ok(endpoint)) = (checked, sub.endpoint.parse()) else {
            let _ = state.store.delete_push_subscription_by_id(sub.id).await;
            continue;
        };
        let request = WebPushBuilder::new(endpoint, public, Auth::clone_from_slice(&auth))
            .with_valid_duration(PUSH_TTL)
            .with_vapid(&state.vapid.keys, &state.vapid.subject)
            .build(body.clone())
            .map_err(|e| JobError::Push(e.to_string()))?;
        let request =
            reqwest::Request::try_from(request).map_err(|e| JobError::Push(e.to_string()))?;
        match state.http.execute(request).await {
            Ok(res) if res.status().is_success() => {}
            Ok(res) if matches!(res.status().as_u16(), 404 | 410) => {
                let _ = state.store.delete_push_subscription_by_id(sub.id).await;
            }
            Ok(res) => failures.push(format!("{}: {}", sub.endpoint, res.status())),
            Err(e) => failures.push(format!("{}: {e}", sub.endpoint)),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(JobError::Push(failures.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_endpoints() {
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/abc", false).is_ok());
        assert!(check_endpoint(
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            false
        )
        .is_ok());
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://10.0.0.5/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://localhost/x",
            "ftp://example.com/x",
            "not a url",
        ] {
            assert!(check_endpoint(bad, false).is_err(), "{bad}");
        }
        assert!(check_endpoint("http://127.0.0.1:9999/push", true).is_ok());
    }
}
