//! Users: accounts, profiles, status, preferences.

use sqlx::Row;

use super::{placeholders, EventDraft, NewUser, Store, StoreResult, UserRow, USER_COLS};
use crate::store::ChannelMemberRow;

impl Store {
    pub async fn insert_user(&self, u: &NewUser) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, display_name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(u.id)
        .bind(&u.username)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(&u.display_name)
        .bind(u.now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn fetch_user(&self, id: i64) -> StoreResult<Option<UserRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
                .bind(id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    pub async fn fetch_users(&self, ids: &[i64]) -> StoreResult<Vec<UserRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {USER_COLS} FROM users u WHERE u.id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// The id and password hash for a username or email (both stored lowercase).
    pub async fn fetch_credentials(&self, login: &str) -> StoreResult<Option<(i64, String)>> {
        let row =
            sqlx::query("SELECT id, password_hash FROM users WHERE username = $1 OR email = $1")
                .bind(login)
                .fetch_optional(&self.read)
                .await?;
        Ok(match row {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
            None => None,
        })
    }

    pub async fn update_profile(
        &self,
        id: i64,
        display_name: &str,
        bio: &str,
        timezone: &str,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let write = sqlx::query(
            "UPDATE users SET display_name = $2, bio = $3, timezone = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(display_name)
        .bind(bio)
        .bind(timezone)
        .bind(now);
        self.write_announced(write, events, now).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn update_status(
        &self,
        id: i64,
        text: &str,
        emoji: Option<&str>,
        expires_at: Option<i64>,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let write = sqlx::query(
            "UPDATE users SET status_text = $2, status_emoji = $3, status_expires_at = $4, updated_at = $5 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(text)
        .bind(emoji)
        .bind(expires_at)
        .bind(now);
        self.write_announced(write, events, now).await?;
        Ok(())
    }

    /// The global preferences; `keywords`, when given, replace the
    /// person's notification keywords in the same transaction.
    pub async fn update_preferences(
        &self,
        id: i64,
        theme: &str,
        notify_level: &str,
        mute_until: Option<i64>,
        keywords: Option<&[String]>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE users SET theme = $2, notify_level = $3, mute_until = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(theme)
        .bind(notify_level)
        .bind(mute_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(keywords) = keywords {
            sqlx::query("DELETE FROM notify_keywords WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for k in keywords {
                sqlx::query("INSERT INTO notify_keywords (user_id, keyword) VALUES ($1, $2)")
                    .bind(id)
                    .bind(k)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The person's notification keywords, in alphabetical order.
    pub async fn fetch_keywords(&self, user_id: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT keyword FROM notify_keywords WHERE user_id = $1 ORDER BY keyword",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Memberships of `user_id` that override the global notification level.
    pub async fn fetch_channel_overrides(
        &self,
        user_id: i64,
    ) -> StoreResult<Vec<ChannelMemberRow>> {
        Ok(sqlx::query_as(
            "SELECT cm.channel_id, cm.user_id, cm.role, cm.joined_at, cm.last_read_seq, \
                    cm.notify_level, cm.muted_until \
             FROM channel_members cm JOIN channels c ON c.id = cm.channel_id \
             WHERE cm.user_id = $1 AND c.archived_at IS NULL \
               AND (cm.notify_level IS NOT NULL OR cm.muted_until IS NOT NULL) \
             ORDER BY cm.channel_id",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn update_channel_override(
        &self,
        channel_id: i64,
        user_id: i64,
        notify_level: Option<&str>,
        muted_until: Option<i64>,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE channel_members SET notify_level = $3, muted_until = $4 \
             WHERE channel_id = $1 AND user_id = $2",
        )
        .bind(channel_id)
        .bind(user_id)
        .bind(notify_level)
        .bind(muted_until)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(super::StoreError::NotFound);
        }
        Ok(())
    }

    /// True when both users belong to at least one common workspace.
    pub async fn shares_workspace(&self, a: i64, b: i64) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM workspace_members x JOIN workspace_members y \
               ON x.workspace_id = y.workspace_id \
             WHERE x.user_id = $1 AND y.user_id = $2 LIMIT 1",
        )
        .bind(a)
        .bind(b)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.is_some())
    }
}
