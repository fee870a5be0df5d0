//! Bookings: requests, cancellations and the owner's decisions, as stored in
//! the replicated documents, plus the lifecycle status shown to users.

use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::hlc::Hlc;
use crate::ids::{BookingId, ResourceId};

/// A booking request, written by the requesting agency in its own document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    /// Id; its requester part is the only agency that may cancel it.
    pub id: BookingId,
    /// The resource asked for (of any member agency).
    pub resource: ResourceId,
    /// Contact person (name, phone); inline up to 24 bytes, like the ids,
    /// so the usual request needs no allocation beyond its own.
    #[serde(default)]
    pub contact: CompactString,
    /// Purpose of the booking (inline up to 24 bytes).
    #[serde(default)]
    pub purpose: CompactString,
    /// Start, UTC instant.
    pub start: Timestamp,
    /// End, UTC instant, exclusive.
    pub end: Timestamp,
    /// Attendees (rooms, vehicles) or units (parking, desks, assets).
    pub quantity: u32,
    /// When it was requested; earlier requests go first in line.
    pub hlc: Hlc,
    /// The series it is an occurrence of, if it repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Box<Series>>,
    /// If it does not fit, it waits (instead of being rejected) until
    /// capacity frees, and expires at its start (see [`crate::policy`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wait_list: bool,
    /// The person of the requesting agency who asked (a local account,
    /// see `tongchou user add`), if the agency names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<CompactString>,
}

/// An occurrence's place in a recurring series (see [`crate::recur`]):
/// every occurrence is a request of its own, with its own outcome, written
/// together in one change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// The first occurrence: names the series (same requester).
    pub first: BookingId,
    /// The rule as RRULE text (canonical).
    pub rule: String,
    /// This occurrence's position, from 0.
    pub index: u32,
    /// How many occurrences the series has.
    pub count: u32,
}

impl BookingRequest {
    /// The terms the owner confirms.
    pub fn terms(&self) -> Terms {
        Terms {
            start: self.start,
            end: self.end,
            quantity: self.quantity,
        }
    }

    /// The order of requests in line: HLC, then requester, then id.
    pub fn rank_key(&self) -> (Hlc, &BookingId) {
        (self.hlc, &self.id)
    }
}

/// The time range and quantity of a booking, repeated in decisions so that
/// capacity accounting needs only the owner's own log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Terms {
    /// Start, UTC.
    pub start: Timestamp,
    /// End, UTC, exclusive.
    pub end: Timestamp,
    /// Quantity.
    pub quantity: u32,
}

impl Terms {
    /// Whether two half-open ranges overlap.
    pub fn overlaps(&self, start: Timestamp, end: Timestamp) -> bool {
        self.start < end && start < self.end
    }
}

/// The requester's check-in (签到): it is using the booking. On a resource
/// that asks for one, a confirmed booking without it is released when the
/// check-in minutes after its start have passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// The booking.
    pub booking: BookingId,
    /// When.
    pub hlc: Hlc,
}

/// A cancellation, written by the requester in its own document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// The cancelled request.
    pub booking: BookingId,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// When.
    pub hlc: Hlc,
    /// The person who cancelled, if the agency names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<CompactString>,
}

/// Another slot or resource offered with a rejection.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Alternative {
    /// The resource offered.
    pub resource: ResourceId,
    /// Start, UTC.
    pub start: Timestamp,
    /// End, UTC.
    pub end: Timestamp,
}

/// What the owner decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// Confirmed: the booking holds capacity.
    Confirm,
    /// Rejected, with a reason and up to three alternatives.
    Reject {
        /// Why.
        reason: Text,
        /// Other slots or equivalent resources.
        #[serde(default)]
        alternatives: Vec<Alternative>,
    },
    /// Capacity given back: of a confirmed booking after its cancellation
    /// (`why` empty), of one the owner takes back (`why` says why), of units
    /// held out of service once they are repaired, or of a hold lifted.
    Release {
        /// Why the owner released a booking its requester had not
        /// cancelled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<ReleaseWhy>,
    },
    /// Units taken out of service from `terms.start` on (`terms.quantity`
    /// of them, until released): damaged on return, or disposed of for good.
    /// The booking id is the hold's own, `<owner>/hold-<n>`.
    Hold {
        /// Why the units are out.
        hold: crate::asset::HoldKind,
        /// What the owner wrote (the damage, the disposal's reason).
        #[serde(default)]
        note: String,
        /// The unit's asset tag, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<CompactString>,
    },
    /// The owner offers the resource (`units: None`) or some of its units to
    /// another agency (see [`crate::asset`]): the booking id is the offer's,
    /// `<owner>/xfer-<n>`.
    Transfer {
        /// The agency offered it.
        to: crate::ids::AgencyId,
        /// Units offered, if not the whole resource.
        #[serde(default)]
        units: Option<u32>,
        /// A note for the receiver.
        #[serde(default)]
        note: String,
    },
}

/// Why the owner released a confirmed booking its requester had not
/// cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum ReleaseWhy {
    /// Not checked in within the resource's check-in minutes of its start
    /// (未签到): counted per agency in the reports.
    NoShow,
    /// The owner needs the resource (a hold for a major event or an
    /// emergency, 重大活动 / 应急保障, or units damaged or disposed of).
    Withdrawn {
        /// Why, as the owner wrote it.
        reason: Text,
        /// Other slots or resources offered instead (at most three).
        #[serde(default)]
        alternatives: Vec<Alternative>,
    },
}

impl ReleaseWhy {
    /// Bilingual text for users.
    pub fn text(&self) -> Text {
        match self {
            ReleaseWhy::NoShow => Text::new(
                "未在规定时间内签到，已释放",
                "released: not checked in on time (no-show)",
            ),
            ReleaseWhy::Withdrawn { reason, .. } => Text::new(
                format!("资源方收回：{}", reason.get("zh")),
                format!("withdrawn by the owner: {}", reason.get("en")),
            ),
        }
    }
}

/// One entry of an owner's decision log for a resource.
///
/// Decisions on a resource are numbered 1, 2, 3 … by its owner. Every replica
/// applies them in that order and only as an unbroken prefix, so each replica
/// holds exactly the confirmations the owner held when it decided: capacity
/// can never be exceeded, whatever arrives late.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The resource.
    pub resource: ResourceId,
    /// The agency that wrote it (the decisions document's owner): the
    /// resource's creator, or an agency it was transferred to; only the
    /// owner at its position in the log counts.
    pub author: crate::ids::AgencyId,
    /// Position in the resource's decision log, from 1.
    pub seq: u64,
    /// The booking decided on.
    pub booking: BookingId,
    /// The terms decided on (must equal the request's).
    pub terms: Terms,
    /// What was decided.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// When.
    pub hlc: Hlc,
    /// The owner's person who decided (an approver), if it names one;
    /// none for the owner's automatic decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<CompactString>,
}

/// Where a booking stands, as every replica with the same changes computes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    /// Waiting for the owner; `rank` is its place in line among overlapping
    /// requests (1 = next), `fits` whether it would fit the free capacity
    /// after the requests ahead of it.
    Tentative {
        /// Place in line, 1-based.
        rank: u32,
        /// Whether it fits after the ones ahead.
        fits: bool,
        /// On the waiting list: it asked to wait for capacity to free.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        waiting: bool,
    },
    /// Confirmed by the owner.
    Confirmed,
    /// Rejected by the owner.
    Rejected {
        /// Why.
        reason: Text,
        /// Alternatives offered.
        alternatives: Vec<Alternative>,
    },
    /// Cancelled by the requester.
    Cancelled,
    /// Confirmed, then released by the owner (a no-show, or withdrawn).
    Released {
        /// Why.
        why: ReleaseWhy,
    },
    /// The requester was revoked before a decision.
    Void,
}

impl Status {
    /// Short machine label: `tentative`, `confirmed`, …
    pub fn label(&self) -> &'static str {
        match self {
            Status::Tentative { .. } => "tentative",
            Status::Confirmed => "confirmed",
            Status::Rejected { .. } => "rejected",
            Status::Cancelled => "cancelled",
            Status::Released { .. } => "released",
            Status::Void => "void",
        }
    }

    /// Bilingual display label.
    pub fn text(&self) -> Text {
        match self {
            Status::Tentative {
                rank,
                waiting: true,
                ..
            } => Text::new(
                format!("候补中(第{rank}位)"),
                format!("on the waiting list (#{rank})"),
            ),
            Status::Tentative { rank, .. } => Text::new(
                format!("待定(第{rank}位)"),
                format!("tentative (#{rank} in line)"),
            ),
            Status::Confirmed => Text::new("已确认", "confirmed"),
            Status::Rejected { .. } => Text::new("已拒绝", "rejected"),
            Status::Cancelled => Text::new("已取消", "cancelled"),
            Status::Released {
                why: ReleaseWhy::NoShow,
            } => Text::new("已释放(未签到)", "released (no-show)"),
            Status::Released { .. } => Text::new("已收回", "withdrawn"),
            Status::Void => Text::new("已作废", "void"),
        }
    }
}
