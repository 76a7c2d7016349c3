//! The call screens: the channel header's call button (here), the call
//! panel with its bar and video stage (`panel`, tiles in `tiles`), the
//! ringing dialog (`ringing`), the call rows in the timeline (`system`),
//! the desktop app's screen share picker (`picker`) and the device choice
//! in Preferences (`devices`).
//!
//! What must stay true: every button acts through the call client
//! (`Ctx::calls`) and shows what the store says, so the screens never
//! disagree with the media.

mod devices;
mod panel;
mod picker;
mod ringing;
mod system;
mod tiles;

pub use devices::CallDevices;
pub use panel::CallPanel;
pub use ringing::RingingDialog;
pub use system::SystemRow;

use parley_shared::api::{Channel, User};
use parley_shared::{Timestamp, UserId};
use yew::prelude::*;

use crate::app::use_ctx;
use crate::store::State;
use crate::ui::common::icon;

/// Someone in a call, as far as this device knows them.
pub fn person(state: &State, id: UserId) -> User {
    state.users.get(&id).cloned().unwrap_or_else(|| User {
        id,
        username: "someone".into(),
        display_name: "Someone".into(),
        bio: String::new(),
        timezone: String::new(),
        status: None,
        avatar_url: None,
        created_at: Timestamp(0),
    })
}

#[derive(Properties, PartialEq)]
pub struct CallButtonProps {
    pub channel: Channel,
}

/// The header's call button: starts the call or joins the one in progress
/// ("Join (2)"); none while this device is in it.
#[function_component(CallButton)]
pub fn call_button(p: &CallButtonProps) -> Html {
    let ctx = use_ctx();
    let state = ctx.state();
    let id = p.channel.id;
    if !p.channel.is_member {
        return html! {};
    }
    let live = state.call_in(id).map_or(0, |c| c.participants.len());
    let calls = ctx.calls.clone();
    // The call bar right above has the controls.
    if state.in_call_at(id) {
        return html! {};
    }
    let join = Callback::from(move |_: MouseEvent| calls.join(id, false));
    if live > 0 {
        html! {
            <button class="btn small call-head live" id="call-button" onclick={join}
                title="Join the call" aria-label={format!("Join the call ({live} in it)")}>
                { icon("phone") }<span>{ format!("Join ({live})") }</span>
            </button>
        }
    } else {
        html! {
            <button class="icon-btn" id="call-button" onclick={join}
                title="Start a call" aria-label="Start a call">{ icon("phone") }</button>
        }
    }
}
