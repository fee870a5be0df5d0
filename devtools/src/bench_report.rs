//! `tongchou bench report`: a year's utilisation report on one node. The
//! bench signs a catalogue of 500 rooms (open 08:00–18:00 on weekdays) and
//! a year of confirmed bookings by another agency (200,000 with `--full`,
//! 50,000 by default), restores the owner's engine from them (the node's
//! own code, in this process), then times the year's report per resource
//! and per month.

use std::collections::BTreeMap;
use std::time::Instant;

use crdt_model::agency::{AgencyKey, AgencyProfile, Text};
use crdt_model::booking::{BookingRequest, Decision, Terms, Verdict};
use crdt_model::doc::DocWriter;
use crdt_model::engine::{Config, Engine};
use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, ResourceId, shard_of};
use crdt_model::membership::{Role, Roster, RosterAction};
use crdt_model::query::Query;
use crdt_model::record::Record;
use crdt_model::report::{GroupBy, ReportQuery};
use crdt_model::resource::{
    Approval, BookingRules, Capacity, Location, OpeningHours, Resource, ResourceKind, Sharing,
};
use crdt_model::signed::SignedChange;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::demo::{percentile, progress};

/// Figures of one run.
#[derive(Debug, Serialize)]
pub struct Figures {
    /// Rooms.
    pub resources: usize,
    /// Confirmed bookings over the year.
    pub bookings: usize,
    /// Seconds to restore the engine from the signed history.
    pub load_s: f64,
    /// The year's report by resource, median seconds over the runs.
    pub by_resource_p50_s: f64,
    /// The same, slowest run.
    pub by_resource_max_s: f64,
    /// The year's report by month, median seconds.
    pub by_month_p50_s: f64,
    /// Overall utilisation the report found (a sanity figure).
    pub utilisation: f64,
    /// The same history on a node whose store holds it and that sealed the
    /// months long past: documents sealed.
    pub sealed_docs: usize,
    /// Bookings it still holds in memory.
    pub sealed_in_memory: usize,
    /// The year's report by resource there (the sealed records read back
    /// from the store), median seconds.
    pub sealed_by_resource_p50_s: f64,
}

const RECORDS_PER_CHANGE: usize = 150;
const RESOURCES: usize = 500;

/// Runs the benchmark.
pub fn run(full: bool, json: bool) -> anyhow::Result<()> {
    let bookings = if full { 200_000 } else { 50_000 };
    progress(
        json,
        &format!("signing {RESOURCES} rooms and {bookings} confirmed bookings over a year"),
    );
    let keys: Vec<AgencyKey> = (0..2u8)
        .map(|i| AgencyKey::from_secret(&[i + 0x51; 32]))
        .collect();
    let (owner, staff) = (keys[0].id(), keys[1].id());
    let profile = |i: usize| AgencyProfile {
        id: keys[i].id(),
        name: Text::new(format!("机关{i}"), format!("Agency {i}")),
        city: Text::new("南宁", "Nanning"),
    };
    let (mut roster, _) = Roster::create(&keys[0], "report", profile(0), Hlc::default());
    roster.act(
        &keys[0],
        Hlc {
            wall_ms: 1,
            counter: 0,
        },
        RosterAction::Admit {
            profile: profile(1),
            role: Role::Member,
            invitation: None,
        },
    );
    // The year that ended yesterday, from midnight in Nanning.
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    let first = today.checked_sub(jiff::Span::new().days(365))?;
    let start = first.to_zoned(tz.clone())?.timestamp();
    let end = today.to_zoned(tz)?.timestamp();

    let mut changes = catalogue(&keys[0])?;
    // Booking i: room i % R, day (i / R) % 365, two hours from 08:00 + 2k.
    let mut requests: BTreeMap<DocId, Vec<Record>> = BTreeMap::new();
    let mut decisions: BTreeMap<DocId, Vec<Record>> = BTreeMap::new();
    let mut seq = vec![0u64; RESOURCES];
    for i in 0..bookings {
        let r = i % RESOURCES;
        let slot = i / RESOURCES;
        let (day, k) = ((slot % 365) as i64, (slot / 365) as i64 % 5);
        let s = start + SignedDuration::from_hours(24 * day + 8 + 2 * k);
        let e = s + SignedDuration::from_hours(2);
        let resource = ResourceId::new(owner, &format!("room-{r:03}"))?;
        let id = BookingId::new(staff, &format!("b{i}"))?;
        let asked = s - SignedDuration::from_hours(48);
        let hlc = Hlc {
            wall_ms: asked.as_millisecond(),
            counter: (i % 1_000) as u32,
        };
        requests
            .entry(DocId::requests(staff, owner, shard_of(asked)))
            .or_default()
            .push(Record::Request(BookingRequest {
                by: None,
                wait_list: false,
                id: id.clone(),
                resource: resource.clone(),
                contact: Default::default(),
                purpose: "例会".into(),
                start: s,
                end: e,
                quantity: 1,
                hlc,
                series: None,
            }));
        seq[r] += 1;
        decisions
            .entry(DocId::decisions(owner, shard_of(asked)))
            .or_default()
            .push(Record::Decision(Decision {
                by: None,
                resource,
                author: owner,
                seq: seq[r],
                booking: id,
                terms: Terms {
                    start: s,
                    end: e,
                    quantity: 1,
                },
                verdict: Verdict::Confirm,
                hlc: Hlc {
                    wall_ms: hlc.wall_ms + 1_000,
                    counter: hlc.counter,
                },
            }));
    }
    for (by_doc, key) in [(requests, &keys[1]), (decisions, &keys[0])] {
        for (doc, mut records) in by_doc {
            // Records never go back in time within a document.
            records.sort_by_key(|r| r.hlc());
            let mut w = DocWriter::new(key, doc, &[])?;
            for c in records.chunks(RECORDS_PER_CHANGE) {
                changes.push(w.write(key, c, 0)?);
            }
        }
    }
    let sealed = sealed_node(&keys[0], &roster, &changes)?;
    let t = Instant::now();
    let (mut engine, report) = Engine::new(keys[0].clone(), roster, Config::default(), changes);
    engine.settle();
    let load_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.refused.is_empty(),
        "refused: {:?}",
        report.refused.first()
    );
    progress(json, &format!("restored in {load_s:.1} s; reporting"));
    let now = Timestamp::now();
    let time = |engine: &Engine, by: GroupBy, runs: usize| -> anyhow::Result<(Vec<f64>, f64)> {
        let q = ReportQuery {
            from: start,
            to: end,
            by,
            kind: None,
            owner: None,
        };
        let mut times = Vec::new();
        let mut utilisation = 0.0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = q.answer(engine, now)?;
            times.push(t.elapsed().as_secs_f64());
            anyhow::ensure!(
                r.total.confirmed as usize == bookings,
                "the report counted {} of {bookings} bookings",
                r.total.confirmed
            );
            utilisation = r.total.utilisation;
        }
        times.sort_by(f64::total_cmp);
        Ok((times, utilisation))
    };
    let (by_resource, utilisation) = time(&engine, GroupBy::Resource, 5)?;
    let (by_month, _) = time(&engine, GroupBy::Month, 3)?;
    drop(engine);
    progress(json, "the same year on a node that sealed it");
    let (sealed_engine, sealed_docs, _dir) = sealed;
    let (on_sealed, _) = time(&sealed_engine, GroupBy::Resource, 3)?;
    let f = Figures {
        resources: RESOURCES,
        bookings,
        load_s,
        by_resource_p50_s: percentile(&by_resource, 0.5),
        by_resource_max_s: by_resource.last().copied().unwrap_or(0.0),
        by_month_p50_s: percentile(&by_month, 0.5),
        utilisation,
        sealed_docs,
        sealed_in_memory: sealed_engine.ledger().index().requests.len(),
        sealed_by_resource_p50_s: percentile(&on_sealed, 0.5),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&f)?);
    } else {
        println!(
            "{} rooms, {} bookings over a year · restore {:.1} s · utilisation {:.1} %",
            f.resources,
            f.bookings,
            f.load_s,
            f.utilisation * 100.0
        );
        println!(
            "year's report by resource p50 {:.3} s, slowest {:.3} s · by month p50 {:.3} s (target ≤ 1 s at 200,000)",
            f.by_resource_p50_s, f.by_resource_max_s, f.by_month_p50_s
        );
        println!(
            "on a node that sealed the months long past ({} documents, {} bookings left in memory): the year's report by resource p50 {:.3} s ({:.1}x), read from its store",
            f.sealed_docs,
            f.sealed_in_memory,
            f.sealed_by_resource_p50_s,
            f.sealed_by_resource_p50_s / f.by_resource_p50_s.max(1e-9)
        );
    }
    Ok(())
}

/// A temporary store that is removed when dropped.
struct TempStore(std::path::PathBuf);

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The owner's engine on a sled store holding `changes`, after sealing
/// what it may: the engine, the documents sealed, and the store's
/// directory (removed when dropped, after the engine).
fn sealed_node(
    key: &AgencyKey,
    roster: &Roster,
    changes: &[SignedChange],
) -> anyhow::Result<(Engine, usize, TempStore)> {
    use node::store::Storage;
    let dir = TempStore(
        std::env::temp_dir().join(format!("tongchou-bench-report-{}", std::process::id())),
    );
    let store = node::store::SledStore::open(&dir.0).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.put_changes(changes)?;
    store.flush()?;
    let cfg = Config {
        archive: store.archive(),
        ..Config::default()
    };
    let (mut engine, _) = Engine::new(key.clone(), roster.clone(), cfg, changes.to_vec());
    let docs = engine.seal(Timestamp::now()).len();
    engine.settle();
    Ok((engine, docs, dir))
}

/// The owner's rooms, open 08:00–18:00 on weekdays.
fn catalogue(key: &AgencyKey) -> anyhow::Result<Vec<SignedChange>> {
    let owner = key.id();
    let records: Vec<Record> = (0..RESOURCES)
        .map(|i| {
            let local = format!("room-{i:03}");
            Record::Resource(Box::new(Resource {
                id: ResourceId::new(owner, &local).expect("valid id"),
                kind: ResourceKind::MeetingRoom,
                name: Text::new(format!("会议室{i}"), format!("Room {i}")),
                location: Location {
                    city: Text::new("南宁", "Nanning"),
                    ..Default::default()
                },
                capacity: Capacity::People(12),
                features: Default::default(),
                attributes: Default::default(),
                sharing: Sharing::AllMembers,
                rules: BookingRules {
                    approval: Approval::Required,
                    opening: Some(OpeningHours {
                        days: (1..=5).collect(),
                        open: jiff::civil::time(8, 0, 0, 0),
                        close: jiff::civil::time(18, 0, 0, 0),
                    }),
                    time_zone: "Asia/Shanghai".into(),
                    ..Default::default()
                },
                retired: false,
                held_by: None,
            }))
        })
        .collect();
    let mut w = DocWriter::new(key, DocId::catalog(owner), &[])?;
    records
        .chunks(RECORDS_PER_CHANGE)
        .map(|c| Ok(w.write(key, c, 0)?))
        .collect()
}
