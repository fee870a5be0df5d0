//! # node
//!
//! The `tongchou` binary's library: everything an agency's node runs.
//!
//! ## Layout
//! - [`config`]: the home directory (key, config, database, API info).
//! - [`store`]: durable storage of changes and roster events (sled).
//! - [`net`]: libp2p behaviour and identity mapping.
//! - [`actor`]: the single task that owns engine, swarm and store.
//! - [`server`]: the local HTTP/JSON API (its types and routes are the `api` crate); [`ics`]: iCalendar export.
//! - [`cli`]: the command line (it talks to the daemon with `api::Client`).
//! - [`daemon`]: wiring for `tongchou run` and `tongchou join`.
//! - [`demo`]: the four-city demo network and its scripted scenario.
//! - [`bench`]: `tongchou bench net`, multi-process network figures.
//!
//! ## Data flow
//! A CLI or TUI request reaches [`api`], which sends a command to the
//! [`actor`]. The actor hands it to the `crdt_model` engine, stores the
//! resulting signed changes and flushes before it replies or sends them to
//! peers over [`net`]; peers' changes come back the same way in reverse.

pub mod actor;
pub mod bench;
pub mod bench_scale;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod forger;
pub mod ics;
pub mod net;
pub mod server;
pub mod store;
pub mod vs_radicale;
