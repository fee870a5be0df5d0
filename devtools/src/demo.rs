//! `tongchou demo`: a realistic four-city network on this machine — real
//! node processes on 127.0.0.1, a seeded bilingual catalogue, a few weeks of
//! bookings — and, with `--headless`, a scripted scenario (cross-city
//! bookings, a partitioned city, conflicting requests, heal, owner
//! decisions, a revocation) that checks the invariants and reports figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use api::*;
use crdt_model::booking::Status as BStatus;
use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use crdt_model::resource::{Capacity, Resource};
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use harness::wait_until;
use node::config::Home;

/// The four agencies: (name zh, name en, city zh, city en).
pub const AGENCIES: [(&str, &str, &str, &str); 4] = [
    (
        "深圳市机关事务管理局",
        "Shenzhen Government Affairs Administration",
        "深圳",
        "Shenzhen",
    ),
    (
        "杭州市机关事务管理局",
        "Hangzhou Government Affairs Administration",
        "杭州",
        "Hangzhou",
    ),
    (
        "河北省机关事务管理局",
        "Hebei Government Affairs Administration",
        "石家庄",
        "Shijiazhuang",
    ),
    (
        "广西壮族自治区机关事务管理局",
        "Guangxi Government Affairs Administration",
        "南宁",
        "Nanning",
    ),
];

/// A node process of the demo or a bench.
pub type DemoNode = harness::Node;

pub(crate) fn progress(quiet: bool, msg: &str) {
    if !quiet {
        eprintln!("[demo] {msg}");
    }
}

/// Creates the network: Shenzhen founds it and invites the others (the
/// invitation carries Shenzhen's address, for joining).
///
/// Without `mesh`, the cities are joined only through a bootstrap peer
/// (`run --bootstrap-only`, running beside Shenzhen): after joining, each
/// node's configuration names no other member, only the bootstrap peer.
/// With `mesh`, every node dials every node started before it instead.
pub async fn build_network(
    dir: &Path,
    n: usize,
    mesh: bool,
    quiet: bool,
) -> anyhow::Result<Vec<DemoNode>> {
    let agencies = (0..n)
        .map(|i| {
            let (zh, en, czh, cen) = AGENCIES[i % AGENCIES.len()];
            if i < AGENCIES.len() {
                harness::Agency::new(zh, en, czh, cen)
            } else {
                harness::Agency::new(&format!("{zh}（{i}）"), &format!("{en} #{i}"), czh, cen)
            }
        })
        .collect();
    let spec = harness::network::Spec {
        exe: std::env::current_exe().context("locating tongchou")?,
        dir: dir.to_path_buf(),
        name: "机关事务统筹网 / Government Affairs Network".into(),
        agencies,
        through_bootstrap: !mesh,
        tied: true,
        log: std::env::var("TONGCHOU_NODE_LOG").unwrap_or_else(|_| "info".into()),
    };
    // Starting processes and waiting for them blocks; not on a pooled
    // blocking thread, though: the nodes get SIGTERM when the thread that
    // started them ends (tied), and the runtime's workers live as long as
    // the demo or bench.
    let nodes = tokio::task::block_in_place(|| {
        harness::network::build(&spec, &mut |msg| progress(quiet, msg))
    })?;
    Ok(nodes)
}

fn seed_resources(owner: crdt_model::ids::AgencyId, i: usize) -> Vec<Resource> {
    use crdt_model::resource::*;
    let (_, _, czh, cen) = AGENCIES[i];
    let city = crdt_model::agency::Text::new(czh, cen);
    let mk = |local: &str,
              kind: ResourceKind,
              zh: &str,
              en: &str,
              cap: Capacity,
              feats: &[&str],
              approval: Approval| Resource {
        id: ResourceId::new(owner, local).expect("valid id"),
        kind,
        name: crdt_model::agency::Text::new(zh, en),
        location: Location {
            city: city.clone(),
            site: "市民中心".into(),
            building: "A".into(),
            floor: "3".into(),
        },
        capacity: cap,
        features: feats.iter().map(|s| s.to_string()).collect(),
        attributes: Default::default(),
        sharing: Sharing::AllMembers,
        rules: BookingRules {
            approval,
            min_minutes: 30,
            max_minutes: 0,
            max_advance_days: 90,
            buffer_minutes: 0,
            opening: None,
            blackouts: Vec::new(),
            time_zone: DEFAULT_TZ.into(),
        },
        retired: false,
    };
    vec![
        mk(
            "room-small",
            ResourceKind::MeetingRoom,
            "小会议室",
            "Small meeting room",
            Capacity::People(8),
            &["projector"],
            Approval::Automatic,
        ),
        mk(
            "room-large",
            ResourceKind::MeetingRoom,
            "大会议室",
            "Large meeting room",
            Capacity::People(40),
            &["projector", "video"],
            Approval::Automatic,
        ),
        mk(
            "hall",
            ResourceKind::MeetingRoom,
            "报告厅",
            "Auditorium",
            Capacity::People(200),
            &["video", "wheelchair"],
            Approval::Required,
        ),
        mk(
            "desks",
            ResourceKind::Office,
            "共享工位",
            "Shared desks",
            Capacity::Units(20),
            &[],
            Approval::Automatic,
        ),
        mk(
            "parking",
            ResourceKind::Parking,
            "访客停车位",
            "Visitor parking",
            Capacity::Units(10),
            &[],
            Approval::Automatic,
        ),
        mk(
            "charger",
            ResourceKind::EvCharger,
            "充电桩",
            "EV chargers",
            Capacity::Units(4),
            &[],
            Approval::Automatic,
        ),
        mk(
            "van",
            ResourceKind::Vehicle,
            "公务商务车",
            "Official van",
            Capacity::People(7),
            &["seats-7"],
            Approval::Required,
        ),
        mk(
            "projectors",
            ResourceKind::WarehouseAsset,
            "公物仓投影仪",
            "Warehouse projectors",
            Capacity::Units(5),
            &[],
            Approval::Automatic,
        ),
    ]
}

/// What `demo --headless --json` prints.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Summary {
    /// Agencies in the network.
    pub agencies: usize,
    /// Booking requests made.
    pub bookings: usize,
    /// Confirmed at the end.
    pub confirmed: usize,
    /// Rejected at the end.
    pub rejected: usize,
    /// All nodes show the same bookings.
    pub converged: bool,
    /// Largest excess of confirmed bookings over capacity on any node (0).
    pub max_overbooking: u64,
    /// Bad changes (forged signature, unauthorized, impersonating) a
    /// forger sent to Shenzhen.
    pub forged_sent: u64,
    /// How many of them Shenzhen refused (must equal `forged_sent`).
    pub refused_forged: u64,
    /// Requests by the revoked agency after revocation that any other node accepted (0).
    pub accepted_after_revocation: usize,
    /// Ack-to-visible-everywhere latency, ms.
    pub convergence_p50_ms: f64,
    /// Same, 99th percentile.
    pub convergence_p99_ms: f64,
    /// Wall time of the scenario, s.
    pub seconds: f64,
}

async fn all_bookings(node: &DemoNode) -> anyhow::Result<Vec<Booking>> {
    Ok(node.api().bookings(&Default::default()).await?)
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn book(
    node: &DemoNode,
    rid: &ResourceId,
    start: Timestamp,
    hours: i64,
    q: u32,
    purpose: &str,
) -> Option<Booking> {
    let req = BookRequest {
        resource: rid.clone(),
        start,
        end: start + hours.hours(),
        quantity: q,
        contact: "王科长 0755-8888".into(),
        purpose: purpose.into(),
    };
    node.api().book(&req).await.ok()
}

/// Runs the demo. `keep` leaves the homes in place.
/// Without `headless`, the TUI opens on Shenzhen's node, as its operator
/// (approval queue) when `operator`, else as staff (resource browser).
pub async fn run(
    headless: bool,
    json: bool,
    keep: bool,
    operator: bool,
    zh: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("tongchou-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let quiet = json;
    progress(
        quiet,
        &format!("building a four-city network in {}", dir.display()),
    );
    let result = scenario(&dir, headless, quiet, started, operator, zh).await;
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        progress(quiet, &format!("homes kept in {}", dir.display()));
    }
    let summary = result?;
    let Some(s) = summary else { return Ok(()) };
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!(
            "agencies {} · bookings {} · confirmed {} · rejected {}",
            s.agencies, s.bookings, s.confirmed, s.rejected
        );
        println!(
            "converged {} · max overbooking {} · forged changes refused {}/{} · accepted after revocation {}",
            s.converged,
            s.max_overbooking,
            s.refused_forged,
            s.forged_sent,
            s.accepted_after_revocation
        );
        println!(
            "convergence latency p50 {:.0} ms · p99 {:.0} ms · {:.1} s in all",
            s.convergence_p50_ms, s.convergence_p99_ms, s.seconds
        );
    }
    if !s.converged
        || s.max_overbooking > 0
        || s.accepted_after_revocation > 0
        || s.refused_forged != s.forged_sent
    {
        bail!("an invariant failed");
    }
    Ok(())
}

async fn scenario(
    dir: &Path,
    headless: bool,
    quiet: bool,
    started: Instant,
    operator: bool,
    zh: bool,
) -> anyhow::Result<Option<Summary>> {
    let mut nodes = build_network(dir, AGENCIES.len(), false, quiet).await?;
    wait_until(
        "every city connected to every other through the bootstrap peer",
        Duration::from_secs(60),
        || async {
            for n in &nodes {
                let s: Status = n.api().status().await.ok()?;
                let up = s.peers.iter().filter(|p| p.connected).count();
                if up < AGENCIES.len() - 1 {
                    return None;
                }
            }
            Some(())
        },
    )
    .await?;
    progress(
        quiet,
        "the four cities found each other through the bootstrap peer",
    );
    let mut catalog: Vec<Resource> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let me: Status = n.api().status().await?;
        for r in seed_resources(me.agency, i) {
            let r: Resource = n.api().put_resource(&r).await?;
            catalog.push(r);
        }
    }
    progress(
        quiet,
        &format!(
            "published {} resources in Chinese and English",
            catalog.len()
        ),
    );
    wait_until("catalogues replicated", Duration::from_secs(60), || async {
        for n in &nodes {
            let list: Vec<Resource> = n.api().resources(&Default::default()).await.ok()?;
            if list.len() < catalog.len() {
                return None;
            }
        }
        Some(())
    })
    .await?;
    // A few weeks of plausible cross-city bookings.
    let base = Timestamp::now().round(jiff::Unit::Hour)? + 24.hours();
    let mut made = 0usize;
    let mut latencies = Vec::new();
    let mut rng = Lcg(2026);
    for k in 0..60 {
        let who = (k % 4) as usize;
        let r = &catalog[rng.below(catalog.len() as u64) as usize];
        let start = base + ((rng.below(21) * 24 + 1 + rng.below(9)) as i64).hours();
        let q = match r.capacity {
            Capacity::People(n) => 1 + rng.below(u64::from(n)) as u32,
            Capacity::Units(n) => 1 + rng.below(u64::from(n.min(3))) as u32,
        };
        let t0 = Instant::now();
        if let Some(b) = book(
            &nodes[who],
            &r.id,
            start,
            1 + rng.below(3) as i64,
            q,
            "跨城协调会 / cross-city meeting",
        )
        .await
        {
            made += 1;
            if k % 6 == 0 {
                // Measure ack → visible on every other node.
                let id = b.id.clone();
                let others: Vec<&DemoNode> = nodes
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != who)
                    .map(|(_, n)| n)
                    .collect();
                wait_until(
                    "booking visible everywhere",
                    Duration::from_secs(30),
                    || async {
                        for n in &others {
                            let _: Booking = n.api().booking(&id).await.ok()?;
                        }
                        Some(())
                    },
                )
                .await?;
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    progress(quiet, &format!("made {made} cross-city bookings"));
    if !headless {
        println!(
            "\nTongchou demo network is running: four agencies, {} resources, {made} bookings.",
            catalog.len()
        );
        for n in &nodes {
            println!(
                "  {:<16} tongchou --home {} status",
                n.name,
                n.home.display()
            );
        }
        println!(
            "\nTry:  tongchou --home {} slots --duration 2h --from tomorrow… (see README)",
            nodes[0].home.display()
        );
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() {
            let start = if operator {
                tui::app::Screen::Approvals
            } else {
                tui::app::Screen::Resources
            };
            progress(
                quiet,
                "opening the terminal UI (q quits and stops the network)",
            );
            // The demo's agencies are in China: its times are Beijing time.
            let tz = jiff::tz::TimeZone::get(crdt_model::resource::DEFAULT_TZ)
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let lang = if zh { tui::Lang::Zh } else { tui::Lang::En };
            tui::run_home(nodes[0].home.clone(), lang, tz, start).await?;
        } else {
            println!("No terminal: press Ctrl-C to stop every node and clean up.");
            let _ = tokio::signal::ctrl_c().await;
        }
        return Ok(None);
    }
    // Partition: Nanning goes offline; both sides request the same slots.
    progress(quiet, "partition: 南宁 (Nanning) is cut off");
    let mut agencies = Vec::new();
    for n in &nodes {
        let st: Status = n.api().status().await?;
        agencies.push(st.agency);
    }
    nodes[3].stop();
    let slot = base + (22 * 24 + 2).hours();
    let room_of = |i: usize| ResourceId::new(agencies[i], "room-small").expect("valid id");
    let mut conflict_ids = Vec::new();
    for n in &nodes[0..3] {
        if let Some(b) = book(
            n,
            &room_of(3),
            slot,
            2,
            6,
            "冲突测试 / conflict while the owner is away",
        )
        .await
        {
            made += 1;
            conflict_ids.push(b.id);
        }
    }
    // Nanning keeps working on its own side of the cut: same slot, Shenzhen's room.
    let (listen, peers) = (nodes[3].listen.clone(), std::mem::take(&mut nodes[3].peers));
    nodes[3].listen = "/ip4/127.0.0.1/tcp/0".into();
    nodes[3].start()?;
    if let Some(b) = book(
        &nodes[3],
        &room_of(0),
        slot,
        2,
        6,
        "南宁离线时的请求 / Nanning, offline",
    )
    .await
    {
        made += 1;
        conflict_ids.push(b.id);
    }
    if let Some(b) = book(
        &nodes[1],
        &room_of(0),
        slot,
        2,
        6,
        "杭州同时段请求 / Hangzhou, same slot",
    )
    .await
    {
        made += 1;
        conflict_ids.push(b.id);
    }
    nodes[3].stop();
    progress(quiet, "heal: 南宁 rejoins");
    nodes[3].listen = listen;
    nodes[3].peers = peers;
    nodes[3].start()?;
    // Owner decisions on approval-required resources.
    for n in &nodes {
        let pending: Vec<Booking> = n
            .api()
            .bookings(&BookingFilter {
                pending: true,
                ..Default::default()
            })
            .await?;
        for (j, b) in pending.iter().enumerate() {
            let _: Result<Booking, _> = n
                .api()
                .decide(&DecideRequest {
                    booking: b.id.clone(),
                    approve: j % 3 != 2,
                    reason: None,
                })
                .await;
        }
    }
    progress(quiet, "owners decided their approval queues");
    // An attacker holding Hebei's key (its node stopped meanwhile) connects to
    // Shenzhen and sends a forged change, an unauthorized confirmation and a
    // write into Hangzhou's document: all three must be refused.
    let refused_before = nodes[0].api().status().await?.refused_total;
    nodes[2].stop();
    let hebei_key = Home::new(nodes[2].home.clone()).load_key()?;
    let shenzhen: libp2p::Multiaddr = nodes[0].addr().parse()?;
    let hebei_catalog = crate::forger::catalog_history(&nodes[2].home, &hebei_key)?;
    let forged =
        crate::forger::bad_changes(&hebei_key, &room_of(1), slot + 24.hours(), &hebei_catalog)?;
    let forged_sent = forged.len() as u64;
    crate::forger::send(&hebei_key, shenzhen, forged).await?;
    let refused_forged = wait_until(
        "Shenzhen refuses the forged changes",
        Duration::from_secs(30),
        || async {
            let s: Status = nodes[0].api().status().await.ok()?;
            let n = s.refused_total - refused_before;
            (n >= forged_sent).then_some(n)
        },
    )
    .await
    .unwrap_or(0);
    nodes[2].start()?;
    progress(
        quiet,
        &format!("forger with Hebei's key: {refused_forged} of {forged_sent} bad changes refused"),
    );
    // Revocation: Hebei is revoked by the founding admin; its later requests go nowhere.
    nodes[0]
        .api()
        .revoke(&RevokeRequest {
            agency: agencies[2],
            reason: "演示撤销 / demo revocation".into(),
        })
        .await?;
    wait_until(
        "revocation known to every other node",
        Duration::from_secs(30),
        || async {
            for i in [1, 3] {
                let m: Vec<MemberEntry> = nodes[i].api().members().await.ok()?;
                if !m.iter().any(|e| {
                    e.agency == agencies[2]
                        && e.member.status != crdt_model::membership::MemberStatus::Active
                }) {
                    return None;
                }
            }
            Some(())
        },
    )
    .await?;
    let late = book(
        &nodes[2],
        &room_of(0),
        slot + 48.hours(),
        1,
        2,
        "撤销后的请求 / after revocation",
    )
    .await;
    progress(quiet, "河北 (Hebei) revoked; its later request stays local");
    // Converge and check.
    let honest = [0usize, 1, 3];
    let views = wait_until("honest nodes converge", Duration::from_secs(60), || async {
        let mut views = Vec::new();
        for &i in &honest {
            views.push(all_bookings(&nodes[i]).await.ok()?);
        }
        let decided = views.iter().all(|v| {
            v.iter()
                .filter(|b| conflict_ids.contains(&b.id))
                .all(|b| !matches!(b.status, BStatus::Tentative { .. }))
        });
        (decided && views.windows(2).all(|w| w[0] == w[1])).then_some(views)
    })
    .await;
    let (converged, views) = match views {
        Ok(v) => (true, v),
        Err(_) => {
            let mut v = Vec::new();
            for &i in &honest {
                v.push(all_bookings(&nodes[i]).await?);
            }
            (false, v)
        }
    };
    let max_overbooking = views
        .iter()
        .map(|v| u64::from(harness::overbooking(&catalog, v)))
        .max()
        .unwrap_or(0);
    let accepted_after_revocation = late.map_or(0, |b| {
        views
            .iter()
            .filter(|v| v.iter().any(|x| x.id == b.id))
            .count()
    });
    latencies.sort_by(f64::total_cmp);
    let v0 = &views[0];
    Ok(Some(Summary {
        agencies: nodes.len(),
        bookings: made,
        confirmed: v0.iter().filter(|b| b.status == BStatus::Confirmed).count(),
        rejected: v0
            .iter()
            .filter(|b| matches!(b.status, BStatus::Rejected { .. }))
            .count(),
        converged,
        max_overbooking,
        forged_sent,
        refused_forged,
        accepted_after_revocation,
        convergence_p50_ms: percentile(&latencies, 0.5),
        convergence_p99_ms: percentile(&latencies, 0.99),
        seconds: started.elapsed().as_secs_f64(),
    }))
}

/// A tiny deterministic generator for the seeded bookings.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The demo's directory for a given process (for tests).
pub fn demo_dir(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("tongchou-demo-{pid}"))
}
