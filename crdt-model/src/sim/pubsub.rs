//! The simulator's publish-subscribe layer, a model of the node's
//! gossipsub (see `crate::engine::gossip`): each node tells the peers it
//! is connected to which topics it subscribes to; a message published on
//! a topic goes to every connected peer subscribed there; a peer that
//! receives it for the first time hands it to its engine and, if the
//! engine accepts it, passes it on to its own subscribed peers but the
//! one it came from. Copies that arrive again cost their bytes and are
//! dropped, as gossipsub's message-id cache drops them.

use super::*;
use crate::engine::{Topic, Verdict};

/// Topics and the messages each node has seen.
#[derive(Debug, Default)]
pub(super) struct Pubsub {
    /// Whether engines started from now on publish live changes.
    pub(super) on: bool,
    /// Per node, the topics it subscribes to.
    topics: BTreeMap<usize, BTreeSet<Topic>>,
    /// Per node, the ids of the messages it has seen.
    seen: BTreeMap<usize, BTreeSet<u64>>,
    /// Messages published so far.
    pub(super) published: u64,
}

/// A message's id: a hash of its changes' signatures (the node uses the
/// content's SHA-256 likewise).
fn message_id(changes: &[SignedChange]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in changes {
        for b in c.sig.iter() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl Sim {
    /// Whether live changes go on topics (see [`Sim::enable_gossip`]).
    pub fn gossip(&self) -> bool {
        self.pubsub.on
    }

    /// Messages published on topics so far.
    pub fn published(&self) -> u64 {
        self.pubsub.published
    }

    /// Node `i` started: it subscribes to its engine's topics.
    pub(super) fn subscribe_at_start(&mut self, i: usize) {
        if let Some(e) = self.nodes[i].engine.as_ref().filter(|_| self.pubsub.on) {
            self.pubsub.topics.insert(i, e.topics());
        }
    }

    /// Nodes `a` and `b` connected: each tells the other its topics.
    pub(super) fn exchange_topics(&mut self, a: usize, b: usize) {
        if !self.pubsub.on {
            return;
        }
        for (from, to) in [(a, b), (b, a)] {
            let topics: Vec<Topic> = self
                .pubsub
                .topics
                .get(&from)
                .map(|t| t.iter().cloned().collect())
                .unwrap_or_default();
            if !topics.is_empty() {
                self.subscription(from, to, topics, true);
            }
        }
    }

    fn subscription(&mut self, from: usize, to: usize, topics: Vec<Topic>, on: bool) {
        let at = self.now_ms + 1 + self.rng.below(self.max_latency_ms as u64) as i64;
        self.push(
            at,
            Ev::Subscribe {
                from,
                to,
                topics,
                on,
            },
        );
    }

    /// The peers of `i` on an open session.
    fn connected_peers(&self, i: usize) -> Vec<usize> {
        self.adjacent
            .get(&i)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Node `i`'s engine subscribes to `topics` from now on.
    pub(super) fn set_topics(&mut self, i: usize, topics: BTreeSet<Topic>) {
        let old = self
            .pubsub
            .topics
            .insert(i, topics.clone())
            .unwrap_or_default();
        let added: Vec<Topic> = topics.difference(&old).cloned().collect();
        let removed: Vec<Topic> = old.difference(&topics).cloned().collect();
        for j in self.connected_peers(i) {
            if !added.is_empty() {
                self.subscription(i, j, added.clone(), true);
            }
            if !removed.is_empty() {
                self.subscription(i, j, removed.clone(), false);
            }
        }
    }

    /// Node `i` publishes `changes` on `topic`; with no subscribed peer
    /// the publish fails, and its engine is told.
    pub(super) fn publish(&mut self, i: usize, topic: Topic, changes: Vec<SignedChange>) {
        let id = message_id(&changes);
        self.pubsub.seen.entry(i).or_default().insert(id);
        self.pubsub.published += 1;
        if self.pass_on(i, None, &topic, &changes, id) == 0 {
            self.input(i, Input::Unpublished { changes });
        }
    }

    /// Sends a message to `i`'s connected peers subscribed to `topic` but
    /// `except`; returns how many.
    fn pass_on(
        &mut self,
        i: usize,
        except: Option<usize>,
        topic: &Topic,
        changes: &[SignedChange],
        id: u64,
    ) -> usize {
        let to: Vec<usize> = self
            .connected_peers(i)
            .into_iter()
            .filter(|j| Some(*j) != except)
            .filter(|j| self.pubsub.topics.get(j).is_some_and(|t| t.contains(topic)))
            .collect();
        for &j in &to {
            let mut lat = 1 + self.rng.below(self.max_latency_ms as u64) as i64;
            if self.straggle > 0.0 && self.rng.chance(self.straggle) {
                lat += 10 * self.max_latency_ms;
            }
            let msg = Message::Changes {
                changes: changes.to_vec(),
                n: 0,
            };
            self.push(
                self.now_ms + lat,
                Ev::Gossip {
                    from: i,
                    to: j,
                    topic: topic.clone(),
                    msg: Box::new(MessageOrd(msg)),
                    id,
                },
            );
        }
        to.len()
    }

    /// A subscription (or its end) reaches `to`.
    pub(super) fn on_subscription(&mut self, from: usize, to: usize, topics: Vec<Topic>, on: bool) {
        let up = self.connected.get(&Self::pair(from, to)).copied() == Some(true);
        if !up || self.nodes[to].engine.is_none() {
            return;
        }
        let peer = self.id(from);
        for topic in topics {
            self.input(to, Input::Subscribed { peer, topic, on });
        }
    }

    /// A published message reaches `to` from `from`.
    pub(super) fn on_gossip(
        &mut self,
        from: usize,
        to: usize,
        topic: Topic,
        msg: Message,
        id: u64,
    ) {
        let up = self.connected.get(&Self::pair(from, to)).copied() == Some(true);
        if !up || self.nodes[to].engine.is_none() || (self.loss > 0.0 && self.rng.chance(self.loss))
        {
            self.lost += 1;
            return;
        }
        self.delivered += 1;
        self.nodes[to].received_bytes += message_bytes(&msg);
        if !self.pubsub.seen.entry(to).or_default().insert(id) {
            return;
        }
        if !self
            .pubsub
            .topics
            .get(&to)
            .is_some_and(|t| t.contains(&topic))
        {
            return;
        }
        let Message::Changes { changes, .. } = msg else {
            return;
        };
        let now = self.now_at(to);
        let from_id = self.id(from);
        let engine = self.nodes[to].engine.as_mut().expect("checked above");
        let (verdict, outputs) = engine.gossip(now, from_id, topic.clone(), changes.clone());
        if !self.lazy || self.settle_rng.chance(0.5) {
            engine.settle();
        }
        self.apply(to, outputs);
        if verdict == Verdict::Accept {
            self.pass_on(to, Some(from), &topic, &changes, id);
        }
    }
}
