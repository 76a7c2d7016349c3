//! Who may see and do what. Every service goes through these checks, so the
//! rules live in one place:
//!
//! - A workspace exists for its members only (others get 404).
//! - A public channel is visible to its workspace's members; a private
//!   channel or DM only to its own members. Everyone else gets 404, exactly
//!   as for a channel that does not exist — existence is never leaked.
//! - Archived channels are gone for everybody.
//! - Writing needs channel membership; moderating needs channel admin or
//!   workspace owner/admin.

use parley_shared::api::{ChannelKind, WorkspaceRole};
use parley_shared::{ChannelId, UserId, WorkspaceId};

use super::convert::{kind_from, workspace_role_from};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{ChannelAccessRow, ChannelMemberRow, ChannelRow, UserRow};

pub struct ChannelAccess {
    pub row: ChannelRow,
    pub kind: ChannelKind,
    pub member: Option<ChannelMemberRow>,
    /// The user's role in the channel's workspace (`None` for DMs).
    pub workspace_role: Option<WorkspaceRole>,
}

impl ChannelAccess {
    pub fn is_member(&self) -> bool {
        self.member.is_some()
    }

    pub fn is_dm(&self) -> bool {
        matches!(self.kind, ChannelKind::Dm | ChannelKind::GroupDm)
    }

    pub fn require_member(&self) -> ApiResult<()> {
        if self.is_member() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("join the channel first"))
        }
    }

    /// Channel admins, and the workspace's owner and admins, moderate
    /// channels. A DM has no moderators: whoever opened it is stored as its
    /// admin, but that must not let them delete the other person's messages.
    pub fn is_admin(&self) -> bool {
        !self.is_dm()
            && (self.member.as_ref().is_some_and(|m| m.role == "admin")
                || matches!(
                    self.workspace_role,
                    Some(WorkspaceRole::Owner | WorkspaceRole::Admin)
                ))
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "only channel admins and workspace admins may do this",
            ))
        }
    }
}

/// The user's role in the workspace; 404 when they are not a member.
pub async fn workspace_role(
    state: &AppState,
    workspace_id: WorkspaceId,
    user_id: UserId,
) -> ApiResult<WorkspaceRole> {
    state
        .store
        .fetch_workspace_role(workspace_id.get(), user_id.get())
        .await?
        .map(|r| workspace_role_from(&r))
        .ok_or(ApiError::NotFound("workspace"))
}

pub fn require_workspace_admin(role: WorkspaceRole) -> ApiResult<()> {
    match role {
        WorkspaceRole::Owner | WorkspaceRole::Admin => Ok(()),
        WorkspaceRole::Member => Err(ApiError::Forbidden(
            "only workspace owners and admins may do this",
        )),
    }
}

/// Loads a channel the user may see, or 404.
pub async fn channel(
    state: &AppState,
    user_id: UserId,
    channel_id: ChannelId,
) -> ApiResult<ChannelAccess> {
    let row = state
        .store
        .fetch_channel_access(channel_id.get(), user_id.get())
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    check(row, user_id)
}

/// What a send needs before it writes: the sender's access to the channel
/// (as [`channel`]), their profile, whether anyone else in the channel
/// hears of every message, and whether anyone else set keywords.
pub struct SendContext {
    pub access: ChannelAccess,
    pub author: UserRow,
    pub others_notified_of_all: bool,
    pub others_with_keywords: bool,
}

/// [`channel`] for a send, read in one query with the rest of its context.
pub async fn for_send(
    state: &AppState,
    user_id: UserId,
    channel_id: ChannelId,
) -> ApiResult<SendContext> {
    let row = state
        .store
        .fetch_send_context(channel_id.get(), user_id.get())
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    Ok(SendContext {
        access: check(row.access, user_id)?,
        author: row.author,
        others_notified_of_all: row.others_notified_of_all,
        others_with_keywords: row.others_with_keywords,
    })
}

/// The visibility rules above, applied to one user's view of a channel.
fn check(access: ChannelAccessRow, user_id: UserId) -> ApiResult<ChannelAccess> {
    let not_found = ApiError::NotFound("channel");
    let row = access.channel;
    if row.archived_at.is_some() {
        return Err(not_found);
    }
    let kind = kind_from(&row.kind);
    let member = match (access.m_role, access.m_joined_at) {
        (Some(role), Some(joined_at)) => Some(ChannelMemberRow {
            channel_id: row.id,
            user_id: user_id.get(),
            role,
            joined_at,
            last_read_seq: access.m_last_read_seq.unwrap_or(0),
            notify_level: access.m_notify_level,
            muted_until: access.m_muted_until,
        }),
        _ => None,
    };
    let workspace_role = access.ws_role.as_deref().map(workspace_role_from);
    let visible = match kind {
        ChannelKind::Public => workspace_role.is_some(),
        ChannelKind::Private | ChannelKind::Dm | ChannelKind::GroupDm => member.is_some(),
    };
    if !visible {
        return Err(not_found);
    }
    Ok(ChannelAccess {
        row,
        kind,
        member,
        workspace_role,
    })
}
