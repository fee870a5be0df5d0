//! The network screen: this node, then peers, roster or refused changes.

use crdt_model::ids::{DocId, DocKind};
use crdt_model::ledger::RefuseReason;
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
        Constraint::Length(8),
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
        NetPane::Refusals => refusals(state, st, pane),
    };
    let header = Row::new(p.columns.iter().map(|c| state.t(*c)).collect::<Vec<_>>())
        .style(Style::new().fg(Color::Cyan));
    let table = Table::new(p.rows, p.widths)
        .flex(ratatui::layout::Flex::Start)
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
            Span::raw(state.text(&st.name).to_string()),
        ]),
        Line::from(st.network_name.clone()),
        Line::from(
            state
                .t(i18n::NODE_COUNTS)
                .replace("{r}", &st.resources.to_string())
                .replace("{b}", &st.bookings.to_string())
                .replace("{p}", &pending.to_string())
                .replace("{x}", &st.refused_total.to_string()),
        ),
        Line::from(match st.following {
            None => state.t(i18n::FOLLOWING_ALL).to_string(),
            Some(n) => state.t(i18n::FOLLOWING_N).replace("{n}", &n.to_string()),
        }),
        Line::from(
            state
                .t(i18n::CONNECTIONS_N)
                .replace(
                    "{c}",
                    &(st.connections.dialled + st.connections.accepted).to_string(),
                )
                .replace("{max}", &st.connections.max.to_string())
                .replace("{o}", &st.connections.dialled.to_string())
                .replace("{i}", &st.connections.accepted.to_string())
                .replace("{f}", &st.connections.found.to_string()),
        ),
        Line::from(
            state
                .t(i18n::TOPICS_N)
                .replace("{t}", &st.topics.subscribed.to_string())
                .replace("{p}", &st.topics.published.to_string())
                .replace("{r}", &st.topics.received.to_string())
                .replace("{x}", &st.topics.not_passed.to_string()),
        ),
        Line::from(sealed_line(state, st)),
        Line::from(st.listen.join("  ")).fg(Color::DarkGray),
    ]
}

/// What the node sealed of long-past periods, if anything.
fn sealed_line<'a>(state: &'a State, st: &'a api::Status) -> String {
    match st.sealed_before {
        Some(before) if st.sealed_docs > 0 => state
            .t(i18n::SEALED_N)
            .replace("{n}", &st.sealed_docs.to_string())
            .replace(
                "{d}",
                &before
                    .to_zoned(state.tz.clone())
                    .strftime("%Y-%m-%d")
                    .to_string(),
            ),
        _ => state.t(i18n::SEALED_NONE).to_string(),
    }
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

/// Peers: link, lag, messages, changes received (and received again),
/// refusals, last seen.
fn peers<'a>(state: &'a State, st: &'a api::Status) -> Pane<'a> {
    let rows = st
        .peers
        .iter()
        .map(|p| {
            let link = if p.blocked.is_some() {
                Span::styled("⊘ ", Style::new().fg(Color::Red))
            } else if p.connected {
                Span::styled("● ", Style::new().fg(Color::Green))
            } else {
                Span::styled("○ ", Style::new().fg(Color::Red))
            };
            let said = if p.blocked.is_some() {
                i18n::BLOCKED
            } else if p.connected {
                i18n::YES
            } else {
                i18n::NO
            };
            let seen = p
                .last_seen
                .map(|t| state.fmt_time(t))
                .unwrap_or_else(|| state.t(i18n::NEVER).to_string());
            Row::new(vec![
                Cell::from(state.text(&p.name).to_string()),
                Cell::from(Line::from(vec![link, Span::raw(state.t(said))])),
                Cell::from(p.lag.to_string()),
                Cell::from(format!("{}/{}", p.messages_in, p.messages_out)),
                Cell::from(format!(
                    "{} ({:.0}%)",
                    api::size(p.bytes_in),
                    100.0 * p.duplicate_bytes_in as f64 / p.bytes_in.max(1) as f64
                )),
                Cell::from(p.refused.to_string()),
                Cell::from(seen),
            ])
        })
        .collect();
    Pane {
        rows,
        widths: vec![
            Constraint::Fill(2),
            Constraint::Length(10),
            Constraint::Length(6),
            Constraint::Length(11),
            Constraint::Length(17),
            Constraint::Length(7),
            Constraint::Length(12),
        ],
        columns: vec![
            i18n::COL_AGENCY,
            i18n::COL_CONNECTED,
            i18n::COL_LAG,
            i18n::COL_IN_OUT,
            i18n::COL_BYTES_IN,
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
                MemberStatus::Revoked { reason, .. } => Span::styled(
                    format!(
                        "{} {}",
                        state.t(i18n::REVOKED),
                        crdt_model::record::sanitize(reason)
                    ),
                    Style::new().fg(Color::Red),
                ),
            };
            let joined = jiff::Timestamp::from_millisecond(m.member.admitted_at.wall_ms)
                .map(|t| {
                    t.to_zoned(state.tz.clone())
                        .strftime("%Y-%m-%d")
                        .to_string()
                })
                .unwrap_or_default();
            Row::new(vec![
                Cell::from(state.text(&m.member.profile.name).to_string()),
                Cell::from(super::fit(state.text(&m.member.profile.city), 10)),
                Cell::from(role),
                Cell::from(joined),
                Cell::from(status),
            ])
        })
        .collect();
    Pane {
        rows,
        widths: vec![
            Constraint::Fill(2),
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Fill(1),
        ],
        columns: vec![
            i18n::COL_AGENCY,
            i18n::COL_CITY,
            i18n::COL_ROLE,
            i18n::COL_JOINED,
            i18n::COL_STATUS,
        ],
        title: i18n::ROSTER,
    }
}

/// Changes this node refused: signer, what they were (in words), why.
fn refusals<'a>(state: &'a State, st: &'a api::Status, area: Rect) -> Pane<'a> {
    let widths = vec![
        Constraint::Fill(1),
        Constraint::Fill(3),
        Constraint::Fill(2),
    ];
    let w = super::column_widths(area, &widths);
    let fit = super::fit;
    let rows = st
        .refused
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::from(fit(&state.agency_name(&r.signer), w[0])),
                Cell::from(fit(&doc_words(state, &r.doc), w[1])),
                Cell::from(fit(&reason_words(state, &r.reason), w[2])),
            ])
        })
        .collect();
    Pane {
        rows,
        widths,
        columns: vec![i18n::COL_AGENCY, i18n::COL_DOC, i18n::COL_REASON],
        title: i18n::REFUSALS,
    }
}

/// A document in words: whose catalogue, requests or decisions, and the month.
pub(crate) fn doc_words(state: &State, d: &DocId) -> String {
    let month = || {
        let (y, m) = (d.shard / 12, d.shard % 12 + 1);
        format!("{y}-{m:02}")
    };
    let owner = state.agency_name(&d.owner);
    match d.kind {
        DocKind::Catalog => state.t(i18n::DOC_CATALOG).replace("{a}", &owner),
        DocKind::Decisions => state
            .t(i18n::DOC_DECISIONS)
            .replace("{a}", &owner)
            .replace("{m}", &month()),
        DocKind::Requests => {
            let to = d
                .counterpart
                .map(|c| state.agency_name(&c))
                .unwrap_or_default();
            state
                .t(i18n::DOC_REQUESTS)
                .replace("{a}", &owner)
                .replace("{b}", &to)
                .replace("{m}", &month())
        }
    }
}

/// Why a change was refused, in the user's language.
pub(crate) fn reason_words(state: &State, r: &RefuseReason) -> String {
    use crdt_model::membership::WriteRefusal;
    let l = match r {
        RefuseReason::Version(_) => i18n::WHY_VERSION,
        RefuseReason::TooLarge => i18n::WHY_TOO_LARGE,
        RefuseReason::Malformed(_) => i18n::WHY_MALFORMED,
        RefuseReason::ActorMismatch | RefuseReason::NotOwner => i18n::WHY_NOT_OWNER,
        RefuseReason::Signature => i18n::WHY_SIGNATURE,
        RefuseReason::Membership(WriteRefusal::UnknownSigner) => i18n::WHY_NOT_MEMBER,
        RefuseReason::Membership(WriteRefusal::Revoked) => i18n::WHY_REVOKED,
        RefuseReason::Fork => i18n::WHY_FORK,
        RefuseReason::Record(_) => i18n::WHY_RECORD,
        RefuseReason::ClockBackwards => i18n::WHY_CLOCK,
        RefuseReason::QueueFull => i18n::WHY_QUEUE,
    };
    state.t(l).to_string()
}
