//! Rows as the store returns them: plain integers and strings, exactly the
//! columns of the schema. Turning them into API types is the services' job.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub bio: String,
    pub timezone: String,
    pub status_text: String,
    pub status_emoji: Option<String>,
    pub status_expires_at: Option<i64>,
    pub theme: String,
    pub notify_level: String,
    pub mute_until: Option<i64>,
    pub avatar_file_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const USER_COLS: &str = "u.id, u.username, u.email, u.display_name, u.bio, u.timezone, \
    u.status_text, u.status_emoji, u.status_expires_at, u.theme, u.notify_level, u.mute_until, \
    u.avatar_file_id, u.created_at, u.updated_at";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub family_id: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct WorkspaceRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub owner_id: i64,
    pub created_at: i64,
    /// The asking user's role.
    pub role: String,
    pub member_count: i64,
}

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub owner_id: i64,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct WorkspaceMemberRow {
    pub user_id: i64,
    pub role: String,
    pub joined_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct InviteRow {
    pub id: i64,
    pub workspace_id: i64,
    pub created_by: i64,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ChannelRow {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub kind: String,
    pub name: String,
    pub topic: String,
    pub purpose: String,
    pub created_by: i64,
    pub last_seq: i64,
    pub last_message_at: Option<i64>,
    pub archived_at: Option<i64>,
    pub created_at: i64,
}

pub(crate) const CHANNEL_COLS: &str = "c.id, c.workspace_id, c.kind, c.name, c.topic, c.purpose, \
    c.created_by, c.last_seq, c.last_message_at, c.archived_at, c.created_at";

/// A channel as one user sees it: with their membership and unread counts.
#[derive(Debug, Clone, FromRow)]
pub struct ChannelView {
    #[sqlx(flatten)]
    pub channel: ChannelRow,
    pub member_count: i64,
    /// `None` when the user is not a member.
    pub my_role: Option<String>,
    pub last_read_seq: Option<i64>,
    pub unread_count: i64,
    pub mention_count: i64,
}

/// A channel with one user's membership and workspace role, read in one
/// query (every authorization check starts here).
#[derive(Debug, Clone, FromRow)]
pub struct ChannelAccessRow {
    #[sqlx(flatten)]
    pub channel: ChannelRow,
    pub m_role: Option<String>,
    pub m_joined_at: Option<i64>,
    pub m_last_read_seq: Option<i64>,
    pub m_notify_level: Option<String>,
    pub m_muted_until: Option<i64>,
    pub ws_role: Option<String>,
}

/// Everything a send checks before it writes, read in one query: the
/// sender's access to the channel, whether anyone else hears of every
/// message there, and the sender's own profile (the author of the message).
#[derive(Debug, Clone)]
pub struct SendContextRow {
    pub access: ChannelAccessRow,
    pub others_notified_of_all: bool,
    pub others_with_keywords: bool,
    pub author: UserRow,
}

/// The author's columns of a [`SendContextRow`] query: `USER_COLS` renamed
/// with an `a_` prefix, since channel and user share column names.
pub(crate) fn author_cols() -> String {
    USER_COLS
        .split(',')
        .map(|c| {
            let c = c.trim();
            format!("{c} AS a_{}", c.trim_start_matches("u."))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'r> FromRow<'r, AnyRow> for SendContextRow {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let others: i64 = row.try_get("others_notified_of_all")?;
        let keywords: i64 = row.try_get("others_with_keywords")?;
        Ok(Self {
            access: ChannelAccessRow::from_row(row)?,
            others_notified_of_all: others > 0,
            others_with_keywords: keywords > 0,
            author: UserRow {
                id: row.try_get("a_id")?,
                username: row.try_get("a_username")?,
                email: row.try_get("a_email")?,
                display_name: row.try_get("a_display_name")?,
                bio: row.try_get("a_bio")?,
                timezone: row.try_get("a_timezone")?,
                status_text: row.try_get("a_status_text")?,
                status_emoji: row.try_get("a_status_emoji")?,
                status_expires_at: row.try_get("a_status_expires_at")?,
                theme: row.try_get("a_theme")?,
                notify_level: row.try_get("a_notify_level")?,
                mute_until: row.try_get("a_mute_until")?,
                avatar_file_id: row.try_get("a_avatar_file_id")?,
                created_at: row.try_get("a_created_at")?,
                updated_at: row.try_get("a_updated_at")?,
            },
        })
    }
}

/// What decides whether one member is notified in one channel.
#[derive(Debug, Clone, FromRow)]
pub struct NotifySettingsRow {
    pub user_id: i64,
    pub global_level: String,
    pub mute_until: Option<i64>,
    pub channel_level: Option<String>,
    pub channel_muted_until: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ChannelMemberRow {
    pub channel_id: i64,
    pub user_id: i64,
    pub role: String,
    pub joined_at: i64,
    pub last_read_seq: i64,
    pub notify_level: Option<String>,
    pub muted_until: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewChannel {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub kind: &'static str,
    pub name: String,
    pub topic: String,
    pub purpose: String,
    pub is_default: bool,
    pub dm_key: Option<String>,
    pub created_by: i64,
    /// Added with role `member` (the creator is added as `admin`).
    pub members: Vec<i64>,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub channel_id: i64,
    pub seq: i64,
    pub author_id: i64,
    pub content: String,
    pub nonce: Option<String>,
    pub thread_root_id: Option<i64>,
    pub reply_count: i64,
    pub last_reply_at: Option<i64>,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub pinned_at: Option<i64>,
    pub pinned_by: Option<i64>,
    pub created_at: i64,
    /// JSON of `parley_shared::call::SystemEvent` on server-posted messages.
    pub system: Option<String>,
}

pub(crate) const MESSAGE_COLS: &str =
    "m.id, m.channel_id, m.seq, m.author_id, m.content, m.nonce, \
    m.thread_root_id, m.reply_count, m.last_reply_at, m.edited_at, m.deleted_at, m.pinned_at, \
    m.pinned_by, m.created_at, m.system";

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: i64,
    pub channel_id: i64,
    pub author_id: i64,
    pub content: String,
    pub nonce: Option<String>,
    pub thread_root_id: Option<i64>,
    /// Users to record a mention for (already filtered to channel members).
    pub mentions: Vec<i64>,
    /// The author's unattached uploads to attach.
    pub file_ids: Vec<i64>,
    /// Follow-up work (search indexing) committed with the message.
    pub jobs: Vec<super::NewJob>,
    pub now: i64,
    /// Set on messages the server posts (see `MessageRow::system`).
    pub system: Option<String>,
}

impl MessageRow {
    /// The row of `m` as just inserted with `seq`: no replies, edits or
    /// pins yet, so nothing needs reading back.
    pub(crate) fn inserted(m: &NewMessage, seq: i64) -> MessageRow {
        MessageRow {
            id: m.id,
            channel_id: m.channel_id,
            seq,
            author_id: m.author_id,
            content: m.content.clone(),
            nonce: m.nonce.clone(),
            thread_root_id: m.thread_root_id,
            reply_count: 0,
            last_reply_at: None,
            edited_at: None,
            deleted_at: None,
            pinned_at: None,
            pinned_by: None,
            created_at: m.now,
            system: m.system.clone(),
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct ReactionRow {
    pub message_id: i64,
    pub user_id: i64,
    pub emoji: String,
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Latest,
    Before(i64),
    After(i64),
    Around(i64),
}

#[derive(Debug, Clone, FromRow)]
pub struct FileRow {
    pub id: i64,
    pub uploader_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub storage_key: String,
    pub thumb_key: Option<String>,
    /// Set once attached to a message (with the message's channel).
    pub message_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub created_at: i64,
}

pub(crate) const FILE_COLS: &str = "f.id, f.uploader_id, f.name, f.content_type, f.size, f.width, \
    f.height, f.storage_key, f.thumb_key, f.message_id, f.channel_id, f.created_at";
