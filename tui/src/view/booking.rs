//! The free-slot finder and the booking form with its live result.

use crdt_model::booking::Status;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, pad, selected_style, status_style};
use crate::app::{Form, State};
use crate::i18n;

fn form_lines(state: &State, form: &Form) -> Vec<Line<'static>> {
    let label_w = form
        .fields
        .iter()
        .map(|f| unicode_width::UnicodeWidthStr::width(state.t(f.label)))
        .max()
        .unwrap_or(8);
    let mut lines = Vec::new();
    for (i, field) in form.fields.iter().enumerate() {
        let focused = form.focus == Some(i);
        let marker = if focused { "▶ " } else { "  " };
        let mut spans = vec![
            Span::raw(marker),
            Span::styled(
                pad(state.t(field.label), label_w),
                Style::new().fg(Color::Cyan),
            ),
            Span::raw(" : "),
        ];
        let value = if focused {
            format!("{}▏", field.value)
        } else {
            field.value.clone()
        };
        spans.push(if focused {
            Span::styled(value, Style::new().bold())
        } else {
            Span::raw(value)
        });
        if let Some(e) = &field.error {
            spans.push(Span::styled(
                format!("  ✗ {}", state.text(e)),
                Style::new().fg(Color::Red),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// Draws `form` with its key hint at the top of `area`; returns the rest.
fn form_pane(state: &State, form: &Form, title: i18n::L, f: &mut Frame, area: Rect) -> Rect {
    let height = form.fields.len() as u16 + 3;
    let [top, bottom] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(3)]).areas(area);
    let mut lines = form_lines(state, form);
    lines.push(Line::from(state.t(i18n::FORM_HINT)).fg(Color::DarkGray));
    f.render_widget(
        Paragraph::new(lines).block(block(state.t(title).to_string(), form.focus.is_some())),
        top,
    );
    bottom
}

/// Free-slot finder: the query above, ranked candidates below.
pub(super) fn find(state: &State, f: &mut Frame, area: Rect) {
    let form = &state.find.form;
    let bottom = form_pane(state, form, i18n::SCREEN_FIND, f, area);
    let mut title = state.t(i18n::CANDIDATES).to_string();
    // Resources of owners not followed were searched by their free/busy.
    let by_busy = |r: &crdt_model::ids::ResourceId| {
        let owner = state.resource(r).map_or(r.owner, |x| x.owner());
        !state.follows_owner(&owner)
    };
    if state.find.results.iter().any(|c| by_busy(&c.resource)) {
        title = format!("{title} · {}", state.t(i18n::FOUND_BY_BUSY));
    }
    let focused = form.focus.is_none();
    if state.find.results.is_empty() {
        let msg = if state.find.searched {
            state.t(i18n::NO_CANDIDATES)
        } else {
            ""
        };
        f.render_widget(Paragraph::new(msg).block(block(title, focused)), bottom);
        return;
    }
    let widths = [
        Constraint::Fill(3),
        Constraint::Fill(1),
        Constraint::Length(18),
        Constraint::Length(5),
        Constraint::Length(9),
    ];
    let w = super::column_widths(bottom, &widths);
    let rows: Vec<Row> = state
        .find
        .results
        .iter()
        .map(|c| {
            let r = state.resource(&c.resource);
            let what = format!(
                "{}{} · {}",
                if by_busy(&c.resource) { "▒ " } else { "" },
                state.resource_name(&c.resource),
                state.agency_name(&c.resource.owner)
            );
            Row::new(vec![
                Cell::from(super::fit(&what, w[0])),
                Cell::from(
                    r.map(|r| super::fit(state.text(&r.location.city), w[1]))
                        .unwrap_or_default(),
                ),
                Cell::from(state.fmt_range(c.start, c.end)),
                Cell::from(c.spare.to_string()),
                Cell::from(c.competing.to_string()),
            ])
        })
        .collect();
    let table = Table::new(rows, widths)
        .flex(ratatui::layout::Flex::Start)
        .header(
            Row::new(vec![
                state.t(i18n::COL_RESOURCE),
                state.t(i18n::COL_CITY),
                state.t(i18n::COL_TIME),
                state.t(i18n::COL_SPARE),
                state.t(i18n::COL_COMPETING),
            ])
            .style(Style::new().fg(Color::Cyan)),
        )
        .row_highlight_style(selected_style())
        .highlight_symbol("▶ ")
        .block(block(title, focused));
    let mut ts = TableState::new().with_selected(Some(state.find.selected));
    f.render_stateful_widget(table, bottom, &mut ts);
}

/// Booking form above, the submitted booking's live status below.
pub(super) fn book(state: &State, f: &mut Frame, area: Rect) {
    let form = &state.book.form;
    let bottom = form_pane(state, form, i18n::SCREEN_BOOK, f, area);
    let mut out: Vec<Line> = Vec::new();
    if state.book.submitting {
        out.push(Line::from(state.t(i18n::SUBMITTING)));
    } else if let Some(e) = &state.book.error {
        out.push(Line::from(format!("✗ {}", state.text(e))).fg(Color::Red));
    } else if let Some(b) = &state.book.submitted {
        out.push(Line::from(vec![
            Span::styled(
                state.text(&b.status.text()).to_string(),
                status_style(&b.status).bold(),
            ),
            Span::raw(submitted_at(state, b)),
        ]));
        out.push(Line::from(format!(
            "{} · {} · ×{}",
            state.resource_label(&b.resource),
            state.fmt_range(b.terms.start, b.terms.end),
            b.terms.quantity
        )));
        if let Status::Tentative {
            rank,
            fits,
            waiting,
        } = &b.status
        {
            let fit = state.t(if *waiting && !*fits {
                i18n::WAITING_LIST
            } else if *fits {
                i18n::FITS
            } else {
                i18n::DOES_NOT_FIT
            });
            out.push(Line::from(format!(
                "{} {rank} · {fit}",
                state.t(i18n::COL_RANK)
            )));
        }
        out.extend(explain(state, b));
        out.extend(released(state, b));
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
            if !alternatives.is_empty() {
                out.push(Line::from(state.t(i18n::ALTERNATIVES)).fg(Color::Yellow));
                for (i, a) in alternatives.iter().enumerate() {
                    let chosen = i == state.book.alternative.min(alternatives.len() - 1);
                    let line = Line::from(format!(
                        "{} {} · {}",
                        if chosen { "▶" } else { " " },
                        state.resource_where(&a.resource),
                        state.fmt_range(a.start, a.end)
                    ));
                    out.push(if chosen {
                        line.style(selected_style())
                    } else {
                        line
                    });
                }
            }
        }
    }
    f.render_widget(
        Paragraph::new(out).wrap(Wrap { trim: false }).block(block(
            state.t(i18n::RESULT).to_string(),
            form.focus.is_none(),
        )),
        bottom,
    );
}

/// "  提交于 12-01 13:38": when the request was made, in local time (no
/// ids or clocks on screen).
pub(super) fn submitted_at(state: &State, b: &crdt_model::calendar::Booking) -> String {
    b.request
        .as_ref()
        .and_then(|r| jiff::Timestamp::from_millisecond(r.hlc.wall_ms).ok())
        .map(|t| format!("  {} {}", state.t(i18n::SUBMITTED_AT), state.fmt_time(t)))
        .unwrap_or_default()
}

/// Why a tentative booking waits, in the user's words: whose approval it
/// needs, and what holds its slot ahead of it (at most three).
/// The people named (who asked, who decided), why the owner released a
/// booking with the alternatives it offers, and whether it was checked in.
pub(super) fn released(state: &State, b: &crdt_model::calendar::Booking) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let asked = b.request.as_ref().and_then(|r| r.by.as_deref());
    for (label, who) in [
        (i18n::REQUESTED_BY, asked),
        (i18n::DECIDED_BY, b.decided_by.as_deref()),
    ] {
        if let Some(who) = who {
            out.push(Line::from(format!(
                "{}: {}",
                state.t(label),
                crdt_model::record::sanitize(who)
            )));
        }
    }
    if let Status::Released { why } = &b.status {
        out.push(Line::from(state.text(&why.text()).to_string()));
        if let crdt_model::booking::ReleaseWhy::Withdrawn { alternatives, .. } = why {
            for a in alternatives {
                out.push(Line::from(format!(
                    "  → {} · {}",
                    state.resource_label(&a.resource),
                    state.fmt_range(a.start, a.end)
                )));
            }
        }
    }
    if b.checked_in.is_some() {
        out.push(Line::from(state.t(i18n::CHECKED_IN)));
    }
    out
}

pub(super) fn explain(state: &State, b: &crdt_model::calendar::Booking) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    // The requester's view: an owner's operator sees the overlaps instead.
    if !matches!(b.status, Status::Tentative { .. }) || state.me() != Some(b.id.requester) {
        return out;
    }
    if let Some(r) = state.resource(&b.resource)
        && r.rules.approval == crdt_model::resource::Approval::Required
    {
        let owner = state.agency_name(&b.resource.owner);
        out.push(
            Line::from(
                state
                    .t(i18n::WAITING_FOR_APPROVAL)
                    .replace("{owner}", &owner),
            )
            .fg(Color::Yellow),
        );
    }
    let me = state.me();
    for a in state.ahead_of(b).into_iter().take(3) {
        let who = if Some(a.id.requester) == me {
            state.t(i18n::OUR_AGENCY).to_string()
        } else {
            state.agency_name(&a.id.requester)
        };
        let what = state.t(if a.status == Status::Confirmed {
            i18n::A_CONFIRMED_BOOKING
        } else {
            i18n::A_REQUEST
        });
        let text = state
            .t(i18n::AHEAD_OF_YOURS)
            .replace("{who}", &who)
            .replace("{time}", &state.fmt_range(a.terms.start, a.terms.end))
            .replace("{what}", what);
        out.push(Line::from(text));
    }
    out
}
