//! Local writes: preparing a user's action as records, writing them as
//! signed changes of this agency's documents (a burst of requests as one
//! change per document), and the owner's automatic decisions.

use super::*;

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

/// What a local action writes: the document, its records, and the
/// booking concerned.
pub(super) type Prepared = (DocId, Vec<Record>, Option<BookingId>);

impl Engine {
    pub(super) fn owned_resources(&self) -> BTreeSet<ResourceId> {
        self.calendars
            .iter()
            .filter(|(r, c)| c.owner.unwrap_or(r.owner) == self.me)
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Runs the owner policy on our resources and writes its decisions.
    pub(super) fn run_policy(
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
            if cal.owner.is_some_and(|o| o != self.me) || cal.waiting_for_transfer.is_some() {
                continue;
            }
            let drafts = auto_decisions(self.ledger.index(), &self.calendars, res, cal, now);
            for (seq, d) in (cal.next_decision..).zip(drafts) {
                records.push(self.decision_record(now, rid, seq, d));
            }
        }
        if records.is_empty() {
            return;
        }
        let doc = DocId::decisions(self.me, shard_of(now));
        if let Ok(report) = self.write(now, doc, records) {
            self.after_ingest(now, None, report, out);
        }
    }

    pub(super) fn decision_record(
        &mut self,
        now: Timestamp,
        rid: &ResourceId,
        seq: u64,
        d: Draft,
    ) -> Record {
        Record::Decision(Decision {
            resource: rid.clone(),
            author: self.me,
            seq,
            booking: d.booking,
            terms: d.terms,
            verdict: d.verdict,
            hlc: self.clock.tick(ms(now)),
            by: None,
        })
    }

    /// Writes records to one of our documents as one signed change and
    /// ingests it like any other change.
    pub(super) fn write(
        &mut self,
        now: Timestamp,
        doc: DocId,
        records: Vec<Record>,
    ) -> Result<IngestReport, LocalError> {
        if let Some(why) = &self.held {
            return Err(LocalError::Storage(why.clone()));
        }
        if !self.writers.contains_key(&doc) {
            let history = self.ledger.changes_of(&doc).map_err(|e| {
                let msg = e.to_string();
                self.fault = Some(e);
                LocalError::Storage(msg)
            })?;
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
    pub(super) fn local_into(
        &mut self,
        now: Timestamp,
        op: LocalOp,
        out: &mut Vec<Output>,
    ) -> Result<LocalOutcome, LocalError> {
        // Trips and warehouse steps do not name the person (yet).
        let op = match op {
            LocalOp::As { by, action }
                if matches!(
                    *action,
                    LocalOp::RequestTrip(_) | LocalOp::Trip { .. } | LocalOp::Asset(_)
                ) =>
            {
                crate::record::check_person(Some(&by))
                    .map_err(|e| LocalError::Invalid(e.to_string()))?;
                *action
            }
            op => op,
        };
        if matches!(op, LocalOp::RequestTrip(_) | LocalOp::Trip { .. }) {
            return self.local_trip(now, op, out);
        }
        if let LocalOp::Asset(op) = op {
            return self.local_asset(now, *op, out);
        }
        let (doc, records, booking) = self.prepare(now, op)?;
        let report = self.write(now, doc, records)?;
        self.after_ingest(now, None, report, out);
        // A cancelled trip answers as the trip it is.
        if let Some(trip) = booking.as_ref().and_then(|id| self.trip(id)) {
            return Ok(LocalOutcome::Trip(Box::new(trip)));
        }
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
            let request =
                |op: &LocalOp| matches!(op, LocalOp::Book { .. } | LocalOp::BookSeries { .. });
            // A person's requests too (their name goes into each record).
            let batched = match &op {
                LocalOp::As { action, .. } => request(action),
                op => request(op),
            };
            if batched {
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
    pub(super) fn write_run(
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
    pub(super) fn outcome(&self, booking: Option<BookingId>) -> Result<LocalOutcome, LocalError> {
        match booking {
            Some(id) => Ok(LocalOutcome::Booking(Box::new(
                self.booking(&id)
                    .ok_or_else(|| LocalError::UnknownBooking(id.to_string()))?,
            ))),
            None => Ok(LocalOutcome::Catalog),
        }
    }

    /// Checks a local action and turns it into the records to write: the
    /// document, its records, and the booking concerned.
    pub(super) fn prepare(&mut self, now: Timestamp, op: LocalOp) -> Result<Prepared, LocalError> {
        if let Some(why) = self.revoked() {
            return Err(LocalError::NotAllowed(why));
        }
        let me = self.me;
        match op {
            LocalOp::As { by, action } => {
                crate::record::check_person(Some(&by))
                    .map_err(|e| LocalError::Invalid(e.to_string()))?;
                let before = self.acting.replace(by.into());
                let prepared = self.prepare(now, *action);
                self.acting = before;
                prepared
            }
            LocalOp::SetProfile(p) => {
                if p.id != me {
                    return Err(LocalError::NotAllowed("profile of another agency".into()));
                }
                Ok((DocId::catalog(me), vec![Record::Profile(p)], None))
            }
            LocalOp::PutResource(r) => self.prepare_resource(r),
            LocalOp::Book {
                wait_list,
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
                let floor = self.ledger.index().latest_request.get(&resource).copied();
                let hlc = self.clock.tick_after(ms(now), floor);
                let local = self.fresh_local(hlc);
                let id =
                    BookingId::new(me, &local).map_err(|e| LocalError::Invalid(e.to_string()))?;
                let doc = DocId::requests(me, resource.owner, shard_of(now));
                let req = BookingRequest {
                    id: id.clone(),
                    resource,
                    contact: contact.into(),
                    purpose: purpose.into(),
                    start,
                    end,
                    quantity,
                    hlc,
                    series: None,
                    wait_list,
                    by: self.acting.clone(),
                };
                Ok((doc, vec![Record::Request(req)], Some(id)))
            }
            LocalOp::BookSeries {
                resource,
                start,
                end,
                quantity,
                contact,
                purpose,
                repeat,
            } => {
                let terms = crate::booking::Terms {
                    start,
                    end,
                    quantity,
                };
                self.prepare_series(now, resource, terms, contact, purpose, &repeat)
            }
            LocalOp::Cancel { booking, reason } => self.prepare_cancel(now, booking, reason),
            LocalOp::CheckIn { booking } => self.prepare_checkin(now, booking),
            LocalOp::Hold {
                resources,
                start,
                end,
                reason,
            } => self.prepare_hold(now, &resources, (start, end), reason),
            LocalOp::CancelSeries {
                booking,
                scope,
                reason,
            } => self.prepare_cancel_series(now, booking, scope, reason),
            LocalOp::Decide {
                booking,
                approve,
                reason,
            } => self.prepare_decision(now, booking, approve, reason),
            LocalOp::RequestTrip(_) | LocalOp::Trip { .. } | LocalOp::Asset(_) => Err(
                LocalError::Invalid("trips and assets are written on their own".into()),
            ),
        }
    }

    /// A resource published or edited by its owner, checked.
    fn prepare_resource(
        &self,
        mut r: Box<crate::resource::Resource>,
    ) -> Result<Prepared, LocalError> {
        r.normalize_features();
        let owner = self.owner_now(&r.id);
        if owner != self.me {
            return Err(LocalError::NotAllowed(
                "only the owner edits a resource".into(),
            ));
        }
        // The version of an owner by transfer is marked as such.
        r.held_by = (owner != r.id.owner).then_some(owner);
        if r.capacity.size() == 0 {
            return Err(LocalError::Invalid("capacity must be at least 1".into()));
        }
        if jiff::tz::TimeZone::get(&r.rules.time_zone).is_err() {
            return Err(LocalError::Invalid(format!(
                "unknown time zone {}",
                r.rules.time_zone
            )));
        }
        Ok((DocId::catalog(self.me), vec![Record::Resource(r)], None))
    }

    /// The requester's cancellation, written beside the request (with the
    /// owner who decides it).
    fn prepare_cancel(
        &mut self,
        now: Timestamp,
        booking: BookingId,
        reason: String,
    ) -> Result<Prepared, LocalError> {
        let me = self.me;
        if booking.requester != me {
            return Err(LocalError::NotAllowed(
                "only the requester cancels a request".into(),
            ));
        }
        let index = self.ledger.index();
        // A booking request or a trip: the same cancellation, filed beside it.
        let owner = match (index.requests.get(&booking), index.trips.get(&booking)) {
            (Some(r), _) => r.resource.owner,
            (None, Some(t)) => {
                if self.trip(&booking).is_some_and(|t| t.status.closed()) {
                    return Err(LocalError::Invalid("the trip is already over".into()));
                }
                t.owner
            }
            (None, None) => return Err(LocalError::UnknownBooking(booking.to_string())),
        };
        if self.ledger.index().cancels.contains_key(&booking) {
            return Err(LocalError::Invalid("already cancelled".into()));
        }
        if reason.len() > crate::record::MAX_TEXT {
            return Err(LocalError::Invalid("reason too long".into()));
        }
        let hlc = self.clock.tick(ms(now));
        let doc = DocId::requests(me, owner, shard_of(now));
        let cancel = Record::Cancel(Cancellation {
            booking: booking.clone(),
            reason,
            hlc,
            by: self.acting.clone(),
        });
        Ok((doc, vec![cancel], Some(booking)))
    }

    /// The owner's manual decision on a request, checked by the policy.
    fn prepare_decision(
        &mut self,
        now: Timestamp,
        booking: BookingId,
        approve: bool,
        reason: Option<crate::agency::Text>,
    ) -> Result<Prepared, LocalError> {
        let idx = self.ledger.index();
        let req = idx
            .requests
            .get(&booking)
            .ok_or_else(|| LocalError::UnknownBooking(booking.to_string()))?;
        if self.owner_now(&req.resource) != self.me {
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
        if cal.waiting_for_transfer.is_some() {
            return Err(LocalError::Decide(
                "the resource is offered to another agency: it decides once it answers".into(),
            ));
        }
        let draft = manual_decision(
            res,
            cal,
            (idx, &self.calendars),
            &booking,
            approve,
            reason,
            now,
        )
        .map_err(|e| LocalError::Decide(e.to_string()))?;
        let seq = cal.next_decision;
        let mut rec = self.decision_record(now, &rid, seq, draft);
        if let Record::Decision(d) = &mut rec {
            d.by = self.acting.clone();
        }
        let doc = DocId::decisions(self.me, shard_of(now));
        Ok((doc, vec![rec], Some(booking)))
    }

    pub(super) fn fresh_local(&self, hlc: Hlc) -> String {
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
            let index = self.ledger.index();
            if !index.requests.contains_key(&id) && !index.trips.contains_key(&id) {
                return local;
            }
            n += 1;
        }
    }
}
