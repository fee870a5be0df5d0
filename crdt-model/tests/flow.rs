//! Flow control of sync messages in the deterministic simulator: a burst
//! beyond a peer's window, messages lost on working links, and a partition
//! in the middle of a catch-up. Every case converges from the protocol
//! alone (no anti-entropy period passes), with no gap left waiting and no
//! overbooking.

use crdt_model::engine::LocalOp;
use crdt_model::engine::flow::WINDOW;
use crdt_model::ids::ResourceId;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{Sim, overbooking, test_resource};
use jiff::Timestamp;

const START: i64 = 1_795_000_000_000; // 2026-11-18

/// Request `i` on `rid`: one hour, somewhere in the month after tomorrow.
fn request(rid: &ResourceId, i: usize) -> LocalOp {
    let h = 24 + (i as i64 % 600);
    LocalOp::Book {
        wait_list: false,
        resource: rid.clone(),
        start: Timestamp::from_millisecond(START + 3_600_000 * h).expect("instant"),
        end: Timestamp::from_millisecond(START + 3_600_000 * (h + 1)).expect("instant"),
        quantity: 1,
        contact: String::new(),
        purpose: format!("p{i}"),
    }
}

/// A 3-agency network; agency 0 owns a car park of `units` that confirms
/// automatically, known everywhere.
fn network(seed: u64, units: u32) -> (Sim, ResourceId) {
    let mut sim = Sim::new(seed, 3, START);
    sim.run_until_quiet(1_000);
    let r = test_resource(
        sim.id(0),
        "lot",
        Capacity::Units(units),
        Approval::Automatic,
    );
    let rid = r.id.clone();
    sim.local(0, LocalOp::PutResource(Box::new(r)))
        .expect("publish");
    sim.run_until_quiet(1_000);
    (sim, rid)
}

/// Every replica holds the same changes, shows the same calendars, waits
/// for nothing and overbooks nothing.
fn assert_settled(sim: &Sim) {
    let views = sim.views();
    let (i0, first) = views[0];
    for (i, _) in &views {
        assert_eq!(
            sim.engine(i0).ledger().heads(),
            sim.engine(*i).ledger().heads(),
            "node {i0} and {i} hold different changes"
        );
    }
    for (i, cals) in &views {
        assert_eq!(first, *cals, "node {i0} and {i} show different calendars");
        assert_eq!(
            sim.engine(*i).ledger().pending_len(),
            0,
            "node {i} holds a gap"
        );
        let res = &sim.engine(*i).ledger().index().resources;
        assert_eq!(overbooking(res, cals), 0, "node {i} shows an overbooking");
    }
}

#[test]
fn a_burst_beyond_the_window_reaches_every_peer_without_gaps() {
    let (mut sim, rid) = network(21, 1_000);
    let (zero, two) = (sim.id(0), sim.id(2));
    // 300 requests, each its own change and message, none delivered yet.
    for i in 0..300 {
        sim.local(1, request(&rid, i)).expect("booked");
        let e = sim.engine(1);
        assert!(
            e.inflight(&zero) <= WINDOW,
            "window to 0: {}",
            e.inflight(&zero)
        );
        assert!(
            e.inflight(&two) <= WINDOW,
            "window to 2: {}",
            e.inflight(&two)
        );
    }
    assert_eq!(sim.engine(1).inflight(&zero), WINDOW, "the window filled");
    // A message that overtook another on the way leaves a gap that is
    // asked to be filled after a while: timers run too, well within one
    // anti-entropy period.
    let start = sim.now_ms;
    sim.run_for(5_000, 200_000);
    assert!(sim.now_ms - start < 30_000);
    assert_settled(&sim);
    let confirmed = sim
        .engine(2)
        .calendar(&rid)
        .expect("calendar")
        .confirmed
        .len();
    assert_eq!(
        confirmed, 300,
        "every request reached the owner and came back decided"
    );
}

#[test]
fn messages_lost_on_working_links_are_sent_again_from_the_ledger() {
    let (mut sim, rid) = network(22, 1_000);
    sim.loss = 0.3;
    let start = sim.now_ms;
    for i in 0..200 {
        sim.local(i % 3, request(&rid, i)).expect("booked");
        if i % 20 == 0 {
            sim.run_until_quiet(50);
        }
    }
    // A receiver holding a gap asks again every second while it waits
    // (its asks may be lost too); well within one anti-entropy period.
    sim.run_for(20_000, 1_000_000);
    assert!(sim.lost > 20, "the links lost messages: {}", sim.lost);
    assert!(
        sim.now_ms - start < 30_000,
        "converged before an anti-entropy period"
    );
    assert_settled(&sim);
}

#[test]
fn a_partition_in_the_middle_of_a_catch_up_still_converges() {
    let (mut sim, rid) = network(23, 3);
    // Small messages: catching up takes many rounds of the window.
    sim.max_batch = 5;
    sim.restart_all();
    sim.run_until_quiet(10_000);
    sim.partition(&[2]);
    for i in 0..400 {
        sim.local(i % 2, request(&rid, i)).expect("booked");
    }
    sim.run_until_quiet(200_000);
    // Node 2 returns, starts catching up, and is cut off again part way.
    sim.heal();
    let before = sim.engine(2).ledger().heads();
    let target = sim.engine(0).ledger().heads();
    let mut steps = 0;
    while sim.engine(2).ledger().heads() == before {
        sim.run_until_quiet(1);
        steps += 1;
        assert!(steps < 10_000, "the catch-up never started");
    }
    assert_ne!(
        sim.engine(2).ledger().heads(),
        target,
        "cut off part way through"
    );
    sim.partition(&[2]);
    for i in 400..450 {
        sim.local(2, request(&rid, i))
            .expect("booked while cut off");
        sim.local(1, request(&rid, i + 1_000)).expect("booked");
    }
    sim.run_until_quiet(200_000);
    sim.heal();
    let healed = sim.now_ms;
    sim.run_for(20_000, 1_000_000);
    assert!(
        sim.now_ms - healed < 30_000,
        "converged before an anti-entropy period"
    );
    assert_settled(&sim);
}
