//! Invariants checked on what nodes answer.

use crdt_model::calendar::{Booking, excess};
use crdt_model::resource::Resource;

/// The largest amount by which one node's confirmed bookings exceed a
/// resource's capacity at any instant, over `resources` (0 when invariant 1
/// holds on that node).
pub fn overbooking(resources: &[Resource], bookings: &[Booking]) -> u32 {
    resources
        .iter()
        .map(|r| excess(r, bookings))
        .max()
        .unwrap_or(0)
}
