//! Four agencies in three cities find each other through a bootstrap peer
//! alone: after joining, each node's configuration names no other member,
//! only the bootstrap peer (`tongchou run --bootstrap-only`), which holds no
//! agency data. They discover each other there, connect, and a booking made
//! in Nanning on a Shenzhen room reaches everyone. Hangzhou and Nanning run
//! as if behind NAT (`--relay`): they advertise only addresses through the
//! bootstrap peer's relay, so they can reach each other only through it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use integration::{Node, cli_ok, fresh_dir, tongchou, wait_for};
use serde_json::Value;

struct Bootstrap(Child);

impl Drop for Bootstrap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn members_in_three_cities_meet_through_a_bootstrap_peer() {
    let dir = fresh_dir("bootstrap");
    let b_home = dir.join("bootstrap");
    std::fs::create_dir_all(&b_home).expect("home");
    let log = std::fs::File::create(b_home.join("node.log")).expect("log");
    let child = Command::new(tongchou())
        .arg("--home")
        .arg(&b_home)
        .args([
            "run",
            "--bootstrap-only",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
        ])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("starting the bootstrap peer");
    let _guard = Bootstrap(child);
    let b_addr = wait_for(
        "the bootstrap peer's address",
        Duration::from_secs(30),
        || {
            let text = std::fs::read_to_string(b_home.join("bootstrap.json")).ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            v["listen"][0].as_str().map(str::to_string)
        },
    );

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
    let mut nodes = vec![Node::new(homes[0].clone())];
    nodes[0].start_with(&["--bootstrap", &b_addr]);
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
        cfg.bootstrap = vec![b_addr.clone()];
        home.write_config(&cfg).expect("write config");
        let mut n = Node::new(homes[i].clone());
        n.start_with(if i >= 2 { &["--relay"] } else { &[] });
        nodes.push(n);
    }
    for n in &nodes {
        wait_for(
            &format!("{} connected to the 3 others", n.home.display()),
            Duration::from_secs(60),
            || {
                let s: Value = n.json(&["status"]);
                let up = s["peers"]
                    .as_array()?
                    .iter()
                    .filter(|p| p["connected"] == true)
                    .count();
                (up == 3).then_some(())
            },
        );
    }
    // The two "behind NAT" are reachable only through the relay.
    for n in &nodes[2..] {
        wait_for("a relayed address", Duration::from_secs(30), || {
            let s: Value = n.json(&["status"]);
            s["listen"]
                .as_array()?
                .iter()
                .any(|a| a.as_str().is_some_and(|a| a.contains("/p2p-circuit")))
                .then_some(())
        });
    }
    let room: Value = nodes[0].json(&[
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
    let rid = room["id"].as_str().expect("id").to_string();
    wait_for("the room in Nanning", Duration::from_secs(30), || {
        let list: Value = nodes[3].json(&["resources"]);
        list.as_array()?
            .iter()
            .any(|r| r["id"] == rid.as_str())
            .then_some(())
    });
    let b: Value = nodes[3].json(&[
        "book",
        &rid,
        "--from",
        &integration::workday(3, "09:00"),
        "--to",
        &integration::workday(3, "10:00"),
        "--wait",
        "20",
    ]);
    assert_eq!(b["status"], "confirmed", "{b}");
    let id = b["id"].as_str().expect("id").to_string();
    for n in &nodes {
        wait_for("the booking everywhere", Duration::from_secs(30), || {
            let list: Value = n.json(&["bookings"]);
            list.as_array()?
                .iter()
                .any(|x| x["id"] == id.as_str() && x["status"] == "confirmed")
                .then_some(())
        });
    }
    // The bootstrap peer holds no agency data.
    assert!(!b_home.join("db").exists());
    assert!(!b_home.join("agency.key").exists());
}
