//! Web Push subscriptions.

use sqlx::FromRow;

use super::{placeholders, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct PushSubscriptionRow {
    pub id: i64,
    pub user_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl Store {
    /// Saves a browser's subscription for `user_id`. The endpoint is the
    /// browser's identity: subscribing again (new keys, or another account
    /// signed in on that browser) replaces the row.
    pub async fn upsert_push_subscription(
        &self,
        id: i64,
        user_id: i64,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(endpoint)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(user_id)
        .bind(endpoint)
        .bind(p256dh)
        .bind(auth)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes one of the user's subscriptions; false when there was none.
    pub async fn delete_push_subscription(
        &self,
        user_id: i64,
        endpoint: &str,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
                .bind(user_id)
                .bind(endpoint)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Drops a subscription the push service says is gone.
    pub async fn delete_push_subscription_by_id(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn fetch_push_subscriptions(
        &self,
        user_id: i64,
    ) -> StoreResult<Vec<PushSubscriptionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Which of these users have at least one subscription.
    pub async fn fetch_push_subscribers(&self, user_ids: &[i64]) -> StoreResult<Vec<i64>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT DISTINCT user_id FROM push_subscriptions WHERE user_id IN ({})",
            placeholders(1, user_ids.len())
        );
        let mut q = sqlx::query_as(&sql);
        for id in user_ids {
            q = q.bind(*id);
        }
        let rows: Vec<(i64,)> = q.fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
