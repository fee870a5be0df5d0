//! Official vehicle trips between real nodes: two agencies ask a third's
//! fleet (two vans, one driver) for overlapping trips; the owner dispatches
//! one, the other is refused for the driver with the reason; maintenance
//! blocks a van; a requester's node down during the dispatch, departure
//! and return catches up to the same trips;
//! the odometer rules hold; a cancelled trip gives its van and driver back.

use std::time::Duration;

use crdt_model::trip::{Trip, TripStatus};
use harness::{Node, cli, network, wait_for};

fn tomorrow(hm: &str) -> String {
    let tz = jiff::tz::TimeZone::get(harness::ZONE).expect("zone");
    let d = jiff::Timestamp::now()
        .to_zoned(tz)
        .date()
        .tomorrow()
        .expect("a date");
    format!("{d}T{hm}")
}

fn request(node: &Node, owner: &str, from: &str, to: &str) -> Trip {
    node.json(&[
        "trip",
        "request",
        "--owner",
        owner,
        "--class",
        "van",
        "--from",
        &tomorrow(from),
        "--to",
        &tomorrow(to),
        "--passengers",
        "6",
        "--destination",
        "广州",
        "--purpose",
        "调研",
    ])
}

fn trips(node: &Node) -> Vec<Trip> {
    node.json(&["trips"])
}

#[test]
fn two_requests_one_driver_one_dispatch_and_every_replica_agrees() {
    let mut nodes = network("trips", 3);
    let owner = &nodes[0];
    let fleet = owner.agency().to_string();
    for (id, name, class) in [
        ("van-1", "商务车一号", "van"),
        ("van-2", "商务车二号", "van"),
    ] {
        owner.ok(&[
            "resource",
            "add",
            "--kind",
            "vehicle",
            "--id",
            id,
            "--name",
            name,
            "--class",
            class,
            "--people",
            "7",
            "--energy",
            "petrol",
            "--attr",
            "plate=粤B12345",
            "--city",
            "深圳",
            "--approval",
            "required",
        ]);
    }
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
        "--attr",
        "licence=B2",
        "--city",
        "深圳",
        "--share",
        "owner",
    ]);
    // Bad input changes nothing and says why.
    let bad = cli(
        &owner.home,
        &[
            "resource", "add", "--kind", "vehicle", "--id", "x", "--name", "x", "--class",
            "rocket", "--people", "2", "--city", "深圳",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--class"));

    for n in &nodes[1..] {
        n.wait_resource(&format!("{fleet}/van-2"));
    }
    let a = request(&nodes[1], &fleet, "09:00", "13:00");
    let b = request(&nodes[2], &fleet, "11:00", "15:00");
    assert_eq!(a.status, TripStatus::Requested);
    wait_for("both trips at the owner", Duration::from_secs(30), || {
        let pending: Vec<Trip> = nodes[0].json(&["trips", "--pending"]);
        (pending.len() == 2).then_some(())
    });
    let (aid, bid) = (a.request.id.to_string(), b.request.id.to_string());
    // Staff may not dispatch.
    let nope = cli(
        &nodes[1].home,
        &[
            "trip",
            "dispatch",
            &aid,
            "--vehicle",
            &format!("{fleet}/van-1"),
            "--driver",
            &format!("{fleet}/drv-zhang"),
        ],
    );
    assert!(!nope.status.success());
    // Node 2 (the other requester) is down from before the dispatch until
    // the first trip is back: it catches up to the same trips.
    nodes[2].kill9();
    let t: Trip = nodes[0].json(&[
        "trip",
        "dispatch",
        &aid,
        "--vehicle",
        "van-1",
        "--driver",
        "drv-zhang",
    ]);
    assert_eq!(
        (t.status.clone(), t.order),
        (TripStatus::Dispatched, Some(1))
    );
    // The other van is free, the driver is not: refused, with the reason,
    // in either language.
    for (lang, words) in [("en", "drv-zhang"), ("zh", "驾驶员已被派出")] {
        let out = cli(
            &nodes[0].home,
            &[
                "--lang",
                lang,
                "trip",
                "dispatch",
                &bid,
                "--vehicle",
                "van-2",
                "--driver",
                "drv-zhang",
            ],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(words) && err.contains("cannot_dispatch"),
            "{err}"
        );
    }
    // Van 2 goes in for service: blocked with its reason.
    nodes[0].ok(&[
        "resource",
        "maintenance",
        "van-2",
        "--from",
        &tomorrow("00:00"),
        "--to",
        &tomorrow("23:00"),
        "--reason",
        "保养",
    ]);
    let out = cli(
        &nodes[0].home,
        &[
            "--lang",
            "en",
            "trip",
            "dispatch",
            &bid,
            "--vehicle",
            "van-2",
            "--driver",
            "drv-zhang",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("保养"));

    let t: Trip = nodes[0].json(&["trip", "start", &aid, "--odometer", "12345"]);
    assert_eq!(t.status, TripStatus::Started);
    let low = cli(
        &nodes[0].home,
        &["trip", "finish", &aid, "--odometer", "12000"],
    );
    assert!(
        !low.status.success(),
        "a return reading below the departure's"
    );
    let t: Trip = nodes[0].json(&[
        "trip",
        "finish",
        &aid,
        "--odometer",
        "12530",
        "--fuel-l",
        "20.5",
    ]);
    assert_eq!(
        (t.status.clone(), t.km(), t.fuel_ml),
        (TripStatus::Finished, Some(185), Some(20_500))
    );
    nodes[2].start().expect("restart");
    let want = trips(&nodes[0]);
    for n in &nodes[1..] {
        wait_for("the same trips everywhere", Duration::from_secs(30), || {
            (trips(n) == want).then_some(())
        });
    }
    // Cancelled, a dispatched trip gives its van and driver back.
    let c = request(&nodes[1], &fleet, "16:00", "18:00");
    wait_for("the trip at the owner", Duration::from_secs(30), || {
        let pending: Vec<Trip> = nodes[0].json(&["trips", "--pending"]);
        pending
            .iter()
            .any(|p| p.request.id == c.request.id)
            .then_some(())
    });
    let cid = c.request.id.to_string();
    nodes[0].ok(&[
        "trip",
        "dispatch",
        &cid,
        "--vehicle",
        "van-1",
        "--driver",
        "drv-zhang",
    ]);
    wait_for(
        "the dispatch at the requester",
        Duration::from_secs(30),
        || {
            let mine: Vec<Trip> = nodes[1].json(&["trips", "--mine"]);
            mine.iter()
                .any(|m| m.request.id == c.request.id && m.status == TripStatus::Dispatched)
                .then_some(())
        },
    );
    let t: Trip = nodes[1].json(&["trip", "cancel", &cid]);
    assert_eq!(t.status, TripStatus::Cancelled);
    let d = request(&nodes[2], &fleet, "16:30", "17:30");
    let did = d.request.id.to_string();
    wait_for(
        "the van and driver free again",
        Duration::from_secs(30),
        || {
            let out = cli(
                &nodes[0].home,
                &[
                    "--json",
                    "trip",
                    "dispatch",
                    &did,
                    "--vehicle",
                    "van-1",
                    "--driver",
                    "drv-zhang",
                ],
            );
            out.status.success().then_some(())
        },
    );
    // An EV's trip reserves one of the fleet's chargers after its return,
    // in one command; a petrol van's does not.
    let petrol = cli(&nodes[0].home, &["--lang", "en", "trip", "charge", &did]);
    assert!(String::from_utf8_lossy(&petrol.stderr).contains("not an electric vehicle"));
    nodes[0].ok(&[
        "resource",
        "add",
        "--kind",
        "vehicle",
        "--id",
        "ev-1",
        "--name",
        "新能源商务车",
        "--class",
        "van",
        "--energy",
        "ev",
        "--people",
        "7",
        "--city",
        "深圳",
    ]);
    nodes[0].ok(&[
        "resource",
        "add",
        "--kind",
        "ev-charger",
        "--id",
        "chg",
        "--name",
        "充电桩",
        "--units",
        "2",
        "--city",
        "深圳",
    ]);
    // The EV is set to automatic dispatch (the default approval): the
    // owner's node dispatches the trip itself, with the free driver.
    let e = request(&nodes[1], &fleet, "19:00", "21:00");
    let eid = e.request.id.to_string();
    let auto = wait_for(
        "the EV trip dispatched by the owner's node",
        Duration::from_secs(30),
        || {
            let seen: Vec<Trip> = nodes[1].json(&["trips", "--mine"]);
            seen.into_iter()
                .find(|t| t.request.id == e.request.id && t.status == TripStatus::Dispatched)
        },
    );
    assert_eq!(
        auto.vehicle.map(|v| v.local.to_string()).as_deref(),
        Some("ev-1")
    );
    assert_eq!(
        auto.driver.map(|v| v.local.to_string()).as_deref(),
        Some("drv-zhang")
    );
    let b: crdt_model::calendar::Booking = nodes[0].json(&["trip", "charge", &eid, "--for", "90m"]);
    assert_eq!(b.resource.local.as_str(), "chg");
    assert_eq!(b.terms.start, e.request.end, "from the return");
    assert_eq!(b.terms.end.duration_since(b.terms.start).as_mins(), 90);
    assert_eq!(b.status, crdt_model::booking::Status::Confirmed);
}
