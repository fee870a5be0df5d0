//! A member turned rogue: a real libp2p swarm (in this test process) holding
//! a member agency's key connects to an honest node on 127.0.0.1 and sends a
//! forged change (bad signature), an unauthorized one (confirming a booking
//! on a resource it does not own) and an impersonating one (writing into
//! another agency's document). The honest node refuses and counts all
//! three, never forwards them, and keeps working with everyone else. The
//! same changes published on gossipsub topics are not passed on either.

use std::time::Duration;

use api::Status;
use crdt_model::calendar::Booking;
use crdt_model::ledger::RefuseReason;
use crdt_model::resource::Resource;
use harness::{Node, network, wait_for};
use libp2p::Multiaddr;

fn refused_total(n: &Node) -> u64 {
    n.status().refused_total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unauthorized_and_impersonating_changes_are_refused_and_not_forwarded() {
    let mut nodes = network("rogue", 3);
    let room: Resource = nodes[0].json(&[
        "resource",
        "add",
        "--id",
        "room-1",
        "--name",
        "第一会议室",
        "--city",
        "深圳",
        "--people",
        "4",
    ]);
    let rid = room.id;
    let addr: Multiaddr = nodes[0].addr().parse().expect("multiaddr");
    // The rogue takes over member B's key; B's own daemon is stopped.
    nodes[1].stop();
    let rogue = node::config::Home::new(nodes[1].home.clone())
        .load_key()
        .expect("B's key");
    let before = (refused_total(&nodes[0]), refused_total(&nodes[2]));

    let start = harness::workday_instant(8, "10:00");
    let catalog = devtools::forger::catalog_history(&nodes[1].home, &rogue).expect("B's catalogue");
    let bad = devtools::forger::bad_changes(&rogue, &rid, start, &catalog).expect("bad changes");
    devtools::forger::send(&rogue, addr, bad)
        .await
        .expect("the honest node acknowledges the message");

    let a = &nodes[0];
    let c = &nodes[2];
    let refused = tokio::task::block_in_place(|| {
        wait_for(
            "A to refuse the three changes",
            Duration::from_secs(30),
            || {
                let n = refused_total(a);
                (n >= before.0 + 3).then_some(n)
            },
        )
    });
    assert_eq!(refused, before.0 + 3, "exactly the three rogue changes");
    tokio::task::block_in_place(|| {
        let st: Status = a.status();
        let reasons: Vec<&RefuseReason> = st.refused.iter().map(|r| &r.reason).collect();
        assert!(
            reasons.contains(&&RefuseReason::Signature),
            "forged: {reasons:?}"
        );
        assert!(
            reasons.contains(&&RefuseReason::NotOwner),
            "impersonating: {reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| matches!(r, RefuseReason::Record(_))),
            "unauthorized: {reasons:?}"
        );
        let peer = st
            .peers
            .iter()
            .find(|p| p.agency == rogue.id())
            .expect("B is listed as a peer");
        assert_eq!(peer.refused, 3, "counted against the peer: {peer:?}");
        // Nothing of it reached A's calendar.
        let cal = a.bookings(&["--resource", &rid.to_string()]);
        assert!(cal.is_empty(), "{cal:?}");
        // A still works for everyone else: its own booking reaches C …
        let ok: Booking = a.json(&[
            "book",
            &rid.to_string(),
            "--from",
            &harness::workday(9, "10:00"),
            "--to",
            &harness::workday(9, "11:00"),
        ]);
        wait_for("A's booking on C", Duration::from_secs(30), || {
            c.booking(&ok.id).map(|_| ())
        });
        // … and C never saw the rogue changes (A did not forward them).
        assert_eq!(refused_total(c), before.1, "C was never sent them");
        let on_c = c.bookings(&[]);
        assert!(
            on_c.iter().all(|b| !b.id.to_string().contains("forged-")),
            "no rogue booking on C: {on_c:?}"
        );
    });

    // The same three changes, each published on the gossipsub topic an
    // honest node would use: A judges each message before gossipsub
    // passes it on, and passes none of them on (C, subscribed to the same
    // topics, never receives them).
    let (network, not_passed) = tokio::task::block_in_place(|| {
        let st = a.status();
        (st.network, st.topics.not_passed)
    });
    let c_before = tokio::task::block_in_place(|| c.status().topics.received);
    let addr: Multiaddr = a.addr().parse().expect("multiaddr");
    let bad = devtools::forger::bad_changes(&rogue, &rid, start, &catalog).expect("bad changes");
    let link = devtools::forger::publish(&rogue, addr, &network, bad)
        .await
        .expect("A subscribes to the topics and takes the messages");
    tokio::task::block_in_place(|| {
        wait_for(
            "A to reject the three messages, refusing their changes",
            Duration::from_secs(30),
            || {
                let st = a.status();
                // The catalogue change has no topic: on its writer's, it is
                // rejected unread; the two others are refused.
                (st.topics.not_passed >= not_passed + 3 && st.refused_total >= refused + 2)
                    .then_some(())
            },
        );
        // A still publishes what it writes, and C takes it in from the
        // topic; the rogue messages never reached C.
        let ok: Booking = a.json(&[
            "book",
            &rid.to_string(),
            "--from",
            &harness::workday(9, "14:00"),
            "--to",
            &harness::workday(9, "15:00"),
        ]);
        wait_for("A's second booking on C", Duration::from_secs(30), || {
            c.booking(&ok.id).map(|_| ())
        });
        let st = c.status();
        assert_eq!(st.refused_total, before.1, "C was never sent them");
        assert!(st.topics.received > c_before, "by topic: {:?}", st.topics);
        assert!(
            c.bookings(&[])
                .iter()
                .all(|b| !b.id.to_string().contains("forged-"))
        );
    });
    link.abort();
}
