//! Presence and visibility: `away` after five idle minutes, `online` at
//! the next input, and the store told whether the page can be seen (a
//! channel behind a hidden window is not being read).

use std::rc::Rc;

use parley_shared::ws::{ClientFrame, PresenceStatus};

use crate::store::Action;
use crate::ui;
use crate::ws::WsClient;

/// No input for this long turns the user `away`.
const AWAY_AFTER_MS: f64 = 5.0 * 60_000.0;

/// Reports `away` after five idle minutes and `online` at the next key
/// press or mouse move (the server shows it to everyone who follows us).
pub(super) fn watch_idle(ws: WsClient) -> IdleWatch {
    use std::cell::Cell;
    let last = Rc::new(Cell::new(crate::api::now_ms()));
    let away = Rc::new(Cell::new(false));
    let active = {
        let (last, away, ws) = (last.clone(), away.clone(), ws.clone());
        move |_: web_sys::Event| {
            last.set(crate::api::now_ms());
            if away.replace(false) {
                ws.send(ClientFrame::Presence {
                    status: PresenceStatus::Online,
                });
            }
        }
    };
    let listeners = (
        ui::files::listen("keydown", active.clone()),
        ui::files::listen("mousemove", active.clone()),
        ui::files::listen("focusin", active),
    );
    let check = gloo_timers::callback::Interval::new(30_000, move || {
        if !away.get() && crate::api::now_ms() - last.get() > AWAY_AFTER_MS {
            away.set(true);
            ws.send(ClientFrame::Presence {
                status: PresenceStatus::Away,
            });
        }
    });
    IdleWatch {
        _listeners: listeners,
        _check: check,
    }
}

/// Whether the page cannot be seen: the desktop window hidden in the tray
/// or minimized, a browser tab in the background.
pub(super) fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Keeps the store told whether the page can be seen, so that a channel
/// left open behind a hidden window is not marked read (its messages count
/// as unread and mentions reach the tray badge).
pub(super) fn watch_visibility(dispatch: Rc<dyn Fn(Action)>) -> ui::files::DocListener {
    dispatch(Action::Hidden(page_hidden()));
    ui::files::listen("visibilitychange", move |_| {
        dispatch(Action::Hidden(page_hidden()))
    })
}

/// Held for its drop: removes the listeners and stops the timer.
pub(super) struct IdleWatch {
    _listeners: (
        ui::files::DocListener,
        ui::files::DocListener,
        ui::files::DocListener,
    ),
    _check: gloo_timers::callback::Interval,
}
