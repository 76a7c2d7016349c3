//! Profiles, status and preferences. Anyone signed in may read a public
//! profile; only the owner may change it.

use parley_shared::api::{
    CurrentUser, Preferences, UpdateChannelPreferenceRequest, UpdatePreferencesRequest,
    UpdateStatusRequest, UpdateUserRequest, User,
};
use parley_shared::validate::{self, ValidationError};
use parley_shared::{ChannelId, FileId, UserId, WorkspaceId};

use super::convert::{current_user, notify_str, theme_str, user};
use parley_shared::ws::ServerEvent;

use super::{access, events, now_ms};
use crate::cache::pages;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{EventDraft, UserRow};

async fn load(state: &AppState, id: UserId) -> ApiResult<UserRow> {
    state
        .store
        .fetch_user(id.get())
        .await?
        .ok_or(ApiError::NotFound("user"))
}

fn require_self(viewer: UserId, id: UserId) -> ApiResult<()> {
    if viewer == id {
        Ok(())
    } else {
        Err(ApiError::Forbidden("you can only change your own profile"))
    }
}

/// USER_UPDATED for everyone who shares a workspace with the user, and for
/// the user's other devices.
async fn profile_events(state: &AppState, row: &UserRow, now: i64) -> ApiResult<Vec<EventDraft>> {
    let ev = ServerEvent::UserUpdated(user(row, now));
    let (_, workspaces) = state.store.fetch_subscriptions(row.id).await?;
    let mut out = vec![events::to_user(UserId(row.id), &ev)?];
    for ws in workspaces {
        out.push(events::to_workspace(WorkspaceId(ws), &ev)?);
    }
    Ok(out)
}

/// After a profile change commits: cached pages show the author's name,
/// status and avatar, so the user's channels get fresh ones.
async fn profile_changed(state: &AppState, user_id: UserId) -> ApiResult<()> {
    let (channels, _) = state.store.fetch_subscriptions(user_id.get()).await?;
    pages::invalidate(state.cache.as_ref(), &channels).await;
    Ok(())
}

pub async fn me(state: &AppState, viewer: UserId) -> ApiResult<CurrentUser> {
    let row = load(state, viewer).await?;
    let overrides = state.store.fetch_channel_overrides(viewer.get()).await?;
    let keywords = state.store.fetch_keywords(viewer.get()).await?;
    Ok(current_user(&row, &overrides, keywords, now_ms()))
}

pub async fn get(state: &AppState, id: UserId) -> ApiResult<User> {
    Ok(user(&load(state, id).await?, now_ms()))
}

pub async fn update(
    state: &AppState,
    viewer: UserId,
    id: UserId,
    req: UpdateUserRequest,
) -> ApiResult<User> {
    let row = load(state, id).await?;
    require_self(viewer, id)?;
    let display_name = match req.display_name {
        Some(d) => validate::display_name(&d)?,
        None => row.display_name.clone(),
    };
    let bio = match req.bio {
        Some(b) => validate::bio(&b)?,
        None => row.bio.clone(),
    };
    let timezone = match req.timezone {
        Some(t) => validate::timezone(&t)?,
        None => row.timezone.clone(),
    };
    let now = now_ms();
    let changed = UserRow {
        display_name: display_name.clone(),
        bio: bio.clone(),
        timezone: timezone.clone(),
        ..row
    };
    let evs = profile_events(state, &changed, now).await?;
    state
        .store
        .update_profile(id.get(), &display_name, &bio, &timezone, now, &evs)
        .await?;
    profile_changed(state, id).await?;
    get(state, id).await
}

/// Points the viewer's profile at a new avatar (or none) and tells everyone
/// who sees them; returns the profile and the avatar it replaced.
pub async fn update_avatar(
    state: &AppState,
    viewer: UserId,
    file_id: Option<FileId>,
) -> ApiResult<(User, Option<FileId>)> {
    let row = load(state, viewer).await?;
    let old = row.avatar_file_id.map(FileId);
    let now = now_ms();
    let file_id = file_id.map(FileId::get);
    let changed = UserRow {
        avatar_file_id: file_id,
        ..row
    };
    let evs = profile_events(state, &changed, now).await?;
    state
        .store
        .update_avatar(viewer.get(), file_id, now, &evs)
        .await?;
    profile_changed(state, viewer).await?;
    Ok((user(&changed, now), old))
}

pub async fn update_status(
    state: &AppState,
    viewer: UserId,
    id: UserId,
    req: UpdateStatusRequest,
) -> ApiResult<User> {
    let row = load(state, id).await?;
    require_self(viewer, id)?;
    let text = validate::optional_text("text", &req.text, validate::STATUS_TEXT_MAX)?;
    let emoji = match req.emoji.as_deref() {
        Some(e) if !e.trim().is_empty() => Some(validate::emoji("emoji", e)?),
        _ => None,
    };
    let now = now_ms();
    if let Some(t) = req.expires_at {
        if t.millis() <= now {
            return Err(ValidationError::new("expires_at", "must be in the future").into());
        }
    }
    let cleared = text.is_empty() && emoji.is_none();
    let expires = if cleared {
        None
    } else {
        req.expires_at.map(|t| t.millis())
    };
    let changed = UserRow {
        status_text: text.clone(),
        status_emoji: emoji.clone(),
        status_expires_at: expires,
        ..row
    };
    let evs = profile_events(state, &changed, now).await?;
    state
        .store
        .update_status(id.get(), &text, emoji.as_deref(), expires, now, &evs)
        .await?;
    profile_changed(state, id).await?;
    get(state, id).await
}

pub async fn update_preferences(
    state: &AppState,
    viewer: UserId,
    req: UpdatePreferencesRequest,
) -> ApiResult<Preferences> {
    let keywords = req
        .keywords
        .as_deref()
        .map(validate::keywords)
        .transpose()?;
    state
        .store
        .update_preferences(
            viewer.get(),
            theme_str(req.theme),
            notify_str(req.notify_level),
            req.mute_until.map(|t| t.millis()),
            keywords.as_deref(),
            now_ms(),
        )
        .await?;
    Ok(me(state, viewer).await?.preferences)
}

pub async fn update_channel_preference(
    state: &AppState,
    viewer: UserId,
    channel_id: ChannelId,
    req: UpdateChannelPreferenceRequest,
) -> ApiResult<Preferences> {
    let access = access::channel(state, viewer, channel_id).await?;
    access.require_member()?;
    state
        .store
        .update_channel_override(
            channel_id.get(),
            viewer.get(),
            req.notify_level.map(notify_str),
            req.muted_until.map(|t| t.millis()),
        )
        .await?;
    Ok(me(state, viewer).await?.preferences)
}

/// Public profiles for these ids, keyed by id (unknown ids are left out).
pub async fn profiles(
    state: &AppState,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<std::collections::HashMap<i64, User>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let now = now_ms();
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    // Bounded IN lists keep every query well under both engines' parameter limits.
    for chunk in ids.chunks(500) {
        for row in state.store.fetch_users(chunk).await? {
            out.insert(row.id, user(&row, now));
        }
    }
    Ok(out)
}
