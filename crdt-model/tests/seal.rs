//! Sealed periods: a replica that sealed the documents of months long past
//! shows the same calendars from the cut on as one that did not, serves the
//! sealed changes back, takes their duplicates as duplicates, and brings
//! them back when a late change touches them.

use std::collections::BTreeMap;
use std::sync::Arc;

use crdt_model::ids::{BookingId, DocId, DocKind, shard_of};
use crdt_model::ledger::{IngestReport, Ledger};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Rng, Sim};
use jiff::SignedDuration;

mod common;
use common::history::{MemArchive, views};
use common::months::{
    DAY, assert_same_from_cut, beside_full, confirm_raw, cut_of, months, replica,
};
use common::{START, book, hour, publish};

#[test]
fn sealing_changes_nothing_from_the_cut_on() {
    let mut sealed_total = 0;
    for seed in 0..6 {
        let (roster, changes, end) = months(seed);
        let cut = cut_of(end);
        let (full, _) = replica(&roster, changes.clone());
        let (mut sealed, _) = replica(&roster, changes.clone());
        let outcome = sealed.seal(cut).expect("archive readable");
        sealed_total += outcome.docs.len();
        assert_eq!(outcome.docs.len(), sealed.sealed().len());
        for doc in &outcome.docs {
            assert!(doc.shard < shard_of(cut), "{doc} is of a month not ended");
            assert!(sealed.docs().get(doc).is_none(), "{doc} still in memory");
        }
        assert!(
            sealed.index().requests.len() < full.index().requests.len() || outcome.docs.is_empty()
        );
        assert_same_from_cut(&views(&full), &views(&sealed), cut, seed);
        // Every replica still sees that it holds the sealed changes, and
        // gets them back as they were.
        assert_eq!(full.heads(), sealed.heads(), "seed {seed}");
        for doc in &outcome.docs {
            assert_eq!(
                full.changes_of(doc).unwrap(),
                sealed.changes_of(doc).unwrap(),
                "seed {seed}: {doc} served back"
            );
        }
        // Sent again, they are duplicates and bring nothing back.
        let again = sealed.ingest(changes);
        assert!(again.accepted.is_empty() && again.refused.is_empty());
        assert_eq!(sealed.sealed().len(), outcome.docs.len());
        // The owners number their next decisions after the sealed ones.
        for rid in full.index().resources.keys() {
            assert_eq!(
                full.index().next_decision_seq(rid),
                sealed.index().next_decision_seq(rid),
                "seed {seed}: {rid}"
            );
        }
        // A copy read from the archive shows the whole past again.
        let copy = sealed.unsealed_copy().expect("archive readable");
        assert_eq!(views(&copy), views(&full), "seed {seed}");
        assert_eq!(sealed.sealed().len(), outcome.docs.len());
    }
    assert!(sealed_total > 0, "no seed sealed anything");
}

#[test]
fn a_late_decision_on_a_sealed_booking_brings_the_past_back() {
    let (mut tried, mut unsealed) = (0, 0);
    for seed in 10..16 {
        let (roster, changes, end) = months(seed);
        let cut = cut_of(end);
        // A decisions document of an early month is late to one replica.
        let Some(late_doc): Option<DocId> = changes
            .iter()
            .map(|c| c.doc.clone())
            .find(|d| d.kind == DocKind::Decisions && d.shard < shard_of(cut))
        else {
            continue;
        };
        let (late, early): (Vec<_>, Vec<_>) = changes.into_iter().partition(|c| c.doc == late_doc);
        let (mut full, _) = replica(&roster, early.iter().chain(&late).cloned().collect());
        let (mut sealed, archive) = replica(&roster, early);
        let outcome = sealed.seal(cut).expect("archive readable");
        if outcome.docs.is_empty() {
            continue;
        }
        tried += 1;
        let report = sealed.ingest(late.clone());
        assert_eq!(report.accepted.len(), late.len(), "seed {seed}");
        archive.store(&report.accepted);
        // Brought back if it touched them; either way the replica shows
        // what one that never sealed shows, from the cut on and (read back
        // from the store) before it.
        if sealed.sealed().is_empty() {
            unsealed += 1;
            assert_eq!(views(&sealed), views(&full), "seed {seed}");
        }
        assert_same_from_cut(&views(&full), &views(&sealed), cut, seed);
        let copy = sealed.unsealed_copy().expect("archive readable");
        assert_eq!(views(&copy), views(&full), "seed {seed}");
        assert_eq!(sealed.heads(), full.heads());
        // Sealing again at the same cut gives the same calendars from the
        // cut on as the replica that never sealed.
        sealed.seal(cut).expect("archive readable");
        assert_same_from_cut(&views(&full), &views(&sealed), cut, seed);
        let _ = full.ingest(Vec::new());
        let mut r = IngestReport::default();
        sealed.unseal_all(&mut r);
        assert_eq!(views(&sealed), views(&full), "seed {seed}");
    }
    assert!(tried > 0, "no seed had a late decisions document to test");
    assert!(unsealed > 0, "no late document touched what was sealed");
}

#[test]
fn a_late_request_for_a_sealed_time_brings_the_past_back() {
    // A member cut off for months asks, late, for a room at a time another
    // replica has sealed: that replica must read it against the sealed
    // bookings, as a replica that never sealed does.
    let mut sim = Sim::new(3, 3, START);
    let id = publish(&mut sim, 0, "r", Capacity::Units(1), Approval::Automatic);
    sim.run_until_quiet(10_000);
    // Day 2 after the start, 2 hours (`book` counts hours from day 1).
    book(&mut sim, 1, &id, 24, 26, 1).expect("booked");
    sim.run_until_quiet(10_000);
    sim.partition(&[2]);
    book(&mut sim, 2, &id, 24, 26, 1).expect("booked");
    sim.run_until_quiet(10_000);
    sim.advance(DAY * 100);
    book(&mut sim, 1, &id, 24 * 101, 24 * 101 + 2, 1).expect("booked");
    sim.run_until_quiet(10_000);
    let late: Vec<SignedChange> = sim
        .engine(2)
        .ledger()
        .all_changes()
        .unwrap()
        .into_iter()
        .filter(|c| c.doc.owner == sim.id(2) && c.doc.kind == DocKind::Requests)
        .collect();
    assert_eq!(late.len(), 1);
    let (_, mut sealed, archive, cut) = beside_full(&sim);
    let (full, _) = replica(
        sealed.roster(),
        sim.engine(0)
            .ledger()
            .all_changes()
            .unwrap()
            .into_iter()
            .chain(late.iter().cloned())
            .collect(),
    );
    assert!(
        !sealed.sealed().is_empty(),
        "the first month's booking is sealed"
    );
    assert!(sealed.seal_cut().is_some_and(|c| c <= cut));
    assert_eq!(sealed.index().requests.len(), 1);
    let report = sealed.ingest(late);
    archive.store(&report.accepted);
    assert_eq!(report.accepted.len(), 1);
    assert!(report.touched.contains(&id));
    assert!(sealed.sealed().is_empty(), "the past came back");
    assert_eq!(sealed.index().requests.len(), 3);
    assert_eq!(views(&sealed), views(&full));
    let cal = &views(&sealed)[&id];
    assert_eq!(
        cal.confirmed.len(),
        2,
        "the sealed booking still holds its slot"
    );
}

#[test]
fn a_store_loaded_with_its_sealed_notes_shows_what_it_showed() {
    let (mut tried, mut stale_tried) = (0, 0);
    for seed in 0..6 {
        let (roster, changes, end) = months(seed);
        let cut = cut_of(end);
        let (full, _) = replica(&roster, changes.clone());
        let (mut sealed, archive) = replica(&roster, changes.clone());
        sealed.seal(cut).expect("archive readable");
        if sealed.sealed().is_empty() {
            continue;
        }
        tried += 1;
        let me = *roster.members().keys().next().unwrap();
        let notes = sealed.sealed().clone();
        let open = |notes: &BTreeMap<DocId, crdt_model::ledger::SealedDoc>| {
            changes
                .iter()
                .filter(|c| notes.get(&c.doc).is_none_or(|n| c.number() > n.len))
                .cloned()
                .collect::<Vec<_>>()
        };
        // A node loading its store: the open documents' changes, then the
        // notes.
        let mut loaded = Ledger::new(roster.clone()).with_archive(archive.clone(), me);
        loaded.ingest_stored(open(&notes));
        loaded.restore_sealed(cut, notes.clone());
        assert_eq!(loaded.heads(), full.heads(), "seed {seed}");
        assert_eq!(views(&loaded), views(&sealed), "seed {seed}");
        // A change stored past a sealed document's note (it arrived, and
        // the node stopped before it could forget the note) brings the
        // sealed documents back when the store is loaded.
        let Some((doc, n)) = notes.iter().find(|(_, n)| n.len >= 2) else {
            continue;
        };
        stale_tried += 1;
        let mut stale = notes.clone();
        stale.insert(
            doc.clone(),
            crdt_model::ledger::SealedDoc {
                len: n.len - 1,
                ..n.clone()
            },
        );
        let mut loaded = Ledger::new(roster.clone()).with_archive(archive.clone(), me);
        loaded.ingest_stored(open(&stale));
        loaded.restore_sealed(cut, stale);
        assert!(loaded.sealed().is_empty(), "seed {seed}: brought back");
        assert_eq!(views(&loaded), views(&full), "seed {seed}");
    }
    assert!(tried > 0 && stale_tried > 0, "{tried} {stale_tried}");
}

#[test]
fn revoking_a_writer_of_sealed_documents_reads_as_on_a_replica_that_never_sealed() {
    let mut tried = 0;
    for seed in 0..4 {
        let (roster, changes, end) = months(seed);
        let cut = cut_of(end);
        let (mut full, _) = replica(&roster, changes.clone());
        let (mut sealed, _) = replica(&roster, changes.clone());
        sealed.seal(cut).expect("archive readable");
        let Some(writer) = sealed
            .sealed()
            .keys()
            .map(|d| d.owner)
            .find(|a| *a != crdt_model::sim::test_key(0).id())
        else {
            continue;
        };
        tried += 1;
        // Revoked with nothing of its own kept: its changes are withdrawn.
        let cutoffs = full
            .heads()
            .into_iter()
            .filter(|(d, _)| d.owner == writer)
            .map(|(d, _)| (d, 0))
            .collect();
        // Agency 0 of the simulated network is its admin.
        let mut clock = crdt_model::hlc::HlcClock::new();
        let key = crdt_model::sim::test_key(0);
        let revoke = roster.clone().act(
            &key,
            clock.tick(end.as_millisecond()),
            crdt_model::membership::RosterAction::Revoke {
                agency: writer,
                reason: "test".into(),
                cutoffs,
            },
        );
        let (a, errs, _) = full.add_roster_events(vec![revoke.clone()]);
        assert!(a && errs.is_empty(), "{errs:?}");
        let (b, _, _) = sealed.add_roster_events(vec![revoke]);
        assert!(b);
        assert!(sealed.sealed().keys().all(|d| d.owner != writer));
        assert_same_from_cut(&views(&full), &views(&sealed), cut, seed);
        assert_eq!(full.heads(), sealed.heads(), "seed {seed}");
    }
    assert!(tried > 0, "no seed sealed another agency's documents");
}

#[test]
fn changes_waiting_for_earlier_ones_read_as_if_nothing_was_sealed() {
    // Some document's first change is missing, so its next ones wait; the
    // replica seals meanwhile (unless a waiting change would touch what it
    // seals), then the gap closes.
    let mut sealed_with_a_gap = 0;
    for seed in 0..6 {
        let (roster, changes, end) = months(seed);
        let cut = cut_of(end);
        let (full, _) = replica(&roster, changes.clone());
        let Some(doc) = changes
            .iter()
            .find(|c| c.number() == 2 && c.doc.kind != DocKind::Catalog)
            .map(|c| c.doc.clone())
        else {
            continue;
        };
        let archive = Arc::new(MemArchive::default());
        let me = *roster.members().keys().next().expect("a member");
        let mut ledger = Ledger::new(roster.clone()).with_archive(archive.clone(), me);
        let (first, held): (Vec<SignedChange>, Vec<SignedChange>) = changes
            .iter()
            .cloned()
            .partition(|c| c.doc == doc && c.number() == 1);
        let report = ledger.ingest(held);
        archive.store(&report.accepted);
        assert!(ledger.pending_len() > 0);
        let outcome = ledger.seal(cut).expect("archive readable");
        sealed_with_a_gap += outcome.docs.len();
        assert!(outcome.docs.iter().all(|d| *d != doc));
        let report = ledger.ingest(first);
        archive.store(&report.accepted);
        assert_eq!(ledger.pending_len(), 0);
        assert_eq!(ledger.heads(), full.heads(), "seed {seed}");
        assert_same_from_cut(&views(&full), &views(&ledger), cut, seed);
        let copy = ledger.unsealed_copy().expect("archive readable");
        assert_eq!(views(&copy), views(&full), "seed {seed}");
    }
    assert!(sealed_with_a_gap > 0);
}

#[test]
fn sealing_between_deliveries_in_any_order_shows_what_a_replica_that_never_sealed_shows() {
    // The changes arrive in a random order, in random batches (so some
    // wait for earlier ones, and late ones touch what was sealed); the
    // replica seals after every batch. At the end it shows, from the cut
    // on, what a replica that never sealed shows, holds the same heads, and
    // a copy of it read back from its store shows everything the same.
    let mut sealed_at_some_point = 0;
    for seed in 20..30 {
        let (roster, mut changes, end) = months(seed);
        let cut = cut_of(end);
        let (full, _) = replica(&roster, changes.clone());
        let mut rng = Rng::new(seed);
        for i in (1..changes.len()).rev() {
            changes.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let archive = Arc::new(MemArchive::default());
        let me = *roster.members().keys().next().expect("a member");
        let mut ledger = Ledger::new(roster.clone()).with_archive(archive.clone(), me);
        let mut rest = changes.as_slice();
        while !rest.is_empty() {
            let n = (1 + rng.below(40) as usize).min(rest.len());
            let (batch, tail) = rest.split_at(n);
            rest = tail;
            let report = ledger.ingest(batch.to_vec());
            assert!(
                report.refused.is_empty(),
                "seed {seed}: {:?}",
                report.refused
            );
            archive.store(&report.accepted);
            let outcome = ledger.seal(cut).expect("archive readable");
            sealed_at_some_point += outcome.docs.len();
        }
        assert_eq!(ledger.pending_len(), 0, "seed {seed}");
        assert_eq!(ledger.heads(), full.heads(), "seed {seed}");
        assert_same_from_cut(&views(&full), &views(&ledger), cut, seed);
        let copy = ledger.unsealed_copy().expect("archive readable");
        assert_eq!(views(&copy), views(&full), "seed {seed}");
    }
    assert!(sealed_at_some_point > 0);
}

#[test]
fn a_booking_a_kept_decision_overlaps_is_not_sealed() {
    // A decision without a request (as a trip's or a hold's confirmation
    // is) that overlaps a booking long past and runs past the cut: the
    // booking must stay in memory, or the decision would read as fitting.
    let mut sim = Sim::new(4, 2, START);
    let rid = publish(&mut sim, 0, "r", Capacity::Units(1), Approval::Automatic);
    sim.run_until_quiet(10_000);
    let a = book(&mut sim, 1, &rid, 24, 48, 1).expect("booked");
    sim.run_until_quiet(10_000);
    sim.advance(DAY * 100);
    let hold = BookingId::new(sim.id(0), "long-hold").unwrap();
    let start = hour(26);
    confirm_raw(&mut sim, &rid, hold, start, hour(24 * 119));
    let (full, sealed, _, cut) = beside_full(&sim);
    assert!(
        sealed.index().requests.get(&a).is_some(),
        "kept: overlapped"
    );
    assert_same_from_cut(&views(&full), &views(&sealed), cut, 4);
}

#[test]
fn a_booking_named_by_a_decision_on_another_resource_is_not_sealed() {
    // An owner's decision on one of its rooms names another room's
    // booking, long past: every replica reads it as not matching its
    // request. Sealed, the request would be gone and the decision would
    // read as a confirmation from the cut on.
    let mut sim = Sim::new(5, 2, START);
    let id1 = publish(&mut sim, 0, "r1", Capacity::Units(1), Approval::Automatic);
    let id2 = publish(&mut sim, 0, "r2", Capacity::Units(1), Approval::Automatic);
    sim.run_until_quiet(10_000);
    let b = book(&mut sim, 1, &id1, 24, 48, 1).expect("booked");
    sim.run_until_quiet(10_000);
    sim.advance(DAY * 100);
    let now = sim.now();
    confirm_raw(
        &mut sim,
        &id2,
        b.clone(),
        now,
        now + SignedDuration::from_hours(2),
    );
    let (full, sealed, _, cut) = beside_full(&sim);
    assert!(sealed.index().requests.get(&b).is_some(), "kept: named");
    assert_same_from_cut(&views(&full), &views(&sealed), cut, 5);
}
