//! Message Markdown: any text renders without panicking, to HTML that
//! passes the allow-list (no tag, attribute or link off it), also with
//! keyword marking on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_ui::markdown::{inert, render, render_marking};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = render(text);
    if let Err(why) = inert::check(&html) {
        panic!("{why}: {text:?} -> {html}");
    }
    // The first word doubles as a keyword, so marking meets the markup.
    let keywords: Vec<String> = text
        .split_whitespace()
        .take(1)
        .map(str::to_lowercase)
        .collect();
    let marked = render_marking(text, &keywords);
    if let Err(why) = inert::check(&marked) {
        panic!("{why} (marking {keywords:?}): {text:?} -> {marked}");
    }
});
