//! Revocation with real node processes on 127.0.0.1: an agency revoked
//! while its node was down learns it from the first member it reaches when
//! it comes back; its node says so (`status`, `members`) and refuses its
//! bookings with a clear error, and the members never take its changes.

use std::time::Duration;

use crdt_model::membership::MemberStatus;
use crdt_model::resource::Resource;
use harness::{cli, network, wait_for};

#[test]
fn an_agency_revoked_while_offline_learns_it_when_it_returns() {
    let mut nodes = network("revoke", 3);
    let room: Resource = nodes[0].json(&[
        "resource",
        "add",
        "--id",
        "room-1",
        "--name",
        "第一会议室",
        "--city",
        "深圳",
        "--people",
        "8",
    ]);
    let rid = room.id.to_string();
    nodes[2].wait_resource(&rid);
    let gone = nodes[2].status().agency;
    let bookings_before = nodes[0].status().bookings;

    nodes[2].stop();
    nodes[0].ok(&["revoke", &gone.to_string(), "--reason", "机构撤并"]);
    nodes[2].start().expect("the revoked agency's node starts");

    let revoked = wait_for(
        "the returning node learns its revocation",
        Duration::from_secs(30),
        || nodes[2].status().revoked,
    );
    assert_eq!(revoked.reason, "机构撤并");
    assert_eq!(revoked.by, nodes[0].status().agency);
    let me = nodes[2]
        .members()
        .into_iter()
        .find(|m| m.agency == gone)
        .expect("itself in the roster");
    assert!(matches!(me.member.status, MemberStatus::Revoked { .. }));

    // Its bookings are refused at once, saying why.
    let out = cli(
        &nodes[2].home,
        &[
            "book",
            &rid,
            "--from",
            &harness::workday(3, "09:00"),
            "--to",
            &harness::workday(3, "10:00"),
        ],
    );
    assert!(!out.status.success(), "a revoked agency cannot book");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("revoked"), "{err}");
    // `status` says so in words.
    let status = cli(&nodes[2].home, &["--lang", "en", "status"]);
    assert!(status.status.success());
    let said = String::from_utf8_lossy(&status.stderr);
    assert!(
        said.contains("REVOKED") && said.contains("机构撤并"),
        "{said}"
    );
    assert_eq!(nodes[0].status().bookings, bookings_before);
}
