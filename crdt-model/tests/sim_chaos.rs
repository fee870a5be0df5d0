//! Chaos schedules (`crdt_model::sim::chaos`): random networks with skewed
//! clocks and lossy, duplicating, reordering links; bookings, cancellations,
//! decisions, partitions, crashes, key rotations and a revocation. No replica
//! ever shows an overbooking; at the end every member agrees.
//!
//! CI runs `CHAOS_SEEDS` seeds (default 200); `SEED=n` replays one;
//! `tongchou bench chaos --seeds 10000` runs the long sweep.

use crdt_model::sim::chaos;

#[test]
fn chaos_schedules_keep_capacity_and_converge() {
    let replay = std::env::var("SEED").ok().and_then(|s| s.parse().ok());
    let seeds: Vec<u64> = match replay {
        Some(s) => vec![s],
        None => {
            let n = std::env::var("CHAOS_SEEDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(200);
            (0..n).collect()
        }
    };
    let mut total = chaos::ChaosRun::default();
    for seed in seeds {
        match chaos::run(seed) {
            Ok(r) => {
                total.requests += r.requests;
                total.confirmed += r.confirmed;
                total.rotations += r.rotations;
                total.crashes += r.crashes;
                total.partitions += r.partitions;
                total.revoked |= r.revoked;
                total.clock_behind |= r.clock_behind;
                total.duplicated += r.duplicated;
                total.lost += r.lost;
                if let Some(p) = r.gossip {
                    total.gossip = Some(total.gossip.unwrap_or(0) + p);
                }
            }
            Err(v) => panic!(
                "seed {seed}: {v}; replay with SEED={seed} cargo test -p crdt-model --features test-utils --test sim_chaos"
            ),
        }
    }
    if replay.is_some() {
        return;
    }
    // The schedules really exercise what they claim to.
    assert!(total.requests > 0 && total.confirmed > 0, "{total:?}");
    assert!(total.rotations > 0 && total.crashes > 0 && total.partitions > 0);
    assert!(total.revoked && total.clock_behind);
    assert!(total.duplicated > 0 && total.lost > 0, "{total:?}");
    // Half the seeds publish live changes on topics, and do publish.
    assert!(total.gossip.is_some_and(|p| p > 0), "{total:?}");
}
