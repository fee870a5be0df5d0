//! The owner's policy over time across real node processes on 127.0.0.1:
//! the waiting list, check-in and the release of no-shows, and the owner's
//! hold of several resources for an emergency.

use std::time::Duration;

use crdt_model::booking::{ReleaseWhy, Status};
use crdt_model::calendar::Booking;
use crdt_model::query::HoldView;
use crdt_model::resource::Resource;
use harness::{Node, network, wait_for, workday};

fn publish_room(owner: &Node, id: &str, name: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "resource",
        "add",
        "--id",
        id,
        "--name",
        name,
        "--name-en",
        "Crisis room",
        "--city",
        "深圳",
        "--city-en",
        "Shenzhen",
        "--people",
        "10",
    ];
    args.extend_from_slice(extra);
    let r: Resource = owner.json(&args);
    r.id.to_string()
}

fn book(node: &Node, room: &str, from: &str, to: &str, extra: &[&str]) -> Booking {
    let mut args = vec!["book", room, "--from", from, "--to", to, "--wait", "20"];
    args.extend_from_slice(extra);
    node.json(&args)
}

/// Waits until every node shows `id` with a status `ok` accepts.
fn wait_status(nodes: &[Node], id: &crdt_model::ids::BookingId, ok: impl Fn(&Status) -> bool) {
    for n in nodes {
        wait_for(
            &format!("{id} on {}", n.home.display()),
            Duration::from_secs(150),
            || n.booking(id).filter(|b| ok(&b.status)),
        );
    }
}

fn minutes_from_now(m: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(m)).to_string()
}

#[test]
fn the_waiting_list_gets_the_room_freed_by_a_cancellation_or_a_no_show() {
    let nodes = network("waitlist", 3);
    let (owner, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let room = publish_room(owner, "crisis-1", "应急会商室", &["--checkin-minutes", "1"]);
    b.wait_resource(&room);
    c.wait_resource(&room);
    let (from, to) = (workday(1, "09:00"), workday(1, "11:00"));

    // Full: a plain request is rejected, a waiting one waits.
    let first = book(b, &room, &from, &to, &[]);
    assert_eq!(first.status, Status::Confirmed, "{first:?}");
    let plain = book(c, &room, &from, &to, &[]);
    assert!(matches!(plain.status, Status::Rejected { .. }), "{plain:?}");
    let waiting: Booking = c.json(&["book", &room, "--from", &from, "--to", &to, "--wait-list"]);
    wait_status(&nodes, &waiting.id, |s| {
        matches!(s, Status::Tentative { waiting: true, .. })
    });
    let zh = c.ok(&["--lang", "zh", "bookings", "--mine"]);
    assert!(zh.contains("候补中"), "{zh}");

    // Check-in: only the requester, and not a day ahead.
    for (node, id) in [(c, &first.id), (b, &first.id)] {
        let out = node.cli(&["checkin", &id.to_string()]);
        assert!(!out.status.success(), "check-in accepted");
    }

    // The first is cancelled: the waiting request is confirmed everywhere.
    let _: Booking = b.json(&["cancel", &first.id.to_string()]);
    wait_status(&nodes, &waiting.id, |s| *s == Status::Confirmed);

    // A booking starting in a few seconds, never checked in: released as
    // a no-show a minute after its start, and the room goes to the request
    // waiting behind it.
    let now_from = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(10)).to_string();
    let now_to = minutes_from_now(60);
    let absent = book(b, &room, &now_from, &now_to, &[]);
    assert_eq!(absent.status, Status::Confirmed, "{absent:?}");
    let (soon_from, soon_to) = (minutes_from_now(10), minutes_from_now(50));
    let behind: Booking = c.json(&[
        "book",
        &room,
        "--from",
        &soon_from,
        "--to",
        &soon_to,
        "--wait-list",
    ]);
    assert!(
        matches!(behind.status, Status::Tentative { waiting: true, .. }),
        "{behind:?}"
    );
    wait_status(&nodes, &absent.id, |s| {
        *s == Status::Released {
            why: ReleaseWhy::NoShow,
        }
    });
    wait_status(&nodes, &behind.id, |s| *s == Status::Confirmed);

    // Its requester checks in (it starts within 30 minutes): every node
    // shows it.
    let checked: Booking = c.json(&["checkin", &behind.id.to_string()]);
    assert!(checked.checked_in.is_some(), "{checked:?}");
    wait_for("the check-in at the owner", Duration::from_secs(30), || {
        owner.booking(&behind.id).filter(|b| b.checked_in.is_some())
    });
    assert!(!c.cli(&["checkin", &behind.id.to_string()]).status.success());

    // The report counts the no-show.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get(harness::ZONE).expect("zone"))
        .date();
    let report: crdt_model::report::Report = owner.json(&[
        "report",
        "--from",
        &today.to_string(),
        "--to",
        &today.tomorrow().expect("date").to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(report.total.no_show, 1, "{:?}", report.total);
}

#[test]
fn an_owners_hold_releases_the_bookings_in_its_way_with_its_reason() {
    let nodes = network("hold", 3);
    let (owner, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let r1 = publish_room(owner, "hold-1", "会商室", &[]);
    let r2 = publish_room(owner, "hold-2", "指挥室", &[]);
    for n in [b, c] {
        n.wait_resource(&r1);
        n.wait_resource(&r2);
    }
    let on_r1 = book(b, &r1, &workday(2, "09:00"), &workday(2, "11:00"), &[]);
    let on_r2 = book(c, &r2, &workday(2, "10:00"), &workday(2, "12:00"), &[]);
    let next_day = book(b, &r1, &workday(3, "09:00"), &workday(3, "10:00"), &[]);
    for x in [&on_r1, &on_r2, &next_day] {
        assert_eq!(x.status, Status::Confirmed, "{x:?}");
        owner.wait_confirmed(&x.id);
    }
    let hold = |node: &Node| {
        node.cli(&[
            "--json",
            "hold",
            "create",
            "--resources",
            &format!("{r1},{r2}"),
            "--from",
            &workday(2, "08:00"),
            "--to",
            &workday(2, "18:00"),
            "--reason",
            "防汛应急指挥",
            "--reason-en",
            "flood emergency command",
        ])
    };
    assert!(!hold(b).status.success(), "a hold of another's rooms");
    let bad = owner.cli(&[
        "hold",
        "create",
        "--resources",
        &r1,
        "--from",
        &workday(2, "18:00"),
        "--to",
        &workday(2, "08:00"),
        "--reason",
        "x",
    ]);
    assert!(!bad.status.success(), "an inverted hold");
    let out = hold(owner);
    assert!(out.status.success(), "{out:?}");
    let holds: Vec<HoldView> = serde_json::from_slice(&out.stdout).expect("holds as JSON");
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert!(holds.iter().all(|h| h.released.len() == 1), "{holds:?}");

    for (who, id) in [(b, &on_r1.id), (c, &on_r2.id)] {
        let released = wait_for("the release", Duration::from_secs(30), || {
            who.booking(id)
                .filter(|x| matches!(x.status, Status::Released { .. }))
        });
        let Status::Released {
            why: ReleaseWhy::Withdrawn { reason, .. },
        } = released.status
        else {
            panic!("{released:?}");
        };
        assert_eq!(reason.zh, "防汛应急指挥");
        let en = who.ok(&["--lang", "en", "bookings", "--mine"]);
        assert!(en.contains("flood emergency command"), "{en}");
    }
    assert_eq!(
        b.booking(&next_day.id).expect("known").status,
        Status::Confirmed
    );
    let listed: Vec<HoldView> = c.json(&["holds"]);
    assert_eq!(listed.len(), 2);
    let inside = book(c, &r1, &workday(2, "13:00"), &workday(2, "14:00"), &[]);
    assert!(
        matches!(inside.status, Status::Rejected { .. }),
        "{inside:?}"
    );
}

#[test]
fn people_act_within_their_roles_and_the_records_name_them() {
    let nodes = network("people", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let room = publish_room(owner, "people-1", "审批会议室", &["--approval", "required"]);
    let other = publish_room(owner, "people-2", "小会议室", &["--approval", "required"]);
    staff.wait_resource(&room);
    staff.wait_resource(&other);

    // Bad input changes nothing.
    for bad in [
        vec!["user", "add", "x", "--role", "boss"],
        vec!["user", "add", "x", "--role", "approver"],
        vec![
            "user",
            "add",
            "x",
            "--role",
            "staff",
            "--resources",
            "people-1",
        ],
    ] {
        assert!(!owner.cli(&bad).status.success(), "{bad:?} accepted");
    }
    let added: api::UserToken = staff.json(&["user", "add", "张三", "--role", "staff"]);
    assert_eq!(added.user.role, api::Role::Staff);
    assert_eq!(
        api::read_token(&staff.home, "张三").expect("token file"),
        added.token
    );
    let _: api::UserToken = staff.json(&["user", "add", "王五", "--role", "staff"]);
    assert!(
        !staff
            .cli(&["user", "add", "张三", "--role", "staff"])
            .status
            .success(),
        "a name twice"
    );
    let _: api::UserToken = owner.json(&[
        "user",
        "add",
        "李四",
        "--role",
        "approver",
        "--resources",
        "people-1",
    ]);
    let people: Vec<api::UserEntry> = staff.json(&["users"]);
    assert_eq!(people.len(), 2);

    // Staff book as themselves: the request names them on the owner's node.
    let as_zhang = |args: &[&str]| {
        let mut a = vec!["--user", "张三"];
        a.extend_from_slice(args);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |node: &Node, args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        node.cli(&refs)
    };
    let status: api::Status = staff.json(&["--user", "张三", "status"]);
    assert_eq!(status.user.map(|u| u.name), Some("张三".to_string()));
    let (from, to) = (workday(4, "09:00"), workday(4, "10:00"));
    let out = run(
        staff,
        as_zhang(&["--json", "book", &room, "--from", &from, "--to", &to]),
    );
    assert!(out.status.success(), "{out:?}");
    let asked: Booking = serde_json::from_slice(&out.stdout).expect("booking");
    let out = run(
        staff,
        as_zhang(&["--json", "book", &other, "--from", &from, "--to", &to]),
    );
    let on_other: Booking = serde_json::from_slice(&out.stdout).expect("booking");
    let seen = wait_for("the request at the owner", Duration::from_secs(30), || {
        owner.booking(&asked.id)
    });
    assert_eq!(
        seen.request.and_then(|r| r.by).as_deref(),
        Some("张三"),
        "the record names who asked"
    );

    // Staff: only their own, and nothing of an operator's.
    let theirs: Vec<Booking> = staff.json(&["--user", "张三", "bookings", "--mine"]);
    assert_eq!(theirs.len(), 2);
    let none: Vec<Booking> = staff.json(&["--user", "王五", "bookings", "--mine"]);
    assert!(none.is_empty(), "{none:?}");
    for refused in [
        vec!["--user", "王五", "cancel", &asked.id.to_string()],
        vec![
            "--user", "张三", "resource", "add", "--id", "x", "--name", "x", "--city", "x",
            "--people", "2",
        ],
        vec![
            "--user", "张三", "user", "add", "赵六", "--role", "operator",
        ],
        vec!["--user", "nobody", "status"],
    ] {
        let owned: Vec<String> = refused.iter().map(|s| s.to_string()).collect();
        assert!(!run(staff, owned).status.success(), "{refused:?} accepted");
    }

    // The approver decides for their room only; the decision names them.
    let id = asked.id.to_string();
    assert!(
        !owner
            .cli(&[
                "--user",
                "李四",
                "decide",
                &on_other.id.to_string(),
                "approve"
            ])
            .status
            .success(),
        "not their room"
    );
    let decided: Booking = owner.json(&["--user", "李四", "decide", &id, "approve"]);
    assert_eq!(decided.status, Status::Confirmed);
    let there = wait_for(
        "the decision at the requester",
        Duration::from_secs(30),
        || {
            staff
                .booking(&asked.id)
                .filter(|b| b.status == Status::Confirmed)
        },
    );
    assert_eq!(there.decided_by.as_deref(), Some("李四"));
    let shown = staff.ok(&["--lang", "en", "--user", "张三", "cancel", &id]);
    assert!(shown.contains("requested by: 张三"), "{shown}");
}
