//! Notifications and the desktop shell's events: which server
//! notifications (and ringing calls) become system ones (the same mute
//! rules as the server, checked again for a preference changed here a
//! moment ago), do not disturb, and opening the message a clicked
//! notification was about.

use std::rc::Rc;

use parley_shared::ws::{NotificationReason, ServerEvent};
use parley_shared::{ChannelId, MessageId};

use super::latest;
use super::presence::page_hidden;
use crate::api::Api;
use crate::platform::SharedPlatform;
use crate::store::Action;

/// Shows a system notification for mentions and DMs when the user is not
/// looking at that channel (or at the app at all), and for a DM call that
/// rings while the app is out of sight (its dialog would go unseen).
pub(super) fn notify(platform: &SharedPlatform, ev: &ServerEvent) {
    if let ServerEvent::CallRing {
        channel_id, from, ..
    } = ev
    {
        return notify_ring(platform, *channel_id, *from);
    }
    let ServerEvent::Notification {
        channel_id,
        message,
        reason,
    } = ev
    else {
        return;
    };
    let s = latest();
    let hidden = page_hidden();
    // Looking at the channel already: nothing to tell. In the desktop app
    // the window may be visible but unfocused (another app on top).
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.has_focus().unwrap_or(true));
    if s.0.active == Some(*channel_id) && !hidden && focused {
        return;
    }
    if platform.load("parley.notify").as_deref() == Some("off") {
        return;
    }
    if let Some(me) = &s.0.me {
        if muted(
            &me.preferences,
            *channel_id,
            *reason,
            crate::api::now_ms() as i64,
        ) {
            return;
        }
    }
    let who = crate::util::display_name(&message.author);
    let channel = s.0.channels.get(channel_id);
    let place = channel
        .map(|c| crate::util::channel_title(c, s.0.me_id()))
        .unwrap_or_default();
    let kind = channel.map(|c| c.kind).unwrap_or_default();
    let title = reason.title(kind, who, &place);
    let body: String = message.content.chars().take(140).collect();
    platform.notify_message(&title, &body, *channel_id, message.id, message.seq);
}

fn notify_ring(platform: &SharedPlatform, channel: ChannelId, from: parley_shared::UserId) {
    let s = latest();
    let seen = !page_hidden()
        && web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.has_focus().unwrap_or(true));
    if seen || s.0.ringing.is_none() || platform.load("parley.notify").as_deref() == Some("off") {
        return;
    }
    let now = crate::api::now_ms() as i64;
    if let Some(me) = &s.0.me {
        if muted(
            &me.preferences,
            channel,
            NotificationReason::DirectMessage,
            now,
        ) {
            return;
        }
    }
    let who =
        s.0.users
            .get(&from)
            .map_or("Someone", crate::util::display_name);
    let body = if platform.native_notifications() {
        "Accept or decline."
    } else {
        "Open Parley to answer."
    };
    platform.notify_call(&format!("{who} is calling you"), body, channel);
}

/// Whether the account's preferences silence this notification right now:
/// do-not-disturb, a muted channel, or a level that excludes it. The server
/// applies the same rules before sending; checking again here covers a
/// preference changed on this device a moment ago.
pub fn muted(
    prefs: &parley_shared::api::Preferences,
    channel: ChannelId,
    reason: NotificationReason,
    now_ms: i64,
) -> bool {
    use parley_shared::api::NotifyLevel;
    if prefs.mute_until.is_some_and(|t| t.millis() > now_ms) {
        return true;
    }
    let per_channel = prefs.channels.iter().find(|c| c.channel_id == channel);
    if per_channel
        .and_then(|c| c.muted_until)
        .is_some_and(|t| t.millis() > now_ms)
    {
        return true;
    }
    let level = per_channel
        .and_then(|c| c.notify_level)
        .unwrap_or(prefs.notify_level);
    match level {
        NotifyLevel::All => false,
        NotifyLevel::Mentions => reason == NotificationReason::ChannelMessage,
        NotifyLevel::None => true,
    }
}

/// The desktop shell's events: a clicked notification opens its message;
/// the tray's Do-not-disturb items set the account's preference.
pub(super) fn listen_to_shell(api: &Api, dispatch: &Rc<dyn Fn(Action)>) {
    {
        let (api, dispatch) = (api.clone(), dispatch.clone());
        crate::platform::listen(parley_shared::ipc::event::OPEN_MESSAGE, move |v| {
            let channel = v["channel_id"]
                .as_str()
                .and_then(|c| c.parse::<ChannelId>().ok());
            let message = v["message_id"]
                .as_str()
                .and_then(|m| m.parse::<MessageId>().ok());
            let seq = v["seq"].as_i64().unwrap_or(0);
            if let (Some(c), Some(m)) = (channel, message) {
                open_message(api.clone(), dispatch.clone(), c, seq, m);
            }
        });
    }
    let (api, dispatch) = (api.clone(), dispatch.clone());
    crate::platform::listen(parley_shared::ipc::event::DND, move |v| {
        pause_notifications(
            api.clone(),
            dispatch.clone(),
            v.as_str().unwrap_or_default(),
        );
    });
}

/// Pauses notifications for the account ("1h", "tomorrow"; anything else
/// resumes them): the `mute_until` preference, which also holds back push
/// to the person's other devices. From the tray menu and the sidebar.
pub fn pause_notifications(api: Api, dispatch: Rc<dyn Fn(Action)>, how: &str) {
    let until = match how {
        "1h" => Some(crate::api::now_ms() as i64 + 3_600_000),
        "tomorrow" => Some(tomorrow_morning_ms()),
        _ => None,
    };
    wasm_bindgen_futures::spawn_local(async move {
        let Some(mut me) = latest().0.me.clone() else {
            return;
        };
        let body = parley_shared::api::UpdatePreferencesRequest {
            theme: me.preferences.theme,
            notify_level: me.preferences.notify_level,
            mute_until: until.map(parley_shared::Timestamp::from_millis),
            keywords: None,
        };
        match api.update_preferences(&body).await {
            Ok(prefs) => {
                me.preferences = prefs;
                dispatch(Action::SignedIn(Box::new(me)));
            }
            Err(e) => {
                web_sys::console::error_1(&format!("parley: do not disturb: {}", e.message).into())
            }
        }
    });
}

/// 08:00 tomorrow, local time ("until tomorrow").
fn tomorrow_morning_ms() -> i64 {
    let d = js_sys::Date::new_0();
    d.set_date(d.get_date() + 1);
    d.set_hours(8);
    d.set_minutes(0);
    d.set_seconds(0);
    d.set_milliseconds(0);
    d.get_time() as i64
}

/// Shows a message from outside the router (a notification click): loads
/// the page around it, switches the route, and flashes it.
fn open_message(
    api: Api,
    dispatch: Rc<dyn Fn(Action)>,
    channel: ChannelId,
    seq: i64,
    id: MessageId,
) {
    use yew_router::history::{BrowserHistory, History};
    wasm_bindgen_futures::spawn_local(async move {
        let have = latest()
            .0
            .timeline(channel)
            .is_some_and(|t| t.messages.iter().any(|m| m.id == id));
        if !have && seq > 0 {
            let page = crate::api::HistoryPage::Around(seq);
            if let Ok(page) = crate::ui::channel::load_page(&api, channel, page, 50).await {
                dispatch(Action::Page(channel, crate::store::PageKind::Around, page));
            }
        }
        // The router shares this history, so it follows the push.
        BrowserHistory::new().push(format!("/c/{channel}"));
        dispatch(Action::Focus(Some(id)));
        gloo_timers::future::TimeoutFuture::new(2_500).await;
        if latest().0.focus == Some(id) {
            dispatch(Action::Focus(None));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_shared::api::{ChannelPreference, NotifyLevel, Preferences, Theme};
    use parley_shared::Timestamp;

    fn prefs(level: NotifyLevel) -> Preferences {
        Preferences {
            theme: Theme::System,
            notify_level: level,
            mute_until: None,
            channels: Vec::new(),
            keywords: Vec::new(),
        }
    }

    #[test]
    fn do_not_disturb_mutes_and_levels_filter() {
        use NotificationReason::*;
        let c = ChannelId(7);
        let now = 1_000_000;
        assert!(!muted(&prefs(NotifyLevel::All), c, ChannelMessage, now));
        assert!(muted(&prefs(NotifyLevel::Mentions), c, ChannelMessage, now));
        assert!(!muted(&prefs(NotifyLevel::Mentions), c, Mention, now));
        assert!(!muted(&prefs(NotifyLevel::Mentions), c, Keyword, now));
        assert!(muted(&prefs(NotifyLevel::None), c, Keyword, now));
        assert!(muted(&prefs(NotifyLevel::None), c, DirectMessage, now));

        let mut dnd = prefs(NotifyLevel::All);
        dnd.mute_until = Some(Timestamp::from_millis(now + 1));
        assert!(muted(&dnd, c, Mention, now));
        dnd.mute_until = Some(Timestamp::from_millis(now - 1));
        assert!(!muted(&dnd, c, Mention, now), "an expired do-not-disturb");

        let mut per_channel = prefs(NotifyLevel::All);
        per_channel.channels.push(ChannelPreference {
            channel_id: c,
            notify_level: Some(NotifyLevel::None),
            muted_until: None,
        });
        assert!(muted(&per_channel, c, Mention, now));
        assert!(!muted(&per_channel, ChannelId(8), Mention, now));
    }
}
