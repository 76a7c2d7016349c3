//! The one client-side store: a plain state struct and a pure reducer.
//!
//! Every change — a REST answer, a WebSocket event, a click — becomes an
//! [`Action`], and [`State::apply`] is the only code that mutates state.
//! Keeping it free of browser calls lets the host run its tests, and the
//! large slices sit behind `Rc` so Yew's copy-on-write clones stay cheap.
//!
//! The store is split by concern: [`state`] holds the types and the
//! read-only queries, [`action`] the actions, [`reducer`] the one
//! `State::apply` that dispatches them, and `messages`, `events`, `calls`
//! and `workspaces` the parts of the reducer for each area. Only `apply` is
//! public: every change still goes through it.

mod action;
mod calls;
mod events;
mod messages;
mod reducer;
mod state;
mod workspaces;

#[cfg(test)]
pub(crate) mod tests;

pub use action::Action;
pub use calls::RING_MS;
pub use messages::apply_reaction;
pub use reducer::TYPING_TTL_MS;
pub use state::{CallPhase, Conn, MyCall, PageKind, Pending, Ringing, State, ThreadView, Timeline};
