//! `tongchou demo`: a realistic four-city network on this machine — real
//! node processes on 127.0.0.1, a seeded bilingual catalogue, a few weeks of
//! bookings — and, with `--headless`, a scripted scenario (cross-city
//! bookings, a partitioned city, conflicting requests, heal, owner
//! decisions, a revocation) that checks the invariants and reports figures.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use api::*;
use crdt_model::calendar::Booking;
use crdt_model::ids::ResourceId;
use crdt_model::resource::Resource;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

mod scenario;
use scenario::scenario;

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
        extra: Vec::new(),
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

/// The demo catalogue of agency `i`: rooms, desks, parking, chargers, a
/// van and warehouse projectors.
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
            max_conflicts: 2,
            max_conflict_percent: 0,
            quotas: Vec::new(),
            checkin_minutes: 0,
        },
        retired: false,
        held_by: None,
    };
    use ResourceKind::*;
    #[rustfmt::skip]
    let table = [
        ("room-small", MeetingRoom, "小会议室", "Small meeting room", Capacity::People(8), &["projector"][..], Approval::Automatic),
        ("room-large", MeetingRoom, "大会议室", "Large meeting room", Capacity::People(40), &["projector", "video"], Approval::Automatic),
        ("hall", MeetingRoom, "报告厅", "Auditorium", Capacity::People(200), &["video", "wheelchair"], Approval::Required),
        ("desks", Office, "共享工位", "Shared desks", Capacity::Units(20), &[], Approval::Automatic),
        ("parking", Parking, "访客停车位", "Visitor parking", Capacity::Units(10), &[], Approval::Automatic),
        ("charger", EvCharger, "充电桩", "EV chargers", Capacity::Units(4), &[], Approval::Automatic),
        ("van", Vehicle, "公务商务车", "Official van", Capacity::People(7), &[], Approval::Required),
        ("car-1", Vehicle, "新能源轿车", "EV sedan", Capacity::People(5), &[], Approval::Automatic),
        ("car-2", Vehicle, "公务轿车", "Sedan", Capacity::People(5), &[], Approval::Automatic),
        ("drv-1", Driver, "王师傅", "Driver Wang", Capacity::People(1), &[], Approval::Required),
        ("drv-2", Driver, "李师傅", "Driver Li", Capacity::People(1), &[], Approval::Required),
        ("projectors", WarehouseAsset, "公物仓投影仪", "Warehouse projectors", Capacity::Units(5), &[], Approval::Automatic),
        ("tables", WarehouseAsset, "公物仓折叠桌", "Warehouse folding tables", Capacity::Units(20), &[], Approval::Automatic),
    ];
    // The fleet: class, energy and plate as vehicle attributes; drivers
    // shared with their own agency only.
    let plates = ["粤B", "浙A", "冀A", "桂A"];
    table
        .into_iter()
        .enumerate()
        .map(|(n, (local, kind, zh, en, cap, feats, approval))| {
            let mut r = mk(local, kind, zh, en, cap, feats, approval);
            use crdt_model::fleet::attr;
            let (class, energy) = match local {
                "van" => ("van", "petrol"),
                "car-1" => ("sedan", "ev"),
                "car-2" => ("sedan", "petrol"),
                _ => ("", ""),
            };
            if !class.is_empty() {
                r.attributes.insert(attr::CLASS.into(), class.into());
                r.attributes.insert(attr::ENERGY.into(), energy.into());
                r.attributes.insert(
                    attr::PLATE.into(),
                    format!("{}{:05}", plates[i % 4], 10_000 + n * 7),
                );
                r.attributes
                    .insert(attr::ODOMETER.into(), (12_000 + n * 1_000).to_string());
            }
            if r.is_driver() {
                r.attributes.insert(attr::LICENCE.into(), "B2".into());
                r.sharing = Sharing::OwnerOnly;
            }
            if r.kind == WarehouseAsset {
                use crdt_model::asset::attr as asset;
                let (category, value) = match local {
                    "projectors" => ("投影设备", "4200"),
                    _ => ("办公家具", "380"),
                };
                r.attributes.insert(asset::CATEGORY.into(), category.into());
                r.attributes.insert(asset::VALUE.into(), value.into());
                r.attributes.insert(asset::YEAR.into(), "2021".into());
                if local == "projectors" {
                    let tags: Vec<String> =
                        (1..=5).map(|k| format!("{}-P{k}", plates[i % 4])).collect();
                    r.attributes.insert(asset::TAGS.into(), tags.join(","));
                }
            }
            r
        })
        .collect()
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
    /// Vehicle trips requested across departments.
    #[serde(default)]
    pub trips: usize,
    /// Of those, dispatched (or under way, or back) as Shenzhen sees them.
    #[serde(default)]
    pub trips_dispatched: usize,
    /// Trips back, with odometer readings.
    #[serde(default)]
    pub trips_finished: usize,
    /// Warehouse loans made across agencies.
    #[serde(default)]
    pub loans: usize,
    /// Loans back (one with a damaged unit, then repaired).
    #[serde(default)]
    pub loans_returned: usize,
    /// Projectors available at Shenzhen's warehouse after the repair, as
    /// every node sees them (5 on each).
    #[serde(default)]
    pub projectors_available: Vec<u32>,
    /// Assets transferred between cities (accepted offers).
    #[serde(default)]
    pub transfers: usize,
    /// Recurring series booked (a weekly meeting per city).
    #[serde(default)]
    pub series: usize,
    /// Their occurrences.
    #[serde(default)]
    pub series_occurrences: usize,
    /// Of those, confirmed at the end.
    #[serde(default)]
    pub series_confirmed: usize,
    /// Requests rejected as over a quota (Hangzhou's third charger booking
    /// in a week where Shenzhen allows two).
    #[serde(default)]
    pub quota_rejected: usize,
    /// Waiting requests confirmed when a cancellation freed the room.
    #[serde(default)]
    pub waitlist_confirmed: usize,
    /// Bookings checked in (签到).
    #[serde(default)]
    pub checked_in: usize,
    /// Bookings released by an owner's hold for an emergency.
    #[serde(default)]
    pub hold_released: usize,
    /// Bookings asked by a named staff member and decided by a named
    /// approver (both names on the records).
    #[serde(default)]
    pub people_named: usize,
    /// Owners Nanning's node resolved to when it followed Shenzhen (with
    /// its own city and the owners it booked from).
    #[serde(default)]
    pub follow_owners: usize,
    /// Documents it held then.
    #[serde(default)]
    pub follow_docs_held: u64,
    /// Documents it held following everything, before.
    #[serde(default)]
    pub docs_held: u64,
    /// The most connections to members one node held at the end.
    #[serde(default)]
    pub connections_max: usize,
    /// The nodes' bound on them (`run --max-connections`).
    #[serde(default)]
    pub connections_bound: usize,
    /// Nanning back after the partition: bytes of changes it received
    /// until it held what the others held.
    #[serde(default)]
    pub rejoin_bytes: u64,
    /// Of those, bytes it held already (received again).
    #[serde(default)]
    pub rejoin_again_bytes: u64,
    /// While following Shenzhen only: the free/busy of an owner Nanning
    /// did not follow, fetched on demand: whether it came, and how many
    /// busy spans it held over the next two weeks.
    #[serde(default)]
    pub busy_fetched: bool,
    /// Those spans.
    #[serde(default)]
    pub busy_spans: usize,
    /// Documents Shenzhen's node sealed of last quarter's meetings
    /// (written into its store, as its node wrote them then).
    #[serde(default)]
    pub sealed_docs: u64,
    /// Booked hours its report counts on their day, read from its store.
    #[serde(default)]
    pub sealed_report_hours: f64,
    /// Messages the nodes published on live gossipsub topics, received
    /// there, and did not pass on (the forger's, refused).
    #[serde(default)]
    pub topics_published: u64,
    /// Received on topics, all nodes.
    #[serde(default)]
    pub topics_received: u64,
    /// Received and not passed on, all nodes.
    #[serde(default)]
    pub topics_not_passed: u64,
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

pub(crate) async fn book(
    node: &DemoNode,
    rid: &ResourceId,
    start: Timestamp,
    hours: i64,
    q: u32,
    purpose: &str,
) -> Option<Booking> {
    let req = BookRequest {
        wait_list: false,
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
        progress(quiet, &format!("removed {}", dir.display()));
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
            "vehicle trips {} · dispatched {} · finished {}",
            s.trips, s.trips_dispatched, s.trips_finished
        );
        println!(
            "warehouse loans {} · returned {} · Shenzhen's projectors whole on each node {:?} · transfers {}",
            s.loans, s.loans_returned, s.projectors_available, s.transfers
        );
        println!(
            "recurring series {} · occurrences {} · confirmed {} · rejected over quota {}",
            s.series, s.series_occurrences, s.series_confirmed, s.quota_rejected
        );
        println!(
            "waiting list confirmed {} · checked in {} · released by a hold {} · asked and decided by named people {}",
            s.waitlist_confirmed, s.checked_in, s.hold_released, s.people_named
        );
        println!(
            "Nanning following Shenzhen: {} owners, {} of {} documents held",
            s.follow_owners, s.follow_docs_held, s.docs_held
        );
        println!(
            "Nanning's free/busy of an owner it did not follow: {} ({} busy spans)",
            if s.busy_fetched {
                "fetched"
            } else {
                "NOT fetched"
            },
            s.busy_spans
        );
        println!(
            "Shenzhen sealed {} documents of last quarter; its report of that day still counts {} h, from disk",
            s.sealed_docs, s.sealed_report_hours
        );
        println!(
            "connections to members: at most {} a node (bound {})",
            s.connections_max, s.connections_bound
        );
        println!(
            "live changes on gossipsub topics: {} messages published, {} received, {} not passed on",
            s.topics_published, s.topics_received, s.topics_not_passed
        );
        println!(
            "Nanning back after the partition: {} of changes received, {} of it again",
            api::size(s.rejoin_bytes),
            api::size(s.rejoin_again_bytes)
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
