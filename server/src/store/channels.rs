//! Channels (workspace channels and DMs), their members and read positions.

use std::sync::LazyLock;

use sqlx::any::Any;
use sqlx::{Row, Transaction};

use super::{
    placeholders, ChannelMemberRow, ChannelRow, ChannelView, EventDraft, NewChannel, Store,
    StoreResult, CHANNEL_COLS,
};

/// Whether a channel view counts the channel's members: it costs a scan of
/// the membership, heavy in a 10,000-member channel, so HELLO skips it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Members {
    Counted,
    Zero,
}

/// Channel `$1` with user `$2`'s membership and workspace role, plus
/// `extra_cols` (each starting with a comma) from `extra_join`.
fn channel_access_sql(extra_cols: &str, extra_join: &str) -> String {
    format!(
        "SELECT {CHANNEL_COLS}, cm.role AS m_role, cm.joined_at AS m_joined_at, \
           cm.last_read_seq AS m_last_read_seq, cm.notify_level AS m_notify_level, \
           cm.muted_until AS m_muted_until, wm.role AS ws_role {extra_cols} \
         FROM channels c {extra_join} \
         LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = $2 \
         LEFT JOIN workspace_members wm ON wm.workspace_id = c.workspace_id AND wm.user_id = $2 \
         WHERE c.id = $1"
    )
}

/// A channel with the viewing user's membership and unread counts; `$1` is
/// the viewer. Unread counts only the main timeline, not others' deletions
/// or the viewer's own messages.
fn channel_view_sql(members: Members, filter: &str, order: &str) -> String {
    let member_count = match members {
        Members::Counted => {
            "(SELECT CAST(COUNT(*) AS BIGINT) FROM channel_members x WHERE x.channel_id = c.id)"
        }
        Members::Zero => "CAST(0 AS BIGINT)",
    };
    format!(
        "SELECT {CHANNEL_COLS}, {member_count} AS member_count, \
           cm.role AS my_role, cm.last_read_seq AS last_read_seq, \
           (SELECT CAST(COUNT(*) AS BIGINT) FROM messages m \
              WHERE m.channel_id = c.id AND m.seq > cm.last_read_seq AND m.thread_root_id IS NULL \
                AND m.deleted_at IS NULL AND m.author_id <> $1) AS unread_count, \
           (SELECT CAST(COUNT(*) AS BIGINT) FROM mentions mn \
              WHERE mn.channel_id = c.id AND mn.user_id = $1 AND mn.seq > cm.last_read_seq) AS mention_count \
         FROM channels c LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = $1 \
         WHERE {filter} ORDER BY {order}"
    )
}

const MEMBER_COLS: &str =
    "channel_id, user_id, role, joined_at, last_read_seq, notify_level, muted_until";

impl Store {
    pub(crate) async fn insert_channel_tx(
        tx: &mut Transaction<'_, Any>,
        c: &NewChannel,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO channels (id, workspace_id, kind, name, topic, purpose, is_default, dm_key, \
                                   created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(c.id)
        .bind(c.workspace_id)
        .bind(c.kind)
        .bind(&c.name)
        .bind(&c.topic)
        .bind(&c.purpose)
        .bind(i64::from(c.is_default))
        .bind(c.dm_key.as_deref())
        .bind(c.created_by)
        .bind(c.now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO channel_members (channel_id, user_id, role, joined_at) VALUES ($1, $2, 'admin', $3)",
        )
        .bind(c.id)
        .bind(c.created_by)
        .bind(c.now)
        .execute(&mut **tx)
        .await?;
        for &user in c.members.iter().filter(|&&u| u != c.created_by) {
            sqlx::query(
                "INSERT INTO channel_members (channel_id, user_id, role, joined_at) VALUES ($1, $2, 'member', $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(c.id)
            .bind(user)
            .bind(c.now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub async fn insert_channel(&self, c: &NewChannel, events: &[EventDraft]) -> StoreResult<()> {
        let mut tx = self.begin_events().await?;
        Self::insert_channel_tx(&mut tx, c).await?;
        tx.append(events, c.now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// (id, name) of every live public and private channel of a workspace:
    /// the names a new name must not look like.
    pub async fn fetch_live_channel_names(
        &self,
        workspace_id: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, name FROM channels \
             WHERE workspace_id = $1 AND archived_at IS NULL AND kind IN ('public', 'private')",
        )
        .bind(workspace_id)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn fetch_channel_access(
        &self,
        channel_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<super::ChannelAccessRow>> {
        static SQL: LazyLock<String> = LazyLock::new(|| channel_access_sql("", ""));
        Ok(sqlx::query_as(SQL.as_str())
            .bind(channel_id)
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?)
    }

    /// [`Self::fetch_channel_access`], plus what a send needs besides (one
    /// round trip instead of three on the hottest path).
    pub async fn fetch_send_context(
        &self,
        channel_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<super::SendContextRow>> {
        // Built once: it runs on every send.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let extra = format!(
                ", (SELECT COUNT(*) FROM (SELECT 1 FROM channel_members n \
                     WHERE n.channel_id = c.id AND n.notify_level = 'all' AND n.user_id <> $2 \
                     LIMIT 1) x) AS others_notified_of_all, \
                 (SELECT COUNT(*) FROM (SELECT 1 FROM channel_members k \
                     WHERE k.channel_id = c.id AND k.user_id <> $2 \
                       AND k.user_id IN (SELECT user_id FROM notify_keywords) \
                     LIMIT 1) y) AS others_with_keywords, {}",
                super::author_cols()
            );
            channel_access_sql(&extra, "JOIN users u ON u.id = $2")
        });
        Ok(sqlx::query_as(SQL.as_str())
            .bind(channel_id)
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?)
    }

    pub async fn fetch_channel_view(
        &self,
        channel_id: i64,
        viewer: i64,
    ) -> StoreResult<Option<ChannelView>> {
        Ok(
            sqlx::query_as(&channel_view_sql(Members::Counted, "c.id = $2", "c.id"))
                .bind(viewer)
                .bind(channel_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Live channels of a workspace the viewer may see: every public one and
    /// the private ones they belong to.
    pub async fn fetch_workspace_channel_views(
        &self,
        workspace_id: i64,
        viewer: i64,
    ) -> StoreResult<Vec<ChannelView>> {
        Ok(sqlx::query_as(&channel_view_sql(
            Members::Counted,
            "c.workspace_id = $2 AND c.archived_at IS NULL \
             AND (c.kind = 'public' OR cm.user_id IS NOT NULL)",
            "c.name, c.id",
        ))
        .bind(viewer)
        .bind(workspace_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Read position and unread counts in every live channel and DM the
    /// viewer belongs to (what HELLO reports), without member counts.
    pub async fn fetch_read_states(&self, viewer: i64) -> StoreResult<Vec<ChannelView>> {
        Ok(sqlx::query_as(&channel_view_sql(
            Members::Zero,
            "cm.user_id IS NOT NULL AND c.archived_at IS NULL",
            "c.id",
        ))
        .bind(viewer)
        .fetch_all(&self.read)
        .await?)
    }

    /// The viewer's DMs, most recently active first.
    pub async fn fetch_dm_views(&self, viewer: i64) -> StoreResult<Vec<ChannelView>> {
        Ok(sqlx::query_as(&channel_view_sql(
            Members::Counted,
            "c.workspace_id IS NULL AND cm.user_id IS NOT NULL AND c.archived_at IS NULL",
            "COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC",
        ))
        .bind(viewer)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn fetch_channel_by_dm_key(&self, dm_key: &str) -> StoreResult<Option<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLS} FROM channels c WHERE c.dm_key = $1"
        ))
        .bind(dm_key)
        .fetch_optional(&self.read)
        .await?)
    }

    pub async fn fetch_channel_members(
        &self,
        channel_id: i64,
    ) -> StoreResult<Vec<ChannelMemberRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MEMBER_COLS} FROM channel_members WHERE channel_id = $1 ORDER BY joined_at, user_id"
        ))
        .bind(channel_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// (channel id, user id) pairs for the members of several channels.
    pub async fn fetch_members_of(&self, channel_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        if channel_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT channel_id, user_id FROM channel_members WHERE channel_id IN ({}) \
             ORDER BY channel_id, joined_at, user_id",
            placeholders(1, channel_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in channel_ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Notification settings of those of `user_ids` who are members of the
    /// channel: one query per 500 people, not one per person.
    pub async fn fetch_notify_settings(
        &self,
        channel_id: i64,
        user_ids: &[i64],
    ) -> StoreResult<Vec<super::NotifySettingsRow>> {
        let mut out = Vec::with_capacity(user_ids.len());
        for chunk in user_ids.chunks(500) {
            let sql = format!(
                "SELECT u.id AS user_id, u.notify_level AS global_level, u.mute_until, \
                   cm.notify_level AS channel_level, cm.muted_until AS channel_muted_until \
                 FROM channel_members cm JOIN users u ON u.id = cm.user_id \
                 WHERE cm.channel_id = $1 AND cm.user_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as(&sql).bind(channel_id);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(&self.read).await?);
        }
        Ok(out)
    }

    /// Members who asked to hear of every message in this channel.
    pub async fn fetch_members_notified_of_all(&self, channel_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT user_id FROM channel_members WHERE channel_id = $1 AND notify_level = 'all'",
        )
        .bind(channel_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// (member, keyword) for every member of the channel but `author` who
    /// set notification keywords.
    pub async fn fetch_member_keywords(
        &self,
        channel_id: i64,
        author: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT w.user_id, w.keyword FROM notify_keywords w \
             JOIN channel_members k ON k.user_id = w.user_id AND k.channel_id = $1 \
             WHERE w.user_id <> $2",
        )
        .bind(channel_id)
        .bind(author)
        .fetch_all(&self.read)
        .await?)
    }

    /// Ids among `names` (lowercase usernames) who are members of the channel.
    pub async fn fetch_member_ids_by_username(
        &self,
        channel_id: i64,
        names: &[String],
    ) -> StoreResult<Vec<i64>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT u.id FROM users u JOIN channel_members cm ON cm.user_id = u.id AND cm.channel_id = $1 \
             WHERE u.username IN ({})",
            placeholders(2, names.len())
        );
        let mut q = sqlx::query(&sql).bind(channel_id);
        for n in names {
            q = q.bind(n.as_str());
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
            .collect()
    }

    pub async fn update_channel(
        &self,
        id: i64,
        name: &str,
        topic: &str,
        purpose: &str,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let write = sqlx::query(
            "UPDATE channels SET name = $2, topic = $3, purpose = $4, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(topic)
        .bind(purpose)
        .bind(now);
        self.write_announced(write, events, now).await?;
        Ok(())
    }

    pub async fn archive_channel(
        &self,
        id: i64,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let write = sqlx::query(
            "UPDATE channels SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL",
        )
        .bind(id)
        .bind(now);
        self.write_announced(write, events, now).await?;
        Ok(())
    }

    /// Adds members (existing ones are left as they are). New members start
    /// with everything already posted marked read. Returns the ids added.
    pub async fn insert_channel_members(
        &self,
        channel_id: i64,
        user_ids: &[i64],
        now: i64,
        events_for: impl Fn(i64) -> Vec<EventDraft>,
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.begin_events().await?;
        let mut added = Vec::new();
        for &user in user_ids {
            let done = sqlx::query(
                "INSERT INTO channel_members (channel_id, user_id, role, joined_at, last_read_seq) \
                 SELECT id, $2, 'member', $3, last_seq FROM channels WHERE id = $1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(channel_id)
            .bind(user)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 1 {
                added.push(user);
                tx.append(&events_for(user), now).await?;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn delete_channel_member(
        &self,
        channel_id: i64,
        user_id: i64,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<bool> {
        let write =
            sqlx::query("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2")
                .bind(channel_id)
                .bind(user_id);
        self.write_announced(write, events, now).await
    }

    /// Moves the read position forward to `seq` (never backwards); the
    /// events (the read receipt) are written only when it moved.
    pub async fn mark_read(
        &self,
        channel_id: i64,
        user_id: i64,
        seq: i64,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<bool> {
        let write = sqlx::query(
            "UPDATE channel_members SET last_read_seq = $3 \
             WHERE channel_id = $1 AND user_id = $2 AND last_read_seq < $3",
        )
        .bind(channel_id)
        .bind(user_id)
        .bind(seq);
        self.write_announced(write, events, now).await
    }
}
