//! End to end through the terminal UI: `tongchou tui` runs in a detached
//! tmux session against a real node; keys go in with `send-keys`, the
//! screen is read with `capture-pane`. A room is found with the free-slot
//! finder, booked with one key, and the booking checked on the owner's node;
//! then the staff guide's tasks one after another (a video room next Tuesday
//! afternoon, the van for two days, three projectors for a week, cancelling
//! one, a rejection and its alternative), each checked on the owner's node,
//! with the keys each took printed; the dispatcher; the warehouse owner
//! handing over a loan and taking it back with a damaged unit.

use std::process::Command;
use std::time::Duration;

use crdt_model::booking::Status;
use crdt_model::resource::Resource;
use crdt_model::trip::TripStatus;
use harness::{network, tongchou, wait_for};

/// A private tmux server, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str) -> Self {
        // One server per session: tests of this file run side by side.
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let socket = format!("tongchou-e2e-{}-{n}", std::process::id());
        let t = Self { socket };
        let status = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "new-session",
                "-d",
                "-s",
                "tui",
                "-x",
                "120",
                "-y",
                "40",
                cmd,
            ])
            .status()
            .expect("tmux must be installed (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        t
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "tui"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "tui"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_text(&self, text: &str) -> String {
        let mut last = String::new();
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for(
                &format!("{text:?} on the TUI screen"),
                Duration::from_secs(30),
                || {
                    last = self.screen();
                    last.contains(text).then(|| last.clone())
                },
            )
        }));
        match found {
            Ok(s) => s,
            Err(_) => panic!("{text:?} never appeared; last screen:\n{last}"),
        }
    }
}

impl Tmux {
    /// Sends `keys` and adds them to `count` (one per key pressed: a word
    /// typed counts its characters).
    fn press(&self, count: &mut usize, keys: &[&str]) {
        *count += keys
            .iter()
            .map(|k| {
                let named = ["Enter", "Tab", "BTab", "Escape", "Up", "Down"].contains(k)
                    || k.starts_with("C-");
                if named { 1 } else { k.chars().count() }
            })
            .sum::<usize>();
        self.keys(keys);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn book_a_room_from_the_free_slot_finder() {
    let nodes = network("tui-e2e", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let room: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        "room-e2e",
        "--name",
        "视频会议室",
        "--name-en",
        "Video Room",
        "--city",
        "杭州",
        "--city-en",
        "Hangzhou",
        "--people",
        "16",
        "--feature",
        "video",
    ]);
    let rid = room.id.to_string();
    staff.wait_resource(&rid);

    let cmd = format!(
        "env TZ=Asia/Shanghai {} --home {} --lang en tui",
        tongchou().display(),
        staff.home.display()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_text("3:Find");
    // Free-slot finder: 12 people, Hangzhou, video, 2 hours, tomorrow 09–18.
    tmux.keys(&["3"]);
    tmux.wait_text("People / units");
    tmux.keys(&[
        "C-u", "12", "Tab", "Hangzhou", "Tab", "Tab", "video", "Tab", "C-u", "120", "Enter",
    ]);
    tmux.wait_text("Video Room");
    // Enter opens the booking form filled with the best candidate, the
    // cursor on the purpose (required); Enter sends it and the owner's
    // policy confirms it.
    tmux.keys(&["Enter"]);
    tmux.wait_text("Purpose");
    tmux.keys(&["Cross-city meeting", "Enter"]);
    let screen = tmux.wait_text("confirmed");
    assert!(screen.contains("Video Room"), "{screen}");

    let booking = wait_for(
        "the booking on the owner's node",
        Duration::from_secs(30),
        || {
            owner
                .bookings(&["--resource", &rid])
                .into_iter()
                .find(|b| b.status == Status::Confirmed)
        },
    );
    assert_eq!(booking.terms.quantity, 12);
    let (start, end) = (booking.terms.start, booking.terms.end);
    assert_eq!(end.duration_since(start).as_secs(), 7200, "a two-hour slot");
    assert!(start > jiff::Timestamp::now(), "in the future");

    // Quit restores the terminal and ends the process.
    tmux.keys(&["q"]);
    wait_for("the TUI to exit", Duration::from_secs(10), || {
        let out = Command::new("tmux")
            .args(["-L", &tmux.socket, "has-session", "-t", "tui"])
            .output()
            .ok()?;
        (!out.status.success()).then_some(())
    });
}

/// The staff guide's tasks, end to end, each with the keys it took.
#[test]
fn the_staff_guide_tasks_take_a_few_keys_and_never_a_wrong_booking() {
    let nodes = network("tui-tasks", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let add = |args: &[&str]| -> String {
        let mut all = vec!["resource", "add", "--city", "杭州", "--city-en", "Hangzhou"];
        all.extend_from_slice(args);
        let r: Resource = owner.json(&all);
        staff.wait_resource(&r.id.to_string());
        r.id.to_string()
    };
    let room = add(&[
        "--id",
        "room-v",
        "--name",
        "视频会议室",
        "--name-en",
        "Video Room",
        "--people",
        "16",
        "--feature",
        "视频",
    ]);
    let van = add(&[
        "--id",
        "van-1",
        "--kind",
        "vehicle",
        "--name",
        "公务商务车",
        "--name-en",
        "Official van",
        "--class",
        "van",
        "--people",
        "7",
    ]);
    // The fleet's driver: the van (automatic) is dispatched with him.
    add(&[
        "--id",
        "drv-1",
        "--kind",
        "driver",
        "--name",
        "王师傅",
        "--people",
        "1",
    ]);
    let projectors = add(&[
        "--id",
        "proj",
        "--kind",
        "warehouse-asset",
        "--name",
        "投影仪",
        "--name-en",
        "Projectors",
        "--units",
        "5",
    ]);
    let small = add(&[
        "--id",
        "room-s",
        "--name",
        "小会议室",
        "--name-en",
        "Small Room",
        "--people",
        "6",
    ]);
    // The small room is the owner's own tomorrow 10:00–11:00.
    let tomorrow = |hm: &str| {
        let tz = jiff::tz::TimeZone::get(harness::ZONE).expect("zone");
        let d = jiff::Timestamp::now()
            .to_zoned(tz)
            .date()
            .tomorrow()
            .expect("a date");
        format!("{d}T{hm}")
    };
    let _: crdt_model::calendar::Booking = owner.json(&[
        "book",
        &small,
        "--from",
        &tomorrow("10:00"),
        "--to",
        &tomorrow("11:00"),
    ]);
    staff.wait_resource(&small);

    let cmd = format!(
        "env TZ=Asia/Shanghai {} --home {} --lang en tui",
        tongchou().display(),
        staff.home.display()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_text("3:Find");
    let confirmed_on_owner = |rid: &str| {
        wait_for(
            "the booking confirmed on the owner's node",
            Duration::from_secs(30),
            || {
                owner
                    .bookings(&["--resource", rid])
                    .into_iter()
                    .find(|b| b.status == Status::Confirmed && b.id.requester == staff.agency())
            },
        )
    };
    let mut keys = Vec::new();

    // 1. A 12-person video room in Hangzhou next Tuesday afternoon.
    let mut n = 0;
    tmux.press(&mut n, &["3"]);
    tmux.wait_text("People / units");
    tmux.press(
        &mut n,
        &[
            "12", "Tab", "Hangzhou", "Tab", "Tab", "video", "Tab", "2h", "Tab", "tue", "Tab",
            "Tab", "13:00", "Enter",
        ],
    );
    tmux.wait_text("Video Room");
    tmux.press(&mut n, &["Enter"]);
    tmux.wait_text("Purpose");
    tmux.press(&mut n, &["Joint meeting", "Enter"]);
    tmux.wait_text("confirmed");
    let b = confirmed_on_owner(&room);
    let tz = jiff::tz::TimeZone::get(harness::ZONE).expect("zone");
    let start = b.terms.start.to_zoned(tz.clone());
    assert_eq!(start.weekday(), jiff::civil::Weekday::Tuesday, "{b:?}");
    assert!(start.hour() >= 13, "in the afternoon: {b:?}");
    assert_eq!(b.terms.quantity, 12);
    keys.push(("video room next Tuesday afternoon", n));

    // 2. The official van for two days from tomorrow.
    let mut n = 0;
    tmux.press(&mut n, &["3", "e"]);
    tmux.press(
        &mut n,
        &[
            "2", "Tab", "Tab", "vehicle", "Tab", "C-u", "Tab", "2d", "Tab", "tomorrow", "Enter",
        ],
    );
    tmux.wait_text("Official van");
    // A vehicle is asked for as a trip: destination and purpose, then the
    // fleet's owner dispatches a van of that class and a driver.
    tmux.press(&mut n, &["Enter"]);
    tmux.wait_text("Request a vehicle");
    tmux.press(&mut n, &["Baoding", "Tab", "Site visit", "Enter"]);
    let t = wait_for(
        "the trip dispatched by the fleet",
        Duration::from_secs(30),
        || {
            let trips: Vec<crdt_model::trip::Trip> = owner.json(&["trips"]);
            trips.into_iter().find(|t| {
                t.request.id.requester == staff.agency() && t.status == TripStatus::Dispatched
            })
        },
    );
    assert_eq!(t.vehicle.as_ref().map(|v| v.to_string()), Some(van.clone()));
    assert_eq!(
        t.request.end.duration_since(t.request.start).as_hours(),
        48,
        "two days: {t:?}"
    );
    assert_eq!(
        (t.request.passengers, t.request.destination.as_str()),
        (2, "Baoding"),
        "the people of the room did not carry over"
    );
    keys.push(("the van for two days", n));

    // 3. Three projectors for a week.
    let mut n = 0;
    tmux.press(&mut n, &["3", "e"]);
    tmux.press(
        &mut n,
        &[
            "3",
            "Tab",
            "Tab",
            "C-u",
            "warehouse-asset",
            "Tab",
            "Tab",
            "7d",
            "Enter",
        ],
    );
    tmux.wait_text("Projectors");
    tmux.press(&mut n, &["Enter"]);
    tmux.wait_text("Purpose");
    tmux.press(&mut n, &["Training", "Enter"]);
    let b = confirmed_on_owner(&projectors);
    assert_eq!(b.terms.quantity, 3);
    assert_eq!(b.terms.end.duration_since(b.terms.start).as_hours(), 7 * 24);
    keys.push(("three projectors for a week", n));

    // 4. Cancel one: the first of My bookings, after a confirmation.
    let mut n = 0;
    tmux.press(&mut n, &["5"]);
    tmux.wait_text("My bookings");
    // The list is first once the node's data has the projectors.
    tmux.wait_text("Projectors");
    tmux.press(&mut n, &["c"]);
    tmux.wait_text("y confirm");
    tmux.press(&mut n, &["y"]);
    let cancelled = wait_for("one booking cancelled", Duration::from_secs(30), || {
        let mine: Vec<_> = staff
            .bookings(&["--mine"])
            .into_iter()
            .filter(|b| matches!(b.status, Status::Cancelled))
            .collect();
        (mine.len() == 1).then_some(mine)
    });
    assert_eq!(
        cancelled[0].resource.to_string(),
        projectors,
        "the first in the list, tomorrow's (the van is a trip, not listed)"
    );
    keys.push(("cancel one", n));

    // 5. A rejection: the small room is taken tomorrow 10–11; the result
    // says why and offers alternatives; `a` fills the form with the first,
    // Enter sends it.
    let mut n = 0;
    tmux.press(&mut n, &["4", "e"]);
    tmux.press(
        &mut n,
        &[
            "Small Room",
            "Tab",
            "tomorrow 10:00",
            "Tab",
            "tomorrow 11:00",
            "Tab",
            "Tab",
            "Briefing",
            "Enter",
        ],
    );
    let screen = tmux.wait_text("rejected");
    assert!(screen.contains("Alternatives"), "{screen}");
    tmux.press(&mut n, &["a"]);
    tmux.wait_text("Purpose");
    tmux.press(&mut n, &["Enter"]);
    let b = wait_for(
        "the alternative confirmed on the owner's node",
        Duration::from_secs(30),
        || {
            owner.bookings(&[]).into_iter().find(|b| {
                b.id.requester == staff.agency()
                    && b.status == Status::Confirmed
                    && b.request.as_ref().is_some_and(|r| r.purpose == "Briefing")
            })
        },
    );
    assert!(
        b.resource.to_string() != small || b.terms.start.to_zoned(tz.clone()).hour() != 10,
        "the alternative is not the slot that was taken: {b:?}"
    );
    keys.push(("a rejection and its alternative", n));

    for (task, n) in &keys {
        eprintln!("{task}: {n} keys");
    }
    // No booking of the staff's agency other than those asked for.
    let made = owner
        .bookings(&[])
        .into_iter()
        .filter(|b| b.id.requester == staff.agency() && b.request.is_some())
        .count();
    assert_eq!(
        made, 4,
        "the three bookings asked for and the one rejected, nothing else (the van is a trip)"
    );
}

/// The dispatcher in the TUI (in Chinese): a trip another agency asked for
/// is dispatched with one key, then departs with its odometer reading; the
/// requester's node sees both.
#[test]
fn the_dispatcher_dispatches_and_records_a_departure() {
    let nodes = network("tui-dispatch", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    let fleet = owner.agency().to_string();
    owner.ok(&[
        "resource",
        "add",
        "--kind",
        "vehicle",
        "--id",
        "van-1",
        "--name",
        "公务商务车",
        "--class",
        "van",
        "--people",
        "7",
        "--attr",
        "plate=粤B12345",
        "--city",
        "深圳",
        "--approval",
        "required",
    ]);
    owner.ok(&[
        "resource",
        "add",
        "--kind",
        "driver",
        "--id",
        "drv-zhang",
        "--name",
        "张师傅",
        "--people",
        "1",
        "--city",
        "深圳",
    ]);
    staff.wait_resource(&format!("{fleet}/van-1"));
    let tz = jiff::tz::TimeZone::get(harness::ZONE).expect("zone");
    let d = jiff::Timestamp::now()
        .to_zoned(tz)
        .date()
        .tomorrow()
        .expect("a date");
    let trip: crdt_model::trip::Trip = staff.json(&[
        "trip",
        "request",
        "--owner",
        &fleet,
        "--class",
        "van",
        "--from",
        &format!("{d}T09:00"),
        "--to",
        &format!("{d}T17:00"),
        "--passengers",
        "5",
        "--destination",
        "广州",
        "--purpose",
        "调研",
    ]);
    wait_for("the trip at its fleet", Duration::from_secs(30), || {
        let pending: Vec<crdt_model::trip::Trip> = owner.json(&["trips", "--pending"]);
        (!pending.is_empty()).then_some(())
    });
    let cmd = format!(
        "env TZ=Asia/Shanghai {} --home {} --lang zh tui",
        tongchou().display(),
        owner.home.display()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_text("9:派车");
    tmux.keys(&["9"]);
    tmux.wait_text("可派车辆");
    let screen = tmux.wait_text("张师傅");
    assert!(screen.contains("公务商务车"), "{screen}");
    tmux.keys(&["Enter"]);
    // The details show the order once the node's data has it (the toast
    // says 已派车 at once).
    tmux.wait_text("派车单号: 1");
    tmux.keys(&["s"]);
    tmux.wait_text("出车里程表读数");
    tmux.keys(&["12345", "Enter"]);
    tmux.wait_text("出车里程表读数（公里）: 12345");
    let seen = wait_for(
        "the departure at the requester",
        Duration::from_secs(30),
        || {
            let mine: Vec<crdt_model::trip::Trip> = staff.json(&["trips", "--mine"]);
            mine.into_iter()
                .find(|t| t.request.id == trip.request.id && t.status == TripStatus::Started)
        },
    );
    assert_eq!(seen.odometer_out, Some(12_345));
    assert_eq!(seen.order, Some(1));
}

/// The warehouse in the TUI (in Chinese): another agency's loan of three
/// chairs is handed over with two tags and a note, then taken back with
/// one unit damaged, all by keys; the owner's node has the loan returned
/// and, once the loan's time is over, the damaged unit out of service.
#[test]
fn the_warehouse_owner_hands_over_and_takes_back_a_loan_with_a_damaged_unit() {
    let nodes = network("tui-warehouse", 2);
    let (owner, staff) = (&nodes[0], &nodes[1]);
    owner.ok(&[
        "resource",
        "add",
        "--kind",
        "warehouse-asset",
        "--id",
        "chairs",
        "--name",
        "会议椅",
        "--units",
        "5",
        "--attr",
        "tags=HY-01,HY-02,HY-03,HY-04,HY-05",
        "--city",
        "深圳",
        "--min-minutes",
        "0",
    ]);
    let rid = format!("{}/chairs", owner.agency());
    staff.wait_resource(&rid);
    // A short loan, so the damaged unit counts (from the loan's end) while
    // the test runs; it starts late enough for the owner to confirm it.
    let at = |secs: i64| {
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + secs)
            .expect("an instant")
            .to_string()
    };
    let booking: crdt_model::calendar::Booking = staff.json(&[
        "book",
        &rid,
        "--from",
        &at(25),
        "--to",
        &at(30),
        "--quantity",
        "3",
        "--purpose",
        "表彰大会",
    ]);
    owner.wait_confirmed(&booking.id);
    let cmd = format!(
        "env TZ=Asia/Shanghai {} --home {} --lang zh tui",
        tongchou().display(),
        owner.home.display()
    );
    let tmux = Tmux::start(&cmd);
    tmux.wait_text("0:公物仓");
    tmux.keys(&["0"]);
    tmux.wait_text("借用 (1)");
    tmux.wait_text("会议椅");
    tmux.keys(&["h"]);
    tmux.wait_text("交付的资产标签");
    tmux.keys(&["HY-01,HY-02", "Tab", "完好", "Enter"]);
    tmux.wait_text("已交付");
    tmux.keys(&["b"]);
    tmux.wait_text("收回全部 3 件");
    tmux.keys(&["1", "Tab", "桌腿松动", "Enter"]);
    tmux.wait_text("收回已登记");
    // A returned loan leaves the owner's list (the borrower's keeps it).
    tmux.wait_text("借用 (0)");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let loans = rt
        .block_on(owner.api().loans(&crdt_model::asset::LoanFilter {
            id: Some(booking.id.clone()),
            ..Default::default()
        }))
        .expect("the owner's loans");
    let [loan] = loans.as_slice() else {
        panic!("one loan: {loans:?}");
    };
    assert_eq!(loan.status, crdt_model::asset::LoanStatus::Returned);
    let step = |e: &Option<crdt_model::asset::LoanEvent>| e.as_ref().map(|e| e.step.clone());
    assert_eq!(
        step(&loan.handover),
        Some(crdt_model::asset::LoanStep::Handover {
            tags: vec!["HY-01".into(), "HY-02".into()],
            note: "完好".into(),
        })
    );
    assert_eq!(
        step(&loan.returned),
        Some(crdt_model::asset::LoanStep::Return {
            units: 3,
            damaged: 1,
            note: "桌腿松动".into(),
        })
    );
    let query = crdt_model::asset::InventoryQuery {
        asset: Some(rid.parse().expect("resource id")),
        ..Default::default()
    };
    let row = wait_for(
        "the damaged unit in the inventory",
        Duration::from_secs(60),
        || {
            let rows = rt.block_on(owner.api().inventory(&query)).ok()?;
            rows.into_iter().find(|r| r.damaged == 1)
        },
    );
    assert_eq!(
        (row.total, row.on_loan, row.available),
        (5, 0, 4),
        "{row:?}"
    );
    // The TUI's inventory shows it too: repair is offered.
    tmux.keys(&["r", "Tab"]);
    tmux.wait_text("m 修复");
}
