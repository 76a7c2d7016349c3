//! The Search port's external adapter. The embedded adapter is the
//! database itself (SQLite FTS5 trigram / PostgreSQL pg_trgm, kept in step
//! by the store, see `store::search`); with `PARLEY_ELASTICSEARCH_URL` set,
//! queries go to [`ElasticIndex`], fed by indexing jobs from the outbox.
//!
//! Whatever an external index answers is only a list of candidate ids:
//! the store re-reads them under the caller's read rules, and the service
//! re-checks the terms, so a stale or lax index can never show a message
//! the caller may not read, or one that does not match.

mod elastic;

pub use elastic::ElasticIndex;

use crate::store::{IndexDocRow, SearchFilter};

#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct SearchError(pub String);

/// A query against an external index.
#[derive(Debug, Clone)]
pub struct IndexQuery<'a> {
    pub terms: &'a [String],
    pub filter: &'a SearchFilter,
    /// Channels the caller may read.
    pub channels: &'a [i64],
    pub limit: u32,
}

#[async_trait::async_trait]
pub trait MessageIndex: Send + Sync {
    /// Candidate message ids, newest first.
    async fn search(&self, q: &IndexQuery<'_>) -> Result<Vec<i64>, SearchError>;
    /// Adds or replaces documents.
    async fn upsert(&self, docs: &[IndexDocRow]) -> Result<(), SearchError>;
    /// Removes documents (absent ones are fine).
    async fn remove(&self, ids: &[i64]) -> Result<(), SearchError>;
}
