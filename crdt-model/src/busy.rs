//! Free/busy of owners this replica does not follow: when each of an
//! owner's resources is taken, and by how much, without who or why. A
//! replica that does not hold an owner's requests and decisions (see
//! [`crate::interest`]) asks the owner, or a peer that follows it, with
//! [`crate::engine::Message::BusyAsk`]; the answer is cached with its
//! source and age, and read by the calendar and the free-slot search.
//!
//! Free/busy is advice, not a decision: the owner still decides every
//! request against its whole calendar. The answer carries no text of the
//! answering agency (times, quantities and ids of resources in our own
//! catalogue only), so nothing from it reaches a terminal raw.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::ResourceCalendar;
use crate::ids::{AgencyId, BookingId, ResourceId};

/// The longest window one question may cover (93 days: a quarter).
pub const MAX_WINDOW_S: i64 = 93 * 24 * 3600;
/// Most owners in one question.
pub const MAX_OWNERS: usize = 64;
/// Most blocks in one answer (beyond them the answer is cut short and says
/// so).
pub const MAX_BLOCKS: usize = 20_000;

/// A span of time during which part of a resource is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyBlock {
    /// From.
    pub start: Timestamp,
    /// Until (exclusive).
    pub end: Timestamp,
    /// Capacity taken (people or units).
    pub usage: u32,
    /// A request waiting for the owner's decision (it takes nothing yet,
    /// but may).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tentative: bool,
}

/// One owner's free/busy as one replica holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerBusy {
    /// The owner.
    pub owner: Option<AgencyId>,
    /// Its resources' blocks within the window asked.
    pub resources: BTreeMap<ResourceId, Vec<BusyBlock>>,
    /// The answer was cut short at [`MAX_BLOCKS`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// Free/busy of one owner, as cached: what was answered, by whom, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyView {
    /// The owner.
    pub owner: AgencyId,
    /// The agency that answered (the owner, or a peer following it).
    pub source: AgencyId,
    /// When the answer arrived.
    pub fetched: Timestamp,
    /// The window it covers.
    pub from: Timestamp,
    /// End of the window.
    pub to: Timestamp,
    /// Its resources' blocks within the window (resources with nothing
    /// taken are left out).
    pub resources: BTreeMap<ResourceId, Vec<BusyBlock>>,
    /// The answer was cut short at [`MAX_BLOCKS`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl BusyView {
    /// Seconds since the answer arrived.
    pub fn age_s(&self, now: Timestamp) -> i64 {
        (now.as_second() - self.fetched.as_second()).max(0)
    }

    /// Whether it covers `[from, to)` whole.
    /// An answer cut short covers nothing: resources beyond the cut would
    /// look free.
    pub fn covers(&self, from: Timestamp, to: Timestamp) -> bool {
        !self.truncated && self.from <= from && to <= self.to
    }

    /// One resource's free/busy, as a calendar entry ([`ResourceCalendar::busy`]).
    pub fn of(&self, rid: &ResourceId) -> ResourceBusy {
        ResourceBusy {
            source: self.source,
            fetched: self.fetched,
            from: self.from,
            to: self.to,
            blocks: self.resources.get(rid).cloned().unwrap_or_default(),
        }
    }
}

/// One resource's free/busy, carried by the calendar of a resource whose
/// owner this replica does not follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceBusy {
    /// Who answered.
    pub source: AgencyId,
    /// When.
    pub fetched: Timestamp,
    /// The window covered.
    pub from: Timestamp,
    /// End of the window.
    pub to: Timestamp,
    /// Taken spans, by start.
    pub blocks: Vec<BusyBlock>,
}

impl ResourceBusy {
    /// Puts these blocks in `cal`'s occupancy (confirmed ones) so that the
    /// free-slot search and the free filter see them, and keeps them in
    /// [`ResourceCalendar::busy`].
    pub fn fill(self, cal: &mut ResourceCalendar) {
        for (i, b) in self.blocks.iter().enumerate().filter(|(_, b)| !b.tentative) {
            let id = BookingId {
                requester: self.source,
                local: compact_str::format_compact!("busy-{i}"),
            };
            cal.occupancy.insert(id, b.start, b.end, b.usage);
        }
        cal.busy = Some(Box::new(self));
    }
}

/// Why a question is refused (it changes nothing; the answer is empty).
pub fn check_window(from: Timestamp, to: Timestamp) -> Result<(), &'static str> {
    if to <= from {
        return Err("the window ends before it starts");
    }
    if to.as_second() - from.as_second() > MAX_WINDOW_S {
        return Err("the window is longer than 93 days");
    }
    Ok(())
}

/// The blocks of `cal` within `[from, to)`: confirmed occupancy (bookings,
/// units out of service) and undecided requests, by start. Adds to
/// `budget`'s count; stops at zero.
pub fn blocks_of(
    cal: &ResourceCalendar,
    capacity: crate::resource::Capacity,
    from: Timestamp,
    to: Timestamp,
    budget: &mut usize,
) -> Vec<BusyBlock> {
    let mut out: Vec<BusyBlock> = cal
        .occupancy
        .overlapping(from, to)
        .map(|(s, e, usage, _)| BusyBlock {
            start: s,
            end: e,
            usage,
            tentative: false,
        })
        .chain(
            cal.tentative
                .iter()
                .filter(|b| b.terms.overlaps(from, to))
                .map(|b| BusyBlock {
                    start: b.terms.start,
                    end: b.terms.end,
                    usage: capacity.usage(b.terms.quantity),
                    tentative: true,
                }),
        )
        .take(*budget)
        .collect();
    *budget -= out.len();
    out.sort_by_key(|b| (b.start, b.end, b.tentative));
    out
}

/// Keeps of a received answer only what is well formed: blocks of
/// positive length within the window, on resources `known` names (those
/// of our catalogue `owner` holds now), at most [`MAX_BLOCKS`] in all.
pub fn sanitize(
    owner: AgencyId,
    answer: OwnerBusy,
    from: Timestamp,
    to: Timestamp,
    known: impl Fn(&ResourceId) -> bool,
) -> OwnerBusy {
    let mut left = MAX_BLOCKS;
    let mut truncated = answer.truncated;
    let mut resources = BTreeMap::new();
    for (rid, blocks) in answer.resources {
        if !known(&rid) {
            continue;
        }
        let mut kept: Vec<BusyBlock> = blocks
            .into_iter()
            .filter(|b| b.start < b.end && b.end > from && b.start < to)
            .collect();
        if kept.len() > left {
            kept.truncate(left);
            truncated = true;
        }
        left -= kept.len();
        kept.sort_by_key(|b| (b.start, b.end, b.tentative));
        if !kept.is_empty() {
            resources.insert(rid, kept);
        }
    }
    OwnerBusy {
        owner: Some(owner),
        resources,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("instant")
    }

    fn block(s: i64, e: i64) -> BusyBlock {
        BusyBlock {
            start: t(s),
            end: t(e),
            usage: 1,
            tentative: false,
        }
    }

    #[test]
    fn an_answer_keeps_only_the_owners_known_resources_within_the_window() {
        let (owner, other) = (AgencyId([1; 32]), AgencyId([2; 32]));
        let room = ResourceId::new(owner, "room").expect("id");
        let unknown = ResourceId::new(owner, "unknown").expect("id");
        let theirs = ResourceId::new(other, "room").expect("id");
        let answer = OwnerBusy {
            owner: Some(owner),
            resources: [
                (
                    room.clone(),
                    vec![
                        block(100, 200),
                        block(300, 300),
                        block(5_000, 6_000),
                        block(-50, 10),
                    ],
                ),
                (unknown, vec![block(100, 200)]),
                (theirs.clone(), vec![block(100, 200)]),
            ]
            .into_iter()
            .collect(),
            truncated: false,
        };
        // The caller knows the owner's resources of its catalogue.
        let known = |r: &ResourceId| *r == room;
        let clean = sanitize(owner, answer, t(0), t(1_000), known);
        assert_eq!(clean.resources.len(), 1, "{clean:?}");
        // Empty and out-of-window blocks go; one overlapping the start stays.
        assert_eq!(
            clean.resources[&room],
            vec![block(-50, 10), block(100, 200)]
        );
    }

    #[test]
    fn a_window_must_be_forward_and_at_most_a_quarter() {
        assert!(check_window(t(10), t(10)).is_err());
        assert!(check_window(t(10), t(0)).is_err());
        assert!(check_window(t(0), t(MAX_WINDOW_S + 1)).is_err());
        assert!(check_window(t(0), t(MAX_WINDOW_S)).is_ok());
    }
}
