//! The calendar view: a deterministic function from a replica's accepted
//! records to, per resource, confirmed bookings, tentative requests in rank
//! order, rejected / cancelled / void history, conflicts and anomalies.
//!
//! Replicas that hold the same changes compute the same calendar, whatever
//! order the changes arrived in: every input is read from sorted maps, and
//! the owner's decisions are replayed in their own numbering.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::asset::HeldFor;
use crate::booking::{BookingRequest, Decision, ReleaseWhy, Status, Terms, Verdict};
use crate::ids::{AgencyId, BookingId, ResourceId};
use crate::ledger::Index;
use crate::membership::Roster;
use crate::occupancy::Occupancy;
use crate::resource::Capacity;

/// A booking as shown in a calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Id.
    pub id: BookingId,
    /// Resource.
    pub resource: ResourceId,
    /// Time range and quantity (from the owner's decision when confirmed).
    pub terms: Terms,
    /// The request, once it has arrived (a confirmation can arrive first).
    pub request: Option<Box<BookingRequest>>,
    /// Where it stands.
    #[serde(flatten)]
    pub status: Status,
    /// When its requester checked in (签到), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in: Option<crate::hlc::Hlc>,
    /// The owner's person who decided it, if one did (not the automatic
    /// policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<compact_str::CompactString>,
}

/// A tentative request that does not fit behind the ones ahead of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The request that does not fit.
    pub booking: BookingId,
    /// Overlapping bookings ahead of it (confirmed first, then tentative in
    /// rank order), at most [`MAX_AHEAD`] of them.
    pub ahead: Vec<BookingId>,
    /// How many overlapping bookings are ahead of it in all.
    #[serde(default)]
    pub ahead_count: u32,
    /// Its place in line.
    pub rank: u32,
}

/// The most bookings a [`Conflict`] names as ahead of a request: a slot
/// that thousands request (a hostile member can file them) would otherwise
/// list every earlier one for each, quadratic in memory on every replica.
pub const MAX_AHEAD: usize = 16;

/// A decision by the owner that every replica ignores, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum Anomaly {
    /// The confirmation would exceed capacity.
    OverCapacity {
        /// Decision number.
        seq: u64,
        /// Booking.
        booking: BookingId,
    },
    /// The decision's terms differ from the request's.
    TermsMismatch {
        /// Decision number.
        seq: u64,
        /// Booking.
        booking: BookingId,
    },
    /// The booking was already decided.
    AlreadyDecided {
        /// Decision number.
        seq: u64,
        /// Booking.
        booking: BookingId,
    },
    /// Two decisions share a number.
    DuplicateSeq {
        /// Decision number.
        seq: u64,
        /// Booking of the ignored decision.
        booking: BookingId,
    },
    /// A release of a booking that holds nothing.
    StrayRelease {
        /// Decision number.
        seq: u64,
        /// Booking.
        booking: BookingId,
    },
    /// Written by an agency that did not own the resource at that place in
    /// its log (a former owner deciding after a transfer, or a stranger).
    NotOwner {
        /// Decision number.
        seq: u64,
        /// Booking.
        booking: BookingId,
        /// Who wrote it.
        author: AgencyId,
    },
}

/// Units held out of the bookable capacity from `from` on, by an entry of
/// the owner's log (see [`crate::asset`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitHold {
    /// The hold's id (`<owner>/hold-<n>`, `<owner>/xfer-<n>`).
    pub booking: BookingId,
    /// Its number in the log.
    pub seq: u64,
    /// Out from.
    pub from: Timestamp,
    /// How many units.
    pub units: u32,
    /// Why.
    pub reason: HeldFor,
    /// What the owner wrote.
    #[serde(default)]
    pub note: String,
    /// The unit's asset tag, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Until when, for an event's hold (others last until released).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

/// Everything known about one resource's bookings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceCalendar {
    /// The resource.
    pub resource: Option<ResourceId>,
    /// Whether its catalogue entry has arrived (capacity unknown otherwise,
    /// and nothing is shown as confirmed).
    pub known: bool,
    /// Confirmed bookings, by start.
    pub confirmed: Vec<Booking>,
    /// Undecided requests in rank order.
    pub tentative: Vec<Booking>,
    /// Rejected requests, by start.
    pub rejected: Vec<Booking>,
    /// Cancelled requests, by start.
    pub cancelled: Vec<Booking>,
    /// Requests voided by their requester's revocation.
    pub void: Vec<Booking>,
    /// Tentative requests that do not fit.
    pub conflicts: Vec<Conflict>,
    /// Owner decisions ignored, with why.
    pub anomalies: Vec<Anomaly>,
    /// When a decision number is missing, the first missing one: later
    /// decisions wait for it.
    pub waiting_for_decision: Option<u64>,
    /// Next decision number the owner should use.
    pub next_decision: u64,
    /// Confirmed bookings whose requester cancelled, still holding capacity
    /// until the owner releases them.
    pub to_release: Vec<Booking>,
    /// Units out of service or given away, in log order.
    #[serde(default)]
    pub holds: Vec<UnitHold>,
    /// When the replica sealed the records of long-past periods (see
    /// [`crate::ledger::Ledger::seal`]): bookings that ended before this
    /// may be left out (a report of the period reads them from the
    /// store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_before: Option<jiff::Timestamp>,
    /// Who decides on it now, as its log says (its creator, or the
    /// receiver of an accepted whole-asset offer).
    #[serde(default)]
    pub owner: Option<AgencyId>,
    /// A whole-asset offer waiting for its receiver's answer: the log's
    /// later entries wait for it.
    #[serde(default)]
    pub waiting_for_transfer: Option<u64>,
    /// For a resource whose owner this replica does not follow: its
    /// free/busy as last fetched (see [`crate::busy`]), also counted in the
    /// occupancy. Never in the engine's cache, only in answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<Box<crate::busy::ResourceBusy>>,
    /// Capacity held by confirmed bookings (including those to release).
    #[serde(skip)]
    pub occupancy: Occupancy,
    /// Every tentative request, by its index in `tentative`.
    #[serde(skip)]
    line: Occupancy<u32>,
    /// The tentative requests that fit, on top of `occupancy`, by index.
    #[serde(skip)]
    fitting: Occupancy<u32>,
}

impl ResourceCalendar {
    /// Whether its log holds nothing: no booking, conflict, anomaly, hold
    /// or decision (what a resource shows whose owner's records this
    /// replica does not hold).
    pub fn is_blank(&self) -> bool {
        self.all().next().is_none()
            && self.to_release.is_empty()
            && self.conflicts.is_empty()
            && self.anomalies.is_empty()
            && self.holds.is_empty()
            && self.waiting_for_decision.is_none()
            && self.waiting_for_transfer.is_none()
            && self.next_decision <= 1
    }

    /// Every booking of this resource, in a fixed order.
    pub fn all(&self) -> impl Iterator<Item = &Booking> {
        self.confirmed
            .iter()
            .chain(&self.tentative)
            .chain(&self.rejected)
            .chain(&self.cancelled)
            .chain(&self.void)
    }

    /// Every booking list, mutably (including `to_release`).
    pub fn bookings_mut(&mut self) -> impl Iterator<Item = &mut Booking> {
        self.confirmed
            .iter_mut()
            .chain(&mut self.tentative)
            .chain(&mut self.rejected)
            .chain(&mut self.cancelled)
            .chain(&mut self.void)
            .chain(&mut self.to_release)
    }

    /// The status of one booking, if it concerns this resource.
    pub fn find(&self, id: &BookingId) -> Option<&Booking> {
        self.all().find(|b| &b.id == id)
    }
}

/// Fills in from `index` what a booking of a calendar leaves out: its
/// request, who decided it, when it was checked in.
pub fn fill(index: &Index, b: &mut Booking) {
    if b.decided_by.is_none() {
        b.decided_by = index.decided_by.get(&b.id).cloned();
    }
    if b.checked_in.is_none() {
        b.checked_in = index.checkins.get(&b.id).map(|c| c.hlc);
    }
    if b.request.is_none() {
        b.request = index.requests.get(&b.id).cloned().map(Box::new);
    }
}

/// Computes a resource's calendar from the index (see module docs).
pub fn calendar(index: &Index, roster: &Roster, rid: &ResourceId) -> ResourceCalendar {
    calendar_with(index, roster, rid, true)
}

/// [`calendar`], with each booking's request copied in only if
/// `with_requests` (a cache that can look requests up in the index later
/// saves copying every request each time a resource changes).
pub fn calendar_with(
    index: &Index,
    roster: &Roster,
    rid: &ResourceId,
    with_requests: bool,
) -> ResourceCalendar {
    let resource = index.resources.get(rid);
    let mut cal = ResourceCalendar {
        resource: Some(rid.clone()),
        known: resource.is_some(),
        next_decision: index.next_decision_seq(rid),
        owner: Some(index.owner_of(rid)),
        ..Default::default()
    };
    let capacity = resource.map(|r| r.capacity);
    let replayed = match capacity {
        Some(cap) => Replay::run(&mut cal, index, rid, cap),
        None => Replay::default(),
    };
    replayed.fill(&mut cal, index, roster, rid, with_requests);
    rank_from(&mut cal, capacity, 0);
    let by_start = |a: &Booking, b: &Booking| (a.terms.start, &a.id).cmp(&(b.terms.start, &b.id));
    cal.confirmed.sort_by(by_start);
    cal.rejected.sort_by(by_start);
    cal.cancelled.sort_by(by_start);
    cal.void.sort_by(by_start);
    cal
}

/// The outcome of replaying a resource's decisions in their numbering.
#[derive(Default)]
struct Replay {
    confirmed: BTreeMap<BookingId, Terms>,
    rejected: BTreeMap<BookingId, (Terms, Status)>,
    /// Released bookings, with why when the owner took them back.
    released: BTreeMap<BookingId, Option<ReleaseWhy>>,
    holds: BTreeMap<BookingId, UnitHold>,
}

/// One entry of a resource's log: `(seq, author, decision)`.
type Entry<'a> = (u64, AgencyId, &'a Decision);

/// A resource's log in order: the creator's entries and (after a transfer)
/// those of other agencies; `None` when only its creator ever wrote (the
/// common case, read straight from the index without a copy).
fn merged_log<'a>(index: &'a Index, rid: &ResourceId) -> Option<Vec<Entry<'a>>> {
    let later = index.later_decisions.get(rid)?;
    let mut log: Vec<Entry<'a>> = index
        .decisions
        .get(rid)
        .into_iter()
        .flatten()
        .map(|((seq, _), d)| (*seq, d.author, d))
        .chain(later.iter().map(|((seq, a, _), d)| (*seq, *a, d)))
        .collect();
    log.sort_by(|x, y| (x.0, x.1, &x.2.booking).cmp(&(y.0, y.1, &y.2.booking)));
    Some(log)
}

impl Replay {
    /// Replays the owner's decisions on `rid` in their own numbering,
    /// stopping at the first gap (recorded in `cal.waiting_for_decision`)
    /// or at a whole-asset offer not yet answered (`waiting_for_transfer`);
    /// entries by an agency that did not own the resource at their place,
    /// duplicates, decisions that do not match their request and
    /// confirmations over capacity become anomalies and count for nothing.
    fn run(cal: &mut ResourceCalendar, index: &Index, rid: &ResourceId, cap: Capacity) -> Self {
        let mut r = Self::default();
        let mut owner = rid.owner;
        let mut expected = 1u64;
        let mut owners_top = 0u64;
        let merged = merged_log(index, rid);
        let log: Box<dyn Iterator<Item = Entry<'_>>> = match &merged {
            Some(log) => Box::new(log.iter().copied()),
            None => Box::new(
                index
                    .decisions
                    .get(rid)
                    .into_iter()
                    .flatten()
                    .map(|((seq, _), d)| (*seq, d.author, d)),
            ),
        };
        for (seq, author, d) in log {
            let booking = d.booking.clone();
            // Decisions sealed with their bookings are passed over (see
            // [`crate::ledger::Ledger::seal`]).
            expected = index.past_sealed(rid, expected);
            if author != owner {
                cal.anomalies.push(Anomaly::NotOwner {
                    seq,
                    booking,
                    author,
                });
                continue;
            }
            if seq < expected {
                cal.anomalies.push(Anomaly::DuplicateSeq { seq, booking });
                continue;
            }
            if seq > expected {
                cal.waiting_for_decision = Some(expected);
                break;
            }
            expected += 1;
            if let Verdict::Transfer { to, units, note } = &d.verdict {
                let answer = index
                    .answers
                    .get(&(rid.clone(), seq, *to))
                    .map(|a| a.accept);
                match (units, answer) {
                    (None, Some(true)) => owner = *to,
                    (None, None) => {
                        cal.waiting_for_transfer = Some(seq);
                        break;
                    }
                    (_, Some(false)) => {}
                    (Some(n), accepted) => {
                        let terms = Terms {
                            quantity: *n,
                            ..d.terms
                        };
                        let reason = match accepted {
                            Some(true) => HeldFor::Transferred { to: *to },
                            _ => HeldFor::Offered { to: *to },
                        };
                        r.hold(cal, cap, seq, &booking, terms, (reason, None), note);
                    }
                }
                continue;
            }
            let request = index.requests.get(&booking);
            if request.is_some_and(|r| r.terms() != d.terms || &r.resource != rid) {
                cal.anomalies.push(Anomaly::TermsMismatch { seq, booking });
                continue;
            }
            r.apply(cal, cap, seq, booking, d);
        }
        // The owner's next number: after the replayed prefix and after
        // anything it already wrote further on (a former owner's entries
        // past the transfer do not count).
        if let Some(log) = &merged {
            for (seq, author, _) in log {
                if *author == owner {
                    owners_top = owners_top.max(*seq);
                }
            }
            cal.next_decision = expected.max(owners_top + 1);
        } else if owner != rid.owner {
            // Transferred, and the new owner has written nothing yet.
            cal.next_decision = expected;
        }
        cal.owner = Some(owner);
        cal.holds = r.holds.values().cloned().collect();
        cal.holds.sort_by_key(|h| h.seq);
        r
    }

    /// Holds `terms.quantity` units from `terms.start` on, if they are free
    /// (an anomaly otherwise, like a confirmation over capacity).
    #[allow(clippy::too_many_arguments)]
    fn hold(
        &mut self,
        cal: &mut ResourceCalendar,
        cap: Capacity,
        seq: u64,
        booking: &BookingId,
        terms: Terms,
        (reason, tag): (HeldFor, Option<String>),
        note: &str,
    ) {
        let until = (reason == HeldFor::Event).then_some(terms.end);
        if occupy(cal, cap, seq, booking, &terms) {
            self.holds.insert(
                booking.clone(),
                UnitHold {
                    booking: booking.clone(),
                    seq,
                    from: terms.start,
                    units: terms.quantity,
                    reason,
                    note: note.to_string(),
                    tag,
                    until,
                },
            );
        }
    }

    /// One decision, in turn.
    fn apply(
        &mut self,
        cal: &mut ResourceCalendar,
        cap: Capacity,
        seq: u64,
        booking: BookingId,
        d: &Decision,
    ) {
        let decided = self.confirmed.contains_key(&booking)
            || self.rejected.contains_key(&booking)
            || self.released.contains_key(&booking)
            || self.holds.contains_key(&booking);
        match &d.verdict {
            Verdict::Release { .. }
                if self
                    .holds
                    .get(&booking)
                    .is_some_and(|h| h.reason.repairable() || h.reason == HeldFor::Event) =>
            {
                // Repaired, or an event's hold lifted: the units are
                // bookable again.
                if let Some(h) = self.holds.remove(&booking) {
                    cal.occupancy.remove(&booking, h.from);
                }
            }
            Verdict::Hold { .. } | Verdict::Transfer { .. } if decided => {
                cal.anomalies.push(Anomaly::AlreadyDecided { seq, booking });
            }
            Verdict::Hold { hold, note, tag } => {
                let reason = match hold {
                    crate::asset::HoldKind::Damaged => HeldFor::Damaged,
                    crate::asset::HoldKind::Repairing => HeldFor::Repairing,
                    crate::asset::HoldKind::Event => HeldFor::Event,
                    crate::asset::HoldKind::Disposed { method } => {
                        HeldFor::Disposed { method: *method }
                    }
                };
                let tag = tag.as_ref().map(|t| t.to_string());
                self.hold(cal, cap, seq, &booking, d.terms, (reason, tag), note);
            }
            Verdict::Transfer { .. } => {}
            Verdict::Confirm | Verdict::Reject { .. } if decided => {
                cal.anomalies.push(Anomaly::AlreadyDecided { seq, booking });
            }
            Verdict::Confirm => {
                if occupy(cal, cap, seq, &booking, &d.terms) {
                    self.confirmed.insert(booking, d.terms);
                }
            }
            Verdict::Reject {
                reason,
                alternatives,
            } => {
                let status = Status::Rejected {
                    reason: reason.clone(),
                    alternatives: alternatives.clone(),
                };
                self.rejected.insert(booking, (d.terms, status));
            }
            Verdict::Release { why } => {
                if let Some(t) = self.confirmed.remove(&booking) {
                    cal.occupancy.remove(&booking, t.start);
                    self.released.insert(booking, why.clone());
                } else {
                    cal.anomalies.push(Anomaly::StrayRelease { seq, booking });
                }
            }
        }
    }

    /// Fills `cal`'s lists from the replay and the requests of `rid`:
    /// confirmed (or cancelled after confirmation), rejected, cancelled,
    /// void (requester revoked) and, unranked, the tentative requests.
    fn fill(
        &self,
        cal: &mut ResourceCalendar,
        index: &Index,
        roster: &Roster,
        rid: &ResourceId,
        with_requests: bool,
    ) {
        let request = |id: &BookingId| {
            with_requests
                .then(|| index.requests.get(id).cloned().map(Box::new))
                .flatten()
        };
        let make = |id: &BookingId, terms: Terms, status: Status| Booking {
            id: id.clone(),
            resource: rid.clone(),
            terms,
            request: request(id),
            status,
            // Filled in as a booking leaves the engine (`Engine::hydrate`):
            // a calendar brought forward in place never sees them.
            checked_in: None,
            decided_by: None,
        };
        for (id, terms) in &self.confirmed {
            if index.cancels.contains_key(id) {
                cal.to_release.push(make(id, *terms, Status::Cancelled));
                cal.cancelled.push(make(id, *terms, Status::Cancelled));
            } else {
                cal.confirmed.push(make(id, *terms, Status::Confirmed));
            }
        }
        for (id, (terms, status)) in &self.rejected {
            cal.rejected.push(make(id, *terms, status.clone()));
        }
        let mut waiting: Vec<&BookingRequest> = Vec::new();
        for id in index.by_resource.get(rid).into_iter().flatten() {
            if self.confirmed.contains_key(id) || self.rejected.contains_key(id) {
                continue;
            }
            let Some(req) = index.requests.get(id) else {
                continue;
            };
            if let Some(Some(why)) = self
                .released
                .get(id)
                .filter(|_| !index.cancels.contains_key(id))
            {
                let status = Status::Released { why: why.clone() };
                cal.cancelled.push(make(id, req.terms(), status));
            } else if index.cancels.contains_key(id) || self.released.contains_key(id) {
                cal.cancelled.push(make(id, req.terms(), Status::Cancelled));
            } else if !roster.is_active(&id.requester) {
                cal.void.push(make(id, req.terms(), Status::Void));
            } else {
                waiting.push(req);
            }
        }
        waiting.sort_by(|a, b| a.rank_key().cmp(&b.rank_key()));
        cal.tentative = waiting
            .into_iter()
            .map(|req| Booking {
                id: req.id.clone(),
                resource: req.resource.clone(),
                terms: req.terms(),
                request: with_requests.then(|| Box::new(req.clone())),
                status: Status::Tentative {
                    rank: 0,
                    fits: false,
                    waiting: req.wait_list,
                },
                checked_in: None,
                decided_by: None,
            })
            .collect();
    }
}

/// Confirms `terms` for `booking` in `cal`'s occupancy if the capacity
/// allows it; otherwise records an over-capacity anomaly and returns false.
pub(crate) fn occupy(
    cal: &mut ResourceCalendar,
    cap: Capacity,
    seq: u64,
    booking: &BookingId,
    terms: &Terms,
) -> bool {
    let usage = cap.usage(terms.quantity);
    if !cap.admits(terms.quantity)
        || cal.occupancy.peak(terms.start, terms.end) + usage > cap.limit()
    {
        cal.anomalies.push(Anomaly::OverCapacity {
            seq,
            booking: booking.clone(),
        });
        return false;
    }
    cal.occupancy
        .insert(booking.clone(), terms.start, terms.end, usage);
    true
}

/// Ranks the tentative requests from `from` on, behind those before them
/// (already ranked): each one's place in line among the overlapping
/// requests ahead, whether it fits the capacity they leave, and a conflict
/// when it does not.
pub(crate) fn rank_from(
    cal: &mut ResourceCalendar,
    capacity: Option<crate::resource::Capacity>,
    from: usize,
) {
    if from == 0 {
        cal.line = Occupancy::new();
        cal.fitting = Occupancy::new();
        cal.conflicts.clear();
    }
    for i in from..cal.tentative.len() {
        let b = &cal.tentative[i];
        let (s, e, quantity) = (b.terms.start, b.terms.end, b.terms.quantity);
        let place = u32::try_from(i).unwrap_or(u32::MAX);
        let rank = 1 + cal.line.overlapping(s, e).count() as u32;
        let fits = capacity.is_some_and(|cap| {
            cap.admits(quantity)
                && cal.occupancy.peak_with(&cal.fitting, s, e) + cap.usage(quantity) <= cap.limit()
        });
        let usage = capacity.map_or(1, |c| c.usage(quantity));
        cal.line.insert(place, s, e, usage);
        if fits {
            cal.fitting.insert(place, s, e, usage);
        } else if capacity.is_some() {
            // The tentative ones ahead that overlap are `rank - 1`.
            let ahead_count = cal.occupancy.overlapping(s, e).count() as u32 + rank - 1;
            let ahead = cal
                .occupancy
                .overlapping(s, e)
                .map(|(_, _, _, id)| id.clone())
                .chain(
                    cal.tentative[..i]
                        .iter()
                        .filter(|r| r.terms.start < e && s < r.terms.end)
                        .map(|r| r.id.clone()),
                )
                .take(MAX_AHEAD)
                .collect();
            cal.conflicts.push(Conflict {
                booking: cal.tentative[i].id.clone(),
                ahead,
                ahead_count,
                rank,
            });
        }
        let waiting = matches!(
            cal.tentative[i].status,
            Status::Tentative { waiting: true, .. }
        );
        cal.tentative[i].status = Status::Tentative {
            rank,
            fits,
            waiting,
        };
    }
}

/// The largest amount by which the confirmed bookings among `bookings`
/// exceed `resource`'s capacity at any instant: 0 when the capacity
/// invariant holds, `u32::MAX` for a confirmed booking the resource cannot
/// take at all. Computed from the bookings alone, independently of any
/// calendar's bookkeeping (the simulator, the demo and the tests check
/// replicas with it). Bookings of other resources are ignored.
pub fn excess<'a>(
    resource: &crate::resource::Resource,
    bookings: impl IntoIterator<Item = &'a Booking>,
) -> u32 {
    let mut events: Vec<(Timestamp, i64)> = Vec::new();
    for b in bookings {
        if b.resource != resource.id || b.status != Status::Confirmed {
            continue;
        }
        if !resource.capacity.admits(b.terms.quantity) {
            return u32::MAX;
        }
        let u = i64::from(resource.capacity.usage(b.terms.quantity));
        events.push((b.terms.start, u));
        events.push((b.terms.end, -u));
    }
    // Ends sort before starts at the same instant: back-to-back bookings
    // do not overlap.
    events.sort();
    let (mut cur, mut worst) = (0i64, 0i64);
    for (_, d) in events {
        cur += d;
        worst = worst.max(cur - i64::from(resource.capacity.limit()));
    }
    u32::try_from(worst).unwrap_or(u32::MAX)
}

/// Whether `terms` would fit on a resource now, given its calendar
/// (`buffer_s` seconds kept free on each side).
pub fn fits(
    cal: &ResourceCalendar,
    capacity: crate::resource::Capacity,
    terms: &Terms,
    buffer_s: i64,
) -> bool {
    // Exact to the nanosecond, as the replay's occupancy is: rounding to
    // whole seconds here once let the policy confirm what the replay then
    // refused (a sub-second overlap), again and again.
    let buffer = jiff::SignedDuration::from_secs(buffer_s);
    let s = terms.start.checked_sub(buffer).unwrap_or(terms.start);
    let e = terms.end.checked_add(buffer).unwrap_or(terms.end);
    capacity.admits(terms.quantity)
        && cal.occupancy.peak(s, e) + capacity.usage(terms.quantity) <= capacity.limit()
}

mod advance;
#[cfg(test)]
mod tests;

pub use advance::advance;
