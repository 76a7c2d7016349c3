//! Crypto helpers the services use: access tokens and signed links,
//! password hashing, the VAPID identity, random secrets and their at-rest
//! hashes, TURN credentials. Leaves: they depend on config and the error type only, never on
//! the application state, so `state.rs` can hold them without a cycle.

pub mod passwords;
pub mod secrets;
pub mod tokens;
pub mod turn;
pub mod vapid;

pub use passwords::Passwords;
pub use tokens::TokenKeys;
pub use vapid::Vapid;
