//! The microphone, speaker and camera a person picked in Preferences (and
//! whether the desktop app's engine cleans up the microphone), remembered
//! in the platform's storage, and the constraints that ask the browser for
//! them.
//!
//! What must stay true: a remembered device that is gone (a headset
//! unplugged) is a preference, never a requirement: the constraints ask
//! for it as `ideal`, so the browser falls back to the default one (the
//! desktop app's engine takes the default likewise).

use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::platform::Platform;

pub const MIC_KEY: &str = "parley.call.mic";
pub const CAMERA_KEY: &str = "parley.call.camera";
pub const SPEAKER_KEY: &str = "parley.call.speaker";
/// Echo cancellation and noise suppression in the desktop app's engine:
/// on unless this holds [`OFF`] (the browser always asks for them).
pub const PROCESSING_KEY: &str = "parley.call.processing";
pub const OFF: &str = "off";

/// The devices chosen (`None`: the system's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceChoice {
    pub mic: Option<String>,
    pub camera: Option<String>,
    pub speaker: Option<String>,
    /// Echo cancellation and noise suppression (on by default: without
    /// them a call on laptop speakers echoes).
    pub processing: bool,
}

impl Default for DeviceChoice {
    fn default() -> DeviceChoice {
        DeviceChoice {
            mic: None,
            camera: None,
            speaker: None,
            processing: true,
        }
    }
}

impl DeviceChoice {
    pub fn load(p: &dyn Platform) -> DeviceChoice {
        let get = |k| p.load(k).filter(|v| !v.is_empty());
        DeviceChoice {
            mic: get(MIC_KEY),
            camera: get(CAMERA_KEY),
            speaker: get(SPEAKER_KEY),
            processing: get(PROCESSING_KEY).as_deref() != Some(OFF),
        }
    }
}

/// The microphone, with the processing a call wants.
pub fn audio_constraints(mic: Option<&str>) -> serde_json::Value {
    let mut audio = json!({
        "echoCancellation": true,
        "noiseSuppression": true,
        "autoGainControl": true,
    });
    if let Some(id) = mic {
        audio["deviceId"] = json!({ "ideal": id });
    }
    json!({ "audio": audio, "video": false })
}

/// The camera: 720p at most, which a mesh of six can still carry.
pub fn video_constraints(camera: Option<&str>) -> serde_json::Value {
    let mut video = json!({
        "width": { "ideal": 1280 },
        "height": { "ideal": 720 },
        "frameRate": { "ideal": 24, "max": 30 },
    });
    if let Some(id) = camera {
        video["deviceId"] = json!({ "ideal": id });
    }
    json!({ "audio": false, "video": video })
}

/// A screen at its own size; 15 frames a second is plenty for text and
/// leaves the bandwidth to sharpness.
pub fn screen_constraints() -> serde_json::Value {
    json!({ "audio": false, "video": { "frameRate": { "ideal": 15, "max": 30 } } })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    pub mics: Vec<Device>,
    pub cameras: Vec<Device>,
    pub speakers: Vec<Device>,
    /// Whether the browser told their names (only after a permission).
    pub named: bool,
}

pub fn media_devices() -> Option<web_sys::MediaDevices> {
    web_sys::window()?.navigator().media_devices().ok()
}

/// What the browser can pick from.
pub async fn list() -> Result<Devices, String> {
    let md = media_devices().ok_or("This browser has no media devices.")?;
    let promise = md
        .enumerate_devices()
        .map_err(|_| "The browser did not list its devices.")?;
    let all = JsFuture::from(promise)
        .await
        .map_err(|_| "The browser did not list its devices.")?;
    let mut out = Devices::default();
    for d in js_sys::Array::from(&all).iter() {
        let Ok(d) = d.dyn_into::<web_sys::MediaDeviceInfo>() else {
            continue;
        };
        let list = match d.kind() {
            web_sys::MediaDeviceKind::Audioinput => &mut out.mics,
            web_sys::MediaDeviceKind::Videoinput => &mut out.cameras,
            web_sys::MediaDeviceKind::Audiooutput => &mut out.speakers,
            _ => continue,
        };
        // Chromium lists "default" and "communications" aliases of real
        // devices; "System default" stands for them.
        let id = d.device_id();
        if id.is_empty() || id == "default" || id == "communications" {
            continue;
        }
        out.named |= !d.label().is_empty();
        let label = d.label();
        list.push(Device { id, label });
    }
    for (list, what) in [
        (&mut out.mics, "Microphone"),
        (&mut out.cameras, "Camera"),
        (&mut out.speakers, "Speaker"),
    ] {
        for (i, d) in list.iter_mut().enumerate() {
            if d.label.is_empty() {
                d.label = format!("{what} {}", i + 1);
            }
        }
    }
    Ok(out)
}

/// What the desktop app's engine can pick from: its audio devices, by
/// name (it chooses no camera: `CallOpen` takes the default one).
pub async fn list_native() -> Result<Devices, String> {
    let found = crate::platform::invoke(&parley_shared::ipc::CallDevices {}).await?;
    Ok(native_devices(found))
}

/// The shell's device names as choices: a name is also the id it takes.
fn native_devices(found: parley_shared::ipc::AudioDevices) -> Devices {
    let named = |names: Vec<String>| {
        names
            .into_iter()
            .map(|n| Device {
                id: n.clone(),
                label: n,
            })
            .collect()
    };
    Devices {
        mics: named(found.inputs),
        cameras: Vec::new(),
        speakers: named(found.outputs),
        named: true,
    }
}

/// Whether remote audio can be sent to a chosen speaker
/// (`HTMLMediaElement.setSinkId`; Firefox and Safari lack it or hide it).
pub fn speaker_choice_supported() -> bool {
    let proto = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"HTMLMediaElement".into()).ok())
        .and_then(|c| js_sys::Reflect::get(&c, &"prototype".into()).ok());
    proto.is_some_and(|p| super::js::has(&p, "setSinkId"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_device_is_asked_for_not_required() {
        let a = audio_constraints(Some("mic-2"));
        assert_eq!(a["audio"]["deviceId"], json!({"ideal": "mic-2"}));
        assert_eq!(a["audio"]["echoCancellation"], json!(true));
        assert!(audio_constraints(None)["audio"].get("deviceId").is_none());
        let v = video_constraints(Some("cam"));
        assert_eq!(v["video"]["deviceId"], json!({"ideal": "cam"}));
        assert_eq!(v["audio"], json!(false));
    }

    #[test]
    fn choices_load_from_storage() {
        let p = crate::platform::MemoryPlatform::default();
        p.save(MIC_KEY, "m");
        p.save(SPEAKER_KEY, "");
        let c = DeviceChoice::load(&p);
        assert_eq!(c.mic.as_deref(), Some("m"));
        assert_eq!(c.speaker, None, "empty is the default device");
        assert!(c.processing, "processing is on unless turned off");
        p.save(PROCESSING_KEY, OFF);
        assert!(!DeviceChoice::load(&p).processing);
        assert!(DeviceChoice::default().processing);
    }

    #[test]
    fn the_shells_device_names_are_their_ids() {
        let d = native_devices(parley_shared::ipc::AudioDevices {
            inputs: vec!["USB Mic".into()],
            outputs: vec!["Speakers".into(), "Headset".into()],
        });
        assert_eq!(d.mics[0].id, "USB Mic");
        assert_eq!(d.mics[0].label, "USB Mic");
        assert_eq!(d.speakers.len(), 2);
        assert!(d.cameras.is_empty() && d.named);
    }
}
