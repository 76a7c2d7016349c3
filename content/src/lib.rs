//! What Parley checks in what people send, as pure functions: the type of
//! an upload from its bytes (`file_type`), decoding images within limits
//! and making thumbnails and avatars (`images`), and reading search
//! queries and cutting snippets (`query`). No I/O and no server state, so
//! the fuzz targets (`fuzz/`) drive exactly the code the server runs.
#![forbid(unsafe_code)]

pub mod file_type;
pub mod images;
pub mod query;
