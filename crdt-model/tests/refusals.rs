//! Refusals: a member's writes it has no right to, a flood of changes
//! waiting for withheld ones, and an archive that cannot give back what it
//! stored.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, Change, ROOT};
use std::collections::BTreeMap;

use crdt_model::agency::AgencyKey;
use crdt_model::booking::BookingRequest;
use crdt_model::calendar::ResourceCalendar;
use crdt_model::doc::actor_of;
use crdt_model::engine::LocalOp;
use crdt_model::ids::{BookingId, DocId, DocKind, ResourceId};
use crdt_model::ledger::{Ledger, RefuseReason};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::{Sim, test_key, test_resource};

mod common;
use common::START;
use common::history::*;

/// A replica holding a random history, its calendars, and one request.
fn ledger_with_a_request() -> (
    Ledger,
    BTreeMap<ResourceId, ResourceCalendar>,
    BookingId,
    BookingRequest,
) {
    let (roster, changes) = history(7, 3, 20);
    let mut ledger = Ledger::new(roster);
    ledger.ingest(changes);
    let before = views(&ledger);
    let (req_id, req) = ledger
        .index()
        .requests
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("a request");
    (ledger, before, req_id, req)
}

#[test]
fn a_member_cannot_decide_or_cancel_for_another_agency() {
    let (mut ledger, before, req_id, req) = ledger_with_a_request();
    let owner = req.resource.owner;
    // A member that is neither the owner nor the requester.
    let mallory = (0..3)
        .map(test_key)
        .find(|k| k.id() != owner && k.id() != req_id.requester)
        .unwrap();
    let shard = 2026 * 12 + 10;
    // 1. Confirming a request for someone else's resource in its own decision document.
    let doc = DocId::decisions(mallory.id(), shard);
    let hist: Vec<SignedChange> = ledger.changes_of(&doc).expect("in memory");
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
    let hist: Vec<SignedChange> = ledger.changes_of(&doc).expect("in memory");
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
    assert_eq!(views(&ledger), before);
}

#[test]
fn a_requester_cannot_delete_its_own_request() {
    let (mut ledger, before, req_id, _) = ledger_with_a_request();
    // History is append-only: deleting is refused.
    let requester = (0..3)
        .map(test_key)
        .find(|k| k.id() == req_id.requester)
        .unwrap();
    let (doc, log) = ledger
        .docs()
        .iter()
        .find(|(d, _)| d.kind == DocKind::Requests && d.owner == requester.id())
        .map(|(d, _)| (d.clone(), ledger.changes_of(d).expect("in memory")))
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
            wait_list: false,
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
    let changes: Vec<SignedChange> = admin.ledger().all_changes().expect("in memory");
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
