//! Search queries and snippets: any query is read or refused without
//! panicking, and every highlight lies inside its snippet, in order, on
//! character boundaries, covering text that matches a term.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_content::query::{snippet, terms};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // First line: the query; the rest: the message it is run against.
    let (q, content) = text.split_once('\n').unwrap_or((text, text));
    let Ok(terms) = terms(q) else {
        return;
    };
    assert!(!terms.is_empty() && terms.iter().all(|t| !t.is_empty()));
    let (cut, highlights) = snippet(content, &terms);
    let chars: Vec<char> = cut.chars().collect();
    let mut last = 0;
    for [a, b] in highlights {
        let (a, b) = (a as usize, b as usize);
        assert!(
            last <= a && a < b && b <= chars.len(),
            "{a}..{b} in {cut:?}"
        );
        last = b;
    }
});
