//! Where a trip stands, computed the same way on every replica from the
//! request, the fleet owner's updates (only the owner's count) and the
//! vehicle's and driver's calendars: a dispatch counts only where both
//! calendars hold its confirmation. Plus [`TripFilter`], the trips a
//! client asks for.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::calendar::ResourceCalendar;
use crate::engine::Engine;
use crate::ids::{AgencyId, BookingId, ResourceId};
use crate::ledger::Index;
use crate::membership::Roster;
use crate::query::Query;
use crate::trip::{TripAction, TripRequest};

/// Where a trip stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TripStatus {
    /// Waiting for the fleet's owner.
    Requested,
    /// A vehicle and a driver hold it.
    Dispatched,
    /// Under way.
    Started,
    /// Back.
    Finished,
    /// Refused by the fleet's owner.
    Rejected {
        /// Why.
        reason: Text,
    },
    /// Cancelled by its requester (the vehicle and driver are given back).
    Cancelled,
    /// Its requester was revoked before it was dispatched.
    Void,
}

impl TripStatus {
    /// Its name in both languages.
    pub fn text(&self) -> Text {
        match self {
            TripStatus::Requested => Text::new("待派车", "requested"),
            TripStatus::Dispatched => Text::new("已派车", "dispatched"),
            TripStatus::Started => Text::new("已出车", "under way"),
            TripStatus::Finished => Text::new("已收车", "finished"),
            TripStatus::Rejected { .. } => Text::new("已拒绝", "rejected"),
            TripStatus::Cancelled => Text::new("已取消", "cancelled"),
            TripStatus::Void => Text::new("已作废", "void"),
        }
    }

    /// Whether nothing more will happen to it.
    pub fn closed(&self) -> bool {
        matches!(
            self,
            TripStatus::Finished
                | TripStatus::Rejected { .. }
                | TripStatus::Cancelled
                | TripStatus::Void
        )
    }
}

/// A trip as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// The request.
    pub request: TripRequest,
    /// Where it stands.
    #[serde(flatten)]
    pub status: TripStatus,
    /// Dispatch order number, once dispatched.
    #[serde(default)]
    pub order: Option<u64>,
    /// The vehicle dispatched.
    #[serde(default)]
    pub vehicle: Option<ResourceId>,
    /// The driver dispatched.
    #[serde(default)]
    pub driver: Option<ResourceId>,
    /// Odometer at departure, km.
    #[serde(default)]
    pub odometer_out: Option<u32>,
    /// Odometer on return, km.
    #[serde(default)]
    pub odometer_in: Option<u32>,
    /// Fuel taken, ml.
    #[serde(default)]
    pub fuel_ml: Option<u32>,
    /// Energy charged, Wh.
    #[serde(default)]
    pub charge_wh: Option<u32>,
    /// The return note.
    #[serde(default)]
    pub note: String,
    /// Something every replica noticed and ignored (a dispatch whose
    /// vehicle or driver was taken; a return reading below the departure's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Trip {
    /// Km driven, once finished.
    pub fn km(&self) -> Option<u32> {
        Some(self.odometer_in?.saturating_sub(self.odometer_out?))
    }
}

/// Whether `cal` holds `trip` as confirmed (or confirmed then cancelled).
fn holds(cal: Option<&ResourceCalendar>, trip: &BookingId) -> bool {
    cal.is_some_and(|c| {
        c.confirmed.iter().any(|b| &b.id == trip) || c.cancelled.iter().any(|b| &b.id == trip)
    })
}

/// Where trip `id` stands on this replica, if its request has arrived.
pub fn view<'a>(
    index: &Index,
    roster: &Roster,
    calendar: impl Fn(&ResourceId) -> Option<&'a ResourceCalendar>,
    id: &BookingId,
) -> Option<Trip> {
    let request = index.trips.get(id)?.clone();
    let mut t = Trip {
        status: TripStatus::Requested,
        order: None,
        vehicle: None,
        driver: None,
        odometer_out: None,
        odometer_in: None,
        fuel_ml: None,
        charge_wh: None,
        note: String::new(),
        problem: None,
        request,
    };
    let owner = t.request.owner;
    let updates = index.trip_updates.get(id);
    let update = |kind: &'static str| updates.and_then(|m| m.get(&(owner, kind)));
    if let Some(u) = update("dispatch")
        && let TripAction::Dispatch {
            order,
            vehicle,
            driver,
        } = &u.action
    {
        if holds(calendar(vehicle), id) && holds(calendar(driver), id) {
            t.status = TripStatus::Dispatched;
            t.order = Some(*order);
            t.vehicle = Some(vehicle.clone());
            t.driver = Some(driver.clone());
        } else {
            t.problem = Some(format!(
                "dispatch order {order} not held: {vehicle} or {driver} was taken"
            ));
        }
    }
    let dispatched = t.status == TripStatus::Dispatched;
    if dispatched && let Some(u) = update("start") {
        if let TripAction::Start { odometer_km } = u.action {
            t.odometer_out = Some(odometer_km);
        }
        t.status = TripStatus::Started;
    }
    if dispatched && let Some(u) = update("finish") {
        if let TripAction::Finish {
            odometer_km,
            fuel_ml,
            charge_wh,
            note,
        } = &u.action
        {
            if t.odometer_out.is_some_and(|out| *odometer_km < out) {
                t.problem = Some("return reading below the departure's".into());
            }
            t.odometer_in = Some(*odometer_km);
            t.fuel_ml = *fuel_ml;
            t.charge_wh = *charge_wh;
            t.note = note.clone();
        }
        t.status = TripStatus::Finished;
    }
    if !dispatched
        && let Some(u) = update("reject")
        && let TripAction::Reject { reason } = &u.action
    {
        t.status = TripStatus::Rejected {
            reason: reason.clone(),
        };
    }
    if index.cancels.contains_key(id) && t.status != TripStatus::Finished {
        t.status = TripStatus::Cancelled;
    } else if !dispatched && t.status == TripStatus::Requested && !roster.is_active(&id.requester) {
        t.status = TripStatus::Void;
    }
    Some(t)
}

/// Trips a client asks for; every filter optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripFilter {
    /// Only trips waiting for this agency to dispatch them.
    #[serde(default)]
    pub pending: bool,
    /// Only this agency's own requests.
    #[serde(default)]
    pub mine: bool,
    /// Only trips of this fleet owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<AgencyId>,
    /// Only trips dispatched with this vehicle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<ResourceId>,
    /// Only trips dispatched with this driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<ResourceId>,
    /// Only trips ending after this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Only trips starting before this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// One trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<BookingId>,
}

impl Query for TripFilter {
    type Answer = Vec<Trip>;

    /// Matching trips, by departure then id.
    fn answer(&self, engine: &Engine, _now: Timestamp) -> Vec<Trip> {
        let index = engine.ledger().index();
        let roster = engine.ledger().roster();
        let me = engine.id();
        let ids: Vec<&BookingId> = if self.pending {
            index.open_trips.get(&me).into_iter().flatten().collect()
        } else if let Some(id) = &self.id {
            vec![id]
        } else {
            index.trips.keys().collect()
        };
        let mut out: Vec<Trip> = ids
            .into_iter()
            .filter_map(|id| view(index, roster, |r| engine.calendar(r), id))
            .filter(|t| !self.pending || t.status == TripStatus::Requested)
            .filter(|t| !self.mine || t.request.id.requester == me)
            .filter(|t| self.owner.is_none_or(|o| t.request.owner == o))
            .filter(|t| self.vehicle.is_none() || t.vehicle == self.vehicle)
            .filter(|t| self.driver.is_none() || t.driver == self.driver)
            .filter(|t| self.from.is_none_or(|f| t.request.end > f))
            .filter(|t| self.to.is_none_or(|to| t.request.start < to))
            .collect();
        out.sort_by(|a, b| (a.request.start, &a.request.id).cmp(&(b.request.start, &b.request.id)));
        out
    }
}
