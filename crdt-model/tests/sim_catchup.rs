//! Catch-up from one holder: a node that was away while its peers
//! exchanged thousands of bookings receives about one copy of what it
//! missed, not one from every peer that holds it, and ends up holding the
//! same as everyone.

use crdt_model::engine::LocalOp;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{Sim, test_resource};
use jiff::{SignedDuration, Timestamp};

const START: i64 = 1_795_000_000_000; // 2026-11-18, virtual

/// Bytes a change takes in a message (as `sim::message_bytes` counts it).
fn copy_bytes(len: usize) -> u64 {
    (len + 64 + 34 + 60 + 16) as u64
}

/// One copy of what node 0 holds beyond `held` (the counts the returning
/// node had when it went away), in bytes.
fn missed_bytes(sim: &Sim, held: &std::collections::BTreeMap<crdt_model::ids::DocId, u64>) -> u64 {
    sim.engine(0)
        .ledger()
        .docs()
        .iter()
        .flat_map(|(d, l)| {
            let had = held.get(d).copied().unwrap_or(0);
            let lacked = (l.len() - had.min(l.len())) as usize;
            sim.engine(0)
                .ledger()
                .changes_after(d, had, lacked)
                .expect("readable")
        })
        .map(|c| copy_bytes(c.change.len()))
        .sum()
}

/// `n` nodes; node `n - 1` is away while the others make `m` bookings on
/// rooms of nodes 0 and 1 (automatic approval: requests and decisions);
/// returns (bytes it received catching up, one copy of what it missed).
fn catch_up(seed: u64, n: usize, m: usize) -> (u64, u64) {
    let mut sim = Sim::new(seed, n, START);
    // Messages of 50 changes: what is in flight when a holder is told
    // again is then a small part of the whole, as with a node's 1,000 and
    // a catch-up of 100,000 bookings.
    sim.max_batch = 50;
    sim.restart_all();
    sim.run_until_quiet(100_000);
    let mut rooms = Vec::new();
    for owner in [0, 1] {
        let r = test_resource(
            sim.id(owner),
            "hall",
            Capacity::People(m as u32),
            Approval::Automatic,
        );
        rooms.push(r.id.clone());
        sim.local(owner, LocalOp::PutResource(Box::new(r)))
            .expect("publish");
    }
    sim.run_until_quiet(100_000);
    let away = n - 1;
    let held = sim.engine(away).ledger().heads();
    sim.crash(away);
    let base =
        Timestamp::from_millisecond(START).expect("instant") + SignedDuration::from_hours(24);
    for k in 0..m {
        let start = base + SignedDuration::from_mins(k as i64);
        let op = LocalOp::Book {
            resource: rooms[k % 2].clone(),
            start,
            end: start + SignedDuration::from_mins(30),
            quantity: 1,
            contact: String::new(),
            purpose: String::new(),
            wait_list: false,
        };
        sim.local(1 + k % (n - 2), op).expect("booked");
        if k % 100 == 99 {
            sim.run_for(200, 1_000_000);
        }
    }
    // Every decision made and everywhere (the owners' policy also runs
    // on its timer) before the node comes back.
    sim.run_for(120_000, 10_000_000);
    sim.run_until_quiet(10_000_000);
    let missed = missed_bytes(&sim, &held);
    let before = sim.nodes[away].received_bytes;
    sim.restart(away);
    sim.run_until_quiet(10_000_000);
    let got = sim.nodes[away].received_bytes - before;
    let all = sim.engine(0).ledger().heads();
    assert_eq!(
        sim.engine(away).ledger().heads(),
        all,
        "the returning node holds everything"
    );
    (got, missed)
}

/// Within 1.1 copies (measured ×1.00 on these seeds since summaries say
/// which messages they saw and a gap is left a moment to close; ×1.3 to
/// ×1.45 before that; every peer answering, before protocol version 8,
/// took ×4 to ×5.75). The bound is ×1.5.
fn about_one_copy(seed: u64) {
    let (got, one) = catch_up(seed, 5, 2_000);
    let ratio = got as f64 / one as f64;
    eprintln!("seed {seed}: received {got} bytes for {one} missed: x{ratio:.2}");
    assert!(ratio <= 1.1, "seed {seed}: x{ratio:.2} of one copy");
}

#[test]
fn a_returning_node_receives_about_one_copy_of_what_it_missed() {
    about_one_copy(1);
}

#[test]
fn so_does_it_on_another_schedule() {
    about_one_copy(2);
}

/// The owner was away too, and comes back with the returning node: the
/// requester holds requests the owner has not seen yet (it is ahead of the
/// owner on them). The returning node still receives about one copy: the
/// owner's documents are not sent by both the owner and the requester.
#[test]
fn one_copy_when_the_owner_lags_behind_a_requester() {
    let (n, m, late) = (4, 1_000, 200);
    let mut sim = Sim::new(3, n, START);
    sim.max_batch = 50;
    sim.restart_all();
    sim.run_until_quiet(100_000);
    let r = test_resource(
        sim.id(0),
        "hall",
        Capacity::People((m + late) as u32),
        Approval::Automatic,
    );
    let room = r.id.clone();
    sim.local(0, LocalOp::PutResource(Box::new(r)))
        .expect("publish");
    sim.run_until_quiet(100_000);
    let away = n - 1;
    let held = sim.engine(away).ledger().heads();
    sim.crash(away);
    let base =
        Timestamp::from_millisecond(START).expect("instant") + SignedDuration::from_hours(24);
    let book = |sim: &mut Sim, k: usize| {
        let start = base + SignedDuration::from_mins(k as i64);
        let op = LocalOp::Book {
            resource: room.clone(),
            start,
            end: start + SignedDuration::from_mins(30),
            quantity: 1,
            contact: String::new(),
            purpose: String::new(),
            wait_list: false,
        };
        sim.local(1, op).expect("booked");
        if k % 100 == 99 {
            sim.run_for(200, 1_000_000);
        }
    };
    for k in 0..m {
        book(&mut sim, k);
    }
    sim.run_for(120_000, 10_000_000);
    sim.run_until_quiet(10_000_000);
    // The owner goes away; the requester asks for more meanwhile.
    sim.crash(0);
    for k in m..m + late {
        book(&mut sim, k);
    }
    sim.run_until_quiet(10_000_000);
    // Both come back together.
    let before = sim.nodes[away].received_bytes;
    sim.restart(0);
    sim.restart(away);
    sim.run_for(120_000, 10_000_000);
    sim.run_until_quiet(10_000_000);
    let all = sim.engine(0).ledger().heads();
    assert_eq!(
        sim.engine(away).ledger().heads(),
        all,
        "it holds everything"
    );
    let got = sim.nodes[away].received_bytes - before;
    let missed = missed_bytes(&sim, &held);
    let again: u64 = (0..n)
        .map(|i| sim.engine(away).peer_duplicates(&sim.id(i)).1)
        .sum();
    let ratio = got as f64 / missed as f64;
    eprintln!(
        "owner lagging: received {got} bytes for {missed} missed: x{ratio:.2}, {again} bytes again"
    );
    assert!(ratio <= 1.1, "x{ratio:.2} of one copy");
}
