//! `tongchou demo --headless --json`: the scripted four-city scenario holds
//! every invariant and reports its figures.

use devtools::demo::Summary;
use harness::tongchou;

#[test]
fn headless_demo_converges_without_overbooking() {
    let out = std::process::Command::new(tongchou())
        .args(["demo", "--headless", "--json"])
        .output()
        .expect("running the demo");
    assert!(
        out.status.success(),
        "demo failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Summary = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(s.agencies, 4);
    assert!(s.converged, "{s:?}");
    assert_eq!(s.max_overbooking, 0, "{s:?}");
    assert_eq!(s.accepted_after_revocation, 0, "{s:?}");
    assert_eq!(s.forged_sent, 3, "{s:?}");
    assert_eq!(
        s.refused_forged, 3,
        "the forger's changes were all refused: {s:?}"
    );
    assert!(s.bookings >= 60, "{s:?}");
    assert!(s.confirmed > 0 && s.rejected > 0, "{s:?}");
    assert!(s.convergence_p99_ms > 0.0, "{s:?}");
    // Cross-department vehicle trips: every one dispatched (sedans by the
    // owner's node, vans by a dispatcher), one back with its readings.
    assert_eq!((s.trips, s.trips_dispatched), (8, 8), "{s:?}");
    assert!(s.trips_finished >= 1, "{s:?}");
    // The warehouses: loans across agencies, one back damaged and repaired
    // (Shenzhen's 5 projectors whole again on every node), one transfer.
    assert!(s.loans >= 4, "{s:?}");
    assert!(s.loans_returned >= 1, "{s:?}");
    assert_eq!(s.projectors_available, vec![5; 4], "{s:?}");
    assert_eq!(s.transfers, 1, "{s:?}");
    // A weekly meeting per city, four occurrences each, all confirmed.
    assert_eq!((s.series, s.series_occurrences), (4, 16), "{s:?}");
    assert_eq!(s.series_confirmed, 16, "{s:?}");
    // Two charger bookings a week: the third is rejected as over quota.
    assert_eq!(s.quota_rejected, 1, "{s:?}");
    assert_eq!(
        (
            s.waitlist_confirmed,
            s.checked_in,
            s.hold_released,
            s.people_named
        ),
        (1, 1, 1, 1),
        "{s:?}"
    );
    // Nanning following Shenzhen resolves to Shenzhen, its own city and
    // the owners it booked from, and holds no more than the whole network.
    assert!(s.follow_owners >= 2, "{s:?}");
    assert!(
        s.follow_docs_held > 0 && s.follow_docs_held <= s.docs_held,
        "{s:?}"
    );
    // Following Shenzhen only, Nanning fetched the free/busy of an owner
    // it did not follow (from that owner or a node following it).
    assert!(s.busy_fetched, "{s:?}");
    // Shenzhen sealed last quarter's three two-hour meetings, and its
    // report of their day still counts them, read from its store.
    assert!(s.sealed_docs >= 2, "{s:?}");
    assert_eq!(s.sealed_report_hours, 6.0, "{s:?}");
    // Nanning, back after the partition, received what it missed.
    assert!(s.rejoin_bytes > 0, "{s:?}");
    // Live changes went on the owners' gossipsub topics; the forger's
    // three messages there were not passed on.
    assert!(s.topics_published > 0 && s.topics_received > 0, "{s:?}");
    assert!(s.topics_not_passed >= 3, "{s:?}");
    // Every node is connected to members, within its bound.
    assert!(
        s.connections_max > 0 && s.connections_max <= s.connections_bound,
        "{s:?}"
    );
}
