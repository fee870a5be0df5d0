//! The resource browser and the free-slot finder.

use super::*;

pub(super) fn resources_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
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

pub(super) fn search_key(state: &mut State, k: KeyEvent) {
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

pub(super) const CAPACITY_STEPS: [u32; 12] = [0, 1, 2, 4, 6, 8, 10, 12, 15, 20, 30, 50];

/// The next value after `cur` in `all` (`None` after the last: "all").
pub(super) fn cycle<'a, T: PartialEq>(all: &'a [T], cur: Option<&T>) -> Option<&'a T> {
    match cur {
        None => all.first(),
        Some(c) => all.iter().position(|x| x == c).and_then(|i| all.get(i + 1)),
    }
}

pub(super) fn find_form_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
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

pub(super) fn find_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let n = state.find.results.len();
    if let Some(d) = vertical(&k) {
        step(&mut state.find.selected, d, n);
        return vec![];
    }
    match k.code {
        KeyCode::Tab | KeyCode::Char('e') | KeyCode::Char('i') => {
            state.find.form.focus = Some(0);
            state.find.form.typed = None;
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
            // A vehicle is asked for as a trip: the fleet picks the car of
            // its class and a driver.
            if let Some(v) = state.resource(&c.resource).filter(|r| r.is_vehicle()) {
                let class = v.vehicle_class();
                let draft = crdt_model::engine::TripDraft {
                    owner: c.resource.owner,
                    class,
                    vehicle: class.is_none().then(|| c.resource.clone()),
                    start: c.start,
                    end: c.end,
                    passengers: qty,
                    destination: String::new(),
                    purpose: String::new(),
                    contact: String::new(),
                };
                state.dialog = Some(Dialog::TripRequest {
                    draft: Box::new(draft),
                    vehicle: state.resource_label(&c.resource),
                    destination: String::new(),
                    purpose: String::new(),
                    on_purpose: false,
                });
                return vec![];
            }
            // The filled form, the cursor on the purpose: Enter sends it.
            prefill_book(state, &c.resource.to_string(), c.start, c.end);
            state.book.form.set(book_field::QUANTITY, qty.to_string());
            state.book.form.focus = Some(book_field::PURPOSE);
            vec![]
        }
        _ => vec![],
    }
}

/// Validates the free-slot form, marking bad fields; the query when valid.
pub fn find_query(state: &mut State) -> Option<SlotQuery> {
    let today = state.now.to_zoned(state.tz.clone()).date();
    let tz = state.tz.clone();
    let me = state.me();
    let f = &mut state.find.form;
    let bad = |f: &mut Form, i: usize, l: L| {
        if let Some(x) = f.fields.get_mut(i) {
            x.error = Some(l.both());
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
    let duration = crdt_model::when::parse_minutes(f.value(find_field::DURATION));
    if duration.is_none() {
        bad(f, find_field::DURATION, i18n::E_DURATION);
    }
    let days = positive(f.value(find_field::DAYS)).filter(|d| *d <= 62);
    if days.is_none() {
        bad(f, find_field::DAYS, i18n::E_DAYS);
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
    let (quantity, kind, duration, date, days, from_t, to_t) =
        (quantity?, kind?, duration?, date?, days?, from_t?, to_t?);
    let at = |d: Date, t: Time| {
        d.to_datetime(t)
            .to_zoned(tz.clone())
            .ok()
            .map(|z| z.timestamp())
    };
    // From the first day's earliest start to the last day's latest end;
    // a stay longer than that window (the van for two days) still fits
    // when it starts on the first day.
    let from = at(date, from_t)?;
    let last = date.checked_add(i64::from(days - 1).days()).ok()?;
    let to = at(last, to_t)?.max(
        from.checked_add(jiff::SignedDuration::from_mins(i64::from(duration)))
            .ok()?,
    );
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
        from,
        to,
        step_minutes: 30,
        limit: 20,
        per_resource: 3,
        requester: me?,
    })
}

pub(super) fn search(state: &mut State) -> Vec<Effect> {
    match find_query(state) {
        Some(q) => vec![Effect::Slots(q)],
        None => {
            if !state.find.form.has_errors() {
                toast(state, i18n::LOADING);
            } else {
                error(state, i18n::E_FIX_FIELDS.both());
            }
            vec![]
        }
    }
}
