//! Message search: results with the server's highlights; a click opens the
//! message in its channel (loaded around it with the `around` cursor).

use parley_shared::api::SearchResults;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::use_ctx;
use crate::ui::channel::jump_to;
use crate::ui::common::{icon, ErrorBanner};
use crate::ui::shell::{use_ui, Panel};
use crate::util;

#[derive(Properties, PartialEq)]
pub struct SearchProps {
    pub query: String,
}

#[function_component(SearchPane)]
pub fn search_pane(p: &SearchProps) -> Html {
    let ctx = use_ctx();
    let ui = use_ui();
    let nav = use_navigator();
    let results = use_state(|| None::<Result<SearchResults, String>>);
    let attempt = use_state(|| 0u32);
    {
        let (ctx, results) = (ctx.clone(), results.clone());
        use_effect_with((p.query.clone(), *attempt), move |(q, _)| {
            results.set(None);
            let q = q.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let r = ctx.api.search(&q, 30).await;
                results.set(Some(r.map_err(|e| e.message)));
            });
        });
    }
    let close = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| ui.open(Panel::None))
    };
    let retry = {
        let attempt = attempt.clone();
        Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
    };
    let state = ctx.state();
    let me = state.me_id();
    let offset = crate::ui::utc_offset_min();
    let now = crate::ui::now();
    html! {
        <div class="pane-inner" aria-label="Search results">
            <header class="pane-head">
                <h2>{ "Search" }<span class="muted small">{ format!(" “{}”", p.query) }</span></h2>
                <button class="icon-btn" aria-label="Close search" onclick={close}>{ icon("x") }</button>
            </header>
            <div class="pane-scroll" id="search-results">
                { match &*results {
                    None => html! { <p class="muted pad">{ "Searching…" }</p> },
                    Some(Err(e)) => html! { <ErrorBanner message={e.clone()} retry={Some(retry)} /> },
                    Some(Ok(r)) if r.results.is_empty() => html! { <p class="muted pad">{ "No messages match. Try fewer or different words." }</p> },
                    Some(Ok(r)) => html! { <>{ for r.results.iter().map(|hit| {
                        let m = &hit.message;
                        let place = state.channels.get(&m.channel_id).map(|c| {
                            if util::is_dm(c) { util::channel_title(c, me) } else { format!("#{}", c.name) }
                        }).unwrap_or_default();
                        let (ctx, nav, c, seq, id) = (ctx.clone(), nav.clone(), m.channel_id, m.seq, m.id);
                        // A thread reply is shown in its thread; the rest in the channel.
                        let root = m.thread_root_id;
                        let ui2 = ui.clone();
                        let onclick = Callback::from(move |_: MouseEvent| match root {
                            Some(r) => ui2.open(Panel::Thread(r)),
                            None => jump_to(&ctx, nav.clone(), c, seq, id),
                        });
                        html! {
                            <button class="result" {onclick}>
                                <div class="result-meta">
                                    <strong>{ util::display_name(&m.author) }</strong>
                                    <span class="muted">{ place }</span>
                                    <span class="muted">{ format!("{} {}", util::day_label(m.created_at, now, offset), util::clock(m.created_at, offset)) }</span>
                                </div>
                                <div class="result-text">
                                    { for util::split_highlights(&hit.snippet, &hit.highlights).into_iter().map(|(t, hl)| {
                                        if hl { html! { <mark>{ t }</mark> } } else { html! { { t } } }
                                    }) }
                                </div>
                            </button>
                        }
                    }) }</> },
                } }
            </div>
        </div>
    }
}
