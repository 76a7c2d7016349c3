//! The bridge to the desktop shell: its commands (`window.__TAURI__.core
//! .invoke`) and events (`...event.listen`). A command's error is its
//! message; its JSON answer is decoded into the command's answer type.
//! Names, arguments and answers are typed once, in `parley_shared::ipc`.

use std::cell::RefCell;
use std::rc::Rc;

use parley_shared::ipc::{BytesCommand, Command};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(event: &str, handler: &js_sys::Function) -> Result<JsValue, JsValue>;
}

/// Calls a shell command and decodes its JSON answer. Errors are the
/// command's message (commands return `Result<_, String>`).
pub async fn invoke<C: Command>(args: &C) -> Result<C::Answer, String> {
    decode(C::NAME, args).await
}

/// Calls `cmd` with `args` and decodes its JSON answer as `T`.
async fn decode<T: serde::de::DeserializeOwned>(
    cmd: &str,
    args: &impl Serialize,
) -> Result<T, String> {
    let out = invoke_js(cmd, args).await?;
    let text = if out.is_undefined() {
        "null".to_owned()
    } else {
        js_sys::JSON::stringify(&out)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "null".into())
    };
    serde_json::from_str(&text).map_err(|e| format!("{cmd}: unexpected answer: {e}"))
}

/// Calls a shell command; its answer as the shell sent it, or its error.
async fn invoke_js(cmd: &str, args: &impl Serialize) -> Result<JsValue, String> {
    let args = serde_json::to_string(args)
        .ok()
        .and_then(|json| js_sys::JSON::parse(&json).ok())
        .ok_or_else(|| "bad arguments".to_owned())?;
    tauri_invoke(cmd, args).await.map_err(|e| {
        e.as_string()
            .unwrap_or_else(|| format!("{cmd} failed: {e:?}"))
    })
}

/// Calls a command whose answer does not matter; failures go to the console.
pub fn invoke_later<C: Command + 'static>(args: C) {
    wasm_bindgen_futures::spawn_local(async move {
        let cmd = C::NAME;
        // Any answer will do: it is not read.
        if let Err(e) = decode::<serde_json::Value>(cmd, &args).await {
            web_sys::console::error_1(&format!("parley: {cmd}: {e}").into());
        }
    });
}

/// Runs `f` with each payload of the shell event `name`, for the app's life.
pub fn listen(name: &'static str, f: impl Fn(serde_json::Value) + 'static) {
    // Listened to for the whole session.
    std::mem::forget(listen_until(name, f));
}

/// Runs `f` with each payload of the shell event `name` until the handle
/// is dropped.
pub fn listen_until(name: &'static str, f: impl Fn(serde_json::Value) + 'static) -> Listening {
    let cb = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload = js_sys::Reflect::get(&e, &JsValue::from_str("payload"))
            .ok()
            .and_then(|p| js_sys::JSON::stringify(&p).ok())
            .and_then(|s| s.as_string())
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(serde_json::Value::Null);
        f(payload);
    });
    let state = Rc::new(RefCell::new(ListenState {
        unlisten: None,
        stopped: false,
    }));
    let handler: js_sys::Function = cb.as_ref().clone().unchecked_into();
    let handle = Listening {
        state: state.clone(),
        cb: Some(cb),
    };
    wasm_bindgen_futures::spawn_local(async move {
        match tauri_listen(name, &handler).await {
            Ok(unlisten) => {
                let Ok(unlisten) = unlisten.dyn_into::<js_sys::Function>() else {
                    return;
                };
                let mut s = state.borrow_mut();
                // Dropped while the shell was still registering it.
                if s.stopped {
                    let _ = unlisten.call0(&JsValue::NULL);
                } else {
                    s.unlisten = Some(unlisten);
                }
            }
            Err(e) => {
                web_sys::console::error_2(&format!("parley: cannot listen to {name}").into(), &e)
            }
        }
    });
    handle
}

struct ListenState {
    /// What `event.listen` answered, once it has.
    unlisten: Option<js_sys::Function>,
    stopped: bool,
}

/// A shell event listened to: dropping it stops listening.
pub struct Listening {
    state: Rc<RefCell<ListenState>>,
    cb: Option<Closure<dyn FnMut(JsValue)>>,
}

/// How long a stopped listener's closure is kept: an event the shell sent
/// before the unlisten reached it may still be on its way, and calling a
/// dropped closure throws.
const LISTENER_GRACE_MS: u32 = 5_000;

impl Drop for Listening {
    fn drop(&mut self) {
        let mut s = self.state.borrow_mut();
        s.stopped = true;
        if let Some(unlisten) = s.unlisten.take() {
            let _ = unlisten.call0(&JsValue::NULL);
        }
        if let Some(cb) = self.cb.take() {
            gloo_timers::callback::Timeout::new(LISTENER_GRACE_MS, move || drop(cb)).forget();
        }
    }
}

/// Calls a shell command that answers raw bytes (an `ArrayBuffer`).
pub async fn invoke_bytes<C: BytesCommand>(args: &C) -> Result<js_sys::ArrayBuffer, String> {
    let cmd = C::NAME;
    invoke_js(cmd, args)
        .await?
        .dyn_into::<js_sys::ArrayBuffer>()
        .map_err(|_| format!("{cmd}: expected bytes"))
}

/// A `File` of `bytes`, as a file picker would give it (the type is left
/// to the server, which reads it from the bytes).
pub(super) fn file_of(bytes: &js_sys::ArrayBuffer, name: &str) -> Option<web_sys::File> {
    web_sys::File::new_with_buffer_source_sequence(&js_sys::Array::of1(bytes), name).ok()
}
