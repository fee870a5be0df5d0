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
    let pending: usize = st.pending.iter().map(|p| p.2).sum();
    let lines = vec![
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
    ];
    f.render_widget(Paragraph::new(lines), info);
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
    f.render_widget(Line::from(spans), tabs);
    let head = |cols: &[i18n::L]| {
        Row::new(cols.iter().map(|c| state.t(*c)).collect::<Vec<_>>())
            .style(Style::new().fg(Color::Cyan))
    };
    let (rows, widths, header, title): (Vec<Row>, Vec<Constraint>, Row, i18n::L) =
        match state.net_pane {
            NetPane::Peers => (
                st.peers
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
                    .collect(),
                vec![
                    Constraint::Fill(2),
                    Constraint::Length(6),
                    Constraint::Length(7),
                    Constraint::Length(13),
                    Constraint::Length(7),
                    Constraint::Length(12),
                ],
                head(&[
                    i18n::COL_AGENCY,
                    i18n::COL_CONNECTED,
                    i18n::COL_LAG,
                    i18n::COL_IN_OUT,
                    i18n::COL_REFUSED,
                    i18n::COL_LAST_SEEN,
                ]),
                i18n::PEERS,
            ),
            NetPane::Roster => (
                state
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
                    .collect(),
                vec![
                    Constraint::Fill(2),
                    Constraint::Length(8),
                    Constraint::Length(8),
                    Constraint::Length(8),
                    Constraint::Fill(1),
                ],
                head(&[
                    i18n::COL_AGENCY,
                    i18n::COL_CITY,
                    i18n::COL_ROLE,
                    i18n::COL_STATUS,
                    i18n::COL_ID,
                ]),
                i18n::ROSTER,
            ),
            NetPane::Refusals => (
                st.refused
                    .iter()
                    .map(|r| {
                        Row::new(vec![
                            Cell::from(state.agency_name(&r.signer)),
                            Cell::from(r.doc.to_string()),
                            Cell::from(r.seq.to_string()),
                            Cell::from(r.reason.to_string()),
                        ])
                    })
                    .collect(),
                vec![
                    Constraint::Fill(1),
                    Constraint::Fill(2),
                    Constraint::Length(6),
                    Constraint::Fill(2),
                ],
                head(&[
                    i18n::COL_AGENCY,
                    i18n::COL_DOC,
                    i18n::COL_SEQ,
                    i18n::COL_REASON,
                ]),
                i18n::REFUSALS,
            ),
        };
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(selected_style())
        .highlight_symbol("▶ ")
        .block(block(state.t(title).to_string(), true));
    let mut ts = TableState::new().with_selected(Some(state.net_selected));
    f.render_stateful_widget(table, pane, &mut ts);
}
