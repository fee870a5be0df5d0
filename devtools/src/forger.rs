//! A scripted attacker for the demo and the tests: with a member's key it
//! opens a real libp2p connection to a node and sends three changes every
//! honest node must refuse — a forged signature, an unauthorized write
//! (publishing a resource the signer does not own) and an impersonation
//! (writing into another agency's document); by sync message, or each on
//! its gossipsub topic.

use std::time::Duration;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ROOT};
use crdt_model::agency::AgencyKey;
use crdt_model::booking::BookingRequest;
use crdt_model::doc::{DocWriter, actor_of};
use crdt_model::engine::Message;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, ResourceId, shard_of};
use crdt_model::record::Record;
use crdt_model::signed::SignedChange;
use futures::StreamExt;
use jiff::Timestamp;
use libp2p::Multiaddr;
use libp2p::request_response::{Event, Message as RrMessage};
use libp2p::swarm::SwarmEvent;

use node::net::{self, Ack, BehaviourEvent};

/// One raw Automerge change by `key` on top of `history` (the document's
/// earlier changes), putting `json` under `k` in `doc`, signed by `key`,
/// whatever the document and the record say.
fn raw_change(
    key: &AgencyKey,
    doc: DocId,
    history: &[SignedChange],
    k: &str,
    json: String,
) -> anyhow::Result<SignedChange> {
    let mut am = AutoCommit::new().with_actor(actor_of(&key.id()));
    let earlier = history
        .iter()
        .map(|c| automerge::Change::from_bytes(c.change.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    am.apply_changes(earlier)?;
    am.put(ROOT, k, json)?;
    am.commit_with(CommitOptions::default().with_time(0));
    let change = am
        .get_last_local_change()
        .ok_or_else(|| anyhow::anyhow!("no change committed"))?
        .clone();
    Ok(SignedChange::sign(key, doc, &change))
}

/// The signed changes of `key`'s catalogue stored in the home `dir` (whose
/// daemon must be stopped), oldest first.
pub fn catalog_history(
    dir: &std::path::Path,
    key: &AgencyKey,
) -> anyhow::Result<Vec<SignedChange>> {
    let home = node::config::Home::new(dir);
    let store = node::store::SledStore::open(&home.db_path())?;
    let doc = DocId::catalog(key.id());
    let mut out: Vec<(u64, SignedChange)> = node::store::Storage::changes(&store)?
        .into_iter()
        .filter(|c| c.doc == doc)
        .filter_map(|c| {
            let seq = automerge::Change::from_bytes(c.change.clone()).ok()?.seq();
            Some((seq, c))
        })
        .collect();
    out.sort_by_key(|(seq, _)| *seq);
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

/// The three bad changes by `key` about `resource` (owned by another
/// agency) at `start`: forged, unauthorized, impersonating. `catalog` is
/// the signer's catalogue so far (see [`catalog_history`]).
pub fn bad_changes(
    key: &AgencyKey,
    resource: &ResourceId,
    start: Timestamp,
    catalog: &[SignedChange],
) -> anyhow::Result<Vec<SignedChange>> {
    let end = start + jiff::SignedDuration::from_hours(1);
    let shard = shard_of(start);
    let booking = BookingId::new(key.id(), "forged-1")?;
    let request = BookingRequest {
        by: None,
        wait_list: false,
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
        series: None,
    };
    let requests = DocId::requests(key.id(), resource.owner, shard);
    // 1. A well-formed request with one signature bit flipped. (Written
    // into a document of its own so no honest change depends on it.)
    let mut forged =
        DocWriter::new(key, requests, &[])?.write(key, &[Record::Request(request.clone())], 0)?;
    forged.sig[7] ^= 0x20;
    // 2. The signer republishes the other agency's resource, as its own
    // entry, in its own catalogue (say, to take it off the network). (A
    // decision on another agency's resource cannot even be written: the
    // stored form derives the resource from the document's owner.)
    let hijacked = crdt_model::resource::Resource {
        id: resource.clone(),
        kind: crdt_model::resource::ResourceKind::MeetingRoom,
        name: crdt_model::agency::Text::new("已停用", "retired"),
        location: Default::default(),
        capacity: crdt_model::resource::Capacity::People(1),
        features: Default::default(),
        attributes: Default::default(),
        sharing: crdt_model::resource::Sharing::OwnerOnly,
        rules: Default::default(),
        retired: true,
        held_by: None,
    };
    let unauthorized = raw_change(
        key,
        DocId::catalog(key.id()),
        catalog,
        &format!("res/{}", resource.local),
        serde_json::to_string(&Record::Resource(Box::new(hijacked)))?,
    )?;
    // 3. The signer writes a request into the resource owner's document.
    let mut theirs = request;
    theirs.id = BookingId::new(resource.owner, "forged-2")?;
    let their_doc = DocId::requests(resource.owner, resource.owner, shard);
    let json = Record::Request(theirs).encode(&their_doc)?;
    let impersonating = raw_change(key, their_doc, &[], "req/forged-2", json)?;
    Ok(vec![forged, unauthorized, impersonating])
}

/// Connects to `addr` as `key` and sends `changes` in one sync message;
/// returns once the node acknowledged it.
pub async fn send(
    key: &AgencyKey,
    addr: Multiaddr,
    changes: Vec<SignedChange>,
) -> anyhow::Result<()> {
    let mut swarm = net::swarm(key, false, 50)?;
    swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
    swarm.dial(addr)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut msg = Some(Message::Changes { changes, n: 1 });
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

/// Connects to `addr` as `key` and publishes each of `changes` on its own
/// gossipsub topic in network `network` (the topic an honest node would
/// publish it on; a catalogue change, which has none, on its writer's),
/// once the node has told us it subscribes there. Returns
/// the task that keeps the connection up (abort it when done): what the
/// node passes on, and whether it does, is for the caller to watch.
pub async fn publish(
    key: &AgencyKey,
    addr: Multiaddr,
    network: &str,
    changes: Vec<SignedChange>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use crdt_model::engine::Topic;
    use libp2p::gossipsub::{self, IdentTopic};
    let mut swarm = net::swarm(key, false, 50)?;
    swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse()?)?;
    swarm.dial(addr)?;
    // A catalogue change has no topic: it goes on its writer's.
    let mut waiting: Vec<(String, SignedChange)> = changes
        .into_iter()
        .map(|c| {
            let topic = Topic::of(&c.doc).unwrap_or(Topic::Owner(c.doc.owner));
            (topic.name(network), c)
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut subscribed = std::collections::BTreeSet::new();
    while !waiting.is_empty() {
        let ev = tokio::time::timeout_at(deadline, swarm.select_next_some())
            .await
            .map_err(|_| anyhow::anyhow!("the node did not subscribe within 30 s"))?;
        match ev {
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Subscribed {
                topic,
                ..
            })) => {
                subscribed.insert(topic.as_str().to_string());
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(Event::Message {
                message: RrMessage::Request { channel, .. },
                ..
            })) => {
                let _ = swarm.behaviour_mut().sync.send_response(channel, Ack);
            }
            _ => {}
        }
        let (ready, rest): (Vec<_>, Vec<_>) = waiting
            .into_iter()
            .partition(|(t, _)| subscribed.contains(t));
        waiting = rest;
        for (topic, c) in ready {
            let data = cbor4ii::serde::to_vec(Vec::new(), &vec![c])?;
            swarm
                .behaviour_mut()
                .gossip
                .publish(IdentTopic::new(topic), data)
                .map_err(|e| anyhow::anyhow!("publishing: {e}"))?;
        }
    }
    Ok(tokio::spawn(async move {
        loop {
            if let SwarmEvent::Behaviour(BehaviourEvent::Sync(Event::Message {
                message: RrMessage::Request { channel, .. },
                ..
            })) = swarm.select_next_some().await
            {
                let _ = swarm.behaviour_mut().sync.send_response(channel, Ack);
            }
        }
    }))
}
