//! The dispatcher's keys: choose a trip, a vehicle and a driver among the
//! free ones, dispatch in one key, reject, and record departures and
//! returns with their odometer readings.

use super::*;
use crdt_model::engine::TripCommand;

pub(super) fn dispatch_key(state: &mut State, k: KeyEvent) -> Vec<Effect> {
    let trips: Vec<crdt_model::trip::Trip> = state.fleet_trips().into_iter().cloned().collect();
    if let Some(d) = vertical(&k) {
        step(&mut state.dispatch.selected, d, trips.len());
        state.dispatch.vehicle = 0;
        state.dispatch.driver = 0;
        return vec![];
    }
    let Some(t) = trips.get(state.dispatch.selected) else {
        return vec![];
    };
    let id = t.request.id.clone();
    let requested = t.status == crdt_model::trip::TripStatus::Requested;
    let step_effect = |command| {
        vec![Effect::TripStep(api::TripStep {
            trip: id.clone(),
            command,
        })]
    };
    match k.code {
        KeyCode::Char('v') => state.dispatch.vehicle += 1,
        KeyCode::Char('n') => state.dispatch.driver += 1,
        KeyCode::Enter | KeyCode::Char('d') if requested => {
            return match state.chosen_pair(t) {
                Some((vehicle, driver)) => step_effect(TripCommand::Dispatch { vehicle, driver }),
                None => {
                    error(state, i18n::NONE_FREE.both());
                    vec![]
                }
            };
        }
        KeyCode::Char('x') if requested => {
            let reason = i18n::NO_TRIP_REASON.both();
            return step_effect(TripCommand::Reject { reason });
        }
        KeyCode::Char('s') if t.status == crdt_model::trip::TripStatus::Dispatched => {
            state.dialog = Some(Dialog::Odometer {
                trip: id,
                finish: false,
                km: String::new(),
            });
        }
        KeyCode::Char('f') if t.status == crdt_model::trip::TripStatus::Started => {
            state.dialog = Some(Dialog::Odometer {
                trip: id,
                finish: true,
                km: String::new(),
            });
        }
        _ => {}
    }
    vec![]
}

/// The odometer prompt: digits, Enter records, Esc leaves it.
pub(super) fn odometer_key(
    state: &mut State,
    trip: crdt_model::ids::BookingId,
    finish: bool,
    mut km: String,
    k: KeyEvent,
) -> Vec<Effect> {
    match k.code {
        KeyCode::Esc => vec![],
        KeyCode::Enter => match km.trim().parse::<u32>() {
            Ok(odometer_km) => {
                let command = if finish {
                    TripCommand::Finish {
                        odometer_km,
                        fuel_ml: None,
                        charge_wh: None,
                        note: String::new(),
                    }
                } else {
                    TripCommand::Start { odometer_km }
                };
                vec![Effect::TripStep(api::TripStep { trip, command })]
            }
            Err(_) => {
                error(state, i18n::E_NUMBER.both());
                state.dialog = Some(Dialog::Odometer { trip, finish, km });
                vec![]
            }
        },
        KeyCode::Char(c) if c.is_ascii_digit() => {
            km.push(c);
            state.dialog = Some(Dialog::Odometer { trip, finish, km });
            vec![]
        }
        _ => {
            edit_text(&mut km, &k);
            state.dialog = Some(Dialog::Odometer { trip, finish, km });
            vec![]
        }
    }
}
