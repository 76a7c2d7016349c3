//! `@` autocomplete: who can be mentioned here (the workspace's members,
//! or a DM's people) and the suggestions for what was typed after `@`.

use parley_shared::api::User;
use parley_shared::ChannelId;

use crate::store::State;

/// At most eight people whose username starts with, or whose name
/// contains, the query; none when no mention is being typed.
pub(super) fn suggestions(state: &State, channel: ChannelId, query: Option<&str>) -> Vec<User> {
    let members: Vec<User> = {
        let ws = state.channels.get(&channel).and_then(|c| c.workspace_id);
        let ids: Vec<parley_shared::UserId> = match ws {
            Some(w) => state
                .members
                .get(&w)
                .map(|m| m.to_vec())
                .unwrap_or_default(),
            None => state
                .channels
                .get(&channel)
                .and_then(|c| c.members.as_ref())
                .map(|m| m.iter().map(|u| u.id).collect())
                .unwrap_or_default(),
        };
        ids.iter()
            .filter_map(|id| state.users.get(id).cloned())
            .collect()
    };
    match query {
        Some(q) => {
            let mut v: Vec<User> = members
                .iter()
                .filter(|u| u.username.starts_with(q) || u.display_name.to_lowercase().contains(q))
                .cloned()
                .collect();
            v.sort_by(|a, b| a.username.cmp(&b.username));
            v.truncate(8);
            v
        }
        None => Vec::new(),
    }
}
