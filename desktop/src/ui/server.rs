//! The desktop app's first screen: which Parley server to use.
//!
//! Shown when the shell has no server saved yet, or when the user asked to
//! change it from the sign-in page. The address is checked (the server must
//! answer `/healthz` from this app's origin, which also proves its CORS
//! setting lets the app in) before the shell saves it.

use parley_shared::ipc::ServerSet;
use yew::prelude::*;

use crate::platform::invoke;
use crate::ui::common::logo;

/// Session flag: the next start shows this screen even with a saved server.
const CHANGE_FLAG: &str = "parley.change-server";

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

pub fn change_requested() -> bool {
    session().is_some_and(|s| s.get_item(CHANGE_FLAG).ok().flatten().is_some())
}

/// Restarts the UI on the server screen ("Change server" on sign-in).
pub fn request_change() {
    if let Some(s) = session() {
        let _ = s.set_item(CHANGE_FLAG, "1");
    }
    crate::reload();
}

/// Whether `origin` answers like a Parley server to a cross-origin fetch.
async fn reachable(origin: &str) -> Result<(), String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let url = format!("{origin}/healthz");
    let resp = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|_| {
            format!(
                "Cannot reach {origin}. Check the address and that the server is running; \
                 a server with a self-signed certificate needs it trusted by this computer."
            )
        })?;
    let resp: web_sys::Response =
        wasm_bindgen::JsCast::dyn_into(resp).map_err(|_| "unexpected answer".to_owned())?;
    if resp.ok() {
        Ok(())
    } else {
        Err(format!(
            "{origin} answered {} — is it a Parley server?",
            resp.status()
        ))
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct ServerSetupProps {
    /// The saved server, when changing it.
    pub current: Option<String>,
}

#[function_component(ServerSetup)]
pub fn server_setup(p: &ServerSetupProps) -> Html {
    let value = use_state(|| p.current.clone().unwrap_or_default());
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    use_effect_with((), |_| crate::ui::focus_id("server-url"));
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            value.set(input.value());
        })
    };
    let onsubmit = {
        let (value, error, busy) = (value.clone(), error.clone(), busy.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let (typed, error, busy) = ((*value).clone(), error.clone(), busy.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let check = ServerSet {
                    url: typed,
                    save: false,
                };
                let saved = async {
                    let origin = invoke(&check).await?;
                    reachable(&origin).await?;
                    invoke(&ServerSet {
                        url: origin,
                        save: true,
                    })
                    .await
                }
                .await;
                match saved {
                    Ok(_) => {
                        if let Some(s) = session() {
                            let _ = s.remove_item(CHANGE_FLAG);
                        }
                        crate::reload();
                    }
                    Err(e) => {
                        error.set(Some(e));
                        busy.set(false);
                    }
                }
            });
        })
    };
    html! {
        <div class="auth-page">
            <div class="auth-card">
                <div class="auth-brand"><span class="logo-mark">{ logo() }</span><span>{ "Parley" }</span></div>
                <h1>{ "Connect to your server" }</h1>
                <p class="muted">{ "Enter the address of your team's Parley server." }</p>
                <form {onsubmit} novalidate=true>
                    <div class={classes!("field", error.is_some().then_some("invalid"))}>
                        <label for="server-url">{ "Server address" }</label>
                        <input id="server-url" type="url" placeholder="https://chat.example.com"
                            autocomplete="url" value={(*value).clone()} {oninput}
                            aria-invalid={error.is_some().to_string()}
                            aria-describedby={error.as_ref().map(|_| "server-error")} />
                        if let Some(e) = &*error {
                            <div class="field-error" id="server-error" role="alert">{ e.clone() }</div>
                        }
                    </div>
                    <button type="submit" class="btn primary block" id="server-connect" disabled={*busy}>
                        { if *busy { "Connecting…" } else { "Connect" } }
                    </button>
                </form>
            </div>
        </div>
    }
}
