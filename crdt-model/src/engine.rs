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

pub mod flow;
mod io;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

pub use io::{Event, Input, LocalError, LocalOp, LocalOutcome, Message, Output, PROTOCOL_VERSION};

use crate::agency::AgencyKey;
use crate::availability::{Candidate, SlotQuery, find_slots};
use crate::booking::{BookingRequest, Cancellation, Decision};
use crate::calendar::{Booking, ResourceCalendar, advance, calendar_with};
use crate::doc::DocWriter;
use crate::hlc::{Hlc, HlcClock};
use crate::ids::{AgencyId, BookingId, DocId, DocKind, ResourceId, shard_of};
use crate::ledger::{Delta, IngestReport, Ledger, RefuseReason};
use crate::membership::{Roster, RosterAction, SignedRosterEvent};
use crate::policy::{Draft, auto_decisions, manual_decision};
use crate::record::Record;
use crate::signed::SignedChange;

/// Most bytes of records (as [`record_weight`] counts them) that
/// [`Engine::local_batch`] writes in one change: half of
/// [`crate::signed::MAX_CHANGE_BYTES`], so every peer accepts the change.
const MAX_BATCH_CHANGE_BYTES: usize = crate::signed::MAX_CHANGE_BYTES / 2;

/// An upper bound on a record's encoded size: its fixed fields, plus its
/// free text as if every byte had to be escaped in JSON.
fn record_weight(r: &Record) -> usize {
    let text = match r {
        Record::Request(q) => q.contact.len() + q.purpose.len(),
        Record::Cancel(c) => c.reason.len(),
        _ => crate::record::MAX_RECORD / 6,
    };
    512 + 6 * text
}

/// A prepared local action waiting to be written: its position in the
/// batch, its records and the booking it concerns.
type Pending = (usize, Vec<Record>, Option<BookingId>);

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
        }
    }
}

#[derive(Debug, Default)]
struct PeerState {
    known: BTreeMap<DocId, u64>,
    roster: BTreeSet<String>,
    refused: u32,
    /// When we last asked this peer to fill a gap (ms).
    gap_asked_ms: Option<i64>,
}

/// Messages' worth of changes one resync sends (see [`flow`]).
const RESYNC_BATCHES: usize = 4;

/// Least time between two requests to one peer to fill a gap, ms. Each
/// request makes the peer resend everything after what we applied, so
/// asking on every message during a burst would multiply the traffic.
const GAP_ASK_MS: i64 = 1_000;

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
        };
        let mut report = IngestReport::default();
        for chunk in chunks {
            let mut r = e.ledger.ingest_stored(chunk);
            r.accepted = Vec::new();
            r.seen = Vec::new();
            report.merge(r);
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
                    .filter(|d| d.resource.owner == me)
                    .map(|d| d.hlc),
            )
            .chain(
                idx.cancels
                    .values()
                    .filter(|c| c.booking.requester == me)
                    .map(|c| c.hlc),
            )
            .max();
        if let Some(h) = last {
            e.clock.observe(h, h.wall_ms, 0);
        }
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

    /// Connected peers.
    pub fn peers(&self) -> impl Iterator<Item = &AgencyId> {
        self.peers.keys()
    }

    /// What we believe a peer holds: `(doc, changes)`.
    pub fn peer_known(&self, peer: &AgencyId) -> Option<&BTreeMap<DocId, u64>> {
        self.peers.get(peer).map(|p| &p.known)
    }

    /// A resource's calendar. Call [`Engine::settle`] first: calendars of
    /// other agencies' resources are brought up to date lazily.
    pub fn calendar(&self, rid: &ResourceId) -> Option<&ResourceCalendar> {
        debug_assert!(
            !self.dirty.contains_key(rid),
            "settle() before reading {rid}"
        );
        self.calendars.get(rid)
    }

    /// All calendars (after [`Engine::settle`]).
    pub fn calendars(&self) -> &BTreeMap<ResourceId, ResourceCalendar> {
        debug_assert!(self.dirty.is_empty(), "settle() before reading calendars");
        &self.calendars
    }

    /// Where a booking stands, with its request (after [`Engine::settle`]).
    pub fn booking(&self, id: &BookingId) -> Option<Booking> {
        let rid = self.ledger.index().requests.get(id).map(|r| &r.resource);
        let b = match rid {
            Some(rid) => self.calendar(rid).and_then(|c| c.find(id)),
            None => self.calendars().values().find_map(|c| c.find(id)),
        };
        b.cloned().map(|b| self.hydrate(b))
    }

    /// Free-slot search over the whole catalogue (after [`Engine::settle`]).
    pub fn find_slots(&self, q: &SlotQuery, now: Timestamp) -> Vec<Candidate> {
        let calendars = self.calendars();
        find_slots(
            self.ledger.index().resources.values(),
            |r| calendars.get(r),
            q,
            now,
        )
    }

    /// Brings every calendar up to date and returns how many were
    /// recomputed. Calendars of our own resources are always current (the
    /// owner policy and local decisions read them); the others are only
    /// marked when changes arrive, so that a node catching up with a long
    /// history recomputes each calendar once per read instead of once per
    /// message. Readers call this first; the result is the same calendar
    /// as an eager recomputation would give.
    pub fn settle(&mut self) -> usize {
        let dirty = std::mem::take(&mut self.dirty);
        let n = dirty.len();
        self.refresh(dirty.keys().cloned().collect(), &dirty);
        n
    }

    /// Brings calendars up to date now: in place from what was added since
    /// each was current (see [`advance`]) where that is a short list, by
    /// recomputation otherwise.
    fn refresh(&mut self, touched: BTreeSet<ResourceId>, deltas: &BTreeMap<ResourceId, Delta>) {
        /// Beyond this many additions, recomputing is as quick (applying a
        /// decision looks its booking up in the waiting line).
        const ADVANCE_AT_MOST: usize = 512;
        let (index, roster) = (self.ledger.index(), self.ledger.roster());
        for rid in touched {
            let delta = match (self.dirty.remove(&rid), deltas.get(&rid)) {
                (Some(mut earlier), Some(d)) => {
                    earlier.extend(d);
                    Some(std::borrow::Cow::Owned(earlier))
                }
                (Some(earlier), None) => Some(std::borrow::Cow::Owned(earlier)),
                (None, d) => d.map(std::borrow::Cow::Borrowed),
            };
            if let Some(delta) = delta
                && delta.len() <= ADVANCE_AT_MOST
                && let Some(cal) = self.calendars.get_mut(&rid)
                && advance(cal, index, roster, &rid, &delta)
            {
                // Every debug build (the tests) checks the shortcut.
                debug_assert_eq!(
                    *cal,
                    calendar_with(index, roster, &rid, false),
                    "calendar of {rid} advanced in place differs from its recomputation"
                );
                continue;
            }
            // The cache keeps no copy of the requests: the index has them,
            // and `hydrate` puts them back when a booking leaves the engine.
            let cal = calendar_with(index, roster, &rid, false);
            self.calendars.insert(rid, cal);
        }
    }

    /// Brings our own resources' calendars up to date now and marks the
    /// others for [`Engine::settle`], remembering what was added to them
    /// (everything, for a resource `deltas` does not name).
    fn defer(&mut self, touched: BTreeSet<ResourceId>, deltas: &BTreeMap<ResourceId, Delta>) {
        let (mine, others): (BTreeSet<_>, BTreeSet<_>) =
            touched.into_iter().partition(|r| r.owner == self.me);
        for rid in others {
            let d = deltas.get(&rid);
            let pending = self.dirty.entry(rid).or_default();
            match d {
                Some(d) => pending.extend(d),
                None => pending.other = true,
            }
        }
        self.refresh(mine, deltas);
    }

    /// A booking with its request filled in from the index.
    pub fn hydrate(&self, mut b: Booking) -> Booking {
        self.fill_request(&mut b);
        b
    }

    fn fill_request(&self, b: &mut Booking) {
        if b.request.is_none() {
            b.request = self
                .ledger
                .index()
                .requests
                .get(&b.id)
                .cloned()
                .map(Box::new);
        }
    }

    /// A resource's calendar with every booking's request filled in.
    pub fn calendar_full(&self, rid: &ResourceId) -> Option<ResourceCalendar> {
        let mut cal = self.calendar(rid)?.clone();
        for b in cal.bookings_mut() {
            self.fill_request(b);
        }
        Some(cal)
    }

    /// Handles one input.
    pub fn handle(&mut self, now: Timestamp, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        match input {
            Input::Connected(peer) => self.on_connected(now, peer, &mut out),
            Input::Disconnected(peer) => {
                self.outbox.forget(&peer);
                if self.peers.remove(&peer).is_some() {
                    out.push(Output::Notify(Event::Peer {
                        peer,
                        connected: false,
                    }));
                }
            }
            Input::Received { from, msg } => self.on_message(now, from, msg, &mut out),
            Input::Tick => self.on_tick(now, &mut out),
            Input::Committed => {
                let mut out = self.route(out);
                let released = self.outbox.release();
                for (peer, carried) in released.held {
                    self.not_held_by(peer, carried);
                }
                out.extend(released.sends);
                return out;
            }
            Input::Delivered { peer, id, ok } => {
                let (lost, resync) = self.outbox.delivered(peer, id, ok);
                self.not_held_by(peer, lost);
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
        !self.outbox.is_empty()
    }

    /// Change messages in flight to `peer` (sent, not yet reported with
    /// [`Input::Delivered`]).
    pub fn inflight(&self, peer: &AgencyId) -> usize {
        self.outbox.inflight(peer)
    }

    /// `peer` does not hold these changes after all (lost or held back): a
    /// later resync or summary sends them.
    fn not_held_by(&mut self, peer: AgencyId, changes: flow::Carried) {
        if let Some(p) = self.peers.get_mut(&peer) {
            for (doc, seq) in changes {
                let k = p.known.entry(doc).or_default();
                *k = (*k).min(seq.saturating_sub(1));
            }
        }
    }

    /// Queues for `peer` the next changes it lacks, at most
    /// [`RESYNC_BATCHES`] messages' worth, ahead of fresh messages; whether
    /// there were any (the peer is still behind).
    fn resync(&mut self, peer: AgencyId) -> bool {
        let Some(p) = self.peers.get_mut(&peer) else {
            return false;
        };
        let mut budget = self.cfg.max_batch * RESYNC_BATCHES;
        let mut send = Vec::new();
        for (doc, log) in self.ledger.docs() {
            let theirs = p.known.get(doc).copied().unwrap_or(0);
            if log.len() > theirs {
                let more = match self.ledger.changes_after(doc, theirs, budget) {
                    Ok(more) => more,
                    Err(e) => {
                        // Send nothing past a change we cannot read: the
                        // peer would only hold a gap.
                        self.fault = Some(e);
                        break;
                    }
                };
                budget -= more.len();
                p.known.insert(doc.clone(), theirs + more.len() as u64);
                send.extend(more);
                if budget == 0 {
                    break;
                }
            }
        }
        let mut msgs = Vec::new();
        self.send_changes(peer, send, &mut msgs);
        let any = !msgs.is_empty();
        for m in msgs {
            if let Output::Send { to, msg, .. } = m {
                self.outbox.push(to, msg, true);
            }
        }
        any
    }

    fn on_connected(&mut self, now: Timestamp, peer: AgencyId, out: &mut Vec<Output>) {
        if !self.ledger.roster().is_active(&peer) || peer == self.me {
            out.push(Output::Disconnect {
                peer,
                reason: "not an active member".into(),
            });
            return;
        }
        self.peers.entry(peer).or_default();
        out.push(Output::Notify(Event::Peer {
            peer,
            connected: true,
        }));
        out.push(Output::Send {
            to: peer,
            msg: self.summary(),
            id: 0,
        });
        if self.next_tick.is_none() {
            let at = ms(now) + self.cfg.anti_entropy_ms;
            self.next_tick = Some(at);
            out.push(Output::SetTimer(at));
        }
    }

    /// A gap (changes waiting for earlier ones): asks `peer` for everything
    /// we lack, at most once per [`GAP_ASK_MS`]; when too soon, sets a timer
    /// to ask then.
    fn ask_to_fill(&mut self, now: Timestamp, peer: AgencyId, out: &mut Vec<Output>) {
        let summary = self.summary();
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match p.gap_asked_ms {
            Some(t) if ms(now) - t < GAP_ASK_MS => {
                out.push(Output::SetTimer(t + GAP_ASK_MS));
            }
            _ => {
                p.gap_asked_ms = Some(ms(now));
                out.push(Output::Send {
                    to: peer,
                    msg: summary,
                    id: 0,
                });
            }
        }
    }

    fn on_tick(&mut self, now: Timestamp, out: &mut Vec<Output>) {
        // Backstop of the flow control: a peer left behind gets what it
        // lacks even if no acknowledgement is coming to trigger it.
        for peer in self.outbox.behind_with_room() {
            let behind = self.resync(peer);
            self.outbox.set_behind(peer, behind);
        }
        if self.ledger.pending_len() > 0 {
            let due: Vec<AgencyId> = self
                .peers
                .iter()
                .filter(|(_, p)| p.gap_asked_ms.is_some_and(|t| ms(now) - t >= GAP_ASK_MS))
                .map(|(a, _)| *a)
                .collect();
            for peer in due {
                self.ask_to_fill(now, peer, out);
            }
        }
        if self.next_tick.is_some_and(|t| t > ms(now)) {
            return;
        }
        let summary = self.summary();
        for peer in self.peers.keys() {
            out.push(Output::Send {
                to: *peer,
                msg: summary.clone(),
                id: 0,
            });
        }
        let at = ms(now) + self.cfg.anti_entropy_ms;
        self.next_tick = Some(at);
        out.push(Output::SetTimer(at));
        // The owner's policy may depend on time (requests that started meanwhile).
        self.run_policy(now, self.owned_resources(), out);
    }

    /// Our summary message.
    pub fn summary(&self) -> Message {
        Message::Summary {
            version: PROTOCOL_VERSION,
            network: self.ledger.roster().network_id().to_string(),
            docs: self.ledger.heads().into_iter().collect(),
            roster: self
                .ledger
                .roster()
                .events()
                .map(|(id, _)| id.clone())
                .collect(),
        }
    }

    fn on_message(&mut self, now: Timestamp, from: AgencyId, msg: Message, out: &mut Vec<Output>) {
        if !self.peers.contains_key(&from) {
            // Messages only count within a session the engine accepted.
            return;
        }
        match msg {
            Message::Summary {
                version,
                network,
                docs,
                roster,
            } => {
                if network != self.ledger.roster().network_id() || version != PROTOCOL_VERSION {
                    self.peers.remove(&from);
                    out.push(Output::Disconnect {
                        peer: from,
                        reason: "other network or protocol version".into(),
                    });
                    return;
                }
                let peer = self.peers.get_mut(&from).expect("checked above");
                peer.known = docs.into_iter().collect();
                peer.roster = roster.into_iter().collect();
                let missing_roster: Vec<SignedRosterEvent> = self
                    .ledger
                    .roster()
                    .events()
                    .filter(|(id, _)| !peer.roster.contains(*id))
                    .map(|(_, e)| e.clone())
                    .collect();
                if !missing_roster.is_empty() {
                    out.push(Output::Send {
                        to: from,
                        msg: Message::Roster {
                            events: missing_roster,
                        },
                        id: 0,
                    });
                }
                // What it lacks goes a bounded amount at a time, more as
                // the peer acknowledges ([`Input::Delivered`]).
                let behind = self.resync(from);
                self.outbox.set_behind(from, behind);
            }
            Message::Changes { changes } => {
                let report = self.ledger.ingest(changes);
                let p = self.peers.get_mut(&from).expect("checked above");
                for (doc, seq) in &report.seen {
                    let k = p.known.entry(doc.clone()).or_default();
                    *k = (*k).max(*seq);
                }
                self.after_ingest(now, Some(from), report, out);
                if self.ledger.pending_len() > 0 {
                    self.ask_to_fill(now, from, out);
                }
            }
            Message::Roster { events } => {
                let (changed, errors, touched) = self.ledger.add_roster_events(events.clone());
                if let Some(p) = self.peers.get_mut(&from) {
                    p.refused += errors.len() as u32;
                    p.roster.extend(events.iter().map(SignedRosterEvent::id));
                }
                if changed {
                    out.push(Output::PersistRoster(events.clone()));
                    out.push(Output::Notify(Event::Roster));
                    for (peer, st) in &self.peers {
                        if *peer != from {
                            let fresh: Vec<_> = events
                                .iter()
                                .filter(|e| !st.roster.contains(&e.id()))
                                .cloned()
                                .collect();
                            if !fresh.is_empty() {
                                out.push(Output::Send {
                                    to: *peer,
                                    msg: Message::Roster { events: fresh },
                                    id: 0,
                                });
                            }
                        }
                    }
                    self.after_roster_change(now, touched, out);
                }
                self.check_peer(from, out);
            }
        }
    }

    /// After the roster changed: recompute calendars, drop sessions with
    /// agencies no longer active, and let the owner policy react.
    fn after_roster_change(
        &mut self,
        now: Timestamp,
        touched: BTreeSet<ResourceId>,
        out: &mut Vec<Output>,
    ) {
        self.defer(touched.clone(), &BTreeMap::new());
        out.push(Output::Notify(Event::Calendar {
            resources: touched.into_iter().collect(),
        }));
        let gone: Vec<AgencyId> = self
            .peers
            .keys()
            .filter(|p| !self.ledger.roster().is_active(p))
            .copied()
            .collect();
        for peer in gone {
            self.peers.remove(&peer);
            out.push(Output::Disconnect {
                peer,
                reason: "revoked".into(),
            });
        }
        self.run_policy(now, self.owned_resources(), out);
        // Changes refused before this roster change reached us (signed by a
        // key it introduced, say, arriving ahead of it) are accepted now:
        // our summary makes every peer send again what we lack.
        let summary = self.summary();
        for peer in self.peers.keys() {
            out.push(Output::Send {
                to: *peer,
                msg: summary.clone(),
                id: 0,
            });
        }
    }

    fn check_peer(&mut self, peer: AgencyId, out: &mut Vec<Output>) {
        if self
            .peers
            .get(&peer)
            .is_some_and(|p| p.refused > self.cfg.max_peer_refusals)
        {
            self.peers.remove(&peer);
            out.push(Output::Disconnect {
                peer,
                reason: "too many refused changes".into(),
            });
        }
    }

    /// Adds roster events from outside the sync protocol (e.g. a join
    /// handshake or the local admin), with the same effects as receiving them.
    pub fn add_roster_events(
        &mut self,
        now: Timestamp,
        events: Vec<SignedRosterEvent>,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let (changed, _errors, touched) = self.ledger.add_roster_events(events.clone());
        if changed {
            out.push(Output::PersistRoster(events.clone()));
            out.push(Output::Notify(Event::Roster));
            for peer in self.peers.keys() {
                out.push(Output::Send {
                    to: *peer,
                    msg: Message::Roster {
                        events: events.clone(),
                    },
                    id: 0,
                });
            }
            self.after_roster_change(now, touched, &mut out);
        }
        self.route(out)
    }

    /// Signs a roster action by this agency (an admin) and applies it like
    /// received events. A revocation's cutoffs are filled in from what this
    /// replica holds of the revoked agency's documents.
    pub fn roster_act(
        &mut self,
        now: Timestamp,
        mut action: RosterAction,
    ) -> Result<Vec<Output>, LocalError> {
        if !self.ledger.roster().is_admin(&self.me) {
            return Err(LocalError::NotAllowed(
                "only an admin changes the roster".into(),
            ));
        }
        if let RosterAction::Revoke {
            agency, cutoffs, ..
        } = &mut action
        {
            if self.ledger.roster().member(agency).is_none() {
                return Err(LocalError::Invalid(format!("{agency} is not a member")));
            }
            *cutoffs = self
                .ledger
                .heads()
                .into_iter()
                .filter(|(d, _)| d.owner == *agency)
                .collect();
        }
        let hlc = self.clock.tick(ms(now));
        let mut roster = self.ledger.roster().clone();
        let event = roster.act(&self.key, hlc, action);
        Ok(self.add_roster_events(now, vec![event]))
    }

    /// Replaces this agency's signing key with `new_key`: a roster event
    /// signed by the current key, naming the new one (which proves itself by
    /// signing the rotation) and this agency's change count per document, so
    /// that every earlier change stays verifiable with the old key and every
    /// later one needs the new key. The caller must have stored `new_key`
    /// durably first, and must persist the outputs before using it anywhere
    /// else (e.g. as its network identity).
    pub fn rotate_key(
        &mut self,
        now: Timestamp,
        new_key: AgencyKey,
    ) -> Result<Vec<Output>, LocalError> {
        let roster = self.ledger.roster();
        if !roster.is_active(&self.me) {
            return Err(LocalError::NotAllowed(
                "only an active member rotates its key".into(),
            ));
        }
        let new_key = new_key.acting_for(self.me);
        let public = new_key.public();
        let proof = new_key.sign(
            "rotate",
            &crate::membership::rotation_message(roster.network_id(), &self.me, &public),
        );
        let cutoffs = self
            .ledger
            .heads()
            .into_iter()
            .filter(|(d, _)| d.owner == self.me)
            .collect();
        let hlc = self.clock.tick(ms(now));
        let mut roster = roster.clone();
        let event = roster.act(
            &self.key,
            hlc,
            RosterAction::RotateKey {
                new_key: public,
                cutoffs,
                proof,
            },
        );
        if roster.current_key(&self.me) != public {
            return Err(LocalError::Invalid(
                "the rotation was not accepted (is this key already in use?)".into(),
            ));
        }
        let out = self.add_roster_events(now, vec![event]);
        self.key = new_key;
        Ok(out)
    }

    /// A stored change that could not be read back since the last call
    /// (while serving a peer, writing, or rebuilding the index after a
    /// revocation): the store is failing and this replica may be
    /// incomplete. The node must stop writing until it is restarted on a
    /// healthy store; nothing was sent past the unreadable change.
    pub fn take_fault(&mut self) -> Option<crate::ledger::ArchiveError> {
        self.fault.take().or_else(|| self.ledger.take_fault())
    }

    /// The key this engine signs with.
    pub fn key(&self) -> &AgencyKey {
        &self.key
    }

    fn send_changes(&self, to: AgencyId, changes: Vec<SignedChange>, out: &mut Vec<Output>) {
        let mut batch = Vec::new();
        let mut bytes = 0;
        for c in changes {
            bytes += c.change.len() + 200;
            batch.push(c);
            if batch.len() >= self.cfg.max_batch || bytes >= self.cfg.max_batch_bytes {
                out.push(Output::Send {
                    to,
                    msg: Message::Changes {
                        changes: std::mem::take(&mut batch),
                    },
                    id: 0,
                });
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            out.push(Output::Send {
                to,
                msg: Message::Changes { changes: batch },
                id: 0,
            });
        }
    }

    /// Persists, forwards and reacts to what an ingest accepted.
    fn after_ingest(
        &mut self,
        now: Timestamp,
        from: Option<AgencyId>,
        report: IngestReport,
        out: &mut Vec<Output>,
    ) {
        for r in &report.refused {
            if let Some(p) = from.and_then(|f| self.peers.get_mut(&f))
                && !matches!(
                    r.reason,
                    RefuseReason::QueueFull | RefuseReason::Membership(_)
                )
            {
                p.refused += 1;
            }
            out.push(Output::Notify(Event::Refused {
                peer: from,
                refusal: r.clone(),
            }));
        }
        if let Some(f) = from {
            self.check_peer(f, out);
        }
        if report.accepted.is_empty() {
            return;
        }
        out.push(Output::Persist(report.accepted.clone()));
        let seqs: Vec<(DocId, u64)> = report
            .accepted
            .iter()
            .map(|c| {
                (
                    c.doc.clone(),
                    self.ledger.doc(&c.doc).map_or(0, |l| l.len()),
                )
            })
            .collect();
        let peers: Vec<AgencyId> = self
            .peers
            .keys()
            .copied()
            .filter(|p| Some(*p) != from)
            .collect();
        for peer in peers {
            let st = self.peers.get_mut(&peer).expect("listed above");
            let mut send = Vec::new();
            for (c, (doc, top)) in report.accepted.iter().zip(&seqs) {
                if st.known.get(doc).copied().unwrap_or(0) < *top {
                    send.push(c.clone());
                }
            }
            for (doc, top) in &seqs {
                let k = st.known.entry(doc.clone()).or_default();
                *k = (*k).max(*top);
            }
            self.send_changes(peer, send, out);
        }
        self.observe_clocks(now, &report);
        if from.is_some() {
            self.defer(report.touched.clone(), &report.deltas);
        } else {
            // A local action answers with its booking's status at once.
            self.refresh(report.touched.clone(), &report.deltas);
        }
        out.push(Output::Notify(Event::Calendar {
            resources: report.touched.iter().cloned().collect(),
        }));
        let mine: BTreeSet<ResourceId> = report
            .touched
            .into_iter()
            .filter(|r| r.owner == self.me)
            .collect();
        self.run_policy(now, mine, out);
    }

    fn observe_clocks(&mut self, now: Timestamp, report: &IngestReport) {
        if let Some(h) = report.max_hlc {
            self.clock.observe(h, ms(now), self.cfg.max_skew_ms);
        }
    }

    fn owned_resources(&self) -> BTreeSet<ResourceId> {
        self.calendars
            .keys()
            .filter(|r| r.owner == self.me)
            .cloned()
            .collect()
    }

    /// Runs the owner policy on our resources and writes its decisions.
    fn run_policy(
        &mut self,
        now: Timestamp,
        resources: BTreeSet<ResourceId>,
        out: &mut Vec<Output>,
    ) {
        let mut records = Vec::new();
        for rid in &resources {
            let (Some(res), Some(cal)) = (
                self.ledger.index().resources.get(rid),
                self.calendars.get(rid),
            ) else {
                continue;
            };
            let drafts = auto_decisions(self.ledger.index(), res, cal, now);
            for (seq, d) in (cal.next_decision..).zip(drafts) {
                records.push(self.decision_record(now, rid, seq, d));
            }
        }
        if records.is_empty() {
            return;
        }
        let doc = DocId {
            kind: DocKind::Decisions,
            owner: self.me,
            shard: shard_of(now),
        };
        if let Ok(report) = self.write(now, doc, records) {
            self.after_ingest(now, None, report, out);
        }
    }

    fn decision_record(&mut self, now: Timestamp, rid: &ResourceId, seq: u64, d: Draft) -> Record {
        Record::Decision(Decision {
            resource: rid.clone(),
            seq,
            booking: d.booking,
            terms: d.terms,
            verdict: d.verdict,
            hlc: self.clock.tick(ms(now)),
        })
    }

    /// Writes records to one of our documents as one signed change and
    /// ingests it like any other change.
    fn write(
        &mut self,
        now: Timestamp,
        doc: DocId,
        records: Vec<Record>,
    ) -> Result<IngestReport, LocalError> {
        if !self.writers.contains_key(&doc) {
            let history = match self.ledger.doc(&doc) {
                Some(d) => d.changes().map_err(|e| {
                    let msg = e.to_string();
                    self.fault = Some(e);
                    LocalError::Storage(msg)
                })?,
                None => Vec::new(),
            };
            let w = DocWriter::new(&self.key, doc.clone(), &history)
                .map_err(|e| LocalError::Invalid(e.to_string()))?;
            self.writers.insert(doc.clone(), w);
        }
        let writer = self.writers.get_mut(&doc).expect("inserted above");
        let signed = writer
            .write(&self.key, &records, now.as_second())
            .map_err(|e| LocalError::Invalid(e.to_string()))?;
        let report = self.ledger.ingest_own(signed);
        if report.accepted.is_empty() {
            // Our own change was refused (e.g. we were revoked): forget the
            // writer so it is rebuilt from the verified history next time.
            self.writers.remove(&doc);
            let why = report
                .refused
                .first()
                .map_or("refused".to_string(), |r| r.reason.to_string());
            return Err(LocalError::NotAllowed(why));
        }
        Ok(report)
    }

    /// Performs a local action. On success the outputs start with the
    /// [`Output::Persist`] that must complete before the outcome is
    /// acknowledged to the user.
    pub fn local(
        &mut self,
        now: Timestamp,
        op: LocalOp,
    ) -> Result<(LocalOutcome, Vec<Output>), LocalError> {
        let mut out = Vec::new();
        let outcome = self.local_into(now, op, &mut out)?;
        Ok((outcome, self.route(out)))
    }

    /// One local action written as its own change; outputs go to `out`.
    fn local_into(
        &mut self,
        now: Timestamp,
        op: LocalOp,
        out: &mut Vec<Output>,
    ) -> Result<LocalOutcome, LocalError> {
        let (doc, records, booking) = self.prepare(now, op)?;
        let report = self.write(now, doc, records)?;
        self.after_ingest(now, None, report, out);
        self.outcome(booking)
    }

    /// Performs several local actions in order, writing each run of
    /// consecutive booking requests as one signed change per document (a
    /// burst of requests costs one signature, one Automerge commit and one
    /// policy run instead of one each). Returns one result per action; the
    /// outputs start with the [`Output::Persist`] that must complete before
    /// any result is acknowledged. A request refused on its own merits
    /// (unknown resource, rules) fails alone.
    pub fn local_batch(
        &mut self,
        now: Timestamp,
        ops: Vec<LocalOp>,
    ) -> (Vec<Result<LocalOutcome, LocalError>>, Vec<Output>) {
        let mut out = Vec::new();
        let mut results: Vec<Option<Result<LocalOutcome, LocalError>>> = vec![None; ops.len()];
        // Prepared requests waiting to be written: (position, document, records, booking).
        let mut run: Vec<(usize, DocId, Vec<Record>, Option<BookingId>)> = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            if matches!(op, LocalOp::Book { .. }) {
                match self.prepare(now, op) {
                    Ok((doc, records, booking)) => run.push((i, doc, records, booking)),
                    Err(e) => results[i] = Some(Err(e)),
                }
                continue;
            }
            // Anything else sees the requests before it.
            self.write_run(now, std::mem::take(&mut run), &mut results, &mut out);
            results[i] = Some(self.local_into(now, op, &mut out));
        }
        self.write_run(now, run, &mut results, &mut out);
        let results = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(LocalError::Invalid("not performed".into()))))
            .collect();
        let out = self.route(out);
        (results, out)
    }

    /// Writes prepared requests, one change per document, then reacts once.
    /// If a document's change cannot be written, its requests are retried
    /// one by one so only the faulty one fails.
    fn write_run(
        &mut self,
        now: Timestamp,
        run: Vec<(usize, DocId, Vec<Record>, Option<BookingId>)>,
        results: &mut [Option<Result<LocalOutcome, LocalError>>],
        out: &mut Vec<Output>,
    ) {
        if run.is_empty() {
            return;
        }
        let mut by_doc: BTreeMap<DocId, Vec<Pending>> = BTreeMap::new();
        for (i, doc, records, booking) in run {
            by_doc.entry(doc).or_default().push((i, records, booking));
        }
        let mut merged = IngestReport::default();
        let mut done: Vec<(usize, Option<BookingId>)> = Vec::new();
        // Split each document's requests so no change can outgrow what
        // peers accept: a bound on the encoded size of its records.
        let chunks = by_doc.into_iter().flat_map(|(doc, items)| {
            let mut out: Vec<(DocId, Vec<_>)> = Vec::new();
            let mut size = usize::MAX;
            for item in items {
                let weight: usize = item.1.iter().map(record_weight).sum();
                if size.saturating_add(weight) > MAX_BATCH_CHANGE_BYTES {
                    out.push((doc.clone(), Vec::new()));
                    size = 0;
                }
                size += weight;
                out.last_mut().expect("pushed above").1.push(item);
            }
            out
        });
        for (doc, items) in chunks {
            let all: Vec<Record> = items.iter().flat_map(|(_, r, _)| r.clone()).collect();
            match self.write(now, doc.clone(), all) {
                Ok(report) => {
                    merged.merge(report);
                    done.extend(items.into_iter().map(|(i, _, b)| (i, b)));
                }
                Err(_) => {
                    for (i, records, booking) in items {
                        match self.write(now, doc.clone(), records) {
                            Ok(report) => {
                                merged.merge(report);
                                done.push((i, booking));
                            }
                            Err(e) => results[i] = Some(Err(e)),
                        }
                    }
                }
            }
        }
        self.after_ingest(now, None, merged, out);
        for (i, booking) in done {
            results[i] = Some(self.outcome(booking));
        }
    }

    /// Where a booking stands after a local action (or `Catalog`).
    fn outcome(&self, booking: Option<BookingId>) -> Result<LocalOutcome, LocalError> {
        match booking {
            Some(id) => Ok(LocalOutcome::Booking(Box::new(
                self.booking(&id)
                    .ok_or_else(|| LocalError::UnknownBooking(id.to_string()))?,
            ))),
            None => Ok(LocalOutcome::Catalog),
        }
    }

    /// Checks a local action and turns it into the records to write.
    #[allow(clippy::type_complexity)]
    fn prepare(
        &mut self,
        now: Timestamp,
        op: LocalOp,
    ) -> Result<(DocId, Vec<Record>, Option<BookingId>), LocalError> {
        let me = self.me;
        Ok(match op {
            LocalOp::SetProfile(p) => {
                if p.id != me {
                    return Err(LocalError::NotAllowed("profile of another agency".into()));
                }
                (DocId::catalog(me), vec![Record::Profile(p)], None)
            }
            LocalOp::PutResource(r) => {
                if r.id.owner != me {
                    return Err(LocalError::NotAllowed(
                        "only the owner edits a resource".into(),
                    ));
                }
                if r.capacity.size() == 0 {
                    return Err(LocalError::Invalid("capacity must be at least 1".into()));
                }
                if jiff::tz::TimeZone::get(&r.rules.time_zone).is_err() {
                    return Err(LocalError::Invalid(format!(
                        "unknown time zone {}",
                        r.rules.time_zone
                    )));
                }
                (DocId::catalog(me), vec![Record::Resource(r)], None)
            }
            LocalOp::Book {
                resource,
                start,
                end,
                quantity,
                contact,
                purpose,
            } => {
                let res = self
                    .ledger
                    .index()
                    .resources
                    .get(&resource)
                    .ok_or_else(|| LocalError::UnknownResource(resource.to_string()))?;
                res.check(&me, start, end, quantity, now)
                    .map_err(LocalError::Rule)?;
                if contact.len() > crate::record::MAX_TEXT
                    || purpose.len() > crate::record::MAX_TEXT
                {
                    return Err(LocalError::Invalid("contact or purpose too long".into()));
                }
                let hlc = self.clock.tick(ms(now));
                let local = self.fresh_local(hlc);
                let id =
                    BookingId::new(me, &local).map_err(|e| LocalError::Invalid(e.to_string()))?;
                let req = BookingRequest {
                    id: id.clone(),
                    resource,
                    contact: contact.into(),
                    purpose: purpose.into(),
                    start,
                    end,
                    quantity,
                    hlc,
                };
                let doc = DocId {
                    kind: DocKind::Requests,
                    owner: me,
                    shard: shard_of(now),
                };
                (doc, vec![Record::Request(req)], Some(id))
            }
            LocalOp::Cancel { booking, reason } => {
                if booking.requester != me {
                    return Err(LocalError::NotAllowed(
                        "only the requester cancels a request".into(),
                    ));
                }
                if !self.ledger.index().requests.contains_key(&booking) {
                    return Err(LocalError::UnknownBooking(booking.to_string()));
                }
                if self.ledger.index().cancels.contains_key(&booking) {
                    return Err(LocalError::Invalid("already cancelled".into()));
                }
                if reason.len() > crate::record::MAX_TEXT {
                    return Err(LocalError::Invalid("reason too long".into()));
                }
                let hlc = self.clock.tick(ms(now));
                let doc = DocId {
                    kind: DocKind::Requests,
                    owner: me,
                    shard: shard_of(now),
                };
                (
                    doc,
                    vec![Record::Cancel(Cancellation {
                        booking: booking.clone(),
                        reason,
                        hlc,
                    })],
                    Some(booking),
                )
            }
            LocalOp::Decide {
                booking,
                approve,
                reason,
            } => {
                let idx = self.ledger.index();
                let req = idx
                    .requests
                    .get(&booking)
                    .ok_or_else(|| LocalError::UnknownBooking(booking.to_string()))?;
                if req.resource.owner != me {
                    return Err(LocalError::NotAllowed(
                        "only the resource's owner decides".into(),
                    ));
                }
                let rid = req.resource.clone();
                let res = idx
                    .resources
                    .get(&rid)
                    .ok_or_else(|| LocalError::UnknownResource(rid.to_string()))?;
                let cal = self
                    .calendars
                    .get(&rid)
                    .ok_or_else(|| LocalError::UnknownResource(rid.to_string()))?;
                let draft = manual_decision(res, cal, idx, &booking, approve, reason, now)
                    .map_err(|e| LocalError::Decide(e.to_string()))?;
                let seq = cal.next_decision;
                let rec = self.decision_record(now, &rid, seq, draft);
                let doc = DocId {
                    kind: DocKind::Decisions,
                    owner: me,
                    shard: shard_of(now),
                };
                (doc, vec![rec], Some(booking))
            }
        })
    }

    fn fresh_local(&self, hlc: Hlc) -> String {
        let mut n = 0u32;
        loop {
            let local = if n == 0 {
                format!("b{}-{}", hlc.wall_ms, hlc.counter)
            } else {
                format!("b{}-{}-{n}", hlc.wall_ms, hlc.counter)
            };
            let id = BookingId {
                requester: self.me,
                local: local.as_str().into(),
            };
            if !self.ledger.index().requests.contains_key(&id) {
                return local;
            }
            n += 1;
        }
    }
}
