//! A past written as a node would have written it then: confirmed bookings
//! of one of an agency's own resources, months ago, signed with its key
//! into its stopped node's store. The demo and the sealing test start the
//! node on it, and the node seals it at start.

use std::path::Path;

use anyhow::Context;
use crdt_model::booking::{BookingRequest, Decision, Verdict};
use crdt_model::doc::DocWriter;
use crdt_model::hlc::Hlc;
use crdt_model::ids::{BookingId, DocId, ResourceId, shard_of};
use crdt_model::record::Record;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use node::store::{SledStore, Storage};

/// What [`confirmed_bookings`] wrote.
#[derive(Debug, Clone)]
pub struct Past {
    /// The bookings, in order.
    pub ids: Vec<BookingId>,
    /// Their day (UTC).
    pub day: Date,
}

/// Writes into the store of the stopped node at `home` `n` bookings of its
/// own `room`, two hours each from 09:00 UTC on the day `days_ago` days
/// back, each requested by the agency two days before and confirmed by it
/// a second later (decisions numbered from 1: the room must have none
/// yet).
pub fn confirmed_bookings(
    home: &Path,
    room: &ResourceId,
    days_ago: i64,
    n: usize,
) -> anyhow::Result<Past> {
    let home = node::config::Home::new(home);
    let key = home.load_key().context("the agency's key")?;
    let me = key.id();
    anyhow::ensure!(room.owner == me, "{room} is not this agency's");
    let utc = jiff::tz::TimeZone::UTC;
    let day = (Timestamp::now() - SignedDuration::from_hours(24 * days_ago))
        .to_zoned(utc.clone())
        .date();
    let nine = day.at(9, 0, 0, 0).to_zoned(utc)?.timestamp();
    let written = nine - SignedDuration::from_hours(48);
    let shard = shard_of(written);
    let (mut requests, mut decisions) = (Vec::new(), Vec::new());
    let mut ids = Vec::new();
    for k in 0..n {
        let start = nine + SignedDuration::from_hours(2 * k as i64);
        let id = BookingId::new(me, &format!("past-{}-{k}", day))?;
        let request = BookingRequest {
            by: None,
            wait_list: false,
            id: id.clone(),
            resource: room.clone(),
            contact: Default::default(),
            purpose: "季度例会 / quarterly meeting".into(),
            start,
            end: start + SignedDuration::from_hours(2),
            quantity: 1,
            hlc: Hlc {
                wall_ms: written.as_millisecond() + k as i64,
                counter: 0,
            },
            series: None,
        };
        decisions.push(Record::Decision(Decision {
            resource: room.clone(),
            author: me,
            seq: k as u64 + 1,
            booking: id.clone(),
            terms: request.terms(),
            verdict: Verdict::Confirm,
            hlc: Hlc {
                wall_ms: written.as_millisecond() + 1_000 + k as i64,
                counter: 0,
            },
            by: None,
        }));
        requests.push(Record::Request(request));
        ids.push(id);
    }
    let mut changes = Vec::new();
    for (doc, records) in [
        (DocId::requests(me, me, shard), requests),
        (DocId::decisions(me, shard), decisions),
    ] {
        let mut w = DocWriter::new(&key, doc, &[])?;
        changes.push(w.write(&key, &records, 0)?);
    }
    let store = SledStore::open(&home.db_path()).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.put_changes(&changes)?;
    store.flush()?;
    Ok(Past { ids, day })
}
