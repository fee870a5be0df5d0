//! Partitions, crashes, catch-up and outsiders, with real node processes.

use std::time::Duration;

use integration::{Node, cli, fresh_dir, network, wait_for};
use serde_json::{Value, json};

fn publish(owner: &Node, id: &str, args: &[&str]) -> String {
    let mut a = vec![
        "resource",
        "add",
        "--id",
        id,
        "--name",
        "共享车位",
        "--city",
        "杭州",
        "--city-en",
        "Hangzhou",
    ];
    a.extend_from_slice(args);
    let v: Value = owner.json(&a);
    v["id"].as_str().unwrap().to_string()
}

fn wait_resource(node: &Node, rid: &str) {
    wait_for("resource replicated", Duration::from_secs(30), || {
        let list: Value = node.json(&["resources"]);
        list.as_array()?
            .iter()
            .any(|r| r["id"] == rid)
            .then_some(())
    });
}

fn bookings(node: &Node, rid: &str) -> Vec<Value> {
    let v: Value = node.json(&["bookings", "--resource", rid]);
    v.as_array().cloned().unwrap_or_default()
}

/// Peak usage of confirmed bookings (units) from a node's listing.
fn peak(list: &[Value]) -> u64 {
    let mut ev: Vec<(String, i64)> = Vec::new();
    for b in list.iter().filter(|b| b["status"] == "confirmed") {
        let q = b["terms"]["quantity"].as_i64().unwrap();
        ev.push((b["terms"]["start"].as_str().unwrap().to_string(), q));
        ev.push((b["terms"]["end"].as_str().unwrap().to_string(), -q));
    }
    ev.sort();
    let (mut cur, mut max) = (0i64, 0i64);
    for (_, d) in ev {
        cur += d;
        max = max.max(cur);
    }
    max as u64
}

#[test]
fn requests_made_while_the_owner_is_down_are_ranked_alike_then_resolved() {
    let mut nodes = network("partition", 3);
    let rid = publish(&nodes[0], "lot-1", &["--kind", "parking", "--units", "2"]);
    wait_resource(&nodes[1], &rid);
    wait_resource(&nodes[2], &rid);
    nodes[0].stop();
    let mut ids = Vec::new();
    let (from, to) = (
        integration::workday(7, "09:00"),
        integration::workday(7, "12:00"),
    );
    for (i, n) in [1, 2, 1, 2].iter().enumerate() {
        let b: Value = nodes[*n].json(&[
            "book",
            &rid,
            "--from",
            &from,
            "--to",
            &to,
            "--quantity",
            "1",
            "--purpose",
            &format!("p{i}"),
        ]);
        assert_eq!(b["status"], "tentative", "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    // B and C rank the four requests identically while the owner is away.
    let rank = |n: &Node| -> Option<Vec<(String, String)>> {
        let list = bookings(n, &rid);
        (list.len() == 4).then(|| {
            list.iter()
                .map(|b| (b["id"].as_str().unwrap().to_string(), b["rank"].to_string()))
                .collect()
        })
    };
    let on_b = wait_for("four requests on B", Duration::from_secs(30), || {
        rank(&nodes[1])
    });
    let on_c = wait_for("four requests on C", Duration::from_secs(30), || {
        rank(&nodes[2])
    });
    let mut sorted_b = on_b.clone();
    sorted_b.sort();
    let mut sorted_c = on_c.clone();
    sorted_c.sort();
    assert_eq!(sorted_b, sorted_c);
    nodes[0].restart();
    for n in &nodes {
        let list = wait_for(
            "all decided after the owner returned",
            Duration::from_secs(30),
            || {
                let l = bookings(n, &rid);
                (l.len() == 4 && l.iter().all(|b| b["status"] != "tentative")).then_some(l)
            },
        );
        assert_eq!(
            list.iter().filter(|b| b["status"] == "confirmed").count(),
            2
        );
        assert!(peak(&list) <= 2, "capacity exceeded: {list:?}");
    }
    assert_eq!(bookings(&nodes[0], &rid), bookings(&nodes[1], &rid));
    assert_eq!(bookings(&nodes[1], &rid), bookings(&nodes[2], &rid));
}

async fn burst(
    base: String,
    token: String,
    rid: String,
    n: usize,
    acks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Vec<String> {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut tasks = Vec::new();
    // Days from tomorrow on (UTC), whatever today is.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    for i in 0..n {
        let (http, base, token, rid, acks) = (
            http.clone(),
            base.clone(),
            token.clone(),
            rid.clone(),
            acks.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let day = today
                .checked_add(jiff::Span::new().days(1 + ((i / 20) % 28) as i64))
                .expect("a date before 9999");
            let hour = 8 + i % 10;
            let body = json!({"resource": rid, "start": format!("{day}T{hour:02}:00:00Z"), "end": format!("{day}T{hour:02}:30:00Z"), "quantity": 1, "purpose": format!("burst {i}")});
            let r = http.post(format!("{base}/api/v1/bookings")).bearer_auth(&token).json(&body).send().await.ok()?;
            if !r.status().is_success() {
                return None;
            }
            let v: Value = r.json().await.ok()?;
            acks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            v["id"].as_str().map(str::to_string)
        }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        if let Ok(Some(id)) = t.await {
            acked.push(id);
        }
    }
    acked
}

#[test]
fn acknowledged_bookings_survive_kill_9_in_the_middle_of_a_burst() {
    let mut nodes = network("crash", 2);
    let rid = publish(&nodes[0], "lot-2", &["--kind", "parking", "--units", "500"]);
    wait_resource(&nodes[1], &rid);
    let (base, token) = nodes[1].http();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handle = rt.spawn(burst(base, token, rid.clone(), 600, acks.clone()));
    // Kill the node once part of the burst has been acknowledged.
    wait_for(
        "some bookings acknowledged",
        Duration::from_secs(60),
        || (acks.load(std::sync::atomic::Ordering::SeqCst) >= 50).then_some(()),
    );
    nodes[1].kill9();
    let acked = rt.block_on(handle).unwrap();
    assert!(acked.len() >= 50, "only {} acknowledged", acked.len());
    nodes[1].restart();
    let mine: Value = nodes[1].json(&["bookings", "--mine"]);
    let have: std::collections::BTreeSet<String> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !have.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged bookings lost after kill -9: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    // And the owner catches up with every one of them.
    wait_for(
        "owner holds every acknowledged booking",
        Duration::from_secs(60),
        || {
            let on_owner = bookings(&nodes[0], &rid);
            let ids: std::collections::BTreeSet<String> = on_owner
                .iter()
                .map(|b| b["id"].as_str().unwrap().to_string())
                .collect();
            acked.iter().all(|id| ids.contains(id)).then_some(())
        },
    );
}

#[test]
fn a_node_offline_during_many_bookings_catches_up() {
    let n: usize = if std::env::var("TONGCHOU_HEAVY").is_ok() {
        10_000
    } else {
        1_500
    };
    let mut nodes = network("catchup", 3);
    let rid = publish(
        &nodes[0],
        "lot-3",
        &[
            "--kind",
            "parking",
            "--units",
            "100000",
            "--approval",
            "required",
        ],
    );
    wait_resource(&nodes[2], &rid);
    nodes[2].stop();
    let (base, token) = nodes[1].http();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acked = rt.block_on(burst(base, token, rid.clone(), n, Default::default()));
    assert_eq!(acked.len(), n);
    nodes[2].restart();
    let changes = |node: &Node| -> u64 {
        let s: Value = node.json(&["status"]);
        s["changes"].as_u64().unwrap()
    };
    let target = changes(&nodes[1]);
    wait_for(
        "the returning node holds every change",
        Duration::from_secs(120),
        || (changes(&nodes[2]) >= target).then_some(()),
    );
    assert_eq!(bookings(&nodes[2], &rid).len(), n);
}

#[test]
fn an_outsider_with_a_valid_identity_cannot_hold_a_connection_or_write() {
    let nodes = network("outsider", 2);
    let rogue_home = fresh_dir("rogue").join("r");
    integration::cli_ok(
        &rogue_home,
        &[
            "network",
            "create",
            "--name",
            "rogue",
            "--agency",
            "冒充者",
            "--city",
            "深圳",
        ],
    );
    let mut rogue = Node::new(rogue_home);
    rogue.start(&[nodes[0].addr()]);
    let rogue_peer = rogue.addr().rsplit('/').next().unwrap().to_string();
    let _: Value = rogue.json(&[
        "resource",
        "add",
        "--id",
        "fake",
        "--name",
        "假会议室",
        "--city",
        "深圳",
        "--people",
        "9",
    ]);
    // It may connect, but it is dropped without being admitted.
    wait_for(
        "the outsider is disconnected",
        Duration::from_secs(40),
        || {
            let s: Value = nodes[0].json(&["status"]);
            let peers = s["transport_peers"].as_array()?;
            (!peers.iter().any(|p| p == rogue_peer.as_str())).then_some(())
        },
    );
    let s: Value = nodes[0].json(&["status"]);
    assert_eq!(
        s["peers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["connected"] == true)
            .count(),
        1,
        "{s}"
    );
    let list: Value = nodes[0].json(&["resources"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|r| !r["id"].as_str().unwrap().ends_with("/fake"))
    );
    // A reused invitation is refused with a clear message.
    let token = nodes[0]
        .ok(&["invite", "--agency", "x", "--expires", "1h"])
        .trim()
        .to_string();
    let d = fresh_dir("reuse");
    integration::cli_ok(
        &d.join("one"),
        &["join", &token, "--agency", "一", "--city", "杭州"],
    );
    let out = cli(
        &d.join("two"),
        &["join", &token, "--agency", "二", "--city", "杭州"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already used"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
