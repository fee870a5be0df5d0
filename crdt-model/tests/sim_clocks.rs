//! Clocks in the deterministic simulator: a member whose wall clock runs a
//! month behind cannot jump the queue. A request made after another request
//! for the same resource was seen ranks after it on every replica, and a
//! record dated before its author's earlier records is refused.

use crdt_model::booking::Status;
use crdt_model::ids::DocKind;
use crdt_model::ledger::{Ledger, RefuseReason};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::Sim;

mod common;
use common::*;

const DAY_MS: i64 = 86_400_000;

#[test]
fn a_member_whose_clock_runs_a_month_behind_ranks_after_what_it_had_seen() {
    let mut sim = Sim::new(31, 3, START);
    let room = publish(
        &mut sim,
        0,
        "hall",
        Capacity::People(50),
        Approval::Required,
    );
    sim.run_until_quiet(5_000);
    sim.nodes[2].clock_offset_ms = -30 * DAY_MS;
    let first = book(&mut sim, 1, &room, 2, 3, 40).expect("first request");
    sim.run_until_quiet(5_000);
    sim.advance(60_000);
    let late = book(&mut sim, 2, &room, 2, 3, 40).expect("the late request");
    sim.run_until_quiet(5_000);
    assert_converged(&sim);
    for n in 0..3 {
        let cal = sim.engine(n).calendar(&room).expect("calendar");
        let line: Vec<_> = cal.tentative.iter().map(|b| b.id.clone()).collect();
        assert_eq!(line, [first.clone(), late.clone()], "node {n}");
        assert!(
            matches!(
                cal.tentative[1].status,
                Status::Tentative {
                    rank: 2,
                    fits: false
                }
            ),
            "node {n}: {:?}",
            cal.tentative[1].status
        );
    }
}

#[test]
fn a_record_dated_before_its_authors_earlier_records_is_refused() {
    let mut sim = Sim::new(32, 2, START);
    let room = publish(&mut sim, 0, "room", Capacity::People(5), Approval::Required);
    sim.run_until_quiet(5_000);
    book(&mut sim, 1, &room, 2, 3, 1).expect("a request");
    sim.run_until_quiet(5_000);
    // Node 1's clock is then set back a month: its next request in the
    // same document still comes after its first (the clock never goes
    // back), so it is accepted.
    sim.nodes[1].clock_offset_ms = -30 * DAY_MS;
    let second = book(&mut sim, 1, &room, 4, 5, 1).expect("a second request");
    sim.run_until_quiet(5_000);
    assert!(sim.engine(0).booking(&second).is_some());

    // A backdated record written by hand into that document is refused.
    let ledger = sim.engine(1).ledger();
    let (doc, log) = ledger
        .docs()
        .iter()
        .find(|(d, _)| d.kind == DocKind::Requests && d.owner == sim.id(1))
        .map(|(d, l)| (d.clone(), l.changes().expect("in memory")))
        .expect("node 1's requests");
    let mut req = ledger
        .index()
        .requests
        .get(&second)
        .expect("request")
        .clone();
    req.id = crdt_model::ids::BookingId::new(sim.id(1), "backdated").expect("id");
    req.hlc.wall_ms -= 10 * DAY_MS;
    let key = sim.nodes[1].key.clone();
    let forged = crdt_model::doc::DocWriter::new(&key, doc, &log)
        .expect("writer")
        .write(&key, &[crdt_model::record::Record::Request(req)], 0)
        .expect("signed");
    let mut replica = Ledger::new(ledger.roster().clone());
    let all: Vec<_> = ledger
        .docs()
        .values()
        .flat_map(|d| d.changes().expect("in memory"))
        .collect();
    assert!(replica.ingest(all).refused.is_empty());
    let rep = replica.ingest(vec![forged]);
    assert_eq!(rep.refused.len(), 1, "{:?}", rep.refused);
    assert_eq!(rep.refused[0].reason, RefuseReason::ClockBackwards);
}
