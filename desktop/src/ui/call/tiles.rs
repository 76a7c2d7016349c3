//! The call's video: a tile per camera (or an avatar when the camera is
//! off) and the large view of a shared screen, which keeps the screen's
//! own aspect ratio and can go fullscreen.
//!
//! What must stay true: a tile hands its `<video>` (an `<img>` where the
//! engine decodes the pictures itself: the desktop app) to the engine after
//! every render that may have replaced it, so a stream that starts later
//! (a camera turned on, a peer connecting) shows without another render.

use parley_shared::api::User;
use yew::prelude::*;

use crate::app::use_ctx;
use crate::call::{Feed, Who};
use crate::ui::common::{icon, Avatar};
use crate::util;

/// One participant's part in the stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    pub who: Who,
    pub user: User,
    pub muted: bool,
    pub video: bool,
    pub screen: bool,
    pub speaking: bool,
}

impl Seat {
    pub fn label(&self) -> String {
        match self.who {
            Who::Me => "You".to_owned(),
            Who::Peer(_) => util::display_name(&self.user).to_owned(),
        }
    }

    /// For the tests and for styling: `me` or `p-<participant id>`.
    pub fn key(&self) -> String {
        match self.who {
            Who::Me => "me".to_owned(),
            Who::Peer(p) => format!("p-{p}"),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct TileProps {
    pub seat: Seat,
    pub feed: Feed,
    /// The big view (a screen, or the tile someone clicked).
    #[prop_or_default]
    pub large: bool,
    pub on_select: Callback<(Who, Feed)>,
}

/// A camera, a screen, or the avatar of someone without video.
#[function_component(Tile)]
pub fn tile(p: &TileProps) -> Html {
    let ctx = use_ctx();
    let video_ref = use_node_ref();
    let box_ref = use_node_ref();
    let seat = &p.seat;
    let feed = p.feed;
    let shows_video = match feed {
        Feed::Camera => seat.video,
        Feed::Screen => seat.screen,
    };
    let native = ctx.calls.engine().is_some_and(|e| e.native_video());
    {
        let (calls, video_ref, who) = (ctx.calls.clone(), video_ref.clone(), seat.who);
        use_effect_with((who, feed, shows_video, native), move |_| {
            if let (Some(engine), Some(el)) = (calls.engine(), video_ref.cast::<web_sys::Element>())
            {
                engine.show(who, feed, &el);
            }
        });
    }
    let select = {
        let (on_select, who) = (p.on_select.clone(), seat.who);
        Callback::from(move |_: MouseEvent| on_select.emit((who, feed)))
    };
    let fullscreen = {
        let box_ref = box_ref.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            if let Some(el) = box_ref.cast::<web_sys::Element>() {
                let _ = el.request_fullscreen();
            }
        })
    };
    let label = match feed {
        Feed::Camera => seat.label(),
        Feed::Screen if seat.who == Who::Me => "Your screen".to_owned(),
        Feed::Screen => format!("{}'s screen", seat.label()),
    };
    let classes = classes!(
        "tile",
        p.large.then_some("large"),
        (feed == Feed::Screen).then_some("screen"),
        (seat.speaking && feed == Feed::Camera).then_some("speaking"),
        (seat.who == Who::Me && feed == Feed::Camera).then_some("mine"),
    );
    let feed_name = match feed {
        Feed::Camera => "camera",
        Feed::Screen => "screen",
    };
    html! {
        <div class={classes} ref={box_ref} data-who={seat.key()} data-feed={feed_name}
            role="button" tabindex="0" aria-label={format!("{label}, show larger")} onclick={select}>
            if shows_video && native {
                <img ref={video_ref} class="tile-video native" alt="" />
            } else if shows_video {
                // Muted: the sound plays through the call's own audio
                // element, once, not from every tile.
                <video ref={video_ref} class="tile-video" autoplay=true playsinline=true muted=true />
            } else {
                <div class="tile-avatar"><Avatar user={seat.user.clone()} size={if p.large { 96 } else { 56 }} /></div>
            }
            <div class="tile-label">
                if seat.muted && feed == Feed::Camera {
                    <span class="tile-muted" title="Muted" aria-label="muted">{ icon("mic-off") }</span>
                }
                <span>{ label }</span>
            </div>
            if shows_video {
                <button class="icon-btn tile-full" title="Full screen" aria-label="Full screen" onclick={fullscreen}>{ icon("maximize") }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct StageProps {
    pub seats: Vec<Seat>,
}

/// The tiles: a shared screen (or the tile picked) large with the others
/// in a strip beside it, otherwise a grid.
#[function_component(Stage)]
pub fn stage(p: &StageProps) -> Html {
    let picked = use_state(|| None::<(Who, Feed)>);
    let on_select = {
        let picked = picked.clone();
        Callback::from(move |sel: (Who, Feed)| {
            // A second click on the big one puts it back.
            if *picked == Some(sel) {
                picked.set(None);
            } else {
                picked.set(Some(sel));
            }
        })
    };
    let has = |who: Who, feed: Feed| {
        p.seats.iter().any(|s| {
            s.who == who
                && match feed {
                    Feed::Camera => true,
                    Feed::Screen => s.screen,
                }
        })
    };
    // Someone else's screen first: that is what people came to see.
    let large = (*picked).filter(|(w, f)| has(*w, *f)).or_else(|| {
        let mut screens: Vec<&Seat> = p.seats.iter().filter(|s| s.screen).collect();
        screens.sort_by_key(|s| s.who == Who::Me);
        screens.first().map(|s| (s.who, Feed::Screen))
    });
    let mut tiles: Vec<(Seat, Feed)> = Vec::new();
    for s in &p.seats {
        tiles.push((s.clone(), Feed::Camera));
        if s.screen {
            tiles.push((s.clone(), Feed::Screen));
        }
    }
    let tile = |(s, f): &(Seat, Feed), large: bool| {
        let key = format!("{}-{:?}", s.key(), f);
        html! { <Tile {key} seat={s.clone()} feed={*f} {large} on_select={on_select.clone()} /> }
    };
    match large {
        Some((who, feed)) => {
            let (big, rest): (Vec<_>, Vec<_>) = tiles
                .into_iter()
                .partition(|(s, f)| s.who == who && *f == feed);
            html! {
                <div class="stage focus" id="call-stage">
                    <div class="stage-main">{ for big.iter().map(|t| tile(t, true)) }</div>
                    <div class="stage-strip">{ for rest.iter().map(|t| tile(t, false)) }</div>
                </div>
            }
        }
        None => {
            let n = tiles.len();
            html! {
                <div class={classes!("stage", "grid", format!("n{}", n.min(6)))} id="call-stage">
                    { for tiles.iter().map(|t| tile(t, false)) }
                </div>
            }
        }
    }
}
