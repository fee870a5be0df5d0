//! Derived views of trips for the dispatcher: this fleet's open trips, and
//! the vehicles and drivers free for one of them, from the bookings the
//! node showed (a dispatched trip holds its vehicle and driver as confirmed
//! bookings). The node checks again when it dispatches.

use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use crdt_model::resource::Resource;
use crdt_model::trip::Trip;

use super::State;

impl State {
    /// This fleet's trips still to dispatch, under way or waiting to
    /// leave, by departure.
    pub fn fleet_trips(&self) -> Vec<&Trip> {
        let Some(me) = self.me() else {
            return Vec::new();
        };
        let mut v: Vec<&Trip> = self
            .data
            .trips
            .iter()
            .filter(|t| t.request.owner == me && !t.status.closed())
            .collect();
        v.sort_by_key(|t| (t.request.start, t.request.id.clone()));
        v
    }

    /// Whether `r` is neither blocked nor held over the trip's range.
    fn free_for(&self, r: &Resource, t: &Trip) -> bool {
        let (s, e) = (t.request.start, t.request.end);
        let busy = |b: &&Booking| {
            b.resource == r.id
                && b.id != t.request.id
                && b.status == crdt_model::booking::Status::Confirmed
                && b.terms.overlaps(s, e)
        };
        !r.retired
            && !r.rules.blackouts.iter().any(|b| b.start < e && s < b.end)
            && !self.data.bookings.iter().any(|b| busy(&b))
    }

    /// This fleet's vehicles that can take trip `t`: its class (or the one
    /// asked for), enough seats, free then; by id.
    pub fn free_vehicles(&self, t: &Trip) -> Vec<&Resource> {
        self.data
            .resources
            .iter()
            .filter(|r| r.id.owner == t.request.owner && r.is_vehicle())
            .filter(|r| t.request.vehicle.as_ref().is_none_or(|v| *v == r.id))
            .filter(|r| t.request.class.is_none_or(|c| r.vehicle_class() == Some(c)))
            .filter(|r| r.capacity.admits(t.request.passengers))
            .filter(|r| self.free_for(r, t))
            .collect()
    }

    /// This fleet's drivers free for trip `t`, by id.
    pub fn free_drivers(&self, t: &Trip) -> Vec<&Resource> {
        self.data
            .resources
            .iter()
            .filter(|r| r.id.owner == t.request.owner && r.is_driver())
            .filter(|r| self.free_for(r, t))
            .collect()
    }

    /// The vehicle and driver the dispatcher chose for trip `t`.
    pub fn chosen_pair(&self, t: &Trip) -> Option<(ResourceId, ResourceId)> {
        let v = self.free_vehicles(t);
        let d = self.free_drivers(t);
        let v = v.get(self.dispatch.vehicle % v.len().max(1))?;
        let d = d.get(self.dispatch.driver % d.len().max(1))?;
        Some((v.id.clone(), d.id.clone()))
    }
}
