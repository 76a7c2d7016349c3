//! A whole group-commit batch of new messages in a handful of multi-row
//! statements, instead of five or six statements per message.
//!
//! Every statement is a round trip (to sqlx's SQLite worker thread, or to
//! PostgreSQL over the socket), and under load those round trips, not the
//! engine's work, were what a message cost. So the batch bumps every
//! channel's seq at once, inserts every row at once, and so on. What must
//! stay true is exactly what the one-message path guarantees: gap-free seqs
//! in arrival order per channel, and an archived channel refusing its
//! messages (`NotFound`) without touching anything. Any other failure
//! leaves the transaction unusable; the caller then redoes the batch one
//! message at a time (see `group_commit`).

use std::collections::HashMap;

use sqlx::any::Any;
use sqlx::Transaction;

use super::{value_rows, MessageRow, NewMessage, Store, StoreError, StoreResult};

/// Rows per multi-row statement, well under both engines' parameter limits.
const ROWS_PER_STATEMENT: usize = 200;

/// Per-key sums kept in first-seen order (so seqs follow arrival order).
struct Tally<K, V> {
    keys: Vec<K>,
    values: Vec<V>,
    index: HashMap<K, usize>,
}

impl<K: Copy + Eq + std::hash::Hash, V: Default> Tally<K, V> {
    fn new() -> Self {
        Tally {
            keys: Vec::new(),
            values: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The key's slot and value, created on first sight.
    fn entry(&mut self, key: K) -> (usize, &mut V) {
        let slot = *self.index.entry(key).or_insert_with(|| {
            self.keys.push(key);
            self.values.push(V::default());
            self.keys.len() - 1
        });
        (slot, &mut self.values[slot])
    }

    /// (keys, values) in chunks of at most `ROWS_PER_STATEMENT`.
    fn chunks(&self) -> impl Iterator<Item = (&[K], &[V])> {
        self.keys
            .chunks(ROWS_PER_STATEMENT)
            .zip(self.values.chunks(ROWS_PER_STATEMENT))
    }
}

/// How many messages a key got, and the latest of their times.
#[derive(Default, Clone, Copy)]
struct CountAndTime {
    count: i64,
    latest: i64,
}

impl CountAndTime {
    fn add(&mut self, now: i64) {
        self.count += 1;
        self.latest = self.latest.max(now);
    }
}

impl Store {
    /// Inserts `batch` inside `tx`; one outcome per message, in order.
    pub(crate) async fn insert_messages_tx(
        tx: &mut Transaction<'_, Any>,
        batch: &[&NewMessage],
    ) -> StoreResult<Vec<StoreResult<MessageRow>>> {
        let seqs = Self::bump_seqs_tx(tx, batch).await?;
        let live: Vec<(&NewMessage, i64)> = batch
            .iter()
            .zip(&seqs)
            .filter_map(|(m, s)| s.map(|s| (*m, s)))
            .collect();
        Self::insert_rows_tx(tx, &live).await?;
        Self::bump_threads_tx(tx, &live).await?;
        Self::insert_batch_mentions_tx(tx, &live).await?;
        for (m, _) in &live {
            Self::attach_files_tx(tx, m.id, m.channel_id, m.author_id, &m.file_ids).await?;
        }
        let jobs: Vec<_> = live
            .iter()
            .flat_map(|(m, _)| m.jobs.iter().cloned())
            .collect();
        Self::insert_jobs_tx(tx, &jobs).await?;
        Self::mark_authors_read_tx(tx, &live).await?;
        Ok(batch
            .iter()
            .zip(seqs)
            .map(|(m, seq)| match seq {
                Some(seq) => Ok(MessageRow::inserted(m, seq)),
                None => Err(StoreError::NotFound),
            })
            .collect())
    }

    /// Takes the next seqs of every channel in the batch in one statement;
    /// `None` for the messages of an archived (or vanished) channel.
    async fn bump_seqs_tx(
        tx: &mut Transaction<'_, Any>,
        batch: &[&NewMessage],
    ) -> StoreResult<Vec<Option<i64>>> {
        let mut channels: Tally<i64, CountAndTime> = Tally::new();
        let slots: Vec<usize> = batch
            .iter()
            .map(|m| {
                let (slot, tally) = channels.entry(m.channel_id);
                tally.add(m.now);
                slot
            })
            .collect();
        let mut last: HashMap<i64, i64> = HashMap::with_capacity(channels.keys.len());
        for (ids, tallies) in channels.chunks() {
            let sql = format!(
                "UPDATE channels SET last_seq = last_seq + v.column2, \
                 last_message_at = v.column3, updated_at = v.column3 \
                 FROM (VALUES {}) AS v \
                 WHERE channels.id = v.column1 AND channels.archived_at IS NULL \
                 RETURNING channels.id, channels.last_seq",
                value_rows(1, ids.len(), 3)
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for (id, t) in ids.iter().zip(tallies) {
                q = q.bind(*id).bind(t.count).bind(t.latest);
            }
            last.extend(q.fetch_all(&mut **tx).await?);
        }
        // Hand each channel's new seqs out in arrival order.
        let mut next: Vec<Option<i64>> = channels
            .keys
            .iter()
            .zip(&channels.values)
            .map(|(id, t)| last.get(id).map(|l| l - t.count + 1))
            .collect();
        Ok(slots
            .into_iter()
            .map(|slot| {
                let seq = next[slot];
                next[slot] = seq.map(|s| s + 1);
                seq
            })
            .collect())
    }

    async fn insert_rows_tx(
        tx: &mut Transaction<'_, Any>,
        live: &[(&NewMessage, i64)],
    ) -> StoreResult<()> {
        for chunk in live.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO messages (id, channel_id, seq, author_id, content, nonce, thread_root_id, created_at, system) \
                 VALUES {}",
                value_rows(1, chunk.len(), 9)
            );
            let mut q = sqlx::query(&sql);
            for (m, seq) in chunk {
                q = q
                    .bind(m.id)
                    .bind(m.channel_id)
                    .bind(*seq)
                    .bind(m.author_id)
                    .bind(&m.content)
                    .bind(m.nonce.as_deref())
                    .bind(m.thread_root_id)
                    .bind(m.now)
                    .bind(m.system.as_deref());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Reply counts and last-reply times of the threads the batch replies in.
    async fn bump_threads_tx(
        tx: &mut Transaction<'_, Any>,
        live: &[(&NewMessage, i64)],
    ) -> StoreResult<()> {
        let mut roots: Tally<i64, CountAndTime> = Tally::new();
        for (m, _) in live {
            if let Some(root) = m.thread_root_id {
                roots.entry(root).1.add(m.now);
            }
        }
        let rows: Vec<[i64; 3]> = roots
            .keys
            .iter()
            .zip(&roots.values)
            .map(|(root, t)| [*root, t.count, t.latest])
            .collect();
        Self::update_from_values_tx(
            tx,
            "UPDATE messages SET reply_count = reply_count + v.column2, last_reply_at = v.column3 \
             FROM (VALUES {}) AS v WHERE messages.id = v.column1",
            &rows,
        )
        .await
    }

    async fn insert_batch_mentions_tx(
        tx: &mut Transaction<'_, Any>,
        live: &[(&NewMessage, i64)],
    ) -> StoreResult<()> {
        let rows: Vec<(&NewMessage, i64, i64)> = live
            .iter()
            .flat_map(|(m, seq)| m.mentions.iter().map(move |u| (*m, *seq, *u)))
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO mentions (message_id, user_id, channel_id, seq, created_at) \
                 VALUES {} ON CONFLICT DO NOTHING",
                value_rows(1, chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (m, seq, user) in chunk {
                q = q
                    .bind(m.id)
                    .bind(*user)
                    .bind(m.channel_id)
                    .bind(*seq)
                    .bind(m.now);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Each author has read up to their own newest message in the batch.
    async fn mark_authors_read_tx(
        tx: &mut Transaction<'_, Any>,
        live: &[(&NewMessage, i64)],
    ) -> StoreResult<()> {
        let mut readers: Tally<(i64, i64), i64> = Tally::new();
        for (m, seq) in live {
            let newest = readers.entry((m.channel_id, m.author_id)).1;
            *newest = (*newest).max(*seq);
        }
        let rows: Vec<[i64; 3]> = readers
            .keys
            .iter()
            .zip(&readers.values)
            .map(|((channel, author), seq)| [*channel, *author, *seq])
            .collect();
        Self::update_from_values_tx(
            tx,
            "UPDATE channel_members SET last_read_seq = v.column3 FROM (VALUES {}) AS v \
             WHERE channel_members.channel_id = v.column1 AND channel_members.user_id = v.column2",
            &rows,
        )
        .await
    }

    /// Runs `sql`, an `UPDATE … FROM (VALUES {}) AS v …`, over `rows` of
    /// three integers (`v.column1` to `v.column3`), a chunk at a time.
    async fn update_from_values_tx(
        tx: &mut Transaction<'_, Any>,
        sql: &str,
        rows: &[[i64; 3]],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = sql.replace("{}", &value_rows(1, chunk.len(), 3));
            let mut q = sqlx::query(&sql);
            for row in chunk {
                q = q.bind(row[0]).bind(row[1]).bind(row[2]);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}
