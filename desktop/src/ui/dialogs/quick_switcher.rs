//! The quick switcher (Ctrl/Cmd+K): type to filter the channels and DMs,
//! unread first; arrows and Enter to go.

use parley_shared::api::ChannelKind;
use parley_shared::ChannelId;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{go_channel, CloseProps};
use crate::app::use_ctx;
use crate::ui::common::{icon, Modal};
use crate::ui::target_value;
use crate::util;

/// Ctrl/Cmd+K: type to filter channels and DMs, arrows and Enter to go.
#[function_component(QuickSwitcher)]
pub fn quick_switcher(p: &CloseProps) -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let query = use_state(String::new);
    let sel = use_state(|| 0usize);
    use_effect_with((), |_| crate::ui::focus_id("switcher-input"));
    let state = ctx.state();
    let me = state.me_id();
    let q = query.to_lowercase();
    let mut items: Vec<(ChannelId, String, bool, u64)> = state
        .channels
        .values()
        .filter(|c| c.is_member || c.kind == ChannelKind::Public)
        .map(|c| {
            let ws = c
                .workspace_id
                .and_then(|w| state.workspaces.iter().find(|x| x.id == w))
                .map(|w| w.name.clone());
            let label = if util::is_dm(c) {
                util::channel_title(c, me)
            } else {
                format!(
                    "#{}{}",
                    c.name,
                    ws.map(|w| format!("  ·  {w}")).unwrap_or_default()
                )
            };
            (c.id, label, util::is_dm(c), c.unread_count)
        })
        .filter(|(_, l, _, _)| l.to_lowercase().contains(q.as_str()))
        .collect();
    // Unread first, then by name.
    items.sort_by(|a, b| (b.3 > 0).cmp(&(a.3 > 0)).then(a.1.cmp(&b.1)));
    items.truncate(12);
    let n = items.len();
    let pick = {
        let (nav, close) = (nav.clone(), p.on_close.clone());
        move |id: ChannelId| {
            close.emit(());
            go_channel(&nav, id);
        }
    };
    let on_key = {
        let (sel, items, pick) = (sel.clone(), items.clone(), pick.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "ArrowDown" if n > 0 => {
                e.prevent_default();
                sel.set((*sel + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                e.prevent_default();
                sel.set((*sel + n - 1) % n);
            }
            "Enter" => {
                if let Some((id, ..)) = items.get(*sel) {
                    pick(*id);
                }
            }
            _ => {}
        })
    };
    html! {
        <Modal title="Jump to…" on_close={p.on_close.clone()}>
            <input id="switcher-input" class="wide-input" placeholder="Channel or person" aria-label="Jump to a conversation"
                value={(*query).clone()} onkeydown={on_key}
                oninput={let (q, s) = (query.clone(), sel.clone()); move |e: InputEvent| { q.set(target_value(&e)); s.set(0); }} />
            <ul class="pick-list" role="listbox">
                { for items.iter().enumerate().map(|(i, (id, label, dm, unread))| {
                    let (pick, id) = (pick.clone(), *id);
                    html! {
                        <li role="option" aria-selected={(i == *sel).to_string()}>
                            <button class={classes!("pick-row", (i == *sel).then_some("on"))} onclick={move |_| pick(id)}>
                                <span class="side-glyph">{ if *dm { icon("at") } else { icon("hash") } }</span>
                                <span class={classes!("opt-name", "grow", (*unread > 0).then_some("bold"))}>{ label.trim_start_matches('#').to_owned() }</span>
                                if *unread > 0 { <span class="badge">{ *unread }</span> }
                            </button>
                        </li>
                    }
                }) }
            </ul>
        </Modal>
    }
}
