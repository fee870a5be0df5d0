//! The fleet owner's dispatch checks and automatic dispatch: whether a
//! vehicle and a driver can take a trip (theirs, the right class, enough
//! seats, not under maintenance or on leave, free over the whole trip), and
//! the first pair that can, chosen the same way on every replica.

use jiff::Timestamp;

use crate::agency::Text;
use crate::calendar::ResourceCalendar;
use crate::ids::{BookingId, ResourceId};
use crate::ledger::Index;
use crate::resource::{Approval, Resource};
use crate::trip::TripRequest;

/// Why a vehicle or driver cannot take a trip. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// No such resource in the catalogue.
    #[error("unknown vehicle or driver {0}")]
    Unknown(ResourceId),
    /// Another agency's vehicle or driver.
    #[error("{0} belongs to another agency")]
    NotOurs(ResourceId),
    /// Not a vehicle.
    #[error("{0} is not a vehicle")]
    NotAVehicle(ResourceId),
    /// Not a driver.
    #[error("{0} is not a driver")]
    NotADriver(ResourceId),
    /// Retired.
    #[error("{0} is retired")]
    Retired(ResourceId),
    /// The trip asked for another vehicle.
    #[error("the trip asked for vehicle {0}")]
    OtherVehicle(ResourceId),
    /// The trip asked for another class.
    #[error("the trip needs a {want}, {vehicle} is a {got}")]
    WrongClass {
        /// The vehicle.
        vehicle: ResourceId,
        /// Class asked for.
        want: String,
        /// Its class (or "vehicle of no class").
        got: String,
    },
    /// Not enough seats.
    #[error("{vehicle} has {seats} seats, the trip needs {passengers}")]
    TooFewSeats {
        /// The vehicle.
        vehicle: ResourceId,
        /// Its seats.
        seats: u32,
        /// Passengers.
        passengers: u32,
    },
    /// Under maintenance (or a driver on leave) during the trip.
    #[error("{resource} is unavailable then: {}", .reason.en)]
    Unavailable {
        /// The vehicle or driver.
        resource: ResourceId,
        /// Why (保养, 维修, 休假 …).
        reason: Text,
    },
    /// Already dispatched or booked for an overlapping time.
    #[error("{resource} is already taken then (by {by})")]
    Busy {
        /// The vehicle or driver.
        resource: ResourceId,
        /// The trip or booking holding it.
        by: BookingId,
    },
}

/// Checks that `vehicle` and `driver` can take `trip` (see module doc).
pub fn check_dispatch<'a>(
    index: &Index,
    calendar: impl Fn(&ResourceId) -> Option<&'a ResourceCalendar>,
    trip: &TripRequest,
    vehicle: &ResourceId,
    driver: &ResourceId,
) -> Result<(), DispatchError> {
    let v = ours(index, trip, vehicle)?;
    if !v.is_vehicle() {
        return Err(DispatchError::NotAVehicle(vehicle.clone()));
    }
    if let Some(asked) = &trip.vehicle
        && asked != vehicle
    {
        return Err(DispatchError::OtherVehicle(asked.clone()));
    }
    if let Some(want) = trip.class
        && v.vehicle_class() != Some(want)
    {
        return Err(DispatchError::WrongClass {
            vehicle: vehicle.clone(),
            want: want.to_string(),
            got: v
                .vehicle_class()
                .map_or("vehicle of no class".into(), |c| c.to_string()),
        });
    }
    if !v.capacity.admits(trip.passengers) {
        return Err(DispatchError::TooFewSeats {
            vehicle: vehicle.clone(),
            seats: v.capacity.size(),
            passengers: trip.passengers,
        });
    }
    free(v, calendar(vehicle), trip.start, trip.end)?;
    let d = ours(index, trip, driver)?;
    if !d.is_driver() {
        return Err(DispatchError::NotADriver(driver.clone()));
    }
    free(d, calendar(driver), trip.start, trip.end)
}

/// The resource, if it is the trip owner's and not retired.
fn ours<'a>(
    index: &'a Index,
    trip: &TripRequest,
    rid: &ResourceId,
) -> Result<&'a Resource, DispatchError> {
    let r = index
        .resources
        .get(rid)
        .ok_or_else(|| DispatchError::Unknown(rid.clone()))?;
    if rid.owner != trip.owner {
        return Err(DispatchError::NotOurs(rid.clone()));
    }
    if r.retired {
        return Err(DispatchError::Retired(rid.clone()));
    }
    Ok(r)
}

/// Whether `r` is neither blocked nor held over `[start, end)` (with its
/// buffer on both sides).
fn free(
    r: &Resource,
    cal: Option<&ResourceCalendar>,
    start: Timestamp,
    end: Timestamp,
) -> Result<(), DispatchError> {
    if let Some(b) = r
        .rules
        .blackouts
        .iter()
        .find(|b| b.start < end && start < b.end)
    {
        return Err(DispatchError::Unavailable {
            resource: r.id.clone(),
            reason: b.reason.clone(),
        });
    }
    let buf = jiff::SignedDuration::from_mins(i64::from(r.rules.buffer_minutes));
    let (s, e) = (
        start.checked_sub(buf).unwrap_or(start),
        end.checked_add(buf).unwrap_or(end),
    );
    if let Some(cal) = cal
        && cal.occupancy.peak(s, e) + 1 > r.capacity.limit()
    {
        let by = cal
            .occupancy
            .overlapping(s, e)
            .map(|(_, _, _, id)| id.clone())
            .next()
            .unwrap_or_else(BookingId::min);
        return Err(DispatchError::Busy {
            resource: r.id.clone(),
            by,
        });
    }
    Ok(())
}

/// Automatic dispatch: the first vehicle (by id) of the trip owner's set to
/// automatic approval that can take the trip, with the first driver (by id)
/// who can. The same answer on every replica that holds the same records.
pub fn pick<'a>(
    index: &Index,
    calendar: impl Fn(&ResourceId) -> Option<&'a ResourceCalendar> + Copy,
    trip: &TripRequest,
) -> Option<(ResourceId, ResourceId)> {
    first_free(index, calendar, trip, true)
}

/// The first vehicle (by id) that can take the trip, with the first free
/// driver (by id); only among vehicles set to automatic approval when
/// `automatic_only`. What a dispatcher is offered first.
pub fn first_free<'a>(
    index: &Index,
    calendar: impl Fn(&ResourceId) -> Option<&'a ResourceCalendar> + Copy,
    trip: &TripRequest,
    automatic_only: bool,
) -> Option<(ResourceId, ResourceId)> {
    let first = ResourceId {
        owner: trip.owner,
        local: Default::default(),
    };
    let owned = |pred: fn(&Resource) -> bool| {
        index
            .resources
            .range(first.clone()..)
            .take_while(|(id, _)| id.owner == trip.owner)
            .filter(move |(_, r)| pred(r) && !r.retired)
            .map(|(id, _)| id)
    };
    let vehicle = owned(|r| r.is_vehicle())
        .filter(|id| {
            !automatic_only
                || index
                    .resources
                    .get(*id)
                    .is_some_and(|r| r.rules.approval == Approval::Automatic)
        })
        .find(|id| check_dispatch_vehicle_only(index, calendar, trip, id))?;
    let driver = owned(|r| r.is_driver())
        .find(|d| check_dispatch(index, calendar, trip, vehicle, d).is_ok())?;
    Some((vehicle.clone(), driver.clone()))
}

/// Whether the vehicle alone could take the trip (any driver aside).
fn check_dispatch_vehicle_only<'a>(
    index: &Index,
    calendar: impl Fn(&ResourceId) -> Option<&'a ResourceCalendar>,
    trip: &TripRequest,
    vehicle: &ResourceId,
) -> bool {
    let Some(v) = index.resources.get(vehicle) else {
        return false;
    };
    trip.vehicle.as_ref().is_none_or(|a| a == vehicle)
        && trip.class.is_none_or(|c| v.vehicle_class() == Some(c))
        && v.capacity.admits(trip.passengers)
        && free(v, calendar(vehicle), trip.start, trip.end).is_ok()
}
