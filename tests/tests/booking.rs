//! Bookings across three real node processes on 127.0.0.1.

use std::time::Duration;

use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::resource::{Resource, RuleViolation};
use harness::{Node, network, wait_for, workday, workday_instant};

fn publish_room(owner: &Node, id: &str, people: &str) -> String {
    let r: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        id,
        "--name",
        "第一会议室",
        "--name-en",
        "Room 1",
        "--city",
        "深圳",
        "--city-en",
        "Shenzhen",
        "--people",
        people,
        "--feature",
        "video",
    ]);
    r.id.to_string()
}

#[test]
fn a_booking_by_one_agency_is_confirmed_on_every_node() {
    let nodes = network("book3", 3);
    let room = publish_room(&nodes[0], "room-1", "12");
    let (from, to) = (workday(5, "09:00"), workday(5, "11:00"));
    nodes[1].wait_resource(&room);
    let b: Booking = nodes[1].json(&[
        "book",
        &room,
        "--from",
        &from,
        "--to",
        &to,
        "--quantity",
        "8",
        "--purpose",
        "联席会议",
        "--wait",
        "20",
    ]);
    assert_eq!(b.status, Status::Confirmed, "{b:?}");
    let id = b.id;
    for node in &nodes {
        node.wait_confirmed(&id);
    }
    // Bad input gets a one-line error naming the field, and changes nothing.
    let out = harness::cli(
        &nodes[1].home,
        &["book", &room, "--from", &from, "--to", "soon"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
    let out = harness::cli(
        &nodes[1].home,
        &[
            "book",
            &format!("{room}x"),
            "--from",
            &from,
            "--to",
            &workday(5, "10:00"),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown resource"));
}

#[test]
fn the_same_slot_requested_at_once_by_two_agencies_confirms_exactly_one() {
    let nodes = network("race3", 3);
    let room = publish_room(&nodes[0], "room-2", "10");
    nodes[1].wait_resource(&room);
    nodes[2].wait_resource(&room);
    let (h1, h2) = (nodes[1].home.clone(), nodes[2].home.clone());
    let (r1, r2) = (room.clone(), room.clone());
    let (from1, to1) = (workday(6, "14:00"), workday(6, "16:00"));
    let (from2, to2) = (workday(6, "15:00"), workday(6, "17:00"));
    let t1 = std::thread::spawn(move || {
        harness::cli_json::<Booking>(
            &h1,
            &[
                "book",
                &r1,
                "--from",
                &from1,
                "--to",
                &to1,
                "--quantity",
                "6",
            ],
        )
    });
    let t2 = std::thread::spawn(move || {
        harness::cli_json::<Booking>(
            &h2,
            &[
                "book",
                &r2,
                "--from",
                &from2,
                "--to",
                &to2,
                "--quantity",
                "6",
            ],
        )
    });
    let (b1, b2) = (t1.join().unwrap(), t2.join().unwrap());
    let ids = [b1.id, b2.id];
    let decided = |node: &Node| -> Option<Vec<Booking>> {
        let all = node.bookings(&["--resource", &room]);
        let list: Vec<Booking> = all.into_iter().filter(|b| ids.contains(&b.id)).collect();
        (list.len() == 2
            && list
                .iter()
                .all(|b| !matches!(b.status, Status::Tentative { .. })))
        .then_some(list)
    };
    let views: Vec<Vec<Booking>> = nodes
        .iter()
        .map(|n| {
            wait_for("both requests decided", Duration::from_secs(30), || {
                decided(n)
            })
        })
        .collect();
    let confirmed = views[0]
        .iter()
        .filter(|b| b.status == Status::Confirmed)
        .count();
    assert_eq!(confirmed, 1, "{views:?}");
    let alternatives = views[0]
        .iter()
        .find_map(|b| match &b.status {
            Status::Rejected { alternatives, .. } => Some(alternatives),
            _ => None,
        })
        .expect("one rejected");
    assert!(!alternatives.is_empty(), "alternatives offered: {views:?}");
    assert_eq!(views[0], views[1], "nodes 0 and 1 disagree");
    assert_eq!(views[1], views[2], "nodes 1 and 2 disagree");
}

#[test]
fn a_request_against_the_rules_is_refused_with_the_rule_that_failed() {
    let nodes = network("rule2", 2);
    let r: Resource = nodes[0].json(&[
        "resource",
        "add",
        "--id",
        "room-3",
        "--name",
        "第三会议室",
        "--city",
        "深圳",
        "--people",
        "12",
        "--open",
        "08:30-18:00",
        "--days",
        "1-5",
    ]);
    let room = r.id.to_string();
    nodes[1].wait_resource(&room);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The room opens 08:30 to 18:00: a 20:00 request breaks that rule, and
    // the API says which rule, so a form can show it next to its field.
    let e = rt
        .block_on(nodes[1].api().book(&api::BookRequest {
            wait_list: false,
            resource: room.parse().expect("resource id"),
            start: workday_instant(3, "20:00"),
            end: workday_instant(3, "21:00"),
            quantity: 2,
            contact: String::new(),
            purpose: String::new(),
        }))
        .expect_err("closed at 20:00");
    assert_eq!(e.code(), Some("rule"), "{e}");
    assert_eq!(e.rule(), Some(&RuleViolation::Closed), "{e}");
    let e = rt
        .block_on(nodes[1].api().book(&api::BookRequest {
            wait_list: false,
            resource: room.parse().expect("resource id"),
            start: workday_instant(3, "09:00"),
            end: workday_instant(3, "10:00"),
            quantity: 40,
            contact: String::new(),
            purpose: String::new(),
        }))
        .expect_err("40 people in a room for 12");
    assert!(
        matches!(e.rule(), Some(RuleViolation::Quantity { quantity: 40, .. })),
        "{e}"
    );
    // Nothing was written.
    let mine = nodes[1].bookings(&["--mine"]);
    assert!(mine.is_empty(), "{mine:?}");
}

#[test]
fn a_quota_rejects_what_goes_beyond_it_with_the_figures_until_it_is_cleared() {
    let nodes = network("quota", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let room = publish_room(owner, "room-q", "10");
    staff.wait_resource(&room);
    // Bad input changes nothing.
    for bad in [
        vec!["quota", "set", "room-q"],
        vec![
            "quota",
            "set",
            "room-q",
            "--hours-per-week",
            "3",
            "--max-concurrent",
            "2",
        ],
        vec!["quota", "set", "room-q", "--max-bookings", "2"],
        vec!["quota", "set", "room-q", "--hours-per-week", "0"],
    ] {
        assert!(!owner.cli(&bad).status.success(), "{bad:?} accepted");
    }
    assert!(
        !staff
            .cli(&["quota", "set", &room, "--hours-per-week", "3"])
            .status
            .success(),
        "not the owner"
    );
    let set: Vec<serde_json::Value> =
        owner.json(&["quota", "set", "room-q", "--hours-per-week", "3"]);
    assert_eq!(set.len(), 1);
    wait_for(
        "the quota on the other node",
        Duration::from_secs(30),
        || {
            let listed: Vec<serde_json::Value> = staff.json(&["quotas"]);
            (listed.len() == 1).then_some(())
        },
    );
    let book = |day: usize, from: &str, to: &str| -> Booking {
        staff.json(&[
            "book",
            &room,
            "--from",
            &workday(day, from),
            "--to",
            &workday(day, to),
            "--purpose",
            "例会",
            "--wait",
            "20",
        ])
    };
    // Two workdays of the same week (Monday to Sunday).
    let week = |n: usize| {
        let tz = jiff::tz::TimeZone::get(harness::ZONE).expect("zone");
        workday_instant(n, "09:00")
            .to_zoned(tz)
            .date()
            .iso_week_date()
            .week()
    };
    let (d1, d2) = (1..6)
        .map(|d| (d, d + 1))
        .find(|(a, b)| week(*a) == week(*b))
        .expect("two workdays in one week");
    assert_eq!(book(d1, "09:00", "11:00").status, Status::Confirmed);
    let over = book(d2, "09:00", "11:00");
    let Status::Rejected { reason, .. } = &over.status else {
        panic!("{over:?}");
    };
    assert_eq!(
        reason.en,
        "over quota (3 h a week): 2.0 h used, this asks 2.0 h"
    );
    assert_eq!(book(d2, "14:00", "15:00").status, Status::Confirmed);
    // Cleared, the same request fits.
    let _: Vec<serde_json::Value> = owner.json(&["quota", "clear", "room-q"]);
    wait_for(
        "the quota gone on the other node",
        Duration::from_secs(30),
        || {
            let listed: Vec<serde_json::Value> = staff.json(&["quotas"]);
            listed.is_empty().then_some(())
        },
    );
    assert_eq!(book(d2, "16:00", "18:00").status, Status::Confirmed);
}
