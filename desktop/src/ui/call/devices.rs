//! Preferences' "Calls" section: which microphone, speaker and camera a
//! call uses (in the desktop app: microphone, speaker, and whether echo
//! cancellation and noise suppression run), remembered on this device; a
//! call in progress switches at once.
//!
//! What must stay true: the lists are those of whatever carries the media:
//! the browser's own (`enumerateDevices`), whose names show only after the
//! browser allowed media once, so the section offers to ask rather than
//! list blank entries; in the desktop app the shell's audio devices, by
//! name (its engine takes the default camera).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use crate::app::use_ctx;
use crate::call::devices::{
    self, audio_constraints, speaker_choice_supported, Device, Devices, CAMERA_KEY, MIC_KEY, OFF,
    PROCESSING_KEY, SPEAKER_KEY,
};

/// Asks for the microphone and camera once (and stops them at once), so
/// the browser names its devices.
async fn unlock_names() {
    let Some(md) = devices::media_devices() else {
        return;
    };
    let mut c = audio_constraints(None);
    c["video"] = serde_json::json!(true);
    let c = crate::call::js::object(&c);
    let Ok(p) = md.get_user_media_with_constraints(c.unchecked_ref()) else {
        return;
    };
    if let Ok(stream) = JsFuture::from(p).await {
        let stream: web_sys::MediaStream = stream.unchecked_into();
        for t in stream.get_tracks().iter() {
            if let Ok(t) = t.dyn_into::<web_sys::MediaStreamTrack>() {
                t.stop();
            }
        }
    }
}

#[function_component(CallDevices)]
pub fn call_devices() -> Html {
    let ctx = use_ctx();
    let native = ctx.platform().native_calls();
    let list = use_state(|| None::<Result<Devices, String>>);
    let refresh = use_state(|| 0u32);
    {
        let list = list.clone();
        use_effect_with(*refresh, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                list.set(Some(if native {
                    devices::list_native().await
                } else {
                    devices::list().await
                }));
            });
        });
    }
    let processing = ctx.platform().load(PROCESSING_KEY).as_deref() != Some(OFF);
    let toggle_processing = {
        let (platform, calls, refresh) =
            (ctx.platform().clone(), ctx.calls.clone(), refresh.clone());
        Callback::from(move |_: MouseEvent| {
            if processing {
                platform.save(PROCESSING_KEY, OFF);
            } else {
                platform.remove(PROCESSING_KEY);
            }
            calls.devices_changed();
            refresh.set(*refresh + 1);
        })
    };
    let ask = {
        let refresh = refresh.clone();
        Callback::from(move |_: MouseEvent| {
            let refresh = refresh.clone();
            wasm_bindgen_futures::spawn_local(async move {
                unlock_names().await;
                refresh.set(*refresh + 1);
            });
        })
    };
    let picker = |key: &'static str, id: &'static str, label: &'static str, options: &[Device]| {
        let saved = ctx.platform().load(key).unwrap_or_default();
        let (platform, calls, refresh) =
            (ctx.platform().clone(), ctx.calls.clone(), refresh.clone());
        let onchange = Callback::from(move |e: Event| {
            let v = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                .map(|s| s.value())
                .unwrap_or_default();
            if v.is_empty() {
                platform.remove(key);
            } else {
                platform.save(key, &v);
            }
            calls.devices_changed();
            refresh.set(*refresh + 1);
        });
        html! {
            <label class="device-row" for={id}>
                <span>{ label }</span>
                <select {id} {onchange}>
                    <option value="" selected={saved.is_empty()}>{ "System default" }</option>
                    { for options.iter().map(|d| html! {
                        <option value={d.id.clone()} selected={d.id == saved}>{ d.label.clone() }</option>
                    }) }
                </select>
            </label>
        }
    };
    let body = match &*list {
        None => html! { <p class="muted small">{ "Looking for devices…" }</p> },
        Some(Err(e)) => html! { <p class="muted small">{ e.clone() }</p> },
        Some(Ok(d)) => html! {
            <>
                { picker(MIC_KEY, "device-mic", "Microphone", &d.mics) }
                if native || speaker_choice_supported() {
                    { picker(SPEAKER_KEY, "device-speaker", "Speaker", &d.speakers) }
                }
                if !native {
                    { picker(CAMERA_KEY, "device-camera", "Camera", &d.cameras) }
                }
                if !d.named {
                    <p class="muted small">
                        { "Your browser names its devices once Parley may use them. " }
                        <button type="button" class="link-btn" id="device-names" onclick={ask}>{ "Allow and show names" }</button>
                    </p>
                }
            </>
        },
    };
    html! {
        <section class="setting">
            <h3>{ "Calls" }</h3>
            <div class="devices">
                { body }
                if native {
                    <label class="check">
                        <input type="checkbox" id="device-processing" checked={processing} onclick={toggle_processing} />
                        <span>{ "Echo cancellation and noise suppression" }</span>
                    </label>
                }
            </div>
        </section>
    }
}
