//! Who gets a NOTIFICATION for a new message, honoring each person's
//! settings: DMs, mentions and keywords notify unless the level is `none`; other
//! channel messages notify only those who set the channel to `all`. Global
//! do-not-disturb (`mute_until`) and per-channel mutes silence everything.

use std::collections::HashMap;

use parley_shared::api::{Message, NotifyLevel};
use parley_shared::mention;
use parley_shared::ws::{NotificationReason, ServerEvent};
use parley_shared::UserId;

use super::access::SendContext;
use super::convert::notify_from;
use super::events;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::EventDraft;

/// The people to notify of `content` by `author`, and why. The context's
/// flags say whether anyone but the author set the channel to `all`, or
/// set keywords; when not, those look-ups are skipped.
pub async fn targets(
    state: &AppState,
    ctx: &SendContext,
    author: UserId,
    content: &str,
    mentioned: &[i64],
    now: i64,
) -> ApiResult<Vec<(i64, NotificationReason)>> {
    let access = &ctx.access;
    let channel_id = access.row.id;
    let mut reasons: HashMap<i64, NotificationReason> = HashMap::new();
    if access.is_dm() {
        for m in state.store.fetch_channel_members(channel_id).await? {
            reasons.insert(m.user_id, NotificationReason::DirectMessage);
        }
    } else {
        if ctx.others_notified_of_all {
            for u in state
                .store
                .fetch_members_notified_of_all(channel_id)
                .await?
            {
                reasons.insert(u, NotificationReason::ChannelMessage);
            }
        }
        if ctx.others_with_keywords {
            let lowercase = content.to_lowercase();
            for (u, keyword) in state
                .store
                .fetch_member_keywords(channel_id, author.get())
                .await?
            {
                if mention::lowercase_has_keyword(&lowercase, &keyword) {
                    reasons.insert(u, NotificationReason::Keyword);
                }
            }
        }
    }
    for &u in mentioned {
        reasons.insert(u, NotificationReason::Mention);
    }
    reasons.remove(&author.get());
    if reasons.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = reasons.keys().copied().collect();
    let mut out = Vec::new();
    for s in state.store.fetch_notify_settings(channel_id, &ids).await? {
        let Some(&reason) = reasons.get(&s.user_id) else {
            continue;
        };
        let level = notify_from(s.channel_level.as_deref().unwrap_or(&s.global_level));
        let muted =
            s.mute_until.is_some_and(|t| t > now) || s.channel_muted_until.is_some_and(|t| t > now);
        let wanted = match reason {
            NotificationReason::ChannelMessage => level == NotifyLevel::All,
            NotificationReason::Mention
            | NotificationReason::DirectMessage
            | NotificationReason::Keyword => level != NotifyLevel::None,
        };
        if wanted && !muted {
            out.push((s.user_id, reason));
        }
    }
    Ok(out)
}

/// NOTIFICATION events for `targets` about `message`.
pub fn events(
    targets: &[(i64, NotificationReason)],
    message: &Message,
) -> ApiResult<Vec<EventDraft>> {
    targets
        .iter()
        .map(|&(user, reason)| {
            events::to_user(
                UserId(user),
                &ServerEvent::Notification {
                    channel_id: message.channel_id,
                    message: message.clone(),
                    reason,
                },
            )
        })
        .collect()
}
