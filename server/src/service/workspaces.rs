//! Workspaces, membership and invite links.

use parley_shared::api::{
    CreateInviteRequest, CreateWorkspaceRequest, Invite, InvitePreview, UpdateWorkspaceRequest,
    Workspace, WorkspaceMember, WorkspaceRole,
};
use parley_shared::validate::{self, ValidationError};
use parley_shared::ws::ServerEvent;
use parley_shared::{ChannelId, InviteId, Timestamp, UserId, WorkspaceId};

use super::access::{require_workspace_admin, workspace_role};
use super::convert::{invite, workspace_role_from, workspace_role_str};
use super::{events, now_ms, users};
use crate::crypto::secrets::{hash_secret, random_token};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{EventDraft, InviteAcceptance, NewChannel, NewWorkspace, WorkspaceRow};

fn workspace(row: &WorkspaceRow) -> Workspace {
    Workspace {
        id: WorkspaceId(row.id),
        name: row.name.clone(),
        description: row.description.clone(),
        owner_id: UserId(row.owner_id),
        role: workspace_role_from(&row.role),
        member_count: u64::try_from(row.member_count).unwrap_or(0),
        created_at: Timestamp::from_millis(row.created_at),
    }
}

pub async fn list(state: &AppState, viewer: UserId) -> ApiResult<Vec<Workspace>> {
    let rows = state.store.fetch_workspaces_for(viewer.get()).await?;
    Ok(rows.iter().map(workspace).collect())
}

pub async fn get(state: &AppState, viewer: UserId, id: WorkspaceId) -> ApiResult<Workspace> {
    state
        .store
        .fetch_workspace_for(id.get(), viewer.get())
        .await?
        .map(|r| workspace(&r))
        .ok_or(ApiError::NotFound("workspace"))
}

/// Creates the workspace with the caller as owner and a `#general` channel
/// everyone joins.
pub async fn create(
    state: &AppState,
    viewer: UserId,
    req: CreateWorkspaceRequest,
) -> ApiResult<Workspace> {
    let name = validate::workspace_name(&req.name)?;
    let description = validate::description(req.description.as_deref().unwrap_or(""))?;
    let id = state.next_id();
    let now = now_ms();
    let general = NewChannel {
        id: state.next_id(),
        workspace_id: Some(id),
        kind: "public",
        name: "general".into(),
        topic: String::new(),
        purpose: "Team-wide announcements and conversation".into(),
        is_default: true,
        dm_key: None,
        created_by: viewer.get(),
        members: Vec::new(),
        now,
    };
    // The creator's other sessions learn of it (and subscribe).
    let announced = Workspace {
        id: WorkspaceId(id),
        name: name.clone(),
        description: description.clone(),
        owner_id: viewer,
        role: WorkspaceRole::Owner,
        member_count: 1,
        created_at: Timestamp::from_millis(now),
    };
    let mut ev = events::to_user(viewer, &ServerEvent::WorkspaceUpdated(announced))?;
    ev.subject_id = Some(viewer.get());
    state
        .store
        .insert_workspace(
            &NewWorkspace {
                id,
                name,
                description,
                owner_id: viewer.get(),
                now,
            },
            &general,
            &[ev],
        )
        .await?;
    get(state, viewer, WorkspaceId(id)).await
}

pub async fn update(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
    req: UpdateWorkspaceRequest,
) -> ApiResult<Workspace> {
    let current = get(state, viewer, id).await?;
    require_workspace_admin(current.role)?;
    let name = match req.name {
        Some(n) => validate::workspace_name(&n)?,
        None => current.name.clone(),
    };
    let description = match req.description {
        Some(d) => validate::description(&d)?,
        None => current.description.clone(),
    };
    let announced = Workspace {
        name: name.clone(),
        description: description.clone(),
        // The role is each reader's own; a broadcast cannot know it.
        role: WorkspaceRole::Member,
        ..current
    };
    let ev = events::to_workspace(id, &ServerEvent::WorkspaceUpdated(announced))?;
    state
        .store
        .update_workspace(id.get(), &name, &description, now_ms(), &[ev])
        .await?;
    get(state, viewer, id).await
}

pub async fn members(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
) -> ApiResult<Vec<WorkspaceMember>> {
    workspace_role(state, id, viewer).await?;
    let rows = state.store.fetch_workspace_members(id.get()).await?;
    let mut profiles = users::profiles(state, rows.iter().map(|r| r.user_id)).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            profiles.remove(&r.user_id).map(|user| WorkspaceMember {
                user,
                role: workspace_role_from(&r.role),
                joined_at: Timestamp::from_millis(r.joined_at),
            })
        })
        .collect())
}

/// Only the owner hands out or takes back the admin role; ownership itself
/// cannot be reassigned here.
pub async fn set_role(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
    target: UserId,
    role: WorkspaceRole,
) -> ApiResult<WorkspaceMember> {
    let my_role = workspace_role(state, id, viewer).await?;
    let target_role = state
        .store
        .fetch_workspace_role(id.get(), target.get())
        .await?
        .map(|r| workspace_role_from(&r))
        .ok_or(ApiError::NotFound("member"))?;
    if my_role != WorkspaceRole::Owner {
        return Err(ApiError::Forbidden(
            "only the workspace owner may change roles",
        ));
    }
    if role == WorkspaceRole::Owner {
        return Err(ValidationError::new("role", "must be admin or member").into());
    }
    if target_role == WorkspaceRole::Owner {
        return Err(ApiError::Forbidden("the owner's role cannot change"));
    }
    state
        .store
        .update_workspace_role(id.get(), target.get(), workspace_role_str(role))
        .await?;
    members(state, viewer, id)
        .await?
        .into_iter()
        .find(|m| m.user.id == target)
        .ok_or(ApiError::NotFound("member"))
}

/// Removing yourself is leaving. Admins remove members; only the owner
/// removes admins; nobody removes the owner.
pub async fn remove_member(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
    target: UserId,
) -> ApiResult<()> {
    let my_role = workspace_role(state, id, viewer).await?;
    let target_role = state
        .store
        .fetch_workspace_role(id.get(), target.get())
        .await?
        .map(|r| workspace_role_from(&r))
        .ok_or(ApiError::NotFound("member"))?;
    if target_role == WorkspaceRole::Owner {
        return Err(if viewer == target {
            ApiError::Conflict("the owner cannot leave their workspace")
        } else {
            ApiError::Forbidden("the owner cannot be removed")
        });
    }
    if viewer != target {
        require_workspace_admin(my_role)?;
        if target_role == WorkspaceRole::Admin && my_role != WorkspaceRole::Owner {
            return Err(ApiError::Forbidden("only the owner may remove admins"));
        }
    }
    let ev = events::workspace_membership(
        id,
        target,
        &ServerEvent::WorkspaceMemberLeft {
            workspace_id: id,
            user_id: target,
        },
    )?;
    state
        .store
        .delete_workspace_member(id.get(), target.get(), now_ms(), &[ev])
        .await?;
    Ok(())
}

pub async fn create_invite(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
    req: CreateInviteRequest,
) -> ApiResult<Invite> {
    require_workspace_admin(workspace_role(state, id, viewer).await?)?;
    if let Some(n) = req.max_uses {
        if !(1..=validate::INVITE_MAX_USES).contains(&n) {
            return Err(ValidationError::new(
                "max_uses",
                format!("must be between 1 and {}", validate::INVITE_MAX_USES),
            )
            .into());
        }
    }
    if let Some(h) = req.expires_in_hours {
        if !(1..=validate::INVITE_MAX_HOURS).contains(&h) {
            return Err(ValidationError::new(
                "expires_in_hours",
                format!("must be between 1 and {}", validate::INVITE_MAX_HOURS),
            )
            .into());
        }
    }
    let code = random_token(18);
    let now = now_ms();
    let row = state
        .store
        .insert_invite(
            state.next_id(),
            id.get(),
            &hash_secret(&code),
            viewer.get(),
            req.max_uses.map(i64::from),
            req.expires_in_hours.map(|h| now + i64::from(h) * 3_600_000),
            now,
        )
        .await?;
    Ok(invite(&row, Some(code)))
}

pub async fn list_invites(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
) -> ApiResult<Vec<Invite>> {
    require_workspace_admin(workspace_role(state, id, viewer).await?)?;
    let rows = state.store.fetch_invites(id.get()).await?;
    Ok(rows.iter().map(|r| invite(r, None)).collect())
}

pub async fn revoke_invite(
    state: &AppState,
    viewer: UserId,
    id: WorkspaceId,
    invite_id: InviteId,
) -> ApiResult<()> {
    require_workspace_admin(workspace_role(state, id, viewer).await?)?;
    if state
        .store
        .revoke_invite(id.get(), invite_id.get(), now_ms())
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::NotFound("invite"))
    }
}

pub async fn preview_invite(state: &AppState, code: &str) -> ApiResult<InvitePreview> {
    let not_found = ApiError::NotFound("invite");
    let row = state
        .store
        .fetch_invite_by_hash(&hash_secret(code))
        .await?
        .ok_or(ApiError::NotFound("invite"))?;
    let now = now_ms();
    let used_up = row.max_uses.is_some_and(|m| row.uses >= m);
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|t| t <= now) || used_up {
        return Err(not_found);
    }
    let name = state
        .store
        .fetch_workspace_name(row.workspace_id)
        .await?
        .ok_or(ApiError::NotFound("invite"))?;
    let members = state
        .store
        .fetch_workspace_members(row.workspace_id)
        .await?;
    Ok(InvitePreview {
        workspace_id: WorkspaceId(row.workspace_id),
        workspace_name: name,
        member_count: members.len() as u64,
        expires_at: row.expires_at.map(Timestamp::from_millis),
    })
}

pub async fn accept_invite(state: &AppState, viewer: UserId, code: &str) -> ApiResult<Workspace> {
    let me = users::get(state, viewer).await?;
    let announce = |workspace_id: i64, channels: &[i64]| {
        let workspace_id = WorkspaceId(workspace_id);
        let mut evs: Vec<EventDraft> = events::workspace_membership(
            workspace_id,
            viewer,
            &ServerEvent::WorkspaceMemberJoined {
                workspace_id,
                user: me.clone(),
            },
        )
        .into_iter()
        .collect();
        for &c in channels {
            let channel_id = ChannelId(c);
            evs.extend(events::membership(
                channel_id,
                viewer,
                &ServerEvent::MemberJoined {
                    channel_id,
                    user: me.clone(),
                },
            ));
        }
        evs
    };
    match state
        .store
        .accept_invite(&hash_secret(code), viewer.get(), now_ms(), announce)
        .await?
    {
        InviteAcceptance::Joined { workspace_id }
        | InviteAcceptance::AlreadyMember { workspace_id } => {
            get(state, viewer, WorkspaceId(workspace_id)).await
        }
        InviteAcceptance::Invalid => Err(ApiError::NotFound("invite")),
    }
}
