//! Sealed periods: documents whose records all concern time long past leave
//! memory, and come back when something touches them.
//!
//! [`Ledger::seal`] picks the requests and decisions documents of months
//! that ended before a cut, whose records are bookings that ended before
//! the cut (with their cancellations, check-ins and decisions), such that
//! nothing left in memory depends on them:
//! - nothing left overlaps a sealed booking on its resource, neither a
//!   booking nor a decision without a request (a trip's, a hold's): the
//!   capacity check of a confirmation reads overlapping ones;
//! - a decision is sealed with its booking, and with every other decision
//!   of the same number on its resource (the replay passes over sealed
//!   numbers: [`Index::sealed_decisions`]);
//! - every record naming a sealed booking is sealed with it;
//! - the resource has no quota, was never offered or transferred, has no
//!   inventory count, and the booking is no loan.
//!
//! A sealed document keeps in memory only its length, last hash and clock
//! and the bookings it holds; its changes stay in the [`Archive`], from
//! which they are served to peers. So what a replica shows from the cut on
//! is what it showed before sealing, on every replica whether it sealed or
//! not (the calendar of a time before the cut is read from disk, see
//! [`Ledger::unsealed_copy`]).
//!
//! Anything arriving, its signature verified, that could read differently
//! with the sealed records in memory brings all of them back first
//! ([`Ledger::unseal_all`]): a change to a sealed document, a record naming
//! a sealed booking, a request or decision for a time before the cut on a
//! resource with sealed records, a decision numbered within a resource's
//! sealed ones, and a revocation or key rotation of a sealed document's
//! writer. A seal is skipped while a change waiting for an earlier one
//! would touch what it seals (such a change is not checked again when it
//! is applied).

use automerge::Change;
use jiff::Timestamp;

use super::*;
use crate::ids::shard_of;

/// How long after a booking's end (and its documents' month) its records
/// may be sealed: two months, well past any decision, cancellation or
/// check-in a booking still gets.
pub const SEAL_AFTER_DAYS: i64 = 62;

/// A document left in the archive: what sync and ingest need of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedDoc {
    /// Its number of changes.
    pub len: u64,
    /// The hash of its last change.
    pub head: ChangeHash,
    /// The latest record clock in it.
    pub clock: Hlc,
    /// The bookings whose requests it holds.
    pub bookings: Vec<BookingId>,
    /// The decisions it holds: `(resource, number)`.
    pub decisions: Vec<(ResourceId, u64)>,
    /// The resources its requests are for.
    pub resources: Vec<ResourceId>,
}

/// What a replica sealed.
#[derive(Debug, Clone, Default)]
pub(super) struct Sealed {
    /// The latest cut sealed at.
    pub(super) cut: Option<Timestamp>,
    /// The sealed documents.
    pub(super) docs: BTreeMap<DocId, SealedDoc>,
    /// Every booking of a sealed document.
    pub(super) ids: BTreeSet<BookingId>,
    /// Every resource a sealed document names.
    pub(super) resources: BTreeSet<ResourceId>,
}

/// What [`Ledger::seal`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealOutcome {
    /// The documents sealed now.
    pub docs: Vec<DocId>,
    /// The resources whose calendars lost records (before the cut).
    pub touched: BTreeSet<ResourceId>,
}

/// A booking's span on its resource.
type Span = (Timestamp, Timestamp);

/// What a change is checked against for touching sealed records: their
/// bookings, their resources and cut, and their decision numbers (beyond
/// those already sealed). Borrowed: every change arriving is checked.
struct Probe<'a> {
    cut: Timestamp,
    ids: &'a BTreeSet<BookingId>,
    resources: &'a BTreeSet<ResourceId>,
    tops: &'a BTreeMap<ResourceId, u64>,
}

impl Ledger {
    /// The sealed documents.
    pub fn sealed(&self) -> &BTreeMap<DocId, SealedDoc> {
        &self.sealed.docs
    }

    /// The cut the replica sealed at, if it sealed anything.
    pub fn seal_cut(&self) -> Option<Timestamp> {
        self.sealed.cut.filter(|_| !self.sealed.docs.is_empty())
    }

    /// Takes sealed documents as sealed (a node that loaded its store's
    /// other documents). A change of a sealed document past its sealed
    /// ones, stored before the node could note that it brought them back,
    /// brings them back now.
    pub fn restore_sealed(&mut self, cut: Timestamp, docs: BTreeMap<DocId, SealedDoc>) {
        self.note_sealed(cut, docs);
        if self
            .pending
            .keys()
            .any(|(d, _)| self.sealed.docs.contains_key(d))
        {
            self.unseal_all(&mut IngestReport::default());
        }
    }

    fn note_sealed(&mut self, cut: Timestamp, docs: BTreeMap<DocId, SealedDoc>) {
        for (doc, s) in docs {
            self.sealed.ids.extend(s.bookings.iter().cloned());
            self.sealed.resources.extend(s.resources.iter().cloned());
            for (rid, seq) in &s.decisions {
                self.index.seal_decision(rid, *seq);
                self.sealed.resources.insert(rid.clone());
            }
            self.sealed.docs.insert(doc, s);
        }
        self.sealed.cut = Some(self.sealed.cut.map_or(cut, |c| c.max(cut)));
    }

    /// The records of `doc`, read back from memory or the archive.
    fn records_of(&self, doc: &DocId) -> Result<Vec<Record>, ArchiveError> {
        let mut out = Vec::new();
        for env in self.changes_of(doc)? {
            let writes = Change::from_bytes(env.change)
                .ok()
                .and_then(|c| decode_writes(doc, &c).ok())
                .unwrap_or_default();
            out.extend(writes.into_iter().map(|w| w.record));
        }
        Ok(out)
    }

    /// Seals what may be sealed at `cut` (see the module docs); nothing
    /// without an archive to serve it back from. A change that cannot be
    /// read back stops it, changing nothing. Changes waiting for earlier
    /// ones were checked against the sealed records when they arrived, not
    /// when they are applied: if one of them touches what would be sealed,
    /// nothing is.
    pub fn seal(&mut self, cut: Timestamp) -> Result<SealOutcome, ArchiveError> {
        if self.archive.is_none() {
            return Ok(SealOutcome::default());
        }
        let top = shard_of(cut);
        let mut recs: BTreeMap<DocId, Vec<Record>> = BTreeMap::new();
        for doc in self.docs.keys() {
            let kind_ok = matches!(doc.kind, DocKind::Requests | DocKind::Decisions);
            if !kind_ok || doc.shard >= top {
                continue;
            }
            let records = self.records_of(doc)?;
            let sealable_kinds = records.iter().all(|r| {
                matches!(
                    r,
                    Record::Request(_)
                        | Record::Cancel(_)
                        | Record::CheckIn(_)
                        | Record::Decision(_)
                )
            });
            if sealable_kinds {
                recs.insert(doc.clone(), records);
            }
        }
        let set = self.sealable(&recs, cut);
        if set.is_empty() || self.pending_would_touch(&set, &recs, cut) {
            return Ok(SealOutcome::default());
        }
        // The index without them first: if a change cannot be read back,
        // nothing has changed.
        let (index, touched) = self.index_without(&set)?;
        self.index = index;
        let mut out = SealOutcome {
            touched,
            ..SealOutcome::default()
        };
        for doc in &set {
            let Some(log) = self.docs.remove(doc) else {
                continue;
            };
            let mut s = SealedDoc {
                len: log.len(),
                head: log.head().unwrap_or(ChangeHash([0; 32])),
                clock: log.last_clock().unwrap_or_default(),
                bookings: Vec::new(),
                decisions: Vec::new(),
                resources: Vec::new(),
            };
            for rec in recs.get(doc).into_iter().flatten() {
                match rec {
                    Record::Request(r) => {
                        s.bookings.push(r.id.clone());
                        if !s.resources.contains(&r.resource) {
                            s.resources.push(r.resource.clone());
                        }
                        out.touched.insert(r.resource.clone());
                    }
                    Record::Decision(d) => {
                        s.decisions.push((d.resource.clone(), d.seq));
                        out.touched.insert(d.resource.clone());
                    }
                    _ => {}
                }
            }
            out.docs.push(doc.clone());
            self.note_sealed(cut, BTreeMap::from([(doc.clone(), s)]));
        }
        Ok(out)
    }

    /// Whether a change waiting for earlier ones would touch the documents
    /// of `set` once sealed (it was checked against the sealed records
    /// when it arrived, and is not again when it is applied).
    fn pending_would_touch(
        &self,
        set: &BTreeSet<DocId>,
        recs: &BTreeMap<DocId, Vec<Record>>,
        cut: Timestamp,
    ) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        let (mut ids, mut resources) = (BTreeSet::new(), BTreeSet::new());
        let mut tops: BTreeMap<ResourceId, u64> = BTreeMap::new();
        for rec in set.iter().filter_map(|d| recs.get(d)).flatten() {
            match rec {
                Record::Request(r) => {
                    ids.insert(r.id.clone());
                    resources.insert(r.resource.clone());
                }
                Record::Decision(d) => {
                    resources.insert(d.resource.clone());
                    let top = tops.entry(d.resource.clone()).or_default();
                    *top = (*top).max(d.seq);
                }
                _ => {}
            }
        }
        let probe = Probe {
            cut,
            ids: &ids,
            resources: &resources,
            tops: &tops,
        };
        self.pending
            .values()
            .any(|(env, change)| set.contains(&env.doc) || self.touches(&probe, &env.doc, change))
    }

    /// Which of the candidate documents `recs` may be sealed at `cut`:
    /// all of them, less those holding a record that fails a rule of the
    /// module docs, until none does.
    fn sealable(&self, recs: &BTreeMap<DocId, Vec<Record>>, cut: Timestamp) -> BTreeSet<DocId> {
        let idx = &self.index;
        let eligible = |r: &ResourceId| {
            idx.resources
                .get(r)
                .is_some_and(|res| res.rules.quotas.is_empty())
                && !idx.later_decisions.contains_key(r)
                && !idx.offers.contains_key(r)
                && !idx.copies.contains_key(r)
                && !idx.counts.contains_key(r)
                && !idx.creator_versions.contains_key(r)
        };
        // Where each candidate request is, and which candidates name it.
        let mut req_doc: BTreeMap<&BookingId, &DocId> = BTreeMap::new();
        let mut refs: BTreeMap<&BookingId, Vec<&DocId>> = BTreeMap::new();
        let mut dec_doc: BTreeMap<(&ResourceId, u64, &BookingId), &DocId> = BTreeMap::new();
        for (doc, records) in recs {
            for rec in records {
                match rec {
                    Record::Request(r) => {
                        req_doc.insert(&r.id, doc);
                    }
                    Record::Cancel(c) => refs.entry(&c.booking).or_default().push(doc),
                    Record::CheckIn(c) => refs.entry(&c.booking).or_default().push(doc),
                    Record::Decision(d) => {
                        refs.entry(&d.booking).or_default().push(doc);
                        dec_doc.insert((&d.resource, d.seq, &d.booking), doc);
                    }
                    _ => {}
                }
            }
        }
        // How many records of the whole index name each candidate booking:
        // all of them must be candidates too.
        let mut named: BTreeMap<&BookingId, usize> = BTreeMap::new();
        let resources: BTreeSet<&ResourceId> = recs
            .values()
            .flatten()
            .filter_map(|r| match r {
                Record::Request(r) => Some(&r.resource),
                Record::Decision(d) => Some(&d.resource),
                _ => None,
            })
            .collect();
        // Decisions on any resource (an owner may name another's booking,
        // which its replay then reads as not matching), by any author.
        let every_decision = idx
            .decisions
            .values()
            .flat_map(|m| m.keys().map(|(_, b)| b))
            .chain(
                idx.later_decisions
                    .values()
                    .flat_map(|m| m.keys().map(|(_, _, b)| b)),
            );
        for b in every_decision {
            if let Some((k, _)) = req_doc.get_key_value(b) {
                *named.entry(*k).or_default() += 1;
            }
        }
        for b in req_doc.keys() {
            let n = usize::from(idx.cancels.contains_key(*b))
                + usize::from(idx.checkins.contains_key(*b));
            *named.entry(*b).or_default() += n;
        }
        let mut set: BTreeSet<DocId> = recs.keys().cloned().collect();
        loop {
            let in_set = |b: &BookingId| req_doc.get(b).is_some_and(|d| set.contains(*d));
            // Per resource: the spans of what stays in memory (requests,
            // and decisions' terms: a trip's or a hold's have no request),
            // by start with the latest end so far; and the decision numbers
            // of which some entry stays.
            let mut kept: BTreeMap<&ResourceId, Vec<(Timestamp, Timestamp)>> = BTreeMap::new();
            let mut kept_seqs: BTreeSet<(&ResourceId, u64)> = BTreeSet::new();
            for rid in &resources {
                let mut spans: Vec<Span> = idx
                    .by_resource
                    .get(*rid)
                    .into_iter()
                    .flatten()
                    .filter(|b| !in_set(b))
                    .filter_map(|b| idx.requests.get(b))
                    .map(|r| (r.start, r.end))
                    .collect();
                for ((seq, b), d) in idx.decisions.get(*rid).into_iter().flatten() {
                    let in_doc = dec_doc
                        .get(&(*rid, *seq, b))
                        .is_some_and(|d| set.contains(*d));
                    if !in_doc {
                        kept_seqs.insert((*rid, *seq));
                        spans.push((d.terms.start, d.terms.end));
                    }
                }
                spans.sort();
                let mut latest = Timestamp::MIN;
                for s in &mut spans {
                    latest = latest.max(s.1);
                    s.1 = latest;
                }
                kept.insert(*rid, spans);
            }
            let overlaps_kept = |rid: &ResourceId, start: Timestamp, end: Timestamp| {
                let spans = kept.get(rid).map_or(&[][..], Vec::as_slice);
                let before = spans.partition_point(|s| s.0 < end);
                before > 0 && spans[before - 1].1 > start
            };
            let ok = |rec: &Record| match rec {
                Record::Request(r) => {
                    eligible(&r.resource)
                        && r.end < cut
                        && !idx.loans.contains_key(&r.id)
                        && refs.get(&r.id).map_or(0, Vec::len)
                            == named.get(&r.id).copied().unwrap_or(0)
                        && refs
                            .get(&r.id)
                            .is_none_or(|ds| ds.iter().all(|d| set.contains(*d)))
                        && !overlaps_kept(&r.resource, r.start, r.end)
                }
                Record::Cancel(c) => in_set(&c.booking),
                Record::CheckIn(c) => in_set(&c.booking),
                Record::Decision(d) => {
                    in_set(&d.booking)
                        && eligible(&d.resource)
                        && d.author == d.resource.owner
                        && !kept_seqs.contains(&(&d.resource, d.seq))
                }
                _ => false,
            };
            let bad: Vec<DocId> = set
                .iter()
                .filter(|d| !recs.get(*d).is_some_and(|rs| rs.iter().all(ok)))
                .cloned()
                .collect();
            if bad.is_empty() {
                return set;
            }
            for d in bad {
                set.remove(&d);
            }
        }
    }

    /// Whether `env` (decoded: `change`) could read differently with the
    /// sealed records in memory (see the module docs). Asked of changes
    /// whose signature was verified, so a forged one cannot bring them
    /// back.
    pub(super) fn touches_sealed(&self, env: &SignedChange, change: &Change) -> bool {
        if let Some(s) = self.sealed.docs.get(&env.doc) {
            return change.seq() > s.len;
        }
        if change.seq() <= self.doc_len(&env.doc) {
            // Held already (or a fork, refused): nothing new.
            return false;
        }
        let probe = Probe {
            cut: self.sealed.cut.unwrap_or(Timestamp::MIN),
            ids: &self.sealed.ids,
            resources: &self.sealed.resources,
            tops: &BTreeMap::new(),
        };
        self.touches(&probe, &env.doc, change)
    }

    /// Whether a change to `doc` names a booking of `probe`, asks or
    /// decides for a time before its cut on one of its resources, or
    /// numbers a decision within its sealed ones.
    fn touches(&self, probe: &Probe, doc: &DocId, change: &Change) -> bool {
        let Ok(writes) = decode_writes(doc, change) else {
            return false;
        };
        let ids = &probe.ids;
        let past =
            |rid: &ResourceId, start: Timestamp| start < probe.cut && probe.resources.contains(rid);
        let top = |rid: &ResourceId| {
            probe
                .tops
                .get(rid)
                .copied()
                .unwrap_or(0)
                .max(self.index.sealed_top(rid))
        };
        writes.iter().any(|w| match &w.record {
            Record::Request(r) => ids.contains(&r.id) || past(&r.resource, r.start),
            Record::Cancel(c) => ids.contains(&c.booking),
            Record::CheckIn(c) => ids.contains(&c.booking),
            Record::Decision(d) => {
                ids.contains(&d.booking)
                    || past(&d.resource, d.terms.start)
                    || d.seq <= top(&d.resource)
            }
            Record::Loan(l) => ids.contains(&l.booking),
            _ => false,
        })
    }

    /// The writers of sealed documents, and whether each may still write
    /// and how many key rotations it made.
    pub(super) fn sealed_writers(&self) -> BTreeMap<AgencyId, (bool, usize)> {
        let mut out = BTreeMap::new();
        for (doc, s) in &self.sealed.docs {
            let ok = self.roster.may_write(&doc.owner, doc, s.len).is_ok();
            let rotations = self
                .roster
                .member(&doc.owner)
                .map_or(usize::MAX, |m| m.rotations.len());
            let e = out.entry(doc.owner).or_insert((true, rotations));
            e.0 &= ok;
        }
        out
    }

    /// Whether a roster change may have withdrawn changes of a sealed
    /// document: one of their writers was revoked, or rotated its key,
    /// since `before` ([`Ledger::sealed_writers`]).
    pub(super) fn sealed_writers_state(&self, before: &BTreeMap<AgencyId, (bool, usize)>) -> bool {
        !before.is_empty() && self.sealed_writers() != *before
    }

    /// Brings every sealed document back into memory from the archive,
    /// marking the resources it names for recomputation in `report`
    /// (its changes are not new: they are not reported as accepted). If
    /// one cannot be read back, they all stay sealed and the fault is
    /// kept (see [`Ledger::take_fault`]).
    pub fn unseal_all(&mut self, report: &mut IngestReport) {
        if self.sealed.docs.is_empty() {
            return;
        }
        let Some((archive, _)) = self.archive.clone() else {
            if let Some((doc, s)) = self.sealed.docs.iter().next() {
                self.fault = Some(ArchiveError {
                    doc: doc.clone(),
                    seq: s.len,
                    detail: "sealed, and no store to read it back from".into(),
                });
            }
            return;
        };
        let mut batch = Vec::new();
        for (doc, s) in &self.sealed.docs {
            for seq in 1..=s.len {
                match archive.signed_change(doc, seq) {
                    Ok(c) => batch.push(c),
                    Err(e) => {
                        self.fault = Some(e);
                        return;
                    }
                }
            }
        }
        self.sealed = Sealed::default();
        self.index.sealed_decisions.clear();
        let r = self.ingest_inner(batch, Check::Rotated);
        for rid in r.touched {
            report.deltas.entry(rid.clone()).or_default().other = true;
            report.touched.insert(rid);
        }
        report.max_hlc = report.max_hlc.max(r.max_hlc);
    }

    /// A copy of this replica with every sealed document back in memory,
    /// to read calendars and reports of times before the cut from.
    pub fn unsealed_copy(&self) -> Result<Ledger, ArchiveError> {
        self.clone().into_unsealed()
    }

    /// This replica with every sealed document back in memory (what
    /// [`Ledger::unsealed_copy`] gives, for a copy already taken, to read
    /// away from the replica's owner).
    pub fn into_unsealed(mut self) -> Result<Ledger, ArchiveError> {
        self.unseal_all(&mut IngestReport::default());
        match self.fault.take() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}
