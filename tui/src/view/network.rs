//! The network screen: this node, then peers, roster or refused changes.

use crdt_model::membership::{MemberStatus, Role};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{block, selected_style};
use crate::app::{NetPane, State};
use crate::i18n;

/// Draws the network screen.
pub(super) fn render(state: &State, f: &mut Frame, area: Rect) {
    let [info, tabs, pane] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    let Some(st) = &state.data.status else {
        return;
    };
    f.render_widget(Paragraph::new(this_node(state, st)), info);
    f.render_widget(pane_tabs(state), tabs);
    let p = match state.net_pane {
        NetPane::Peers => peers(state, st),
        NetPane::Roster => roster(state),
        NetPane::Refusals => refusals(state, st),
    };
    let header = Row::new(p.columns.iter().map(|c| state.t(*c)).collect::<Vec<_>>())
        .style(Style::new().fg(Color::Cyan));
    let table = Table::new(p.rows, p.widths)
        .header(header)
        .row_highlight_style(selected_style())
        .highlight_symbol("▶ ")
        .block(block(state.t(p.title).to_string(), true));
    let mut ts = TableState::new().with_selected(Some(state.net_selected));
    f.render_stateful_widget(table, pane, &mut ts);
}

/// One pane's table: rows, column widths and headings, title.
struct Pane<'a> {
    rows: Vec<Row<'a>>,
    widths: Vec<Constraint>,
    columns: Vec<i18n::L>,
    title: i18n::L,
}

/// This node: agency, network, counts, listen addresses.
fn this_node<'a>(state: &'a State, st: &'a api::Status) -> Vec<Line<'a>> {
    let pending: usize = st.pending.iter().map(|p| p.2).sum();
    vec![
        Line::from(vec![
            Span::styled(
                format!("{} ", state.t(i18n::THIS_NODE)),
                Style::new().fg(Color::Cyan),
            ),
            Span::raw(format!("{} · {}", state.text(&st.name), st.agency.short())),
        ]),
        Line::from(format!(
            "{} ({}) · {} {} · {} {} · pending {pending} · {} {}",
            st.network_name,
            st.network.chars().take(12).collect::<String>(),
            st.resources,
            state.t(i18n::SCREEN_RESOURCES),
            st.bookings,
            state.t(i18n::SCREEN_BOOK),
            state.t(i18n::COL_REFUSED),
            st.refused_total,
        )),
        Line::from(st.listen.join("  ")).fg(Color::DarkGray),
    ]
}

/// The tabs of the three panes, the current one highlighted.
fn pane_tabs(state: &State) -> Line<'_> {
    let mut spans = Vec::new();
    for (p, l) in [
        (NetPane::Peers, i18n::PEERS),
        (NetPane::Roster, i18n::ROSTER),
        (NetPane::Refusals, i18n::REFUSALS),
    ] {
        let style = if p == state.net_pane {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().fg(Color::Gray)
        };
        spans.push(Span::styled(format!(" {} ", state.t(l)), style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// Peers: link, lag, messages, refusals, last seen.
fn peers<'a>(state: &'a State, st: &'a api::Status) -> Pane<'a> {
    let rows = st
        .peers
        .iter()
        .map(|p| {
            let link = if p.connected {
                Span::styled("● ", Style::new().fg(Color::Green))
            } else {
                Span::styled("○ ", Style::new().fg(Color::Red))
            };
            let seen = p
                .last_seen
                .map(|t| state.fmt_time(t))
                .unwrap_or_else(|| state.t(i18n::NEVER).to_string());
            Row::new(vec![
                Cell::from(state.text(&p.name).to_string()),
                Cell::from(Line::from(vec![
                    link,
                    Span::raw(state.t(if p.connected { i18n::YES } else { i18n::NO })),
                ])),
                Cell::from(p.lag.to_string()),
                Cell::from(format!("{}/{}", p.messages_in, p.messages_out)),
                Cell::from(p.refused.to_string()),
                Cell::from(seen),
            ])
        })
        .collect();
    Pane {
        rows,
        widths: vec![
            Constraint::Fill(2),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(13),
            Constraint::Length(7),
            Constraint::Length(12),
        ],
        columns: vec![
            i18n::COL_AGENCY,
            i18n::COL_CONNECTED,
            i18n::COL_LAG,
            i18n::COL_IN_OUT,
            i18n::COL_REFUSED,
            i18n::COL_LAST_SEEN,
        ],
        title: i18n::PEERS,
    }
}

/// The roster: every member, its city, role and status.
fn roster(state: &State) -> Pane<'_> {
    let rows = state
        .data
        .members
        .iter()
        .map(|m| {
            let role = state.t(match m.member.role {
                Role::Admin => i18n::ADMIN,
                Role::Member => i18n::MEMBER,
            });
            let status = match &m.member.status {
                MemberStatus::Active => {
                    Span::styled(state.t(i18n::ACTIVE), Style::new().fg(Color::Green))
                }
                MemberStatus::Revoked { .. } => {
                    Span::styled(state.t(i18n::REVOKED), Style::new().fg(Color::Red))
                }
            };
            Row::new(vec![
                Cell::from(state.text(&m.member.profile.name).to_string()),
                Cell::from(state.text(&m.member.profile.city).to_string()),
                Cell::from(role),
                Cell::from(status),
                Cell::from(m.agency.short()),
            ])
        })
        .collect();
    Pane {
        rows,
        widths: vec![
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
        columns: vec![
            i18n::COL_AGENCY,
            i18n::COL_CITY,
            i18n::COL_ROLE,
            i18n::COL_STATUS,
            i18n::COL_ID,
        ],
        title: i18n::ROSTER,
    }
}

/// Changes this node refused: signer, document, number, reason.
fn refusals<'a>(state: &'a State, st: &'a api::Status) -> Pane<'a> {
    let rows = st
        .refused
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::from(state.agency_name(&r.signer)),
                Cell::from(r.doc.to_string()),
                Cell::from(r.seq.to_string()),
                Cell::from(r.reason.to_string()),
            ])
        })
        .collect();
    Pane {
        rows,
        widths: vec![
            Constraint::Fill(1),
            Constraint::Fill(2),
            Constraint::Length(6),
            Constraint::Fill(2),
        ],
        columns: vec![
            i18n::COL_AGENCY,
            i18n::COL_DOC,
            i18n::COL_SEQ,
            i18n::COL_REASON,
        ],
        title: i18n::REFUSALS,
    }
}
