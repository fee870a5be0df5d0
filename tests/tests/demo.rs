//! `tongchou demo --headless --json`: the scripted four-city scenario holds
//! every invariant and reports its figures.

use integration::tongchou;
use serde_json::Value;

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
    let s: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(s["agencies"], 4);
    assert_eq!(s["converged"], true, "{s}");
    assert_eq!(s["max_overbooking"], 0, "{s}");
    assert_eq!(s["accepted_after_revocation"], 0, "{s}");
    assert_eq!(s["forged_sent"], 3, "{s}");
    assert_eq!(
        s["refused_forged"], 3,
        "the forger's changes were all refused: {s}"
    );
    assert!(s["bookings"].as_u64().unwrap() >= 60, "{s}");
    assert!(
        s["confirmed"].as_u64().unwrap() > 0 && s["rejected"].as_u64().unwrap() > 0,
        "{s}"
    );
    assert!(s["convergence_p99_ms"].as_f64().unwrap() > 0.0, "{s}");
}
