//! Thirty node processes on 127.0.0.1 meeting through a bootstrap peer,
//! each holding at most 12 connections, five of them owners of a room
//! each, the other twenty-five each following three owners (by id, not
//! their own city): each node's store holds only its interest plus the
//! roster and every catalogue; every booking reaches every node interested
//! in its owner (through the followers, where the owner's node is full)
//! and no other; a node that follows a fourth owner catches up on it; no
//! node ever holds more than 12 connections; the free/busy of owners a
//! node does not follow is fetched on demand. The bootstrap peer answers
//! in pages of 5 registrations, so members are found page by page.

use std::collections::BTreeSet;
use std::time::Duration;

use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::ids::{AgencyId, BookingId, DocKind};
use crdt_model::interest::subject;
use crdt_model::resource::Resource;
use harness::{Node, network_with, wait_for, workday};

const CITIES: [&str; 5] = ["深圳", "杭州", "石家庄", "南宁", "广州"];

/// The bookings a node shows, by id.
fn shown(node: &Node) -> BTreeSet<BookingId> {
    node.bookings(&[])
        .into_iter()
        .filter(|b| b.status == Status::Confirmed)
        .map(|b| b.id)
        .collect()
}

/// Every document the node holds, beyond catalogues, is its own or
/// concerns an owner in `owners`.
fn holds_only(node: &Node, owners: &BTreeSet<AgencyId>) {
    let me = node.agency();
    for doc in node.status().docs.keys() {
        if doc.kind == DocKind::Catalog || doc.owner == me {
            continue;
        }
        assert!(
            owners.contains(&subject(doc)),
            "{} holds {doc}, outside its interest",
            node.name
        );
    }
}

#[test]
fn thirty_nodes_each_hold_what_they_follow() {
    // Answers of 5 registrations at a time: the network's namespace of 30
    // members comes in 6 pages, as a province's 30,000 would come in 30.
    let mut nodes = network_with(
        "scale30",
        30,
        true,
        &["--max-connections", "12", "--discover-page", "5"],
    );
    let bounded = |nodes: &[Node]| {
        for n in nodes {
            let st = n.status();
            let c = st.peers.iter().filter(|p| p.connected).count();
            assert!(c <= 12, "{} holds {c} connections", n.name);
            assert_eq!(st.connections.max, 12);
            assert!(
                st.connections.dialled <= 6 && st.connections.accepted <= 6,
                "{}: {:?}",
                n.name,
                st.connections
            );
        }
    };
    let owners: Vec<AgencyId> = nodes[..5].iter().map(Node::agency).collect();
    let rooms: Vec<String> = nodes[..5]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let r: Resource = n.json(&[
                "resource",
                "add",
                "--id",
                "room",
                "--name",
                &format!("会议室{i}"),
                "--name-en",
                &format!("Room {i}"),
                "--city",
                CITIES[i],
                "--people",
                "30",
            ]);
            r.id.to_string()
        })
        .collect();
    for n in &nodes {
        for r in &rooms {
            n.wait_resource(r);
        }
    }
    // Node i (5..30) follows owners i, i+1, i+2 (mod 5) and not its city.
    let follows = |i: usize| -> Vec<usize> { (0..3).map(|k| (i + k) % 5).collect() };
    for (i, n) in nodes.iter().enumerate().skip(5) {
        let list = follows(i)
            .iter()
            .map(|o| owners[*o].to_string())
            .collect::<Vec<_>>()
            .join(",");
        n.ok(&["follow", "--owner", &list]);
        n.ok(&["unfollow", "--city", CITIES[i % 5]]);
    }
    bounded(&nodes);
    // Every node has found every other member at the bootstrap peer, in
    // pages of 5.
    for n in &nodes {
        wait_for(
            &format!("{} finds the 29 other members", n.name),
            Duration::from_secs(60),
            || (n.status().connections.found == 29).then_some(()),
        );
    }
    // Each follower books its first owner's room, an hour each.
    let mut made: Vec<(usize, Booking)> = Vec::new();
    for (i, n) in nodes.iter().enumerate().skip(5) {
        let o = follows(i)[0];
        let day = 1 + (i - 5) / 8;
        let hour = 8 + (i - 5) % 8;
        let b: Booking = n.json(&[
            "book",
            &rooms[o],
            "--from",
            &workday(day, &format!("{hour:02}:00")),
            "--to",
            &workday(day, &format!("{hour:02}:50")),
            "--wait",
            "30",
        ]);
        assert_eq!(b.status, Status::Confirmed, "{b:?}");
        made.push((o, b));
    }
    // Every node shows exactly the bookings of the owners it follows.
    for (i, n) in nodes.iter().enumerate() {
        let mine: BTreeSet<usize> = if i < 5 {
            (0..5).collect()
        } else {
            follows(i).into_iter().collect()
        };
        let want: BTreeSet<BookingId> = made
            .iter()
            .filter(|(o, _)| mine.contains(o))
            .map(|(_, b)| b.id.clone())
            .collect();
        wait_for(
            &format!("{} shows the bookings of its owners", n.name),
            Duration::from_secs(90),
            || (shown(n) == want).then_some(()),
        );
        if i >= 5 {
            let set: BTreeSet<AgencyId> = mine.iter().map(|o| owners[*o]).collect();
            holds_only(n, &set);
        }
    }
    bounded(&nodes);
    // The bookings and decisions went live on the owners' topics: each
    // owner published its decisions there, each follower is subscribed to
    // its own topic and its three owners' (and its city's), and took in
    // changes from them.
    for (i, n) in nodes.iter().enumerate() {
        let t = n.status().topics;
        if i < 5 {
            assert!(t.published > 0, "{} published nothing: {t:?}", n.name);
        } else {
            assert!(t.subscribed >= 4, "{}: {t:?}", n.name);
            assert!(
                t.received > 0,
                "{} received nothing on topics: {t:?}",
                n.name
            );
        }
    }
    // Node 5 follows owners 0, 1, 2: the free/busy of owners 3 and 4 is
    // fetched on demand (from the owner or a node following it, dialled
    // if none is connected) and shows their rooms' booked hours, and only
    // those.
    let (from, to) = (workday(1, "00:00"), workday(5, "00:00"));
    let list = format!("{},{}", owners[3], owners[4]);
    let busy: api::BusyAnswer = nodes[5].json(&[
        "busy",
        "--owner",
        &list,
        "--from",
        &from,
        "--to",
        &to,
        "--max-age",
        "0",
    ]);
    for o in [3, 4] {
        let view = busy
            .views
            .iter()
            .find(|v| v.owner == owners[o])
            .unwrap_or_else(|| panic!("owner {o}'s free/busy: {busy:?}"));
        let mut got: Vec<_> = view
            .resources
            .values()
            .flatten()
            .map(|b| (b.start, b.end))
            .collect();
        got.sort();
        let mut want: Vec<_> = made
            .iter()
            .filter(|(x, _)| *x == o)
            .map(|(_, b)| (b.terms.start, b.terms.end))
            .collect();
        want.sort();
        assert_eq!(got, want, "owner {o}'s booked hours, from {}", view.source);
    }
    bounded(&nodes);
    // Node 5 follows owners 0, 1, 2; it follows owner 3 too and catches up.
    let before = shown(&nodes[5]);
    nodes[5].ok(&["follow", "--owner", &owners[3].to_string()]);
    let want: BTreeSet<BookingId> = before
        .into_iter()
        .chain(
            made.iter()
                .filter(|(o, _)| *o == 3)
                .map(|(_, b)| b.id.clone()),
        )
        .collect();
    wait_for(
        "node 5 caught up on owner 3",
        Duration::from_secs(90),
        || (shown(&nodes[5]) == want).then_some(()),
    );
    bounded(&nodes);
    for n in &mut nodes {
        n.stop();
    }
}
