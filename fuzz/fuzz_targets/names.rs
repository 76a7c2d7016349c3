//! Name rules: they never panic, what they accept is accepted again
//! unchanged (the stored form is stable), and an accepted display or
//! workspace name carries no format character and shows something.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_shared::validate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for rule in [
        validate::display_name,
        validate::workspace_name,
        validate::channel_name,
    ] {
        if let Ok(stored) = rule(text) {
            assert_eq!(rule(&stored).as_deref(), Ok(stored.as_str()), "{text:?}");
            assert!(!stored.is_empty());
        }
    }
    if let Ok(name) = validate::display_name(text) {
        assert!(
            !name.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{FEFF}')),
            "{name:?}"
        );
    }
});
