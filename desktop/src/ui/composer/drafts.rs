//! Drafts: the unsent text of each conversation, kept per account in the
//! platform's storage, so switching channels, reloading the page or
//! restarting the app loses nothing. Another account never reads them.

use parley_shared::{ChannelId, MessageId};

use crate::app::Ctx;

/// Unsent text per conversation (`<channel>` or `<channel>/<thread root>`)
/// of the signed-in user, in the platform's storage: switching channels,
/// reloading the page or restarting the app loses nothing.
type Drafts = std::collections::HashMap<String, String>;

pub(super) fn draft_key(channel: ChannelId, thread_root: Option<MessageId>) -> String {
    match thread_root {
        Some(root) => format!("{channel}/{root}"),
        None => channel.to_string(),
    }
}

/// Where the signed-in user's drafts are kept (none before sign-in).
fn drafts_storage(ctx: &Ctx) -> Option<String> {
    let me = ctx.state().me_id()?;
    Some(ctx.api.account_key("drafts", me))
}

pub(super) fn load_drafts(ctx: &Ctx) -> Drafts {
    drafts_storage(ctx)
        .and_then(|k| ctx.platform().load(&k))
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Sets (or with empty `text` removes) one conversation's draft.
pub(super) fn save_draft(ctx: &Ctx, key: String, text: &str) {
    let Some(storage) = drafts_storage(ctx) else {
        return;
    };
    let mut drafts = load_drafts(ctx);
    if text.is_empty() {
        drafts.remove(&key);
    } else {
        drafts.insert(key, text.to_owned());
    }
    match serde_json::to_string(&drafts) {
        Ok(json) if !drafts.is_empty() => ctx.platform().save(&storage, &json),
        _ => ctx.platform().remove(&storage),
    }
}
