//! The warehouse's keys: panes (loans, inventory, transfers), the owner's
//! steps (hand over, take back, repair, dispose, offer, count) through an
//! input dialog, and the borrower's and receiver's steps (countersign,
//! accept, decline) after a confirmation: no single key records anything.

use super::*;
use crate::app::{AssetAction, AssetInput, InputKind, WhPane};
use crdt_model::asset::{LoanStatus, TransferStatus};
use crdt_model::engine::AssetOp;

/// Rows in the warehouse's current pane.
pub(super) fn warehouse_len(state: &State) -> usize {
    match state.warehouse.pane {
        WhPane::Loans => state.warehouse_loans().len(),
        WhPane::Inventory => state.my_inventory().len(),
        WhPane::Transfers => state.warehouse_transfers().len(),
    }
}

pub(super) fn warehouse_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let delta = match k.code {
        KeyCode::Tab => Some(1),
        KeyCode::BackTab => Some(-1),
        _ => None,
    };
    if let Some(d) = delta {
        state.warehouse.pane = state.warehouse.pane.cycle(d);
        state.warehouse.selected = 0;
        return vec![];
    }
    if let Some(d) = vertical(&k) {
        let n = warehouse_len(state);
        step(&mut state.warehouse.selected, d, n);
        return vec![];
    }
    let KeyCode::Char(c) = k.code else {
        return vec![];
    };
    let handled = match state.warehouse.pane {
        WhPane::Loans => loan_key(state, c),
        WhPane::Inventory => inventory_key(state, c),
        WhPane::Transfers => transfer_key(state, c),
    };
    if handled == Some(false) {
        error(state, i18n::WH_NOT_APPLICABLE.both());
    }
    vec![]
}

/// A key on the selected loan: `Some(false)` when it is one of the pane's
/// keys but does not apply to this loan, `None` when it is not a key here.
fn loan_key(state: &mut State, c: char) -> Option<bool> {
    let row = state
        .warehouse_loans()
        .get(state.warehouse.selected)
        .copied();
    let (lent, borrowed, loan) = match row {
        Some(r) => (r.lent, r.borrowed, Some(r.loan.clone())),
        None => (false, false, None),
    };
    let status = loan.as_ref().map(|l| l.status);
    let dialog = match c {
        'h' | 'b' | 's' if loan.is_none() => return Some(false),
        'h' if lent && status == Some(LoanStatus::Booked) => {
            loan.map(|l| Dialog::Asset(Box::new(AssetInput::handover(&l))))
        }
        'b' if lent && status.is_some_and(LoanStatus::out) => {
            loan.map(|l| Dialog::Asset(Box::new(AssetInput::take_back(&l))))
        }
        's' if borrowed && status == Some(LoanStatus::HandedOver) => loan.map(|l| {
            let what = format!(
                "{} · {} · ×{} · {}",
                state.resource_name(&l.resource),
                state.agency_name(&l.owner),
                l.units,
                state.fmt_range(l.start, l.end)
            );
            Dialog::ConfirmAsset {
                op: Box::new(AssetOp::Receive { booking: l.booking }),
                ask: i18n::ASK_RECEIVE,
                what,
            }
        }),
        'h' | 'b' | 's' => return Some(false),
        _ => return None,
    };
    state.dialog = dialog;
    Some(true)
}

/// A key on the selected asset of our inventory.
fn inventory_key(state: &mut State, c: char) -> Option<bool> {
    let action = match c {
        'm' => AssetAction::Repair,
        'd' => AssetAction::Dispose,
        't' => AssetAction::Offer,
        'i' => AssetAction::Count,
        _ => return None,
    };
    let Some(row) = state
        .my_inventory()
        .get(state.warehouse.selected)
        .map(|r| (*r).clone())
    else {
        return Some(false);
    };
    if action == AssetAction::Repair && row.damaged + row.under_repair == 0 {
        return Some(false);
    }
    state.dialog = Some(Dialog::Asset(Box::new(AssetInput::on_asset(action, &row))));
    Some(true)
}

/// A key on the selected transfer offer: only one made to us and waiting.
fn transfer_key(state: &mut State, c: char) -> Option<bool> {
    let accept = match c {
        'a' | 'y' => true,
        'x' | 'n' => false,
        _ => return None,
    };
    let me = state.me();
    let Some(t) = state
        .warehouse_transfers()
        .get(state.warehouse.selected)
        .map(|t| (*t).clone())
        .filter(|t| Some(t.to) == me && t.status == TransferStatus::Pending)
    else {
        return Some(false);
    };
    let units = t
        .units
        .map(|n| format!("×{n}"))
        .unwrap_or_else(|| state.t(i18n::WH_WHOLE).to_string());
    let what = format!(
        "{} · {} · {units}",
        state.resource_name(&t.resource),
        state.agency_name(&t.from)
    );
    state.dialog = Some(Dialog::ConfirmAsset {
        op: Box::new(AssetOp::Answer {
            resource: t.resource,
            seq: t.seq,
            accept,
        }),
        ask: if accept {
            i18n::ASK_ACCEPT
        } else {
            i18n::ASK_DECLINE
        },
        what,
    });
    Some(true)
}

/// Keys in an asset dialog: Tab/↑↓ move between fields, ←→ choose a
/// method or agency, Enter sends when the fields are right, Esc leaves.
pub(super) fn asset_input_key(
    state: &mut State,
    mut input: AssetInput,
    k: KeyEvent,
) -> Vec<Effect> {
    let n = input.fields.len().max(1);
    let kind = input.fields.get(input.focus).map(|f| f.kind);
    match k.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => match input.to_op(state) {
            Ok(op) => return vec![Effect::AssetStep(Box::new(op))],
            Err(e) => error(state, e.both()),
        },
        KeyCode::Tab | KeyCode::Down => input.focus = (input.focus + 1) % n,
        KeyCode::BackTab | KeyCode::Up => input.focus = (input.focus + n - 1) % n,
        KeyCode::Left | KeyCode::Right
            if matches!(kind, Some(InputKind::Method | InputKind::Agency)) =>
        {
            let options = match kind {
                Some(InputKind::Method) => crdt_model::asset::Disposal::ALL.len(),
                _ => {
                    let typed = input
                        .fields
                        .get(input.focus)
                        .map(|f| f.value.clone())
                        .unwrap_or_default();
                    state.transfer_targets(&typed).len()
                }
            }
            .max(1);
            input.choice = if k.code == KeyCode::Right {
                (input.choice + 1) % options
            } else {
                (input.choice + options - 1) % options
            };
        }
        _ => {
            if let Some(f) = input.fields.get_mut(input.focus) {
                if std::mem::take(&mut f.replace) && matches!(k.code, KeyCode::Char(_)) {
                    f.value.clear();
                }
                match f.kind {
                    InputKind::Method => {}
                    InputKind::Number => {
                        let digit = matches!(k.code, KeyCode::Char(c) if c.is_ascii_digit());
                        if digit || !matches!(k.code, KeyCode::Char(_)) {
                            edit_text(&mut f.value, &k);
                        }
                    }
                    InputKind::Agency => {
                        if edit_text(&mut f.value, &k) {
                            input.choice = 0;
                        }
                    }
                    InputKind::Text => {
                        edit_text(&mut f.value, &k);
                    }
                }
            }
        }
    }
    state.dialog = Some(Dialog::Asset(Box::new(input)));
    vec![]
}

/// Keys in a warehouse confirmation: `y`/Enter sends, `n`/Esc leaves.
pub(super) fn confirm_asset_key(state: &mut State, d: Dialog, k: &KeyEvent) -> Vec<Effect> {
    match (d, k.code) {
        (Dialog::ConfirmAsset { op, .. }, KeyCode::Char('y') | KeyCode::Enter) => {
            vec![Effect::AssetStep(op)]
        }
        (Dialog::ConfirmAsset { .. }, KeyCode::Char('n') | KeyCode::Esc) => vec![],
        (other, _) => {
            state.dialog = Some(other);
            vec![]
        }
    }
}
