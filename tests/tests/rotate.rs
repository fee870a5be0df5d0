//! Key rotation with real node processes on 127.0.0.1: an agency replaces
//! its key while running; its earlier bookings stay valid everywhere, it
//! keeps booking under the same agency id, and it survives a restart.

use std::time::Duration;

use integration::{Node, network, wait_for};
use serde_json::Value;

fn book(node: &Node, room: &str, day: usize) -> String {
    let b: Value = node.json(&[
        "book",
        room,
        "--from",
        &integration::workday(day, "09:00"),
        "--to",
        &integration::workday(day, "10:00"),
        "--wait",
        "20",
    ]);
    assert_eq!(b["status"], "confirmed", "{b}");
    b["id"].as_str().expect("booking id").to_string()
}

fn confirmed_on(node: &Node, id: &str) {
    wait_for(
        &format!("{id} confirmed on {}", node.home.display()),
        Duration::from_secs(30),
        || {
            let list: Value = node.json(&["bookings"]);
            list.as_array()?
                .iter()
                .any(|b| b["id"] == id && b["status"] == "confirmed")
                .then_some(())
        },
    );
}

fn connected_peers(node: &Node) -> usize {
    let s: Value = node.json(&["status"]);
    s["peers"]
        .as_array()
        .map_or(0, |p| p.iter().filter(|p| p["connected"] == true).count())
}

#[test]
fn an_agency_rotates_its_key_and_keeps_its_history_and_identity() {
    let mut nodes = network("rotate", 3);
    let room: Value = nodes[0].json(&[
        "resource",
        "add",
        "--id",
        "room-r",
        "--name",
        "轮换会议室",
        "--name-en",
        "Rotation room",
        "--city",
        "深圳",
        "--city-en",
        "Shenzhen",
        "--people",
        "10",
    ]);
    let room = room["id"].as_str().expect("room id").to_string();
    wait_for("room replicated", Duration::from_secs(30), || {
        let list: Value = nodes[1].json(&["resources"]);
        list.as_array()?
            .iter()
            .any(|r| r["id"] == room)
            .then_some(())
    });
    let agency = nodes[1].agency();
    let before = book(&nodes[1], &room, 4);

    let r: Value = nodes[1].json(&["rotate-key"]);
    assert_eq!(r["agency"], agency.as_str(), "the agency keeps its id: {r}");
    assert_ne!(r["old_key"], r["new_key"]);
    let new_key = r["new_key"].as_str().expect("new key").to_string();
    assert!(!nodes[1].home.join("agency.key.next").exists());

    // The node comes back on the network under its new identity.
    wait_for(
        "reconnected after rotation",
        Duration::from_secs(30),
        || (connected_peers(&nodes[1]) >= 1).then_some(()),
    );
    let after = book(&nodes[1], &room, 5);
    for node in &nodes {
        confirmed_on(node, &before);
        confirmed_on(node, &after);
    }
    // Every member sees the rotation in the roster.
    for node in &nodes {
        wait_for("rotation in the roster", Duration::from_secs(30), || {
            let members: Value = node.json(&["members"]);
            let m = members
                .as_array()?
                .iter()
                .find(|m| m["agency"] == agency.as_str())?
                .clone();
            let rotations = m["rotations"].as_array()?;
            (rotations.len() == 1 && rotations[0]["key"] == new_key.as_str()).then_some(())
        });
    }

    // After a restart it is the same agency, signing with the new key.
    nodes[1].stop();
    nodes[1].restart();
    assert_eq!(nodes[1].agency(), agency);
    let later = book(&nodes[1], &room, 6);
    for node in &nodes {
        confirmed_on(node, &later);
    }
}
