//! A deterministic simulated network of engines: virtual clock, timed event
//! queue, seeded RNG, partitions and crashes. For tests and benchmarks
//! (feature `test-utils`); a failing seed replays exactly.

pub mod chaos;
mod fixtures;
pub mod interest;
mod pubsub;
pub use fixtures::{Rng, overbooking, test_key, test_profile, test_resource};

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use jiff::Timestamp;

use crate::agency::{AgencyKey, AgencyProfile, Text};
use crate::booking::Status;
use crate::calendar::ResourceCalendar;
use crate::engine::{Config, Engine, Input, LocalError, LocalOp, LocalOutcome, Message, Output};
use crate::hlc::Hlc;
use crate::ids::{AgencyId, ResourceId};
use crate::interest::Follows;
use crate::membership::{Role, Roster, RosterAction, SignedRosterEvent};
use crate::signed::SignedChange;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Deliver {
        from: usize,
        to: usize,
        msg: Box<MessageOrd>,
        id: u64,
    },
    /// The transport tells the sender how a message fared.
    Ack {
        node: usize,
        peer: AgencyId,
        id: u64,
        ok: bool,
    },
    Timer {
        node: usize,
        at: i64,
    },
    /// A copy of a message already delivered, arriving again (no
    /// acknowledgement: the transport delivered it once).
    Again {
        from: usize,
        to: usize,
        msg: Box<MessageOrd>,
    },
    /// A message published on a topic (see [`pubsub`]).
    Gossip {
        from: usize,
        to: usize,
        topic: crate::engine::Topic,
        msg: Box<MessageOrd>,
        id: u64,
    },
    /// Topics `from` subscribes to (`on`) or left, told to `to`.
    Subscribe {
        from: usize,
        to: usize,
        topics: Vec<crate::engine::Topic>,
        on: bool,
    },
}

/// Messages ordered only by insertion (the heap key carries the order).
#[derive(Debug)]
struct MessageOrd(Message);
impl PartialEq for MessageOrd {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for MessageOrd {}
impl PartialOrd for MessageOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MessageOrd {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

/// One simulated node.
#[derive(Debug)]
pub struct SimNode {
    /// Its key (kept to restart it).
    pub key: AgencyKey,
    /// The engine (`None` while crashed).
    pub engine: Option<Engine>,
    /// What it persisted: survives crashes.
    pub stored: Vec<SignedChange>,
    /// Roster events it persisted.
    pub roster: Vec<SignedRosterEvent>,
    /// The invite and claim it presents while not yet a member.
    pub admission: Option<(SignedRosterEvent, SignedRosterEvent)>,
    /// How far its wall clock is off (ms; negative: behind).
    pub clock_offset_ms: i64,
    /// What it follows (engines (re)started from now on).
    pub follows: Follows,
    /// Bytes of messages it received (see [`message_bytes`]).
    pub received_bytes: u64,
    /// Whether it was a member from the start (it then starts from the
    /// network's first roster, verified once for all nodes).
    initial: bool,
}

/// The approximate encoded size of a message, bytes: what it carries
/// (change bytes, signatures, document ids, roster events) plus a small
/// framing cost, as the node's CBOR encoding would take.
pub fn message_bytes(msg: &Message) -> u64 {
    let doc = 60;
    (match msg {
        Message::Summary {
            docs,
            roster,
            follows,
            digest,
            ..
        } => {
            40 + docs.len() * (doc + 8)
                + roster.len() * 66
                + follows.as_ref().map_or(0, |f| f.len() * 34)
                + digest.as_ref().map_or(0, |_| 68)
        }
        Message::WholeSummary => 8,
        Message::Changes { changes, .. } => changes
            .iter()
            .map(|c| c.change.len() + 64 + 34 + doc + 16)
            .sum::<usize>(),
        Message::Roster { events } => events.len() * 400,
        Message::BusyAsk { owners, .. } => 40 + owners.len() * 34,
        Message::Busy { owners, .. } => owners
            .iter()
            .map(|o| {
                40 + o
                    .resources
                    .values()
                    .map(|b| doc + b.len() * 30)
                    .sum::<usize>()
            })
            .sum::<usize>(),
    }) as u64
}

/// The simulated network.
#[derive(Debug)]
pub struct Sim {
    /// The nodes.
    pub nodes: Vec<SimNode>,
    /// The RNG (seeded).
    pub rng: Rng,
    /// Virtual time, ms since the epoch.
    pub now_ms: i64,
    queue: BinaryHeap<Reverse<(i64, u64, Ev)>>,
    seq: u64,
    link_up: BTreeMap<(usize, usize), bool>,
    connected: BTreeMap<(usize, usize), bool>,
    /// The group of the last partition, until healed: a dial across it
    /// fails.
    cut: Option<BTreeSet<usize>>,
    /// Messages delivered so far.
    pub delivered: u64,
    /// Maximum one-way latency, ms.
    pub max_latency_ms: i64,
    /// Chance that a message on a working link is lost (its sender is told,
    /// as a transport reports a failed request).
    pub loss: f64,
    /// Messages lost so far (on working links or to cut ones).
    pub lost: u64,
    /// Chance that a delivered message arrives a second time, later.
    pub duplicate: f64,
    /// Messages delivered twice so far.
    pub duplicated: u64,
    /// Chance that a message is held up ten times the maximum latency, so
    /// that later messages overtake it.
    pub straggle: f64,
    /// Most changes in one message, for engines (re)started from now on
    /// (small values make catch-ups take many rounds).
    pub max_batch: usize,
    genesis: SignedRosterEvent,
    /// While delivering, engines settle their calendars only now and then
    /// (as a node does between reads), so the tests also cover calendars
    /// brought up to date late; every public method returns settled.
    settle_rng: Rng,
    lazy: bool,
    /// The roster every initial member starts from, verified once.
    base_roster: Roster,
    /// Messages and acknowledgements in the queue (not timers).
    in_flight: usize,
    /// Timers queued, by node and instant: one per instant, as a driver
    /// keeps them.
    timers: BTreeSet<(usize, i64)>,
    /// Topics and publishes (see [`pubsub`]).
    pubsub: pubsub::Pubsub,
    /// Each node's peers on an open session (as `connected` has them).
    adjacent: BTreeMap<usize, BTreeSet<usize>>,
}

impl Sim {
    /// `n` agencies, all members (agency 0 is the admin), all online and
    /// connected, at virtual time `start_ms`.
    pub fn new(seed: u64, n: usize, start_ms: i64) -> Self {
        let all: Vec<(usize, usize)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect();
        Self::with_links(seed, n, start_ms, &all, vec![Follows::everything(); n])
    }

    /// `n` agencies like [`Sim::new`], where only `links` (pairs of nodes)
    /// connect, and node `i` follows `follows[i]`. Agency `i` is in city
    /// `i % 4` (see [`test_profile`]).
    pub fn with_links(
        seed: u64,
        n: usize,
        start_ms: i64,
        links: &[(usize, usize)],
        follows: Vec<Follows>,
    ) -> Self {
        assert_eq!(follows.len(), n, "one follows per node");
        let keys: Vec<AgencyKey> = (0..n).map(test_key).collect();
        let (mut roster, genesis) = Roster::create(
            &keys[0],
            "sim",
            test_profile(&keys[0], 0),
            Hlc {
                wall_ms: start_ms,
                counter: 0,
            },
        );
        let mut events = Vec::new();
        for (i, k) in keys.iter().enumerate().skip(1) {
            events.push(roster.act(
                &keys[0],
                Hlc {
                    wall_ms: start_ms,
                    counter: i as u32,
                },
                RosterAction::Admit {
                    profile: test_profile(k, i),
                    role: Role::Member,
                    invitation: None,
                },
            ));
        }
        let nodes = keys
            .into_iter()
            .zip(follows)
            .map(|(key, follows)| SimNode {
                key,
                engine: None,
                stored: Vec::new(),
                roster: events.clone(),
                admission: None,
                clock_offset_ms: 0,
                follows,
                received_bytes: 0,
                initial: true,
            })
            .collect();
        let mut base_roster = Roster::from_genesis(genesis.clone()).expect("valid genesis");
        base_roster.add(events);
        let mut sim = Self {
            nodes,
            rng: Rng::new(seed),
            now_ms: start_ms,
            queue: BinaryHeap::new(),
            timers: BTreeSet::new(),
            seq: 0,
            link_up: BTreeMap::new(),
            connected: BTreeMap::new(),
            cut: None,
            delivered: 0,
            max_latency_ms: 40,
            loss: 0.0,
            lost: 0,
            duplicate: 0.0,
            duplicated: 0,
            straggle: 0.0,
            max_batch: Config::default().max_batch,
            genesis,
            settle_rng: Rng::new(seed ^ 0x005e_771e),
            lazy: false,
            base_roster,
            in_flight: 0,
            pubsub: pubsub::Pubsub::default(),
            adjacent: BTreeMap::new(),
        };
        for i in 0..n {
            sim.start(i);
        }
        for &(a, b) in links {
            sim.link_up.insert(Self::pair(a, b), true);
        }
        sim.reconnect();
        sim
    }

    /// Current virtual time.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.now_ms).expect("virtual time in range")
    }

    /// Node `i`'s wall clock (virtual time plus its offset).
    pub fn now_at(&self, i: usize) -> Timestamp {
        Timestamp::from_millisecond(self.now_ms + self.nodes[i].clock_offset_ms)
            .expect("virtual time in range")
    }

    /// Agency id of node `i`.
    pub fn id(&self, i: usize) -> AgencyId {
        self.nodes[i].key.id()
    }

    /// Node `i`'s engine (panics if crashed).
    pub fn engine(&self, i: usize) -> &Engine {
        self.nodes[i].engine.as_ref().expect("node is running")
    }

    fn start(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let mut roster = if node.initial {
            self.base_roster.clone()
        } else {
            Roster::from_genesis(self.genesis.clone()).expect("valid genesis")
        };
        roster.add(node.roster.clone());
        let (mut engine, _) = Engine::new(
            node.key.clone(),
            roster,
            Config {
                max_batch: self.max_batch,
                follows: node.follows.clone(),
                gossip: self.pubsub.on,
                ..Config::default()
            },
            node.stored.clone(),
        );
        engine.settle();
        node.engine = Some(engine);
        self.subscribe_at_start(i);
    }

    /// Live changes go on publish-subscribe topics from now on (see
    /// [`crate::engine::Topic`]): every node restarts with them from what
    /// it stored, and reconnects.
    pub fn enable_gossip(&mut self) {
        self.pubsub.on = true;
        self.restart_all();
    }

    /// Opens or closes the session of pair `p`; what it was.
    fn set_connected(&mut self, p: (usize, usize), up: bool) -> Option<bool> {
        for (x, y) in [(p.0, p.1), (p.1, p.0)] {
            let adj = self.adjacent.entry(x).or_default();
            if up {
                adj.insert(y);
            } else {
                adj.remove(&y);
            }
        }
        self.connected.insert(p, up)
    }

    fn pair(a: usize, b: usize) -> (usize, usize) {
        (a.min(b), a.max(b))
    }

    /// Opens sessions on every up link between running nodes that lack one.
    pub fn reconnect(&mut self) {
        let links: Vec<(usize, usize)> = self
            .link_up
            .iter()
            .filter(|(_, up)| **up)
            .map(|(p, _)| *p)
            .collect();
        for (a, b) in links {
            self.connect(a, b);
        }
    }

    /// Opens the session of the pair `(a, b)` (`a < b`) if both run and it
    /// is not open.
    fn connect(&mut self, a: usize, b: usize) {
        let up = self.nodes[a].engine.is_some() && self.nodes[b].engine.is_some();
        let conn = self.connected.get(&(a, b)).copied().unwrap_or(false);
        if up && !conn {
            self.set_connected((a, b), true);
            self.handshake(a, b);
            self.handshake(b, a);
            // Either side may have closed the session during the
            // handshake (a revoked or unknown agency): then neither
            // is told it is connected, as a transport would not.
            let (ia, ib) = (self.id(a), self.id(b));
            if self.connected.get(&(a, b)) == Some(&true) {
                self.input(a, Input::Connected(ib));
            }
            if self.connected.get(&(a, b)) == Some(&true) {
                self.input(b, Input::Connected(ia));
            }
            if self.connected.get(&(a, b)) == Some(&true) {
                self.exchange_topics(a, b);
            }
        }
    }

    /// The admission handshake of `from` toward `to`, as a node runs it on
    /// connecting: `from` presents its invitation or key rotations (if it has
    /// any) and who it is, `to` checks them and answers (with its roster to
    /// a newcomer, or to an agency it knows was revoked).
    fn handshake(&mut self, from: usize, to: usize) {
        let admission = self.nodes[from].admission.clone();
        let req = self.engine(from).join_request(admission);
        let now = self.now();
        let key = self.id(from);
        let Some(engine) = self.nodes[to].engine.as_mut() else {
            return;
        };
        let outcome = engine.on_join_request(now, key, req);
        engine.settle();
        self.apply(to, outcome.outputs);
        let engine = self.nodes[from].engine.as_mut().expect("node is running");
        let (outputs, _) = engine.on_join_response(now, outcome.response);
        engine.settle();
        self.apply(from, outputs);
    }

    /// Adds a node for an agency that is not a member yet and holds an
    /// invitation (`invite`, `claim`): it knows only the genesis, links to
    /// every node, and joins through whichever member it reaches. Returns
    /// its index.
    pub fn add_newcomer(
        &mut self,
        key: AgencyKey,
        invite: SignedRosterEvent,
        claim: SignedRosterEvent,
    ) -> usize {
        let i = self.nodes.len();
        self.nodes.push(SimNode {
            key,
            engine: None,
            stored: Vec::new(),
            roster: Vec::new(),
            admission: Some((invite, claim)),
            clock_offset_ms: 0,
            follows: Follows::everything(),
            received_bytes: 0,
            initial: false,
        });
        self.start(i);
        for j in 0..i {
            self.link_up.insert((j, i), true);
        }
        self.reconnect();
        i
    }

    /// Cuts every link between `group` and the rest.
    pub fn partition(&mut self, group: &[usize]) {
        self.cut = Some(group.iter().copied().collect());
        // Every link, and every session (a dial may have opened one).
        let links: Vec<(usize, usize)> = self
            .link_up
            .keys()
            .chain(self.connected.keys())
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (a, b) in links {
            if group.contains(&a) != group.contains(&b) {
                self.set_link(a, b, false);
            }
        }
    }

    /// Restores every link and reconnects.
    pub fn heal(&mut self) {
        self.cut = None;
        for up in self.link_up.values_mut() {
            *up = true;
        }
        self.reconnect();
    }

    fn set_link(&mut self, a: usize, b: usize, up: bool) {
        let p = Self::pair(a, b);
        self.link_up.insert(p, up);
        if !up && self.set_connected(p, false) == Some(true) {
            let (ia, ib) = (self.id(a), self.id(b));
            if self.nodes[a].engine.is_some() {
                self.input(a, Input::Disconnected(ib));
            }
            if self.nodes[b].engine.is_some() {
                self.input(b, Input::Disconnected(ia));
            }
        }
    }

    /// Kills node `i` (kill -9: only what it persisted survives).
    pub fn crash(&mut self, i: usize) {
        for j in 0..self.nodes.len() {
            if j != i {
                let p = Self::pair(i, j);
                if self.set_connected(p, false) == Some(true) && self.nodes[j].engine.is_some() {
                    let id = self.id(i);
                    self.input(j, Input::Disconnected(id));
                }
            }
        }
        self.nodes[i].engine = None;
    }

    /// Restarts every node (from what it stored) with the current
    /// [`Sim::max_batch`], and reconnects.
    pub fn restart_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.crash(i);
        }
        for i in 0..self.nodes.len() {
            self.start(i);
        }
        self.reconnect();
    }

    /// Restarts a crashed node from what it stored and reconnects.
    pub fn restart(&mut self, i: usize) {
        self.start(i);
        self.reconnect();
    }

    /// Advances virtual time.
    pub fn advance(&mut self, ms: i64) {
        self.now_ms += ms;
    }

    /// Runs `ms` of virtual time: every message, acknowledgement and timer
    /// due by then, in time order (at most `max_steps` events). Returns the
    /// events processed.
    pub fn run_for(&mut self, ms: i64, max_steps: usize) -> usize {
        let steps = self.run_unsettled(ms, max_steps);
        for n in &mut self.nodes {
            if let Some(e) = n.engine.as_mut() {
                e.settle();
            }
        }
        steps
    }

    /// Like [`Sim::run_for`], leaving calendars as the engines left them
    /// (cheaper in a large network; ledgers are up to date).
    pub fn run_unsettled(&mut self, ms: i64, max_steps: usize) -> usize {
        let end = self.now_ms + ms;
        let mut steps = 0;
        while steps < max_steps
            && self
                .queue
                .peek()
                .is_some_and(|Reverse((at, _, _))| *at <= end)
        {
            let Some(Reverse((at, _, ev))) = self.queue.pop() else {
                break;
            };
            steps += 1;
            self.now_ms = self.now_ms.max(at);
            self.event(ev);
        }
        self.now_ms = self.now_ms.max(end);
        steps
    }

    /// A local action on node `i`.
    pub fn local(&mut self, i: usize, op: LocalOp) -> Result<LocalOutcome, LocalError> {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let (outcome, outputs) = engine.local(now, op)?;
        self.apply(i, outputs);
        Ok(outcome)
    }

    /// Node `i` follows something else from now on (kept for restarts).
    pub fn set_follows(&mut self, i: usize, follows: Follows) {
        self.nodes[i].follows = follows.clone();
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let outputs = engine.set_follows(follows);
        self.apply(i, outputs);
    }

    /// Node `i` asks for the free/busy of `owners` it does not follow
    /// ([`Engine::ask_busy`]).
    pub fn ask_busy(
        &mut self,
        i: usize,
        owners: &[AgencyId],
        from: Timestamp,
        to: Timestamp,
        max_age_ms: i64,
    ) -> Result<crate::engine::BusyAsked, String> {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let (asked, outputs) = engine.ask_busy(now, owners, from, to, max_age_ms)?;
        self.apply(i, outputs);
        Ok(asked)
    }

    /// Node `i` publishes `records` in its document `doc` without the
    /// engine's checks, as a buggy or hostile member could.
    pub fn write_unchecked(
        &mut self,
        i: usize,
        doc: crate::ids::DocId,
        records: Vec<crate::record::Record>,
    ) -> Result<(), LocalError> {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let outputs = engine.write_unchecked(now, doc, records)?;
        self.apply(i, outputs);
        Ok(())
    }

    /// Node `i` replaces its key with `new_key` (kept for restarts, as a
    /// node keeps its key file).
    pub fn rotate_key(&mut self, i: usize, new_key: AgencyKey) -> Result<(), LocalError> {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let outputs = engine.rotate_key(now, new_key)?;
        engine.settle();
        self.nodes[i].key = engine.key().clone();
        self.apply(i, outputs);
        Ok(())
    }

    /// Several local actions on node `i`, handled as one batch.
    pub fn local_batch(
        &mut self,
        i: usize,
        ops: Vec<LocalOp>,
    ) -> Vec<Result<LocalOutcome, LocalError>> {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let (results, outputs) = engine.local_batch(now, ops);
        self.apply(i, outputs);
        results
    }

    fn input(&mut self, i: usize, input: Input) {
        let now = self.now_at(i);
        let Some(engine) = self.nodes[i].engine.as_mut() else {
            return;
        };
        let outputs = engine.handle(now, input);
        if !self.lazy || self.settle_rng.chance(0.5) {
            engine.settle();
        }
        self.apply(i, outputs);
    }

    /// An admin roster action on node `i`.
    pub fn roster_act(
        &mut self,
        i: usize,
        action: crate::membership::RosterAction,
    ) -> Result<(), LocalError> {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let outputs = engine.roster_act(now, action)?;
        engine.settle();
        self.apply(i, outputs);
        Ok(())
    }

    /// Hands roster events to node `i` as an admin action would.
    pub fn roster_events(&mut self, i: usize, events: Vec<SignedRosterEvent>) {
        let now = self.now_at(i);
        let engine = self.nodes[i].engine.as_mut().expect("node is running");
        let outputs = engine.add_roster_events(now, events);
        engine.settle();
        self.apply(i, outputs);
    }

    fn push(&mut self, at: i64, ev: Ev) {
        if !matches!(ev, Ev::Timer { .. }) {
            self.in_flight += 1;
        }
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    fn apply(&mut self, i: usize, outputs: Vec<Output>) {
        self.perform(i, outputs);
        // Everything persisted is stored: the engine releases its messages.
        let now = self.now_at(i);
        if let Some(e) = self.nodes[i].engine.as_mut()
            && e.has_queued_sends()
        {
            let sends = e.handle(now, Input::Committed);
            self.perform(i, sends);
        }
    }

    fn perform(&mut self, i: usize, outputs: Vec<Output>) {
        for o in outputs {
            match o {
                Output::Persist(changes) => self.nodes[i].stored.extend(changes),
                Output::PersistRoster(events) => self.nodes[i].roster.extend(events),
                Output::Send { to, msg, id } => {
                    if let Some(j) = self.nodes.iter().position(|n| n.key.id() == to) {
                        let mut lat = 1 + self.rng.below(self.max_latency_ms as u64) as i64;
                        if self.straggle > 0.0 && self.rng.chance(self.straggle) {
                            lat += 10 * self.max_latency_ms;
                        }
                        let at = self.now_ms + lat;
                        self.push(
                            at,
                            Ev::Deliver {
                                from: i,
                                to: j,
                                msg: Box::new(MessageOrd(msg)),
                                id,
                            },
                        );
                    }
                }
                Output::Disconnect { peer, .. } => {
                    if let Some(j) = self.nodes.iter().position(|n| n.key.id() == peer) {
                        let p = Self::pair(i, j);
                        if self.set_connected(p, false) == Some(true) {
                            let me = self.id(i);
                            self.input(j, Input::Disconnected(me));
                        }
                    }
                }
                Output::Notify(_) => {}
                // A dial opens a link where the topology had none (a node
                // dials any member it has an address for); a link cut by a
                // partition stays cut.
                Output::Dial(to) => {
                    if let Some(j) = self.nodes.iter().position(|n| n.key.id() == to) {
                        let p = Self::pair(i, j);
                        let same_side = self
                            .cut
                            .as_ref()
                            .is_none_or(|g| g.contains(&i) == g.contains(&j));
                        if i != j && self.link_up.get(&p).copied().unwrap_or(same_side) {
                            self.link_up.insert(p, true);
                            self.connect(p.0, p.1);
                        } else {
                            self.input(i, Input::Unreachable(to));
                        }
                    }
                }
                Output::Publish { topic, changes } => self.publish(i, topic, changes),
                Output::Topics(topics) => self.set_topics(i, topics),
                Output::SetTimer(at) => {
                    // `at` is on the node's own clock.
                    let at = (at - self.nodes[i].clock_offset_ms).max(self.now_ms);
                    if self.timers.insert((i, at)) {
                        self.push(at, Ev::Timer { node: i, at });
                    }
                }
            }
        }
    }

    /// Delivers messages (and fires timers due meanwhile) until no message
    /// is in flight, or `max_steps` events. Returns the events processed.
    pub fn run_until_quiet(&mut self, max_steps: usize) -> usize {
        self.lazy = true;
        let steps = self.deliver(max_steps);
        self.lazy = false;
        for n in &mut self.nodes {
            if let Some(e) = n.engine.as_mut() {
                e.settle();
            }
        }
        steps
    }

    fn deliver(&mut self, max_steps: usize) -> usize {
        let mut steps = 0;
        while steps < max_steps && self.in_flight > 0 {
            let Some(Reverse((at, _, ev))) = self.queue.pop() else {
                break;
            };
            steps += 1;
            self.now_ms = self.now_ms.max(at);
            self.event(ev);
        }
        steps
    }

    /// Performs one queued event.
    fn event(&mut self, ev: Ev) {
        if !matches!(ev, Ev::Timer { .. }) {
            self.in_flight -= 1;
        }
        match ev {
            Ev::Deliver { from, to, msg, id } => {
                let up = self
                    .connected
                    .get(&Self::pair(from, to))
                    .copied()
                    .unwrap_or(false);
                let ok = up
                    && self.nodes[to].engine.is_some()
                    && !(self.loss > 0.0 && self.rng.chance(self.loss));
                let to_id = self.id(to);
                if ok {
                    self.delivered += 1;
                    self.nodes[to].received_bytes += message_bytes(&msg.0);
                    let from_id = self.id(from);
                    if self.duplicate > 0.0 && self.rng.chance(self.duplicate) {
                        let lat = 1 + self.rng.below(4 * self.max_latency_ms as u64) as i64;
                        let again = Ev::Again {
                            from,
                            to,
                            msg: Box::new(MessageOrd(msg.0.clone())),
                        };
                        self.push(self.now_ms + lat, again);
                    }
                    self.input(
                        to,
                        Input::Received {
                            from: from_id,
                            msg: msg.0,
                        },
                    );
                } else {
                    self.lost += 1;
                }
                // The acknowledgement (or the failure) comes back.
                let lat = 1 + self.rng.below(self.max_latency_ms as u64) as i64;
                self.push(
                    self.now_ms + lat,
                    Ev::Ack {
                        node: from,
                        peer: to_id,
                        id,
                        ok,
                    },
                );
            }
            Ev::Ack { node, peer, id, ok } => self.input(node, Input::Delivered { peer, id, ok }),
            Ev::Gossip {
                from,
                to,
                topic,
                msg,
                id,
            } => self.on_gossip(from, to, topic, msg.0, id),
            Ev::Subscribe {
                from,
                to,
                topics,
                on,
            } => self.on_subscription(from, to, topics, on),
            Ev::Timer { node, at } => {
                self.timers.remove(&(node, at));
                self.input(node, Input::Tick)
            }
            Ev::Again { from, to, msg } => {
                let up = self
                    .connected
                    .get(&Self::pair(from, to))
                    .copied()
                    .unwrap_or(false);
                if up && self.nodes[to].engine.is_some() {
                    self.duplicated += 1;
                    let from_id = self.id(from);
                    self.input(
                        to,
                        Input::Received {
                            from: from_id,
                            msg: msg.0,
                        },
                    );
                }
            }
        }
    }

    /// Calendars of every running node.
    pub fn views(&self) -> Vec<(usize, &BTreeMap<ResourceId, ResourceCalendar>)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.engine.as_ref().map(|e| (i, e.calendars())))
            .collect()
    }
}
