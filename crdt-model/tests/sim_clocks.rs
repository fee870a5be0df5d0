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
                    fits: false,
                    ..
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
        .map(|(d, _)| (d.clone(), ledger.changes_of(d).expect("in memory")))
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
    let all: Vec<_> = ledger.all_changes().expect("in memory");
    assert!(replica.ingest(all).refused.is_empty());
    let rep = replica.ingest(vec![forged]);
    assert_eq!(rep.refused.len(), 1, "{:?}", rep.refused);
    assert_eq!(rep.refused[0].reason, RefuseReason::ClockBackwards);
}

/// Found by the chaos schedules: an admin whose clock runs a month behind
/// rotated its key. The rotation was dated before the admissions it had
/// signed earlier, so a roster replayed in clock order dropped every member
/// (on a restart of the admin's own node, and on every replica). A roster
/// event made here is now dated after every event held.
#[test]
fn an_admin_whose_clock_runs_behind_keeps_its_members_after_rotating_its_key() {
    let mut sim = Sim::new(33, 3, START);
    sim.run_until_quiet(5_000);
    sim.nodes[0].clock_offset_ms = -30 * DAY_MS;
    sim.rotate_key(0, crdt_model::sim::test_key(300))
        .expect("rotated");
    sim.run_until_quiet(5_000);
    sim.crash(0);
    sim.restart(0);
    sim.run_until_quiet(5_000);
    for n in 0..3 {
        let roster = sim.engine(n).ledger().roster();
        for m in 0..3 {
            assert!(roster.is_active(&sim.id(m)), "node {n} lost member {m}");
        }
    }
    let room = publish(
        &mut sim,
        1,
        "room",
        Capacity::People(5),
        Approval::Automatic,
    );
    sim.run_until_quiet(5_000);
    book(&mut sim, 0, &room, 2, 3, 1).expect("the admin still books");
    sim.run_until_quiet(5_000);
    assert_converged(&sim);
}

/// Found by the chaos schedules: a node whose wall clock was set back by
/// more than an anti-entropy period stopped sending its summaries (the next
/// round stayed planned on the old clock), so what a lost message had
/// failed to carry (here a key rotation) never reached it. The round is now
/// due when it lies more than a period ahead.
#[test]
fn a_clock_set_back_an_hour_keeps_anti_entropy_going() {
    let mut sim = Sim::new(34, 2, START);
    sim.run_until_quiet(5_000);
    sim.run_for(1_000, 10_000);
    sim.nodes[1].clock_offset_ms = -3_600_000;
    // The admin rotates its key; the roster message is lost.
    sim.loss = 1.0;
    let new_key = crdt_model::sim::test_key(301);
    let public = new_key.public();
    sim.rotate_key(0, new_key).expect("rotated");
    sim.run_until_quiet(5_000);
    sim.loss = 0.0;
    sim.run_for(120_000, 100_000);
    sim.run_until_quiet(5_000);
    let admin = sim.id(0);
    assert_eq!(
        sim.engine(1).ledger().roster().current_key(&admin),
        public,
        "the node with the clock set back learnt the rotation"
    );
}
