//! Read-only questions a local client asks a replica, answered from the
//! engine's state: the catalogue filtered (by kind, city, owner, and free
//! over a range), bookings filtered, one booking, one calendar, free slots. Each is a
//! type implementing [`Query`], so a node answers them without knowing
//! what they compute, and they are unit-tested here.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::booking::{Status, Terms};
use crate::calendar::{Booking, ResourceCalendar, fits};
use crate::engine::Engine;
use crate::ids::{AgencyId, BookingId, ResourceId};
use crate::resource::{Resource, ResourceKind};

/// A question about a replica, answered at `now`.
pub trait Query {
    /// What it answers.
    type Answer;
    /// Answers it from `engine`'s state at `now`.
    fn answer(&self, engine: &Engine, now: Timestamp) -> Self::Answer;
}

/// A question that is malformed (it changes nothing).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The free range is incomplete or empty.
    #[error("free_from and free_to go together, with free_from < free_to")]
    FreeRange,
    /// No such resource.
    #[error("unknown resource {0}")]
    UnknownResource(ResourceId),
    /// No such booking.
    #[error("unknown booking {0}")]
    UnknownBooking(BookingId),
}

/// Resources of the catalogue; every filter optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceFilter {
    /// Kind, as its code (`meeting_room`) or any other name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// City, Chinese or English (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Owner agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<AgencyId>,
    /// With `free_to`: only resources open, shared with this agency and with
    /// room for `quantity` (default 1) over the whole range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_from: Option<Timestamp>,
    /// End of the free range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_to: Option<Timestamp>,
    /// Units needed in the free range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// Only resources unused for this many days, with nothing booked ahead
    /// and not retired (idle assets, available for transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<u32>,
}

impl ResourceFilter {
    /// Whether `r` is free for this agency over the range, if one is given.
    fn free(&self, engine: &Engine, r: &Resource, now: Timestamp) -> bool {
        let (Some(start), Some(end)) = (self.free_from, self.free_to) else {
            return true;
        };
        let quantity = self.quantity.unwrap_or(1).max(1);
        let terms = Terms {
            start,
            end,
            quantity,
        };
        let buffer = i64::from(r.rules.buffer_minutes) * 60;
        r.check(&engine.id(), start, end, quantity, now).is_ok()
            && engine
                .calendar(&r.id)
                .is_none_or(|cal| fits(cal, r.capacity, &terms, buffer))
    }
}

impl Query for ResourceFilter {
    type Answer = Result<Vec<Resource>, QueryError>;

    fn answer(&self, engine: &Engine, now: Timestamp) -> Self::Answer {
        match (self.free_from, self.free_to) {
            (None, None) => {}
            (Some(a), Some(b)) if a < b => {}
            _ => return Err(QueryError::FreeRange),
        }
        let kind: Option<ResourceKind> = self
            .kind
            .as_ref()
            .map(|k| k.parse().unwrap_or(ResourceKind::Other(k.clone())));
        let city = self.city.as_ref().map(|c| c.to_lowercase());
        Ok(engine
            .ledger()
            .index()
            .resources
            .values()
            .filter(|r| kind.as_ref().is_none_or(|k| *k == r.kind))
            .filter(|r| self.owner.is_none_or(|o| o == r.owner()))
            .filter(|r| {
                city.as_ref().is_none_or(|c| {
                    r.location.city.zh == *c || r.location.city.en.to_lowercase() == *c
                })
            })
            .filter(|r| self.free(engine, r, now))
            .filter(|r| {
                self.idle_days.is_none_or(|days| {
                    let since = now - jiff::SignedDuration::from_hours(24 * i64::from(days));
                    !r.retired
                        && engine
                            .calendar(&r.id)
                            .is_none_or(|cal| crate::asset::view::idle_since(cal, since))
                })
            })
            .map(|r| (**r).clone())
            .collect())
    }
}

/// Bookings, by start; every filter optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFilter {
    /// One resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceId>,
    /// Only bookings ending after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Only bookings starting before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Only this agency's requests.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// Only tentative requests for this agency's resources (its decisions).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// Only requests this person of the agency made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Query for BookingFilter {
    type Answer = Vec<Booking>;

    fn answer(&self, engine: &Engine, _now: Timestamp) -> Self::Answer {
        let me = engine.id();
        // A range reaching before what the replica sealed is read with the
        // sealed documents back from the store (see
        // [`crate::ledger::Ledger::seal`]); if they cannot be read, from
        // what is in memory.
        if self.reads_sealed(engine.ledger())
            && let Ok(ledger) = engine.ledger().unsealed_copy()
        {
            return self.answer_unsealed(&ledger, me);
        }
        let all = engine
            .calendars()
            .iter()
            .filter(|(r, _)| self.resource.as_ref().is_none_or(|x| x == *r))
            .flat_map(|(_, c)| c.all());
        self.select(me, engine.ledger().index(), all, |b| {
            engine.hydrate(b.clone())
        })
    }
}

impl BookingFilter {
    /// Whether the range starts before what `ledger` sealed: the answer
    /// then reads the sealed records back ([`BookingFilter::answer_unsealed`]
    /// on [`crate::ledger::Ledger::unsealed_copy`]).
    pub fn reads_sealed(&self, ledger: &crate::ledger::Ledger) -> bool {
        let cut = ledger.seal_cut();
        cut.is_some_and(|cut| self.from.is_some_and(|f| f < cut))
    }

    /// The bookings from a replica holding everything in memory (a copy
    /// with its sealed documents back), for agency `me`.
    pub fn answer_unsealed(&self, ledger: &crate::ledger::Ledger, me: AgencyId) -> Vec<Booking> {
        let (index, roster) = (ledger.index(), ledger.roster());
        let rids: std::collections::BTreeSet<&ResourceId> = match &self.resource {
            Some(r) => [r].into_iter().collect(),
            None => index
                .resources
                .keys()
                .chain(index.by_resource.keys())
                .collect(),
        };
        let all: Vec<Booking> = rids
            .into_iter()
            .flat_map(|r| {
                let cal = crate::calendar::calendar_with(index, roster, r, false);
                cal.all().cloned().collect::<Vec<_>>()
            })
            .collect();
        self.select(me, index, all.iter(), |b| {
            let mut b = b.clone();
            crate::calendar::fill(index, &mut b);
            b
        })
    }

    /// The bookings of `all` this filter lets through, by start, each
    /// made whole by `hydrate`.
    fn select<'a>(
        &self,
        me: AgencyId,
        index: &crate::ledger::Index,
        all: impl Iterator<Item = &'a Booking>,
        hydrate: impl Fn(&Booking) -> Booking,
    ) -> Vec<Booking> {
        let mut out: Vec<Booking> = all
            .filter(|b| self.resource.as_ref().is_none_or(|x| *x == b.resource))
            .filter(|b| !self.mine || b.id.requester == me)
            .filter(|b| {
                self.by.as_deref().is_none_or(|who| {
                    b.id.requester == me
                        && index.requests.get(&b.id).and_then(|r| r.by.as_deref()) == Some(who)
                })
            })
            .filter(|b| match (self.from, self.to) {
                (Some(a), Some(z)) => b.terms.overlaps(a, z),
                (Some(a), None) => b.terms.end > a,
                (None, Some(z)) => b.terms.start < z,
                (None, None) => true,
            })
            .filter(|b| {
                !self.pending
                    || (matches!(b.status, Status::Tentative { .. }) && b.resource.owner == me)
            })
            .map(hydrate)
            .collect();
        out.sort_by(|a, b| (a.terms.start, &a.id).cmp(&(b.terms.start, &b.id)));
        out
    }
}

/// One booking as it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingQuery {
    /// The booking.
    pub id: BookingId,
}

impl Query for BookingQuery {
    type Answer = Result<Booking, QueryError>;

    fn answer(&self, engine: &Engine, _now: Timestamp) -> Self::Answer {
        engine
            .booking(&self.id)
            .ok_or_else(|| QueryError::UnknownBooking(self.id.clone()))
    }
}

/// Every occurrence of the recurring series a booking belongs to, in
/// order (the booking alone when it does not repeat).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesQuery {
    /// Any occurrence of the series.
    pub id: BookingId,
}

impl Query for SeriesQuery {
    type Answer = Result<Vec<Booking>, QueryError>;

    fn answer(&self, engine: &Engine, _now: Timestamp) -> Self::Answer {
        let one = engine
            .booking(&self.id)
            .ok_or_else(|| QueryError::UnknownBooking(self.id.clone()))?;
        let Some(first) = one
            .request
            .as_ref()
            .and_then(|r| r.series.as_ref())
            .map(|s| s.first.clone())
        else {
            return Ok(vec![one]);
        };
        let Some(cal) = engine.calendars().get(&one.resource) else {
            return Ok(vec![one]);
        };
        let index = engine.ledger().index();
        Ok(crate::policy::occurrences(index, cal, &first)
            .into_iter()
            .filter_map(|b| engine.booking(&b.id))
            .collect())
    }
}

/// The owners' holds for events and emergencies (重大活动 / 应急保障) not
/// yet over, with the bookings they released.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldsQuery {
    /// Only this owner's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<AgencyId>,
}

/// One resource held for an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldView {
    /// The resource.
    pub resource: ResourceId,
    /// The hold (its `note` is the reason, `until` its end).
    pub hold: crate::calendar::UnitHold,
    /// Confirmed bookings the owner withdrew for it (those overlapping it).
    pub released: Vec<Booking>,
}

impl Query for HoldsQuery {
    type Answer = Vec<HoldView>;

    fn answer(&self, engine: &Engine, now: Timestamp) -> Self::Answer {
        let mut out = Vec::new();
        for (rid, cal) in engine.calendars() {
            if self
                .owner
                .is_some_and(|o| cal.owner.unwrap_or(rid.owner) != o)
            {
                continue;
            }
            for h in &cal.holds {
                let Some(until) = h.until.filter(|u| *u > now) else {
                    continue;
                };
                let released = cal
                    .cancelled
                    .iter()
                    .filter(|b| {
                        matches!(
                            b.status,
                            Status::Released {
                                why: crate::booking::ReleaseWhy::Withdrawn { .. }
                            }
                        ) && b.terms.overlaps(h.from, until)
                    })
                    .map(|b| engine.hydrate(b.clone()))
                    .collect();
                out.push(HoldView {
                    resource: rid.clone(),
                    hold: h.clone(),
                    released,
                });
            }
        }
        out.sort_by(|a, b| (a.hold.from, &a.resource).cmp(&(b.hold.from, &b.resource)));
        out
    }
}

/// One resource's full calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceQuery {
    /// The resource.
    pub resource: ResourceId,
}

impl Query for ResourceQuery {
    type Answer = Result<ResourceCalendar, QueryError>;

    fn answer(&self, engine: &Engine, _now: Timestamp) -> Self::Answer {
        engine
            .calendar_full(&self.resource)
            .ok_or_else(|| QueryError::UnknownResource(self.resource.clone()))
    }
}

/// Free slots, best first, for this agency (the query's `requester` is
/// replaced by the replica's own agency).
impl Query for crate::availability::SlotQuery {
    type Answer = Vec<crate::availability::Candidate>;

    fn answer(&self, engine: &Engine, now: Timestamp) -> Self::Answer {
        let mut q = self.clone();
        q.requester = engine.id();
        engine.find_slots(&q, now)
    }
}

/// The resources a user's `arg` may mean (the command line's and the
/// booking form's resource field): its exact id if there is one; otherwise
/// those whose id starts with it (4 characters at least), whose local id
/// is it, or whose name is it (English in any case). Retired resources
/// only when nothing else fits.
pub fn named<'a>(all: &'a [Resource], arg: &str) -> Vec<&'a Resource> {
    if let Some(r) = all.iter().find(|r| r.id.to_string() == arg) {
        return vec![r];
    }
    let fits = |r: &&Resource| {
        (arg.chars().count() >= 4 && r.id.to_string().starts_with(arg))
            || r.id.local.as_str() == arg
            || r.name.zh == arg
            || r.name.en.eq_ignore_ascii_case(arg)
    };
    let found: Vec<&Resource> = all.iter().filter(fits).collect();
    let open: Vec<&Resource> = found.iter().copied().filter(|r| !r.retired).collect();
    if open.is_empty() { found } else { open }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{LocalOp, LocalOutcome};
    use crate::resource::{Approval, Capacity};
    use crate::sim::{Sim, test_resource};

    const START: i64 = 1_795_000_000_000;

    fn at(h: i64) -> Timestamp {
        Timestamp::from_millisecond(START + 3_600_000 * (24 + h)).expect("instant")
    }

    /// Agency 0 owns a room for 4 (decided by hand) and a car park of 2;
    /// agency 1 asked for the room 10:00–11:00 for 3 people.
    fn replica() -> (Sim, ResourceId, ResourceId, BookingId) {
        let mut sim = Sim::new(5, 2, START);
        sim.run_until_quiet(1_000);
        let room = test_resource(sim.id(0), "room", Capacity::People(4), Approval::Required);
        let lot = test_resource(sim.id(0), "lot", Capacity::Units(2), Approval::Automatic);
        let (room_id, lot_id) = (room.id.clone(), lot.id.clone());
        for r in [room, lot] {
            sim.local(0, LocalOp::PutResource(Box::new(r)))
                .expect("publish");
        }
        sim.run_until_quiet(1_000);
        let Ok(LocalOutcome::Booking(b)) = sim.local(
            1,
            LocalOp::Book {
                wait_list: false,
                resource: room_id.clone(),
                start: at(10),
                end: at(11),
                quantity: 3,
                contact: String::new(),
                purpose: String::new(),
            },
        ) else {
            panic!("booked");
        };
        sim.run_until_quiet(1_000);
        (sim, room_id, lot_id, b.id)
    }

    #[test]
    fn resources_filter_by_owner_kind_city_and_free_range() {
        let (mut sim, room, lot, _) = replica();
        // The car park confirms at once: 10:00–11:00 it is full.
        sim.local(
            1,
            LocalOp::Book {
                wait_list: false,
                resource: lot.clone(),
                start: at(10),
                end: at(11),
                quantity: 2,
                contact: String::new(),
                purpose: String::new(),
            },
        )
        .expect("booked");
        sim.run_until_quiet(1_000);
        let e = sim.engine(1);
        let now = sim.now();
        let ids = |f: &ResourceFilter| -> Vec<ResourceId> {
            f.answer(e, now)
                .expect("valid")
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(&ResourceFilter::default()).len(), 2);
        let parking = ResourceFilter {
            kind: Some("parking".into()),
            ..Default::default()
        };
        assert_eq!(ids(&parking), vec![lot]);
        let city = ResourceFilter {
            city: Some("HANGZHOU".into()),
            owner: Some(sim.id(0)),
            ..Default::default()
        };
        assert_eq!(ids(&city).len(), 2, "city in any case, English or Chinese");
        // 10:00–11:00: the car park is full; the room's request waits for
        // its owner (only confirmed bookings take room), and it holds 4.
        let free = |quantity| ResourceFilter {
            free_from: Some(at(10)),
            free_to: Some(at(11)),
            quantity: Some(quantity),
            ..Default::default()
        };
        assert_eq!(ids(&free(1)), vec![room]);
        assert!(ids(&free(5)).is_empty(), "nothing holds 5");
        let later = ResourceFilter {
            free_from: Some(at(11)),
            free_to: Some(at(12)),
            ..Default::default()
        };
        assert_eq!(ids(&later).len(), 2, "both free after 11:00");
        let backwards = ResourceFilter {
            free_from: Some(at(11)),
            free_to: Some(at(10)),
            ..Default::default()
        };
        assert_eq!(backwards.answer(e, now), Err(QueryError::FreeRange));
    }

    #[test]
    fn bookings_filter_mine_pending_and_range() {
        let (sim, room, _, id) = replica();
        let now = sim.now();
        let mine = BookingFilter {
            mine: true,
            ..Default::default()
        };
        assert_eq!(mine.answer(sim.engine(1), now).len(), 1);
        assert!(
            mine.answer(sim.engine(0), now).is_empty(),
            "not the owner's own"
        );
        let pending = BookingFilter {
            pending: true,
            ..Default::default()
        };
        assert_eq!(
            pending.answer(sim.engine(0), now)[0].id,
            id,
            "the owner decides"
        );
        assert!(pending.answer(sim.engine(1), now).is_empty());
        let later = BookingFilter {
            resource: Some(room),
            from: Some(at(11)),
            ..Default::default()
        };
        assert!(later.answer(sim.engine(0), now).is_empty(), "ends at 11:00");
        let q = BookingQuery { id: id.clone() };
        assert_eq!(q.answer(sim.engine(0), now).expect("known").id, id);
        let unknown = BookingQuery {
            id: BookingId::new(sim.id(1), "nope").expect("id"),
        };
        assert!(matches!(
            unknown.answer(sim.engine(0), now),
            Err(QueryError::UnknownBooking(_))
        ));
    }

    fn room(owner: u8, local: &str, zh: &str, en: &str) -> Resource {
        let id = crate::agency::AgencyKey::from_secret(&[owner; 32]).id();
        Resource {
            id: ResourceId::new(id, local).expect("id"),
            name: crate::agency::Text::new(zh, en),
            ..crate::sim::test_resource(
                id,
                local,
                crate::resource::Capacity::People(10),
                crate::resource::Approval::Automatic,
            )
        }
    }

    #[test]
    fn a_name_resolves_only_when_it_is_unique() {
        let all = vec![
            room(1, "room-large", "大会议室", "Large meeting room"),
            room(2, "room-large", "大会议室", "Large meeting room"),
            room(2, "hall", "报告厅", "Auditorium"),
        ];
        assert_eq!(named(&all, "大会议室").len(), 2, "ambiguous: both");
        assert_eq!(named(&all, "报告厅").len(), 1);
        assert_eq!(named(&all, "auditorium").len(), 1);
        let full = all[1].id.to_string();
        assert_eq!(named(&all, &full), vec![&all[1]]);
        let prefix: String = full.chars().take(10).collect();
        let by_prefix = named(&all, &prefix);
        assert!(by_prefix.iter().all(|r| r.id.owner == all[1].id.owner));
        assert_eq!(by_prefix.len(), 2, "prefix of the owner: both of its rooms");
        assert!(named(&all, "不存在").is_empty());
    }
}
