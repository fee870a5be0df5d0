//! The vehicle dispatcher and trip requests from the finder, key by key.

use super::*;

#[test]
fn the_dispatcher_sees_free_vehicles_and_drivers_and_dispatches_in_one_key() {
    let mut s = on(Lang::En, Screen::Dispatch);
    let trips = s.fleet_trips();
    assert_eq!(trips.len(), 3, "this fleet's open trips");
    // The first: a van for 6 tomorrow; the van is free then, the sedan is
    // too small and of the wrong class; both drivers are free.
    let t = trips[0].clone();
    let vehicles: Vec<String> = s
        .free_vehicles(&t)
        .iter()
        .map(|r| r.id.local.to_string())
        .collect();
    assert_eq!(vehicles, ["van-1"]);
    assert_eq!(s.free_drivers(&t).len(), 2);
    // The third holds the van and the second driver the day after.
    let held = trips[2].clone();
    assert!(
        s.free_vehicles(&held).is_empty() || held.status != crdt_model::trip::TripStatus::Requested
    );
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::TripStep(step)] = fx.as_slice() else {
        panic!("one dispatch: {fx:?}");
    };
    let crdt_model::engine::TripCommand::Dispatch { vehicle, driver } = &step.command else {
        panic!("{step:?}");
    };
    assert_eq!(
        (vehicle.local.as_str(), driver.local.as_str()),
        ("van-1", "drv-1")
    );
    // `n` takes the next free driver.
    key(&mut s, KeyCode::Char('n'));
    let fx = key(&mut s, KeyCode::Char('d'));
    let [Effect::TripStep(step)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert!(
        matches!(&step.command, crdt_model::engine::TripCommand::Dispatch { driver, .. } if driver.local == "drv-2")
    );
    // A dispatched trip departs with its odometer reading.
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Char('s'));
    keys(&mut s, "12345");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::TripStep(api::TripStep {
                command: crdt_model::engine::TripCommand::Start { odometer_km: 12345 },
                ..
            })]
        ),
        "{fx:?}"
    );
    // `9` opens the screen from anywhere.
    key(&mut s, KeyCode::Char('1'));
    key(&mut s, KeyCode::Char('9'));
    assert_eq!(s.screen, Screen::Dispatch);
}

#[test]
fn a_vehicle_found_is_requested_as_a_trip_with_destination_and_purpose() {
    let mut s = state(Lang::Zh);
    fixture::with_fleet(&mut s);
    let van = s
        .data
        .resources
        .iter()
        .find(|r| r.id.local == "van-1")
        .expect("the fleet's van")
        .id
        .clone();
    key(&mut s, KeyCode::Char('3'));
    s.find.form.set(find_field::QUANTITY, "6");
    let slot = crdt_model::availability::Candidate {
        resource: van.clone(),
        start: shanghai(day(2), 9, 0),
        end: shanghai(day(3), 18, 0),
        spare: 1,
        competing: 0,
    };
    update(&mut s, Action::Slots(Ok(vec![slot])));
    assert!(key(&mut s, KeyCode::Enter).is_empty(), "nothing sent yet");
    assert!(matches!(s.dialog, Some(Dialog::TripRequest { .. })));
    assert!(render(&s, 100, 30).contains("申请用车"));
    // Both fields are required: Enter on an empty one moves to the other.
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    key(&mut s, KeyCode::Tab);
    keys(&mut s, "保定");
    key(&mut s, KeyCode::Tab);
    keys(&mut s, "执法检查");
    let fx = key(&mut s, KeyCode::Enter);
    let [Effect::RequestTrip(d)] = fx.as_slice() else {
        panic!("a trip request: {fx:?}");
    };
    assert_eq!(
        d.class,
        Some(crdt_model::fleet::VehicleClass::Van),
        "by class: the fleet picks the car"
    );
    assert_eq!((d.passengers, d.owner), (6, van.owner));
    assert_eq!(
        (d.destination.as_str(), d.purpose.as_str()),
        ("保定", "执法检查")
    );
    assert_eq!(d.end, shanghai(day(3), 18, 0), "a stay of two days");
}
