//! Live changes on publish-subscribe topics (`crdt_model::engine::gossip`),
//! in the simulator's model of gossipsub: a booking and its decision reach
//! exactly the interested nodes by their owner's topic; a province that
//! publishes meets the interest targets, with bytes within 10 % of one
//! that sends live changes by message; a forged, misplaced or stranger's
//! message is not passed on, nor one of changes held already or waiting for
//! an earlier one.

use crdt_model::engine::{LocalOp, LocalOutcome, Output, Topic, Verdict};
use crdt_model::ids::{DocId, shard_of};
use crdt_model::interest::Follows;
use crdt_model::resource::{Approval, Capacity};
use crdt_model::signed::SignedChange;
use crdt_model::sim::interest::{Province, run};
use crdt_model::sim::{Sim, test_resource};
use jiff::Timestamp;

const START: i64 = 1_795_000_000_000; // 2026-11-18, virtual

fn meshed(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect()
}

#[test]
fn a_booking_goes_by_its_owners_topic_to_exactly_the_interested_nodes() {
    // Eight agencies in four cities (agency i in city i % 4), meshed, each
    // following its city: node 2's topic reaches 2, 6 and, once it booked
    // there, 1.
    let mut sim = Sim::with_links(7, 8, START, &meshed(8), vec![Follows::defaults(); 8]);
    sim.enable_gossip();
    sim.run_until_quiet(100_000);
    let room = test_resource(sim.id(2), "room", Capacity::People(1), Approval::Automatic);
    let rid = room.id.clone();
    sim.local(2, LocalOp::PutResource(Box::new(room)))
        .expect("publish");
    sim.run_until_quiet(100_000);
    // The catalogue went by message to everyone (catalogues have no
    // topic).
    assert_eq!(sim.published(), 0);
    for i in 0..8 {
        assert!(
            sim.engine(i)
                .ledger()
                .doc(&DocId::catalog(sim.id(2)))
                .is_some()
        );
    }
    let published = sim.published();
    let from = Timestamp::from_millisecond(START + 3_600_000).expect("instant");
    let book = LocalOp::Book {
        resource: rid.clone(),
        start: from,
        end: Timestamp::from_millisecond(START + 7_200_000).expect("instant"),
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
    // The request and the owner's automatic decision were published.
    assert!(sim.published() >= published + 2, "{}", sim.published());
    let shard = shard_of(sim.now());
    let requests = DocId::requests(sim.id(1), sim.id(2), shard);
    let decisions = DocId::decisions(sim.id(2), shard);
    let holds = |sim: &Sim, i: usize, d: &DocId| sim.engine(i).ledger().doc(d).is_some();
    for i in [1, 2, 6] {
        assert!(holds(&sim, i, &requests), "node {i} holds the request");
        assert!(holds(&sim, i, &decisions), "node {i} holds the decision");
        assert_eq!(
            sim.engine(i).booking(&id).map(|b| b.status),
            Some(crdt_model::booking::Status::Confirmed),
            "node {i}"
        );
        assert!(
            sim.engine(i).topics().contains(&Topic::Owner(sim.id(2))),
            "node {i} subscribes to 2's topic"
        );
    }
    // The owner and its city's other node took the request in from the
    // topic.
    for i in [2, 6] {
        assert!(sim.engine(i).gossip_counts().1 > 0, "node {i}");
    }
    for i in [0, 3, 4, 5, 7] {
        assert!(!holds(&sim, i, &requests), "node {i} holds no request");
        assert!(!holds(&sim, i, &decisions), "node {i} holds no decision");
        assert!(
            !sim.engine(i).topics().contains(&Topic::Owner(sim.id(2))),
            "node {i} is not on 2's topic"
        );
    }
}

/// Node 0's request for `room` at hour `h` after the start, written on
/// its engine and kept from the network: the change it would publish.
fn request(sim: &mut Sim, room: &crdt_model::ids::ResourceId, h: i64) -> SignedChange {
    let now = sim.now();
    let at = |h: i64| Timestamp::from_millisecond(START + h * 3_600_000).expect("instant");
    let book = LocalOp::Book {
        resource: room.clone(),
        start: at(h),
        end: at(h + 1),
        quantity: 1,
        contact: String::new(),
        purpose: String::new(),
        wait_list: false,
    };
    let engine = sim.nodes[0].engine.as_mut().expect("running");
    let (_, outputs) = engine.local(now, book).expect("booked");
    outputs
        .into_iter()
        .find_map(|o| match o {
            Output::Persist(c) => c.into_iter().next(),
            _ => None,
        })
        .expect("a change")
}

#[test]
fn a_forged_misplaced_or_strangers_message_is_not_passed_on() {
    let mut sim = Sim::with_links(3, 3, START, &meshed(3), vec![Follows::everything(); 3]);
    sim.enable_gossip();
    sim.run_until_quiet(100_000);
    let room = test_resource(sim.id(1), "room", Capacity::People(4), Approval::Automatic);
    let rid = room.id.clone();
    sim.local(1, LocalOp::PutResource(Box::new(room)))
        .expect("publish");
    sim.run_until_quiet(100_000);
    // Node 0 asks for node 1's room; the request goes on node 1's topic,
    // handed to node 1 by hand.
    let change = request(&mut sim, &rid, 2);
    let (from, owner, stranger) = (sim.id(0), sim.id(1), sim.id(2));
    let topic = Topic::Owner(owner);
    assert_eq!(Topic::of(&change.doc), Some(topic.clone()));
    let now = sim.now();
    let one = sim.nodes[1].engine.as_mut().expect("running");
    // A signature that does not verify: rejected, not taken in.
    let mut forged = change.clone();
    forged.sig[0] ^= 1;
    let (v, _) = one.gossip(now, from, topic.clone(), vec![forged]);
    assert_eq!(v, Verdict::Reject);
    assert!(one.ledger().doc(&change.doc).is_none());
    // On another owner's topic: its subscribers may not hold it.
    let (v, _) = one.gossip(now, from, Topic::Owner(from), vec![change.clone()]);
    assert_eq!(v, Verdict::Reject);
    assert!(one.ledger().doc(&change.doc).is_none());
    // The genuine change on its topic: accepted, passed on.
    let (v, _) = one.gossip(now, from, topic.clone(), vec![change.clone()]);
    assert_eq!(v, Verdict::Accept);
    assert!(one.ledger().doc(&change.doc).is_some());
    // Held already: taken in, not passed on again.
    let (v, _) = one.gossip(now, from, topic.clone(), vec![change.clone()]);
    assert_eq!(v, Verdict::Ignore);
    // Two more requests; the later one, arriving first, waits for the
    // earlier (its record checks run when it applies): not passed on. The
    // earlier one then applies both, and is passed on.
    let next = [request(&mut sim, &rid, 3), request(&mut sim, &rid, 4)];
    assert!(next.iter().all(|c| c.doc == change.doc));
    let one = sim.nodes[1].engine.as_mut().expect("running");
    let (v, _) = one.gossip(now, from, topic.clone(), vec![next[1].clone()]);
    assert_eq!(v, Verdict::Ignore, "waits for the one before");
    let (v, _) = one.gossip(now, from, topic.clone(), vec![next[0].clone()]);
    assert_eq!(v, Verdict::Accept);
    assert_eq!(one.ledger().doc_len(&change.doc), 3);
    // A catalogue change has no topic: on one, it is misplaced.
    let cat = sim.nodes[0].engine.as_ref().expect("running");
    assert_eq!(Topic::of(&DocId::catalog(cat.id())), None);
    // From an agency that is no peer of ours (no session): not judged.
    sim.crash(2);
    let one = sim.nodes[1].engine.as_mut().expect("running");
    let (v, _) = one.gossip(now, stranger, topic, vec![change]);
    assert_eq!(v, Verdict::Ignore);
}

#[test]
fn a_province_publishing_live_changes_meets_the_interest_targets() {
    for seed in [1, 2] {
        let by_message = run(&Province::new(60, seed));
        let p = Province {
            gossip: true,
            ..Province::new(60, seed)
        };
        let st = run(&p);
        assert_eq!(st.never_visible, 0, "{st:?}");
        assert_eq!(st.disagreeing, 0, "{st:?}");
        assert_eq!(st.overbooked, 0, "{st:?}");
        assert_eq!(st.cut_off, 0, "{st:?}");
        assert!(st.visible_p99_ms < 1_000, "{st:?}");
        assert_eq!(st.held_mean, by_message.held_mean, "the same interest");
        assert!(st.published > 0 && by_message.published == 0, "{st:?}");
        // A relay passes a message to every subscribed peer but its
        // sender, where a session sends only what the peer lacks: copies
        // that cross cost a little more.
        assert!(
            st.bytes_mean <= 1.1 * by_message.bytes_mean,
            "{} against {}",
            st.bytes_mean,
            by_message.bytes_mean
        );
    }
}
