//! The record index the calendars are computed from: resources, requests
//! (stored once), cancellations and decisions per resource, and what each
//! ingest added ([`Delta`]).

use super::*;

/// What one ingest added to a resource's calendar inputs, in the order
/// applied (see [`crate::calendar::advance`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New booking requests.
    pub requests: Vec<BookingId>,
    /// New decisions, `(seq, booking)`.
    pub decisions: Vec<(u64, BookingId)>,
    /// Something else changed (the catalogue entry, a cancellation): the
    /// calendar must be recomputed.
    pub other: bool,
}

impl Delta {
    /// Adds what `later` added after this.
    pub fn extend(&mut self, later: &Delta) {
        self.requests.extend_from_slice(&later.requests);
        self.decisions.extend_from_slice(&later.decisions);
        self.other |= later.other;
    }

    /// How many records it names.
    pub fn len(&self) -> usize {
        self.requests.len() + self.decisions.len()
    }

    /// Whether it names none and nothing else changed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && !self.other
    }
}

/// Booking requests by id, stored once (the id is not kept a second time
/// as a map key: at 100,000 bookings that copy alone costs ~9 MB), each in
/// its own allocation so the tree's half-empty nodes hold pointers, not
/// 216-byte requests (~10 MB less per 100,000).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Requests(BTreeSet<ById>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ById(Box<BookingRequest>);

impl PartialOrd for ById {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ById {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.id.cmp(&other.0.id)
    }
}

impl std::borrow::Borrow<BookingId> for ById {
    fn borrow(&self) -> &BookingId {
        &self.0.id
    }
}

impl Requests {
    /// The request with this id.
    pub fn get(&self, id: &BookingId) -> Option<&BookingRequest> {
        self.0.get(id).map(|r| &*r.0)
    }

    /// Whether a request with this id exists.
    pub fn contains_key(&self, id: &BookingId) -> bool {
        self.0.contains(id)
    }

    /// Adds (or replaces) a request.
    pub fn insert(&mut self, r: BookingRequest) {
        self.0.replace(ById(Box::new(r)));
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All requests in id order.
    pub fn values(&self) -> impl Iterator<Item = &BookingRequest> {
        self.0.iter().map(|r| &*r.0)
    }

    /// `(id, request)` pairs in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&BookingId, &BookingRequest)> {
        self.0.iter().map(|r| (&r.0.id, &*r.0))
    }
}

/// Records of all accepted changes, indexed for the calendar.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Index {
    /// Agency profiles from catalogues.
    pub profiles: BTreeMap<AgencyId, AgencyProfile>,
    /// Resources (latest version).
    pub resources: BTreeMap<ResourceId, Box<Resource>>,
    /// Booking requests.
    pub requests: Requests,
    /// Cancellations.
    pub cancels: BTreeMap<BookingId, Cancellation>,
    /// Check-ins, by booking.
    pub checkins: BTreeMap<BookingId, crate::booking::CheckIn>,
    /// The owners' people who decided bookings, where a decision names one.
    pub decided_by: BTreeMap<BookingId, compact_str::CompactString>,
    /// Decisions per resource, by `(seq, booking)`.
    pub decisions: BTreeMap<ResourceId, BTreeMap<(u64, BookingId), Decision>>,
    /// Request ids per resource.
    pub by_resource: BTreeMap<ResourceId, Vec<BookingId>>,
    /// The latest clock of any request per resource: a request made after
    /// it was seen is dated after it, whatever the writer's wall clock.
    pub latest_request: BTreeMap<ResourceId, Hlc>,
    /// Bookings decided before their request arrived, with the resources
    /// of those decisions: the request's or a cancellation's arrival
    /// changes how such a decision reads, on a resource they do not name.
    pub unrequested: BTreeMap<BookingId, Vec<ResourceId>>,
    /// Trip requests by id.
    pub trips: BTreeMap<BookingId, crate::trip::TripRequest>,
    /// Trip updates, by trip, then by `(writer, kind)`: only the trip's
    /// fleet owner's count (see [`crate::trip::view`]).
    pub trip_updates:
        BTreeMap<BookingId, BTreeMap<(AgencyId, &'static str), crate::trip::TripUpdate>>,
    /// Trips neither dispatched, rejected nor cancelled, by fleet owner:
    /// what its dispatcher (and automatic dispatch) has to look at.
    pub open_trips: BTreeMap<AgencyId, BTreeSet<BookingId>>,
    /// The highest dispatch order number of each fleet owner.
    pub max_order: BTreeMap<AgencyId, u64>,
    /// Decisions written by an agency other than the resource's creator
    /// (an owner by transfer), per resource, by `(seq, author, booking)`:
    /// the calendar counts those of the owner at their place in the log.
    pub later_decisions: BTreeMap<ResourceId, BTreeMap<(u64, AgencyId, BookingId), Decision>>,
    /// Transfer offers per resource, by `(seq, author)`: `(to, units)`.
    pub offers: BTreeMap<ResourceId, Offers>,
    /// Answers to transfer offers, by `(resource, seq, answerer)`.
    pub answers: BTreeMap<(ResourceId, u64, AgencyId), crate::asset::TransferAnswer>,
    /// Of a resource offered at least once: its creator's latest version
    /// (`resources` holds the version of its owner of now).
    pub creator_versions: BTreeMap<ResourceId, Resource>,
    /// Versions published by agencies a resource was transferred to.
    pub copies: BTreeMap<ResourceId, BTreeMap<AgencyId, Resource>>,
    /// Loan steps, by booking, then by `(writer, step)`: only the
    /// resource's owner's handover and return and the borrower's receipt
    /// count (see [`crate::asset::view`]).
    pub loans: BTreeMap<BookingId, BTreeMap<(AgencyId, &'static str), crate::asset::LoanEvent>>,
    /// Inventory counts per resource, by `(clock, writer)`.
    pub counts: BTreeMap<ResourceId, BTreeMap<(Hlc, AgencyId), crate::asset::InventoryCount>>,
    /// Per resource, the numbers of its decisions sealed with their
    /// bookings (see [`Ledger::seal`]), as ranges `first → last`: its
    /// replay passes over them.
    pub sealed_decisions: BTreeMap<ResourceId, BTreeMap<u64, u64>>,
}

/// A resource's transfer offers, by `(seq, author)`: `(to, units)`.
pub type Offers = BTreeMap<(u64, AgencyId), (AgencyId, Option<u32>)>;

/// Records that `rid`'s calendar may have changed; returns what was added
/// to it, to fill in.
fn mark<'a>(
    touched: &mut BTreeSet<ResourceId>,
    deltas: &'a mut BTreeMap<ResourceId, Delta>,
    rid: &ResourceId,
) -> &'a mut Delta {
    touched.insert(rid.clone());
    deltas.entry(rid.clone()).or_default()
}

impl Index {
    pub(super) fn contains(&self, record: &Record) -> bool {
        match record {
            Record::Request(r) => self.requests.contains_key(&r.id),
            Record::Cancel(c) => self.cancels.contains_key(&c.booking),
            Record::CheckIn(c) => self.checkins.contains_key(&c.booking),
            Record::Decision(d) if d.author != d.resource.owner => {
                self.later_decisions.get(&d.resource).is_some_and(|m| {
                    m.range((d.seq, d.author, BookingId::min())..)
                        .next()
                        .is_some_and(|(k, _)| (k.0, k.1) == (d.seq, d.author))
                })
            }
            Record::Decision(d) => self.decisions.get(&d.resource).is_some_and(|m| {
                m.range((d.seq, BookingId::min())..)
                    .next()
                    .is_some_and(|(k, _)| k.0 == d.seq)
            }),
            Record::Loan(l) => self
                .loans
                .get(&l.booking)
                .is_some_and(|m| m.contains_key(&(l.by, l.step.kind()))),
            Record::TransferAnswer(a) => {
                self.answers
                    .contains_key(&(a.resource.clone(), a.seq, a.by))
            }
            Record::Count(c) => self
                .counts
                .get(&c.resource)
                .is_some_and(|m| m.contains_key(&(c.hlc, c.by))),
            Record::Trip(t) => self.trips.contains_key(&t.id),
            Record::TripUpdate(u) => self
                .trip_updates
                .get(&u.trip)
                .is_some_and(|m| m.contains_key(&(u.fleet, u.action.kind()))),
            Record::Profile(_) | Record::Resource(_) => false,
        }
    }

    /// Whether the fleet owner `fleet` dispatched or rejected `trip`.
    fn trip_closed(&self, trip: &BookingId, fleet: AgencyId) -> bool {
        self.cancels.contains_key(trip)
            || self.trip_updates.get(trip).is_some_and(|m| {
                m.contains_key(&(fleet, "dispatch")) || m.contains_key(&(fleet, "reject"))
            })
    }

    pub(super) fn apply(
        &mut self,
        record: Record,
        touched: &mut BTreeSet<ResourceId>,
        deltas: &mut BTreeMap<ResourceId, Delta>,
    ) {
        match record {
            Record::Profile(p) => {
                self.profiles.insert(p.id, p);
            }
            Record::Resource(r) => {
                mark(touched, deltas, &r.id).other = true;
                let rid = r.id.clone();
                match r.held_by {
                    Some(by) => {
                        self.copies.entry(rid.clone()).or_default().insert(by, *r);
                        self.resolve(&rid);
                    }
                    None if self.offers.contains_key(&rid) => {
                        self.creator_versions.insert(rid.clone(), *r);
                        self.resolve(&rid);
                    }
                    None => {
                        self.resources.insert(rid, r);
                    }
                }
            }
            Record::Loan(l) => {
                self.loans
                    .entry(l.booking.clone())
                    .or_default()
                    .insert((l.by, l.step.kind()), *l);
            }
            Record::TransferAnswer(a) => {
                let rid = a.resource.clone();
                mark(touched, deltas, &rid).other = true;
                self.answers.insert((rid.clone(), a.seq, a.by), a);
                if self.offers.contains_key(&rid) {
                    self.resolve(&rid);
                }
            }
            Record::Count(c) => {
                self.counts
                    .entry(c.resource.clone())
                    .or_default()
                    .insert((c.hlc, c.by), *c);
            }
            Record::Request(r) => {
                for rid in self.unrequested.remove(&r.id).unwrap_or_default() {
                    mark(touched, deltas, &rid).other = true;
                }
                mark(touched, deltas, &r.resource)
                    .requests
                    .push(r.id.clone());
                let ids = self.by_resource.entry(r.resource.clone()).or_default();
                if ids.len() == ids.capacity() {
                    // Grow by a quarter, not double: these lists are many.
                    ids.reserve_exact((ids.len() / 4).max(4));
                }
                ids.push(r.id.clone());
                // No key copied for a resource already seen (the common case).
                match self.latest_request.get_mut(&r.resource) {
                    Some(latest) => *latest = (*latest).max(r.hlc),
                    None => {
                        self.latest_request.insert(r.resource.clone(), r.hlc);
                    }
                }
                self.requests.insert(r);
            }
            Record::CheckIn(c) => {
                // Shown with the booking, and read by the owner's policy
                // (no-shows).
                if let Some(r) = self.requests.get(&c.booking) {
                    mark(touched, deltas, &r.resource).other = true;
                }
                self.checkins.insert(c.booking.clone(), c);
            }
            Record::Cancel(c) => {
                let request = self.requests.get(&c.booking).map(|r| &r.resource);
                let decided = self.unrequested.get(&c.booking).into_iter().flatten();
                for rid in request.into_iter().chain(decided) {
                    mark(touched, deltas, rid).other = true;
                }
                if let Some(t) = self.trips.get(&c.booking)
                    && let Some(open) = self.open_trips.get_mut(&t.owner)
                {
                    open.remove(&c.booking);
                }
                self.cancels.insert(c.booking.clone(), c);
            }
            Record::Trip(t) => {
                if !self.trip_closed(&t.id, t.owner) {
                    self.open_trips
                        .entry(t.owner)
                        .or_default()
                        .insert(t.id.clone());
                }
                self.trips.insert(t.id.clone(), *t);
            }
            Record::TripUpdate(u) => {
                if matches!(
                    u.action,
                    crate::trip::TripAction::Dispatch { .. }
                        | crate::trip::TripAction::Reject { .. }
                ) && let Some(open) = self.open_trips.get_mut(&u.fleet)
                {
                    open.remove(&u.trip);
                }
                if let crate::trip::TripAction::Dispatch { order, .. } = u.action {
                    let top = self.max_order.entry(u.fleet).or_default();
                    *top = (*top).max(order);
                }
                self.trip_updates
                    .entry(u.trip.clone())
                    .or_default()
                    .insert((u.fleet, u.action.kind()), *u);
            }
            Record::Decision(d) => {
                if let Some(by) = &d.by {
                    self.decided_by.insert(d.booking.clone(), by.clone());
                }
                if !self.requests.contains_key(&d.booking) {
                    let rids = self.unrequested.entry(d.booking.clone()).or_default();
                    if !rids.contains(&d.resource) {
                        rids.push(d.resource.clone());
                    }
                }
                let rid = d.resource.clone();
                if let crate::booking::Verdict::Transfer { to, units, .. } = &d.verdict {
                    if !self.offers.contains_key(&rid)
                        && let Some(r) = self.resources.get(&rid)
                    {
                        self.creator_versions.insert(rid.clone(), (**r).clone());
                    }
                    self.offers
                        .entry(rid.clone())
                        .or_default()
                        .insert((d.seq, d.author), (*to, *units));
                }
                let delta = mark(touched, deltas, &rid);
                delta.decisions.push((d.seq, d.booking.clone()));
                if d.author != rid.owner || self.offers.contains_key(&rid) {
                    // Ownership is in play: the calendar is recomputed.
                    delta.other = true;
                }
                if d.author != rid.owner {
                    self.later_decisions
                        .entry(rid.clone())
                        .or_default()
                        .insert((d.seq, d.author, d.booking.clone()), d);
                } else {
                    self.decisions
                        .entry(rid.clone())
                        .or_default()
                        .insert((d.seq, d.booking.clone()), d);
                }
                if self.offers.contains_key(&rid) {
                    self.resolve(&rid);
                }
            }
        }
    }

    /// Who owns `rid` now: its creator, then each receiver of a whole-asset
    /// offer accepted, made by the owner of the time, in log order.
    pub fn owner_of(&self, rid: &ResourceId) -> AgencyId {
        let mut owner = rid.owner;
        for ((seq, author), (to, units)) in self.offers.get(rid).into_iter().flatten() {
            if *author == owner
                && units.is_none()
                && self
                    .answers
                    .get(&(rid.clone(), *seq, *to))
                    .is_some_and(|a| a.accept)
            {
                owner = *to;
            }
        }
        owner
    }

    /// Sets the version of `rid` everyone reads to its owner's of now (its
    /// creator's until the new owner publishes one), marked with the owner.
    fn resolve(&mut self, rid: &ResourceId) {
        let owner = self.owner_of(rid);
        let chosen = self
            .copies
            .get(rid)
            .and_then(|m| m.get(&owner))
            .filter(|_| owner != rid.owner)
            .or_else(|| self.creator_versions.get(rid));
        if let Some(r) = chosen {
            let mut r = Box::new(r.clone());
            r.held_by = (owner != rid.owner).then_some(owner);
            self.resources.insert(rid.clone(), r);
        }
    }

    /// The next decision number for a resource (one past the highest seen).
    pub fn next_decision_seq(&self, resource: &ResourceId) -> u64 {
        let base = self.sealed_top(resource);
        self.decisions
            .get(resource)
            .and_then(|m| m.keys().next_back())
            .map_or(1, |k| k.0.saturating_add(1))
            .max(base.saturating_add(1))
    }

    /// The highest sealed decision number of `resource` (0: none).
    pub fn sealed_top(&self, resource: &ResourceId) -> u64 {
        self.sealed_decisions
            .get(resource)
            .and_then(|m| m.values().next_back())
            .copied()
            .unwrap_or(0)
    }

    /// `seq`, or if it is sealed on `resource`, the first number after
    /// the sealed ones from it on.
    pub fn past_sealed(&self, resource: &ResourceId, seq: u64) -> u64 {
        match self
            .sealed_decisions
            .get(resource)
            .and_then(|m| m.range(..=seq).next_back())
        {
            Some((_, last)) if *last >= seq => last.saturating_add(1),
            _ => seq,
        }
    }

    /// Notes decision `seq` of `resource` as sealed.
    pub(super) fn seal_decision(&mut self, resource: &ResourceId, seq: u64) {
        let m = self.sealed_decisions.entry(resource.clone()).or_default();
        if m.range(..=seq).next_back().is_some_and(|(_, l)| *l >= seq) {
            return;
        }
        let mut first = seq;
        let mut last = seq;
        if let Some((f, l)) = m.range(..seq).next_back().map(|(f, l)| (*f, *l))
            && l + 1 == seq
        {
            first = f;
        }
        if let Some(l) = seq.checked_add(1).and_then(|n| m.remove(&n)) {
            last = l;
        }
        m.insert(first, last);
    }
}
