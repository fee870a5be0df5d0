//! `view`: draws the state, nothing else (pure: same state, same screen).
//! The frame (tabs, banner, status line, overlays) lives here; each screen
//! has its module under `view/`.

mod booking;
mod calendar;
mod dispatch;
mod lists;
mod network;
mod report;
mod warehouse;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthChar;

use crate::app::{Dialog, Screen, State};
use crate::i18n;

pub use calendar::render_grid;

/// The red line under the tabs, when something is wrong with the node: it
/// cannot be reached, its store failed or lost acknowledged changes, or
/// this agency was revoked.
fn banner_text(state: &State) -> Option<String> {
    if state.connected == Some(false) {
        let why = state
            .unreachable
            .as_ref()
            .map(|t| state.text(t))
            .unwrap_or_default();
        return Some(format!("{} {why}", state.t(i18n::UNREACHABLE)));
    }
    let st = state.data.status.as_ref()?;
    if let Some(r) = &st.revoked {
        return Some(format!(
            "{} {}: {}",
            state.t(i18n::REVOKED_BANNER),
            state.text(&r.by_name),
            crdt_model::record::sanitize(&r.reason)
        ));
    }
    if let Some(f) = &st.storage_fault {
        return Some(format!("{} {f}", state.t(i18n::STORAGE_BANNER)));
    }
    (!st.own_gaps.is_empty()).then(|| {
        let (held, acked) = st
            .own_gaps
            .iter()
            .fold((0, 0), |(h, a), g| (h + g.held, a + g.acknowledged));
        format!("{} {held}/{acked}", state.t(i18n::GAP_BANNER))
    })
}

/// Draws the whole screen.
pub fn view(state: &State, f: &mut Frame) {
    let area = f.area();
    let banner = banner_text(state);
    let [tabs, banner_area, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    render_tabs(state, f, tabs);
    if let Some(text) = banner {
        f.render_widget(
            Paragraph::new(text).style(Style::new().fg(Color::White).bg(Color::Red).bold()),
            banner_area,
        );
    }
    if state.connected.is_none() {
        f.render_widget(Paragraph::new(state.t(i18n::LOADING)), body);
    } else {
        match state.screen {
            Screen::Resources => lists::resources(state, f, body),
            Screen::Calendar => calendar::render(state, f, body),
            Screen::Find => booking::find(state, f, body),
            Screen::Book => booking::book(state, f, body),
            Screen::Mine => lists::mine(state, f, body),
            Screen::Approvals => lists::approvals(state, f, body),
            Screen::Conflicts => lists::conflicts(state, f, body),
            Screen::Network => network::render(state, f, body),
            Screen::Dispatch => dispatch::render(state, f, body),
            Screen::Warehouse => warehouse::render(state, f, body),
            Screen::Report => report::render(state, f, body),
        }
    }
    render_status(state, f, status);
    if state.help {
        render_help(state, f, area);
    }
    if let Some(d) = &state.dialog {
        render_dialog(state, d, f, area);
    }
}

fn render_tabs(state: &State, f: &mut Frame, area: Rect) {
    let waiting = state.approval_queue().len();
    // Narrow: short titles, one space between tabs instead of two; and
    // narrower still, no colon after the key.
    let label = |s: &Screen, short: bool, tight: bool| {
        let title = state.t(if short { s.short_title() } else { s.title() });
        let end = if short { "" } else { " " };
        let key = s.key();
        let colon = if tight { "" } else { ":" };
        match s {
            Screen::Approvals if waiting > 0 => format!(" {key}{colon}{title}({waiting}){end}"),
            _ => format!(" {key}{colon}{title}{end}"),
        }
    };
    let width = |short: bool, tight: bool| -> usize {
        Screen::ALL
            .iter()
            .map(|s| unicode_width::UnicodeWidthStr::width(label(s, short, tight).as_str()))
            .sum()
    };
    // Full titles where they fit beside the clock, short ones otherwise
    // (80 columns), so every tab stays visible.
    let short = width(false, false) + 7 > usize::from(area.width);
    let tight = short && width(true, false) + 7 > usize::from(area.width);
    let mut spans = Vec::new();
    for s in Screen::ALL.iter() {
        let style = if *s == state.screen {
            Style::new().fg(Color::Black).bg(Color::Cyan).bold()
        } else if matches!(s, Screen::Approvals) && waiting > 0 {
            Style::new().fg(Color::Yellow).bold()
        } else {
            Style::new().fg(Color::Gray)
        };
        spans.push(Span::styled(label(s, short, tight), style));
    }
    let clock = state.now.to_zoned(state.tz.clone()).strftime("%H:%M");
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = usize::from(area.width).saturating_sub(used);
    // Who is signed in (a person, with their role, and the agency), then
    // the person alone, then the clock alone: names only whole.
    let mut choices = Vec::new();
    if let Some(s) = &state.data.status {
        let agency = state.text(&s.name);
        match &s.user {
            Some(u) => {
                let role = state.text(&u.role.text()).to_string();
                choices.push(format!(" {}（{role}）· {agency} {clock} ", u.name));
                choices.push(format!(" {} {clock} ", u.name));
            }
            None => choices.push(format!(" {agency} {clock} ")),
        }
    }
    choices.push(format!("{clock} "));
    let fits = |s: &String| unicode_width::UnicodeWidthStr::width(s.as_str()) <= room;
    let right = choices
        .iter()
        .find(|s| fits(s))
        .cloned()
        .unwrap_or_else(|| format!("{clock} "));
    let w = unicode_width::UnicodeWidthStr::width(right.as_str());
    if w <= room {
        spans.push(Span::raw(format!("{}{right}", " ".repeat(room - w))));
    }
    f.render_widget(Line::from(spans), area);
}

fn render_status(state: &State, f: &mut Frame, area: Rect) {
    let line = match &state.toast {
        Some(t) if t.error => Line::from(Span::styled(
            format!("✗ {}", state.text(&t.text)),
            Style::new().fg(Color::Red).bold(),
        )),
        Some(t) => Line::from(Span::styled(
            format!("✓ {}", state.text(&t.text)),
            Style::new().fg(Color::Green),
        )),
        None => Line::from(Span::styled(
            state.t(i18n::HELP_HINT),
            Style::new().fg(Color::DarkGray),
        )),
    };
    f.render_widget(line, area);
}

fn render_help(state: &State, f: &mut Frame, area: Rect) {
    let r = centered(area, 90, 60);
    f.render_widget(Clear, r);
    let text = vec![
        Line::from(state.t(state.screen.title())).bold(),
        Line::from(state.t(state.screen.help())),
        Line::from(""),
        Line::from(state.t(i18n::HELP_GLOBAL)),
        Line::from(""),
        Line::from(state.t(i18n::LEGEND)),
    ];
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(state.t(i18n::HELP_TITLE))),
        r,
    );
}

fn render_dialog(state: &State, d: &Dialog, f: &mut Frame, area: Rect) {
    let (title, body): (&str, Vec<Line>) = match d {
        Dialog::Cancel(id) => (
            state.t(i18n::CONFIRM),
            vec![
                Line::from(state.t(i18n::ASK_CANCEL)),
                Line::from(
                    state
                        .booking(id)
                        .map(|b| {
                            format!(
                                "{} · {} · ×{}",
                                state.resource_label(&b.resource),
                                state.fmt_range(b.terms.start, b.terms.end),
                                b.terms.quantity
                            )
                        })
                        .unwrap_or_default(),
                )
                .bold(),
                Line::from(""),
                Line::from(state.t(i18n::CONFIRM_KEYS)).fg(Color::Yellow),
            ],
        ),
        Dialog::Block(_, name, block) => (
            state.t(i18n::CONFIRM),
            vec![
                Line::from(name.clone()).bold(),
                Line::from(state.t(if *block {
                    i18n::ASK_BLOCK
                } else {
                    i18n::ASK_UNBLOCK
                })),
                Line::from(""),
                Line::from(state.t(i18n::CONFIRM_KEYS)).fg(Color::Yellow),
            ],
        ),
        Dialog::Revoke(_, name) => (
            state.t(i18n::CONFIRM),
            vec![
                Line::from(name.clone()).bold(),
                Line::from(state.t(i18n::ASK_REVOKE)),
                Line::from(""),
                Line::from(state.t(i18n::CONFIRM_KEYS)).fg(Color::Yellow),
            ],
        ),
        Dialog::Approve { displaced, .. } => (
            state.t(i18n::CONFIRM),
            std::iter::once(Line::from(state.t(i18n::ASK_APPROVE_OUT_OF_TURN)))
                .chain(
                    displaced
                        .iter()
                        .map(|d| Line::from(format!("  {d}")).bold()),
                )
                .chain([
                    Line::from(""),
                    Line::from(state.t(i18n::CONFIRM_KEYS)).fg(Color::Yellow),
                ])
                .collect(),
        ),
        Dialog::Hold {
            resource,
            from,
            to,
            reason,
            field,
        } => {
            let parse = |s: &str| crate::update::parse_instant(state, s);
            let releases = match (parse(from), parse(to)) {
                (Some(a), Some(b)) if b > a => state
                    .data
                    .bookings
                    .iter()
                    .filter(|x| {
                        &x.resource == resource
                            && x.status == crdt_model::booking::Status::Confirmed
                            && x.terms.overlaps(a, b)
                    })
                    .count(),
                _ => 0,
            };
            let line = |i: usize, label: i18n::L, value: &str| {
                let cursor = if i == *field { "▏" } else { "" };
                let l = Line::from(format!("{}: {value}{cursor}", state.t(label)));
                if i == *field { l.bold() } else { l }
            };
            (
                state.t(i18n::HOLD_TITLE),
                vec![
                    Line::from(state.resource_label(resource)).fg(Color::Cyan),
                    line(0, i18n::F_START, from),
                    line(1, i18n::F_END, to),
                    line(2, i18n::F_HOLD_REASON, reason),
                    Line::from(""),
                    Line::from(
                        state
                            .t(i18n::HOLD_RELEASES)
                            .replace("{n}", &releases.to_string()),
                    )
                    .fg(if releases > 0 {
                        Color::Red
                    } else {
                        Color::Gray
                    }),
                    Line::from(state.t(i18n::HOLD_KEYS)).fg(Color::Yellow),
                ],
            )
        }
        Dialog::Reject { booking, reason } => (
            state.t(i18n::F_REASON),
            vec![
                Line::from(booking.to_string()).fg(Color::DarkGray),
                Line::from(format!("> {reason}▏")),
                Line::from(""),
                Line::from("Enter ✓ · Esc ✗").fg(Color::Yellow),
            ],
        ),
        Dialog::Invite { name } => (
            state.t(i18n::F_AGENCY_NAME),
            vec![
                Line::from(format!("> {name}▏")),
                Line::from(""),
                Line::from("Enter ✓ · Esc ✗").fg(Color::Yellow),
            ],
        ),
        Dialog::PickResource {
            candidates,
            selected,
        } => (
            state.t(i18n::PICK_RESOURCE),
            candidates
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let line = format!(
                        "{} {}",
                        if i == *selected { "▶" } else { " " },
                        state.resource_label(id)
                    );
                    if i == *selected {
                        Line::from(line).bold()
                    } else {
                        Line::from(line)
                    }
                })
                .chain([
                    Line::from(""),
                    Line::from(state.t(i18n::PICK_KEYS)).fg(Color::Yellow),
                ])
                .collect(),
        ),
        Dialog::TripRequest {
            draft,
            vehicle,
            destination,
            purpose,
            on_purpose,
        } => {
            let cursor = |on: bool| if on { "▏" } else { "" };
            (
                state.t(i18n::TRIP_REQUEST),
                vec![
                    Line::from(format!(
                        "{vehicle} · {} · ×{}",
                        state.fmt_range(draft.start, draft.end),
                        draft.passengers
                    ))
                    .bold(),
                    Line::from(""),
                    Line::from(format!(
                        "{}: {destination}{}",
                        state.t(i18n::F_DESTINATION),
                        cursor(!on_purpose)
                    )),
                    Line::from(format!(
                        "{}: {purpose}{}",
                        state.t(i18n::F_PURPOSE),
                        cursor(*on_purpose)
                    )),
                    Line::from(""),
                    Line::from(state.t(i18n::TRIP_KEYS)).fg(Color::Yellow),
                ],
            )
        }
        Dialog::Odometer { finish, km, .. } => (
            state.t(if *finish {
                i18n::ODOMETER_IN
            } else {
                i18n::ODOMETER_OUT
            }),
            vec![
                Line::from(format!("{km}▏")),
                Line::from(""),
                Line::from("Enter · Esc").fg(Color::Yellow),
            ],
        ),
        Dialog::Asset(input) => warehouse::input_dialog(state, input),
        Dialog::ConfirmAsset { ask, what, .. } => (
            state.t(i18n::CONFIRM),
            warehouse::confirm_dialog(state, *ask, what),
        ),
        Dialog::Token(token) => (
            state.t(i18n::INVITE_TOKEN),
            vec![Line::from(token.clone()), Line::from(""), Line::from("Esc")],
        ),
    };
    // A token (about 600 characters) needs room to be shown whole.
    let r = match d {
        Dialog::Token(_) => centered(area, 90, 80),
        Dialog::Asset(_) => centered(area, 80, 50),
        _ => centered(area, 80, 40),
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(title)
                .border_style(Style::new().fg(Color::Yellow)),
        ),
        r,
    );
}

/// A rectangle of `pw`% × `ph`% centred in `area`.
fn centered(area: Rect, pw: u16, ph: u16) -> Rect {
    let w = area.width * pw / 100;
    let h = (area.height * ph / 100).max(7).min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `s` cut to at most `width` terminal cells (Chinese characters take two),
/// with `…` when cut: at a word boundary (space, `·`, `/`) when one keeps at
/// least a third of the width, so English is not cut mid-word.
pub fn fit(s: &str, width: usize) -> String {
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    let cut_inside_word = s[out.len()..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() && c.is_ascii());
    let boundary = out.rfind([' ', '·', '/']).filter(|at| {
        let kept_w: usize = out[..*at].chars().map(|c| c.width().unwrap_or(0)).sum();
        kept_w * 3 >= width
    });
    if let (true, Some(at)) = (cut_inside_word, boundary) {
        out.truncate(at);
    }
    let kept = out.trim_end_matches([' ', '·', '/']).len();
    out.truncate(kept);
    out.push('…');
    out
}

/// Column widths of a bordered table with a highlight symbol drawn in
/// `area`, laid out the way ratatui lays out `constraints`: what
/// [`fit`] cuts each cell to.
pub fn column_widths(area: Rect, constraints: &[Constraint]) -> Vec<usize> {
    let inner = area.width.saturating_sub(2 + 2);
    Layout::horizontal(constraints.to_vec())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, inner, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// `s` fitted and padded with spaces to exactly `width` cells.
pub fn pad(s: &str, width: usize) -> String {
    let s = fit(s, width);
    let used: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(used)))
}

/// Style of the selected row in lists.
fn selected_style() -> Style {
    Style::new()
        .bg(Color::DarkGray)
        .add_modifier(Modifier::BOLD)
}

/// A bordered block with a title; highlighted when focused.
fn block(title: String, focused: bool) -> Block<'static> {
    let b = Block::bordered().title(title);
    if focused {
        b.border_style(Style::new().fg(Color::Cyan))
    } else {
        b
    }
}

/// Colour of a booking status.
fn status_style(s: &crdt_model::booking::Status) -> Style {
    use crdt_model::booking::Status;
    match s {
        Status::Confirmed => Style::new().fg(Color::Green),
        Status::Tentative { .. } => Style::new().fg(Color::Yellow),
        Status::Rejected { .. } => Style::new().fg(Color::Red),
        Status::Released { .. } => Style::new().fg(Color::Magenta),
        Status::Cancelled | Status::Void => Style::new().fg(Color::DarkGray),
    }
}
