//! The ledger: one replica's verified documents, the queue of changes waiting
//! for earlier ones, the log of refused changes, and the index of records
//! the calendar is computed from.
//!
//! [`Ledger::ingest`] is the only way a change gets in, local or remote:
//! decode, check envelope and membership, batch-verify signatures, then apply
//! each document's changes strictly in sequence, decoding and authorising
//! every record. A refused change is never applied (and so never forwarded);
//! changes after it in the same document stay pending, visibly.
//!
//! This file holds the [`Ledger`]; `ingest` how changes get in, `report`
//! what an ingest reports (refusals), `log` one document's history and the
//! archive its bytes may live in, `index` the record index and its deltas.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use automerge::{Change, ChangeHash};
use serde::{Deserialize, Serialize};

use crate::agency::{AgencyProfile, VerifyError, verify, verify_many};
use crate::booking::{BookingRequest, Cancellation, Decision};
use crate::doc::{Write, actor_of, decode_writes};
use crate::hlc::Hlc;
use crate::ids::{AgencyId, BookingId, DocId, DocKind, ResourceId};
use crate::membership::{Roster, RosterError, SignedRosterEvent, WriteRefusal};
use crate::record::Record;
use crate::resource::Resource;
use crate::signed::{ENVELOPE_VERSION, SignedChange, signed_message};

mod checks;
mod index;
mod ingest;
mod log;
mod report;
mod seal;

use checks::{check_clocks, envelope_fault, refusal};
pub use index::{Delta, Index, Offers, Requests};
pub use log::{Archive, ArchiveError, DocLog};
pub use report::{IngestReport, Refusal, RefuseReason};
pub use seal::{SEAL_AFTER_DAYS, SealOutcome, SealedDoc};

/// Most changes held waiting for earlier ones, over all documents.
pub const MAX_PENDING: usize = 200_000;
/// Most changes held waiting for earlier ones from any one signer, so one
/// member cannot fill the queue for everyone.
pub const MAX_PENDING_PER_SIGNER: usize = 50_000;
/// How many refusals are remembered in detail (all are counted).
pub const MAX_REFUSALS_KEPT: usize = 1_000;

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
    refused_by: BTreeMap<&'static str, u64>,
    index: Index,
    /// Where accepted changes' bytes are read back from, and the agency
    /// whose documents keep theirs in memory anyway.
    archive: Option<(std::sync::Arc<dyn Archive>, AgencyId)>,
    /// A stored change could not be read back (see [`Ledger::take_fault`]).
    fault: Option<ArchiveError>,
    /// Documents left in the archive (see [`Ledger::seal`]).
    sealed: seal::Sealed,
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
            refused_by: BTreeMap::new(),
            index: Index::default(),
            archive: None,
            fault: None,
            sealed: seal::Sealed::default(),
        }
    }

    /// The same, keeping accepted changes' bytes in `archive` instead of
    /// memory, except for the documents of `own` (its writers read them
    /// back). Every accepted change must be stored in the archive before
    /// it is asked for: the node persists a change as soon as it is
    /// accepted. The ledger then holds per change only its signature and
    /// hash, which is what lets one node hold a province's year.
    pub fn with_archive(mut self, archive: std::sync::Arc<dyn Archive>, own: AgencyId) -> Self {
        self.archive = Some((archive, own));
        self
    }

    /// Replaces the archive accepted changes' bytes are read back from
    /// (`None`: none until the next one; the node opens its store again
    /// after loading). Every change it left there must be in the new one.
    pub fn set_archive(&mut self, archive: Option<(std::sync::Arc<dyn Archive>, AgencyId)>) {
        self.archive = archive;
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

    /// Changes refused since start, by [`RefuseReason::code`].
    pub fn refused_by_reason(&self) -> &BTreeMap<&'static str, u64> {
        &self.refused_by
    }

    fn refuse(&mut self, report: &mut IngestReport, r: Refusal) {
        self.refused_total += 1;
        *self.refused_by.entry(r.reason.code()).or_default() += 1;
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
            let Some(log::Entry { sig, hash, .. }) = log.entries.get(i) else {
                return seq - 1;
            };
            let key = member.key_for(doc, seq);
            if verify(&key, "change", &signed_message(doc, hash), sig).is_err() {
                return seq - 1;
            }
        }
        len
    }

    /// Adds roster events. When a revocation takes effect, the revoked
    /// agency's changes past its cutoffs are withdrawn (moved to the refused
    /// log) and the index is rebuilt, so every replica ends up with the same
    /// valid history whatever order things arrived in.
    pub fn add_roster_events(
        &mut self,
        events: Vec<SignedRosterEvent>,
    ) -> (bool, Vec<RosterError>, BTreeSet<ResourceId>) {
        let before = self.sealed_writers();
        let (changed, errors) = self.roster.add(events);
        if !changed {
            return (false, errors, BTreeSet::new());
        }
        let mut report = IngestReport::default();
        if self.sealed_writers_state(&before) {
            self.unseal_all(&mut report);
        }
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
                if keep == 0 {
                    // Nothing of it is valid: as if it never arrived, as on
                    // replicas that never received it (same heads).
                    self.docs.remove(&doc);
                }
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
        let (index, seen) = self.index_without(&BTreeSet::new())?;
        self.index = index;
        touched.extend(seen);
        Ok(())
    }

    /// The index of every accepted change but those of `skip`, and the
    /// resources it names.
    fn index_without(
        &self,
        skip: &BTreeSet<DocId>,
    ) -> Result<(Index, BTreeSet<ResourceId>), ArchiveError> {
        let mut index = Index {
            sealed_decisions: self.index.sealed_decisions.clone(),
            ..Index::default()
        };
        let mut seen = BTreeSet::new();
        for doc in self.docs.keys().filter(|d| !skip.contains(*d)) {
            for env in self.changes_of(doc)? {
                let writes = Change::from_bytes(env.change.clone())
                    .ok()
                    .and_then(|c| decode_writes(doc, &c).ok())
                    .unwrap_or_default();
                for w in writes {
                    index.apply(w.record, &mut seen, &mut BTreeMap::new());
                }
            }
        }
        Ok((index, seen))
    }

    /// A stored change that could not be read back since the last call:
    /// the node's store is failing, and what this replica shows may be
    /// incomplete until it is restarted on a healthy store.
    pub fn take_fault(&mut self) -> Option<ArchiveError> {
        self.fault.take()
    }

    /// `(doc, seq)` of every document, sealed or not, for sync summaries.
    pub fn heads(&self) -> BTreeMap<DocId, u64> {
        self.lens().map(|(d, n)| (d.clone(), n)).collect()
    }

    /// Every document, sealed or not, with its number of changes.
    pub fn lens(&self) -> impl Iterator<Item = (&DocId, u64)> {
        self.docs
            .iter()
            .map(|(d, l)| (d, l.len()))
            .chain(self.sealed.docs.iter().map(|(d, s)| (d, s.len)))
    }

    /// How many changes of `doc` are held, sealed or not.
    pub fn doc_len(&self, doc: &DocId) -> u64 {
        match self.docs.get(doc) {
            Some(l) => l.len(),
            None => self.sealed.docs.get(doc).map_or(0, |s| s.len),
        }
    }

    /// Every change of `doc`, oldest first.
    pub fn changes_of(&self, doc: &DocId) -> Result<Vec<SignedChange>, ArchiveError> {
        self.changes_after(doc, 0, usize::MAX)
    }

    /// Every change held, document by document (in id order), each
    /// document's oldest first.
    pub fn all_changes(&self) -> Result<Vec<SignedChange>, ArchiveError> {
        let mut out = Vec::new();
        for doc in self.docs.keys() {
            out.extend(self.changes_of(doc)?);
        }
        Ok(out)
    }

    /// The changes of `doc` after the first `after`, at most `limit`.
    pub fn changes_after(
        &self,
        doc: &DocId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<SignedChange>, ArchiveError> {
        let Some(log) = self.docs.get(doc) else {
            return self.sealed_changes_after(doc, after, limit);
        };
        let view = log::LogView {
            doc,
            log,
            archive: self.archive.as_ref().map(|(a, _)| &**a),
        };
        view.range(usize::try_from(after).unwrap_or(usize::MAX), limit)
    }
}

impl Ledger {
    /// [`Ledger::changes_after`] for a sealed document (none for a
    /// document not held), read back from the archive.
    fn sealed_changes_after(
        &self,
        doc: &DocId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<SignedChange>, ArchiveError> {
        let (Some(s), Some((archive, _))) = (self.sealed.docs.get(doc), &self.archive) else {
            return Ok(Vec::new());
        };
        let end = s.len.min(after.saturating_add(limit as u64));
        (after.saturating_add(1)..=end)
            .map(|seq| {
                archive.signed_change(doc, seq).map(|mut c| {
                    c.seq = seq;
                    c
                })
            })
            .collect()
    }
}
