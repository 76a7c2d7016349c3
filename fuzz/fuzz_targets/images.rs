//! Image decoding and thumbnails: any bytes either decode within the
//! limits or are refused, never panic or run out of memory (the run's
//! -rss_limit_mb holds decompression bombs to account), and a thumbnail
//! fits its square.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_content::images::{decode, fits, thumbnail, THUMB_SIDE};

fuzz_target!(|data: &[u8]| {
    let Ok(img) = decode(data) else {
        return;
    };
    assert!(fits(img.width(), img.height()), "decoded past the limits");
    if let Ok((thumb, _)) = thumbnail(data) {
        let t = decode(&thumb).expect("a thumbnail we made decodes");
        assert!(t.width() <= THUMB_SIDE && t.height() <= THUMB_SIDE);
    }
});
