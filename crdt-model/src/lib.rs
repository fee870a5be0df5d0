//! # crdt-model
//!
//! The pure core of Tongchou (统筹): the domain of shared government
//! resources and bookings, the signed, replicated documents they live in, the
//! deterministic rules that turn those documents into calendars, and the
//! sans-io replication engine. No I/O, no clock, no threads: the node drives
//! it and tests run many replicas of it in one process.
//!
//! ## Layout
//! - [`ids`], [`agency`], [`hlc`]: identifiers, keys and signatures, clocks;
//!   [`bytes`], byte fields as base64 in JSON and TOML.
//! - [`resource`], [`booking`]: the catalogue and booking records, with rule checks.
//! - [`record`], [`doc`], [`signed`]: what documents hold, who may write what,
//!   Automerge encoding, and the signed change envelope.
//! - [`membership`]: the admin-signed roster.
//! - [`ledger`]: one replica's verified changes and record index; the only way in.
//! - [`occupancy`], [`calendar`], [`policy`], [`availability`]: the
//!   deterministic calendar view, the owner's decision policy, free-slot search;
//!   [`busy`], free/busy of owners not followed, fetched on demand.
//! - [`engine`]: replication as a state machine of `(now, input) → outputs`.
//! - [`query`]: read-only questions a client asks a replica (filtered
//!   catalogue and bookings, one booking, one calendar); [`ics`], the
//!   iCalendar feed.
//! - [`quota`]: quotas (实物定额) an owner sets per resource, checked by its policy.
//! - [`recur`]: recurrence rules (an RRULE subset) of recurring bookings.
//! - [`when`]: dates, times and durations as people write them (`明天 09:00`,
//!   `12-14`, `2d`), for the command line and the TUI.
//!
//! ## Data flow
//! A staff action becomes a [`record::Record`] written by [`doc::DocWriter`]
//! into one of the agency's own documents as an Automerge change, signed into
//! a [`signed::SignedChange`]. Every replica (the writer's included) admits it
//! only through [`ledger::Ledger::ingest`], which checks the envelope, the
//! roster, the signature (batched), the document's history and the
//! authorship of every record. [`calendar::calendar`] then computes each
//! resource's calendar from the accepted records alone.
#![deny(missing_docs)]

pub mod agency;
pub mod asset;
pub mod availability;
pub mod booking;
pub mod busy;
pub mod bytes;
pub mod calendar;
pub mod doc;
pub mod engine;
pub mod fleet;
pub mod hlc;
pub mod ics;
pub mod ids;
pub mod interest;
pub mod ledger;
pub mod membership;
pub mod occupancy;
pub mod peers;
pub mod policy;
pub mod query;
pub mod quota;
pub mod record;
pub mod recur;
pub mod report;
pub mod resource;
pub mod signed;
#[cfg(any(test, feature = "test-utils"))]
pub mod sim;
pub mod trip;
pub mod when;
