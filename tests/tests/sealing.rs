//! Sealed periods on real nodes: an owner's node seals a booking of a month
//! long past when it starts, and then holds the open months in memory only;
//! its status says so, its report of the old month reads the sealed records
//! from disk, a peer that follows it later is served them from disk, and
//! the owner numbers its next decision after the sealed one, so that every
//! replica confirms both. A restart loads without the sealed changes and
//! keeps all of that.

use std::time::Duration;

use crdt_model::booking::{BookingRequest, Decision, Verdict};
use crdt_model::calendar::Booking;
use crdt_model::doc::DocWriter;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, ResourceId, shard_of};
use crdt_model::record::Record;
use crdt_model::report::Report;
use harness::{network, wait_for};
use jiff::{SignedDuration, Timestamp, ToSpan};
use node::store::{SledStore, Storage};

const WAIT: Duration = Duration::from_secs(30);

/// Writes into the stopped owner's store, signed with its key, a booking
/// of `room` confirmed four months ago, as its node would have written it
/// then; returns the booking and its day.
fn old_booking(home: &std::path::Path, room: &ResourceId) -> (BookingId, String) {
    let home = node::config::Home::new(home);
    let key = home.load_key().expect("the owner's key");
    let me = key.id();
    let day = (Timestamp::now() - SignedDuration::from_hours(24 * 120))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let start = day
        .at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("a time")
        .timestamp();
    let written = start - 48.hours();
    let id = BookingId::new(me, "old-meeting").expect("an id");
    let request = BookingRequest {
        by: None,
        wait_list: false,
        id: id.clone(),
        resource: room.clone(),
        contact: String::new().into(),
        purpose: "旧会议".into(),
        start,
        end: start + 2.hours(),
        quantity: 4,
        hlc: Hlc {
            wall_ms: written.as_millisecond(),
            counter: 0,
        },
        series: None,
    };
    let decision = Decision {
        resource: room.clone(),
        author: me,
        seq: 1,
        booking: id.clone(),
        terms: request.terms(),
        verdict: Verdict::Confirm,
        hlc: Hlc {
            wall_ms: written.as_millisecond() + 1_000,
            counter: 0,
        },
        by: None,
    };
    let shard = shard_of(written);
    let mut w = DocWriter::new(&key, DocId::requests(me, me, shard), &[]).expect("writer");
    let c1 = w
        .write(&key, &[Record::Request(request)], 0)
        .expect("signed");
    let mut w = DocWriter::new(&key, DocId::decisions(me, shard), &[]).expect("writer");
    let c2 = w
        .write(&key, &[Record::Decision(decision)], 0)
        .expect("signed");
    let store = SledStore::open(&home.db_path()).expect("the owner's store");
    store.put_changes(&[c1, c2]).expect("stored");
    store.flush().expect("flushed");
    (id, day.to_string())
}

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
    let (old, day) = old_booking(&nodes[0].home, &room);
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
