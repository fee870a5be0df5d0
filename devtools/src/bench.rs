//! `tongchou bench net`: real node processes on 127.0.0.1 — durable
//! bookings per second into one node, acknowledgement-to-everywhere
//! latency, catch-up of a node that was offline, and memory per node.

use std::time::{Duration, Instant};

use api::{BookRequest, Status};
use crdt_model::calendar::Booking;
use crdt_model::ids::{BookingId, ResourceId};
use crdt_model::resource::{
    Approval, BookingRules, Capacity, Location, Resource, ResourceKind, Sharing,
};
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use crate::demo::{DemoNode, build_network, percentile, progress};
use harness::wait_until;

/// Sizes of a run.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Node processes for the latency run.
    pub nodes: Vec<usize>,
    /// Bookings timed for latency.
    pub latency_bookings: usize,
    /// Bookings for the throughput run.
    pub throughput_bookings: usize,
    /// Bookings a returning node must catch up with.
    pub catchup: Vec<usize>,
    /// Also measure the network throughput on a second network whose
    /// pools carry a quota (`--quotas`), against the first as baseline.
    pub quotas: bool,
}

impl Sizes {
    /// Small default (under two minutes).
    pub fn small() -> Self {
        Self {
            nodes: vec![5],
            latency_bookings: 200,
            throughput_bookings: 5_000,
            catchup: vec![2_000],
            quotas: false,
        }
    }

    /// The sizes the issue names.
    pub fn full() -> Self {
        Self {
            nodes: vec![5, 10],
            latency_bookings: 1_000,
            throughput_bookings: 20_000,
            catchup: vec![10_000, 100_000],
            quotas: false,
        }
    }
}

/// Figures of one run.
#[derive(Debug, Serialize, Default)]
pub struct Report {
    /// Acknowledged durable bookings per second into a single node (64
    /// concurrent clients, resources that need approval: one signed,
    /// flushed request change per batch).
    pub bookings_per_s: f64,
    /// The same into one node of the latency network (automatic approval:
    /// the owner's decisions are written too, and everything is forwarded
    /// to the other nodes).
    pub bookings_per_s_network: Option<f64>,
    /// With `--quotas`: the same into networks whose every pool carries a
    /// quota per requesting agency (checked on every automatic decision,
    /// never reached), three rounds, and its ratio to three rounds without
    /// (fresh networks, in turn).
    pub bookings_per_s_network_quotas: Option<(f64, f64)>,
    /// `(nodes, p50 ms, p99 ms)` from acknowledgement to visible on every other node.
    pub latency: Vec<(usize, f64, f64)>,
    /// A node that missed bookings, back among all the others.
    pub catchup: Vec<CatchUp>,
    /// The same for a node back with a single peer running (the baseline
    /// of the figure above).
    pub catchup_one_peer: Vec<CatchUp>,
    /// Resident memory per node at the end, MiB.
    pub rss_mib: Vec<f64>,
}

/// One catch-up measured.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CatchUp {
    /// Bookings made while the node was away.
    pub missed: usize,
    /// Seconds until it held every change and showed the last booking.
    pub secs: f64,
    /// Bytes of signed changes received (framing included).
    pub bytes: u64,
    /// Of those, bytes of changes it held already (received again).
    pub duplicate_bytes: u64,
}

impl CatchUp {
    /// Received against one copy of what it lacked (received less what
    /// came again).
    pub fn copies(&self) -> f64 {
        self.bytes as f64 / self.bytes.saturating_sub(self.duplicate_bytes).max(1) as f64
    }
}

/// Removes a bench's directory, unless `TONGCHOU_BENCH_KEEP` is set (then
/// its path is printed, for a look at the nodes' logs and stores).
pub(crate) fn remove_unless_kept(dir: &std::path::Path) {
    if std::env::var_os("TONGCHOU_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        eprintln!("kept {}", dir.display());
    }
}

/// Resources the load is spread over: a province's bookings land on many
/// resources, and each resource's calendar is recomputed when it changes.
const POOLS: usize = 100;

pub(crate) fn pool(owner: crdt_model::ids::AgencyId, k: usize, approval: Approval) -> Resource {
    Resource {
        id: ResourceId::new(owner, &format!("bench-pool-{k}")).expect("valid id"),
        kind: ResourceKind::Parking,
        name: crdt_model::agency::Text::new("压测车位池", "Bench parking pool"),
        location: Location {
            city: crdt_model::agency::Text::new("深圳", "Shenzhen"),
            ..Default::default()
        },
        capacity: Capacity::Units(10_000_000),
        features: Default::default(),
        attributes: Default::default(),
        sharing: Sharing::AllMembers,
        rules: BookingRules {
            approval,
            min_minutes: 1,
            ..Default::default()
        },
        retired: false,
        held_by: None,
    }
}

pub(crate) fn request(rids: &[ResourceId], i: usize) -> BookRequest {
    let rid = &rids[i % rids.len()];
    let start = Timestamp::now() + 24.hours() + ((i % 50_000) as i64).minutes();
    BookRequest {
        wait_list: false,
        resource: rid.clone(),
        start,
        end: start + 30.minutes(),
        quantity: 1,
        contact: "压测".into(),
        purpose: format!("bench {i}"),
    }
}

async fn burst(
    node: &DemoNode,
    rid: &[ResourceId],
    n: usize,
    concurrency: usize,
) -> anyhow::Result<usize> {
    let client = node.api().clone();
    let mut ok = 0;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        if set.len() >= concurrency
            && let Some(r) = set.join_next().await
        {
            ok += usize::from(matches!(r, Ok(true)));
        }
        let c = client.clone();
        let req = request(rid, i);
        set.spawn(async move { c.book(&req).await.is_ok() });
    }
    while let Some(r) = set.join_next().await {
        ok += usize::from(matches!(r, Ok(true)));
    }
    Ok(ok)
}

pub(crate) async fn setup(
    dir: &std::path::Path,
    n: usize,
    quiet: bool,
) -> anyhow::Result<(Vec<DemoNode>, Vec<ResourceId>)> {
    setup_with(dir, n, quiet, false).await
}

/// [`setup`], the pools carrying a quota if `quotas` (one never reached:
/// 100,000 hours a week for each requesting agency).
async fn setup_with(
    dir: &std::path::Path,
    n: usize,
    quiet: bool,
    quotas: bool,
) -> anyhow::Result<(Vec<DemoNode>, Vec<ResourceId>)> {
    let nodes = build_network(dir, n, true, quiet).await?;
    let st: Status = nodes[0].api().status().await?;
    let mut rids = Vec::new();
    for k in 0..POOLS {
        let mut r = pool(st.agency, k, Approval::Automatic);
        if quotas {
            r.rules.quotas = vec![crdt_model::quota::Quota {
                agency: None,
                limit: crdt_model::quota::Limit::Hours {
                    hours: 100_000,
                    per: crdt_model::quota::Per::Week,
                },
            }];
        }
        let _: Resource = nodes[0].api().put_resource(&r).await?;
        rids.push(r.id);
    }
    wait_until("pools replicated", Duration::from_secs(60), || async {
        for n in &nodes {
            let s: Status = n.api().status().await.ok()?;
            if s.resources < POOLS {
                return None;
            }
        }
        Some(())
    })
    .await?;
    Ok((nodes, rids))
}

/// Runs the network benchmark.
pub async fn net(sizes: Sizes, json: bool) -> anyhow::Result<()> {
    let quiet = json;
    let dir = std::env::temp_dir().join(format!("tongchou-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir, sizes, quiet).await;
    remove_unless_kept(&dir);
    let report = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "durable acknowledged bookings into a single node: {:.0}/s (64 concurrent API clients, approval required, flush before ack, group commit)",
        report.bookings_per_s
    );
    if let Some((q, ratio)) = report.bookings_per_s_network_quotas {
        println!(
            "the same with a quota on every pool: {q:.0}/s ({:.1} % of the run without)",
            ratio * 100.0
        );
    }
    if let Some(b) = report.bookings_per_s_network {
        println!(
            "the same into one node of the {}-node network (automatic approval, forwarded to every peer): {b:.0}/s",
            report.latency.first().map_or(0, |l| l.0)
        );
    }
    for (n, p50, p99) in &report.latency {
        println!(
            "ack → visible on all {} other nodes: p50 {p50:.1} ms, p99 {p99:.1} ms",
            n - 1
        );
    }
    let mib = |b: u64| b as f64 / 1_048_576.0;
    for (all, one) in report.catchup.iter().zip(&report.catchup_one_peer) {
        println!(
            "catch-up after missing {} bookings: {:.2} s, {:.1} MiB received, {:.1} MiB of it held already: x{:.2} of one copy; a node back with a single peer: {:.2} s, {:.1} MiB, x{:.2} of one copy",
            all.missed,
            all.secs,
            mib(all.bytes),
            mib(all.duplicate_bytes),
            all.copies(),
            one.secs,
            mib(one.bytes),
            one.copies(),
        );
    }
    let rss: Vec<String> = report.rss_mib.iter().map(|m| format!("{m:.0}")).collect();
    println!("resident memory per node, MiB: {}", rss.join(", "));
    Ok(())
}

async fn run(dir: &std::path::Path, sizes: Sizes, quiet: bool) -> anyhow::Result<Report> {
    let mut report = Report::default();
    solo_throughput(dir, &sizes, &mut report, quiet).await?;
    for (k, &n) in sizes.nodes.iter().enumerate() {
        progress(quiet, &format!("starting {n} nodes"));
        let (mut nodes, rid) = setup(&dir.join(format!("net{k}")), n, quiet).await?;
        if k == 0 {
            progress(
                quiet,
                &format!(
                    "throughput: {} bookings into one node",
                    sizes.throughput_bookings
                ),
            );
            let t = Instant::now();
            let ok = burst(&nodes[1], &rid, sizes.throughput_bookings, 64).await?;
            report.bookings_per_s_network = Some(ok as f64 / t.elapsed().as_secs_f64());
            if sizes.quotas {
                // Fresh networks, with and without quotas in turn, three
                // rounds each: one burst is too short to compare alone.
                let (mut without, mut with) = ((0usize, 0.0f64), (0usize, 0.0f64));
                for round in 0..3 {
                    for quotas in [true, false] {
                        progress(
                            quiet,
                            &format!("round {}: {n} new nodes, quotas: {quotas}", round + 1),
                        );
                        let sub = dir.join(format!("netq{round}-{quotas}"));
                        let (qnodes, qrid) = setup_with(&sub, n, quiet, quotas).await?;
                        let t = Instant::now();
                        let ok = burst(&qnodes[1], &qrid, sizes.throughput_bookings, 64).await?;
                        let sum = if quotas { &mut with } else { &mut without };
                        sum.0 += ok;
                        sum.1 += t.elapsed().as_secs_f64();
                        drop(qnodes);
                    }
                }
                let rate = |(n, s): (usize, f64)| n as f64 / s;
                report.bookings_per_s_network_quotas =
                    Some((rate(with), rate(with) / rate(without)));
            }
        }
        progress(
            quiet,
            &format!(
                "latency: {} bookings across {n} nodes",
                sizes.latency_bookings
            ),
        );
        let mut lat = latencies(&nodes, &rid, sizes.latency_bookings).await?;
        lat.sort_by(f64::total_cmp);
        report
            .latency
            .push((n, percentile(&lat, 0.5), percentile(&lat, 0.99)));
        if k == 0 {
            catch_ups(&mut nodes, &rid, &sizes.catchup, &mut report, quiet).await?;
            report.rss_mib = rss_mib(&nodes);
        }
    }
    Ok(report)
}

/// Resident memory of each running node, MiB.
fn rss_mib(nodes: &[DemoNode]) -> Vec<f64> {
    nodes
        .iter()
        .filter_map(DemoNode::rss_kib)
        .map(|k| k as f64 / 1024.0)
        .collect()
}

/// Throughput into one node: a single-node network, requests for
/// approval-required resources (one signed, flushed change each).
async fn solo_throughput(
    dir: &std::path::Path,
    sizes: &Sizes,
    report: &mut Report,
    quiet: bool,
) -> anyhow::Result<()> {
    progress(
        quiet,
        &format!(
            "throughput: {} bookings into one node",
            sizes.throughput_bookings
        ),
    );
    let nodes = build_network(&dir.join("solo"), 1, true, quiet).await?;
    let st: Status = nodes[0].api().status().await?;
    let mut rids = Vec::new();
    for k in 0..POOLS {
        let r = pool(st.agency, k, Approval::Required);
        let _: Resource = nodes[0].api().put_resource(&r).await?;
        rids.push(r.id);
    }
    let t = Instant::now();
    let ok = burst(&nodes[0], &rids, sizes.throughput_bookings, 64).await?;
    report.bookings_per_s = ok as f64 / t.elapsed().as_secs_f64();
    report.rss_mib = rss_mib(&nodes);
    Ok(())
}

/// Milliseconds from booking on one node to the booking being readable on
/// every other, for `count` bookings made on each node but the first in turn.
async fn latencies(
    nodes: &[DemoNode],
    rid: &[ResourceId],
    count: usize,
) -> anyhow::Result<Vec<f64>> {
    let n = nodes.len();
    let mut lat = Vec::with_capacity(count);
    for i in 0..count {
        let from = 1 + i % (n - 1);
        let t0 = Instant::now();
        let b: Booking = nodes[from].api().book(&request(rid, 1_000_000 + i)).await?;
        let others: Vec<&DemoNode> = nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != from)
            .map(|(_, x)| x)
            .collect();
        let id = b.id.clone();
        wait_until(
            "booking visible everywhere",
            Duration::from_secs(30),
            || async {
                for o in &others {
                    let _: Booking = o.api().booking(&id).await.ok()?;
                }
                Some(())
            },
        )
        .await?;
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(lat)
}

/// Catch-up: the last two nodes are stopped while `m` bookings are made.
/// The first of them comes back among all the others: seconds until it
/// holds every change, and bytes received. Then, as the baseline of one
/// copy, the other comes back with only the node that made the bookings
/// running; the rest start again afterwards.
async fn catch_ups(
    nodes: &mut [DemoNode],
    rid: &[ResourceId],
    sizes: &[usize],
    report: &mut Report,
    quiet: bool,
) -> anyhow::Result<()> {
    let n = nodes.len();
    anyhow::ensure!(n >= 4, "the catch-up needs at least 4 nodes");
    let (back, alone) = (n - 2, n - 1);
    for &m in sizes {
        progress(
            quiet,
            &format!("catch-up: two nodes offline while {m} bookings are made"),
        );
        nodes[back].stop();
        nodes[alone].stop();
        burst(&nodes[1], rid, m, 64).await?;
        // The last booking made; caught up means every change is in and
        // this booking shows in the returning node's calendar (a calendar
        // read brings calendars up to date).
        let last: Booking = nodes[1].api().book(&request(rid, 2_000_000 + m)).await?;
        // The owner decides the burst as it arrives; what it decides after
        // the returning node is back would come to it fresh from every
        // peer, not as catch-up. Wait until the running nodes agree.
        let deadline = Instant::now() + Duration::from_secs(600);
        let mut prev = u64::MAX;
        let target: Status = loop {
            let mut st = Vec::new();
            for node in &nodes[..back] {
                st.push(node.api().status().await?);
            }
            let c = st[0].changes;
            if st.iter().all(|s| s.changes == c) && c == prev {
                break st.swap_remove(1);
            }
            prev = c;
            anyhow::ensure!(Instant::now() < deadline, "the running nodes never agreed");
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let all = come_back(nodes, back, &last.id, &target).await?;
        report.catchup.push(CatchUp { missed: m, ..all });
        progress(
            quiet,
            "catch-up: the other node comes back with a single peer",
        );
        let others: Vec<usize> = (0..n).filter(|i| *i != 1 && *i != alone).collect();
        for &i in &others {
            nodes[i].stop();
        }
        let one = come_back(nodes, alone, &last.id, &target).await?;
        report.catchup_one_peer.push(CatchUp { missed: m, ..one });
        for &i in &others {
            nodes[i].start()?;
        }
        wait_until(
            "every node connected again",
            Duration::from_secs(120),
            || async {
                for node in nodes.iter() {
                    let s: Status = node.api().status().await.ok()?;
                    if s.peers.iter().filter(|p| p.connected).count() < n - 1 {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await?;
    }
    Ok(())
}

/// Starts node `i` again and waits until it holds `target`'s changes and
/// shows `last`: seconds, and bytes received from its peers.
async fn come_back(
    nodes: &mut [DemoNode],
    i: usize,
    last: &BookingId,
    target: &Status,
) -> anyhow::Result<CatchUp> {
    let t = Instant::now();
    nodes[i].start()?;
    let node = &nodes[i];
    let st = wait_until(
        "returning node caught up",
        Duration::from_secs(600),
        || async {
            let s: Status = node.api().status().await.ok()?;
            if s.changes < target.changes {
                return None;
            }
            let _: Booking = node.api().booking(last).await.ok()?;
            Some(s)
        },
    )
    .await?;
    let (bytes, duplicate_bytes) = st.changes_received();
    Ok(CatchUp {
        missed: 0,
        secs: t.elapsed().as_secs_f64(),
        bytes,
        duplicate_bytes,
    })
}
