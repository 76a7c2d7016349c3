//! Upload typing: any bytes, any claimed type and any file name are
//! judged without panicking, and the type the bytes show is never refused
//! as a claim about those same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_content::file_type::{check_claim, implied_by_name, sniff};

fuzz_target!(|data: &[u8]| {
    // First line: a claimed type and a name, tab-separated; the rest: the file.
    let (meta, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[][..], data),
    };
    let meta = String::from_utf8_lossy(meta);
    let (claim, name) = meta.split_once('\t').unwrap_or((&meta, ""));
    let sniffed = sniff(body);
    if let Err(why) = check_claim(&sniffed.mime, &sniffed) {
        panic!(
            "the sniffed type {} refused for its own bytes: {why}",
            sniffed.mime
        );
    }
    let _ = check_claim(claim, &sniffed);
    if let Some(implied) = implied_by_name(name) {
        let _ = check_claim(&implied, &sniffed);
    }
});
