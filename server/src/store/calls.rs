//! Calls and their participants (migrations/*/0008_calls.sql).
//!
//! Every change runs in one transaction with its events and, when a call
//! starts or ends, its system message: a call exists exactly when its
//! "started" message does, and exactly one leave writes the "ended" one.
//! Joins and leaves go through a guarded `UPDATE` of the call's
//! `live_count`, which serializes them on the call's row (PostgreSQL) or
//! the single writer (SQLite), so the participant cap holds under races.

use sqlx::any::Any;
use sqlx::{FromRow, Transaction};

use super::events::EventTx;
use super::{placeholders, value_rows, EventDraft, MessageRow, NewMessage, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct CallRow {
    pub id: i64,
    pub channel_id: i64,
    pub started_by: i64,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub live_count: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ParticipantRow {
    pub id: i64,
    pub call_id: i64,
    pub user_id: i64,
    pub muted: i64,
    pub video: i64,
    pub screen: i64,
    pub joined_at: i64,
}

const CALL_COLS: &str = "id, channel_id, started_by, started_at, ended_at, live_count";
const PARTICIPANT_COLS: &str = "id, call_id, user_id, muted, video, screen, joined_at";

/// A call's live participants, in the order they joined.
fn live_participants_sql() -> String {
    format!(
        "SELECT {PARTICIPANT_COLS} FROM call_participants \
         WHERE call_id = $1 AND left_at IS NULL ORDER BY joined_at, id"
    )
}

/// What changed, for the service to announce.
pub enum CallChange<'a> {
    Started {
        call: &'a CallRow,
        participants: &'a [ParticipantRow],
    },
    Changed {
        call: &'a CallRow,
        participants: &'a [ParticipantRow],
    },
    Ended {
        call: &'a CallRow,
        /// Everyone who took part, in the order they first joined.
        took_part: &'a [i64],
    },
}

/// How a change is announced: built by the service, run inside the
/// change's transaction once the new state is known.
pub trait CallEffects: Send + Sync {
    fn events(&self, change: &CallChange<'_>) -> Vec<EventDraft>;
    /// The system message recording a start or an end.
    fn system_message(&self, change: &CallChange<'_>) -> Option<NewMessage>;
    /// The events announcing that message, once it has its seq.
    fn message_events(&self, row: &MessageRow) -> Vec<EventDraft>;
}

#[derive(Debug, Clone)]
pub struct JoinCall {
    pub channel_id: i64,
    pub user_id: i64,
    pub participant_id: i64,
    /// The id the call gets if this join starts it.
    pub new_call_id: i64,
    pub muted: bool,
    pub video: bool,
    pub now: i64,
}

pub enum JoinOutcome {
    Joined {
        call: CallRow,
        participants: Vec<ParticipantRow>,
        started: bool,
    },
    /// The call already has the most participants allowed.
    Full,
    /// The channel is archived or gone.
    Gone,
}

impl Store {
    /// Joins the channel's call, starting one if none is in progress. The
    /// person leaves any other call first; a second device of someone
    /// already in this call takes over their place.
    pub async fn join_call(
        &self,
        j: &JoinCall,
        max_participants: i64,
        fx: &dyn CallEffects,
    ) -> StoreResult<JoinOutcome> {
        let mut tx = self.begin_events().await?;
        let mut events = Vec::new();
        let mut live = Self::live_call_tx(&mut tx, j.channel_id).await?;
        let current: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, call_id FROM call_participants WHERE user_id = $1 AND left_at IS NULL",
        )
        .bind(j.user_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut slot_taken_over = false;
        for (pid, call_id) in current {
            if live.as_ref().is_some_and(|c| c.id == call_id) {
                sqlx::query("UPDATE call_participants SET left_at = $2 WHERE id = $1")
                    .bind(pid)
                    .bind(j.now)
                    .execute(&mut **tx)
                    .await?;
                slot_taken_over = true;
            } else {
                Self::leave_tx(&mut tx, pid, j.now, fx, &mut events).await?;
            }
        }
        let mut started = false;
        let call = 'found: {
            // A start can race another start (PostgreSQL); three looks settle it.
            for _ in 0..3 {
                if let Some(call) = live.take() {
                    if slot_taken_over {
                        break 'found call;
                    }
                    let bumped: Option<(i64,)> = sqlx::query_as(
                        "UPDATE calls SET live_count = live_count + 1 \
                         WHERE id = $1 AND ended_at IS NULL AND live_count < $2 RETURNING live_count",
                    )
                    .bind(call.id)
                    .bind(max_participants)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if bumped.is_some() {
                        break 'found call;
                    }
                    live = Self::live_call_tx(&mut tx, j.channel_id).await?;
                    if live.as_ref().is_some_and(|c| c.id == call.id) {
                        return Ok(JoinOutcome::Full);
                    }
                    continue;
                }
                let inserted = sqlx::query(
                    "INSERT INTO calls (id, channel_id, started_by, started_at, live_count) \
                     SELECT $1, id, $3, $4, 1 FROM channels WHERE id = $2 AND archived_at IS NULL \
                     ON CONFLICT DO NOTHING",
                )
                .bind(j.new_call_id)
                .bind(j.channel_id)
                .bind(j.user_id)
                .bind(j.now)
                .execute(&mut **tx)
                .await?;
                if inserted.rows_affected() == 1 {
                    started = true;
                    break 'found CallRow {
                        id: j.new_call_id,
                        channel_id: j.channel_id,
                        started_by: j.user_id,
                        started_at: j.now,
                        ended_at: None,
                        live_count: 1,
                    };
                }
                live = Self::live_call_tx(&mut tx, j.channel_id).await?;
                if live.is_none() {
                    return Ok(JoinOutcome::Gone);
                }
            }
            return Ok(JoinOutcome::Full);
        };
        sqlx::query(
            "INSERT INTO call_participants (id, call_id, user_id, muted, video, screen, joined_at, seen_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
        )
        .bind(j.participant_id)
        .bind(call.id)
        .bind(j.user_id)
        .bind(i64::from(j.muted))
        .bind(i64::from(j.video))
        .bind(j.now)
        .execute(&mut **tx)
        .await?;
        let participants = Self::live_participants_tx(&mut tx, call.id).await?;
        let change = if started {
            CallChange::Started {
                call: &call,
                participants: &participants,
            }
        } else {
            CallChange::Changed {
                call: &call,
                participants: &participants,
            }
        };
        Self::announce_tx(&mut tx, &change, fx, &mut events).await?;
        tx.append(&events, j.now).await?;
        tx.commit().await?;
        Ok(JoinOutcome::Joined {
            call,
            participants,
            started,
        })
    }

    /// Takes a participant out of its call (ending the call when it was the
    /// last one). False when it had already left.
    pub async fn leave_call(
        &self,
        participant_id: i64,
        now: i64,
        fx: &dyn CallEffects,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_events().await?;
        let mut events = Vec::new();
        let left = Self::leave_tx(&mut tx, participant_id, now, fx, &mut events).await?;
        tx.append(&events, now).await?;
        tx.commit().await?;
        Ok(left)
    }

    /// Everyone still in the call leaves: it ends.
    pub async fn end_call(&self, call_id: i64, now: i64, fx: &dyn CallEffects) -> StoreResult<()> {
        let mut tx = self.begin_events().await?;
        let mut events = Vec::new();
        for p in Self::live_participants_tx(&mut tx, call_id).await? {
            Self::leave_tx(&mut tx, p.id, now, fx, &mut events).await?;
        }
        tx.append(&events, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a participant sends now. False when it is not (or no longer)
    /// in `call_id`.
    pub async fn update_participant(
        &self,
        participant_id: i64,
        call_id: i64,
        (muted, video, screen): (bool, bool, bool),
        now: i64,
        fx: &dyn CallEffects,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_events().await?;
        let done = sqlx::query(
            "UPDATE call_participants SET muted = $3, video = $4, screen = $5 \
             WHERE id = $1 AND call_id = $2 AND left_at IS NULL",
        )
        .bind(participant_id)
        .bind(call_id)
        .bind(i64::from(muted))
        .bind(i64::from(video))
        .bind(i64::from(screen))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let call: CallRow = sqlx::query_as(&format!("SELECT {CALL_COLS} FROM calls WHERE id = $1"))
            .bind(call_id)
            .fetch_one(&mut **tx)
            .await?;
        let participants = Self::live_participants_tx(&mut tx, call_id).await?;
        let mut events = Vec::new();
        let change = CallChange::Changed {
            call: &call,
            participants: &participants,
        };
        Self::announce_tx(&mut tx, &change, fx, &mut events).await?;
        tx.append(&events, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn fetch_call(&self, call_id: i64) -> StoreResult<Option<CallRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {CALL_COLS} FROM calls WHERE id = $1"))
                .bind(call_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// The call a participant is (or was) in.
    pub async fn fetch_participant_call(
        &self,
        participant_id: i64,
    ) -> StoreResult<Option<CallRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CALL_COLS} FROM calls \
             WHERE id = (SELECT call_id FROM call_participants WHERE id = $1)"
        ))
        .bind(participant_id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The calls `user_id` is in now (on any device).
    pub async fn fetch_user_calls(&self, user_id: i64) -> StoreResult<Vec<CallRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CALL_COLS} FROM calls WHERE id IN \
             (SELECT call_id FROM call_participants WHERE user_id = $1 AND left_at IS NULL)"
        ))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Writes events that go with no other change (a declined ring).
    pub async fn append_events(&self, events: &[EventDraft], now: i64) -> StoreResult<()> {
        let mut tx = self.begin_events().await?;
        tx.append(events, now).await?;
        tx.commit().await
    }

    pub async fn fetch_live_participants(&self, call_id: i64) -> StoreResult<Vec<ParticipantRow>> {
        Ok(sqlx::query_as(&live_participants_sql())
            .bind(call_id)
            .fetch_all(&self.read)
            .await?)
    }

    /// (participant, call) of those of `ids` still in a call.
    pub async fn fetch_participant_calls(&self, ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let sql = format!(
            "SELECT id, call_id FROM call_participants WHERE left_at IS NULL AND id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.read).await?)
    }

    /// The calls in progress in the channels `user_id` is a member of, with
    /// their participants.
    pub async fn fetch_live_calls_for(
        &self,
        user_id: i64,
    ) -> StoreResult<Vec<(CallRow, Vec<ParticipantRow>)>> {
        let calls: Vec<CallRow> = sqlx::query_as(&format!(
            "SELECT {CALL_COLS} FROM calls WHERE ended_at IS NULL AND channel_id IN \
             (SELECT m.channel_id FROM channel_members m JOIN channels ch ON ch.id = m.channel_id \
              WHERE m.user_id = $1 AND ch.archived_at IS NULL)"
        ))
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(calls.len());
        for call in calls {
            let participants = self.fetch_live_participants(call.id).await?;
            out.push((call, participants));
        }
        Ok(out)
    }

    /// Records when each live participant (id, heard at) was last heard.
    pub async fn refresh_participants(&self, heard: &[(i64, i64)]) -> StoreResult<()> {
        for chunk in heard.chunks(200) {
            let sql = format!(
                "UPDATE call_participants SET seen_at = v.column2 FROM (VALUES {}) AS v \
                 WHERE call_participants.id = v.column1 AND call_participants.left_at IS NULL",
                value_rows(1, chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (id, at) in chunk {
                q = q.bind(*id).bind(*at);
            }
            q.execute(&self.write).await?;
        }
        Ok(())
    }

    /// Live participants not heard from since `cutoff`, on any node.
    pub async fn fetch_silent_participants(&self, cutoff: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM call_participants WHERE left_at IS NULL AND seen_at < $1",
        )
        .bind(cutoff)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// (calls in progress, participants in them), server-wide.
    pub async fn count_live_calls(&self) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(live_count), 0) AS BIGINT) \
             FROM calls WHERE ended_at IS NULL",
        )
        .fetch_one(&self.read)
        .await?)
    }

    async fn live_call_tx(
        tx: &mut Transaction<'static, Any>,
        channel_id: i64,
    ) -> StoreResult<Option<CallRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CALL_COLS} FROM calls WHERE channel_id = $1 AND ended_at IS NULL"
        ))
        .bind(channel_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    async fn live_participants_tx(
        tx: &mut Transaction<'static, Any>,
        call_id: i64,
    ) -> StoreResult<Vec<ParticipantRow>> {
        Ok(sqlx::query_as(&live_participants_sql())
            .bind(call_id)
            .fetch_all(&mut **tx)
            .await?)
    }

    async fn leave_tx(
        tx: &mut EventTx<'_>,
        participant_id: i64,
        now: i64,
        fx: &dyn CallEffects,
        events: &mut Vec<EventDraft>,
    ) -> StoreResult<bool> {
        let left: Option<(i64,)> = sqlx::query_as(
            "UPDATE call_participants SET left_at = $2 WHERE id = $1 AND left_at IS NULL \
             RETURNING call_id",
        )
        .bind(participant_id)
        .bind(now)
        .fetch_optional(&mut ***tx)
        .await?;
        let Some((call_id,)) = left else {
            return Ok(false);
        };
        let call: CallRow = sqlx::query_as(&format!(
            "UPDATE calls SET live_count = live_count - 1, \
             ended_at = CASE WHEN live_count <= 1 THEN $2 ELSE NULL END \
             WHERE id = $1 RETURNING {CALL_COLS}"
        ))
        .bind(call_id)
        .bind(now)
        .fetch_one(&mut ***tx)
        .await?;
        if call.ended_at.is_some() {
            let took_part: Vec<(i64,)> = sqlx::query_as(
                "SELECT user_id FROM call_participants WHERE call_id = $1 \
                 GROUP BY user_id ORDER BY MIN(joined_at), user_id",
            )
            .bind(call_id)
            .fetch_all(&mut ***tx)
            .await?;
            let took_part: Vec<i64> = took_part.into_iter().map(|(u,)| u).collect();
            let change = CallChange::Ended {
                call: &call,
                took_part: &took_part,
            };
            Self::announce_tx(tx, &change, fx, events).await?;
        } else {
            let participants = Self::live_participants_tx(tx, call_id).await?;
            let change = CallChange::Changed {
                call: &call,
                participants: &participants,
            };
            Self::announce_tx(tx, &change, fx, events).await?;
        }
        Ok(true)
    }

    /// Collects the change's events and posts its system message.
    async fn announce_tx(
        tx: &mut Transaction<'static, Any>,
        change: &CallChange<'_>,
        fx: &dyn CallEffects,
        events: &mut Vec<EventDraft>,
    ) -> StoreResult<()> {
        events.extend(fx.events(change));
        if let Some(msg) = fx.system_message(change) {
            // An archived channel takes no message; the call still ends.
            if let Some(Ok(row)) = Self::insert_messages_tx(tx, &[&msg]).await?.pop() {
                events.extend(fx.message_events(&row));
            }
        }
        Ok(())
    }
}
