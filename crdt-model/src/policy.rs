//! The owner's decision policy, as pure functions. The owner's node runs
//! them; every other replica only checks the result (see [`crate::calendar`]).
//!
//! Automatic resources confirm the earliest request (HLC, then requester,
//! then id) that fits capacity and rules, and reject the rest with up to
//! three alternatives. An occurrence of a recurring series is decided with
//! its whole series, once every occurrence has arrived, at the place of the
//! first in line: the occurrences that fit are confirmed and those that do
//! not are rejected as skipped, if there are no more of those than the
//! resource's `max_conflicts`; otherwise every occurrence is rejected with
//! the dates that conflict. Approval-required resources queue for an
//! operator. Cancelled confirmations are always released automatically.
//!
//! A request on the waiting list (`wait_list`) that does not fit for lack
//! of capacity or quota is left undecided instead of rejected; each time
//! the policy runs (any change to the resource, and every anti-entropy
//! tick) the waiting requests are judged again in their order, so the
//! first that fits once capacity frees (a cancellation, a release, a
//! no-show, a rejection ahead) is confirmed. At its start a request still
//! waiting is rejected as expired. On a resource with `checkin_minutes`,
//! a confirmed booking still running without a check-in that many minutes
//! after its start is released as a no-show.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::availability::{SlotQuery, slots_on};
use crate::booking::{Alternative, ReleaseWhy, Status, Terms, Verdict};
use crate::calendar::{Booking, ResourceCalendar, fits};
use crate::ids::{BookingId, ResourceId};
use crate::ledger::Index;
use crate::resource::{Approval, Resource};

/// Every resource's calendar, by id (the engine's), where alternatives are
/// looked for.
pub type Calendars = std::collections::BTreeMap<ResourceId, ResourceCalendar>;

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
    /// Confirming would exceed one of the requester's quotas.
    #[error("{0}")]
    Quota(String),
    /// The resource is not in the catalogue.
    #[error("unknown resource")]
    UnknownResource,
}

/// Decisions the owner's node should take by itself now on `resource`:
/// releases of cancelled confirmations, and for automatic resources a
/// verdict on every tentative request in rank order.
pub fn auto_decisions(
    index: &Index,
    calendars: &Calendars,
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
            verdict: Verdict::Release { why: None },
        })
        .collect();
    let no_shows = no_shows(index, resource, cal, now);
    out.extend(no_shows.iter().map(|b| Draft {
        booking: b.id.clone(),
        terms: b.terms,
        verdict: Verdict::Release {
            why: Some(ReleaseWhy::NoShow),
        },
    }));
    let waits = |b: &Booking| index.requests.get(&b.id).is_some_and(|r| r.wait_list);
    if cal.waiting_for_decision.is_some() {
        return out;
    }
    // Waiting requests whose start has come without capacity: expired.
    let expired = |b: &Booking| waits(b) && now >= b.terms.start;
    if resource.rules.approval != Approval::Automatic {
        out.extend(cal.tentative.iter().filter(|b| expired(b)).map(expire));
        return out;
    }
    let mut working = cal.clone();
    for b in cal.to_release.iter().chain(no_shows) {
        working.occupancy.remove(&b.id, b.terms.start);
    }
    let buffer = i64::from(resource.rules.buffer_minutes) * 60;
    let mut series_done: std::collections::BTreeSet<&BookingId> = Default::default();
    let mut granted: Vec<Booking> = Vec::new();
    for b in &cal.tentative {
        if let Some(s) = index.requests.get(&b.id).and_then(|r| r.series.as_ref()) {
            if series_done.insert(&s.first) {
                out.extend(decide_series(
                    (index, calendars),
                    resource,
                    cal,
                    (&mut working, &mut granted),
                    &s.first,
                    s.count,
                    buffer,
                    now,
                ));
            }
            continue;
        }
        if expired(b) {
            out.push(expire(b));
            continue;
        }
        let verdict = match judge(resource, &working, &granted, b, buffer, now) {
            Ok(()) => {
                if !resource.rules.quotas.is_empty() {
                    granted.push(b.clone());
                }
                let usage = resource.capacity.usage(b.terms.quantity);
                working
                    .occupancy
                    .insert(b.id.clone(), b.terms.start, b.terms.end, usage);
                Verdict::Confirm
            }
            // On the waiting list, what only capacity or a quota stands
            // in the way of waits for them to free.
            Err(_) if waits(b) && rules_allow(resource, b, now) => continue,
            Err(reason) => Verdict::Reject {
                reason,
                alternatives: alternatives(index, calendars, resource, &working, b, now),
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

/// The rejection of a waiting request whose start came before capacity
/// freed.
fn expire(b: &Booking) -> Draft {
    Draft {
        booking: b.id.clone(),
        terms: b.terms,
        verdict: Verdict::Reject {
            reason: Text::new(
                "候补到期：开始前未空出名额",
                "waiting list expired: nothing freed up before the start",
            ),
            alternatives: Vec::new(),
        },
    }
}

/// Whether the resource's rules (not its capacity or quotas) allow `b`.
fn rules_allow(resource: &Resource, b: &Booking, now: Timestamp) -> bool {
    check_rules(resource, b, now).is_ok()
}

/// The resource's rules (duration, horizon, opening hours, blackouts,
/// sharing) applied to `b`.
fn check_rules(
    resource: &Resource,
    b: &Booking,
    now: Timestamp,
) -> Result<(), crate::resource::RuleViolation> {
    resource.check(
        &b.id.requester,
        b.terms.start,
        b.terms.end,
        b.terms.quantity,
        now,
    )
}

/// The confirmed bookings of a resource that asks for check-in, running
/// now, whose check-in minutes have passed without one (and not
/// cancelled, which releases them anyway). The minutes count from the
/// start, or from the request if it was made later (a booking asked for
/// after its start gets its minutes too).
pub fn no_shows<'a>(
    index: &Index,
    resource: &Resource,
    cal: &'a ResourceCalendar,
    now: Timestamp,
) -> Vec<&'a Booking> {
    let minutes = i64::from(resource.rules.checkin_minutes);
    if minutes == 0 {
        return Vec::new();
    }
    let Ok(after) = Timestamp::from_second(now.as_second() + 1) else {
        return Vec::new();
    };
    let due = |start: Timestamp, id: &BookingId| {
        let asked = index
            .requests
            .get(id)
            .map_or(i64::MAX / 2, |r| r.hlc.wall_ms.div_euclid(1000));
        start.as_second().max(asked) + minutes * 60 <= now.as_second()
    };
    let running: std::collections::BTreeSet<&BookingId> = cal
        .occupancy
        .overlapping(now, after)
        .filter(|(start, _, _, id)| due(*start, id))
        .map(|(_, _, _, id)| id)
        .collect();
    if running.is_empty() {
        return Vec::new();
    }
    cal.confirmed
        .iter()
        .filter(|b| running.contains(&b.id))
        .filter(|b| !index.checkins.contains_key(&b.id) && !index.cancels.contains_key(&b.id))
        .collect()
}

/// Every booking of the series named by `first` on this calendar, in
/// occurrence order, whatever its status.
pub fn occurrences<'a>(
    index: &Index,
    cal: &'a ResourceCalendar,
    first: &BookingId,
) -> Vec<&'a Booking> {
    let series = |b: &Booking| index.requests.get(&b.id).and_then(|r| r.series.as_deref());
    let mut all: Vec<(&Booking, u32)> = [
        &cal.tentative,
        &cal.confirmed,
        &cal.rejected,
        &cal.cancelled,
        &cal.void,
    ]
    .into_iter()
    .flatten()
    .filter(|b| b.id.requester == first.requester)
    .filter_map(|b| {
        series(b)
            .filter(|s| s.first == *first)
            .map(|s| (b, s.index))
    })
    .collect();
    all.sort_by_key(|(_, i)| *i);
    all.into_iter().map(|(b, _)| b).collect()
}

/// The verdicts on a series' undecided occurrences, taken together (see
/// the module doc); none until all `count` occurrences have arrived.
#[allow(clippy::too_many_arguments)]
fn decide_series(
    (index, calendars): (&Index, &Calendars),
    resource: &Resource,
    cal: &ResourceCalendar,
    (working, granted): (&mut ResourceCalendar, &mut Vec<Booking>),
    first: &BookingId,
    count: u32,
    buffer: i64,
    now: Timestamp,
) -> Vec<Draft> {
    let all = occurrences(index, cal, first);
    if all.len() < count as usize {
        return Vec::new();
    }
    let open: Vec<&Booking> = all
        .into_iter()
        .filter(|b| matches!(b.status, Status::Tentative { .. }))
        .collect();
    let before = working.clone();
    let granted_before = granted.len();
    let mut fit = Vec::new();
    let mut conflicts: Vec<(&Booking, Text)> = Vec::new();
    for b in &open {
        match judge(resource, working, granted, b, buffer, now) {
            Ok(()) => {
                if !resource.rules.quotas.is_empty() {
                    granted.push((*b).clone());
                }
                let usage = resource.capacity.usage(b.terms.quantity);
                working
                    .occupancy
                    .insert(b.id.clone(), b.terms.start, b.terms.end, usage);
                fit.push(*b);
            }
            Err(why) => conflicts.push((*b, why)),
        }
    }
    // A count, or a share of the series (whichever allows more).
    let share = u64::from(count) * u64::from(resource.rules.max_conflict_percent) / 100;
    let allowed = resource
        .rules
        .max_conflicts
        .max(u32::try_from(share).unwrap_or(u32::MAX));
    if conflicts.len() <= allowed as usize {
        let mut out: Vec<Draft> = fit
            .into_iter()
            .map(|b| Draft {
                booking: b.id.clone(),
                terms: b.terms,
                verdict: Verdict::Confirm,
            })
            .collect();
        for (b, why) in conflicts {
            out.push(Draft {
                booking: b.id.clone(),
                terms: b.terms,
                verdict: Verdict::Reject {
                    reason: Text::new(
                        format!("系列中跳过此次：{}", why.get("zh")),
                        format!("skipped in the series: {}", why.get("en")),
                    ),
                    alternatives: alternatives(index, calendars, resource, working, b, now),
                },
            });
        }
        return out;
    }
    // Too many conflicts: the whole series is rejected, naming the dates.
    *working = before;
    granted.truncate(granted_before);
    let tz = resource.tz();
    let dates: Vec<String> = conflicts
        .iter()
        .take(10)
        .map(|(b, _)| {
            b.terms
                .start
                .to_zoned(tz.clone())
                .strftime("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let more = if conflicts.len() > 10 { " …" } else { "" };
    let reason = Text::new(
        format!(
            "系列有 {} 次冲突（最多允许 {allowed} 次）：{}{more}",
            conflicts.len(),
            dates.join("、")
        ),
        format!(
            "{} dates of the series conflict ({allowed} allowed): {}{more}",
            conflicts.len(),
            dates.join(", ")
        ),
    );
    open.into_iter()
        .map(|b| Draft {
            booking: b.id.clone(),
            terms: b.terms,
            verdict: Verdict::Reject {
                reason: reason.clone(),
                alternatives: Vec::new(),
            },
        })
        .collect()
}

/// Whether `b` may be confirmed now: the resource's rules, the free
/// capacity, and its quotas given what is confirmed (`cal`) and granted
/// earlier in this pass (`granted`).
fn judge(
    resource: &Resource,
    cal: &ResourceCalendar,
    granted: &[Booking],
    b: &Booking,
    buffer: i64,
    now: Timestamp,
) -> Result<(), Text> {
    check_rules(resource, b, now).map_err(|v| v.text())?;
    if !fits(cal, resource.capacity, &b.terms, buffer) {
        return Err(Text::new("该时段已被预约", "the slot is already taken"));
    }
    crate::quota::within(resource, cal.confirmed.iter().chain(granted), b)
}

/// An operator's decision on a tentative request, checked against capacity.
pub fn manual_decision(
    resource: &Resource,
    cal: &ResourceCalendar,
    (index, calendars): (&Index, &Calendars),
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
        crate::quota::within(resource, cal.confirmed.iter(), b)
            .map_err(|t| DecideError::Quota(t.en))?;
        Verdict::Confirm
    } else {
        Verdict::Reject {
            reason: reason.unwrap_or_else(|| Text::new("管理员拒绝", "declined by the operator")),
            alternatives: alternatives(index, calendars, resource, cal, b, now),
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
/// equivalent resources of the same owner and kind free at the asked time
/// (as their calendars in `calendars` show; one without a calendar there is
/// not offered).
pub fn alternatives(
    index: &Index,
    calendars: &Calendars,
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
        // Free if the request fits its calendar (its capacity and what is
        // confirmed there, in O(log n): scanning its decisions made every
        // rejection by an owner of many busy resources slow).
        let buffer = i64::from(other.rules.buffer_minutes) * 60;
        let busy = calendars
            .get(&other.id)
            .is_none_or(|c| !fits(c, other.capacity, &b.terms, buffer));
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
