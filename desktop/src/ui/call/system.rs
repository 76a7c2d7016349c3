//! The messages the server posts about calls: "Ann started a call" (with
//! Join while that call goes on) and "Call ended · 3 min 12 s · Ann, Bob".
//!
//! What must stay true: the text comes from the typed event, not from the
//! message's plain-text fallback, and names from the people this device
//! knows (someone unknown reads "Someone").

use parley_shared::api::Message;
use parley_shared::call::{format_duration, SystemEvent};
use yew::prelude::*;

use super::person;
use crate::app::use_ctx;
use crate::ui::common::icon;
use crate::util;

#[derive(Properties, PartialEq)]
pub struct SystemRowProps {
    pub message: Message,
}

#[function_component(SystemRow)]
pub fn system_row(p: &SystemRowProps) -> Html {
    let ctx = use_ctx();
    let state = ctx.state();
    let m = &p.message;
    let time = util::clock(m.created_at, crate::ui::utc_offset_min());
    let Some(event) = &m.system else {
        return html! {};
    };
    let (class, body) = match event {
        SystemEvent::CallStarted { call_id } => {
            let live = state
                .call_in(m.channel_id)
                .filter(|c| c.call_id == *call_id);
            let here = state.in_call_at(m.channel_id);
            let join = {
                let (calls, ch) = (ctx.calls.clone(), m.channel_id);
                Callback::from(move |_: MouseEvent| calls.join(ch, false))
            };
            let who = if Some(m.author.id) == state.me_id() {
                "You".to_owned()
            } else {
                util::display_name(&m.author).to_owned()
            };
            (
                "started",
                html! {
                    <>
                        <span class="sys-text"><strong>{ who }</strong>{ " started a call" }</span>
                        if let Some(c) = live {
                            <span class="sys-live">{ format!("{} in the call", c.participants.len()) }</span>
                            if here {
                                <span class="muted small">{ "You're in it" }</span>
                            } else {
                                <button class="btn small call-join" onclick={join}>{ icon("phone") }{ "Join" }</button>
                            }
                        }
                    </>
                },
            )
        }
        SystemEvent::CallEnded {
            duration_ms,
            participants,
            ..
        } => {
            let names: Vec<String> = participants
                .iter()
                .map(|u| util::display_name(&person(state, *u)).to_owned())
                .collect();
            (
                "ended",
                html! {
                    <span class="sys-text">
                        <strong>{ "Call ended" }</strong>
                        { format!(" · {} · {}", format_duration(*duration_ms), names.join(", ")) }
                    </span>
                },
            )
        }
    };
    html! {
        <div class={classes!("msg", "system", class)} id={format!("msg-{}", m.id)} data-seq={m.seq.to_string()}>
            <div class="msg-gutter"><span class="sys-icon">{ icon("phone") }</span></div>
            <div class="msg-main sys-main">
                { body }
                <time class="msg-time" datetime={m.created_at.to_rfc3339()}>{ time }</time>
            </div>
        </div>
    }
}
