//! What a node follows (`tongchou follow`, `unfollow`, `follows`): the
//! change an operator sends and what the node answers, the owners it
//! resolves to and what the node holds; and the connections it keeps for
//! it, against its bound (in `status`).

use crdt_model::agency::Text;
use crdt_model::ids::AgencyId;
use crdt_model::interest::Follows;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/follows`: follow (or stop following) owners, cities or
/// kinds of resource. A node that holds everything starts to follow only
/// what it is told (plus its own city and the owners it booked from) at
/// its first `follow`; `all` makes it hold everything again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowRequest {
    /// True to follow, false to stop.
    pub follow: bool,
    /// Owners (agency ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<AgencyId>,
    /// Cities, by their zh or en name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cities: Vec<String>,
    /// Kinds of resource (`meeting-room`, `vehicle`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Hold everything again (with `follow: true`).
    #[serde(default)]
    pub all: bool,
}

/// An owner a node follows now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowedOwner {
    /// The agency.
    pub agency: AgencyId,
    /// Its name.
    pub name: Text,
    /// Its city.
    pub city: Text,
}

/// `GET /api/v1/follows` (and the answer to a change): what the node
/// follows, the owners that resolves to, and what it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowsView {
    /// As the operator set it.
    pub follows: Follows,
    /// The owners whose requests and decisions the node holds (`None`:
    /// everything).
    pub owners: Option<Vec<FollowedOwner>>,
    /// Documents held.
    pub docs_held: u64,
    /// Changes held.
    pub changes_held: u64,
}

/// The node's connections to members against its bound (`run
/// --max-connections`): those it opened follow its connection plan (the
/// owners it follows, or peers holding their bookings, and a few members
/// at large); the others were opened by members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsView {
    /// The bound (both directions together).
    pub max: usize,
    /// Connections to members this node opened.
    pub dialled: usize,
    /// Connections to members opened by them.
    pub accepted: usize,
    /// Dials its plan asked for since the node started.
    pub plan_dials: u64,
    /// Connections it closed to keep within the bound since it started.
    pub closed: u64,
    /// Members found at the bootstrap peers (every page of their answers).
    #[serde(default)]
    pub found: usize,
}

/// Live changes on gossipsub topics, one per owner (catalogues go by
/// message). A node subscribes to its own topic and those of the owners
/// it follows; what it writes goes on the topic to the members subscribed
/// there, each passing on what it verified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicsView {
    /// Topics subscribed to.
    pub subscribed: usize,
    /// Messages this node published since it started.
    pub published: u64,
    /// Messages received on its topics.
    pub received: u64,
    /// Messages rejected and so not passed on: a change in them refused
    /// (forged, revoked, against the rules) or on the wrong topic, or
    /// undecodable. (Messages only of changes held already or waiting for
    /// earlier ones, or from a peer not in session, are not passed on
    /// either, and not counted here.)
    pub not_passed: u64,
}
