//! The owner's decision policy, as pure functions. The owner's node runs
//! them; every other replica only checks the result (see [`crate::calendar`]).
//!
//! Automatic resources confirm the earliest request (HLC, then requester,
//! then id) that fits capacity and rules, and reject the rest with up to
//! three alternatives. Approval-required resources queue for an operator.
//! Cancelled confirmations are always released automatically.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::availability::{SlotQuery, slots_on};
use crate::booking::{Alternative, Status, Terms, Verdict};
use crate::calendar::{Booking, ResourceCalendar, fits};
use crate::ids::{BookingId, ResourceId};
use crate::ledger::Index;
use crate::resource::{Approval, Resource};

/// A decision to write, before it gets its number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Booking.
    pub booking: BookingId,
    /// Terms decided on.
    pub terms: Terms,
    /// Verdict.
    pub verdict: Verdict,
}

/// Why an operator's decision cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum DecideError {
    /// No such request on this resource.
    #[error("no such booking request")]
    UnknownBooking,
    /// Already confirmed, rejected, cancelled or void.
    #[error("booking is already {0}")]
    NotTentative(String),
    /// Confirming would exceed capacity.
    #[error("confirming would exceed capacity")]
    NoCapacity,
    /// The resource is not in the catalogue.
    #[error("unknown resource")]
    UnknownResource,
}

/// Decisions the owner's node should take by itself now on `resource`:
/// releases of cancelled confirmations, and for automatic resources a
/// verdict on every tentative request in rank order.
pub fn auto_decisions(
    index: &Index,
    resource: &Resource,
    cal: &ResourceCalendar,
    now: Timestamp,
) -> Vec<Draft> {
    let mut out: Vec<Draft> = cal
        .to_release
        .iter()
        .map(|b| Draft {
            booking: b.id.clone(),
            terms: b.terms,
            verdict: Verdict::Release,
        })
        .collect();
    if cal.waiting_for_decision.is_some() || resource.rules.approval != Approval::Automatic {
        return out;
    }
    let mut working = cal.clone();
    for b in &cal.to_release {
        working.occupancy.remove(&b.id, b.terms.start);
    }
    let buffer = i64::from(resource.rules.buffer_minutes) * 60;
    for b in &cal.tentative {
        let verdict = match judge(resource, &working, b, buffer, now) {
            Ok(()) => {
                let usage = resource.capacity.usage(b.terms.quantity);
                working
                    .occupancy
                    .insert(b.id.clone(), b.terms.start, b.terms.end, usage);
                Verdict::Confirm
            }
            Err(reason) => Verdict::Reject {
                reason,
                alternatives: alternatives(index, resource, &working, b, now),
            },
        };
        out.push(Draft {
            booking: b.id.clone(),
            terms: b.terms,
            verdict,
        });
    }
    out
}

fn judge(
    resource: &Resource,
    cal: &ResourceCalendar,
    b: &Booking,
    buffer: i64,
    now: Timestamp,
) -> Result<(), Text> {
    resource
        .check(
            &b.id.requester,
            b.terms.start,
            b.terms.end,
            b.terms.quantity,
            now,
        )
        .map_err(|v| v.text())?;
    if !fits(cal, resource.capacity, &b.terms, buffer) {
        return Err(Text::new("该时段已被预约", "the slot is already taken"));
    }
    Ok(())
}

/// An operator's decision on a tentative request, checked against capacity.
pub fn manual_decision(
    resource: &Resource,
    cal: &ResourceCalendar,
    index: &Index,
    booking: &BookingId,
    approve: bool,
    reason: Option<Text>,
    now: Timestamp,
) -> Result<Draft, DecideError> {
    let b = cal.find(booking).ok_or(DecideError::UnknownBooking)?;
    if !matches!(b.status, Status::Tentative { .. }) {
        return Err(DecideError::NotTentative(b.status.label().to_string()));
    }
    let verdict = if approve {
        if !fits(cal, resource.capacity, &b.terms, 0) {
            return Err(DecideError::NoCapacity);
        }
        Verdict::Confirm
    } else {
        Verdict::Reject {
            reason: reason.unwrap_or_else(|| Text::new("管理员拒绝", "declined by the operator")),
            alternatives: alternatives(index, resource, cal, b, now),
        }
    };
    Ok(Draft {
        booking: b.id.clone(),
        terms: b.terms,
        verdict,
    })
}

/// Up to three alternatives for a request that cannot have what it asked:
/// the nearest later free slot of the same length on the same resource, then
/// equivalent resources of the same owner and kind free at the asked time.
pub fn alternatives(
    index: &Index,
    resource: &Resource,
    cal: &ResourceCalendar,
    b: &Booking,
    now: Timestamp,
) -> Vec<Alternative> {
    let minutes = ((b.terms.end.as_second() - b.terms.start.as_second()) / 60)
        .clamp(1, u32::MAX as i64) as u32;
    let mut q = SlotQuery {
        kind: Some(resource.kind.clone()),
        city: None,
        owner: Some(resource.id.owner),
        quantity: b.terms.quantity,
        features: Default::default(),
        duration_minutes: minutes,
        from: b.terms.start,
        to: Timestamp::from_second(b.terms.start.as_second() + 14 * 86_400)
            .unwrap_or(Timestamp::MAX),
        step_minutes: 30,
        limit: 3,
        per_resource: 2,
        requester: b.id.requester,
    };
    let mut found = Vec::new();
    slots_on(resource, Some(cal), &q, now, &mut found);
    let mut out: Vec<Alternative> = found
        .into_iter()
        .take(1)
        .map(|c| Alternative {
            resource: c.resource,
            start: c.start,
            end: c.end,
        })
        .collect();
    q.from = b.terms.start;
    q.to = b.terms.end;
    q.per_resource = 1;
    for other in index
        .resources
        .values()
        .filter(|r| r.id != resource.id && r.id.owner == resource.id.owner)
    {
        if out.len() >= 3 {
            break;
        }
        if !q.matches(other) {
            continue;
        }
        // Other resources' calendars are not at hand here: only offer those
        // with no confirmed booking at that time.
        let busy = index.decisions.get(&other.id).is_some_and(|d| {
            d.values().any(|x| {
                x.verdict == Verdict::Confirm && x.terms.overlaps(b.terms.start, b.terms.end)
            })
        });
        let mut slot = Vec::new();
        slots_on(other, None, &q, now, &mut slot);
        if !busy && let Some(c) = slot.into_iter().next() {
            out.push(Alternative {
                resource: c.resource,
                start: c.start,
                end: c.end,
            });
        }
    }
    out.truncate(3);
    out
}

/// The id of the resource a booking concerns, if known.
pub fn resource_of(index: &Index, booking: &BookingId) -> Option<ResourceId> {
    index.requests.get(booking).map(|r| r.resource.clone())
}
