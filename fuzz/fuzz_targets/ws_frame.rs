//! WebSocket frames in both directions: reading any bytes never panics,
//! and a frame that reads back serializes to one that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_shared::ws::{ClientFrame, ServerFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = serde_json::from_str::<ClientFrame>(text) {
        let again = serde_json::to_string(&frame).expect("a read frame serializes");
        let back: ClientFrame = serde_json::from_str(&again).expect("and reads back");
        assert_eq!(frame, back, "{text}");
    }
    // What the UI reads from the server must not crash it either.
    let _ = serde_json::from_str::<ServerFrame>(text);
});
