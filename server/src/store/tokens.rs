//! Refresh tokens: stored only as SHA-256 hashes, grouped in families (one
//! family per sign-in). Rotation marks the old token used; presenting a used
//! token revokes the whole family, which cuts off a thief and the victim alike
//! (the victim signs in again; the thief cannot).

use super::{RefreshTokenRow, Store, StoreResult};

/// What happened to a presented refresh token.
#[derive(Debug)]
pub enum Rotation {
    /// The old token is now used; the new one (hash given by the caller) is stored.
    Rotated { user_id: i64 },
    /// Unknown, revoked or expired.
    Invalid,
    /// Already used once: the family has been revoked.
    Reused,
}

impl Store {
    pub async fn insert_refresh_token(
        &self,
        id: i64,
        user_id: i64,
        family_id: i64,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(user_id)
        .bind(family_id)
        .bind(token_hash)
        .bind(expires_at)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Atomically trades `old_hash` for `new_hash` (same family).
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_id: i64,
        new_hash: &str,
        new_expires_at: i64,
        now: i64,
    ) -> StoreResult<Rotation> {
        let mut tx = self.write.begin().await?;
        let row: Option<RefreshTokenRow> = sqlx::query_as(
            "SELECT id, user_id, family_id, expires_at, used_at, revoked_at \
             FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Rotation::Invalid);
        };
        if row.revoked_at.is_some() {
            return Ok(Rotation::Invalid);
        }
        // Either already used, or used concurrently right now: both are reuse.
        let claimed = if row.used_at.is_none() {
            sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                .bind(row.id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1
        } else {
            false
        };
        if !claimed {
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            )
            .bind(row.family_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused);
        }
        if row.expires_at <= now {
            tx.commit().await?;
            return Ok(Rotation::Invalid);
        }
        sqlx::query(
            "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id)
        .bind(row.user_id)
        .bind(row.family_id)
        .bind(new_hash)
        .bind(new_expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated {
            user_id: row.user_id,
        })
    }

    /// Revokes the family `token_hash` belongs to. False if the token is unknown.
    pub async fn revoke_refresh_family(&self, token_hash: &str, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 \
             WHERE revoked_at IS NULL AND family_id = \
               (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(token_hash)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
