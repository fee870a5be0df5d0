//! Calendars held by the engine: kept current for the agency's own
//! resources, brought up to date lazily for others ([`Engine::settle`]),
//! read with the full request details; free-slot search over them.

use super::*;

impl Engine {
    /// A resource's calendar. Call [`Engine::settle`] first: calendars of
    /// other agencies' resources are brought up to date lazily.
    pub fn calendar(&self, rid: &ResourceId) -> Option<&ResourceCalendar> {
        debug_assert!(
            !self.dirty.contains_key(rid),
            "settle() before reading {rid}"
        );
        self.calendars.get(rid)
    }

    /// All calendars (after [`Engine::settle`]).
    pub fn calendars(&self) -> &BTreeMap<ResourceId, ResourceCalendar> {
        debug_assert!(self.dirty.is_empty(), "settle() before reading calendars");
        &self.calendars
    }

    /// Where a booking stands, with its request (after [`Engine::settle`]).
    pub fn booking(&self, id: &BookingId) -> Option<Booking> {
        let rid = self.ledger.index().requests.get(id).map(|r| &r.resource);
        let b = match rid {
            Some(rid) => self.calendar(rid).and_then(|c| c.find(id)),
            None => self.calendars().values().find_map(|c| c.find(id)),
        };
        b.cloned().map(|b| self.hydrate(b))
    }

    /// Free-slot search over the catalogue (after [`Engine::settle`]): the
    /// resources of the owners this replica follows, whose calendars it
    /// holds whole (see [`crate::interest`]), and those of other owners
    /// whose free/busy fetched on demand covers the query's range
    /// ([`Engine::ask_busy`]). Any other resource would look free whatever
    /// it holds, so it is left out.
    pub fn find_slots(&self, q: &SlotQuery, now: Timestamp) -> Vec<Candidate> {
        let calendars = self.calendars();
        let covered = |owner: &AgencyId| {
            self.busy
                .get(owner)
                .is_some_and(|v| v.covers(q.from.max(now), q.to))
        };
        let resources: Vec<&crate::resource::Resource> = self
            .ledger
            .index()
            .resources
            .values()
            .map(|r| &**r)
            .filter(|r| self.follows_owner(&r.owner()) || covered(&r.owner()))
            .collect();
        // Calendars built from free/busy, for the resources of owners not
        // followed.
        let from_busy: BTreeMap<&ResourceId, ResourceCalendar> = resources
            .iter()
            .filter(|r| !self.follows_owner(&r.owner()) && q.matches(r))
            .filter_map(|r| {
                let mut cal = self.calendar_owned(&r.id)?.into_owned();
                self.with_busy(&r.id, &mut cal);
                Some((&r.id, cal))
            })
            .collect();
        find_slots(
            resources,
            |r| from_busy.get(r).or_else(|| calendars.get(r)),
            q,
            now,
        )
    }

    /// Brings every calendar up to date and returns how many were
    /// recomputed. Calendars of our own resources are always current (the
    /// owner policy and local decisions read them); the others are only
    /// marked when changes arrive, so that a node catching up with a long
    /// history recomputes each calendar once per read instead of once per
    /// message. Readers call this first; the result is the same calendar
    /// as an eager recomputation would give.
    pub fn settle(&mut self) -> usize {
        let dirty = std::mem::take(&mut self.dirty);
        let n = dirty.len();
        self.refresh(dirty.keys().cloned().collect(), &dirty);
        n
    }

    /// Brings calendars up to date now: in place from what was added since
    /// each was current (see [`advance`]) where that is a short list, by
    /// recomputation otherwise.
    pub(super) fn refresh(
        &mut self,
        touched: BTreeSet<ResourceId>,
        deltas: &BTreeMap<ResourceId, Delta>,
    ) {
        /// Beyond this many additions, recomputing is as quick (applying a
        /// decision looks its booking up in the waiting line).
        const ADVANCE_AT_MOST: usize = 512;
        let (index, roster) = (self.ledger.index(), self.ledger.roster());
        for rid in touched {
            let delta = match (self.dirty.remove(&rid), deltas.get(&rid)) {
                (Some(mut earlier), Some(d)) => {
                    earlier.extend(d);
                    Some(std::borrow::Cow::Owned(earlier))
                }
                (Some(earlier), None) => Some(std::borrow::Cow::Owned(earlier)),
                (None, d) => d.map(std::borrow::Cow::Borrowed),
            };
            if let Some(delta) = delta
                && delta.len() <= ADVANCE_AT_MOST
                && let Some(cal) = self.calendars.get_mut(&rid)
                && advance(cal, index, roster, &rid, &delta)
            {
                // Every debug build (the tests) checks the shortcut.
                debug_assert_eq!(
                    *cal,
                    calendar_with(index, roster, &rid, false),
                    "calendar of {rid} advanced in place differs from its recomputation"
                );
                continue;
            }
            // The cache keeps no copy of the requests: the index has them,
            // and `hydrate` puts them back when a booking leaves the engine.
            let cal = calendar_with(index, roster, &rid, false);
            if self.keeps_calendar(&rid, &cal) {
                self.calendars.insert(rid, cal);
            } else {
                self.calendars.remove(&rid);
            }
        }
    }

    /// Whether the cache keeps this calendar: always, unless it is blank
    /// and its owner is one this replica does not follow. A member
    /// following 20 owners of a province holds the catalogue's 31,000
    /// resources, and their blank calendars cost ~28 MB; readers get
    /// such a calendar computed on demand ([`Engine::calendar_owned`]), and
    /// those that go through every calendar find nothing in it anyway.
    fn keeps_calendar(&self, rid: &ResourceId, cal: &ResourceCalendar) -> bool {
        let Some(followed) = &self.interest else {
            return true;
        };
        let owner = cal.owner.unwrap_or(rid.owner);
        owner == self.me
            || rid.owner == self.me
            || followed.contains(&owner)
            || followed.contains(&rid.owner)
            || !cal.is_blank()
    }

    /// Marks for [`Engine::settle`] the calendars of followed owners the
    /// cache does not hold (an owner followed since they were left out).
    pub(super) fn mark_followed_calendars(&mut self) {
        let Some(followed) = &self.interest else {
            return;
        };
        let missing: Vec<ResourceId> = self
            .ledger
            .index()
            .resources
            .keys()
            .filter(|r| followed.contains(&r.owner) && !self.calendars.contains_key(*r))
            .cloned()
            .collect();
        for rid in missing {
            self.dirty.entry(rid).or_default().other = true;
        }
    }

    /// A resource's calendar, computed when the cache leaves it out (a
    /// blank calendar of an owner not followed); `None` for a resource
    /// the catalogue does not hold. After [`Engine::settle`].
    pub fn calendar_owned(
        &self,
        rid: &ResourceId,
    ) -> Option<std::borrow::Cow<'_, ResourceCalendar>> {
        match self.calendar(rid) {
            Some(c) => Some(std::borrow::Cow::Borrowed(c)),
            None if self.ledger.index().resources.contains_key(rid) => {
                let (index, roster) = (self.ledger.index(), self.ledger.roster());
                Some(std::borrow::Cow::Owned(calendar_with(
                    index, roster, rid, false,
                )))
            }
            None => None,
        }
    }

    /// Brings our own resources' calendars up to date now and marks the
    /// others for [`Engine::settle`], remembering what was added to them
    /// (everything, for a resource `deltas` does not name).
    pub(super) fn defer(
        &mut self,
        touched: BTreeSet<ResourceId>,
        deltas: &BTreeMap<ResourceId, Delta>,
    ) {
        let (mine, others): (BTreeSet<_>, BTreeSet<_>) = touched
            .into_iter()
            .partition(|r| r.owner == self.me || self.ledger.index().owner_of(r) == self.me);
        for rid in others {
            let d = deltas.get(&rid);
            let pending = self.dirty.entry(rid).or_default();
            match d {
                Some(d) => pending.extend(d),
                None => pending.other = true,
            }
        }
        self.refresh(mine, deltas);
    }

    /// A booking with its request filled in from the index.
    pub fn hydrate(&self, mut b: Booking) -> Booking {
        self.fill_request(&mut b);
        b
    }

    pub(super) fn fill_request(&self, b: &mut Booking) {
        crate::calendar::fill(self.ledger.index(), b);
    }

    /// A resource's calendar with every booking's request filled in.
    /// For a resource whose owner this replica does not follow, the
    /// owner's free/busy as last fetched fills it ([`crate::busy`]).
    pub fn calendar_full(&self, rid: &ResourceId) -> Option<ResourceCalendar> {
        let mut cal = self.calendar_owned(rid)?.into_owned();
        cal.sealed_before = self.ledger.seal_cut();
        self.with_busy(rid, &mut cal);
        for b in cal.bookings_mut() {
            self.fill_request(b);
        }
        Some(cal)
    }
}
