//! A damaged store, with real node processes: a database sled cannot open
//! is a clear error (no panic, exit 1) that says what to do; a store that
//! lost acknowledged changes of its own is caught at start, the node says
//! so in `status` and refuses writes until a peer has given them back;
//! `tongchou verify` finds both offline.

use std::time::Duration;

use crdt_model::calendar::Booking;
use crdt_model::resource::Resource;
use harness::{Node, cli, network, wait_for, workday};

fn book(node: &Node, rid: &str, day: usize, from: &str, to: &str) -> std::process::Output {
    cli(
        &node.home,
        &[
            "--json",
            "book",
            rid,
            "--from",
            &workday(day, from),
            "--to",
            &workday(day, to),
        ],
    )
}

fn publish(node: &Node) -> String {
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
        "1000",
    ]);
    res.id.to_string()
}

#[test]
fn a_database_sled_cannot_open_is_a_clear_error_and_verify_says_what_to_do() {
    let mut nodes = network("damaged-db", 1);
    let node = &mut nodes[0];
    let rid = publish(node);
    // Enough writes for sled's log to span several segments.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let resource: crdt_model::ids::ResourceId = rid.parse().expect("resource id");
    for i in 0..300 {
        let start = harness::workday_instant(2 + i % 5, "09:00");
        rt.block_on(node.api().book(&api::BookRequest {
            wait_list: false,
            resource: resource.clone(),
            start,
            end: harness::workday_instant(2 + i % 5, "10:00"),
            quantity: 1,
            contact: String::new(),
            purpose: format!("p{i}"),
        }))
        .expect("booked");
    }
    node.stop();
    let ok = cli(&node.home, &["verify"]);
    assert!(
        ok.status.success(),
        "a healthy home verifies: {}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // Cut sled's log file in half (sled 0.34 panics on it:
    // "tried to serialize Uninitialized").
    let db = node.home.join("db").join("db");
    let len = std::fs::metadata(&db).expect("sled's file").len();
    eprintln!("sled db file: {len} bytes, cut to {}", len / 2);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let out = cli(
        &node.home,
        &[
            "run",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--api",
            "127.0.0.1:0",
            "--no-mdns",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an error, not a panic (101): {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("is damaged") && err.contains("tongchou restore"),
        "{err}"
    );
    assert!(
        err.contains(&node.home.display().to_string()),
        "names the home: {err}"
    );
    let v = cli(&node.home, &["verify"]);
    let said = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(1), "{said}");
    assert!(
        said.contains("✗ store") && said.contains("tongchou restore"),
        "{said}"
    );
    let v = cli(&node.home, &["--lang", "zh", "verify"]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("从备份恢复"));
}

#[test]
fn a_store_that_lost_acknowledged_changes_refuses_writes_until_a_peer_gives_them_back() {
    let mut nodes = network("damaged-gap", 2);
    let rid = publish(&nodes[0]);
    nodes[1].wait_resource(&rid);
    let mut acked = Vec::new();
    for h in 9..15 {
        let out = book(
            &nodes[0],
            &rid,
            2,
            &format!("{h:02}:00"),
            &format!("{h:02}:30"),
        );
        assert!(out.status.success(), "{out:?}");
        let b: Booking = serde_json::from_slice(&out.stdout).expect("json");
        acked.push(b.id);
    }
    let me = nodes[0].agency();
    let docs = nodes[0].status().docs;
    let (doc, held) = docs
        .iter()
        .find(|(d, _)| d.owner == me && d.to_string().starts_with("requests/"))
        .map(|(d, n)| (d.clone(), *n))
        .expect("node 0's requests document");
    assert!(held >= 6, "{held}");
    wait_for(
        "node 1 holds node 0's requests",
        Duration::from_secs(30),
        || (nodes[1].status().docs.get(&doc) == Some(&held)).then_some(()),
    );
    // Both stop; node 0's store loses the last three changes of the
    // document, as a damaged disk would lose them.
    nodes[1].stop();
    nodes[0].stop();
    {
        let store = node::store::SledStore::open(&nodes[0].home.join("db")).expect("store");
        let gone = store.forget_changes(&doc, held - 2).expect("forget");
        assert_eq!(gone, 3);
    }
    // Offline, verify finds the loss and says what to do.
    let v = cli(&nodes[0].home, &["verify"]);
    let said = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(1), "{said}");
    assert!(
        said.contains("✗ acknowledged") && said.contains(&format!("holds {} of {held}", held - 3)),
        "{said}"
    );
    // Node 0 starts alone: it says what it lacks and refuses writes.
    nodes[0].start().expect("node 0 starts");
    let status = nodes[0].status();
    assert_eq!(status.own_gaps.len(), 1, "{status:?}");
    assert_eq!(
        (status.own_gaps[0].held, status.own_gaps[0].acknowledged),
        (held - 3, held)
    );
    let refused = book(&nodes[0], &rid, 3, "09:00", "10:00");
    assert!(
        !refused.status.success(),
        "a write past the gap was accepted"
    );
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("lost changes it had acknowledged"), "{err}");
    let plain = cli(&nodes[0].home, &["status"]);
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("STORE LOST ACKNOWLEDGED CHANGES"),
        "{plain:?}"
    );
    let log = std::fs::read_to_string(nodes[0].home.join("node.log")).expect("log");
    assert!(
        log.contains("lost changes it had acknowledged"),
        "the log says so"
    );
    // Node 1 comes back: it gives the changes back, writes resume.
    nodes[1].start().expect("node 1 starts");
    wait_for(
        &format!("node 0's gap closed\n{}", nodes[0].diagnose()),
        Duration::from_secs(60),
        || nodes[0].status().own_gaps.is_empty().then_some(()),
    );
    let ids: Vec<_> = nodes[0].bookings(&[]).into_iter().map(|b| b.id).collect();
    assert!(
        acked.iter().all(|id| ids.contains(id)),
        "every acknowledged booking is back"
    );
    let out = book(&nodes[0], &rid, 3, "09:00", "10:00");
    assert!(out.status.success(), "writes again: {out:?}");
    let b: Booking = serde_json::from_slice(&out.stdout).expect("json");
    wait_for(
        "node 1 takes the new booking",
        Duration::from_secs(30),
        || nodes[1].booking(&b.id).map(|_| ()),
    );
    let s = nodes[1].status();
    assert_eq!(s.refused_total, 0, "no fork: {:?}", s.refused);
}
