//! Message search: substring matching for every term (so Korean, Japanese
//! and partial words are found), only in what the caller may read, with a
//! highlighted snippet per hit. "Quoted text" is one phrase.

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

const QUERY_MAX: usize = 200;
const TERMS_MAX: usize = 10;
const SNIPPET_CONTEXT: usize = 60;

/// The terms of a query: a quoted query is one phrase, otherwise words.
pub fn terms(q: &str) -> ApiResult<Vec<String>> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > QUERY_MAX {
        return Err(
            ValidationError::new("q", format!("must be 1 to {QUERY_MAX} characters")).into(),
        );
    }
    let phrase = q.len() >= 2 && q.starts_with('"') && q.ends_with('"');
    let mut out: Vec<String> = if phrase {
        vec![q[1..q.len() - 1].trim().to_owned()]
    } else {
        q.split_whitespace().map(str::to_owned).collect()
    };
    out.retain(|t| !t.is_empty());
    out.dedup();
    if out.is_empty() {
        return Err(ValidationError::new("q", "must contain a word").into());
    }
    if out.len() > TERMS_MAX {
        return Err(ValidationError::new("q", format!("at most {TERMS_MAX} words")).into());
    }
    Ok(out)
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Character ranges where any term occurs (case-insensitive), in order.
fn matches(text: &[char], terms: &[Vec<char>]) -> Vec<(usize, usize)> {
    let lowered: Vec<char> = text.iter().map(|&c| lower(c)).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lowered.len() {
        let hit = terms
            .iter()
            .filter(|t| !t.is_empty() && lowered[i..].starts_with(t))
            .map(|t| t.len())
            .max();
        match hit {
            Some(n) => {
                found.push((i, i + n));
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

/// A window of the text around the first match, and the matches in it.
pub fn snippet(content: &str, terms: &[String]) -> (String, Vec<[u32; 2]>) {
    let text: Vec<char> = content.chars().collect();
    let terms: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.chars().map(lower).collect())
        .collect();
    let all = matches(&text, &terms);
    let first = all.first().map(|m| m.0).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_CONTEXT);
    let end = (first + SNIPPET_CONTEXT * 2).min(text.len());
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let shift = prefix.chars().count();
    let body: String = text[start..end].iter().collect();
    let highlights = all
        .into_iter()
        .filter(|&(s, e)| s >= start && e <= end)
        .map(|(s, e)| [(s - start + shift) as u32, (e - start + shift) as u32])
        .collect();
    (format!("{prefix}{body}{suffix}"), highlights)
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
    let terms = terms(&query.q)?;
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
            let (snippet, highlights) = snippet(&message.content, &terms);
            SearchHit {
                message,
                snippet,
                highlights,
            }
        })
        .collect();
    Ok(SearchResults { results, has_more })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_queries_are_phrases() {
        assert_eq!(terms("\"ship it\"").unwrap(), vec!["ship it"]);
        assert_eq!(terms("ship  it").unwrap(), vec!["ship", "it"]);
        assert!(terms("   ").is_err());
        assert!(terms(&"x".repeat(201)).is_err());
    }

    #[test]
    fn snippets_highlight_every_match_by_character() {
        let (s, h) = snippet("오늘 회의록 공유합니다. 회의 끝!", &["회의".into()]);
        assert_eq!(s, "오늘 회의록 공유합니다. 회의 끝!");
        assert_eq!(h, vec![[3, 5], [14, 16]]);
        let long = format!("{}Deployment done{}", "a".repeat(100), "b".repeat(200));
        let (s, h) = snippet(&long, &["deploy".into()]);
        assert!(s.starts_with('…') && s.ends_with('…'));
        let [a, b] = h[0];
        let hit: String = s.chars().skip(a as usize).take((b - a) as usize).collect();
        assert_eq!(hit, "Deploy");
    }
}
