//! # node
//!
//! An agency's node: the daemon `tongchou run` starts. The command line,
//! the TUI and the tools live in other crates and reach it only through
//! its local API (the `api` crate).
//!
//! ## Layout
//! - [`config`]: the home directory (key, config, database, API info).
//! - [`store`]: durable storage of changes and roster events (sled).
//! - [`net`]: libp2p behaviour and identity mapping.
//! - [`actor`]: the single task that owns engine, swarm and store.
//! - [`server`]: the local HTTP/JSON API server (its types and routes are
//!   the `api` crate).
//! - [`daemon`]: wiring for `tongchou run`, `network create` and `join`.
//! - [`rotation`]: key rotation, the whole sequence.
//! - [`backup`]: online backup (a consistent snapshot the actor takes) and
//!   restore into a new home.
//! - [`verify`]: the offline check of a home (`tongchou verify`).
//! - [`users`]: people of the agency (local accounts), their roles and
//!   token hashes.
//!
//! ## Data flow
//! A CLI or TUI request reaches [`server`], which sends a command to the
//! [`actor`]. The actor hands it to the `crdt_model` engine, stores the
//! resulting signed changes and flushes before it replies or sends them to
//! peers over [`net`]; peers' changes come back the same way in reverse.

pub mod actor;
pub mod backup;
pub mod config;
pub mod daemon;
pub mod net;
pub mod rotation;
pub mod server;
pub mod store;
pub mod users;
pub mod verify;
pub mod webhooks;
