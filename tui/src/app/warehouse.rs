//! Derived views of the warehouse (公物仓) for its screen: the loans this
//! agency lends and borrows, most urgent first; its inventory and idle
//! assets; transfer offers made by or to it; and the input dialogs of the
//! warehouse's steps, checked here before anything is sent.

use crdt_model::asset::{Disposal, InventoryRow, Loan, LoanStatus, TransferStatus, TransferView};
use crdt_model::booking::Status;
use crdt_model::engine::AssetOp;
use crdt_model::ids::{AgencyId, BookingId, ResourceId};
use crdt_model::membership::MemberStatus;
use jiff::{SignedDuration, Timestamp};

use super::State;
use crate::i18n::{self, L};

/// The warehouse screen's panes, in `Tab` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WhPane {
    /// Loans of our assets and our own loans.
    #[default]
    Loans,
    /// Our assets' units.
    Inventory,
    /// Transfer offers made by or to us.
    Transfers,
}

impl WhPane {
    /// Every pane, in `Tab` order.
    pub const ALL: [WhPane; 3] = [WhPane::Loans, WhPane::Inventory, WhPane::Transfers];

    /// Its title.
    pub fn title(self) -> L {
        match self {
            WhPane::Loans => i18n::WH_LOANS,
            WhPane::Inventory => i18n::WH_INVENTORY,
            WhPane::Transfers => i18n::WH_TRANSFERS,
        }
    }

    /// The pane `delta` places further in `Tab` order.
    pub fn cycle(self, delta: isize) -> Self {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0);
        let n = Self::ALL.len() as isize;
        Self::ALL[(i as isize + delta).rem_euclid(n) as usize]
    }
}

/// The warehouse screen's pane and the row selected in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WarehouseState {
    /// The pane shown.
    pub pane: WhPane,
    /// Selected row of that pane.
    pub selected: usize,
}

/// How soon a loan needs someone, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// With the borrower past its due time.
    Overdue,
    /// With the borrower, due back today.
    DueToday,
    /// Not handed over, and it starts today (or started already).
    HandOverToday,
    /// Nothing to do today.
    Later,
    /// Returned.
    Done,
}

impl Urgency {
    /// Its mark in the list, if it has one.
    pub fn label(self) -> Option<L> {
        match self {
            Urgency::Overdue => Some(i18n::WH_OVERDUE),
            Urgency::DueToday => Some(i18n::WH_DUE_TODAY),
            Urgency::HandOverToday => Some(i18n::WH_HAND_OVER_TODAY),
            Urgency::Later | Urgency::Done => None,
        }
    }
}

/// A loan as the screen lists it.
#[derive(Clone, Copy, Debug)]
pub struct LoanRow<'a> {
    /// The loan.
    pub loan: &'a Loan,
    /// Of one of our assets (we hand over and take back).
    pub lent: bool,
    /// Ours (we countersign the handover).
    pub borrowed: bool,
    /// How soon it needs someone.
    pub urgency: Urgency,
}

/// How long a returned loan or an unused asset stays in view.
const RECENT: SignedDuration = SignedDuration::from_hours(30 * 24);

impl State {
    /// How soon `l` needs someone, at the TUI's clock.
    pub fn urgency(&self, l: &Loan) -> Urgency {
        let day = |t: Timestamp| t.to_zoned(self.tz.clone()).date();
        let today = day(self.now);
        match l.status {
            LoanStatus::Returned => Urgency::Done,
            s if s.out() && (l.overdue || l.end <= self.now) => Urgency::Overdue,
            s if s.out() && day(l.end) == today => Urgency::DueToday,
            LoanStatus::Booked if day(l.start) <= today && l.end > self.now => {
                Urgency::HandOverToday
            }
            _ => Urgency::Later,
        }
    }

    /// Loans of our assets not yet returned and our own (returned ones
    /// for 30 days): overdue first, then due back today, to hand over today, the rest by
    /// due date.
    pub fn warehouse_loans(&self) -> Vec<LoanRow<'_>> {
        let Some(me) = self.me() else {
            return Vec::new();
        };
        let since = self.now.checked_sub(RECENT).unwrap_or(self.now);
        let mut v: Vec<LoanRow> = self
            .data
            .loans
            .iter()
            .filter(|l| l.owner == me || l.booking.requester == me)
            .filter(|l| l.status != LoanStatus::Returned || l.end > since)
            .map(|l| LoanRow {
                loan: l,
                lent: l.owner == me,
                borrowed: l.booking.requester == me,
                urgency: self.urgency(l),
            })
            .collect();
        v.sort_by(|a, b| {
            let key = |r: &LoanRow| {
                let at = match r.urgency {
                    Urgency::HandOverToday => r.loan.start,
                    _ => r.loan.end,
                };
                (r.urgency, at, r.loan.booking.clone())
            };
            key(a).cmp(&key(b))
        });
        v
    }

    /// Our assets' inventory rows, by name.
    pub fn my_inventory(&self) -> Vec<&InventoryRow> {
        let Some(me) = self.me() else {
            return Vec::new();
        };
        self.data
            .inventory
            .iter()
            .filter(|r| r.owner == me)
            .collect()
    }

    /// Whether asset `rid` has no confirmed booking ending in the last 30
    /// days or later: unused, and nothing booked ahead.
    pub fn idle(&self, rid: &ResourceId) -> bool {
        let since = self.now.checked_sub(RECENT).unwrap_or(self.now);
        !self
            .data
            .bookings
            .iter()
            .any(|b| b.resource == *rid && b.status == Status::Confirmed && b.terms.end > since)
    }

    /// Transfer offers made by or to us: those waiting for our answer
    /// first, then the rest as the node listed them.
    pub fn warehouse_transfers(&self) -> Vec<&TransferView> {
        let Some(me) = self.me() else {
            return Vec::new();
        };
        let mut v: Vec<&TransferView> = self
            .data
            .transfers
            .iter()
            .filter(|t| t.from == me || t.to == me)
            .collect();
        v.sort_by_key(|t| !(t.to == me && t.status == TransferStatus::Pending));
        v
    }

    /// Active members other than us whose name (either language) holds
    /// `typed`, in roster order: who an asset can be offered to.
    pub fn transfer_targets(&self, typed: &str) -> Vec<AgencyId> {
        let needle = typed.trim().to_lowercase();
        self.data
            .members
            .iter()
            .filter(|m| Some(m.agency) != self.me())
            .filter(|m| m.member.status == MemberStatus::Active)
            .filter(|m| {
                let n = &m.member.profile.name;
                n.zh.to_lowercase().contains(&needle) || n.en.to_lowercase().contains(&needle)
            })
            .map(|m| m.agency)
            .collect()
    }
}

/// A warehouse step asked for in a dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetAction {
    /// Hand a loan over (tags, note).
    Handover,
    /// Take a loan back (damaged units, note).
    Return,
    /// Repair damaged units.
    Repair,
    /// Dispose of units (units, method, reason).
    Dispose,
    /// Offer the asset or some units to another agency.
    Offer,
    /// Record an inventory count.
    Count,
}

impl AssetAction {
    /// The dialog's title.
    pub fn title(self) -> L {
        match self {
            AssetAction::Handover => i18n::WH_HANDOVER,
            AssetAction::Return => i18n::WH_RETURN,
            AssetAction::Repair => i18n::WH_REPAIR,
            AssetAction::Dispose => i18n::WH_DISPOSE,
            AssetAction::Offer => i18n::WH_OFFER,
            AssetAction::Count => i18n::WH_COUNT,
        }
    }
}

/// What a dialog field takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Free text.
    Text,
    /// A whole number (digits only).
    Number,
    /// A disposal method, chosen with ←/→.
    Method,
    /// An agency: the text typed narrows the roster, ←/→ chooses.
    Agency,
}

/// One field of an asset dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputField {
    /// Its label.
    pub label: L,
    /// What was typed.
    pub value: String,
    /// What it takes.
    pub kind: InputKind,
    /// Holds a suggested value the first key typed replaces.
    pub replace: bool,
}

impl InputField {
    fn new(label: L, kind: InputKind, value: impl Into<String>) -> Self {
        let value = value.into();
        Self {
            label,
            replace: !value.is_empty(),
            value,
            kind,
        }
    }
}

/// An input dialog for a step of the warehouse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetInput {
    /// The step.
    pub action: AssetAction,
    /// The asset.
    pub resource: ResourceId,
    /// The loan, for a handover or a return.
    pub booking: Option<BookingId>,
    /// The loan's units (a return takes all of them back).
    pub units: u32,
    /// The fields, in order.
    pub fields: Vec<InputField>,
    /// The field being edited.
    pub focus: usize,
    /// The choice of a method or agency field (index into its options).
    pub choice: usize,
}

impl AssetInput {
    /// The handover of loan `l`: tags and a note, both optional.
    pub fn handover(l: &Loan) -> Self {
        Self::of_loan(
            AssetAction::Handover,
            l,
            vec![
                InputField::new(i18n::F_TAGS, InputKind::Text, ""),
                InputField::new(i18n::F_NOTE, InputKind::Text, ""),
            ],
        )
    }

    /// Taking loan `l` back: all its units, how many damaged, a note.
    pub fn take_back(l: &Loan) -> Self {
        Self::of_loan(
            AssetAction::Return,
            l,
            vec![
                InputField::new(i18n::F_DAMAGED, InputKind::Number, "0"),
                InputField::new(i18n::F_NOTE, InputKind::Text, ""),
            ],
        )
    }

    fn of_loan(action: AssetAction, l: &Loan, fields: Vec<InputField>) -> Self {
        Self {
            action,
            resource: l.resource.clone(),
            booking: Some(l.booking.clone()),
            units: l.units,
            fields,
            focus: 0,
            choice: 0,
        }
    }

    /// A step on asset `row`'s units.
    pub fn on_asset(action: AssetAction, row: &InventoryRow) -> Self {
        let n = |s: String| InputField::new(i18n::F_UNITS, InputKind::Number, s);
        let fields = match action {
            AssetAction::Repair => vec![n("1".into())],
            AssetAction::Dispose => vec![
                n("1".into()),
                InputField::new(i18n::F_METHOD, InputKind::Method, ""),
                InputField::new(i18n::F_DISPOSE_REASON, InputKind::Text, ""),
            ],
            AssetAction::Offer => vec![
                InputField::new(i18n::F_TO_AGENCY, InputKind::Agency, ""),
                InputField::new(i18n::F_UNITS_OR_WHOLE, InputKind::Number, ""),
                InputField::new(i18n::F_NOTE, InputKind::Text, ""),
            ],
            AssetAction::Count => vec![
                InputField::new(i18n::F_COUNTED, InputKind::Number, row.expected.to_string()),
                InputField::new(i18n::F_NOTE, InputKind::Text, ""),
            ],
            AssetAction::Handover | AssetAction::Return => Vec::new(),
        };
        Self {
            action,
            resource: row.resource.clone(),
            booking: None,
            units: row.total,
            fields,
            focus: 0,
            choice: 0,
        }
    }

    /// The text of the first field of `kind`.
    fn value(&self, kind: InputKind, nth: usize) -> &str {
        self.fields
            .iter()
            .filter(|f| f.kind == kind)
            .nth(nth)
            .map(|f| f.value.trim())
            .unwrap_or_default()
    }

    /// The `nth` number field, `None` when empty; an error when not a number.
    fn number(&self, nth: usize) -> Result<Option<u32>, L> {
        let s = self.value(InputKind::Number, nth);
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<u32>().map(Some).map_err(|_| i18n::E_NUMBER)
    }

    /// The disposal method chosen.
    pub fn method(&self) -> Disposal {
        Disposal::ALL[self.choice % Disposal::ALL.len()]
    }

    /// The agency chosen among those matching what was typed.
    pub fn agency(&self, state: &State) -> Option<AgencyId> {
        let t = state.transfer_targets(self.value(InputKind::Agency, 0));
        t.get(self.choice % t.len().max(1)).copied()
    }

    /// The step to send, or what is wrong with the fields.
    pub fn to_op(&self, state: &State) -> Result<AssetOp, L> {
        let text = |nth: usize| self.value(InputKind::Text, nth).to_string();
        let positive = |n: Option<u32>| n.filter(|n| *n > 0).ok_or(i18n::E_NUMBER);
        let resource = self.resource.clone();
        let booking = || self.booking.clone().ok_or(i18n::NOTHING_SELECTED);
        Ok(match self.action {
            AssetAction::Handover => AssetOp::Handover {
                booking: booking()?,
                tags: text(0)
                    .split([',', '，', ' '])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect(),
                note: text(1),
            },
            AssetAction::Return => {
                let damaged = self.number(0)?.unwrap_or(0);
                if damaged > self.units {
                    return Err(i18n::E_DAMAGED);
                }
                AssetOp::Return {
                    booking: booking()?,
                    units: self.units,
                    damaged,
                    damaged_tags: Vec::new(),
                    note: text(0),
                }
            }
            AssetAction::Repair => AssetOp::Repair {
                resource,
                units: positive(self.number(0)?)?,
                tags: Vec::new(),
                start: false,
            },
            AssetAction::Dispose => AssetOp::Dispose {
                resource,
                units: positive(self.number(0)?)?,
                tags: Vec::new(),
                reason: text(0),
                method: self.method(),
            },
            AssetAction::Offer => {
                let units = match self.number(0)? {
                    None => None,
                    n => Some(positive(n)?),
                };
                AssetOp::Offer {
                    resource,
                    to: self.agency(state).ok_or(i18n::E_AGENCY)?,
                    units,
                    note: text(0),
                }
            }
            AssetAction::Count => AssetOp::Count {
                resource,
                counted: self.number(0)?.ok_or(i18n::E_NUMBER)?,
                note: text(0),
            },
        })
    }
}

/// The message shown when the node recorded `op`.
pub fn asset_done(op: &AssetOp) -> L {
    match op {
        AssetOp::Handover { .. } => i18n::DONE_HANDED_OVER,
        AssetOp::Receive { .. } => i18n::DONE_RECEIVED,
        AssetOp::Return { .. } => i18n::DONE_TAKEN_BACK,
        AssetOp::Repair { .. } => i18n::DONE_REPAIRED,
        AssetOp::Dispose { .. } => i18n::DONE_DISPOSED,
        AssetOp::Offer { .. } => i18n::DONE_OFFERED,
        AssetOp::Answer { accept: true, .. } => i18n::DONE_ACCEPTED,
        AssetOp::Answer { accept: false, .. } => i18n::DONE_DECLINED,
        AssetOp::Count { .. } => i18n::DONE_COUNTED,
    }
}
