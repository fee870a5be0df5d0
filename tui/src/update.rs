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
        Action::Data(d) => {
            state.data = *d;
            state.connected = Some(true);
            state.unreachable = None;
            if let Some(b) = &state.book.submitted
                && let Some(fresh) = state.booking(&b.id)
            {
                state.book.submitted = Some(fresh.clone());
            }
            clamp_selections(state);
            vec![]
        }
        Action::Unreachable(why) => {
            state.connected = Some(false);
            state.unreachable = Some(why);
            vec![]
        }
        Action::Booked(r) => {
            state.book.submitting = false;
            state.book.form.focus = None;
            match r {
                Ok(b) => {
                    state.book.error = None;
                    state.book.submitted = Some(*b);
                    toast(state, i18n::DONE_BOOKED);
                }
                Err(e) => {
                    // The node's own rule goes next to its field.
                    if let Some(v) = &e.rule {
                        let text = v.text().get(state.lang.code()).to_string();
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
        Action::Slots(r) => {
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
        Action::Suggested(id, slots) => {
            state.suggestions.booking = Some(id);
            state.suggestions.slots = slots;
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
    }
}

fn toast(state: &mut State, l: L) {
    state.toast = Some(Toast {
        text: state.t(l).to_string(),
        error: false,
    });
}

fn error(state: &mut State, text: String) {
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
    // On a rejected booking, 1-3 take an alternative rather than switch screens.
    if state.screen == Screen::Book
        && matches!(k.code, KeyCode::Char('1'..='3'))
        && state
            .book
            .submitted
            .as_ref()
            .is_some_and(|b| matches!(&b.status, BookingStatus::Rejected { alternatives, .. } if !alternatives.is_empty()))
    {
        return book_key(state, k);
    }
    // Keys every screen shares.
    if let KeyCode::Char(c @ '1'..='8') = k.code {
        let i = (c as usize) - ('1' as usize);
        return switch(state, Screen::ALL[i]);
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
        return vec![Effect::Refresh];
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
    }
}

fn switch(state: &mut State, screen: Screen) -> Vec<Effect> {
    state.screen = screen;
    match screen {
        Screen::Find if state.find.results.is_empty() => state.find.form.focus = Some(0),
        Screen::Conflicts => return suggest(state),
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

fn search_key(state: &mut State, k: KeyEvent) {
    match k.code {
        KeyCode::Enter => state.resources.searching = false,
        KeyCode::Esc => {
            state.resources.searching = false;
            state.resources.search.clear();
        }
        _ => {
            edit_text(&mut state.resources.search, &k);
        }
    }
    state.resources.selected = 0;
}

fn resources_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let n = state.filtered_resources().len();
    if let Some(d) = vertical(&k) {
        step(&mut state.resources.selected, d, n);
        return vec![];
    }
    let f = &mut state.resources;
    match k.code {
        KeyCode::Char('/') => f.searching = true,
        KeyCode::Char('t') => {
            f.kind = cycle(&ResourceKind::BUILT_IN, f.kind.as_ref()).cloned();
        }
        KeyCode::Char('c') => {
            let cities = state.cities();
            state.resources.city = cycle(&cities, state.resources.city.as_ref()).cloned();
        }
        KeyCode::Char('o') => {
            let owners = state.owners();
            state.resources.owner = cycle(&owners, state.resources.owner.as_ref()).copied();
        }
        KeyCode::Char('+') | KeyCode::Char('=') => {
            f.min_capacity = CAPACITY_STEPS
                .iter()
                .copied()
                .find(|c| *c > f.min_capacity)
                .unwrap_or(f.min_capacity);
        }
        KeyCode::Char('-') => {
            f.min_capacity = CAPACITY_STEPS
                .iter()
                .rev()
                .copied()
                .find(|c| *c < f.min_capacity)
                .unwrap_or(0);
        }
        KeyCode::Enter => {
            state.calendar.row = state.resources.selected;
            state.screen = Screen::Calendar;
            clamp_calendar(state);
            return vec![];
        }
        KeyCode::Char('b') => {
            if let Some(r) = state.filtered_resources().get(state.resources.selected) {
                let id = r.id.to_string();
                let (a, b) = default_slot(state);
                prefill_book(state, &id, a, b);
                state.book.form.focus = Some(book_field::START);
            }
            return vec![];
        }
        _ => return vec![],
    }
    state.resources.selected = 0;
    clamp_calendar(state);
    vec![]
}

const CAPACITY_STEPS: [u32; 12] = [0, 1, 2, 4, 6, 8, 10, 12, 15, 20, 30, 50];

/// The next value after `cur` in `all` (`None` after the last: "all").
fn cycle<'a, T: PartialEq>(all: &'a [T], cur: Option<&T>) -> Option<&'a T> {
    match cur {
        None => all.first(),
        Some(c) => all.iter().position(|x| x == c).and_then(|i| all.get(i + 1)),
    }
}

/// The next whole hour from now, one hour long.
fn default_slot(state: &State) -> (Timestamp, Timestamp) {
    let z = state.now.to_zoned(state.tz.clone());
    let a = z
        .date()
        .to_datetime(Time::constant(z.hour(), 0, 0, 0))
        .to_zoned(state.tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(state.now)
        .checked_add(SignedDuration::from_hours(1))
        .unwrap_or(state.now);
    (a, a.checked_add(SignedDuration::from_hours(1)).unwrap_or(a))
}

fn fmt_input(state: &State, t: Timestamp) -> String {
    t.to_zoned(state.tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Opens the booking form filled with a resource and a range.
fn prefill_book(state: &mut State, resource: &str, a: Timestamp, b: Timestamp) {
    let (sa, sb) = (fmt_input(state, a), fmt_input(state, b));
    let f = &mut state.book.form;
    f.set(book_field::RESOURCE, resource);
    f.set(book_field::START, sa);
    f.set(book_field::END, sb);
    state.book.submitted = None;
    state.book.error = None;
    state.screen = Screen::Book;
}

fn calendar_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let rows = state.filtered_resources().len();
    let grid = Grid::new(state, state.size.0.saturating_sub(2));
    let c = &mut state.calendar;
    match k.code {
        KeyCode::Up | KeyCode::Char('k') => step(&mut c.row, -1, rows),
        KeyCode::Down | KeyCode::Char('j') => step(&mut c.row, 1, rows),
        KeyCode::PageUp => step(&mut c.row, -10, rows),
        KeyCode::PageDown => step(&mut c.row, 10, rows),
        KeyCode::Left | KeyCode::Char('h') => step(&mut c.col, -1, grid.cells()),
        KeyCode::Right | KeyCode::Char('l') => step(&mut c.col, 1, grid.cells()),
        KeyCode::Char('w') => {
            c.week = !c.week;
            c.col = 0;
        }
        KeyCode::Char('[') => c.day = shift(c.day, if c.week { -7 } else { -1 }),
        KeyCode::Char(']') => c.day = shift(c.day, if c.week { 7 } else { 1 }),
        KeyCode::Char('t') => c.day = state.now.to_zoned(state.tz.clone()).date(),
        KeyCode::Enter | KeyCode::Char('b') => {
            let res = state.filtered_resources();
            if let Some(r) = res.get(state.calendar.row) {
                let id = r.id.to_string();
                let (a, b) = grid.range(state.calendar.col);
                let b = b.max(a.checked_add(SignedDuration::from_hours(1)).unwrap_or(b));
                prefill_book(state, &id, a, b);
                state.book.form.focus = Some(book_field::PURPOSE);
            }
        }
        _ => {}
    }
    clamp_calendar(state);
    vec![]
}

fn shift(d: Date, days: i64) -> Date {
    d.checked_add(days.days()).unwrap_or(d)
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
    true
}

fn edit_form(form: &mut Form, k: &KeyEvent) -> bool {
    let Some(i) = form.focus else { return false };
    match form.fields.get_mut(i) {
        Some(f) => {
            let changed = edit_text(&mut f.value, k);
            if changed {
                f.error = None;
            }
            changed
        }
        None => false,
    }
}

fn find_form_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    if k.code == KeyCode::Enter {
        return search(state);
    }
    if k.code == KeyCode::Tab
        && state.find.form.focus == Some(state.find.form.fields.len() - 1)
        && !state.find.results.is_empty()
    {
        state.find.form.focus = None;
        return vec![];
    }
    if !move_focus(&mut state.find.form, &k) {
        edit_form(&mut state.find.form, &k);
    }
    vec![]
}

fn find_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let n = state.find.results.len();
    if let Some(d) = vertical(&k) {
        step(&mut state.find.selected, d, n);
        return vec![];
    }
    match k.code {
        KeyCode::Tab | KeyCode::Char('e') | KeyCode::Char('i') => {
            state.find.form.focus = Some(0);
            vec![]
        }
        KeyCode::Enter | KeyCode::Char('b') => {
            let Some(c) = state.find.results.get(state.find.selected).cloned() else {
                return vec![];
            };
            let qty = state
                .find
                .form
                .value(find_field::QUANTITY)
                .parse::<u32>()
                .unwrap_or(1);
            prefill_book(state, &c.resource.to_string(), c.start, c.end);
            state.book.form.set(book_field::QUANTITY, qty.to_string());
            submit_book(state)
        }
        _ => vec![],
    }
}

fn parse_kind(s: &str) -> Option<ResourceKind> {
    let l = s.to_lowercase();
    ResourceKind::BUILT_IN
        .iter()
        .find(|k| k.to_string() == l || k.label().zh == s || k.label().en.to_lowercase() == l)
        .cloned()
        .or_else(|| match l.parse::<ResourceKind>() {
            Ok(ResourceKind::Other(_)) | Err(_) => None,
            Ok(k) => Some(k),
        })
}

/// `today`, `tomorrow`, `+3`, `2026-12-08`, or a weekday: `tue`,
/// `tuesday`, `周二`, `星期二` mean the coming one, `下周二` next week's.
fn parse_date(s: &str, today: Date) -> Option<Date> {
    match s {
        "" | "today" | "今天" => return Some(today),
        "tomorrow" | "明天" => return today.tomorrow().ok(),
        "后天" => return today.checked_add(2.days()).ok(),
        _ => {}
    }
    if let Some(n) = s.strip_prefix('+') {
        let n: i64 = n.parse().ok()?;
        return today.checked_add(n.days()).ok();
    }
    if let Ok(d) = s.parse() {
        return Some(d);
    }
    let l = s.to_lowercase();
    // 下周五: Friday of next week; 周五 / fri / next fri: the coming Friday.
    let next_week = l.starts_with('下');
    let l = l
        .trim_start_matches("next ")
        .trim_start_matches('下')
        .trim_start_matches("星期")
        .trim_start_matches('周');
    const EN: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    const ZH: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    let i = EN
        .iter()
        .position(|d| l.starts_with(d))
        .or_else(|| ZH.iter().position(|d| l == *d || (l == "天" && *d == "日")))?;
    let offset = i64::from(today.weekday().to_monday_zero_offset());
    let ahead = if next_week {
        7 - offset + i as i64
    } else {
        match (i as i64 - offset + 7) % 7 {
            0 => 7,
            n => n,
        }
    };
    today.checked_add(ahead.days()).ok()
}

fn parse_hm(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':').unwrap_or((s, "0"));
    let t = Time::new(h.trim().parse().ok()?, m.trim().parse().ok()?, 0, 0).ok()?;
    Some(t)
}

/// Parses `2026-12-01 09:00`, `2026-12-01T09:00` (in the display zone) or RFC 3339.
pub fn parse_instant(state: &State, s: &str) -> Option<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let dt: jiff::civil::DateTime = s.replacen(' ', "T", 1).parse().ok()?;
    dt.to_zoned(state.tz.clone()).ok().map(|z| z.timestamp())
}

fn positive(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|n| *n > 0)
}

/// Validates the free-slot form, marking bad fields; the query when valid.
pub fn find_query(state: &mut State) -> Option<SlotQuery> {
    let lang = state.lang;
    let today = state.now.to_zoned(state.tz.clone()).date();
    let tz = state.tz.clone();
    let me = state.me();
    let f = &mut state.find.form;
    let bad = |f: &mut Form, i: usize, l: L| {
        if let Some(x) = f.fields.get_mut(i) {
            x.error = Some(l.get(lang).to_string());
        }
    };
    let quantity = positive(f.value(find_field::QUANTITY));
    if quantity.is_none() {
        bad(f, find_field::QUANTITY, i18n::E_NUMBER);
    }
    let kind_s = f.value(find_field::KIND).to_string();
    let kind = if kind_s.is_empty() {
        Some(None)
    } else {
        parse_kind(&kind_s).map(Some)
    };
    if kind.is_none() {
        bad(f, find_field::KIND, i18n::E_KIND);
    }
    let duration = positive(f.value(find_field::DURATION));
    if duration.is_none() {
        bad(f, find_field::DURATION, i18n::E_NUMBER);
    }
    let date = parse_date(f.value(find_field::DATE), today);
    if date.is_none() {
        bad(f, find_field::DATE, i18n::E_DATE);
    }
    let from_t = parse_hm(f.value(find_field::FROM));
    if from_t.is_none() {
        bad(f, find_field::FROM, i18n::E_HOUR);
    }
    let to_t = parse_hm(f.value(find_field::TO));
    if to_t.is_none() {
        bad(f, find_field::TO, i18n::E_HOUR);
    }
    let (quantity, kind, duration, date, from_t, to_t) =
        (quantity?, kind?, duration?, date?, from_t?, to_t?);
    let at = |t: Time| {
        date.to_datetime(t)
            .to_zoned(tz.clone())
            .ok()
            .map(|z| z.timestamp())
    };
    let city = f.value(find_field::CITY).to_string();
    let features: BTreeSet<String> = f
        .value(find_field::FEATURES)
        .split([',', '，'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some(SlotQuery {
        kind,
        city: (!city.is_empty()).then_some(city),
        owner: None,
        quantity,
        features,
        duration_minutes: duration,
        from: at(from_t)?,
        to: at(to_t)?,
        step_minutes: 30,
        limit: 20,
        per_resource: 3,
        requester: me?,
    })
}

fn search(state: &mut State) -> Vec<Effect> {
    match find_query(state) {
        Some(q) => vec![Effect::Slots(q)],
        None => {
            if !state.find.form.has_errors() {
                toast(state, i18n::LOADING);
            } else {
                error(state, state.t(i18n::E_FIX_FIELDS).to_string());
            }
            vec![]
        }
    }
}

fn book_form_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    if k.code == KeyCode::Enter {
        return submit_book(state);
    }
    if !move_focus(&mut state.book.form, &k) {
        edit_form(&mut state.book.form, &k);
    }
    vec![]
}

/// Reads the booking form; the request when every field parses. The
/// resource's rules are the node's to check: a refusal comes back with the
/// rule that failed, shown next to its field (see [`rule_field`]).
pub fn book_request(state: &mut State) -> Option<BookRequest> {
    let lang = state.lang;
    let rid = state.book.form.value(book_field::RESOURCE).to_string();
    let resource = state
        .data
        .resources
        .iter()
        .find(|r| r.id.to_string() == rid || r.name.zh == rid || r.name.en == rid)
        .cloned();
    let start = parse_instant(state, state.book.form.value(book_field::START));
    let end = parse_instant(state, state.book.form.value(book_field::END));
    let f = &mut state.book.form;
    let bad = |f: &mut Form, i: usize, msg: String| {
        if let Some(x) = f.fields.get_mut(i) {
            x.error = Some(msg);
        }
    };
    if resource.is_none() {
        bad(f, book_field::RESOURCE, i18n::E_RESOURCE.get(lang).into());
    }
    if start.is_none() {
        bad(f, book_field::START, i18n::E_DATETIME.get(lang).into());
    }
    if end.is_none() {
        bad(f, book_field::END, i18n::E_DATETIME.get(lang).into());
    }
    let quantity = positive(f.value(book_field::QUANTITY));
    if quantity.is_none() {
        bad(f, book_field::QUANTITY, i18n::E_NUMBER.get(lang).into());
    }
    let (resource, start, end, quantity) = (resource?, start?, end?, quantity?);
    Some(BookRequest {
        resource: resource.id,
        start,
        end,
        quantity,
        contact: f.value(book_field::CONTACT).to_string(),
        purpose: f.value(book_field::PURPOSE).to_string(),
    })
}

/// The booking form's field a broken rule belongs to.
pub fn rule_field(v: &RuleViolation) -> usize {
    match v {
        RuleViolation::Quantity { .. } => book_field::QUANTITY,
        RuleViolation::NotShared | RuleViolation::Retired => book_field::RESOURCE,
        RuleViolation::EmptyRange | RuleViolation::TooShort { .. } => book_field::END,
        RuleViolation::TooLong { .. } => book_field::END,
        _ => book_field::START,
    }
}

fn submit_book(state: &mut State) -> Vec<Effect> {
    if state.book.submitting {
        return vec![];
    }
    match book_request(state) {
        Some(r) => {
            state.book.submitting = true;
            state.book.error = None;
            state.book.form.focus = None;
            vec![Effect::Book(r)]
        }
        None => {
            error(state, state.t(i18n::E_FIX_FIELDS).to_string());
            vec![]
        }
    }
}

/// Books alternative `i` (0-based) of a rejected booking.
fn take_alternative(state: &mut State, b: &Booking, i: usize) -> Vec<Effect> {
    let BookingStatus::Rejected { alternatives, .. } = &b.status else {
        return vec![];
    };
    let Some(alt) = alternatives.get(i) else {
        return vec![];
    };
    let (purpose, contact) = b
        .request
        .as_ref()
        .map(|r| (r.purpose.clone(), r.contact.clone()))
        .unwrap_or_default();
    prefill_book(state, &alt.resource.to_string(), alt.start, alt.end);
    let f = &mut state.book.form;
    f.set(book_field::QUANTITY, b.terms.quantity.to_string());
    f.set(book_field::PURPOSE, purpose);
    f.set(book_field::CONTACT, contact);
    submit_book(state)
}

fn book_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let alt = match k.code {
        KeyCode::Char('a') => Some(0),
        KeyCode::Char(c @ '1'..='3') if state.book.submitted.is_some() => {
            Some(c as usize - '1' as usize)
        }
        _ => None,
    };
    if let (Some(i), Some(b)) = (alt, state.book.submitted.clone()) {
        return take_alternative(state, &b, i);
    }
    match k.code {
        // Enter edits again rather than submitting the same request twice.
        KeyCode::Enter | KeyCode::Tab | KeyCode::Char('e') | KeyCode::Char('i') => {
            state.book.form.focus = Some(0);
            vec![]
        }
        _ => vec![],
    }
}

fn mine_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let n = state.my_bookings().len();
    if let Some(d) = vertical(&k) {
        step(&mut state.mine_selected, d, n);
        return vec![];
    }
    let selected = state
        .my_bookings()
        .get(state.mine_selected)
        .map(|b| (*b).clone());
    match k.code {
        KeyCode::Char('p') => {
            state.mine_past = !state.mine_past;
            state.mine_selected = 0;
        }
        KeyCode::Char('c') => match selected {
            Some(b)
                if matches!(
                    b.status,
                    BookingStatus::Confirmed | BookingStatus::Tentative { .. }
                ) =>
            {
                state.dialog = Some(Dialog::Cancel(b.id));
            }
            Some(_) => error(state, state.t(i18n::NOT_YOURS).to_string()),
            None => error(state, state.t(i18n::NOTHING_SELECTED).to_string()),
        },
        KeyCode::Char('a') => {
            if let Some(b) = selected {
                return take_alternative(state, &b, 0);
            }
        }
        _ => {}
    }
    vec![]
}

fn approvals_key(state: &mut State, k: KeyEvent, conflicts: bool) -> Vec<Effect> {
    let list: Vec<Booking> = if conflicts {
        state.conflicts().into_iter().cloned().collect()
    } else {
        state.approval_queue().into_iter().cloned().collect()
    };
    let sel = if conflicts {
        &mut state.conflicts_selected
    } else {
        &mut state.approvals_selected
    };
    if let Some(d) = vertical(&k) {
        step(sel, d, list.len());
        return if conflicts { suggest(state) } else { vec![] };
    }
    let Some(b) = list.get(*sel) else {
        return vec![];
    };
    match k.code {
        KeyCode::Char('a') | KeyCode::Char('y') => vec![Effect::Decide(DecideRequest {
            booking: b.id.clone(),
            approve: true,
            reason: None,
        })],
        KeyCode::Char('x') | KeyCode::Char('n') => {
            state.dialog = Some(Dialog::Reject {
                booking: b.id.clone(),
                reason: String::new(),
            });
            vec![]
        }
        _ => vec![],
    }
}

/// Asks for alternatives to the selected conflict (same kind and city, that day).
fn suggest(state: &mut State) -> Vec<Effect> {
    let Some(b) = state
        .conflicts()
        .get(state.conflicts_selected)
        .map(|b| (*b).clone())
    else {
        return vec![];
    };
    if state.suggestions.booking.as_ref() == Some(&b.id) {
        return vec![];
    }
    let (Some(r), Some(me)) = (state.resource(&b.resource), state.me()) else {
        return vec![];
    };
    let minutes = (b.terms.end.as_second() - b.terms.start.as_second()) / 60;
    let q = SlotQuery {
        kind: Some(r.kind.clone()),
        city: Some(r.location.city.en.clone()),
        owner: None,
        quantity: b.terms.quantity,
        features: BTreeSet::new(),
        duration_minutes: u32::try_from(minutes).unwrap_or(60).max(1),
        from: b.terms.start,
        to: b
            .terms
            .start
            .checked_add(SignedDuration::from_hours(12))
            .unwrap_or(b.terms.end),
        step_minutes: 30,
        limit: 3,
        per_resource: 1,
        requester: me,
    };
    vec![Effect::Suggest(b.id, q)]
}

fn net_len(state: &State) -> usize {
    match state.net_pane {
        NetPane::Peers => state.data.status.as_ref().map_or(0, |s| s.peers.len()),
        NetPane::Roster => state.data.members.len(),
        NetPane::Refusals => state.data.status.as_ref().map_or(0, |s| s.refused.len()),
    }
}

fn network_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    if let Some(d) = vertical(&k) {
        let n = net_len(state);
        step(&mut state.net_selected, d, n);
        return vec![];
    }
    match k.code {
        KeyCode::Tab => {
            state.net_pane = match state.net_pane {
                NetPane::Peers => NetPane::Roster,
                NetPane::Roster => NetPane::Refusals,
                NetPane::Refusals => NetPane::Peers,
            };
            state.net_selected = 0;
        }
        KeyCode::BackTab => {
            state.net_pane = match state.net_pane {
                NetPane::Peers => NetPane::Refusals,
                NetPane::Roster => NetPane::Peers,
                NetPane::Refusals => NetPane::Roster,
            };
            state.net_selected = 0;
        }
        KeyCode::Char('i') => {
            state.dialog = Some(Dialog::Invite {
                name: String::new(),
            });
        }
        KeyCode::Char('x') if state.net_pane == NetPane::Roster => {
            if let Some(m) = state.data.members.get(state.net_selected)
                && Some(m.agency) != state.me()
            {
                let name = state.text(&m.member.profile.name).to_string();
                state.dialog = Some(Dialog::Revoke(m.agency, name));
            }
        }
        _ => {}
    }
    vec![]
}

fn dialog_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let Some(d) = state.dialog.take() else {
        return vec![];
    };
    let yes = k.code == KeyCode::Char('y') || k.code == KeyCode::Enter;
    let no = matches!(k.code, KeyCode::Esc) || k.code == KeyCode::Char('n');
    match d {
        Dialog::Cancel(id) if yes => vec![Effect::Cancel(CancelRequest {
            booking: id,
            reason: String::new(),
        })],
        Dialog::Revoke(agency, _) if yes => vec![Effect::Revoke(RevokeRequest {
            agency,
            reason: String::new(),
        })],
        Dialog::Cancel(_) | Dialog::Revoke(..) if no => vec![],
        Dialog::Token(_) if matches!(k.code, KeyCode::Esc | KeyCode::Enter) => vec![],
        Dialog::Reject { booking, reason } => match k.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter => vec![Effect::Decide(DecideRequest {
                booking,
                approve: false,
                reason: (!reason.trim().is_empty())
                    .then(|| crdt_model::agency::Text::new(reason.trim(), reason.trim())),
            })],
            _ => {
                let mut reason = reason;
                edit_text(&mut reason, &k);
                state.dialog = Some(Dialog::Reject { booking, reason });
                vec![]
            }
        },
        Dialog::Invite { name } => match k.code {
            KeyCode::Esc => vec![],
            KeyCode::Enter if !name.trim().is_empty() => vec![Effect::Invite(InviteRequest {
                agency: name.trim().to_string(),
                role: Role::Member,
                expires_hours: 24 * 7,
                bootstrap: Vec::new(),
            })],
            _ => {
                let mut name = name;
                edit_text(&mut name, &k);
                state.dialog = Some(Dialog::Invite { name });
                vec![]
            }
        },
        other => {
            state.dialog = Some(other);
            vec![]
        }
    }
}
