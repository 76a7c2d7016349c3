//! The database's own search index (the embedded default): SQLite FTS5
//! with the trigram tokenizer, or PostgreSQL pg_trgm. The store updates it
//! in the same transaction as each message change, so it is never stale and
//! needs no indexing jobs; the read rules are part of its query.

use super::{Found, MessageIndex, MessageQuery, SearchError};
use crate::store::{IndexDocRow, Store};

pub struct DatabaseIndex {
    store: Store,
}

impl DatabaseIndex {
    pub fn new(store: Store) -> DatabaseIndex {
        DatabaseIndex { store }
    }
}

#[async_trait::async_trait]
impl MessageIndex for DatabaseIndex {
    fn fed_by_jobs(&self) -> bool {
        false
    }

    async fn search(&self, q: &MessageQuery<'_>) -> Result<Found, SearchError> {
        let (rows, has_more) = self
            .store
            .search_messages(q.viewer, q.terms, q.filter, q.limit)
            .await?;
        Ok(Found { rows, has_more })
    }

    /// Kept in step by the store's own transactions.
    async fn upsert(&self, _docs: &[IndexDocRow]) -> Result<(), SearchError> {
        Ok(())
    }

    async fn remove(&self, _ids: &[i64]) -> Result<(), SearchError> {
        Ok(())
    }
}
