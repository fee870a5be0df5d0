//! The ledger: one replica's verified documents, the queue of changes waiting
//! for earlier ones, the log of refused changes, and the index of records
//! the calendar is computed from.
//!
//! [`Ledger::ingest`] is the only way a change gets in, local or remote:
//! decode, check envelope and membership, batch-verify signatures, then apply
//! each document's changes strictly in sequence, decoding and authorising
//! every record. A refused change is never applied (and so never forwarded);
//! changes after it in the same document stay pending, visibly.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use automerge::{Change, ChangeHash};
use serde::{Deserialize, Serialize};

use crate::agency::{AgencyProfile, verify, verify_many};
use crate::booking::{BookingRequest, Cancellation, Decision};
use crate::doc::{Write, actor_of, decode_writes};
use crate::ids::{AgencyId, BookingId, DocId, DocKind, ResourceId};
use crate::membership::{Roster, RosterError, SignedRosterEvent, WriteRefusal};
use crate::record::Record;
use crate::resource::Resource;
use crate::signed::{ENVELOPE_VERSION, MAX_CHANGE_BYTES, SignedChange, signed_message};

/// Most changes held waiting for earlier ones, over all documents.
pub const MAX_PENDING: usize = 200_000;
/// Most changes held waiting for earlier ones from any one signer, so one
/// member cannot fill the queue for everyone.
pub const MAX_PENDING_PER_SIGNER: usize = 50_000;
/// How many refusals are remembered in detail (all are counted).
pub const MAX_REFUSALS_KEPT: usize = 1_000;

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "code", content = "detail")]
pub enum RefuseReason {
    /// Unknown envelope version.
    #[error("unsupported envelope version {0}")]
    Version(u8),
    /// Over the size limit.
    #[error("change too large")]
    TooLarge,
    /// Not a valid Automerge change.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The change's actor is not the signer.
    #[error("automerge actor does not match the signer")]
    ActorMismatch,
    /// The signer does not own the document.
    #[error("signer does not own the document")]
    NotOwner,
    /// Signature does not verify.
    #[error("bad signature")]
    Signature,
    /// Signer not a member, or revoked.
    #[error(transparent)]
    Membership(#[from] WriteRefusal),
    /// A different change already holds this place in the document's
    /// history (equivocation), or the dependencies are not the previous change.
    #[error("conflicting history (fork or equivocation)")]
    Fork,
    /// A record is not allowed (unauthorized write, bad content, deletion).
    #[error("refused record: {0}")]
    Record(String),
    /// The pending queue is full; the change may be sent again later.
    #[error("pending queue full")]
    QueueFull,
}

/// A refused change, kept for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Document it claimed to belong to.
    pub doc: DocId,
    /// Its sequence number, if it decoded.
    pub seq: u64,
    /// Claimed signer.
    pub signer: AgencyId,
    /// Change hash, if it decoded.
    pub hash: Option<String>,
    /// Why.
    pub reason: RefuseReason,
}

/// What one [`Ledger::ingest`] call did.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// Changes accepted, in application order (to persist and forward).
    pub accepted: Vec<SignedChange>,
    /// Changes refused.
    pub refused: Vec<Refusal>,
    /// Changes already held.
    pub duplicates: usize,
    /// Resources whose calendar may have changed.
    pub touched: BTreeSet<ResourceId>,
    /// What was added to each touched resource, so that a calendar that
    /// was current can be brought forward in place.
    pub deltas: BTreeMap<ResourceId, Delta>,
    /// The latest HLC among accepted records.
    pub max_hlc: Option<crate::hlc::Hlc>,
    /// `(document, seq)` of every change that parsed, accepted or not:
    /// what the sender holds.
    pub seen: Vec<(DocId, u64)>,
}

impl IngestReport {
    /// Adds another report's findings to this one (for several ingests
    /// that are reacted to once).
    pub fn merge(&mut self, other: IngestReport) {
        self.accepted.extend(other.accepted);
        self.refused.extend(other.refused);
        self.duplicates += other.duplicates;
        self.touched.extend(other.touched);
        for (rid, d) in other.deltas {
            self.deltas.entry(rid).or_default().extend(&d);
        }
        self.max_hlc = self.max_hlc.max(other.max_hlc);
        self.seen.extend(other.seen);
    }
}

/// Which signatures an ingest verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Every one (changes from peers).
    All,
    /// None (a change this replica just signed).
    None,
    /// Those of members who rotated their key (changes from the store).
    Rotated,
}

/// What one ingest added to a resource's calendar inputs, in the order
/// applied (see [`crate::calendar::advance`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New booking requests.
    pub requests: Vec<BookingId>,
    /// New decisions, `(seq, booking)`.
    pub decisions: Vec<(u64, BookingId)>,
    /// Something else changed (the catalogue entry, a cancellation): the
    /// calendar must be recomputed.
    pub other: bool,
}

impl Delta {
    /// Adds what `later` added after this.
    pub fn extend(&mut self, later: &Delta) {
        self.requests.extend_from_slice(&later.requests);
        self.decisions.extend_from_slice(&later.decisions);
        self.other |= later.other;
    }

    /// How many records it names.
    pub fn len(&self) -> usize {
        self.requests.len() + self.decisions.len()
    }

    /// Whether it names none and nothing else changed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && !self.other
    }
}

/// Where the bytes of accepted changes can be read back, for a ledger that
/// does not keep them in memory (see [`Ledger::with_archive`]). The node's
/// store implements it; the model only calls it, and does no I/O itself.
pub trait Archive: Send + Sync + std::fmt::Debug {
    /// The bytes of change `seq` (1-based) of `doc`. A change the ledger
    /// archived that the store cannot give back (a read error, or missing)
    /// is an error, never "no such change": a history with a hole read as
    /// shorter would build calendars with records missing.
    fn change_bytes(&self, doc: &DocId, seq: u64) -> Result<Vec<u8>, ArchiveError>;
}

/// A change the ledger left in its [`Archive`] could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reading stored change {seq} of {doc} failed: {detail}")]
pub struct ArchiveError {
    /// The document.
    pub doc: DocId,
    /// The change's sequence number (1-based).
    pub seq: u64,
    /// What the store said.
    pub detail: String,
}

/// One document's verified history, stored compactly: the document and
/// signer are the same for every change, so only bytes and signatures are
/// kept, and with an [`Archive`] only signatures (the bytes are read back
/// when a peer needs them).
#[derive(Debug, Clone)]
pub struct DocLog {
    doc: DocId,
    /// Change bytes (empty when left in the archive) and signature.
    entries: Vec<(Box<[u8]>, [u8; 64])>,
    hashes: Vec<ChangeHash>,
    archive: Option<std::sync::Arc<dyn Archive>>,
}

impl DocLog {
    fn new(doc: DocId, archive: Option<std::sync::Arc<dyn Archive>>) -> Self {
        Self {
            doc,
            entries: Vec::new(),
            hashes: Vec::new(),
            archive,
        }
    }

    /// Number of changes (the sequence number of the last one).
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Whether it has no changes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Hash of the last change.
    pub fn head(&self) -> Option<ChangeHash> {
        self.hashes.last().copied()
    }

    /// Change `i` (0-based), its bytes read back from the archive if they
    /// are not in memory.
    fn envelope(&self, i: usize) -> Result<SignedChange, ArchiveError> {
        let (bytes, sig) = &self.entries[i];
        let seq = i as u64 + 1;
        // An Automerge change is never empty: empty bytes were archived.
        let change = if bytes.is_empty() {
            match &self.archive {
                Some(a) => a.change_bytes(&self.doc, seq)?,
                None => {
                    return Err(ArchiveError {
                        doc: self.doc.clone(),
                        seq,
                        detail: "archived without an archive".into(),
                    });
                }
            }
        } else {
            bytes.to_vec()
        };
        Ok(SignedChange {
            v: ENVELOPE_VERSION,
            doc: self.doc.clone(),
            signer: self.doc.owner,
            sig: *sig,
            change,
            seq,
        })
    }

    /// The signed changes from index `from` (0-based) on, at most `limit`:
    /// a run of consecutive changes, or the error of the first one the
    /// archive could not give back.
    pub fn range(&self, from: usize, limit: usize) -> Result<Vec<SignedChange>, ArchiveError> {
        let start = from.min(self.entries.len());
        let end = start.saturating_add(limit).min(self.entries.len());
        (start..end).map(|i| self.envelope(i)).collect()
    }

    /// All signed changes, oldest first.
    pub fn changes(&self) -> Result<Vec<SignedChange>, ArchiveError> {
        self.range(0, usize::MAX)
    }

    /// Whether it holds exactly `env` at `env.seq` (for archived bytes, the
    /// same signature: a valid signature belongs to one change).
    fn holds(&self, env: &SignedChange) -> bool {
        usize::try_from(env.seq - 1)
            .ok()
            .and_then(|i| self.entries.get(i))
            .is_some_and(|(bytes, sig)| {
                *sig == env.sig && (bytes.is_empty() || bytes[..] == env.change[..])
            })
    }

    fn push(&mut self, env: &SignedChange, hash: ChangeHash, keep_bytes: bool) {
        let bytes = if keep_bytes || self.archive.is_none() {
            env.change.clone().into_boxed_slice()
        } else {
            Box::default()
        };
        self.entries.push((bytes, env.sig));
        self.hashes.push(hash);
    }

    /// Drops the changes after the first `keep`; returns how many.
    fn truncate(&mut self, keep: usize) -> usize {
        let cut = self.entries.len().saturating_sub(keep);
        self.entries.truncate(keep);
        self.hashes.truncate(keep);
        cut
    }
}

/// Booking requests by id, stored once (the id is not kept a second time
/// as a map key: at 100,000 bookings that copy alone costs ~9 MB), each in
/// its own allocation so the tree's half-empty nodes hold pointers, not
/// 216-byte requests (~10 MB less per 100,000).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Requests(BTreeSet<ById>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ById(Box<BookingRequest>);

impl PartialOrd for ById {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ById {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.id.cmp(&other.0.id)
    }
}

impl std::borrow::Borrow<BookingId> for ById {
    fn borrow(&self) -> &BookingId {
        &self.0.id
    }
}

impl Requests {
    /// The request with this id.
    pub fn get(&self, id: &BookingId) -> Option<&BookingRequest> {
        self.0.get(id).map(|r| &*r.0)
    }

    /// Whether a request with this id exists.
    pub fn contains_key(&self, id: &BookingId) -> bool {
        self.0.contains(id)
    }

    /// Adds (or replaces) a request.
    pub fn insert(&mut self, r: BookingRequest) {
        self.0.replace(ById(Box::new(r)));
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All requests in id order.
    pub fn values(&self) -> impl Iterator<Item = &BookingRequest> {
        self.0.iter().map(|r| &*r.0)
    }

    /// `(id, request)` pairs in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&BookingId, &BookingRequest)> {
        self.0.iter().map(|r| (&r.0.id, &*r.0))
    }
}

/// Records of all accepted changes, indexed for the calendar.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Index {
    /// Agency profiles from catalogues.
    pub profiles: BTreeMap<AgencyId, AgencyProfile>,
    /// Resources (latest version).
    pub resources: BTreeMap<ResourceId, Resource>,
    /// Booking requests.
    pub requests: Requests,
    /// Cancellations.
    pub cancels: BTreeMap<BookingId, Cancellation>,
    /// Decisions per resource, by `(seq, booking)`.
    pub decisions: BTreeMap<ResourceId, BTreeMap<(u64, BookingId), Decision>>,
    /// Request ids per resource.
    pub by_resource: BTreeMap<ResourceId, Vec<BookingId>>,
    /// Bookings decided before their request arrived, with the resources
    /// of those decisions: the request's or a cancellation's arrival
    /// changes how such a decision reads, on a resource they do not name.
    pub unrequested: BTreeMap<BookingId, Vec<ResourceId>>,
}

/// Records that `rid`'s calendar may have changed; returns what was added
/// to it, to fill in.
fn mark<'a>(
    touched: &mut BTreeSet<ResourceId>,
    deltas: &'a mut BTreeMap<ResourceId, Delta>,
    rid: &ResourceId,
) -> &'a mut Delta {
    touched.insert(rid.clone());
    deltas.entry(rid.clone()).or_default()
}

impl Index {
    fn contains(&self, record: &Record) -> bool {
        match record {
            Record::Request(r) => self.requests.contains_key(&r.id),
            Record::Cancel(c) => self.cancels.contains_key(&c.booking),
            Record::Decision(d) => self.decisions.get(&d.resource).is_some_and(|m| {
                m.range((d.seq, BookingId::min())..)
                    .next()
                    .is_some_and(|(k, _)| k.0 == d.seq)
            }),
            Record::Profile(_) | Record::Resource(_) => false,
        }
    }

    fn apply(
        &mut self,
        record: Record,
        touched: &mut BTreeSet<ResourceId>,
        deltas: &mut BTreeMap<ResourceId, Delta>,
    ) {
        match record {
            Record::Profile(p) => {
                self.profiles.insert(p.id, p);
            }
            Record::Resource(r) => {
                mark(touched, deltas, &r.id).other = true;
                self.resources.insert(r.id.clone(), *r);
            }
            Record::Request(r) => {
                for rid in self.unrequested.remove(&r.id).unwrap_or_default() {
                    mark(touched, deltas, &rid).other = true;
                }
                mark(touched, deltas, &r.resource)
                    .requests
                    .push(r.id.clone());
                let ids = self.by_resource.entry(r.resource.clone()).or_default();
                if ids.len() == ids.capacity() {
                    // Grow by a quarter, not double: these lists are many.
                    ids.reserve_exact((ids.len() / 4).max(4));
                }
                ids.push(r.id.clone());
                self.requests.insert(r);
            }
            Record::Cancel(c) => {
                let request = self.requests.get(&c.booking).map(|r| &r.resource);
                let decided = self.unrequested.get(&c.booking).into_iter().flatten();
                for rid in request.into_iter().chain(decided) {
                    mark(touched, deltas, rid).other = true;
                }
                self.cancels.insert(c.booking.clone(), c);
            }
            Record::Decision(d) => {
                if !self.requests.contains_key(&d.booking) {
                    let rids = self.unrequested.entry(d.booking.clone()).or_default();
                    if !rids.contains(&d.resource) {
                        rids.push(d.resource.clone());
                    }
                }
                mark(touched, deltas, &d.resource)
                    .decisions
                    .push((d.seq, d.booking.clone()));
                self.decisions
                    .entry(d.resource.clone())
                    .or_default()
                    .insert((d.seq, d.booking.clone()), d);
            }
        }
    }

    /// The next decision number for a resource (one past the highest seen).
    pub fn next_decision_seq(&self, resource: &ResourceId) -> u64 {
        self.decisions
            .get(resource)
            .and_then(|m| m.keys().next_back())
            .map_or(1, |k| k.0 + 1)
    }
}

/// A replica's verified state.
#[derive(Debug, Clone)]
pub struct Ledger {
    roster: Roster,
    docs: BTreeMap<DocId, DocLog>,
    pending: BTreeMap<(DocId, u64), (SignedChange, Change)>,
    /// Pending changes per signer (document owner).
    pending_by: BTreeMap<AgencyId, usize>,
    /// Bounds of the pending queue: in all, per signer.
    limits: (usize, usize),
    refusals: VecDeque<Refusal>,
    refused_total: u64,
    index: Index,
    /// Where accepted changes' bytes are read back from, and the agency
    /// whose documents keep theirs in memory anyway.
    archive: Option<(std::sync::Arc<dyn Archive>, AgencyId)>,
    /// A stored change could not be read back (see [`Ledger::take_fault`]).
    fault: Option<ArchiveError>,
}

impl Ledger {
    /// An empty replica of the network described by `roster`.
    pub fn new(roster: Roster) -> Self {
        Self {
            roster,
            docs: BTreeMap::new(),
            pending: BTreeMap::new(),
            pending_by: BTreeMap::new(),
            limits: (MAX_PENDING, MAX_PENDING_PER_SIGNER),
            refusals: VecDeque::new(),
            refused_total: 0,
            index: Index::default(),
            archive: None,
            fault: None,
        }
    }

    /// The same, keeping accepted changes' bytes in `archive` instead of
    /// memory, except for the documents of `own` (its writers read them
    /// back). Every accepted change must be stored in the archive before
    /// it is asked for: the node persists a change as soon as it is
    /// accepted. The ledger then holds per change only its signature and
    /// hash, which is what lets one node hold a province's year.
    pub fn with_archive(mut self, archive: std::sync::Arc<dyn Archive>, own: AgencyId) -> Self {
        for log in self.docs.values_mut() {
            log.archive = Some(archive.clone());
        }
        self.archive = Some((archive, own));
        self
    }

    /// The same with other bounds for the pending queue (in all, per
    /// signer) than [`MAX_PENDING`] and [`MAX_PENDING_PER_SIGNER`].
    pub fn with_pending_limits(mut self, total: usize, per_signer: usize) -> Self {
        self.limits = (total, per_signer);
        self
    }

    /// The roster.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The record index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Documents and their verified histories.
    pub fn docs(&self) -> &BTreeMap<DocId, DocLog> {
        &self.docs
    }

    /// One document's history.
    pub fn doc(&self, id: &DocId) -> Option<&DocLog> {
        self.docs.get(id)
    }

    /// Number of changes waiting for earlier ones.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Changes waiting, per document: `(doc, first missing seq, waiting)`.
    pub fn pending_summary(&self) -> Vec<(DocId, u64, usize)> {
        let mut out: BTreeMap<&DocId, usize> = BTreeMap::new();
        for (doc, _) in self.pending.keys() {
            *out.entry(doc).or_default() += 1;
        }
        out.into_iter()
            .map(|(d, n)| (d.clone(), self.docs.get(d).map_or(0, DocLog::len) + 1, n))
            .collect()
    }

    /// Recent refusals (newest last) and the total ever refused.
    pub fn refusals(&self) -> (&VecDeque<Refusal>, u64) {
        (&self.refusals, self.refused_total)
    }

    fn refuse(&mut self, report: &mut IngestReport, r: Refusal) {
        self.refused_total += 1;
        if self.refusals.len() == MAX_REFUSALS_KEPT {
            self.refusals.pop_front();
        }
        self.refusals.push_back(r.clone());
        report.refused.push(r);
    }

    /// How many of the first `len` changes of `doc` are signed by the keys
    /// the roster now requires. Only an agency that rotated its key can
    /// have changes whose required key changed (a change signed with an
    /// old key after the rotation's cutoff, accepted before the rotation
    /// was known here), so only those are verified again.
    fn signed_prefix(&self, doc: &DocId, len: u64) -> u64 {
        let Some(member) = self.roster.member(&doc.owner) else {
            return len;
        };
        let Some(first) = member
            .rotations
            .iter()
            .map(|r| r.cutoffs.get(doc).copied().unwrap_or(0))
            .min()
        else {
            return len;
        };
        let Some(log) = self.docs.get(doc) else {
            return len;
        };
        for seq in first + 1..=len {
            let i = (seq - 1) as usize;
            let (Some((_, sig)), Some(hash)) = (log.entries.get(i), log.hashes.get(i)) else {
                return seq - 1;
            };
            let key = member.key_for(doc, seq);
            if verify(&key, "change", &signed_message(doc, hash), sig).is_err() {
                return seq - 1;
            }
        }
        len
    }

    /// Verifies and applies a batch of signed changes, in any order.
    pub fn ingest(&mut self, batch: Vec<SignedChange>) -> IngestReport {
        self.ingest_inner(batch, Check::All)
    }

    /// Applies a change this replica's own agency has just signed: every
    /// check of [`Ledger::ingest`] except the signature verification.
    pub(crate) fn ingest_own(&mut self, change: SignedChange) -> IngestReport {
        self.ingest_inner(vec![change], Check::None)
    }

    /// Applies changes read back from this replica's own store: every
    /// check of [`Ledger::ingest`], but signatures only of members who
    /// have rotated their key. A stored change was verified before it was
    /// stored, against the key the roster named then; only a rotation can
    /// have made that key wrong since (a change signed with the old key
    /// past the rotation's cutoff, withdrawn when the rotation arrived, is
    /// refused again here). Revocations are membership checks, made anyway.
    /// Verifying everything again cost a fifth of a large history's load.
    pub fn ingest_stored(&mut self, batch: Vec<SignedChange>) -> IngestReport {
        self.ingest_inner(batch, Check::Rotated)
    }

    /// Whether the log of `env`'s document holds exactly `env` at
    /// `env.seq`.
    fn holds(&self, env: &SignedChange) -> bool {
        self.docs.get(&env.doc).is_some_and(|log| log.holds(env))
    }

    fn ingest_inner(&mut self, batch: Vec<SignedChange>, check: Check) -> IngestReport {
        let mut report = IngestReport::default();
        let mut checked: Vec<(SignedChange, Change)> = Vec::with_capacity(batch.len());
        let mut seen_in_batch: BTreeSet<(DocId, u64)> = BTreeSet::new();
        for mut env in batch {
            let refusal = |seq: u64, hash: Option<String>, reason| Refusal {
                doc: env.doc.clone(),
                seq,
                signer: env.signer,
                hash,
                reason,
            };
            if !env.doc.is_canonical() {
                let r = refusal(
                    0,
                    None,
                    RefuseReason::Malformed("non-canonical document id".into()),
                );
                self.refuse(&mut report, r);
                continue;
            }
            if env.v != ENVELOPE_VERSION {
                let r = refusal(0, None, RefuseReason::Version(env.v));
                self.refuse(&mut report, r);
                continue;
            }
            if env.change.len() > MAX_CHANGE_BYTES {
                let r = refusal(0, None, RefuseReason::TooLarge);
                self.refuse(&mut report, r);
                continue;
            }
            // A change we already hold, resent with its number: no need
            // to decode and hash it again (the hint is checked against the
            // exact bytes and signature held under that number).
            if env.seq > 0 && self.holds(&env) {
                report.seen.push((env.doc.clone(), env.seq));
                report.duplicates += 1;
                continue;
            }
            let change = match Change::from_bytes(env.change.clone()) {
                Ok(c) => c,
                Err(e) => {
                    let r = refusal(0, None, RefuseReason::Malformed(e.to_string()));
                    self.refuse(&mut report, r);
                    continue;
                }
            };
            let seq = change.seq();
            report.seen.push((env.doc.clone(), seq));
            let hash = change.hash();
            let known = self.docs.get(&env.doc).and_then(|d| {
                usize::try_from(seq)
                    .ok()
                    .and_then(|s| s.checked_sub(1))
                    .and_then(|i| d.hashes.get(i))
            });
            let pending = self
                .pending
                .get(&(env.doc.clone(), seq))
                .map(|(_, c)| c.hash());
            match known.copied().or(pending) {
                Some(h) if h == hash => {
                    report.duplicates += 1;
                    continue;
                }
                Some(_) => {
                    let r = refusal(seq, Some(hash.to_string()), RefuseReason::Fork);
                    self.refuse(&mut report, r);
                    continue;
                }
                None => {}
            }
            if !seen_in_batch.insert((env.doc.clone(), seq)) {
                report.duplicates += 1;
                continue;
            }
            let reason = if *change.actor_id() != actor_of(&env.signer) {
                Some(RefuseReason::ActorMismatch)
            } else if env.doc.owner != env.signer {
                Some(RefuseReason::NotOwner)
            } else {
                self.roster
                    .may_write(&env.signer, &env.doc, seq)
                    .err()
                    .map(Into::into)
            };
            if let Some(reason) = reason {
                let r = refusal(seq, Some(hash.to_string()), reason);
                self.refuse(&mut report, r);
                continue;
            }
            env.seq = seq;
            checked.push((env, change));
        }
        let verify = |env: &SignedChange| match check {
            Check::All => true,
            Check::None => false,
            Check::Rotated => self
                .roster
                .member(&env.signer)
                .is_some_and(|m| !m.rotations.is_empty()),
        };
        let picked: Vec<usize> = (0..checked.len())
            .filter(|&i| verify(&checked[i].0))
            .collect();
        let items: Vec<_> = picked
            .iter()
            .map(|&i| {
                let (env, c) = &checked[i];
                let key = self.roster.key_for(&env.signer, &env.doc, c.seq());
                (key, env.tagged_message(&c.hash()), env.sig)
            })
            .collect();
        let mut results = vec![Ok(()); checked.len()];
        for (i, r) in picked.into_iter().zip(verify_many(&items)) {
            results[i] = r;
        }
        let mut touched_docs = BTreeSet::new();
        for ((env, change), ok) in checked.into_iter().zip(results) {
            if ok.is_err() {
                let r = Refusal {
                    doc: env.doc.clone(),
                    seq: change.seq(),
                    signer: env.signer,
                    hash: Some(change.hash().to_string()),
                    reason: RefuseReason::Signature,
                };
                self.refuse(&mut report, r);
                continue;
            }
            let by_signer = self.pending_by.get(&env.signer).copied().unwrap_or(0);
            if self.pending.len() >= self.limits.0 || by_signer >= self.limits.1 {
                let r = Refusal {
                    doc: env.doc.clone(),
                    seq: change.seq(),
                    signer: env.signer,
                    hash: Some(change.hash().to_string()),
                    reason: RefuseReason::QueueFull,
                };
                self.refuse(&mut report, r);
                continue;
            }
            touched_docs.insert(env.doc.clone());
            let signer = env.signer;
            if self
                .pending
                .insert((env.doc.clone(), change.seq()), (env, change))
                .is_none()
            {
                *self.pending_by.entry(signer).or_default() += 1;
            }
        }
        for doc in touched_docs {
            self.drain(&doc, &mut report);
        }
        report
    }

    /// Applies the pending changes of `doc` that continue its history.
    fn drain(&mut self, doc: &DocId, report: &mut IngestReport) {
        loop {
            let next = self.docs.get(doc).map_or(0, DocLog::len) + 1;
            let Some((env, change)) = self.pending.remove(&(doc.clone(), next)) else {
                return;
            };
            if let Some(n) = self.pending_by.get_mut(&env.signer) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.pending_by.remove(&env.signer);
                }
            }
            let prev = self.docs.get(doc).and_then(DocLog::head);
            let deps_ok = match prev {
                None => change.deps().is_empty(),
                Some(h) => change.deps() == [h],
            };
            let outcome = if deps_ok {
                decode_writes(doc, &change)
                    .map_err(|e| RefuseReason::Record(e.to_string()))
                    .and_then(|w| self.check_append_only(doc, w))
            } else {
                Err(RefuseReason::Fork)
            };
            match outcome {
                Ok(writes) => {
                    for w in writes {
                        report.max_hlc = report.max_hlc.max(w.record.hlc());
                        self.index
                            .apply(w.record, &mut report.touched, &mut report.deltas);
                    }
                    let archive = self.archive.as_ref();
                    let keep_bytes = archive.is_none_or(|(_, own)| doc.owner == *own);
                    let log = self.docs.entry(doc.clone()).or_insert_with(|| {
                        DocLog::new(doc.clone(), archive.map(|(a, _)| a.clone()))
                    });
                    log.push(&env, change.hash(), keep_bytes);
                    report.accepted.push(env);
                }
                Err(reason) => {
                    let r = Refusal {
                        doc: doc.clone(),
                        seq: next,
                        signer: env.signer,
                        hash: Some(change.hash().to_string()),
                        reason,
                    };
                    self.refuse(report, r);
                    return;
                }
            }
        }
    }

    fn check_append_only(
        &self,
        doc: &DocId,
        writes: Vec<Write>,
    ) -> Result<Vec<Write>, RefuseReason> {
        if doc.kind != DocKind::Catalog {
            for w in &writes {
                if self.index.contains(&w.record) {
                    return Err(RefuseReason::Record(format!(
                        "{} already exists (append-only)",
                        w.key
                    )));
                }
            }
        }
        Ok(writes)
    }

    /// Adds roster events. When a revocation takes effect, the revoked
    /// agency's changes past its cutoffs are withdrawn (moved to the refused
    /// log) and the index is rebuilt, so every replica ends up with the same
    /// valid history whatever order things arrived in.
    pub fn add_roster_events(
        &mut self,
        events: Vec<SignedRosterEvent>,
    ) -> (bool, Vec<RosterError>, BTreeSet<ResourceId>) {
        let (changed, errors) = self.roster.add(events);
        if !changed {
            return (false, errors, BTreeSet::new());
        }
        let mut report = IngestReport::default();
        let mut withdrawn = false;
        let docs: Vec<DocId> = self.docs.keys().cloned().collect();
        for doc in docs {
            let log = &self.docs[&doc];
            let mut keep = log.len();
            while keep > 0 && self.roster.may_write(&doc.owner, &doc, keep).is_err() {
                keep -= 1;
            }
            keep = keep.min(self.signed_prefix(&doc, keep));
            if keep < log.len() {
                withdrawn = true;
                let log = self.docs.get_mut(&doc).expect("doc exists");
                let cut = log.truncate(keep as usize);
                for i in 0..cut {
                    let r = Refusal {
                        doc: doc.clone(),
                        seq: keep + 1 + i as u64,
                        signer: doc.owner,
                        hash: None,
                        reason: RefuseReason::Membership(WriteRefusal::Revoked),
                    };
                    self.refuse(&mut report, r);
                }
            }
        }
        let roster = &self.roster;
        self.pending
            .retain(|(doc, seq), _| roster.may_write(&doc.owner, doc, *seq).is_ok());
        self.pending_by.clear();
        for (doc, _) in self.pending.keys() {
            *self.pending_by.entry(doc.owner).or_default() += 1;
        }
        let mut touched = BTreeSet::new();
        if withdrawn && let Err(e) = self.rebuild_index(&mut touched) {
            self.fault = Some(e);
        }
        // Revocation voids undecided requests: every resource may change.
        touched.extend(self.index.resources.keys().cloned());
        (true, errors, touched)
    }

    /// Builds the index again from every accepted change. If a stored
    /// change cannot be read back, the index is left as it was and the
    /// error returned: an index silently missing records is worse than one
    /// still holding the withdrawn ones, and the node stops writing (see
    /// [`Ledger::take_fault`]).
    fn rebuild_index(&mut self, touched: &mut BTreeSet<ResourceId>) -> Result<(), ArchiveError> {
        let mut index = Index::default();
        let mut seen = BTreeSet::new();
        for (doc, log) in &self.docs {
            for env in log.changes()? {
                let writes = Change::from_bytes(env.change.clone())
                    .ok()
                    .and_then(|c| decode_writes(doc, &c).ok())
                    .unwrap_or_default();
                for w in writes {
                    index.apply(w.record, &mut seen, &mut BTreeMap::new());
                }
            }
        }
        self.index = index;
        touched.extend(seen);
        Ok(())
    }

    /// A stored change that could not be read back since the last call:
    /// the node's store is failing, and what this replica shows may be
    /// incomplete until it is restarted on a healthy store.
    pub fn take_fault(&mut self) -> Option<ArchiveError> {
        self.fault.take()
    }

    /// `(doc, seq)` of every document, for sync summaries.
    pub fn heads(&self) -> BTreeMap<DocId, u64> {
        self.docs
            .iter()
            .map(|(d, l)| (d.clone(), l.len()))
            .collect()
    }

    /// The changes of `doc` after the first `after`, at most `limit`.
    pub fn changes_after(
        &self,
        doc: &DocId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<SignedChange>, ArchiveError> {
        self.docs
            .get(doc)
            .map_or_else(|| Ok(Vec::new()), |l| l.range(after as usize, limit))
    }
}
