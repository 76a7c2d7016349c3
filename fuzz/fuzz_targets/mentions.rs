//! @mention parsing never panics, finds each mention once, and every
//! username it finds is one `validate::username` accepts unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_shared::mention::{parse, Mention};
use parley_shared::validate;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let found = parse(text);
    for (i, m) in found.iter().enumerate() {
        assert!(!found[..i].contains(m), "{m:?} twice in {text:?}");
        if let Mention::User(name) = m {
            assert_eq!(
                validate::username(name).as_deref(),
                Ok(name.as_str()),
                "{text:?}"
            );
        }
    }
});
