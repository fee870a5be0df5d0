//! Derived views of the node's bookings: ours, the owner's approval queue
//! and conflicts, what overlaps or is ahead of a request, and whom
//! approving one out of turn would push out.

use std::collections::BTreeMap;

use crdt_model::booking::Status as BookingStatus;
use crdt_model::calendar::Booking;
use crdt_model::ids::AgencyId;

use super::State;

impl State {
    /// The name of the staff member signed in, if the TUI runs as one
    /// (approvers and operators see the agency's bookings).
    pub fn staff_member(&self) -> Option<&str> {
        let user = self.data.status.as_ref()?.user.as_ref()?;
        (user.role == api::Role::Staff).then_some(user.name.as_str())
    }

    /// Our bookings (a staff member's own, when one is signed in):
    /// upcoming ones by start, or past ones latest first. A dispatched
    /// trip holds its vehicle and driver as confirmed bookings; those are
    /// trips, not listed here.
    pub fn my_bookings(&self) -> Vec<&Booking> {
        let Some(me) = self.me() else {
            return Vec::new();
        };
        let trips: std::collections::BTreeSet<&crdt_model::ids::BookingId> =
            self.data.trips.iter().map(|t| &t.request.id).collect();
        let mut v: Vec<&Booking> = self
            .data
            .bookings
            .iter()
            .filter(|b| b.id.requester == me && !trips.contains(&b.id))
            .filter(|b| (b.terms.end <= self.now) == self.mine_past)
            // Staff signed in as themselves see their own requests.
            .filter(|b| match self.staff_member() {
                Some(name) => b.request.as_ref().and_then(|r| r.by.as_deref()) == Some(name),
                None => true,
            })
            .collect();
        if self.mine_past {
            v.sort_by_key(|b| std::cmp::Reverse(b.terms.start));
        }
        v
    }

    /// Requests for our resources waiting for our decision, by start.
    pub fn approval_queue(&self) -> Vec<&Booking> {
        let Some(me) = self.me() else {
            return Vec::new();
        };
        self.data
            .bookings
            .iter()
            .filter(|b| b.resource.owner == me)
            .filter(|b| matches!(b.status, BookingStatus::Tentative { .. }))
            .collect()
    }

    /// The requests ahead of `b` in line, overlapping it, that fit now
    /// and would not fit any more if `b` were confirmed first.
    pub fn displaced_by(&self, b: &Booking) -> Vec<&Booking> {
        let Some(res) = self.resource(&b.resource) else {
            return Vec::new();
        };
        let overlapping = self.overlapping(b);
        let confirmed: Vec<Booking> = overlapping
            .iter()
            .filter(|x| x.status == BookingStatus::Confirmed)
            .map(|x| (*x).clone())
            .collect();
        let as_confirmed = |x: &Booking| Booking {
            status: BookingStatus::Confirmed,
            ..x.clone()
        };
        self.ahead_of(b)
            .into_iter()
            .filter(|a| matches!(a.status, BookingStatus::Tentative { fits: true, .. }))
            .filter(|a| {
                let mut after = confirmed.clone();
                after.extend([as_confirmed(b), as_confirmed(a)]);
                crdt_model::calendar::excess(res, &after) > 0
            })
            .collect()
    }

    /// What holds the slot of tentative `b`: the confirmed bookings and the
    /// requests earlier in line on its resource that overlap it.
    pub fn ahead_of(&self, b: &Booking) -> Vec<&Booking> {
        let BookingStatus::Tentative { rank, .. } = b.status else {
            return Vec::new();
        };
        self.overlapping(b)
            .into_iter()
            .filter(|a| match a.status {
                BookingStatus::Tentative { rank: r, .. } => r < rank,
                _ => true,
            })
            .collect()
    }

    /// Tentative requests on our resources that overlap another live booking.
    pub fn conflicts(&self) -> Vec<&Booking> {
        self.approval_queue()
            .into_iter()
            .filter(|b| !self.overlapping(b).is_empty())
            .collect()
    }

    /// Live bookings (confirmed or tentative) of the same resource overlapping `b`.
    pub fn overlapping(&self, b: &Booking) -> Vec<&Booking> {
        self.data
            .bookings
            .iter()
            .filter(|o| o.id != b.id && o.resource == b.resource)
            .filter(|o| {
                matches!(
                    o.status,
                    BookingStatus::Confirmed | BookingStatus::Tentative { .. }
                )
            })
            .filter(|o| o.terms.overlaps(b.terms.start, b.terms.end))
            .collect()
    }

    /// Counts of a requester's bookings on our resources, by status label.
    pub fn history(&self, requester: &AgencyId) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        let Some(me) = self.me() else {
            return out;
        };
        for b in &self.data.bookings {
            if b.id.requester == *requester && b.resource.owner == me {
                *out.entry(b.status.label()).or_insert(0) += 1;
            }
        }
        out
    }
}
