//! Managing the catalogue from the command line against a real node:
//! editing a resource, bulk import from CSV with a report of rejected rows,
//! and listing only resources free over a time range.

use std::time::Duration;

use api::ImportReport;
use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::resource::{Capacity, Resource};
use harness::{cli, network};

#[test]
fn edit_import_and_free_filter() {
    let nodes = network("catalogue", 2);
    let (owner, other) = (&nodes[0], &nodes[1]);
    let room: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        "room-1",
        "--name",
        "第一会议室",
        "--name-en",
        "Room 1",
        "--city",
        "深圳",
        "--city-en",
        "Shenzhen",
        "--people",
        "10",
        "--feature",
        "视频",
    ]);
    // Stored as the tag, so a search in either language finds it.
    assert_eq!(room.features.iter().collect::<Vec<_>>(), ["video"]);
    let rid = room.id.to_string();

    edit(owner, other, &rid);
    let room2 = import(owner);
    free_filter(owner, &room2, &rid);
    names(owner, other, &rid);
}

/// A resource is named by id, unique id prefix, local id or name; a name
/// two agencies use is refused with both listed, city and owner.
fn names(owner: &harness::Node, other: &harness::Node, rid: &str) {
    let twin: Resource = other.json(&[
        "resource",
        "add",
        "--id",
        "room-1",
        "--name",
        "第一会议室",
        "--city",
        "杭州",
        "--city-en",
        "Hangzhou",
        "--people",
        "10",
    ]);
    owner.wait_resource(&twin.id.to_string());
    let (from, to) = (harness::workday(5, "14:00"), harness::workday(5, "15:00"));
    let out = cli(
        &owner.home,
        &[
            "--lang",
            "en",
            "book",
            "第一会议室",
            "--from",
            &from,
            "--to",
            &to,
        ],
    );
    assert!(!out.status.success(), "an ambiguous name books nothing");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("names several resources"), "{err}");
    assert!(
        err.contains("Shenzhen") && err.contains("Hangzhou"),
        "{err}"
    );
    assert!(
        err.contains(rid) && err.contains(&twin.id.to_string()),
        "{err}"
    );
    // Its full id, a unique prefix of it, or a unique name books it.
    let prefix: String = twin.id.to_string().chars().take(12).collect();
    for name in [twin.id.to_string(), prefix] {
        let b: Booking = owner.json(&["book", &name, "--from", &from, "--to", &to]);
        assert_eq!(b.resource, twin.id, "{name}");
        let _: Booking = owner.json(&["cancel", &b.id.to_string()]);
    }
    let b: Booking = owner.json(&["book", "Room 2", "--from", &from, "--to", &to]);
    assert_eq!(b.resource.local.as_str(), "room-2");
}

/// Edit: only the options given change; bad input and another agency's
/// edit are refused.
fn edit(owner: &harness::Node, other: &harness::Node, rid: &str) {
    let edited: Resource = owner.json(&[
        "resource",
        "edit",
        "room-1",
        "--people",
        "16",
        "--open",
        "08:30-18:00",
        "--days",
        "1-5",
    ]);
    assert_eq!(edited.capacity, Capacity::People(16), "{edited:?}");
    assert_eq!(edited.name.en, "Room 1");
    assert_eq!(
        edited
            .features
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>(),
        ["video"]
    );
    let days = &edited.rules.opening.as_ref().expect("opening hours").days;
    assert_eq!(days.iter().copied().collect::<Vec<u8>>(), [1, 2, 3, 4, 5]);
    // Bad input names the field and changes nothing.
    let bad = cli(
        &owner.home,
        &["resource", "edit", "room-1", "--open", "18:00-08:00"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--open"));
    // Only the owner may edit.
    other.wait_resource(rid);
    let foreign = cli(&other.home, &["resource", "edit", rid, "--people", "2"]);
    assert!(!foreign.status.success());
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("another agency"));
}

/// CSV import: two good rows, two rejected with their line numbers;
/// returns the imported Room 2.
fn import(owner: &harness::Node) -> Resource {
    let csv = owner.home.join("import.csv");
    std::fs::write(
        &csv,
        "id,name,name_en,city,city_en,people,units,feature\n\
         room-2,第二会议室,Room 2,深圳,Shenzhen,8,,projector;video\n\
         park-1,访客停车位,Visitor parking,深圳,Shenzhen,,12,\n\
         room-3,,Room 3,深圳,Shenzhen,8,,\n\
         room-4,第四会议室,Room 4,深圳,Shenzhen,many,,\n",
    )
    .expect("write csv");
    let out = cli(
        &owner.home,
        &["--json", "resource", "import", csv.to_str().expect("utf-8")],
    );
    assert!(!out.status.success(), "rejected rows make the command fail");
    let report: ImportReport = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report.published, 2, "{report:?}");
    let rows: Vec<usize> = report.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rows, vec![4, 5], "{report:?}");
    assert!(report.rejected[1].error.contains("people"), "{report:?}");
    let list = owner.resources();
    let room2 = list
        .iter()
        .find(|r| r.name.en == "Room 2")
        .expect("room 2 imported");
    assert_eq!(
        room2
            .features
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>(),
        ["projector", "video"]
    );

    room2.clone()
}

/// Free filter: room-2 booked for a slot; only the others are free then.
fn free_filter(owner: &harness::Node, room2: &Resource, rid: &str) {
    // A working day from now: room-1 opens Monday to Friday.
    let (from, to) = (harness::workday(4, "10:00"), harness::workday(4, "11:00"));
    let (from, to) = (from.as_str(), to.as_str());
    let room2_id = room2.id.to_string();
    let b: Booking = owner.json(&["book", &room2_id, "--from", from, "--to", to]);
    assert_eq!(b.status, Status::Confirmed, "{b:?}");
    // What the node refuses is said in the user's language, with its code.
    for (lang, words) in [("zh", "该预订已处理"), ("en", "already confirmed")] {
        let again = cli(
            &owner.home,
            &["--lang", lang, "decide", &b.id.to_string(), "approve"],
        );
        assert!(!again.status.success());
        let err = String::from_utf8_lossy(&again.stderr);
        assert!(
            err.contains(words) && err.contains("cannot_decide"),
            "{err}"
        );
    }
    let free: Vec<Resource> = owner.json(&["resources", "--free-from", from, "--free-to", to]);
    let ids: Vec<String> = free.iter().map(|r| r.id.to_string()).collect();
    assert!(!ids.contains(&room2_id), "{ids:?}");
    assert!(ids.contains(&rid.to_string()), "{ids:?}");
    let bigger: Vec<Resource> = owner.json(&[
        "resources",
        "--free-from",
        from,
        "--free-to",
        to,
        "--quantity",
        "12",
    ]);
    assert_eq!(
        bigger.len(),
        2,
        "room-1 (16 people) and the parking (12 units): {bigger:?}"
    );
    let bad = cli(
        &owner.home,
        &["resources", "--free-from", to, "--free-to", from],
    );
    assert!(!bad.status.success());
}

#[test]
fn output_cut_short_by_a_closed_pipe_ends_quietly() {
    let nodes = network("pipe", 1);
    let _: Resource = nodes[0].json(&[
        "resource",
        "add",
        "--id",
        "room-p",
        "--name",
        "管道会议室",
        "--city",
        "深圳",
        "--people",
        "4",
    ]);
    // `tongchou resources | head -c 0`: the reader is gone before the
    // command prints.
    let mut child = std::process::Command::new(harness::tongchou())
        .arg("--home")
        .arg(&nodes[0].home)
        .arg("resources")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running tongchou");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("its end");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "a panic on a closed pipe: {err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

/// What `resource blackout add|remove` answers with `--json`.
#[derive(serde::Deserialize)]
struct Closed {
    blackouts: Vec<crdt_model::resource::Blackout>,
    confirmed_inside: Vec<Booking>,
}

#[test]
fn closed_periods_are_added_reopened_in_part_and_listed() {
    let nodes = network("blackout", 2);
    let (owner, other) = (&nodes[0], &nodes[1]);
    let room: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        "hall",
        "--name",
        "礼堂",
        "--city",
        "深圳",
        "--city-en",
        "Shenzhen",
        "--people",
        "100",
    ]);
    let rid = room.id.to_string();
    other.wait_resource(&rid);
    let day = |h: &str| harness::workday(6, h);
    let next = |h: &str| harness::workday(7, h);
    let b: Booking = other.json(&[
        "book",
        &rid,
        "--from",
        &day("10:00"),
        "--to",
        &day("11:00"),
        "--purpose",
        "年会",
        "--wait",
        "20",
    ]);
    assert_eq!(b.status, Status::Confirmed);
    // Closing it keeps the confirmed booking and says so.
    let c: Closed = owner.json(&[
        "resource",
        "blackout",
        "add",
        "hall",
        "--from",
        &day("09:00"),
        "--to",
        &next("18:00"),
        "--reason",
        "装修",
    ]);
    assert_eq!(c.blackouts.len(), 1);
    assert_eq!(c.blackouts[0].reason.zh, "装修");
    assert_eq!(
        c.confirmed_inside.iter().map(|x| &x.id).collect::<Vec<_>>(),
        [&b.id]
    );
    let try_book = |h: &str| {
        other.cli(&[
            "book",
            &rid,
            "--from",
            &day(h),
            "--to",
            &day(&h.replace(":00", ":30")),
            "--purpose",
            "x",
        ])
    };
    harness::wait_for(
        "the closure on the other node",
        Duration::from_secs(30),
        || {
            let out = try_book("14:00");
            (!out.status.success() && {
                let e = String::from_utf8_lossy(&out.stderr);
                e.contains("blackout") || e.contains("停用")
            })
            .then_some(())
        },
    );
    // Reopen the afternoon: the closure is cut in two around it.
    let c: Closed = owner.json(&[
        "resource",
        "blackout",
        "remove",
        "hall",
        "--from",
        &day("12:00"),
        "--to",
        &day("18:00"),
    ]);
    let spans: Vec<_> = c.blackouts.iter().map(|b| (b.start, b.end)).collect();
    assert_eq!(
        spans,
        [
            (
                harness::workday_instant(6, "09:00"),
                harness::workday_instant(6, "12:00")
            ),
            (
                harness::workday_instant(6, "18:00"),
                harness::workday_instant(7, "18:00")
            ),
        ]
    );
    harness::wait_for("the afternoon open again", Duration::from_secs(30), || {
        try_book("14:00").status.success().then_some(())
    });
    assert!(
        !try_book("10:00").status.success(),
        "the morning stays closed"
    );
    // Reopening where nothing is closed, or a range backwards, is refused.
    let none = owner.cli(&[
        "resource",
        "blackout",
        "remove",
        "hall",
        "--from",
        &day("13:00"),
        "--to",
        &day("14:00"),
    ]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no closed period"));
    let back = owner.cli(&[
        "resource",
        "blackout",
        "add",
        "hall",
        "--from",
        &day("14:00"),
        "--to",
        &day("13:00"),
    ]);
    assert!(!back.status.success());
    let listed: Closed = owner.json(&["resource", "blackout", "list", "hall"]);
    assert_eq!(listed.blackouts.len(), 2);
}
