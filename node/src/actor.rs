//! The node actor: one task owns the engine, the swarm and the store. API
//! handlers talk to it through a cloneable [`NodeHandle`] (bounded channel,
//! one-shot replies). Every loop iteration stores what the engine asked to
//! persist, flushes once (group commit), and only then sends messages and
//! acknowledges local actions: nothing acknowledged or sent is ever lost to
//! a crash.
//!
//! This file holds the actor's state and its loop; by concern:
//! `commit` (group commit, read-only mode, restart under a new key),
//! `commands` (what the API asks), `swarm` (connections, admission, sync
//! messages), `join` (the join handshake), `discovery` (rendezvous,
//! redial, housekeeping), `block` (members blocked by the operator),
//! `handle` (the handle's methods), `seal` (sealing past periods).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use crdt_model::agency::AgencyKey;
use crdt_model::engine::flow::MsgId;
use crdt_model::engine::{Engine, Event, Input, LocalError, LocalOp, LocalOutcome, Output};
use crdt_model::ids::{AgencyId, DocId};
use crdt_model::membership::{RosterAction, SignedRosterEvent};
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, request_response};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::config::{Config, Home};
use crate::net::{self, Ack, Behaviour, BehaviourEvent, JoinRequest, JoinResponse};
use crate::store::Storage;

mod block;
mod commands;
mod commit;
mod discovery;
mod follow;
mod gossip;
mod handle;
mod join;
mod peering;
mod seal;
mod swarm;

pub use handle::NodeHandle;

/// How long an unknown peer may stay connected to present an admission.
const UNKNOWN_GRACE: Duration = Duration::from_secs(2);
/// Registrations asked for in one rendezvous answer: a page of 1,000 is
/// ~250 KB, within the protocol's 1 MiB message; a full page asks for the
/// next (the bootstrap peer's cookie says which it sent).
pub(crate) const DISCOVER_PAGE: u64 = 1_000;
/// How long a peer cut as a non-member is refused at first; each cut
/// doubles it, up to [`NON_MEMBER_BACKOFF_MAX`].
const NON_MEMBER_BACKOFF: Duration = Duration::from_secs(5);
/// The longest a non-member is refused before it may try again.
const NON_MEMBER_BACKOFF_MAX: Duration = Duration::from_secs(600);

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
    /// Connections refused because their peer, a non-member, was in its
    /// backoff.
    pub refused_connections: u64,
    /// This agency's documents the store holds fewer changes of than the
    /// node acknowledged: `(doc, held, acknowledged)`.
    pub own_gaps: Vec<(DocId, u64, u64)>,
    /// Members this node's operator blocks.
    pub blocked: &'a BTreeMap<AgencyId, api::BlockedPeer>,
    /// Connections to members against the bound.
    pub connections: api::ConnectionsView,
    /// Topics subscribed, messages published and received there.
    pub topics: api::TopicsView,
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
    /// Of those, bytes of changes this node held already.
    pub duplicate_bytes_in: u64,
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
    /// Blocks or unblocks a member on this node; the reply lists every
    /// member blocked (or why not).
    Block(
        api::BlockRequest,
        oneshot::Sender<Result<Vec<api::BlockedPeer>, LocalError>>,
    ),
    /// What this node follows: changed first when a request is given.
    Follow(
        Option<api::FollowRequest>,
        oneshot::Sender<Result<api::FollowsView, LocalError>>,
    ),
    /// Replaces this agency's key (already stored as the next key); the
    /// reply, with the new public key, comes after the rotation is durable.
    RotateKey(AgencyKey, oneshot::Sender<Result<AgencyId, LocalError>>),
    /// A read-only query.
    /// A read; the flag says whether calendars must be up to date first.
    Read(ReadFn, bool),
    /// A consistent picture of the home for a backup, taken after a flush
    /// (everything acknowledged so far is in it).
    Backup(oneshot::Sender<Result<crate::backup::Snapshot, String>>),
    /// Asks peers for the free/busy of owners not followed (see
    /// [`Engine::ask_busy`]); the reply says what was asked of whom, and
    /// which owners no connected peer holds were dialled.
    AskBusy(
        api::BusyRequest,
        oneshot::Sender<Result<crdt_model::engine::BusyAsked, LocalError>>,
    ),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Local(op, _) => write!(f, "Local({op:?})"),
            Command::Roster(a, _) => write!(f, "Roster({a:?})"),
            Command::AddRoster(e, _) => write!(f, "AddRoster({})", e.len()),
            Command::RotateKey(k, _) => write!(f, "RotateKey({})", k.public().short()),
            Command::Read(..) => write!(f, "Read"),
            Command::Backup(_) => write!(f, "Backup"),
            Command::AskBusy(r, _) => write!(f, "AskBusy({})", r.owners.len()),
            Command::Block(r, _) => write!(f, "Block({}, {})", r.agency.short(), r.block),
            Command::Follow(r, _) => write!(f, "Follow({r:?})"),
        }
    }
}

/// The actor.
pub struct Actor {
    engine: Engine,
    swarm: Swarm<Behaviour>,
    store: Box<dyn Storage>,
    home: Home,
    cfg: Config,
    /// This agency's invite and join events, if it joined with a token
    /// (`admission.json`).
    admission: Option<(SignedRosterEvent, SignedRosterEvent)>,
    rx: mpsc::Receiver<Command>,
    events: broadcast::Sender<Event>,
    listen: Vec<Multiaddr>,
    connected: BTreeMap<PeerId, AgencyId>,
    unknown: BTreeMap<PeerId, Instant>,
    /// Peers cut as non-members: refused until the instant, and the
    /// backoff that set it.
    refused_peers: BTreeMap<PeerId, (Instant, Duration)>,
    /// Connections refused because their peer was in its backoff.
    refused_connections: u64,
    peers: BTreeMap<AgencyId, PeerStats>,
    dial: BTreeMap<String, (Instant, Duration)>,
    engine_timer: Option<i64>,
    started: Timestamp,
    join: Option<Result<(), String>>,
    api: Option<api::ApiInfo>,
    /// Bootstrap peers (rendezvous points), from the config.
    bootstrap_peers: BTreeSet<PeerId>,
    /// Whom the rendezvous found, and the connections this node opened.
    peering: peering::Peering,
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
    /// The highest sequence acknowledged in each own document
    /// (`acked.json`), and what the uncommitted batch adds to it.
    acked: BTreeMap<DocId, u64>,
    acked_new: BTreeMap<DocId, u64>,
    /// Own documents the store lost acknowledged changes of: how many it
    /// holds and how many were acknowledged. Own writes are held (see
    /// `Engine::hold_writes`) until peers have given them back.
    gaps: BTreeMap<DocId, (u64, u64)>,
    /// Restored from a backup and not yet confirmed by a peer: own writes
    /// wait (the original node may have written after the backup; writing
    /// again at those numbers would fork this agency's history).
    restored: Option<std::path::PathBuf>,
    /// Members this node's operator blocks (`blocked.json`).
    blocked: BTreeMap<AgencyId, api::BlockedPeer>,
    /// How many documents the store notes as sealed, and when the node
    /// last sealed (see `seal`).
    sealed_count: usize,
    sealed_at: Option<Instant>,
    /// Topics subscribed to, and what was published and received there.
    topics: gossip::Topics,
}

/// Why own writes wait on a node restored from a backup.
pub(crate) const RESTORED_HOLD: &str = "restored from a backup: own writes wait until a peer \
     shows this node holds its latest own changes (connect it to a member; never run the \
     original node beside it)";

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
        let acked = home.acked().unwrap_or_else(|e| {
            warn!("{e:#}; the check of acknowledged changes is skipped until the next write");
            BTreeMap::new()
        });
        let events_stored = store.roster().context("reading the roster")?;
        let roster = bootstrap::genesis::roster_from_events(&events_stored).with_context(|| {
            if acked.is_empty() {
                "this home has no network roster (run `tongchou network create` or `tongchou join`)"
                    .to_string()
            } else {
                format!(
                    "the store in {} lost its data: it has no network roster although this node \
                     acknowledged {} changes of its own (acked.json); restore the home from a \
                     backup (`tongchou restore FILE --home NEW`), see `tongchou verify`",
                    home.db_path().display(),
                    acked.values().sum::<u64>()
                )
            }
        })?;
        let key = crate::rotation::settle(&home, key, &roster)?;
        let admission = home.admission()?.map(|adm| (adm.invite, adm.join));
        let follows = home.follows()?;
        let (mut engine, store) = restore_engine(key, roster, store, follows)?;
        let gaps = own_gaps(&engine, &acked);
        if !gaps.is_empty() {
            let why = gap_message(&gaps);
            tracing::error!("{why}");
            engine.hold_writes(Timestamp::now(), Some(why));
        }
        let marker = home.restored_marker();
        let restored = marker.exists().then_some(marker);
        if restored.is_some() && gaps.is_empty() {
            let why = RESTORED_HOLD.to_string();
            tracing::warn!("{why}");
            engine.hold_writes(Timestamp::now(), Some(why));
        }
        let blocked = home.blocked()?.into_iter().map(|b| (b.agency, b)).collect();
        let swarm = listening_swarm(&engine, &cfg)?;
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
            admission,
            rx,
            events,
            listen: Vec::new(),
            connected: BTreeMap::new(),
            unknown: BTreeMap::new(),
            refused_peers: BTreeMap::new(),
            refused_connections: 0,
            peers: BTreeMap::new(),
            dial: BTreeMap::new(),
            engine_timer: None,
            started: Timestamp::now(),
            join: None,
            api: None,
            bootstrap_peers: BTreeSet::new(),
            peering: Default::default(),
            rounds: 0,
            rekey: false,
            outstanding: Default::default(),
            dirty: false,
            sends: Vec::new(),
            replies: Vec::new(),
            notes: Vec::new(),
            storage_fault: None,
            acked,
            acked_new: BTreeMap::new(),
            gaps,
            restored,
            blocked,
            sealed_count: 0,
            sealed_at: None,
            topics: gossip::Topics::default(),
        };
        actor.sealed_count = actor.engine.ledger().sealed().len();
        let topics = actor.engine.topics();
        actor.set_topics(topics);
        actor.enforce_blocks();
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
}

/// Restores the engine from the store, streaming the history in chunks (a
/// province-year is millions of changes, and holding them all before
/// ingesting doubles the peak); then the store is opened again, without
/// what loading left in its cache, and the engine reads from that.
fn restore_engine(
    key: AgencyKey,
    roster: crdt_model::membership::Roster,
    store: Box<dyn Storage>,
    follows: crdt_model::interest::Follows,
) -> anyhow::Result<(Engine, Box<dyn Storage>)> {
    const CHUNK: usize = 5_000;
    let mut failed = None;
    let mut n = 0usize;
    // Sealed documents' changes stay on disk (see `seal`).
    let sealed = store.sealed().context("reading the sealed periods")?;
    let skip: BTreeMap<DocId, u64> = sealed
        .iter()
        .flat_map(|(_, docs)| docs.iter().map(|(d, s)| (d.clone(), s.len)))
        .collect();
    let mut stored = store.open_changes_iter(&skip);
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
        follows,
        sealed: sealed.clone(),
        gossip: true,
        ..Default::default()
    };
    let (mut engine, report) = Engine::restore(key.clone(), roster, engine_cfg, chunks);
    drop(stored);
    if let Some(e) = failed {
        return Err(e).context("reading stored changes");
    }
    if sealed.is_some() && engine.ledger().sealed().is_empty() {
        // A change stored after a seal touched it: all are back in memory.
        store
            .clear_sealed()
            .context("forgetting the sealed periods")?;
        store.flush().context("forgetting the sealed periods")?;
    }
    engine.set_archive(None);
    let store = store
        .reopened()
        .context("opening the store again after loading")?;
    engine.set_archive(store.archive());
    release_freed_memory();
    info!(
        changes = n,
        sealed = engine.ledger().sealed().len(),
        refused = report.refused.len(),
        "restored replica"
    );
    Ok((engine, store))
}

/// This agency's documents of which `engine` holds fewer changes than
/// `acked` says were acknowledged: `doc → (held, acknowledged)`.
pub(crate) fn own_gaps(
    engine: &Engine,
    acked: &BTreeMap<DocId, u64>,
) -> BTreeMap<DocId, (u64, u64)> {
    let heads = engine.ledger().heads();
    acked
        .iter()
        .filter_map(|(doc, &n)| {
            let held = heads.get(doc).copied().unwrap_or(0);
            (held < n).then(|| (doc.clone(), (held, n)))
        })
        .collect()
}

/// What the node says (log, status, refused writes) while its store
/// lacks acknowledged changes of its own.
pub(crate) fn gap_message(gaps: &BTreeMap<DocId, (u64, u64)>) -> String {
    let docs: Vec<String> = gaps
        .iter()
        .map(|(d, (held, n))| format!("{d}: holds {held} of {n}"))
        .collect();
    format!(
        "this node's store lost changes it had acknowledged ({}); it refuses writes until peers \
         have given them back (keep it connected to its peers; `tongchou status` shows what is \
         missing); if no peer holds them, restore the home from a backup",
        docs.join(", ")
    )
}

/// The node's swarm, listening on the configured addresses.
fn listening_swarm(engine: &Engine, cfg: &Config) -> anyhow::Result<Swarm<Behaviour>> {
    let mut swarm = net::swarm(engine.key(), cfg.mdns, cfg.max_connections)?;
    for addr in &cfg.listen {
        let ma: Multiaddr = addr
            .parse()
            .with_context(|| format!("bad listen address {addr}"))?;
        swarm
            .listen_on(ma)
            .with_context(|| format!("cannot listen on {addr}"))?;
    }
    Ok(swarm)
}
