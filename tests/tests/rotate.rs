//! Key rotation with real node processes on 127.0.0.1: an agency replaces
//! its key while running; its earlier bookings stay valid everywhere, it
//! keeps booking under the same agency id, and it survives a restart.

use std::time::Duration;

use api::RotateKeyResponse;
use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::ids::BookingId;
use crdt_model::resource::Resource;
use harness::{Node, network, wait_for};

fn book(node: &Node, room: &str, day: usize) -> BookingId {
    let b: Booking = node.json(&[
        "book",
        room,
        "--from",
        &harness::workday(day, "09:00"),
        "--to",
        &harness::workday(day, "10:00"),
        "--wait",
        "20",
    ]);
    assert_eq!(b.status, Status::Confirmed, "{b:?}");
    b.id
}

#[test]
fn an_agency_rotates_its_key_and_keeps_its_history_and_identity() {
    let mut nodes = network("rotate", 3);
    let room: Resource = nodes[0].json(&[
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
    let room = room.id.to_string();
    nodes[1].wait_resource(&room);
    let agency = nodes[1].agency();
    let before = book(&nodes[1], &room, 4);

    let r: RotateKeyResponse = nodes[1].json(&["rotate-key"]);
    assert_eq!(r.agency, agency, "the agency keeps its id: {r:?}");
    assert_ne!(r.old_key, r.new_key);
    assert!(!nodes[1].home.join("agency.key.next").exists());

    // The node comes back on the network under its new identity.
    wait_for(
        "reconnected after rotation",
        Duration::from_secs(30),
        || (nodes[1].connected_peers() >= 1).then_some(()),
    );
    let after = book(&nodes[1], &room, 5);
    for node in &nodes {
        node.wait_confirmed(&before);
        node.wait_confirmed(&after);
    }
    // Every member sees the rotation in the roster.
    for node in &nodes {
        wait_for("rotation in the roster", Duration::from_secs(30), || {
            let m = node.members().into_iter().find(|m| m.agency == agency)?;
            let rotations = &m.member.rotations;
            (rotations.len() == 1 && rotations[0].key == r.new_key).then_some(())
        });
    }

    // After a restart it is the same agency, signing with the new key.
    nodes[1].restart().expect("restart");
    assert_eq!(nodes[1].agency(), agency);
    let later = book(&nodes[1], &room, 6);
    for node in &nodes {
        node.wait_confirmed(&later);
    }
}
