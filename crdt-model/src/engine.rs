//! The replication engine, sans-io: fed `(now, input)`, it returns outputs
//! (persist, send, disconnect, notify, set timer) and never touches a socket,
//! clock or disk. The node drives it; tests run many of them in one process.
//!
//! # Protocol
//! Every document has one writer, so its history is a numbered chain and a
//! peer's state is one number per document. On connect, and every
//! anti-entropy period, each side sends a [`Message::Summary`]; the receiver
//! answers with the changes and roster events the sender lacks. New local
//! changes, and remote ones once verified, are pushed to every other peer
//! that is not known to hold them. Refused changes are never forwarded.
//!
//! # Layout
//! This file holds the engine's state and its entry point, [`Engine::handle`];
//! by concept: `sync` (the protocol), [`flow`] (windows and resync),
//! `local` (the user's writes and the owner's automatic decisions),
//! `series` (recurring series and their cancellations),
//! `roster` (membership administration, key rotation), `admission` (the
//! join handshake of newcomers and of members with a rotated key), `calendars` (the
//! calendar cache and queries over it), `busy` (free/busy of owners not
//! followed, asked of a holder and cached), `io` (inputs, outputs, messages).

mod admission;
mod assets;
mod busy;
mod calendars;
pub mod flow;
mod gossip;
mod holders;
mod holds;
mod io;
mod local;
mod roster;
mod series;
mod summary;
mod sync;
mod trips;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

pub use admission::{JoinOutcome, JoinRequest, JoinResponse};
pub use busy::{BUSY_ASK_TIMEOUT_MS, BusyAsked};
pub use gossip::{ON_WAY_MS, Topic, Verdict};
pub use holds::CHECKIN_OPENS_MINUTES;
pub use io::{
    AssetOp, Event, Input, LocalError, LocalOp, LocalOutcome, Message, Output, PROTOCOL_VERSION,
    SeriesScope, SummaryDigest, TripCommand, TripDraft,
};

use crate::agency::AgencyKey;
use crate::availability::{Candidate, SlotQuery, find_slots};
use crate::booking::{BookingRequest, Cancellation, Decision};
use crate::calendar::{Booking, ResourceCalendar, advance, calendar_with};
use crate::doc::DocWriter;
use crate::hlc::{Hlc, HlcClock};
use crate::ids::{AgencyId, BookingId, DocId, ResourceId, shard_of};
use crate::interest::Follows;
use crate::ledger::{Delta, IngestReport, Ledger, RefuseReason};
use crate::membership::{Roster, RosterAction, SignedRosterEvent};
use crate::policy::{Draft, auto_decisions, manual_decision};
use crate::record::Record;
use crate::signed::SignedChange;

/// Engine tuning.
#[derive(Clone, Debug)]
pub struct Config {
    /// Most changes in one message.
    pub max_batch: usize,
    /// Most bytes of changes in one message (approximate).
    pub max_batch_bytes: usize,
    /// Period of summary exchange with every peer, ms.
    pub anti_entropy_ms: i64,
    /// Remote clocks further ahead than this are not followed, ms.
    pub max_skew_ms: i64,
    /// Refused changes from one peer before it is disconnected.
    pub max_peer_refusals: u32,
    /// Where accepted changes are stored, so the ledger need not keep their
    /// bytes in memory ([`crate::ledger::Ledger::with_archive`]); `None`
    /// keeps everything in memory.
    pub archive: Option<std::sync::Arc<dyn crate::ledger::Archive>>,
    /// What this replica follows (see [`crate::interest`]); changed later
    /// with [`Engine::set_follows`].
    pub follows: Follows,
    /// Documents sealed in the archive, as the store noted them (see
    /// [`Engine::seal`]): [`Engine::restore`] takes them as sealed.
    pub sealed: Option<(Timestamp, BTreeMap<DocId, crate::ledger::SealedDoc>)>,
    /// Whether live changes go on publish-subscribe topics (see
    /// [`gossip`]) to the peers the driver reports subscribed, rather than
    /// by message.
    pub gossip: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_batch: 1_000,
            max_batch_bytes: 512 * 1024,
            anti_entropy_ms: 30_000,
            max_skew_ms: 5 * 60_000,
            max_peer_refusals: 100,
            archive: None,
            follows: Follows::everything(),
            sealed: None,
            gossip: false,
        }
    }
}

#[derive(Debug, Default)]
struct PeerState {
    known: BTreeMap<DocId, u64>,
    roster: BTreeSet<String>,
    refused: u32,
    /// The owners the peer follows, from its summary (`None`: everything).
    interest: Option<BTreeSet<AgencyId>>,
    /// The subjects the peer asks us to send it what it lacks of, from its
    /// summary (`None`: everything; see [`holders`]).
    serve: Option<BTreeSet<AgencyId>>,
    /// Whether its summary arrived (until then we do not know what it holds).
    summarised: bool,
    /// Whether it sent us changes since our last summary to it (it is
    /// answering that summary).
    sent_since_told: bool,
    /// The epoch and round of the newest summary it sent us.
    round: (u64, u64),
    /// Documents whose fresh changes for it were held back or lost: they go
    /// in a resync whatever its share (they were ours to deliver).
    owed: BTreeSet<DocId>,
    /// When we last asked this peer to fill a gap (ms).
    gap_asked_ms: Option<i64>,
    /// Since when changes from it wait for earlier ones (ms).
    gap_since_ms: Option<i64>,
    /// Changes it sent that we held already, and their signed bytes.
    duplicates: (u64, u64),
    /// The highest number among its change messages taken in.
    seen: u64,
    /// The highest number among its change messages taken in when no
    /// change waited for an earlier one: what our summary tells it we saw
    /// (a change waiting is not counted in the summary, and its message
    /// must not count as seen).
    seen_whole: u64,
    /// Documents whose changes were not forwarded to it because it has
    /// another holder send their subject: owed at its next summary if it
    /// still lacks them.
    skipped: BTreeSet<DocId>,
    /// Its free/busy questions in the current period: since when (ms),
    /// how many (see [`busy`]).
    busy_asked: (i64, u32),
}

/// Messages' worth of changes one resync sends (see [`flow`]).
const RESYNC_BATCHES: usize = 4;

/// Least time between two requests to one peer to fill a gap, ms. Each
/// request makes the peer resend everything after what we applied, so
/// asking on every message during a burst would multiply the traffic.
const GAP_ASK_MS: i64 = 1_000;

/// How long a gap may last before the peer is asked to fill it, ms.
/// Messages overtake one another on the way (each goes on its own
/// stream), and the gap they open closes when the one overtaken arrives;
/// asking at once would make the peer send again what is on its way.
const GAP_WAIT_MS: i64 = 500;

/// One agency's replica and sync state.
#[derive(Debug)]
pub struct Engine {
    key: AgencyKey,
    me: AgencyId,
    cfg: Config,
    ledger: Ledger,
    writers: BTreeMap<DocId, DocWriter>,
    clock: HlcClock,
    peers: BTreeMap<AgencyId, PeerState>,
    calendars: BTreeMap<ResourceId, ResourceCalendar>,
    /// Resources whose calendar is out of date (see [`Engine::settle`]),
    /// with what was added to each since it was current.
    dirty: BTreeMap<ResourceId, Delta>,
    next_tick: Option<i64>,
    /// A stored change could not be read back (see [`Engine::take_fault`]).
    fault: Option<crate::ledger::ArchiveError>,
    /// Messages waiting for the driver's commit, and every peer's window.
    outbox: flow::Outbox,
    /// Peers to resync once the driver has stored what was accepted (a
    /// change could not go to them fresh: they lack the one before it).
    resync_after_commit: BTreeSet<AgencyId>,
    /// Why this replica writes nothing of its own for now (see
    /// [`Engine::hold_writes`]).
    held: Option<String>,
    /// The person a local action is being prepared for (`LocalOp::As`).
    acting: Option<compact_str::CompactString>,
    /// What this replica follows, and the owners that resolves to now
    /// (`None`: everything).
    follows: Follows,
    interest: Option<BTreeSet<AgencyId>>,
    /// Which connected peer sends us what we lack of each subject (see
    /// [`holders`]).
    holders: BTreeMap<AgencyId, AgencyId>,
    /// The last summary's round, and this run's epoch (see
    /// `Message::Summary::round`).
    rounds: std::cell::Cell<u64>,
    epoch: u64,
    /// Free/busy of owners not followed, as last answered (see [`busy`]).
    busy: BTreeMap<AgencyId, crate::busy::BusyView>,
    /// Free/busy questions waiting for their answer, by number.
    busy_asks: BTreeMap<u64, busy::PendingAsk>,
    busy_next: u64,
    /// Owners dialled for a free/busy question no connected peer could
    /// answer: the window asked, and when (ms).
    busy_dialling: BTreeMap<AgencyId, (Timestamp, Timestamp, i64)>,
    /// Topics, subscriptions and publishes (see [`gossip`]).
    gossip: gossip::Gossip,
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

impl Engine {
    /// An engine for `key`'s agency in the network of `roster`, restored from
    /// stored changes (any order). Returns it with the report of the restore.
    pub fn new(
        key: AgencyKey,
        roster: Roster,
        cfg: Config,
        stored: Vec<SignedChange>,
    ) -> (Self, IngestReport) {
        Self::restore(key, roster, cfg, std::iter::once(stored))
    }

    /// Like [`Engine::new`], with the stored changes in chunks (e.g. read
    /// from disk a chunk at a time, so a large history is never held twice).
    /// They must be changes this replica accepted and stored: they are
    /// ingested with [`Ledger::ingest_stored`], which verifies only the
    /// signatures a key rotation may have invalidated since.
    /// The report keeps refusals and touched resources, not the accepted
    /// changes themselves.
    pub fn restore(
        key: AgencyKey,
        roster: Roster,
        cfg: Config,
        chunks: impl IntoIterator<Item = Vec<SignedChange>>,
    ) -> (Self, IngestReport) {
        // After a key rotation the key signs for the agency it replaced.
        let key = match roster.agency_of_key(&key.public()) {
            Some(agency) => key.acting_for(agency),
            None => key,
        };
        let me = key.id();
        let mut cfg = cfg;
        let sealed = cfg.sealed.take();
        let follows = cfg.follows.clone();
        let ledger = match cfg.archive.clone() {
            Some(archive) => Ledger::new(roster).with_archive(archive, me),
            None => Ledger::new(roster),
        };
        let mut e = Self {
            key,
            me,
            cfg,
            ledger,
            writers: BTreeMap::new(),
            clock: HlcClock::new(),
            peers: BTreeMap::new(),
            calendars: BTreeMap::new(),
            dirty: BTreeMap::new(),
            next_tick: None,
            fault: None,
            outbox: flow::Outbox::default(),
            resync_after_commit: BTreeSet::new(),
            held: None,
            acting: None,
            follows: Follows::everything(),
            interest: None,
            holders: BTreeMap::new(),
            rounds: std::cell::Cell::new(0),
            epoch: 0,
            busy: BTreeMap::new(),
            busy_asks: BTreeMap::new(),
            busy_next: 0,
            busy_dialling: BTreeMap::new(),
            gossip: gossip::Gossip::default(),
        };
        let mut report = IngestReport::default();
        for chunk in chunks {
            let mut r = e.ledger.ingest_stored(chunk);
            r.accepted = Vec::new();
            r.seen = Vec::new();
            report.merge(r);
        }
        if let Some((cut, docs)) = sealed {
            e.ledger.restore_sealed(cut, docs);
        }
        // Never reuse a timestamp (and so a booking id) from before a restart.
        let idx = e.ledger.index();
        let last = idx
            .requests
            .values()
            .filter(|r| r.id.requester == me)
            .map(|r| r.hlc)
            .chain(
                idx.decisions
                    .values()
                    .flat_map(|m| m.values())
                    .chain(idx.later_decisions.values().flat_map(|m| m.values()))
                    .filter(|d| d.author == me)
                    .map(|d| d.hlc),
            )
            .chain(
                idx.cancels
                    .values()
                    .filter(|c| c.booking.requester == me)
                    .map(|c| c.hlc),
            )
            .chain(
                idx.trips
                    .values()
                    .filter(|t| t.id.requester == me)
                    .map(|t| t.hlc),
            )
            .chain(
                idx.trip_updates
                    .values()
                    .flat_map(|m| m.values())
                    .filter(|u| u.fleet == me)
                    .map(|u| u.hlc),
            )
            .max();
        // And after what its sealed documents hold.
        let sealed = e.ledger.sealed().iter().filter(|(d, _)| d.owner == me);
        let last = last.max(sealed.map(|(_, s)| s.clock).max());
        if let Some(h) = last {
            e.clock.observe(h, h.wall_ms, 0);
        }
        e.interest = follows.resolve(me, &e.ledger);
        e.follows = follows;
        let all: Vec<ResourceId> = e
            .ledger
            .index()
            .resources
            .keys()
            .cloned()
            .chain(e.ledger.index().by_resource.keys().cloned())
            .collect();
        e.defer(all.into_iter().collect(), &BTreeMap::new());
        (e, report)
    }

    /// This agency.
    pub fn id(&self) -> AgencyId {
        self.me
    }

    /// The replica.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Replaces where the replica reads back the change bytes it did not
    /// keep in memory: the same store, opened again (`None` meanwhile:
    /// nothing may be read until it is back).
    pub fn set_archive(&mut self, archive: Option<std::sync::Arc<dyn crate::ledger::Archive>>) {
        let me = self.me;
        self.cfg.archive = archive.clone();
        self.ledger.set_archive(archive.map(|a| (a, me)));
    }

    /// Connected peers.
    pub fn peers(&self) -> impl Iterator<Item = &AgencyId> {
        self.peers.keys()
    }

    /// What we believe a peer holds: `(doc, changes)`.
    pub fn peer_known(&self, peer: &AgencyId) -> Option<&BTreeMap<DocId, u64>> {
        self.peers.get(peer).map(|p| &p.known)
    }

    /// Changes `peer` sent this session that we held already, and their
    /// signed bytes (change and signature): what catching up cost beyond
    /// one copy.
    pub fn peer_duplicates(&self, peer: &AgencyId) -> (u64, u64) {
        self.peers.get(peer).map_or((0, 0), |p| p.duplicates)
    }

    /// What this replica follows.
    pub fn follows(&self) -> &Follows {
        &self.follows
    }

    /// The owners whose requests and decisions this replica holds, as
    /// [`Engine::follows`] resolves now (`None`: everything).
    pub fn interest(&self) -> Option<&BTreeSet<AgencyId>> {
        self.interest.as_ref()
    }

    /// The owners a connected peer follows, from its summary (`None`:
    /// everything, or no summary yet).
    pub fn peer_interest(&self, peer: &AgencyId) -> Option<&BTreeSet<AgencyId>> {
        self.peers.get(peer).and_then(|p| p.interest.as_ref())
    }

    /// Follows something else from now on: peers are sent the new interest
    /// with our summary, and answer with what it adds. Documents held
    /// already stay held.
    pub fn set_follows(&mut self, follows: Follows) -> Vec<Output> {
        self.follows = follows;
        let mut out = Vec::new();
        self.refresh_interest(&mut out);
        self.route(out)
    }

    /// Resolves the interest again (the catalogue, the roster or our own
    /// requests changed); when it changed, tells every peer.
    fn refresh_interest(&mut self, out: &mut Vec<Output>) {
        let now = self.follows.resolve(self.me, &self.ledger);
        if now != self.interest {
            self.interest = now;
            self.mark_followed_calendars();
            self.summary_to_all(false, out);
        }
    }

    /// Whether this replica holds `doc` (see [`crate::interest::wants`]).
    fn wants(&self, doc: &DocId) -> bool {
        crate::interest::wants(self.me, self.interest.as_ref(), doc)
    }

    /// Handles one input.
    pub fn handle(&mut self, now: Timestamp, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        if self.epoch == 0 {
            // Tells this run of the replica from earlier ones (their
            // summaries may still be on their way): the time it started,
            // and a count of the engines this process made.
            static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
            let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.epoch = (u64::try_from(ms(now)).unwrap_or(0) ^ (made << 44)).max(1);
        }
        match input {
            Input::Connected(peer) => self.on_connected(now, peer, &mut out),
            Input::Disconnected(peer) => {
                self.outbox.forget(&peer);
                self.forget_subscriptions(&peer);
                if self.peers.remove(&peer).is_some() {
                    out.push(Output::Notify(Event::Peer {
                        peer,
                        connected: false,
                    }));
                    // Its subjects go to other holders.
                    let changed = self.assign_holders(&[]);
                    self.tell_holders(changed, &mut out);
                }
            }
            Input::Received { from, msg } => self.on_message(now, from, msg, &mut out),
            Input::Unreachable(agency) => self.on_busy_unreachable(now, agency, &mut out),
            Input::Tick => self.on_tick(now, &mut out),
            Input::Subscribed { peer, topic, on } => self.on_subscribed(peer, topic, on),
            Input::Unpublished { changes } => self.on_unpublished(changes),
            Input::Committed => {
                let mut out = self.route(out);
                // What they lack is stored now, and can be read back.
                for peer in std::mem::take(&mut self.resync_after_commit) {
                    let behind = self.resync(peer);
                    self.outbox.set_behind(peer, behind);
                }
                let released = self.outbox.release();
                for (peer, carried, resync) in released.held {
                    self.not_held_by(peer, carried, !resync);
                }
                out.extend(released.sends);
                self.release_publishes(&mut out);
                return out;
            }
            Input::Delivered { peer, id, ok } => {
                let (lost, resync) = self.outbox.delivered(peer, id, ok);
                self.not_held_by(peer, lost, true);
                if resync {
                    let behind = self.resync(peer);
                    self.outbox.set_behind(peer, behind);
                }
            }
        }
        self.route(out)
    }

    /// Moves the sends among `out` to the outbox: they leave at the
    /// driver's next [`Input::Committed`], after what they depend on is stored.
    fn route(&mut self, out: Vec<Output>) -> Vec<Output> {
        let mut rest = Vec::with_capacity(out.len());
        for o in out {
            match o {
                Output::Send { to, msg, .. } => self.outbox.push(to, msg, false),
                other => rest.push(other),
            }
        }
        rest
    }

    /// Whether messages wait for the driver's [`Input::Committed`].
    pub fn has_queued_sends(&self) -> bool {
        !self.outbox.is_empty() || self.has_unpublished()
    }

    /// Change messages in flight to `peer` (sent, not yet reported with
    /// [`Input::Delivered`]).
    pub fn inflight(&self, peer: &AgencyId) -> usize {
        self.outbox.inflight(peer)
    }

    /// A stored change that could not be read back since the last call
    /// (while serving a peer, writing, or rebuilding the index after a
    /// revocation): the store is failing and this replica may be
    /// incomplete. The node must stop writing until it is restarted on a
    /// healthy store; nothing was sent past the unreadable change.
    pub fn take_fault(&mut self) -> Option<crate::ledger::ArchiveError> {
        self.fault.take().or_else(|| self.ledger.take_fault())
    }

    /// Seals the documents of periods that ended [`SEAL_AFTER_DAYS`]
    /// before `now` (see [`Ledger::seal`]), bringing the calendars they
    /// named up to date; returns the documents sealed, for the driver to
    /// note in its store. A change that cannot be read back seals nothing
    /// and is reported by [`Engine::take_fault`].
    ///
    /// [`SEAL_AFTER_DAYS`]: crate::ledger::SEAL_AFTER_DAYS
    pub fn seal(&mut self, now: Timestamp) -> Vec<DocId> {
        let days = jiff::SignedDuration::from_hours(24 * crate::ledger::SEAL_AFTER_DAYS);
        let cut = now.checked_sub(days).unwrap_or(Timestamp::MIN);
        match self.ledger.seal(cut) {
            Ok(outcome) => {
                let deltas: BTreeMap<ResourceId, Delta> = outcome
                    .touched
                    .iter()
                    .map(|r| {
                        let d = Delta {
                            other: true,
                            ..Delta::default()
                        };
                        (r.clone(), d)
                    })
                    .collect();
                self.refresh(outcome.touched, &deltas);
                outcome.docs
            }
            Err(e) => {
                self.fault = Some(e);
                Vec::new()
            }
        }
    }

    /// The key this engine signs with.
    pub fn key(&self) -> &AgencyKey {
        &self.key
    }

    /// Holds (with the reason) or releases every write of this agency's
    /// own documents: the user's and the owner's automatic decisions. A
    /// driver whose store lost changes it had acknowledged holds them
    /// until peers have given those back: a new change written on the
    /// shorter history would fork it. A held write fails with
    /// [`LocalError::Storage`] and the reason. Releasing runs the owner
    /// policy held back meanwhile; its outputs are returned.
    pub fn hold_writes(&mut self, now: Timestamp, reason: Option<String>) -> Vec<Output> {
        let released = self.held.is_some() && reason.is_none();
        self.held = reason;
        // Writers built before the hold may lag the history given back.
        self.writers.clear();
        let mut out = Vec::new();
        if released {
            let owned = self.owned_resources();
            self.run_policy(now, owned, &mut out);
        }
        self.route(out)
    }

    /// Why own writes are held, if they are.
    pub fn writes_held(&self) -> Option<&str> {
        self.held.as_deref()
    }
}
