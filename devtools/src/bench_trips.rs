//! `tongchou bench trips`: vehicle dispatch at a fleet's owner. The bench
//! signs a fleet (500 vehicles, 500 drivers) and a history of dispatched
//! trips (50,000 with `--full`, 10,000 by default) plus 2,000 trips waiting,
//! restores the owner's engine from them (the node's own code, in this
//! process), then measures dispatch decisions (choose a free vehicle and
//! driver, check, sign, write) per second and the free-vehicle query for a
//! time window (`resources --kind vehicle --free-from … --free-to …`).

use std::time::Instant;

use anyhow::Context;
use crdt_model::agency::{AgencyKey, AgencyProfile, Text};
use crdt_model::booking::{Decision, Terms, Verdict};
use crdt_model::doc::DocWriter;
use crdt_model::engine::{Config, Engine, LocalOp, LocalOutcome, TripCommand};
use crdt_model::fleet::{VehicleClass, attr};
use crdt_model::hlc::Hlc;
use crdt_model::ids::{AgencyId, BookingId, DocId, ResourceId, shard_of};
use crdt_model::membership::{Role, Roster, RosterAction};
use crdt_model::query::{Query, ResourceFilter};
use crdt_model::record::Record;
use crdt_model::resource::{
    Approval, BookingRules, Capacity, Location, Resource, ResourceKind, Sharing,
};
use crdt_model::signed::SignedChange;
use crdt_model::trip::{TripAction, TripRequest, TripUpdate};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::demo::{percentile, progress};

/// Figures of one run.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Vehicles in the fleet.
    pub vehicles: usize,
    /// Drivers.
    pub drivers: usize,
    /// Dispatched trips in the history.
    pub history_trips: usize,
    /// Seconds to restore the owner's engine from the signed history.
    pub load_s: f64,
    /// Dispatch decisions per second (free pair chosen, checked, signed, written).
    pub dispatch_per_s: f64,
    /// Free vehicles of the fleet for a 4-hour window, median ms.
    pub free_p50_ms: f64,
    /// The same, 99th percentile.
    pub free_p99_ms: f64,
}

const RECORDS_PER_CHANGE: usize = 150;

/// Runs the benchmark.
pub fn run(full: bool, json: bool) -> anyhow::Result<()> {
    let (vehicles, history) = (500usize, if full { 50_000 } else { 10_000 });
    let waiting = 2_000usize;
    progress(
        json,
        &format!(
            "signing {vehicles} vehicles, {vehicles} drivers, {history} dispatched trips and {waiting} waiting"
        ),
    );
    let keys: Vec<AgencyKey> = (0..2u8)
        .map(|i| AgencyKey::from_secret(&[i + 0x31; 32]))
        .collect();
    let (owner, staff) = (keys[0].id(), keys[1].id());
    let profile = |i: usize| AgencyProfile {
        id: keys[i].id(),
        name: Text::new(format!("机关{i}"), format!("Agency {i}")),
        city: Text::new("石家庄", "Shijiazhuang"),
    };
    let (mut roster, genesis) = Roster::create(&keys[0], "trips", profile(0), Hlc::default());
    let admit = roster.act(
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
    let _ = (genesis, admit);
    let now = Timestamp::now();
    let mut changes = fleet(&keys[0], vehicles)?;
    // History: vehicle i % V, day i / V, 09:00–12:00, in the past.
    let days = (history / vehicles) as i64 + 2;
    let base = now - SignedDuration::from_hours(24 * days);
    let trip_at = |i: usize, base: Timestamp| {
        let start = base + SignedDuration::from_hours(24 * (i / vehicles) as i64 + 9);
        (start, start + SignedDuration::from_hours(3))
    };
    let past: Vec<TripRequest> = (0..history)
        .map(|i| {
            let (start, end) = trip_at(i, base);
            trip(staff, owner, i, start, end, base)
        })
        .collect();
    changes.extend(dispatches(&keys[0], &past, vehicles)?);
    // Waiting: from tomorrow on, four per vehicle-day so every one finds
    // a free vehicle of its class.
    let soon = now + SignedDuration::from_hours(24);
    let open: Vec<TripRequest> = (0..waiting)
        .map(|i| {
            let (start, end) = trip_at(i, soon);
            trip(staff, owner, history + i, start, end, now)
        })
        .collect();
    // One writer per document: the past and the waiting requests together.
    let all: Vec<TripRequest> = past.iter().chain(&open).cloned().collect();
    changes.extend(requests(&keys[1], &all)?);

    let t = Instant::now();
    let (mut engine, report) = Engine::new(keys[0].clone(), roster, Config::default(), changes);
    engine.settle();
    let load_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.refused.is_empty(),
        "refused: {:?}",
        report.refused.first()
    );
    progress(
        json,
        &format!("owner restored in {load_s:.1} s; dispatching"),
    );

    let t = Instant::now();
    let mut done = 0usize;
    for tr in &open {
        let Some((vehicle, driver)) = engine.free_pair(&tr.id) else {
            continue;
        };
        let op = LocalOp::Trip {
            trip: tr.id.clone(),
            command: TripCommand::Dispatch { vehicle, driver },
        };
        if let Ok((LocalOutcome::Trip(_), _)) = engine.local(now, op) {
            done += 1;
        }
    }
    let dispatch_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(done == waiting, "dispatched {done} of {waiting}");

    let mut times = Vec::new();
    for k in 0..200 {
        let from = soon + SignedDuration::from_hours(24 * (k % 30) + 8);
        let filter = ResourceFilter {
            kind: Some("vehicle".into()),
            owner: Some(owner),
            free_from: Some(from),
            free_to: Some(from + SignedDuration::from_hours(4)),
            ..Default::default()
        };
        let t = Instant::now();
        let free = filter.answer(&engine, now).context("free vehicles")?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(free);
    }
    times.sort_by(f64::total_cmp);
    let r = Report {
        vehicles,
        drivers: vehicles,
        history_trips: history,
        load_s,
        dispatch_per_s: done as f64 / dispatch_s,
        free_p50_ms: percentile(&times, 0.5),
        free_p99_ms: percentile(&times, 0.99),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "fleet {} vehicles, {} drivers, {} trips in history · restore {:.1} s",
            r.vehicles, r.drivers, r.history_trips, r.load_s
        );
        println!(
            "dispatch decisions {:.0}/s (target ≥ 2,000/s) · free vehicles for a window p50 {:.2} ms, p99 {:.2} ms (target ≤ 5 ms)",
            r.dispatch_per_s, r.free_p50_ms, r.free_p99_ms
        );
    }
    Ok(())
}

/// A trip request `n` of `staff` for `owner`'s vans, requested at `asked`.
fn trip(
    staff: AgencyId,
    owner: AgencyId,
    n: usize,
    start: Timestamp,
    end: Timestamp,
    asked: Timestamp,
) -> TripRequest {
    TripRequest {
        id: BookingId::new(staff, &format!("t{n}")).expect("valid id"),
        owner,
        class: Some(if n.is_multiple_of(2) {
            VehicleClass::Van
        } else {
            VehicleClass::Sedan
        }),
        vehicle: None,
        start,
        end,
        passengers: 4,
        destination: "保定".into(),
        purpose: "执法检查".into(),
        contact: "值班员".into(),
        hlc: Hlc {
            wall_ms: asked.as_millisecond() + n as i64,
            counter: 0,
        },
    }
}

/// The owner's catalogue: vehicles (vans and sedans in turn) and drivers.
fn fleet(key: &AgencyKey, n: usize) -> anyhow::Result<Vec<SignedChange>> {
    let owner = key.id();
    let mk = |local: String, kind: ResourceKind, seats: u32| Resource {
        id: ResourceId::new(owner, &local).expect("valid id"),
        kind,
        name: Text::new(local.clone(), local.clone()),
        location: Location {
            city: Text::new("石家庄", "Shijiazhuang"),
            ..Default::default()
        },
        capacity: Capacity::People(seats),
        features: Default::default(),
        attributes: Default::default(),
        sharing: Sharing::AllMembers,
        rules: BookingRules {
            approval: Approval::Required,
            ..Default::default()
        },
        retired: false,
        held_by: None,
    };
    let mut records = Vec::with_capacity(2 * n);
    for i in 0..n {
        let mut v = mk(format!("car-{i:04}"), ResourceKind::Vehicle, 7);
        let class = if i % 2 == 0 { "van" } else { "sedan" };
        v.attributes.insert(attr::CLASS.into(), class.into());
        v.attributes
            .insert(attr::PLATE.into(), format!("冀A{i:05}"));
        records.push(Record::Resource(Box::new(v)));
        records.push(Record::Resource(Box::new(mk(
            format!("drv-{i:04}"),
            ResourceKind::Driver,
            1,
        ))));
    }
    let mut w = DocWriter::new(key, DocId::catalog(owner), &[])?;
    records
        .chunks(RECORDS_PER_CHANGE)
        .map(|c| Ok(w.write(key, c, 0)?))
        .collect()
}

/// The staff agency's trip requests, in its monthly documents for the owner.
fn requests(key: &AgencyKey, trips: &[TripRequest]) -> anyhow::Result<Vec<SignedChange>> {
    let mut by_doc: std::collections::BTreeMap<DocId, Vec<Record>> = Default::default();
    for t in trips {
        let asked = Timestamp::from_millisecond(t.hlc.wall_ms).unwrap_or(t.start);
        let doc = DocId::requests(key.id(), t.owner, shard_of(asked));
        by_doc
            .entry(doc)
            .or_default()
            .push(Record::Trip(Box::new(t.clone())));
    }
    let mut out = Vec::new();
    for (doc, records) in by_doc {
        let mut w = DocWriter::new(key, doc, &[])?;
        for c in records.chunks(RECORDS_PER_CHANGE) {
            out.push(w.write(key, c, 0)?);
        }
    }
    Ok(out)
}

/// The owner's dispatches of `trips` (vehicle and driver `i % vehicles`),
/// each with its two confirmations, in its monthly decisions documents.
fn dispatches(
    key: &AgencyKey,
    trips: &[TripRequest],
    vehicles: usize,
) -> anyhow::Result<Vec<SignedChange>> {
    let owner = key.id();
    let mut by_doc: std::collections::BTreeMap<DocId, Vec<Record>> = Default::default();
    let mut seq = vec![0u64; vehicles];
    for (i, t) in trips.iter().enumerate() {
        let v = i % vehicles;
        seq[v] += 1;
        let vehicle = ResourceId::new(owner, &format!("car-{v:04}"))?;
        let driver = ResourceId::new(owner, &format!("drv-{v:04}"))?;
        let hlc = Hlc {
            wall_ms: t.hlc.wall_ms + 1_000,
            counter: 0,
        };
        let confirm = |resource: ResourceId, quantity| {
            Record::Decision(Decision {
                by: None,
                resource,
                author: owner,
                seq: seq[v],
                booking: t.id.clone(),
                terms: Terms {
                    start: t.start,
                    end: t.end,
                    quantity,
                },
                verdict: Verdict::Confirm,
                hlc,
            })
        };
        let doc = DocId::decisions(owner, shard_of(t.start));
        by_doc.entry(doc).or_default().extend([
            confirm(vehicle.clone(), t.passengers),
            confirm(driver.clone(), 1),
            Record::TripUpdate(Box::new(TripUpdate {
                trip: t.id.clone(),
                fleet: owner,
                action: TripAction::Dispatch {
                    order: i as u64 + 1,
                    vehicle,
                    driver,
                },
                hlc,
            })),
        ]);
    }
    let mut out = Vec::new();
    for (doc, records) in by_doc {
        let mut w = DocWriter::new(key, doc, &[])?;
        for c in records.chunks(RECORDS_PER_CHANGE) {
            out.push(w.write(key, c, 0)?);
        }
    }
    Ok(out)
}
