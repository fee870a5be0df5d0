//! Free/busy of owners a node does not follow (`tongchou busy`): the
//! question a client sends and what the node answers, fetched from the
//! owner or a peer following it and cached (see `crdt_model::busy`).

use crdt_model::busy::BusyView;
use crdt_model::engine::BusyAsked;
use crdt_model::ids::AgencyId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How long the node waits for answers before it answers with what it
/// has, ms, unless the question says otherwise.
pub const DEFAULT_WAIT_MS: u64 = 3_000;
/// How old a cached answer may be before it is fetched again, s, unless
/// the question says otherwise.
pub const DEFAULT_MAX_AGE_S: u64 = 60;

/// Most owners in one [`BusyRequest`].
pub const MAX_BUSY_OWNERS: usize = 256;

/// `POST /api/v1/busy`: the free/busy of these owners over `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyRequest {
    /// The owners (agency ids); those the node follows need no fetching.
    pub owners: Vec<AgencyId>,
    /// The window (at most 93 days).
    pub from: Timestamp,
    /// End of the window.
    pub to: Timestamp,
    /// Fetch again what is older than this, s (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_s: Option<u64>,
    /// Wait at most this long for answers, ms (default 3,000; at most 30,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

/// The answer: what was asked of whom, and every cached free/busy of the
/// owners asked (fresh or not; see each one's `fetched`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusyAnswer {
    /// Per owner: followed (exact here), fresh, asked of a peer, or
    /// unreachable (no connected peer holds it).
    pub asked: BusyAsked,
    /// The owners' free/busy as cached now.
    pub views: Vec<BusyView>,
    /// Owners asked that did not answer in time (their `views` entry, if
    /// any, is older).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silent: Vec<AgencyId>,
    /// Owners no connected peer held, dialled for this question (asked
    /// once connected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dialled: Vec<AgencyId>,
}
