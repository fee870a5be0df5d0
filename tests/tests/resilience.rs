//! Partitions, crashes, catch-up and outsiders, with real node processes.

use std::time::Duration;

use api::BookRequest;
use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::ids::BookingId;
use crdt_model::resource::Resource;
use harness::{Node, cli, fresh_dir, network, wait_for};

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
    let r: Resource = owner.json(&a);
    r.id.to_string()
}

fn bookings(node: &Node, rid: &str) -> Vec<Booking> {
    node.bookings(&["--resource", rid])
}

/// Peak usage of confirmed bookings over `node`'s copy of resource `rid`
/// above its capacity (0 when the capacity holds there).
fn overbooking(node: &Node, rid: &str) -> u32 {
    harness::overbooking(&node.resources(), &bookings(node, rid))
}

#[test]
fn requests_made_while_the_owner_is_down_are_ranked_alike_then_resolved() {
    let mut nodes = network("partition", 3);
    let rid = publish(&nodes[0], "lot-1", &["--kind", "parking", "--units", "2"]);
    nodes[1].wait_resource(&rid);
    nodes[2].wait_resource(&rid);
    nodes[0].stop();
    let mut ids = Vec::new();
    let (from, to) = (harness::workday(7, "09:00"), harness::workday(7, "12:00"));
    for (i, n) in [1, 2, 1, 2].iter().enumerate() {
        let b: Booking = nodes[*n].json(&[
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
        assert!(matches!(b.status, Status::Tentative { .. }), "{b:?}");
        ids.push(b.id);
    }
    // B and C rank the four requests identically while the owner is away.
    let rank = |n: &Node| -> Option<Vec<(BookingId, u32)>> {
        let list = bookings(n, &rid);
        (list.len() == 4).then_some(())?;
        list.into_iter()
            .map(|b| match b.status {
                Status::Tentative { rank, .. } => Some((b.id, rank)),
                _ => None,
            })
            .collect()
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
    let mut ranks: Vec<u32> = sorted_b.iter().map(|(_, r)| *r).collect();
    ranks.sort();
    assert_eq!(ranks, [1, 2, 3, 4], "one line, every request a place");
    nodes[0].start().expect("the owner returns");
    for n in &nodes {
        let list = wait_for(
            "all decided after the owner returned",
            Duration::from_secs(30),
            || {
                let l = bookings(n, &rid);
                (l.len() == 4
                    && l.iter()
                        .all(|b| !matches!(b.status, Status::Tentative { .. })))
                .then_some(l)
            },
        );
        assert_eq!(
            list.iter()
                .filter(|b| b.status == Status::Confirmed)
                .count(),
            2
        );
        assert_eq!(overbooking(n, &rid), 0, "capacity exceeded: {list:?}");
    }
    assert_eq!(bookings(&nodes[0], &rid), bookings(&nodes[1], &rid));
    assert_eq!(bookings(&nodes[1], &rid), bookings(&nodes[2], &rid));
}

async fn burst(
    api: api::Client,
    rid: String,
    n: usize,
    acks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> Vec<BookingId> {
    let rid: crdt_model::ids::ResourceId = rid.parse().expect("resource id");
    let mut tasks = Vec::new();
    // Days from tomorrow on (UTC), whatever today is.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    for i in 0..n {
        let (api, rid, acks) = (api.clone(), rid.clone(), acks.clone());
        tasks.push(tokio::spawn(async move {
            let day = today
                .checked_add(jiff::Span::new().days(1 + ((i / 20) % 28) as i64))
                .expect("a date before 9999");
            let start = day
                .at(8 + (i % 10) as i8, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .expect("a valid time")
                .timestamp();
            let b = api
                .book(&BookRequest {
                    wait_list: false,
                    resource: rid,
                    start,
                    end: start + jiff::SignedDuration::from_mins(30),
                    quantity: 1,
                    contact: String::new(),
                    purpose: format!("burst {i}"),
                })
                .await
                .ok()?;
            acks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(b.id)
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

/// Whether `node` sees `peer` connected, and blocked by its operator.
fn link(node: &Node, peer: &crdt_model::ids::AgencyId) -> (bool, bool) {
    node.status()
        .peers
        .iter()
        .find(|p| p.agency == *peer)
        .map_or((false, false), |p| (p.connected, p.blocked.is_some()))
}

#[test]
fn operators_blocking_a_member_partition_it_until_they_unblock() {
    let mut nodes = network("block", 3);
    let rid = publish(&nodes[0], "lot-b", &["--kind", "parking", "--units", "1"]);
    nodes[1].wait_resource(&rid);
    nodes[2].wait_resource(&rid);
    let ids: Vec<String> = nodes.iter().map(|n| n.agency().to_string()).collect();
    // Bad input changes nothing.
    let own = nodes[1].cli(&["block", &ids[1]]);
    assert!(!own.status.success());
    assert!(String::from_utf8_lossy(&own.stderr).contains("own agency"));
    let not = nodes[1].cli(&["unblock", &ids[0]]);
    assert!(!not.status.success());
    assert!(String::from_utf8_lossy(&not.stderr).contains("not blocked"));
    let stranger = crdt_model::agency::AgencyKey::from_secret(&[77; 32]).id();
    assert!(
        !nodes[1]
            .cli(&["block", &stranger.to_string()])
            .status
            .success()
    );
    // Cut B (node 1) off: it blocks both others, they block it.
    let list: Vec<api::BlockedPeer> = nodes[1].json(&["block", &ids[0]]);
    assert_eq!(list.len(), 1);
    let list: Vec<api::BlockedPeer> = nodes[1].json(&["block", &ids[2], "--minutes", "60"]);
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .any(|b| b.agency == nodes[2].agency() && b.until.is_some())
    );
    let _: Vec<api::BlockedPeer> = nodes[0].json(&["block", &ids[1]]);
    let _: Vec<api::BlockedPeer> = nodes[2].json(&["block", &ids[1]]);
    let b = nodes[1].agency();
    wait_for("B cut off", Duration::from_secs(30), || {
        let a_side = [&nodes[0], &nodes[2]]
            .iter()
            .all(|n| link(n, &b) == (false, true));
        let b_side = [0, 2]
            .iter()
            .all(|&i| link(&nodes[1], &nodes[i].agency()) == (false, true));
        (a_side && b_side).then_some(())
    });
    // A block outlives a restart.
    nodes[1].restart().expect("restart B");
    assert_eq!(link(&nodes[1], &nodes[0].agency()), (false, true));
    // B asks first for the only unit, C second; only C's request reaches the
    // owner, which confirms it.
    let (from, to) = (harness::workday(9, "09:00"), harness::workday(9, "11:00"));
    let on_b: Booking = nodes[1].json(&["book", &rid, "--from", &from, "--to", &to]);
    assert!(matches!(on_b.status, Status::Tentative { .. }), "{on_b:?}");
    let on_c: Booking = nodes[2].json(&["book", &rid, "--from", &from, "--to", &to]);
    nodes[2].wait_confirmed(&on_c.id);
    let at_owner: Vec<BookingId> = bookings(&nodes[0], &rid)
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(
        at_owner,
        vec![on_c.id.clone()],
        "B's request crossed the partition"
    );
    // Heal: B's request arrives and cannot take the unit C holds.
    for (n, peer) in [(1, 0), (1, 2), (0, 1), (2, 1)] {
        let left: Vec<api::BlockedPeer> = nodes[n].json(&["unblock", &ids[peer]]);
        assert!(left.iter().all(|x| x.agency.to_string() != ids[peer]));
    }
    wait_for(
        "B's request decided everywhere",
        Duration::from_secs(60),
        || {
            nodes
                .iter()
                .all(|n| {
                    n.booking(&on_b.id)
                        .is_some_and(|x| !matches!(x.status, Status::Tentative { .. }))
                })
                .then_some(())
        },
    );
    for n in &nodes {
        let status = n.booking(&on_b.id).map(|x| x.status);
        assert!(!matches!(status, Some(Status::Confirmed)), "{status:?}");
        assert_eq!(overbooking(n, &rid), 0);
    }
    wait_for("A and B connected again", Duration::from_secs(30), || {
        (link(&nodes[0], &b) == (true, false)
            && link(&nodes[1], &nodes[0].agency()) == (true, false))
            .then_some(())
    });
}

#[test]
fn acknowledged_bookings_survive_kill_9_in_the_middle_of_a_burst() {
    let mut nodes = network("crash", 2);
    let rid = publish(&nodes[0], "lot-2", &["--kind", "parking", "--units", "500"]);
    nodes[1].wait_resource(&rid);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handle = rt.spawn(burst(
        nodes[1].api().clone(),
        rid.clone(),
        600,
        acks.clone(),
    ));
    // Kill the node once part of the burst has been acknowledged.
    wait_for(
        "some bookings acknowledged",
        Duration::from_secs(60),
        || (acks.load(std::sync::atomic::Ordering::SeqCst) >= 50).then_some(()),
    );
    nodes[1].kill9();
    let acked = rt.block_on(handle).unwrap();
    assert!(acked.len() >= 50, "only {} acknowledged", acked.len());
    nodes[1].start().expect("restart after kill -9");
    let have: std::collections::BTreeSet<BookingId> = nodes[1]
        .bookings(&["--mine"])
        .into_iter()
        .map(|b| b.id)
        .collect();
    let lost: Vec<&BookingId> = acked.iter().filter(|id| !have.contains(*id)).collect();
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
            let ids: std::collections::BTreeSet<BookingId> = bookings(&nodes[0], &rid)
                .into_iter()
                .map(|b| b.id)
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
    nodes[2].wait_resource(&rid);
    nodes[2].stop();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acked = rt.block_on(burst(
        nodes[1].api().clone(),
        rid.clone(),
        n,
        Default::default(),
    ));
    assert_eq!(acked.len(), n);
    let changes = |node: &Node| -> u64 { node.status().changes };
    // The owner takes the burst in as it comes; until it holds it all, the
    // requester is ahead of it, and a node coming back would be sent what
    // the owner lacks by the requester as well (a catch-up from two).
    wait_for(
        "the owner holds every request",
        Duration::from_secs(120),
        || (changes(&nodes[0]) == changes(&nodes[1])).then_some(()),
    );
    nodes[2].start().expect("the returning node");
    let target = changes(&nodes[1]);
    wait_for(
        "the returning node holds every change",
        Duration::from_secs(120),
        || (changes(&nodes[2]) >= target).then_some(()),
    );
    assert_eq!(bookings(&nodes[2], &rid).len(), n);
    // It received about one copy of what it missed, not one from each
    // peer (the issue's bound: 1.5 copies; received again counts twice).
    let st = nodes[2].status();
    let (received, again) = st.changes_received();
    let copy = received - again;
    assert!(copy > 0, "it received the changes it missed");
    assert!(
        received as f64 <= 1.5 * copy as f64,
        "received {received} bytes for {copy} missed"
    );
}

#[test]
fn an_outsider_with_a_valid_identity_cannot_hold_a_connection_or_write() {
    let nodes = network("outsider", 2);
    let rogue_home = fresh_dir("rogue").join("r");
    harness::cli_ok(
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
    let mut rogue = Node::new(&harness::tongchou(), "rogue", rogue_home);
    rogue.peers = vec![nodes[0].addr()];
    rogue.start().expect("the outsider's node");
    let rogue_peer = rogue.addr().rsplit('/').next().unwrap().to_string();
    let _: Resource = rogue.json(&[
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
            let s = nodes[0].status();
            (!s.transport_peers.contains(&rogue_peer)).then_some(())
        },
    );
    assert_eq!(nodes[0].connected_peers(), 1, "{:?}", nodes[0].status());
    // It redials; a non-member cut recently is refused at once, for
    // longer each time.
    wait_for(
        "the outsider's redial is refused",
        Duration::from_secs(30),
        || (nodes[0].status().refused_connections >= 1).then_some(()),
    );
    assert!(
        nodes[0]
            .resources()
            .iter()
            .all(|r| r.id.local.as_str() != "fake")
    );
    // An invitation valid for more than 30 days is refused, clearly.
    let long = cli(
        &nodes[0].home,
        &["invite", "--agency", "y", "--expires", "60d"],
    );
    assert!(!long.status.success(), "a 60-day invitation was issued");
    let why = String::from_utf8_lossy(&long.stderr);
    assert!(
        why.contains("30 days") && why.contains("bad_request"),
        "{why}"
    );
    // A reused invitation is refused with a clear message.
    let token = nodes[0]
        .ok(&["invite", "--agency", "x", "--expires", "1h"])
        .trim()
        .to_string();
    let d = fresh_dir("reuse");
    harness::cli_ok(
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
