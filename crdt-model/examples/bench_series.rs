//! Times the owner's decision on a recurring series: a weekly meeting for a
//! year (52 occurrences) requested for a room that already holds a year of
//! other bookings, two of its dates taken (up to five may be skipped). Measured: from the series'
//! change arriving at the owner's engine to its decisions written (ingest,
//! calendar, policy, signing), against a single booking as the baseline.
//! `cargo run --release -p crdt-model --features test-utils --example bench_series`.

use std::time::Instant;

use crdt_model::booking::Status;
use crdt_model::engine::{Config, Engine, Input, LocalOp, Message};
use crdt_model::hlc::Hlc;
use crdt_model::ids::{DocKind, ResourceId};
use crdt_model::membership::{Role, Roster, RosterAction};
use crdt_model::resource::{Approval, Capacity};
use crdt_model::sim::{test_key, test_profile, test_resource};
use jiff::{SignedDuration, Timestamp};

/// The requester's new request changes (after `seen` of them).
fn requests(e: &Engine) -> Vec<crdt_model::signed::SignedChange> {
    e.ledger()
        .docs()
        .iter()
        .filter(|(id, _)| id.kind == DocKind::Requests)
        .flat_map(|(id, _)| e.ledger().changes_of(id).expect("in memory"))
        .collect()
}

fn main() {
    let (a, b) = (test_key(0), test_key(1));
    let (mut roster, _) = Roster::create(&a, "x", test_profile(&a, 0), Hlc::default());
    roster.act(
        &a,
        Hlc {
            wall_ms: 1,
            counter: 0,
        },
        RosterAction::Admit {
            profile: test_profile(&b, 1),
            role: Role::Member,
            invitation: None,
        },
    );
    let (mut owner, _) = Engine::new(a.clone(), roster.clone(), Config::default(), vec![]);
    let now = Timestamp::now();
    let mut room = test_resource(a.id(), "hall", Capacity::People(1), Approval::Automatic);
    room.rules.max_conflicts = 5;
    let rid: ResourceId = room.id.clone();
    owner
        .local(now, LocalOp::PutResource(Box::new(room)))
        .expect("room");
    // A year of the owner's own bookings, every weekday at 14:00, and two
    // Mondays at 09:00 taken.
    let day0 = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(7))
        .expect("date");
    let at = |days: i64, hour: i8| {
        day0.checked_add(jiff::Span::new().days(days))
            .expect("date")
            .at(hour, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("time")
            .timestamp()
    };
    let book = |start: Timestamp| LocalOp::Book {
        wait_list: false,
        resource: rid.clone(),
        start,
        end: start + SignedDuration::from_hours(1),
        quantity: 1,
        contact: String::new(),
        purpose: "own".into(),
    };
    let mut ops: Vec<LocalOp> = (0..365).map(|d| book(at(d, 14))).collect();
    ops.push(book(at(7 * 10, 9)));
    ops.push(book(at(7 * 30, 9)));
    let (results, _) = owner.local_batch(now, ops);
    assert!(results.iter().all(Result::is_ok));
    let catalog: Vec<_> = owner.ledger().all_changes().expect("in memory");
    let (mut staff, _) = Engine::new(b.clone(), roster, Config::default(), catalog);
    let monday = at(0, 9);
    let ask = |e: &mut Engine, repeat: Option<&str>| {
        let op = match repeat {
            Some(r) => LocalOp::BookSeries {
                resource: rid.clone(),
                start: monday,
                end: monday + SignedDuration::from_hours(1),
                quantity: 1,
                contact: String::new(),
                purpose: "weekly".into(),
                repeat: r.into(),
            },
            None => book(at(3, 9)),
        };
        e.local(now, op).expect("request");
        requests(e)
    };
    let deliver = |owner: &mut Engine, changes| {
        let t = Instant::now();
        owner.handle(
            now,
            Input::Received {
                from: b.id(),
                msg: Message::Changes { changes, n: 0 },
            },
        );
        t.elapsed().as_secs_f64() * 1000.0
    };
    // A session with the requester (messages count only within one).
    owner.handle(now, Input::Connected(b.id()));
    // Baseline: one booking.
    let one = ask(&mut staff, None);
    let single_ms = deliver(&mut owner, one.clone());
    // The series (its change after the single one).
    let all = ask(&mut staff, Some("FREQ=WEEKLY;COUNT=52"));
    let series: Vec<_> = all.into_iter().filter(|c| !one.contains(c)).collect();
    let series_ms = deliver(&mut owner, series);
    owner.settle();
    let cal = owner.calendar(&rid).expect("calendar");
    // The series' occurrences: the requester's, on the first one's weekday
    // (the single booking is three days later).
    let weekday = monday.to_zoned(jiff::tz::TimeZone::UTC).weekday();
    let ours = |x: &&crdt_model::calendar::Booking| {
        x.id.requester == b.id()
            && x.terms.start.to_zoned(jiff::tz::TimeZone::UTC).weekday() == weekday
    };
    let mine = |s: &Status| {
        cal.confirmed
            .iter()
            .filter(ours)
            .filter(|x| x.status == *s)
            .count()
    };
    println!("== a weekly series for a year at the owner (release build, one core)");
    println!(
        "52 occurrences decided in {series_ms:.2} ms ({} confirmed, {} skipped as taken); one booking: {single_ms:.2} ms ({:.1}x for 52x the requests)",
        mine(&Status::Confirmed),
        cal.rejected.iter().filter(ours).count(),
        series_ms / single_ms.max(1e-9)
    );
}
