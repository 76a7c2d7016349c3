//! Message search: substring matching for every term (so Korean, Japanese
//! and partial words are found), only in what the caller may read, with a
//! highlighted snippet per hit. "Quoted text" is one phrase.

use parley_content::query;
use parley_shared::api::{SearchHit, SearchResults};
use parley_shared::validate::ValidationError;
use parley_shared::{ChannelId, MessageId, UserId};

use serde::{Deserialize, Serialize};

use super::access;
use super::messages::hydrate;
use crate::error::{ApiError, ApiResult};
use crate::queue::JobError;
use crate::search::MessageQuery;
use crate::state::AppState;
use crate::store::{NewJob, SearchFilter};

pub const JOB_INDEX: &str = "index_message";
pub const JOB_REINDEX: &str = "reindex";
/// Messages per backfill job.
const REINDEX_PAGE: i64 = 500;

/// Brings one message's document up to date (indexes it, or removes it
/// when the message is gone or deleted).
#[derive(Debug, Serialize, Deserialize)]
pub struct IndexJob {
    pub message_id: i64,
}

/// Indexes every message after `after_id`, one page per job.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReindexJob {
    pub after_id: i64,
}

/// The indexing job for a message change, when an external index is in
/// use (the database's own index needs none).
pub fn index_jobs(state: &AppState, message_id: MessageId, now: i64) -> ApiResult<Vec<NewJob>> {
    if !state.search.fed_by_jobs() {
        return Ok(Vec::new());
    }
    Ok(vec![NewJob {
        id: state.next_id(),
        kind: JOB_INDEX,
        payload: serde_json::to_string(&IndexJob {
            message_id: message_id.get(),
        })
        .map_err(ApiError::internal)?,
        now,
    }])
}

/// Runs an indexing job.
pub async fn run_index_job(state: &AppState, job: IndexJob) -> Result<(), JobError> {
    let index = &state.search;
    if !index.fed_by_jobs() {
        return Ok(());
    }
    let docs = state
        .store
        .fetch_index_docs(Some(&[job.message_id]), 0, 1)
        .await?;
    if docs.is_empty() {
        index.remove(&[job.message_id]).await?;
    } else {
        index.upsert(&docs).await?;
    }
    Ok(())
}

/// Runs one page of a backfill and queues the next page.
pub async fn run_reindex_job(state: &AppState, job: ReindexJob) -> Result<(), JobError> {
    let index = &state.search;
    if !index.fed_by_jobs() {
        return Ok(());
    }
    let docs = state
        .store
        .fetch_index_docs(None, job.after_id, REINDEX_PAGE)
        .await?;
    index.upsert(&docs).await?;
    if let Some(last) = docs.last().filter(|_| docs.len() as i64 == REINDEX_PAGE) {
        let next = reindex_job(state, last.id)?;
        state.store.insert_jobs(&[next]).await?;
        state.queue.kick();
    }
    Ok(())
}

pub fn reindex_job(state: &AppState, after_id: i64) -> ApiResult<NewJob> {
    Ok(NewJob {
        id: state.next_id(),
        kind: JOB_REINDEX,
        payload: serde_json::to_string(&ReindexJob { after_id }).map_err(ApiError::internal)?,
        now: super::now_ms(),
    })
}

pub struct SearchQuery {
    pub q: String,
    pub filter: SearchFilter,
    pub limit: Option<u32>,
}

pub async fn search(
    state: &AppState,
    viewer: UserId,
    query: SearchQuery,
) -> ApiResult<SearchResults> {
    let terms = query::terms(&query.q)?;
    let limit = match query.limit {
        None => 20,
        Some(n) if (1..=50).contains(&n) => n,
        Some(_) => return Err(ValidationError::new("limit", "must be between 1 and 50").into()),
    };
    if let Some(c) = query.filter.channel_id {
        // Searching a channel you cannot see is the same 404 as anywhere else.
        access::channel(state, viewer, ChannelId(c)).await?;
    }
    let found = state
        .search
        .search(&MessageQuery {
            viewer: viewer.get(),
            terms: &terms,
            filter: &query.filter,
            limit,
        })
        .await?;
    let has_more = found.has_more;
    let messages = hydrate(state, &found.rows).await?;
    let results = messages
        .into_iter()
        .map(|message| {
            let (snippet, highlights) = query::snippet(&message.content, &terms);
            SearchHit {
                message,
                snippet,
                highlights,
            }
        })
        .collect();
    Ok(SearchResults { results, has_more })
}
