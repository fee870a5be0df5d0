//! Keys and membership in the deterministic simulator: a rotated key keeps
//! history valid and loses the old key its power, a stolen old key's change
//! accepted before the rotation was known is withdrawn, and a revocation
//! across a partition keeps old history and refuses new changes.

use crdt_model::agency::AgencyKey;
use crdt_model::booking::Status;
use crdt_model::doc::DocWriter;
use crdt_model::engine::{Event, Input, Message, Output};
use crdt_model::ids::{BookingId, DocId};
use crdt_model::ledger::RefuseReason;
use crdt_model::record::Record;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::Sim;

mod common;
use common::*;

#[test]
fn a_rotated_key_keeps_history_valid_and_the_old_key_loses_its_power() {
    use crdt_model::ids::DocKind;
    let mut sim = Sim::new(13, 3, START);
    sim.run_until_quiet(1_000);
    let room = publish(
        &mut sim,
        0,
        "room",
        Capacity::People(2),
        Approval::Automatic,
    );
    sim.run_until_quiet(1_000);
    let before = book(&mut sim, 1, &room, 1, 2, 1).expect("booked");
    sim.run_until_quiet(1_000);
    let agency = sim.id(1);
    let old_key = sim.nodes[1].key.clone();
    let old_history = sim.engine(1).ledger().heads();

    // Node 2 is away while node 1 rotates and books with its new key.
    sim.partition(&[2]);
    let new_key = crdt_model::sim::test_key(100);
    let new_public = new_key.public();
    sim.rotate_key(1, new_key).expect("rotated");
    assert_eq!(sim.id(1), agency, "the agency keeps its id");
    assert_eq!(sim.engine(1).key().public(), new_public);
    let after = book(&mut sim, 1, &room, 3, 4, 1).expect("booked with the new key");
    sim.run_until_quiet(1_000);
    sim.heal();
    sim.run_until_quiet(5_000);
    assert_converged(&sim);
    for node in 0..3 {
        let roster = sim.engine(node).ledger().roster();
        assert_eq!(roster.current_key(&agency), new_public);
        assert_eq!(roster.agency_of_key(&new_public), Some(agency));
        assert_eq!(roster.agency_of_key(&old_key.public()), None);
        for id in [&before, &after] {
            let b = sim.engine(node).booking(id).expect("booking kept");
            assert_eq!(b.status, Status::Confirmed, "node {node}");
        }
    }

    // A thief holding the old key writes a request after the rotation:
    // refused everywhere, the calendar unchanged.
    let doc = old_history
        .keys()
        .find(|d| d.owner == agency && d.kind == DocKind::Requests)
        .expect("a request document")
        .clone();
    let history = doc_history(&sim, 1, &doc);
    let (_, forged) = forge(&sim, &old_key, &doc, &history, &before, "stolen-key", None);
    let requests_before = sim.engine(0).ledger().index().requests.len();
    let outputs = receive(&mut sim, 0, 2, vec![forged]);
    assert!(outputs.iter().any(|o| matches!(
        o,
        Output::Notify(Event::Refused { refusal, .. }) if refusal.reason == RefuseReason::Signature
    )));
    assert!(!outputs.iter().any(|o| matches!(o, Output::Persist(_))));
    assert_eq!(
        sim.engine(0).ledger().index().requests.len(),
        requests_before
    );

    // Restarting the rotated node keeps its identity and its new key.
    sim.crash(1);
    sim.restart(1);
    sim.run_until_quiet(1_000);
    let third = book(&mut sim, 1, &room, 5, 6, 1).expect("booked after restart");
    sim.run_until_quiet(1_000);
    assert_eq!(
        sim.engine(2).booking(&third).map(|b| b.status),
        Some(Status::Confirmed)
    );
    assert_converged(&sim);
}

#[test]
fn a_stolen_old_key_change_accepted_before_the_rotation_was_known_is_withdrawn() {
    use crdt_model::ids::shard_of;
    let mut sim = Sim::new(14, 3, START);
    sim.run_until_quiet(1_000);
    let room = publish(
        &mut sim,
        0,
        "room",
        Capacity::People(1),
        Approval::Automatic,
    );
    sim.run_until_quiet(1_000);
    let first = book(&mut sim, 1, &room, 1, 2, 1).expect("booked");
    sim.run_until_quiet(1_000);
    let agency = sim.id(1);
    let old_key = sim.nodes[1].key.clone();
    let doc = DocId::requests(agency, room.owner, shard_of(sim.now()));
    let history = doc_history(&sim, 1, &doc);

    sim.rotate_key(1, crdt_model::sim::test_key(101))
        .expect("rotated");
    // The thief signs the next change of node 1's document with the old key
    // and hands it to node 2, which has not heard of the rotation.
    let (stolen, forged) = forge(
        &sim,
        &old_key,
        &doc,
        &history,
        &first,
        "stolen",
        Some((3, 4)),
    );
    let outputs = receive(&mut sim, 2, 0, vec![forged.clone()]);
    // Node 2 stores what it accepted, as a node does.
    for o in outputs {
        if let Output::Persist(changes) = o {
            sim.nodes[2].stored.extend(changes);
        }
    }
    assert!(
        has_request(&sim, 2, &stolen),
        "accepted while the rotation was unknown here"
    );
    // The real agency books with its new key; the rotation reaches node 2.
    let real = book(&mut sim, 1, &room, 3, 4, 1).expect("booked");
    for _ in 0..5 {
        sim.advance(31_000);
        sim.run_until_quiet(5_000);
    }
    assert!(!has_request(&sim, 2, &stolen));
    assert_eq!(
        sim.engine(2).booking(&real).map(|b| b.status),
        Some(Status::Confirmed)
    );
    // Node 2 stored the stolen change when it accepted it; loading its
    // store again (which skips most signatures) refuses it again.
    assert!(sim.nodes[2].stored.contains(&forged));
    sim.crash(2);
    sim.restart(2);
    sim.run_until_quiet(5_000);
    assert!(
        !has_request(&sim, 2, &stolen),
        "the withdrawn change came back from the store"
    );
    assert_converged(&sim);
    assert_no_overbooking(&sim);
}

#[test]
fn revocation_across_a_partition_keeps_old_history_and_refuses_new_changes() {
    let mut sim = Sim::new(6, 4, START);
    let room = publish(
        &mut sim,
        1,
        "room-1",
        Capacity::Units(3),
        Approval::Required,
    );
    sim.run_until_quiet(10_000);
    let old = book(&mut sim, 3, &room, 1, 2, 1).unwrap();
    sim.run_until_quiet(10_000);
    sim.partition(&[3]);
    let new = book(&mut sim, 3, &room, 3, 4, 1).unwrap();
    sim.run_until_quiet(10_000);
    let revoked = sim.id(3);
    sim.roster_act(
        0,
        crdt_model::membership::RosterAction::Revoke {
            agency: revoked,
            reason: "test".into(),
            cutoffs: Default::default(),
        },
    )
    .unwrap();
    sim.run_until_quiet(10_000);
    sim.heal();
    sim.run_until_quiet(100_000);
    for i in 0..3 {
        let e = sim.engine(i);
        assert!(!e.ledger().roster().is_active(&revoked));
        // Its earlier request is still history, shown as void (never decided).
        assert_eq!(
            e.booking(&old).map(|b| b.status.clone()),
            Some(Status::Void),
            "node {i}"
        );
        // Its request made after the cutoff never arrived anywhere.
        assert!(
            e.booking(&new).is_none(),
            "node {i} accepted a change made after the cutoff"
        );
        assert!(
            !e.peers().any(|p| *p == revoked),
            "node {i} still connected to the revoked agency"
        );
    }
    assert_eq!(sim.engine(0).calendars(), sim.engine(1).calendars());
    assert_eq!(sim.engine(1).calendars(), sim.engine(2).calendars());
}

/// Node `node`'s history of `doc`.
fn doc_history(sim: &Sim, node: usize, doc: &DocId) -> Vec<SignedChange> {
    sim.engine(node)
        .ledger()
        .changes_of(doc)
        .expect("in memory")
}

/// What a thief holding `key` (an agency's old key) writes: the change
/// after `history` in `doc`, a copy of request `like` under the id `local`
/// (at hours `at` if given). Returns the forged request's id and change.
fn forge(
    sim: &Sim,
    key: &AgencyKey,
    doc: &DocId,
    history: &[SignedChange],
    like: &BookingId,
    local: &str,
    at: Option<(i64, i64)>,
) -> (BookingId, SignedChange) {
    let index = sim.engine(0).ledger().index();
    let mut req = index.requests.get(like).expect("request").clone();
    req.id = BookingId::new(like.requester, local).expect("valid id");
    if let Some((from, to)) = at {
        req.start = hour(from);
        req.end = hour(to);
    }
    let id = req.id.clone();
    let change = DocWriter::new(key, doc.clone(), history)
        .expect("writer")
        .write(key, &[Record::Request(req)], 0)
        .expect("signed");
    (id, change)
}

/// Hands `changes` to node `to` as received from node `from`; its outputs.
fn receive(sim: &mut Sim, to: usize, from: usize, changes: Vec<SignedChange>) -> Vec<Output> {
    let (now, from) = (sim.now(), sim.id(from));
    let msg = Message::Changes { changes, n: 0 };
    let engine = sim.nodes[to].engine.as_mut().expect("running");
    engine.handle(now, Input::Received { from, msg })
}

/// Whether node `node` holds request `id`.
fn has_request(sim: &Sim, node: usize, id: &BookingId) -> bool {
    sim.engine(node).ledger().index().requests.contains_key(id)
}

/// Found by the chaos schedules: a member that had received a revoked
/// agency's first change of a document before the revocation kept an empty
/// entry for that document once the change was withdrawn, so its heads
/// differed from those of members that never received it (and peers kept
/// comparing them). A document left with no valid change is dropped.
#[test]
fn a_document_wholly_withdrawn_by_a_revocation_leaves_no_trace() {
    let mut sim = Sim::new(17, 3, START);
    let room = publish(&mut sim, 1, "room", Capacity::Units(3), Approval::Required);
    sim.run_until_quiet(10_000);
    // The admin is cut off and revokes agency 2, which meanwhile makes its
    // first request (a new document) and node 1 receives it.
    sim.partition(&[0]);
    let revoked = sim.id(2);
    sim.roster_act(
        0,
        crdt_model::membership::RosterAction::Revoke {
            agency: revoked,
            reason: "test".into(),
            cutoffs: Default::default(),
        },
    )
    .unwrap();
    book(&mut sim, 2, &room, 1, 2, 1).expect("requested before it knows");
    sim.run_until_quiet(10_000);
    assert!(
        sim.engine(1)
            .ledger()
            .heads()
            .keys()
            .any(|d| d.owner == revoked),
        "node 1 received the request"
    );
    sim.heal();
    sim.run_until_quiet(100_000);
    let (h0, h1) = (
        sim.engine(0).ledger().heads(),
        sim.engine(1).ledger().heads(),
    );
    assert!(!h1.keys().any(|d| d.owner == revoked));
    assert_eq!(h0, h1, "the members hold the same changes");
    assert_eq!(sim.engine(0).calendars(), sim.engine(1).calendars());
}
