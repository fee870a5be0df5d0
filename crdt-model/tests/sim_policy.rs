//! The owner's policy over time, in the deterministic simulator: waiting
//! lists (promotion when capacity frees, expiry at the start), check-in
//! and the release of no-shows, and the owner's hold of several resources
//! for an event. Every replica shows the same outcome and the same reason,
//! whatever the delivery order, and capacity is never exceeded.

use crdt_model::booking::{ReleaseWhy, Status};
use crdt_model::calendar::{Booking, fits};
use crdt_model::engine::{LocalError, LocalOp, LocalOutcome};
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::query::{HoldsQuery, Query};
use crdt_model::resource::{Approval, Capacity, Resource};
use crdt_model::sim::{Sim, overbooking, test_resource};
use jiff::Timestamp;
use proptest::prelude::*;

const START: i64 = 1_795_000_000_000; // 2026-11-18, virtual
const MINUTE: i64 = 60_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millisecond(START + MINUTE * minutes).expect("instant")
}

/// Three agencies; agency 0 publishes the resources `make` gives.
fn network(seed: u64, make: impl Fn(&Sim) -> Vec<Resource>) -> Sim {
    let mut sim = Sim::new(seed, 3, START);
    sim.run_until_quiet(1_000);
    for r in make(&sim) {
        sim.local(0, LocalOp::PutResource(Box::new(r)))
            .expect("publish");
    }
    sim.run_until_quiet(1_000);
    sim
}

fn room(sim_owner: &Sim, local: &str) -> Resource {
    test_resource(
        sim_owner.id(0),
        local,
        Capacity::People(10),
        Approval::Automatic,
    )
}

fn request(rid: &ResourceId, from: i64, to: i64, wait_list: bool) -> LocalOp {
    LocalOp::Book {
        resource: rid.clone(),
        start: at(from),
        end: at(to),
        quantity: 1,
        contact: String::new(),
        purpose: String::new(),
        wait_list,
    }
}

fn book(sim: &mut Sim, who: usize, rid: &ResourceId, span: (i64, i64), wait: bool) -> BookingId {
    match sim.local(who, request(rid, span.0, span.1, wait)) {
        Ok(LocalOutcome::Booking(b)) => b.id,
        other => panic!("a booking: {other:?}"),
    }
}

fn status(sim: &Sim, i: usize, id: &BookingId) -> Status {
    sim.engine(i).booking(id).expect("known").status
}

/// The same status on every replica; returns it.
fn agreed(sim: &Sim, id: &BookingId) -> Status {
    let s = status(sim, 0, id);
    for i in 1..3 {
        assert_eq!(status(sim, i, id), s, "node {i} disagrees on {id}");
    }
    s
}

/// Every replica: the same calendars, nothing overbooked, no confirmed
/// booking inside an event's hold.
fn assert_agree(sim: &Sim) {
    let first = sim.engine(0).calendars().clone();
    for (i, cals) in sim.views() {
        assert_eq!(&first, cals, "node {i} disagrees");
        let resources = &sim.engine(i).ledger().index().resources;
        assert_eq!(overbooking(resources, cals), 0, "node {i} overbooked");
        for cal in cals.values() {
            for h in cal.holds.iter().filter(|h| h.until.is_some()) {
                let until = h.until.expect("filtered");
                assert!(
                    !cal.confirmed
                        .iter()
                        .any(|b| b.terms.overlaps(h.from, until)),
                    "node {i}: a confirmed booking inside a hold"
                );
            }
        }
    }
}

/// A waiting request is confirmed when the booking ahead is cancelled; a
/// plain request for a full slot is rejected; a waiting one still waiting
/// at its start expires.
#[test]
fn the_waiting_list_is_served_in_order_when_capacity_frees_and_expires_at_the_start() {
    let mut sim = network(3, |sim| vec![room(sim, "r1")]);
    let rid = room(&sim, "r1").id;
    let first = book(&mut sim, 1, &rid, (600, 720), false);
    sim.run_until_quiet(1_000);
    // Asked one after the other (each seen by all before the next).
    let waiting = book(&mut sim, 2, &rid, (600, 720), true);
    sim.run_until_quiet(1_000);
    let plain = book(&mut sim, 2, &rid, (660, 720), false);
    sim.run_until_quiet(1_000);
    let later = book(&mut sim, 1, &rid, (630, 700), true);
    sim.run_until_quiet(1_000);
    assert_eq!(agreed(&sim, &first), Status::Confirmed);
    assert!(matches!(
        agreed(&sim, &waiting),
        Status::Tentative { waiting: true, .. }
    ));
    assert!(matches!(agreed(&sim, &plain), Status::Rejected { .. }));
    assert!(matches!(
        agreed(&sim, &later),
        Status::Tentative { waiting: true, .. }
    ));

    // The first cancels: the first waiting request in line gets the room,
    // the later one keeps waiting.
    sim.local(
        1,
        LocalOp::Cancel {
            booking: first.clone(),
            reason: String::new(),
        },
    )
    .expect("cancel");
    sim.run_until_quiet(1_000);
    assert_eq!(agreed(&sim, &waiting), Status::Confirmed);
    assert!(matches!(
        agreed(&sim, &later),
        Status::Tentative { waiting: true, .. }
    ));
    assert_agree(&sim);

    // Its start comes with nothing freed: expired, with the reason.
    sim.run_for(631 * MINUTE, 100_000);
    sim.run_until_quiet(1_000);
    match agreed(&sim, &later) {
        Status::Rejected { reason, .. } => assert!(reason.en.contains("expired"), "{reason:?}"),
        other => panic!("expired: {other:?}"),
    }
    assert_agree(&sim);
}

/// A booking not checked in within the resource's minutes is released as a
/// no-show (the waiting request behind it confirmed); one checked in
/// stays. Check-in is refused to others, too early, and twice.
#[test]
fn a_booking_not_checked_in_is_released_as_a_no_show_and_frees_the_slot() {
    let mut sim = network(5, |sim| {
        let mut r = room(sim, "r2");
        r.rules.checkin_minutes = 15;
        vec![r]
    });
    let rid = room(&sim, "r2").id;
    let absent = book(&mut sim, 1, &rid, (120, 240), false);
    let kept = book(&mut sim, 2, &rid, (300, 360), false);
    sim.run_until_quiet(1_000);
    let behind = book(&mut sim, 2, &rid, (150, 240), true);
    sim.run_until_quiet(1_000);
    assert!(matches!(
        agreed(&sim, &behind),
        Status::Tentative { waiting: true, .. }
    ));

    let checkin = |b: &BookingId| LocalOp::CheckIn { booking: b.clone() };
    assert!(
        matches!(sim.local(1, checkin(&kept)), Err(LocalError::NotAllowed(_))),
        "only the requester checks in"
    );
    assert!(
        matches!(sim.local(2, checkin(&kept)), Err(LocalError::Invalid(_))),
        "too early"
    );

    // 16 minutes after the start, nobody checked in.
    sim.run_for(136 * MINUTE, 100_000);
    sim.run_until_quiet(1_000);
    assert_eq!(
        agreed(&sim, &absent),
        Status::Released {
            why: ReleaseWhy::NoShow
        }
    );
    assert_eq!(agreed(&sim, &behind), Status::Confirmed);
    assert_agree(&sim);

    // The other checks in in time: it stays confirmed past the minutes.
    sim.run_for(150 * MINUTE, 100_000);
    sim.local(2, checkin(&kept)).expect("checked in");
    assert!(matches!(
        sim.local(2, checkin(&kept)),
        Err(LocalError::Invalid(_))
    ));
    sim.run_until_quiet(1_000);
    sim.run_for(30 * MINUTE, 100_000);
    sim.run_until_quiet(1_000);
    assert_eq!(agreed(&sim, &kept), Status::Confirmed);
    for i in 0..3 {
        assert!(
            sim.engine(i)
                .booking(&kept)
                .expect("known")
                .checked_in
                .is_some()
        );
    }
    assert_agree(&sim);
}

/// The owner holds two rooms for an emergency: the confirmed bookings in
/// the way are released with the reason, alternatives are never inside the
/// hold, bookings outside stay, and new requests inside are rejected.
#[test]
fn an_owners_hold_releases_the_bookings_in_its_way_with_the_reason() {
    let mut sim = network(7, |sim| ["ra", "rb", "rc"].map(|l| room(sim, l)).to_vec());
    let (ra, rb) = (room(&sim, "ra").id, room(&sim, "rb").id);
    let on_a = book(&mut sim, 1, &ra, (120, 240), false);
    let on_b = book(&mut sim, 2, &rb, (120, 180), false);
    let outside = book(&mut sim, 1, &ra, (400, 460), false);
    sim.run_until_quiet(1_000);
    let hold = |who: usize, sim: &mut Sim| {
        sim.local(
            who,
            LocalOp::Hold {
                resources: vec![ra.clone(), rb.clone()],
                start: at(60),
                end: at(300),
                reason: crdt_model::agency::Text::new("防汛应急指挥", "flood emergency"),
            },
        )
    };
    assert!(matches!(hold(1, &mut sim), Err(LocalError::NotAllowed(_))));
    hold(0, &mut sim).expect("held");
    sim.run_until_quiet(1_000);
    for id in [&on_a, &on_b] {
        match agreed(&sim, id) {
            Status::Released {
                why:
                    ReleaseWhy::Withdrawn {
                        reason,
                        alternatives,
                    },
            } => {
                assert_eq!(reason.en, "flood emergency");
                for alt in &alternatives {
                    let held = alt.resource == ra || alt.resource == rb;
                    assert!(
                        !(held && alt.start < at(300) && at(60) < alt.end),
                        "alternative inside the hold: {alt:?}"
                    );
                }
            }
            other => panic!("withdrawn: {other:?}"),
        }
    }
    assert_eq!(agreed(&sim, &outside), Status::Confirmed);
    let inside = book(&mut sim, 2, &ra, (200, 260), false);
    sim.run_until_quiet(1_000);
    assert!(matches!(agreed(&sim, &inside), Status::Rejected { .. }));
    let holds = HoldsQuery::default().answer(sim.engine(2), sim.now());
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert!(holds.iter().all(|h| h.released.len() == 1));
    assert_agree(&sim);
}

/// One random action of the property test.
#[derive(Clone, Debug)]
enum Act {
    Book {
        who: usize,
        from: i64,
        len: i64,
        units: u32,
        wait: bool,
    },
    Cancel {
        who: usize,
        nth: usize,
    },
    CheckIn {
        who: usize,
        nth: usize,
    },
    Partition(usize),
    Heal,
    Run(i64),
    /// Minutes of virtual time (starts pass, check-in minutes run out).
    Later(i64),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (1usize..3, 0i64..8, 1i64..4, 1u32..3, any::<bool>()).prop_map(
            |(who, from, len, units, wait)| Act::Book {
                who,
                from: 20 + from * 20,
                len: len * 30,
                units,
                wait,
            }
        ),
        2 => (1usize..3, 0usize..8).prop_map(|(who, nth)| Act::Cancel { who, nth }),
        2 => (1usize..3, 0usize..8).prop_map(|(who, nth)| Act::CheckIn { who, nth }),
        1 => (10i64..120).prop_map(Act::Later),
        1 => (0usize..3).prop_map(Act::Partition),
        1 => Just(Act::Heal),
        2 => (1i64..400).prop_map(Act::Run),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random requests (some on the waiting list), cancellations and
    /// check-ins on a resource that asks for them within 30 minutes, as
    /// time passes, across partitions, in any delivery order: every
    /// replica agrees, capacity holds, and once all is delivered no waiting
    /// request that would fit is left waiting, none waits past its start,
    /// and no booking runs past its check-in minutes without a check-in.
    #[test]
    fn waiting_lists_promote_the_same_way_everywhere(
        seed in 0u64..1_000,
        acts in proptest::collection::vec(act(), 1..30),
    ) {
        let pool = |sim: &Sim| {
            let mut r = test_resource(sim.id(0), "pool", Capacity::Units(2), Approval::Automatic);
            r.rules.checkin_minutes = 30;
            r
        };
        let mut sim = network(seed, |sim| vec![pool(sim)]);
        let rid = pool(&sim).id;
        let mut mine: [Vec<BookingId>; 3] = Default::default();
        for a in acts {
            match a {
                Act::Book { who, from, len, units, wait } => {
                    let op = LocalOp::Book {
                        resource: rid.clone(),
                        start: at(from),
                        end: at(from + len),
                        quantity: units,
                        contact: String::new(),
                        purpose: String::new(),
                        wait_list: wait,
                    };
                    if let Ok(LocalOutcome::Booking(b)) = sim.local(who, op) {
                        mine[who].push(b.id);
                    }
                }
                Act::Cancel { who, nth } => {
                    if let Some(id) = mine[who].get(nth).cloned() {
                        let _ = sim.local(who, LocalOp::Cancel { booking: id, reason: String::new() });
                    }
                }
                Act::CheckIn { who, nth } => {
                    if let Some(id) = mine[who].get(nth).cloned() {
                        let _ = sim.local(who, LocalOp::CheckIn { booking: id });
                    }
                }
                Act::Partition(i) => sim.partition(&[i]),
                Act::Heal => sim.heal(),
                Act::Run(ms) => { sim.run_for(ms, 10_000); }
                Act::Later(m) => { sim.run_for(m * MINUTE, 100_000); }
            }
        }
        sim.heal();
        sim.run_until_quiet(100_000);
        // One more round of the owner's policy after everything arrived.
        sim.run_for(31_000, 100_000);
        sim.run_until_quiet(100_000);
        assert_agree(&sim);
        let cal = sim.engine(0).calendar(&rid).expect("calendar").clone();
        let cap = Capacity::Units(2);
        let waiting: Vec<&Booking> = cal
            .tentative
            .iter()
            .filter(|b| matches!(b.status, Status::Tentative { waiting: true, .. }))
            .collect();
        for b in waiting {
            prop_assert!(!fits(&cal, cap, &b.terms, 0), "{} fits but still waits", b.id);
        }
        let undecided = cal
            .tentative
            .iter()
            .filter(|b| !matches!(b.status, Status::Tentative { waiting: true, .. }))
            .count();
        prop_assert_eq!(undecided, 0, "only waiting requests stay undecided");
        let now = sim.now();
        for b in &cal.tentative {
            prop_assert!(b.terms.start > now, "{} waits past its start", b.id);
        }
        let index = sim.engine(0).ledger().index();
        for b in &cal.confirmed {
            let asked = index.requests.get(&b.id).map_or(0, |r| r.hlc.wall_ms / 1000);
            let due = b.terms.start.as_second().max(asked) + 30 * 60;
            let running = due <= now.as_second() && now < b.terms.end;
            prop_assert!(
                !running || index.checkins.contains_key(&b.id),
                "{} runs past its check-in minutes without one",
                b.id
            );
        }

    }
}

/// A series may skip as many conflicting dates as the larger of the
/// resource's count and share allow: 2 of 4 with 50 %, none with 25 %.
#[test]
fn a_series_skips_up_to_the_conflict_share_then_is_rejected_whole() {
    for (percent, confirmed) in [(50, 2), (25, 0)] {
        let mut sim = network(11, |sim| {
            let mut r = room(sim, "rs");
            r.rules.max_conflict_percent = percent;
            vec![r]
        });
        let rid = room(&sim, "rs").id;
        // Two weekly dates taken (the 2nd and 4th of the series).
        for week in [1, 3] {
            let from = 600 + week * 7 * 24 * 60;
            book(&mut sim, 1, &rid, (from, from + 60), false);
        }
        sim.run_until_quiet(1_000);
        let first = match sim.local(
            2,
            LocalOp::BookSeries {
                resource: rid.clone(),
                start: at(600),
                end: at(660),
                quantity: 1,
                contact: String::new(),
                purpose: String::new(),
                repeat: "FREQ=WEEKLY;COUNT=4".into(),
            },
        ) {
            Ok(LocalOutcome::Booking(b)) => b.id,
            other => panic!("a series: {other:?}"),
        };
        sim.run_until_quiet(1_000);
        let all = crdt_model::query::SeriesQuery { id: first }
            .answer(sim.engine(2), sim.now())
            .expect("the series");
        assert_eq!(all.len(), 4);
        let ok = all.iter().filter(|b| b.status == Status::Confirmed).count();
        assert_eq!(ok, confirmed, "{percent} %: {all:?}");
        assert_agree(&sim);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Weekly series and single bookings from two agencies on one room
    /// (one skip allowed), across partitions, in any delivery order:
    /// every replica agrees, nothing is overbooked, and each series is
    /// either rejected whole or skips at most one date, the others
    /// confirmed.
    #[test]
    fn series_outcomes_are_the_same_everywhere_and_within_the_limit(
        seed in 0u64..1_000,
        asks in proptest::collection::vec((1usize..3, 0i64..4, 0i64..3, any::<bool>()), 1..10),
        cut in proptest::option::of(0usize..3),
    ) {
        let mut sim = network(seed, |sim| {
            let mut r = room(sim, "weekly");
            r.rules.max_conflicts = 1;
            vec![r]
        });
        let rid = room(&sim, "weekly").id;
        if let Some(i) = cut {
            sim.partition(&[i]);
        }
        let mut series = Vec::new();
        for (who, week, hour, repeat) in asks {
            let from = 600 + week * 7 * 24 * 60 + hour * 60;
            let op = if repeat {
                LocalOp::BookSeries {
                    resource: rid.clone(),
                    start: at(from),
                    end: at(from + 60),
                    quantity: 1,
                    contact: String::new(),
                    purpose: String::new(),
                    repeat: "FREQ=WEEKLY;COUNT=3".into(),
                }
            } else {
                request(&rid, from, from + 60, false)
            };
            if let Ok(LocalOutcome::Booking(b)) = sim.local(who, op)
                && repeat
            {
                series.push((who, b.id));
            }
            sim.run_for(50, 1_000);
        }
        sim.heal();
        sim.run_until_quiet(100_000);
        assert_agree(&sim);
        for (who, first) in series {
            let all = crdt_model::query::SeriesQuery { id: first }
                .answer(sim.engine(who), sim.now())
                .expect("the series");
            prop_assert_eq!(all.len(), 3);
            let confirmed = all.iter().filter(|b| b.status == Status::Confirmed).count();
            let rejected = all.iter().filter(|b| matches!(b.status, Status::Rejected { .. })).count();
            prop_assert_eq!(confirmed + rejected, 3, "all decided: {:?}", all);
            prop_assert!(confirmed == 0 || rejected <= 1, "{} skipped of 3", rejected);
        }
    }
}

/// The owner's policy and the replay judge an overlap alike to the
/// nanosecond: a request overlapping a confirmed booking by less than a
/// second is refused, not confirmed (the policy once rounded to whole
/// seconds, confirmed it, saw the replay refuse its confirmation and
/// confirmed it again, without end).
#[test]
fn an_overlap_of_less_than_a_second_is_refused() {
    let mut sim = network(5, |s| {
        vec![test_resource(
            s.id(0),
            "room",
            Capacity::People(2),
            Approval::Automatic,
        )]
    });
    let rid = ResourceId::new(sim.id(0), "room").expect("id");
    let ms = |m: i64, extra: i64| {
        Timestamp::from_millisecond(START + MINUTE * m + extra).expect("instant")
    };
    let first = LocalOp::Book {
        resource: rid.clone(),
        start: ms(120, 109),
        end: ms(180, 109),
        quantity: 2,
        contact: String::new(),
        purpose: String::new(),
        wait_list: false,
    };
    let Ok(LocalOutcome::Booking(a)) = sim.local(1, first) else {
        panic!("a booking")
    };
    sim.run_until_quiet(10_000);
    let second = LocalOp::Book {
        resource: rid.clone(),
        start: ms(60, 689),
        end: ms(120, 689),
        quantity: 2,
        contact: String::new(),
        purpose: String::new(),
        wait_list: false,
    };
    let Ok(LocalOutcome::Booking(b)) = sim.local(2, second) else {
        panic!("a booking")
    };
    sim.run_until_quiet(10_000);
    assert_eq!(agreed(&sim, &a.id), Status::Confirmed);
    assert!(
        matches!(agreed(&sim, &b.id), Status::Rejected { .. }),
        "{:?}",
        agreed(&sim, &b.id)
    );
}
