//! Data shapes of the node's local HTTP/JSON API: request bodies, query
//! strings, answers and the error body, shared by the server and [`Client`](crate::Client).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crdt_model::agency::Text;
use crdt_model::calendar::Booking;
use crdt_model::ids::{AgencyId, BookingId, DocId, ResourceId};
use crdt_model::ledger::Refusal;
use crdt_model::membership::{Member, Role};
use crdt_model::resource::RuleViolation;

pub use crdt_model::ics::IcsQuery;
pub use crdt_model::query::{BookingFilter, BookingQuery, ResourceFilter, ResourceQuery};

/// The body of every error answer: a stable code, a message and, when a
/// resource's booking rule refused the request, which rule (so a form can
/// show it next to its field).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine code, e.g. `unknown_resource`, `rule`, `bad_request`.
    pub code: String,
    /// Human message.
    pub message: String,
    /// The rule that failed, with code `rule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleViolation>,
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
    /// If it does not fit, wait for capacity to free instead of being
    /// rejected (the owner confirms it when it does; it expires at its
    /// start).
    #[serde(default)]
    pub wait_list: bool,
}

/// `POST /api/v1/checkin`: the requester checks in to a confirmed booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInRequest {
    /// The booking.
    pub booking: BookingId,
}

/// `POST /api/v1/holds`: the owner holds some of its resources for an
/// event or emergency; answers the holds in force, with what they released.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRequest {
    /// The resources (all this agency's).
    pub resources: Vec<ResourceId>,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Why, shown to every requester whose booking is released.
    pub reason: crdt_model::agency::Text,
}

fn one() -> u32 {
    1
}

/// `POST /api/v1/series`: a recurring series of bookings, one request per
/// occurrence of `repeat` (RRULE text such as
/// `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`; see [`crdt_model::recur`]) from
/// the first booking's times. Answers every occurrence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesRequest {
    /// The first occurrence.
    #[serde(flatten)]
    pub book: BookRequest,
    /// The recurrence rule.
    pub repeat: String,
}

/// `POST /api/v1/series/cancel`: cancels occurrences of a recurring series
/// (named by any of its occurrences). Answers every occurrence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesCancelRequest {
    /// An occurrence of the series.
    pub booking: BookingId,
    /// Which occurrences: `{"occurrence": "2026-12-14"}`,
    /// `{"from_date": "2026-12-14"}` or `"series"`.
    pub scope: crdt_model::engine::SeriesScope,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// The engine operation a `POST /api/v1/series` body asks for.
impl From<SeriesRequest> for crdt_model::engine::LocalOp {
    fn from(r: SeriesRequest) -> Self {
        Self::BookSeries {
            resource: r.book.resource,
            start: r.book.start,
            end: r.book.end,
            quantity: r.book.quantity,
            contact: r.book.contact,
            purpose: r.book.purpose,
            repeat: r.repeat,
        }
    }
}

/// The engine operation a `POST /api/v1/series/cancel` body asks for.
impl From<SeriesCancelRequest> for crdt_model::engine::LocalOp {
    fn from(r: SeriesCancelRequest) -> Self {
        Self::CancelSeries {
            booking: r.booking,
            scope: r.scope,
            reason: r.reason,
        }
    }
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

/// `POST /api/v1/trips/step`: the fleet owner's step in a trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripStep {
    /// The trip.
    pub trip: BookingId,
    /// What.
    #[serde(flatten)]
    pub command: crdt_model::engine::TripCommand,
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

/// `GET /api/v1/invites` query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitesQuery {
    /// Every admin's invitations (as this node's roster shows them), not
    /// only this agency's.
    #[serde(default)]
    pub all: bool,
}

/// One invitation in `GET /api/v1/invites`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteEntry {
    /// The invitation's id (the public key of its one-time secret).
    pub invitation: AgencyId,
    /// The admin that issued it.
    pub by: AgencyId,
    /// Name of the agency invited.
    pub name: String,
    /// Role granted.
    pub role: Role,
    /// When it was issued.
    pub issued: Timestamp,
    /// Expiry.
    pub expires: Timestamp,
    /// Outstanding, used, withdrawn or expired.
    #[serde(flatten)]
    pub state: InviteState,
}

/// Where an invitation stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum InviteState {
    /// Unused, valid, not withdrawn: its token still admits one agency.
    Outstanding,
    /// Used: the agency that joined with it.
    Used {
        /// The agency.
        agency: AgencyId,
        /// Its name, if in the roster.
        agency_name: Option<Text>,
    },
    /// Withdrawn by an admin before use.
    Withdrawn {
        /// By which admin.
        withdrawn_by: AgencyId,
        /// When.
        withdrawn_at: Timestamp,
        /// Why.
        reason: String,
    },
    /// Past its expiry, unused.
    Expired,
}

/// `POST /api/v1/invites/withdraw`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawInviteRequest {
    /// The invitation's id.
    pub invitation: AgencyId,
    /// Why.
    #[serde(default)]
    pub reason: String,
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

/// `POST /api/v1/backup`: where the node writes the backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRequest {
    /// The file, an absolute path on the node's machine (replaced
    /// atomically if it exists; mode 0600).
    pub path: String,
}

/// `POST /api/v1/backup` answer: what was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    /// The file written.
    pub path: String,
    /// Its size, bytes.
    pub bytes: u64,
    /// Signed changes in it.
    pub changes: u64,
    /// Roster events in it.
    pub roster_events: u64,
    /// Store entries in it (changes, roster events, markers).
    pub entries: u64,
    /// When the snapshot was taken (everything acknowledged before is in it).
    pub created: String,
    /// How long it took, milliseconds.
    pub millis: u64,
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
    /// Of those, bytes of changes this node held already (received again:
    /// what catching up or forwarding cost beyond one copy).
    #[serde(default)]
    pub duplicate_bytes_in: u64,
    /// Last message.
    pub last_seen: Option<Timestamp>,
    /// Set while this node's operator blocks the member (`tongchou block`):
    /// no connection either way, so nothing is exchanged with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<BlockedPeer>,
}

/// `POST /api/v1/block`: stop (or resume) all traffic with a member, on
/// this node only (a quarantine while it is looked into, or a partition
/// in a test). Nothing is signed or sent: the rest of the network keeps
/// talking to it, and what it wrote meanwhile arrives once unblocked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRequest {
    /// The member.
    pub agency: AgencyId,
    /// True to block, false to unblock.
    pub block: bool,
    /// Block for this many minutes only (none: until unblocked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u64>,
}

/// A member this node blocks (the `POST /api/v1/block` answer lists
/// them all).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedPeer {
    /// The member.
    pub agency: AgencyId,
    /// Since when.
    pub since: Timestamp,
    /// Until when (none: until unblocked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

/// `GET /healthz`: whether the node serves and can write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// True when the node accepts writes (no storage fault, not revoked).
    pub ok: bool,
    /// Why not, when `ok` is false: `storage_fault`, `store_gap` (the store
    /// lost acknowledged changes; peers give them back), `revoked` or
    /// `shutting_down`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Connected peers.
    pub peers: usize,
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
    /// Connections refused at once because their peer, cut earlier as a
    /// non-member, was still in its backoff.
    #[serde(default)]
    pub refused_connections: u64,
    /// Set when this agency was revoked (as the node's roster shows it): the
    /// node refuses local writes and members refuse its changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revoked>,
    /// This agency's documents of which the store holds fewer changes than
    /// the node acknowledged (the store lost some): the node refuses
    /// writes until peers have given them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own_gaps: Vec<OwnGap>,
    /// Changes refused since start, by reason code.
    #[serde(default)]
    pub refused_by_reason: BTreeMap<String, u64>,
    /// Bookings this node holds, by status (`confirmed`, `tentative`, …).
    #[serde(default)]
    pub bookings_by_status: BTreeMap<String, u64>,
    /// Bytes the database takes on disk.
    #[serde(default)]
    pub store_bytes: u64,
    /// Local API requests answered since start, and how fast.
    #[serde(default)]
    pub api: ApiStats,
    /// Webhook deliveries waiting (receivers down or refusing), all webhooks.
    #[serde(default)]
    pub webhook_backlog: u64,
    /// How many owners' bookings the node holds, as `tongchou follow` set
    /// it (`None`: the whole network's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<usize>,
    /// Connections to members against the node's bound.
    #[serde(default)]
    pub connections: crate::follows::ConnectionsView,
    /// Live changes on publish-subscribe topics.
    #[serde(default)]
    pub topics: crate::follows::TopicsView,
    /// Documents of long-past periods this node sealed: left on disk,
    /// served to peers and read by reports from there.
    #[serde(default)]
    pub sealed_docs: u64,
    /// Bookings that ended before this may be among the sealed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_before: Option<Timestamp>,
    /// The person whose token asked, if it is not the agency's own token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<crate::users::UserEntry>,
}

impl Status {
    /// Bytes of signed changes received from all peers, and of those the
    /// ones this node held already (received again).
    pub fn changes_received(&self) -> (u64, u64) {
        self.peers.iter().fold((0, 0), |(b, a), p| {
            (b + p.bytes_in, a + p.duplicate_bytes_in)
        })
    }
}

/// The local API's requests since start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiStats {
    /// Requests answered.
    pub requests: u64,
    /// Of those, answered with a 4xx or 5xx status.
    pub errors: u64,
    /// Median duration, µs (the upper bound of its histogram bucket).
    pub p50_us: u64,
    /// 99th percentile, µs (likewise).
    pub p99_us: u64,
}

/// An own document the store lost acknowledged changes of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnGap {
    /// The document.
    pub doc: DocId,
    /// Changes the store holds.
    pub held: u64,
    /// Changes the node had acknowledged.
    pub acknowledged: u64,
}

/// An agency's revocation: by which admin, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    /// The admin agency that revoked it.
    pub by: AgencyId,
    /// Its name.
    pub by_name: Text,
    /// The reason the admin gave.
    pub reason: String,
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

/// `POST /api/v1/revoke` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeResponse {
    /// The agency revoked.
    pub revoked: AgencyId,
}

/// `api.json` in a running node's home: where its API listens and the
/// token to use (the file is the node's; clients only read it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiInfo {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Bearer token.
    pub token: String,
    /// Daemon process id.
    pub pid: u32,
    /// libp2p listen addresses (with `/p2p/` suffix).
    pub listen: Vec<String>,
}

impl ApiInfo {
    /// Its file name in a node's home.
    pub const FILE: &'static str = "api.json";

    /// Reads it from the home `dir`. `NotFound` means the node is not
    /// running; `InvalidData` that the file is damaged.
    pub fn read(dir: &std::path::Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(dir.join(Self::FILE))?;
        serde_json::from_str(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// `bootstrap.json` in a bootstrap peer's home: where it listens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapInfo {
    /// Listen multiaddrs, each ending in `/p2p/<id>`: give these to members
    /// as `--bootstrap` / `bootstrap = [...]`.
    pub listen: Vec<String>,
    /// Process id.
    pub pid: u32,
}

impl BootstrapInfo {
    /// Its file name in a bootstrap peer's home.
    pub const FILE: &'static str = "bootstrap.json";

    /// Reads it from the home `dir`.
    pub fn read(dir: &std::path::Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(dir.join(Self::FILE))?;
        serde_json::from_str(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

/// What `tongchou --json resource import` prints: rows published, and each
/// rejected row with why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Resources published.
    pub published: usize,
    /// Rows refused.
    pub rejected: Vec<RejectedRow>,
}

/// A row `resource import` refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// Its line in a CSV file, or its `[[resource]]` table's position in a TOML file.
    pub row: usize,
    /// Why.
    pub error: String,
}

/// `POST /api/v1/webhooks`: register a webhook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAdd {
    /// Where to POST (http or https).
    pub url: String,
    /// Event kinds wanted (`request`, `decision`, `cancel`, `release`,
    /// `trip`, `loan`, `reminder`); empty: all.
    #[serde(default)]
    pub events: Vec<String>,
    /// HMAC-SHA256 key for the `X-Tongchou-Signature` header, if any.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A registered webhook and how its deliveries go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEntry {
    /// Its number.
    pub id: u32,
    /// Where it POSTs.
    pub url: String,
    /// Event kinds.
    pub events: Vec<String>,
    /// Whether deliveries are signed.
    pub signed: bool,
    /// Deliveries waiting (the receiver was down or refused).
    pub pending: u64,
    /// Deliveries made.
    pub delivered: u64,
    /// Failed attempts since it was added.
    pub failures: u64,
    /// The last failure, until a delivery succeeds.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// `POST /api/v1/webhooks/remove`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRemove {
    /// The webhook's number.
    pub id: u32,
}

/// The engine operation a `POST /api/v1/book` body asks for (the server
/// and the fuzzing crate build it the same way).
impl From<BookRequest> for crdt_model::engine::LocalOp {
    fn from(r: BookRequest) -> Self {
        Self::Book {
            resource: r.resource,
            start: r.start,
            end: r.end,
            quantity: r.quantity,
            contact: r.contact,
            purpose: r.purpose,
            wait_list: r.wait_list,
        }
    }
}

/// The engine operation a `POST /api/v1/holds` body asks for.
impl From<HoldRequest> for crdt_model::engine::LocalOp {
    fn from(r: HoldRequest) -> Self {
        Self::Hold {
            resources: r.resources,
            start: r.start,
            end: r.end,
            reason: r.reason,
        }
    }
}

/// The engine operation a `POST /api/v1/cancel` body asks for.
impl From<CancelRequest> for crdt_model::engine::LocalOp {
    fn from(r: CancelRequest) -> Self {
        Self::Cancel {
            booking: r.booking,
            reason: r.reason,
        }
    }
}

/// The engine operation a `POST /api/v1/decide` body asks for.
impl From<DecideRequest> for crdt_model::engine::LocalOp {
    fn from(r: DecideRequest) -> Self {
        Self::Decide {
            booking: r.booking,
            approve: r.approve,
            reason: r.reason,
        }
    }
}
