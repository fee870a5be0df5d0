//! What can happen to the TUI (`Action`, fed to `update`) and what `update`
//! asks the outside world to do (`Effect`, run by the client task).

use api::{BookRequest, CancelRequest, DecideRequest, InviteRequest, RevokeRequest};
use crdt_model::agency::Text;
use crdt_model::availability::{Candidate, SlotQuery};
use crdt_model::calendar::Booking;
use crdt_model::ids::BookingId;
use crdt_model::resource::RuleViolation;
use jiff::Timestamp;
use ratatui::crossterm::event::KeyEvent;

use crate::app::Data;
use crate::i18n::L;

/// An input to [`crate::update::update`].
#[derive(Debug)]
pub enum Action {
    /// A key press.
    Key(KeyEvent),
    /// The terminal changed size.
    Resize(u16, u16),
    /// The clock moved.
    Tick(Timestamp),
    /// Fresh data from the node.
    Data(Box<Data>),
    /// The node did not answer.
    Unreachable(Text),
    /// Answer to [`Effect::Book`].
    Booked(Result<Box<Booking>, Failure>),
    /// Answer to [`Effect::Slots`].
    Slots(Result<Vec<Candidate>, Text>),
    /// Answer to [`Effect::Suggest`].
    Suggested(BookingId, Vec<Candidate>),
    /// Answer to [`Effect::Invite`]: the token.
    Invited(Result<String, Text>),
    /// Answer to a cancel, decision or revocation.
    Done(Result<L, Text>),
    /// Answer to [`Effect::Report`].
    Report(Result<Box<crdt_model::report::Report>, Text>),
}

/// Work for the client task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Fetch everything again.
    Refresh,
    /// Submit a booking request.
    Book(BookRequest),
    /// Submit a recurring series of booking requests.
    BookSeries(api::SeriesRequest),
    /// Cancel our request.
    Cancel(CancelRequest),
    /// Check in to our confirmed booking.
    CheckIn(api::CheckInRequest),
    /// Hold our resources for an event or emergency.
    Hold(api::HoldRequest),
    /// Decide a request for our resource.
    Decide(DecideRequest),
    /// Search free slots.
    Slots(SlotQuery),
    /// Search alternatives for a conflicting request.
    Suggest(BookingId, SlotQuery),
    /// Issue an invitation.
    Invite(InviteRequest),
    /// Revoke a member.
    Revoke(RevokeRequest),
    /// Block or unblock a member on this node.
    Block(api::BlockRequest),
    /// A fleet owner's step in a trip.
    TripStep(api::TripStep),
    /// Ask a fleet's owner for a vehicle.
    RequestTrip(Box<crdt_model::engine::TripDraft>),
    /// A step in a warehouse asset's life (handover, receipt, return,
    /// repair, disposal, transfer offer or answer, count).
    AssetStep(Box<crdt_model::engine::AssetOp>),
    /// Make a utilisation report.
    Report(crdt_model::report::ReportQuery),
}

/// Why the node refused a call: its message and, when a resource's booking
/// rule refused it, the rule (the form shows it next to its field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// One line for the user, in both languages.
    pub message: Text,
    /// The rule that failed.
    pub rule: Option<RuleViolation>,
}

impl From<api::Error> for Failure {
    fn from(e: api::Error) -> Self {
        Failure {
            rule: e.rule().cloned(),
            message: e.text(),
        }
    }
}
