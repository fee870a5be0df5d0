//! Bringing a calendar forward in place by what one ingest added, instead
//! of replaying the resource's history: the common case of new requests
//! and decisions in turn. Anything else is left to a recomputation.

use super::{Anomaly, Booking, ResourceCalendar, occupy, rank_from};
use crate::booking::{Status, Verdict};
use crate::ids::{BookingId, ResourceId};
use crate::ledger::{Delta, Index};
use crate::membership::Roster;
use crate::resource::Capacity;

/// Brings a calendar that was current forward by what one ingest added
/// (`delta`) without replaying the resource's history: new requests join
/// the end of the line, and decisions taken in turn on waiting requests
/// move them to confirmed or rejected. The result is the calendar
/// [`super::calendar_with`] computes (`with_requests` false) from the same index.
///
/// Returns false, leaving `cal` to be recomputed, for anything else: a
/// catalogue change or cancellation, a request that ranks ahead of one
/// already waiting, was cancelled before it arrived, or comes from a
/// revoked member (a request decided before it arrived marks the
/// decisions' resources in `delta.other`, see [`Index::unrequested`]), a
/// decision out of turn, on a booking that is not waiting, or a release.
pub fn advance(
    cal: &mut ResourceCalendar,
    index: &Index,
    roster: &Roster,
    rid: &ResourceId,
    delta: &Delta,
) -> bool {
    if delta.other || !cal.known || cal.waiting_for_decision.is_some() {
        return false;
    }
    let Some(cap) = index.resources.get(rid).map(|r| r.capacity) else {
        return false;
    };
    let from = cal.tentative.len();
    if append_requests(cal, index, roster, rid, delta).is_none() {
        return false;
    }
    let Some(moved) = apply_decisions(cal, index, rid, cap, delta) else {
        return false;
    };
    if cal.next_decision != index.next_decision_seq(rid) {
        return false;
    }
    rank_from(cal, Some(cap), if moved { 0 } else { from });
    true
}

/// [`advance`]'s first step: appends the requests of `delta` behind the
/// tentative ones, or `None` if one of them does not simply go last.
fn append_requests(
    cal: &mut ResourceCalendar,
    index: &Index,
    roster: &Roster,
    rid: &ResourceId,
    delta: &Delta,
) -> Option<()> {
    let mut last = match cal.tentative.last() {
        Some(b) => match index.requests.get(&b.id) {
            Some(r) => Some(r),
            None => return None,
        },
        None => None,
    };
    for id in &delta.requests {
        let req = index.requests.get(id)?;
        if &req.resource != rid
            || index.cancels.contains_key(id)
            || !roster.is_active(&id.requester)
            || last.is_some_and(|l| l.rank_key() >= req.rank_key())
        {
            return None;
        }
        cal.tentative.push(Booking {
            id: id.clone(),
            resource: rid.clone(),
            terms: req.terms(),
            request: None,
            status: Status::Tentative {
                rank: 0,
                fits: false,
                waiting: req.wait_list,
            },
            checked_in: None,
            decided_by: None,
        });
        last = Some(req);
    }
    Some(())
}

/// [`advance`]'s second step: applies the decisions of `delta`, in turn, to
/// tentative requests; returns whether any moved, or `None` for anything
/// else (a decision out of turn, on a booking not waiting, a release).
fn apply_decisions(
    cal: &mut ResourceCalendar,
    index: &Index,
    rid: &ResourceId,
    cap: Capacity,
    delta: &Delta,
) -> Option<bool> {
    let mut decisions: Vec<&(u64, BookingId)> = delta.decisions.iter().collect();
    decisions.sort();
    let mut moved = false;
    for key in decisions {
        let (seq, booking) = (key.0, &key.1);
        let d = index.decisions.get(rid).and_then(|m| m.get(key));
        let pos = cal.tentative.iter().position(|b| &b.id == booking);
        let (Some(d), Some(pos), Some(request)) = (d, pos, index.requests.get(booking)) else {
            return None;
        };
        if seq != cal.next_decision {
            return None;
        }
        cal.next_decision += 1;
        if request.terms() != d.terms || &request.resource != rid {
            cal.anomalies.push(Anomaly::TermsMismatch {
                seq,
                booking: booking.clone(),
            });
            continue;
        }
        let status = match &d.verdict {
            Verdict::Confirm => {
                if !occupy(cal, cap, seq, booking, &d.terms) {
                    continue;
                }
                Status::Confirmed
            }
            Verdict::Reject {
                reason,
                alternatives,
            } => Status::Rejected {
                reason: reason.clone(),
                alternatives: alternatives.clone(),
            },
            Verdict::Release { .. } | Verdict::Hold { .. } | Verdict::Transfer { .. } => {
                return None;
            }
        };
        let mut b = cal.tentative.remove(pos);
        b.terms = d.terms;
        let list = if matches!(status, Status::Confirmed) {
            &mut cal.confirmed
        } else {
            &mut cal.rejected
        };
        b.status = status;
        let at = list.partition_point(|x| (x.terms.start, &x.id) < (b.terms.start, &b.id));
        list.insert(at, b);
        moved = true;
    }
    Some(moved)
}
