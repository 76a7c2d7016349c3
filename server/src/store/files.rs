//! Uploaded files and avatars.

use sqlx::any::Any;
use sqlx::Transaction;

use super::{placeholders, FileRow, Store, StoreError, StoreResult, FILE_COLS};

impl Store {
    /// Records an upload together with its follow-up jobs (thumbnails),
    /// in one transaction: a file is never stored without its jobs.
    pub async fn insert_file(&self, f: &FileRow, jobs: &[super::NewJob]) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO files (id, uploader_id, name, content_type, size, width, height, \
             storage_key, thumb_key, message_id, channel_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(f.id)
        .bind(f.uploader_id)
        .bind(&f.name)
        .bind(&f.content_type)
        .bind(f.size)
        .bind(f.width)
        .bind(f.height)
        .bind(&f.storage_key)
        .bind(f.thumb_key.as_deref())
        .bind(f.message_id)
        .bind(f.channel_id)
        .bind(f.created_at)
        .execute(&mut *tx)
        .await?;
        Self::insert_jobs_tx(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn fetch_file(&self, id: i64) -> StoreResult<Option<FileRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {FILE_COLS} FROM files f WHERE f.id = $1"))
                .bind(id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Files by id (any order; unknown ids are simply missing).
    pub async fn fetch_files(&self, ids: &[i64]) -> StoreResult<Vec<FileRow>> {
        self.fetch_files_where("f.id", ids).await
    }

    /// The attachments of these messages, oldest upload first.
    pub async fn fetch_attachments(&self, message_ids: &[i64]) -> StoreResult<Vec<FileRow>> {
        self.fetch_files_where("f.message_id", message_ids).await
    }

    async fn fetch_files_where(&self, column: &str, ids: &[i64]) -> StoreResult<Vec<FileRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {FILE_COLS} FROM files f WHERE {column} IN ({}) ORDER BY f.id",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// Attaches the uploader's unattached files to a new message, inside
    /// the message's transaction. `Conflict` when any of them is not (or no
    /// longer) free to attach — a concurrent send took it.
    pub(crate) async fn attach_files_tx(
        tx: &mut Transaction<'_, Any>,
        message_id: i64,
        channel_id: i64,
        uploader_id: i64,
        file_ids: &[i64],
    ) -> StoreResult<()> {
        if file_ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE files SET message_id = $1, channel_id = $2 \
             WHERE uploader_id = $3 AND message_id IS NULL AND channel_id IS NULL AND id IN ({})",
            placeholders(4, file_ids.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(message_id)
            .bind(channel_id)
            .bind(uploader_id);
        for id in file_ids {
            q = q.bind(*id);
        }
        let done = q.execute(&mut **tx).await?;
        if done.rows_affected() != file_ids.len() as u64 {
            return Err(StoreError::Conflict {
                constraint: "files.message_id".into(),
            });
        }
        Ok(())
    }

    pub async fn update_file_thumb(&self, id: i64, thumb_key: &str) -> StoreResult<()> {
        sqlx::query("UPDATE files SET thumb_key = $2 WHERE id = $1")
            .bind(id)
            .bind(thumb_key)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Sets (or clears) a user's avatar and announces the new profile.
    pub async fn update_avatar(
        &self,
        user_id: i64,
        file_id: Option<i64>,
        now: i64,
        events: &[super::EventDraft],
    ) -> StoreResult<()> {
        let write =
            sqlx::query("UPDATE users SET avatar_file_id = $2, updated_at = $3 WHERE id = $1")
                .bind(user_id)
                .bind(file_id)
                .bind(now);
        self.write_announced(write, events, now).await?;
        Ok(())
    }
}
