//! Live changes over gossipsub: the topics the engine asks for
//! (subscribed and left), its publishes after the commit, messages in
//! (handed to the engine, passed on only if it accepted them), and
//! members' subscriptions reported to it (`crdt_model::engine::gossip`).

use std::collections::BTreeSet;

use crdt_model::engine::{Topic, Verdict};
use crdt_model::signed::SignedChange;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};

use super::*;

/// Publish-subscribe state of the node.
#[derive(Debug, Default)]
pub(super) struct Topics {
    /// The topics subscribed to.
    pub(super) subscribed: BTreeSet<Topic>,
    /// Messages published, received, and rejected (a change in them
    /// refused or misplaced: not passed on).
    pub(super) published: u64,
    pub(super) received: u64,
    pub(super) not_passed: u64,
}

impl Actor {
    fn network_name(&self) -> String {
        self.engine.ledger().roster().network_id().to_string()
    }

    /// What `tongchou status` shows of the topics.
    pub(super) fn topics_view(&self) -> api::TopicsView {
        api::TopicsView {
            subscribed: self.topics.subscribed.len(),
            published: self.topics.published,
            received: self.topics.received,
            not_passed: self.topics.not_passed,
        }
    }

    /// Subscribes to exactly `topics` (the engine's).
    pub(super) fn set_topics(&mut self, topics: BTreeSet<Topic>) {
        let net = self.network_name();
        let old = std::mem::take(&mut self.topics.subscribed);
        for t in old.difference(&topics) {
            self.swarm
                .behaviour_mut()
                .gossip
                .unsubscribe(&IdentTopic::new(t.name(&net)));
        }
        for t in topics.difference(&old) {
            if let Err(e) = self
                .swarm
                .behaviour_mut()
                .gossip
                .subscribe(&IdentTopic::new(t.name(&net)))
            {
                warn!(topic = %t.name(&net), error = ?e, "cannot subscribe");
            }
        }
        debug!(topics = topics.len(), "subscribed");
        self.topics.subscribed = topics;
    }

    /// A new swarm (after a key rotation) subscribes to what the old one
    /// did.
    pub(super) fn resubscribe(&mut self) {
        let topics = std::mem::take(&mut self.topics.subscribed);
        self.set_topics(topics);
    }

    /// Publishes changes the store holds now; one that cannot go (no
    /// member subscribed after all) is sent by message instead (returns
    /// false).
    pub(super) fn publish(&mut self, topic: Topic, changes: Vec<SignedChange>) -> bool {
        let name = topic.name(&self.network_name());
        let data = match cbor4ii::serde::to_vec(Vec::new(), &changes) {
            Ok(d) => d,
            Err(e) => {
                warn!(error = %e, "cannot encode a publish");
                self.engine_input(Input::Unpublished { changes });
                return false;
            }
        };
        match self
            .swarm
            .behaviour_mut()
            .gossip
            .publish(IdentTopic::new(name), data)
        {
            Ok(_) | Err(gossipsub::PublishError::Duplicate) => {
                self.topics.published += 1;
                true
            }
            Err(e) => {
                debug!(error = %e, "not published: sent by message");
                self.engine_input(Input::Unpublished { changes });
                false
            }
        }
    }

    pub(super) fn on_gossip(&mut self, e: gossipsub::Event) {
        match e {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let verdict = self.take_in(propagation_source, message);
                if verdict == Verdict::Reject {
                    self.topics.not_passed += 1;
                }
                let acceptance = match verdict {
                    Verdict::Accept => MessageAcceptance::Accept,
                    Verdict::Reject => MessageAcceptance::Reject,
                    Verdict::Ignore => MessageAcceptance::Ignore,
                };
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .report_message_validation_result(&message_id, &propagation_source, acceptance);
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                self.subscription(&peer_id, topic.as_str(), true)
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                self.subscription(&peer_id, topic.as_str(), false)
            }
            other => debug!(event = ?other, "gossipsub"),
        }
    }

    /// A message on a topic: the engine takes it in; what it makes of it.
    fn take_in(&mut self, from: PeerId, message: gossipsub::Message) -> Verdict {
        let Some(&agency) = self.connected.get(&from) else {
            return Verdict::Ignore;
        };
        if self.storage_fault.is_some() {
            return Verdict::Ignore;
        }
        let Some(topic) = Topic::parse(&self.network_name(), message.topic.as_str()) else {
            return Verdict::Reject;
        };
        let changes: Vec<SignedChange> = match cbor4ii::serde::from_slice(&message.data) {
            Ok(c) => c,
            Err(e) => {
                debug!(peer = %agency.short(), error = %e, "malformed message on a topic");
                return Verdict::Reject;
            }
        };
        self.topics.received += 1;
        let bytes = super::swarm::change_bytes(&changes);
        let (verdict, _) = self.take_from(agency, bytes, |a| {
            let (verdict, out) = a.engine.gossip(Timestamp::now(), agency, topic, changes);
            a.apply(out);
            verdict
        });
        verdict
    }

    /// A peer's subscription, told to the engine if the peer is a member
    /// in session (a stranger's, or a revoked member's while it is told
    /// of its revocation, is kept by gossipsub only).
    fn subscription(&mut self, peer: &PeerId, topic: &str, on: bool) {
        let Some(&agency) = self.connected.get(peer) else {
            return;
        };
        if let Some(topic) = Topic::parse(&self.network_name(), topic) {
            self.engine_input(Input::Subscribed {
                peer: agency,
                topic,
                on,
            });
        }
    }

    /// A member admitted to a session: the subscriptions it sent before
    /// are told to the engine.
    pub(super) fn replay_subscriptions(&mut self, peer: PeerId) {
        let topics: Vec<String> = self
            .swarm
            .behaviour()
            .gossip
            .all_peers()
            .filter(|(p, _)| **p == peer)
            .flat_map(|(_, ts)| ts.into_iter().map(|t| t.as_str().to_string()))
            .collect();
        for t in topics {
            self.subscription(&peer, &t, true);
        }
    }
}
