//! Online backup and restore with real node processes: a backup taken
//! while a node books continuously holds every booking acknowledged before
//! it began; restored into a fresh home and started in place of the lost
//! node, it rejoins the network and catches up with what peers hold. A
//! damaged, truncated or foreign file is refused before anything is written.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::{BackupReport, BookRequest};
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::resource::Resource;
use harness::{Node, cli, fresh_dir, network, tongchou, wait_for, workday_instant};

fn booking_ids(node: &Node) -> BTreeSet<BookingId> {
    node.bookings(&[]).into_iter().map(|b| b.id).collect()
}

#[test]
fn a_backup_taken_during_a_booking_burst_restores_a_node_that_rejoins() {
    let mut nodes = network("backup", 2);
    let res: Resource = nodes[0].json(&[
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
        "100000",
    ]);
    let rid: ResourceId = res.id.clone();
    nodes[1].wait_resource(&rid.to_string());

    // A thread books on node 0 continuously; each acknowledged booking is
    // recorded the moment its answer arrives.
    let acked: Arc<Mutex<Vec<BookingId>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let burst = {
        let (acked, stop, client, rid) = (
            acked.clone(),
            stop.clone(),
            nodes[0].api().clone(),
            rid.clone(),
        );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let req = BookRequest {
                wait_list: false,
                resource: rid,
                start: workday_instant(2, "09:00"),
                end: workday_instant(2, "10:00"),
                quantity: 1,
                contact: String::new(),
                purpose: "burst".into(),
            };
            let mut failures = 0;
            while !stop.load(Ordering::SeqCst) {
                match rt.block_on(client.book(&req)) {
                    Ok(b) => acked.lock().expect("lock").push(b.id),
                    Err(_) => failures += 1,
                }
            }
            failures
        })
    };
    let count = |acked: &Arc<Mutex<Vec<BookingId>>>| acked.lock().expect("lock").len();
    wait_for("bookings under way", Duration::from_secs(30), || {
        (count(&acked) >= 30).then_some(())
    });

    // The backup, mid-burst.
    let dir = fresh_dir("backup-files");
    let file = dir.join("node0.tcbak");
    let before: Vec<BookingId> = acked.lock().expect("lock").clone();
    let t = Instant::now();
    let report: BackupReport = nodes[0].json(&["backup", file.to_str().expect("utf-8 path")]);
    let took = t.elapsed();
    let during = count(&acked) - before.len();
    eprintln!(
        "backup: {} bytes, {} changes, {} roster events, {} ms in the node, {:?} for the command; \
         {} bookings acknowledged before it, {during} while it ran",
        report.bytes,
        report.changes,
        report.roster_events,
        report.millis,
        took,
        before.len()
    );
    assert_eq!(
        std::fs::metadata(&file).expect("the backup file").len(),
        report.bytes
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup holds the secret key");
    }
    // The burst goes on after the backup, then stops.
    let target = count(&acked) + 20;
    wait_for("bookings after the backup", Duration::from_secs(30), || {
        (count(&acked) >= target).then_some(())
    });
    stop.store(true, Ordering::SeqCst);
    let failures = burst.join().expect("the booking thread");
    assert_eq!(failures, 0, "every booking of the burst was acknowledged");
    let all: BTreeSet<BookingId> = acked.lock().expect("lock").iter().cloned().collect();
    // Node 1 holds everything node 0 acknowledged.
    wait_for(
        "node 1 holds every booking",
        Duration::from_secs(60),
        || booking_ids(&nodes[1]).is_superset(&all).then_some(()),
    );

    // Node 0 is lost; its backup is restored into a fresh home.
    nodes[0].kill9();
    let home = fresh_dir("backup-restored").join("home");
    let out = cli(&home, &["restore", file.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        harness::cli::describe(&home, &["restore"], &out)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Never run it while the original"), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&home.join("agency.key")), 0o600);
    }

    // Node 1 books while node 0 is down: the restored node gets it too.
    let late: crdt_model::calendar::Booking = nodes[1].json(&[
        "book",
        &rid.to_string(),
        "--from",
        &harness::workday(2, "11:00"),
        "--to",
        &harness::workday(2, "12:00"),
    ]);
    let mut restored = Node::new(&tongchou(), "restored", home.clone());
    // Alone, it serves what it holds but writes nothing of its own: the
    // original may have written after the backup.
    restored.start().expect("the restored node starts");
    let alone = cli(
        &home,
        &[
            "book",
            &rid.to_string(),
            "--from",
            &harness::workday(3, "14:00"),
            "--to",
            &harness::workday(3, "15:00"),
        ],
    );
    assert!(
        !alone.status.success(),
        "a restored node writes before a peer confirms it"
    );
    let err = String::from_utf8_lossy(&alone.stderr);
    assert!(err.contains("restored from a backup"), "{err}");
    restored.stop();
    restored.peers = vec![nodes[1].addr()];
    restored.start().expect("the restored node starts");
    // Everything acknowledged before the backup began is there at once
    // (it comes from the backup, before any sync).
    let held = booking_ids(&restored);
    let missing: Vec<&BookingId> = before.iter().filter(|id| !held.contains(id)).collect();
    assert!(missing.is_empty(), "lost by the backup: {missing:?}");
    // It rejoins and catches up with what node 1 holds.
    wait_for(
        &format!("the restored node connected\n{}", restored.diagnose()),
        Duration::from_secs(30),
        || (restored.connected_peers() == 1).then_some(()),
    );
    let theirs = nodes[1].status().docs;
    wait_for(
        "the restored node caught up with node 1",
        Duration::from_secs(60),
        || {
            let ours = restored.status().docs;
            theirs
                .iter()
                .all(|(d, n)| ours.get(d).is_some_and(|m| m >= n))
                .then_some(())
        },
    );
    let held = booking_ids(&restored);
    assert!(held.is_superset(&all) && held.contains(&late.id));
    // Caught up with a peer, it writes again (the hold lifts on its own),
    // and node 1 takes its new booking (no fork).
    let b: crdt_model::calendar::Booking = wait_for(
        "the restored node writes again",
        Duration::from_secs(30),
        || {
            let out = cli(
                &restored.home,
                &[
                    "--json",
                    "book",
                    &rid.to_string(),
                    "--from",
                    &harness::workday(3, "09:00"),
                    "--to",
                    &harness::workday(3, "10:00"),
                ],
            );
            out.status
                .success()
                .then(|| serde_json::from_slice(&out.stdout).expect("a booking"))
        },
    );
    assert!(
        !restored.home.join("restored").exists(),
        "the marker is gone"
    );
    wait_for(
        "node 1 takes the restored node's booking",
        Duration::from_secs(30),
        || nodes[1].booking(&b.id).map(|_| ()),
    );
    let s = nodes[1].status();
    assert_eq!(
        s.refused_total, 0,
        "node 1 refused nothing: {:?}",
        s.refused
    );
}

#[test]
fn a_damaged_truncated_or_foreign_file_is_refused_and_writes_nothing() {
    let mut nodes = network("backup-damaged", 1);
    let dir = fresh_dir("backup-damaged-files");
    let file = dir.join("good.tcbak");
    let _: BackupReport = nodes[0].json(&["backup", file.to_str().expect("utf-8")]);
    nodes[0].stop();
    let bytes = std::fs::read(&file).expect("backup");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            bytes[..bytes.len() / 2].to_vec(),
            "damaged or truncated",
        ),
        (
            "altered",
            {
                let mut b = bytes.clone();
                let at = b.len() / 2;
                b[at] ^= 0x55;
                b
            },
            "damaged or truncated",
        ),
        (
            "foreign",
            b"# not a backup\n".repeat(10),
            "not a tongchou backup",
        ),
        ("empty", Vec::new(), "not a tongchou backup"),
    ];
    for (name, content, expect) in cases {
        let bad = dir.join(format!("{name}.tcbak"));
        std::fs::write(&bad, content).expect("write");
        let home = dir.join(format!("home-{name}"));
        let out = cli(&home, &["restore", bad.to_str().expect("utf-8")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: refused, no panic: {err}"
        );
        assert!(err.contains(expect), "{name}: {err}");
        assert!(!home.exists(), "{name}: nothing written");
        // In Chinese too.
        let out = cli(
            &home,
            &["--lang", "zh", "restore", bad.to_str().expect("utf-8")],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("备份文件") || err.contains("统筹备份"),
            "{name}: {err}"
        );
    }
    // A home that holds something is never overwritten.
    let out = cli(&nodes[0].home, &["restore", file.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    // A missing file and a missing directory are named.
    let out = cli(&dir.join("h"), &["restore", "/nonexistent/x.tcbak"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.tcbak"));
    nodes[0].start().expect("restart");
    let out = cli(&nodes[0].home, &["backup", "/nonexistent/dir/x.tcbak"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("backup_failed") && err.contains("directory"),
        "{err}"
    );
}

/// A stopped node is backed up from its home, without a daemon: the same
/// kind of file, restored, serves every booking the node had acknowledged.
#[test]
fn a_stopped_node_is_backed_up_from_its_home() {
    let mut nodes = network("backup-offline", 1);
    let res: Resource = nodes[0].json(&[
        "resource",
        "add",
        "--id",
        "room-9",
        "--name",
        "第九会议室",
        "--city",
        "深圳",
        "--people",
        "10",
    ]);
    let mut booked = BTreeSet::new();
    for (day, hour) in [(1, "09:00"), (1, "14:00"), (2, "10:00")] {
        let b: crdt_model::calendar::Booking = nodes[0].json(&[
            "book",
            &res.id.to_string(),
            "--from",
            &harness::workday(day, hour),
            "--to",
            &harness::workday(day, if hour == "09:00" { "10:00" } else { "16:00" }),
        ]);
        booked.insert(b.id);
    }
    nodes[0].stop();
    let home = nodes[0].home.clone();
    let file = fresh_dir("backup-offline-files").join("stopped.tcbak");
    let report: BackupReport = nodes[0].json(&["backup", file.to_str().expect("utf-8 path")]);
    assert!(report.changes >= 4, "{report:?}");
    assert_eq!(
        std::fs::metadata(&file).expect("the backup file").len(),
        report.bytes
    );
    // The home is untouched and still starts.
    let restored_home = fresh_dir("backup-offline-restored").join("home");
    let out = cli(
        &restored_home,
        &["restore", file.to_str().expect("utf-8 path")],
    );
    assert!(
        out.status.success(),
        "{}",
        harness::cli::describe(&restored_home, &["restore"], &out)
    );
    let mut restored = Node::new(&tongchou(), "restored", restored_home);
    restored.start().expect("the restored node starts");
    assert!(booking_ids(&restored).is_superset(&booked));
    restored.stop();
    // While the node runs, `backup` goes through it; a second offline
    // backup of a running home is never attempted.
    let mut original = Node::new(&tongchou(), "original", home);
    original.start().expect("the original starts again");
    let online: BackupReport = original.json(&["backup", file.to_str().expect("utf-8 path")]);
    assert_eq!(online.changes, report.changes);
    original.stop();
}
