//! Trips (公务用车派车): a staff agency asks a fleet's owner for a vehicle of
//! a class (or one vehicle) over a time range; the owner alone dispatches it
//! with a vehicle and a driver, numbered as a dispatch order (派车单), then
//! records the trip's start and finish with odometer readings.
//!
//! A trip request is a record of the requester, filed in its requests
//! document for the fleet's owner, beside its booking requests (`trip/<local>`),
//! and cancelled by the same cancellation record as a booking. The owner's
//! updates are records of its decisions documents,
//! `trip/<requester>/<local>/<dispatch|reject|start|finish>`, one of each per trip.
//!
//! **No vehicle or driver is ever double-assigned, on any replica:** a
//! dispatch is written in one change with two ordinary decisions confirming
//! the trip on the vehicle's and the driver's own decision logs, which every
//! replica replays in number order against capacity (one trip at a time).
//! A dispatch whose confirmations a replica does not hold, or ignores as over
//! capacity, does not count there (see [`view`]).

pub mod dispatch;
pub mod view;

use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::fleet::VehicleClass;
use crate::hlc::Hlc;
use crate::ids::{AgencyId, BookingId, DocId, ResourceId};
use crate::record::{MAX_TEXT, RecordError, check_plain};

pub use dispatch::{DispatchError, check_dispatch, first_free, pick};
pub use view::{Trip, TripFilter, TripStatus};

/// A trip request, written by the requesting agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripRequest {
    /// Id (same namespace as the requester's bookings: a cancellation
    /// names it the same way).
    pub id: BookingId,
    /// The fleet's owner, who dispatches it.
    pub owner: AgencyId,
    /// The class of vehicle needed, if any.
    #[serde(default)]
    pub class: Option<VehicleClass>,
    /// One vehicle asked for by name, if any.
    #[serde(default)]
    pub vehicle: Option<ResourceId>,
    /// Departure, UTC.
    pub start: Timestamp,
    /// Return, UTC (may be days later).
    pub end: Timestamp,
    /// Passengers.
    pub passengers: u32,
    /// Where to.
    #[serde(default)]
    pub destination: CompactString,
    /// Why.
    #[serde(default)]
    pub purpose: CompactString,
    /// Contact person.
    #[serde(default)]
    pub contact: CompactString,
    /// When it was requested.
    pub hlc: Hlc,
}

/// What the fleet's owner records about a trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum TripAction {
    /// Dispatched: order number (unique per owner), vehicle and driver.
    Dispatch {
        /// The dispatch order's number (派车单号).
        order: u64,
        /// The vehicle.
        vehicle: ResourceId,
        /// The driver.
        driver: ResourceId,
    },
    /// Refused, with why.
    Reject {
        /// Why.
        reason: Text,
    },
    /// Departed.
    Start {
        /// Odometer reading, km.
        odometer_km: u32,
    },
    /// Back.
    Finish {
        /// Odometer reading, km (not below the start's).
        odometer_km: u32,
        /// Fuel taken, millilitres.
        #[serde(default)]
        fuel_ml: Option<u32>,
        /// Energy charged, Wh.
        #[serde(default)]
        charge_wh: Option<u32>,
        /// A note.
        #[serde(default)]
        note: String,
    },
}

impl TripAction {
    /// The last part of its record key.
    pub fn kind(&self) -> &'static str {
        match self {
            TripAction::Dispatch { .. } => "dispatch",
            TripAction::Reject { .. } => "reject",
            TripAction::Start { .. } => "start",
            TripAction::Finish { .. } => "finish",
        }
    }
}

/// One update of a trip by its fleet's owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripUpdate {
    /// The trip.
    pub trip: BookingId,
    /// Who wrote it (the owner of the decisions document).
    pub fleet: AgencyId,
    /// What happened.
    #[serde(flatten)]
    pub action: TripAction,
    /// When it was recorded.
    pub hlc: Hlc,
}

impl TripUpdate {
    /// Its record key: `trip/<requester>/<local>/<kind>`.
    pub fn key(&self) -> String {
        format!(
            "trip/{}/{}/{}",
            self.trip.requester,
            self.trip.local,
            self.action.kind()
        )
    }
}

/// A trip request as stored: the requester is the document's owner, the
/// fleet's owner its counterpart, the id's local part the key's.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredTrip {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class: Option<VehicleClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vehicle: Option<CompactString>,
    start: Timestamp,
    end: Timestamp,
    passengers: u32,
    #[serde(default)]
    destination: CompactString,
    #[serde(default)]
    purpose: CompactString,
    #[serde(default)]
    contact: CompactString,
    hlc: Hlc,
}

/// A trip update as stored: the trip and kind are in the key, the fleet is
/// the document's owner, vehicle and driver by their local ids.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", deny_unknown_fields)]
pub(crate) enum StoredUpdate {
    Dispatch {
        order: u64,
        vehicle: CompactString,
        driver: CompactString,
        hlc: Hlc,
    },
    Reject {
        reason: Text,
        hlc: Hlc,
    },
    Start {
        odometer_km: u32,
        hlc: Hlc,
    },
    Finish {
        odometer_km: u32,
        #[serde(default)]
        fuel_ml: Option<u32>,
        #[serde(default)]
        charge_wh: Option<u32>,
        #[serde(default)]
        note: String,
        hlc: Hlc,
    },
}

impl TripRequest {
    /// Its record key.
    pub fn key(&self) -> String {
        format!("trip/{}", self.id.local)
    }

    /// The stored form.
    pub(crate) fn stored(&self) -> StoredTrip {
        StoredTrip {
            class: self.class,
            vehicle: self.vehicle.as_ref().map(|v| v.local.clone()),
            start: self.start,
            end: self.end,
            passengers: self.passengers,
            destination: self.destination.clone(),
            purpose: self.purpose.clone(),
            contact: self.contact.clone(),
            hlc: self.hlc,
        }
    }

    /// Rebuilt from its document and key.
    pub(crate) fn rebuild(doc: &DocId, key: &str, s: StoredTrip) -> Result<Self, RecordError> {
        let bad_key = || RecordError::WrongKey(key.to_string());
        let local = key.strip_prefix("trip/").ok_or_else(bad_key)?;
        let owner = doc.counterpart.ok_or_else(bad_key)?;
        let vehicle = match s.vehicle {
            Some(v) => {
                Some(ResourceId::new(owner, &v).map_err(|e| RecordError::Invalid(e.to_string()))?)
            }
            None => None,
        };
        Ok(Self {
            id: BookingId::new(doc.owner, local).map_err(|_| bad_key())?,
            owner,
            class: s.class,
            vehicle,
            start: s.start,
            end: s.end,
            passengers: s.passengers,
            destination: s.destination,
            purpose: s.purpose,
            contact: s.contact,
            hlc: s.hlc,
        })
    }

    /// By the document's owner, filed with the fleet's owner, well-formed.
    pub(crate) fn check(&self, doc: &DocId) -> Result<(), RecordError> {
        if self.id.requester != doc.owner {
            return Err(RecordError::Unauthorized(format!(
                "trip {} of another agency",
                self.id
            )));
        }
        if doc.counterpart != Some(self.owner) {
            return Err(RecordError::Unauthorized(format!(
                "trip {} filed in a document for another owner",
                self.id
            )));
        }
        if self.vehicle.as_ref().is_some_and(|v| v.owner != self.owner) {
            return Err(RecordError::Invalid(
                "a trip's vehicle belongs to its fleet's owner".into(),
            ));
        }
        if self.end <= self.start || self.passengers == 0 {
            return Err(RecordError::Invalid(
                "a trip needs start < end and at least one passenger".into(),
            ));
        }
        for (field, text) in [
            ("destination", &self.destination),
            ("purpose", &self.purpose),
            ("contact", &self.contact),
        ] {
            if text.len() > MAX_TEXT {
                return Err(RecordError::Invalid(format!("{field} too long")));
            }
            check_plain(field, text)?;
        }
        Ok(())
    }
}

impl TripUpdate {
    /// The stored form.
    pub(crate) fn stored(&self) -> StoredUpdate {
        let hlc = self.hlc;
        match self.action.clone() {
            TripAction::Dispatch {
                order,
                vehicle,
                driver,
            } => StoredUpdate::Dispatch {
                order,
                vehicle: vehicle.local,
                driver: driver.local,
                hlc,
            },
            TripAction::Reject { reason } => StoredUpdate::Reject { reason, hlc },
            TripAction::Start { odometer_km } => StoredUpdate::Start { odometer_km, hlc },
            TripAction::Finish {
                odometer_km,
                fuel_ml,
                charge_wh,
                note,
            } => StoredUpdate::Finish {
                odometer_km,
                fuel_ml,
                charge_wh,
                note,
                hlc,
            },
        }
    }

    /// Rebuilt from its document and key.
    pub(crate) fn rebuild(doc: &DocId, key: &str, s: StoredUpdate) -> Result<Self, RecordError> {
        let bad_key = || RecordError::WrongKey(key.to_string());
        let rest = key.strip_prefix("trip/").ok_or_else(bad_key)?;
        let mut parts = rest.splitn(3, '/');
        let (Some(requester), Some(local), Some(_kind)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad_key());
        };
        let requester: AgencyId = requester.parse().map_err(|_| bad_key())?;
        let trip = BookingId::new(requester, local).map_err(|_| bad_key())?;
        let fleet = doc.owner;
        let res = |local: &str| {
            ResourceId::new(fleet, local).map_err(|e| RecordError::Invalid(e.to_string()))
        };
        let (action, hlc) = match s {
            StoredUpdate::Dispatch {
                order,
                vehicle,
                driver,
                hlc,
            } => (
                TripAction::Dispatch {
                    order,
                    vehicle: res(&vehicle)?,
                    driver: res(&driver)?,
                },
                hlc,
            ),
            StoredUpdate::Reject { reason, hlc } => (TripAction::Reject { reason }, hlc),
            StoredUpdate::Start { odometer_km, hlc } => (TripAction::Start { odometer_km }, hlc),
            StoredUpdate::Finish {
                odometer_km,
                fuel_ml,
                charge_wh,
                note,
                hlc,
            } => (
                TripAction::Finish {
                    odometer_km,
                    fuel_ml,
                    charge_wh,
                    note,
                },
                hlc,
            ),
        };
        Ok(Self {
            trip,
            fleet,
            action,
            hlc,
        })
    }

    /// By the document's owner, about its own vehicles and drivers, well-formed.
    pub(crate) fn check(&self, doc: &DocId) -> Result<(), RecordError> {
        if self.fleet != doc.owner {
            return Err(RecordError::Unauthorized(format!(
                "an update of trip {} by another agency",
                self.trip
            )));
        }
        match &self.action {
            TripAction::Dispatch {
                order,
                vehicle,
                driver,
            } => {
                if *order == 0 || vehicle.owner != self.fleet || driver.owner != self.fleet {
                    return Err(RecordError::Unauthorized(
                        "a dispatch names its owner's own vehicle and driver, numbered from 1"
                            .into(),
                    ));
                }
            }
            TripAction::Reject { reason } => {
                check_plain("reason", &reason.zh)?;
                check_plain("reason", &reason.en)?;
            }
            TripAction::Start { .. } => {}
            TripAction::Finish { note, .. } => {
                if note.len() > MAX_TEXT {
                    return Err(RecordError::Invalid("note too long".into()));
                }
                check_plain("note", note)?;
            }
        }
        Ok(())
    }
}
