//! # api
//!
//! The local HTTP/JSON API between a node and everything that talks to it
//! (the CLI, the TUI, the tools and the tests), in one place:
//! - [`types`]: request bodies, query strings, answers, the error body and
//!   `api.json` (where a running node's API listens);
//! - [`routes`]: every route, named once for the server's router and the client;
//! - [`client`]: [`Client`], a method per route, and its [`Error`], which
//!   keeps the node's code and the booking rule that failed;
//! - [`messages`]: the node's refusals in the user's language;
//! - [`users`]: people of an agency, their roles and tokens;
//! - [`follows`]: what a node follows, and the owners it holds;
//! - [`busy`]: free/busy of owners not followed, fetched on demand;
//! - [`size`]: a byte count as the CLI and the TUI show it.
//!
//! It depends on the model and an HTTP client only: no libp2p, sled or server.

pub mod busy;
pub mod client;
pub mod follows;
pub mod messages;
pub mod routes;
pub mod types;
pub mod users;

pub use busy::*;
pub use client::{Client, Error, Events};
pub use follows::*;
pub use types::*;
pub use users::*;

/// A byte count in a reader's unit (B, KiB, MiB, GiB), as the CLI and the
/// TUI show sizes.
pub fn size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b < K {
        format!("{bytes} B")
    } else if b < K * K {
        format!("{:.1} KiB", b / K)
    } else if b < K * K * K {
        format!("{:.1} MiB", b / K / K)
    } else {
        format!("{:.2} GiB", b / K / K / K)
    }
}
