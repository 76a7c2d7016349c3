//! Use-cases. Handlers parse and call these; every authorization decision
//! is made here, in one place per resource (see [`access`]).

pub mod access;
pub mod auth;
pub mod calls;
pub mod channels;
pub mod convert;
pub mod events;
pub mod files;
pub mod jobs;
pub mod messages;
pub mod notify;
pub mod push;
pub mod recent;
pub mod search;
pub mod signin_guard;
pub mod users;
pub mod workspaces;

pub use crate::snowflake::now_ms;
