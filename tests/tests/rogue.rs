//! A member turned rogue: a real libp2p swarm (in this test process) holding
//! a member agency's key connects to an honest node on 127.0.0.1 and sends a
//! forged change (bad signature), an unauthorized one (confirming a booking
//! on a resource it does not own) and an impersonating one (writing into
//! another agency's document). The honest node refuses and counts all
//! three, never forwards them, and keeps working with everyone else.

use std::time::Duration;

use automerge::transaction::CommitOptions;
use automerge::{AutoCommit, ROOT, transaction::Transactable};
use crdt_model::agency::AgencyKey;
use crdt_model::booking::{BookingRequest, Decision, Terms, Verdict};
use crdt_model::doc::{DocWriter, actor_of};
use crdt_model::engine::Message;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{AgencyId, BookingId, DocId, DocKind, ResourceId, shard_of};
use crdt_model::record::Record;
use crdt_model::signed::SignedChange;
use futures::StreamExt;
use integration::{Node, network, wait_for};
use libp2p::Multiaddr;
use libp2p::swarm::SwarmEvent;
use serde_json::Value;

/// One raw Automerge change by `key` putting `json` under `k` in `doc`,
/// signed by `key` — whatever the document and the record say.
fn raw_change(key: &AgencyKey, doc: DocId, k: &str, json: String) -> SignedChange {
    let mut am = AutoCommit::new().with_actor(actor_of(&key.id()));
    am.put(ROOT, k, json).expect("put");
    am.commit_with(CommitOptions::default().with_time(0));
    let change = am.get_last_local_change().expect("change").clone();
    SignedChange::sign(key, doc, &change)
}

fn refused_total(n: &Node) -> u64 {
    let s: Value = n.json(&["status"]);
    s["refused_total"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unauthorized_and_impersonating_changes_are_refused_and_not_forwarded() {
    let mut nodes = network("rogue", 3);
    let a_id: AgencyId = nodes[0].agency().parse().expect("agency id");
    let room: Value = nodes[0].json(&[
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
    let rid: ResourceId = room["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("resource id");
    let addr: Multiaddr = nodes[0].api.as_ref().expect("started").listen[0]
        .parse()
        .expect("multiaddr");
    // The rogue takes over member B's key; B's own daemon is stopped.
    nodes[1].stop();
    let rogue = node::config::Home::new(nodes[1].home.clone())
        .load_key()
        .expect("B's key");
    let before = (refused_total(&nodes[0]), refused_total(&nodes[2]));

    let start: jiff::Timestamp = "2027-09-07T02:00:00Z".parse().expect("instant");
    let end: jiff::Timestamp = "2027-09-07T03:00:00Z".parse().expect("instant");
    let shard = shard_of(start);
    let booking = BookingId::new(rogue.id(), "rogue-1").expect("id");
    let request = BookingRequest {
        id: booking.clone(),
        resource: rid.clone(),
        contact: "rogue".into(),
        purpose: "forged".into(),
        start,
        end,
        quantity: 1,
        hlc: Hlc {
            wall_ms: start.as_millisecond() - 86_400_000,
            counter: 0,
        },
    };
    // 1. A well-formed request of B's, with one signature bit flipped.
    let requests = DocId {
        kind: DocKind::Requests,
        owner: rogue.id(),
        shard,
    };
    let mut forged = DocWriter::new(&rogue, requests, &[])
        .expect("writer")
        .write(&rogue, &[Record::Request(request.clone())], 0)
        .expect("change");
    forged.sig[7] ^= 0x20;
    // 2. B "confirms" its own request on A's room, in B's decisions document.
    let decision = Decision {
        resource: rid.clone(),
        seq: 1,
        booking: booking.clone(),
        terms: Terms {
            start,
            end,
            quantity: 1,
        },
        verdict: Verdict::Confirm,
        hlc: request.hlc,
    };
    let unauthorized = raw_change(
        &rogue,
        DocId {
            kind: DocKind::Decisions,
            owner: rogue.id(),
            shard,
        },
        "dec/room-1/1",
        serde_json::to_string(&Record::Decision(decision)).expect("json"),
    );
    // 3. B writes a request into A's requests document.
    let mut as_a = request.clone();
    as_a.id = BookingId::new(a_id, "rogue-2").expect("id");
    let impersonating = raw_change(
        &rogue,
        DocId {
            kind: DocKind::Requests,
            owner: a_id,
            shard,
        },
        "req/rogue-2",
        serde_json::to_string(&Record::Request(as_a)).expect("json"),
    );

    let mut swarm = node::net::swarm(&rogue, false).expect("swarm");
    swarm
        .listen_on("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .expect("listen");
    swarm.dial(addr).expect("dial");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut sent = false;
    let mut acked = false;
    while !acked {
        let ev = tokio::time::timeout_at(deadline, swarm.select_next_some())
            .await
            .expect("the honest node answers within 30 s");
        match ev {
            SwarmEvent::ConnectionEstablished { peer_id, .. } if !sent => {
                let msg = Message::Changes {
                    changes: vec![forged.clone(), unauthorized.clone(), impersonating.clone()],
                };
                swarm.behaviour_mut().sync.send_request(&peer_id, msg);
                sent = true;
            }
            SwarmEvent::Behaviour(node::net::BehaviourEvent::Sync(
                libp2p::request_response::Event::Message {
                    peer,
                    message: libp2p::request_response::Message::Request { channel, .. },
                    ..
                },
            )) => {
                let _ = peer;
                let _ = swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, node::net::Ack);
            }
            SwarmEvent::Behaviour(node::net::BehaviourEvent::Sync(
                libp2p::request_response::Event::Message {
                    message: libp2p::request_response::Message::Response { .. },
                    ..
                },
            )) => acked = true,
            _ => {}
        }
    }

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
        let st: Value = a.json(&["status"]);
        let reasons: Vec<String> = st["refused"]
            .as_array()
            .expect("refusals")
            .iter()
            .map(|r| r["reason"].to_string())
            .collect();
        let all = reasons.join(" ");
        for what in ["signature", "record", "not_owner"] {
            assert!(all.to_lowercase().contains(what), "{what} missing in {all}");
        }
        let peer = st["peers"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["agency"] == rogue.id().to_string()))
            .cloned()
            .expect("B is listed as a peer");
        assert_eq!(peer["refused"], 3, "counted against the peer: {peer}");
        // Nothing of it reached A's calendar.
        let cal: Value = a.json(&["bookings", "--resource", &rid.to_string()]);
        assert_eq!(cal.as_array().map_or(0, Vec::len), 0, "{cal}");
        // A still works for everyone else: its own booking reaches C …
        let ok: Value = a.json(&[
            "book",
            &rid.to_string(),
            "--from",
            "2027-09-08T10:00",
            "--to",
            "2027-09-08T11:00",
        ]);
        let id = ok["id"].as_str().expect("id").to_string();
        wait_for("A's booking on C", Duration::from_secs(30), || {
            let list: Value = c.json(&["bookings"]);
            list.as_array()?
                .iter()
                .any(|b| b["id"] == id.as_str())
                .then_some(())
        });
        // … and C never saw the rogue changes (A did not forward them).
        assert_eq!(refused_total(c), before.1, "C was never sent them");
        let on_c: Value = c.json(&["bookings"]);
        assert!(
            !on_c.to_string().contains("rogue-"),
            "no rogue booking on C: {on_c}"
        );
    });
}
