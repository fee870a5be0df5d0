//! The dispatcher's screen: this fleet's open trips on the left (or top),
//! the selected trip's request, its free vehicles and drivers (the chosen
//! pair marked) or its dispatch order on the right.

use crdt_model::trip::{Trip, TripStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, column_widths, fit, selected_style};
use crate::app::State;
use crate::i18n;

/// Draws the dispatch screen.
pub(super) fn render(state: &State, f: &mut Frame, area: Rect) {
    let [list_area, detail] = if area.width >= 110 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    };
    let trips = state.fleet_trips();
    let widths = [
        Constraint::Length(23),
        Constraint::Length(10),
        Constraint::Fill(2),
        Constraint::Length(4),
        Constraint::Fill(2),
    ];
    let w = column_widths(list_area, &widths);
    let rows: Vec<Row> = trips
        .iter()
        .map(|t| {
            let r = &t.request;
            Row::new(vec![
                Cell::from(state.fmt_range(r.start, r.end)),
                Cell::from(Span::styled(
                    fit(state.text(&t.status.text()), w[1]),
                    status_style(&t.status),
                )),
                Cell::from(fit(&state.agency_name(&r.id.requester), w[2])),
                Cell::from(r.passengers.to_string()),
                Cell::from(fit(&crdt_model::record::sanitize(&r.destination), w[4])),
            ])
        })
        .collect();
    let header = Row::new(
        [
            i18n::COL_TIME,
            i18n::COL_STATUS,
            i18n::COL_REQUESTER,
            i18n::COL_PAX,
            i18n::COL_DESTINATION,
        ]
        .map(|c| state.t(c)),
    )
    .style(Style::new().fg(Color::Cyan));
    let table = Table::new(rows, widths)
        .flex(ratatui::layout::Flex::Start)
        .header(header)
        .row_highlight_style(selected_style())
        .highlight_symbol("▶ ")
        .block(block(
            format!("{} ({})", state.t(i18n::FLEET_TRIPS), trips.len()),
            true,
        ));
    let mut ts = TableState::new().with_selected(Some(state.dispatch.selected));
    f.render_stateful_widget(table, list_area, &mut ts);
    let lines = trips
        .get(state.dispatch.selected)
        .map(|t| details(state, t))
        .unwrap_or_default();
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(state.t(i18n::DETAILS).to_string(), false)),
        detail,
    );
}

fn status_style(s: &TripStatus) -> Style {
    match s {
        TripStatus::Requested => Style::new().fg(Color::Yellow),
        TripStatus::Dispatched | TripStatus::Started => Style::new().fg(Color::Green),
        _ => Style::new().fg(Color::DarkGray),
    }
}

/// The selected trip: what was asked, then what can take it or what took it.
fn details(state: &State, t: &Trip) -> Vec<Line<'static>> {
    let r = &t.request;
    let class = r
        .class
        .map(|c| state.text(&c.label()).to_string())
        .or_else(|| r.vehicle.as_ref().map(|v| state.resource_name(v)))
        .unwrap_or_default();
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                state.text(&t.status.text()).to_string(),
                status_style(&t.status).bold(),
            ),
            Span::raw(format!(
                "  {} · {} · {class} · ×{}",
                state.agency_name(&r.id.requester),
                state.fmt_range(r.start, r.end),
                r.passengers
            )),
        ]),
        Line::from(format!(
            "{} · {} · {}",
            crdt_model::record::sanitize(&r.destination),
            crdt_model::record::sanitize(&r.purpose),
            crdt_model::record::sanitize(&r.contact)
        )),
    ];
    if t.status == TripStatus::Requested {
        let vehicles = state.free_vehicles(t);
        let drivers = state.free_drivers(t);
        let chosen = state.chosen_pair(t);
        let mark = |id: &crdt_model::ids::ResourceId, which: usize| -> String {
            let hit = chosen
                .as_ref()
                .is_some_and(|(v, d)| if which == 0 { v == id } else { d == id });
            if hit { "▶ ".into() } else { "  ".into() }
        };
        for (title, list, which) in [
            (i18n::FREE_VEHICLES, &vehicles, 0),
            (i18n::FREE_DRIVERS, &drivers, 1),
        ] {
            out.push(Line::from(state.t(title)).fg(Color::Cyan));
            if list.is_empty() {
                out.push(Line::from(format!("  {}", state.t(i18n::NONE_FREE))));
            }
            for res in list.iter() {
                let plate = res
                    .attributes
                    .get(crdt_model::fleet::attr::PLATE)
                    .map(|p| format!(" · {p}"))
                    .unwrap_or_default();
                let seats = if which == 0 {
                    format!(" · {} {}", res.capacity.size(), state.t(i18n::SEATS))
                } else {
                    String::new()
                };
                out.push(Line::from(format!(
                    "{}{}{plate}{seats}",
                    mark(&res.id, which),
                    state.text(&res.name)
                )));
            }
        }
    } else {
        if let Some(order) = t.order {
            out.push(Line::from(format!("{}: {order}", state.t(i18n::ORDER))));
        }
        if let (Some(v), Some(d)) = (&t.vehicle, &t.driver) {
            out.push(Line::from(format!(
                "{}: {} · {}: {}",
                state.t(i18n::COL_VEHICLE),
                state.resource_name(v),
                state.t(i18n::COL_DRIVER),
                state.resource_name(d)
            )));
        }
        if let Some(km) = t.odometer_out {
            out.push(Line::from(format!("{}: {km}", state.t(i18n::ODOMETER_OUT))));
        }
    }
    out
}
