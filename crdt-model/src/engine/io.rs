//! The engine's inputs, outputs and wire messages.

use serde::{Deserialize, Serialize};

use crate::agency::{AgencyProfile, Text};
use crate::calendar::Booking;
use crate::ids::{AgencyId, BookingId, DocId, ResourceId};
use crate::ledger::Refusal;
use crate::membership::SignedRosterEvent;
use crate::resource::Resource;
use crate::signed::SignedChange;

/// Wire protocol version carried in summaries.
pub const PROTOCOL_VERSION: u16 = 10;

/// A message between two engines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Message {
    /// What the sender holds: per document the number of changes, and the
    /// roster event ids. The receiver answers with what the sender lacks.
    Summary {
        /// Protocol version.
        version: u16,
        /// Network id.
        network: String,
        /// `(document, number of changes)`.
        docs: Vec<(DocId, u64)>,
        /// Roster event ids.
        roster: Vec<String>,
        /// The owners whose requests and decisions the sender holds, beyond
        /// every catalogue and its own documents (`None`: everything): the
        /// receiver sends it nothing else.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follows: Option<Vec<AgencyId>>,
        /// Digests of the sender's catalogues and roster. When present,
        /// `docs` leaves the catalogues out and `roster` is empty (both
        /// grow with the network, not with the sender's interest); a
        /// receiver whose own digests differ asks for the whole summary
        /// with [`Message::WholeSummary`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<SummaryDigest>,
        /// The subjects (owners, see [`crate::interest::subject`]) whose
        /// documents the receiver is to send what the sender lacks of
        /// (`None`: every document it holds). The sender asks one holder
        /// per subject, so that catching up brings about one copy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_you: Option<Vec<AgencyId>>,
        /// Orders the sender's summaries: the run of the sender (an epoch,
        /// new at each start) and a count within it, so that an older one
        /// of the same run arriving after a newer one does not bring back
        /// an old `from_you`.
        #[serde(default)]
        round: (u64, u64),
        /// The highest `n` among the receiver's [`Message::Changes`] the
        /// sender had taken in when it wrote this summary: what the
        /// receiver sent in later ones crossed the summary, and counts as
        /// known to the sender (0: none yet).
        #[serde(default)]
        seen: u64,
    },
    /// Asks for the sender's summary with every catalogue and roster event
    /// listed (the digests in its last one differ from ours).
    WholeSummary,
    /// Signed changes (any documents, any order).
    Changes {
        /// The changes.
        changes: Vec<SignedChange>,
        /// The sender's number for this message, increasing within its
        /// session with the receiver (see `seen` in [`Message::Summary`]).
        #[serde(default)]
        n: u64,
    },
    /// Roster events.
    Roster {
        /// The events.
        events: Vec<SignedRosterEvent>,
    },
    /// Asks for the free/busy of owners the sender does not follow (see
    /// [`crate::busy`]): sent to an owner, or to a peer that follows it.
    BusyAsk {
        /// The sender's number for the question, repeated in the answer.
        id: u64,
        /// The owners (at most [`crate::busy::MAX_OWNERS`]).
        owners: Vec<AgencyId>,
        /// The window, at most [`crate::busy::MAX_WINDOW_S`] long.
        from: jiff::Timestamp,
        /// End of the window.
        to: jiff::Timestamp,
    },
    /// The answer to a [`Message::BusyAsk`]: the free/busy of those of the
    /// owners asked whose records the sender holds (the others are left
    /// out), or why the question was refused.
    Busy {
        /// The question's number.
        id: u64,
        /// One entry per owner answered.
        owners: Vec<crate::busy::OwnerBusy>,
        /// Why the question was refused, if it was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refused: Option<String>,
    },
}

/// What a compact [`Message::Summary`] leaves out, as digests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryDigest {
    /// SHA-256 of every catalogue held and its number of changes.
    pub catalogs: [u8; 32],
    /// SHA-256 of every roster event id held.
    pub roster: [u8; 32],
}

/// Something that happened to the engine.
// A received message is the common input and is moved once, into the
// engine: boxing it would cost an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A session with a peer node opened.
    Connected(AgencyId),
    /// The session closed.
    Disconnected(AgencyId),
    /// A message arrived.
    Received {
        /// From whom (authenticated by the transport).
        from: AgencyId,
        /// What.
        msg: Message,
    },
    /// A timer set with [`Output::SetTimer`] fired (or any periodic tick).
    Tick,
    /// The driver has durably stored everything the engine asked it to
    /// persist so far: the engine releases the messages it queued since the
    /// last commit, as [`Output::Send`]s (change messages merged per peer,
    /// within each peer's window; see [`crate::engine::flow`]). A driver
    /// commits once per round of inputs, after its flush.
    Committed,
    /// A member [`Output::Dial`] asked for could not be dialled, or the
    /// dial failed: the free/busy questions waiting on it end, and further
    /// ones count it unreachable until it may be dialled again.
    Unreachable(AgencyId),
    /// `peer` subscribed to `topic` (`on`) or left it, as the driver's
    /// publish-subscribe layer reports (see [`super::gossip`]): changes
    /// published there reach it without a message of ours.
    Subscribed {
        /// Which peer.
        peer: AgencyId,
        /// Which topic.
        topic: super::gossip::Topic,
        /// Subscribed (or left).
        on: bool,
    },
    /// An [`Output::Publish`] could not go out (no peer subscribed to its
    /// topic): the peers counted on it are sent its changes by message.
    Unpublished {
        /// The changes.
        changes: Vec<SignedChange>,
    },
    /// Message `id` sent to `peer` was acknowledged by it (`ok`), or could
    /// not be delivered: frees its place in the peer's window; lost changes
    /// are no longer assumed held by the peer, and a peer left behind is
    /// sent what it lacks, in order, as its window frees.
    Delivered {
        /// To whom it was sent.
        peer: AgencyId,
        /// Which message.
        id: super::flow::MsgId,
        /// Acknowledged (or lost).
        ok: bool,
    },
}

/// Something the driver must do. Persist outputs come before the sends and
/// notifications that depend on them: a driver that executes outputs in
/// order never sends or acknowledges a change it has not stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Store these accepted changes durably.
    Persist(Vec<SignedChange>),
    /// Store these roster events durably.
    PersistRoster(Vec<SignedRosterEvent>),
    /// Send a message to a peer, then report the result with
    /// [`Input::Delivered`] (change messages hold a place in the peer's
    /// window until then).
    Send {
        /// To whom.
        to: AgencyId,
        /// What.
        msg: Message,
        /// Its id, for [`Input::Delivered`].
        id: super::flow::MsgId,
    },
    /// Close the session with a peer.
    Disconnect {
        /// Which.
        peer: AgencyId,
        /// Why.
        reason: String,
    },
    /// Tell local clients.
    Notify(Event),
    /// Call again with [`Input::Tick`] at this time (ms since the epoch).
    SetTimer(i64),
    /// Connect to this member if possible (no connected peer can answer a
    /// free/busy question about it; see [`crate::busy`]): the question goes
    /// once [`Input::Connected`] reports it. A driver that cannot reach it
    /// says so with [`Input::Unreachable`].
    Dial(AgencyId),
    /// Publish these changes, just written here, on `topic` (see
    /// [`super::gossip`]): every peer subscribed to it gets them through
    /// the topic's mesh. Released, like sends, at [`Input::Committed`]. A
    /// driver that cannot publish (no peer subscribed after all) says so
    /// with [`Input::Unpublished`].
    Publish {
        /// The topic.
        topic: super::gossip::Topic,
        /// The changes, all of the topic.
        changes: Vec<SignedChange>,
    },
    /// Subscribe to exactly these topics from now on (see
    /// [`super::gossip`]; emitted when they change, and only where
    /// [`super::Config::gossip`] is on).
    Topics(std::collections::BTreeSet<super::gossip::Topic>),
}

/// A notification for local clients (UI, API event stream).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// Calendars of these resources changed.
    Calendar {
        /// Resources.
        resources: Vec<ResourceId>,
    },
    /// A change was refused.
    Refused {
        /// From which peer (none if local).
        peer: Option<AgencyId>,
        /// What and why.
        refusal: Refusal,
    },
    /// The roster changed.
    Roster,
    /// Free/busy of owners not followed arrived (see [`crate::busy`]), or
    /// the question could not be answered (`owners` then lists those
    /// still unknown).
    Busy {
        /// The owners answered.
        owners: Vec<AgencyId>,
    },
    /// A peer connected or disconnected.
    Peer {
        /// Which.
        peer: AgencyId,
        /// Whether connected now.
        connected: bool,
    },
}

/// A local action by this agency's staff or operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum LocalOp {
    /// Publish or update this agency's profile.
    SetProfile(AgencyProfile),
    /// Publish, edit or retire a resource of this agency.
    PutResource(Box<Resource>),
    /// Request a booking.
    Book {
        /// Which resource.
        resource: ResourceId,
        /// Start.
        start: jiff::Timestamp,
        /// End.
        end: jiff::Timestamp,
        /// People or units.
        quantity: u32,
        /// Contact person.
        #[serde(default)]
        contact: String,
        /// Purpose.
        #[serde(default)]
        purpose: String,
        /// If it does not fit, wait for capacity to free (see
        /// [`crate::policy`]) instead of being rejected.
        #[serde(default)]
        wait_list: bool,
    },
    /// Request a recurring series: one request per occurrence of
    /// `repeat` (RRULE text, see [`crate::recur`]) from `start`, each as long
    /// as `start..end`, written together; the owner decides each occurrence
    /// (see [`crate::policy`]).
    BookSeries {
        /// Which resource.
        resource: ResourceId,
        /// Start of the first occurrence.
        start: jiff::Timestamp,
        /// Its end.
        end: jiff::Timestamp,
        /// People or units.
        quantity: u32,
        /// Contact person.
        #[serde(default)]
        contact: String,
        /// Purpose.
        #[serde(default)]
        purpose: String,
        /// The recurrence rule.
        repeat: String,
    },
    /// Cancel occurrences of one of this agency's recurring series (named
    /// by any of its occurrences).
    CancelSeries {
        /// An occurrence of the series.
        booking: BookingId,
        /// Which occurrences.
        scope: SeriesScope,
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// Cancel one of this agency's requests.
    Cancel {
        /// Which.
        booking: BookingId,
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// `op`, done by a person of this agency (a local account): the
    /// requests, cancellations and decisions it writes name them.
    As {
        /// The person's name.
        by: String,
        /// What they do.
        action: Box<LocalOp>,
    },
    /// Check in to one of this agency's confirmed bookings (签到).
    CheckIn {
        /// Which.
        booking: BookingId,
    },
    /// The owner holds some of its resources for a major event or an
    /// emergency (重大活动 / 应急保障): every unit of each is taken for
    /// `start..end`, and the confirmed bookings in the way are released
    /// with the reason and alternatives.
    Hold {
        /// The resources (all this agency's).
        resources: Vec<ResourceId>,
        /// Start.
        start: jiff::Timestamp,
        /// End.
        end: jiff::Timestamp,
        /// Why, shown to every requester released.
        reason: Text,
    },
    /// Approve or reject a request for one of this agency's resources.
    Decide {
        /// Which.
        booking: BookingId,
        /// Approve (true) or reject.
        approve: bool,
        /// Reason for a rejection.
        #[serde(default)]
        reason: Option<Text>,
    },
    /// Ask a fleet's owner for a vehicle.
    RequestTrip(Box<TripDraft>),
    /// The fleet owner's step in one of its trips.
    Trip {
        /// Which.
        trip: BookingId,
        /// What.
        command: TripCommand,
    },
    /// A step in a warehouse asset's life (loans, repair, disposal,
    /// transfer, inventory).
    Asset(Box<AssetOp>),
}

/// Which occurrences of a series a cancellation takes; dates are in the
/// resource's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesScope {
    /// The occurrence on this date.
    Occurrence(jiff::civil::Date),
    /// Every occurrence on or after this date.
    FromDate(jiff::civil::Date),
    /// Every occurrence.
    Series,
}

/// A step in a warehouse asset's life, as a user asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum AssetOp {
    /// The owner hands a loan's units over.
    Handover {
        /// The loan.
        booking: BookingId,
        /// Asset tags handed over.
        #[serde(default)]
        tags: Vec<String>,
        /// A note (condition).
        #[serde(default)]
        note: String,
    },
    /// The borrower countersigns the handover.
    Receive {
        /// The loan.
        booking: BookingId,
    },
    /// The owner takes a loan's units back.
    Return {
        /// The loan.
        booking: BookingId,
        /// Units back (all of the loan's).
        units: u32,
        /// Of those, damaged.
        #[serde(default)]
        damaged: u32,
        /// The damaged units' asset tags, when known (at most `damaged`).
        #[serde(default)]
        damaged_tags: Vec<String>,
        /// A note (the damage).
        #[serde(default)]
        note: String,
    },
    /// The owner repaired damaged units (修旧利废), or (`start`) sent them
    /// to be repaired: under repair, still out of service.
    Repair {
        /// The asset.
        resource: ResourceId,
        /// Units.
        units: u32,
        /// Which units, by asset tag (else any damaged ones).
        #[serde(default)]
        tags: Vec<String>,
        /// Only the repair's start: damaged → under repair.
        #[serde(default)]
        start: bool,
    },
    /// The owner disposed of units (处置), damaged ones first.
    Dispose {
        /// The asset.
        resource: ResourceId,
        /// Units.
        units: u32,
        /// Which units, by asset tag (else damaged ones first, then any).
        #[serde(default)]
        tags: Vec<String>,
        /// Why (报废 …).
        #[serde(default)]
        reason: String,
        /// How.
        method: crate::asset::Disposal,
    },
    /// The owner offers the asset, or some units, to another agency (调剂).
    Offer {
        /// The asset.
        resource: ResourceId,
        /// The receiver.
        to: AgencyId,
        /// Units, if not the whole asset.
        #[serde(default)]
        units: Option<u32>,
        /// A note.
        #[serde(default)]
        note: String,
    },
    /// The receiver accepts or declines an offer.
    Answer {
        /// The asset.
        resource: ResourceId,
        /// The offer's number in its log.
        seq: u64,
        /// Accept (true) or decline.
        accept: bool,
    },
    /// The owner records an inventory count (清查盘点).
    Count {
        /// The asset.
        resource: ResourceId,
        /// Units counted.
        counted: u32,
        /// A note.
        #[serde(default)]
        note: String,
    },
}

/// A trip request as a user makes it (the node adds the id and clock).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripDraft {
    /// The fleet's owner.
    pub owner: AgencyId,
    /// The class needed, if any.
    #[serde(default)]
    pub class: Option<crate::fleet::VehicleClass>,
    /// One vehicle by id, if any.
    #[serde(default)]
    pub vehicle: Option<ResourceId>,
    /// Departure.
    pub start: jiff::Timestamp,
    /// Return.
    pub end: jiff::Timestamp,
    /// Passengers.
    pub passengers: u32,
    /// Where to.
    #[serde(default)]
    pub destination: String,
    /// Why.
    #[serde(default)]
    pub purpose: String,
    /// Contact person.
    #[serde(default)]
    pub contact: String,
}

/// A fleet owner's step in a trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum TripCommand {
    /// Dispatch it with this vehicle and driver.
    Dispatch {
        /// The vehicle.
        vehicle: ResourceId,
        /// The driver.
        driver: ResourceId,
    },
    /// Refuse it.
    Reject {
        /// Why.
        reason: Text,
    },
    /// It departs.
    Start {
        /// Odometer, km.
        odometer_km: u32,
    },
    /// It is back.
    Finish {
        /// Odometer, km.
        odometer_km: u32,
        /// Fuel taken, ml.
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

/// What a local action produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LocalOutcome {
    /// A booking (new, cancelled or decided) and where it stands now.
    Booking(Box<Booking>),
    /// The catalogue was updated.
    Catalog,
    /// A trip and where it stands now.
    Trip(Box<crate::trip::Trip>),
    /// A loan and where it stands now.
    Loan(Box<crate::asset::Loan>),
    /// A transfer offer and where it stands now.
    Transfer(Box<crate::asset::TransferView>),
    /// An asset's units after the step.
    Inventory(Box<crate::asset::InventoryRow>),
}

/// Why a local action was refused. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code", content = "message")]
pub enum LocalError {
    /// Unknown resource.
    #[error("unknown resource {0}")]
    UnknownResource(String),
    /// Unknown booking.
    #[error("unknown booking {0}")]
    UnknownBooking(String),
    /// Not this agency's to do.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// Breaks the resource's rules.
    #[error("{0}")]
    Rule(crate::resource::RuleViolation),
    /// Invalid input.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The decision cannot be made.
    #[error("{0}")]
    Decide(String),
    /// The vehicle or driver cannot take the trip, or the trip is not in
    /// the state the step needs.
    #[error("{0}")]
    Dispatch(String),
    /// The warehouse step does not fit where the loan, the asset's units or
    /// the offer stand.
    #[error("{0}")]
    Warehouse(String),
    /// The node's store failed: nothing was written or acknowledged.
    #[error("storage failed: {0}")]
    Storage(String),
    /// The node is not taking writes now (shutting down).
    #[error("unavailable: {0}")]
    Unavailable(String),
}
