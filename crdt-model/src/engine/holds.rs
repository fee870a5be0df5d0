//! The requester's check-in (签到) to a confirmed booking, and the owner's
//! hold of several of its resources for a major event or an emergency
//! (重大活动 / 应急保障), which releases the confirmed bookings in its way
//! with the reason and alternatives.

use super::local::Prepared;
use super::*;
use crate::agency::Text;
use crate::asset::HoldKind;
use crate::booking::{CheckIn, ReleaseWhy, Status, Terms, Verdict};

/// How long before its start a booking may be checked in to, minutes.
pub const CHECKIN_OPENS_MINUTES: i64 = 30;

impl Engine {
    /// The requester's check-in, written beside the request.
    pub(super) fn prepare_checkin(
        &mut self,
        now: Timestamp,
        booking: BookingId,
    ) -> Result<Prepared, LocalError> {
        if booking.requester != self.me {
            return Err(LocalError::NotAllowed(
                "only the requester checks in to a booking".into(),
            ));
        }
        let b = self
            .booking(&booking)
            .ok_or_else(|| LocalError::UnknownBooking(booking.to_string()))?;
        if b.status != Status::Confirmed {
            return Err(LocalError::Invalid(format!(
                "only a confirmed booking is checked in to; this one is {}",
                b.status.label()
            )));
        }
        if self.ledger.index().checkins.contains_key(&booking) {
            return Err(LocalError::Invalid("already checked in".into()));
        }
        if now.as_second() < b.terms.start.as_second() - CHECKIN_OPENS_MINUTES * 60 {
            return Err(LocalError::Invalid(format!(
                "check-in opens {CHECKIN_OPENS_MINUTES} minutes before the start"
            )));
        }
        if now >= b.terms.end {
            return Err(LocalError::Invalid("the booking has ended".into()));
        }
        let hlc = self.clock.tick(ms(now));
        let doc = DocId::requests(self.me, b.resource.owner, shard_of(now));
        let record = Record::CheckIn(CheckIn {
            booking: booking.clone(),
            hlc,
        });
        Ok((doc, vec![record], Some(booking)))
    }

    /// The owner's hold: for each resource, releases of the confirmed
    /// bookings overlapping `start..end` (each with the reason and up to
    /// three alternatives outside the hold), then one entry taking every
    /// unit for that time. All in one change.
    pub(super) fn prepare_hold(
        &mut self,
        now: Timestamp,
        resources: &[ResourceId],
        (start, end): (Timestamp, Timestamp),
        reason: Text,
    ) -> Result<Prepared, LocalError> {
        if resources.is_empty() {
            return Err(LocalError::Invalid("name at least one resource".into()));
        }
        if end <= start {
            return Err(LocalError::Invalid(
                "the hold must end after it starts".into(),
            ));
        }
        if reason.zh.trim().is_empty() && reason.en.trim().is_empty() {
            return Err(LocalError::Invalid("a hold needs a reason".into()));
        }
        if reason.zh.len() + reason.en.len() + 3 > crate::record::MAX_TEXT {
            return Err(LocalError::Invalid("reason too long".into()));
        }
        let held: BTreeSet<&ResourceId> = resources.iter().collect();
        let mut records = Vec::new();
        for rid in &held {
            let rid: &ResourceId = rid;
            if self.owner_now(rid) != self.me {
                return Err(LocalError::NotAllowed(format!(
                    "only the owner holds a resource: {rid} is another agency's"
                )));
            }
            let index = self.ledger.index();
            let res = index
                .resources
                .get(rid)
                .ok_or_else(|| LocalError::UnknownResource(rid.to_string()))?;
            let cal = self
                .calendars
                .get(rid)
                .ok_or_else(|| LocalError::UnknownResource(rid.to_string()))?;
            if cal.waiting_for_transfer.is_some() {
                return Err(LocalError::Invalid(format!(
                    "{rid} is offered to another agency"
                )));
            }
            let hold = Terms {
                start,
                end,
                quantity: res.capacity.limit(),
            };
            let mut working = cal.clone();
            let in_way: Vec<&crate::calendar::Booking> = cal
                .confirmed
                .iter()
                .filter(|b| b.terms.overlaps(start, end))
                .collect();
            for b in &in_way {
                working.occupancy.remove(&b.id, b.terms.start);
            }
            let first = cal.next_decision;
            let hold_id = BookingId::new(self.me, &format!("hold-{}", first + in_way.len() as u64))
                .map_err(|e| LocalError::Invalid(e.to_string()))?;
            working.occupancy.insert(
                hold_id.clone(),
                start,
                end,
                res.capacity.usage(hold.quantity),
            );
            let mut drafts: Vec<Draft> = in_way
                .iter()
                .map(|b| {
                    // Not another resource of the same hold.
                    let alternatives =
                        crate::policy::alternatives(index, &self.calendars, res, &working, b, now)
                            .into_iter()
                            .filter(|a| {
                                !(held.contains(&a.resource) && a.start < end && start < a.end)
                            })
                            .collect();
                    Draft {
                        booking: b.id.clone(),
                        terms: b.terms,
                        verdict: Verdict::Release {
                            why: Some(ReleaseWhy::Withdrawn {
                                reason: reason.clone(),
                                alternatives,
                            }),
                        },
                    }
                })
                .collect();
            let note = if reason.zh == reason.en || reason.en.is_empty() {
                reason.zh.clone()
            } else if reason.zh.is_empty() {
                reason.en.clone()
            } else {
                format!("{} / {}", reason.zh, reason.en)
            };
            drafts.push(Draft {
                booking: hold_id,
                terms: hold,
                verdict: Verdict::Hold {
                    hold: HoldKind::Event,
                    note,
                    tag: None,
                },
            });
            let rid = rid.clone();
            for (seq, d) in (first..).zip(drafts) {
                records.push(self.decision_record(now, &rid, seq, d));
            }
        }
        let doc = DocId::decisions(self.me, shard_of(now));
        Ok((doc, records, None))
    }
}
