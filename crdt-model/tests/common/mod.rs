//! Helpers shared by the simulator tests.
#![allow(dead_code)]

pub(crate) mod history;
pub(crate) mod months;

use crdt_model::engine::{LocalOp, LocalOutcome};
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{Sim, overbooking, test_resource};
use jiff::Timestamp;

pub(crate) const START: i64 = 1_795_000_000_000; // 2026-11-18

pub(crate) fn hour(h: i64) -> Timestamp {
    Timestamp::from_millisecond(START + 3_600_000 * (24 + h)).unwrap()
}

pub(crate) fn publish(
    sim: &mut Sim,
    node: usize,
    local: &str,
    cap: Capacity,
    approval: Approval,
) -> ResourceId {
    let r = test_resource(sim.id(node), local, cap, approval);
    let id = r.id.clone();
    sim.local(node, LocalOp::PutResource(Box::new(r)))
        .expect("publish");
    id
}

pub(crate) fn book(
    sim: &mut Sim,
    node: usize,
    rid: &ResourceId,
    from: i64,
    to: i64,
    q: u32,
) -> Option<BookingId> {
    let op = LocalOp::Book {
        wait_list: false,
        resource: rid.clone(),
        start: hour(from),
        end: hour(to),
        quantity: q,
        contact: "王工".into(),
        purpose: "会议".into(),
    };
    match sim.local(node, op) {
        Ok(LocalOutcome::Booking(b)) => Some(b.id),
        _ => None,
    }
}

pub(crate) fn assert_converged(sim: &Sim) {
    let views = sim.views();
    let (i0, first) = views[0];
    for (i, v) in &views[1..] {
        assert_eq!(
            sim.engine(i0).ledger().heads(),
            sim.engine(*i).ledger().heads(),
            "node {i0} and {i} hold different changes"
        );
        assert_eq!(first, *v, "node {i0} and {i} show different calendars");
    }
}

pub(crate) fn assert_no_overbooking(sim: &Sim) {
    for (i, cals) in sim.views() {
        let res = &sim.engine(i).ledger().index().resources;
        assert_eq!(overbooking(res, cals), 0, "node {i} shows an overbooking");
    }
}
