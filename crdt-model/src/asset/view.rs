//! Where loans, transfers and inventories stand, computed the same way on
//! every replica from the records and the calendars, and the queries a
//! client asks: [`LoanFilter`], [`TransferFilter`], [`InventoryQuery`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::asset::{HeldFor, LoanEvent};
use crate::booking::{Decision, Status, Verdict};
use crate::calendar::ResourceCalendar;
use crate::engine::Engine;
use crate::hlc::Hlc;
use crate::ids::{AgencyId, BookingId, ResourceId};
use crate::ledger::Index;
use crate::query::Query;
use crate::resource::ResourceKind;

/// Where a loan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanStatus {
    /// Confirmed, not yet handed over.
    Booked,
    /// Handed over by the owner.
    HandedOver,
    /// Handed over and countersigned by the borrower.
    Received,
    /// Back with the owner.
    Returned,
}

impl LoanStatus {
    /// Bilingual label.
    pub fn text(self) -> Text {
        match self {
            LoanStatus::Booked => Text::new("待交付", "to hand over"),
            LoanStatus::HandedOver => Text::new("已交付", "handed over"),
            LoanStatus::Received => Text::new("已签收", "received"),
            LoanStatus::Returned => Text::new("已归还", "returned"),
        }
    }

    /// Whether the units are with the borrower.
    pub fn out(self) -> bool {
        matches!(self, LoanStatus::HandedOver | LoanStatus::Received)
    }
}

/// A loan: a confirmed booking of a warehouse asset and its steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// The booking.
    pub booking: BookingId,
    /// The asset.
    pub resource: ResourceId,
    /// Its owner (who hands over and takes back).
    pub owner: AgencyId,
    /// From.
    pub start: Timestamp,
    /// Due back.
    pub end: Timestamp,
    /// Units lent.
    pub units: u32,
    /// Where it stands.
    pub status: LoanStatus,
    /// Due back and not returned (only once handed over).
    pub overdue: bool,
    /// Why it was borrowed.
    #[serde(default)]
    pub purpose: String,
    /// The owner's handover.
    #[serde(default)]
    pub handover: Option<LoanEvent>,
    /// The borrower's receipt.
    #[serde(default)]
    pub receipt: Option<LoanEvent>,
    /// The owner's record of the return.
    #[serde(default, rename = "return")]
    pub returned: Option<LoanEvent>,
}

/// The loan of `booking` on `cal` (a confirmed booking of an asset), at `now`.
pub fn loan(
    index: &Index,
    cal: &ResourceCalendar,
    booking: &crate::calendar::Booking,
    now: Timestamp,
) -> Loan {
    let rid = &booking.resource;
    let owner = cal.owner.unwrap_or(rid.owner);
    let events = index.loans.get(&booking.id);
    // The owner's steps count (its creator's too, for a loan made before a
    // transfer); the borrower's receipt.
    let by_owner = |kind: &'static str| {
        events.and_then(|m| {
            m.get(&(owner, kind))
                .or_else(|| m.get(&(rid.owner, kind)))
                .cloned()
        })
    };
    let handover = by_owner("handover");
    let returned = by_owner("return");
    let receipt = events.and_then(|m| m.get(&(booking.id.requester, "receive")).cloned());
    let status = match (&handover, &receipt, &returned) {
        (_, _, Some(_)) => LoanStatus::Returned,
        (Some(_), Some(_), None) => LoanStatus::Received,
        (Some(_), None, None) => LoanStatus::HandedOver,
        (None, _, None) => LoanStatus::Booked,
    };
    Loan {
        booking: booking.id.clone(),
        resource: rid.clone(),
        owner,
        start: booking.terms.start,
        end: booking.terms.end,
        units: booking.terms.quantity,
        status,
        overdue: status.out() && booking.terms.end <= now,
        purpose: index
            .requests
            .get(&booking.id)
            .map(|r| r.purpose.to_string())
            .unwrap_or_default(),
        handover,
        receipt,
        returned,
    }
}

/// Loans a client asks for; every filter optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanFilter {
    /// Only loans due back and not returned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overdue: bool,
    /// Only this agency's own loans (as borrower).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// Only loans of this agency's assets (as lender).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lent: bool,
    /// Only loans not yet returned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open: bool,
    /// Only loans of this asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<ResourceId>,
    /// One loan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<BookingId>,
}

impl Query for LoanFilter {
    type Answer = Vec<Loan>;

    /// Matching loans, by due date then id.
    fn answer(&self, engine: &Engine, now: Timestamp) -> Vec<Loan> {
        let index = engine.ledger().index();
        let me = engine.id();
        let mut out = Vec::new();
        for (rid, cal) in engine.calendars() {
            if self.asset.as_ref().is_some_and(|a| a != rid)
                || index
                    .resources
                    .get(rid)
                    .is_none_or(|r| r.kind != ResourceKind::WarehouseAsset)
                || (self.lent && cal.owner != Some(me))
            {
                continue;
            }
            for b in &cal.confirmed {
                if self.id.as_ref().is_some_and(|id| *id != b.id)
                    || (self.mine && b.id.requester != me)
                {
                    continue;
                }
                let l = loan(index, cal, b, now);
                if (self.overdue && !l.overdue) || (self.open && l.status == LoanStatus::Returned) {
                    continue;
                }
                out.push(l);
            }
        }
        out.sort_by(|a, b| (a.end, &a.booking).cmp(&(b.end, &b.booking)));
        out
    }
}

/// Where a transfer offer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Waiting for the receiver.
    Pending,
    /// Accepted: the receiver owns the asset (or the units).
    Accepted,
    /// Declined: nothing moved.
    Declined,
}

impl TransferStatus {
    /// Bilingual label.
    pub fn text(self) -> Text {
        match self {
            TransferStatus::Pending => Text::new("待接收", "pending"),
            TransferStatus::Accepted => Text::new("已接收", "accepted"),
            TransferStatus::Declined => Text::new("已谢绝", "declined"),
        }
    }
}

/// A transfer offer (调剂) as shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferView {
    /// Its id: `<resource>/<n>` (the offer's number in the resource's log).
    pub id: String,
    /// The asset.
    pub resource: ResourceId,
    /// The offer's number in the asset's log.
    pub seq: u64,
    /// The offering owner.
    pub from: AgencyId,
    /// The receiver.
    pub to: AgencyId,
    /// Units offered; `None` for the whole asset.
    #[serde(default)]
    pub units: Option<u32>,
    /// The offering owner's note.
    #[serde(default)]
    pub note: String,
    /// Where it stands.
    pub status: TransferStatus,
    /// When it was offered.
    pub hlc: Hlc,
    /// Whether it counts: made by the owner of the time, and (for a whole
    /// asset) where the log has reached it on this replica.
    pub valid: bool,
}

/// The offer decision `(rid, seq, author)`, if held.
fn offer_decision<'a>(
    index: &'a Index,
    rid: &ResourceId,
    seq: u64,
    author: AgencyId,
) -> Option<&'a Decision> {
    let is_offer = |d: &&Decision| matches!(d.verdict, Verdict::Transfer { .. });
    if author == rid.owner {
        index
            .decisions
            .get(rid)?
            .range((seq, BookingId::min())..)
            .take_while(|((s, _), _)| *s == seq)
            .map(|(_, d)| d)
            .find(is_offer)
    } else {
        index
            .later_decisions
            .get(rid)?
            .range((seq, author, BookingId::min())..)
            .take_while(|((s, a, _), _)| (*s, *a) == (seq, author))
            .map(|(_, d)| d)
            .find(is_offer)
    }
}

/// Every transfer offer held, in resource and log order.
pub fn transfers(engine: &Engine) -> Vec<TransferView> {
    let index = engine.ledger().index();
    let mut out = Vec::new();
    for (rid, offers) in &index.offers {
        let cal = engine.calendar(rid);
        for ((seq, author), (to, units)) in offers {
            let Some(d) = offer_decision(index, rid, *seq, *author) else {
                continue;
            };
            let note = match &d.verdict {
                Verdict::Transfer { note, .. } => note.clone(),
                _ => String::new(),
            };
            let status = match index.answers.get(&(rid.clone(), *seq, *to)) {
                Some(a) if a.accept => TransferStatus::Accepted,
                Some(_) => TransferStatus::Declined,
                None => TransferStatus::Pending,
            };
            // Counts where the replayed log holds it: a whole-asset offer
            // the log waits on or went past with `author` as owner, a unit
            // offer as a hold.
            let valid = cal.is_some_and(|c| {
                c.waiting_for_transfer == Some(*seq)
                    || c.holds.iter().any(|h| h.seq == *seq)
                    || !c.anomalies.iter().any(|a| {
                        matches!(a, crate::calendar::Anomaly::NotOwner { seq: s, .. } if s == seq)
                    }) && c.waiting_for_decision.is_none_or(|w| w > *seq)
            });
            out.push(TransferView {
                id: format!("{rid}/{seq}"),
                resource: rid.clone(),
                seq: *seq,
                from: *author,
                to: *to,
                units: *units,
                note,
                status,
                hlc: d.hlc,
                valid,
            });
        }
    }
    out
}

/// Transfer offers a client asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFilter {
    /// Only offers made by or to this agency.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// Only offers waiting for an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

impl Query for TransferFilter {
    type Answer = Vec<TransferView>;

    fn answer(&self, engine: &Engine, _now: Timestamp) -> Vec<TransferView> {
        let me = engine.id();
        transfers(engine)
            .into_iter()
            .filter(|t| t.valid)
            .filter(|t| !self.mine || t.from == me || t.to == me)
            .filter(|t| !self.pending || t.status == TransferStatus::Pending)
            .collect()
    }
}

/// One asset's units as the ledger has them, and the last count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRow {
    /// The asset.
    pub resource: ResourceId,
    /// Its name.
    pub name: Text,
    /// Its owner now.
    pub owner: AgencyId,
    /// Units it was created with (its capacity).
    pub total: u32,
    /// Bookable now: not lent, booked, damaged, disposed or given away.
    pub available: u32,
    /// With borrowers (handed over, not yet returned).
    pub on_loan: u32,
    /// Damaged, waiting for repair.
    pub damaged: u32,
    /// Under repair.
    #[serde(default)]
    pub under_repair: u32,
    /// Disposed of.
    pub disposed: u32,
    /// Given (or offered) to other agencies.
    pub transferred: u32,
    /// Units that should be on the shelf: total less disposed, given away
    /// and lent out.
    pub expected: u32,
    /// The latest count by the owner.
    #[serde(default)]
    pub counted: Option<u32>,
    /// When it was counted.
    #[serde(default)]
    pub counted_at: Option<Timestamp>,
    /// Counted less expected, when counted.
    #[serde(default)]
    pub discrepancy: Option<i64>,
    /// Each tagged unit and its condition.
    #[serde(default)]
    pub units: Vec<UnitCondition>,
}

/// Where a unit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitState {
    /// On the shelf, in service.
    Good,
    /// With a borrower.
    OnLoan,
    /// Damaged, waiting for repair.
    Damaged,
    /// Under repair.
    UnderRepair,
    /// Disposed of.
    Disposed,
    /// Given (or offered) to another agency.
    Transferred,
}

impl UnitState {
    /// Bilingual label.
    pub fn text(self) -> Text {
        match self {
            UnitState::Good => Text::new("完好", "good"),
            UnitState::OnLoan => Text::new("借出", "on loan"),
            UnitState::Damaged => Text::new("损坏待修", "damaged"),
            UnitState::UnderRepair => Text::new("维修中", "under repair"),
            UnitState::Disposed => Text::new("已处置", "disposed"),
            UnitState::Transferred => Text::new("已调出", "transferred"),
        }
    }
}

/// One tagged unit's condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitCondition {
    /// Its asset tag.
    pub tag: String,
    /// Where it stands.
    pub state: UnitState,
}

/// The inventory a client asks for: warehouse assets, by owner and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryQuery {
    /// Only assets of this owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<AgencyId>,
    /// One asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<ResourceId>,
    /// Only assets with a discrepancy in their last count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discrepancies: bool,
}

/// The inventory row of one resource at `now`.
pub fn inventory_row(
    index: &Index,
    cal: &ResourceCalendar,
    r: &crate::resource::Resource,
    now: Timestamp,
) -> InventoryRow {
    let total = r.capacity.size();
    let (mut damaged, mut repairing, mut disposed, mut transferred) = (0u32, 0u32, 0u32, 0u32);
    // Tagged units in the asset's order.
    let mut state: Vec<(String, UnitState)> = r
        .asset_tags()
        .into_iter()
        .map(|t| (t.to_string(), UnitState::Good))
        .collect();
    let find =
        |state: &mut Vec<(String, UnitState)>, tag: &str| state.iter().position(|(t, _)| t == tag);
    // Every hold counts from when it was recorded, even one that starts
    // later (a damaged unit returned before its loan's end).
    for h in &cal.holds {
        let s = match h.reason {
            HeldFor::Damaged => {
                damaged += h.units;
                UnitState::Damaged
            }
            HeldFor::Repairing => {
                repairing += h.units;
                UnitState::UnderRepair
            }
            HeldFor::Disposed { .. } => {
                disposed += h.units;
                UnitState::Disposed
            }
            HeldFor::Offered { .. } | HeldFor::Transferred { .. } => {
                transferred += h.units;
                UnitState::Transferred
            }
            // Time-bound, not a unit's condition.
            HeldFor::Event => continue,
        };
        if let Some(t) = &h.tag
            && let Some(i) = find(&mut state, t)
        {
            state[i].1 = s;
        }
    }
    let out: Vec<Loan> = cal
        .confirmed
        .iter()
        .map(|b| loan(index, cal, b, now))
        .filter(|l| l.status.out())
        .collect();
    let on_loan: u32 = out.iter().map(|l| l.units).sum();
    for l in &out {
        if let Some(LoanEvent {
            step: crate::asset::LoanStep::Handover { tags, .. },
            ..
        }) = &l.handover
        {
            for t in tags {
                if let Some(i) = find(&mut state, t)
                    && state[i].1 == UnitState::Good
                {
                    state[i].1 = UnitState::OnLoan;
                }
            }
        }
    }
    let owner = cal.owner.unwrap_or(r.id.owner);
    let end = Timestamp::from_second(now.as_second() + 1).unwrap_or(now);
    let busy = cal
        .occupancy
        .peak(now, end)
        .max(damaged + disposed + transferred + on_loan);
    let expected = total.saturating_sub(disposed + transferred + on_loan);
    let last = index.counts.get(&r.id).and_then(|m| {
        m.iter()
            .rev()
            .find(|((_, by), _)| *by == owner || *by == r.id.owner)
            .map(|(_, c)| c)
    });
    InventoryRow {
        resource: r.id.clone(),
        name: r.name.clone(),
        owner,
        total,
        available: r.capacity.limit().saturating_sub(busy),
        on_loan,
        damaged,
        under_repair: repairing,
        disposed,
        transferred,
        expected,
        counted: last.map(|c| c.counted),
        counted_at: last.and_then(|c| Timestamp::from_millisecond(c.hlc.wall_ms).ok()),
        discrepancy: last.map(|c| i64::from(c.counted) - i64::from(expected)),
        units: state
            .into_iter()
            .map(|(tag, state)| UnitCondition { tag, state })
            .collect(),
    }
}

impl Query for InventoryQuery {
    type Answer = Vec<InventoryRow>;

    fn answer(&self, engine: &Engine, now: Timestamp) -> Vec<InventoryRow> {
        let index = engine.ledger().index();
        let mut out: Vec<InventoryRow> = index
            .resources
            .values()
            .filter(|r| r.kind == ResourceKind::WarehouseAsset)
            .filter(|r| self.asset.as_ref().is_none_or(|a| *a == r.id))
            .filter_map(|r| {
                Some(inventory_row(
                    index,
                    &*engine.calendar_owned(&r.id)?,
                    r,
                    now,
                ))
            })
            .filter(|row| self.owner.is_none_or(|o| o == row.owner))
            .filter(|row| !self.discrepancies || row.discrepancy.is_some_and(|d| d != 0))
            .collect();
        out.sort_by(|a, b| {
            (a.owner, &a.name.zh, &a.resource).cmp(&(b.owner, &b.name.zh, &b.resource))
        });
        out
    }
}

/// Whether `cal` holds no confirmed booking ending after `since`: unused
/// since then, and nothing booked ahead.
pub fn idle_since(cal: &ResourceCalendar, since: Timestamp) -> bool {
    !cal.confirmed
        .iter()
        .any(|b| b.status == Status::Confirmed && b.terms.end > since)
}
