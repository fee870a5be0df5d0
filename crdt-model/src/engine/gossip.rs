//! Live changes over publish-subscribe topics, one per owner (gossipsub in
//! the node, a flooding model in the simulator), beside the sessions'
//! catch-up.
//!
//! A request, cancellation or decision written here is published on its
//! topic ([`Topic::of`]): those concerning owner X on X's topic.
//! Catalogues have none: every replica holds them all, they change
//! seldom, and a topic every node subscribes to would bring each change
//! once from each of a node's mesh peers, where the sessions bring it
//! once. A replica subscribes to its own topic and to those of the owners
//! it follows ([`Engine::topics`]),
//! so the topic's mesh carries a change to exactly the replicas that hold
//! it, each relaying what it accepted. A peer the driver reports
//! subscribed ([`Input::Subscribed`]) is not sent by message what the
//! topic brings it: for a while ([`ON_WAY_MS`] from the first such change
//! of a document) such changes count as on their way, like a message not
//! yet acknowledged, and a summary that still lacks them afterwards, or
//! lacks one before them, has them sent by message (a topic may lose what
//! a session does not). Changes that came by message (catching up)
//! go on by message; only the author publishes, the mesh relays.
//!
//! A relayed message is passed on only when every change it carries was
//! applied here ([`Verdict::Accept`]): a forged, revoked or misplaced
//! change stops at the first replica, and so does one not yet checked
//! (waiting for an earlier one) or one held already.

use serde::{Deserialize, Serialize};

use super::*;

/// How long a change a peer's topic is to bring it counts as on its way
/// to the peer (a summary written meanwhile may not show it yet), ms.
pub const ON_WAY_MS: i64 = 10_000;

/// A topic live changes are published on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// The requests and decisions concerning an owner (its documents'
    /// subject, see [`crate::interest::subject`]).
    Owner(AgencyId),
}

impl Topic {
    /// The topic a document's changes are published on (none for a
    /// catalogue: they go by message).
    pub fn of(doc: &DocId) -> Option<Topic> {
        match doc.kind {
            crate::ids::DocKind::Catalog => None,
            _ => Some(Topic::Owner(crate::interest::subject(doc))),
        }
    }

    /// The topic's name in network `network` (what the node subscribes
    /// to).
    pub fn name(&self, network: &str) -> String {
        match self {
            Topic::Owner(a) => format!("/tongchou/{network}/owner/{a}"),
        }
    }

    /// The topic named `name` in network `network`, if it is one of ours.
    pub fn parse(network: &str, name: &str) -> Option<Topic> {
        let rest = name.strip_prefix("/tongchou/")?.strip_prefix(network)?;
        let owner = rest.strip_prefix('/')?.strip_prefix("owner/")?;
        owner.parse().ok().map(Topic::Owner)
    }
}

/// What a replica makes of a message published on a topic: whether its
/// publish-subscribe layer passes it on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every change verified: passed on.
    Accept,
    /// A change was refused (forged, revoked, misplaced on the topic,
    /// malformed): not passed on.
    Reject,
    /// Not judged (the sender is not a peer of ours, or our queue is
    /// full): not passed on, not held against the sender.
    Ignore,
}

/// Changes of one document a peer's topic is to bring it.
#[derive(Debug, Clone, Copy)]
struct OnWay {
    low: u64,
    high: u64,
    since_ms: i64,
}

impl OnWay {
    /// Whether the window is still open (a clock set back closes it).
    fn open(&self, now: Timestamp) -> bool {
        (0..ON_WAY_MS).contains(&(ms(now) - self.since_ms))
    }
}

/// The publish-subscribe state of an engine.
#[derive(Debug, Default)]
pub(super) struct Gossip {
    /// The topics each peer subscribes to, as the driver reported.
    subscribed: BTreeMap<AgencyId, BTreeSet<Topic>>,
    /// Changes to publish once the driver has stored them.
    unpublished: Vec<(Topic, Vec<SignedChange>)>,
    /// Per peer, per document, the changes its topic is to bring it: the
    /// lowest and highest numbers published or relayed since the first of
    /// them, and when that first one went (ms).
    on_way: BTreeMap<AgencyId, BTreeMap<DocId, OnWay>>,
    /// The topics last told to the driver.
    told: BTreeSet<Topic>,
    /// The changes of the message being taken in from a topic, when it is
    /// passed on there: `(document, number)`.
    relaying: BTreeSet<(DocId, u64)>,
    /// Messages published, and received on topics, since the start.
    pub(super) counts: (u64, u64),
}

impl Engine {
    /// The topics this replica subscribes to: its own, and those of the
    /// owners it follows (every member's when it follows everything).
    pub fn topics(&self) -> BTreeSet<Topic> {
        let mut out = BTreeSet::from([Topic::Owner(self.me)]);
        match &self.interest {
            Some(owners) => out.extend(owners.iter().copied().map(Topic::Owner)),
            None => out.extend(
                self.ledger
                    .roster()
                    .members()
                    .iter()
                    .filter(|(a, _)| self.ledger.roster().is_active(a))
                    .map(|(a, _)| Topic::Owner(*a)),
            ),
        }
        out
    }

    /// Messages published and received on topics since the start.
    pub fn gossip_counts(&self) -> (u64, u64) {
        self.gossip.counts
    }

    /// Tells the driver the topics to subscribe to, when they changed.
    pub(super) fn tell_topics(&mut self, out: &mut Vec<Output>) {
        if !self.cfg.gossip {
            return;
        }
        let topics = self.topics();
        if topics != self.gossip.told {
            self.gossip.told = topics.clone();
            out.push(Output::Topics(topics));
        }
    }

    /// A message published on `topic` arrived from `from` (the peer that
    /// passed it on): its changes are taken in like a message's, and what
    /// this replica accepted is passed on by the topic to the peers
    /// subscribed there. Returns whether the driver passes the message on.
    pub fn gossip(
        &mut self,
        now: Timestamp,
        from: AgencyId,
        topic: Topic,
        changes: Vec<SignedChange>,
    ) -> (Verdict, Vec<Output>) {
        let mut out = Vec::new();
        if !self.peers.contains_key(&from) {
            return (Verdict::Ignore, out);
        }
        self.gossip.counts.1 += 1;
        if changes
            .iter()
            .any(|c| Topic::of(&c.doc).as_ref() != Some(&topic))
        {
            // Misplaced: subscribers of this topic may not hold it.
            return (Verdict::Reject, out);
        }
        let changes: Vec<SignedChange> =
            changes.into_iter().filter(|c| self.wants(&c.doc)).collect();
        let carried: BTreeSet<(DocId, u64)> = changes
            .iter()
            .map(|c| (c.doc.clone(), c.number()))
            .collect();
        let report = self.ledger.ingest(changes);
        // Passed on only if every change it carries was taken in now: not
        // one refused (forged, revoked, against the rules), not one waiting
        // for an earlier one (its record checks run when it applies), not
        // one held already (a message of old changes would be passed on
        // by every node for nothing). Refusals of earlier changes it
        // released are not its own.
        let applied: BTreeSet<(DocId, u64)> = report
            .accepted
            .iter()
            .map(|c| (c.doc.clone(), c.number()))
            .filter(|k| carried.contains(k))
            .collect();
        let refused = report
            .refused
            .iter()
            .filter(|r| carried.contains(&(r.doc.clone(), r.seq)))
            .any(|r| !matches!(r.reason, RefuseReason::QueueFull));
        let verdict = if refused {
            Verdict::Reject
        } else if !carried.is_empty() && applied.len() == carried.len() {
            Verdict::Accept
        } else {
            Verdict::Ignore
        };
        if let Some(p) = self.peers.get_mut(&from) {
            p.duplicates.0 += report.duplicates as u64;
            p.duplicates.1 += report.duplicate_bytes;
            for (doc, seq) in &report.seen {
                let k = p.known.entry(doc.clone()).or_default();
                *k = (*k).max(*seq);
            }
        }
        if verdict == Verdict::Accept {
            self.gossip.relaying = applied;
        }
        self.after_ingest(now, Some(from), report, &mut out);
        self.gossip.relaying.clear();
        self.on_gap(now, from, &mut out);
        (verdict, self.route(out))
    }

    /// Whether change `c`, accepted just now (`local`: written here),
    /// reaches `peer` by its topic: published here, or carried by the
    /// message being passed on from a topic, and the peer subscribed to
    /// it.
    pub(super) fn by_topic(&self, peer: &AgencyId, c: &SignedChange, local: bool) -> bool {
        self.cfg.gossip
            && (local || self.gossip.relaying.contains(&(c.doc.clone(), c.number())))
            && self
                .gossip
                .subscribed
                .get(peer)
                .zip(Topic::of(&c.doc))
                .is_some_and(|(t, topic)| t.contains(&topic))
    }

    /// Notes that `peer`'s topic brings it `c` (counted as on its way).
    /// A window opens with the first such change of a document and lasts
    /// [`ON_WAY_MS`], later changes not moving it: a busy document's lost
    /// change is not hidden for longer.
    pub(super) fn on_way(&mut self, now: Timestamp, peer: AgencyId, c: &SignedChange) {
        let n = c.number();
        let docs = self.gossip.on_way.entry(peer).or_default();
        match docs.get_mut(&c.doc) {
            Some(w) if w.open(now) => {
                w.low = w.low.min(n);
                w.high = w.high.max(n);
            }
            _ => {
                docs.insert(
                    c.doc.clone(),
                    OnWay {
                        low: n,
                        high: n,
                        since_ms: ms(now),
                    },
                );
            }
        }
    }

    /// Raises what `peer`'s summary says it holds (`known`) of each
    /// document to what its topics are bringing it, where the summary
    /// holds everything before the first of those (a change lost earlier
    /// is not hidden); windows past [`ON_WAY_MS`] are forgotten.
    pub(super) fn topic_on_way(
        &mut self,
        now: Timestamp,
        peer: &AgencyId,
        known: &mut BTreeMap<DocId, u64>,
    ) {
        let Some(docs) = self.gossip.on_way.get_mut(peer) else {
            return;
        };
        docs.retain(|_, w| w.open(now));
        for (doc, w) in docs.iter() {
            let k = known.entry(doc.clone()).or_default();
            if *k + 1 >= w.low {
                *k = (*k).max(w.high);
            }
        }
    }

    /// Queues `accepted` (written here, on topics some peer is to get
    /// them by) for publishing.
    pub(super) fn publish(&mut self, accepted: &[SignedChange]) {
        if !self.cfg.gossip {
            return;
        }
        let mut by_topic: BTreeMap<Topic, Vec<SignedChange>> = BTreeMap::new();
        for c in accepted {
            if let Some(t) = Topic::of(&c.doc) {
                by_topic.entry(t).or_default().push(c.clone());
            }
        }
        for (topic, changes) in by_topic {
            // Within the driver's message size, like a session's messages.
            for batch in self.batches(changes) {
                self.gossip.unpublished.push((topic.clone(), batch));
            }
        }
    }

    /// The publishes stored changes wait for, released at the commit.
    pub(super) fn release_publishes(&mut self, out: &mut Vec<Output>) {
        for (topic, changes) in std::mem::take(&mut self.gossip.unpublished) {
            self.gossip.counts.0 += 1;
            out.push(Output::Publish { topic, changes });
        }
    }

    /// Whether publishes wait for the driver's commit.
    pub(super) fn has_unpublished(&self) -> bool {
        !self.gossip.unpublished.is_empty()
    }

    /// The driver's report of a peer's subscription (to another member's
    /// topic or the catalogues'; others are no topic of ours).
    pub(super) fn on_subscribed(&mut self, peer: AgencyId, topic: Topic, on: bool) {
        if let Topic::Owner(a) = &topic
            && self.ledger.roster().member(a).is_none()
        {
            return;
        }
        let t = self.gossip.subscribed.entry(peer).or_default();
        if on {
            t.insert(topic);
        } else {
            t.remove(&topic);
        }
    }

    /// A peer gone: its subscriptions went with its connection.
    pub(super) fn forget_subscriptions(&mut self, peer: &AgencyId) {
        self.gossip.subscribed.remove(peer);
        self.gossip.on_way.remove(peer);
    }

    /// A publish that could not go out: the peers counted on it lack its
    /// changes, and are sent them by message after the next commit.
    pub(super) fn on_unpublished(&mut self, changes: Vec<SignedChange>) {
        let carried: flow::Carried = changes
            .iter()
            .map(|c| (c.doc.clone(), c.number()))
            .collect();
        let peers: Vec<AgencyId> = self.gossip.on_way.keys().copied().collect();
        for peer in peers {
            let way = self.gossip.on_way.get_mut(&peer).expect("listed above");
            let mine: flow::Carried = carried
                .iter()
                .filter(|(d, n)| way.get(d).is_some_and(|w| w.high >= *n))
                .cloned()
                .collect();
            for (d, _) in &mine {
                way.remove(d);
            }
            if !mine.is_empty() {
                self.not_held_by(peer, mine, true);
                self.resync_after_commit.insert(peer);
            }
        }
    }
}
