//! `tongchou bench soak`: a long run of real node processes on 127.0.0.1
//! under steady load. `--nodes` nodes (10) take `--rate` bookings a second
//! (500) spread over them for `--minutes` (10). One request in 20 goes to a
//! scarce resource (2 units, 10 slots), so requests conflict. From a fifth
//! to two fifths of the run the network is partitioned in two halves (every
//! node blocks the other half: `tongchou block`), the owner of every
//! resource on one side; halfway one node is killed with kill -9 and
//! restarted 10 s later. Checked at the end: no API error other than the
//! killed node being down, every booking any node acknowledged is on that
//! node (the killed one included), every node holds the same changes and
//! counts the same bookings by status, and no node confirms more of the
//! scarce resource than it has. Reported: the acknowledged rate, resident
//! memory of each node every 10 s and its slope after warm-up (the first
//! fifth), in MiB per minute.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use api::Status;
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::query::BookingFilter;
use serde::Serialize;

use crate::bench::{request, setup};
use crate::demo::progress;
use harness::wait_until;

/// Figures of a soak.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Nodes.
    pub nodes: usize,
    /// Minutes of load.
    pub minutes: f64,
    /// Bookings a second asked for.
    pub rate: u64,
    /// Bookings acknowledged.
    pub acknowledged: u64,
    /// Acknowledged per second over the run.
    pub acknowledged_per_s: f64,
    /// Requests that failed for another reason than the killed node being
    /// down, by message.
    pub errors: BTreeMap<String, u64>,
    /// Requests not sent because their node was down.
    pub skipped_while_down: u64,
    /// Acknowledged bookings missing from their node at the end.
    pub lost: u64,
    /// Seconds from the end of the load until every node held the same changes.
    pub converge_s: f64,
    /// Whether every node held the same changes and counts.
    pub converged: bool,
    /// Resident memory of each node, MiB, every 10 s: `[sample][node]`.
    pub rss_mib: Vec<Vec<f64>>,
    /// Slope of each node's resident memory after warm-up, MiB per minute
    /// (least squares; the killed node from its restart on).
    pub rss_slope_mib_per_min: Vec<f64>,
    /// Bookings every node holds at the end.
    pub bookings_held: u64,
    /// The same slope per 1,000 bookings added to the network meanwhile,
    /// MiB (what growing data costs; a leak would show as a slope beyond it).
    pub rss_mib_per_1000_bookings: f64,
    /// At the end, resident memory (MiB) of a node that ran the whole soak
    /// (node 2) and of one holding the same data just restarted (node 1):
    /// their difference bounds what the run leaked.
    pub rss_end_mib: Option<(f64, f64)>,
    /// When the nodes did not converge: each one's changes held, changes
    /// waiting for earlier ones, and bookings by status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_views: Vec<String>,
    /// Nodes cut off from the others during the partition.
    pub partitioned: Vec<usize>,
    /// Seconds the partition lasted.
    pub partition_s: f64,
    /// Seconds from the blocks until no node saw a peer of the other side
    /// connected (none: the cut never took).
    pub partition_cut_s: Option<f64>,
    /// Requests for the scarce resource acknowledged, and of those
    /// confirmed at the end (on the owner's node).
    pub scarce_acknowledged: u64,
    /// See `scarce_acknowledged`.
    pub scarce_confirmed: u64,
    /// The largest excess of confirmed bookings of the scarce resource
    /// over its capacity on any node at the end (invariant 1: must be 0).
    pub max_overbooking: u32,
}

/// Units of the scarce resource.
const SCARCE_UNITS: u32 = 2;
/// One request in this many goes to the scarce resource.
const SCARCE_EVERY: usize = 20;

/// Runs the soak.
pub async fn run(nodes: usize, rate: u64, minutes: f64, json: bool) -> anyhow::Result<()> {
    if nodes < 2 || rate == 0 || minutes <= 0.0 {
        bail!("soak: needs at least 2 nodes, a rate and a duration");
    }
    let dir = std::env::temp_dir().join(format!("tongchou-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = soak(&dir, nodes, rate, minutes, json).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let slopes: Vec<String> = report
            .rss_slope_mib_per_min
            .iter()
            .map(|s| format!("{s:+.2}"))
            .collect();
        println!(
            "{} nodes, {:.0} min at {}/s asked: {} acknowledged ({:.0}/s), errors {:?}, {} not sent while the killed node was down, {} lost, converged {} ({:.1} s after the load)\nresident memory slope after warm-up, MiB/min per node: {} ({:.2} MiB per 1,000 bookings added; {} bookings held)",
            report.nodes,
            report.minutes,
            report.rate,
            report.acknowledged,
            report.acknowledged_per_s,
            report.errors,
            report.skipped_while_down,
            report.lost,
            report.converged,
            report.converge_s,
            slopes.join(" "),
            report.rss_mib_per_1000_bookings,
            report.bookings_held
        );
        println!(
            "partition of nodes {:?} for {:.0} s (cut in {:.1} s); scarce resource ({SCARCE_UNITS} units): {} requests acknowledged, {} confirmed, largest overbooking on any node {}",
            report.partitioned,
            report.partition_s,
            report.partition_cut_s.unwrap_or(f64::NAN),
            report.scarce_acknowledged,
            report.scarce_confirmed,
            report.max_overbooking
        );
        for (i, v) in report.end_views.iter().enumerate() {
            println!("node {i}: {v}");
        }
        if let Some((long, fresh)) = report.rss_end_mib {
            println!(
                "at the end: a node that ran the whole soak holds {long:.0} MiB, one restarted on the same data {fresh:.0} MiB ({:+.0} %)",
                (long / fresh.max(1.0) - 1.0) * 100.0
            );
        }
    }
    if report.lost > 0
        || !report.errors.is_empty()
        || !report.converged
        || report.max_overbooking > 0
        || report.partition_cut_s.is_none()
    {
        bail!("the soak failed: see the figures above");
    }
    Ok(())
}

/// What the load tasks share.
#[derive(Default)]
struct Shared {
    clients: Vec<api::Client>,
    acked: Vec<Vec<BookingId>>,
    errors: BTreeMap<String, u64>,
    skipped: u64,
    down: Option<usize>,
}

async fn soak(
    dir: &std::path::Path,
    n: usize,
    rate: u64,
    minutes: f64,
    quiet: bool,
) -> anyhow::Result<Report> {
    progress(quiet, &format!("starting {n} nodes"));
    let (mut nodes, mut rids) = setup(dir, n, quiet).await?;
    // The scarce resource, last of the list (see `drive`).
    let owner = nodes[0].api().status().await?.agency;
    let mut scarce = crate::bench::pool(owner, 9_999, crdt_model::resource::Approval::Automatic);
    scarce.capacity = crdt_model::resource::Capacity::Units(SCARCE_UNITS);
    let scarce: crdt_model::resource::Resource = nodes[0].api().put_resource(&scarce).await?;
    wait_until(
        "the scarce resource replicated",
        Duration::from_secs(60),
        || async {
            for x in &nodes {
                let s: Status = x.api().status().await.ok()?;
                (s.resources > rids.len()).then_some(())?;
            }
            Some(())
        },
    )
    .await?;
    rids.push(scarce.id.clone());
    let agencies: Vec<crdt_model::ids::AgencyId> = {
        let mut v = Vec::new();
        for x in &nodes {
            v.push(x.api().status().await?.agency);
        }
        v
    };
    let shared = Arc::new(Mutex::new(Shared {
        clients: nodes.iter().map(|x| x.api().clone()).collect(),
        acked: vec![Vec::new(); n],
        ..Shared::default()
    }));
    let total = Duration::from_secs_f64(minutes * 60.0);
    let started = Instant::now();
    let load = tokio::spawn(drive(n, rids, rate, total, shared.clone()));
    let victim = n - 1;
    let mut report = Report {
        nodes: n,
        minutes,
        rate,
        ..Report::default()
    };
    let mut killed_at = None;
    // The second half (the owner, node 0, is in the first).
    let side_b: Vec<usize> = (n / 2..n).collect();
    let mut partition: Option<Instant> = None;
    let mut healed = false;
    let mut restarted_sample = 0;
    let mut next_sample = Instant::now();
    while started.elapsed() < total {
        if Instant::now() >= next_sample {
            let rss: Vec<f64> = nodes
                .iter()
                .map(|x| x.rss_kib().map_or(0.0, |k| k as f64 / 1024.0))
                .collect();
            progress(
                quiet,
                &format!(
                    "{:.0} s: {} acknowledged, rss MiB {:?}",
                    started.elapsed().as_secs_f64(),
                    shared
                        .lock()
                        .map_or(0, |s| s.acked.iter().map(Vec::len).sum::<usize>()),
                    rss.iter().map(|r| r.round() as u64).collect::<Vec<_>>()
                ),
            );
            report.rss_mib.push(rss);
            next_sample += Duration::from_secs(10);
        }
        if partition.is_none() && started.elapsed() >= total / 5 {
            progress(
                quiet,
                &format!("partition: nodes {side_b:?} cut off from the others"),
            );
            set_partition(&nodes, &agencies, &side_b, true).await?;
            report.partitioned = side_b.clone();
            partition = Some(Instant::now());
            // Cut means cut: no node sees one of the other side connected.
            report.partition_cut_s = wait_until(
                "no connection across the partition",
                Duration::from_secs(30),
                || async {
                    for (i, x) in nodes.iter().enumerate() {
                        let s: Status = x.api().status().await.ok()?;
                        let across = s.peers.iter().any(|p| {
                            p.connected
                                && agencies
                                    .iter()
                                    .position(|a| *a == p.agency)
                                    .is_some_and(|j| side_b.contains(&j) != side_b.contains(&i))
                        });
                        if across {
                            return None;
                        }
                    }
                    Some(())
                },
            )
            .await
            .ok()
            .map(|_| partition.map_or(0.0, |p| p.elapsed().as_secs_f64()));
        }
        if let Some(p) = partition
            && !healed
            && started.elapsed() >= total * 2 / 5
        {
            set_partition(&nodes, &agencies, &side_b, false).await?;
            report.partition_s = p.elapsed().as_secs_f64();
            healed = true;
            progress(quiet, "partition healed");
        }
        if killed_at.is_none() && started.elapsed() >= total / 2 {
            progress(quiet, &format!("kill -9 of node {victim}"));
            if let Ok(mut s) = shared.lock() {
                s.down = Some(victim);
            }
            nodes[victim].kill9();
            killed_at = Some(Instant::now());
        }
        if let Some(t) = killed_at
            && t.elapsed() >= Duration::from_secs(10)
            && shared.lock().is_ok_and(|s| s.down.is_some())
        {
            nodes[victim].start()?;
            if let Ok(mut s) = shared.lock() {
                // The restarted node answers on a new API port and token.
                s.clients[victim] = nodes[victim].api().clone();
                s.down = None;
            }
            restarted_sample = report.rss_mib.len() + 1;
            progress(quiet, &format!("node {victim} restarted"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    load.await?;
    let elapsed = started.elapsed().as_secs_f64();
    let end = Instant::now();
    progress(
        quiet,
        "load over: waiting for every node to hold the same changes",
    );
    let converged = wait_until(
        "every node holds the same changes",
        Duration::from_secs(300),
        || async {
            let mut first: Option<Status> = None;
            for x in &nodes {
                let s: Status = x.api().status().await.ok()?;
                if !s.pending.is_empty() {
                    return None;
                }
                match &first {
                    None => first = Some(s),
                    Some(f) if f.docs == s.docs && f.bookings_by_status == s.bookings_by_status => {
                    }
                    Some(_) => return None,
                }
            }
            Some(())
        },
    )
    .await;
    report.converged = converged.is_ok();
    if !report.converged {
        // What differs, node by node.
        for x in &nodes {
            if let Ok(s) = x.api().status().await {
                report.end_views.push(format!(
                    "changes {}, pending {}, by status {:?}",
                    s.changes,
                    s.pending.len(),
                    s.bookings_by_status
                ));
            }
        }
    }
    report.converge_s = end.elapsed().as_secs_f64();
    let shared = std::mem::take(&mut *shared.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    report.acknowledged = shared.acked.iter().map(|a| a.len() as u64).sum();
    report.acknowledged_per_s = report.acknowledged as f64 / elapsed;
    report.errors = shared.errors;
    report.skipped_while_down = shared.skipped;
    progress(quiet, "checking every acknowledged booking on its node");
    for (i, acked) in shared.acked.iter().enumerate() {
        let mine = BookingFilter {
            mine: true,
            ..BookingFilter::default()
        };
        let held: BTreeSet<BookingId> = nodes[i]
            .api()
            .bookings(&mine)
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
        report.lost += acked.iter().filter(|id| !held.contains(*id)).count() as u64;
    }
    report.rss_slope_mib_per_min = slopes(&report.rss_mib, victim, restarted_sample);
    progress(
        quiet,
        "checking the scarce resource's capacity on every node",
    );
    let on_scarce = BookingFilter {
        resource: Some(scarce.id.clone()),
        ..BookingFilter::default()
    };
    for (i, x) in nodes.iter().enumerate() {
        let list = x.api().bookings(&on_scarce).await?;
        report.max_overbooking = report
            .max_overbooking
            .max(harness::overbooking(std::slice::from_ref(&scarce), &list));
        if i == 0 {
            report.scarce_acknowledged = list.len() as u64;
            report.scarce_confirmed = list
                .iter()
                .filter(|b| matches!(b.status, crdt_model::booking::Status::Confirmed))
                .count() as u64;
        }
    }
    if let Ok(s) = nodes[0].api().status().await {
        report.bookings_held = s.bookings as u64;
    }
    let others: Vec<f64> = report
        .rss_slope_mib_per_min
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != victim)
        .map(|(_, s)| *s)
        .collect();
    let mean = others.iter().sum::<f64>() / others.len().max(1) as f64;
    let per_min = report.acknowledged as f64 / (elapsed / 60.0);
    if per_min > 0.0 {
        report.rss_mib_per_1000_bookings = mean / per_min * 1000.0;
    }
    // Leak or data? Node 1 is restarted on the same store: what it holds
    // after loading is what the data costs; what node 2, which ran the whole
    // soak with the same data and role, holds beyond that would be leaked.
    if n > 2 {
        progress(quiet, "restarting node 1 to weigh the data against the run");
        let long = nodes[2].rss_kib().unwrap_or(0) as f64 / 1024.0;
        nodes[1].restart_within(Duration::from_secs(300))?;
        // Bring its calendars up to date, as a read does on the others.
        let _ = nodes[1].api().status().await;
        let _ = nodes[1].api().bookings(&on_scarce).await;
        let fresh = nodes[1].rss_kib().unwrap_or(0) as f64 / 1024.0;
        report.rss_end_mib = Some((long, fresh));
    }
    Ok(report)
}

/// Cuts `side` off from the other nodes, or heals the cut: each node of
/// either side blocks (or unblocks) every node of the other.
async fn set_partition(
    nodes: &[crate::demo::DemoNode],
    agencies: &[crdt_model::ids::AgencyId],
    side: &[usize],
    block: bool,
) -> anyhow::Result<()> {
    for (i, x) in nodes.iter().enumerate() {
        let mine = side.contains(&i);
        for (j, agency) in agencies.iter().enumerate() {
            if side.contains(&j) == mine {
                continue;
            }
            x.api()
                .block(&api::BlockRequest {
                    agency: *agency,
                    block,
                    minutes: None,
                })
                .await?;
        }
    }
    Ok(())
}

/// Least-squares slope of each node's samples after the first fifth (the
/// victim's from its restart on), MiB per minute (samples 10 s apart).
fn slopes(samples: &[Vec<f64>], victim: usize, restarted: usize) -> Vec<f64> {
    let nodes = samples.first().map_or(0, Vec::len);
    let warm = samples.len() / 5;
    (0..nodes)
        .map(|j| {
            let from = if j == victim {
                restarted.max(warm)
            } else {
                warm
            };
            let pts: Vec<(f64, f64)> = samples
                .iter()
                .enumerate()
                .skip(from)
                .map(|(k, s)| (k as f64 / 6.0, s[j]))
                .filter(|(_, y)| *y > 0.0)
                .collect();
            let m = pts.len() as f64;
            if m < 2.0 {
                return 0.0;
            }
            let (sx, sy) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
            let (mx, my) = (sx / m, sy / m);
            let num: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            let den: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
            if den == 0.0 { 0.0 } else { num / den }
        })
        .collect()
}

/// The load: `rate` bookings a second, node after node, for `total`; at
/// most 64 in flight.
async fn drive(
    n: usize,
    rids: Vec<ResourceId>,
    rate: u64,
    total: Duration,
    shared: Arc<Mutex<Shared>>,
) {
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let mut i: usize = 0;
    let gap = Duration::from_secs_f64(1.0 / rate as f64);
    while started.elapsed() < total {
        let due = started + gap * i as u32;
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let node = i % n;
        i += 1;
        let (down, client) = shared
            .lock()
            .map_or((None, None), |s| (s.down, s.clients.get(node).cloned()));
        let Some(c) = client else { break };
        if down == Some(node) {
            if let Ok(mut s) = shared.lock() {
                s.skipped += 1;
            }
            continue;
        }
        while set.len() >= 64 {
            let _ = set.join_next().await;
        }
        let req = if i.is_multiple_of(SCARCE_EVERY) {
            // The last resource is the scarce one: 10 slots of an hour.
            let mut r = request(&rids[rids.len() - 1..], 0);
            r.start += jiff::SignedDuration::from_hours((i / SCARCE_EVERY % 10) as i64);
            r.end = r.start + jiff::SignedDuration::from_mins(30);
            r.purpose = format!("scarce {i}");
            r
        } else {
            request(&rids[..rids.len() - 1], 2_000_000 + i)
        };
        let sh = shared.clone();
        set.spawn(async move {
            let r = c.book(&req).await;
            if let Ok(mut s) = sh.lock() {
                match r {
                    Ok(b) => s.acked[node].push(b.id),
                    // The node was killed under this request: not acknowledged.
                    Err(_) if s.down == Some(node) => s.skipped += 1,
                    Err(e) => *s.errors.entry(e.to_string()).or_default() += 1,
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}
