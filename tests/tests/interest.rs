//! Interest across real node processes on 127.0.0.1: a node that follows
//! (`tongchou follow --owner | --city | --kind`) holds every catalogue and
//! the bookings of its own city, of the owners it booked from and of what
//! it follows, nothing else; bookings reach every interested node; a node
//! that follows one more owner (or books from it) catches up on it; what it
//! follows survives kill -9; bad names are refused with a clear error.
//! The free/busy of an owner it does not follow is fetched from the owner
//! (or, the owner away, from a node following it) for `busy` and `slots`.

use std::time::Duration;

use api::FollowsView;
use crdt_model::booking::Status;
use crdt_model::calendar::Booking;
use crdt_model::ids::BookingId;
use crdt_model::resource::Resource;
use harness::{Node, network, wait_for, workday};

fn publish_room(owner: &Node, id: &str) -> String {
    let r: Resource = owner.json(&[
        "resource",
        "add",
        "--id",
        id,
        "--name",
        "会议室",
        "--name-en",
        "Room",
        "--city",
        "杭州",
        "--city-en",
        "Hangzhou",
        "--people",
        "10",
    ]);
    r.id.to_string()
}

fn book(node: &Node, room: &str, day: usize) -> Booking {
    let b: Booking = node.json(&[
        "book",
        room,
        "--from",
        &workday(day, "09:00"),
        "--to",
        &workday(day, "10:00"),
        "--wait",
        "20",
    ]);
    assert_eq!(b.status, Status::Confirmed, "{b:?}");
    b
}

fn shows(node: &Node, id: &BookingId) {
    wait_for(
        &format!("{id} confirmed on {}", node.name),
        Duration::from_secs(60),
        || node.booking(id).filter(|b| b.status == Status::Confirmed),
    );
}

fn follows(node: &Node) -> FollowsView {
    node.json(&["follows"])
}

fn follows_owner(v: &FollowsView, node: &Node) -> bool {
    v.owners
        .as_ref()
        .is_some_and(|o| o.iter().any(|o| o.agency == node.agency()))
}

#[test]
fn each_node_holds_what_it_follows_and_catches_up_on_a_new_owner() {
    // Cities: 0 深圳, 1 杭州, 2 石家庄, 3 南宁, 4 广州, 5 深圳.
    let mut nodes = network("interest", 6);
    let r1 = publish_room(&nodes[1], "r1");
    let r2 = publish_room(&nodes[2], "r2");
    for n in &nodes {
        n.wait_resource(&r1);
        n.wait_resource(&r2);
    }
    let held_before = follows(&nodes[3]);
    assert!(
        held_before.follows.all,
        "a node follows everything at first"
    );
    assert!(held_before.owners.is_none());
    nodes[3].ok(&["follow", "--owner", "机关1"]);
    nodes[4].ok(&["follow", "--kind", "vehicle"]);
    nodes[5].ok(&["follow", "--city", "石家庄"]);
    let v3 = follows(&nodes[3]);
    assert!(!v3.follows.all && follows_owner(&v3, &nodes[1]), "{v3:?}");
    assert!(!follows_owner(&v3, &nodes[2]), "{v3:?}");
    let v5 = follows(&nodes[5]);
    assert!(
        follows_owner(&v5, &nodes[2]) && follows_owner(&v5, &nodes[0]),
        "own city and 石家庄: {v5:?}"
    );
    let zh = nodes[5].ok(&["--lang", "zh", "follows"]);
    assert!(zh.contains("机关2") && zh.contains("石家庄"), "{zh}");

    // Node 0 (it follows everything) books both rooms.
    let b1 = book(&nodes[0], &r1, 1);
    let b2 = book(&nodes[0], &r2, 1);
    for n in [0, 1, 3] {
        shows(&nodes[n], &b1.id);
    }
    for n in [0, 2, 5] {
        shows(&nodes[n], &b2.id);
    }
    // What they do not follow they do not hold.
    assert!(
        nodes[3].booking(&b2.id).is_none(),
        "node 3 holds 2's booking"
    );
    assert!(
        nodes[5].booking(&b1.id).is_none(),
        "node 5 holds 1's booking"
    );
    for id in [&b1.id, &b2.id] {
        assert!(nodes[4].booking(id).is_none(), "node 4 holds {id}");
    }
    assert!(follows(&nodes[3]).changes_held < follows(&nodes[0]).changes_held);
    // Its free-slot search covers the room of owner 2, which it does not
    // follow, by the free/busy fetched from owner 2: offered, but not in
    // the hour taken; and it says what it searched.
    let (from, to) = (workday(1, "08:00"), workday(1, "18:00"));
    let slots = ["slots", "--duration", "1h", "--from", &from, "--to", &to];
    let found: Vec<crdt_model::availability::Candidate> = nodes[3].json(&slots);
    let on = |r: &str| found.iter().filter(|c| c.resource.to_string() == r).count();
    assert!(on(&r1) > 0 && on(&r2) > 0, "both rooms offered: {found:?}");
    let taken = &b2.terms;
    assert!(
        found
            .iter()
            .filter(|c| c.resource.to_string() == r2)
            .all(|c| c.end <= taken.start || c.start >= taken.end),
        "room 2's booked hour is not offered: {found:?}"
    );
    let text = nodes[3].ok(&slots);
    assert!(text.contains("owners this node follows"), "{text}");
    // `tongchou busy` shows it, with who answered: the owner.
    let busy: api::BusyAnswer =
        nodes[3].json(&["busy", "--owner", "机关2", "--from", &from, "--to", &to]);
    let view = busy.views.first().expect("owner 2's free/busy");
    assert_eq!(view.source, nodes[2].agency(), "{busy:?}");
    let blocks: Vec<_> = view.resources.values().flatten().collect();
    assert_eq!(blocks.len(), 1, "{busy:?}");
    assert_eq!((blocks[0].start, blocks[0].end), (taken.start, taken.end));
    let zh = nodes[3].ok(&[
        "--lang", "zh", "busy", "--owner", "机关2", "--from", &from, "--to", &to,
    ]);
    assert!(zh.contains("忙闲信息来自") && zh.contains("已占用"), "{zh}");
    // The owner away, a node following it answers instead.
    let owner2 = nodes[2].agency();
    nodes[2].kill9();
    let busy: api::BusyAnswer = nodes[3].json(&[
        "busy",
        "--owner",
        "机关2",
        "--from",
        &from,
        "--to",
        &to,
        "--max-age",
        "0",
    ]);
    let view = busy.views.first().expect("owner 2's free/busy");
    assert_ne!(view.source, owner2, "{busy:?}");
    assert_eq!(view.resources.values().flatten().count(), 1, "{busy:?}");
    nodes[2].restart().expect("restart");
    // A bad window or owner is refused with a clear error.
    let out = nodes[3].cli(&["busy", "--owner", "机关2", "--from", &to, "--to", &from]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ends before it starts"));
    let out = nodes[3].cli(&["--lang", "zh", "busy", "--owner", "不存在的机关"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("网络中没有这个机构"));

    // Node 3 follows owner 2 too: it catches up on 2's bookings.
    let before = follows(&nodes[3]).changes_held;
    nodes[3].ok(&["follow", "--owner", &nodes[2].agency().to_string()]);
    shows(&nodes[3], &b2.id);
    assert!(follows(&nodes[3]).changes_held > before);
    // Node 4 books room 2: it now follows owner 2 (past bookings) and
    // catches up on the booking made before.
    let b4 = book(&nodes[4], &r2, 2);
    shows(&nodes[4], &b2.id);
    assert!(follows_owner(&follows(&nodes[4]), &nodes[2]));
    for n in [0, 2, 3, 5] {
        shows(&nodes[n], &b4.id);
    }
    assert!(nodes[4].booking(&b1.id).is_none());

    // Bad names change nothing, with a clear error in the user's language.
    let out = nodes[3].cli(&["--lang", "zh", "follow", "--owner", "不存在的机关"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("网络中没有这个机构"), "{err}");
    let out = nodes[3].cli(&["follow", "--city", "Atlantis"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no member of this network is in the city"),
        "{err}"
    );
    let out = nodes[3].cli(&["unfollow", "--owner", "机关4"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not followed by name"));

    // What a node follows survives kill -9.
    let kept = follows(&nodes[3]).follows;
    nodes[3].kill9();
    nodes[3].restart().expect("restart");
    assert_eq!(follows(&nodes[3]).follows, kept);
    shows(&nodes[3], &b2.id);
    // `follow --all`: everything again, node 1's booking too... which it
    // holds already (it follows 1); node 5 gets room 1's booking.
    nodes[5].ok(&["follow", "--all"]);
    shows(&nodes[5], &b1.id);
}
