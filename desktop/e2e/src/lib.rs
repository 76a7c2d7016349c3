//! No library code: the browser tests live in `tests/`.
