//! The warehouse screen (公物仓): pane tabs on top (loans, inventory,
//! transfers), the pane's table, the selected row's details with the keys
//! that apply to it on the right (or below); and its dialogs' bodies.

use crdt_model::asset::{InventoryRow, LoanStatus, TransferStatus, TransferView, attr};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, column_widths, fit, selected_style};
use crate::app::{AssetAction, AssetInput, InputKind, LoanRow, State, Urgency, WhPane};
use crate::i18n::{self, L};

/// Draws the warehouse screen.
pub(super) fn render(state: &State, f: &mut Frame, area: Rect) {
    let [tabs, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    f.render_widget(pane_tabs(state), tabs);
    let [list, detail] = if area.width >= 110 {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(rest)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(rest)
    };
    let (table, lines) = match state.warehouse.pane {
        WhPane::Loans => loans(state, list),
        WhPane::Inventory => inventory(state, list),
        WhPane::Transfers => transfers(state, list),
    };
    let mut ts = TableState::new().with_selected(Some(state.warehouse.selected));
    f.render_stateful_widget(table, list, &mut ts);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(state.t(i18n::DETAILS).to_string(), false)),
        detail,
    );
}

/// The pane tabs, each with its count.
fn pane_tabs(state: &State) -> Line<'static> {
    let mut spans = Vec::new();
    for p in WhPane::ALL {
        let n = match p {
            WhPane::Loans => state.warehouse_loans().len(),
            WhPane::Inventory => state.my_inventory().len(),
            WhPane::Transfers => state.warehouse_transfers().len(),
        };
        let style = if p == state.warehouse.pane {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().fg(Color::Gray)
        };
        spans.push(Span::styled(
            format!(" {} ({n}) ", state.t(p.title())),
            style,
        ));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

fn table<'a>(state: &State, rows: Vec<Row<'a>>, widths: &[Constraint], cols: &[L]) -> Table<'a> {
    let head = Row::new(cols.iter().map(|c| state.t(*c)).collect::<Vec<_>>())
        .style(Style::new().fg(Color::Cyan));
    Table::new(rows, widths.to_vec())
        .flex(ratatui::layout::Flex::Start)
        .header(head)
        .row_highlight_style(selected_style())
        .highlight_symbol("▶ ")
        .block(block(
            state.t(state.warehouse.pane.title()).to_string(),
            true,
        ))
}

fn urgency_style(u: Urgency) -> Style {
    match u {
        Urgency::Overdue => Style::new().fg(Color::Red).bold(),
        Urgency::DueToday | Urgency::HandOverToday => Style::new().fg(Color::Yellow),
        Urgency::Later => Style::new(),
        Urgency::Done => Style::new().fg(Color::DarkGray),
    }
}

/// "to X" or "from X": who has our asset, or whose we have.
fn party(state: &State, r: &LoanRow) -> String {
    let (l, a) = if r.lent {
        (i18n::WH_LENT_TO, r.loan.booking.requester)
    } else {
        (i18n::WH_BORROWED_FROM, r.loan.owner)
    };
    state.t(l).replace("{a}", &state.agency_name(&a))
}

fn loans<'a>(state: &State, area: Rect) -> (Table<'a>, Vec<Line<'static>>) {
    let rows = state.warehouse_loans();
    let widths = [
        Constraint::Length(9),
        Constraint::Length(11),
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(5),
    ];
    let w = column_widths(area, &widths);
    let body: Vec<Row> = rows
        .iter()
        .map(|r| {
            let alert = r.urgency.label().map(|l| state.t(l)).unwrap_or_default();
            Row::new(vec![
                Cell::from(Span::styled(alert.to_string(), urgency_style(r.urgency))),
                Cell::from(state.fmt_time(r.loan.end)),
                Cell::from(fit(state.text(&r.loan.status.text()), w[2])),
                Cell::from(fit(&state.resource_name(&r.loan.resource), w[3])),
                Cell::from(fit(&party(state, r), w[4])),
                Cell::from(format!("×{}", r.loan.units)),
            ])
            .style(urgency_style(r.urgency))
        })
        .collect();
    let cols = [
        i18n::COL_ALERT,
        i18n::COL_DUE,
        i18n::COL_STATUS,
        i18n::COL_ASSET,
        i18n::COL_PARTY,
        i18n::COL_UNITS,
    ];
    let lines = rows
        .get(state.warehouse.selected)
        .map(|r| loan_details(state, r))
        .unwrap_or_else(|| vec![Line::from(state.t(i18n::NOTHING))]);
    (table(state, body, &widths, &cols), lines)
}

fn loan_details(state: &State, r: &LoanRow) -> Vec<Line<'static>> {
    let l = r.loan;
    let clean = crdt_model::record::sanitize;
    let mut head = vec![Span::styled(
        state.text(&l.status.text()).to_string(),
        urgency_style(r.urgency).bold(),
    )];
    if let Some(u) = r.urgency.label() {
        head.push(Span::styled(
            format!(" {}", state.t(u)),
            urgency_style(r.urgency),
        ));
    }
    head.push(Span::raw(format!(
        "  {} · {} · ×{}",
        state.resource_name(&l.resource),
        party(state, r),
        l.units
    )));
    let mut out = vec![
        Line::from(head),
        Line::from(format!(
            "{} · {}",
            state.fmt_range(l.start, l.end),
            clean(&l.purpose)
        )),
    ];
    for (ev, label) in [
        (&l.handover, LoanStatus::HandedOver),
        (&l.receipt, LoanStatus::Received),
        (&l.returned, LoanStatus::Returned),
    ] {
        let Some(e) = ev else { continue };
        let at = jiff::Timestamp::from_millisecond(e.hlc.wall_ms)
            .map(|t| state.fmt_time(t))
            .unwrap_or_default();
        let extra = match &e.step {
            crdt_model::asset::LoanStep::Handover { tags, note } => {
                let tags: Vec<&str> = tags.iter().map(|t| t.as_str()).collect();
                format!(" · {} · {}", clean(&tags.join(",")), clean(note))
            }
            crdt_model::asset::LoanStep::Return {
                units,
                damaged,
                note,
            } => format!(
                " · ×{units} · {} {damaged} · {}",
                state.t(i18n::COL_DAMAGED),
                clean(note)
            ),
            crdt_model::asset::LoanStep::Receive => String::new(),
        };
        let line = format!("{} {at}{extra}", state.text(&label.text()));
        out.push(Line::from(line.trim_end_matches([' ', '·']).to_string()));
    }
    let mut keys = Vec::new();
    if r.lent && l.status == LoanStatus::Booked {
        keys.push(i18n::KEY_HANDOVER);
    }
    if r.lent && l.status.out() {
        keys.push(i18n::KEY_TAKE_BACK);
    }
    if r.borrowed && l.status == LoanStatus::HandedOver {
        keys.push(i18n::KEY_RECEIVE);
    }
    out.push(key_line(state, &keys));
    out
}

fn key_line(state: &State, keys: &[L]) -> Line<'static> {
    let keys: Vec<&str> = keys.iter().map(|k| state.t(*k)).collect();
    Line::from(keys.join(" · ")).fg(Color::Yellow)
}

fn inventory<'a>(state: &State, area: Rect) -> (Table<'a>, Vec<Line<'static>>) {
    let rows = state.my_inventory();
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(8),
    ];
    let w = column_widths(area, &widths);
    let body: Vec<Row> = rows
        .iter()
        .map(|r| {
            let mut name = state.text(&r.name).to_string();
            if state.idle(&r.resource) {
                name = format!("{name} · {}", state.t(i18n::WH_IDLE));
            }
            let off = r.discrepancy.is_some_and(|d| d != 0);
            let counted = match (r.counted, r.discrepancy) {
                (Some(c), Some(d)) if d != 0 => format!("{c} ({d:+})"),
                (Some(c), _) => c.to_string(),
                (None, _) => "–".into(),
            };
            let red = |n: u32| {
                if n > 0 {
                    Style::new().fg(Color::Yellow)
                } else {
                    Style::new()
                }
            };
            Row::new(vec![
                Cell::from(fit(&name, w[0])),
                Cell::from(r.total.to_string()),
                Cell::from(r.available.to_string()),
                Cell::from(r.on_loan.to_string()),
                Cell::from(Span::styled(
                    (r.damaged + r.under_repair).to_string(),
                    red(r.damaged + r.under_repair),
                )),
                Cell::from(r.disposed.to_string()),
                Cell::from(Span::styled(
                    counted,
                    if off {
                        Style::new().fg(Color::Red).bold()
                    } else {
                        Style::new()
                    },
                )),
            ])
        })
        .collect();
    let cols = [
        i18n::COL_ASSET,
        i18n::COL_TOTAL,
        i18n::COL_AVAILABLE,
        i18n::COL_ON_LOAN,
        i18n::COL_DAMAGED,
        i18n::COL_DISPOSED,
        i18n::COL_COUNTED,
    ];
    let lines = rows
        .get(state.warehouse.selected)
        .map(|r| asset_details(state, r))
        .unwrap_or_else(|| vec![Line::from(state.t(i18n::NOTHING))]);
    (table(state, body, &widths, &cols), lines)
}

fn asset_details(state: &State, r: &InventoryRow) -> Vec<Line<'static>> {
    let res = state.resource(&r.resource);
    let attr_of = |k: &str| {
        res.and_then(|x| x.attributes.get(k))
            .map(|v| crdt_model::record::sanitize(v))
            .unwrap_or_else(|| "–".into())
    };
    let mut out = vec![
        Line::from(state.resource_where(&r.resource)).bold(),
        Line::from(format!(
            "{}: {} · {}: {} · {}: {}",
            state.t(i18n::WH_CATEGORY),
            attr_of(attr::CATEGORY),
            state.t(i18n::WH_YEAR),
            attr_of(attr::YEAR),
            state.t(i18n::WH_VALUE),
            attr_of(attr::VALUE)
        )),
        Line::from(format!(
            "{}: {}",
            state.t(i18n::WH_TAGS),
            attr_of(attr::TAGS)
        )),
        Line::from(format!(
            "{}: {} · {}: {}",
            state.t(i18n::WH_EXPECTED),
            r.expected,
            state.t(i18n::WH_TRANSFERRED),
            r.transferred
        )),
    ];
    let count = match (r.counted, r.counted_at, r.discrepancy) {
        (Some(c), at, d) => {
            let at = at.map(|t| state.fmt_time(t)).unwrap_or_default();
            let d = d.unwrap_or(0);
            let line = Line::from(format!(
                "{}: {c} ({} {at}) · {}: {d:+}",
                state.t(i18n::COL_COUNTED),
                state.t(i18n::WH_COUNTED_AT),
                state.t(i18n::WH_DISCREPANCY),
            ));
            if d != 0 {
                line.fg(Color::Red).bold()
            } else {
                line
            }
        }
        _ => Line::from(state.t(i18n::WH_NOT_COUNTED)),
    };
    out.push(count);
    if state.idle(&r.resource) {
        out.push(Line::from(format!(
            "{}: {}",
            state.t(i18n::WH_IDLE),
            state.t(i18n::WH_IDLE_NOTE)
        )));
    }
    let mut keys = Vec::new();
    if r.damaged + r.under_repair > 0 {
        keys.push(i18n::KEY_REPAIR);
    }
    keys.extend([i18n::KEY_DISPOSE, i18n::KEY_OFFER, i18n::KEY_COUNT]);
    out.push(key_line(state, &keys));
    out
}

fn transfer_style(t: &TransferView) -> Style {
    match t.status {
        TransferStatus::Pending => Style::new().fg(Color::Yellow),
        TransferStatus::Accepted => Style::new().fg(Color::Green),
        TransferStatus::Declined => Style::new().fg(Color::DarkGray),
    }
}

/// An agency's name, or "your agency" for ours.
fn us_or(state: &State, a: &crdt_model::ids::AgencyId) -> String {
    if Some(*a) == state.me() {
        state.t(i18n::OUR_AGENCY).to_string()
    } else {
        state.agency_name(a)
    }
}

fn transfer_units(state: &State, t: &TransferView) -> String {
    t.units
        .map(|n| format!("×{n}"))
        .unwrap_or_else(|| state.t(i18n::WH_WHOLE).to_string())
}

fn transfers<'a>(state: &State, area: Rect) -> (Table<'a>, Vec<Line<'static>>) {
    let rows = state.warehouse_transfers();
    let widths = [
        Constraint::Length(8),
        Constraint::Fill(1),
        Constraint::Fill(2),
        Constraint::Length(5),
        Constraint::Length(11),
    ];
    let w = column_widths(area, &widths);
    let body: Vec<Row> = rows
        .iter()
        .map(|t| {
            let at = jiff::Timestamp::from_millisecond(t.hlc.wall_ms)
                .map(|x| state.fmt_time(x))
                .unwrap_or_default();
            Row::new(vec![
                Cell::from(Span::styled(
                    fit(state.text(&t.status.text()), w[0]),
                    transfer_style(t),
                )),
                Cell::from(fit(&state.resource_name(&t.resource), w[1])),
                Cell::from(fit(
                    &format!("{} → {}", us_or(state, &t.from), us_or(state, &t.to)),
                    w[2],
                )),
                Cell::from(transfer_units(state, t)),
                Cell::from(at),
            ])
        })
        .collect();
    let cols = [
        i18n::COL_STATUS,
        i18n::COL_ASSET,
        i18n::COL_FROM_TO,
        i18n::COL_UNITS,
        i18n::COL_TIME,
    ];
    let lines = rows
        .get(state.warehouse.selected)
        .map(|t| {
            let mut out = vec![
                Line::from(vec![
                    Span::styled(
                        state.text(&t.status.text()).to_string(),
                        transfer_style(t).bold(),
                    ),
                    Span::raw(format!(
                        "  {} · {}",
                        state.resource_where(&t.resource),
                        transfer_units(state, t)
                    )),
                ]),
                Line::from(format!(
                    "{} → {}",
                    state.agency_name(&t.from),
                    state.agency_name(&t.to)
                )),
                Line::from(crdt_model::record::sanitize(&t.note).to_string()),
            ];
            if Some(t.to) == state.me() && t.status == TransferStatus::Pending {
                out.push(key_line(state, &[i18n::KEY_ACCEPT, i18n::KEY_DECLINE]));
            }
            out
        })
        .unwrap_or_else(|| vec![Line::from(state.t(i18n::NOTHING))]);
    (table(state, body, &widths, &cols), lines)
}

/// Title and body of an asset step's dialog.
pub(super) fn input_dialog(state: &State, d: &AssetInput) -> (&'static str, Vec<Line<'static>>) {
    let what = match &d.booking {
        Some(b) => {
            let who = state
                .data
                .loans
                .iter()
                .find(|l| l.booking == *b)
                .map(|l| state.agency_name(&l.booking.requester))
                .unwrap_or_default();
            format!(
                "{} · {who} · ×{}",
                state.resource_name(&d.resource),
                d.units
            )
        }
        None => state.resource_name(&d.resource),
    };
    let mut out = vec![Line::from(what).bold()];
    match d.action {
        AssetAction::Handover => {
            let tags = state
                .resource(&d.resource)
                .map(|r| r.asset_tags().join(","))
                .unwrap_or_default();
            if !tags.is_empty() {
                out.push(
                    Line::from(format!(
                        "{}{}",
                        state.t(i18n::WH_TAGS_OF),
                        crdt_model::record::sanitize(&tags)
                    ))
                    .fg(Color::DarkGray),
                );
            }
        }
        AssetAction::Return => out.push(Line::from(
            state
                .t(i18n::WH_TAKES_ALL)
                .replace("{n}", &d.units.to_string()),
        )),
        _ => {}
    }
    for (i, f) in d.fields.iter().enumerate() {
        let on = i == d.focus;
        let cursor = if on { "▏" } else { "" };
        let value = match f.kind {
            InputKind::Method => format!("◀ {} ▶", state.text(&d.method().text())),
            InputKind::Agency => {
                let n = state.transfer_targets(&f.value).len();
                let chosen = d
                    .agency(state)
                    .map(|a| {
                        format!(
                            " → ◀ {} ▶ ({}/{n})",
                            state.agency_name(&a),
                            d.choice % n.max(1) + 1
                        )
                    })
                    .unwrap_or_else(|| format!(" → {}", state.t(i18n::E_AGENCY)));
                format!("{}{cursor}{chosen}", f.value)
            }
            InputKind::Text | InputKind::Number => format!("{}{cursor}", f.value),
        };
        let line = Line::from(format!(
            "{}{}: {value}",
            if on { "▶ " } else { "  " },
            state.t(f.label)
        ));
        out.push(if on { line.bold() } else { line });
    }
    out.push(Line::from(""));
    out.push(Line::from(state.t(i18n::WH_INPUT_KEYS)).fg(Color::Yellow));
    (state.t(d.action.title()), out)
}

/// Body of a warehouse confirmation.
pub(super) fn confirm_dialog(state: &State, ask: L, what: &str) -> Vec<Line<'static>> {
    vec![
        Line::from(state.t(ask)),
        Line::from(what.to_string()).bold(),
        Line::from(""),
        Line::from(state.t(i18n::CONFIRM_KEYS)).fg(Color::Yellow),
    ]
}
