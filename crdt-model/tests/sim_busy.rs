//! Free/busy on demand in the simulator: a replica that does not follow an
//! owner asks the owner (or, the owner away, a peer that follows it) when
//! the owner's resources are taken, caches the answer with its source and
//! age, shows it in the calendar and the free-slot search, and refuses a
//! malformed question without asking anyone. An owner no connected peer
//! holds is dialled, and asked once connected.

use crdt_model::availability::SlotQuery;
use crdt_model::engine::{LocalOp, LocalOutcome};
use crdt_model::interest::Follows;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{Sim, test_resource};
use jiff::Timestamp;

const START: i64 = 1_795_000_000_000; // 2026-11-18, virtual
const HOUR: i64 = 3_600_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(START + ms).expect("instant")
}

/// A request for one place in `[start, end)` of `rid`.
fn hour_of(rid: &crdt_model::ids::ResourceId, start: Timestamp, end: Timestamp) -> LocalOp {
    LocalOp::Book {
        resource: rid.clone(),
        start,
        end,
        quantity: 1,
        contact: String::new(),
        purpose: String::new(),
        wait_list: false,
    }
}

fn book(sim: &mut Sim, i: usize, op: LocalOp) -> crdt_model::ids::BookingId {
    match sim.local(i, op) {
        Ok(LocalOutcome::Booking(b)) => b.id,
        other => panic!("a booking: {other:?}"),
    }
}

#[test]
fn free_busy_of_an_owner_not_followed_is_fetched_cached_and_searched() {
    // Eight agencies in four cities (agency i in city i % 4), meshed; each
    // follows its own city and the owners it booked from.
    let all: Vec<(usize, usize)> = (0..8)
        .flat_map(|a| (a + 1..8).map(move |b| (a, b)))
        .collect();
    let mut sim = Sim::with_links(11, 8, START, &all, vec![Follows::defaults(); 8]);
    sim.run_until_quiet(100_000);
    let room = test_resource(sim.id(2), "room", Capacity::People(1), Approval::Automatic);
    let rid = room.id.clone();
    sim.local(2, LocalOp::PutResource(Box::new(room)))
        .expect("publish");
    sim.run_until_quiet(100_000);
    let booking = |start, end| hour_of(&rid, start, end);
    book(&mut sim, 1, booking(at(HOUR), at(2 * HOUR)));
    sim.run_until_quiet(100_000);
    let (owner, window) = (sim.id(2), (at(0), at(24 * HOUR)));

    // Node 3 follows neither 2 nor 2's city: the room reads blank, and the
    // free-slot search leaves it out.
    let q = SlotQuery {
        kind: None,
        city: None,
        owner: None,
        quantity: 1,
        features: Default::default(),
        duration_minutes: 60,
        from: at(HOUR),
        to: at(5 * HOUR),
        step_minutes: 30,
        limit: 20,
        per_resource: 3,
        requester: sim.id(3),
    };
    assert!(sim.engine(3).find_slots(&q, sim.now()).is_empty());
    assert!(
        sim.engine(3)
            .calendar_full(&rid)
            .is_some_and(|c| c.busy.is_none())
    );

    // It asks; the owner is connected, so the owner answers.
    let asked = sim
        .ask_busy(3, &[owner], window.0, window.1, 60_000)
        .expect("a well-formed question");
    assert_eq!(asked.asked, vec![(owner, owner)], "{asked:?}");
    sim.run_until_quiet(100_000);
    let view = sim.engine(3).busy(&owner).cloned().expect("answered");
    assert_eq!(view.source, owner);
    let blocks = &view.resources[&rid];
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!((blocks[0].start, blocks[0].end), (at(HOUR), at(2 * HOUR)));
    assert!(!blocks[0].tentative);
    // The calendar carries it, with its source and when it came.
    let cal = sim.engine(3).calendar_full(&rid).expect("known room");
    let busy = cal.busy.expect("free/busy in the calendar");
    assert_eq!((busy.source, busy.blocks.len()), (owner, 1));
    // The search offers the room now, but not in the taken hour.
    let found = sim.engine(3).find_slots(&q, sim.now());
    assert!(!found.is_empty(), "the room is offered");
    assert!(found.iter().all(|c| c.start >= at(2 * HOUR)), "{found:?}");

    // Asked again within the age allowed: the cache answers, nobody is asked.
    let again = sim
        .ask_busy(3, &[owner], at(HOUR), at(10 * HOUR), 60_000)
        .expect("question");
    assert_eq!((again.fresh, again.asked.len()), (vec![owner], 0));
    // Node 6 follows 2 (its city): nothing to fetch.
    let followed = sim
        .ask_busy(6, &[owner], window.0, window.1, 0)
        .expect("question");
    assert_eq!(followed.followed, vec![owner]);

    // The owner goes away; node 1 asks for another hour (it waits for the
    // owner). Node 3 asks again: node 6, which follows the owner, answers,
    // with the waiting request as tentative.
    sim.crash(2);
    sim.run_until_quiet(100_000);
    book(&mut sim, 1, booking(at(3 * HOUR), at(4 * HOUR)));
    sim.run_until_quiet(100_000);
    let asked = sim
        .ask_busy(3, &[owner], window.0, window.1, 0)
        .expect("question");
    assert_eq!(asked.asked.len(), 1, "{asked:?}");
    let holder = asked.asked[0].1;
    assert_ne!(holder, owner, "the owner is away");
    sim.run_until_quiet(100_000);
    let view = sim.engine(3).busy(&owner).cloned().expect("answered");
    assert_eq!(view.source, holder);
    let blocks = &view.resources[&rid];
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert!(blocks[1].tentative && blocks[1].start == at(3 * HOUR));

    // A malformed question is refused at once, and changes nothing.
    assert!(sim.ask_busy(3, &[owner], at(HOUR), at(HOUR), 0).is_err());
    assert!(
        sim.ask_busy(3, &[owner], at(0), at(100 * 24 * HOUR), 0)
            .is_err()
    );
    assert_eq!(sim.engine(3).busy(&owner), Some(&view));
}

#[test]
fn an_owner_no_connected_peer_holds_is_dialled_and_asked() {
    // A line 0 - 1 - 2: neither node 0 nor node 1 follows node 2 (each
    // follows its own city only), so no peer of node 0 holds node 2's
    // records.
    let links = [(0, 1), (1, 2)];
    let mut sim = Sim::with_links(5, 3, START, &links, vec![Follows::defaults(); 3]);
    sim.run_until_quiet(100_000);
    let room = test_resource(sim.id(2), "room", Capacity::People(1), Approval::Automatic);
    let rid = room.id.clone();
    sim.local(2, LocalOp::PutResource(Box::new(room)))
        .expect("publish");
    sim.run_until_quiet(100_000);
    let booking = hour_of(&rid, at(HOUR), at(2 * HOUR));
    book(&mut sim, 2, booking);
    sim.run_until_quiet(100_000);
    let owner = sim.id(2);
    let asked = sim
        .ask_busy(0, &[owner], at(0), at(24 * HOUR), 0)
        .expect("question");
    assert_eq!(asked.dialled, vec![owner], "{asked:?}");
    assert!(asked.asked.is_empty() && asked.unreachable.is_empty());
    sim.run_until_quiet(100_000);
    let view = sim
        .engine(0)
        .busy(&owner)
        .cloned()
        .expect("answered once connected");
    assert_eq!(view.source, owner);
    assert_eq!(view.resources[&rid].len(), 1, "{view:?}");
}

#[test]
fn an_owner_that_cannot_be_dialled_is_unreachable_at_once_when_asked_again() {
    // Node 2 is cut off: dialling it fails, and a second question does not
    // wait on a dial that already failed.
    let links = [(0, 1), (1, 2)];
    let mut sim = Sim::with_links(6, 3, START, &links, vec![Follows::defaults(); 3]);
    sim.run_until_quiet(100_000);
    sim.partition(&[2]);
    let owner = sim.id(2);
    let asked = sim
        .ask_busy(0, &[owner], at(0), at(24 * HOUR), 0)
        .expect("question");
    assert_eq!(asked.dialled, vec![owner], "{asked:?}");
    let again = sim
        .ask_busy(0, &[owner], at(0), at(24 * HOUR), 0)
        .expect("question");
    assert_eq!(again.unreachable, vec![owner], "{again:?}");
    assert!(again.dialled.is_empty());
}
