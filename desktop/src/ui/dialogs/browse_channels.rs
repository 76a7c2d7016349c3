//! The browse-channels dialog: every channel of the workspace, filtered by
//! name or topic; picking one opens it (joined or not).

use parley_shared::api::{Channel, ChannelKind};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{go_channel, CloseProps};
use crate::app::use_ctx;
use crate::ui::common::{icon, Modal};
use crate::ui::target_value;

#[function_component(BrowseChannels)]
pub fn browse_channels(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let filter = use_state(String::new);
    let state = ctx.state();
    let f = filter.to_lowercase();
    let list: Vec<&Channel> = state
        .workspace_channels()
        .into_iter()
        .filter(|c| c.name.contains(f.as_str()) || c.topic.to_lowercase().contains(f.as_str()))
        .collect();
    html! {
        <Modal title="Browse channels" on_close={p.on_close.clone()}>
            <input class="wide-input" placeholder="Search channels" aria-label="Search channels" value={(*filter).clone()}
                oninput={let fl = filter.clone(); move |e: InputEvent| fl.set(target_value(&e))} />
            <ul class="pick-list" role="list">
                { for list.into_iter().map(|c| {
                    let (nav, id, close) = (nav.clone(), c.id, p.on_close.clone());
                    html! {
                        <li>
                            <button class="pick-row" onclick={move |_| { close.emit(()); go_channel(&nav, id); }}>
                                <span class="side-glyph">{ if c.kind == ChannelKind::Private { icon("lock") } else { icon("hash") } }</span>
                                <span class="opt-name">{ c.name.clone() }</span>
                                <span class="muted grow">{ c.topic.clone() }</span>
                                <span class="muted">{ format!("{} members", c.member_count) }</span>
                                if c.is_member { <span class="tag">{ "Joined" }</span> }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </Modal>
    }
}
