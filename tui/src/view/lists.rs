//! Table screens: the resource browser, my bookings, the approval queue and
//! conflict review.

use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::resource::Capacity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, column_widths, fit, selected_style, status_style};
use crate::app::State;
use crate::i18n;

fn header(state: &State, cols: &[i18n::L]) -> Row<'static> {
    Row::new(cols.iter().map(|c| state.t(*c)).collect::<Vec<_>>())
        .style(Style::new().fg(Color::Cyan))
}

fn table<'a>(rows: Vec<Row<'a>>, widths: &[Constraint], head: Row<'a>, title: String) -> Table<'a> {
    Table::new(rows, widths.to_vec())
        .flex(ratatui::layout::Flex::Start)
        .header(head)
        .row_highlight_style(selected_style())
        .highlight_symbol("▶ ")
        .block(block(title, true))
}

/// The resource browser: filters on top, the catalogue below.
pub(super) fn resources(state: &State, f: &mut Frame, area: Rect) {
    let [filters, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
    f.render_widget(Paragraph::new(resource_filters(state)), filters);
    let rf = &state.resources;
    let list_res = state.filtered_resources();
    let widths = [
        Constraint::Fill(3),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Fill(2),
    ];
    let w = column_widths(list, &widths);
    let rows: Vec<Row> = list_res
        .iter()
        .map(|r| {
            let cap = match (r.capacity, state.lang) {
                (Capacity::People(n), crate::i18n::Lang::Zh) => format!("{n}人"),
                (Capacity::People(n), crate::i18n::Lang::En) => format!("{n} ppl"),
                (Capacity::Units(n), _) => format!("×{n}"),
            };
            let features: Vec<&str> = r
                .features
                .iter()
                .map(|f| crdt_model::resource::features::name(f, state.lang.code()))
                .collect();
            Row::new(vec![
                Cell::from(fit(state.text(&r.name), w[0])),
                Cell::from(fit(state.text(&r.kind.label()), w[1])),
                Cell::from(fit(state.text(&r.location.city), w[2])),
                Cell::from(fit(&state.agency_name(&r.id.owner), w[3])),
                Cell::from(cap),
                Cell::from(fit(&features.join(", "), w[5])),
            ])
        })
        .collect();
    let title = format!(
        "{} ({}/{})",
        state.t(i18n::SCREEN_RESOURCES),
        list_res.len(),
        state.data.resources.len()
    );
    let t = table(
        rows,
        &widths,
        header(
            state,
            &[
                i18n::COL_NAME,
                i18n::COL_KIND,
                i18n::COL_CITY,
                i18n::COL_OWNER,
                i18n::COL_CAPACITY,
                i18n::COL_FEATURES,
            ],
        ),
        title,
    );
    let mut ts = TableState::new().with_selected(Some(rf.selected));
    f.render_stateful_widget(t, list, &mut ts);
}

/// The resource browser's filter lines, each with its key.
fn resource_filters(state: &State) -> Vec<Line<'_>> {
    let rf = &state.resources;
    let all = state.t(i18n::ALL);
    let kind = rf
        .kind
        .as_ref()
        .map(|k| state.text(&k.label()).to_string())
        .unwrap_or_else(|| all.to_string());
    let city = rf
        .city
        .as_ref()
        .and_then(|c| {
            state
                .data
                .resources
                .iter()
                .find(|r| r.location.city.en == *c)
                .map(|r| state.text(&r.location.city).to_string())
        })
        .unwrap_or_else(|| all.to_string());
    let owner = rf
        .owner
        .map(|o| state.agency_name(&o))
        .unwrap_or_else(|| all.to_string());
    let key = Style::new().fg(Color::Yellow);
    let line1 = Line::from(vec![
        Span::styled("t ", key),
        Span::raw(format!("{} [{kind}]  ", state.t(i18n::COL_KIND))),
        Span::styled("c ", key),
        Span::raw(format!("{} [{city}]  ", state.t(i18n::COL_CITY))),
        Span::styled("o ", key),
        Span::raw(format!("{} [{owner}]  ", state.t(i18n::COL_OWNER))),
        Span::styled("+/- ", key),
        Span::raw(format!(
            "{} {}",
            state.t(i18n::MIN_CAPACITY),
            rf.min_capacity
        )),
    ]);
    let cursor = if rf.searching { "▏" } else { "" };
    let line2 = Line::from(vec![
        Span::styled("/ ", key),
        Span::raw(format!("{}: {}{cursor}", state.t(i18n::SEARCH), rf.search)),
    ]);
    vec![line1, line2]
}

/// Rows of a booking list whose columns are `w` cells wide (see
/// [`column_widths`]): names cut at word boundaries.
fn booking_rows<'a>(
    state: &State,
    list: &[&Booking],
    requester: bool,
    w: &[usize],
) -> Vec<Row<'a>> {
    list.iter()
        .map(|b| {
            let purpose = b
                .request
                .as_ref()
                .map(|r| r.purpose.to_string())
                .unwrap_or_default();
            let who = if requester {
                state.agency_name(&b.id.requester)
            } else {
                purpose
            };
            Row::new(vec![
                Cell::from(state.fmt_range(b.terms.start, b.terms.end)),
                Cell::from(fit(&state.resource_where(&b.resource), w[1])),
                Cell::from(Span::styled(
                    fit(state.text(&b.status.text()), w[2]),
                    status_style(&b.status),
                )),
                Cell::from(fit(&who, w[3])),
            ])
        })
        .collect()
}

/// Columns of a booking list: the time column as wide as its longest
/// range, so a stay of several days shows its full end (`12-01 08:00–12-03 18:00`).
fn booking_widths(state: &State, list: &[&Booking]) -> [Constraint; 4] {
    let time = list
        .iter()
        .map(|b| {
            unicode_width::UnicodeWidthStr::width(
                state.fmt_range(b.terms.start, b.terms.end).as_str(),
            )
        })
        .max()
        .unwrap_or(0)
        .clamp(18, 23);
    [
        Constraint::Length(time as u16),
        Constraint::Fill(2),
        Constraint::Length(22),
        Constraint::Fill(2),
    ]
}

/// My bookings, upcoming or past; the selected one's details below.
pub(super) fn mine(state: &State, f: &mut Frame, area: Rect) {
    let list = state.my_bookings();
    let lines = list
        .get(state.mine_selected)
        .map(|b| details(state, b))
        .unwrap_or_default();
    // The details as tall as they need (every alternative of a rejection),
    // up to half the screen.
    let wrapped: usize = lines
        .iter()
        .map(|l| {
            l.width()
                .div_ceil(usize::from(area.width.saturating_sub(2).max(1)))
                .max(1)
        })
        .sum();
    let tall = (wrapped as u16 + 2).clamp(6, (area.height / 2).max(6));
    let [list_area, detail] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(tall)]).areas(area);
    let which = state.t(if state.mine_past {
        i18n::PAST
    } else {
        i18n::UPCOMING
    });
    let widths = booking_widths(state, &list);
    let t = table(
        booking_rows(state, &list, false, &column_widths(list_area, &widths)),
        &widths,
        header(
            state,
            &[
                i18n::COL_TIME,
                i18n::COL_RESOURCE,
                i18n::COL_STATUS,
                i18n::COL_PURPOSE,
            ],
        ),
        format!("{} · {which} ({})", state.t(i18n::SCREEN_MINE), list.len()),
    );
    let mut ts = TableState::new().with_selected(Some(state.mine_selected));
    f.render_stateful_widget(t, list_area, &mut ts);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(state.t(i18n::DETAILS).to_string(), false)),
        detail,
    );
}

fn details(state: &State, b: &Booking) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(vec![
        Span::styled(
            state.text(&b.status.text()).to_string(),
            status_style(&b.status).bold(),
        ),
        Span::raw(super::booking::submitted_at(state, b)),
    ])];
    out.push(Line::from(format!(
        "{} · {}",
        state.resource_label(&b.resource),
        state.fmt_range(b.terms.start, b.terms.end)
    )));
    out.extend(super::booking::explain(state, b));
    out.extend(super::booking::released(state, b));
    if let Some(r) = &b.request {
        out.push(Line::from(format!(
            "{} · ×{} · {} · {}",
            state.agency_name(&b.id.requester),
            r.quantity,
            r.purpose,
            r.contact
        )));
        if let Some(s) = &r.series {
            out.push(Line::from(
                state
                    .t(i18n::SERIES_FMT)
                    .replace("{i}", &(s.index + 1).to_string())
                    .replace("{n}", &s.count.to_string())
                    .replace("{rule}", &crdt_model::record::sanitize(&s.rule)),
            ));
        }
    }
    if let Status::Rejected {
        reason,
        alternatives,
    } = &b.status
    {
        out.push(Line::from(format!(
            "{}: {}",
            state.t(i18n::COL_REASON),
            state.text(reason)
        )));
        for (i, a) in alternatives.iter().enumerate() {
            out.push(Line::from(format!(
                "  {}. {} · {}",
                i + 1,
                state.resource_where(&a.resource),
                state.fmt_range(a.start, a.end)
            )));
        }
    }
    out
}

/// Splits a screen into a list and a details pane, side by side when wide.
fn split(area: Rect) -> [Rect; 2] {
    if area.width >= 110 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    }
}

/// The approval queue, with the selected request's conflicts and its requester's history.
pub(super) fn approvals(state: &State, f: &mut Frame, area: Rect) {
    let [list_area, detail] = split(area);
    let list = state.approval_queue();
    let t = table(
        booking_rows(
            state,
            &list,
            true,
            &column_widths(list_area, &booking_widths(state, &list)),
        ),
        &booking_widths(state, &list),
        header(
            state,
            &[
                i18n::COL_TIME,
                i18n::COL_RESOURCE,
                i18n::COL_STATUS,
                i18n::COL_REQUESTER,
            ],
        ),
        format!("{} ({})", state.t(i18n::PENDING_HEADER), list.len()),
    );
    let mut ts = TableState::new().with_selected(Some(state.approvals_selected));
    f.render_stateful_widget(t, list_area, &mut ts);
    let mut lines = Vec::new();
    if let Some(b) = list.get(state.approvals_selected) {
        lines = details(state, b);
        lines.extend(overlap_lines(state, b));
        // The quotas the decision is held to.
        let quotas = state
            .data
            .resources
            .iter()
            .find(|r| r.id == b.resource)
            .map(|r| r.rules.quotas.clone())
            .unwrap_or_default();
        if !quotas.is_empty() {
            lines.push(Line::from(state.t(i18n::QUOTAS)).fg(Color::Cyan));
            for q in &quotas {
                let who = q.agency.map_or_else(
                    || state.t(i18n::EACH_AGENCY).to_string(),
                    |a| state.agency_name(&a),
                );
                lines.push(Line::from(format!("  {} · {who}", state.text(&q.text()))));
            }
        }
        let h = state.history(&b.id.requester);
        let n = |k: &str| h.get(k).copied().unwrap_or(0).to_string();
        lines.push(Line::from(state.t(i18n::HISTORY)).fg(Color::Cyan));
        lines.push(Line::from(
            state
                .t(i18n::HISTORY_FMT)
                .replace("{c}", &n("confirmed"))
                .replace("{r}", &n("rejected"))
                .replace("{x}", &n("cancelled"))
                .replace("{t}", &n("tentative")),
        ));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(state.t(i18n::DETAILS).to_string(), false)),
        detail,
    );
}

fn overlap_lines(state: &State, b: &Booking) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(state.t(i18n::OVERLAPS)).fg(Color::Cyan)];
    let over = state.overlapping(b);
    if over.is_empty() {
        lines.push(Line::from(format!("  {}", state.t(i18n::NOTHING))));
    }
    for o in over {
        let hlc = super::booking::submitted_at(state, o).trim().to_string();
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", state.text(&o.status.text())),
                status_style(&o.status),
            ),
            Span::raw(format!(
                "{} · {} · ×{} · {hlc}",
                state.agency_name(&o.id.requester),
                state.fmt_range(o.terms.start, o.terms.end),
                o.terms.quantity
            )),
        ]));
    }
    lines
}

/// Conflict review: overlapping tentative requests, their order and why,
/// and alternatives the requester could be offered.
pub(super) fn conflicts(state: &State, f: &mut Frame, area: Rect) {
    let [list_area, detail] = split(area);
    let list = state.conflicts();
    let widths = booking_widths(state, &list);
    let w = column_widths(list_area, &widths);
    let rows: Vec<Row> = list
        .iter()
        .map(|b| {
            let (rank, fits) = match b.status {
                Status::Tentative { rank, fits, .. } => (rank, fits),
                _ => (0, true),
            };
            let fit = state.t(if fits { i18n::FITS } else { i18n::DOES_NOT_FIT });
            Row::new(vec![
                Cell::from(state.fmt_range(b.terms.start, b.terms.end)),
                Cell::from(super::fit(&state.resource_where(&b.resource), w[1])),
                Cell::from(Span::styled(
                    super::fit(&format!("#{rank} {fit}"), w[2]),
                    if fits {
                        Style::new().fg(Color::Yellow)
                    } else {
                        Style::new().fg(Color::Red)
                    },
                )),
                Cell::from(super::fit(&state.agency_name(&b.id.requester), w[3])),
            ])
        })
        .collect();
    let t = table(
        rows,
        &widths,
        header(
            state,
            &[
                i18n::COL_TIME,
                i18n::COL_RESOURCE,
                i18n::COL_RANK,
                i18n::COL_REQUESTER,
            ],
        ),
        format!("{} ({})", state.t(i18n::CONFLICTS_HEADER), list.len()),
    );
    let mut ts = TableState::new().with_selected(Some(state.conflicts_selected));
    f.render_stateful_widget(t, list_area, &mut ts);
    let mut lines = Vec::new();
    if let Some(b) = list.get(state.conflicts_selected) {
        lines = details(state, b);
        lines.push(Line::from(format!(
            "{}: {}",
            state.t(i18n::COL_WHY),
            state.t(i18n::RANK_WHY)
        )));
        lines.extend(overlap_lines(state, b));
        lines.push(Line::from(state.t(i18n::SUGGESTED)).fg(Color::Cyan));
        if state.suggestions.booking.as_ref() == Some(&b.id) {
            if state.suggestions.slots.is_empty() {
                lines.push(Line::from(format!("  {}", state.t(i18n::NOTHING))));
            }
            for c in &state.suggestions.slots {
                let approval = state
                    .resource(&c.resource)
                    .is_some_and(|r| r.rules.approval == crdt_model::resource::Approval::Required);
                lines.push(Line::from(format!(
                    "  {} · {}{}",
                    state.resource_label(&c.resource),
                    state.fmt_range(c.start, c.end),
                    if approval {
                        format!(" · {}", state.t(i18n::NEEDS_APPROVAL))
                    } else {
                        String::new()
                    }
                )));
            }
        } else {
            lines.push(Line::from(format!("  {}", state.t(i18n::LOADING))));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(state.t(i18n::DETAILS).to_string(), false)),
        detail,
    );
}
