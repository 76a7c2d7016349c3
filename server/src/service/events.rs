//! Builds the events written beside each change (see `store::events`).
//!
//! Audience rules — who may receive an event — follow `access`: events of
//! a private channel or DM go to its members only; public-channel *meta*
//! events (created/updated/archived) go to the workspace; messages and their
//! changes go to channel members. `subject` names a user whose memberships
//! the event changes: each node re-reads that user's subscriptions after
//! delivering it.

use parley_shared::api::ChannelKind;
use parley_shared::ws::ServerEvent;
use parley_shared::{ChannelId, UserId, WorkspaceId};

use crate::error::{ApiError, ApiResult};
use crate::store::EventDraft;

fn payload(ev: &ServerEvent) -> ApiResult<String> {
    serde_json::to_string(ev).map_err(ApiError::internal)
}

/// For the members of a channel.
pub fn to_channel(channel_id: ChannelId, ev: &ServerEvent) -> ApiResult<EventDraft> {
    Ok(EventDraft {
        channel_id: Some(channel_id.get()),
        payload: payload(ev)?,
        ..EventDraft::default()
    })
}

/// For the members of a workspace.
pub fn to_workspace(workspace_id: WorkspaceId, ev: &ServerEvent) -> ApiResult<EventDraft> {
    Ok(EventDraft {
        workspace_id: Some(workspace_id.get()),
        payload: payload(ev)?,
        ..EventDraft::default()
    })
}

/// For one user's sessions.
pub fn to_user(user_id: UserId, ev: &ServerEvent) -> ApiResult<EventDraft> {
    Ok(EventDraft {
        user_id: Some(user_id.get()),
        payload: payload(ev)?,
        ..EventDraft::default()
    })
}

/// A membership change of `user_id` in a channel: the channel hears it, so
/// does the user (who may not be subscribed yet), and nodes then refresh
/// the user's subscriptions.
pub fn membership(
    channel_id: ChannelId,
    user_id: UserId,
    ev: &ServerEvent,
) -> ApiResult<EventDraft> {
    Ok(EventDraft {
        channel_id: Some(channel_id.get()),
        user_id: Some(user_id.get()),
        subject_id: Some(user_id.get()),
        payload: payload(ev)?,
        ..EventDraft::default()
    })
}

/// The same for a workspace membership.
pub fn workspace_membership(
    workspace_id: WorkspaceId,
    user_id: UserId,
    ev: &ServerEvent,
) -> ApiResult<EventDraft> {
    Ok(EventDraft {
        workspace_id: Some(workspace_id.get()),
        user_id: Some(user_id.get()),
        subject_id: Some(user_id.get()),
        payload: payload(ev)?,
        ..EventDraft::default()
    })
}

/// Channel meta events: the whole workspace for public channels, the
/// members otherwise.
pub fn channel_meta(
    kind: ChannelKind,
    channel_id: ChannelId,
    workspace_id: Option<WorkspaceId>,
    ev: &ServerEvent,
) -> ApiResult<EventDraft> {
    match (kind, workspace_id) {
        (ChannelKind::Public, Some(ws)) => to_workspace(ws, ev),
        _ => to_channel(channel_id, ev),
    }
}
