//! Data shapes of the node's local HTTP/JSON API, shared by the node, the
//! CLI and the TUI.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::calendar::Booking;
use crate::ids::{AgencyId, BookingId, DocId, ResourceId};
use crate::ledger::Refusal;
use crate::membership::{Member, Role};

/// An API error: a stable code and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine code, e.g. `unknown_resource`, `rule`, `bad_request`.
    pub code: String,
    /// Human message.
    pub message: String,
}

/// `POST /api/v1/bookings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRequest {
    /// Resource.
    pub resource: ResourceId,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// People or units (default 1).
    #[serde(default = "one")]
    pub quantity: u32,
    /// Contact.
    #[serde(default)]
    pub contact: String,
    /// Purpose.
    #[serde(default)]
    pub purpose: String,
}

fn one() -> u32 {
    1
}

/// `POST /api/v1/cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// Booking.
    pub booking: BookingId,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/decide`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecideRequest {
    /// Booking.
    pub booking: BookingId,
    /// Approve or reject.
    pub approve: bool,
    /// Reason for a rejection.
    #[serde(default)]
    pub reason: Option<Text>,
}

/// `POST /api/v1/invite`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    /// Intended agency name.
    pub agency: String,
    /// Role.
    #[serde(default = "member")]
    pub role: Role,
    /// Validity, hours.
    #[serde(default = "week")]
    pub expires_hours: u32,
    /// Extra addresses to put in the token (this node's own are added).
    #[serde(default)]
    pub bootstrap: Vec<String>,
}

fn member() -> Role {
    Role::Member
}
fn week() -> u32 {
    24 * 7
}

/// `POST /api/v1/invite` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteResponse {
    /// The one-line token.
    pub token: String,
    /// Expiry.
    pub expires: Timestamp,
}

/// `POST /api/v1/rotate-key` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateKeyResponse {
    /// The agency (its id does not change).
    pub agency: AgencyId,
    /// The key it signed with until now.
    pub old_key: AgencyId,
    /// The key it signs with from now on (also its new peer identity).
    pub new_key: AgencyId,
}

/// `POST /api/v1/revoke`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    /// Agency.
    pub agency: AgencyId,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// One peer in `GET /api/v1/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    /// Agency.
    pub agency: AgencyId,
    /// Its name.
    pub name: Text,
    /// Connected now.
    pub connected: bool,
    /// Changes we hold that it does not (as far as we know).
    pub lag: u64,
    /// Messages received.
    pub messages_in: u64,
    /// Messages sent.
    pub messages_out: u64,
    /// Its changes we refused.
    pub refused: u64,
    /// Bytes of signed changes received from it.
    #[serde(default)]
    pub bytes_in: u64,
    /// Last message.
    pub last_seen: Option<Timestamp>,
}

/// `GET /api/v1/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// This agency.
    pub agency: AgencyId,
    /// Its name.
    pub name: Text,
    /// Network id.
    pub network: String,
    /// Network name.
    pub network_name: String,
    /// Listen addresses.
    pub listen: Vec<String>,
    /// Peers.
    pub peers: Vec<PeerStatus>,
    /// Documents held and their change counts.
    pub docs: BTreeMap<DocId, u64>,
    /// Total changes held.
    pub changes: u64,
    /// Changes waiting for earlier ones: `(doc, first missing seq, waiting)`.
    pub pending: Vec<(DocId, u64, usize)>,
    /// Changes refused since start.
    pub refused_total: u64,
    /// Recent refusals.
    pub refused: Vec<Refusal>,
    /// Resources in the catalogue.
    pub resources: usize,
    /// Booking requests known.
    pub bookings: usize,
    /// Started at.
    pub started: Timestamp,
    /// libp2p peer ids with an open connection (members and not-yet-admitted).
    #[serde(default)]
    pub transport_peers: Vec<String>,
    /// Set when the node's store failed: the node refuses writes and stops
    /// syncing until restarted on a healthy store; says why and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_fault: Option<String>,
}

/// `GET /api/v1/members`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    /// Agency.
    pub agency: AgencyId,
    /// Roster entry.
    #[serde(flatten)]
    pub member: Member,
}

/// A list of bookings.
pub type Bookings = Vec<Booking>;
