//! The report screen (统计): the period and grouping, the totals, a bar
//! chart of utilisation per group (the most booked groups), booked hours by
//! hour of day with the peak hours, and the idle resources by name.

use crdt_model::report::{Report, ReportRow};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{block, fit, pad};
use crate::app::{State, grouping_name};
use crate::i18n;

/// Draws the report screen.
pub(super) fn render(state: &State, f: &mut Frame, area: Rect) {
    let [head, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    f.render_widget(header(state), head);
    let Some(report) = state.current_report() else {
        let line = match &state.report.error {
            Some(e) => Line::from(Span::styled(
                format!("{}{}", state.t(i18n::RPT_FAILED), state.text(e)),
                Style::new().fg(Color::Red),
            )),
            None => Line::from(state.t(i18n::RPT_LOADING)),
        };
        f.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), rest);
        return;
    };
    let [totals, util, hours, idle] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(6),
        Constraint::Length(2),
    ])
    .areas(rest);
    f.render_widget(
        Paragraph::new(totals_line(state, &report.total)).wrap(Wrap { trim: true }),
        totals,
    );
    utilisation(state, report, f, util);
    by_hour(state, report, f, hours);
    f.render_widget(
        Paragraph::new(idle_line(state, report)).wrap(Wrap { trim: true }),
        idle,
    );
}

/// The period, the grouping and the screen's keys.
fn header(state: &State) -> Line<'static> {
    let (first, end) = state.report_period();
    let last = end.yesterday().unwrap_or(end);
    let period = format!("{} – {}", first, last.strftime("%m-%d"));
    Line::from(vec![
        Span::styled(period, Style::new().bold()),
        Span::raw(format!(
            " · {} {}",
            state.t(i18n::RPT_BY),
            state.t(grouping_name(state.report.by))
        )),
        Span::styled(
            format!(" · {}", state.t(i18n::RPT_KEYS)),
            Style::new().fg(Color::DarkGray),
        ),
    ])
}

/// Hours without decimals (`12`), or with one below 10 (`2.5`).
fn hours(h: f64) -> String {
    if h < 10.0 && h.fract().abs() > 0.05 {
        format!("{h:.1}")
    } else {
        format!("{h:.0}")
    }
}

/// A share as a whole percentage.
fn percent(x: f64) -> String {
    format!("{:.0}%", (x * 100.0).clamp(0.0, 100.0))
}

/// Open and booked hours, utilisation, cross-agency share, decisions,
/// trips and loans of all groups.
fn totals_line(state: &State, t: &ReportRow) -> Line<'static> {
    let h = state.t(i18n::RPT_HOURS);
    let parts = [
        format!("{} {} {h}", state.t(i18n::RPT_OPEN), hours(t.open_hours)),
        format!(
            "{} {} {h}",
            state.t(i18n::RPT_BOOKED),
            hours(t.booked_hours)
        ),
        format!("{} {}", state.t(i18n::RPT_UTIL), percent(t.utilisation)),
        format!(
            "{} {}",
            state.t(i18n::RPT_CROSS),
            percent(t.cross_agency_share)
        ),
        format!(
            "{} {} / {} {} / {} {}",
            state.t(i18n::RPT_CONFIRMED),
            t.confirmed,
            state.t(i18n::RPT_REJECTED),
            t.rejected,
            state.t(i18n::RPT_CANCELLED),
            t.cancelled
        ),
        format!(
            "{} {} · {} {}",
            state.t(i18n::RPT_TRIPS),
            t.trips,
            t.km,
            state.t(i18n::RPT_KM)
        ),
        format!("{} {}", state.t(i18n::RPT_LOANS), t.loans),
    ];
    Line::from(parts.join(" · "))
}

/// Utilisation per group, one bar a row: the groups with the most booked
/// hours, as many as fit, labels cut to a third of the width.
fn utilisation(state: &State, report: &Report, f: &mut Frame, area: Rect) {
    let title = format!(
        "{} · {}",
        state.t(i18n::RPT_UTIL_CHART),
        state.t(grouping_name(report.query.by))
    );
    let b = block(
        fit(&title, usize::from(area.width.saturating_sub(2))),
        false,
    );
    if report.rows.is_empty() {
        f.render_widget(Paragraph::new(state.t(i18n::RPT_EMPTY)).block(b), area);
        return;
    }
    let mut rows: Vec<&ReportRow> = report.rows.iter().collect();
    rows.sort_by(|a, b| {
        b.booked_hours
            .total_cmp(&a.booked_hours)
            .then_with(|| a.key.cmp(&b.key))
    });
    rows.truncate(usize::from(area.height.saturating_sub(2)));
    // The name cut to fit, then the figures: ratatui draws a bar's own
    // value text only where the bar is long enough.
    let name_w = (usize::from(area.width) / 4).clamp(6, 24);
    let h = state.t(i18n::RPT_HOURS);
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| {
            let pct = (r.utilisation * 100.0).round().clamp(0.0, 100.0);
            let label = format!(
                "{} {:>4} {:>5} {h}",
                pad(state.text(&r.label), name_w),
                format!("{pct:.0}%"),
                hours(r.booked_hours)
            );
            Bar::default()
                .value(pct as u64)
                .label(Line::from(label))
                .text_value(String::new())
        })
        .collect();
    let chart = BarChart::default()
        .block(b)
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .max(100)
        .bar_style(Style::new().fg(Color::Cyan))
        .data(ratatui::widgets::BarGroup::default().bars(&bars));
    f.render_widget(chart, area);
}

/// Booked hours by hour of day, one bar an hour; the peak hours in the
/// title.
fn by_hour(state: &State, report: &Report, f: &mut Frame, area: Rect) {
    let peaks: Vec<String> = report
        .peak_hours
        .iter()
        .map(|h| format!("{h:02}:00"))
        .collect();
    let peaks = if peaks.is_empty() {
        state.t(i18n::RPT_NONE).to_string()
    } else {
        peaks.join(" ")
    };
    let title = format!(
        "{} · {} {peaks}",
        state.t(i18n::RPT_HOURS_CHART),
        state.t(i18n::RPT_PEAK)
    );
    let b = block(
        fit(&title, usize::from(area.width.saturating_sub(2))),
        false,
    );
    let inner = area.width.saturating_sub(2);
    let slot = (inner / 24).max(1);
    let (width, gap) = if slot >= 2 { (slot - 1, 1) } else { (1, 0) };
    let bars: Vec<Bar> = (0..24)
        .map(|h| {
            let v = report.by_hour.get(h).copied().unwrap_or(0.0).max(0.0);
            let label = if width >= 2 || h % 3 == 0 {
                format!("{h:02}")
            } else {
                String::new()
            };
            Bar::default()
                .value((v * 10.0).round() as u64)
                .label(Line::from(label))
                .text_value(String::new())
        })
        .collect();
    let chart = BarChart::default()
        .block(b)
        .bar_width(width)
        .bar_gap(gap)
        .bar_style(Style::new().fg(Color::Green))
        .data(ratatui::widgets::BarGroup::default().bars(&bars));
    f.render_widget(chart, area);
}

/// The idle resources by name (as many as the lines hold), with their count.
fn idle_line(state: &State, report: &Report) -> Line<'static> {
    let names: Vec<String> = report
        .idle
        .iter()
        .map(|id| state.resource_where(id))
        .collect();
    let list = if names.is_empty() {
        state.t(i18n::RPT_NONE).to_string()
    } else {
        let sep = if state.lang == i18n::Lang::Zh {
            "、"
        } else {
            ", "
        };
        names.join(sep)
    };
    let head = format!("{} ({}): ", state.t(i18n::RPT_IDLE), names.len());
    let room = usize::from(state.size.0)
        .saturating_mul(2)
        .saturating_sub(head.width() + 2);
    Line::from(vec![
        Span::styled(head, Style::new().bold()),
        Span::raw(fit(&list, room)),
    ])
}
