//! The call panel over the open channel while this device is in a call:
//! the bar (where, how long, who — with a ring around whoever speaks — and
//! mute, camera, screen, leave), "You are sharing" while this device shares
//! a screen, the desktop app's screen picker and, when anyone shows video,
//! the stage.
//!
//! What must stay true: the speaking rings come from the engine's meters,
//! read a few times a second into this component's own state, never into
//! the store: a store change re-renders the whole app.

use std::collections::{HashMap, HashSet};

use parley_shared::ipc::ScreenSource;
use parley_shared::ChannelId;
use yew::prelude::*;
use yew_router::prelude::*;

use super::person;
use super::picker::ScreenPicker;
use super::tiles::{Seat, Stage};
use crate::api::now_ms;
use crate::app::{use_ctx, Route};
use crate::call::meter::{speaking, SPEAKING_RMS};
use crate::call::ring::Tone;
use crate::call::{elapsed, CallClient, Who};
use crate::store::{Action, CallPhase, State};
use crate::ui::common::{icon, Avatar};
use crate::util;

/// How often the meters are read (ms).
const METER_EVERY_MS: u32 = 150;

/// Whose audio is loud now, from the engine's meters.
#[hook]
fn use_speaking(calls: &CallClient) -> HashSet<Who> {
    let speaking_now = use_state(HashSet::<Who>::new);
    let shown = use_mut_ref(HashSet::<Who>::new);
    let loud = use_mut_ref(HashMap::<Who, f64>::new);
    {
        let (calls, speaking_now) = (calls.clone(), speaking_now.clone());
        use_effect_with((), move |_| {
            let timer = gloo_timers::callback::Interval::new(METER_EVERY_MS, move || {
                let Some(engine) = calls.engine() else { return };
                let now = now_ms();
                let mut loud = loud.borrow_mut();
                for (who, level) in engine.levels() {
                    if level > SPEAKING_RMS {
                        loud.insert(who, now);
                    }
                }
                loud.retain(|_, t| speaking(Some(*t), now));
                let set: HashSet<Who> = loud.keys().copied().collect();
                if set != *shown.borrow() {
                    *shown.borrow_mut() = set.clone();
                    speaking_now.set(set);
                }
            });
            move || drop(timer)
        });
    }
    (*speaking_now).clone()
}

/// The clock, ticking every second while mounted (ms).
#[hook]
fn use_clock() -> f64 {
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let t = gloo_timers::callback::Interval::new(1_000, move || now.set(now_ms()));
            move || drop(t)
        });
    }
    *now
}

/// The people in the call as the stage shows them; this device's own
/// switches from the store (they change here before the server echoes).
fn seats(state: &State, channel: ChannelId, speaking: &HashSet<Who>) -> Vec<Seat> {
    let Some(mine) = &state.call else {
        return Vec::new();
    };
    let me_user = state.me_id();
    let mut out: Vec<Seat> = state
        .call_in(channel)
        .map(|c| c.participants.as_slice())
        .unwrap_or_default()
        .iter()
        // One person is in a call once (another device takes over), so
        // their own entry, old or new, is this device's.
        .filter(|p| Some(p.user) != me_user)
        .map(|p| Seat {
            who: Who::Peer(p.participant_id),
            user: person(state, p.user),
            muted: p.muted,
            video: p.video,
            screen: p.screen,
            speaking: speaking.contains(&Who::Peer(p.participant_id)),
        })
        .collect();
    if let Some(me) = me_user {
        out.insert(
            0,
            Seat {
                who: Who::Me,
                user: person(state, me),
                muted: mine.muted,
                video: mine.video,
                screen: mine.screen,
                speaking: !mine.muted && speaking.contains(&Who::Me),
            },
        );
    }
    out
}

#[function_component(CallPanel)]
pub fn call_panel() -> Html {
    let ctx = use_ctx();
    let speaking_now = use_speaking(&ctx.calls);
    let now = use_clock();
    // `None` until the person chooses: then the stage shows over the
    // call's own conversation only, not over whatever else they read.
    let collapsed = use_state(|| None::<bool>);
    // The desktop app's own screen picker: open, and what it lists (None
    // while the engine looks).
    let picking = use_state(|| false);
    let sources = use_state(|| None::<Result<Vec<ScreenSource>, String>>);
    let state = ctx.state();
    let mine = state.call.clone();
    // The caller of a DM hears it ring until someone picks up.
    let waiting = mine.as_ref().is_some_and(|m| {
        m.phase == CallPhase::InCall
            && state.channels.get(&m.channel_id).is_some_and(util::is_dm)
            && state
                .call_in(m.channel_id)
                .is_some_and(|c| c.participants.len() == 1 && Some(c.started_by) == state.me_id())
    });
    use_effect_with(waiting, |w| {
        let tone = if *w { Tone::ringback() } else { None };
        move || drop(tone)
    });
    let notice = state.call_notice.clone();
    let Some(mine) = mine else {
        return match notice {
            Some(n) => notice_row(&ctx, &n),
            None => html! {},
        };
    };
    let channel = mine.channel_id;
    let live = state.call_in(channel);
    let where_ = state
        .channels
        .get(&channel)
        .map(|c| {
            let title = util::channel_title(c, state.me_id());
            if util::is_dm(c) {
                title
            } else {
                format!("#{title}")
            }
        })
        .unwrap_or_default();
    let status = match mine.phase {
        CallPhase::Joining => "Connecting…".to_owned(),
        CallPhase::Reconnecting => "Reconnecting…".to_owned(),
        CallPhase::InCall if waiting => "Ringing…".to_owned(),
        CallPhase::InCall => {
            live.map_or_else(String::new, |c| elapsed(now as i64 - c.started_at.millis()))
        }
    };
    let seats = seats(state, channel, &speaking_now);
    let any_video = seats.iter().any(|s| s.video || s.screen);
    let calls = ctx.calls.clone();
    let on = |f: fn(&CallClient)| {
        let calls = calls.clone();
        Callback::from(move |_: MouseEvent| f(&calls))
    };
    // Sharing starts at the app's own picker where the engine has one,
    // else at the browser's (behind `toggle_screen`).
    let share = {
        let (calls, picking, sources, sharing) =
            (calls.clone(), picking.clone(), sources.clone(), mine.screen);
        Callback::from(move |_: MouseEvent| {
            let listing = (!sharing)
                .then(|| calls.engine().and_then(|e| e.screen_sources()))
                .flatten();
            let Some(listing) = listing else {
                calls.toggle_screen();
                return;
            };
            sources.set(None);
            picking.set(true);
            let sources = sources.clone();
            wasm_bindgen_futures::spawn_local(async move { sources.set(Some(listing.await)) });
        })
    };
    let close_picker = {
        let picking = picking.clone();
        Callback::from(move |()| picking.set(false))
    };
    let pick = {
        let (calls, picking) = (calls.clone(), picking.clone());
        Callback::from(move |id: String| {
            picking.set(false);
            calls.share_source(id);
        })
    };
    let muted_talking = mine.muted && speaking_now.contains(&Who::Me);
    let hidden = (*collapsed).unwrap_or(state.active != Some(channel));
    let toggle_stage = {
        let collapsed = collapsed.clone();
        Callback::from(move |_: MouseEvent| collapsed.set(Some(!hidden)))
    };
    let people = seats.iter().map(|s| {
        let key = s.key();
        html! {
            <span {key} class={classes!("call-person", s.speaking.then_some("speaking"))} title={s.label()} data-who={s.key()}>
                <Avatar user={s.user.clone()} size={28} />
                if s.muted { <span class="person-muted">{ icon("mic-off") }</span> }
            </span>
        }
    });
    html! {
        <section class={classes!("call-panel", (mine.phase != CallPhase::InCall).then_some("pending"))} id="call-panel" aria-label={format!("Call in {where_}")}>
            <div class="call-bar">
                <span class="call-live" aria-hidden="true">{ icon("phone") }</span>
                <div class="call-where">
                    <Link<Route> to={Route::Channel { id: channel.to_string() }} classes="call-title">{ where_.clone() }</Link<Route>>
                    <span class="call-time" id="call-status" role="status">{ status }</span>
                </div>
                <div class="call-people" aria-label={format!("{} in the call", seats.len())}>{ for people }</div>
                <div class="call-controls">
                    if muted_talking {
                        <span class="muted-hint" role="status">{ "You're muted" }</span>
                    }
                    <button id="call-mute" class={classes!("call-btn", mine.muted.then_some("off"))}
                        aria-pressed={mine.muted.to_string()} title={if mine.muted { "Unmute" } else { "Mute" }}
                        aria-label={if mine.muted { "Unmute" } else { "Mute" }} onclick={on(CallClient::toggle_mute)}>
                        { icon(if mine.muted { "mic-off" } else { "mic" }) }
                    </button>
                    <button id="call-camera" class={classes!("call-btn", mine.video.then_some("active"))}
                        aria-pressed={mine.video.to_string()} title={if mine.video { "Turn camera off" } else { "Turn camera on" }}
                        aria-label={if mine.video { "Turn camera off" } else { "Turn camera on" }} onclick={on(CallClient::toggle_camera)}>
                        { icon(if mine.video { "video" } else { "video-off" }) }
                    </button>
                    <button id="call-screen" class={classes!("call-btn", mine.screen.then_some("active"))}
                        aria-pressed={mine.screen.to_string()} title={if mine.screen { "Stop sharing" } else { "Share your screen" }}
                        aria-label={if mine.screen { "Stop sharing" } else { "Share your screen" }} onclick={share}>
                        { icon("screen") }
                    </button>
                    if any_video {
                        <button class="call-btn" id="call-stage-toggle" title={if hidden { "Show video" } else { "Hide video" }}
                            aria-label={if hidden { "Show video" } else { "Hide video" }} onclick={toggle_stage}>
                            { icon(if hidden { "expand" } else { "collapse" }) }
                        </button>
                    }
                    <button id="call-leave" class="call-btn leave" title="Leave the call" aria-label="Leave the call" onclick={on(CallClient::leave)}>
                        { icon("phone-off") }<span>{ "Leave" }</span>
                    </button>
                </div>
            </div>
            if mine.screen {
                <div class="sharing-bar" id="call-sharing" role="status">
                    <span class="sharing-dot" aria-hidden="true"></span>
                    <span class="sharing-text">{ "You are sharing" }</span>
                    <button type="button" class="btn small" id="call-stop-sharing" onclick={on(CallClient::toggle_screen)}>{ "Stop sharing" }</button>
                </div>
            }
            if let Some(n) = notice {
                { notice_row(&ctx, &n) }
            }
            if *picking {
                <ScreenPicker sources={(*sources).clone()} on_pick={pick} on_close={close_picker} />
            }
            if any_video && !hidden {
                <Stage seats={seats.clone()} />
            }
        </section>
    }
}

/// Why the call ended or what went wrong, until dismissed.
fn notice_row(ctx: &crate::app::Ctx, text: &str) -> Html {
    let store = ctx.store.clone();
    let close = Callback::from(move |_: MouseEvent| store.dispatch(Action::CallNotice(None)));
    html! {
        <div class="call-notice" role="status" id="call-notice">
            <span>{ text.to_owned() }</span>
            <button class="icon-btn" aria-label="Dismiss" onclick={close}>{ icon("x") }</button>
        </div>
    }
}
