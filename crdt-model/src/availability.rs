//! Free-slot search: "12 people, Hangzhou, video conference, 2 hours, next
//! Tuesday afternoon" → ranked candidates over many resources.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::ResourceCalendar;
use crate::ids::{AgencyId, ResourceId};
use crate::resource::{Capacity, Resource, ResourceKind, RuleViolation};

/// What the user is looking for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotQuery {
    /// Kind of resource, if any.
    #[serde(default)]
    pub kind: Option<ResourceKind>,
    /// City (matches the Chinese or English name, case-insensitive).
    #[serde(default)]
    pub city: Option<String>,
    /// Owner agency, if any.
    #[serde(default)]
    pub owner: Option<AgencyId>,
    /// People or units needed.
    pub quantity: u32,
    /// Feature tags all required.
    #[serde(default)]
    pub features: BTreeSet<String>,
    /// Length of the slot, minutes.
    pub duration_minutes: u32,
    /// Search window start.
    pub from: Timestamp,
    /// Search window end (slots end by then).
    pub to: Timestamp,
    /// Start times are multiples of this many minutes (default 30).
    #[serde(default = "default_step")]
    pub step_minutes: u32,
    /// Most candidates returned.
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Most candidates per resource.
    #[serde(default = "default_per_resource")]
    pub per_resource: usize,
    /// Who is asking (for sharing policies).
    pub requester: AgencyId,
}

fn default_step() -> u32 {
    30
}
fn default_limit() -> usize {
    20
}
fn default_per_resource() -> usize {
    3
}

/// A free slot on a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Resource.
    pub resource: ResourceId,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Size beyond what was asked (smaller is a better fit).
    pub spare: u32,
    /// Tentative requests by others overlapping the slot.
    pub competing: u32,
}

impl SlotQuery {
    /// Whether a resource matches everything but time.
    pub fn matches(&self, r: &Resource) -> bool {
        !r.retired
            && self.kind.as_ref().is_none_or(|k| *k == r.kind)
            && self.owner.is_none_or(|o| o == r.owner())
            && self.city.as_ref().is_none_or(|c| {
                let c = c.to_lowercase();
                r.location.city.zh == c || r.location.city.en.to_lowercase() == c
            })
            && r.capacity.admits(self.quantity)
            && self
                .features
                .iter()
                .all(|f| r.features.contains(&crate::resource::features::tag(f)))
            && r.shared_with(&self.requester)
    }
}

/// Searches every matching resource for free slots and ranks them: earliest
/// start, then best size fit, then least competition, then resource id.
pub fn find_slots<'a>(
    resources: impl IntoIterator<Item = &'a Resource>,
    calendar: impl Fn(&ResourceId) -> Option<&'a ResourceCalendar>,
    q: &SlotQuery,
    now: Timestamp,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for r in resources {
        if !q.matches(r) {
            continue;
        }
        slots_on(r, calendar(&r.id), q, now, &mut out);
    }
    out.sort_by(|a, b| {
        (a.start, a.spare, a.competing, &a.resource).cmp(&(
            b.start,
            b.spare,
            b.competing,
            &b.resource,
        ))
    });
    out.truncate(q.limit);
    out
}

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::MAX)
}

/// Free slots on one resource (up to `q.per_resource`), appended to `out`.
pub fn slots_on(
    r: &Resource,
    cal: Option<&ResourceCalendar>,
    q: &SlotQuery,
    now: Timestamp,
    out: &mut Vec<Candidate>,
) {
    let step = i64::from(q.step_minutes.max(1)) * 60;
    let dur = i64::from(q.duration_minutes.max(1)) * 60;
    let buf = i64::from(r.rules.buffer_minutes) * 60;
    let usage = r.capacity.usage(q.quantity);
    let limit = r.capacity.limit();
    let align = |t: i64| t.div_euclid(step) * step + if t.rem_euclid(step) == 0 { 0 } else { step };
    let mut t = align(q.from.max(now).as_second());
    let end = q.to.as_second();
    let mut found = 0;
    // Bound the work per resource even for pathological rules.
    let mut budget = 4_000;
    while t + dur <= end && found < q.per_resource && budget > 0 {
        budget -= 1;
        let (s, e) = (ts(t), ts(t + dur));
        match r.check_range(s, e, now) {
            Ok(()) => {}
            Err(RuleViolation::Closed) => {
                t = align(next_open(r, t, dur).unwrap_or(end));
                continue;
            }
            Err(RuleViolation::Blackout) => {
                let b_end = r
                    .rules
                    .blackouts
                    .iter()
                    .filter(|b| b.start < e && s < b.end)
                    .map(|b| b.end.as_second())
                    .max();
                t = align(b_end.unwrap_or(t + step).max(t + 1));
                continue;
            }
            Err(_) => return,
        }
        let occ_ok =
            cal.is_none_or(|c| c.occupancy.peak(ts(t - buf), ts(t + dur + buf)) + usage <= limit);
        if occ_ok {
            let competing = cal.map_or(0, |c| {
                c.tentative
                    .iter()
                    .filter(|b| b.terms.overlaps(s, e))
                    .count() as u32
            });
            out.push(Candidate {
                resource: r.id.clone(),
                start: s,
                end: e,
                spare: r.capacity.size().saturating_sub(match r.capacity {
                    Capacity::People(_) | Capacity::Units(_) => q.quantity,
                }),
                competing,
            });
            found += 1;
            t += dur.max(step);
            t = align(t);
        } else {
            let skip = cal
                .and_then(|c| c.occupancy.first_end_within(ts(t - buf), ts(t + dur + buf)))
                .map(|x| x.as_second() + buf)
                .unwrap_or(t + step);
            t = align(skip.max(t + step));
        }
    }
}

/// The next instant ≥ `t` at which a slot of `dur` seconds fits the opening
/// hours, looking up to 14 days ahead.
fn next_open(r: &Resource, t: i64, dur: i64) -> Option<i64> {
    let mut probe = t;
    for _ in 0..15 {
        if let Some((o, c)) = r.opening_on(ts(probe)) {
            let start = o.as_second().max(t);
            if start + dur <= c.as_second() {
                return Some(start);
            }
        }
        // Jump to the start of the next local day.
        let z = ts(probe).to_zoned(r.tz());
        let next = z.date().tomorrow().ok()?.to_zoned(r.tz()).ok()?;
        probe = next.timestamp().as_second();
    }
    None
}
