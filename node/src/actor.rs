//! The node actor: one task owns the engine, the swarm and the store. API
//! handlers talk to it through a cloneable [`NodeHandle`] (bounded channel,
//! one-shot replies). Every loop iteration stores what the engine asked to
//! persist, flushes once (group commit), and only then sends messages and
//! acknowledges local actions: nothing acknowledged or sent is ever lost to
//! a crash.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use crdt_model::agency::AgencyKey;
use crdt_model::engine::flow::MsgId;
use crdt_model::engine::{Engine, Event, Input, LocalError, LocalOp, LocalOutcome, Output};
use crdt_model::ids::AgencyId;
use crdt_model::membership::{RosterAction, SignedRosterEvent};
use futures::StreamExt;
use jiff::Timestamp;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, request_response};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::config::{Config, Home};
use crate::net::{self, Ack, Behaviour, BehaviourEvent, JoinRequest, JoinResponse};
use crate::store::Storage;

/// How long an unknown peer may stay connected to present an admission.
const UNKNOWN_GRACE: Duration = Duration::from_secs(10);

/// What the actor exposes to read-only queries.
#[derive(Debug)]
pub struct View<'a> {
    /// The replica.
    pub engine: &'a Engine,
    /// libp2p listen addresses.
    pub listen: &'a [Multiaddr],
    /// Per-peer statistics.
    pub peers: &'a BTreeMap<AgencyId, PeerStats>,
    /// When the daemon started.
    pub started: Timestamp,
    /// Last join handshake result.
    pub join: &'a Option<Result<(), String>>,
    /// Peers with an open transport connection.
    pub transport_peers: Vec<String>,
    /// Why the node refuses writes since its store failed (see
    /// [`Actor`]'s read-only mode), if it did.
    pub storage_fault: Option<&'a str>,
}

/// Per-peer counters.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PeerStats {
    /// Connected now.
    pub connected: bool,
    /// Messages received.
    pub messages_in: u64,
    /// Messages sent.
    pub messages_out: u64,
    /// Changes from it that were refused.
    pub refused: u64,
    /// Bytes of signed changes received.
    pub bytes_in: u64,
    /// Last message time.
    pub last_seen: Option<Timestamp>,
}

type ReadFn = Box<dyn FnOnce(&View<'_>) + Send>;

/// A reply held until the store is flushed; given the storage error if the
/// flush failed, so that a failed write is never acknowledged.
type Reply = Box<dyn FnOnce(Option<&str>) + Send>;

/// A held reply to a local action: the outcome, or the storage error.
fn reply_after_flush<T: Send + 'static>(
    reply: oneshot::Sender<Result<T, LocalError>>,
    result: Result<T, LocalError>,
) -> Reply {
    Box::new(move |fault: Option<&str>| {
        let result = match fault {
            Some(f) => Err(LocalError::Storage(f.to_string())),
            None => result,
        };
        let _ = reply.send(result);
    })
}

fn shutting_down() -> LocalError {
    LocalError::Unavailable("the node is shutting down".into())
}

/// A request to the actor.
pub enum Command {
    /// A local action; the reply comes after the change is durable.
    Local(LocalOp, oneshot::Sender<Result<LocalOutcome, LocalError>>),
    /// An admin roster action.
    Roster(RosterAction, oneshot::Sender<Result<(), LocalError>>),
    /// Adds roster events (an invite issued by this admin).
    AddRoster(
        Vec<SignedRosterEvent>,
        oneshot::Sender<Result<(), LocalError>>,
    ),
    /// Replaces this agency's key (already stored as the next key); the
    /// reply, with the new public key, comes after the rotation is durable.
    RotateKey(AgencyKey, oneshot::Sender<Result<AgencyId, LocalError>>),
    /// A read-only query.
    /// A read; the flag says whether calendars must be up to date first.
    Read(ReadFn, bool),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Local(op, _) => write!(f, "Local({op:?})"),
            Command::Roster(a, _) => write!(f, "Roster({a:?})"),
            Command::AddRoster(e, _) => write!(f, "AddRoster({})", e.len()),
            Command::RotateKey(k, _) => write!(f, "RotateKey({})", k.public().short()),
            Command::Read(..) => write!(f, "Read"),
        }
    }
}

/// A cloneable handle to the actor.
#[derive(Clone, Debug)]
pub struct NodeHandle {
    tx: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
}

impl NodeHandle {
    /// Performs a local action; resolves once it is durable.
    pub async fn local(&self, op: LocalOp) -> Result<LocalOutcome, LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Local(op, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Performs an admin roster action.
    pub async fn roster(&self, action: RosterAction) -> Result<(), LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Roster(action, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Adds roster events (durably).
    pub async fn add_roster(&self, events: Vec<SignedRosterEvent>) -> Result<(), LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::AddRoster(events, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Rotates this agency's key to `new_key`; resolves once durable.
    pub async fn rotate_key(&self, new_key: AgencyKey) -> Result<AgencyId, LocalError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::RotateKey(new_key, tx)).await;
        rx.await.unwrap_or_else(|_| Err(shutting_down()))
    }

    /// Runs a read-only query against the actor's state, with every
    /// calendar up to date.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
    ) -> Option<T> {
        self.read_with(f, true).await
    }

    /// Asks the replica a typed question (see `crdt_model::query`), with
    /// every calendar up to date. `None` when the node is shutting down.
    pub async fn query<Q>(&self, q: Q) -> Option<Q::Answer>
    where
        Q: crdt_model::query::Query + Send + 'static,
        Q::Answer: Send + 'static,
    {
        self.read(move |v| q.answer(v.engine, Timestamp::now()))
            .await
    }

    /// Like [`NodeHandle::read`] for queries of the ledger and sync state
    /// only (status): calendars of other agencies' resources may lag, and
    /// reading one panics in debug builds.
    pub async fn read_state<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
    ) -> Option<T> {
        self.read_with(f, false).await
    }

    async fn read_with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
        settle: bool,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let f: ReadFn = Box::new(move |v| {
            let _ = tx.send(f(v));
        });
        self.send(Command::Read(f, settle)).await;
        rx.await.ok()
    }

    async fn send(&self, cmd: Command) {
        // The actor only stops at shutdown; a closed channel then shows as
        // a dropped reply.
        let _ = self.tx.send(cmd).await;
    }

    /// Subscribes to engine events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

/// The actor.
pub struct Actor {
    engine: Engine,
    swarm: Swarm<Behaviour>,
    store: Box<dyn Storage>,
    home: Home,
    cfg: Config,
    rx: mpsc::Receiver<Command>,
    events: broadcast::Sender<Event>,
    listen: Vec<Multiaddr>,
    connected: BTreeMap<PeerId, AgencyId>,
    unknown: BTreeMap<PeerId, Instant>,
    peers: BTreeMap<AgencyId, PeerStats>,
    dial: BTreeMap<String, (Instant, Duration)>,
    engine_timer: Option<i64>,
    started: Timestamp,
    join: Option<Result<(), String>>,
    api: Option<api::ApiInfo>,
    /// Bootstrap peers (rendezvous points), from the config.
    bootstrap_peers: BTreeSet<PeerId>,
    /// Bootstrap peers that accepted our registration.
    registered: BTreeSet<PeerId>,
    /// Housekeeping rounds, for the slower rendezvous refresh.
    rounds: u64,
    /// The key changed: restart networking under the new identity after
    /// the next flush.
    rekey: bool,
    /// Sync requests awaiting their acknowledgement: the member and the
    /// engine's id of the message (reported back as `Input::Delivered`).
    outstanding: std::collections::HashMap<request_response::OutboundRequestId, (AgencyId, MsgId)>,
    // Effects held until the store is flushed.
    dirty: bool,
    sends: Vec<Output>,
    replies: Vec<Reply>,
    notes: Vec<Event>,
    /// The store failed to write (or to read back a stored change): the
    /// in-memory replica may now hold changes the disk does not, so the
    /// node refuses writes, stops syncing (sending an unstored change of
    /// its own could fork its history after a restart) and keeps serving
    /// reads until it is restarted on a healthy store.
    storage_fault: Option<String>,
}

/// The peer id at the end of a multiaddr, if any.
fn peer_in(ma: &Multiaddr) -> Option<PeerId> {
    ma.iter().find_map(|p| match p {
        libp2p::multiaddr::Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

/// Hands memory freed after loading back to the system. Loading parses
/// every stored change; glibc keeps those transient buffers' pages between
/// long-lived allocations and never returns them on its own (measured on
/// 200,000 bookings: see docs/benchmarks.md).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no
    // preconditions and may be called at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl std::fmt::Debug for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actor")
            .field("me", &self.engine.id())
            .finish_non_exhaustive()
    }
}

impl Actor {
    /// Builds the actor: restores the engine from the store and starts listening.
    pub fn new(
        key: AgencyKey,
        home: Home,
        cfg: Config,
        store: Box<dyn Storage>,
    ) -> anyhow::Result<(Self, NodeHandle)> {
        let events_stored = store.roster().context("reading the roster")?;
        let roster = bootstrap::genesis::roster_from_events(&events_stored).context(
            "this home has no network roster (run `tongchou network create` or `tongchou join`)",
        )?;
        let key = home.settle_next_key(key, &roster)?;
        // Stream the history in chunks: a province-year is millions of
        // changes, and holding them all before ingesting doubles the peak.
        const CHUNK: usize = 50_000;
        let mut failed = None;
        let mut n = 0usize;
        let mut stored = store.changes_iter();
        let chunks = std::iter::from_fn(|| {
            let mut v = Vec::with_capacity(CHUNK);
            while v.len() < CHUNK {
                match stored.next() {
                    Some(Ok(c)) => v.push(c),
                    Some(Err(e)) => {
                        failed = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            // Progress for a long load (the chunk is ingested next).
            if n > 0 && !v.is_empty() && (n / CHUNK).is_multiple_of(10) {
                info!(changes = n, "loading the stored history");
            }
            n += v.len();
            (!v.is_empty() && failed.is_none()).then_some(v)
        });
        // Other agencies' change bytes stay on disk; the engine reads them
        // back when a peer needs them.
        let engine_cfg = crdt_model::engine::Config {
            archive: store.archive(),
            ..Default::default()
        };
        let (engine, report) = Engine::restore(key.clone(), roster, engine_cfg, chunks);
        drop(stored);
        release_freed_memory();
        if let Some(e) = failed {
            return Err(e).context("reading stored changes");
        }
        info!(
            changes = n,
            refused = report.refused.len(),
            "restored replica"
        );
        let mut swarm = net::swarm(engine.key(), cfg.mdns)?;
        for addr in &cfg.listen {
            let ma: Multiaddr = addr
                .parse()
                .with_context(|| format!("bad listen address {addr}"))?;
            swarm
                .listen_on(ma)
                .with_context(|| format!("cannot listen on {addr}"))?;
        }
        let (tx, rx) = mpsc::channel(1024);
        let (events, _) = broadcast::channel(1024);
        let handle = NodeHandle {
            tx,
            events: events.clone(),
        };
        let mut actor = Self {
            engine,
            swarm,
            store,
            home,
            cfg,
            rx,
            events,
            listen: Vec::new(),
            connected: BTreeMap::new(),
            unknown: BTreeMap::new(),
            peers: BTreeMap::new(),
            dial: BTreeMap::new(),
            engine_timer: None,
            started: Timestamp::now(),
            join: None,
            api: None,
            bootstrap_peers: BTreeSet::new(),
            registered: BTreeSet::new(),
            rounds: 0,
            rekey: false,
            outstanding: Default::default(),
            dirty: false,
            sends: Vec::new(),
            replies: Vec::new(),
            notes: Vec::new(),
            storage_fault: None,
        };
        actor.bootstrap_peers = actor
            .cfg
            .bootstrap
            .iter()
            .filter_map(|a| a.parse::<Multiaddr>().ok())
            .filter_map(|ma| peer_in(&ma))
            .collect();
        Ok((actor, handle))
    }

    /// Sets the API info to publish (with listen addresses filled in later).
    pub fn set_api(&mut self, info: api::ApiInfo) {
        self.api = Some(info);
    }

    /// Runs until `shutdown` resolves or every handle is dropped.
    pub async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        tokio::pin!(shutdown);
        self.redial();
        let mut housekeeping = tokio::time::interval(Duration::from_secs(2));
        loop {
            let timer = self.engine_timer.map(|at| {
                let wait = (at - Timestamp::now().as_millisecond()).max(0) as u64;
                tokio::time::Instant::now() + Duration::from_millis(wait)
            });
            // Unbiased: under a sustained burst of API requests the swarm
            // (acknowledgements, sending) must still get its turn.
            tokio::select! {
                _ = &mut shutdown => break,
                cmd = self.rx.recv() => {
                    let Some(cmd) = cmd else { break };
                    // Group commit: take whatever else is queued, handle it
                    // all (local actions as one engine batch), flush once.
                    let mut cmds = vec![cmd];
                    while cmds.len() < 256 {
                        match self.rx.try_recv() {
                            Ok(cmd) => cmds.push(cmd),
                            Err(_) => break,
                        }
                    }
                    self.handle_commands(cmds);
                }
                ev = self.swarm.select_next_some() => self.handle_swarm(ev),
                _ = async { tokio::time::sleep_until(timer.expect("guarded")).await }, if timer.is_some() => {
                    self.engine_timer = None;
                    self.engine_input(Input::Tick);
                }
                _ = housekeeping.tick() => self.housekeeping(),
            }
            self.commit()?;
        }
        self.commit()?;
        self.store.flush().context("final flush")?;
        info!("node stopped");
        Ok(())
    }

    /// Flushes the store if needed, then performs held sends, notifications and replies.
    fn commit(&mut self) -> anyhow::Result<()> {
        if self.dirty {
            // fsync blocks: let the runtime move the API handlers to other
            // workers meanwhile, so requests keep queueing for the next batch.
            let store = &self.store;
            let t = Instant::now();
            let flushed = tokio::task::block_in_place(|| store.flush());
            debug!(
                replies = self.replies.len(),
                flush_us = t.elapsed().as_micros() as u64,
                "group commit"
            );
            self.dirty = false;
            if let Err(e) = flushed {
                self.fail_storage("flushing the store", &e);
            }
        }
        if self.storage_fault.is_some() {
            // Nothing unstored leaves the node; no write is acknowledged.
            self.sends.clear();
            self.rekey = false;
        } else if self.engine.has_queued_sends() {
            // Everything persisted is stored: the engine releases its
            // messages (merged per peer, within each peer's window).
            let out = self.engine.handle(Timestamp::now(), Input::Committed);
            self.sends.extend(out);
        }
        let mut lost = Vec::new();
        for o in std::mem::take(&mut self.sends) {
            match o {
                Output::Send { to, msg, id } => {
                    let Some(peer) = self.peer_of_agency(&to) else {
                        lost.push(Input::Delivered {
                            peer: to,
                            id,
                            ok: false,
                        });
                        continue;
                    };
                    self.peers.entry(to).or_default().messages_out += 1;
                    let req = self.swarm.behaviour_mut().sync.send_request(&peer, msg);
                    self.outstanding.insert(req, (to, id));
                }
                Output::Disconnect { peer, reason } => {
                    info!(peer = %peer.short(), %reason, "disconnecting");
                    if let Some(p) = self.peer_of_agency(&peer) {
                        let _ = self.swarm.disconnect_peer_id(p);
                    }
                }
                _ => {}
            }
        }
        for input in lost {
            self.engine_input(input);
        }
        for e in std::mem::take(&mut self.notes) {
            let _ = self.events.send(e);
        }
        let fault = self.storage_fault.as_deref();
        for r in std::mem::take(&mut self.replies) {
            r(fault);
        }
        if std::mem::take(&mut self.rekey) {
            self.restart_network()?;
        }
        Ok(())
    }

    /// After a key rotation: a new swarm under the new identity, listening
    /// where the old one did. Peers learn the rotation when we reconnect
    /// (it travels in the join handshake), so nothing queued is lost.
    fn restart_network(&mut self) -> anyhow::Result<()> {
        // Relayed addresses are listened on again when the bootstrap peer
        // reconnects.
        let addrs: Vec<Multiaddr> = self
            .listen
            .iter()
            .filter(|a| !net::is_circuit(a))
            .map(|a| {
                a.iter()
                    .filter(|p| !matches!(p, libp2p::multiaddr::Protocol::P2p(_)))
                    .collect()
            })
            .collect();
        let swarm = net::swarm(self.engine.key(), self.cfg.mdns)?;
        drop(std::mem::replace(&mut self.swarm, swarm));
        self.listen.clear();
        for addr in addrs {
            self.swarm
                .listen_on(addr.clone())
                .with_context(|| format!("cannot listen again on {addr}"))?;
        }
        for (_, agency) in std::mem::take(&mut self.connected) {
            self.peers.entry(agency).or_default().connected = false;
            self.engine_input(Input::Disconnected(agency));
        }
        self.unknown.clear();
        self.registered.clear();
        self.dial.clear();
        self.outstanding.clear();
        info!(peer = %self.swarm.local_peer_id(), "network identity replaced after key rotation");
        self.redial();
        Ok(())
    }

    /// A sync request was acknowledged (or failed): the engine frees its
    /// place in the peer's window and, if the peer was left behind, queues
    /// what it lacks (sent at the next commit).
    fn delivered(&mut self, id: request_response::OutboundRequestId, ok: bool) {
        if let Some((peer, id)) = self.outstanding.remove(&id) {
            self.engine_input(Input::Delivered { peer, id, ok });
        }
    }

    /// The member agency a peer signs for, by its key (its own key when the
    /// roster does not know it: a stranger or a newcomer).
    fn agency_of_peer(&self, peer: &PeerId) -> Option<AgencyId> {
        let key = net::key_of(peer)?;
        Some(
            self.engine
                .ledger()
                .roster()
                .agency_of_key(&key)
                .unwrap_or(key),
        )
    }

    /// The peer id an agency's node has now.
    fn peer_of_agency(&self, agency: &AgencyId) -> Option<PeerId> {
        net::peer_of(&self.engine.ledger().roster().current_key(agency))
    }

    /// Enters read-only mode (see `storage_fault`); logs once.
    fn fail_storage(&mut self, what: &str, e: &dyn std::fmt::Display) {
        if self.storage_fault.is_none() {
            let msg = format!(
                "{what}: {e}; the node refuses writes and stops syncing until it is restarted \
                 on a healthy store (free disk space, check the disk, then restart; \
                 everything acknowledged before is stored)"
            );
            tracing::error!("{msg}");
            self.storage_fault = Some(msg);
        }
    }

    fn apply(&mut self, outputs: Vec<Output>) {
        if let Some(e) = self.engine.take_fault() {
            self.fail_storage("reading the store", &e);
        }
        for o in outputs {
            match o {
                Output::Persist(changes) => {
                    if self.storage_fault.is_some() {
                        continue;
                    }
                    if let Err(e) = self.store.put_changes(&changes) {
                        self.fail_storage("storing changes", &e);
                        continue;
                    }
                    // Our own changes must be durable before they are
                    // acknowledged or sent (a lost own change could be
                    // re-created differently: a fork). Other agencies'
                    // changes can be fetched again after a crash, so sled's
                    // periodic flush is enough for them.
                    let me = self.engine.id();
                    self.dirty |= changes.iter().any(|c| c.signer == me);
                }
                Output::PersistRoster(events) => {
                    if self.storage_fault.is_some() {
                        continue;
                    }
                    if let Err(e) = self.store.put_roster(&events) {
                        self.fail_storage("storing roster events", &e);
                        continue;
                    }
                    self.dirty = true;
                }
                Output::SetTimer(at) => {
                    self.engine_timer = Some(self.engine_timer.map_or(at, |t| t.min(at)))
                }
                Output::Notify(ev) => {
                    if let Event::Refused {
                        peer: Some(p),
                        refusal,
                    } = &ev
                    {
                        warn!(peer = %p.short(), doc = %refusal.doc, reason = %refusal.reason, "refused change");
                        self.peers.entry(*p).or_default().refused += 1;
                    }
                    self.notes.push(ev);
                }
                send @ (Output::Send { .. } | Output::Disconnect { .. }) => {
                    if self.storage_fault.is_none() {
                        self.sends.push(send);
                    }
                }
            }
        }
    }

    fn engine_input(&mut self, input: Input) {
        if self.storage_fault.is_some() {
            // Read-only: the replica takes nothing more it could not store.
            return;
        }
        let out = self.engine.handle(Timestamp::now(), input);
        self.apply(out);
    }

    /// Handles queued commands in order; runs of local actions go to the
    /// engine as one batch.
    fn handle_commands(&mut self, cmds: Vec<Command>) {
        let mut ops = Vec::new();
        let mut waiting = Vec::new();
        for cmd in cmds {
            match cmd {
                Command::Local(op, reply) => {
                    ops.push(op);
                    waiting.push(reply);
                }
                other => {
                    self.local_batch(std::mem::take(&mut ops), std::mem::take(&mut waiting));
                    self.handle_command(other);
                }
            }
        }
        self.local_batch(ops, waiting);
    }

    fn local_batch(
        &mut self,
        ops: Vec<LocalOp>,
        replies: Vec<oneshot::Sender<Result<LocalOutcome, LocalError>>>,
    ) {
        if ops.is_empty() {
            return;
        }
        if let Some(f) = &self.storage_fault {
            for reply in replies {
                let _ = reply.send(Err(LocalError::Storage(f.clone())));
            }
            return;
        }
        let (results, out) = self.engine.local_batch(Timestamp::now(), ops);
        self.apply(out);
        for (result, reply) in results.into_iter().zip(replies) {
            self.replies.push(reply_after_flush(reply, result));
        }
    }

    fn handle_command(&mut self, cmd: Command) {
        let now = Timestamp::now();
        let fault = self
            .storage_fault
            .as_ref()
            .map(|f| LocalError::Storage(f.clone()));
        match cmd {
            Command::Local(op, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => self.engine.local(now, op).map(|(outcome, out)| {
                        self.apply(out);
                        outcome
                    }),
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::Roster(action, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => self
                        .engine
                        .roster_act(now, action)
                        .map(|out| self.apply(out)),
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::RotateKey(new_key, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => self.engine.rotate_key(now, new_key).map(|out| {
                        self.apply(out);
                        self.dirty = true;
                        self.rekey = true;
                        self.engine.key().public()
                    }),
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::AddRoster(events, reply) => {
                let result = match fault {
                    Some(e) => Err(e),
                    None => {
                        let out = self.engine.add_roster_events(now, events);
                        self.apply(out);
                        Ok(())
                    }
                };
                self.replies.push(reply_after_flush(reply, result));
            }
            Command::Read(f, settle) => {
                if settle {
                    self.settle();
                }
                let transport_peers = self
                    .swarm
                    .connected_peers()
                    .map(|p| p.to_string())
                    .collect();
                let view = View {
                    engine: &self.engine,
                    listen: &self.listen,
                    peers: &self.peers,
                    started: self.started,
                    join: &self.join,
                    transport_peers,
                    storage_fault: self.storage_fault.as_deref(),
                };
                f(&view);
            }
        }
    }

    fn handle_swarm(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                let full = address
                    .clone()
                    .with_p2p(*self.swarm.local_peer_id())
                    .unwrap_or_else(|a| a);
                info!(address = %full, "listening");
                // Concrete listen addresses are what rendezvous registers.
                let unspecified = net::is_unspecified(&address);
                let circuit = net::is_circuit(&address);
                // Behind NAT only the relayed address can be reached.
                if circuit || (!unspecified && !self.cfg.relay) {
                    self.swarm.add_external_address(address);
                }
                if circuit {
                    info!(address = %full, "reachable through the relay");
                    for p in self.connected_bootstrap_peers() {
                        self.rendezvous(p, true);
                    }
                }
                self.listen.push(full);
                self.publish_api();
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } if num_established.get() == 1 => {
                self.on_connected(peer_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.unknown.remove(&peer_id);
                self.registered.remove(&peer_id);
                if let Some(agency) = self.connected.remove(&peer_id) {
                    debug!(peer = %agency.short(), "disconnected");
                    self.peers.entry(agency).or_default().connected = false;
                    self.engine_input(Input::Disconnected(agency));
                }
            }
            SwarmEvent::ListenerClosed {
                addresses,
                reason: Err(e),
                ..
            } => warn!(?addresses, error = %e, "stopped listening"),
            SwarmEvent::Behaviour(BehaviourEvent::Relay(e)) => debug!(event = ?e, "relay"),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Join(e)) => self.on_join(e),
            SwarmEvent::Behaviour(BehaviourEvent::Rendezvous(e)) => self.on_rendezvous(e),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(libp2p::mdns::Event::Discovered(list))) => {
                for (peer, addr) in list {
                    if !self.swarm.is_connected(&peer) && peer != *self.swarm.local_peer_id() {
                        let _ = self.swarm.dial(addr.with_p2p(peer).unwrap_or_else(|a| a));
                    }
                }
            }
            _ => {}
        }
    }

    /// Bootstrap peers we are connected to now.
    fn connected_bootstrap_peers(&self) -> Vec<PeerId> {
        self.bootstrap_peers
            .iter()
            .filter(|p| self.swarm.is_connected(p))
            .copied()
            .collect()
    }

    /// The rendezvous namespace of this network.
    fn namespace(&self) -> Option<libp2p::rendezvous::Namespace> {
        bootstrap::peer::namespace(self.engine.ledger().roster().network_id())
    }

    /// Registers at, and asks for the other members at, a bootstrap peer.
    fn rendezvous(&mut self, peer: PeerId, register: bool) {
        let Some(ns) = self.namespace() else { return };
        let rdv = &mut self.swarm.behaviour_mut().rendezvous;
        if register && let Err(e) = rdv.register(ns.clone(), peer, None) {
            debug!(error = %e, "not registered at the bootstrap peer yet");
        }
        rdv.discover(Some(ns), None, None, peer);
    }

    fn on_rendezvous(&mut self, e: libp2p::rendezvous::client::Event) {
        use libp2p::rendezvous::client::Event as R;
        match e {
            R::Discovered { registrations, .. } => {
                let me = *self.swarm.local_peer_id();
                for reg in registrations {
                    let peer = reg.record.peer_id();
                    let member = self
                        .agency_of_peer(&peer)
                        .is_some_and(|a| self.engine.ledger().roster().is_active(&a));
                    if peer == me || !member || self.swarm.is_connected(&peer) {
                        continue;
                    }
                    for addr in reg.record.addresses() {
                        debug!(%peer, %addr, "member found at the bootstrap peer");
                        let full = addr.clone().with_p2p(peer).unwrap_or_else(|a| a);
                        let _ = self.swarm.dial(full);
                    }
                }
            }
            R::Registered {
                rendezvous_node, ..
            } => {
                debug!(peer = %rendezvous_node, "registered at the bootstrap peer");
                self.registered.insert(rendezvous_node);
            }
            R::RegisterFailed { error, .. } | R::DiscoverFailed { error, .. } => {
                warn!(?error, "bootstrap peer refused");
            }
            R::Expired { .. } => {}
        }
    }

    fn on_connected(&mut self, peer: PeerId) {
        if self.bootstrap_peers.contains(&peer) {
            info!(%peer, "bootstrap peer connected");
            if self.cfg.relay {
                let relayed = self
                    .cfg
                    .bootstrap
                    .iter()
                    .filter_map(|a| a.parse::<Multiaddr>().ok())
                    .find(|ma| peer_in(ma) == Some(peer))
                    .map(|ma| ma.with(libp2p::multiaddr::Protocol::P2pCircuit));
                if let Some(addr) = relayed
                    && let Err(e) = self.swarm.listen_on(addr.clone())
                {
                    warn!(%addr, error = %e, "cannot listen through the relay");
                }
            }
            self.rendezvous(peer, true);
            return;
        }
        let Some(agency) = self.agency_of_peer(&peer) else {
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        };
        // Present what makes us a member, for a peer that may not know our
        // key yet (a newcomer's admission, a rotated key's rotations).
        let me = self.engine.id();
        let rotations: Vec<SignedRosterEvent> = if self.engine.key().public() != me {
            self.engine
                .ledger()
                .roster()
                .events()
                .filter(|(_, e)| {
                    e.open().is_ok_and(|ev| {
                        ev.by == me
                            && matches!(
                                ev.action,
                                crdt_model::membership::RosterAction::RotateKey { .. }
                            )
                    })
                })
                .map(|(_, e)| e.clone())
                .collect()
        } else {
            Vec::new()
        };
        let admission = self
            .cfg
            .admission
            .as_ref()
            .map(|adm| (adm.invite.clone(), adm.join.clone()));
        if admission.is_some() || !rotations.is_empty() {
            let req = JoinRequest {
                admission,
                rotations,
            };
            self.swarm.behaviour_mut().join.send_request(&peer, req);
        }
        if self.engine.ledger().roster().is_active(&agency) {
            self.admit(peer, agency);
        } else {
            debug!(peer = %agency.short(), "unknown peer: waiting for an admission");
            self.unknown.insert(peer, Instant::now() + UNKNOWN_GRACE);
        }
    }

    fn admit(&mut self, peer: PeerId, agency: AgencyId) {
        if self.connected.contains_key(&peer) {
            return;
        }
        self.unknown.remove(&peer);
        self.connected.insert(peer, agency);
        let st = self.peers.entry(agency).or_default();
        st.connected = true;
        info!(peer = %agency.short(), "member connected");
        self.engine_input(Input::Connected(agency));
    }

    fn on_sync(&mut self, e: request_response::Event<crdt_model::engine::Message, Ack>) {
        match e {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let _ = self.swarm.behaviour_mut().sync.send_response(channel, Ack);
                let Some(&agency) = self.connected.get(&peer) else {
                    debug!(%peer, "message from a peer that is not a connected member: dropped");
                    return;
                };
                let st = self.peers.entry(agency).or_default();
                if let crdt_model::engine::Message::Changes { changes } = &request {
                    st.bytes_in += changes
                        .iter()
                        .map(|c| c.change.len() as u64 + 64 + 120)
                        .sum::<u64>();
                }
                st.messages_in += 1;
                st.last_seen = Some(Timestamp::now());
                self.engine_input(Input::Received {
                    from: agency,
                    msg: request,
                });
            }
            request_response::Event::Message {
                message: request_response::Message::Response { request_id, .. },
                ..
            } => self.delivered(request_id, true),
            request_response::Event::OutboundFailure {
                peer,
                error,
                request_id,
                ..
            } => {
                // The changes go again when the peer can take them (or by
                // the periodic summaries); worth seeing when it is frequent.
                info!(%peer, %error, "sync send failed");
                self.delivered(request_id, false);
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                info!(%peer, %error, "sync receive failed")
            }
            _ => {}
        }
    }

    fn on_join(&mut self, e: request_response::Event<JoinRequest, JoinResponse>) {
        match e {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let Some(mut agency) = self.agency_of_peer(&peer) else {
                    return;
                };
                // A member that rotated its key proves it with the rotation
                // events (signed by its earlier keys, checked by the roster).
                if !self.engine.ledger().roster().is_active(&agency)
                    && !request.rotations.is_empty()
                {
                    let out = self
                        .engine
                        .add_roster_events(Timestamp::now(), request.rotations);
                    self.apply(out);
                    if let Some(a) = self.agency_of_peer(&peer) {
                        agency = a;
                    }
                    if self.engine.ledger().roster().is_active(&agency) {
                        info!(peer = %agency.short(), "member reconnected with its rotated key");
                    }
                }
                let roster = self.engine.ledger().roster();
                let checked = match &request.admission {
                    _ if roster.is_active(&agency) => Ok(()),
                    Some((invite, join)) => bootstrap::invite::check_join(
                        roster,
                        invite,
                        join,
                        agency,
                        Timestamp::now().as_millisecond(),
                    ),
                    None => Err(bootstrap::invite::InviteError::NotMember),
                };
                let resp = match checked {
                    Ok(()) => {
                        if !roster.is_active(&agency)
                            && let Some((invite, join)) = request.admission
                        {
                            info!(peer = %agency.short(), "admitting a new member by invitation");
                            let out = self
                                .engine
                                .add_roster_events(Timestamp::now(), vec![invite, join]);
                            self.apply(out);
                        }
                        let all = self
                            .engine
                            .ledger()
                            .roster()
                            .events()
                            .map(|(_, e)| e.clone())
                            .collect();
                        JoinResponse {
                            error: None,
                            roster: all,
                        }
                    }
                    Err(e) => {
                        warn!(peer = %agency.short(), error = %e, "join refused");
                        JoinResponse {
                            error: Some(e.to_string()),
                            roster: Vec::new(),
                        }
                    }
                };
                let ok = resp.error.is_none();
                let _ = self.swarm.behaviour_mut().join.send_response(channel, resp);
                if ok && self.engine.ledger().roster().is_active(&agency) {
                    self.admit(peer, agency);
                }
            }
            request_response::Event::Message {
                peer,
                message: request_response::Message::Response { response, .. },
                ..
            } => match response.error {
                Some(err) => {
                    if self.join.is_none() || self.join == Some(Err(err.clone())) {
                        self.join = Some(Err(err));
                    }
                }
                None => {
                    let out = self
                        .engine
                        .add_roster_events(Timestamp::now(), response.roster);
                    self.apply(out);
                    self.join = Some(Ok(()));
                    if let Some(agency) = self.agency_of_peer(&peer)
                        && self.engine.ledger().roster().is_active(&agency)
                    {
                        self.admit(peer, agency);
                    }
                }
            },
            _ => {}
        }
    }

    /// Brings every calendar up to date; after a large recomputation (the
    /// first read after loading, or after catching up), hands the
    /// transient memory back to the system.
    fn settle(&mut self) {
        if self.engine.settle() >= 1_000 {
            release_freed_memory();
        }
    }

    fn housekeeping(&mut self) {
        // Calendars behind a burst of arriving changes are brought up to
        // date at least every round, even if nobody reads them.
        self.settle();
        // The engine's backstops (a peer left behind with no
        // acknowledgement coming, a gap to ask about again) run on ticks.
        self.engine_input(Input::Tick);
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .unknown
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in expired {
            self.unknown.remove(&p);
            if !self.connected.contains_key(&p) {
                info!(peer = %p, "disconnecting a non-member");
                let _ = self.swarm.disconnect_peer_id(p);
            }
        }
        // Every 10 s ask the bootstrap peers for members; re-register every
        // 10 minutes (registrations live 2 hours).
        self.rounds += 1;
        if self.rounds.is_multiple_of(5) {
            let renew = self.rounds.is_multiple_of(300);
            for p in self.connected_bootstrap_peers() {
                let register = renew || !self.registered.contains(&p);
                self.rendezvous(p, register);
            }
        }
        self.redial();
    }

    /// Dials configured peers that are not connected, with exponential backoff.
    fn redial(&mut self) {
        let now = Instant::now();
        let connected: BTreeSet<PeerId> = self.swarm.connected_peers().copied().collect();
        let targets: Vec<String> = self
            .cfg
            .peers
            .iter()
            .chain(&self.cfg.bootstrap)
            .cloned()
            .collect();
        for addr in targets {
            let Ok(ma) = addr.parse::<Multiaddr>() else {
                continue;
            };
            let peer = peer_in(&ma);
            if peer.is_some_and(|p| connected.contains(&p)) {
                self.dial.remove(&addr);
                continue;
            }
            let (next, backoff) = self
                .dial
                .get(&addr)
                .copied()
                .unwrap_or((now, Duration::from_millis(500)));
            if next > now {
                continue;
            }
            if peer.is_none() && !connected.is_empty() {
                continue;
            }
            debug!(%addr, "dialing");
            let _ = self.swarm.dial(ma);
            self.dial.insert(
                addr,
                (now + backoff, (backoff * 2).min(Duration::from_secs(8))),
            );
        }
    }

    fn publish_api(&mut self) {
        if let Some(info) = &mut self.api {
            info.listen = self.listen.iter().map(|a| a.to_string()).collect();
            if let Err(e) = self.home.write_api(info) {
                warn!(error = %e, "cannot write api.json");
            }
        }
    }
}
