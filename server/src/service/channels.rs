//! Channels and DMs: listing with unread counts, creation, settings,
//! membership and read positions. Visibility rules: see [`access`].

use std::collections::HashMap;

use parley_shared::api::{
    Channel, ChannelKind, ChannelMember, CreateChannelRequest, ReadState, UpdateChannelRequest,
    User,
};
use parley_shared::validate::{self, ValidationError};
use parley_shared::ws::{ChannelWithMembers, ServerEvent};
use parley_shared::{ChannelId, MessageId, Timestamp, UserId, WorkspaceId};

use super::access::{self, workspace_role};
use super::convert::{channel, channel_role_from, kind_from, kind_str};
use super::{events, now_ms, users};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{ChannelView, EventDraft, NewChannel, StoreError};

/// The channel as a broadcast shows it: the fields every member shares
/// (viewer-specific counts are zero; clients keep their own).
fn announced(c: &NewChannel, member_count: usize) -> Channel {
    Channel {
        id: ChannelId(c.id),
        workspace_id: c.workspace_id.map(WorkspaceId),
        kind: kind_from(c.kind),
        name: c.name.clone(),
        topic: c.topic.clone(),
        purpose: c.purpose.clone(),
        created_by: UserId(c.created_by),
        created_at: Timestamp::from_millis(c.now),
        member_count: member_count as u64,
        last_seq: 0,
        last_message_at: None,
        is_member: false,
        last_read_seq: 0,
        unread_count: 0,
        mention_count: 0,
        members: None,
    }
}

/// CHANNEL_CREATED for a new channel: the workspace hears of a public one;
/// each member hears of a private one or a DM (and gets subscribed).
pub(crate) fn creation_events(c: &NewChannel) -> ApiResult<Vec<EventDraft>> {
    let mut members: Vec<i64> = c.members.clone();
    members.push(c.created_by);
    members.sort_unstable();
    members.dedup();
    let ev = ServerEvent::ChannelCreated(ChannelWithMembers {
        channel: announced(c, members.len()),
        member_ids: members.iter().map(|&u| UserId(u)).collect(),
    });
    let kind = kind_from(c.kind);
    let mut out = Vec::new();
    if let (ChannelKind::Public, Some(ws)) = (kind, c.workspace_id) {
        out.push(events::to_workspace(WorkspaceId(ws), &ev)?);
    }
    for &u in &members {
        let mut e = events::to_user(UserId(u), &ev)?;
        e.subject_id = Some(u);
        if kind == ChannelKind::Public {
            // The workspace copy already reaches them; this one only
            // refreshes their subscriptions.
            e.user_id = None;
        }
        out.push(e);
    }
    Ok(out)
}

/// What `Channel` a change announces: the current one as the actor sees it,
/// with the viewer-specific fields cleared.
fn for_broadcast(mut c: Channel) -> Channel {
    c.is_member = false;
    c.last_read_seq = 0;
    c.unread_count = 0;
    c.mention_count = 0;
    c
}

/// Attaches member profiles to DM views (they name the conversation).
async fn with_dm_members(state: &AppState, views: &[ChannelView]) -> ApiResult<Vec<Channel>> {
    let dm_ids: Vec<i64> = views
        .iter()
        .filter(|v| v.channel.workspace_id.is_none())
        .map(|v| v.channel.id)
        .collect();
    let pairs = state.store.fetch_members_of(&dm_ids).await?;
    let profiles = users::profiles(state, pairs.iter().map(|p| p.1)).await?;
    let mut members: HashMap<i64, Vec<User>> = HashMap::new();
    for (channel_id, user_id) in pairs {
        if let Some(u) = profiles.get(&user_id) {
            members.entry(channel_id).or_default().push(u.clone());
        }
    }
    Ok(views
        .iter()
        .map(|v| {
            let m = if v.channel.workspace_id.is_none() {
                Some(members.remove(&v.channel.id).unwrap_or_default())
            } else {
                None
            };
            channel(v, m)
        })
        .collect())
}

pub async fn list(
    state: &AppState,
    viewer: UserId,
    workspace_id: WorkspaceId,
) -> ApiResult<Vec<Channel>> {
    workspace_role(state, workspace_id, viewer).await?;
    let views = state
        .store
        .fetch_workspace_channel_views(workspace_id.get(), viewer.get())
        .await?;
    Ok(views.iter().map(|v| channel(v, None)).collect())
}

pub async fn get(state: &AppState, viewer: UserId, id: ChannelId) -> ApiResult<Channel> {
    access::channel(state, viewer, id).await?;
    let view = state
        .store
        .fetch_channel_view(id.get(), viewer.get())
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    with_dm_members(state, std::slice::from_ref(&view))
        .await?
        .pop()
        .ok_or(ApiError::NotFound("channel"))
}

fn dedup(ids: &[UserId]) -> Vec<i64> {
    let mut v: Vec<i64> = ids.iter().map(|u| u.get()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

async fn require_workspace_members(
    state: &AppState,
    workspace_id: i64,
    ids: &[i64],
    field: &'static str,
) -> ApiResult<()> {
    if ids.len() > 100 {
        return Err(ValidationError::new(field, "at most 100 people at a time").into());
    }
    if state
        .store
        .count_workspace_members(workspace_id, ids)
        .await?
        != ids.len()
    {
        return Err(
            ValidationError::new(field, "everyone must be a member of the workspace").into(),
        );
    }
    Ok(())
}

/// The UTS #39 skeleton of a name: look-alikes (Cyrillic `е` for Latin
/// `e`, `1` for `l`, `rn` for `m` …) share one.
fn skeleton(name: &str) -> String {
    unicode_security::confusable_detection::skeleton(name).collect()
}

/// Refuses a name that looks like another live channel's without being
/// it (the same name is the store's unique index's to refuse). Checked
/// against every channel of the workspace, private ones too, exactly like
/// that index: a name is taken or it is not.
async fn refuse_look_alike(
    state: &AppState,
    workspace_id: WorkspaceId,
    name: &str,
    renamed: Option<ChannelId>,
) -> ApiResult<()> {
    let wanted = skeleton(name);
    let existing = state
        .store
        .fetch_live_channel_names(workspace_id.get())
        .await?;
    let clash = existing.iter().any(|(id, other)| {
        Some(ChannelId(*id)) != renamed && other != name && skeleton(other) == wanted
    });
    if clash {
        return Err(ApiError::Conflict(
            "a channel whose name looks the same already exists in the workspace",
        ));
    }
    Ok(())
}

fn name_conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict { .. } => {
            ApiError::Conflict("a channel with this name already exists in the workspace")
        }
        other => other.into(),
    }
}

pub async fn create(
    state: &AppState,
    viewer: UserId,
    workspace_id: WorkspaceId,
    req: CreateChannelRequest,
) -> ApiResult<Channel> {
    workspace_role(state, workspace_id, viewer).await?;
    if !matches!(req.kind, ChannelKind::Public | ChannelKind::Private) {
        return Err(ValidationError::new(
            "kind",
            "must be public or private (use /dm for direct messages)",
        )
        .into());
    }
    let name = validate::channel_name(&req.name)?;
    refuse_look_alike(state, workspace_id, &name, None).await?;
    let topic = validate::topic(req.topic.as_deref().unwrap_or(""))?;
    let purpose = validate::purpose(req.purpose.as_deref().unwrap_or(""))?;
    let members = dedup(&req.member_ids);
    require_workspace_members(state, workspace_id.get(), &members, "member_ids").await?;
    let id = state.next_id();
    let new = NewChannel {
        id,
        workspace_id: Some(workspace_id.get()),
        kind: kind_str(req.kind),
        name,
        topic,
        purpose,
        is_default: false,
        dm_key: None,
        created_by: viewer.get(),
        members,
        now: now_ms(),
    };
    state
        .store
        .insert_channel(&new, &creation_events(&new)?)
        .await
        .map_err(name_conflict)?;
    get(state, viewer, ChannelId(id)).await
}

/// Members may set topic and purpose; renaming takes an admin. DMs have no
/// settings.
pub async fn update(
    state: &AppState,
    viewer: UserId,
    id: ChannelId,
    req: UpdateChannelRequest,
) -> ApiResult<Channel> {
    let a = access::channel(state, viewer, id).await?;
    if a.is_dm() {
        return Err(ApiError::Forbidden("direct messages have no settings"));
    }
    a.require_member()?;
    let name = match req.name {
        Some(n) => {
            let n = validate::channel_name(&n)?;
            if n != a.row.name {
                a.require_admin()?;
                if let Some(ws) = a.row.workspace_id {
                    refuse_look_alike(state, WorkspaceId(ws), &n, Some(id)).await?;
                }
            }
            n
        }
        None => a.row.name.clone(),
    };
    let topic = match req.topic {
        Some(t) => validate::topic(&t)?,
        None => a.row.topic.clone(),
    };
    let purpose = match req.purpose {
        Some(p) => validate::purpose(&p)?,
        None => a.row.purpose.clone(),
    };
    let mut announced = for_broadcast(get(state, viewer, id).await?);
    announced.name = name.clone();
    announced.topic = topic.clone();
    announced.purpose = purpose.clone();
    let ev = events::channel_meta(
        a.kind,
        id,
        a.row.workspace_id.map(WorkspaceId),
        &ServerEvent::ChannelUpdated(announced),
    )?;
    state
        .store
        .update_channel(id.get(), &name, &topic, &purpose, now_ms(), &[ev])
        .await
        .map_err(name_conflict)?;
    get(state, viewer, id).await
}

/// Deleting archives: the channel and its messages disappear for everyone,
/// but nothing is destroyed.
pub async fn archive(state: &AppState, viewer: UserId, id: ChannelId) -> ApiResult<()> {
    let a = access::channel(state, viewer, id).await?;
    if a.is_dm() {
        return Err(ApiError::Forbidden("direct messages cannot be deleted"));
    }
    a.require_admin()?;
    let ev = events::channel_meta(
        a.kind,
        id,
        a.row.workspace_id.map(WorkspaceId),
        &ServerEvent::ChannelArchived { channel_id: id },
    )?;
    state
        .store
        .archive_channel(id.get(), now_ms(), &[ev])
        .await?;
    tracing::info!(channel_id = id.get(), by = viewer.get(), "channel archived");
    Ok(())
}

pub async fn members(
    state: &AppState,
    viewer: UserId,
    id: ChannelId,
) -> ApiResult<Vec<ChannelMember>> {
    access::channel(state, viewer, id).await?;
    let rows = state.store.fetch_channel_members(id.get()).await?;
    let mut profiles = users::profiles(state, rows.iter().map(|r| r.user_id)).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            profiles.remove(&r.user_id).map(|user| ChannelMember {
                user,
                role: channel_role_from(&r.role),
                joined_at: Timestamp::from_millis(r.joined_at),
            })
        })
        .collect())
}

/// Members invite others; anyone in the workspace may join a public channel
/// by adding themselves.
pub async fn add_members(
    state: &AppState,
    viewer: UserId,
    id: ChannelId,
    user_ids: &[UserId],
) -> ApiResult<Vec<ChannelMember>> {
    let a = access::channel(state, viewer, id).await?;
    if a.is_dm() {
        return Err(ApiError::Forbidden(
            "people cannot be added to a DM; start a new group DM instead",
        ));
    }
    let ids = dedup(user_ids);
    if ids.is_empty() {
        return Err(ValidationError::new("user_ids", "must name at least one person").into());
    }
    let joining_self = ids == [viewer.get()];
    if !(joining_self && a.kind == ChannelKind::Public) {
        a.require_member()?;
    }
    if let Some(ws) = a.row.workspace_id {
        require_workspace_members(state, ws, &ids, "user_ids").await?;
    }
    let profiles = users::profiles(state, ids.iter().copied()).await?;
    let mut joined = HashMap::new();
    for (&user_id, user) in &profiles {
        let ev = ServerEvent::MemberJoined {
            channel_id: id,
            user: user.clone(),
        };
        joined.insert(user_id, events::membership(id, UserId(user_id), &ev)?);
    }
    state
        .store
        .insert_channel_members(id.get(), &ids, now_ms(), |u| {
            joined.get(&u).cloned().into_iter().collect()
        })
        .await?;
    members(state, viewer, id).await
}

/// Removing yourself is leaving (not possible in a 1:1 DM); removing others
/// takes an admin.
pub async fn remove_member(
    state: &AppState,
    viewer: UserId,
    id: ChannelId,
    target: UserId,
) -> ApiResult<()> {
    let a = access::channel(state, viewer, id).await?;
    if viewer == target {
        if a.kind == ChannelKind::Dm {
            return Err(ApiError::Forbidden("you cannot leave a 1:1 DM"));
        }
        a.require_member()?;
    } else {
        if a.is_dm() {
            return Err(ApiError::Forbidden("people cannot be removed from a DM"));
        }
        a.require_member()?;
        a.require_admin()?;
    }
    let ev = events::membership(
        id,
        target,
        &ServerEvent::MemberLeft {
            channel_id: id,
            user_id: target,
        },
    )?;
    if state
        .store
        .delete_channel_member(id.get(), target.get(), now_ms(), &[ev])
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::NotFound("member"))
    }
}

pub async fn mark_read(
    state: &AppState,
    viewer: UserId,
    id: ChannelId,
    message_id: MessageId,
) -> ApiResult<ReadState> {
    let a = access::channel(state, viewer, id).await?;
    a.require_member()?;
    let msg = state
        .store
        .fetch_message(message_id.get())
        .await?
        .filter(|m| m.channel_id == id.get())
        .ok_or(ApiError::NotFound("message"))?;
    let ev = events::to_channel(
        id,
        &ServerEvent::ReadReceipt {
            channel_id: id,
            user_id: viewer,
            message_id: MessageId(msg.id),
            last_read_seq: msg.seq,
        },
    )?;
    state
        .store
        .mark_read(id.get(), viewer.get(), msg.seq, now_ms(), &[ev])
        .await?;
    read_state(state, viewer, id).await
}

pub async fn read_state(state: &AppState, viewer: UserId, id: ChannelId) -> ApiResult<ReadState> {
    let v = state
        .store
        .fetch_channel_view(id.get(), viewer.get())
        .await?
        .ok_or(ApiError::NotFound("channel"))?;
    Ok(ReadState {
        channel_id: id,
        last_read_seq: v.last_read_seq.unwrap_or(0),
        unread_count: u64::try_from(v.unread_count).unwrap_or(0),
        mention_count: u64::try_from(v.mention_count).unwrap_or(0),
    })
}

pub async fn list_dms(state: &AppState, viewer: UserId) -> ApiResult<Vec<Channel>> {
    let views = state.store.fetch_dm_views(viewer.get()).await?;
    with_dm_members(state, &views).await
}

/// Opens (or returns the existing) DM between the caller and `user_ids`.
/// Only people who share a workspace with the caller can be reached.
pub async fn open_dm(state: &AppState, viewer: UserId, user_ids: &[UserId]) -> ApiResult<Channel> {
    let me = viewer.get();
    let mut others = dedup(user_ids);
    others.retain(|&u| u != me);
    if others.len() + 1 > validate::GROUP_DM_MAX_PEOPLE {
        return Err(ValidationError::new(
            "user_ids",
            format!(
                "a group DM holds at most {} people",
                validate::GROUP_DM_MAX_PEOPLE
            ),
        )
        .into());
    }
    if user_ids.is_empty() {
        return Err(ValidationError::new("user_ids", "must name at least one person").into());
    }
    for &other in &others {
        if !state.store.shares_workspace(me, other).await? {
            return Err(ApiError::NotFound("user"));
        }
    }
    let mut everyone = others.clone();
    everyone.push(me);
    everyone.sort_unstable();
    let kind = if others.len() <= 1 { "dm" } else { "group_dm" };
    let key = format!(
        "{kind}:{}",
        everyone
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    if let Some(existing) = state.store.fetch_channel_by_dm_key(&key).await? {
        return get(state, viewer, ChannelId(existing.id)).await;
    }
    let id = state.next_id();
    let new = NewChannel {
        id,
        workspace_id: None,
        kind,
        name: String::new(),
        topic: String::new(),
        purpose: String::new(),
        is_default: false,
        dm_key: Some(key.clone()),
        created_by: me,
        members: everyone,
        now: now_ms(),
    };
    let created = state
        .store
        .insert_channel(&new, &creation_events(&new)?)
        .await;
    match created {
        Ok(()) => get(state, viewer, ChannelId(id)).await,
        // Two people opened the same DM at once: return the one that won.
        Err(StoreError::Conflict { .. }) => {
            let existing = state
                .store
                .fetch_channel_by_dm_key(&key)
                .await?
                .ok_or(ApiError::NotFound("channel"))?;
            get(state, viewer, ChannelId(existing.id)).await
        }
        Err(e) => Err(e.into()),
    }
}
