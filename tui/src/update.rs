//! `update`: how the state reacts to an action, and which effects (API
//! calls) follow. No I/O here, so every key path is unit-testable.

use std::collections::BTreeSet;

use api::{BookRequest, CancelRequest, DecideRequest, InviteRequest, RevokeRequest};
use crdt_model::availability::SlotQuery;
use crdt_model::booking::Status as BookingStatus;
use crdt_model::calendar::Booking;
use crdt_model::membership::Role;
use crdt_model::resource::{ResourceKind, RuleViolation};
use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Timestamp, ToSpan};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Effect};
use crate::app::{Dialog, Form, NetPane, Screen, State, Toast, book_field, find_field};
use crate::grid::Grid;
use crate::i18n::{self, L};

mod book;
mod dispatch;
mod find;
mod parse;
mod report;
mod review;
mod warehouse;

use book::*;
pub use book::{book_request, rule_field};
use dispatch::*;
pub use find::find_query;
use find::*;
pub use parse::parse_instant;
use parse::*;
use report::*;
use review::*;
use warehouse::*;

/// Applies `action` to `state`; returns the API calls to make.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(k) => on_key(state, k),
        Action::Resize(w, h) => {
            state.size = (w, h);
            clamp_calendar(state);
            vec![]
        }
        Action::Tick(now) => {
            state.now = now;
            vec![]
        }
        Action::Data(d) => on_data(state, *d),
        Action::Unreachable(why) => {
            state.connected = Some(false);
            // A report asked for is not coming: asked again on reconnection.
            state.report.loading = false;
            state.unreachable = Some(why);
            vec![]
        }
        Action::Booked(r) => on_booked(state, r),
        Action::Slots(r) => on_slots(state, r),
        Action::Suggested(id, slots) => {
            // Never suggest the slot in conflict itself.
            let conflict = state.booking(&id).map(|b| (b.resource.clone(), b.terms));
            state.suggestions.slots = slots
                .into_iter()
                .filter(|c| {
                    conflict.as_ref().is_none_or(|(r, t)| {
                        !(c.resource == *r && c.start < t.end && t.start < c.end)
                    })
                })
                .collect();
            state.suggestions.booking = Some(id);
            vec![]
        }
        Action::Invited(r) => {
            match r {
                Ok(token) => state.dialog = Some(Dialog::Token(token)),
                Err(e) => error(state, e),
            }
            vec![]
        }
        Action::Done(r) => {
            match r {
                Ok(l) => toast(state, l),
                Err(e) => error(state, e),
            }
            vec![Effect::Refresh]
        }
        Action::Report(r) => {
            on_report(state, r);
            vec![]
        }
    }
}

/// Fresh data from the node: shown, and the booking just submitted followed.
fn on_data(state: &mut State, d: crate::app::Data) -> Vec<Effect> {
    let old = std::mem::replace(&mut state.data, d);
    announce(state, &old);
    state.connected = Some(true);
    state.unreachable = None;
    if let Some(b) = &state.book.submitted
        && let Some(fresh) = state.booking(&b.id)
    {
        state.book.submitted = Some(fresh.clone());
    }
    clamp_selections(state);
    report_after_data(state)
}

/// Tells what just happened to this agency, as data arrive: one of its
/// requests decided by the owner ("your booking … was confirmed"), or new
/// requests waiting for its decision. Nothing on the first data.
fn announce(state: &mut State, old: &crate::app::Data) {
    use crdt_model::agency::Text;
    use crdt_model::booking::Status;
    if old.status.is_none() {
        return;
    }
    let decided = state.my_bookings().into_iter().find_map(|b| {
        let before = old.bookings.iter().find(|x| x.id == b.id)?;
        let was_waiting = matches!(before.status, Status::Tentative { .. });
        match b.status {
            Status::Confirmed if was_waiting => Some((b.resource.clone(), true)),
            Status::Rejected { .. } if was_waiting => Some((b.resource.clone(), false)),
            _ => None,
        }
    });
    if let Some((rid, confirmed)) = decided {
        let (zh, en) = match state.resource(&rid) {
            Some(r) => (r.name.zh.clone(), r.name.en.clone()),
            None => (rid.to_string(), rid.to_string()),
        };
        let text = if confirmed {
            Text::new(
                format!("您的预订已确认：{zh}"),
                format!("Your booking was confirmed: {en}"),
            )
        } else {
            Text::new(
                format!("您的预订被拒绝：{zh}"),
                format!("Your booking was rejected: {en}"),
            )
        };
        state.toast = Some(crate::app::Toast {
            text,
            error: !confirmed,
        });
        return;
    }
    let me = state.me();
    let waiting = |bookings: &[Booking]| {
        bookings
            .iter()
            .filter(|b| matches!(b.status, Status::Tentative { .. }))
            .filter(|b| me.is_some_and(|m| b.resource.owner == m && b.id.requester != m))
            .count()
    };
    let (before, now) = (waiting(&old.bookings), waiting(&state.data.bookings));
    if now > before {
        let n = now - before;
        state.toast = Some(crate::app::Toast {
            text: Text::new(
                format!("{n} 项新申请等待本单位审批（6:审批）"),
                format!("{n} new request(s) wait for your decision (6: Approvals)"),
            ),
            error: false,
        });
    }
}

/// The node's answer to a booking: shown, or its error next to the field
/// whose rule failed.
fn on_booked(state: &mut State, r: Result<Box<Booking>, crate::action::Failure>) -> Vec<Effect> {
    state.book.submitting = false;
    state.book.form.focus = None;
    match r {
        Ok(b) => {
            state.book.error = None;
            let series = b.request.as_ref().is_some_and(|r| r.series.is_some());
            state.book.submitted = Some(*b);
            toast(
                state,
                if series {
                    i18n::DONE_SERIES
                } else {
                    i18n::DONE_BOOKED
                },
            );
        }
        Err(e) => {
            // The node's own rule goes next to its field.
            if let Some(v) = &e.rule {
                let text = v.text();
                let field = rule_field(v);
                if let Some(x) = state.book.form.fields.get_mut(field) {
                    x.error = Some(text);
                    state.book.form.focus = Some(field);
                }
            }
            state.book.error = Some(e.message.clone());
            error(state, e.message);
        }
    }
    state.screen = Screen::Book;
    vec![Effect::Refresh]
}

/// Free slots found (or why not).
fn on_slots(
    state: &mut State,
    r: Result<Vec<crdt_model::availability::Candidate>, crdt_model::agency::Text>,
) -> Vec<Effect> {
    match r {
        Ok(c) => {
            state.find.results = c;
            state.find.searched = true;
            state.find.selected = 0;
            if !state.find.results.is_empty() {
                state.find.form.focus = None;
            }
        }
        Err(e) => error(state, e),
    }
    vec![]
}

fn toast(state: &mut State, l: L) {
    state.toast = Some(Toast {
        text: l.both(),
        error: false,
    });
}

fn error(state: &mut State, text: crdt_model::agency::Text) {
    state.toast = Some(Toast { text, error: true });
}

fn is(k: &KeyEvent, c: char) -> bool {
    k.code == KeyCode::Char(c) && !k.modifiers.contains(KeyModifiers::CONTROL)
}

fn on_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        state.quit = true;
        return vec![];
    }
    if state.dialog.is_some() {
        return dialog_key(state, k);
    }
    if state.help {
        if matches!(
            k.code,
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
        ) {
            state.help = false;
        }
        return vec![];
    }
    if state.screen == Screen::Resources && state.resources.searching {
        search_key(state, k);
        return vec![];
    }
    match state.screen {
        Screen::Find if state.find.form.focus.is_some() => return find_form_key(state, k),
        Screen::Book if state.book.form.focus.is_some() => return book_form_key(state, k),
        _ => {}
    }
    // Keys every screen shares.
    if let KeyCode::Char(c) = k.code
        && !k.modifiers.contains(KeyModifiers::CONTROL)
        && let Some(screen) = Screen::of_key(c)
    {
        return switch(state, screen);
    }
    if is(&k, 'q') {
        state.quit = true;
        return vec![];
    }
    if is(&k, '?') {
        state.help = true;
        return vec![];
    }
    if is(&k, 'L') {
        state.lang = state.lang.toggle();
        return vec![];
    }
    if is(&k, 'r') {
        let mut fx = vec![Effect::Refresh];
        if state.screen == Screen::Report {
            fx.extend(ask_report(state));
        }
        return fx;
    }
    if k.code == KeyCode::Esc {
        state.toast = None;
        return vec![];
    }
    match state.screen {
        Screen::Resources => resources_key(state, k),
        Screen::Calendar => calendar_key(state, k),
        Screen::Find => find_key(state, k),
        Screen::Book => book_key(state, k),
        Screen::Mine => mine_key(state, k),
        Screen::Approvals => approvals_key(state, k, false),
        Screen::Conflicts => approvals_key(state, k, true),
        Screen::Network => network_key(state, k),
        Screen::Dispatch => dispatch_key(state, k),
        Screen::Warehouse => warehouse_key(state, k),
        Screen::Report => report_key(state, k),
    }
}

/// Opens `screen`. Focus on arrival is always the same rule: the finder
/// edits its first field until it has results, then the results list; the
/// booking form edits its first field still empty (the purpose once the
/// rest is filled) until a request is sent, then shows its result.
fn switch(state: &mut State, screen: Screen) -> Vec<Effect> {
    state.screen = screen;
    match screen {
        Screen::Find => {
            state.find.form.focus = state.find.results.is_empty().then_some(0);
            state.find.form.typed = None;
        }
        Screen::Book => {
            let f = &mut state.book.form;
            f.focus = if state.book.submitted.is_some() {
                None
            } else {
                let required = [
                    book_field::RESOURCE,
                    book_field::START,
                    book_field::END,
                    book_field::PURPOSE,
                ];
                Some(
                    required
                        .into_iter()
                        .find(|i| f.value(*i).is_empty())
                        .unwrap_or(book_field::PURPOSE),
                )
            };
            f.typed = None;
        }
        Screen::Conflicts => return suggest(state),
        Screen::Report => return ask_report(state),
        _ => {}
    }
    vec![]
}

/// Up / down movement: `Some(-1 | 1)`.
fn vertical(k: &KeyEvent) -> Option<isize> {
    match k.code {
        KeyCode::Up | KeyCode::Char('k') => Some(-1),
        KeyCode::Down | KeyCode::Char('j') => Some(1),
        KeyCode::PageUp => Some(-10),
        KeyCode::PageDown => Some(10),
        _ => None,
    }
}

fn step(sel: &mut usize, delta: isize, len: usize) {
    if len == 0 {
        *sel = 0;
        return;
    }
    *sel = sel.saturating_add_signed(delta).min(len - 1);
}

fn clamp_selections(state: &mut State) {
    let n = state.filtered_resources().len();
    step(&mut state.resources.selected, 0, n);
    let n = state.my_bookings().len();
    step(&mut state.mine_selected, 0, n);
    let n = state.approval_queue().len();
    step(&mut state.approvals_selected, 0, n);
    let n = state.conflicts().len();
    step(&mut state.conflicts_selected, 0, n);
    let n = net_len(state);
    step(&mut state.net_selected, 0, n);
    let n = warehouse_len(state);
    step(&mut state.warehouse.selected, 0, n);
    clamp_calendar(state);
}

fn clamp_calendar(state: &mut State) {
    let n = state.filtered_resources().len();
    step(&mut state.calendar.row, 0, n);
    let cells = Grid::new(state, state.size.0.saturating_sub(2)).cells();
    step(&mut state.calendar.col, 0, cells);
}

fn edit_text(value: &mut String, k: &KeyEvent) -> bool {
    match k.code {
        KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => value.clear(),
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => value.push(c),
        KeyCode::Backspace => {
            value.pop();
        }
        _ => return false,
    }
    true
}

/// Moves the focus of a form; `None` when it leaves the last field.
fn move_focus(form: &mut Form, k: &KeyEvent) -> bool {
    let n = form.fields.len();
    let Some(i) = form.focus else { return false };
    match k.code {
        KeyCode::Tab | KeyCode::Down => form.focus = Some((i + 1) % n),
        KeyCode::BackTab | KeyCode::Up => form.focus = Some((i + n - 1) % n),
        KeyCode::Esc => form.focus = None,
        _ => return false,
    }
    form.typed = None;
    true
}

fn edit_form(form: &mut Form, k: &KeyEvent) -> bool {
    let Some(i) = form.focus else { return false };
    let first_key = form.typed != Some(i);
    match form.fields.get_mut(i) {
        Some(f) => {
            let typing =
                matches!(k.code, KeyCode::Char(_)) && !k.modifiers.contains(KeyModifiers::CONTROL);
            if f.replace && first_key && typing {
                f.value.clear();
            }
            let changed = edit_text(&mut f.value, k);
            if changed {
                form.typed = Some(i);
            }
            if changed {
                f.error = None;
            }
            changed
        }
        None => false,
    }
}
