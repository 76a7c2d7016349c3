//! Fixtures made through the API: users, workspaces, memberships, channels
//! and messages.
//!
//! What must stay true: every name is unique (tests share PostgreSQL and run
//! in parallel), and each fixture is made the way a client would make it.

use reqwest::Method;
use serde_json::{json, Value};

use super::{unique, TestApp};

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub token: String,
    pub refresh: String,
}

impl TestApp {
    /// Registers a fresh user (unique name) and returns their session.
    pub async fn user(&self, name: &str) -> TestUser {
        let username = unique(name);
        let body = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": "correct horse battery",
                    "display_name": name,
                })),
            )
            .await
            .expect(201);
        TestUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            username: body["user"]["username"]
                .as_str()
                .expect("username")
                .to_owned(),
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    pub async fn workspace(&self, owner: &TestUser) -> String {
        let ws = self
            .post(
                "/api/v1/workspaces",
                owner,
                json!({ "name": unique("Team ") }),
            )
            .await
            .expect(201);
        ws["id"].as_str().expect("ws id").to_owned()
    }

    /// Adds `user` to the workspace through an invite link.
    pub async fn join(&self, ws: &str, owner: &TestUser, user: &TestUser) {
        let invite = self
            .post(
                &format!("/api/v1/workspaces/{ws}/invites"),
                owner,
                json!({}),
            )
            .await
            .expect(201);
        let code = invite["code"].as_str().expect("code");
        self.post(&format!("/api/v1/invites/{code}/accept"), user, json!({}))
            .await
            .expect(200);
    }

    pub async fn channel(
        &self,
        ws: &str,
        owner: &TestUser,
        kind: &str,
        members: &[&TestUser],
    ) -> String {
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let c = self
            .post(
                &format!("/api/v1/workspaces/{ws}/channels"),
                owner,
                json!({ "name": unique("room-"), "kind": kind, "member_ids": ids }),
            )
            .await
            .expect(201);
        c["id"].as_str().expect("channel id").to_owned()
    }

    pub async fn send(&self, channel: &str, user: &TestUser, content: &str) -> Value {
        self.post(
            &format!("/api/v1/channels/{channel}/messages"),
            user,
            json!({ "content": content }),
        )
        .await
        .expect(201)
    }
}
