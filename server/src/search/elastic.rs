//! Elasticsearch adapter of the Search port (the `elasticsearch` crate).
//!
//! The index analyses `content` into 2–3 character n-grams, so Korean and
//! Japanese words and any part of a word are found, as with the embedded
//! adapters; `search` then keeps only hits that really contain every
//! term. Documents carry what the filters need (channel, author, time,
//! thread, attachments); who may read what is decided at query time from
//! the database, never stored in the index.

use elasticsearch::http::transport::Transport;
use elasticsearch::indices::{IndicesCreateParts, IndicesExistsParts};
use elasticsearch::params::Refresh;
use elasticsearch::{BulkOperation, BulkParts, Elasticsearch, SearchParts};
use serde_json::{json, Value};

use super::{Found, MessageIndex, MessageQuery, SearchError};
use crate::store::{IndexDocRow, MessageRow, SearchFilter, Store};

pub struct ElasticIndex {
    client: Elasticsearch,
    index: String,
    /// Where candidates are re-read under the viewer's read rules.
    store: Store,
}

/// What is asked of Elasticsearch: the terms within the readable channels.
#[derive(Debug, Clone)]
struct IndexQuery<'a> {
    terms: &'a [String],
    filter: &'a SearchFilter,
    /// Channels the caller may read.
    channels: &'a [i64],
    limit: u32,
}

fn err(e: impl std::fmt::Display) -> SearchError {
    SearchError::Index(e.to_string())
}

/// Does `content` contain every term (case-insensitive)? The index's
/// n-gram match is wider than that; this makes it exact.
fn contains_all(content: &str, terms: &[String]) -> bool {
    let content = content.to_lowercase();
    terms.iter().all(|t| content.contains(&t.to_lowercase()))
}

/// The JSON body of a successful response; an error naming `what` otherwise.
async fn success_body(
    res: elasticsearch::http::response::Response,
    what: &str,
) -> Result<Value, SearchError> {
    let status = res.status_code();
    let body: Value = res.json().await.map_err(err)?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(SearchError::Index(format!("{what}: {status} {body}")))
    }
}

/// Index settings and mapping.
pub fn index_definition() -> Value {
    json!({
        "settings": {
            "index": { "max_ngram_diff": 1 },
            "analysis": {
                "tokenizer": {
                    "parley_grams": {
                        "type": "ngram", "min_gram": 2, "max_gram": 3,
                        "token_chars": ["letter", "digit"]
                    }
                },
                "analyzer": {
                    "parley_grams": { "tokenizer": "parley_grams", "filter": ["lowercase"] }
                }
            }
        },
        "mappings": {
            "properties": {
                "content": { "type": "text", "analyzer": "parley_grams" },
                "channel_id": { "type": "long" },
                "author_id": { "type": "long" },
                "created_at": { "type": "long" },
                "id": { "type": "long" },
                "in_thread": { "type": "boolean" },
                "has_file": { "type": "boolean" }
            }
        }
    })
}

pub fn document(d: &IndexDocRow) -> Value {
    json!({
        "id": d.id,
        "channel_id": d.channel_id,
        "author_id": d.author_id,
        "content": d.content,
        "created_at": d.created_at,
        "in_thread": d.in_thread != 0,
        "has_file": d.has_file != 0,
    })
}

/// The search body: every term must match (n-grams, all of them), within
/// the readable channels and the filters, newest first.
fn query_body(q: &IndexQuery<'_>) -> Value {
    let f = q.filter;
    let mut filters = vec![json!({ "terms": { "channel_id": q.channels } })];
    if let Some(c) = f.channel_id {
        filters.push(json!({ "term": { "channel_id": c } }));
    }
    if let Some(a) = f.author_id {
        filters.push(json!({ "term": { "author_id": a } }));
    }
    let mut created = serde_json::Map::new();
    if let Some(t) = f.before_ms {
        created.insert("lt".into(), json!(t));
    }
    if let Some(t) = f.after_ms {
        created.insert("gt".into(), json!(t));
    }
    if !created.is_empty() {
        filters.push(json!({ "range": { "created_at": created } }));
    }
    if let Some(id) = f.before_id {
        filters.push(json!({ "range": { "id": { "lt": id } } }));
    }
    if let Some(t) = f.in_thread {
        filters.push(json!({ "term": { "in_thread": t } }));
    }
    if let Some(h) = f.has_file {
        filters.push(json!({ "term": { "has_file": h } }));
    }
    let must: Vec<Value> = q
        .terms
        .iter()
        .map(|t| {
            // One-character terms have no 2-gram; a prefix match on the
            // grams finds them, and the service's check makes it exact.
            if t.chars().count() < 2 {
                json!({ "prefix": { "content": t.to_lowercase() } })
            } else {
                json!({ "match": { "content": { "query": t, "operator": "and" } } })
            }
        })
        .collect();
    json!({
        "query": { "bool": { "must": must, "filter": filters } },
        "sort": [{ "id": "desc" }],
        "size": q.limit,
        "_source": false,
    })
}

impl ElasticIndex {
    /// Connects and creates the index (with its mapping) if it is missing.
    /// Returns whether it was created, so the caller can backfill it.
    pub async fn connect(
        url: &str,
        index: &str,
        store: Store,
    ) -> Result<(ElasticIndex, bool), SearchError> {
        let client = Elasticsearch::new(Transport::single_node(url).map_err(err)?);
        let me = ElasticIndex {
            client,
            index: index.to_owned(),
            store,
        };
        let exists = me
            .client
            .indices()
            .exists(IndicesExistsParts::Index(&[index]))
            .send()
            .await
            .map_err(err)?;
        if exists.status_code().is_success() {
            return Ok((me, false));
        }
        let res = me
            .client
            .indices()
            .create(IndicesCreateParts::Index(index))
            .body(index_definition())
            .send()
            .await
            .map_err(err)?;
        let status = res.status_code();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        // Another node created it at the same moment: fine.
        let raced = body["error"]["type"] == "resource_already_exists_exception";
        if !status.is_success() && !raced {
            return Err(SearchError::Index(format!(
                "creating index {index}: {status} {body}"
            )));
        }
        Ok((me, !raced))
    }

    /// Ids of documents matching the query, newest first.
    async fn candidates(&self, q: &IndexQuery<'_>) -> Result<Vec<i64>, SearchError> {
        if q.channels.is_empty() {
            return Ok(Vec::new());
        }
        let res = self
            .client
            .search(SearchParts::Index(&[&self.index]))
            .body(query_body(q))
            .send()
            .await
            .map_err(err)?;
        let body = success_body(res, "search").await?;
        Ok(body["hits"]["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h["_id"].as_str().and_then(|id| id.parse().ok()))
            .collect())
    }

    async fn bulk(&self, ops: Vec<BulkOperation<Value>>) -> Result<(), SearchError> {
        if ops.is_empty() {
            return Ok(());
        }
        let res = self
            .client
            .bulk(BulkParts::Index(&self.index))
            .body(ops)
            // Acknowledged means searchable: tests and users see it at once.
            .refresh(Refresh::WaitFor)
            .send()
            .await
            .map_err(err)?;
        let body = success_body(res, "bulk").await?;
        if body["errors"] == true {
            // A delete of a missing document is not an error for us.
            let real = body["items"].as_array().into_iter().flatten().any(|item| {
                item.as_object()
                    .and_then(|o| o.values().next())
                    .is_some_and(|r| r["status"].as_u64().is_some_and(|s| s >= 300 && s != 404))
            });
            if real {
                return Err(SearchError::Index(format!("bulk item failed: {body}")));
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl MessageIndex for ElasticIndex {
    fn fed_by_jobs(&self) -> bool {
        true
    }

    /// Candidates from the index, rows (and the read rules) from the
    /// store, exact matching here.
    async fn search(&self, q: &MessageQuery<'_>) -> Result<Found, SearchError> {
        let channels = self.store.fetch_readable_channel_ids(q.viewer).await?;
        // Over-fetch: some candidates fall to the exact check.
        let ids = self
            .candidates(&IndexQuery {
                terms: q.terms,
                filter: q.filter,
                channels: &channels,
                limit: q.limit * 3 + 1,
            })
            .await?;
        let mut rows: Vec<MessageRow> = self
            .store
            .fetch_readable_messages(q.viewer, &ids)
            .await?
            .into_iter()
            .filter(|r| contains_all(&r.content, q.terms))
            .collect();
        let has_more = rows.len() > q.limit as usize;
        rows.truncate(q.limit as usize);
        Ok(Found { rows, has_more })
    }

    async fn upsert(&self, docs: &[IndexDocRow]) -> Result<(), SearchError> {
        self.bulk(
            docs.iter()
                .map(|d| {
                    BulkOperation::index(document(d))
                        .id(d.id.to_string())
                        .into()
                })
                .collect(),
        )
        .await
    }

    async fn remove(&self, ids: &[i64]) -> Result<(), SearchError> {
        self.bulk(
            ids.iter()
                .map(|id| BulkOperation::delete(id.to_string()).into())
                .collect(),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SearchFilter;

    #[test]
    fn queries_scope_filter_and_sort() {
        let terms = vec!["회의".to_owned(), "x".to_owned()];
        let filter = SearchFilter {
            channel_id: Some(7),
            author_id: Some(3),
            before_ms: Some(2000),
            after_ms: Some(1000),
            in_thread: Some(false),
            before_id: Some(99),
            has_file: Some(true),
        };
        let body = query_body(&IndexQuery {
            terms: &terms,
            filter: &filter,
            channels: &[7, 8],
            limit: 21,
        });
        let must = &body["query"]["bool"]["must"];
        assert_eq!(must[0]["match"]["content"]["query"], "회의");
        assert_eq!(must[0]["match"]["content"]["operator"], "and");
        assert_eq!(must[1]["prefix"]["content"], "x");
        let filters = body["query"]["bool"]["filter"].as_array().expect("filters");
        assert_eq!(filters[0], json!({ "terms": { "channel_id": [7, 8] } }));
        assert!(filters.contains(&json!({ "term": { "channel_id": 7 } })));
        assert!(filters.contains(&json!({ "term": { "author_id": 3 } })));
        assert!(filters.contains(&json!({ "range": { "created_at": { "lt": 2000, "gt": 1000 } } })));
        assert!(filters.contains(&json!({ "range": { "id": { "lt": 99 } } })));
        assert!(filters.contains(&json!({ "term": { "in_thread": false } })));
        assert!(filters.contains(&json!({ "term": { "has_file": true } })));
        assert_eq!(body["sort"], json!([{ "id": "desc" }]));
        assert_eq!(body["size"], 21);
    }

    #[test]
    fn no_filters_means_only_the_scope() {
        let terms = vec!["deploy".to_owned()];
        let filter = SearchFilter::default();
        let body = query_body(&IndexQuery {
            terms: &terms,
            filter: &filter,
            channels: &[1],
            limit: 5,
        });
        assert_eq!(
            body["query"]["bool"]["filter"].as_array().map(Vec::len),
            Some(1)
        );
    }
}
