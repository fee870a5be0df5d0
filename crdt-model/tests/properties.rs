//! Property tests of the ledger and calendar: order-free convergence, the
//! capacity invariant, refusal of forged changes, and save → load round
//! trips.

use std::collections::BTreeMap;

use automerge::{AutoCommit, Change};
use crdt_model::agency::AgencyKey;
use crdt_model::calendar::{ResourceCalendar, advance, calendar_with};
use crdt_model::doc::load_changes;
use crdt_model::ids::{DocId, ResourceId};
use crdt_model::ledger::Ledger;
use crdt_model::membership::Roster;
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Rng, overbooking};
use proptest::prelude::*;

mod common;
use common::history::*;

/// Delivers `batches` to a fresh replica, keeping each calendar current the
/// way the engine does (in place with `advance` where it can, recomputed
/// otherwise), and checks after every batch that each calendar equals its
/// recomputation. Returns how many calendars were advanced in place.
fn keep_calendars(roster: Roster, batches: &[Vec<SignedChange>]) -> Result<usize, TestCaseError> {
    let mut ledger = Ledger::new(roster);
    let mut cals: BTreeMap<ResourceId, ResourceCalendar> = BTreeMap::new();
    let mut advanced = 0;
    for batch in batches {
        let rep = ledger.ingest(batch.clone());
        prop_assert!(rep.refused.is_empty(), "{:?}", rep.refused);
        let (idx, roster) = (ledger.index(), ledger.roster());
        for rid in &rep.touched {
            let full = calendar_with(idx, roster, rid, false);
            if let (Some(cal), Some(delta)) = (cals.get_mut(rid), rep.deltas.get(rid))
                && advance(cal, idx, roster, rid, delta)
            {
                advanced += 1;
                prop_assert_eq!(&*cal, &full, "{} advanced by {:?}", rid, delta);
            } else {
                cals.insert(rid.clone(), full);
            }
        }
    }
    Ok(advanced)
}

fn shuffled<T: Clone>(items: &[T], rng: &mut Rng) -> Vec<T> {
    let mut v = items.to_vec();
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// (a) Replicas with the same changes, delivered in any order, in any
    /// batches, with duplicates, show the same calendars; (b) none of them
    /// ever shows an overbooking, even with only part of the changes.
    #[test]
    fn any_delivery_order_gives_the_same_calendars(seed in 0u64..10_000, agencies in 3usize..8, order_seed in any::<u64>()) {
        let (roster, changes) = history(seed, agencies, 30);
        let mut reference = Ledger::new(roster.clone());
        let rep = reference.ingest(changes.clone());
        prop_assert!(rep.refused.is_empty());
        let expected = views(&reference);
        let mut rng = Rng::new(order_seed);
        let mut replica = Ledger::new(roster);
        let mut order = shuffled(&changes, &mut rng);
        order.extend(shuffled(&changes[..changes.len() / 3], &mut rng));
        let mut rest = order.as_slice();
        while !rest.is_empty() {
            let k = 1 + rng.below(rest.len() as u64) as usize;
            let (now, later) = rest.split_at(k.min(rest.len()).max(1).min(rest.len()));
            let rep = replica.ingest(now.to_vec());
            prop_assert!(rep.refused.is_empty(), "{:?}", rep.refused);
            let partial = views(&replica);
            prop_assert_eq!(overbooking(&replica.index().resources, &partial), 0);
            rest = later;
        }
        prop_assert_eq!(replica.pending_len(), 0);
        prop_assert_eq!(views(&replica), expected);
        prop_assert_eq!(replica.heads(), reference.heads());
    }

    /// (g) A calendar brought forward in place by what each delivery added
    /// is the calendar recomputed from the whole history, whatever the
    /// order and batching of the deliveries.
    #[test]
    fn calendars_advanced_in_place_equal_recomputed_ones(seed in 0u64..10_000, agencies in 3usize..6, order_seed in any::<u64>()) {
        let (roster, changes) = history(seed, agencies, 30);
        let mut rng = Rng::new(order_seed);
        let order = if rng.chance(0.5) { changes } else { shuffled(&changes, &mut rng) };
        let mut batches = Vec::new();
        let mut rest = order.as_slice();
        while !rest.is_empty() {
            let k = (1 + rng.below(4) as usize).min(rest.len());
            batches.push(rest[..k].to_vec());
            rest = &rest[k..];
        }
        keep_calendars(roster, &batches)?;
    }

    /// (c) Forged, unknown-signer and tampered changes are refused and leave
    /// the calendars unchanged.
    #[test]
    fn forged_changes_are_refused_and_change_nothing(seed in 0u64..10_000, which in 0usize..1000, flip in 0usize..64) {
        let (roster, changes) = history(seed, 3, 10);
        let mut ledger = Ledger::new(roster);
        ledger.ingest(changes.clone());
        let before = views(&ledger);
        let victim = changes[which % changes.len()].clone();
        // A flipped signature bit.
        let mut bad_sig = victim.clone();
        bad_sig.sig[flip] ^= 1;
        // Re-signed by a non-member, claiming to be the owner.
        let outsider = AgencyKey::from_secret(&[0xEE; 32]);
        let change = Change::from_bytes(victim.change.clone()).unwrap();
        let mut impostor = SignedChange::sign(&outsider, victim.doc.clone(), &change);
        impostor.signer = victim.signer;
        // Correctly signed by a non-member in its own name.
        let stranger = SignedChange::sign(&outsider, victim.doc.clone(), &change);
        // Moved to another document (the signature binds the document).
        let mut moved = victim.clone();
        moved.doc = DocId { shard: victim.doc.shard + 1, ..victim.doc.clone() };
        // Garbage bytes.
        let mut garbage = victim.clone();
        garbage.change = vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3];
        let fresh = Ledger::new(ledger.roster().clone());
        for (name, forged) in [("sig", bad_sig), ("impostor", impostor), ("stranger", stranger), ("moved", moved), ("garbage", garbage)] {
            let mut l = fresh.clone();
            let rep = l.ingest(vec![forged.clone()]);
            prop_assert!(rep.accepted.is_empty(), "{} accepted", name);
            let rep = ledger.ingest(vec![forged]);
            prop_assert!(rep.accepted.is_empty(), "{} accepted", name);
        }
        prop_assert_eq!(views(&ledger), before);
    }

    /// (d) Saving a document with Automerge and loading it back gives the
    /// same changes, which still verify and give the same calendars.
    #[test]
    fn save_load_round_trips(seed in 0u64..10_000) {
        let (roster, changes) = history(seed, 3, 20);
        let mut original = Ledger::new(roster.clone());
        original.ingest(changes);
        let mut restored = Ledger::new(roster);
        for doc in original.docs().keys() {
            let mut am = AutoCommit::new();
            let parsed: Vec<Change> = original.changes_of(doc).expect("in memory").iter().map(|c| Change::from_bytes(c.change.clone()).unwrap()).collect();
            am.apply_changes(parsed).unwrap();
            let saved = am.save();
            let loaded = load_changes(&saved).unwrap();
            prop_assert_eq!(loaded.len(), original.changes_of(doc).expect("in memory").len());
            let envelopes: Vec<SignedChange> = loaded.iter().zip(original.changes_of(doc).expect("in memory")).map(|(c, env)| {
                SignedChange { change: c.raw_bytes().to_vec(), ..env.clone() }
            }).collect();
            for (c, env) in loaded.iter().zip(original.changes_of(doc).expect("in memory")) {
                prop_assert_eq!(c.hash(), Change::from_bytes(env.change.clone()).unwrap().hash(), "{}", doc);
            }
            let rep = restored.ingest(envelopes);
            prop_assert!(rep.refused.is_empty());
        }
        prop_assert_eq!(views(&restored), views(&original));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// (e) The number sent with a change is only a hint: resending held
    /// changes under their own or wrong numbers counts duplicates, and a
    /// tampered change under a held change's number and signature is not
    /// taken for it; nothing changes.
    #[test]
    fn seq_hints_are_only_hints(seed in 0u64..10_000, shift in 0u64..5) {
        let (roster, changes) = history(seed, 3, 20);
        let mut ledger = Ledger::new(roster);
        ledger.ingest(changes);
        let (before, heads) = (views(&ledger), ledger.heads());
        let held: Vec<SignedChange> = ledger.all_changes()
        .expect("in memory");
        prop_assert!(held.iter().all(|c| c.seq > 0));
        let rep = ledger.ingest(held.clone());
        prop_assert_eq!(rep.duplicates, held.len());
        prop_assert!(rep.accepted.is_empty() && rep.refused.is_empty());
        let wrong: Vec<SignedChange> = held
            .iter()
            .map(|c| SignedChange { seq: c.seq + shift + 1, ..c.clone() })
            .collect();
        let rep = ledger.ingest(wrong);
        prop_assert_eq!(rep.duplicates, held.len());
        prop_assert!(rep.accepted.is_empty() && rep.refused.is_empty());
        let mut tampered = held[0].clone();
        let last = tampered.change.len() - 1;
        tampered.change[last] ^= 1;
        let rep = ledger.ingest(vec![tampered]);
        prop_assert!(rep.accepted.is_empty());
        prop_assert_eq!(rep.duplicates, 0);
        prop_assert_eq!(views(&ledger), before);
        prop_assert_eq!(ledger.heads(), heads);
    }

    /// (f) A ledger that leaves change bytes in an archive (as a node does
    /// with its store) shows the same calendars, serves the same changes
    /// (read back from the archive) and still counts resent changes as
    /// duplicates, whatever the delivery order.
    #[test]
    fn an_archive_changes_nothing_but_memory(seed in 0u64..10_000, order_seed in any::<u64>()) {
        let (roster, changes) = history(seed, 4, 30);
        let mut reference = Ledger::new(roster.clone());
        reference.ingest(changes.clone());
        let archive = std::sync::Arc::new(MemArchive::default());
        let own = *roster.members().keys().next().expect("a member");
        let mut archived = Ledger::new(roster).with_archive(archive.clone(), own);
        let mut rng = Rng::new(order_seed);
        for chunk in shuffled(&changes, &mut rng).chunks(7) {
            let rep = archived.ingest(chunk.to_vec());
            archive.store(&rep.accepted);
        }
        prop_assert_eq!(views(&archived), views(&reference));
        prop_assert_eq!(archived.heads(), reference.heads());
        for doc in reference.docs().keys() {
            prop_assert_eq!(
                archived.changes_after(doc, 0, usize::MAX).expect("readable"),
                reference.changes_after(doc, 0, usize::MAX).expect("readable")
            );
        }
        let rep = archived.ingest(changes.clone());
        prop_assert_eq!(rep.duplicates, changes.len());
        prop_assert!(rep.accepted.is_empty() && rep.refused.is_empty());
    }
}

/// Changes delivered one by one in their documents' order (requests, then
/// the owner's decisions) mostly advance calendars in place, and every
/// advanced calendar equals its recomputation.
#[test]
fn calendars_advance_in_place_when_changes_come_in_order() {
    let mut advanced = 0;
    for seed in 0..6 {
        let (roster, changes) = history(seed, 3, 30);
        let batches: Vec<Vec<SignedChange>> = changes.into_iter().map(|c| vec![c]).collect();
        advanced += keep_calendars(roster, &batches).unwrap();
    }
    assert!(advanced > 20, "only {advanced} calendars advanced in place");
}
