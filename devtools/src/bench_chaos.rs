//! `tongchou bench chaos`: the long sweep of the simulator's chaos schedules
//! (`crdt_model::sim::chaos`). Each seed is a random network of 3 to 7
//! agencies with skewed clocks (one a month behind in a fifth of them) and
//! links that lose, duplicate and reorder messages, running 60 random steps
//! of bookings, cancellations, decisions, partitions, crashes, key rotations
//! and a revocation; no replica may show an overbooking after any step, and
//! every member must agree at the end. Seeds run on every core; the first
//! violation stops the sweep and prints the seed to replay.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::bail;
use crdt_model::sim::chaos::{self, ChaosRun};
use serde::Serialize;

use crate::demo::progress;

/// Figures of a sweep.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// First seed.
    pub from: u64,
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that broke an invariant (the sweep stops at the first).
    pub violations: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Requests made over all seeds.
    pub requests: u64,
    /// Bookings confirmed at the end, over all seeds.
    pub confirmed: u64,
    /// Partitions, crashes and key rotations over all seeds.
    pub partitions: u64,
    /// Crashes (kill -9 of a simulated node).
    pub crashes: u64,
    /// Key rotations.
    pub rotations: u64,
    /// Seeds with a revocation.
    pub revocations: u64,
    /// Seeds with an agency a month behind.
    pub clocks_behind: u64,
    /// Messages delivered, lost and delivered twice.
    pub delivered: u64,
    /// Messages lost.
    pub lost: u64,
    /// Messages delivered twice.
    pub duplicated: u64,
}

impl Report {
    fn add(&mut self, r: &ChaosRun) {
        self.seeds += 1;
        self.requests += r.requests as u64;
        self.confirmed += r.confirmed as u64;
        self.partitions += r.partitions as u64;
        self.crashes += r.crashes as u64;
        self.rotations += r.rotations as u64;
        self.revocations += u64::from(r.revoked);
        self.clocks_behind += u64::from(r.clock_behind);
        self.delivered += r.delivered;
        self.lost += r.lost;
        self.duplicated += r.duplicated;
    }
}

/// Runs seeds `from..from + seeds`.
pub fn run(from: u64, seeds: u64, json: bool) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    progress(
        json,
        &format!(
            "chaos schedules: seeds {from}..{} on {threads} threads",
            from + seeds
        ),
    );
    let started = Instant::now();
    let report = Arc::new(Mutex::new(Report {
        from,
        ..Report::default()
    }));
    let failed: Arc<Mutex<Option<(u64, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let step = (seeds / 20).max(1);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (report, failed, stop, done) = (&report, &failed, &stop, &done);
            s.spawn(move || {
                let mut seed = from + t;
                while seed < from + seeds && !stop.load(Ordering::Relaxed) {
                    match chaos::run(seed) {
                        Ok(r) => {
                            if let Ok(mut rep) = report.lock() {
                                rep.add(&r);
                            }
                        }
                        Err(v) => {
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert((seed, v.to_string()));
                            }
                        }
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % step == 0 {
                        progress(
                            json,
                            &format!(
                                "{n}/{seeds} seeds, {:.0} s",
                                started.elapsed().as_secs_f64()
                            ),
                        );
                    }
                    seed += threads;
                }
            });
        }
    });
    let mut report = std::mem::take(&mut *report.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    report.seconds = started.elapsed().as_secs_f64();
    let failed = failed
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    report.violations = u64::from(failed.is_some());
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} seeds in {:.0} s, {} violations · {} requests, {} confirmed · {} partitions, {} crashes, {} key rotations, {} revocations, {} runs with a clock a month behind · messages {} delivered, {} lost, {} duplicated",
            report.seeds,
            report.seconds,
            report.violations,
            report.requests,
            report.confirmed,
            report.partitions,
            report.crashes,
            report.rotations,
            report.revocations,
            report.clocks_behind,
            report.delivered,
            report.lost,
            report.duplicated
        );
    }
    if let Some((seed, v)) = failed {
        bail!(
            "seed {seed}: {v}\nreplay: SEED={seed} cargo test -p crdt-model --features test-utils --test sim_chaos"
        );
    }
    Ok(())
}
