//! Report figures checked against hand-computed examples, on every replica.

use super::*;
use crate::engine::{LocalOp, LocalOutcome};
use crate::resource::{Approval, Capacity, OpeningHours};
use crate::sim::{Sim, test_resource};

const START: i64 = 1_795_000_000_000; // 2026-11-18 (a Wednesday)

fn local(day: &str, hm: &str) -> Timestamp {
    format!("{day}T{hm}:00[Asia/Shanghai]")
        .parse::<jiff::Zoned>()
        .expect("a time")
        .timestamp()
}

/// A room open 08:00–18:00 on weekdays, 2 h booked by another agency and
/// 3 h by its owner on one day: 50 % utilised, 40 % by other agencies; a
/// request over the first is rejected; a second room is idle. Both nodes
/// print the same report.
#[test]
fn a_room_open_ten_hours_with_five_booked_is_half_used() {
    let mut sim = Sim::new(7, 2, START);
    sim.run_until_quiet(1_000);
    let owner = sim.id(0);
    let mut room = test_resource(owner, "room", Capacity::People(10), Approval::Automatic);
    room.rules.opening = Some(OpeningHours {
        days: (1..=5).collect(),
        open: jiff::civil::time(8, 0, 0, 0),
        close: jiff::civil::time(18, 0, 0, 0),
    });
    room.rules.time_zone = "Asia/Shanghai".into();
    let other = test_resource(owner, "other", Capacity::People(4), Approval::Automatic);
    let rid = room.id.clone();
    for r in [room, other] {
        sim.local(0, LocalOp::PutResource(Box::new(r)))
            .expect("publish");
    }
    sim.run_until_quiet(1_000);
    let day = "2026-11-19";
    let book = |sim: &mut Sim, who: usize, from: &str, to: &str| match sim.local(
        who,
        LocalOp::Book {
            wait_list: false,
            resource: rid.clone(),
            start: local(day, from),
            end: local(day, to),
            quantity: 3,
            contact: String::new(),
            purpose: "例会".into(),
        },
    ) {
        Ok(LocalOutcome::Booking(b)) => b.id,
        other => panic!("{other:?}"),
    };
    book(&mut sim, 1, "09:00", "11:00");
    sim.run_until_quiet(1_000);
    book(&mut sim, 0, "13:00", "16:00");
    book(&mut sim, 1, "09:30", "10:30");
    sim.run_until_quiet(1_000);

    let q = ReportQuery {
        from: local(day, "00:00"),
        to: local("2026-11-20", "00:00"),
        by: GroupBy::Resource,
        kind: None,
        owner: None,
    };
    let a = q.answer(sim.engine(0), sim.now()).expect("a report");
    let b = q.answer(sim.engine(1), sim.now()).expect("a report");
    assert_eq!(a, b, "both nodes print the same report");
    let row = a
        .rows
        .iter()
        .find(|r| r.key == rid.to_string())
        .expect("the room");
    assert_eq!(row.open_hours, 10.0);
    assert_eq!(row.booked_hours, 5.0);
    assert!((row.utilisation - 0.5).abs() < 1e-9, "{row:?}");
    assert!((row.cross_agency_share - 0.4).abs() < 1e-9, "{row:?}");
    assert_eq!((row.confirmed, row.rejected, row.cancelled), (2, 1, 0));
    assert_eq!(a.peak_hours, vec![9, 10, 13]);
    assert_eq!(a.idle.len(), 1, "the other room: {:?}", a.idle);
    // The other room is open around the clock: 24 h of it that day.
    assert_eq!(a.total.open_hours, 34.0);

    // A weekend is closed: nothing open, 0 %, no division by zero.
    let weekend = ReportQuery {
        from: local("2026-11-21", "00:00"),
        to: local("2026-11-23", "00:00"),
        kind: Some("meeting-room".into()),
        ..q.clone()
    };
    let w = weekend.answer(sim.engine(1), sim.now()).expect("a report");
    let row = w
        .rows
        .iter()
        .find(|r| r.key == rid.to_string())
        .expect("the room");
    assert_eq!((row.open_hours, row.utilisation), (0.0, 0.0));

    // By requester: the owner's 3 h and the other agency's 2 h.
    let by = ReportQuery {
        by: GroupBy::Requester,
        ..q.clone()
    };
    let r = by.answer(sim.engine(0), sim.now()).expect("a report");
    let hours = |a: AgencyId| {
        r.rows
            .iter()
            .find(|x| x.key == a.to_string())
            .map(|x| x.booked_hours)
    };
    assert_eq!((hours(sim.id(0)), hours(sim.id(1))), (Some(3.0), Some(2.0)));

    // An empty or inverted period is refused.
    let bad = ReportQuery { to: q.from, ..q };
    assert_eq!(
        bad.answer(sim.engine(0), sim.now()),
        Err(ReportError::Period)
    );
}

#[test]
fn grouping_names_parse_in_both_languages() {
    assert_eq!("月份".parse::<GroupBy>(), Ok(GroupBy::Month));
    assert_eq!("owner".parse::<GroupBy>(), Ok(GroupBy::Owner));
    assert!("colour".parse::<GroupBy>().is_err());
}
