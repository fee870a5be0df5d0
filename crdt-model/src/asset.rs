//! The public-property warehouse (公物仓): assets as resources with tags,
//! category, purchase year and value; units out of service (damaged,
//! disposed); loans with handover, receipt and return; transfers (调剂) of
//! a whole asset or of some units to another agency; inventory counts.
//!
//! Everything is a signed record written by the one agency entitled to it:
//!
//! - **Units out of service** are [`Verdict::Hold`](crate::booking::Verdict::Hold)
//!   entries of the resource's own decision log, so every replica replays
//!   them in number order with the bookings and no confirmation can ever
//!   use a damaged or disposed unit; a repair is a `Release` of the hold.
//! - **A loan** is a confirmed booking plus [`LoanEvent`]s: the owner's
//!   handover and return (`loan/<requester>/<local>/handover|return` in its
//!   decisions), the borrower's receipt (`loan/<local>/receive` beside its
//!   request).
//! - **A transfer** is a [`Verdict::Transfer`](crate::booking::Verdict::Transfer)
//!   entry of the log, answered by the receiver with a [`TransferAnswer`]
//!   (`xfer/<origin>/<local>/<n>` in its requests document for the
//!   offering owner). A resource keeps its id (its creator and local name)
//!   for life; who owns it is read from the log (see [`crate::calendar`]):
//!   the creator, then each receiver of an accepted whole-asset offer made
//!   by the owner of the time. An offer of the whole asset freezes the log
//!   until the receiver answers; an offer of some units holds them until
//!   declined.
//! - **An inventory count** ([`InventoryCount`], `count/<resource>/<n>` in
//!   the owner's decisions) records the units counted on the shelf.

pub mod view;

use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::hlc::Hlc;
use crate::ids::{AgencyId, BookingId, DocId, DocKind, ResourceId};
use crate::record::{MAX_TEXT, RecordError, check_plain};
use crate::resource::Resource;

pub use view::{
    InventoryQuery, InventoryRow, Loan, LoanFilter, LoanStatus, TransferFilter, TransferStatus,
    TransferView, UnitCondition, UnitState, inventory_row,
};

/// The end of a hold that lasts until released: 9999-01-01T00:00:00Z.
pub const FOREVER: Timestamp = Timestamp::constant(253_370_764_800, 0);

/// Attribute keys of warehouse assets in [`Resource::attributes`].
pub mod attr {
    /// Asset tags (电子标签), comma-separated, at most one per unit.
    pub const TAGS: &str = "tags";
    /// Category (办公家具, 投影设备 …).
    pub const CATEGORY: &str = "category";
    /// Purchase year.
    pub const YEAR: &str = "year";
    /// Purchase value, yuan.
    pub const VALUE: &str = "value";
    /// For units received by transfer: the asset they came from.
    pub const FROM: &str = "from";
    /// The agency the owner last offered the asset (or units of it) to,
    /// in the catalogue every replica holds: that agency follows the
    /// owner from then on (see [`crate::interest`]), so it sees the offer
    /// in the owner's decisions and can answer it.
    pub const OFFERED_TO: &str = "offered-to";
}

/// Why units are out of service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "condition")]
pub enum HoldKind {
    /// Damaged (returned damaged, or found so): out until repaired (修旧利废)
    /// or disposed of.
    Damaged,
    /// Being repaired: still out, until the repair is recorded as done.
    Repairing,
    /// Disposed of (处置), for good.
    Disposed {
        /// How.
        method: Disposal,
    },
    /// Every unit held by the owner for a major event or an emergency
    /// (重大活动 / 应急保障), for the hold's time only (`terms.start..end`).
    Event,
}

impl HoldKind {
    /// Bilingual label.
    pub fn text(&self) -> Text {
        match self {
            HoldKind::Damaged => Text::new("损坏待修", "damaged"),
            HoldKind::Repairing => Text::new("维修中", "under repair"),
            HoldKind::Event => Text::new("重大活动/应急保障占用", "held for an event"),
            HoldKind::Disposed { method } => Text::new(
                format!("已处置({})", method.text().zh),
                format!("disposed ({})", method.text().en),
            ),
        }
    }
}

/// Why units are held out of a resource's bookable capacity (see
/// [`crate::calendar::UnitHold`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "held_for")]
pub enum HeldFor {
    /// Damaged, until repaired.
    Damaged,
    /// Under repair.
    Repairing,
    /// Disposed of, for good.
    Disposed {
        /// How.
        method: Disposal,
    },
    /// Offered to another agency, until it answers.
    Offered {
        /// To whom.
        to: AgencyId,
    },
    /// Given to another agency, for good.
    Transferred {
        /// To whom.
        to: AgencyId,
    },
    /// Held by the owner for an event or emergency, until the hold's end.
    Event,
}

impl HeldFor {
    /// Whether the unit comes back into service when the hold is released
    /// (damaged or under repair), as opposed to gone for good.
    pub fn repairable(&self) -> bool {
        matches!(self, HeldFor::Damaged | HeldFor::Repairing)
    }

    /// Bilingual label (without the other agency's name).
    pub fn text(&self) -> Text {
        match self {
            HeldFor::Damaged => HoldKind::Damaged.text(),
            HeldFor::Repairing => HoldKind::Repairing.text(),
            HeldFor::Disposed { method } => HoldKind::Disposed { method: *method }.text(),
            HeldFor::Offered { .. } => Text::new("调剂待接收", "offered"),
            HeldFor::Transferred { .. } => Text::new("已调出", "transferred"),
            HeldFor::Event => HoldKind::Event.text(),
        }
    }
}

/// How a disposed unit left (处置方式).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposal {
    /// 拍卖.
    Auction,
    /// 回收.
    Recycle,
    /// 捐赠.
    Donate,
    /// 报废 (scrapped).
    Scrap,
}

impl Disposal {
    /// Every method, in display order.
    pub const ALL: [Disposal; 4] = [
        Disposal::Auction,
        Disposal::Recycle,
        Disposal::Donate,
        Disposal::Scrap,
    ];

    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Disposal::Auction => "auction",
            Disposal::Recycle => "recycle",
            Disposal::Donate => "donate",
            Disposal::Scrap => "scrap",
        }
    }

    /// Bilingual label.
    pub fn text(self) -> Text {
        let zh = match self {
            Disposal::Auction => "拍卖",
            Disposal::Recycle => "回收",
            Disposal::Donate => "捐赠",
            Disposal::Scrap => "报废",
        };
        Text::new(zh, self.code())
    }
}

impl std::str::FromStr for Disposal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Disposal::ALL
            .into_iter()
            .find(|m| m.code().eq_ignore_ascii_case(s) || m.text().zh == s)
            .ok_or_else(|| {
                format!("unknown disposal method {s:?} (拍卖|回收|捐赠|报废, auction|recycle|donate|scrap)")
            })
    }
}

impl Resource {
    /// Its asset tags (电子标签), in order.
    pub fn asset_tags(&self) -> Vec<&str> {
        self.attributes
            .get(attr::TAGS)
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What is wrong with its asset attributes, if anything: more tags than
    /// units, a tag twice, a year or value that is not a number.
    pub fn asset_problem(&self) -> Option<String> {
        let tags = self.asset_tags();
        if tags.len() > self.capacity.size() as usize {
            return Some(format!(
                "{} asset tags for {} units",
                tags.len(),
                self.capacity.size()
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(t) = tags.iter().find(|t| !seen.insert(**t)) {
            return Some(format!("asset tag {t} given twice"));
        }
        if let Some(y) = self.attributes.get(attr::YEAR)
            && !y.parse::<u16>().is_ok_and(|y| (1900..=2200).contains(&y))
        {
            return Some(format!("purchase year {y:?} is not a year"));
        }
        if let Some(v) = self.attributes.get(attr::VALUE)
            && !v.parse::<f64>().is_ok_and(|v| v.is_finite() && v >= 0.0)
        {
            return Some(format!("value {v:?} is not an amount"));
        }
        None
    }
}

/// A resource as named in a record key written by `writer`: its local name
/// when `writer` created it, else `<creator>/<local>`.
pub fn resource_key(rid: &ResourceId, writer: AgencyId) -> String {
    if rid.owner == writer {
        rid.local.to_string()
    } else {
        rid.to_string()
    }
}

/// The resource named by a key part written by `writer` (see
/// [`resource_key`]); `None` if it does not parse or is not canonical.
pub fn parse_resource_key(s: &str, writer: AgencyId) -> Option<ResourceId> {
    let rid = if s.contains('/') {
        let rid: ResourceId = s.parse().ok()?;
        if rid.owner == writer {
            return None;
        }
        rid
    } else {
        ResourceId::new(writer, s).ok()?
    };
    Some(rid)
}

/// A step of a loan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum LoanStep {
    /// The owner handed the units over (which tags, in what condition).
    Handover {
        /// Asset tags handed over.
        #[serde(default)]
        tags: Vec<CompactString>,
        /// A note (condition).
        #[serde(default)]
        note: String,
    },
    /// The borrower countersigns that it received them.
    Receive,
    /// The owner took units back.
    Return {
        /// Units back.
        units: u32,
        /// Of those, damaged (out of service until repaired).
        #[serde(default)]
        damaged: u32,
        /// A note (the damage).
        #[serde(default)]
        note: String,
    },
}

impl LoanStep {
    /// The last part of its record key.
    pub fn kind(&self) -> &'static str {
        match self {
            LoanStep::Handover { .. } => "handover",
            LoanStep::Receive => "receive",
            LoanStep::Return { .. } => "return",
        }
    }
}

/// One step of a loan, signed by the agency entitled to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanEvent {
    /// The loan (a booking of an asset).
    pub booking: BookingId,
    /// Who wrote it.
    pub by: AgencyId,
    /// What happened.
    #[serde(flatten)]
    pub step: LoanStep,
    /// When.
    pub hlc: Hlc,
}

/// A loan event as stored: without what its document and key say.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredLoan {
    step: LoanStep,
    hlc: Hlc,
}

impl LoanEvent {
    /// Its key: the owner's `loan/<requester>/<local>/<step>`, the borrower's
    /// `loan/<local>/receive`.
    pub fn key(&self) -> String {
        match self.step {
            LoanStep::Receive => format!("loan/{}/receive", self.booking.local),
            _ => format!(
                "loan/{}/{}/{}",
                self.booking.requester,
                self.booking.local,
                self.step.kind()
            ),
        }
    }

    pub(crate) fn stored(&self) -> StoredLoan {
        StoredLoan {
            step: self.step.clone(),
            hlc: self.hlc,
        }
    }

    pub(crate) fn rebuild(doc: &DocId, key: &str, s: StoredLoan) -> Result<Self, RecordError> {
        let bad = || RecordError::WrongKey(key.to_string());
        let rest = key.strip_prefix("loan/").ok_or_else(bad)?;
        let parts: Vec<&str> = rest.split('/').collect();
        let booking = match (parts.as_slice(), &s.step) {
            ([local, "receive"], LoanStep::Receive) => {
                BookingId::new(doc.owner, local).map_err(|_| bad())?
            }
            ([requester, local, _], _) => {
                BookingId::new(requester.parse().map_err(|_| bad())?, local).map_err(|_| bad())?
            }
            _ => return Err(bad()),
        };
        Ok(Self {
            booking,
            by: doc.owner,
            step: s.step,
            hlc: s.hlc,
        })
    }

    /// Whether `doc` may hold it: the borrower's receipt beside its
    /// requests, the owner's handover and return in its decisions.
    pub(crate) fn check(&self, doc: &DocId) -> Result<(), RecordError> {
        if self.by != doc.owner {
            return Err(RecordError::Unauthorized(
                "loan step of another agency".into(),
            ));
        }
        match &self.step {
            LoanStep::Receive => {
                if doc.kind != DocKind::Requests || self.booking.requester != doc.owner {
                    return Err(RecordError::Unauthorized(
                        "only the borrower countersigns a loan".into(),
                    ));
                }
            }
            LoanStep::Handover { tags, note } => {
                if doc.kind != DocKind::Decisions {
                    return Err(RecordError::Unauthorized(
                        "a handover is the owner's record".into(),
                    ));
                }
                if tags.len() > 1_000 || note.len() > MAX_TEXT {
                    return Err(RecordError::Invalid("handover too long".into()));
                }
                for t in tags {
                    check_plain("tag", t)?;
                }
                check_plain("note", note)?;
            }
            LoanStep::Return {
                units,
                damaged,
                note,
            } => {
                if doc.kind != DocKind::Decisions {
                    return Err(RecordError::Unauthorized(
                        "a return is the owner's record".into(),
                    ));
                }
                if *units == 0 || damaged > units {
                    return Err(RecordError::Invalid(
                        "a return needs units ≥ 1 and damaged ≤ units".into(),
                    ));
                }
                if note.len() > MAX_TEXT {
                    return Err(RecordError::Invalid("note too long".into()));
                }
                check_plain("note", note)?;
            }
        }
        Ok(())
    }
}

/// The receiver's answer to an offer (调剂): accept or decline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferAnswer {
    /// The resource offered.
    pub resource: ResourceId,
    /// The offer's number in the resource's log.
    pub seq: u64,
    /// Who answers (only the agency offered it counts).
    pub by: AgencyId,
    /// Accepted or declined.
    pub accept: bool,
    /// When.
    pub hlc: Hlc,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredAnswer {
    accept: bool,
    hlc: Hlc,
}

impl TransferAnswer {
    /// Its key: `xfer/<creator>/<local>/<n>`.
    pub fn key(&self) -> String {
        format!("xfer/{}/{}", self.resource, self.seq)
    }

    pub(crate) fn stored(&self) -> StoredAnswer {
        StoredAnswer {
            accept: self.accept,
            hlc: self.hlc,
        }
    }

    pub(crate) fn rebuild(doc: &DocId, key: &str, s: StoredAnswer) -> Result<Self, RecordError> {
        let bad = || RecordError::WrongKey(key.to_string());
        let rest = key.strip_prefix("xfer/").ok_or_else(bad)?;
        let (rid, seq) = rest.rsplit_once('/').ok_or_else(bad)?;
        Ok(Self {
            resource: rid.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
            by: doc.owner,
            accept: s.accept,
            hlc: s.hlc,
        })
    }

    pub(crate) fn check(&self, doc: &DocId) -> Result<(), RecordError> {
        if self.by != doc.owner || doc.kind != DocKind::Requests || self.seq == 0 {
            return Err(RecordError::Unauthorized(
                "a transfer is answered by its receiver, in its requests".into(),
            ));
        }
        Ok(())
    }
}

/// An inventory count (清查盘点): the units the owner found on the shelf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryCount {
    /// The asset.
    pub resource: ResourceId,
    /// Who counted (only the owner's counts are shown).
    pub by: AgencyId,
    /// Units counted.
    pub counted: u32,
    /// A note.
    #[serde(default)]
    pub note: String,
    /// When.
    pub hlc: Hlc,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredCount {
    counted: u32,
    #[serde(default)]
    note: String,
    hlc: Hlc,
}

impl InventoryCount {
    /// Its key: `count/<resource>/<wall ms>-<counter>`.
    pub fn key(&self) -> String {
        format!(
            "count/{}/{}-{}",
            resource_key(&self.resource, self.by),
            self.hlc.wall_ms,
            self.hlc.counter
        )
    }

    pub(crate) fn stored(&self) -> StoredCount {
        StoredCount {
            counted: self.counted,
            note: self.note.clone(),
            hlc: self.hlc,
        }
    }

    pub(crate) fn rebuild(doc: &DocId, key: &str, s: StoredCount) -> Result<Self, RecordError> {
        let bad = || RecordError::WrongKey(key.to_string());
        let rest = key.strip_prefix("count/").ok_or_else(bad)?;
        let (rid, _) = rest.rsplit_once('/').ok_or_else(bad)?;
        Ok(Self {
            resource: parse_resource_key(rid, doc.owner).ok_or_else(bad)?,
            by: doc.owner,
            counted: s.counted,
            note: s.note,
            hlc: s.hlc,
        })
    }

    pub(crate) fn check(&self, doc: &DocId) -> Result<(), RecordError> {
        if self.by != doc.owner || doc.kind != DocKind::Decisions {
            return Err(RecordError::Unauthorized(
                "a count is the owner's record".into(),
            ));
        }
        if self.note.len() > MAX_TEXT {
            return Err(RecordError::Invalid("note too long".into()));
        }
        check_plain("note", &self.note)
    }
}

#[cfg(test)]
mod tests;
