//! # devtools
//!
//! Tongchou's tools, which the daemon never imports; `tongchou demo` and
//! `tongchou bench …` reach them through the binary's default `devtools`
//! feature.
//! - [`demo`]: the four-city demo network (real node processes on
//!   127.0.0.1) and its scripted, self-checking scenario.
//! - [`bench`]: `bench net`, multi-process throughput, latency and catch-up.
//! - [`bench_scale`]: `bench scale`, a province-year of history on one node.
//! - [`bench_chaos`]: `bench chaos`, the simulator's chaos schedules over
//!   thousands of seeds.
//! - [`bench_trips`]: `bench trips`, vehicle dispatch at a fleet's owner.
//! - [`soak`]: `bench soak`, nodes under steady load for minutes, one
//!   killed and restarted halfway.
//! - [`vs_radicale`]: `bench radicale`, the same work against a CalDAV server.
//! - [`flood`]: `bench flood`, a member under 300 rogue peers and 20,000
//!   idle TCP connections.
//! - [`forger`]: a peer that sends forged and malformed changes (the demo's
//!   and the tests' attacker).
//! - [`past`]: months-old bookings written into a stopped node's store, as
//!   its node wrote them then (the demo's and the tests' sealed periods).

pub mod bench;
pub mod bench_chaos;
pub mod bench_interest;
pub mod bench_report;
pub mod bench_scale;
pub mod bench_trips;
pub mod demo;
pub mod flood;
pub mod forger;
pub mod past;
pub mod soak;
pub mod vs_radicale;
