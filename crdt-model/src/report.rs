//! Utilisation reports (统计直报): booked hours against open hours per
//! resource, kind, owner, requester, city or month over a period, with
//! decision counts, the share booked by other agencies, peak hours, idle
//! resources, vehicle trips (km, fuel, charge) and warehouse loans.
//!
//! A report is a pure function of the calendars and records a replica
//! holds, so two nodes holding the same changes print the same report.
//!
//! Figures are in *capacity-hours*: a room (one booking at a time) open
//! 10 hours gives 10 open hours; 20 desks open 10 hours give 200. Booked
//! hours count only inside the opening hours (less blackouts) and inside
//! the period, so utilisation never exceeds 100 %.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::agency::Text;
use crate::booking::Verdict;
use crate::calendar::{ResourceCalendar, calendar_with};
use crate::engine::Engine;
use crate::ids::{AgencyId, ResourceId};
use crate::ledger::Index;
use crate::query::Query;
use crate::resource::{Resource, ResourceKind};

/// How rows are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per resource.
    #[default]
    Resource,
    /// Per kind.
    Kind,
    /// Per owning agency.
    Owner,
    /// Per requesting agency (open hours are those of every resource).
    Requester,
    /// Per city.
    City,
    /// Per calendar month (in Asia/Shanghai).
    Month,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "resource" | "资源" => GroupBy::Resource,
            "kind" | "类型" => GroupBy::Kind,
            "owner" | "所属单位" => GroupBy::Owner,
            "requester" | "申请单位" => GroupBy::Requester,
            "city" | "城市" => GroupBy::City,
            "month" | "月份" => GroupBy::Month,
            other => {
                return Err(format!(
                    "unknown grouping {other:?} (resource, kind, owner, requester, city, month)"
                ));
            }
        })
    }
}

/// A report asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// Period start (inclusive).
    pub from: Timestamp,
    /// Period end (exclusive).
    pub to: Timestamp,
    /// Grouping.
    #[serde(default)]
    pub by: GroupBy,
    /// Only resources of this kind (code or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only resources of this owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<AgencyId>,
}

/// Figures of one group (or of all).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    /// The group's key (resource id, kind code, agency id, city, `yyyy-mm`).
    pub key: String,
    /// The group's name.
    pub label: Text,
    /// Resources counted.
    pub resources: u32,
    /// Capacity-hours open in the period (opening hours less blackouts).
    pub open_hours: f64,
    /// Capacity-hours booked (confirmed, inside opening hours and period).
    pub booked_hours: f64,
    /// `booked_hours / open_hours` (0 when nothing was open).
    pub utilisation: f64,
    /// Of the booked hours, those booked by an agency other than the owner.
    pub cross_agency_hours: f64,
    /// `cross_agency_hours / booked_hours`.
    pub cross_agency_share: f64,
    /// Bookings starting in the period, confirmed.
    pub confirmed: u32,
    /// Rejected.
    pub rejected: u32,
    /// Cancelled by their requester.
    pub cancelled: u32,
    /// Confirmed, then given back by the owner (after a cancellation, or for
    /// units taken out of service).
    pub released: u32,
    /// Of the released, those released because their requester did not
    /// check in on time (no-shows, per requesting agency with `--by
    /// requester`).
    pub no_show: u32,
    /// Vehicle trips finished in the period.
    pub trips: u32,
    /// Their kilometres.
    pub km: u64,
    /// Fuel taken, litres.
    pub fuel_l: f64,
    /// Energy charged, kWh.
    pub charge_kwh: f64,
    /// Warehouse loans starting in the period.
    pub loans: u32,
    /// Units lent.
    pub units_lent: u32,
}

/// A report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was asked.
    pub query: ReportQuery,
    /// One row per group, by key.
    pub rows: Vec<ReportRow>,
    /// All groups together.
    pub total: ReportRow,
    /// Booked capacity-hours by local hour of day (0–23), all resources.
    pub by_hour: Vec<f64>,
    /// The busiest hours of day, busiest first (at most 3).
    pub peak_hours: Vec<u8>,
    /// Resources with nothing booked in the period (not retired), by id.
    pub idle: Vec<ResourceId>,
}

/// Why a report cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The period is empty or longer than 10 years.
    #[error("the period must end after it starts, and last at most 10 years")]
    Period,
    /// The sealed documents of the period could not be read back from the
    /// store.
    #[error("the sealed records of the period could not be read from the store: {0}")]
    Unreadable(String),
}

const HOUR_S: f64 = 3_600.0;
/// The zone months and hours of day are read in when a resource has none.
const REPORT_TZ: &str = "Asia/Shanghai";

/// `[start, end)` intervals when `r` is open inside `[from, to)`, by start.
pub fn open_intervals(r: &Resource, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut out = Vec::new();
    match &r.rules.opening {
        None => out.push((from, to)),
        Some(hours) => {
            let tz = r.tz();
            let first = from.to_zoned(tz.clone()).date();
            let last = to.to_zoned(tz.clone()).date();
            let mut day: Date = first;
            while day <= last {
                let weekday = day.weekday().to_monday_one_offset() as u8;
                if hours.days.contains(&weekday) {
                    let at = |t| {
                        day.to_datetime(t)
                            .to_zoned(tz.clone())
                            .map(|z| z.timestamp())
                    };
                    if let (Ok(s), Ok(e)) = (at(hours.open), at(hours.close)) {
                        let (s, e) = (s.max(from), e.min(to));
                        if s < e {
                            out.push((s, e));
                        }
                    }
                }
                match day.tomorrow() {
                    Ok(d) => day = d,
                    Err(_) => break,
                }
            }
        }
    }
    // Less blackouts.
    for b in &r.rules.blackouts {
        out = out
            .into_iter()
            .flat_map(|(s, e)| {
                if b.end <= s || e <= b.start {
                    vec![(s, e)]
                } else {
                    let mut parts = Vec::new();
                    if s < b.start {
                        parts.push((s, b.start));
                    }
                    if b.end < e {
                        parts.push((b.end, e));
                    }
                    parts
                }
            })
            .collect();
    }
    out
}

/// Seconds of `[s, e)` inside the sorted, disjoint `open` intervals.
fn overlap_s(open: &[(Timestamp, Timestamp)], s: Timestamp, e: Timestamp) -> i64 {
    let first = open.partition_point(|(_, end)| *end <= s);
    open[first..]
        .iter()
        .take_while(|(start, _)| *start < e)
        .map(|(a, b)| (e.min(*b).as_second() - s.max(*a).as_second()).max(0))
        .sum()
}

fn seconds(a: Timestamp, b: Timestamp) -> i64 {
    (b.as_second() - a.as_second()).max(0)
}

/// The groups a booking by `requester` on `r` at `start` falls in.
fn group_of(
    by: GroupBy,
    r: &Resource,
    requester: Option<AgencyId>,
    start: Timestamp,
    names: &dyn Fn(AgencyId) -> Text,
) -> (String, Text) {
    match by {
        GroupBy::Resource => (r.id.to_string(), r.name.clone()),
        GroupBy::Kind => (r.kind.to_string(), r.kind.label()),
        GroupBy::Owner => (r.owner().to_string(), names(r.owner())),
        GroupBy::Requester => match requester {
            Some(a) => (a.to_string(), names(a)),
            None => (String::new(), Text::new("（开放时长）", "(open hours)")),
        },
        GroupBy::City => (r.location.city.zh.clone(), r.location.city.clone()),
        GroupBy::Month => {
            let tz = TimeZone::get(REPORT_TZ).unwrap_or(TimeZone::UTC);
            let d = start.to_zoned(tz).date();
            let m = format!("{:04}-{:02}", d.year(), d.month());
            (m.clone(), Text::new(m.clone(), m))
        }
    }
}

/// Adds to the row of `key` (created with its label) and to the total.
fn add(
    rows: &mut BTreeMap<String, ReportRow>,
    total: &mut ReportRow,
    (key, label): (String, Text),
    f: impl Fn(&mut ReportRow),
) {
    let row = rows.entry(key.clone()).or_insert_with(|| ReportRow {
        key,
        label,
        ..Default::default()
    });
    f(row);
    f(total);
}

/// Booked capacity-hours of `[s, e)` (inside `open`) by local hour of day.
fn add_hours(
    by_hour: &mut [f64],
    open: &[(Timestamp, Timestamp)],
    tz: &TimeZone,
    (s, e): (Timestamp, Timestamp),
    usage: f64,
) {
    let mut t = s;
    while t < e {
        let z = t.to_zoned(tz.clone());
        let next = Timestamp::from_second(t.as_second() - t.as_second().rem_euclid(3_600) + 3_600)
            .unwrap_or(e)
            .min(e);
        by_hour[z.hour() as usize] += overlap_s(open, t, next) as f64 * usage / HOUR_S;
        t = next;
    }
}

/// Computes the report from calendars and the index (see module docs).
pub fn report<'a>(
    q: &ReportQuery,
    resources: &[&Resource],
    calendar: &dyn Fn(&ResourceId) -> Option<ResourceCalendarRef<'a>>,
    names: &dyn Fn(AgencyId) -> Text,
) -> Result<Report, ReportError> {
    if q.to <= q.from || seconds(q.from, q.to) > 10 * 366 * 86_400 {
        return Err(ReportError::Period);
    }
    let tz = TimeZone::get(REPORT_TZ).unwrap_or(TimeZone::UTC);
    let mut rows: BTreeMap<String, ReportRow> = BTreeMap::new();
    let mut total = ReportRow {
        key: "total".into(),
        label: Text::new("合计", "Total"),
        ..Default::default()
    };
    let mut by_hour = vec![0.0f64; 24];
    let mut idle = Vec::new();
    for r in resources {
        let limit = f64::from(r.capacity.limit());
        let open = open_intervals(r, q.from, q.to);
        for (s, e) in &open {
            let hours = seconds(*s, *e) as f64 * limit / HOUR_S;
            let key = group_of(q.by, r, None, *s, names);
            add(&mut rows, &mut total, key, |x| x.open_hours += hours);
        }
        if q.by != GroupBy::Requester && q.by != GroupBy::Month {
            let key = group_of(q.by, r, None, q.from, names);
            add(&mut rows, &mut total, key, |x| x.resources += 1);
        } else {
            total.resources += 1;
        }
        let Some(cal) = calendar(&r.id) else {
            if !r.retired {
                idle.push(r.id.clone());
            }
            continue;
        };
        let mut booked_any = false;
        for b in &cal.cal.confirmed {
            if b.terms.end <= q.from || q.to <= b.terms.start {
                continue;
            }
            let usage = f64::from(r.capacity.usage(b.terms.quantity));
            let (s, e) = (b.terms.start.max(q.from), b.terms.end.min(q.to));
            let secs = overlap_s(&open, s, e);
            if secs <= 0 {
                continue;
            }
            booked_any = true;
            let hours = secs as f64 * usage / HOUR_S;
            let cross = b.id.requester != r.owner();
            let key = group_of(q.by, r, Some(b.id.requester), b.terms.start, names);
            add(&mut rows, &mut total, key, |x| {
                x.booked_hours += hours;
                if cross {
                    x.cross_agency_hours += hours;
                }
            });
            add_hours(&mut by_hour, &open, &tz, (s, e), usage);
        }
        if !booked_any && !r.retired {
            idle.push(r.id.clone());
        }
        // Counts, by the booking's start in the period.
        let starts = |t: Timestamp| q.from <= t && t < q.to;
        let lends = r.kind == ResourceKind::WarehouseAsset;
        for b in cal.cal.confirmed.iter().filter(|b| starts(b.terms.start)) {
            let units = b.terms.quantity;
            let key = group_of(q.by, r, Some(b.id.requester), b.terms.start, names);
            add(&mut rows, &mut total, key, |x| {
                x.confirmed += 1;
                if lends {
                    x.loans += 1;
                    x.units_lent += units;
                }
            });
        }
        for b in cal.cal.rejected.iter().filter(|b| starts(b.terms.start)) {
            let key = group_of(q.by, r, Some(b.id.requester), b.terms.start, names);
            add(&mut rows, &mut total, key, |x| x.rejected += 1);
        }
        for b in cal.cal.cancelled.iter().filter(|b| starts(b.terms.start)) {
            let released = cal.released.contains(&b.id);
            let no_show = matches!(
                b.status,
                crate::booking::Status::Released {
                    why: crate::booking::ReleaseWhy::NoShow
                }
            );
            let key = group_of(q.by, r, Some(b.id.requester), b.terms.start, names);
            add(&mut rows, &mut total, key, |x| {
                if released {
                    x.released += 1;
                    x.no_show += u32::from(no_show);
                } else {
                    x.cancelled += 1;
                }
            });
        }
        for t in cal.trips.iter().filter(|t| starts(t.request.start)) {
            let km = u64::from(t.km().unwrap_or(0));
            let fuel = f64::from(t.fuel_ml.unwrap_or(0)) / 1000.0;
            let kwh = f64::from(t.charge_wh.unwrap_or(0)) / 1000.0;
            let key = group_of(
                q.by,
                r,
                Some(t.request.id.requester),
                t.request.start,
                names,
            );
            add(&mut rows, &mut total, key, |x| {
                x.trips += 1;
                x.km += km;
                x.fuel_l += fuel;
                x.charge_kwh += kwh;
            });
        }
    }
    let finish = |x: &mut ReportRow| {
        x.utilisation = if x.open_hours > 0.0 {
            x.booked_hours / x.open_hours
        } else {
            0.0
        };
        x.cross_agency_share = if x.booked_hours > 0.0 {
            x.cross_agency_hours / x.booked_hours
        } else {
            0.0
        };
    };
    let mut rows: Vec<ReportRow> = rows.into_values().collect();
    rows.iter_mut().for_each(finish);
    finish(&mut total);
    let mut peak: Vec<u8> = (0..24u8).filter(|h| by_hour[*h as usize] > 0.0).collect();
    peak.sort_by(|a, b| {
        by_hour[*b as usize]
            .total_cmp(&by_hour[*a as usize])
            .then(a.cmp(b))
    });
    peak.truncate(3);
    idle.sort();
    Ok(Report {
        query: q.clone(),
        rows,
        total,
        by_hour,
        peak_hours: peak,
        idle,
    })
}

/// What a report reads of one resource: its calendar, which of its
/// cancelled bookings the owner released, and its finished trips.
#[derive(Debug)]
pub struct ResourceCalendarRef<'a> {
    /// The calendar.
    pub cal: &'a ResourceCalendar,
    /// Cancelled bookings the owner gave back after confirming them.
    pub released: std::collections::BTreeSet<crate::ids::BookingId>,
    /// Trips this vehicle took.
    pub trips: Vec<crate::trip::Trip>,
}

impl Query for ReportQuery {
    type Answer = Result<Report, ReportError>;

    fn answer(&self, engine: &Engine, _now: Timestamp) -> Self::Answer {
        // A period reaching before what the replica sealed is read with
        // the sealed documents back from the store (see
        // [`crate::ledger::Ledger::seal`]).
        if self.reads_sealed(engine.ledger()) {
            let ledger = engine
                .ledger()
                .unsealed_copy()
                .map_err(|e| ReportError::Unreadable(e.to_string()))?;
            return self.answer_unsealed(&ledger);
        }
        let index = engine.ledger().index();
        // The blank calendars the engine does not keep (owners not
        // followed), computed for the resources reported.
        let blanks: BTreeMap<ResourceId, ResourceCalendar> = self
            .resources(index)
            .iter()
            .filter_map(|r| match engine.calendar_owned(&r.id)? {
                std::borrow::Cow::Owned(cal) => Some((r.id.clone(), cal)),
                std::borrow::Cow::Borrowed(_) => None,
            })
            .collect();
        self.answer_on(index, engine.ledger().roster(), |r| {
            engine.calendar(r).or_else(|| blanks.get(r))
        })
    }
}

impl ReportQuery {
    /// Whether the period starts before what `ledger` sealed: the report
    /// then reads the sealed records back ([`ReportQuery::answer_unsealed`]
    /// on [`crate::ledger::Ledger::unsealed_copy`]).
    pub fn reads_sealed(&self, ledger: &crate::ledger::Ledger) -> bool {
        ledger.seal_cut().is_some_and(|cut| self.from < cut)
    }

    /// The report from a replica holding everything in memory (a copy
    /// with its sealed documents back), computing the calendars it reads.
    pub fn answer_unsealed(&self, ledger: &crate::ledger::Ledger) -> Result<Report, ReportError> {
        let (index, roster) = (ledger.index(), ledger.roster());
        // The resources reported, and the drivers their trips read.
        let drivers = index
            .resources
            .values()
            .map(|r| &**r)
            .filter(|r| r.is_driver());
        let cals: BTreeMap<ResourceId, ResourceCalendar> = self
            .resources(index)
            .into_iter()
            .chain(drivers)
            .map(|r| (r.id.clone(), calendar_with(index, roster, &r.id, false)))
            .collect();
        self.answer_on(index, roster, |r| cals.get(r))
    }

    /// The resources reported, from `index`.
    fn resources<'a>(&self, index: &'a Index) -> Vec<&'a Resource> {
        let kind: Option<ResourceKind> = self
            .kind
            .as_ref()
            .map(|k| k.parse().unwrap_or(ResourceKind::Other(k.clone())));
        index
            .resources
            .values()
            .filter(|r| kind.as_ref().is_none_or(|k| *k == r.kind))
            .filter(|r| self.owner.is_none_or(|o| o == r.owner()))
            .filter(|r| !r.is_driver())
            .map(|r| &**r)
            .collect()
    }

    /// The report from `index` and the calendars `cal_of` gives.
    fn answer_on<'c>(
        &self,
        index: &Index,
        roster: &crate::membership::Roster,
        cal_of: impl Fn(&ResourceId) -> Option<&'c ResourceCalendar>,
    ) -> Result<Report, ReportError> {
        let resources = self.resources(index);
        // Trips by vehicle, finished ones only.
        let mut trips: BTreeMap<ResourceId, Vec<crate::trip::Trip>> = BTreeMap::new();
        for id in index.trips.keys() {
            if let Some(t) = crate::trip::view::view(index, roster, &cal_of, id)
                && t.status == crate::trip::TripStatus::Finished
                && let Some(v) = t.vehicle.clone()
            {
                trips.entry(v).or_default().push(t);
            }
        }
        let calendar = |rid: &ResourceId| {
            let cal = cal_of(rid)?;
            let releases = index
                .decisions
                .get(rid)
                .into_iter()
                .flat_map(|m| m.values())
                .chain(
                    index
                        .later_decisions
                        .get(rid)
                        .into_iter()
                        .flat_map(|m| m.values()),
                )
                .filter(|d| matches!(d.verdict, Verdict::Release { .. }));
            let released = releases
                .map(|d| d.booking.clone())
                .filter(|b| cal.cancelled.iter().any(|c| &c.id == b))
                .collect();
            Some(ResourceCalendarRef {
                cal,
                released,
                trips: trips.get(rid).cloned().unwrap_or_default(),
            })
        };
        let names = |a: AgencyId| {
            index
                .profiles
                .get(&a)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| Text::new(a.short(), a.short()))
        };
        report(self, &resources, &calendar, &names)
    }
}

#[cfg(test)]
mod tests;
