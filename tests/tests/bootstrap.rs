//! Four agencies in three cities find each other through a bootstrap peer
//! alone: after joining, each node's configuration names no other member,
//! only the bootstrap peer (`tongchou run --bootstrap-only`), which holds no
//! agency data. They discover each other there, connect, and a booking made
//! in Nanning on a Shenzhen room reaches everyone. Hangzhou and Nanning run
//! as if behind NAT (`--relay`): they advertise only addresses through the
//! bootstrap peer's relay, so they can reach each other only through it.

use std::time::Duration;

use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::resource::Resource;
use harness::{BootstrapPeer, Node, cli_ok, fresh_dir, tongchou, wait_for};

#[test]
fn members_in_three_cities_meet_through_a_bootstrap_peer() {
    let dir = fresh_dir("bootstrap");
    let b_home = dir.join("bootstrap");
    let boot = BootstrapPeer::start(&tongchou(), &b_home, false).expect("the bootstrap peer");
    let b_addr = boot.addr.clone();

    let nodes = four_agencies(&dir, &b_addr);
    for n in &nodes {
        wait_for(
            &format!("{} connected to the 3 others", n.home.display()),
            Duration::from_secs(60),
            || (n.connected_peers() == 3).then_some(()),
        );
    }
    // The two "behind NAT" are reachable only through the relay.
    for n in &nodes[2..] {
        wait_for("a relayed address", Duration::from_secs(30), || {
            n.status()
                .listen
                .iter()
                .any(|a| a.contains("/p2p-circuit"))
                .then_some(())
        });
    }
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
    nodes[3].wait_resource(&rid);
    let b: Booking = nodes[3].json(&[
        "book",
        &rid,
        "--from",
        &harness::workday(3, "09:00"),
        "--to",
        &harness::workday(3, "10:00"),
        "--wait",
        "20",
    ]);
    assert_eq!(b.status, Status::Confirmed, "{b:?}");
    for n in &nodes {
        n.wait_confirmed(&b.id);
    }
    // The bootstrap peer holds no agency data.
    assert!(!b_home.join("db").exists());
    assert!(!b_home.join("agency.key").exists());
    drop(boot);
}

/// Four agencies in three cities: the first creates the network, the
/// others join by invitation and then know only the bootstrap peer at
/// `b_addr`; Hangzhou and Nanning run behind the relay.
fn four_agencies(dir: &std::path::Path, b_addr: &str) -> Vec<Node> {
    let cities = [
        ("深圳", "Shenzhen"),
        ("深圳", "Shenzhen"),
        ("杭州", "Hangzhou"),
        ("南宁", "Nanning"),
    ];
    let homes: Vec<_> = (0..4).map(|i| dir.join(format!("a{i}"))).collect();
    cli_ok(
        &homes[0],
        &[
            "network",
            "create",
            "--name",
            "bootstrap-test",
            "--agency",
            "机关0",
            "--city",
            "深圳",
            "--city-en",
            "Shenzhen",
        ],
    );
    let mut first = Node::new(&tongchou(), "机关0", homes[0].clone());
    first.bootstrap = vec![b_addr.to_string()];
    first.start().expect("the first node");
    let mut nodes = vec![first];
    for (i, (zh, en)) in cities.iter().enumerate().skip(1) {
        let token = nodes[0]
            .ok(&["invite", "--agency", &format!("机关{i}")])
            .trim()
            .to_string();
        cli_ok(
            &homes[i],
            &[
                "join",
                &token,
                "--agency",
                &format!("机关{i}"),
                "--city",
                zh,
                "--city-en",
                en,
            ],
        );
        // From now on the only address it knows is the bootstrap peer's.
        let home = node::config::Home::new(homes[i].clone());
        let mut cfg = home.config().expect("config");
        cfg.peers.clear();
        cfg.bootstrap = vec![b_addr.to_string()];
        home.write_config(&cfg).expect("write config");
        let mut n = Node::new(&tongchou(), &format!("机关{i}"), homes[i].clone());
        if i >= 2 {
            n.extra = vec!["--relay".into()];
        }
        n.start().expect("a member's node");
        nodes.push(n);
    }
    nodes
}
