//! The calendar, the booking form (the node checks the rules; its refusal
//! names the field), and the user's own bookings.

use super::*;

/// The next whole hour from now, one hour long.
pub(super) fn default_slot(state: &State) -> (Timestamp, Timestamp) {
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

/// Opens the booking form filled with a resource and a range.
pub(super) fn prefill_book(state: &mut State, resource: &str, a: Timestamp, b: Timestamp) {
    let (sa, sb) = (fmt_input(state, a), fmt_input(state, b));
    let f = &mut state.book.form;
    // Another resource is another request: what was typed for the last
    // one (12 people, "联席会议") does not carry over to a projector.
    if f.value(book_field::RESOURCE) != resource {
        f.set(book_field::QUANTITY, "1");
        f.set(book_field::PURPOSE, "");
    }
    f.set(book_field::RESOURCE, resource);
    f.set(book_field::START, sa);
    f.set(book_field::END, sb);
    state.book.submitted = None;
    state.book.error = None;
    state.screen = Screen::Book;
}

pub(super) fn calendar_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
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
        KeyCode::Char('H') => {
            let res = state.filtered_resources();
            let Some(r) = res.get(state.calendar.row) else {
                return vec![];
            };
            if Some(r.owner()) != state.me() {
                error(state, i18n::E_NOT_OURS.both());
                return vec![];
            }
            let day = state.calendar.day;
            state.dialog = Some(Dialog::Hold {
                resource: r.id.clone(),
                from: format!("{day} 08:00"),
                to: format!("{day} 18:00"),
                reason: String::new(),
                field: 2,
            });
            return vec![];
        }
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

pub(super) fn book_form_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    if k.code == KeyCode::Enter {
        return submit_book(state);
    }
    let f = &state.book.form;
    if f.focus == Some(book_field::RESOURCE) && f.typed != Some(book_field::RESOURCE) {
        state.book.resource_before = Some(f.value(book_field::RESOURCE).to_string());
    }
    if !move_focus(&mut state.book.form, &k) {
        edit_form(&mut state.book.form, &k);
    }
    // Left the resource field having typed another resource: what was
    // typed for the last one (people, purpose) does not carry over.
    let f = &mut state.book.form;
    if f.focus != Some(book_field::RESOURCE)
        && let Some(before) = state.book.resource_before.take()
        && before != f.value(book_field::RESOURCE)
    {
        f.set(book_field::QUANTITY, "1");
        f.set(book_field::PURPOSE, "");
    }
    vec![]
}

/// Reads the booking form; the request when every field parses. The
/// resource's rules are the node's to check: a refusal comes back with the
/// rule that failed, shown next to its field (see [`rule_field`]).
pub fn book_request(state: &mut State) -> Option<BookRequest> {
    let rid = state.book.form.value(book_field::RESOURCE).to_string();
    // A name several resources share is never resolved silently: the
    // field lists them (name · city · owner) and asks for the one meant.
    let named = crdt_model::query::named(&state.data.resources, &rid);
    let resource_error = match named.as_slice() {
        [_] => None,
        [] => Some(i18n::E_RESOURCE.both()),
        many => {
            let list = |lang: crate::i18n::Lang| {
                let code = lang.code();
                many.iter()
                    .map(|r| {
                        format!(
                            "{} · {} · {} ({})",
                            r.name.get(code),
                            r.location.city.get(code),
                            state.agency_name_in(&r.id.owner, lang),
                            r.id
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let (zh, en) = (crate::i18n::Lang::Zh, crate::i18n::Lang::En);
            Some(crdt_model::agency::Text::new(
                format!("{} {}", i18n::E_AMBIGUOUS.get(zh), list(zh)),
                format!("{} {}", i18n::E_AMBIGUOUS.get(en), list(en)),
            ))
        }
    };
    let resource = (named.len() == 1).then(|| named[0].clone());
    let start = parse_instant(state, state.book.form.value(book_field::START));
    let end = parse_instant(state, state.book.form.value(book_field::END));
    let f = &mut state.book.form;
    let bad = |f: &mut Form, i: usize, msg: crdt_model::agency::Text| {
        if let Some(x) = f.fields.get_mut(i) {
            x.error = Some(msg);
        }
    };
    if let Some(e) = resource_error {
        bad(f, book_field::RESOURCE, e);
    }
    if start.is_none() {
        bad(f, book_field::START, i18n::E_DATETIME.both());
    }
    if end.is_none() {
        bad(f, book_field::END, i18n::E_DATETIME.both());
    }
    let quantity = positive(f.value(book_field::QUANTITY));
    if quantity.is_none() {
        bad(f, book_field::QUANTITY, i18n::E_NUMBER.both());
    }
    let purpose = Some(f.value(book_field::PURPOSE).trim().to_string()).filter(|p| !p.is_empty());
    if purpose.is_none() {
        bad(f, book_field::PURPOSE, i18n::E_PURPOSE.both());
    }
    let wait_list = yes_no(f.value(book_field::WAIT_LIST))
        .filter(|w| !*w || f.value(book_field::REPEAT).trim().is_empty());
    if wait_list.is_none() {
        bad(f, book_field::WAIT_LIST, i18n::E_YES_NO.both());
    }
    let (resource, start, end, quantity, purpose) = (resource?, start?, end?, quantity?, purpose?);
    Some(BookRequest {
        wait_list: wait_list?,
        resource: resource.id,
        start,
        end,
        quantity,
        contact: f.value(book_field::CONTACT).to_string(),
        purpose,
    })
}

/// A yes/no field as typed: empty is no.
fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "n" | "no" | "否" | "0" => Some(false),
        "y" | "yes" | "是" | "1" => Some(true),
        _ => None,
    }
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

pub(super) fn submit_book(state: &mut State) -> Vec<Effect> {
    if state.book.submitting {
        return vec![];
    }
    match book_request(state) {
        Some(r) if state.book.last_sent.as_ref() == Some(&r) => {
            error(state, i18n::ALREADY_SENT.both());
            vec![]
        }
        Some(r) => {
            let repeat = state.book.form.value(book_field::REPEAT).to_string();
            if !repeat.is_empty() && crdt_model::recur::Rule::parse(&repeat).is_err() {
                if let Some(x) = state.book.form.fields.get_mut(book_field::REPEAT) {
                    x.error = Some(i18n::E_REPEAT.both());
                }
                error(state, i18n::E_FIX_FIELDS.both());
                return vec![];
            }
            state.book.last_sent = Some(r.clone());
            state.book.submitting = true;
            state.book.error = None;
            state.book.form.focus = None;
            if repeat.is_empty() {
                vec![Effect::Book(r)]
            } else {
                vec![Effect::BookSeries(api::SeriesRequest { book: r, repeat })]
            }
        }
        None => {
            // A name several resources share: pick one, never a guess.
            let typed = state.book.form.value(book_field::RESOURCE).to_string();
            let named = crdt_model::query::named(&state.data.resources, &typed);
            if named.len() > 1 {
                state.dialog = Some(Dialog::PickResource {
                    candidates: named.iter().map(|r| r.id.clone()).collect(),
                    selected: 0,
                });
                return vec![];
            }
            error(state, i18n::E_FIX_FIELDS.both());
            vec![]
        }
    }
}

/// The resource picker: ↑↓ choose, Enter puts the id in the form (and
/// sends it when the rest is filled), Esc leaves the form as it was.
pub(super) fn pick_key(
    state: &mut State,
    candidates: Vec<crdt_model::ids::ResourceId>,
    mut selected: usize,
    k: KeyEvent,
) -> Vec<Effect> {
    if let Some(d) = vertical(&k) {
        step(&mut selected, d, candidates.len());
        state.dialog = Some(Dialog::PickResource {
            candidates,
            selected,
        });
        return vec![];
    }
    match k.code {
        KeyCode::Esc => vec![],
        KeyCode::Enter => {
            let Some(id) = candidates.get(selected) else {
                return vec![];
            };
            state.book.form.set(book_field::RESOURCE, id.to_string());
            state.book.form.focus = Some(book_field::RESOURCE);
            submit_book(state)
        }
        _ => {
            state.dialog = Some(Dialog::PickResource {
                candidates,
                selected,
            });
            vec![]
        }
    }
}

/// Opens the booking form filled with alternative `i` (0-based) of a
/// rejected booking, its purpose and contact, the cursor on the purpose:
/// Enter sends it.
pub(super) fn take_alternative(state: &mut State, b: &Booking, i: usize) -> Vec<Effect> {
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
    f.focus = Some(book_field::PURPOSE);
    vec![]
}

pub(super) fn book_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let alternatives = match state.book.submitted.as_ref().map(|b| &b.status) {
        Some(BookingStatus::Rejected { alternatives, .. }) => alternatives.len(),
        _ => 0,
    };
    // ↑/↓ choose among a rejected booking's alternatives; `a` opens the
    // chosen one in the form (digits only ever switch screens).
    if let Some(d) = vertical(&k)
        && alternatives > 0
    {
        step(&mut state.book.alternative, d, alternatives);
        return vec![];
    }
    if is(&k, 'a')
        && let Some(b) = state.book.submitted.clone()
    {
        let i = state.book.alternative.min(alternatives.saturating_sub(1));
        return take_alternative(state, &b, i);
    }
    match k.code {
        // Enter edits again rather than submitting the same request twice.
        KeyCode::Enter | KeyCode::Tab | KeyCode::Char('e') | KeyCode::Char('i') => {
            state.book.form.focus = Some(0);
            state.book.form.typed = None;
            vec![]
        }
        _ => vec![],
    }
}

pub(super) fn mine_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
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
            Some(_) => error(state, i18n::NOT_YOURS.both()),
            None => error(state, i18n::NOTHING_SELECTED.both()),
        },
        KeyCode::Char('a') => {
            if let Some(b) = selected {
                return take_alternative(state, &b, 0);
            }
        }
        KeyCode::Char('i') => match selected {
            Some(b) if b.status == BookingStatus::Confirmed => {
                return vec![Effect::CheckIn(api::CheckInRequest { booking: b.id })];
            }
            Some(_) => error(state, i18n::E_CHECKIN_CONFIRMED.both()),
            None => error(state, i18n::NOTHING_SELECTED.both()),
        },
        _ => {}
    }
    vec![]
}
