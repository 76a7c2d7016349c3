//! The screens and their building blocks (Yew function components).

pub mod auth;
pub mod call;
pub mod channel;
pub mod common;
pub mod composer;
pub mod dialogs;
pub mod downloads;
pub mod files;
pub mod message;
pub mod search;
pub mod server;
pub mod shell;
pub mod sidebar;
pub mod thread;
pub mod welcome;

use parley_shared::api::Theme;

/// Sets `data-theme` on `<html>`; the CSS variables follow it. "System"
/// removes the attribute so the `prefers-color-scheme` media query decides.
pub fn apply_theme(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match theme {
        Theme::Light => root.set_attribute("data-theme", "light"),
        Theme::Dark => root.set_attribute("data-theme", "dark"),
        Theme::System => root.remove_attribute("data-theme"),
    };
}

pub fn theme_name(theme: Theme) -> &'static str {
    match theme {
        Theme::Light => "light",
        Theme::Dark => "dark",
        Theme::System => "system",
    }
}

/// The browser's offset from UTC in minutes (east positive), for times.
pub fn utc_offset_min() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

pub fn now() -> parley_shared::Timestamp {
    parley_shared::Timestamp::from_millis(crate::api::now_ms() as i64)
}

/// The value of the input or textarea an event came from.
pub fn target_value(e: &yew::Event) -> String {
    use wasm_bindgen::JsCast;
    let Some(t) = e.target() else {
        return String::new();
    };
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    if let Some(i) = t.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return i.value();
    }
    String::new()
}

pub fn input_value(e: &yew::InputEvent) -> String {
    target_value(e)
}

/// Focuses an element by id after the next render.
pub fn focus_id(id: &'static str) {
    gloo_timers::callback::Timeout::new(0, move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    })
    .forget();
}
