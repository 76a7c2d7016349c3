//! Messages, thread replies, reactions, pins and mentions.

use sqlx::any::Any;
use sqlx::Transaction;

use super::{
    placeholders, Cursor, EventDraft, MessageRow, NewJob, NewMessage, ReactionRow, Store,
    StoreError, StoreResult, MESSAGE_COLS,
};

/// A page of history plus whether more exists on either side.
#[derive(Debug)]
pub struct Page {
    pub rows: Vec<MessageRow>,
    pub has_more_before: bool,
    pub has_more_after: bool,
}

impl Store {
    /// Posts a message: bumps the channel's seq, inserts the row, updates the
    /// thread root, records mentions and moves the author's read position,
    /// all in one transaction shared with whatever other messages arrive at
    /// the same moment (group commit, see `group_commit`). Answers only after
    /// the commit. `NotFound` if the channel is archived. `events` builds the
    /// events to append from the stored row (its seq is only known inside
    /// the transaction).
    pub async fn insert_message(
        &self,
        m: &NewMessage,
        events: impl FnOnce(&MessageRow) -> Vec<EventDraft> + Send + 'static,
    ) -> StoreResult<MessageRow> {
        self.messages.submit(m.clone(), Box::new(events)).await
    }

    async fn insert_mentions_tx(
        tx: &mut Transaction<'_, Any>,
        message_id: i64,
        channel_id: i64,
        seq: i64,
        users: &[i64],
        now: i64,
    ) -> StoreResult<()> {
        for &user in users {
            sqlx::query(
                "INSERT INTO mentions (message_id, user_id, channel_id, seq, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(message_id)
            .bind(user)
            .bind(channel_id)
            .bind(seq)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub async fn fetch_message(&self, id: i64) -> StoreResult<Option<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m WHERE m.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The message an earlier send with the same nonce created, if any.
    pub async fn fetch_message_by_nonce(
        &self,
        channel_id: i64,
        author_id: i64,
        nonce: &str,
    ) -> StoreResult<Option<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m \
             WHERE m.channel_id = $1 AND m.author_id = $2 AND m.nonce = $3"
        ))
        .bind(channel_id)
        .bind(author_id)
        .bind(nonce)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn fetch_timeline(
        &self,
        channel_id: i64,
        cond: &str,
        order: &str,
        bound: i64,
        limit: i64,
    ) -> StoreResult<Vec<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m \
             WHERE m.channel_id = $1 AND m.thread_root_id IS NULL AND {cond} \
             ORDER BY m.seq {order} LIMIT $3"
        ))
        .bind(channel_id)
        .bind(bound)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// One page of a channel's main timeline (thread replies excluded),
    /// oldest first. Cursors are channel seqs.
    pub async fn fetch_page(
        &self,
        channel_id: i64,
        cursor: Cursor,
        limit: u32,
    ) -> StoreResult<Page> {
        let limit = i64::from(limit);
        // Each side fetches one extra row to learn whether more exists.
        let older = |bound: i64, n: i64| async move {
            let mut rows = self
                .fetch_timeline(channel_id, "m.seq < $2", "DESC", bound, n + 1)
                .await?;
            let more = rows.len() as i64 > n;
            rows.truncate(n as usize);
            rows.reverse();
            Ok::<_, StoreError>((rows, more))
        };
        let newer = |bound: i64, n: i64| async move {
            let mut rows = self
                .fetch_timeline(channel_id, "m.seq >= $2", "ASC", bound, n + 1)
                .await?;
            let more = rows.len() as i64 > n;
            rows.truncate(n as usize);
            Ok::<_, StoreError>((rows, more))
        };
        let page = match cursor {
            Cursor::Latest => {
                let (rows, more) = older(i64::MAX, limit).await?;
                Page {
                    rows,
                    has_more_before: more,
                    has_more_after: false,
                }
            }
            Cursor::Before(seq) => {
                let (rows, more) = older(seq, limit).await?;
                let after = self.has_timeline(channel_id, "m.seq >= $2", seq).await?;
                Page {
                    rows,
                    has_more_before: more,
                    has_more_after: after,
                }
            }
            Cursor::After(seq) => {
                let (rows, more) = newer(seq.saturating_add(1), limit).await?;
                let before = self.has_timeline(channel_id, "m.seq <= $2", seq).await?;
                Page {
                    rows,
                    has_more_before: before,
                    has_more_after: more,
                }
            }
            Cursor::Around(seq) => {
                let half = limit / 2;
                let (mut rows, before) = older(seq, half).await?;
                let (tail, after) = newer(seq, limit - half).await?;
                rows.extend(tail);
                Page {
                    rows,
                    has_more_before: before,
                    has_more_after: after,
                }
            }
        };
        Ok(page)
    }

    async fn has_timeline(&self, channel_id: i64, cond: &str, bound: i64) -> StoreResult<bool> {
        let row: Option<(i64,)> = sqlx::query_as(&format!(
            "SELECT m.seq FROM messages m WHERE m.channel_id = $1 AND m.thread_root_id IS NULL AND {cond} LIMIT 1"
        ))
        .bind(channel_id)
        .bind(bound)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.is_some())
    }

    /// Replies to `root_id` with seq greater than `after_seq`, oldest first.
    pub async fn fetch_replies(
        &self,
        root_id: i64,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<(Vec<MessageRow>, bool)> {
        let n = i64::from(limit);
        let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m WHERE m.thread_root_id = $1 AND m.seq > $2 \
             ORDER BY m.seq ASC LIMIT $3"
        ))
        .bind(root_id)
        .bind(after_seq)
        .bind(n + 1)
        .fetch_all(&self.read)
        .await?;
        let more = rows.len() as i64 > n;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// Replaces the text and re-records who it mentions.
    pub async fn update_message_content(
        &self,
        row: &MessageRow,
        content: &str,
        mentions: &[i64],
        now: i64,
        events: &[EventDraft],
        jobs: &[NewJob],
    ) -> StoreResult<()> {
        let mut tx = self.begin_events().await?;
        sqlx::query(
            "UPDATE messages SET content = $2, edited_at = $3 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(row.id)
        .bind(content)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM mentions WHERE message_id = $1")
            .bind(row.id)
            .execute(&mut **tx)
            .await?;
        Self::insert_mentions_tx(&mut tx, row.id, row.channel_id, row.seq, mentions, now).await?;
        Self::insert_jobs_tx(&mut tx, jobs).await?;
        tx.append(events, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns the message into a tombstone: text, reactions, pin and mentions
    /// go; its seq and its thread stay.
    pub async fn tombstone_message(
        &self,
        id: i64,
        now: i64,
        events: &[EventDraft],
        jobs: &[NewJob],
    ) -> StoreResult<()> {
        let mut tx = self.begin_events().await?;
        sqlx::query(
            "UPDATE messages SET content = '', deleted_at = $2, pinned_at = NULL, pinned_by = NULL \
             WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM reactions WHERE message_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM mentions WHERE message_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Self::insert_jobs_tx(&mut tx, jobs).await?;
        tx.append(events, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// False when this user already reacted with this emoji (then no event
    /// is written).
    pub async fn insert_reaction(
        &self,
        message_id: i64,
        user_id: i64,
        emoji: &str,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<bool> {
        let write = sqlx::query(
            "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(message_id)
        .bind(user_id)
        .bind(emoji)
        .bind(now);
        self.write_announced(write, events, now).await
    }

    /// False when there was no such reaction (then no event is written).
    pub async fn delete_reaction(
        &self,
        message_id: i64,
        user_id: i64,
        emoji: &str,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<bool> {
        let write = sqlx::query(
            "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
        )
        .bind(message_id)
        .bind(user_id)
        .bind(emoji);
        self.write_announced(write, events, now).await
    }

    /// Reactions on these messages, in the order they were added.
    pub async fn fetch_reactions(&self, message_ids: &[i64]) -> StoreResult<Vec<ReactionRow>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT message_id, user_id, emoji FROM reactions WHERE message_id IN ({}) \
             ORDER BY created_at, user_id",
            placeholders(1, message_ids.len())
        );
        let mut q = sqlx::query_as(&sql);
        for id in message_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// Pins (`Some(user)`) or unpins (`None`) a live message.
    pub async fn set_pin(
        &self,
        message_id: i64,
        by: Option<i64>,
        now: i64,
        events: &[EventDraft],
    ) -> StoreResult<()> {
        let write = sqlx::query(
            "UPDATE messages SET pinned_at = $2, pinned_by = $3 WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(message_id)
        .bind(by.map(|_| now))
        .bind(by);
        self.write_announced(write, events, now).await?;
        Ok(())
    }

    /// Pinned messages of a channel, most recently pinned first.
    pub async fn fetch_pins(&self, channel_id: i64) -> StoreResult<Vec<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM messages m WHERE m.channel_id = $1 AND m.pinned_at IS NOT NULL \
             ORDER BY m.pinned_at DESC, m.id DESC"
        ))
        .bind(channel_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Messages that mention `user_id` in channels they still belong to,
    /// newest first, older than `before_id` when given.
    pub async fn fetch_mentions(
        &self,
        user_id: i64,
        before_id: Option<i64>,
        limit: u32,
    ) -> StoreResult<(Vec<MessageRow>, bool)> {
        let n = i64::from(limit);
        let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLS} FROM mentions mn \
             JOIN messages m ON m.id = mn.message_id \
             JOIN channels c ON c.id = mn.channel_id AND c.archived_at IS NULL \
             JOIN channel_members cm ON cm.channel_id = mn.channel_id AND cm.user_id = mn.user_id \
             WHERE mn.user_id = $1 AND mn.message_id < $2 AND m.deleted_at IS NULL \
             ORDER BY mn.message_id DESC LIMIT $3"
        ))
        .bind(user_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(n + 1)
        .fetch_all(&self.read)
        .await?;
        let more = rows.len() as i64 > n;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}
