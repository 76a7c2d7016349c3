//! Parley's web UI: a Yew (client-side rendered) app compiled to wasm32.
//!
//! Pure modules (`store`, `markdown`, `util`, `zoom`) hold the logic worth testing
//! and compile on the host; the rest talks to the browser through web-sys.
//! Platform-specific services (token storage, notifications, opening links)
//! go through [`platform::Platform`] so the Tauri shell can swap them.

pub mod api;
pub mod app;
pub mod call;
pub mod markdown;
pub mod platform;
pub mod push;
pub mod store;
pub mod ui;
pub mod util;
pub mod ws;
pub mod zoom;

/// Reloads the page (the way out of an error screen).
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Replaces the whole page with an error view. Used by the panic hook: a
/// panic in wasm aborts the app, so Yew cannot render anything afterwards,
/// but a plain DOM node still can, and the user gets a way back instead of
/// a blank page.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn show_crash(detail: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = doc.body() else { return };
    let Ok(el) = doc.create_element("div") else {
        return;
    };
    el.set_class_name("crash");
    el.set_attribute("role", "alert").ok();
    // Built from escaped text only: the panic message may contain user data.
    el.set_inner_html(&format!(
        "<div class=\"crash-card\"><h1>Something went wrong</h1>\
         <p>Parley hit an unexpected error. Your messages are safe on the server; reloading \
         picks up where you left off.</p>\
         <pre>{}</pre></div>",
        markdown::escape(detail)
    ));
    // The page's CSP forbids inline handlers, so the button gets a listener.
    if let (Ok(btn), Some(card)) = (doc.create_element("button"), el.first_element_child()) {
        btn.set_class_name("btn primary");
        btn.set_text_content(Some("Reload"));
        let on_click = wasm_bindgen::closure::Closure::once_into_js(reload);
        let _ = btn.add_event_listener_with_callback(
            "click",
            wasm_bindgen::JsCast::unchecked_ref(&on_click),
        );
        let _ = card.append_child(&btn);
    }
    body.set_inner_html("");
    let _ = body.append_child(&el);
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    // Through Yew: a hook set with std::panic::set_hook is replaced by
    // Yew's console-only one when the app renders (a blank page on panic).
    yew::set_custom_panic_hook(Box::new(|info| {
        let msg = info.to_string();
        web_sys::console::error_1(&msg.clone().into());
        show_crash(&msg);
    }));
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    let Some(root) = root else {
        return show_crash("the page has no #app element");
    };
    if !platform::in_tauri() {
        yew::Renderer::<app::App>::with_root(root).render();
        return;
    }
    // The desktop shell: the keychain is read before the app mounts,
    // because the app reads its session synchronously.
    wasm_bindgen_futures::spawn_local(async move {
        match platform::TauriPlatform::boot().await {
            Ok((p, Some(server))) if !ui::server::change_requested() => {
                app::set_host(std::rc::Rc::new(p), server);
                yew::Renderer::<app::App>::with_root(root).render();
            }
            Ok((_, current)) => {
                let props = ui::server::ServerSetupProps { current };
                yew::Renderer::<ui::server::ServerSetup>::with_root_and_props(root, props).render();
            }
            Err(e) => show_crash(&format!("the desktop shell did not answer: {e}")),
        }
    });
}
