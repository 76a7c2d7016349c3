//! The Search port: message search under the caller's read rules.
//!
//! Adapters: [`DatabaseIndex`] (`database.rs`, the embedded default: SQLite
//! FTS5 trigram / PostgreSQL pg_trgm, kept in step by the store inside each
//! change's own transaction, see `store::search`) and [`ElasticIndex`]
//! (`elastic.rs`, with `PARLEY_ELASTICSEARCH_URL`: fed by indexing jobs from
//! the outbox).
//!
//! The contract every adapter keeps: an answer holds only messages the
//! viewer may read that contain every term (as a case-insensitive
//! substring), newest first. Whatever an external index answers is only a
//! list of candidate ids: the adapter re-reads them from the store under the
//! viewer's read rules and re-checks the terms, so a stale or lax index can
//! never show a message the caller may not read, or one that does not
//! match.

mod database;
mod elastic;

pub use database::DatabaseIndex;
pub use elastic::ElasticIndex;

use crate::store::{IndexDocRow, MessageRow, SearchFilter, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The database (read rules, rows, or the embedded index) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The external index failed or answered something unusable.
    #[error("search index: {0}")]
    Index(String),
}

/// One search, as the service validated it.
#[derive(Debug, Clone)]
pub struct MessageQuery<'a> {
    pub viewer: i64,
    pub terms: &'a [String],
    pub filter: &'a SearchFilter,
    pub limit: u32,
}

/// At most `limit` rows, and whether more matched.
pub struct Found {
    pub rows: Vec<MessageRow>,
    pub has_more: bool,
}

#[async_trait::async_trait]
pub trait MessageIndex: Send + Sync {
    /// Whether changes reach this index through indexing jobs (an external
    /// index); the database's own index needs none.
    fn fed_by_jobs(&self) -> bool;
    /// The matching messages the viewer may read, newest first.
    async fn search(&self, q: &MessageQuery<'_>) -> Result<Found, SearchError>;
    /// Adds or replaces documents.
    async fn upsert(&self, docs: &[IndexDocRow]) -> Result<(), SearchError>;
    /// Removes documents (absent ones are fine).
    async fn remove(&self, ids: &[i64]) -> Result<(), SearchError>;
}
