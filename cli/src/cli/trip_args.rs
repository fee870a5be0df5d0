//! `tongchou trip …` and `tongchou trips`: the clap types of trips.

use super::*;

/// `tongchou trip …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TripCmd {
    /// Ask a fleet's owner for a vehicle; prints the trip's id and status.
    Request(Box<TripRequestArgs>),
    /// Dispatch a trip with a vehicle and a driver (the fleet's owner);
    /// prints the dispatch order number.
    Dispatch {
        /// Trip id.
        trip: BookingId,
        /// Vehicle (its local id, e.g. car-01, or OWNER/LOCAL).
        #[arg(long)]
        vehicle: String,
        /// Driver (its local id or OWNER/LOCAL).
        #[arg(long)]
        driver: String,
    },
    /// Refuse a trip (the fleet's owner).
    Reject {
        /// Trip id.
        trip: BookingId,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Record a departure with the odometer reading (the fleet's owner).
    Start {
        /// Trip id.
        trip: BookingId,
        /// Odometer, km.
        #[arg(long)]
        odometer: u32,
    },
    /// Record a return (the fleet's owner).
    Finish {
        /// Trip id.
        trip: BookingId,
        /// Odometer, km (not below the departure's).
        #[arg(long)]
        odometer: u32,
        /// Fuel taken, litres.
        #[arg(long, conflicts_with = "charge_kwh")]
        fuel_l: Option<f64>,
        /// Energy charged, kWh.
        #[arg(long)]
        charge_kwh: Option<f64>,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reserve one of the fleet owner's EV chargers for an electric
    /// vehicle's trip, from its return; prints the booking.
    Charge {
        /// Trip id.
        trip: BookingId,
        /// How long to charge, e.g. 2h, 90m.
        #[arg(long = "for", default_value = "2h")]
        duration: String,
    },
    /// Cancel one of this agency's trips (its vehicle and driver are given back).
    Cancel {
        /// Trip id.
        trip: BookingId,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// `tongchou trip request`.
#[derive(Debug, Args)]
pub(crate) struct TripRequestArgs {
    /// The fleet's owner: agency id or name.
    #[arg(long)]
    pub owner: String,
    /// Vehicle class: sedan, suv, van, bus, truck, law-enforcement.
    #[arg(long)]
    pub class: Option<String>,
    /// One vehicle by id (OWNER/LOCAL), instead of a class.
    #[arg(long)]
    pub vehicle: Option<String>,
    /// Departure, e.g. "tomorrow 09:00" or 2026-12-14T09:00.
    #[arg(long)]
    pub from: String,
    /// Return (may be days later).
    #[arg(long)]
    pub to: String,
    /// Passengers.
    #[arg(long, default_value_t = 1)]
    pub passengers: u32,
    /// Destination.
    #[arg(long, default_value = "")]
    pub destination: String,
    /// Purpose.
    #[arg(long, default_value = "")]
    pub purpose: String,
    /// Contact person.
    #[arg(long, default_value = "")]
    pub contact: String,
}

/// `tongchou trips`.
#[derive(Debug, Args)]
pub(crate) struct TripsArgs {
    /// Only trips waiting for this agency to dispatch them.
    #[arg(long)]
    pub pending: bool,
    /// Only this agency's own requests.
    #[arg(long)]
    pub mine: bool,
    /// Only trips of this vehicle (local id or OWNER/LOCAL).
    #[arg(long)]
    pub vehicle: Option<String>,
    /// Only trips of this driver (local id or OWNER/LOCAL).
    #[arg(long)]
    pub driver: Option<String>,
    /// Only trips ending after this time.
    #[arg(long)]
    pub from: Option<String>,
    /// Only trips starting before this time.
    #[arg(long)]
    pub to: Option<String>,
}
