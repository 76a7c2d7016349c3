//! The authorization matrix: every REST route and every WebSocket client
//! frame, tried as every role against one fixture, with the expected outcome
//! of each pair written down in one place ([`rest_table`], [`frame_table`]).
//!
//! What must stay true: a route in the OpenAPI document without a row fails
//! this test, and so does a row for a route that is gone (as
//! `edge::openapi_documents_every_route`); a new `ClientFrame` variant does
//! not compile until [`frame_type`] names it. Whoever may not see a private
//! resource gets exactly the 404 body a missing id gets; a refused request
//! changes nothing; and nobody hears of a channel, message or file they may
//! not read, in a REST response or a WebSocket frame.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_shared::ws::ClientFrame;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::*;

// ------------------------------------------------------------------ roles

/// Who makes the request: one person each in the fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Role {
    /// No token at all.
    Anon,
    /// Signed in, not in the fixture's workspace.
    Outsider,
    /// In the workspace; in none of the fixture channels, not in the DM.
    WsMember,
    /// In every fixture channel and the DM; wrote nothing there.
    ChanMember,
    /// Wrote the fixture messages and uploaded the files; in every channel
    /// and the DM.
    Author,
    /// Created the fixture channels, so their channel admin; not in the DM.
    ChanAdmin,
    /// Workspace admin; in no fixture channel, not in the DM.
    WsAdmin,
    /// The workspace's owner; in no fixture channel, not in the DM.
    Owner,
    // Roles to come (guests, bots, API keys) get a variant here, a column in
    // `ROLES`, a person in `Fixture::build`, and a value in every row of both
    // tables: the tables are arrays of `ROLES.len()`, so a missing value does
    // not compile.
}

/// The columns of both tables, in this order.
const ROLES: [Role; 8] = [
    Role::Anon,
    Role::Outsider,
    Role::WsMember,
    Role::ChanMember,
    Role::Author,
    Role::ChanAdmin,
    Role::WsAdmin,
    Role::Owner,
];
const COLS: usize = ROLES.len();

/// Who may read the private channel, and the DM.
const PRIV_READERS: &[Role] = &[Role::ChanMember, Role::Author, Role::ChanAdmin];
const DM_READERS: &[Role] = &[Role::ChanMember, Role::Author];

// --------------------------------------------------------------- outcomes

/// What a REST probe must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exp {
    /// This status; for 401/403/404 also the matching error code.
    Status(u16),
    /// 404 with exactly the body the same request gets for a missing id:
    /// the resource's existence is not leaked.
    Hidden,
}

const S200: Exp = Exp::Status(200);
const S201: Exp = Exp::Status(201);
const S204: Exp = Exp::Status(204);
const S303: Exp = Exp::Status(303);
const S401: Exp = Exp::Status(401);
const S403: Exp = Exp::Status(403);
const S404: Exp = Exp::Status(404);
const HIDE: Exp = Exp::Hidden;
/// `GET /api/v1/ws`: HELLO after AUTH (101), or closed with 4001.
const WS101: Exp = Exp::Status(101);
const C4001: Exp = Exp::Status(4001);

impl Exp {
    fn denied(self) -> bool {
        !matches!(self, Exp::Status(s) if s < 400)
    }

    fn status(self) -> u16 {
        match self {
            Exp::Status(s) => s,
            Exp::Hidden => 404,
        }
    }
}

/// Which fixture channel (and its message, file …) a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Pub,
    Priv,
    Dm,
}

impl Kind {
    fn at(self) -> usize {
        self as usize
    }
}

use Kind::{Dm, Priv, Pub};

/// What the ids in a row's path name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// No ids.
    Nothing,
    /// The fixture workspace.
    Ws,
    /// A fixture channel (body: a topic, for PUT).
    Chan(Kind),
    /// A fixture channel, renamed (PUT).
    Rename(Kind),
    /// A channel made for this probe (same people as the fixture's); for
    /// `Dm`, the fixture DM (a 1:1 DM cannot be made twice).
    Fresh(Kind),
    /// A fresh channel (or the DM), adding the bystander to it.
    AddOther(Kind),
    /// A fresh channel (or the DM), removing the channel member from it.
    Kick(Kind),
    /// The author's fixture message (a thread root).
    Msg(Kind),
    /// A message the author sent for this probe.
    FreshMsg(Kind),
    /// The fixture message, once the prober has reacted to it.
    Reacted(Kind),
    /// The call in progress in a fixture channel, hosted by another
    /// connection (the prober's own connection is not in it).
    Call(Kind),
    /// The author's upload, attached to a message in that channel.
    File(Kind),
    /// The author's upload, attached to nothing.
    OwnUpload,
    /// A signed download link the author got for the private file.
    SignedLink,
    /// The same link with a forged signature.
    ForgedLink,
    /// The author's profile.
    Author,
    /// The bystander's avatar.
    Avatar,
    /// Someone who joined the workspace for this probe.
    FreshMember,
    /// An invite of the workspace made for this probe.
    FreshInvite,
    /// The fixture invite's code.
    InviteCode,
    /// An invite to a workspace made for this probe by someone unrelated.
    ForeignInvite,
    /// A refresh token from a sign-in made for this probe.
    FreshLogin,
    /// The prober's own push subscription.
    Push,
    /// The author's push subscription.
    AuthorsPush,
    /// The WebSocket upgrade: AUTH, then HELLO or close 4001.
    Socket,
}

use Target::*;

struct Row {
    method: Method,
    path: &'static str,
    target: Target,
    expect: [Exp; COLS],
}

fn r(method: Method, path: &'static str, target: Target, expect: [Exp; COLS]) -> Row {
    Row {
        method,
        path,
        target,
        expect,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const DELETE: Method = Method::DELETE;

/// Every REST route × role. Columns: anonymous, outsider, workspace member,
/// channel member, author, channel admin, workspace admin, owner (`ROLES`).
/// Paths are the OpenAPI document's; a route may have several rows (one per
/// kind of channel, or per variant of the request).
#[rustfmt::skip]
fn rest_table() -> Vec<Row> {
    vec![
        //                                                                           anon   outs.  wsmem  chmem  author chadm  wsadm  owner
        r(GET,    "/healthz",                                    Nothing,          [S200,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/readyz",                                     Nothing,          [S200,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/auth/register",                       Nothing,          [S201,  S201,  S201,  S201,  S201,  S201,  S201,  S201]),
        r(POST,   "/api/v1/auth/login",                          Nothing,          [S200,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/auth/refresh",                        FreshLogin,       [S200,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/auth/logout",                         FreshLogin,       [S204,  S204,  S204,  S204,  S204,  S204,  S204,  S204]),
        r(GET,    "/api/v1/users/me",                            Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/users/me/mentions",                   Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/users/me/preferences",                Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(PUT,    "/api/v1/users/me/preferences",                Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(PUT,    "/api/v1/users/me/preferences/channels/{id}",  Chan(Pub),        [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(PUT,    "/api/v1/users/me/preferences/channels/{id}",  Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(PUT,    "/api/v1/users/me/preferences/channels/{id}",  Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        // Profiles and presence are public to anyone signed in (users.rs).
        r(GET,    "/api/v1/users/{id}",                          Author,           [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(PUT,    "/api/v1/users/{id}",                          Author,           [S401,  S403,  S403,  S403,  S200,  S403,  S403,  S403]),
        r(PUT,    "/api/v1/users/{id}/status",                   Author,           [S401,  S403,  S403,  S403,  S200,  S403,  S403,  S403]),
        r(GET,    "/api/v1/users/{id}/presence",                 Author,           [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/ws",                                  Socket,           [C4001, WS101, WS101, WS101, WS101, WS101, WS101, WS101]),
        r(GET,    "/api/v1/workspaces",                          Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/workspaces",                          Nothing,          [S401,  S201,  S201,  S201,  S201,  S201,  S201,  S201]),
        r(GET,    "/api/v1/workspaces/{id}",                     Ws,               [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(PUT,    "/api/v1/workspaces/{id}",                     Ws,               [S401,  HIDE,  S403,  S403,  S403,  S403,  S200,  S200]),
        r(GET,    "/api/v1/workspaces/{id}/members",             Ws,               [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(PUT,    "/api/v1/workspaces/{id}/members/{user_id}",   FreshMember,      [S401,  HIDE,  S403,  S403,  S403,  S403,  S403,  S200]),
        r(DELETE, "/api/v1/workspaces/{id}/members/{user_id}",   FreshMember,      [S401,  HIDE,  S403,  S403,  S403,  S403,  S204,  S204]),
        r(GET,    "/api/v1/workspaces/{id}/invites",             Ws,               [S401,  HIDE,  S403,  S403,  S403,  S403,  S200,  S200]),
        r(POST,   "/api/v1/workspaces/{id}/invites",             Ws,               [S401,  HIDE,  S403,  S403,  S403,  S403,  S201,  S201]),
        r(DELETE, "/api/v1/workspaces/{id}/invites/{invite_id}", FreshInvite,      [S401,  HIDE,  S403,  S403,  S403,  S403,  S204,  S204]),
        // An invite code is the capability: whoever holds it may look and join.
        r(GET,    "/api/v1/invites/{code}",                      InviteCode,       [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/invites/{code}/accept",               ForeignInvite,    [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/workspaces/{workspace_id}/channels",  Ws,               [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/workspaces/{workspace_id}/channels",  Ws,               [S401,  HIDE,  S201,  S201,  S201,  S201,  S201,  S201]),
        r(GET,    "/api/v1/channels/{id}",                       Chan(Pub),        [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/channels/{id}",                       Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{id}",                       Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        // Members set the topic; renaming takes a channel admin (and a
        // workspace admin must be in the channel to do either).
        r(PUT,    "/api/v1/channels/{id}",                       Chan(Pub),        [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(PUT,    "/api/v1/channels/{id}",                       Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(PUT,    "/api/v1/channels/{id}",                       Chan(Dm),         [S401,  HIDE,  HIDE,  S403,  S403,  HIDE,  HIDE,  HIDE]),
        r(PUT,    "/api/v1/channels/{id}",                       Rename(Pub),      [S401,  HIDE,  S403,  S403,  S403,  S200,  S403,  S403]),
        r(PUT,    "/api/v1/channels/{id}",                       Rename(Priv),     [S401,  HIDE,  HIDE,  S403,  S403,  S200,  HIDE,  HIDE]),
        // Archiving: channel admins, and workspace admins even from outside
        // a public channel (they cannot see a private one).
        r(DELETE, "/api/v1/channels/{id}",                       Fresh(Pub),       [S401,  HIDE,  S403,  S403,  S403,  S204,  S204,  S204]),
        r(DELETE, "/api/v1/channels/{id}",                       Fresh(Priv),      [S401,  HIDE,  HIDE,  S403,  S403,  S204,  HIDE,  HIDE]),
        r(DELETE, "/api/v1/channels/{id}",                       Fresh(Dm),        [S401,  HIDE,  HIDE,  S403,  S403,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{id}/members",               Chan(Pub),        [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/channels/{id}/members",               Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{id}/members",               Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        // Adding yourself joins a public channel; adding others takes membership.
        r(POST,   "/api/v1/channels/{id}/members",               Fresh(Pub),       [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/channels/{id}/members",               Fresh(Priv),      [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{id}/members",               Fresh(Dm),        [S401,  HIDE,  HIDE,  S403,  S403,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{id}/members",               AddOther(Pub),    [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(POST,   "/api/v1/channels/{id}/members",               AddOther(Priv),   [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        // Removing the channel member: they may (it is leaving), a channel
        // admin may; a workspace admin must be in the channel first.
        r(DELETE, "/api/v1/channels/{id}/members/{user_id}",     Kick(Pub),        [S401,  HIDE,  S403,  S204,  S403,  S204,  S403,  S403]),
        r(DELETE, "/api/v1/channels/{id}/members/{user_id}",     Kick(Priv),       [S401,  HIDE,  HIDE,  S204,  S403,  S204,  HIDE,  HIDE]),
        r(DELETE, "/api/v1/channels/{id}/members/{user_id}",     Kick(Dm),         [S401,  HIDE,  HIDE,  S403,  S403,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{id}/leave",                 Fresh(Pub),       [S401,  HIDE,  S403,  S204,  S204,  S204,  S403,  S403]),
        r(POST,   "/api/v1/channels/{id}/leave",                 Fresh(Priv),      [S401,  HIDE,  HIDE,  S204,  S204,  S204,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{id}/leave",                 Fresh(Dm),        [S401,  HIDE,  HIDE,  S403,  S403,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{id}/read",                  Chan(Pub),        [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(POST,   "/api/v1/channels/{id}/read",                  Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{id}/read",                  Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{channel_id}/messages",      Chan(Pub),        [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/channels/{channel_id}/messages",      Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{channel_id}/messages",      Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{channel_id}/messages",      Chan(Pub),        [S401,  HIDE,  S403,  S201,  S201,  S201,  S403,  S403]),
        r(POST,   "/api/v1/channels/{channel_id}/messages",      Chan(Priv),       [S401,  HIDE,  HIDE,  S201,  S201,  S201,  HIDE,  HIDE]),
        r(POST,   "/api/v1/channels/{channel_id}/messages",      Chan(Dm),         [S401,  HIDE,  HIDE,  S201,  S201,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{id}/pins",                  Chan(Pub),        [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/channels/{id}/pins",                  Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/channels/{id}/pins",                  Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        // Search everything (hits are leak-checked), or one channel.
        r(GET,    "/api/v1/messages/search",                     Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/messages/search",                     Chan(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/messages/search",                     Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(PUT,    "/api/v1/messages/{id}",                       FreshMsg(Pub),    [S401,  HIDE,  S403,  S403,  S200,  S403,  S403,  S403]),
        r(PUT,    "/api/v1/messages/{id}",                       FreshMsg(Priv),   [S401,  HIDE,  HIDE,  S403,  S200,  S403,  HIDE,  HIDE]),
        r(PUT,    "/api/v1/messages/{id}",                       FreshMsg(Dm),     [S401,  HIDE,  HIDE,  S403,  S200,  HIDE,  HIDE,  HIDE]),
        // The author or an admin deletes; workspace admins even from outside
        // a public channel.
        r(DELETE, "/api/v1/messages/{id}",                       FreshMsg(Pub),    [S401,  HIDE,  S403,  S403,  S204,  S204,  S204,  S204]),
        r(DELETE, "/api/v1/messages/{id}",                       FreshMsg(Priv),   [S401,  HIDE,  HIDE,  S403,  S204,  S204,  HIDE,  HIDE]),
        // BUG: whoever opened a DM is its "admin" and deletes the other's messages.
        r(DELETE, "/api/v1/messages/{id}",                       FreshMsg(Dm),     [S401,  HIDE,  HIDE,  S403,  S204,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/messages/{id}/reactions",             Msg(Pub),         [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(POST,   "/api/v1/messages/{id}/reactions",             Msg(Priv),        [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(POST,   "/api/v1/messages/{id}/reactions",             Msg(Dm),          [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(DELETE, "/api/v1/messages/{id}/reactions/{emoji}",     Reacted(Pub),     [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(DELETE, "/api/v1/messages/{id}/reactions/{emoji}",     Reacted(Priv),    [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(DELETE, "/api/v1/messages/{id}/reactions/{emoji}",     Reacted(Dm),      [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        // Any channel member pins and unpins.
        r(POST,   "/api/v1/messages/{id}/pin",                   Msg(Pub),         [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(POST,   "/api/v1/messages/{id}/pin",                   Msg(Priv),        [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(POST,   "/api/v1/messages/{id}/pin",                   Msg(Dm),          [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(DELETE, "/api/v1/messages/{id}/pin",                   Msg(Pub),         [S401,  HIDE,  S403,  S200,  S200,  S200,  S403,  S403]),
        r(DELETE, "/api/v1/messages/{id}/pin",                   Msg(Priv),        [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(DELETE, "/api/v1/messages/{id}/pin",                   Msg(Dm),          [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/messages/{id}/thread",                Msg(Pub),         [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/messages/{id}/thread",                Msg(Priv),        [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/messages/{id}/thread",                Msg(Dm),          [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/messages/{id}/thread",                Msg(Pub),         [S401,  HIDE,  S403,  S201,  S201,  S201,  S403,  S403]),
        r(POST,   "/api/v1/messages/{id}/thread",                Msg(Priv),        [S401,  HIDE,  HIDE,  S201,  S201,  S201,  HIDE,  HIDE]),
        r(POST,   "/api/v1/messages/{id}/thread",                Msg(Dm),          [S401,  HIDE,  HIDE,  S201,  S201,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/dm",                                  Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        // A DM with the author: only who shares a workspace with them.
        r(POST,   "/api/v1/dm",                                  Nothing,          [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/dm/{id}/messages",                    Chan(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        // Not a DM: members hear "dm not found", others the missing-id 404.
        r(GET,    "/api/v1/dm/{id}/messages",                    Chan(Priv),       [S401,  HIDE,  HIDE,  S404,  S404,  S404,  HIDE,  HIDE]),
        r(POST,   "/api/v1/dm/{id}/messages",                    Chan(Dm),         [S401,  HIDE,  HIDE,  S201,  S201,  HIDE,  HIDE,  HIDE]),
        r(POST,   "/api/v1/files",                               Nothing,          [S401,  S201,  S201,  S201,  S201,  S201,  S201,  S201]),
        r(GET,    "/api/v1/files/{id}",                          File(Pub),        [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/files/{id}",                          File(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}",                          File(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}",                          OwnUpload,        [S401,  HIDE,  HIDE,  HIDE,  S200,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/link",                     File(Pub),        [S401,  HIDE,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/files/{id}/link",                     File(Priv),       [S401,  HIDE,  HIDE,  S200,  S200,  S200,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/link",                     File(Dm),         [S401,  HIDE,  HIDE,  S200,  S200,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/link",                     OwnUpload,        [S401,  HIDE,  HIDE,  HIDE,  S200,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/download",                 File(Priv),       [S401,  HIDE,  HIDE,  S303,  S303,  S303,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/download",                 File(Dm),         [S401,  HIDE,  HIDE,  S303,  S303,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/download",                 OwnUpload,        [S401,  HIDE,  HIDE,  HIDE,  S303,  HIDE,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/thumbnail",                File(Priv),       [S401,  HIDE,  HIDE,  S303,  S303,  S303,  HIDE,  HIDE]),
        r(GET,    "/api/v1/files/{id}/thumbnail",                File(Dm),         [S401,  HIDE,  HIDE,  S303,  S303,  HIDE,  HIDE,  HIDE]),
        // A signed link is the capability (no token needed); a forged one is refused.
        r(GET,    "/api/v1/files/{id}/content",                  SignedLink,       [S200,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/files/{id}/content",                  ForgedLink,       [S403,  S403,  S403,  S403,  S403,  S403,  S403,  S403]),
        r(PUT,    "/api/v1/users/me/avatar",                     Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(DELETE, "/api/v1/users/me/avatar",                     Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/users/{id}/avatar",                   Avatar,           [S200,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(GET,    "/api/v1/push/vapid-key",                      Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        // Every signed-in person may call (credentials are per person).
        r(GET,    "/api/v1/calls/ice-servers",                   Nothing,          [S401,  S200,  S200,  S200,  S200,  S200,  S200,  S200]),
        r(POST,   "/api/v1/push/subscriptions",                  Push,             [S401,  S204,  S204,  S204,  S204,  S204,  S204,  S204]),
        r(DELETE, "/api/v1/push/subscriptions",                  Push,             [S401,  S204,  S204,  S204,  S204,  S204,  S204,  S204]),
        // Nobody unsubscribes someone else's endpoint.
        r(DELETE, "/api/v1/push/subscriptions",                  AuthorsPush,      [S401,  S404,  S404,  S404,  S204,  S404,  S404,  S404]),
    ]
}

// ---------------------------------------------------------------- fixture

/// An id nothing has.
const MISSING: &str = "4611686018427387001";
const MISSING_CODE: &str = "no-such-invite-code-at-all";
const PASSWORD: &str = "correct horse battery";
const EMOJI: &str = ":tada:";

struct Fixture {
    people: HashMap<Role, TestUser>,
    /// In the workspace and no fixture channel; added and shown, never probing.
    bystander: TestUser,
    /// In the workspace; whom refused role changes and removals try.
    standing: TestUser,
    /// Signs in for the auth probes.
    login: TestUser,
    /// Owns the workspaces whose invites the probers accept.
    foreigner: TestUser,
    ws: String,
    /// Pub, Priv, Dm.
    chan: [String; 3],
    msg: [String; 3],
    file: [String; 3],
    own_upload: String,
    signed_link: String,
    invite_code: String,
    /// Every message of the fixture contains it (search finds them all).
    tag: String,
}

impl Fixture {
    fn user(&self, role: Role) -> Option<&TestUser> {
        self.people.get(&role)
    }

    fn person(&self, role: Role) -> &TestUser {
        self.people.get(&role).expect("a signed-in role")
    }
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// A response, whatever its body.
struct Resp {
    status: u16,
    text: String,
    json: Value,
}

#[derive(Clone)]
enum Body {
    Empty,
    Json(Value),
    /// A multipart `file` field with a small PNG.
    Png,
}

/// A leak: `needle` may only appear in what `readers` get.
struct Secret {
    needle: String,
    readers: &'static [Role],
}

/// Reads that show whether a refused request changed something.
#[derive(Debug, Clone)]
enum Snap {
    Channel(String, Kind),
    /// The channel and its members.
    Members(String, Kind),
    Message(String),
    Workspace,
    Profile,
}

struct Probe {
    path: String,
    body: Body,
    snap: Option<Snap>,
    /// The same request for an id that does not exist.
    ghost_path: String,
    ghost_body: Body,
}

struct Matrix<'a> {
    app: &'a TestApp,
    fx: Fixture,
    http: reqwest::Client,
    secrets: Vec<Secret>,
    /// Targets of refused probes, by row.
    standing: HashMap<String, String>,
    failures: Vec<String>,
    probes: usize,
    hidden_checked: usize,
    unchanged_checked: usize,
    /// The connections hosting the fixture channels' calls.
    call_hosts: HashMap<Kind, WsClient>,
}

fn png() -> Vec<u8> {
    crate::files::png(4, 4)
}

/// A browser's push subscription for `endpoint` (a real P-256 key: the
/// server checks it).
fn subscription(endpoint: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use web_push_native::p256;
    use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let public = secret.public_key().to_encoded_point(false);
    json!({
        "endpoint": endpoint,
        "keys": {
            "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()),
            "auth": URL_SAFE_NO_PAD.encode([7u8; 16]),
        }
    })
}

/// `template` with each `{name}` replaced.
fn fill(template: &str, vals: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, v) in vals {
        out = out.replace(&format!("{{{name}}}"), v);
    }
    assert!(!out.contains('{'), "unfilled path {out}");
    out
}

/// The name of the first `{placeholder}` of a path.
fn first_placeholder(template: &str) -> Option<&str> {
    let start = template.find('{')? + 1;
    let end = template[start..].find('}')? + start;
    Some(&template[start..end])
}

impl Matrix<'_> {
    async fn send(&self, method: Method, path: &str, role: Role, body: &Body) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.app.base));
        if let Some(u) = self.fx.user(role) {
            req = req.bearer_auth(&u.token);
        }
        req = match body {
            Body::Empty => req,
            Body::Json(v) => req.json(v),
            Body::Png => {
                let part = reqwest::multipart::Part::bytes(png())
                    .file_name("probe.png")
                    .mime_str("image/png")
                    .expect("mime");
                req.multipart(reqwest::multipart::Form::new().part("file", part))
            }
        };
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, text, json }
    }

    /// The channel a probe of `row` works on: a new one when the probe is
    /// to succeed, else the row's standing one (a refused probe changes
    /// nothing, which the snapshot checks).
    async fn channel_for(&mut self, row: String, kind: Kind, denied: bool) -> String {
        if let (true, Some(c)) = (denied, self.standing.get(&row)) {
            return c.clone();
        }
        let c = self.fresh_channel(kind).await;
        if denied {
            self.standing.insert(row, c.clone());
        }
        c
    }

    /// The same for a message by the author.
    async fn message_for(&mut self, row: String, kind: Kind, denied: bool) -> String {
        if let (true, Some(m)) = (denied, self.standing.get(&row)) {
            return m.clone();
        }
        let content = self.content(kind, "fresh");
        let author = self.fx.person(Role::Author);
        let m = id_of(
            &self
                .app
                .send(&self.fx.chan[kind.at()], author, &content)
                .await,
        );
        if denied {
            self.standing.insert(row, m.clone());
        }
        m
    }

    /// The reaction a removal probe takes back; refused for those who may
    /// not react, which is fine here.
    async fn react_first(&self, role: Role, message: &str) {
        if role != Role::Anon {
            self.send(
                POST,
                &format!("/api/v1/messages/{message}/reactions"),
                role,
                &Body::Json(json!({ "emoji": EMOJI })),
            )
            .await;
        }
    }

    /// A fresh channel made by the channel admin with the usual members.
    async fn fresh_channel(&mut self, kind: Kind) -> String {
        if kind == Dm {
            return self.fx.chan[Dm.at()].clone();
        }
        let members = [
            self.fx.person(Role::ChanMember),
            self.fx.person(Role::Author),
        ];
        let name = if kind == Pub { "public" } else { "private" };
        let id = self
            .app
            .channel(&self.fx.ws, self.fx.person(Role::ChanAdmin), name, &members)
            .await;
        if kind == Priv {
            self.secrets.push(Secret {
                needle: id.clone(),
                readers: PRIV_READERS,
            });
        }
        id
    }

    fn content(&self, kind: Kind, what: &str) -> String {
        let place = ["pub", "priv", "dm"][kind.at()];
        format!("{}{place} {what}", self.fx.tag)
    }

    /// Makes whatever the probe needs and returns its path, body and what
    /// to re-read, and the same request with its main id (the path's first,
    /// or the body's) one that does not exist.
    async fn prepare(&mut self, row: &Row, role: Role) -> Probe {
        let col = ROLES.iter().position(|&r| r == role).expect("role");
        let denied = row.expect[col].denied();
        let row_key = format!("{} {} {:?}", row.method, row.path, row.target);
        let fx = &self.fx;
        let mut vals: Vec<(&str, String)> = Vec::new();
        let mut snap = None;
        match row.target {
            Nothing | Socket | Push | AuthorsPush => {}
            Call(_) => unreachable!("call targets are for WebSocket rows"),
            // Replaced by the link below.
            SignedLink | ForgedLink => vals.push(("id", fx.file[Priv.at()].clone())),
            Ws => {
                vals.push(("id", fx.ws.clone()));
                vals.push(("workspace_id", fx.ws.clone()));
                snap = Some(Snap::Workspace);
            }
            Chan(k) | Rename(k) => {
                vals.push(("id", fx.chan[k.at()].clone()));
                vals.push(("channel_id", fx.chan[k.at()].clone()));
                snap = Some(Snap::Channel(fx.chan[k.at()].clone(), k));
            }
            Fresh(k) | AddOther(k) | Kick(k) => {
                let c = self.channel_for(row_key, k, denied).await;
                vals.push(("id", c.clone()));
                vals.push(("user_id", self.fx.person(Role::ChanMember).id.clone()));
                snap = Some(Snap::Members(c, k));
            }
            Msg(k) => {
                vals.push(("id", fx.msg[k.at()].clone()));
                snap = Some(Snap::Message(fx.msg[k.at()].clone()));
            }
            FreshMsg(k) => {
                let m = self.message_for(row_key, k, denied).await;
                vals.push(("id", m.clone()));
                snap = Some(Snap::Message(m));
            }
            Reacted(k) => {
                let m = fx.msg[k.at()].clone();
                self.react_first(role, &m).await;
                vals.push(("id", m.clone()));
                vals.push(("emoji", EMOJI.to_owned()));
                snap = Some(Snap::Message(m));
            }
            File(k) => vals.push(("id", fx.file[k.at()].clone())),
            OwnUpload => vals.push(("id", fx.own_upload.clone())),
            Author => {
                vals.push(("id", fx.person(Role::Author).id.clone()));
                snap = Some(Snap::Profile);
            }
            Avatar => vals.push(("id", fx.bystander.id.clone())),
            FreshMember => {
                // Refused probes all try the same standing member.
                let target = if denied {
                    fx.standing.id.clone()
                } else {
                    let u = self.app.user("member").await;
                    self.app
                        .join(&self.fx.ws, self.fx.person(Role::Owner), &u)
                        .await;
                    u.id
                };
                vals.push(("id", self.fx.ws.clone()));
                vals.push(("user_id", target));
                snap = Some(Snap::Workspace);
            }
            FreshInvite => {
                let inv = self
                    .app
                    .post(
                        &format!("/api/v1/workspaces/{}/invites", fx.ws),
                        fx.person(Role::Owner),
                        json!({}),
                    )
                    .await
                    .expect(201);
                vals.push(("id", fx.ws.clone()));
                vals.push(("invite_id", id_of(&inv)));
                snap = Some(Snap::Workspace);
            }
            InviteCode => vals.push(("code", fx.invite_code.clone())),
            ForeignInvite => {
                let ws = self.app.workspace(&fx.foreigner).await;
                let inv = self
                    .app
                    .post(
                        &format!("/api/v1/workspaces/{ws}/invites"),
                        &fx.foreigner,
                        json!({}),
                    )
                    .await
                    .expect(201);
                vals.push(("code", inv["code"].as_str().expect("code").to_owned()));
            }
            FreshLogin => {}
        }
        let mut ghost_vals = vals.clone();
        if let Some(name) = first_placeholder(row.path) {
            let fake = if name == "code" {
                MISSING_CODE
            } else {
                MISSING
            };
            for v in ghost_vals.iter_mut().filter(|v| v.0 == name) {
                v.1 = fake.to_owned();
            }
        }
        let mut path = fill(row.path, &vals);
        let mut ghost_path = fill(row.path, &ghost_vals);
        let fx = &self.fx;
        let mut ghost_body = None;
        let body = match (row.method.as_str(), row.path) {
            ("POST", "/api/v1/auth/register") => {
                let name = unique("probe");
                Body::Json(json!({
                    "username": name,
                    "email": format!("{name}@example.com"),
                    "password": PASSWORD,
                }))
            }
            ("POST", "/api/v1/auth/login") => {
                Body::Json(json!({ "login": fx.login.username, "password": PASSWORD }))
            }
            ("POST", "/api/v1/auth/refresh" | "/api/v1/auth/logout") => {
                let signed_in = self
                    .app
                    .call(
                        POST,
                        "/api/v1/auth/login",
                        None,
                        Some(json!({ "login": fx.login.username, "password": PASSWORD })),
                    )
                    .await
                    .expect(200);
                Body::Json(json!({ "refresh_token": signed_in["refresh_token"] }))
            }
            ("PUT", "/api/v1/users/me/preferences") => Body::Json(json!({})),
            ("PUT", "/api/v1/users/me/preferences/channels/{id}") => {
                Body::Json(json!({ "notify_level": "mentions" }))
            }
            ("PUT", "/api/v1/users/{id}") => Body::Json(json!({ "bio": unique("bio ") })),
            ("PUT", "/api/v1/users/{id}/status") => Body::Json(json!({ "text": unique("busy ") })),
            ("POST", "/api/v1/workspaces") => Body::Json(json!({ "name": unique("Probe ") })),
            ("PUT", "/api/v1/workspaces/{id}") => {
                Body::Json(json!({ "description": unique("probed ") }))
            }
            ("PUT", "/api/v1/workspaces/{id}/members/{user_id}") => {
                Body::Json(json!({ "role": "admin" }))
            }
            ("POST", "/api/v1/workspaces/{id}/invites") => Body::Json(json!({})),
            ("POST", "/api/v1/workspaces/{workspace_id}/channels") => {
                Body::Json(json!({ "name": unique("probe-"), "kind": "public" }))
            }
            ("PUT", "/api/v1/channels/{id}") => match row.target {
                Rename(_) => Body::Json(json!({ "name": unique("renamed-") })),
                _ => Body::Json(json!({ "topic": unique("topic ") })),
            },
            ("POST", "/api/v1/channels/{id}/members") => {
                let who = match (row.target, fx.user(role)) {
                    (AddOther(_), _) => fx.bystander.id.clone(),
                    (_, Some(u)) => u.id.clone(),
                    (_, None) => fx.bystander.id.clone(),
                };
                Body::Json(json!({ "user_ids": [who] }))
            }
            ("POST", "/api/v1/channels/{id}/read") => {
                let k = match row.target {
                    Chan(k) => k,
                    other => panic!("read of {other:?}"),
                };
                Body::Json(json!({ "message_id": fx.msg[k.at()] }))
            }
            (
                "POST",
                "/api/v1/channels/{channel_id}/messages"
                | "/api/v1/dm/{id}/messages"
                | "/api/v1/messages/{id}/thread",
            ) => Body::Json(json!({ "content": "probe" })),
            ("PUT", "/api/v1/messages/{id}") => {
                Body::Json(json!({ "content": "edited by a probe" }))
            }
            ("POST", "/api/v1/messages/{id}/reactions") => Body::Json(json!({ "emoji": EMOJI })),
            ("POST", "/api/v1/dm") => {
                ghost_body = Some(Body::Json(json!({ "user_ids": [MISSING] })));
                Body::Json(json!({ "user_ids": [fx.person(Role::Author).id] }))
            }
            ("POST", "/api/v1/files") | ("PUT", "/api/v1/users/me/avatar") => Body::Png,
            ("POST", "/api/v1/push/subscriptions") => {
                Body::Json(subscription(&unique("http://127.0.0.1:9/authz/")))
            }
            _ => Body::Empty,
        };
        // Query strings, and paths given whole.
        match (row.method.as_str(), row.path, row.target) {
            ("GET", "/api/v1/messages/search", t) => {
                path.push_str(&format!("?q={}", fx.tag));
                ghost_path.push_str(&format!("?q={}", fx.tag));
                if let Chan(k) = t {
                    path.push_str(&format!("&channel={}", fx.chan[k.at()]));
                    ghost_path.push_str(&format!("&channel={MISSING}"));
                }
            }
            ("GET", "/api/v1/files/{id}/content", SignedLink) => path = fx.signed_link.clone(),
            ("GET", "/api/v1/files/{id}/content", _) => {
                path = format!(
                    "{}0",
                    fx.signed_link.trim_end_matches(char::is_alphanumeric)
                );
            }
            ("DELETE", "/api/v1/push/subscriptions", t) => {
                let endpoint = unique("http://127.0.0.1:9/authz/");
                let owner = if t == AuthorsPush {
                    Some(Role::Author)
                } else if role == Role::Anon {
                    None
                } else {
                    Some(role)
                };
                if let Some(owner) = owner {
                    let sub = subscription(&endpoint);
                    let res = self
                        .send(POST, "/api/v1/push/subscriptions", owner, &Body::Json(sub))
                        .await;
                    assert_eq!(res.status, 204, "subscribe: {}", res.text);
                }
                path.push_str(&format!("?endpoint={}", url_encode(&endpoint)));
            }
            _ => {}
        }
        let ghost_body = ghost_body.unwrap_or_else(|| body.clone());
        Probe {
            path,
            body,
            snap,
            ghost_path,
            ghost_body,
        }
    }

    /// What a refused request must leave alone, read by someone who sees it.
    async fn snapshot(&self, snap: &Snap) -> Value {
        let fx = &self.fx;
        let read = |path: String, role: Role| async move {
            let r = self.send(GET, &path, role, &Body::Empty).await;
            assert_eq!(r.status, 200, "snapshot {path}: {}", r.text);
            r.json
        };
        match snap {
            Snap::Channel(c, kind) | Snap::Members(c, kind) => {
                let reader = if *kind == Dm {
                    Role::Author
                } else {
                    Role::ChanAdmin
                };
                let mut channel = read(format!("/api/v1/channels/{c}"), reader).await;
                // The reader's own read position may move with their probes.
                for f in ["last_read_seq", "unread_count", "mention_count"] {
                    channel[f] = Value::Null;
                }
                // `last_seq` shows a new message, `member_count` a
                // membership; membership routes compare the people too.
                if let Snap::Members(..) = snap {
                    let members = read(format!("/api/v1/channels/{c}/members"), reader).await;
                    json!([channel, members])
                } else {
                    channel
                }
            }
            Snap::Message(m) => read(format!("/api/v1/messages/{m}/thread"), Role::Author).await,
            Snap::Workspace => {
                let ws = &fx.ws;
                json!([
                    read(format!("/api/v1/workspaces/{ws}"), Role::Owner).await,
                    read(format!("/api/v1/workspaces/{ws}/members"), Role::Owner).await,
                    read(format!("/api/v1/workspaces/{ws}/invites"), Role::Owner).await,
                ])
            }
            Snap::Profile => {
                let id = &fx.person(Role::Author).id;
                read(format!("/api/v1/users/{id}"), Role::Author).await
            }
        }
    }

    /// Records a failure unless `text` (something `role` received) leaks
    /// nothing they may not read.
    fn scan(&mut self, role: Role, what: &str, text: &str) {
        for s in &self.secrets {
            if !s.readers.contains(&role) && text.contains(&s.needle) {
                self.failures.push(format!(
                    "LEAK to {role:?} in {what}: {:?} appears in {}",
                    s.needle,
                    &text[..text.len().min(400)]
                ));
            }
        }
    }

    fn expect_status(&mut self, what: &str, exp: Exp, res: &Resp) {
        let want = exp.status();
        if res.status != want {
            self.failures.push(format!(
                "{what}: expected {exp:?}, got {} {}",
                res.status,
                &res.text[..res.text.len().min(300)]
            ));
            return;
        }
        let code = match want {
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            _ => return,
        };
        if res.json["error"]["code"] != code {
            self.failures
                .push(format!("{what}: expected code {code}, got {}", res.text));
        }
    }

    async fn run_rest(&mut self) -> (usize, usize) {
        let rows = rest_table();
        for row in &rows {
            for (col, &role) in ROLES.iter().enumerate() {
                let exp = row.expect[col];
                let what = format!("{} {} [{:?}] as {role:?}", row.method, row.path, row.target);
                self.probes += 1;
                if row.target == Socket {
                    self.socket_probe(&what, role, exp).await;
                    continue;
                }
                let probe = self.prepare(row, role).await;
                let check_unchanged = row.method != GET && exp.denied();
                let before = match (&probe.snap, check_unchanged) {
                    (Some(s), true) => Some(self.snapshot(s).await),
                    _ => None,
                };
                let res = self
                    .send(row.method.clone(), &probe.path, role, &probe.body)
                    .await;
                self.expect_status(&what, exp, &res);
                self.scan(role, &what, &res.text);
                if let (Some(before), Some(s)) = (before, &probe.snap) {
                    self.unchanged_checked += 1;
                    let after = self.snapshot(s).await;
                    if before != after {
                        self.failures.push(format!(
                            "{what}: refused ({}), yet changed {s:?}:\n  before {before}\n  after  {after}",
                            res.status
                        ));
                    }
                }
                if exp == HIDE {
                    self.hidden_checked += 1;
                    let missing = self
                        .send(
                            row.method.clone(),
                            &probe.ghost_path,
                            role,
                            &probe.ghost_body,
                        )
                        .await;
                    if missing.status != 404 || missing.json != res.json {
                        self.failures.push(format!(
                            "{what}: hidden answer {} {} differs from a missing id's {} {}",
                            res.status, res.text, missing.status, missing.text
                        ));
                    }
                }
            }
        }
        let routes: BTreeSet<(String, &str)> = rows
            .iter()
            .map(|r| (r.method.as_str().to_lowercase(), r.path))
            .collect();
        (routes.len(), rows.len())
    }

    async fn socket_probe(&mut self, what: &str, role: Role, exp: Exp) {
        let got = match self.fx.user(role) {
            Some(u) => {
                let c = self.app.ws(u).await;
                let ok = c.hello["payload"]["user_id"] == u.id.as_str();
                c.close().await;
                if ok {
                    101
                } else {
                    0
                }
            }
            None => {
                let mut raw = self.app.ws_raw().await;
                use futures_util::SinkExt;
                raw.send(tokio_tungstenite::tungstenite::Message::text(
                    json!({ "type": "AUTH", "payload": { "token": "not-a-token" } }).to_string(),
                ))
                .await
                .expect("send");
                match ended(&mut raw).await {
                    Ended::Closed(code) => code,
                    Ended::Dropped => 0,
                }
            }
        };
        if Exp::Status(got) != exp {
            self.failures
                .push(format!("{what}: expected {exp:?}, got {got}"));
        }
    }

    /// Every (method, path) of the OpenAPI document has a row, and every row
    /// a documented route.
    async fn check_coverage(&mut self) {
        let doc = self
            .app
            .call(GET, "/api/v1/openapi.json", None, None)
            .await
            .expect(200);
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        let rows: BTreeSet<(String, String)> = rest_table()
            .iter()
            .map(|r| (r.method.as_str().to_lowercase(), r.path.to_owned()))
            .collect();
        for route in documented.difference(&rows) {
            self.failures.push(format!(
                "{} {} is documented but has no row in authz::rest_table",
                route.0, route.1
            ));
        }
        for route in rows.difference(&documented) {
            self.failures.push(format!(
                "authz::rest_table has a row for {} {}, which the OpenAPI document lacks",
                route.0, route.1
            ));
        }
    }
}

async fn build(app: &TestApp) -> Matrix<'_> {
    let owner = app.user("owner").await;
    let ws = app.workspace(&owner).await;
    let mut people = HashMap::new();
    for role in ROLES {
        let name = format!("{role:?}").to_lowercase();
        let u = match role {
            Role::Anon => continue,
            Role::Owner => owner.clone(),
            _ => app.user(&name).await,
        };
        if role != Role::Outsider && role != Role::Owner {
            app.join(&ws, &owner, &u).await;
        }
        people.insert(role, u);
    }
    let bystander = app.user("bystander").await;
    app.join(&ws, &owner, &bystander).await;
    let standing = app.user("standing").await;
    app.join(&ws, &owner, &standing).await;
    let wsadmin = &people[&Role::WsAdmin];
    app.put(
        &format!("/api/v1/workspaces/{ws}/members/{}", wsadmin.id),
        &owner,
        json!({ "role": "admin" }),
    )
    .await
    .expect(200);
    let (chmem, author, chadmin) = (
        &people[&Role::ChanMember],
        &people[&Role::Author],
        &people[&Role::ChanAdmin],
    );
    let public = app.channel(&ws, chadmin, "public", &[chmem, author]).await;
    let private = app.channel(&ws, chadmin, "private", &[chmem, author]).await;
    let dm = id_of(
        &app.post("/api/v1/dm", chmem, json!({ "user_ids": [author.id] }))
            .await
            .expect(200),
    );
    let tag = unique("authzmark");
    let invite = app
        .post(
            &format!("/api/v1/workspaces/{ws}/invites"),
            &owner,
            json!({}),
        )
        .await
        .expect(201);
    let fx = Fixture {
        bystander,
        standing,
        login: app.user("login").await,
        foreigner: app.user("foreigner").await,
        ws,
        chan: [public, private, dm],
        msg: Default::default(),
        file: Default::default(),
        own_upload: String::new(),
        signed_link: String::new(),
        invite_code: invite["code"].as_str().expect("code").to_owned(),
        tag,
        people,
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut m = Matrix {
        app,
        fx,
        http,
        secrets: Vec::new(),
        standing: HashMap::new(),
        failures: Vec::new(),
        probes: 0,
        hidden_checked: 0,
        unchanged_checked: 0,
        call_hosts: HashMap::new(),
    };
    let fx = &m.fx;
    for (needle, readers) in [
        (format!("{}priv", fx.tag), PRIV_READERS),
        (format!("{}dm", fx.tag), DM_READERS),
        (fx.chan[Priv.at()].clone(), PRIV_READERS),
        (fx.chan[Dm.at()].clone(), DM_READERS),
    ] {
        m.secrets.push(Secret { needle, readers });
    }
    m
}

impl Matrix<'_> {
    /// The fixture's messages, thread replies and files. Sent once the
    /// watchers listen, so that what they would hear of it is known.
    async fn populate(&mut self) {
        let app = self.app;
        // Keywords and mentions must not carry private messages to
        // non-members either.
        for role in [Role::Outsider, Role::WsMember, Role::WsAdmin, Role::Owner] {
            app.put(
                "/api/v1/users/me/preferences",
                self.fx.person(role),
                json!({ "keywords": [self.fx.tag] }),
            )
            .await
            .expect(200);
        }
        let mentions = [Role::Outsider, Role::WsMember, Role::WsAdmin, Role::Owner]
            .map(|r| format!("@{}", self.fx.person(r).username))
            .join(" ");
        let author = self.fx.person(Role::Author).clone();
        for k in [Pub, Priv, Dm] {
            let c = self.fx.chan[k.at()].clone();
            let root = app
                .send(&c, &author, &self.content(k, &format!("root {mentions}")))
                .await;
            let root = id_of(&root);
            let reply = app
                .post(
                    &format!("/api/v1/messages/{root}/thread"),
                    &author,
                    json!({ "content": self.content(k, "reply") }),
                )
                .await
                .expect(201);
            let file = app
                .upload(
                    "/api/v1/files",
                    &author,
                    "probe.png",
                    Some("image/png"),
                    png(),
                )
                .await
                .expect(201);
            let file = id_of(&file);
            let with_file = app
                .post(
                    &format!("/api/v1/channels/{c}/messages"),
                    &author,
                    json!({ "content": self.content(k, "file"), "file_ids": [file] }),
                )
                .await
                .expect(201);
            if k != Pub {
                let readers = if k == Priv { PRIV_READERS } else { DM_READERS };
                for needle in [root.clone(), id_of(&reply), file.clone(), id_of(&with_file)] {
                    self.secrets.push(Secret { needle, readers });
                }
            }
            self.fx.msg[k.at()] = root;
            self.fx.file[k.at()] = file;
        }
        let own = app
            .upload(
                "/api/v1/files",
                &author,
                "mine.png",
                Some("image/png"),
                png(),
            )
            .await
            .expect(201);
        self.fx.own_upload = id_of(&own);
        self.secrets.push(Secret {
            needle: self.fx.own_upload.clone(),
            readers: &[Role::Author],
        });
        let link = app
            .get(
                &format!("/api/v1/files/{}/link", self.fx.file[Priv.at()]),
                &author,
            )
            .await
            .expect(200);
        let url = link["url"].as_str().expect("url");
        assert!(url.starts_with("/api/v1/files/"), "a local link: {url}");
        self.fx.signed_link = url.to_owned();
        app.upload(
            "/api/v1/users/me/avatar",
            &self.fx.bystander,
            "me.png",
            Some("image/png"),
            png(),
        )
        .await
        .expect(200);
    }
}

// -------------------------------------------------------------- listeners

/// A session kept open for a role all along, recording every frame it gets.
struct Watcher {
    role: Role,
    heard: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

async fn watch(app: &TestApp, role: Role, user: &TestUser) -> Watcher {
    let mut client = app.ws(user).await;
    let heard = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (h, s) = (heard.clone(), stop.clone());
    let task = tokio::spawn(async move {
        while !s.load(Ordering::Relaxed) {
            let got = client.drain(50).await;
            if got.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            h.lock().expect("heard").extend(got);
        }
        client.close().await;
    });
    Watcher {
        role,
        heard,
        stop,
        task,
    }
}

impl Watcher {
    async fn finish(self) -> (Role, Vec<Value>) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("watcher");
        let heard = std::mem::take(&mut *self.heard.lock().expect("heard"));
        (self.role, heard)
    }
}

// -------------------------------------------------------------- frames

/// What a client frame must get back before the PONG of a PING sent after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// ACK (a MESSAGE was stored).
    Ack,
    /// Neither ACK nor ERROR: taken.
    Quiet,
    /// ERROR with this code.
    Error(&'static str),
    /// ERROR `not_found`, with exactly the message a missing id gets.
    Hidden,
    /// The connection is closed with 4001 (no AUTH first).
    Closed,
}

const ACK: Reply = Reply::Ack;
const QUIET: Reply = Reply::Quiet;
const E400: Reply = Reply::Error("bad_request");
const E403: Reply = Reply::Error("forbidden");
const HIDN: Reply = Reply::Hidden;
const SHUT: Reply = Reply::Closed;

struct FrameRow {
    /// The frame's `type`, and after a `+` which form of it.
    frame: &'static str,
    target: Target,
    expect: [Reply; COLS],
}

fn f(frame: &'static str, target: Target, expect: [Reply; COLS]) -> FrameRow {
    FrameRow {
        frame,
        target,
        expect,
    }
}

/// Every client frame type, as [`frame_type`] names them: a new
/// `ClientFrame` variant does not compile until it has a name there; give it
/// one here too, and rows in [`frame_table`].
const FRAME_TYPES: [&str; 18] = [
    "AUTH",
    "RESUME",
    "MESSAGE",
    "TYPING",
    "READ_RECEIPT",
    "REACTION",
    "JOIN_CHANNEL",
    "LEAVE_CHANNEL",
    "PING",
    "PRESENCE",
    "PRESENCE_SUBSCRIBE",
    "CALL_JOIN",
    "CALL_LEAVE",
    "CALL_UPDATE",
    "CALL_OFFER",
    "CALL_ANSWER",
    "ICE_CANDIDATE",
    "CALL_DECLINE",
];

fn frame_type(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Auth { .. } => "AUTH",
        ClientFrame::Resume { .. } => "RESUME",
        ClientFrame::Message { .. } => "MESSAGE",
        ClientFrame::Typing { .. } => "TYPING",
        ClientFrame::ReadReceipt { .. } => "READ_RECEIPT",
        ClientFrame::Reaction { .. } => "REACTION",
        ClientFrame::JoinChannel { .. } => "JOIN_CHANNEL",
        ClientFrame::LeaveChannel { .. } => "LEAVE_CHANNEL",
        ClientFrame::Ping => "PING",
        ClientFrame::Presence { .. } => "PRESENCE",
        ClientFrame::PresenceSubscribe { .. } => "PRESENCE_SUBSCRIBE",
        ClientFrame::CallJoin { .. } => "CALL_JOIN",
        ClientFrame::CallLeave { .. } => "CALL_LEAVE",
        ClientFrame::CallUpdate { .. } => "CALL_UPDATE",
        ClientFrame::CallOffer { .. } => "CALL_OFFER",
        ClientFrame::CallAnswer { .. } => "CALL_ANSWER",
        ClientFrame::IceCandidate { .. } => "ICE_CANDIDATE",
        ClientFrame::CallDecline { .. } => "CALL_DECLINE",
    }
}

/// Every client frame × role, columns as in [`rest_table`]. An anonymous
/// connection sends the frame first, instead of AUTH.
#[rustfmt::skip]
fn frame_table() -> Vec<FrameRow> {
    vec![
        //                                               anon   outs.  wsmem  chmem  author chadm  wsadm  owner
        f("MESSAGE",            Chan(Pub),             [SHUT,  HIDN,  E403,  ACK,   ACK,   ACK,   E403,  E403]),
        f("MESSAGE",            Chan(Priv),            [SHUT,  HIDN,  HIDN,  ACK,   ACK,   ACK,   HIDN,  HIDN]),
        f("MESSAGE",            Chan(Dm),              [SHUT,  HIDN,  HIDN,  ACK,   ACK,   HIDN,  HIDN,  HIDN]),
        f("MESSAGE+thread",     Msg(Pub),              [SHUT,  HIDN,  E403,  ACK,   ACK,   ACK,   E403,  E403]),
        f("MESSAGE+thread",     Msg(Priv),             [SHUT,  HIDN,  HIDN,  ACK,   ACK,   ACK,   HIDN,  HIDN]),
        f("MESSAGE+thread",     Msg(Dm),               [SHUT,  HIDN,  HIDN,  ACK,   ACK,   HIDN,  HIDN,  HIDN]),
        // Typing goes to the channels the session is subscribed to, its
        // own: anything else is not found (a public one too).
        f("TYPING",             Chan(Pub),             [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("TYPING",             Chan(Priv),            [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("TYPING",             Chan(Dm),              [SHUT,  HIDN,  HIDN,  QUIET, QUIET, HIDN,  HIDN,  HIDN]),
        f("READ_RECEIPT",       Chan(Pub),             [SHUT,  HIDN,  E403,  QUIET, QUIET, QUIET, E403,  E403]),
        f("READ_RECEIPT",       Chan(Priv),            [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("READ_RECEIPT",       Chan(Dm),              [SHUT,  HIDN,  HIDN,  QUIET, QUIET, HIDN,  HIDN,  HIDN]),
        f("REACTION",           Msg(Pub),              [SHUT,  HIDN,  E403,  QUIET, QUIET, QUIET, E403,  E403]),
        f("REACTION",           Msg(Priv),             [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("REACTION",           Msg(Dm),               [SHUT,  HIDN,  HIDN,  QUIET, QUIET, HIDN,  HIDN,  HIDN]),
        f("REACTION+remove",    Reacted(Pub),          [SHUT,  HIDN,  E403,  QUIET, QUIET, QUIET, E403,  E403]),
        f("REACTION+remove",    Reacted(Priv),         [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("REACTION+remove",    Reacted(Dm),           [SHUT,  HIDN,  HIDN,  QUIET, QUIET, HIDN,  HIDN,  HIDN]),
        f("JOIN_CHANNEL",       Fresh(Pub),            [SHUT,  HIDN,  QUIET, QUIET, QUIET, QUIET, QUIET, QUIET]),
        f("JOIN_CHANNEL",       Fresh(Priv),           [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("JOIN_CHANNEL",       Fresh(Dm),             [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        f("LEAVE_CHANNEL",      Fresh(Pub),            [SHUT,  HIDN,  E403,  QUIET, QUIET, QUIET, E403,  E403]),
        f("LEAVE_CHANNEL",      Fresh(Priv),           [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("LEAVE_CHANNEL",      Fresh(Dm),             [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        // Presence is anyone's to follow, like a profile (users.rs).
        f("PRESENCE_SUBSCRIBE", Author,                [SHUT,  QUIET, QUIET, QUIET, QUIET, QUIET, QUIET, QUIET]),
        f("PRESENCE",           Nothing,               [SHUT,  QUIET, QUIET, QUIET, QUIET, QUIET, QUIET, QUIET]),
        f("PING",               Nothing,               [SHUT,  QUIET, QUIET, QUIET, QUIET, QUIET, QUIET, QUIET]),
        // Calls: acting in a call takes being in it (403 for members of
        // the conversation, who may join); to everyone else a call is as
        // unknown as a missing one. These rows run before the CALL_JOIN
        // ones, so no prober's connection is in a fixture call yet.
        f("CALL_LEAVE",         Call(Pub),             [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_LEAVE",         Call(Priv),            [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_LEAVE",         Call(Dm),              [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        f("CALL_UPDATE",        Call(Pub),             [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_UPDATE",        Call(Priv),            [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_UPDATE",        Call(Dm),              [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        f("CALL_OFFER",         Call(Pub),             [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_OFFER",         Call(Priv),            [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_OFFER",         Call(Dm),              [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        f("CALL_ANSWER",        Call(Pub),             [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_ANSWER",        Call(Priv),            [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("CALL_ANSWER",        Call(Dm),              [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        f("ICE_CANDIDATE",      Call(Pub),             [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("ICE_CANDIDATE",      Call(Priv),            [SHUT,  HIDN,  HIDN,  E403,  E403,  E403,  HIDN,  HIDN]),
        f("ICE_CANDIDATE",      Call(Dm),              [SHUT,  HIDN,  HIDN,  E403,  E403,  HIDN,  HIDN,  HIDN]),
        // Any member may decline a ring (in the DM that ends the call; the
        // next probe starts it again).
        f("CALL_DECLINE",       Call(Pub),             [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("CALL_DECLINE",       Call(Priv),            [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("CALL_DECLINE",       Call(Dm),              [SHUT,  HIDN,  HIDN,  QUIET, QUIET, HIDN,  HIDN,  HIDN]),
        // Joining takes channel membership (CALL_JOINED is the answer).
        f("CALL_JOIN",          Fresh(Pub),            [SHUT,  HIDN,  E403,  QUIET, QUIET, QUIET, E403,  E403]),
        f("CALL_JOIN",          Fresh(Priv),           [SHUT,  HIDN,  HIDN,  QUIET, QUIET, QUIET, HIDN,  HIDN]),
        f("CALL_JOIN",          Fresh(Dm),             [SHUT,  HIDN,  HIDN,  QUIET, QUIET, HIDN,  HIDN,  HIDN]),
        f("AUTH",               Nothing,               [SHUT,  E400,  E400,  E400,  E400,  E400,  E400,  E400]),
        f("RESUME",             Nothing,               [SHUT,  E400,  E400,  E400,  E400,  E400,  E400,  E400]),
    ]
}

/// A signed-in role's session for frame probes; renewed before the frame
/// rate limit could answer instead of the server's rules.
struct Actor {
    client: WsClient,
    sent: usize,
}

const FRAMES_PER_SESSION: usize = 40;

impl Matrix<'_> {
    /// The frame a row sends as `role`, and the same frame naming an id
    /// that does not exist.
    async fn frame(&mut self, row: &FrameRow, role: Role) -> (Value, Value, Option<Snap>) {
        let (ty, form) = row.frame.split_once('+').unwrap_or((row.frame, ""));
        let token = self
            .fx
            .user(role)
            .map_or("not-a-token".to_owned(), |u| u.token.clone());
        let (payload, ghost, snap): (Value, Value, Option<Snap>) = match (ty, row.target) {
            ("MESSAGE", Chan(k)) => {
                let c = self.fx.chan[k.at()].clone();
                let p = |c: &str| json!({ "channel_id": c, "content": "ws probe", "nonce": unique("n") });
                (p(&c), p(MISSING), Some(Snap::Channel(c, k)))
            }
            ("MESSAGE", Msg(k)) => {
                let (c, m) = (self.fx.chan[k.at()].clone(), self.fx.msg[k.at()].clone());
                let p = |m: &str| json!({ "channel_id": c, "content": "ws reply", "thread_root_id": m });
                (p(&m), p(MISSING), Some(Snap::Message(m)))
            }
            ("TYPING", Chan(k)) => {
                let p = |c: &str| json!({ "channel_id": c, "typing": true });
                (p(&self.fx.chan[k.at()]), p(MISSING), None)
            }
            ("READ_RECEIPT", Chan(k)) => {
                let (c, m) = (self.fx.chan[k.at()].clone(), self.fx.msg[k.at()].clone());
                let p = |c: &str| json!({ "channel_id": c, "message_id": m });
                (p(&c), p(MISSING), Some(Snap::Channel(c, k)))
            }
            ("REACTION", Msg(k) | Reacted(k)) => {
                let m = self.fx.msg[k.at()].clone();
                let remove = form == "remove";
                if remove {
                    self.react_first(role, &m).await;
                }
                let p = |m: &str| json!({ "message_id": m, "emoji": EMOJI, "remove": remove });
                (p(&m), p(MISSING), Some(Snap::Message(m)))
            }
            ("JOIN_CHANNEL" | "LEAVE_CHANNEL", Fresh(k)) => {
                let col = ROLES.iter().position(|&r| r == role).expect("role");
                let denied = !matches!(row.expect[col], ACK | QUIET);
                let key = format!("WS {} {:?}", row.frame, row.target);
                let c = self.channel_for(key, k, denied).await;
                let p = |c: &str| json!({ "channel_id": c });
                (p(&c), p(MISSING), Some(Snap::Members(c, k)))
            }
            ("PRESENCE_SUBSCRIBE", Author) => {
                let p = json!({ "user_ids": [self.fx.person(Role::Author).id] });
                (p.clone(), p, None)
            }
            ("CALL_JOIN", Fresh(k)) => {
                let col = ROLES.iter().position(|&r| r == role).expect("role");
                let denied = !matches!(row.expect[col], ACK | QUIET);
                let key = format!("WS {} {:?}", row.frame, row.target);
                let c = self.channel_for(key, k, denied).await;
                let p = |c: &str| json!({ "channel_id": c, "audio": true, "video": false });
                (p(&c), p(MISSING), None)
            }
            (ty, Call(k)) => {
                let (call, host) = self.hosted_call(k).await;
                let p = |call: &str| match ty {
                    "CALL_LEAVE" | "CALL_DECLINE" => json!({ "call_id": call }),
                    "CALL_UPDATE" => {
                        json!({ "call_id": call, "muted": true, "video": false, "screen": false })
                    }
                    "CALL_OFFER" | "CALL_ANSWER" => {
                        json!({ "call_id": call, "to": host, "sdp": crate::calls::SDP })
                    }
                    _ => json!({ "call_id": call, "to": host, "candidate": {
                        "candidate": crate::calls::CANDIDATE, "sdp_mid": "0", "sdp_m_line_index": 0 } }),
                };
                (p(&call), p(MISSING), None)
            }
            ("PRESENCE", Nothing) => (json!({ "status": "online" }), Value::Null, None),
            ("PING", Nothing) => (Value::Null, Value::Null, None),
            ("AUTH", Nothing) => (json!({ "token": token }), Value::Null, None),
            ("RESUME", Nothing) => {
                let p = json!({ "token": token, "session": "no-such-session", "last_seq": 0 });
                (p, Value::Null, None)
            }
            other => panic!("no frame for {other:?}"),
        };
        let wrap = |p: Value| {
            if p.is_null() {
                json!({ "type": ty })
            } else {
                json!({ "type": ty, "payload": p })
            }
        };
        let frame = wrap(payload);
        // What is sent is the protocol's, and of the type the row says.
        let parsed: ClientFrame = serde_json::from_value(frame.clone())
            .unwrap_or_else(|e| panic!("{frame} is no client frame: {e}"));
        assert_eq!(frame_type(&parsed), ty, "{frame}");
        (frame, wrap(ghost), snap)
    }

    /// (call id, host participant id) of a call in progress in fixture
    /// channel `k`, hosted by a connection of its own (the channel admin's;
    /// the author's for the DM). Joined afresh for every probe: a probe may
    /// have declined (ended) it.
    async fn hosted_call(&mut self, k: Kind) -> (String, String) {
        let host_role = if k == Dm {
            Role::Author
        } else {
            Role::ChanAdmin
        };
        if !self.call_hosts.contains_key(&k) {
            let client = self.app.ws(self.fx.person(host_role)).await;
            self.call_hosts.insert(k, client);
        }
        let channel = self.fx.chan[k.at()].clone();
        let host = self.call_hosts.get_mut(&k).expect("host");
        loop {
            host.send(json!({ "type": "CALL_JOIN", "payload": { "channel_id": channel } }))
                .await;
            loop {
                let got = host.next().await;
                match got["type"].as_str() {
                    Some("CALL_JOINED") => {
                        let p = &got["payload"];
                        return (
                            p["call"]["call_id"].as_str().expect("call id").to_owned(),
                            p["participant_id"]
                                .as_str()
                                .expect("participant")
                                .to_owned(),
                        );
                    }
                    Some("ERROR") if got["payload"]["code"] == "rate_limited" => break,
                    Some("ERROR") => panic!("hosting the {k:?} call failed: {got}"),
                    _ => {}
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn actor<'s>(
        &self,
        actors: &'s mut HashMap<Role, Actor>,
        role: Role,
    ) -> &'s mut WsClient {
        let user = self.fx.person(role);
        let renew = actors
            .get(&role)
            .is_none_or(|a| a.sent + 4 > FRAMES_PER_SESSION);
        if renew {
            if let Some(old) = actors.remove(&role) {
                old.client.close().await;
            }
            let client = self.app.ws(user).await;
            actors.insert(role, Actor { client, sent: 0 });
        }
        let a = actors.get_mut(&role).expect("actor");
        a.sent += 2;
        &mut a.client
    }

    /// Sends `frame`, then a PING; returns the ACK or ERROR it got (if any)
    /// and everything heard until the PONG.
    async fn exchange(client: &mut WsClient, frame: &Value) -> (Option<Value>, Vec<Value>) {
        client.send(frame.clone()).await;
        client.send(json!({ "type": "PING" })).await;
        let mut pongs = if frame["type"] == "PING" { 2 } else { 1 };
        let mut reply = None;
        let mut heard = Vec::new();
        while pongs > 0 {
            let got = client.next().await;
            match got["type"].as_str() {
                Some("PONG") => pongs -= 1,
                Some("ACK" | "ERROR") if reply.is_none() => reply = Some(got.clone()),
                _ => {}
            }
            heard.push(got);
        }
        (reply, heard)
    }

    async fn run_frames(&mut self) -> usize {
        let rows = frame_table();
        let covered: BTreeSet<&str> = rows
            .iter()
            .map(|r| r.frame.split('+').next().unwrap_or(r.frame))
            .collect();
        for ty in FRAME_TYPES {
            if !covered.contains(ty) {
                self.failures.push(format!(
                    "client frame {ty} has no row in authz::frame_table"
                ));
            }
        }
        let mut actors: HashMap<Role, Actor> = HashMap::new();
        for row in &rows {
            for (col, &role) in ROLES.iter().enumerate() {
                let exp = row.expect[col];
                let what = format!("WS {} [{:?}] as {role:?}", row.frame, row.target);
                self.probes += 1;
                let (frame, ghost, snap) = self.frame(row, role).await;
                if role == Role::Anon {
                    let mut raw = self.app.ws_raw().await;
                    use futures_util::SinkExt;
                    raw.send(tokio_tungstenite::tungstenite::Message::text(
                        frame.to_string(),
                    ))
                    .await
                    .expect("send");
                    let end = ended(&mut raw).await;
                    if exp != SHUT || end != Ended::Closed(4001) {
                        self.failures
                            .push(format!("{what}: expected {exp:?}, the connection {end:?}"));
                    }
                    continue;
                }
                let denied = !matches!(exp, ACK | QUIET);
                let before = match (&snap, denied) {
                    (Some(s), true) => Some(self.snapshot(s).await),
                    _ => None,
                };
                let client = self.actor(&mut actors, role).await;
                let (reply, mut heard) = Self::exchange(client, &frame).await;
                let ghost_reply = if exp == HIDN {
                    let (g, more) = Self::exchange(client, &ghost).await;
                    heard.extend(more);
                    g
                } else {
                    None
                };
                for h in &heard {
                    self.scan(role, &what, &h.to_string());
                }
                let got = match &reply {
                    None => QUIET,
                    Some(r) if r["type"] == "ACK" => ACK,
                    Some(r) => match r["payload"]["code"].as_str() {
                        Some("not_found") if exp == HIDN => HIDN,
                        Some("bad_request") => E400,
                        Some("forbidden") => E403,
                        _ => Reply::Error("other"),
                    },
                };
                if got != exp {
                    self.failures
                        .push(format!("{what}: expected {exp:?}, got {reply:?}"));
                } else if exp == HIDN {
                    self.hidden_checked += 1;
                    let (a, b) = (
                        reply.as_ref().map(|r| r["payload"]["message"].clone()),
                        ghost_reply.as_ref().map(|r| r["payload"].clone()),
                    );
                    let b_msg = b.as_ref().map(|p| p["message"].clone());
                    if a != b_msg || b.is_none_or(|p| p["code"] != "not_found") {
                        self.failures.push(format!(
                            "{what}: hidden answer {reply:?} differs from a missing id's {ghost_reply:?}"
                        ));
                    }
                }
                if let (Some(before), Some(s)) = (before, &snap) {
                    self.unchanged_checked += 1;
                    let after = self.snapshot(s).await;
                    if before != after {
                        self.failures.push(format!(
                            "{what}: refused, yet changed {s:?}:\n  before {before}\n  after  {after}"
                        ));
                    }
                }
            }
        }
        self.departed_member_hears_nothing(&mut actors).await;
        for (_, a) in actors {
            a.client.close().await;
        }
        for (_, host) in self.call_hosts.drain() {
            host.close().await;
        }
        rows.len()
    }

    /// Someone removed from a private channel stops hearing it at once,
    /// and may no longer type into it, though their session stays open.
    async fn departed_member_hears_nothing(&mut self, actors: &mut HashMap<Role, Actor>) {
        let room = self.fresh_channel(Priv).await;
        let typing = json!({ "type": "TYPING", "payload": { "channel_id": room, "typing": true } });
        // The member's open session subscribes to the new channel.
        let mut subscribed = false;
        for _ in 0..50 {
            let client = self.actor(actors, Role::ChanMember).await;
            if Self::exchange(client, &typing).await.0.is_none() {
                subscribed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(subscribed, "the member's session never joined {room}");
        let member = self.fx.person(Role::ChanMember).id.clone();
        let res = self
            .send(
                DELETE,
                &format!("/api/v1/channels/{room}/members/{member}"),
                Role::ChanAdmin,
                &Body::Empty,
            )
            .await;
        assert_eq!(res.status, 204, "{}", res.text);
        const STILL_IN: &[Role] = &[Role::Author, Role::ChanAdmin];
        let after = format!("{}gone", self.fx.tag);
        self.secrets.push(Secret {
            needle: after.clone(),
            readers: STILL_IN,
        });
        let author = self.fx.person(Role::Author).clone();
        self.app.send(&room, &author, &after).await;
        // Once the removal is through, typing there is not found; the frames
        // of the session (and of the watcher) are scanned for `after`.
        let mut refused = false;
        for _ in 0..50 {
            let client = self.actor(actors, Role::ChanMember).await;
            let (reply, heard) = Self::exchange(client, &typing).await;
            for h in &heard {
                self.scan(
                    Role::ChanMember,
                    "the departed member's session",
                    &h.to_string(),
                );
            }
            if reply.is_some_and(|r| r["payload"]["code"] == "not_found") {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !refused {
            self.failures
                .push(format!("a removed member still types into {room}"));
        }
        let res = self
            .send(
                GET,
                &format!("/api/v1/channels/{room}/messages"),
                Role::ChanMember,
                &Body::Empty,
            )
            .await;
        if res.status != 404 {
            self.failures.push(format!(
                "a removed member reads {room}: {} {}",
                res.status, res.text
            ));
        }
    }
}

both!(
    authorization_matrix,
    [("PARLEY_PUSH_ALLOW_INSECURE", "true")],
    |app| {
        let started = Instant::now();
        let mut m = build(&app).await;
        let mut watchers = Vec::new();
        for role in ROLES {
            if let Some(u) = m.fx.user(role) {
                watchers.push(watch(&app, role, u).await);
            }
        }
        m.populate().await;
        m.check_coverage().await;
        let (routes, rows) = m.run_rest().await;
        let rest_probes = m.probes;
        let frame_rows = m.run_frames().await;
        let frame_probes = m.probes - rest_probes;

        // One more quiet period, so that late frames are in.
        tokio::time::sleep(Duration::from_millis(150)).await;
        for w in &watchers {
            w.stop.store(true, Ordering::Relaxed);
        }
        for w in watchers {
            let (role, heard) = w.finish().await;
            let text: Vec<String> = heard.iter().map(Value::to_string).collect();
            let all = text.join("\n");
            // The watchers did hear the channels they are in (or the scan
            // below would prove nothing).
            let needles = [
                (format!("{}priv", m.fx.tag), PRIV_READERS),
                (format!("{}dm", m.fx.tag), DM_READERS),
            ];
            for (needle, readers) in needles {
                if readers.contains(&role) && !all.contains(&needle) {
                    m.failures
                        .push(format!("{role:?}'s session never heard {needle}"));
                }
            }
            for t in &text {
                m.scan(role, "a WebSocket frame", t);
            }
        }

        let elapsed = started.elapsed();
        println!(
            "authz: {routes} routes ({rows} rows) and {} frame types ({frame_rows} rows) x {COLS} roles: \
             {rest_probes} REST + {frame_probes} WebSocket probes, {} hidden-vs-missing comparisons, \
             {} refused-changes-nothing checks, in {elapsed:.1?}",
            FRAME_TYPES.len(),
            m.hidden_checked,
            m.unchanged_checked
        );
        assert!(
            m.failures.is_empty(),
            "{} authorization failures:\n{}",
            m.failures.len(),
            m.failures.join("\n")
        );
    }
);
