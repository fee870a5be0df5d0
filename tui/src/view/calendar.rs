//! The calendar: resources down, time across (one day or a week), with
//! confirmed, ours, tentative (place in line) and closed time told apart by
//! symbol and colour; the bookings under the cursor below.

use std::collections::HashMap;

use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use jiff::civil::Weekday;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, pad, status_style};
use crate::app::State;
use crate::grid::{Cell, Grid};
use crate::i18n::{self, Lang};

/// Draws the calendar screen.
pub(super) fn render(state: &State, f: &mut Frame, area: Rect) {
    let [grid_area, legend, cursor] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(1),
        Constraint::Length(5),
    ])
    .areas(area);
    render_grid(state, f, grid_area);
    f.render_widget(
        Line::from(state.t(i18n::LEGEND)).fg(Color::DarkGray),
        legend,
    );
    render_cursor(state, f, cursor);
}

fn weekday(lang: Lang, d: Weekday) -> &'static str {
    let i = d.to_monday_zero_offset() as usize;
    match lang {
        Lang::Zh => ["一", "二", "三", "四", "五", "六", "日"][i],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
    }
}

/// Draws the grid alone (also what the render benchmark measures).
pub fn render_grid(state: &State, f: &mut Frame, area: Rect) {
    let c = &state.calendar;
    let view = state.t(if c.week {
        i18n::WEEK_VIEW
    } else {
        i18n::DAY_VIEW
    });
    let title = format!(
        "{} · {view} · {} {} ({})",
        state.t(i18n::SCREEN_CALENDAR),
        c.day,
        weekday(state.lang, c.day.weekday()),
        state.tz.iana_name().unwrap_or("UTC"),
    );
    let outer = block(title, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if inner.height < 2 {
        return;
    }
    let grid = Grid::new(state, inner.width);
    let name_w = usize::from(grid.name_width);
    let mut lines = vec![header(state, &grid, name_w)];
    let resources = state.filtered_resources();
    let rows = usize::from(inner.height - 1);
    let first = c.row.saturating_sub(rows.saturating_sub(1));
    let shown: Vec<_> = resources
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .collect();
    let wanted: Vec<&ResourceId> = shown.iter().map(|(_, r)| &r.id).collect();
    let by_resource = bookings_of(state, &wanted);
    let me = state.me();
    let ranges: Vec<_> = (0..grid.cells()).map(|i| grid.range(i)).collect();
    for (i, r) in shown {
        let mut spans = Vec::with_capacity(grid.cells() + 1);
        let name_style = if i == c.row {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new()
        };
        // Name and city: rooms of the same name in several cities differ.
        let name = format!("{} · {}", state.text(&r.name), state.text(&r.location.city));
        spans.push(Span::styled(pad(&name, name_w), name_style));
        spans.push(Span::raw("│"));
        let empty = Vec::new();
        let list = by_resource.get(&r.id).unwrap_or(&empty);
        for (col, (a, b)) in ranges.iter().enumerate() {
            let mut cell = crate::grid::classify(r, list, me, *a, *b);
            if cell == Cell::Free && state.busy_blocks(r, *a, *b).iter().any(|x| !x.tentative) {
                cell = Cell::Busy;
            }
            let mut style = cell_style(cell);
            if i == c.row && col == c.col {
                style = style.add_modifier(Modifier::REVERSED);
            }
            spans.push(Span::styled(cell.symbol().to_string(), style));
        }
        if grid.outside_hours(list) {
            spans.push(Span::styled("›", Style::new().fg(Color::Yellow).bold()));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Live bookings of the wanted resources, by resource.
fn bookings_of<'a>(
    state: &'a State,
    wanted: &[&ResourceId],
) -> HashMap<ResourceId, Vec<&'a Booking>> {
    let mut out: HashMap<ResourceId, Vec<&Booking>> =
        wanted.iter().map(|r| ((*r).clone(), Vec::new())).collect();
    for b in &state.data.bookings {
        if let Some(v) = out.get_mut(&b.resource) {
            v.push(b);
        }
    }
    out
}

fn header(state: &State, grid: &Grid, name_w: usize) -> Line<'static> {
    let mut s = " ".repeat(name_w);
    s.push('│');
    let mut col = 0;
    while col < grid.cells() {
        let (a, _) = grid.range(col);
        let z = a.to_zoned(state.tz.clone());
        let (label, span) = if state.calendar.week {
            let day = format!("{}{}", weekday(state.lang, z.weekday()), z.strftime("%d"));
            (day, grid.per_day)
        } else {
            let per_hour = (60 / grid.cell_minutes).max(1) as usize;
            let every = if per_hour == 1 { 2 } else { 1 } * per_hour;
            (z.strftime("%H").to_string(), every)
        };
        s.push_str(&pad(&label, span.min(grid.cells() - col)));
        col += span;
    }
    Line::from(s).fg(Color::Cyan)
}

fn cell_style(c: Cell) -> Style {
    match c {
        Cell::Free => Style::new().fg(Color::DarkGray),
        Cell::Closed => Style::new().fg(Color::DarkGray),
        Cell::Confirmed => Style::new().fg(Color::Red),
        Cell::Ours => Style::new().fg(Color::Cyan),
        Cell::Tentative(_) => Style::new().fg(Color::Black).bg(Color::Yellow),
        Cell::Busy => Style::new().fg(Color::Magenta),
    }
}

fn render_cursor(state: &State, f: &mut Frame, area: Rect) {
    let resources = state.filtered_resources();
    let Some(r) = resources.get(state.calendar.row) else {
        f.render_widget(Paragraph::new(state.t(i18n::NOTHING)), area);
        return;
    };
    let grid = Grid::new(state, area.width);
    let (a, b) = grid.range(state.calendar.col.min(grid.cells().saturating_sub(1)));
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} ", state.t(i18n::AT_CURSOR)),
            Style::new().fg(Color::Cyan),
        ),
        Span::raw(format!(
            "{} · {} · {}",
            state.resource_label(&r.id),
            state.fmt_range(a, b),
            r.capacity.size()
        )),
    ])];
    let mut any = false;
    for bk in state
        .data
        .bookings
        .iter()
        .filter(|bk| bk.resource == r.id && bk.terms.overlaps(a, b))
    {
        any = true;
        let purpose = bk
            .request
            .as_ref()
            .map(|q| q.purpose.as_str())
            .unwrap_or("");
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", state.text(&bk.status.text())),
                status_style(&bk.status),
            ),
            Span::raw(format!(
                "{} · {} · ×{} · {purpose}",
                state.fmt_range(bk.terms.start, bk.terms.end),
                state.agency_name(&bk.id.requester),
                bk.terms.quantity
            )),
        ]));
    }
    // An owner not followed: its free/busy, with who answered and when.
    if !any && !state.follows_owner(&r.owner()) {
        lines.extend(busy_lines(state, r, a, b));
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    // Before the node's seal cut, bookings may be on disk only.
    let sealed = state
        .data
        .status
        .as_ref()
        .and_then(|s| s.sealed_before.filter(|_| s.sealed_docs > 0))
        .filter(|before| a < *before);
    if let Some(before) = sealed {
        let d = before.to_zoned(state.tz.clone()).strftime("%Y-%m-%d");
        let line = state.t(i18n::SEALED_HERE).replace("{d}", &d.to_string());
        lines.push(Line::from(line).fg(Color::DarkGray));
    } else if !any {
        let closed = crate::grid::classify(r, &[], None, a, b) == Cell::Closed;
        lines.push(Line::from(state.t(if closed {
            i18n::CLOSED
        } else {
            i18n::FREE
        })));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The cursor lines of a resource whose owner the node does not follow:
/// the free/busy blocks under the cursor, from whom and how long ago, or
/// that it is unknown.
fn busy_lines(
    state: &State,
    r: &crdt_model::resource::Resource,
    a: jiff::Timestamp,
    b: jiff::Timestamp,
) -> Vec<Line<'static>> {
    let Some(view) = state.busy_of(&r.owner()) else {
        return vec![Line::from(state.t(i18n::BUSY_UNKNOWN)).fg(Color::DarkGray)];
    };
    let from = state
        .t(i18n::BUSY_FROM)
        .replace("{agency}", &state.agency_name(&view.source))
        .replace("{s}", &view.age_s(state.now).to_string());
    let blocks = state.busy_blocks(r, a, b);
    if blocks.is_empty() {
        let closed = crate::grid::classify(r, &[], None, a, b) == Cell::Closed;
        let what = state.t(if closed { i18n::CLOSED } else { i18n::FREE });
        return vec![Line::from(format!("{what} · {from}"))];
    }
    blocks
        .iter()
        .map(|x| {
            let what = state.t(if x.tentative {
                i18n::BUSY_WAITING
            } else {
                i18n::BUSY
            });
            Line::from(vec![
                Span::styled(format!("{what} "), Style::new().fg(Color::Magenta)),
                Span::raw(format!(
                    "{} · ×{} · {from}",
                    state.fmt_range(x.start, x.end),
                    x.usage
                )),
            ])
        })
        .collect()
}
