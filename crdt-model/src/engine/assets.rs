//! Warehouse assets on this node: the owner's handover, return (damaged
//! units held out of service), repair, disposal, transfer offers and
//! inventory counts; the borrower's receipt; the receiver's answer to an
//! offer. Each is checked against where the loan, the asset's units or the
//! offer stand, then written as records (see [`crate::asset`]).

use super::*;
use crate::asset::{
    FOREVER, HeldFor, HoldKind, InventoryCount, LoanEvent, LoanStatus, LoanStep, TransferAnswer,
    TransferStatus, inventory_row,
};
use crate::booking::{Status, Terms, Verdict};
use crate::occupancy::Occupancy;

/// Refused: the step does not fit where things stand.
fn refuse(msg: impl Into<String>) -> LocalError {
    LocalError::Warehouse(msg.into())
}

impl Engine {
    /// Who decides on `rid` now: as its replayed log says, else the index.
    pub fn owner_now(&self, rid: &ResourceId) -> AgencyId {
        self.calendars
            .get(rid)
            .and_then(|c| c.owner)
            .unwrap_or_else(|| self.ledger.index().owner_of(rid))
    }

    /// Where loan `id` stands at `now`, if it is a confirmed booking of an
    /// asset (after [`Engine::settle`]).
    pub fn loan(&self, id: &BookingId, now: Timestamp) -> Option<crate::asset::Loan> {
        let b = self.booking(id)?;
        let cal = self.calendars.get(&b.resource)?;
        let b = cal.confirmed.iter().find(|x| &x.id == id)?;
        Some(crate::asset::view::loan(self.ledger.index(), cal, b, now))
    }

    /// Writes `records` as this agency's signed change of `doc` without any
    /// of the checks a local action makes: what a buggy or hostile member
    /// could publish (for the simulator's tests of what replicas do with it).
    #[doc(hidden)]
    pub fn write_unchecked(
        &mut self,
        now: Timestamp,
        doc: DocId,
        records: Vec<Record>,
    ) -> Result<Vec<Output>, LocalError> {
        let mut out = Vec::new();
        let report = self.write(now, doc, records)?;
        self.after_ingest(now, None, report, &mut out);
        Ok(self.route(out))
    }

    /// A warehouse step written as its own changes; outputs go to `out`.
    pub(super) fn local_asset(
        &mut self,
        now: Timestamp,
        op: AssetOp,
        out: &mut Vec<Output>,
    ) -> Result<LocalOutcome, LocalError> {
        if let Some(why) = self.revoked() {
            return Err(LocalError::NotAllowed(why));
        }
        self.settle();
        let me = self.me;
        let mut writes: Vec<(DocId, Vec<Record>)> = Vec::new();
        let answer = match op {
            AssetOp::Handover {
                booking,
                tags,
                note,
            } => {
                let (loan, res) = self.own_loan(&booking, now)?;
                if loan.status != LoanStatus::Booked {
                    return Err(refuse(format!(
                        "the loan is {}, not waiting to be handed over",
                        loan.status.text().en
                    )));
                }
                let known = res.asset_tags();
                if let Some(t) = tags.iter().find(|t| !known.contains(&t.as_str())) {
                    return Err(refuse(format!("{t} is not a tag of this asset")));
                }
                if tags.len() > loan.units as usize {
                    return Err(refuse(format!(
                        "{} tags for a loan of {} units",
                        tags.len(),
                        loan.units
                    )));
                }
                let step = LoanStep::Handover {
                    tags: tags.into_iter().map(Into::into).collect(),
                    note,
                };
                writes.push((
                    DocId::decisions(me, shard_of(now)),
                    vec![self.loan_record(now, &booking, step)],
                ));
                Answer::Loan(booking)
            }
            AssetOp::Receive { booking } => {
                if booking.requester != me {
                    return Err(LocalError::NotAllowed(
                        "only the borrower countersigns a loan".into(),
                    ));
                }
                let loan = self
                    .loan(&booking, now)
                    .ok_or_else(|| LocalError::UnknownBooking(booking.to_string()))?;
                if loan.status != LoanStatus::HandedOver {
                    return Err(refuse(format!(
                        "the loan is {}, not handed over",
                        loan.status.text().en
                    )));
                }
                let doc = DocId::requests(me, loan.resource.owner, shard_of(now));
                writes.push((
                    doc,
                    vec![self.loan_record(now, &booking, LoanStep::Receive)],
                ));
                Answer::Loan(booking)
            }
            AssetOp::Return {
                booking,
                units,
                damaged,
                damaged_tags,
                note,
            } => {
                let (loan, res) = self.own_loan(&booking, now)?;
                if !loan.status.out() {
                    return Err(refuse(format!(
                        "the loan is {}, not with the borrower",
                        loan.status.text().en
                    )));
                }
                if units != loan.units {
                    return Err(refuse(format!(
                        "the loan is of {} units; all come back in one return",
                        loan.units
                    )));
                }
                if damaged > units {
                    return Err(refuse("more damaged units than returned"));
                }
                if damaged_tags.len() > damaged as usize {
                    return Err(refuse(format!(
                        "{} damaged tags for {damaged} damaged units",
                        damaged_tags.len()
                    )));
                }
                // The damaged tags: among those handed over, else the asset's.
                let handed: Vec<String> = match &loan.handover {
                    Some(LoanEvent {
                        step: LoanStep::Handover { tags, .. },
                        ..
                    }) if !tags.is_empty() => tags.iter().map(|t| t.to_string()).collect(),
                    _ => res.asset_tags().iter().map(|t| t.to_string()).collect(),
                };
                if let Some(t) = damaged_tags.iter().find(|t| !handed.contains(t)) {
                    return Err(refuse(format!("{t} was not lent in this loan")));
                }
                let mut records = vec![self.loan_record(
                    now,
                    &booking,
                    LoanStep::Return {
                        units,
                        damaged,
                        note: note.clone(),
                    },
                )];
                if damaged > 0 {
                    // Out from the return, or from the loan's end when it
                    // comes back early (the loan holds them until then).
                    let from = now.max(loan.end);
                    let kinds: Vec<(HoldKind, Option<String>)> = (0..damaged as usize)
                        .map(|i| (HoldKind::Damaged, damaged_tags.get(i).cloned()))
                        .collect();
                    records.extend(self.hold_records(
                        now,
                        &loan.resource,
                        from,
                        &kinds,
                        &note,
                        &[],
                    )?);
                }
                writes.push((DocId::decisions(me, shard_of(now)), records));
                Answer::Loan(booking)
            }
            AssetOp::Repair {
                resource,
                units,
                tags,
                start,
            } => {
                let cal = self.own_asset(&resource)?;
                // Damaged units, or (finishing) damaged and under repair;
                // those with the tags asked for first.
                let wanted = |h: &&crate::calendar::UnitHold| {
                    h.units == 1
                        && if start {
                            h.reason == HeldFor::Damaged
                        } else {
                            h.reason.repairable()
                        }
                };
                let chosen = pick_units(&cal.holds, wanted, &tags, units)?;
                let records = if start {
                    let release: Vec<BookingId> =
                        chosen.iter().map(|h| h.booking.clone()).collect();
                    let kinds: Vec<(HoldKind, Option<String>)> = chosen
                        .iter()
                        .map(|h| (HoldKind::Repairing, h.tag.clone()))
                        .collect();
                    self.hold_records(now, &resource, now, &kinds, "", &release)?
                } else {
                    let mut records = Vec::new();
                    for (seq, h) in (cal.next_decision..).zip(&chosen) {
                        let draft = Draft {
                            booking: h.booking.clone(),
                            terms: Terms {
                                start: h.from,
                                end: FOREVER,
                                quantity: h.units,
                            },
                            verdict: Verdict::Release { why: None },
                        };
                        records.push(self.decision_record(now, &resource, seq, draft));
                    }
                    records
                };
                writes.push((DocId::decisions(me, shard_of(now)), records));
                Answer::Inventory(resource)
            }
            AssetOp::Dispose {
                resource,
                units,
                tags,
                reason,
                method,
            } => {
                let cal = self.own_asset(&resource)?;
                let res = self
                    .ledger
                    .index()
                    .resources
                    .get(&resource)
                    .cloned()
                    .ok_or_else(|| LocalError::UnknownResource(resource.to_string()))?;
                let held: u32 = cal
                    .holds
                    .iter()
                    .filter(|h| !h.reason.repairable())
                    .map(|h| h.units)
                    .sum();
                let size = res.capacity.size();
                if units == 0 || units + held > size {
                    return Err(refuse(format!(
                        "{} of {size} units are left to dispose of",
                        size.saturating_sub(held)
                    )));
                }
                let known = res.asset_tags();
                if let Some(t) = tags.iter().find(|t| !known.contains(&t.as_str())) {
                    return Err(refuse(format!("{t} is not a tag of this asset")));
                }
                let gone: Vec<&str> = cal
                    .holds
                    .iter()
                    .filter(|h| !h.reason.repairable())
                    .filter_map(|h| h.tag.as_deref())
                    .collect();
                if let Some(t) = tags.iter().find(|t| gone.contains(&t.as_str())) {
                    return Err(refuse(format!("{t} is already disposed of or given away")));
                }
                // Damaged units first (those tagged as asked, then any): their
                // holds are released and held again as disposed, in the same
                // change; then units in service, with the tags asked for.
                let out: Vec<_> = cal
                    .holds
                    .iter()
                    .filter(|h| h.reason.repairable() && h.units == 1)
                    .collect();
                let mut release = Vec::new();
                let mut kinds = Vec::new();
                let mut left_tags: Vec<String> = tags.clone();
                for h in out
                    .iter()
                    .filter(|h| h.tag.as_ref().is_some_and(|t| tags.contains(t)))
                    .chain(out.iter().filter(|h| {
                        tags.is_empty() && h.tag.as_ref().is_none_or(|t| !tags.contains(t))
                    }))
                    .take(units as usize)
                {
                    release.push(h.booking.clone());
                    left_tags.retain(|t| Some(t) != h.tag.as_ref());
                    kinds.push((HoldKind::Disposed { method }, h.tag.clone()));
                }
                while kinds.len() < units as usize {
                    let tag = (!left_tags.is_empty()).then(|| left_tags.remove(0));
                    kinds.push((HoldKind::Disposed { method }, tag));
                }
                let records = self.hold_records(now, &resource, now, &kinds, &reason, &release)?;
                writes.push((DocId::decisions(me, shard_of(now)), records));
                Answer::Inventory(resource)
            }
            AssetOp::Offer {
                resource,
                to,
                units,
                note,
            } => {
                let cal = self.own_asset(&resource)?;
                if to == me {
                    return Err(refuse("an asset is offered to another agency"));
                }
                if !self.ledger.roster().is_active(&to) {
                    return Err(LocalError::Invalid(format!(
                        "{} is not a member",
                        to.short()
                    )));
                }
                let res = self
                    .ledger
                    .index()
                    .resources
                    .get(&resource)
                    .ok_or_else(|| LocalError::UnknownResource(resource.to_string()))?;
                let held: u32 = cal.holds.iter().map(|h| h.units).sum();
                let left = res.capacity.size().saturating_sub(held);
                let units = match units {
                    Some(n) if n == 0 || n > left => {
                        return Err(refuse(format!("{left} units can be offered, not {n}")));
                    }
                    Some(n) if n < res.capacity.size() => Some(n),
                    _ => None,
                };
                let seq = cal.next_decision;
                let terms = Terms {
                    start: now,
                    end: FOREVER,
                    quantity: units.unwrap_or(res.capacity.size()),
                };
                if units.is_some() && !crate::calendar::fits(&cal, res.capacity, &terms, 0) {
                    return Err(refuse(format!(
                        "{} units are not free from now on: bookings ahead hold them",
                        terms.quantity
                    )));
                }
                // The catalogue names the receiver, so that it follows us
                // and sees the offer even if it did not follow us before.
                let mut listed = res.clone();
                listed
                    .attributes
                    .insert(crate::asset::attr::OFFERED_TO.into(), to.to_string());
                let booking = BookingId::new(me, &format!("xfer-{seq}"))
                    .map_err(|e| LocalError::Invalid(e.to_string()))?;
                let rec = self.decision_record(
                    now,
                    &resource,
                    seq,
                    Draft {
                        booking,
                        terms,
                        verdict: Verdict::Transfer { to, units, note },
                    },
                );
                writes.push((DocId::decisions(me, shard_of(now)), vec![rec]));
                writes.push((DocId::catalog(me), vec![Record::Resource(listed)]));
                Answer::Transfer(resource, seq)
            }
            AssetOp::Answer {
                resource,
                seq,
                accept,
            } => {
                let offer = crate::asset::view::transfers(self)
                    .into_iter()
                    .find(|t| t.resource == resource && t.seq == seq && t.valid)
                    .ok_or_else(|| refuse(format!("no offer {resource}/{seq}")))?;
                if offer.to != me {
                    return Err(LocalError::NotAllowed(
                        "only the agency offered an asset answers".into(),
                    ));
                }
                if offer.status != TransferStatus::Pending {
                    return Err(refuse(format!(
                        "the offer is {} already",
                        offer.status.text().en
                    )));
                }
                let answer = Record::TransferAnswer(TransferAnswer {
                    resource: resource.clone(),
                    seq,
                    by: me,
                    accept,
                    hlc: self.clock.tick(ms(now)),
                });
                writes.push((
                    DocId::requests(me, resource.owner, shard_of(now)),
                    vec![answer],
                ));
                if accept && let Some(r) = self.ledger.index().resources.get(&resource) {
                    let mut r = r.clone();
                    r.attributes.remove(crate::asset::attr::OFFERED_TO);
                    match offer.units {
                        // The whole asset: our version of it, marked ours
                        // (its creator's own version names no holder).
                        None => r.held_by = (me != r.id.owner).then_some(me),
                        // Some units: a new asset of ours, saying where
                        // they came from.
                        Some(n) => {
                            let local: String = format!("{}-{seq}", r.id.local)
                                .chars()
                                .rev()
                                .take(64)
                                .collect::<Vec<_>>()
                                .into_iter()
                                .rev()
                                .collect();
                            r.attributes
                                .insert(crate::asset::attr::FROM.into(), resource.to_string());
                            r.attributes.remove(crate::asset::attr::TAGS);
                            r.id = ResourceId::new(me, local.trim_start_matches(['-', '.']))
                                .map_err(|e| LocalError::Invalid(e.to_string()))?;
                            r.capacity = crate::resource::Capacity::Units(n);
                            r.held_by = None;
                        }
                    }
                    writes.push((DocId::catalog(me), vec![Record::Resource(r)]));
                }
                Answer::Transfer(resource, seq)
            }
            AssetOp::Count {
                resource,
                counted,
                note,
            } => {
                self.own_asset(&resource)?;
                let count = Record::Count(Box::new(InventoryCount {
                    resource: resource.clone(),
                    by: me,
                    counted,
                    note,
                    hlc: self.clock.tick(ms(now)),
                }));
                writes.push((DocId::decisions(me, shard_of(now)), vec![count]));
                Answer::Inventory(resource)
            }
        };
        for (doc, records) in &writes {
            for r in records {
                r.validate(doc, &r.key())
                    .map_err(|e| LocalError::Invalid(e.to_string()))?;
            }
        }
        for (doc, records) in writes {
            let report = self.write(now, doc, records)?;
            self.after_ingest(now, None, report, out);
        }
        self.settle();
        match answer {
            Answer::Loan(id) => self
                .loan(&id, now)
                .map(|l| LocalOutcome::Loan(Box::new(l)))
                .ok_or_else(|| LocalError::UnknownBooking(id.to_string())),
            Answer::Inventory(rid) => {
                let index = self.ledger.index();
                match (index.resources.get(&rid), self.calendars.get(&rid)) {
                    (Some(r), Some(cal)) => Ok(LocalOutcome::Inventory(Box::new(inventory_row(
                        index, cal, r, now,
                    )))),
                    _ => Err(LocalError::UnknownResource(rid.to_string())),
                }
            }
            Answer::Transfer(rid, seq) => crate::asset::view::transfers(self)
                .into_iter()
                .find(|t| t.resource == rid && t.seq == seq)
                .map(|t| LocalOutcome::Transfer(Box::new(t)))
                .ok_or_else(|| LocalError::UnknownResource(rid.to_string())),
        }
    }

    /// A confirmed loan of one of our assets, and the asset.
    fn own_loan(
        &self,
        booking: &BookingId,
        now: Timestamp,
    ) -> Result<(crate::asset::Loan, crate::resource::Resource), LocalError> {
        let loan = self
            .loan(booking, now)
            .ok_or_else(|| match self.booking(booking) {
                Some(b) => refuse(format!(
                    "booking {booking} is {}, not a loan",
                    b.status.label()
                )),
                None => LocalError::UnknownBooking(booking.to_string()),
            })?;
        if loan.owner != self.me {
            return Err(LocalError::NotAllowed(
                "only the asset's owner hands over and takes back".into(),
            ));
        }
        let res = self
            .ledger
            .index()
            .resources
            .get(&loan.resource)
            .cloned()
            .ok_or_else(|| LocalError::UnknownResource(loan.resource.to_string()))?;
        Ok((loan, *res))
    }

    /// The calendar of one of our assets, its log not waiting on an offer.
    fn own_asset(&self, rid: &ResourceId) -> Result<ResourceCalendar, LocalError> {
        let cal = self
            .calendars
            .get(rid)
            .filter(|c| c.known)
            .ok_or_else(|| LocalError::UnknownResource(rid.to_string()))?;
        if cal.owner != Some(self.me) {
            return Err(LocalError::NotAllowed(
                "only the asset's owner records its units".into(),
            ));
        }
        if cal.waiting_for_transfer.is_some() {
            return Err(refuse(
                "the asset is offered to another agency: nothing is recorded until it answers",
            ));
        }
        if let Some(n) = cal.waiting_for_decision {
            return Err(refuse(format!(
                "decision {n} of this asset has not arrived yet"
            )));
        }
        Ok(cal.clone())
    }

    fn loan_record(&mut self, now: Timestamp, booking: &BookingId, step: LoanStep) -> Record {
        Record::Loan(Box::new(LoanEvent {
            booking: booking.clone(),
            by: self.me,
            step,
            hlc: self.clock.tick(ms(now)),
        }))
    }

    /// The log entries holding one unit per `kinds` entry from `from` on,
    /// after releasing the holds `release` and, if the units are still
    /// short, the confirmed bookings ahead that starts latest (they can no
    /// longer be served): numbered from the asset's next decision.
    fn hold_records(
        &mut self,
        now: Timestamp,
        rid: &ResourceId,
        from: Timestamp,
        kinds: &[(HoldKind, Option<String>)],
        note: &str,
        release: &[BookingId],
    ) -> Result<Vec<Record>, LocalError> {
        let cal = self.own_asset(rid)?;
        let mut seq = cal.next_decision;
        let cap = self
            .ledger
            .index()
            .resources
            .get(rid)
            .map(|r| r.capacity)
            .ok_or_else(|| LocalError::UnknownResource(rid.to_string()))?;
        let mut occ: Occupancy = cal.occupancy.clone();
        let mut drafts: Vec<Draft> = Vec::new();
        for id in release {
            if let Some(h) = cal.holds.iter().find(|h| &h.booking == id) {
                occ.remove(id, h.from);
                drafts.push(Draft {
                    booking: id.clone(),
                    terms: Terms {
                        start: h.from,
                        end: FOREVER,
                        quantity: h.units,
                    },
                    verdict: Verdict::Release { why: None },
                });
            }
        }
        let need = kinds.len() as u32 * cap.usage(1);
        // Bookings ahead that would not fit beside the hold, latest first.
        let mut ahead: Vec<_> = cal
            .confirmed
            .iter()
            .filter(|b| b.status == Status::Confirmed && b.terms.end > from)
            .collect();
        ahead.sort_by(|a, b| (b.terms.start, &b.id).cmp(&(a.terms.start, &a.id)));
        let mut ahead = ahead.into_iter();
        while occ.peak(from, FOREVER) + need > cap.limit() {
            let Some(b) = ahead.next() else {
                return Err(refuse(format!(
                    "the asset has not {} units to take out",
                    kinds.len()
                )));
            };
            occ.remove(&b.id, b.terms.start);
            drafts.push(Draft {
                booking: b.id.clone(),
                terms: b.terms,
                verdict: Verdict::Release {
                    why: Some(crate::booking::ReleaseWhy::Withdrawn {
                        reason: crate::agency::Text::new(
                            "设备损坏或处置，可用数量不足",
                            "units damaged or disposed of: not enough left",
                        ),
                        alternatives: Vec::new(),
                    }),
                },
            });
        }
        let mut records = Vec::new();
        for d in drafts {
            records.push(self.decision_record(now, rid, seq, d));
            seq += 1;
        }
        for (kind, tag) in kinds {
            let booking = BookingId::new(self.me, &format!("hold-{seq}"))
                .map_err(|e| LocalError::Invalid(e.to_string()))?;
            let draft = Draft {
                booking,
                terms: Terms {
                    start: from,
                    end: FOREVER,
                    quantity: 1,
                },
                verdict: Verdict::Hold {
                    hold: kind.clone(),
                    note: note.to_string(),
                    tag: tag.as_deref().map(Into::into),
                },
            };
            records.push(self.decision_record(now, rid, seq, draft));
            seq += 1;
        }
        Ok(records)
    }
}

/// `units` one-unit holds among those `wanted`, those tagged as asked for
/// first (every tag asked for must be among them).
fn pick_units<'a>(
    holds: &'a [crate::calendar::UnitHold],
    wanted: impl Fn(&&crate::calendar::UnitHold) -> bool,
    tags: &[String],
    units: u32,
) -> Result<Vec<&'a crate::calendar::UnitHold>, LocalError> {
    let candidates: Vec<&crate::calendar::UnitHold> = holds.iter().filter(wanted).collect();
    if let Some(t) = tags
        .iter()
        .find(|t| !candidates.iter().any(|h| h.tag.as_ref() == Some(*t)))
    {
        return Err(refuse(format!(
            "{t} is not among the units that can be repaired"
        )));
    }
    if units == 0 || units as usize > candidates.len() || tags.len() > units as usize {
        return Err(refuse(format!(
            "{} units can be repaired; {units} cannot",
            candidates.len()
        )));
    }
    let tagged = candidates
        .iter()
        .filter(|h| h.tag.as_ref().is_some_and(|t| tags.contains(t)));
    let others = candidates
        .iter()
        .filter(|h| h.tag.as_ref().is_none_or(|t| !tags.contains(t)));
    Ok(tagged.chain(others).take(units as usize).copied().collect())
}

/// What a warehouse step answers with.
enum Answer {
    Loan(BookingId),
    Inventory(ResourceId),
    Transfer(ResourceId, u64),
}
