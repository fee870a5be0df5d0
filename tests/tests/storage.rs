//! Storage faults on a real node process: a write its disk refuses is never
//! acknowledged, the node stays up and serves reads, and after a restart on
//! a healthy store every acknowledged booking is there.
//!
//! The fault is real, not simulated: the running daemon's file-size limit
//! is lowered to one byte (`prlimit`), so every write sled makes to its
//! files fails with `EFBIG`, the way a full disk fails with `ENOSPC`.

use std::process::Command;
use std::time::Duration;

use api::Status;
use crdt_model::calendar::Booking;
use crdt_model::ids::BookingId;
use crdt_model::resource::Resource;
use harness::{Node, cli, network, wait_for, workday};

fn book(node: &Node, rid: &str, hour: &str, until: &str) -> std::process::Output {
    cli(
        &node.home,
        &[
            "--json",
            "book",
            rid,
            "--from",
            &workday(2, hour),
            "--to",
            &workday(2, until),
        ],
    )
}

fn ids_on(node: &Node, rid: &str) -> Vec<BookingId> {
    let mut ids: Vec<BookingId> = node
        .bookings(&["--resource", rid])
        .into_iter()
        .map(|b| b.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_write_the_disk_refuses_is_never_acknowledged_and_the_node_keeps_serving() {
    let mut nodes = network("diskfault", 1);
    let node = &mut nodes[0];
    let res: Resource = node.json(&[
        "resource",
        "add",
        "--id",
        "lot-1",
        "--kind",
        "parking",
        "--name",
        "停车场",
        "--city",
        "深圳",
        "--units",
        "10",
    ]);
    let rid = res.id.to_string();
    let mut acked = Vec::new();
    for (from, to) in [("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")] {
        let out = book(node, &rid, from, to);
        assert!(out.status.success(), "{out:?}");
        let b: Booking = serde_json::from_slice(&out.stdout).expect("json");
        acked.push(b.id);
    }
    acked.sort();
    // The health check needs no token and says the node can write.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let anonymous = api::Client::connect(&node.info().addr, "no-token").expect("client");
    let health = rt.block_on(anonymous.health()).expect("healthz");
    assert!(health.ok && health.reason.is_none(), "{health:?}");

    // From now on the disk refuses every write.
    let pid = node.info().pid;
    let st = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), "--fsize=1:1"])
        .status()
        .expect("running prlimit (util-linux)");
    assert!(st.success(), "prlimit failed");

    let refused = book(node, &rid, "14:00", "15:00");
    assert!(!refused.status.success(), "a failed write was acknowledged");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("storage_failed"), "{err}");

    // The node is up: reads work, status says what happened and what to do.
    let status: Status = node.json(&["status"]);
    let fault = status.storage_fault.expect("status reports the fault");
    assert!(fault.contains("restart"), "{fault}");
    // So does the health check, which systemd and load checks read.
    let health = rt.block_on(anonymous.health()).expect("healthz");
    assert_eq!(
        health.reason.as_deref(),
        Some("storage_fault"),
        "{health:?}"
    );
    assert!(!health.ok);
    // Reads are served from memory, which may still show the change whose
    // write failed (until the restart below drops it): every acknowledged
    // booking is there.
    let shown = ids_on(node, &rid);
    assert!(acked.iter().all(|id| shown.contains(id)), "{shown:?}");
    // Writes stay refused, with the same clear error.
    let again = book(node, &rid, "16:00", "17:00");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("storage_failed"));

    // Restarted on a healthy store: every acknowledged booking, nothing else.
    node.kill9();
    node.start().expect("restart");
    wait_for("the node restored", Duration::from_secs(30), || {
        let s: Status = node.json(&["status"]);
        s.storage_fault.is_none().then_some(())
    });
    assert_eq!(
        ids_on(node, &rid),
        acked,
        "exactly the acknowledged bookings"
    );
    let out = book(node, &rid, "14:00", "15:00");
    assert!(out.status.success(), "writes again: {out:?}");
}
