//! Messages: history, sending (idempotent by nonce), edits, tombstone
//! deletes, reactions, pins, threads and mentions.

use std::collections::HashMap;

use parley_shared::api::{
    EditMessageRequest, FileInfo, Message, MessageList, MessagePage, SendMessageRequest, Thread,
};
use parley_shared::mention::{self, Mention};
use parley_shared::validate::{self, ValidationError};

use parley_shared::ws::{PresenceStatus, ServerEvent};
use parley_shared::{ChannelId, MessageId, Timestamp, UserId};

use super::access::{self, ChannelAccess};
use super::convert::{file_info, message, reaction_groups, user};
use super::{events, files, notify, now_ms, push, recent, search, users};
use crate::cache::pages;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{Cursor, EventDraft, MessageRow, NewMessage, StoreError};

/// Turns rows into API messages with authors, reactions and attachments
/// (three queries, whatever the page size).
pub async fn hydrate(state: &AppState, rows: &[MessageRow]) -> ApiResult<Vec<Message>> {
    let authors = users::profiles(state, rows.iter().map(|r| r.author_id)).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let reactions = state.store.fetch_reactions(&ids).await?;
    let mut by_message: HashMap<i64, Vec<_>> = HashMap::new();
    for r in &reactions {
        by_message.entry(r.message_id).or_default().push(r);
    }
    let mut files: HashMap<i64, Vec<FileInfo>> = HashMap::new();
    for f in state.store.fetch_attachments(&ids).await? {
        if let Some(m) = f.message_id {
            files.entry(m).or_default().push(file_info(&f));
        }
    }
    rows.iter()
        .map(|row| {
            let author = authors.get(&row.author_id).cloned().ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("author {} missing", row.author_id))
            })?;
            let groups = by_message
                .get(&row.id)
                .map(|v| reaction_groups(v))
                .unwrap_or_default();
            let attachments = files.remove(&row.id).unwrap_or_default();
            Ok(message(row, author, groups, attachments))
        })
        .collect()
}

async fn hydrate_one(state: &AppState, row: &MessageRow) -> ApiResult<Message> {
    hydrate(state, std::slice::from_ref(row))
        .await?
        .pop()
        .ok_or(ApiError::NotFound("message"))
}

/// The message and the caller's access to its channel; 404 when either is
/// invisible to them.
async fn load(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
) -> ApiResult<(MessageRow, ChannelAccess)> {
    let row = state
        .store
        .fetch_message(message_id.get())
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    let a = access::channel(state, viewer, ChannelId(row.channel_id))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("message"),
            other => other,
        })?;
    Ok((row, a))
}

async fn load_live(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
) -> ApiResult<(MessageRow, ChannelAccess)> {
    let (row, a) = load(state, viewer, message_id).await?;
    if row.deleted_at.is_some() {
        return Err(ApiError::NotFound("message"));
    }
    Ok((row, a))
}

/// Channel members mentioned by `content` (never the author).
async fn mentioned(
    state: &AppState,
    channel_id: ChannelId,
    author: UserId,
    content: &str,
) -> ApiResult<Vec<i64>> {
    let channel_id = channel_id.get();
    let parsed = mention::parse(content);
    let everyone = parsed.contains(&Mention::Channel);
    let here = parsed.contains(&Mention::Here);
    let names: Vec<String> = parsed
        .into_iter()
        .filter_map(|m| match m {
            Mention::User(n) => Some(n),
            _ => None,
        })
        .collect();
    let mut ids = state
        .store
        .fetch_member_ids_by_username(channel_id, &names)
        .await?;
    if everyone || here {
        let presence = &state.realtime.presence;
        ids.extend(
            state
                .store
                .fetch_channel_members(channel_id)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                // @here: only those online or away right now.
                .filter(|&u| everyone || presence.status(u) != PresenceStatus::Offline),
        );
    }
    ids.retain(|&id| id != author.get());
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Query parameters of a history request, already parsed.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub around: Option<i64>,
    pub limit: Option<u32>,
}

fn cursor(q: HistoryQuery) -> ApiResult<Cursor> {
    match (q.before, q.after, q.around) {
        (None, None, None) => Ok(Cursor::Latest),
        (Some(s), None, None) => Ok(Cursor::Before(s)),
        (None, Some(s), None) => Ok(Cursor::After(s)),
        (None, None, Some(s)) => Ok(Cursor::Around(s)),
        _ => Err(ValidationError::new("cursor", "use only one of before, after and around").into()),
    }
}

pub async fn list(
    state: &AppState,
    viewer: UserId,
    channel_id: ChannelId,
    q: HistoryQuery,
) -> ApiResult<MessagePage> {
    let cursor = cursor(q)?;
    let limit = validate::page_limit(q.limit)?;
    access::channel(state, viewer, channel_id).await?;
    if cursor == Cursor::Latest && limit == recent::PAGE {
        return recent::latest(state, channel_id).await;
    }
    let page = state
        .store
        .fetch_page(channel_id.get(), cursor, limit)
        .await?;
    Ok(MessagePage {
        messages: hydrate(state, &page.rows).await?,
        has_more_before: page.has_more_before,
        has_more_after: page.has_more_after,
    })
}

/// Like [`list`], for a channel that must be a DM.
pub async fn list_dm(
    state: &AppState,
    viewer: UserId,
    channel_id: ChannelId,
    q: HistoryQuery,
) -> ApiResult<MessagePage> {
    if !access::channel(state, viewer, channel_id).await?.is_dm() {
        return Err(ApiError::NotFound("dm"));
    }
    list(state, viewer, channel_id, q).await
}

/// Posts to a channel (or to a thread when `thread_root` is given). Returns
/// the message and whether it was created now (false: an earlier send with
/// the same nonce already created it).
pub async fn send(
    state: &AppState,
    viewer: UserId,
    channel_id: ChannelId,
    req: SendMessageRequest,
    thread_root: Option<MessageId>,
) -> ApiResult<(Message, bool)> {
    let file_ids: Vec<i64> = req.file_ids.iter().map(|f| f.get()).collect();
    let content = if file_ids.is_empty() || !req.content.trim().is_empty() {
        validate::message_content(&req.content)?
    } else {
        String::new()
    };
    let nonce = req.nonce.as_deref().map(validate::nonce).transpose()?;
    let ctx = access::for_send(state, viewer, channel_id).await?;
    ctx.access.require_member()?;
    // A retried nonce is caught by the unique index at insert time (below),
    // not by a look-up first: retries are rare, sends are not. Only a send
    // with files looks first, since its files, attached to the original by
    // now, would fail the check below.
    if let (Some(n), false) = (&nonce, file_ids.is_empty()) {
        if let Some(existing) = state
            .store
            .fetch_message_by_nonce(channel_id.get(), viewer.get(), n)
            .await?
        {
            return Ok((hydrate_one(state, &existing).await?, false));
        }
    }
    let attachments = files::attachable(state, viewer, &req.file_ids).await?;
    let mentions = mentioned(state, channel_id, viewer, &content).await?;
    let now = now_ms();
    let notify = notify::targets(state, &ctx, viewer, &content, &mentions, now).await?;
    let author = user(&ctx.author, now);
    let reply_author = author.clone();
    let new = NewMessage {
        id: state.next_id(),
        channel_id: channel_id.get(),
        author_id: viewer.get(),
        content,
        nonce: nonce.clone(),
        thread_root_id: thread_root.map(MessageId::get),
        mentions,
        file_ids,
        jobs: Vec::new(),
        now,
        system: None,
    };
    let mut jobs = search::index_jobs(state, MessageId(new.id), now)?;
    jobs.extend(push::jobs_for(state, &notify, MessageId(new.id), now).await?);
    let new = NewMessage { jobs, ..new };
    let reply_attachments = attachments.clone();
    // Built inside the transaction, once the seq is known. Serializing our
    // own types cannot fail; were it to, the message still stands and
    // clients catch up through history.
    let announce = move |row: &MessageRow| {
        let msg = message(row, author.clone(), Vec::new(), attachments.clone());
        let mut evs: Vec<EventDraft> =
            events::to_channel(channel_id, &ServerEvent::Message(msg.clone()))
                .into_iter()
                .collect();
        evs.extend(notify::events(&notify, &msg).unwrap_or_default());
        evs
    };
    match state.store.insert_message(&new, announce).await {
        // A new message has no reactions yet and we know its author: no
        // need to read it back.
        Ok(row) => {
            state.metrics.messages.inc();
            pages::invalidate(state.cache.as_ref(), &[channel_id.get()]).await;
            if !new.jobs.is_empty() {
                state.queue.kick();
            }
            Ok((
                message(&row, reply_author, Vec::new(), reply_attachments),
                true,
            ))
        }
        // One of the files was attached by a concurrent send meanwhile.
        Err(StoreError::Conflict { constraint }) if constraint == "files.message_id" => Err(
            ValidationError::new("file_ids", "a file is already attached to another message")
                .into(),
        ),
        // The same nonce raced in from a concurrent retry: the first one won.
        Err(StoreError::Conflict { constraint })
            if nonce.is_some() && constraint != "files.message_id" =>
        {
            let existing = state
                .store
                .fetch_message_by_nonce(
                    channel_id.get(),
                    viewer.get(),
                    nonce.as_deref().unwrap_or_default(),
                )
                .await?
                .ok_or(ApiError::Conflict("message nonce conflict"))?;
            Ok((hydrate_one(state, &existing).await?, false))
        }
        Err(StoreError::NotFound) => Err(ApiError::NotFound("channel")),
        Err(e) => Err(e.into()),
    }
}

/// Replies in the thread of `message_id` (a reply to a reply joins the
/// root's thread).
pub async fn reply(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
    req: SendMessageRequest,
) -> ApiResult<(Message, bool)> {
    let (row, _) = load_live(state, viewer, message_id).await?;
    let root = MessageId(row.thread_root_id.unwrap_or(row.id));
    send(state, viewer, ChannelId(row.channel_id), req, Some(root)).await
}

/// A thread reply sent over WebSocket, where the client names the channel
/// too: the root must be in that channel.
pub async fn reply_in(
    state: &AppState,
    viewer: UserId,
    channel_id: ChannelId,
    root_id: MessageId,
    req: SendMessageRequest,
) -> ApiResult<(Message, bool)> {
    let (row, _) = load_live(state, viewer, root_id).await?;
    if row.channel_id != channel_id.get() {
        return Err(ApiError::NotFound("message"));
    }
    reply(state, viewer, root_id, req).await
}

pub async fn thread(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
    after: Option<i64>,
    limit: Option<u32>,
) -> ApiResult<Thread> {
    let limit = validate::page_limit(limit)?;
    let (row, _) = load(state, viewer, message_id).await?;
    let root = match row.thread_root_id {
        Some(r) => state
            .store
            .fetch_message(r)
            .await?
            .ok_or(ApiError::NotFound("message"))?,
        None => row,
    };
    let (replies, has_more) = state
        .store
        .fetch_replies(root.id, after.unwrap_or(0), limit)
        .await?;
    let mut all = vec![root];
    all.extend(replies);
    let mut msgs = hydrate(state, &all).await?.into_iter();
    let root = msgs.next().ok_or(ApiError::NotFound("message"))?;
    Ok(Thread {
        root,
        replies: msgs.collect(),
        has_more,
    })
}

pub async fn edit(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
    req: EditMessageRequest,
) -> ApiResult<Message> {
    let content = validate::message_content(&req.content)?;
    let (row, a) = load_live(state, viewer, message_id).await?;
    if row.author_id != viewer.get() {
        return Err(ApiError::Forbidden("only the author may edit a message"));
    }
    a.require_member()?;
    let channel_id = ChannelId(row.channel_id);
    let mentions = mentioned(state, channel_id, viewer, &content).await?;
    let now = now_ms();
    let mut updated = hydrate_one(state, &row).await?;
    updated.content = content.clone();
    updated.edited_at = Some(Timestamp::from_millis(now));
    let ev = events::to_channel(channel_id, &ServerEvent::MessageUpdated(updated))?;
    let jobs = search::index_jobs(state, message_id, now)?;
    state
        .store
        .update_message_content(&row, &content, &mentions, now, &[ev], &jobs)
        .await?;
    pages::invalidate(state.cache.as_ref(), &[row.channel_id]).await;
    state.queue.kick();
    reload(state, message_id).await
}

async fn reload(state: &AppState, message_id: MessageId) -> ApiResult<Message> {
    let row = state
        .store
        .fetch_message(message_id.get())
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    hydrate_one(state, &row).await
}

/// The author, or a channel/workspace admin, may delete. What remains is a
/// tombstone that keeps the seq and any thread.
pub async fn delete(state: &AppState, viewer: UserId, message_id: MessageId) -> ApiResult<()> {
    let (row, a) = load_live(state, viewer, message_id).await?;
    if row.author_id != viewer.get() && !a.is_admin() {
        return Err(ApiError::Forbidden(
            "only the author or a channel admin may delete a message",
        ));
    }
    let channel_id = ChannelId(row.channel_id);
    let ev = events::to_channel(
        channel_id,
        &ServerEvent::MessageDeleted {
            channel_id,
            message_id: MessageId(row.id),
        },
    )?;
    let now = now_ms();
    let jobs = search::index_jobs(state, message_id, now)?;
    state
        .store
        .tombstone_message(message_id.get(), now, &[ev], &jobs)
        .await?;
    pages::invalidate(state.cache.as_ref(), &[row.channel_id]).await;
    state.queue.kick();
    Ok(())
}

fn reaction_event(
    row: &MessageRow,
    user: UserId,
    emoji: &str,
    added: bool,
) -> ApiResult<EventDraft> {
    let channel_id = ChannelId(row.channel_id);
    events::to_channel(
        channel_id,
        &ServerEvent::Reaction {
            channel_id,
            message_id: MessageId(row.id),
            user_id: user,
            emoji: emoji.to_owned(),
            added,
        },
    )
}

pub async fn add_reaction(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
    emoji: &str,
) -> ApiResult<Message> {
    let emoji = validate::emoji("emoji", emoji)?;
    let (row, a) = load_live(state, viewer, message_id).await?;
    a.require_member()?;
    let ev = reaction_event(&row, viewer, &emoji, true)?;
    state
        .store
        .insert_reaction(message_id.get(), viewer.get(), &emoji, now_ms(), &[ev])
        .await?;
    pages::invalidate(state.cache.as_ref(), &[row.channel_id]).await;
    reload(state, message_id).await
}

pub async fn remove_reaction(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
    emoji: &str,
) -> ApiResult<Message> {
    let emoji = validate::emoji("emoji", emoji)?;
    let (row, a) = load_live(state, viewer, message_id).await?;
    a.require_member()?;
    let ev = reaction_event(&row, viewer, &emoji, false)?;
    if !state
        .store
        .delete_reaction(message_id.get(), viewer.get(), &emoji, now_ms(), &[ev])
        .await?
    {
        return Err(ApiError::NotFound("reaction"));
    }
    pages::invalidate(state.cache.as_ref(), &[row.channel_id]).await;
    reload(state, message_id).await
}

pub async fn set_pin(
    state: &AppState,
    viewer: UserId,
    message_id: MessageId,
    pinned: bool,
) -> ApiResult<Message> {
    let (row, a) = load_live(state, viewer, message_id).await?;
    a.require_member()?;
    let now = now_ms();
    let channel_id = ChannelId(row.channel_id);
    let ev = events::to_channel(
        channel_id,
        &ServerEvent::MessagePinned {
            channel_id,
            message_id: MessageId(row.id),
            pinned_by: pinned.then_some(viewer),
            pinned_at: pinned.then_some(Timestamp::from_millis(now)),
        },
    )?;
    state
        .store
        .set_pin(message_id.get(), pinned.then_some(viewer.get()), now, &[ev])
        .await?;
    pages::invalidate(state.cache.as_ref(), &[row.channel_id]).await;
    reload(state, message_id).await
}

pub async fn pins(
    state: &AppState,
    viewer: UserId,
    channel_id: ChannelId,
) -> ApiResult<Vec<Message>> {
    access::channel(state, viewer, channel_id).await?;
    let rows = state.store.fetch_pins(channel_id.get()).await?;
    hydrate(state, &rows).await
}

pub async fn mentions(
    state: &AppState,
    viewer: UserId,
    before: Option<MessageId>,
    limit: Option<u32>,
) -> ApiResult<MessageList> {
    let limit = validate::page_limit(limit)?;
    let (rows, has_more) = state
        .store
        .fetch_mentions(viewer.get(), before.map(MessageId::get), limit)
        .await?;
    Ok(MessageList {
        messages: hydrate(state, &rows).await?,
        has_more,
    })
}
