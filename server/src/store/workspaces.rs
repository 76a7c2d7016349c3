//! Workspaces, their members and invite links.

use sqlx::Row;

use super::{
    EventDraft, InviteRow, NewChannel, NewWorkspace, Store, StoreError, StoreResult,
    WorkspaceMemberRow, WorkspaceRow,
};

const WORKSPACE_VIEW: &str = "SELECT w.id, w.name, w.description, w.owner_id, w.created_at, \
    wm.role AS role, \
    (SELECT CAST(COUNT(*) AS BIGINT) FROM workspace_members x WHERE x.workspace_id = w.id) AS member_count \
    FROM workspaces w JOIN workspace_members wm ON wm.workspace_id = w.id AND wm.user_id = $1";

const INVITE_COLS: &str =
    "id, workspace_id, created_by, max_uses, uses, expires_at, revoked_at, created_at";

/// The result of presenting an invite code.
#[derive(Debug)]
pub enum InviteAcceptance {
    Joined {
        workspace_id: i64,
    },
    AlreadyMember {
        workspace_id: i64,
    },
    /// Unknown, revoked, expired or used up.
    Invalid,
}

impl Store {
    /// Creates the workspace with its owner and its default `#general` channel.
    pub async fn insert_workspace(
        &self,
        w: &NewWorkspace,
        general: &NewChannel,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let (id, name, description, owner_id, now) = (
            w.id,
            w.name.as_str(),
            w.description.as_str(),
            w.owner_id,
            w.now,
        );
        let mut tx = self.begin_events().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, name, description, owner_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(owner_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(id)
        .bind(owner_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Self::insert_channel_tx(&mut tx, general).await?;
        tx.append(events, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn fetch_workspaces_for(&self, user_id: i64) -> StoreResult<Vec<WorkspaceRow>> {
        Ok(
            sqlx::query_as(&format!("{WORKSPACE_VIEW} ORDER BY w.name, w.id"))
                .bind(user_id)
                .fetch_all(&self.read)
                .await?,
        )
    }

    /// The workspace as `user_id` sees it; `None` unless they are a member.
    pub async fn fetch_workspace_for(
        &self,
        workspace_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<WorkspaceRow>> {
        Ok(sqlx::query_as(&format!("{WORKSPACE_VIEW} WHERE w.id = $2"))
            .bind(user_id)
            .bind(workspace_id)
            .fetch_optional(&self.read)
            .await?)
    }

    pub async fn fetch_workspace_name(&self, workspace_id: i64) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT name FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    pub async fn update_workspace(
        &self,
        id: i64,
        name: &str,
        description: &str,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let write = sqlx::query(
            "UPDATE workspaces SET name = $2, description = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(now);
        self.write_announced(write, events, now).await?;
        Ok(())
    }

    pub async fn fetch_workspace_role(
        &self,
        workspace_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    pub async fn fetch_workspace_members(
        &self,
        workspace_id: i64,
    ) -> StoreResult<Vec<WorkspaceMemberRow>> {
        Ok(sqlx::query_as(
            "SELECT user_id, role, joined_at FROM workspace_members WHERE workspace_id = $1 \
             ORDER BY joined_at, user_id",
        )
        .bind(workspace_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// How many of `user_ids` are members of the workspace.
    pub async fn count_workspace_members(
        &self,
        workspace_id: i64,
        user_ids: &[i64],
    ) -> StoreResult<usize> {
        if user_ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM workspace_members WHERE workspace_id = $1 AND user_id IN ({})",
            super::placeholders(2, user_ids.len())
        );
        let mut q = sqlx::query(&sql).bind(workspace_id);
        for id in user_ids {
            q = q.bind(*id);
        }
        let n: i64 = q.fetch_one(&self.read).await?.try_get(0)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    pub async fn update_workspace_role(
        &self,
        workspace_id: i64,
        user_id: i64,
        role: &str,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE workspace_members SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(workspace_id)
        .bind(user_id)
        .bind(role)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Removes the member from the workspace and every channel in it.
    pub async fn delete_workspace_member(
        &self,
        workspace_id: i64,
        user_id: i64,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let mut tx = self.begin_events().await?;
        sqlx::query(
            "DELETE FROM channel_members WHERE user_id = $2 AND channel_id IN \
               (SELECT id FROM channels WHERE workspace_id = $1)",
        )
        .bind(workspace_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        let done =
            sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
                .bind(workspace_id)
                .bind(user_id)
                .execute(&mut **tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.append(events, now).await?;
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_invite(
        &self,
        id: i64,
        workspace_id: i64,
        code_hash: &str,
        created_by: i64,
        max_uses: Option<i64>,
        expires_at: Option<i64>,
        now: i64,
    ) -> StoreResult<InviteRow> {
        sqlx::query(
            "INSERT INTO workspace_invites (id, workspace_id, code_hash, created_by, max_uses, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(workspace_id)
        .bind(code_hash)
        .bind(created_by)
        .bind(max_uses)
        .bind(expires_at)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(InviteRow {
            id,
            workspace_id,
            created_by,
            max_uses,
            uses: 0,
            expires_at,
            revoked_at: None,
            created_at: now,
        })
    }

    /// Live invites of a workspace (revoked ones are gone from the list).
    pub async fn fetch_invites(&self, workspace_id: i64) -> StoreResult<Vec<InviteRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {INVITE_COLS} FROM workspace_invites WHERE workspace_id = $1 AND revoked_at IS NULL \
             ORDER BY created_at DESC"
        ))
        .bind(workspace_id)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn fetch_invite_by_hash(&self, code_hash: &str) -> StoreResult<Option<InviteRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {INVITE_COLS} FROM workspace_invites WHERE code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(&self.read)
        .await?)
    }

    pub async fn revoke_invite(
        &self,
        workspace_id: i64,
        invite_id: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE workspace_invites SET revoked_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
        )
        .bind(invite_id)
        .bind(workspace_id)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Joins `user_id` to the invite's workspace and its default channels,
    /// counting one use — atomically, so `max_uses` holds under races.
    pub async fn accept_invite(
        &self,
        code_hash: &str,
        user_id: i64,
        now: i64,
        events_for: impl FnOnce(i64, &[i64]) -> Vec<EventDraft>,
    ) -> StoreResult<InviteAcceptance> {
        let mut tx = self.begin_events().await?;
        let invite: Option<InviteRow> = sqlx::query_as(&format!(
            "SELECT {INVITE_COLS} FROM workspace_invites WHERE code_hash = $1"
        ))
        .bind(code_hash)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(invite) = invite else {
            return Ok(InviteAcceptance::Invalid);
        };
        if invite.revoked_at.is_some() || invite.expires_at.is_some_and(|t| t <= now) {
            return Ok(InviteAcceptance::Invalid);
        }
        let member =
            sqlx::query("SELECT 1 FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
                .bind(invite.workspace_id)
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        if member.is_some() {
            return Ok(InviteAcceptance::AlreadyMember {
                workspace_id: invite.workspace_id,
            });
        }
        let counted = sqlx::query(
            "UPDATE workspace_invites SET uses = uses + 1 \
             WHERE id = $1 AND (max_uses IS NULL OR uses < max_uses)",
        )
        .bind(invite.id)
        .execute(&mut **tx)
        .await?;
        if counted.rows_affected() == 0 {
            return Ok(InviteAcceptance::Invalid);
        }
        sqlx::query(
            "INSERT INTO workspace_members (workspace_id, user_id, role, joined_at) VALUES ($1, $2, 'member', $3)",
        )
        .bind(invite.workspace_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO channel_members (channel_id, user_id, role, joined_at, last_read_seq) \
             SELECT id, $2, 'member', $3, last_seq FROM channels \
             WHERE workspace_id = $1 AND is_default = 1 AND archived_at IS NULL",
        )
        .bind(invite.workspace_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let joined: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM channels WHERE workspace_id = $1 AND is_default = 1 AND archived_at IS NULL",
        )
        .bind(invite.workspace_id)
        .fetch_all(&mut **tx)
        .await?;
        let joined: Vec<i64> = joined.into_iter().map(|r| r.0).collect();
        let events = events_for(invite.workspace_id, &joined);
        tx.append(&events, now).await?;
        tx.commit().await?;
        Ok(InviteAcceptance::Joined {
            workspace_id: invite.workspace_id,
        })
    }
}
