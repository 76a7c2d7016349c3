//! Parley's protocol: the types both the server and the clients compile.
//!
//! Everything here is pure (no I/O, no async runtime) so it builds for
//! `wasm32-unknown-unknown` as well as natively. The JSON shape of these types
//! *is* the public REST contract: rename nothing, only add.
#![forbid(unsafe_code)]

pub mod api;
pub mod call;
pub mod error;
pub mod ids;
pub mod ipc;
pub mod mention;
pub mod timestamp;
pub mod validate;
pub mod ws;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use ids::{CallId, ChannelId, FileId, InviteId, MessageId, ParticipantId, UserId, WorkspaceId};
pub use timestamp::Timestamp;
