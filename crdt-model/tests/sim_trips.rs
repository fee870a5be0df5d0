//! Trips in the deterministic simulator: a fleet of two vehicles and one
//! driver, requests from two other agencies, dispatch by the owner only,
//! partitions and every delivery order. No vehicle or driver is ever held
//! by two overlapping trips on any replica, every replica shows the same
//! trips, automatic dispatch picks the same pair everywhere, and the
//! lifecycle rules (odometer, maintenance, who may do what) hold.

use crdt_model::agency::Text;
use crdt_model::engine::{LocalError, LocalOp, LocalOutcome, TripCommand, TripDraft};
use crdt_model::fleet::{VehicleClass, attr};
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::query::Query;
use crdt_model::resource::{Approval, Blackout, Capacity, Resource, ResourceKind};
use crdt_model::sim::{Sim, overbooking, test_resource};
use crdt_model::trip::{Trip, TripFilter, TripStatus};
use jiff::Timestamp;
use proptest::prelude::*;

const START: i64 = 1_795_000_000_000; // 2026-11-18
const HOUR: i64 = 3_600_000;

fn at(h: i64) -> Timestamp {
    Timestamp::from_millisecond(START + HOUR * h).expect("instant")
}

fn vehicle(
    sim: &Sim,
    local: &str,
    class: VehicleClass,
    seats: u32,
    approval: Approval,
) -> Resource {
    let mut r = test_resource(sim.id(0), local, Capacity::People(seats), approval);
    r.kind = ResourceKind::Vehicle;
    r.attributes.insert(attr::CLASS.into(), class.to_string());
    r.attributes
        .insert(attr::PLATE.into(), format!("粤B{local}"));
    r
}

fn driver(sim: &Sim, local: &str) -> Resource {
    let mut r = test_resource(sim.id(0), local, Capacity::People(1), Approval::Required);
    r.kind = ResourceKind::Driver;
    r.attributes.insert(attr::LICENCE.into(), "B2".into());
    r
}

/// Agency 0 owns two vans (manual dispatch) and one driver; 1 and 2 are staff.
/// (The property test adds a second driver.)
fn fleet(seed: u64, approval: Approval) -> (Sim, [ResourceId; 3]) {
    let mut sim = Sim::new(seed, 3, START);
    sim.run_until_quiet(1_000);
    let v1 = vehicle(&sim, "van-1", VehicleClass::Van, 7, approval);
    let v2 = vehicle(&sim, "van-2", VehicleClass::Van, 7, approval);
    let d = driver(&sim, "drv-zhang");
    let ids = [v1.id.clone(), v2.id.clone(), d.id.clone()];
    for r in [v1, v2, d] {
        sim.local(0, LocalOp::PutResource(Box::new(r)))
            .expect("publish");
    }
    sim.run_until_quiet(1_000);
    (sim, ids)
}

fn request(sim: &mut Sim, who: usize, from: i64, to: i64) -> Trip {
    let owner = sim.id(0);
    let out = sim.local(
        who,
        LocalOp::RequestTrip(Box::new(TripDraft {
            owner,
            class: Some(VehicleClass::Van),
            vehicle: None,
            start: at(from),
            end: at(to),
            passengers: 5,
            destination: "广州".into(),
            purpose: "调研".into(),
            contact: "王 0755".into(),
        })),
    );
    match out {
        Ok(LocalOutcome::Trip(t)) => *t,
        other => panic!("a trip: {other:?}"),
    }
}

fn step(
    sim: &mut Sim,
    who: usize,
    trip: &BookingId,
    command: TripCommand,
) -> Result<Trip, LocalError> {
    match sim.local(
        who,
        LocalOp::Trip {
            trip: trip.clone(),
            command,
        },
    )? {
        LocalOutcome::Trip(t) => Ok(*t),
        other => panic!("a trip: {other:?}"),
    }
}

fn dispatch(v: &ResourceId, d: &ResourceId) -> TripCommand {
    TripCommand::Dispatch {
        vehicle: v.clone(),
        driver: d.clone(),
    }
}

fn trips(sim: &Sim, i: usize) -> Vec<Trip> {
    TripFilter::default().answer(sim.engine(i), sim.now())
}

/// Every replica: same trips, same calendars, nothing overbooked.
fn assert_agree(sim: &Sim) {
    let first = trips(sim, 0);
    for i in 1..3 {
        assert_eq!(first, trips(sim, i), "node 0 and {i} show different trips");
    }
    for (i, cals) in sim.views() {
        let res = &sim.engine(i).ledger().index().resources;
        assert_eq!(overbooking(res, cals), 0, "node {i} double-assigns");
    }
}

#[test]
fn the_driver_is_never_dispatched_twice_and_the_refusal_says_why() {
    let (mut sim, [v1, v2, d]) = fleet(1, Approval::Required);
    let a = request(&mut sim, 1, 30, 34);
    let b = request(&mut sim, 2, 32, 36);
    assert_eq!(a.status, TripStatus::Requested);
    sim.run_until_quiet(1_000);
    let pending = TripFilter {
        pending: true,
        ..Default::default()
    }
    .answer(sim.engine(0), sim.now());
    assert_eq!(pending.len(), 2, "both wait for the owner");
    // Only the owner dispatches.
    let e = step(&mut sim, 1, &a.request.id, dispatch(&v1, &d)).expect_err("not the owner");
    assert!(matches!(e, LocalError::NotAllowed(_)), "{e:?}");
    let t = step(&mut sim, 0, &a.request.id, dispatch(&v1, &d)).expect("dispatched");
    assert_eq!(t.status, TripStatus::Dispatched);
    assert_eq!(t.order, Some(1));
    // The other van is free, the only driver is not: refused, saying so.
    let e = step(&mut sim, 0, &b.request.id, dispatch(&v2, &d)).expect_err("driver taken");
    let LocalError::Dispatch(why) = e else {
        panic!("{e:?}")
    };
    assert!(
        why.contains("drv-zhang") && why.contains("already taken"),
        "{why}"
    );
    // Nor may the van already out take the second trip.
    let e = step(&mut sim, 0, &b.request.id, dispatch(&v1, &d)).expect_err("van taken");
    assert!(e.to_string().contains("van-1"), "{e}");
    sim.run_until_quiet(1_000);
    assert_agree(&sim);
    let seen = trips(&sim, 2);
    assert_eq!(seen[0].status, TripStatus::Dispatched);
    assert_eq!(seen[0].vehicle.as_ref(), Some(&v1));
    assert_eq!(seen[1].status, TripStatus::Requested);
}

#[test]
fn a_partition_during_dispatch_changes_nothing() {
    for seed in 0..20 {
        let (mut sim, [v1, v2, d]) = fleet(seed, Approval::Required);
        let a = request(&mut sim, 1, 30, 34);
        sim.run_until_quiet(1_000);
        // The requester is cut off; the owner dispatches; a second request
        // is made behind the partition.
        sim.partition(&[1]);
        step(&mut sim, 0, &a.request.id, dispatch(&v1, &d)).expect("dispatched");
        let b = request(&mut sim, 1, 31, 33);
        sim.run_for(5_000, 10_000);
        sim.heal();
        sim.run_until_quiet(10_000);
        let e = step(&mut sim, 0, &b.request.id, dispatch(&v2, &d)).expect_err("driver taken");
        assert!(matches!(e, LocalError::Dispatch(_)), "seed {seed}: {e:?}");
        assert_agree(&sim);
        let on1 = trips(&sim, 1);
        assert_eq!(on1[0].status, TripStatus::Dispatched, "seed {seed}");
    }
}

#[test]
fn automatic_dispatch_picks_the_same_pair_everywhere() {
    for seed in 0..10 {
        let (mut sim, [v1, v2, d]) = fleet(seed, Approval::Automatic);
        let a = request(&mut sim, 1, 30, 34);
        let b = request(&mut sim, 2, 40, 44);
        let c = request(&mut sim, 2, 41, 42);
        sim.run_until_quiet(10_000);
        assert_agree(&sim);
        let all = trips(&sim, 1);
        let status = |id: &BookingId| {
            all.iter()
                .find(|t| &t.request.id == id)
                .expect("trip")
                .clone()
        };
        // The first van by id and the only driver, for each in turn; the
        // third overlaps the second and the driver is out: it waits.
        assert_eq!(
            status(&a.request.id).vehicle.as_ref(),
            Some(&v1),
            "seed {seed}"
        );
        assert_eq!(status(&a.request.id).driver.as_ref(), Some(&d));
        assert_eq!(status(&b.request.id).status, TripStatus::Dispatched);
        assert_eq!(
            status(&c.request.id).status,
            TripStatus::Requested,
            "seed {seed}"
        );
        let _ = v2;
    }
}

#[test]
fn odometer_maintenance_cancel_and_reject() {
    let (mut sim, [v1, v2, d]) = fleet(3, Approval::Required);
    // Van 2 is in for service during the trip.
    let mut serviced = sim.engine(0).ledger().index().resources[&v2].clone();
    serviced.rules.blackouts.push(Blackout {
        start: at(20),
        end: at(50),
        reason: Text::new("保养", "service"),
    });
    sim.local(0, LocalOp::PutResource(serviced)).expect("edit");
    let a = request(&mut sim, 1, 30, 34);
    sim.run_until_quiet(1_000);
    let e = step(&mut sim, 0, &a.request.id, dispatch(&v2, &d)).expect_err("in service");
    assert!(e.to_string().contains("service"), "{e}");
    // Start needs a dispatch; finish needs a start and a reading not below it.
    assert!(
        step(
            &mut sim,
            0,
            &a.request.id,
            TripCommand::Start { odometer_km: 1 }
        )
        .is_err()
    );
    step(&mut sim, 0, &a.request.id, dispatch(&v1, &d)).expect("dispatched");
    let t = step(
        &mut sim,
        0,
        &a.request.id,
        TripCommand::Start {
            odometer_km: 12_345,
        },
    )
    .expect("out");
    assert_eq!(t.status, TripStatus::Started);
    let low = TripCommand::Finish {
        odometer_km: 12_000,
        fuel_ml: None,
        charge_wh: None,
        note: String::new(),
    };
    let e = step(&mut sim, 0, &a.request.id, low).expect_err("below the start");
    assert!(e.to_string().contains("below"), "{e}");
    let done = TripCommand::Finish {
        odometer_km: 12_530,
        fuel_ml: Some(20_000),
        charge_wh: None,
        note: "顺利".into(),
    };
    let t = step(&mut sim, 0, &a.request.id, done).expect("back");
    assert_eq!(
        (t.status.clone(), t.km()),
        (TripStatus::Finished, Some(185))
    );
    // A cancelled dispatched trip gives its van and driver back.
    let b = request(&mut sim, 2, 60, 64);
    sim.run_until_quiet(1_000);
    step(&mut sim, 0, &b.request.id, dispatch(&v1, &d)).expect("dispatched");
    sim.run_until_quiet(1_000);
    match sim.local(
        2,
        LocalOp::Cancel {
            booking: b.request.id.clone(),
            reason: String::new(),
        },
    ) {
        Ok(LocalOutcome::Trip(t)) => assert_eq!(t.status, TripStatus::Cancelled),
        other => panic!("{other:?}"),
    }
    let c = request(&mut sim, 1, 61, 63);
    sim.run_until_quiet(1_000);
    step(&mut sim, 0, &c.request.id, dispatch(&v1, &d)).expect("free again after the release");
    // A rejection is the owner's, with its reason.
    let r = request(&mut sim, 2, 80, 82);
    sim.run_until_quiet(1_000);
    let t = step(
        &mut sim,
        0,
        &r.request.id,
        TripCommand::Reject {
            reason: Text::new("无空闲车辆", "no vehicle free"),
        },
    )
    .expect("rejected");
    assert!(matches!(t.status, TripStatus::Rejected { .. }));
    sim.run_until_quiet(1_000);
    assert_agree(&sim);
}

/// Whether any vehicle or driver holds two overlapping dispatched trips on
/// node `i`, computed from the trips alone.
fn double_assigned(sim: &Sim, i: usize) -> Option<String> {
    let live: Vec<Trip> = trips(sim, i)
        .into_iter()
        .filter(|t| {
            matches!(
                t.status,
                TripStatus::Dispatched | TripStatus::Started | TripStatus::Finished
            )
        })
        .collect();
    for (n, a) in live.iter().enumerate() {
        for b in &live[n + 1..] {
            let overlap = a.request.start < b.request.end && b.request.start < a.request.end;
            let shared = (a.vehicle.is_some() && a.vehicle == b.vehicle)
                || (a.driver.is_some() && a.driver == b.driver);
            if overlap && shared {
                return Some(format!("{} and {}", a.request.id, b.request.id));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Requests from two agencies, the owner dispatching with any vehicle
    /// and driver while a requester is cut off at random moments, delivered
    /// in the simulator's seeded order: no replica ever shows a vehicle or
    /// a driver on two overlapping trips, and all replicas agree.
    #[test]
    fn no_vehicle_or_driver_is_ever_held_twice(
        seed in 0u64..10_000,
        asked in prop::collection::vec((0i64..30, 1i64..8, 1usize..3), 3..10),
        tries in prop::collection::vec((0usize..10, 0usize..2, 0usize..2, any::<bool>()), 3..16),
    ) {
        let (mut sim, [v1, v2, d1]) = fleet(seed, Approval::Required);
        let d2 = driver(&sim, "drv-li");
        sim.local(0, LocalOp::PutResource(Box::new(d2.clone()))).expect("publish");
        sim.run_until_quiet(1_000);
        let mut ids = Vec::new();
        for (from, len, who) in &asked {
            ids.push(request(&mut sim, *who, 30 + from, 30 + from + len).request.id);
        }
        sim.run_until_quiet(2_000);
        let vehicles = [v1, v2];
        let drivers = [d1, d2.id.clone()];
        for (k, (t, v, d, cut)) in tries.iter().enumerate() {
            if *cut {
                sim.partition(&[1 + k % 2]);
            }
            let trip = &ids[t % ids.len()];
            let done = step(&mut sim, 0, trip, dispatch(&vehicles[*v], &drivers[*d]));
            // Nothing is held yet when the owner first dispatches.
            prop_assert!(k > 0 || done.is_ok(), "{:?}", done);
            sim.run_for(500, 2_000);
            sim.heal();
        }
        sim.run_until_quiet(20_000);
        for i in 0..3 {
            prop_assert_eq!(double_assigned(&sim, i), None, "node {}", i);
        }
        let first = trips(&sim, 0);
        for i in 1..3 {
            prop_assert_eq!(&first, &trips(&sim, i), "node 0 and {} differ", i);
        }
    }
}
