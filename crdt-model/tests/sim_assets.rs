//! The warehouse (公物仓) in the deterministic simulator: loans with
//! handover, receipt and return; damaged units out of service until
//! repaired; disposal; transfers of a whole asset or of some units across
//! partitions, with a former owner that keeps deciding, and to an agency
//! that did not follow the owner; inventory counts.
//! Every replica shows the same units, the same loans and the same owner,
//! whatever the delivery order, and available units are never negative.

use crdt_model::asset::{
    Disposal, HeldFor, InventoryQuery, InventoryRow, Loan, LoanFilter, LoanStatus, TransferFilter,
    TransferStatus, UnitState, attr,
};
use crdt_model::booking::{Decision, Terms, Verdict};
use crdt_model::calendar::Anomaly;
use crdt_model::engine::{AssetOp, LocalError, LocalOp, LocalOutcome};
use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, ResourceId, shard_of};
use crdt_model::query::{BookingFilter, Query, ResourceFilter};
use crdt_model::record::Record;
use crdt_model::resource::{Approval, Capacity, Resource, ResourceKind};
use crdt_model::sim::{Sim, overbooking, test_resource};
use jiff::Timestamp;
use proptest::prelude::*;

const START: i64 = 1_795_000_000_000; // 2026-11-18
const HOUR: i64 = 3_600_000;

fn at(h: i64) -> Timestamp {
    Timestamp::from_millisecond(START + HOUR * h).expect("instant")
}

/// Agency 0's asset of `units` projectors, tagged P1…Pn.
fn asset(sim: &Sim, local: &str, units: u32, approval: Approval) -> Resource {
    let mut r = test_resource(sim.id(0), local, Capacity::Units(units), approval);
    r.kind = ResourceKind::WarehouseAsset;
    let tags: Vec<String> = (1..=units).map(|i| format!("P{i}")).collect();
    r.attributes.insert(attr::TAGS.into(), tags.join(","));
    r.attributes
        .insert(attr::CATEGORY.into(), "投影设备".into());
    r
}

fn network(seed: u64, units: u32, approval: Approval) -> (Sim, ResourceId) {
    let mut sim = Sim::new(seed, 3, START);
    sim.run_until_quiet(1_000);
    let r = asset(&sim, "proj", units, approval);
    let id = r.id.clone();
    sim.local(0, LocalOp::PutResource(Box::new(r)))
        .expect("publish");
    sim.run_until_quiet(1_000);
    (sim, id)
}

fn book(sim: &mut Sim, who: usize, rid: &ResourceId, from: i64, to: i64, n: u32) -> BookingId {
    match sim.local(
        who,
        LocalOp::Book {
            wait_list: false,
            resource: rid.clone(),
            start: at(from),
            end: at(to),
            quantity: n,
            contact: "李 0571".into(),
            purpose: "培训".into(),
        },
    ) {
        Ok(LocalOutcome::Booking(b)) => b.id,
        other => panic!("a booking: {other:?}"),
    }
}

fn step(sim: &mut Sim, who: usize, op: AssetOp) -> Result<LocalOutcome, LocalError> {
    sim.local(who, LocalOp::Asset(Box::new(op)))
}

fn inventory(sim: &Sim, i: usize, rid: &ResourceId) -> InventoryRow {
    let q = InventoryQuery {
        asset: Some(rid.clone()),
        ..Default::default()
    };
    let mut rows = q.answer(sim.engine(i), sim.now());
    assert_eq!(rows.len(), 1, "node {i} lists {rid} once");
    rows.remove(0)
}

fn loans(sim: &Sim, i: usize, f: LoanFilter) -> Vec<Loan> {
    f.answer(sim.engine(i), sim.now())
}

/// Every replica: the same units, loans, offers and calendars; nothing
/// overbooked.
fn assert_agree(sim: &Sim, rid: &ResourceId) {
    let first = (
        inventory(sim, 0, rid),
        loans(sim, 0, LoanFilter::default()),
        TransferFilter::default().answer(sim.engine(0), sim.now()),
        sim.engine(0).calendar(rid).cloned(),
    );
    for i in 1..3 {
        let this = (
            inventory(sim, i, rid),
            loans(sim, i, LoanFilter::default()),
            TransferFilter::default().answer(sim.engine(i), sim.now()),
            sim.engine(i).calendar(rid).cloned(),
        );
        assert_eq!(first, this, "node 0 and {i} disagree");
    }
    for (i, cals) in sim.views() {
        let resources = &sim.engine(i).ledger().index().resources;
        assert_eq!(overbooking(resources, cals), 0, "node {i} overbooked");
        // Confirmed units and units out of service together never exceed
        // the asset's units, at any instant.
        for (rid, cal) in cals {
            let Some(r) = resources.get(rid) else {
                continue;
            };
            let mut events: Vec<(Timestamp, i64)> = Vec::new();
            for b in &cal.confirmed {
                let u = i64::from(r.capacity.usage(b.terms.quantity));
                events.extend([(b.terms.start, u), (b.terms.end, -u)]);
            }
            for h in &cal.holds {
                events.push((h.from, i64::from(h.units)));
            }
            events.sort();
            let mut cur = 0;
            for (_, d) in events {
                cur += d;
                assert!(
                    cur <= i64::from(r.capacity.limit()),
                    "node {i}: {rid} holds {cur} units"
                );
            }
        }
    }
}

/// Borrow 3 of 5, hand over, countersign, overdue, return with one damaged:
/// 4 available everywhere, and a request for 5 is refused; repaired: 5.
#[test]
fn a_damaged_return_takes_a_unit_out_until_it_is_repaired() {
    let (mut sim, rid) = network(1, 5, Approval::Automatic);
    let loan = book(&mut sim, 1, &rid, 2, 5, 3);
    sim.run_until_quiet(1_000);
    let l = &loans(&sim, 1, LoanFilter::default())[0];
    assert_eq!((l.status, l.units), (LoanStatus::Booked, 3));

    // Only the owner hands over; only the borrower countersigns.
    let handover = |tags: &[&str]| AssetOp::Handover {
        booking: loan.clone(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        note: "完好".into(),
    };
    assert!(matches!(
        step(&mut sim, 1, handover(&["P1"])),
        Err(LocalError::NotAllowed(_))
    ));
    assert!(matches!(
        step(&mut sim, 0, handover(&["P9"])),
        Err(LocalError::Warehouse(_))
    ));
    step(&mut sim, 0, handover(&["P1", "P2", "P3"])).expect("handover");
    let receive = AssetOp::Receive {
        booking: loan.clone(),
    };
    assert!(
        step(&mut sim, 0, receive.clone()).is_err(),
        "not the borrower"
    );
    sim.run_until_quiet(1_000);
    step(&mut sim, 1, receive).expect("countersigned");
    sim.run_until_quiet(1_000);
    assert_agree(&sim, &rid);
    assert_eq!(inventory(&sim, 2, &rid).on_loan, 3);

    // Past its end and still out: overdue, on every replica.
    sim.advance(6 * HOUR);
    sim.run_until_quiet(1_000);
    for i in 0..3 {
        let overdue = loans(
            &sim,
            i,
            LoanFilter {
                overdue: true,
                ..Default::default()
            },
        );
        assert_eq!(overdue.len(), 1, "node {i}");
        assert_eq!(overdue[0].status, LoanStatus::Received);
    }

    // A partial return is refused; all three back, one damaged.
    let ret = |units, damaged| AssetOp::Return {
        booking: loan.clone(),
        units,
        damaged,
        damaged_tags: vec!["P2".into()],
        note: "镜头裂".into(),
    };
    assert!(matches!(
        step(&mut sim, 0, ret(2, 0)),
        Err(LocalError::Warehouse(_))
    ));
    assert!(step(&mut sim, 1, ret(3, 1)).is_err(), "only the owner");
    step(&mut sim, 0, ret(3, 1)).expect("returned");
    sim.run_until_quiet(1_000);
    assert_agree(&sim, &rid);
    for i in 0..3 {
        let row = inventory(&sim, i, &rid);
        assert_eq!(
            (row.total, row.available, row.on_loan, row.damaged),
            (5, 4, 0, 1),
            "node {i}: {row:?}"
        );
        assert!(
            loans(
                &sim,
                i,
                LoanFilter {
                    overdue: true,
                    ..Default::default()
                }
            )
            .is_empty()
        );
    }

    // The owner's policy refuses a request for 5 (only 4 are whole).
    let five = book(&mut sim, 2, &rid, 10, 12, 5);
    sim.run_until_quiet(1_000);
    let b = sim.engine(2).booking(&five).expect("known");
    assert_eq!(b.status.label(), "rejected", "{b:?}");

    // Repaired (修旧利废): 5 again everywhere, and 5 can be booked.
    // Each tagged unit's condition, on every replica.
    let state = |sim: &Sim, tag: &str| {
        let row = inventory(sim, 2, &rid);
        let owners = inventory(sim, 0, &rid);
        assert_eq!(
            row.units, owners.units,
            "the owner and node 2 see the same units"
        );
        row.units.iter().find(|u| u.tag == tag).map(|u| u.state)
    };
    assert_eq!(state(&sim, "P2"), Some(UnitState::Damaged));
    assert_eq!(state(&sim, "P1"), Some(UnitState::Good));
    let repair = |units| AssetOp::Repair {
        resource: rid.clone(),
        units,
        tags: vec![],
        start: false,
    };
    // Sent to be repaired: under repair, still out.
    step(
        &mut sim,
        0,
        AssetOp::Repair {
            resource: rid.clone(),
            units: 1,
            tags: vec!["P2".into()],
            start: true,
        },
    )
    .expect("under repair");
    sim.run_until_quiet(1_000);
    assert_eq!(state(&sim, "P2"), Some(UnitState::UnderRepair));
    assert_eq!(
        (
            inventory(&sim, 1, &rid).available,
            inventory(&sim, 1, &rid).under_repair
        ),
        (4, 1)
    );
    assert!(matches!(
        step(&mut sim, 0, repair(2)),
        Err(LocalError::Warehouse(_))
    ));
    step(&mut sim, 0, repair(1)).expect("repaired");
    sim.run_until_quiet(1_000);
    assert_agree(&sim, &rid);
    assert_eq!(inventory(&sim, 1, &rid).available, 5);
    assert_eq!(state(&sim, "P2"), Some(UnitState::Good));
    let again = book(&mut sim, 2, &rid, 10, 12, 5);
    sim.run_until_quiet(1_000);
    assert_eq!(
        sim.engine(1).booking(&again).expect("known").status.label(),
        "confirmed"
    );
}

/// Disposal takes units out for good, damaged ones first; a count shows
/// the discrepancy against the ledger.
#[test]
fn disposal_and_inventory_counts() {
    let (mut sim, rid) = network(2, 5, Approval::Automatic);
    let dispose = |units| AssetOp::Dispose {
        resource: rid.clone(),
        units,
        tags: vec![],
        reason: "报废".into(),
        method: Disposal::Auction,
    };
    assert!(step(&mut sim, 1, dispose(1)).is_err(), "only the owner");
    assert!(matches!(
        step(&mut sim, 0, dispose(6)),
        Err(LocalError::Warehouse(_))
    ));
    step(&mut sim, 0, dispose(2)).expect("disposed");
    // A confirmed booking ahead that no longer fits is released.
    let ahead = book(&mut sim, 1, &rid, 20, 22, 3);
    sim.run_until_quiet(1_000);
    assert_eq!(
        sim.engine(1).booking(&ahead).expect("known").status.label(),
        "confirmed"
    );
    step(&mut sim, 0, dispose(1)).expect("disposed");
    sim.run_until_quiet(1_000);
    assert_agree(&sim, &rid);
    let row = inventory(&sim, 2, &rid);
    assert_eq!((row.available, row.disposed), (2, 3), "{row:?}");
    assert_ne!(
        sim.engine(1).booking(&ahead).expect("known").status.label(),
        "confirmed",
        "3 units are no longer there"
    );
    let cal = sim.engine(2).calendar(&rid).expect("calendar");
    assert!(cal.holds.iter().all(|h| h.reason
        == HeldFor::Disposed {
            method: Disposal::Auction
        }));

    step(
        &mut sim,
        0,
        AssetOp::Count {
            resource: rid.clone(),
            counted: 1,
            note: "清查".into(),
        },
    )
    .expect("counted");
    sim.run_until_quiet(1_000);
    assert_agree(&sim, &rid);
    let row = inventory(&sim, 1, &rid);
    assert_eq!(
        (row.expected, row.counted, row.discrepancy),
        (2, Some(1), Some(-1))
    );
}

/// Whole-asset transfer across a partition: the old owner cannot decide
/// once it offered; a decision it publishes anyway after the receiver
/// accepted counts on no replica, the receiver's does, in every delivery
/// order.
fn transfer_scenario(seed: u64) {
    let (mut sim, rid) = network(seed, 2, Approval::Required);
    let a = book(&mut sim, 1, &rid, 30, 32, 1);
    let b = book(&mut sim, 1, &rid, 40, 42, 2);
    sim.run_until_quiet(1_000);
    let to = sim.id(2);
    let offer = match step(
        &mut sim,
        0,
        AssetOp::Offer {
            resource: rid.clone(),
            to,
            units: None,
            note: "闲置调剂".into(),
        },
    ) {
        Ok(LocalOutcome::Transfer(t)) => *t,
        other => panic!("an offer: {other:?}"),
    };
    assert_eq!(offer.status, TransferStatus::Pending);
    // Frozen for its owner until the receiver answers.
    let decide = |booking: &BookingId| LocalOp::Decide {
        booking: booking.clone(),
        approve: true,
        reason: None,
    };
    assert!(matches!(
        sim.local(0, decide(&a)),
        Err(LocalError::Decide(_))
    ));
    sim.run_until_quiet(1_000);

    sim.partition(&[0]);
    step(
        &mut sim,
        2,
        AssetOp::Answer {
            resource: rid.clone(),
            seq: offer.seq,
            accept: true,
        },
    )
    .expect("accepted");
    sim.local(2, decide(&a)).expect("the new owner decides");
    // Behind the partition the old owner publishes a decision anyway.
    let rogue = Record::Decision(Decision {
        by: None,
        resource: rid.clone(),
        author: sim.id(0),
        seq: offer.seq + 1,
        booking: b.clone(),
        terms: Terms {
            start: at(40),
            end: at(42),
            quantity: 2,
        },
        verdict: Verdict::Confirm,
        hlc: Hlc {
            wall_ms: START + 10 * HOUR,
            counter: 0,
        },
    });
    let doc = DocId::decisions(sim.id(0), shard_of(sim.now()));
    sim.write_unchecked(0, doc, vec![rogue]).expect("written");
    sim.run_for(HOUR, 10_000);
    sim.heal();
    sim.run_until_quiet(10_000);

    assert_agree(&sim, &rid);
    for i in 0..3 {
        let e = sim.engine(i);
        let cal = e.calendar(&rid).expect("calendar");
        assert_eq!(cal.owner, Some(to), "node {i}");
        assert!(cal.confirmed.iter().any(|x| x.id == a), "node {i}");
        assert!(!cal.confirmed.iter().any(|x| x.id == b), "node {i}: rogue");
        assert!(
            cal.anomalies
                .iter()
                .any(|x| matches!(x, Anomaly::NotOwner { booking, .. } if *booking == b)),
            "node {i}: {:?} {:?} {:?}",
            cal.anomalies,
            e.ledger().index().decisions.get(&rid),
            e.ledger().index().later_decisions.get(&rid)
        );
        let r = &e.ledger().index().resources[&rid];
        assert_eq!((r.owner(), r.id.owner), (to, sim.id(0)), "node {i}");
    }
    assert!(matches!(
        sim.local(0, decide(&b)),
        Err(LocalError::NotAllowed(_))
    ));
    // The full history stays readable under the same id.
    let all = BookingFilter {
        resource: Some(rid.clone()),
        ..Default::default()
    }
    .answer(sim.engine(1), sim.now());
    assert_eq!(all.len(), 2);
}

/// The receiver follows neither the owner nor its city: the catalogue
/// names it as offered the asset, so it follows the owner from then on,
/// sees the offer and answers it.
#[test]
fn an_agency_that_does_not_follow_the_owner_sees_its_offer_and_answers_it() {
    let links = [(0, 1), (0, 2), (1, 2)];
    let follows = vec![crdt_model::interest::Follows::defaults(); 3];
    let mut sim = Sim::with_links(5, 3, START, &links, follows);
    sim.run_until_quiet(1_000);
    let r = asset(&sim, "proj", 2, Approval::Required);
    let rid = r.id.clone();
    sim.local(0, LocalOp::PutResource(Box::new(r)))
        .expect("publish");
    sim.run_until_quiet(1_000);
    let (owner, to) = (sim.id(0), sim.id(2));
    assert!(
        !sim.engine(2).follows_owner(&owner),
        "not followed at first"
    );
    let pending = TransferFilter {
        mine: true,
        pending: true,
    };
    assert!(pending.answer(sim.engine(2), sim.now()).is_empty());
    let offer = match step(
        &mut sim,
        0,
        AssetOp::Offer {
            resource: rid.clone(),
            to,
            units: None,
            note: "闲置调剂".into(),
        },
    ) {
        Ok(LocalOutcome::Transfer(t)) => *t,
        other => panic!("an offer: {other:?}"),
    };
    sim.run_until_quiet(10_000);
    assert!(
        sim.engine(2).follows_owner(&owner),
        "the offer brings the owner"
    );
    let seen = pending.answer(sim.engine(2), sim.now());
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].to, seen[0].seq), (to, offer.seq));
    step(
        &mut sim,
        2,
        AssetOp::Answer {
            resource: rid.clone(),
            seq: offer.seq,
            accept: true,
        },
    )
    .expect("accepted");
    sim.run_until_quiet(10_000);
    for i in [0, 2] {
        let cal = sim.engine(i).calendar(&rid).expect("calendar");
        assert_eq!(cal.owner, Some(to), "node {i}");
    }
    // The new owner's entry names no one.
    let r = &sim.engine(2).ledger().index().resources[&rid];
    assert_eq!(r.owner(), to);
    assert!(!r.attributes.contains_key(attr::OFFERED_TO), "{r:?}");
}

#[test]
fn a_transfer_leaves_exactly_one_owner_whatever_the_delivery_order() {
    for seed in 0..12 {
        transfer_scenario(seed);
    }
}

/// Some units offered: held at once, the receiver's new asset on acceptance,
/// given back on refusal.
#[test]
fn units_offered_are_held_until_declined_or_become_the_receivers() {
    let (mut sim, rid) = network(5, 5, Approval::Automatic);
    let offer = |units| AssetOp::Offer {
        resource: rid.clone(),
        to: sim.id(1),
        units: Some(units),
        note: String::new(),
    };
    let (o1, o2) = (offer(2), offer(1));
    let seq = |o: LocalOutcome| match o {
        LocalOutcome::Transfer(t) => t.seq,
        other => panic!("{other:?}"),
    };
    let first = seq(step(&mut sim, 0, o1).expect("offered"));
    let second = seq(step(&mut sim, 0, o2).expect("offered"));
    sim.run_until_quiet(1_000);
    assert_eq!(inventory(&sim, 2, &rid).available, 2);
    let answer = |seq, accept| AssetOp::Answer {
        resource: rid.clone(),
        seq,
        accept,
    };
    assert!(
        step(&mut sim, 2, answer(first, true)).is_err(),
        "not offered to 2"
    );
    step(&mut sim, 1, answer(first, true)).expect("accepted");
    step(&mut sim, 1, answer(second, false)).expect("declined");
    assert!(step(&mut sim, 1, answer(second, true)).is_err(), "answered");
    sim.run_until_quiet(1_000);
    assert_agree(&sim, &rid);
    let row = inventory(&sim, 0, &rid);
    assert_eq!((row.available, row.transferred), (3, 2), "{row:?}");
    // Agency 1 owns a new asset of 2 units that says where they came from.
    let theirs: Vec<Resource> = ResourceFilter {
        owner: Some(sim.id(1)),
        ..Default::default()
    }
    .answer(sim.engine(2), sim.now())
    .expect("resources");
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].capacity, Capacity::Units(2));
    assert_eq!(theirs[0].attributes.get(attr::FROM), Some(&rid.to_string()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any mix of loans, damaged returns, repairs and disposals, in any
    /// delivery order: available units are never negative, never more than
    /// the units left, and every replica agrees.
    #[test]
    fn available_units_are_never_negative(
        seed in 0u64..1_000,
        ops in proptest::collection::vec((0u8..4, 1u32..4), 1..10),
    ) {
        let (mut sim, rid) = network(seed, 4, Approval::Automatic);
        let mut hour = 2;
        for (op, n) in ops {
            match op {
                0 => {
                    let id = book(&mut sim, 1 + (n as usize % 2), &rid, hour, hour + 1, n);
                    sim.run_until_quiet(1_000);
                    let _ = step(&mut sim, 0, AssetOp::Handover { booking: id.clone(), tags: vec![], note: String::new() });
                    sim.run_until_quiet(1_000);
                    let _ = step(&mut sim, 0, AssetOp::Return { booking: id, units: n, damaged: n / 2, damaged_tags: vec![], note: String::new() });
                }
                1 => { let _ = step(&mut sim, 0, AssetOp::Repair { resource: rid.clone(), units: n, tags: vec![], start: n == 2 }); }
                2 => { let _ = step(&mut sim, 0, AssetOp::Dispose { resource: rid.clone(), units: 1, tags: vec![], reason: String::new(), method: Disposal::Recycle }); }
                _ => { sim.advance(HOUR); }
            }
            hour += 2;
            sim.run_until_quiet(2_000);
            for i in 0..3 {
                let row = inventory(&sim, i, &rid);
                prop_assert!(row.available + row.damaged + row.disposed + row.on_loan <= row.total, "{row:?}");
            }
        }
        sim.run_until_quiet(5_000);
        assert_agree(&sim, &rid);
    }
}

/// An asset given to another agency and given back: its creator accepts it
/// and owns it again, on every node, and decides its bookings again.
#[test]
fn an_asset_given_back_to_its_creator_is_its_creators_again() {
    let (mut sim, rid) = network(41, 2, Approval::Required);
    let (creator, other) = (sim.id(0), sim.id(2));
    let offer_to = |sim: &mut Sim, who: usize, to| match step(
        sim,
        who,
        AssetOp::Offer {
            resource: rid.clone(),
            to,
            units: None,
            note: "调剂".into(),
        },
    ) {
        Ok(LocalOutcome::Transfer(t)) => t.seq,
        other => panic!("an offer: {other:?}"),
    };
    let accept = |sim: &mut Sim, who: usize, seq| {
        step(
            sim,
            who,
            AssetOp::Answer {
                resource: rid.clone(),
                seq,
                accept: true,
            },
        )
        .expect("accepted");
        sim.run_until_quiet(10_000);
    };
    let seq = offer_to(&mut sim, 0, other);
    sim.run_until_quiet(10_000);
    accept(&mut sim, 2, seq);
    let back = offer_to(&mut sim, 2, creator);
    sim.run_until_quiet(10_000);
    accept(&mut sim, 0, back);
    assert_agree(&sim, &rid);
    for i in 0..3 {
        let e = sim.engine(i);
        assert_eq!(
            e.calendar(&rid).and_then(|c| c.owner),
            Some(creator),
            "node {i}"
        );
        assert_eq!(
            e.ledger().index().resources[&rid].owner(),
            creator,
            "node {i}"
        );
    }
    // Its creator decides its bookings again.
    let b = book(&mut sim, 1, &rid, 50, 52, 1);
    sim.run_until_quiet(10_000);
    sim.local(
        0,
        LocalOp::Decide {
            booking: b.clone(),
            approve: true,
            reason: None,
        },
    )
    .expect("the creator decides");
    sim.run_until_quiet(10_000);
    for i in 0..3 {
        let cal = sim.engine(i).calendar(&rid).expect("calendar");
        assert!(cal.confirmed.iter().any(|x| x.id == b), "node {i}");
    }
}
