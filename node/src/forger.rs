//! A scripted attacker for the demo and the tests: with a member's key it
//! opens a real libp2p connection to a node and sends three changes every
//! honest node must refuse — a forged signature, an unauthorized write
//! (confirming a booking on a resource the signer does not own) and an
//! impersonation (writing into another agency's document).

use std::time::Duration;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ROOT};
use crdt_model::agency::AgencyKey;
use crdt_model::booking::{BookingRequest, Decision, Terms, Verdict};
use crdt_model::doc::{DocWriter, actor_of};
use crdt_model::engine::Message;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, DocKind, ResourceId, shard_of};
use crdt_model::record::Record;
use crdt_model::signed::SignedChange;
use futures::StreamExt;
use jiff::Timestamp;
use libp2p::Multiaddr;
use libp2p::request_response::{Event, Message as RrMessage};
use libp2p::swarm::SwarmEvent;

use crate::net::{self, Ack, BehaviourEvent};

/// One raw Automerge change by `key` putting `json` under `k` in `doc`,
/// signed by `key`, whatever the document and the record say.
fn raw_change(key: &AgencyKey, doc: DocId, k: &str, json: String) -> anyhow::Result<SignedChange> {
    let mut am = AutoCommit::new().with_actor(actor_of(&key.id()));
    am.put(ROOT, k, json)?;
    am.commit_with(CommitOptions::default().with_time(0));
    let change = am
        .get_last_local_change()
        .ok_or_else(|| anyhow::anyhow!("no change committed"))?
        .clone();
    Ok(SignedChange::sign(key, doc, &change))
}

/// The three bad changes by `key` about `resource` (owned by another
/// agency) at `start`: forged, unauthorized, impersonating.
pub fn bad_changes(
    key: &AgencyKey,
    resource: &ResourceId,
    start: Timestamp,
) -> anyhow::Result<Vec<SignedChange>> {
    let end = start + jiff::SignedDuration::from_hours(1);
    let shard = shard_of(start);
    let booking = BookingId::new(key.id(), "forged-1")?;
    let request = BookingRequest {
        id: booking.clone(),
        resource: resource.clone(),
        contact: "forger".into(),
        purpose: "forged".into(),
        start,
        end,
        quantity: 1,
        hlc: Hlc {
            wall_ms: start.as_millisecond() - 86_400_000,
            counter: 0,
        },
    };
    let requests = DocId {
        kind: DocKind::Requests,
        owner: key.id(),
        shard,
    };
    // 1. A well-formed request with one signature bit flipped. (Written
    // into a document of its own so no honest change depends on it.)
    let mut forged =
        DocWriter::new(key, requests, &[])?.write(key, &[Record::Request(request.clone())], 0)?;
    forged.sig[7] ^= 0x20;
    // 2. The signer "confirms" its request on the other agency's resource.
    let decision = Decision {
        resource: resource.clone(),
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
        key,
        DocId {
            kind: DocKind::Decisions,
            owner: key.id(),
            shard,
        },
        &format!("dec/{}/1", resource.local),
        serde_json::to_string(&Record::Decision(decision))?,
    )?;
    // 3. The signer writes a request into the resource owner's document.
    let mut theirs = request;
    theirs.id = BookingId::new(resource.owner, "forged-2")?;
    let impersonating = raw_change(
        key,
        DocId {
            kind: DocKind::Requests,
            owner: resource.owner,
            shard,
        },
        "req/forged-2",
        serde_json::to_string(&Record::Request(theirs))?,
    )?;
    Ok(vec![forged, unauthorized, impersonating])
}

/// Connects to `addr` as `key` and sends `changes` in one sync message;
/// returns once the node acknowledged it.
pub async fn send(
    key: &AgencyKey,
    addr: Multiaddr,
    changes: Vec<SignedChange>,
) -> anyhow::Result<()> {
    let mut swarm = net::swarm(key, false)?;
    swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
    swarm.dial(addr)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut msg = Some(Message::Changes { changes });
    loop {
        let ev = tokio::time::timeout_at(deadline, swarm.select_next_some())
            .await
            .map_err(|_| anyhow::anyhow!("no answer from the node within 30 s"))?;
        match ev {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                if let Some(m) = msg.take() {
                    swarm.behaviour_mut().sync.send_request(&peer_id, m);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(Event::Message {
                message: RrMessage::Request { channel, .. },
                ..
            })) => {
                let _ = swarm.behaviour_mut().sync.send_response(channel, Ack);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(Event::Message {
                message: RrMessage::Response { .. },
                ..
            })) => return Ok(()),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(Event::OutboundFailure {
                error, ..
            })) => anyhow::bail!("sending failed: {error}"),
            _ => {}
        }
    }
}
