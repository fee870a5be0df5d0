//! Interest in the simulator: a replica that follows holds every catalogue,
//! its own documents and those of the owners it follows (its city's, those
//! it booked from, those it names), nothing else; it shows their calendars
//! as the owner does; following one more owner catches up on it. And a
//! province at fixed interest: every booking visible at every interested
//! node within a second over 50 ms links, nothing overbooked; with
//! connections bounded, a revocation reaches every node; free/busy of an
//! owner not followed is answered (by a connected holder, or by the owner
//! once dialled) as the owner's calendar has it.

use crdt_model::availability::SlotQuery;
use crdt_model::engine::{LocalOp, LocalOutcome};
use crdt_model::ids::{DocId, shard_of};
use crdt_model::interest::Follows;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::interest::{Province, run};
use crdt_model::sim::{Sim, test_resource};
use jiff::Timestamp;

const START: i64 = 1_795_000_000_000; // 2026-11-18, virtual

#[test]
fn a_follower_holds_its_interest_only_and_catches_up_on_a_new_owner() {
    // Eight agencies in four cities (agency i in city i % 4), meshed.
    let all: Vec<(usize, usize)> = (0..8)
        .flat_map(|a| (a + 1..8).map(move |b| (a, b)))
        .collect();
    let mut sim = Sim::with_links(7, 8, START, &all, vec![Follows::defaults(); 8]);
    sim.run_until_quiet(100_000);
    let room = test_resource(sim.id(2), "room", Capacity::People(1), Approval::Automatic);
    let rid = room.id.clone();
    sim.local(2, LocalOp::PutResource(Box::new(room)))
        .expect("publish");
    sim.run_until_quiet(100_000);
    let from = Timestamp::from_millisecond(START + 3_600_000).expect("instant");
    let to = Timestamp::from_millisecond(START + 7_200_000).expect("instant");
    let book = LocalOp::Book {
        resource: rid.clone(),
        start: from,
        end: to,
        quantity: 1,
        contact: String::new(),
        purpose: String::new(),
        wait_list: false,
    };
    let id = match sim.local(1, book) {
        Ok(LocalOutcome::Booking(b)) => b.id,
        other => panic!("a booking: {other:?}"),
    };
    sim.run_until_quiet(100_000);
    let shard = shard_of(sim.now());
    let requests = DocId::requests(sim.id(1), sim.id(2), shard);
    let decisions = DocId::decisions(sim.id(2), shard);
    let holds = |sim: &Sim, i: usize, d: &DocId| sim.engine(i).ledger().doc(d).is_some();
    // The requester (it booked from 2), the owner, and 6 (2's city) hold
    // both documents and show the booking confirmed, as the owner does.
    let owners_view = sim.engine(2).calendars().get(&rid).cloned();
    for i in [1, 2, 6] {
        assert!(holds(&sim, i, &requests), "node {i} holds the request");
        assert!(holds(&sim, i, &decisions), "node {i} holds the decision");
        assert_eq!(
            sim.engine(i).calendars().get(&rid).cloned(),
            owners_view,
            "node {i}"
        );
        assert_eq!(
            sim.engine(i).booking(&id).map(|b| b.status),
            Some(crdt_model::booking::Status::Confirmed)
        );
    }
    // The others hold the catalogue (they see the room) and nothing of its
    // bookings.
    for i in [0, 3, 4, 5, 7] {
        assert!(holds(&sim, i, &DocId::catalog(sim.id(2))), "node {i}");
        assert!(!holds(&sim, i, &requests), "node {i} holds no request");
        assert!(!holds(&sim, i, &decisions), "node {i} holds no decision");
        assert!(sim.engine(i).booking(&id).is_none(), "node {i}");
    }
    // Its free-slot search leaves the room out (it would look free).
    let q = SlotQuery {
        kind: None,
        city: None,
        owner: None,
        quantity: 1,
        features: Default::default(),
        duration_minutes: 60,
        from,
        to: Timestamp::from_millisecond(START + 5 * 3_600_000).expect("instant"),
        step_minutes: 30,
        limit: 20,
        per_resource: 3,
        requester: sim.id(3),
    };
    assert!(
        sim.engine(3).find_slots(&q, sim.now()).is_empty(),
        "a room of an owner not followed is not offered"
    );
    // Nor does it keep the room's calendar (a province's catalogue has
    // 30,000 resources): it reads as the blank calendar of a known room.
    assert!(sim.engine(3).calendar(&rid).is_none(), "not kept");
    let blank = sim.engine(3).calendar_full(&rid).expect("a known room");
    assert!(blank.known && blank.is_blank(), "{blank:?}");
    // Node 3 follows the owner by name: it catches up.
    let follows = Follows {
        owners: [sim.id(2)].into_iter().collect(),
        ..Follows::defaults()
    };
    sim.set_follows(3, follows);
    sim.run_until_quiet(100_000);
    assert!(holds(&sim, 3, &requests) && holds(&sim, 3, &decisions));
    assert_eq!(sim.engine(3).calendars().get(&rid).cloned(), owners_view);
    assert!(!holds(&sim, 7, &decisions), "node 7 still follows no more");
    // Followed, the room is searched, and its one hour is taken.
    let found = sim.engine(3).find_slots(&q, sim.now());
    assert!(!found.is_empty(), "the followed owner's room is offered");
    assert!(
        found.iter().all(|c| c.start >= to),
        "the booked hour is not offered: {found:?}"
    );
    // A restart keeps what it follows.
    sim.crash(3);
    sim.restart(3);
    sim.run_until_quiet(100_000);
    assert_eq!(sim.engine(3).interest(), sim.engine(3).interest());
    assert!(
        sim.engine(3)
            .interest()
            .is_some_and(|s| s.contains(&sim.id(2)))
    );
}

#[test]
fn a_province_at_fixed_interest_shows_every_booking_to_its_followers_within_a_second() {
    for seed in [1, 2] {
        let st = run(&Province::new(60, seed));
        assert_eq!(st.never_visible, 0, "{st:?}");
        assert_eq!(st.disagreeing, 0, "{st:?}");
        assert_eq!(st.overbooked, 0, "{st:?}");
        assert!(st.visible_p99_ms < 1_000, "{st:?}");
        // Each node holds about its owners' bookings: 60 agencies × 5
        // bookings (and as many decisions) would be 600 for everything.
        assert!(st.held_mean < 150.0, "{st:?}");
        assert!(st.catalogue_held >= 60.0, "every catalogue: {st:?}");
        // Free/busy of an owner not followed: every question is answered
        // within a second (by a connected holder, or by the owner once
        // dialled), as the owner's calendar has it.
        assert_eq!(st.busy_asked, 60, "{st:?}");
        assert_eq!(st.busy_answered, 60, "{st:?}");
        assert!(st.busy_dialled > 0 && st.busy_wrong == 0, "{st:?}");
        assert!(st.busy_p99_ms < 1_000, "{st:?}");
    }
}

#[test]
fn connections_stay_bounded_when_every_agency_follows_one_owner() {
    // 60 agencies, each following agency 0 and three others, at most 16
    // connections a node: 0's node cannot take every follower, which
    // reach it through each other.
    let p = Province {
        popular: true,
        max_connections: 16,
        ..Province::new(60, 3)
    };
    let st = run(&p);
    assert!(st.connections_max <= 16, "{st:?}");
    assert_eq!(st.cut_off, 0, "{st:?}");
    assert_eq!(st.never_visible, 0, "{st:?}");
    assert_eq!(st.disagreeing, 0, "{st:?}");
    assert_eq!(st.overbooked, 0, "{st:?}");
    assert!(st.visible_p99_ms < 1_000, "{st:?}");
}

#[test]
fn a_revocation_reaches_every_node_when_connections_are_bounded() {
    // The same bounded province; after the bookings the admin revokes the
    // agency most followed after itself. Every node learns it through the
    // roster's spread over the planned connections, and what the revoked
    // agency writes next is held nowhere.
    let p = Province {
        popular: true,
        max_connections: 16,
        revoke: true,
        ..Province::new(60, 5)
    };
    let st = run(&p);
    assert!(st.revoked_followers >= 3, "a followed agency: {st:?}");
    assert_eq!(st.revocation_unseen, 0, "{st:?}");
    assert!(st.revoked_request_made, "{st:?}");
    assert_eq!(st.revoked_request_held, 0, "{st:?}");
    assert_eq!(st.disagreeing, 0, "{st:?}");
    assert_eq!(st.overbooked, 0, "{st:?}");
    assert!(st.connections_max <= 16, "{st:?}");
}
