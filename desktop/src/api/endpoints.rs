//! The typed endpoint layer: one method per REST route the UI calls, built
//! from `parley-shared` types. No other file of the UI writes a REST path;
//! a route that changes on the server changes here only.
//!
//! Each method keeps the exact method, path, query and body the call sites
//! sent before this layer existed (the wire format is the server's
//! contract). Answers the UI does not read are still parsed as JSON values
//! and then dropped, as before, so an unexpected body fails the same way.

use parley_shared::api::{
    AddMembersRequest, AuthResponse, Channel, ChannelMember, CreateChannelRequest, CreateDmRequest,
    CreateInviteRequest, CreateWorkspaceRequest, CurrentUser, EditMessageRequest, FileLink, Invite,
    InvitePreview, LoginRequest, Message, MessagePage, Preferences, PushSubscriptionRequest,
    ReactionRequest, RegisterRequest, SearchResults, Thread, UpdateChannelPreferenceRequest,
    UpdateChannelRequest, UpdatePreferencesRequest, UpdateStatusRequest, UpdateUserRequest, User,
    VapidKey, Workspace, WorkspaceMember,
};
use parley_shared::call::IceServers;
use parley_shared::{ChannelId, FileId, MessageId, UserId, WorkspaceId};

use super::{enc, parse, Api, ApiResult};

/// Used by the client itself (no bearer token on these two).
pub(super) const AUTH_REFRESH: &str = "/auth/refresh";
pub(super) const AUTH_LOGOUT: &str = "/auth/logout";

/// Which page of a channel's history to load (seqs are per channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryPage {
    /// The newest messages.
    Latest,
    /// Older than this seq (scrolling up).
    Before(i64),
    /// Newer than this seq (scrolling back down a search jump).
    After(i64),
    /// The page centred on this seq (a search result, a notification).
    Around(i64),
}

/// The multipart uploads, sent with `XMLHttpRequest` for its progress
/// events (`ui::files::send_file`), not through [`Api`]'s fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadRoute {
    /// A new attachment: answers a `FileInfo`.
    File,
    /// Replaces the caller's photo: answers the updated `User`.
    Avatar,
}

impl UploadRoute {
    pub fn method(self) -> &'static str {
        match self {
            UploadRoute::File => "POST",
            UploadRoute::Avatar => "PUT",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            UploadRoute::File => "/files",
            UploadRoute::Avatar => "/users/me/avatar",
        }
    }
}

/// The history path: DMs have their own.
fn history_path(channel: ChannelId, dm: bool, page: HistoryPage, limit: u32) -> String {
    let base = if dm {
        format!("/dm/{channel}/messages")
    } else {
        format!("/channels/{channel}/messages")
    };
    match page {
        HistoryPage::Latest => format!("{base}?limit={limit}"),
        HistoryPage::Before(seq) => format!("{base}?before={seq}&limit={limit}"),
        HistoryPage::After(seq) => format!("{base}?after={seq}&limit={limit}"),
        HistoryPage::Around(seq) => format!("{base}?around={seq}&limit={limit}"),
    }
}

impl Api {
    // --- calls ---

    /// STUN/TURN servers for a call's peer connections (TURN credentials
    /// expire: fetched for every join).
    pub async fn ice_servers(&self) -> ApiResult<IceServers> {
        self.get("/calls/ice-servers").await
    }

    // --- accounts ---

    /// Creates an account and stores the session.
    pub async fn register(&self, body: &RegisterRequest) -> ApiResult<AuthResponse> {
        self.authenticate("/auth/register", body).await
    }

    /// Signs in and stores the session.
    pub async fn login(&self, body: &LoginRequest) -> ApiResult<AuthResponse> {
        self.authenticate("/auth/login", body).await
    }

    pub async fn me(&self) -> ApiResult<CurrentUser> {
        self.get("/users/me").await
    }

    pub async fn user(&self, id: UserId) -> ApiResult<User> {
        self.get(&format!("/users/{id}")).await
    }

    pub async fn update_user(&self, id: UserId, body: &UpdateUserRequest) -> ApiResult<User> {
        self.put(&format!("/users/{id}"), body).await
    }

    pub async fn update_status(&self, id: UserId, body: &UpdateStatusRequest) -> ApiResult<()> {
        self.put::<_, serde_json::Value>(&format!("/users/{id}/status"), body)
            .await
            .map(drop)
    }

    /// Removes the caller's photo; answers the updated user.
    pub async fn delete_avatar(&self) -> ApiResult<User> {
        parse(&self.raw::<()>("DELETE", "/users/me/avatar", None).await?)
    }

    pub async fn update_preferences(
        &self,
        body: &UpdatePreferencesRequest,
    ) -> ApiResult<Preferences> {
        self.put("/users/me/preferences", body).await
    }

    pub async fn update_channel_preference(
        &self,
        channel: ChannelId,
        body: &UpdateChannelPreferenceRequest,
    ) -> ApiResult<Preferences> {
        self.put(&format!("/users/me/preferences/channels/{channel}"), body)
            .await
    }

    // --- workspaces and invites ---

    pub async fn workspaces(&self) -> ApiResult<Vec<Workspace>> {
        self.get("/workspaces").await
    }

    pub async fn create_workspace(&self, body: &CreateWorkspaceRequest) -> ApiResult<Workspace> {
        self.post("/workspaces", body).await
    }

    pub async fn workspace_channels(&self, ws: WorkspaceId) -> ApiResult<Vec<Channel>> {
        self.get(&format!("/workspaces/{ws}/channels")).await
    }

    pub async fn workspace_members(&self, ws: WorkspaceId) -> ApiResult<Vec<WorkspaceMember>> {
        self.get(&format!("/workspaces/{ws}/members")).await
    }

    pub async fn create_channel(
        &self,
        ws: WorkspaceId,
        body: &CreateChannelRequest,
    ) -> ApiResult<Channel> {
        self.post(&format!("/workspaces/{ws}/channels"), body).await
    }

    pub async fn create_invite(
        &self,
        ws: WorkspaceId,
        body: &CreateInviteRequest,
    ) -> ApiResult<Invite> {
        self.post(&format!("/workspaces/{ws}/invites"), body).await
    }

    pub async fn invite_preview(&self, code: &str) -> ApiResult<InvitePreview> {
        self.get(&format!("/invites/{}", enc(code))).await
    }

    /// Joins the invite's workspace (the body is JSON `null`, as always).
    pub async fn accept_invite(&self, code: &str) -> ApiResult<Workspace> {
        self.post(&format!("/invites/{}/accept", enc(code)), &())
            .await
    }

    // --- channels and DMs ---

    pub async fn channel(&self, id: ChannelId) -> ApiResult<Channel> {
        self.get(&format!("/channels/{id}")).await
    }

    pub async fn update_channel(
        &self,
        id: ChannelId,
        body: &UpdateChannelRequest,
    ) -> ApiResult<Channel> {
        self.put(&format!("/channels/{id}"), body).await
    }

    /// Archives the channel for everyone.
    pub async fn archive_channel(&self, id: ChannelId) -> ApiResult<()> {
        self.call::<()>("DELETE", &format!("/channels/{id}"), None)
            .await
    }

    pub async fn leave_channel(&self, id: ChannelId) -> ApiResult<()> {
        self.call::<()>("POST", &format!("/channels/{id}/leave"), None)
            .await
    }

    pub async fn channel_members(&self, id: ChannelId) -> ApiResult<Vec<ChannelMember>> {
        self.get(&format!("/channels/{id}/members")).await
    }

    pub async fn add_members(&self, id: ChannelId, body: &AddMembersRequest) -> ApiResult<()> {
        self.post::<_, serde_json::Value>(&format!("/channels/{id}/members"), body)
            .await
            .map(drop)
    }

    pub async fn pins(&self, id: ChannelId) -> ApiResult<Vec<Message>> {
        self.get(&format!("/channels/{id}/pins")).await
    }

    pub async fn dms(&self) -> ApiResult<Vec<Channel>> {
        self.get("/dm").await
    }

    /// Opens the DM with these people (created on first use).
    pub async fn create_dm(&self, body: &CreateDmRequest) -> ApiResult<Channel> {
        self.post("/dm", body).await
    }

    // --- messages ---

    /// A page of history; `dm` picks the DM route.
    pub async fn history(
        &self,
        channel: ChannelId,
        dm: bool,
        page: HistoryPage,
        limit: u32,
    ) -> ApiResult<MessagePage> {
        self.get(&history_path(channel, dm, page, limit)).await
    }

    pub async fn edit_message(
        &self,
        id: MessageId,
        body: &EditMessageRequest,
    ) -> ApiResult<Message> {
        self.put(&format!("/messages/{id}"), body).await
    }

    pub async fn delete_message(&self, id: MessageId) -> ApiResult<()> {
        self.call::<()>("DELETE", &format!("/messages/{id}"), None)
            .await
    }

    pub async fn set_pinned(&self, id: MessageId, pinned: bool) -> ApiResult<()> {
        let method = if pinned { "POST" } else { "DELETE" };
        self.call::<()>(method, &format!("/messages/{id}/pin"), None)
            .await
    }

    pub async fn add_reaction(&self, id: MessageId, body: &ReactionRequest) -> ApiResult<()> {
        self.post::<_, serde_json::Value>(&format!("/messages/{id}/reactions"), body)
            .await
            .map(drop)
    }

    pub async fn remove_reaction(&self, id: MessageId, emoji: &str) -> ApiResult<()> {
        self.call::<()>(
            "DELETE",
            &format!("/messages/{id}/reactions/{}", enc(emoji)),
            None,
        )
        .await
    }

    pub async fn thread(&self, root: MessageId, limit: u32) -> ApiResult<Thread> {
        self.get(&format!("/messages/{root}/thread?limit={limit}"))
            .await
    }

    pub async fn search(&self, query: &str, limit: u32) -> ApiResult<SearchResults> {
        self.get(&format!("/messages/search?q={}&limit={limit}", enc(query)))
            .await
    }

    // --- files ---

    /// Token-free links to a file, valid for a few minutes.
    pub async fn file_link(&self, id: FileId) -> ApiResult<FileLink> {
        self.get(&format!("/files/{id}/link")).await
    }

    // --- Web Push ---

    pub async fn vapid_key(&self) -> ApiResult<VapidKey> {
        self.get("/push/vapid-key").await
    }

    pub async fn add_push_subscription(&self, body: &PushSubscriptionRequest) -> ApiResult<()> {
        self.call("POST", "/push/subscriptions", Some(body)).await
    }

    pub async fn remove_push_subscription(&self, endpoint: &str) -> ApiResult<()> {
        let path = format!("/push/subscriptions?endpoint={}", enc(endpoint));
        self.call::<()>("DELETE", &path, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_paths_keep_their_shape() {
        let c = ChannelId(7);
        assert_eq!(
            history_path(c, false, HistoryPage::Latest, 50),
            "/channels/7/messages?limit=50"
        );
        assert_eq!(
            history_path(c, true, HistoryPage::Before(3), 50),
            "/dm/7/messages?before=3&limit=50"
        );
        assert_eq!(
            history_path(c, false, HistoryPage::After(9), 50),
            "/channels/7/messages?after=9&limit=50"
        );
        assert_eq!(
            history_path(c, false, HistoryPage::Around(4), 50),
            "/channels/7/messages?around=4&limit=50"
        );
    }
}
