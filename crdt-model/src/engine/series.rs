//! Recurring series written by the requester: one request per occurrence
//! of its rule, in one change, and the cancellation of some or all of its
//! occurrences (see [`crate::recur`] and, for the owner's side,
//! [`crate::policy`]).

use super::local::Prepared;
use super::*;

impl Engine {
    /// A recurring series: one request per occurrence, in one document. A
    /// blackout on some dates is left to the owner's policy (those dates
    /// conflict); any other rule an occurrence breaks refuses the series,
    /// naming its date.
    pub(super) fn prepare_series(
        &mut self,
        now: Timestamp,
        resource: ResourceId,
        first: crate::booking::Terms,
        contact: String,
        purpose: String,
        repeat: &str,
    ) -> Result<Prepared, LocalError> {
        let me = self.me;
        let res = self
            .ledger
            .index()
            .resources
            .get(&resource)
            .ok_or_else(|| LocalError::UnknownResource(resource.to_string()))?;
        if first.end <= first.start {
            return Err(LocalError::Invalid(
                "the end must be after the start".into(),
            ));
        }
        let rule =
            crate::recur::Rule::parse(repeat).map_err(|e| LocalError::Invalid(e.to_string()))?;
        let tz = res.tz();
        let starts = rule
            .occurrences(&first.start.to_zoned(tz.clone()))
            .map_err(|e| LocalError::Invalid(e.to_string()))?;
        let length = first.end.duration_since(first.start);
        let mut terms = Vec::with_capacity(starts.len());
        for (i, z) in starts.iter().enumerate() {
            let start = z.timestamp();
            let end = start
                .checked_add(length)
                .map_err(|_| LocalError::Invalid("date out of range".into()))?;
            match res.check(&me, start, end, first.quantity, now) {
                Ok(()) | Err(crate::resource::RuleViolation::Blackout) => {}
                Err(v) if i == 0 => return Err(LocalError::Rule(v)),
                Err(v) => {
                    return Err(LocalError::Invalid(format!(
                        "{}: {v}",
                        z.strftime("%Y-%m-%d")
                    )));
                }
            }
            terms.push((start, end));
        }
        if contact.len() > crate::record::MAX_TEXT || purpose.len() > crate::record::MAX_TEXT {
            return Err(LocalError::Invalid("contact or purpose too long".into()));
        }
        let floor = self.ledger.index().latest_request.get(&resource).copied();
        let count = terms.len() as u32;
        let text = rule.to_text();
        let mut records = Vec::with_capacity(terms.len());
        let mut first_id: Option<BookingId> = None;
        let mut floor = floor;
        for (index, (start, end)) in (0u32..).zip(terms) {
            let hlc = self.clock.tick_after(ms(now), floor);
            floor = Some(hlc);
            let local = self.fresh_local(hlc);
            let id = BookingId::new(me, &local).map_err(|e| LocalError::Invalid(e.to_string()))?;
            let head = first_id.get_or_insert_with(|| id.clone()).clone();
            records.push(Record::Request(BookingRequest {
                id,
                resource: resource.clone(),
                contact: contact.as_str().into(),
                purpose: purpose.as_str().into(),
                start,
                end,
                quantity: first.quantity,
                hlc,
                series: Some(Box::new(crate::booking::Series {
                    first: head,
                    rule: text.clone(),
                    index,
                    count,
                })),
                wait_list: false,
                by: self.acting.clone(),
            }));
        }
        let doc = DocId::requests(me, resource.owner, shard_of(now));
        Ok((doc, records, first_id))
    }

    /// Cancellations of a series' occurrences (those still tentative or
    /// confirmed), written together beside the requests.
    pub(super) fn prepare_cancel_series(
        &mut self,
        now: Timestamp,
        booking: BookingId,
        scope: super::SeriesScope,
        reason: String,
    ) -> Result<Prepared, LocalError> {
        if booking.requester != self.me {
            return Err(LocalError::NotAllowed(
                "only the requester cancels a request".into(),
            ));
        }
        if reason.len() > crate::record::MAX_TEXT {
            return Err(LocalError::Invalid("reason too long".into()));
        }
        let index = self.ledger.index();
        let req = index
            .requests
            .get(&booking)
            .ok_or_else(|| LocalError::UnknownBooking(booking.to_string()))?;
        let series = req.series.as_ref().ok_or_else(|| {
            LocalError::Invalid(format!("{booking} is not part of a recurring series"))
        })?;
        let tz = index.resources.get(&req.resource).map_or_else(
            || {
                jiff::tz::TimeZone::get(crate::resource::DEFAULT_TZ)
                    .unwrap_or(jiff::tz::TimeZone::UTC)
            },
            |r| r.tz(),
        );
        let owner = req.resource.owner;
        let cal = self
            .calendars
            .get(&req.resource)
            .ok_or_else(|| LocalError::UnknownResource(req.resource.to_string()))?;
        let all = crate::policy::occurrences(index, cal, &series.first);
        let date_of = |b: &crate::calendar::Booking| b.terms.start.to_zoned(tz.clone()).date();
        let chosen: Vec<&crate::calendar::Booking> = all
            .into_iter()
            .filter(|b| match &scope {
                super::SeriesScope::Occurrence(d) => date_of(b) == *d,
                super::SeriesScope::FromDate(d) => date_of(b) >= *d,
                super::SeriesScope::Series => true,
            })
            .collect();
        if chosen.is_empty() {
            return Err(LocalError::Invalid(match scope {
                super::SeriesScope::Occurrence(d) => format!("the series has no occurrence on {d}"),
                _ => "no occurrence of the series matches".into(),
            }));
        }
        let open: Vec<BookingId> = chosen
            .into_iter()
            .filter(|b| {
                matches!(
                    b.status,
                    crate::booking::Status::Tentative { .. } | crate::booking::Status::Confirmed
                ) && !index.cancels.contains_key(&b.id)
            })
            .map(|b| b.id.clone())
            .collect();
        let Some(head) = open.first().cloned() else {
            return Err(LocalError::Invalid(
                "those occurrences are already cancelled or decided against".into(),
            ));
        };
        let doc = DocId::requests(self.me, owner, shard_of(now));
        let mut records = Vec::with_capacity(open.len());
        for id in open {
            let hlc = self.clock.tick(ms(now));
            records.push(Record::Cancel(Cancellation {
                booking: id,
                reason: reason.clone(),
                hlc,
                by: self.acting.clone(),
            }));
        }
        Ok((doc, records, Some(head)))
    }
}
