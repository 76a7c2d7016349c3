//! Message search. The two dialects differ only in how one term is matched:
//! SQLite asks its FTS5 trigram index (terms of 3+ characters; shorter ones
//! fall back to LIKE), PostgreSQL uses ILIKE, served by a trigram GIN index.
//! Everything else — what the viewer may read, the filters, the order — is
//! one query for both.

use super::{Dialect, MessageRow, Store, StoreResult, MESSAGE_COLS};

/// Narrowing a search.
#[derive(Debug, Default, Clone)]
pub struct SearchFilter {
    pub channel_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Milliseconds; messages created strictly before / after.
    pub before_ms: Option<i64>,
    pub after_ms: Option<i64>,
    /// Some(true): only thread replies; Some(false): only top-level messages.
    pub in_thread: Option<bool>,
    /// Only messages with an id below this (paging).
    pub before_id: Option<i64>,
    /// Some(true): only messages with attachments; Some(false): only without.
    pub has_file: Option<bool>,
}

enum Bind {
    I(i64),
    T(String),
}

/// `%` and `_` match literally inside the term.
fn like_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// FTS5 string literal: the term as a phrase.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

const HAS_FILE: &str = "EXISTS (SELECT 1 FROM files f WHERE f.message_id = m.id)";

/// Channels `$1` may read: those they belong to, and the public channels of
/// their workspaces; archived ones excluded.
const READABLE: &str = "c.archived_at IS NULL AND \
    (EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = c.id AND cm.user_id = $1) \
     OR (c.kind = 'public' AND EXISTS (SELECT 1 FROM workspace_members wm \
         WHERE wm.workspace_id = c.workspace_id AND wm.user_id = $1)))";

/// A message as an external search index stores it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IndexDocRow {
    pub id: i64,
    pub channel_id: i64,
    pub author_id: i64,
    pub content: String,
    pub created_at: i64,
    pub in_thread: i64,
    pub has_file: i64,
}

impl Store {
    /// Every channel the viewer may read (the scope of an external search).
    pub async fn fetch_readable_channel_ids(&self, viewer: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as(&format!("SELECT c.id FROM channels c WHERE {READABLE}"))
                .bind(viewer)
                .fetch_all(&self.read)
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Of these messages, the live ones `viewer` may read, in the order given.
    /// Results from an external index pass through here, so a stale index
    /// can never show what the database would not.
    pub async fn fetch_readable_messages(
        &self,
        viewer: i64,
        ids: &[i64],
    ) -> StoreResult<Vec<MessageRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages m JOIN channels c ON c.id = m.channel_id \
             WHERE m.deleted_at IS NULL AND {READABLE} AND m.id IN ({})",
            super::placeholders(2, ids.len())
        );
        let mut q = sqlx::query_as(&sql).bind(viewer);
        for id in ids {
            q = q.bind(*id);
        }
        let rows: Vec<MessageRow> = q.fetch_all(&self.read).await?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|r| r.id == *id).cloned())
            .collect())
    }

    /// Index documents of live messages with ids above `after`, oldest
    /// first (for indexing one message, or a backfill page by page).
    pub async fn fetch_index_docs(
        &self,
        ids: Option<&[i64]>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<IndexDocRow>> {
        let by_id = match ids {
            Some(ids) if !ids.is_empty() => {
                format!("AND m.id IN ({})", super::placeholders(3, ids.len()))
            }
            _ => String::new(),
        };
        let sql = format!(
            "SELECT m.id, m.channel_id, m.author_id, m.content, m.created_at, \
             CAST(CASE WHEN m.thread_root_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS in_thread, \
             CAST(CASE WHEN {HAS_FILE} THEN 1 ELSE 0 END AS BIGINT) AS has_file \
             FROM messages m WHERE m.deleted_at IS NULL AND m.id > $1 {by_id} ORDER BY m.id LIMIT $2"
        );
        let mut q = sqlx::query_as(&sql).bind(after).bind(limit);
        for id in ids.unwrap_or_default() {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// Live messages the viewer may read that contain every term (as a
    /// substring, case-insensitive), newest first.
    pub async fn search_messages(
        &self,
        viewer: i64,
        terms: &[String],
        filter: &SearchFilter,
        limit: u32,
    ) -> StoreResult<(Vec<MessageRow>, bool)> {
        let mut binds: Vec<Bind> = vec![Bind::I(viewer)];
        let next = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            format!("${}", binds.len())
        };
        let mut conds = vec!["m.deleted_at IS NULL".to_owned(), READABLE.to_owned()];
        let mut fts: Vec<String> = Vec::new();
        for term in terms {
            if self.dialect == Dialect::Sqlite && term.chars().count() >= 3 {
                fts.push(fts_phrase(term));
            } else {
                let op = if self.dialect == Dialect::Postgres {
                    "ILIKE"
                } else {
                    "LIKE"
                };
                let p = next(Bind::T(like_pattern(term)), &mut binds);
                conds.push(format!("m.content {op} {p} ESCAPE '\\'"));
            }
        }
        if !fts.is_empty() {
            let p = next(Bind::T(fts.join(" AND ")), &mut binds);
            conds.push(format!(
                "m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH {p})"
            ));
        }
        if let Some(c) = filter.channel_id {
            let p = next(Bind::I(c), &mut binds);
            conds.push(format!("m.channel_id = {p}"));
        }
        if let Some(a) = filter.author_id {
            let p = next(Bind::I(a), &mut binds);
            conds.push(format!("m.author_id = {p}"));
        }
        if let Some(t) = filter.before_ms {
            let p = next(Bind::I(t), &mut binds);
            conds.push(format!("m.created_at < {p}"));
        }
        if let Some(t) = filter.after_ms {
            let p = next(Bind::I(t), &mut binds);
            conds.push(format!("m.created_at > {p}"));
        }
        match filter.in_thread {
            Some(true) => conds.push("m.thread_root_id IS NOT NULL".into()),
            Some(false) => conds.push("m.thread_root_id IS NULL".into()),
            None => {}
        }
        if let Some(id) = filter.before_id {
            let p = next(Bind::I(id), &mut binds);
            conds.push(format!("m.id < {p}"));
        }
        match filter.has_file {
            Some(true) => conds.push(HAS_FILE.into()),
            Some(false) => conds.push(format!("NOT {HAS_FILE}")),
            None => {}
        }
        let p = next(Bind::I(i64::from(limit) + 1), &mut binds);
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages m JOIN channels c ON c.id = m.channel_id \
             WHERE {} ORDER BY m.id DESC LIMIT {p}",
            conds.join(" AND ")
        );
        let mut q = sqlx::query_as(&sql);
        for b in binds {
            q = match b {
                Bind::I(v) => q.bind(v),
                Bind::T(v) => q.bind(v),
            };
        }
        let mut rows: Vec<MessageRow> = q.fetch_all(&self.read).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards_and_quotes() {
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
        assert_eq!(fts_phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
