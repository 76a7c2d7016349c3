//! Rows → API types. Pure functions: no store access, no authorization.

use parley_shared::api::{
    Channel, ChannelKind, ChannelPreference, ChannelRole, CurrentUser, FileInfo, Invite, Message,
    NotifyLevel, Preferences, ReactionGroup, Theme, User, UserStatus, WorkspaceRole,
};
use parley_shared::{ChannelId, FileId, InviteId, MessageId, Timestamp, UserId, WorkspaceId};

use crate::store::{
    ChannelMemberRow, ChannelView, FileRow, InviteRow, MessageRow, ReactionRow, UserRow,
};

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

pub fn theme_from(s: &str) -> Theme {
    match s {
        "light" => Theme::Light,
        "dark" => Theme::Dark,
        _ => Theme::System,
    }
}

pub fn theme_str(t: Theme) -> &'static str {
    match t {
        Theme::Light => "light",
        Theme::Dark => "dark",
        Theme::System => "system",
    }
}

pub fn notify_from(s: &str) -> NotifyLevel {
    match s {
        "mentions" => NotifyLevel::Mentions,
        "none" => NotifyLevel::None,
        _ => NotifyLevel::All,
    }
}

pub fn notify_str(n: NotifyLevel) -> &'static str {
    match n {
        NotifyLevel::All => "all",
        NotifyLevel::Mentions => "mentions",
        NotifyLevel::None => "none",
    }
}

pub fn workspace_role_from(s: &str) -> WorkspaceRole {
    match s {
        "owner" => WorkspaceRole::Owner,
        "admin" => WorkspaceRole::Admin,
        _ => WorkspaceRole::Member,
    }
}

pub fn workspace_role_str(r: WorkspaceRole) -> &'static str {
    match r {
        WorkspaceRole::Owner => "owner",
        WorkspaceRole::Admin => "admin",
        WorkspaceRole::Member => "member",
    }
}

pub fn channel_role_from(s: &str) -> ChannelRole {
    if s == "admin" {
        ChannelRole::Admin
    } else {
        ChannelRole::Member
    }
}

pub fn kind_from(s: &str) -> ChannelKind {
    match s {
        "private" => ChannelKind::Private,
        "dm" => ChannelKind::Dm,
        "group_dm" => ChannelKind::GroupDm,
        _ => ChannelKind::Public,
    }
}

pub fn kind_str(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Public => "public",
        ChannelKind::Private => "private",
        ChannelKind::Dm => "dm",
        ChannelKind::GroupDm => "group_dm",
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The public profile; an expired status reads as no status.
pub fn user(row: &UserRow, now: i64) -> User {
    let expired = row.status_expires_at.is_some_and(|t| t <= now);
    let status = if expired || (row.status_text.is_empty() && row.status_emoji.is_none()) {
        None
    } else {
        Some(UserStatus {
            text: row.status_text.clone(),
            emoji: row.status_emoji.clone(),
            expires_at: row.status_expires_at.map(ts),
        })
    };
    User {
        id: UserId(row.id),
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        bio: row.bio.clone(),
        timezone: row.timezone.clone(),
        status,
        avatar_url: row
            .avatar_file_id
            .map(|f| format!("/api/v1/users/{}/avatar?v={f}", row.id)),
        created_at: ts(row.created_at),
    }
}

pub fn current_user(
    row: &UserRow,
    overrides: &[ChannelMemberRow],
    keywords: Vec<String>,
    now: i64,
) -> CurrentUser {
    CurrentUser {
        profile: user(row, now),
        email: row.email.clone(),
        preferences: Preferences {
            theme: theme_from(&row.theme),
            notify_level: notify_from(&row.notify_level),
            mute_until: row.mute_until.map(ts),
            channels: overrides
                .iter()
                .map(|m| ChannelPreference {
                    channel_id: ChannelId(m.channel_id),
                    notify_level: m.notify_level.as_deref().map(notify_from),
                    muted_until: m.muted_until.map(ts),
                })
                .collect(),
            keywords,
        },
    }
}

pub fn channel(v: &ChannelView, members: Option<Vec<User>>) -> Channel {
    let c = &v.channel;
    Channel {
        id: ChannelId(c.id),
        workspace_id: c.workspace_id.map(WorkspaceId),
        kind: kind_from(&c.kind),
        name: c.name.clone(),
        topic: c.topic.clone(),
        purpose: c.purpose.clone(),
        created_by: UserId(c.created_by),
        created_at: ts(c.created_at),
        member_count: count(v.member_count),
        last_seq: c.last_seq,
        last_message_at: c.last_message_at.map(ts),
        is_member: v.my_role.is_some(),
        last_read_seq: v.last_read_seq.unwrap_or(0),
        unread_count: count(v.unread_count),
        mention_count: count(v.mention_count),
        members,
    }
}

pub fn invite(row: &InviteRow, code: Option<String>) -> Invite {
    Invite {
        id: InviteId(row.id),
        workspace_id: WorkspaceId(row.workspace_id),
        created_by: UserId(row.created_by),
        max_uses: row.max_uses.and_then(|n| u32::try_from(n).ok()),
        uses: u32::try_from(row.uses).unwrap_or(u32::MAX),
        expires_at: row.expires_at.map(ts),
        created_at: ts(row.created_at),
        code,
    }
}

/// Groups reactions per emoji in first-reacted order.
pub fn reaction_groups(rows: &[&ReactionRow]) -> Vec<ReactionGroup> {
    let mut groups: Vec<ReactionGroup> = Vec::new();
    for r in rows {
        match groups.iter_mut().find(|g| g.emoji == r.emoji) {
            Some(g) => {
                g.count += 1;
                g.user_ids.push(UserId(r.user_id));
            }
            None => groups.push(ReactionGroup {
                emoji: r.emoji.clone(),
                count: 1,
                user_ids: vec![UserId(r.user_id)],
            }),
        }
    }
    groups
}

pub fn file_info(row: &FileRow) -> FileInfo {
    FileInfo {
        id: FileId(row.id),
        name: row.name.clone(),
        content_type: row.content_type.clone(),
        size: count(row.size),
        width: row.width.and_then(|w| u32::try_from(w).ok()),
        height: row.height.and_then(|h| u32::try_from(h).ok()),
        url: format!("/api/v1/files/{}/download", row.id),
        thumbnail_url: row
            .width
            .is_some()
            .then(|| format!("/api/v1/files/{}/thumbnail", row.id)),
        uploaded_by: UserId(row.uploader_id),
        created_at: ts(row.created_at),
    }
}

/// A deleted message shows no attachments (its files stop being readable).
pub fn message(
    row: &MessageRow,
    author: User,
    reactions: Vec<ReactionGroup>,
    attachments: Vec<FileInfo>,
) -> Message {
    Message {
        id: MessageId(row.id),
        channel_id: ChannelId(row.channel_id),
        seq: row.seq,
        author,
        content: row.content.clone(),
        created_at: ts(row.created_at),
        edited_at: row.edited_at.map(ts),
        deleted: row.deleted_at.is_some(),
        thread_root_id: row.thread_root_id.map(MessageId),
        reply_count: count(row.reply_count),
        last_reply_at: row.last_reply_at.map(ts),
        pinned_at: row.pinned_at.map(ts),
        pinned_by: row.pinned_by.map(UserId),
        reactions,
        attachments: if row.deleted_at.is_some() {
            Vec::new()
        } else {
            attachments
        },
        nonce: row.nonce.clone(),
        // Written by the server from its own type: unreadable only if a
        // newer server wrote a kind this one does not know.
        system: row
            .system
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
    }
}
