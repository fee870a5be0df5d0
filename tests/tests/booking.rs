//! Bookings across three real node processes on 127.0.0.1.

use std::time::Duration;

use integration::{Node, network, wait_for, workday};
use serde_json::Value;

fn publish_room(owner: &Node, id: &str, people: &str) -> String {
    let v: Value = owner.json(&[
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
    v["id"].as_str().expect("resource id").to_string()
}

fn status_on(node: &Node, id: &str) -> Option<Value> {
    let out = node.json::<Value>(&["bookings"]);
    out.as_array()?.iter().find(|b| b["id"] == id).cloned()
}

fn wait_resource(node: &Node, rid: &str) {
    wait_for(
        &format!("{rid} in the catalogue of {}", node.home.display()),
        Duration::from_secs(30),
        || {
            let list: Value = node.json(&["resources"]);
            list.as_array()?
                .iter()
                .any(|r| r["id"] == rid)
                .then_some(())
        },
    );
}

#[test]
fn a_booking_by_one_agency_is_confirmed_on_every_node() {
    let nodes = network("book3", 3);
    let room = publish_room(&nodes[0], "room-1", "12");
    let (from, to) = (workday(5, "09:00"), workday(5, "11:00"));
    wait_resource(&nodes[1], &room);
    let b: Value = nodes[1].json(&[
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
    assert_eq!(b["status"], "confirmed", "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    for node in &nodes {
        wait_for(
            "booking confirmed everywhere",
            Duration::from_secs(30),
            || {
                status_on(node, &id)
                    .filter(|s| s["status"] == "confirmed")
                    .map(|_| ())
            },
        );
    }
    // Bad input gets a one-line error naming the field, and changes nothing.
    let out = integration::cli(
        &nodes[1].home,
        &["book", &room, "--from", &from, "--to", "soon"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
    let out = integration::cli(
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
    wait_resource(&nodes[1], &room);
    wait_resource(&nodes[2], &room);
    let (h1, h2) = (nodes[1].home.clone(), nodes[2].home.clone());
    let (r1, r2) = (room.clone(), room.clone());
    let (from1, to1) = (workday(6, "14:00"), workday(6, "16:00"));
    let (from2, to2) = (workday(6, "15:00"), workday(6, "17:00"));
    let t1 = std::thread::spawn(move || {
        integration::cli_json::<Value>(
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
        integration::cli_json::<Value>(
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
    let ids = [
        b1["id"].as_str().unwrap().to_string(),
        b2["id"].as_str().unwrap().to_string(),
    ];
    let decided = |node: &Node| -> Option<Vec<Value>> {
        let all: Value = node.json(&["bookings", "--resource", &room]);
        let list: Vec<Value> = all
            .as_array()?
            .iter()
            .filter(|b| ids.contains(&b["id"].as_str().unwrap_or("").to_string()))
            .cloned()
            .collect();
        (list.len() == 2 && list.iter().all(|b| b["status"] != "tentative")).then_some(list)
    };
    let views: Vec<Vec<Value>> = nodes
        .iter()
        .map(|n| {
            wait_for("both requests decided", Duration::from_secs(30), || {
                decided(n)
            })
        })
        .collect();
    let confirmed = views[0]
        .iter()
        .filter(|b| b["status"] == "confirmed")
        .count();
    assert_eq!(confirmed, 1, "{views:?}");
    let rejected = views[0]
        .iter()
        .find(|b| b["status"] == "rejected")
        .expect("one rejected");
    assert!(
        !rejected["alternatives"].as_array().unwrap().is_empty(),
        "alternatives offered: {rejected}"
    );
    assert_eq!(views[0], views[1], "nodes 0 and 1 disagree");
    assert_eq!(views[1], views[2], "nodes 1 and 2 disagree");
}
