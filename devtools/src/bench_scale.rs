//! `tongchou bench scale`: one node holding a province's year of bookings.
//! The bench writes a signed history (agencies, resources, monthly request
//! documents) straight into a node home's sled store, then starts a real
//! `tongchou run` on it and measures how long it takes to load (until its
//! API answers), its resident memory, and free-slot search latency through
//! the API. With `--role`, the node is one agency of a province of 2,000
//! under interest: the busiest owner (1,000 of the 30,000 resources,
//! following only itself) or a member following 20 owners; the history
//! then holds what that node holds (every catalogue, the roster, the
//! requests concerning its owners), as it would after syncing. With
//! `TONGCHOU_BENCH_KEEP` set, the generated home is kept (its path printed)
//! to run the node on it again, under a profiler for instance.

use std::time::{Duration, Instant};

use anyhow::Context;
use crdt_model::agency::{AgencyKey, AgencyProfile, Text};
use crdt_model::availability::{Candidate, SlotQuery};
use crdt_model::booking::BookingRequest;
use crdt_model::doc::DocWriter;
use crdt_model::hlc::Hlc;
use std::collections::BTreeSet;

use crdt_model::ids::{AgencyId, BookingId, DocId, ResourceId, shard_of};
use crdt_model::interest::{Follows, wants};
use crdt_model::membership::{Role, Roster, RosterAction, SignedRosterEvent};
use crdt_model::record::Record;
use crdt_model::resource::{
    Approval, BookingRules, Capacity, Location, Resource, ResourceKind, Sharing,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::demo::{DemoNode, percentile, progress};
use node::config::Home;
use node::store::{SledStore, Storage};

/// Figures of one run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The node's role (`owner`, `follower`), if not the whole network.
    pub role: Option<String>,
    /// Agencies.
    pub agencies: usize,
    /// Resources.
    pub resources: usize,
    /// Bookings in the network.
    pub bookings: usize,
    /// Bookings the node holds (all of them without a role).
    pub held: usize,
    /// Seconds to generate and store the history (not the node's cost).
    pub generate_s: f64,
    /// Seconds from `tongchou run` to its API answering a calendar read
    /// with every calendar computed.
    pub load_s: f64,
    /// Resident memory of the node after loading, MiB.
    pub rss_mib: f64,
    /// Free-slot search through the API (one city, one kind, a week), median ms.
    pub slots_p50_ms: f64,
    /// The same, 90th percentile.
    pub slots_p90_ms: f64,
    /// With `--sealed`: the second start, on the months the first sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed: Option<SealedRun>,
}

/// The second start of a `--sealed` run.
#[derive(Debug, Serialize)]
pub struct SealedRun {
    /// Documents the first start sealed.
    pub docs: u64,
    /// Bookings the node holds in memory after it.
    pub held_in_memory: usize,
    /// Seconds to load, as `load_s`.
    pub load_s: f64,
    /// Resident memory after loading, MiB.
    pub rss_mib: f64,
}

const CITIES: [(&str, &str); 5] = [
    ("南宁", "Nanning"),
    ("柳州", "Liuzhou"),
    ("桂林", "Guilin"),
    ("梧州", "Wuzhou"),
    ("北海", "Beihai"),
];

/// Runs the scale benchmark: `full` is a province-year (≈ 8 M bookings
/// across ≈ 30,000 resources), the default 200,000 across 3,000.
/// `bookings` replaces the size's number of bookings; `role` (`owner`,
/// `follower`) measures one agency's node under interest.
pub async fn run(
    full: bool,
    bookings: Option<usize>,
    role: Option<&str>,
    sealed: bool,
    json: bool,
) -> anyhow::Result<()> {
    let shape = match (role, full) {
        (None, true) => Shape::whole(200, 150, 8_000_000),
        (None, false) => Shape::whole(50, 60, 200_000),
        (Some(r), true) => Shape::role(r, 2_000, 15, 1_000, 8_000_000)?,
        (Some(r), false) => Shape::role(r, 200, 15, 100, 200_000)?,
    };
    let shape = Shape {
        bookings: bookings.unwrap_or(shape.bookings),
        sealed,
        ..shape
    };
    let dir = std::env::temp_dir().join(format!("tongchou-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, &shape, json).await;
    crate::bench::remove_unless_kept(&dir);
    let r = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let who = match &shape.role {
            None => "one node".to_string(),
            Some(NodeRole::Owner) => format!(
                "the busiest owner's node ({} resources, following itself)",
                shape.busiest
            ),
            Some(NodeRole::Follower) => "a member's node following 20 owners".to_string(),
        };
        println!(
            "{who}, holding {} of {} bookings of {} agencies on {} resources: loaded in {:.1} s, {:.0} MiB resident, free-slot search p50 {:.1} ms / p90 {:.1} ms (history generated in {:.0} s)",
            r.held,
            r.bookings,
            r.agencies,
            r.resources,
            r.load_s,
            r.rss_mib,
            r.slots_p50_ms,
            r.slots_p90_ms,
            r.generate_s
        );
        if let Some(s) = &r.sealed {
            println!(
                "started again after sealing {} documents of the months long past: {} bookings in memory, loaded in {:.1} s ({:.2}x), {:.0} MiB resident ({:.2}x)",
                s.docs,
                s.held_in_memory,
                s.load_s,
                s.load_s / r.load_s.max(1e-9),
                s.rss_mib,
                s.rss_mib / r.rss_mib.max(1e-9)
            );
        }
    }
    Ok(())
}

/// Whose node the bench measures under interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeRole {
    /// Agency 0, owner of the most resources, following only itself.
    Owner,
    /// Agency 1, following agencies 2 to 21 (and booking nothing itself).
    Follower,
}

/// What the bench writes.
#[derive(Clone, Debug)]
struct Shape {
    agencies: usize,
    /// Resources of every agency but the first.
    per_agency: usize,
    /// Resources of agency 0.
    busiest: usize,
    bookings: usize,
    role: Option<NodeRole>,
    /// The year ends now, and the node starts a second time after sealing.
    sealed: bool,
}

impl Shape {
    fn whole(agencies: usize, per_agency: usize, bookings: usize) -> Self {
        Self {
            agencies,
            per_agency,
            busiest: per_agency,
            bookings,
            role: None,
            sealed: false,
        }
    }

    fn role(
        name: &str,
        agencies: usize,
        per_agency: usize,
        busiest: usize,
        bookings: usize,
    ) -> anyhow::Result<Self> {
        let role = match name {
            "owner" => NodeRole::Owner,
            "follower" => NodeRole::Follower,
            other => anyhow::bail!("unknown role {other:?}: try `owner` or `follower`"),
        };
        Ok(Self {
            agencies,
            per_agency,
            busiest,
            bookings,
            role: Some(role),
            sealed: false,
        })
    }

    /// The measured node's agency index, and the owners it follows.
    fn node(&self) -> (usize, Vec<usize>) {
        match self.role {
            None | Some(NodeRole::Owner) => (0, Vec::new()),
            Some(NodeRole::Follower) => (1, (2..22).collect()),
        }
    }
}

fn resource(owner: crdt_model::ids::AgencyId, j: usize) -> Resource {
    let kinds = [
        (ResourceKind::MeetingRoom, Capacity::People(12)),
        (ResourceKind::MeetingRoom, Capacity::People(30)),
        (ResourceKind::Office, Capacity::Units(20)),
        (ResourceKind::Parking, Capacity::Units(10)),
        (ResourceKind::Vehicle, Capacity::People(7)),
    ];
    let (kind, capacity) = kinds[j % kinds.len()].clone();
    let (czh, cen) = CITIES[j % CITIES.len()];
    Resource {
        id: ResourceId::new(owner, &format!("r{j}")).expect("valid id"),
        kind,
        name: Text::new(format!("资源{j}"), format!("Resource {j}")),
        location: Location {
            city: Text::new(czh, cen),
            ..Default::default()
        },
        capacity,
        features: Default::default(),
        attributes: Default::default(),
        sharing: Sharing::AllMembers,
        rules: BookingRules {
            approval: Approval::Required,
            ..Default::default()
        },
        retired: false,
        held_by: None,
    }
}

async fn measure(dir: &std::path::Path, shape: &Shape, quiet: bool) -> anyhow::Result<Report> {
    let t = Instant::now();
    let agencies = shape.agencies;
    let (keys, events) = network(agencies);
    let home = Home::new(dir.join("node"));
    std::fs::create_dir_all(home.dir())?;
    let (me, follows) = shape.node();
    std::fs::write(
        home.dir().join("agency.key"),
        node::config::hex(&keys[me].secret()),
    )?;
    // Under a role, the node follows its owners and the history holds
    // what it would hold.
    let interest: Option<BTreeSet<AgencyId>> = shape.role.map(|_| {
        follows
            .iter()
            .map(|i| keys[*i].id())
            .chain([keys[me].id()])
            .collect()
    });
    if shape.role.is_some() {
        let f = Follows {
            own_city: false,
            owners: follows.iter().map(|i| keys[*i].id()).collect(),
            ..Follows::defaults()
        };
        std::fs::write(
            home.dir().join("follows.json"),
            serde_json::to_vec_pretty(&f)?,
        )?;
    }
    let store = SledStore::open(&home.db_path()).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.put_roster(&events)?;
    let rids = catalogues(&store, &keys, shape)?;
    // A year from next month, or (sealed) the year up to a month ahead.
    let year = if shape.sealed {
        Timestamp::now() - SignedDuration::from_hours(24 * 330)
    } else {
        Timestamp::now() + SignedDuration::from_hours(24 * 30)
    };
    let per = shape.bookings / agencies;
    let keep = |doc: &DocId| wants(keys[me].id(), interest.as_ref(), doc);
    let skip = shape.role.map(|_| me);
    let held = requests(&store, &keys, &rids, year, per, (&keep, skip), quiet)?;
    store.flush()?;
    drop(store);
    let generate_s = t.elapsed().as_secs_f64();
    let asker = keys[if me == 1 { 0 } else { 1 }].id();
    let (load_s, rss_mib, times) = load_and_search(&home, &rids, asker, year, quiet).await?;
    let sealed = if shape.sealed {
        Some(load_sealed(&home, &rids, quiet).await?)
    } else {
        None
    };
    Ok(Report {
        role: shape.role.map(|r| format!("{r:?}").to_lowercase()),
        agencies,
        resources: rids.len(),
        bookings: per * (agencies - usize::from(skip.is_some())),
        held,
        generate_s,
        load_s,
        rss_mib,
        slots_p50_ms: percentile(&times, 0.5),
        slots_p90_ms: percentile(&times, 0.9),
        sealed,
    })
}

/// Starts the node a second time, on what its first start sealed, and
/// measures its load as [`load_and_search`] does.
async fn load_sealed(home: &Home, rids: &[ResourceId], quiet: bool) -> anyhow::Result<SealedRun> {
    progress(quiet, "starting the node again, on the sealed months");
    let exe = std::env::current_exe().context("locating tongchou")?;
    let mut node = DemoNode::new(&exe, "scale", home.dir().to_path_buf());
    let (load_s, rss_mib) = start_loaded(&mut node, &rids[0]).await?;
    let status = node.api().status().await?;
    node.stop();
    Ok(SealedRun {
        docs: status.sealed_docs,
        held_in_memory: status.bookings,
        load_s,
        rss_mib,
    })
}

/// The agencies' keys and the roster events admitting them.
fn network(agencies: usize) -> (Vec<AgencyKey>, Vec<SignedRosterEvent>) {
    let keys: Vec<AgencyKey> = (0..agencies)
        .map(|i| {
            let mut s = [0u8; 32];
            s[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            s[31] = 0x5c;
            AgencyKey::from_secret(&s)
        })
        .collect();
    let profile = |i: usize| AgencyProfile {
        id: keys[i].id(),
        name: Text::new(format!("机关{i}"), format!("Agency {i}")),
        city: Text::new(CITIES[i % 5].0, CITIES[i % 5].1),
    };
    let (mut roster, genesis) = Roster::create(&keys[0], "scale", profile(0), Hlc::default());
    let mut events = vec![genesis];
    for (i, k) in keys.iter().enumerate().skip(1) {
        let _ = k;
        events.push(roster.act(
            &keys[0],
            Hlc {
                wall_ms: 1,
                counter: i as u32,
            },
            RosterAction::Admit {
                profile: profile(i),
                role: Role::Member,
                invitation: None,
            },
        ));
    }
    (keys, events)
}

/// Every agency's catalogue (the shape's number of resources each); their ids.
fn catalogues(
    store: &SledStore,
    keys: &[AgencyKey],
    shape: &Shape,
) -> anyhow::Result<Vec<ResourceId>> {
    let mut rids = Vec::with_capacity(keys.len() * shape.per_agency + shape.busiest);
    for (i, k) in keys.iter().enumerate() {
        let n = if i == 0 {
            shape.busiest
        } else {
            shape.per_agency
        };
        let mut w = DocWriter::new(k, DocId::catalog(k.id()), &[])?;
        let recs: Vec<Record> = (0..n)
            .map(|j| {
                let r = resource(k.id(), j);
                rids.push(r.id.clone());
                Record::Resource(Box::new(r))
            })
            .collect();
        // In changes of 100 resources: a change has a size bound.
        let mut changes = Vec::new();
        for chunk in recs.chunks(100) {
            changes.push(w.write(k, chunk, 0)?);
        }
        store.put_changes(&changes)?;
    }
    Ok(rids)
}

/// What the history keeps: the documents the node holds, and the agency
/// that books nothing (the measured node under a role).
type Keep<'a> = (&'a dyn Fn(&DocId) -> bool, Option<usize>);

/// A year of requests from `year` on, `per` by each agency, in its own
/// monthly documents per owner, scattered over the resources; only those
/// `keep` keeps are written. Returns how many were.
fn requests(
    store: &SledStore,
    keys: &[AgencyKey],
    rids: &[ResourceId],
    year: Timestamp,
    per: usize,
    (keep, skip): Keep<'_>,
    quiet: bool,
) -> anyhow::Result<usize> {
    let agencies = keys.len();
    let mut held = 0;
    for (a, k) in keys.iter().enumerate() {
        if skip == Some(a) {
            continue;
        }
        let mut writers: std::collections::BTreeMap<(u32, crdt_model::ids::AgencyId), DocWriter> =
            Default::default();
        let mut batch = Vec::with_capacity(1_000);
        for i in 0..per {
            let n = a * per + i;
            let day = (i * 365 / per.max(1)) as i64;
            let start = year + SignedDuration::from_hours(24 * day + 8 + (n % 10) as i64);
            let shard = shard_of(start);
            // Scattered over the resources by a multiplicative hash: a
            // stride would send a resource's bookings to a few slots,
            // which no real calendar looks like.
            let resource = rids
                [((n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize % rids.len()]
            .clone();
            let doc = DocId::requests(k.id(), resource.owner, shard);
            if !keep(&doc) {
                continue;
            }
            held += 1;
            let w = match writers.entry((shard, resource.owner)) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(DocWriter::new(k, doc, &[])?)
                }
            };
            let req = BookingRequest {
                by: None,
                wait_list: false,
                id: BookingId::new(k.id(), &format!("b{n}"))?,
                resource,
                contact: "值班员 0771-0000".into(),
                purpose: "会议".into(),
                start,
                end: start + SignedDuration::from_hours(1),
                quantity: 1,
                // Each agency's clock moves forward as it writes (a
                // document's records never go back in time).
                hlc: Hlc {
                    wall_ms: year.as_millisecond() - 86_400_000 * 30 + i as i64,
                    counter: 0,
                },
                series: None,
            };
            batch.push(w.write(k, &[Record::Request(req)], 0)?);
            if batch.len() == 1_000 {
                store.put_changes(&batch)?;
                batch.clear();
            }
        }
        writers.clear();
        store.put_changes(&batch)?;
        if (a + 1) % (agencies / 20).max(10) == 0 {
            progress(
                quiet,
                &format!("history: {} of {agencies} agencies written", a + 1),
            );
        }
    }
    Ok(held)
}

/// Starts a node on the stored history and waits until it has loaded
/// (every calendar computed), then times 20 free-slot searches: load
/// seconds, resident MiB, search times in ms (sorted).
async fn load_and_search(
    home: &Home,
    rids: &[ResourceId],
    me: AgencyId,
    year: Timestamp,
    quiet: bool,
) -> anyhow::Result<(f64, f64, Vec<f64>)> {
    progress(quiet, "starting the node on the stored history");
    let exe = std::env::current_exe().context("locating tongchou")?;
    let mut node = DemoNode::new(&exe, "scale", home.dir().to_path_buf());
    let (load_s, rss_mib) = start_loaded(&mut node, &rids[0]).await?;
    let mut times = Vec::new();
    for i in 0..20 {
        let from = year + SignedDuration::from_hours(24 * (7 * i + 1));
        let q = SlotQuery {
            kind: Some(ResourceKind::MeetingRoom),
            city: Some(CITIES[i as usize % 5].1.to_string()),
            owner: None,
            quantity: 10,
            features: Default::default(),
            duration_minutes: 120,
            from,
            to: from + SignedDuration::from_hours(24 * 7),
            step_minutes: 30,
            limit: 20,
            per_resource: 3,
            requester: me,
        };
        let t = Instant::now();
        let _: Vec<Candidate> = node.api().slots(&q).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    node.stop();
    Ok((load_s, rss_mib, times))
}

/// Starts `node` and waits until it has loaded: seconds from the start,
/// and resident MiB then.
async fn start_loaded(node: &mut DemoNode, rid: &ResourceId) -> anyhow::Result<(f64, f64)> {
    let t = Instant::now();
    node.start_within(Duration::from_secs(3_600))?;
    // Loaded means every calendar computed too: calendars are brought up
    // to date by the first read that needs them, this one. At a
    // province's size that takes longer than the client waits for one
    // answer, so ask again until it comes.
    let deadline = Instant::now() + Duration::from_secs(3_600);
    loop {
        match node.api().calendar(rid).await {
            Ok(_) => break,
            Err(e) if Instant::now() > deadline || node.rss_kib().is_none() => {
                return Err(anyhow::Error::new(e).context("the node did not finish loading"));
            }
            // A read that timed out: the node is still computing.
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let load_s = t.elapsed().as_secs_f64();
    Ok((load_s, node.rss_kib().unwrap_or(0) as f64 / 1024.0))
}
