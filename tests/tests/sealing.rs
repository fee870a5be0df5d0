//! Sealed periods on real nodes: an owner's node seals a booking of a month
//! long past when it starts, and then holds the open months in memory only;
//! its status says so, its report of the old month reads the sealed records
//! from disk, a peer that follows it later is served them from disk, and
//! the owner numbers its next decision after the sealed one, so that every
//! replica confirms both. A restart loads without the sealed changes and
//! keeps all of that.

use std::time::Duration;

use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use crdt_model::report::Report;
use harness::{network, wait_for};
use jiff::{SignedDuration, Timestamp};

const WAIT: Duration = Duration::from_secs(30);

fn report_hours(node: &harness::Node, day: &str) -> f64 {
    let r: Report = node.json(&["report", "--from", day, "--to", day, "--format", "json"]);
    r.total.booked_hours
}

#[test]
fn an_owner_seals_a_month_long_past_and_still_serves_and_reports_it() {
    let mut nodes = network("seal", 2);
    let room_id = format!("{}/room", nodes[0].agency());
    nodes[0].ok(&[
        "resource",
        "add",
        "--id",
        "room",
        "--name",
        "第一会议室",
        "--people",
        "10",
        "--city",
        "深圳",
    ]);
    let room: ResourceId = room_id.parse().expect("a resource id");
    nodes[0].stop();
    // A booking of four months ago, written as the owner's node wrote it.
    let past = devtools::past::confirmed_bookings(&nodes[0].home, &room, 120, 1)
        .expect("the past written");
    let (old, day) = (past.ids[0].clone(), past.day.to_string());
    nodes[0].start().expect("the owner starts again");
    let owner = &nodes[0];

    // Sealed at start: the status says so, the calendar holds the open
    // months, and the report of the old day reads it from disk.
    let status = wait_for("the owner to seal", WAIT, || {
        let s = owner.status();
        (s.sealed_docs == 2).then_some(s)
    });
    let before = status.sealed_before.expect("a cut");
    assert!(before < Timestamp::now() - SignedDuration::from_hours(24 * 60));
    let on_owner: Vec<Booking> = owner.bookings(&["--resource", &room_id]);
    assert!(
        on_owner.iter().all(|b| b.id != old),
        "sealed: not in memory"
    );
    // Asked for its day, the node reads it back from disk.
    let that_day: Vec<Booking> =
        owner.bookings(&["--resource", &room_id, "--from", &day, "--to", &day]);
    let found = that_day
        .iter()
        .find(|b| b.id == old)
        .expect("read from disk");
    assert_eq!(found.status, crdt_model::booking::Status::Confirmed);
    assert_eq!(
        found.request.as_ref().map(|r| r.purpose.as_str()),
        Some("季度例会 / quarterly meeting")
    );
    assert_eq!(
        report_hours(owner, &day),
        2.0,
        "the report reads it from disk"
    );
    let text = owner.ok(&["--lang", "en", "status"]);
    assert!(text.contains("sealed: 2 documents"), "{text}");

    // A member following the owner now is sent the sealed records.
    let other = &nodes[1];
    other.ok(&["follow", "--owner", &owner.agency().to_string()]);
    wait_for("the sealed booking to reach the member", WAIT, || {
        let b = other.booking(&old)?;
        matches!(b.status, crdt_model::booking::Status::Confirmed).then_some(())
    });
    assert_eq!(report_hours(other, &day), 2.0);

    // The owner's next decision comes after the sealed one on every replica.
    let tomorrow = harness::workday(1, "09:00");
    let until = harness::workday(1, "11:00");
    let new: Booking = other.json(&["book", &room_id, "--from", &tomorrow, "--to", &until]);
    other.wait_confirmed(&new.id);
    owner.wait_confirmed(&new.id);

    // A restart loads without the sealed changes and still knows them.
    nodes[0].restart().expect("the owner restarts");
    let owner = &nodes[0];
    let s = owner.status();
    assert_eq!(s.sealed_docs, 2);
    assert_eq!(report_hours(owner, &day), 2.0);
    owner.wait_confirmed(&new.id);
}
