//! Recurring bookings across two real node processes on 127.0.0.1: a
//! weekly series decided by the owner occurrence by occurrence (conflicting
//! dates skipped within the resource's limit, the whole series rejected
//! beyond it), cancelled one date, from a date, or whole, and exported as
//! one iCalendar event with RRULE and EXDATE.

use std::time::Duration;

use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::resource::Resource;
use harness::{Node, network, wait_for};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

/// The Monday after next (so every date is ahead, whatever today is).
fn monday() -> Date {
    let today = jiff::Timestamp::now()
        .to_zoned(TimeZone::get("Asia/Shanghai").expect("zone"))
        .date();
    today
        .nth_weekday(1, Weekday::Monday)
        .and_then(|d| d.checked_add(jiff::Span::new().days(7)))
        .expect("date")
}

fn at(d: Date, hh_mm: &str) -> String {
    format!("{d}T{hh_mm}")
}

fn weeks(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(7 * n)).expect("date")
}

/// Books the whole room (10 people) from the owner's node, confirmed.
fn fill(owner: &Node, room: &str, d: Date, from: &str, to: &str) {
    let b: Booking = owner.json(&[
        "book",
        room,
        "--from",
        &at(d, from),
        "--to",
        &at(d, to),
        "--quantity",
        "10",
        "--purpose",
        "全局会议",
        "--wait",
        "20",
    ]);
    assert_eq!(b.status, Status::Confirmed, "{b:?}");
}

fn decided(list: &[Booking]) -> bool {
    !list.is_empty()
        && list
            .iter()
            .all(|b| !matches!(b.status, Status::Tentative { .. }))
}

/// The series of `id` as `node` sees it, once every occurrence is decided.
fn settled(node: &Node, id: &str) -> Vec<Booking> {
    wait_for("every occurrence decided", Duration::from_secs(30), || {
        let all = node.bookings(&["--mine"]);
        let first = all.iter().find(|b| b.id.to_string() == id)?;
        let head = first.request.as_ref()?.series.as_ref()?.first.clone();
        let mut list: Vec<Booking> = all
            .into_iter()
            .filter(|b| {
                b.request
                    .as_ref()
                    .and_then(|r| r.series.as_ref())
                    .is_some_and(|s| s.first == head)
            })
            .collect();
        list.sort_by_key(|b| b.terms.start);
        decided(&list).then_some(list)
    })
}

fn labels(list: &[Booking]) -> Vec<&'static str> {
    list.iter().map(|b| b.status.label()).collect()
}

#[test]
fn a_weekly_series_skips_a_conflicting_date_within_the_limit_and_is_rejected_beyond_it() {
    let nodes = network("series", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let r: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        "hall",
        "--name",
        "报告厅",
        "--name-en",
        "Hall",
        "--city",
        "深圳",
        "--city-en",
        "Shenzhen",
        "--people",
        "10",
        "--max-conflicts",
        "1",
    ]);
    assert_eq!(r.rules.max_conflicts, 1);
    let room = r.id.to_string();
    staff.wait_resource(&room);
    let mon = monday();
    // Week 3 is taken at 09:00; weeks 2 and 4 at 14:00.
    fill(owner, &room, weeks(mon, 2), "09:00", "10:00");
    fill(owner, &room, weeks(mon, 1), "14:00", "15:00");
    fill(owner, &room, weeks(mon, 3), "14:00", "15:00");

    // Bad rules are refused before anything is sent, saying why.
    for bad in [
        "FREQ=WEEKLY",
        "FREQ=HOURLY;COUNT=3",
        "FREQ=WEEKLY;COUNT=999",
    ] {
        let out = staff.cli(&[
            "book",
            &room,
            "--from",
            &at(mon, "09:00"),
            "--to",
            &at(mon, "10:00"),
            "--repeat",
            bad,
        ]);
        assert!(!out.status.success(), "{bad} accepted");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("repeat"),
            "{bad}"
        );
    }

    // One conflict, one allowed: three confirmed, the third week skipped.
    let list: Vec<Booking> = staff.json(&[
        "book",
        &room,
        "--from",
        &at(mon, "09:00"),
        "--to",
        &at(mon, "10:00"),
        "--purpose",
        "周例会",
        "--repeat",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        "--wait",
        "20",
    ]);
    assert_eq!(list.len(), 4);
    let first = list[0].id.to_string();
    let list = settled(staff, &first);
    assert_eq!(
        labels(&list),
        ["confirmed", "confirmed", "rejected", "confirmed"]
    );
    let Status::Rejected { reason, .. } = &list[2].status else {
        unreachable!()
    };
    assert!(reason.en.contains("skipped in the series"), "{reason:?}");
    // The owner's node shows the same outcome.
    let seen: Vec<Booking> = owner.json(&["bookings", "--resource", &room]);
    for b in &list {
        let there = seen.iter().find(|x| x.id == b.id).expect("on the owner");
        assert_eq!(there.status.label(), b.status.label());
    }

    // Two conflicts, one allowed: the whole series is rejected, naming both.
    let other: Vec<Booking> = staff.json(&[
        "book",
        &room,
        "--from",
        &at(mon, "14:00"),
        "--to",
        &at(mon, "15:00"),
        "--purpose",
        "培训",
        "--repeat",
        "FREQ=WEEKLY;BYDAY=MO",
        "--until",
        &weeks(mon, 3).to_string(),
    ]);
    let other = settled(staff, &other[0].id.to_string());
    assert_eq!(other.len(), 4);
    assert!(other.iter().all(|b| b.status.label() == "rejected"));
    let Status::Rejected { reason, .. } = &other[0].status else {
        unreachable!()
    };
    for d in [weeks(mon, 1), weeks(mon, 3)] {
        assert!(reason.en.contains(&d.to_string()), "{reason:?} lacks {d}");
    }

    // The iCalendar feed has the series as one event: RRULE, and the
    // skipped date as EXDATE; a real parser reads it.
    let ics = staff.ok(&["ics", &room]);
    let mut parser = ical::IcalParser::new(ics.as_bytes());
    let cal = parser.next().expect("a calendar").expect("parses");
    let series: Vec<_> = cal
        .events
        .iter()
        .filter(|e| e.properties.iter().any(|p| p.name == "RRULE"))
        .collect();
    assert_eq!(series.len(), 1, "{ics}");
    let prop = |name: &str| {
        series[0]
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(prop("RRULE"), "FREQ=WEEKLY;BYDAY=MO;COUNT=4");
    assert_eq!(
        prop("EXDATE"),
        list[2].terms.start.strftime("%Y%m%dT%H%M%SZ").to_string()
    );
    assert_eq!(
        prop("DTSTART"),
        list[0].terms.start.strftime("%Y%m%dT%H%M%SZ").to_string()
    );

    // Cancel one date, then from a date on, then the rest.
    let one: Vec<Booking> =
        staff.json(&["cancel", &first, "--occurrence", &weeks(mon, 1).to_string()]);
    assert_eq!(
        labels(&one),
        ["confirmed", "cancelled", "rejected", "confirmed"]
    );
    let from: Vec<Booking> =
        staff.json(&["cancel", &first, "--from-date", &weeks(mon, 2).to_string()]);
    assert_eq!(
        labels(&from),
        ["confirmed", "cancelled", "rejected", "cancelled"]
    );
    let none = staff.cli(&["cancel", &first, "--occurrence", &weeks(mon, 9).to_string()]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no occurrence"));
    let all: Vec<Booking> = staff.json(&["cancel", &first, "--series"]);
    assert_eq!(
        labels(&all),
        ["cancelled", "cancelled", "rejected", "cancelled"]
    );
    // Only the requester cancels.
    assert!(!owner.cli(&["cancel", &first, "--series"]).status.success());
    // The owner sees the cancellations too.
    wait_for(
        "cancellations on the owner",
        Duration::from_secs(30),
        || {
            let seen: Vec<Booking> = owner.json(&["bookings", "--resource", &room]);
            let n = seen
                .iter()
                .filter(|b| list.iter().any(|x| x.id == b.id) && b.status.label() == "cancelled")
                .count();
            (n == 3).then_some(())
        },
    );
}
