//! The incoming call of a DM: who calls, Accept and Decline, and the ring
//! while it shows.
//!
//! What must stay true: the ring lives exactly as long as the dialog, and
//! the dialog as long as `State::ringing` (which the store ends on an
//! answer from any device, the call ending, or after 30 seconds).

use yew::prelude::*;
use yew_router::prelude::*;

use super::person;
use crate::app::{use_ctx, Route};
use crate::call::ring::Tone;
use crate::ui::common::{icon, Avatar};
use crate::util;

#[function_component(RingingDialog)]
pub fn ringing_dialog() -> Html {
    let ctx = use_ctx();
    let nav = use_navigator();
    let state = ctx.state();
    let ringing = state.ringing.clone();
    use_effect_with(ringing.as_ref().map(|r| r.call_id), |ring| {
        let tone = ring.and_then(|_| Tone::ring());
        move || drop(tone)
    });
    let Some(r) = ringing else {
        return html! {};
    };
    let caller = person(state, r.from);
    let name = util::display_name(&caller).to_owned();
    let group = state
        .channels
        .get(&r.channel_id)
        .filter(|c| c.kind == parley_shared::api::ChannelKind::GroupDm)
        .map(|c| util::channel_title(c, state.me_id()));
    // Accepting opens the conversation too: the call is about it.
    let accept = {
        let (calls, channel, nav) = (ctx.calls.clone(), r.channel_id, nav.clone());
        Callback::from(move |_: MouseEvent| {
            calls.accept(channel);
            if let Some(nav) = &nav {
                nav.push(&Route::Channel {
                    id: channel.to_string(),
                });
            }
        })
    };
    let decline = {
        let calls = ctx.calls.clone();
        Callback::from(move |_: MouseEvent| calls.decline())
    };
    html! {
        <div class="ring-layer">
            <div class="ring-dialog" role="alertdialog" aria-modal="false" aria-labelledby="ring-title" id="ring-dialog">
                <div class="ring-avatar"><Avatar user={caller.clone()} size={72} /></div>
                <h2 id="ring-title">{ name.clone() }</h2>
                <p class="muted">{ match group {
                    Some(g) => format!("is calling {g}…"),
                    None => "is calling you…".to_owned(),
                } }</p>
                <div class="ring-actions">
                    <button class="round-btn decline" id="ring-decline" onclick={decline} aria-label={format!("Decline the call from {name}")}>
                        { icon("phone-off") }<span>{ "Decline" }</span>
                    </button>
                    <button class="round-btn accept" id="ring-accept" onclick={accept} aria-label={format!("Accept the call from {name}")}>
                        { icon("phone") }<span>{ "Accept" }</span>
                    </button>
                </div>
            </div>
        </div>
    }
}
