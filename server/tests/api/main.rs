//! Black-box API tests: the real app over HTTP, once per backend (SQLite and
//! PostgreSQL) through the `both!` macro.

mod helpers;

mod architecture;
mod auth;
mod authz;
mod bus;
mod cache;
mod calls;
mod channels;
mod cluster;
mod dms;
mod edge;
mod files;
mod hardening;
mod messages;
mod pagination;
mod push;
mod queue;
mod search;
mod users;
mod web;
mod workspaces;
mod ws;
