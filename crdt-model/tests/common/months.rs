//! Five months of random bookings for the sealing tests, the replicas
//! they load into, and what a calendar shows from a seal cut on.

use std::collections::BTreeMap;
use std::sync::Arc;

use crdt_model::calendar::{Booking, ResourceCalendar};
use crdt_model::engine::{LocalOp, LocalOutcome};
use crdt_model::ids::{BookingId, DocId, ResourceId, shard_of};
use crdt_model::ledger::Ledger;
use crdt_model::membership::Roster;
use crdt_model::record::Record;
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Rng, Sim};
use jiff::{SignedDuration, Timestamp};

use super::START;
use super::history::{MemArchive, random_rooms};

/// A day, in milliseconds.
pub(crate) const DAY: i64 = 86_400_000;

/// Five months of bookings on three rooms (some of them weeks long, across
/// months), with cancellations and decisions; the roster, every change,
/// and the time the history ended.
pub(crate) fn months(seed: u64) -> (Roster, Vec<SignedChange>, Timestamp) {
    let mut rng = Rng::new(seed);
    let agencies = 3;
    let mut sim = Sim::new(seed, agencies, START);
    let rooms = random_rooms(&mut sim, &mut rng, agencies, (2, 0.7));
    let mut made: Vec<(usize, BookingId)> = Vec::new();
    for _month in 0..5 {
        for _ in 0..40 {
            let node = rng.below(agencies as u64) as usize;
            let now = sim.now().as_millisecond();
            match rng.below(7) {
                0..=3 => {
                    let (rid, _) = rooms[rng.below(3) as usize].clone();
                    let start = now + DAY * (1 + rng.below(20) as i64) + 3_600_000 * 9;
                    let long = rng.chance(0.1);
                    let len = if long {
                        DAY * (5 + rng.below(30) as i64)
                    } else {
                        3_600_000 * (1 + rng.below(3) as i64)
                    };
                    let op = LocalOp::Book {
                        wait_list: false,
                        resource: rid,
                        start: Timestamp::from_millisecond(start).unwrap(),
                        end: Timestamp::from_millisecond(start + len).unwrap(),
                        quantity: 1 + rng.below(2) as u32,
                        contact: String::new(),
                        purpose: String::new(),
                    };
                    if let Ok(LocalOutcome::Booking(b)) = sim.local(node, op) {
                        made.push((node, b.id));
                    }
                }
                4 => {
                    // Mostly a recent booking, sometimes one long past.
                    let recent = made.len().saturating_sub(15);
                    let from = if rng.chance(0.9) { recent } else { 0 };
                    let pick = from + rng.below((made.len() - from).max(1) as u64) as usize;
                    if let Some((n, b)) = made.get(pick).cloned() {
                        let op = LocalOp::Cancel {
                            booking: b,
                            reason: String::new(),
                        };
                        let _ = sim.local(n, op);
                    }
                }
                _ => {
                    let (rid, owner) = rooms[rng.below(3) as usize].clone();
                    let first = sim
                        .engine(owner)
                        .calendar(&rid)
                        .and_then(|c| c.tentative.first())
                        .map(|b| b.id.clone());
                    if let Some(t) = first {
                        let op = LocalOp::Decide {
                            booking: t,
                            approve: rng.chance(0.6),
                            reason: None,
                        };
                        let _ = sim.local(owner, op);
                    }
                }
            }
            if rng.chance(0.3) {
                sim.run_until_quiet(rng.below(100) as usize);
            }
        }
        sim.run_until_quiet(1_000_000);
        sim.advance(DAY * 30);
    }
    sim.run_until_quiet(1_000_000);
    let e = sim.engine(0);
    let changes = e.ledger().all_changes().expect("in memory");
    (e.ledger().roster().clone(), changes, sim.now())
}

/// A replica holding `changes`, its archive holding them too.
pub(crate) fn replica(roster: &Roster, changes: Vec<SignedChange>) -> (Ledger, Arc<MemArchive>) {
    let archive = Arc::new(MemArchive::default());
    let me = roster.members().keys().next().expect("a member");
    let mut ledger = Ledger::new(roster.clone()).with_archive(archive.clone(), *me);
    let report = ledger.ingest(changes);
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    archive.store(&report.accepted);
    (ledger, archive)
}

pub(crate) fn cut_of(end: Timestamp) -> Timestamp {
    end - SignedDuration::from_hours(24 * crdt_model::ledger::SEAL_AFTER_DAYS)
}

/// What a calendar shows from `cut` on: each booking ending at or after
/// it, with its state, and the decision numbering.
pub(crate) fn from_cut(
    cal: &ResourceCalendar,
    cut: Timestamp,
) -> (Vec<(&'static str, BookingId)>, u64) {
    let lists: [(&'static str, &Vec<Booking>); 6] = [
        ("confirmed", &cal.confirmed),
        ("tentative", &cal.tentative),
        ("rejected", &cal.rejected),
        ("cancelled", &cal.cancelled),
        ("void", &cal.void),
        ("to_release", &cal.to_release),
    ];
    let mut shown: Vec<_> = lists
        .iter()
        .flat_map(|(name, l)| {
            l.iter()
                .filter(|b| b.terms.end >= cut)
                .map(|b| (*name, b.id.clone()))
        })
        .collect();
    shown.sort();
    (shown, cal.next_decision)
}

pub(crate) fn assert_same_from_cut(
    a: &BTreeMap<ResourceId, ResourceCalendar>,
    b: &BTreeMap<ResourceId, ResourceCalendar>,
    cut: Timestamp,
    seed: u64,
) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (rid, cal) in a {
        assert_eq!(
            from_cut(cal, cut),
            from_cut(&b[rid], cut),
            "seed {seed}: {rid} differs from the cut on"
        );
        assert_eq!(cal.waiting_for_decision, b[rid].waiting_for_decision);
    }
}

/// Node 0, owner of `resource`, confirms `booking` over `start..end` with
/// its next decision number, now, as a decision written without its
/// engine's checks (a booking with no request, as a trip's or a hold's).
pub(crate) fn confirm_raw(
    sim: &mut Sim,
    resource: &ResourceId,
    booking: BookingId,
    start: Timestamp,
    end: Timestamp,
) {
    let decision = crdt_model::booking::Decision {
        resource: resource.clone(),
        author: sim.id(0),
        seq: sim.engine(0).ledger().index().next_decision_seq(resource),
        booking,
        terms: crdt_model::booking::Terms {
            start,
            end,
            quantity: 1,
        },
        verdict: crdt_model::booking::Verdict::Confirm,
        hlc: crdt_model::hlc::Hlc {
            wall_ms: sim.now().as_millisecond(),
            counter: 0,
        },
        by: None,
    };
    let doc = DocId::decisions(sim.id(0), shard_of(sim.now()));
    sim.write_unchecked(0, doc, vec![Record::Decision(decision)])
        .expect("written");
    sim.run_until_quiet(10_000);
}

/// Node 0's changes in a replica that never sealed and in one that sealed
/// at the cut of now (with its archive), and the cut.
pub(crate) fn beside_full(sim: &Sim) -> (Ledger, Ledger, Arc<MemArchive>, Timestamp) {
    let changes = sim.engine(0).ledger().all_changes().expect("in memory");
    let roster = sim.engine(0).ledger().roster().clone();
    let (full, _) = replica(&roster, changes.clone());
    let (mut sealed, archive) = replica(&roster, changes);
    let cut = cut_of(sim.now());
    sealed.seal(cut).expect("archive readable");
    (full, sealed, archive, cut)
}
