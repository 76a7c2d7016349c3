//! REST request and response bodies under `/api/v1`.
//!
//! Request types deny unknown fields so a typo in a client is a clear 400
//! instead of a silently ignored field.

use crate::ids::{ChannelId, FileId, InviteId, MessageId, UserId, WorkspaceId};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

macro_rules! schema {
    ($($item:item)*) => {
        $(
            #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
            $item
        )*
    };
}

schema! {
// ---------------------------------------------------------------- auth

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub username: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `login` is a username or an email address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[serde(alias = "username", alias = "email")]
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Signs out one device: revokes the refresh token's family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthResponse {
    pub user: CurrentUser,
    pub access_token: String,
    /// Opaque, single use: every refresh returns a new one.
    pub refresh_token: String,
    pub token_type: String,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
}

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserStatus {
    pub text: String,
    pub emoji: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// A public profile: what any signed-in user may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub timezone: String,
    /// `None` when no status is set or it has expired.
    pub status: Option<UserStatus>,
    /// Profile picture (a square thumbnail), readable without a token like
    /// any public profile image; `None` until one is uploaded.
    #[serde(default)]
    pub avatar_url: Option<String>,
    pub created_at: Timestamp,
}

/// The signed-in user: the public profile plus private fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    #[serde(flatten)]
    pub profile: User,
    pub email: String,
    pub preferences: Preferences,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
}

/// Sets the status; an empty `text` with no `emoji` clears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatusRequest {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub emoji: Option<String>,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Light,
    Dark,
    #[default]
    System,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    #[default]
    All,
    Mentions,
    None,
}

/// A per-channel override of the global notification level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPreference {
    pub channel_id: ChannelId,
    /// `None` = follow the global level.
    pub notify_level: Option<NotifyLevel>,
    pub muted_until: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preferences {
    pub theme: Theme,
    pub notify_level: NotifyLevel,
    /// Do-not-disturb for every channel until this instant.
    pub mute_until: Option<Timestamp>,
    pub channels: Vec<ChannelPreference>,
    /// Words or phrases that notify like a mention wherever they appear in
    /// the person's channels (lowercase; whole words, any case).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Replaces the global preferences (PUT semantics: absent = default),
/// except `keywords`: absent keeps them, so a client that does not know
/// them cannot wipe them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePreferencesRequest {
    #[serde(default)]
    pub theme: Theme,
    #[serde(default)]
    pub notify_level: NotifyLevel,
    #[serde(default)]
    pub mute_until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
}

/// Replaces one channel's override (both `null` = back to the default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannelPreferenceRequest {
    #[serde(default)]
    pub notify_level: Option<NotifyLevel>,
    #[serde(default)]
    pub muted_until: Option<Timestamp>,
}

// ---------------------------------------------------------------- workspaces

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    Owner,
    Admin,
    Member,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub description: String,
    pub owner_id: UserId,
    /// The caller's role in this workspace.
    pub role: WorkspaceRole,
    pub member_count: u64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspaceRequest {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkspaceRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceMember {
    pub user: User,
    pub role: WorkspaceRole,
    pub joined_at: Timestamp,
}

/// Owners may make members admins and back; the owner's role cannot change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRoleRequest {
    pub role: WorkspaceRole,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInviteRequest {
    /// Unlimited when absent.
    #[serde(default)]
    pub max_uses: Option<u32>,
    /// Never expires when absent.
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    pub id: InviteId,
    pub workspace_id: WorkspaceId,
    pub created_by: UserId,
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// The secret code, shown only in the response that created it (only its
    /// hash is stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// What an invite link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub member_count: u64,
    pub expires_at: Option<Timestamp>,
}

// ---------------------------------------------------------------- channels

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    #[default]
    Public,
    Private,
    Dm,
    GroupDm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRole {
    Admin,
    Member,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    /// `None` for direct messages, which live outside workspaces.
    pub workspace_id: Option<WorkspaceId>,
    pub kind: ChannelKind,
    pub name: String,
    pub topic: String,
    pub purpose: String,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub member_count: u64,
    /// Seq of the newest message (0 when empty).
    pub last_seq: i64,
    pub last_message_at: Option<Timestamp>,
    pub is_member: bool,
    /// The caller's read position and what is unread after it.
    pub last_read_seq: i64,
    pub unread_count: u64,
    pub mention_count: u64,
    /// The people in a DM (for naming it); absent for workspace channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<User>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateChannelRequest {
    pub name: String,
    /// `public` (default) or `private`.
    #[serde(default)]
    pub kind: ChannelKind,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    /// People to add besides the creator (must be workspace members).
    #[serde(default)]
    pub member_ids: Vec<UserId>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannelRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddMembersRequest {
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelMember {
    pub user: User,
    pub role: ChannelRole,
    pub joined_at: Timestamp,
}

/// Opens a DM with these people (the caller is implied): one person makes a
/// 1:1 DM (the existing one is returned), 2–7 make a group DM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDmRequest {
    pub user_ids: Vec<UserId>,
}

// ---------------------------------------------------------------- messages

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReactionGroup {
    pub emoji: String,
    pub count: u64,
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub channel_id: ChannelId,
    /// Position in the channel: 1, 2, 3 … without gaps (replies included).
    pub seq: i64,
    pub author: User,
    /// Markdown source; empty when deleted.
    pub content: String,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    /// A tombstone: the message was deleted but keeps its place (and thread).
    pub deleted: bool,
    /// Set on thread replies: the message they answer.
    pub thread_root_id: Option<MessageId>,
    pub reply_count: u64,
    pub last_reply_at: Option<Timestamp>,
    pub pinned_at: Option<Timestamp>,
    pub pinned_by: Option<UserId>,
    pub reactions: Vec<ReactionGroup>,
    /// Files attached when the message was sent (none once it is deleted).
    #[serde(default)]
    pub attachments: Vec<FileInfo>,
    /// The sender's idempotency key, echoed back.
    pub nonce: Option<String>,
    /// Set on messages the server posts (a call started or ended); `content`
    /// then holds a plain-text rendering for clients that do not know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<crate::call::SystemEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// May be empty when `file_ids` is not.
    #[serde(default)]
    pub content: String,
    /// Retrying a send with the same nonce returns the first message instead
    /// of posting twice.
    #[serde(default)]
    pub nonce: Option<String>,
    /// Files uploaded by the sender with `POST /api/v1/files` and not yet
    /// attached anywhere (at most 10).
    #[serde(default)]
    pub file_ids: Vec<FileId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    pub content: String,
}

/// One page of a channel's history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub has_more_before: bool,
    pub has_more_after: bool,
}

/// Messages newest first (mentions of the caller), with a cursor to go on:
/// pass the last message's id as `before`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageList {
    pub messages: Vec<Message>,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionRequest {
    pub emoji: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub root: Message,
    /// Oldest first.
    pub replies: Vec<Message>,
    pub has_more: bool,
}

/// Marks everything up to and including `message_id` as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    pub message_id: MessageId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadState {
    pub channel_id: ChannelId,
    pub last_read_seq: i64,
    pub unread_count: u64,
    pub mention_count: u64,
}

// ---------------------------------------------------------------- files

/// An uploaded file. `content_type` is what the bytes are (sniffed from
/// their magic numbers), never what the client claimed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: FileId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Pixel size, for images.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `GET` with the bearer token: redirects to a short-lived download link.
    pub url: String,
    /// Same, for a small preview (images only).
    pub thumbnail_url: Option<String>,
    pub uploaded_by: UserId,
    pub created_at: Timestamp,
}

/// Short-lived links usable without a token (e.g. as an `<img src>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileLink {
    pub url: String,
    pub thumbnail_url: Option<String>,
    pub expires_at: Timestamp,
}

/// One search hit: the message, a snippet around the first match, and
/// where the matches are in the snippet (character offsets, end exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub message: Message,
    pub snippet: String,
    pub highlights: Vec<[u32; 2]>,
}

/// Newest first; pass the last hit's message id as `older_than` for more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
    pub has_more: bool,
}

// ---------------------------------------------------------------- push

/// The server's VAPID public key (uncompressed P-256 point, base64url):
/// the `applicationServerKey` for `pushManager.subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VapidKey {
    pub public_key: String,
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushSubscriptionRequest {
    pub endpoint: String,
    pub keys: PushKeys,
    /// Ignored; browsers include it.
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushKeys {
    /// The browser's P-256 public key (base64url).
    pub p256dh: String,
    /// The 16-byte auth secret (base64url).
    pub auth: String,
}

/// What a push message carries (encrypted) to the service worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushPayload {
    pub title: String,
    pub body: String,
    /// Where clicking it leads (a path of the web app).
    pub url: String,
    /// Notifications with the same tag replace each other (one per channel).
    pub tag: String,
}

// ---------------------------------------------------------------- service

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_request_fields_are_rejected() {
        let err = serde_json::from_str::<SendMessageRequest>(r#"{"content":"hi","contnet":"x"}"#);
        assert!(err.is_err());
    }

    #[test]
    fn login_accepts_username_or_email_keys() {
        let a: LoginRequest =
            serde_json::from_str(r#"{"username":"bob","password":"pw"}"#).unwrap();
        let b: LoginRequest =
            serde_json::from_str(r#"{"email":"b@x.io","password":"pw"}"#).unwrap();
        assert_eq!(a.login, "bob");
        assert_eq!(b.login, "b@x.io");
    }
}
