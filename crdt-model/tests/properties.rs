//! Property tests of the ledger and calendar: order-free convergence, the
//! capacity invariant, refusal of forged and unauthorized changes, and
//! save → load round trips.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, Change, ROOT};
use crdt_model::agency::AgencyKey;
use crdt_model::calendar::{ResourceCalendar, advance, calendar, calendar_with};
use crdt_model::doc::{actor_of, load_changes};
use crdt_model::engine::LocalOp;
use crdt_model::ids::{DocId, DocKind, ResourceId};
use crdt_model::ledger::{Archive, ArchiveError, Ledger, RefuseReason};
use crdt_model::membership::Roster;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Rng, Sim, overbooking, test_key, test_resource};
use jiff::Timestamp;
use proptest::prelude::*;

const START: i64 = 1_795_000_000_000;

fn at(h: i64) -> Timestamp {
    Timestamp::from_millisecond(START + 3_600_000 * (24 + h)).unwrap()
}

/// Runs a random history on a connected simulated network and returns the
/// roster and every accepted change (from node 0, which holds them all).
fn history(seed: u64, agencies: usize, steps: usize) -> (Roster, Vec<SignedChange>) {
    let mut rng = Rng::new(seed);
    let mut sim = Sim::new(seed, agencies, START);
    let mut rooms = Vec::new();
    for k in 0..3 {
        let owner = rng.below(agencies as u64) as usize;
        let cap = if k == 0 {
            Capacity::People(8)
        } else {
            Capacity::Units(1 + rng.below(3) as u32)
        };
        let approval = if rng.chance(0.8) {
            Approval::Automatic
        } else {
            Approval::Required
        };
        let r = test_resource(sim.id(owner), &format!("r{k}"), cap, approval);
        rooms.push((r.id.clone(), owner));
        sim.local(owner, LocalOp::PutResource(Box::new(r))).unwrap();
    }
    sim.run_until_quiet(100_000);
    let mut made = Vec::new();
    for _ in 0..steps {
        let node = rng.below(agencies as u64) as usize;
        match rng.below(6) {
            0..=3 => {
                let (rid, _) = rooms[rng.below(3) as usize].clone();
                let from = rng.below(6) as i64;
                let op = LocalOp::Book {
                    resource: rid,
                    start: at(from),
                    end: at(from + 1 + rng.below(2) as i64),
                    quantity: 1 + rng.below(2) as u32,
                    contact: String::new(),
                    purpose: String::new(),
                };
                if let Ok(crdt_model::engine::LocalOutcome::Booking(b)) = sim.local(node, op) {
                    made.push((node, b.id));
                }
            }
            4 => {
                if let Some((n, b)) = made
                    .get(rng.below(made.len().max(1) as u64) as usize)
                    .cloned()
                {
                    let _ = sim.local(
                        n,
                        LocalOp::Cancel {
                            booking: b,
                            reason: String::new(),
                        },
                    );
                }
            }
            _ => {
                let (rid, owner) = rooms[rng.below(3) as usize].clone();
                if let Some(t) = sim
                    .engine(owner)
                    .calendar(&rid)
                    .and_then(|c| c.tentative.first())
                    .map(|b| b.id.clone())
                {
                    let _ = sim.local(
                        owner,
                        LocalOp::Decide {
                            booking: t,
                            approve: rng.chance(0.5),
                            reason: None,
                        },
                    );
                }
            }
        }
        if rng.chance(0.3) {
            sim.run_until_quiet(rng.below(100) as usize);
        }
    }
    sim.run_until_quiet(1_000_000);
    let e = sim.engine(0);
    let changes = e
        .ledger()
        .docs()
        .values()
        .flat_map(|d| d.changes().expect("in memory"))
        .collect();
    (e.ledger().roster().clone(), changes)
}

fn views(ledger: &Ledger) -> BTreeMap<ResourceId, ResourceCalendar> {
    let idx = ledger.index();
    let ids: std::collections::BTreeSet<ResourceId> = idx
        .resources
        .keys()
        .chain(idx.by_resource.keys())
        .cloned()
        .collect();
    ids.into_iter()
        .map(|r| (r.clone(), calendar(idx, ledger.roster(), &r)))
        .collect()
}

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
        for (doc, log) in original.docs() {
            let mut am = AutoCommit::new();
            let parsed: Vec<Change> = log.changes().expect("in memory").iter().map(|c| Change::from_bytes(c.change.clone()).unwrap()).collect();
            am.apply_changes(parsed).unwrap();
            let saved = am.save();
            let loaded = load_changes(&saved).unwrap();
            prop_assert_eq!(loaded.len(), log.changes().expect("in memory").len());
            let envelopes: Vec<SignedChange> = loaded.iter().zip(log.changes().expect("in memory")).map(|(c, env)| {
                SignedChange { change: c.raw_bytes().to_vec(), ..env.clone() }
            }).collect();
            for (c, env) in loaded.iter().zip(log.changes().expect("in memory")) {
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
        let held: Vec<SignedChange> = ledger.docs().values().flat_map(|l| l.changes().expect("in memory")).collect();
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

/// An in-memory [`Archive`] for the tests.
#[derive(Debug, Default)]
struct MemArchive(std::sync::Mutex<BTreeMap<(DocId, u64), Vec<u8>>>);

impl MemArchive {
    fn store(&self, changes: &[SignedChange]) {
        let mut m = self.0.lock().unwrap();
        for c in changes {
            m.insert((c.doc.clone(), c.number()), c.change.clone());
        }
    }
}

impl Archive for MemArchive {
    fn change_bytes(&self, doc: &DocId, seq: u64) -> Result<Vec<u8>, ArchiveError> {
        self.0
            .lock()
            .unwrap()
            .get(&(doc.clone(), seq))
            .cloned()
            .ok_or_else(|| ArchiveError {
                doc: doc.clone(),
                seq,
                detail: "not stored".into(),
            })
    }
}

/// Builds a change by hand, as a malicious member could, bypassing the
/// checks of `DocWriter`.
fn raw_change(
    key: &AgencyKey,
    doc: DocId,
    history: &[SignedChange],
    entries: &[(&str, String)],
    delete: Option<&str>,
) -> SignedChange {
    let mut am = AutoCommit::new().with_actor(actor_of(&key.id()));
    am.apply_changes(
        history
            .iter()
            .map(|c| Change::from_bytes(c.change.clone()).unwrap()),
    )
    .unwrap();
    for (k, v) in entries {
        am.put(ROOT, *k, v.clone()).unwrap();
    }
    if let Some(k) = delete {
        am.delete(ROOT, k).unwrap();
    }
    let h = am.commit_with(CommitOptions::default()).unwrap();
    let change = am.get_change_by_hash(&h).unwrap();
    SignedChange::sign(key, doc, &change)
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

#[test]
fn unauthorized_writes_by_members_are_refused() {
    let (roster, changes) = history(7, 3, 20);
    let mut ledger = Ledger::new(roster);
    ledger.ingest(changes);
    let before = views(&ledger);
    let idx = ledger.index().clone();
    let (req_id, req) = idx
        .requests
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("a request");
    let owner = req.resource.owner;
    // A member that is neither the owner nor the requester.
    let mallory = (0..3)
        .map(test_key)
        .find(|k| k.id() != owner && k.id() != req_id.requester)
        .unwrap();
    let shard = 2026 * 12 + 10;
    // 1. Confirming a request for someone else's resource in its own decision document.
    let doc = DocId::decisions(mallory.id(), shard);
    let hist: Vec<SignedChange> = ledger
        .doc(&doc)
        .map(|d| d.changes().expect("in memory"))
        .unwrap_or_default();
    let decision = serde_json::json!({"type": "decision", "resource": req.resource, "seq": 1, "booking": req_id, "terms": req.terms(), "verdict": "confirm", "hlc": {"wall_ms": 1, "counter": 0}});
    let forged = raw_change(
        &mallory,
        doc.clone(),
        &hist,
        &[(
            &format!("dec/{}/1", req.resource.local),
            decision.to_string(),
        )],
        None,
    );
    let rep = ledger.ingest(vec![forged]);
    // The stored form of a decision has no `resource`: the document's owner
    // owns the resource it names, so naming another agency's is refused.
    assert!(
        matches!(rep.refused[0].reason, RefuseReason::Record(ref m) if m.contains("resource")),
        "{:?}",
        rep.refused
    );
    // 2. Cancelling another agency's request from its own requests document.
    let doc = DocId::requests(mallory.id(), req.resource.owner, shard);
    let hist: Vec<SignedChange> = ledger
        .doc(&doc)
        .map(|d| d.changes().expect("in memory"))
        .unwrap_or_default();
    let cancel = serde_json::json!({"type": "cancel", "booking": req_id, "reason": "", "hlc": {"wall_ms": 1, "counter": 0}});
    let forged = raw_change(
        &mallory,
        doc,
        &hist,
        &[(&format!("cancel/{}", req_id.local), cancel.to_string())],
        None,
    );
    let rep = ledger.ingest(vec![forged]);
    assert!(
        matches!(rep.refused[0].reason, RefuseReason::Record(_)),
        "{:?}",
        rep.refused
    );
    // 3. The requester deleting its own request (history is append-only).
    let requester = (0..3)
        .map(test_key)
        .find(|k| k.id() == req_id.requester)
        .unwrap();
    let (doc, log) = ledger
        .docs()
        .iter()
        .find(|(d, _)| d.kind == DocKind::Requests && d.owner == requester.id())
        .map(|(d, l)| (d.clone(), l.changes().expect("in memory")))
        .unwrap();
    let forged = raw_change(
        &requester,
        doc.clone(),
        &log,
        &[],
        Some(&format!("req/{}", req_id.local)),
    );
    let rep = ledger.ingest(vec![forged.clone()]);
    assert!(
        matches!(rep.refused[0].reason, RefuseReason::Record(_)),
        "{:?}",
        rep.refused
    );
    // A later valid change after a refused one stays pending, visibly.
    let mut follow_up = AutoCommit::new().with_actor(actor_of(&requester.id()));
    follow_up
        .apply_changes(
            log.iter()
                .chain([&forged])
                .map(|c| Change::from_bytes(c.change.clone()).unwrap()),
        )
        .unwrap();
    follow_up.put(ROOT, "noop", "x").unwrap();
    let h = follow_up.commit_with(CommitOptions::default()).unwrap();
    let next = SignedChange::sign(&requester, doc, &follow_up.get_change_by_hash(&h).unwrap());
    ledger.ingest(vec![next]);
    assert_eq!(ledger.pending_len(), 1);
    assert_eq!(views(&ledger), before);
}

#[test]
fn one_member_cannot_fill_the_pending_queue_for_everyone() {
    let (roster, _) = history(3, 3, 0);
    let mut ledger = Ledger::new(roster).with_pending_limits(40, 10);
    let shard = 2026 * 12 + 10;
    // Changes that wait for a first change never sent: each one is a second
    // change on top of a different, withheld first one.
    let orphans = |key: &AgencyKey, n: usize| -> Vec<SignedChange> {
        (0..n)
            .map(|i| {
                let doc = DocId::requests(key.id(), key.id(), shard + i as u32);
                let first = raw_change(key, doc.clone(), &[], &[("x", "1".into())], None);
                raw_change(key, doc, &[first], &[("y", "2".into())], None)
            })
            .collect()
    };
    let (mallory, alice) = (test_key(1), test_key(2));
    let rep = ledger.ingest(orphans(&mallory, 15));
    let full = rep
        .refused
        .iter()
        .filter(|r| r.reason == RefuseReason::QueueFull)
        .count();
    assert_eq!(full, 5, "the flooder is cut off at its own bound");
    assert_eq!(ledger.pending_len(), 10);
    // Another member's waiting changes are still taken.
    let rep = ledger.ingest(orphans(&alice, 3));
    assert!(rep.refused.is_empty(), "{:?}", rep.refused);
    assert_eq!(ledger.pending_len(), 13);
}

impl MemArchive {
    /// Loses what is stored of `doc`, as a damaged store would.
    fn lose(&self, doc: &DocId) {
        self.0.lock().unwrap().retain(|(d, _), _| d != doc);
    }
}

/// A stored change the archive cannot give back is an error, never a
/// shorter history: serving it fails instead of sending a run that stops
/// early, and the index rebuilt after a revocation is not built with
/// records missing (the old one stays and the ledger reports the fault).
#[test]
fn an_unreadable_archive_is_a_fault_not_a_shorter_history() {
    let mut sim = Sim::new(11, 3, START);
    let room = test_resource(sim.id(0), "r0", Capacity::Units(5), Approval::Automatic);
    let rid = room.id.clone();
    sim.local(0, LocalOp::PutResource(Box::new(room))).unwrap();
    sim.run_until_quiet(100_000);
    for (node, h) in [(1, 1), (2, 3)] {
        let op = LocalOp::Book {
            resource: rid.clone(),
            start: at(h),
            end: at(h + 1),
            quantity: 1,
            contact: String::new(),
            purpose: String::new(),
        };
        sim.local(node, op).unwrap();
    }
    sim.run_until_quiet(100_000);
    let admin = sim.engine(0);
    let roster = admin.ledger().roster().clone();
    let changes: Vec<SignedChange> = admin
        .ledger()
        .docs()
        .values()
        .flat_map(|d| d.changes().expect("in memory"))
        .collect();
    let archive = std::sync::Arc::new(MemArchive::default());
    let mut ledger = Ledger::new(roster.clone()).with_archive(archive.clone(), sim.id(0));
    let rep = ledger.ingest(changes);
    archive.store(&rep.accepted);
    let requests_before = ledger.index().requests.len();
    assert_eq!(requests_before, 2);

    // Agency 1's booking requests are lost from the store.
    let lost = ledger
        .docs()
        .keys()
        .find(|d| d.owner == sim.id(1) && d.kind == DocKind::Requests)
        .expect("agency 1 wrote a request")
        .clone();
    archive.lose(&lost);
    let err = ledger
        .changes_after(&lost, 0, usize::MAX)
        .expect_err("an unreadable change is an error");
    assert_eq!((err.doc.clone(), err.seq), (lost.clone(), 1));

    // Revoking agency 2 withdraws its request and rebuilds the index, which
    // needs agency 1's request back: the old index stays, the fault shows.
    let cutoffs = ledger
        .heads()
        .into_iter()
        .filter(|(d, _)| d.owner == sim.id(2))
        .map(|(d, _)| (d, 0))
        .collect();
    let mut clock = crdt_model::hlc::HlcClock::new();
    let revoke = roster.clone().act(
        sim.engine(0).key(),
        clock.tick(START + 86_400_000),
        crdt_model::membership::RosterAction::Revoke {
            agency: sim.id(2),
            reason: "test".into(),
            cutoffs,
        },
    );
    let (changed, _, _) = ledger.add_roster_events(vec![revoke]);
    assert!(changed);
    let fault = ledger.take_fault().expect("the failed rebuild is reported");
    assert_eq!(fault.doc, lost);
    assert_eq!(
        ledger.index().requests.len(),
        requests_before,
        "no index built with records missing"
    );
    assert!(ledger.take_fault().is_none(), "reported once");
}
